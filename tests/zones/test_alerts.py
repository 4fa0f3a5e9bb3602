"""``zones check --alerts``: one stored alert per violation, merged (not duplicated) when re-run."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from plantwarden.cli.main import main
from plantwarden.core.alerts import HIGH, MEDIUM, RESOLVED, SUPPRESSED
from plantwarden.store.service import Store
from plantwarden.zones.alerts import DETECTION, TECHNIQUE, alert_key, save_violation_alerts, severity
from plantwarden.zones.check import FUNCTION_CLASS, INITIATOR, NO_CONDUIT, PORT, PROTOCOL, Violation, check
from plantwarden.zones.model import load_model

from .conftest import ATTACKER, EWS, HMI, M340, S7
from .test_check import MODEL


@pytest.fixture
def db(demo, tmp_path) -> str:
    """A private copy of the demo store (the session's store stays free of alerts)."""
    path = tmp_path / "demo.sqlite"
    shutil.copy(demo.db, path)
    return str(path)


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def stored(db: str):
    with Store(db) as store:
        return {st.alert.key: st for st in store.alerts(detection=DETECTION)}


def violation(kind: str, detail: str = "d", count: int = 3, first: float = 100.0, last: float = 200.0) -> Violation:
    return Violation(kind, "c", "10.0.0.1", "10.0.0.2", "a", "b", "modbus", detail, count, first, last)


def test_severity_by_kind_and_one_key_per_function_class():
    assert severity(NO_CONDUIT) == HIGH
    assert [severity(k) for k in (PROTOCOL, PORT, INITIATOR, FUNCTION_CLASS)] == [MEDIUM] * 4
    assert alert_key(violation(NO_CONDUIT)) == "10.0.0.1->10.0.0.2/modbus/no_conduit"
    assert alert_key(violation(FUNCTION_CLASS, "write: write_single_register")) == \
        "10.0.0.1->10.0.0.2/modbus/function_class_not_allowed/write"
    assert alert_key(violation(FUNCTION_CLASS, "program: download")) != \
        alert_key(violation(FUNCTION_CLASS, "write: write_single_register"))


def test_one_alert_per_violation_and_a_rerun_changes_nothing(demo, db, tmp_path):
    (tmp_path / "m.yaml").write_text(MODEL)
    report = check(load_model(MODEL), demo.assets, demo.comms)
    r = run("zones", "check", str(tmp_path / "m.yaml"), "--db", db, "--alerts")
    assert r.exit_code == 1
    assert r.stderr == "alerts: 5 new (3 high, 2 medium), 0 updated\n"
    assert r.stdout.startswith("5 violation(s)")
    alerts = stored(db)
    assert sorted(alerts) == sorted(alert_key(v) for v in report.violations)
    for v in report.violations:
        a = alerts[alert_key(v)].alert
        assert (a.detection, a.technique, a.severity, a.src, a.dst) == (DETECTION, TECHNIQUE, severity(v.kind),
                                                                         v.client, v.server)
        assert (a.first_seen, a.last_seen, a.count, a.state) == (v.first_seen, v.last_seen, v.count, "new")
        (ev,) = a.evidence
        assert ev["kind"] == v.kind and ev["detail"] == v.detail and ev["count"] == v.count
    a = alerts[f"{ATTACKER}->{M340}/modbus/no_conduit"].alert
    assert a.severity == HIGH and a.count == 5 and "no conduit" in a.title
    a = alerts[f"{HMI}->{M340}/modbus/function_class_not_allowed/write"].alert
    assert a.severity == MEDIUM and a.evidence[0]["detail"] == "write: write_single_register"
    assert alerts[f"{EWS}->{S7}/s7comm/wrong_initiator"].alert.evidence[0]["conduit"] == "eng"
    # the same traffic checked again: nothing new to count
    before = {k: (st.id, st.alert.count, st.updated_at) for k, st in alerts.items()}
    r = run("zones", "check", str(tmp_path / "m.yaml"), "--db", db, "--alerts")
    assert r.exit_code == 1 and r.stderr == "alerts: none\n"
    assert {k: (st.id, st.alert.count, st.updated_at) for k, st in stored(db).items()} == before
    # without --alerts nothing is stored
    r = run("zones", "check", str(tmp_path / "m.yaml"), "--db", demo.db)
    assert r.exit_code == 1 and r.stderr == ""
    assert stored(demo.db) == {}


def test_new_occurrences_merge_by_the_rule(demo, db):
    report = check(load_model(MODEL), demo.assets, demo.comms)
    with Store(db) as store:
        save_violation_alerts(store, report.violations, now=1.0)
        v = next(x for x in report.violations if x.kind == NO_CONDUIT and x.server == M340)
        # the same communication after two more connections, a minute later
        grown = Violation(v.kind, v.conduit, v.client, v.server, v.client_zone, v.server_zone, v.protocol,
                          v.detail, v.count + 2, v.first_seen, v.last_seen + 60)
        changes = save_violation_alerts(store, [grown], now=2.0)
        assert (dict(changes.new), dict(changes.updated)) == ({}, {HIGH: 1})
        a = store.alerts(detection=DETECTION)
        assert len(a) == len(report.violations)
        (st,) = [x for x in a if x.alert.key == alert_key(v)]
        assert (st.alert.count, st.alert.first_seen, st.alert.last_seen) == (v.count + 2, v.first_seen,
                                                                              v.last_seen + 60)
        assert st.updated_at == 2.0 and len(st.alert.evidence) == 2
        # a suppressed alert stays suppressed and counts silently; a resolved one is closed for good
        store.set_alert_state(st.id, SUPPRESSED, "known vendor access")
        assert save_violation_alerts(store, [grown], now=3.0).updated == {}
        more = Violation(v.kind, v.conduit, v.client, v.server, v.client_zone, v.server_zone, v.protocol,
                         v.detail, v.count + 3, v.first_seen, v.last_seen + 90)
        assert save_violation_alerts(store, [more], now=3.5).updated == {HIGH: 1}
        assert (store.alert(st.id).alert.state, store.alert(st.id).alert.count) == (SUPPRESSED, v.count + 3)
        other = next(x for x in a if x.alert.key != alert_key(v))
        store.set_alert_state(other.id, RESOLVED)
        ov = next(x for x in report.violations if alert_key(x) == other.alert.key)
        assert save_violation_alerts(store, [ov], now=4.0).new == {}
        later = Violation(ov.kind, ov.conduit, ov.client, ov.server, ov.client_zone, ov.server_zone, ov.protocol,
                          ov.detail, ov.count + 1, ov.first_seen, ov.last_seen + 10)
        changes = save_violation_alerts(store, [later], now=5.0)
        assert sum(changes.new.values()) == 1
        again = [x for x in store.alerts(detection=DETECTION) if x.alert.key == other.alert.key]
        assert [(x.alert.state, x.alert.count) for x in again] == [(RESOLVED, ov.count), ("new", 1)]


def test_an_empty_store_stores_nothing(tmp_path):
    with Store(str(tmp_path / "e.sqlite")) as store:
        assert save_violation_alerts(store, [violation(NO_CONDUIT)]).new == {}
        assert store.alerts() == []


def test_plantwarden_alerts_lists_them(db, tmp_path):
    (tmp_path / "m.yaml").write_text(MODEL)
    run("zones", "check", str(tmp_path / "m.yaml"), "--db", db, "--alerts")
    r = run("alerts", "--db", db, "--detection", DETECTION, "--format", "json")
    assert r.exit_code == 0
    doc = json.loads(r.stdout)
    assert len(doc) == 5 and {d["detection"] for d in doc} == {DETECTION}
    assert {d["technique_name"] for d in doc} == {"Remote Services"}
    r = run("alerts", "--db", db, "--detection", DETECTION)
    assert r.exit_code == 0 and r.stdout.count(DETECTION) == 5
