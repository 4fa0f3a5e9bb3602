"""``plantwarden alerts`` / ``plantwarden alert``, and the alerts of ``analyze``, on the demo capture."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
from click.testing import CliRunner

from plantwarden.cli.alerts import severity_counts
from plantwarden.cli.main import main
from plantwarden.core.alerts import HIGH, STATES, Alert
from plantwarden.detections.attack_ics import TECHNIQUES

from ..conftest import ROOT

EWS, ATTACKER, PLC2 = "10.10.20.50", "10.10.99.66", "10.10.10.12"
REQUIRED = {"id", "detection", "technique", "technique_name", "severity", "state", "first_seen", "last_seen",
            "src", "dst", "count", "title", "evidence"}
DOC = ROOT / "docs" / "alerts.md"
ROW = re.compile(r"^\| `([a-z_\[\]\.]+)` \|", re.M)


@pytest.fixture
def runner(monkeypatch):
    monkeypatch.delenv("PLANTWARDEN_DB", raising=False)
    return CliRunner()


@pytest.fixture(scope="module")
def demo_cap(tmp_path_factory):
    from plantwarden.demo import generate_demo_capture

    return generate_demo_capture(tmp_path_factory.mktemp("demo") / "demo.pcap")


@pytest.fixture(scope="module")
def demo_cap2(tmp_path_factory):
    from plantwarden.demo import generate_demo_capture

    return generate_demo_capture(tmp_path_factory.mktemp("demo2") / "demo2.pcap", seed=2)


def ok(runner, *args):
    res = runner.invoke(main, [str(a) for a in args])
    assert res.exit_code == 0, res.output
    return res.output


def listed(runner, db, *args):
    return json.loads(ok(runner, "alerts", "--db", db, "--format", "json", *args))


def test_analyze_raises_the_plc_stop_alerts_of_the_ews_and_the_attacker(runner, demo_cap, target):
    out = ok(runner, "analyze", "--db", target, demo_cap)
    doc = listed(runner, target)
    by_sev = Counter(a["severity"] for a in doc)
    assert f"alerts: {len(doc)} new ({severity_counts(by_sev)}), 0 updated" in out
    assert f"{len(doc)} alerts ({len(doc)} new)" in out
    assert all(set(a) >= REQUIRED for a in doc)
    stops = {a["src"]: a for a in doc if a["detection"] == "ics.plc_stop"}
    assert set(stops) == {EWS, ATTACKER}
    for src, a in stops.items():
        assert (a["technique"], a["technique_name"], a["severity"], a["state"], a["dst"], a["count"]) == (
            "T0858", "Change Operating Mode", HIGH, "new", PLC2, 1)
        [e] = a["evidence"]
        assert e["event"] == "s7comm_plc_stop_request" and e["capture"] == "demo.pcap" and e["proto"] == "s7comm"
        assert e["flow"][0] == src and e["flow"][2:4] == [PLC2, 102] and e["details"]["function_code"] == 0x29
        assert a["first_seen"] == a["last_seen"] == e["ts"]
    # traffic time of the labelled actions, not analysis time
    labels = json.loads(demo_cap.with_name("demo.labels.json").read_text())
    attack = next(x for x in labels["actions"] if x["id"] == "s7comm_plc_stop")
    assert attack["first_ts"] <= stops[ATTACKER]["first_seen"] <= attack["last_ts"]
    assert stops[ATTACKER]["evidence"][0]["frame"] in attack["message_frames"]
    ews = next(x for x in labels["actions"] if x["id"] == "ews_program_download")
    assert ews["first_ts"] <= stops[EWS]["first_seen"] <= ews["last_ts"]
    downloads = [a for a in doc if a["detection"] == "ics.program_download"]
    assert [(a["src"], a["technique"]) for a in downloads] == [(EWS, ews["attack_technique"])]
    assert [a["first_seen"] for a in doc] == sorted(a["first_seen"] for a in doc)
    assert len({a["id"] for a in doc}) == len(doc)


def test_reanalysis_changes_nothing_and_a_second_capture_merges(runner, demo_cap, demo_cap2, target):
    ok(runner, "analyze", "--db", target, demo_cap)
    before = listed(runner, target)
    out = ok(runner, "analyze", "--db", target, demo_cap)
    assert "already analysed" in out and listed(runner, target) == before
    out = ok(runner, "analyze", "--db", target, demo_cap2)
    after = listed(runner, target)
    # same plant, same attacks: every alert the second capture raises merges into the first one's
    assert [a["id"] for a in after] == [a["id"] for a in before]
    grown = [b for a, b in zip(before, after, strict=True) if b["count"] != a["count"]]
    assert all(b["count"] == 2 * a["count"] or b["count"] == a["count"] for a, b in zip(before, after, strict=True))
    assert f"alerts: 0 new, {len(grown)} updated ({severity_counts(Counter(a['severity'] for a in grown))})" in out
    core = {"ics.plc_stop", "ics.program_download", "ics.operating_mode_change"}
    assert {a["detection"] for a in grown} >= core
    stop = next(a for a in after if a["detection"] == "ics.plc_stop" and a["src"] == ATTACKER)
    assert sorted(e["capture"] for e in stop["evidence"]) == ["demo.pcap", "demo2.pcap"]
    assert [e["ts"] for e in stop["evidence"]] == sorted(e["ts"] for e in stop["evidence"])


def test_state_changes_and_filters(runner, demo_cap, tmp_path):
    db = str(tmp_path / "s.db")
    ok(runner, "analyze", "--db", db, demo_cap)
    doc = listed(runner, db)
    stop = next(a for a in doc if a["detection"] == "ics.plc_stop" and a["src"] == EWS)
    other = next(a for a in doc if a["detection"] == "ics.plc_stop" and a["src"] == ATTACKER)
    dl = next(a for a in doc if a["detection"] == "ics.program_download")

    out = ok(runner, "alert", "suppress", stop["id"], "--reason", "approved download by J. Doe", "--db", db)
    assert f"alert {stop['id']} [ics.plc_stop]" in out and "suppressed (reason: approved download by J. Doe)" in out
    assert "acknowledged" in ok(runner, "alert", "ack", other["id"], "--db", db)
    assert "resolved" in ok(runner, "alert", "resolve", dl["id"], "--db", db)

    [sup] = listed(runner, db, "--state", "suppressed")
    assert sup["id"] == stop["id"] and sup["state_reason"] == "approved download by J. Doe"
    assert sup["state_changed_at"] is not None and sup["state_changed_at"] > sup["last_seen"]
    assert [(h["state"], h["reason"]) for h in sup["history"]] == [("suppressed", "approved download by J. Doe")]
    assert [a["id"] for a in listed(runner, db, "--state", "acknowledged")] == [other["id"]]
    assert [a["id"] for a in listed(runner, db, "--state", "resolved")] == [dl["id"]]
    assert [a["id"] for a in listed(runner, db, "--detection", "ics.plc_stop")] == sorted(
        [stop["id"], other["id"]], key=lambda i: next(a["first_seen"] for a in doc if a["id"] == i))
    assert [a["id"] for a in listed(runner, db, "--detection", "ics.plc_stop", "--state", "new")] == []
    assert listed(runner, db, "--detection", "nope") == []
    assert "no alerts matching the filters" in ok(runner, "alerts", "--db", db, "--detection", "nope")


def test_state_change_errors(runner, demo_cap, tmp_path):
    db = str(tmp_path / "e.db")
    ok(runner, "analyze", "--db", db, demo_cap)
    res = runner.invoke(main, ["alert", "ack", "9999", "--db", db])
    assert res.exit_code == 1 and "no alert with id 9999" in res.output and "Traceback" not in res.output
    res = runner.invoke(main, ["alert", "suppress", "1", "--db", db])
    assert res.exit_code == 2 and "--reason" in res.output
    res = runner.invoke(main, ["alert", "suppress", "1", "--reason", "  ", "--db", db])
    assert res.exit_code == 1 and "needs a reason" in res.output
    res = runner.invoke(main, ["alert", "resolve", "x", "--db", db])
    assert res.exit_code == 2
    assert all(a["state"] == "new" and a["history"] == [] for a in listed(runner, db))
    res = runner.invoke(main, ["alert", "ack", "1", "--db", str(tmp_path / "none.db")])
    assert res.exit_code == 1 and "no database at" in res.output and not (tmp_path / "none.db").exists()


def test_jsonl_is_the_json_list_one_object_per_line(runner, demo_cap, tmp_path):
    db = str(tmp_path / "j.db")
    ok(runner, "analyze", "--db", db, demo_cap)
    lines = ok(runner, "alerts", "--db", db, "--format", "jsonl").splitlines()
    assert [json.loads(ln) for ln in lines] == listed(runner, db)
    assert all(ln == json.dumps(json.loads(ln), separators=(",", ":"), ensure_ascii=True) for ln in lines)


def test_table(runner, demo_cap, tmp_path):
    db = str(tmp_path / "t.db")
    ok(runner, "analyze", "--db", db, demo_cap)
    lines = ok(runner, "alerts", "--db", db).splitlines()
    assert lines[0].split()[:6] == ["id", "severity", "state", "detection", "technique", "count"]
    rows = [ln for ln in lines[2:] if "ics.plc_stop" in ln]
    assert len(rows) == 2 and any(ATTACKER in r and "T0858" in r and "2024-03-12 08:03:40" in r for r in rows)


def test_alerts_without_a_database(runner, tmp_path):
    res = runner.invoke(main, ["alerts", "--db", str(tmp_path / "none.db")])
    assert res.exit_code == 1 and "no database at" in res.output
    assert not (tmp_path / "none.db").exists()


def test_an_empty_store_has_no_alerts(runner, tmp_path):
    from plantwarden.store.service import Store

    db = str(tmp_path / "empty.db")
    Store(db).close()
    assert ok(runner, "alerts", "--db", db).strip() == "no alerts"
    assert listed(runner, db) == []


def hostile_store(db):
    from plantwarden.inventory.model import Inventory
    from plantwarden.store.service import CaptureInfo, Store

    a = Alert("ics.plc_stop", "T9999", HIGH, "stop \x1b[2J\x1b]0;pwn\x07PLC\u202e", "k", "10.0.0.1", "10.0.0.2",
              1.0, 1.0, evidence=[{"capture": "c", "ts": 1.0, "frame": 1, "event": "e", "proto": "p",
                                   "flow": ["10.0.0.1", 1, "10.0.0.2", 2, "tcp"],
                                   "details": {"filename": "\x1b[31m\u202e"}}])
    with Store(db) as store:
        store.save_analysis(CaptureInfo("c", "c" * 64, 1), Inventory(), [a])
        store.set_alert_state(1, "suppressed", "why\x1b[0m")


def test_hostile_strings_are_escaped(runner, tmp_path):
    db = str(tmp_path / "h.db")
    hostile_store(db)
    table = ok(runner, "alerts", "--db", db)
    assert "\x1b" not in table and "\x07" not in table and "\u202e" not in table
    assert "stop \\x1b[2J\\x1b]0;pwn\\x07PLC\\u202e" in table
    for fmt in ("json", "jsonl"):
        out = ok(runner, "alerts", "--db", db, "--format", fmt)
        assert "\x1b" not in out and "\u202e" not in out
    [a] = listed(runner, db)
    assert a["title"] == "stop \x1b[2J\x1b]0;pwn\x07PLC\u202e"
    assert a["technique_name"] is None and a["tactics"] == []  # an id the ATT&CK table does not know
    out = ok(runner, "alert", "ack", "1", "--db", db)
    assert "\x1b" not in out and "\u202e" not in out


# -- docs -----------------------------------------------------------------------------------------

def paths(obj, prefix=""):
    """Every field path of a JSON value, lists as ``[]``; the keys of ``evidence[].details`` are data."""
    if isinstance(obj, dict):
        if prefix.endswith(".details"):
            return
        for k, v in obj.items():
            p = f"{prefix}.{k}" if prefix else k
            yield p
            yield from paths(v, p)
    elif isinstance(obj, list):
        for item in obj:
            yield from paths(item, prefix + "[]")


def test_every_json_field_is_documented_and_every_documented_field_exists(runner, demo_cap, tmp_path):
    db = str(tmp_path / "d.db")
    ok(runner, "analyze", "--db", db, demo_cap)
    ok(runner, "alert", "suppress", "1", "--reason", "r", "--db", db)  # a history entry
    out = set()
    for a in listed(runner, db):
        out |= set(paths(a))
    documented = set(ROW.findall(DOC.read_text()))
    states = set(STATES)  # the states table (core.alerts.STATES)
    assert out - documented == set(), f"fields missing from {DOC.name}"
    assert documented - states - out == set(), f"{DOC.name} documents fields the output does not have"
    assert states <= documented  # the states table


def test_the_technique_names_come_from_the_attack_table(runner, demo_cap, tmp_path):
    db = str(tmp_path / "n.db")
    ok(runner, "analyze", "--db", db, demo_cap)
    for a in listed(runner, db):
        assert a["technique_name"] == TECHNIQUES[a["technique"]][0] and a["tactics"]


def test_the_alert_subcommands_and_their_options_are_documented():
    text = (ROOT / "docs" / "cli.md").read_text()
    m = re.search(r"^## `plantwarden alert (.*?)(?=^## |\Z)", text, re.M | re.S)
    assert m is not None
    section = m.group(1)
    group = main.commands["alert"]
    for name, cmd in group.commands.items():
        assert f"plantwarden alert {name} ID" in section
        for param in cmd.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("--"):
                    assert opt in section, f"alert {name} {opt}"


def test_changes_summary():
    from plantwarden.cli.alerts import changes_summary
    from plantwarden.store.alerts import AlertChanges

    assert changes_summary(None) == "alerts: none"
    assert changes_summary(AlertChanges()) == "alerts: none"
    c = AlertChanges(new=Counter({"medium": 1, "critical": 2, "low": 0}), updated=Counter({"odd\x1b": 1}))
    assert changes_summary(c) == "alerts: 3 new (2 critical, 1 medium), 1 updated (1 odd\\x1b)"
