"""Advisories and findings in the store and on the command line, on the demo plant and the shared CISA
advisories (docs/vulns.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from plantwarden.cli.main import main
from plantwarden.demo import generate_demo_capture
from plantwarden.store.ingest import ingest
from plantwarden.store.models import FactRow
from plantwarden.store.service import Store

CSAF = Path(__file__).resolve().parents[3] / "shared" / "advisories" / "csaf"


def _doc(tracking: str, release: str, product: str = "Modicon M340", rng: str = "vers:all/<V3.50") -> bytes:
    """A small CSAF 2.0 advisory (Schneider Electric, one product, one CVE)."""
    return json.dumps({
        "document": {"category": "csaf_security_advisory", "csaf_version": "2.0", "title": f"test {tracking}",
                     "publisher": {"category": "vendor", "name": "Test PSIRT", "namespace": "https://example.org"},
                     "tracking": {"id": tracking, "current_release_date": release, "initial_release_date": release,
                                  "revision_history": [{"date": release, "number": "1", "summary": "x"}],
                                  "status": "final", "version": "1"}},
        "product_tree": {"branches": [{"category": "vendor", "name": "Schneider Electric", "branches": [
            {"category": "product_name", "name": product, "branches": [
                {"category": "product_version_range", "name": rng,
                 "product": {"product_id": "P1", "name": f"{product} {rng}"}}]}]}]},
        "vulnerabilities": [{"cve": "CVE-2099-0001", "product_status": {"known_affected": ["P1"]},
                             "scores": [{"products": ["P1"], "cvss_v3": {
                                 "version": "3.1", "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                                 "baseScore": 9.8, "baseSeverity": "CRITICAL"}}],
                             "remediations": [{"category": "vendor_fix", "details": "update to V3.50",
                                               "product_ids": ["P1"]}]}],
    }).encode()


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "pw.db")
    ingest(s, generate_demo_capture(tmp_path / "demo.pcap", seed=1))
    return s


def test_import_is_idempotent_and_keeps_the_newest_revision(store: Store) -> None:
    r = store.import_advisories([("a.json", _doc("TEST-1", "2024-01-01T00:00:00Z")), ("bad.json", b"{nope"),
                                 ("x.json", b'{"document": {}}')])
    assert r.new == ["TEST-1"] and [s for s, _ in r.invalid] == ["bad.json", "x.json"]
    assert store.import_advisories([("a.json", _doc("TEST-1", "2024-01-01T00:00:00Z"))]).unchanged == ["TEST-1"]
    older = store.import_advisories([("old.json", _doc("TEST-1", "2023-01-01T00:00:00Z", rng="vers:all/*"))])
    assert older.unchanged == ["TEST-1"]
    newer = store.import_advisories([("new.json", _doc("TEST-1", "2024-06-01T00:00:00Z", rng="vers:all/<V4.0"))])
    assert newer.updated == ["TEST-1"]
    assert [e.action for e in store.audit_entries()].count("advisory.import") == 2


def test_findings_follow_the_device(store: Store) -> None:
    store.import_advisories([("a.json", _doc("TEST-1", "2024-01-01T00:00:00Z"))])
    res = store.match_advisories()
    assert len(res.new) == 1
    f = store.findings()[0]
    assert (f["asset"], f["advisory"], f["verdict"], f["version"], f["cvss_score"]) == (
        "10.10.10.11", "TEST-1", "affected", "V3.10", 9.8)
    assert f["remediations"] == [{"category": "vendor_fix", "details": "update to V3.50", "url": None}]
    assert any("Schneider Electric" in w for w in f["why"]) and any("V3.10" in w for w in f["why"])
    assert store.match_advisories().new == []  # nothing changed
    with store.transaction() as s:  # the PLC was updated
        s.execute(update(FactRow).where(FactRow.value == "V3.10").values(value="V3.60"))
    res = store.match_advisories()
    assert res.fixed == [f["id"]] and store.findings()[0]["status"] == "fixed"
    with store.transaction() as s:  # and downgraded again
        s.execute(update(FactRow).where(FactRow.value == "V3.60").values(value="V3.10"))
    assert store.match_advisories().reopened == [f["id"]]


def test_finding_states_need_their_reasons(store: Store) -> None:
    from plantwarden.core.errors import InvalidInput, NotFound

    store.import_advisories([("a.json", _doc("TEST-1", "2024-01-01T00:00:00Z"))])
    store.match_advisories()
    fid = store.findings()[0]["id"]
    with pytest.raises(InvalidInput, match="needs a reason"):
        store.set_finding_status(fid, "mitigated")
    with pytest.raises(InvalidInput, match="expiry"):
        store.set_finding_status(fid, "accepted", "vendor patch breaks the line")
    store.set_finding_status(fid, "accepted", "patch in the March shutdown", until=2_000_000_000.0)
    f = store.findings(status="accepted")[0]
    assert (f["status_reason"], f["status_until"]) == ("patch in the March shutdown", 2_000_000_000.0)
    with pytest.raises(NotFound):
        store.set_finding_status(999, "fixed")
    e = [e for e in store.audit_entries() if e.action == "finding.status"][-1]
    assert e.before == {"status": "open", "reason": None} and e.after["status"] == "accepted"


@pytest.mark.shared
def test_cli_on_the_shared_advisories(tmp_path: Path) -> None:
    if not CSAF.is_dir():
        pytest.skip("../shared/advisories/csaf is absent")
    db = str(tmp_path / "pw.db")
    r = CliRunner()
    assert r.invoke(main, ["demo", "--data", str(tmp_path), "--no-serve"]).exit_code == 0
    db = str(tmp_path / "plantwarden.db")
    res = r.invoke(main, ["advisories", "import", str(CSAF), "--db", db])
    assert res.exit_code == 0 and "311 new" in res.output, res.output
    res = r.invoke(main, ["vulns", "--db", db, "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout[res.stdout.index("{"):])
    found = {(f["asset"], f["advisory"]) for f in doc["findings"]}
    # the demo's Modicon M340 at V3.10 and its S7-300 CPU 315-2 PN/DP (6ES7 315-2EH14-0AB0, V3.2.6)
    assert ("10.10.10.11", "ICSA-18-086-01") in found and ("10.10.10.12", "ICSA-19-283-01") in found
    assert all(f["status"] == "open" for f in doc["findings"])
    fid = doc["findings"][0]["id"]
    res = r.invoke(main, ["finding", "set", str(fid), "mitigated", "--reason", "port 102 closed at the cell firewall",
                          "--db", db])
    assert res.exit_code == 0 and "mitigated" in res.output
    res = r.invoke(main, ["vulns", "--db", db, "--status", "mitigated", "--no-match"])
    assert res.exit_code == 0 and str(fid) in res.output
    res = r.invoke(main, ["finding", "set", str(fid), "accepted", "--reason", "x", "--db", db])
    assert res.exit_code != 0 and "expiry" in res.output
    listed = r.invoke(main, ["advisories", "list", "--db", db, "--format", "json"])
    assert len(json.loads(listed.output)) == 311


def test_findings_on_the_asset_page(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from plantwarden.web.app import create_app

    store = Store(tmp_path / "pw.db")
    ingest(store, generate_demo_capture(tmp_path / "demo.pcap", seed=1))
    store.import_advisories([("a.json", _doc("TEST-<b>1</b>", "2024-01-01T00:00:00Z"))])
    store.match_advisories()
    store.add_user("viewer", "viewer", "a-long-test-password-1")
    _, token = store.create_token("viewer", "t")
    app = create_app(store, start_jobs=False)
    app.state.zone_model = None
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as c:
        aid = c.get("/api/assets?q=10.10.10.11").json()["items"][0]["id"]
        assert c.get(f"/api/assets/{aid}").json()["findings"][0]["cves"] == ["CVE-2099-0001"]
        html = c.get(f"/assets/{aid}").text
        assert "CVE-2099-0001" in html and "TEST-&lt;b&gt;1&lt;/b&gt;" in html and "vendor_fix: update to V3.50" in html


def test_findings_api(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from plantwarden.web.app import create_app

    store = Store(tmp_path / "pw.db")
    ingest(store, generate_demo_capture(tmp_path / "demo.pcap", seed=1))
    store.import_advisories([("a.json", _doc("TEST-1", "2024-01-01T00:00:00Z"))])
    tokens = {}
    for role in ("analyst", "ot_engineer"):
        store.add_user(role.replace("_", "-"), role, "a-long-test-password-1")
        tokens[role] = {"Authorization": f"Bearer {store.create_token(role.replace('_', '-'), 't')[1]}"}
    app = create_app(store, start_jobs=False)
    app.state.zone_model = None
    with TestClient(app) as c:
        assert c.post("/api/findings/match", headers=tokens["analyst"]).status_code == 403
        m = c.post("/api/findings/match", headers=tokens["ot_engineer"]).json()
        assert len(m["new"]) == 1 and m["open"] == 1
        f = c.get("/api/findings?priority=now", headers=tokens["analyst"]).json()["findings"][0]
        assert f["advisory"] == "TEST-1"
        url = f"/api/findings/{f['id']}/status"
        assert c.post(url, json={"status": "mitigated"}, headers=tokens["ot_engineer"]).status_code == 400
        r = c.post(url, json={"status": "accepted", "reason": "shutdown in March", "until": "2027-03-31"},
                   headers=tokens["ot_engineer"])
        assert r.status_code == 200
        assert c.get("/api/findings?status=accepted", headers=tokens["analyst"]).json()["findings"][0]["id"] == f["id"]
        assert c.get("/api/suppliers", headers=tokens["analyst"]).json()["suppliers"] == []


def test_entered_assets_are_matched(store: Store) -> None:
    store.import_advisories([("a.json", _doc("TEST-1", "2024-01-01T00:00:00Z")),
                             ("b.json", _doc("TEST-2", "2024-01-01T00:00:00Z", product="Modicon M580",
                                             rng="vers:all/<V4.10"))])
    assert store.enter_asset("10.9.9.9", vendor="Schneider Electric", model="BMEP58 2040", firmware="V4.02",
                             note="spare line PLC, never polled") is True
    store.match_advisories()
    got = {(f["asset"], f["advisory"], f["version"]) for f in store.findings()}
    assert ("10.9.9.9", "TEST-2", "V4.02") in got and ("10.10.10.11", "TEST-1", "V3.10") in got
    f = next(f for f in store.findings() if f["asset"] == "10.9.9.9")
    assert any("entered by" in w for w in f["why"])
    # the user says the M340 was updated: that version is tried first, the wire's too; both are listed
    assert store.enter_asset("10.10.10.11", firmware="V3.60") is False
    store.match_advisories()
    m340 = next(f for f in store.findings() if f["asset"] == "10.10.10.11")
    assert m340["version"] == "V3.10"  # the wire still reports V3.10: affected by that one
    from plantwarden.core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        store.enter_asset("not-an-ip", vendor="x")
    assert [e.action for e in store.audit_entries()].count("asset.enter") == 2


def test_vulns_and_suppliers_pages(tmp_path: Path) -> None:
    import re

    from fastapi.testclient import TestClient

    from plantwarden.web.app import create_app

    from ..web.conftest import csrf_of, login

    store = Store(tmp_path / "pw.db")
    ingest(store, generate_demo_capture(tmp_path / "demo.pcap", seed=1))
    store.import_advisories([("a.json", _doc("TEST-1", "2024-01-01T00:00:00Z", product="Modicon M340"))])
    store.match_advisories()
    store.seed_suppliers()
    store.add_user("eng", "ot_engineer", "a-long-test-password-1")
    app = create_app(store, start_jobs=False)
    app.state.zone_model = None
    with TestClient(app) as c:
        assert login(c, "eng", "a-long-test-password-1").status_code == 303
        page = c.get("/vulns?priority=now").text
        assert "TEST-1" in page and "CVE-2099-0001" in page
        fid = re.search(r'action="/vulns/(\d+)/status"', page).group(1)  # type: ignore[union-attr]
        r = c.post(f"/vulns/{fid}/status", data={"csrf_token": csrf_of(page), "status": "mitigated",
                                                 "reason": "<i>port 502 filtered</i>"})
        assert f"finding {fid} now mitigated" in r.text and "&lt;i&gt;port 502 filtered&lt;/i&gt;" in r.text
        r = c.post(f"/vulns/{fid}/status", data={"csrf_token": csrf_of(page), "status": "accepted", "reason": "x"})
        assert "expiry" in r.text
        sup = c.get("/suppliers").text
        assert "Schneider Electric" in sup and "not assessed" in sup
