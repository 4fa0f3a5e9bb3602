"""OT prioritisation (docs/vulns.md, "Priorities"): one test per bucket, exposure seen and allowed,
criticality, known exploitation."""

from __future__ import annotations

from pathlib import Path

import pytest

from plantwarden.vulns.priority import criticality, exposures, prioritise
from plantwarden.zones.model import load_model

LEVELS = {"10.0.1.10": 1, "10.0.2.20": 2, "10.0.4.40": 4, "10.0.1.11": 1, "10.0.1.12": 1}
SEEN = {"10.0.1.10": {"10.0.2.20"}, "10.0.2.20": {"10.0.4.40"}, "10.0.1.11": {"8.8.4.4", "10.0.2.20"}}


def test_exposure_is_the_widest_reach_seen() -> None:
    exp = exposures(LEVELS, SEEN)
    assert exp["10.0.1.10"][0] == "ot"
    assert exp["10.0.2.20"] == ("it", "10.0.4.40 (Purdue level 4) connected to it")
    assert exp["10.0.1.11"] == ("internet", "public address 8.8.4.4 connected to it")
    assert exp["10.0.1.12"][0] == "none"


def test_a_conduit_widens_exposure() -> None:
    model = load_model("""
zones:
  - {name: cell, purdue_level: 1, sl_t: 3, members: {cidrs: [10.0.1.0/24]}}
  - {name: business, purdue_level: 4, sl_t: 1, members: {cidrs: [10.0.4.0/24]}}
conduits:
  - {name: reporting, zones: [cell, business], protocols: [modbus], initiators: [business]}
""")
    exp = exposures(LEVELS, SEEN, model)
    assert exp["10.0.1.12"] == ("it", "conduit reporting lets zone business initiate to zone cell")
    assert exp["10.0.1.11"][0] == "internet"  # what was seen stays when it is wider


@pytest.mark.parametrize("role,tags,want", [("plc", [], "high"), ("unknown", ["critical"], "high"),
                                            ("hmi", [], "medium"), ("unknown", [], "low"), ("plc", ["low"], "low")])
def test_criticality(role: str, tags: list[str], want: str) -> None:
    assert criticality(role, tags)[0] == want


def test_an_exposed_critical_asset_is_now() -> None:
    p = prioritise(9.8, ("it", "x"), ("high", "a controller"), [])
    assert (p.bucket, p.score) == ("now", 8.8)


def test_an_unreachable_asset_is_never_unless_exploited() -> None:
    assert prioritise(9.8, ("none", "nothing"), ("high", "x"), []).bucket == "never"
    assert prioritise(9.8, ("none", "nothing"), ("high", "x"), ["CVE-2020-0001"]).bucket == "next"


def test_known_exploitation_makes_a_reachable_one_now() -> None:
    assert prioritise(8.0, ("ot", "x"), ("low", "x"), []).bucket == "next"  # 8.0*0.75*0.7 = 4.2
    p = prioritise(8.0, ("ot", "x"), ("low", "x"), ["CVE-2020-0001"])
    assert p.bucket == "now" and p.kev and "known exploited: CVE-2020-0001" in p.reasons


def test_low_scores_are_never() -> None:
    assert prioritise(4.3, ("ot", "x"), ("low", "x"), []).bucket == "never"  # 4.3*0.75*0.7 = 2.3
    assert prioritise(None, ("it", "x"), ("medium", "x"), []).score == 3.8  # no CVSS counts as 5.0


def test_in_the_store_and_on_the_command_line(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from plantwarden.cli.main import main

    from .test_store_vulns import _doc

    r = CliRunner()
    assert r.invoke(main, ["demo", "--data", str(tmp_path), "--no-serve"]).exit_code == 0
    db = str(tmp_path / "plantwarden.db")
    adv = tmp_path / "adv.json"
    adv.write_bytes(_doc("TEST-1", "2024-01-01T00:00:00Z"))
    assert r.invoke(main, ["advisories", "import", str(adv), "--db", db]).exit_code == 0
    res = r.invoke(main, ["vulns", "--db", db, "--format", "json"])
    import json

    f = json.loads(res.stdout)["findings"][0]
    # the demo's M340 is polled by its HMI (level 2): exposure ot, a controller, CVSS 9.8 -> 7.4, now
    assert (f["exposure"], f["criticality"], f["score"], f["priority"]) == ("ot", "high", 7.4, "now")
    low = tmp_path / "low.json"
    low.write_bytes(_doc("TEST-1", "2024-02-01T00:00:00Z").replace(b'"baseScore": 9.8', b'"baseScore": 6.5'))
    assert r.invoke(main, ["advisories", "import", str(low), "--db", db]).exit_code == 0
    f = json.loads(r.invoke(main, ["vulns", "--db", db, "--format", "json"]).stdout)["findings"][0]
    assert f["priority"] == "next" and not f["known_exploited"]
    kev = tmp_path / "kev.csv"
    kev.write_text("cveID,vendorProject,product,vulnerabilityName,dateAdded\n"
                   "CVE-2099-0001,Schneider Electric,Modicon,test,2024-05-01\nnot-a-cve,x,y,z,w\n")
    out = r.invoke(main, ["advisories", "kev", str(kev), "--db", db])
    assert out.exit_code == 0 and "1 added" in out.output
    f = json.loads(r.invoke(main, ["vulns", "--db", db, "--format", "json", "--no-match"]).stdout)["findings"][0]
    assert f["priority"] == "now" and f["known_exploited"] is True
    table = r.invoke(main, ["vulns", "--db", db, "--priority", "now", "--no-match"]).output
    assert "now KEV" in table
    bad = tmp_path / "bad.txt"
    bad.write_text("hello\n")
    assert "no CVE ids" in r.invoke(main, ["advisories", "kev", str(bad), "--db", db]).output
