"""Alerts in the store, on SQLite and PostgreSQL: round trip, merge across captures, states, idempotence."""

from __future__ import annotations

import math

import pytest

from plantwarden.core.alerts import (
    ACKNOWLEDGED,
    HIGH,
    MAX_EVIDENCE,
    MEDIUM,
    NEW,
    RESOLVED,
    SUPPRESSED,
    Alert,
)
from plantwarden.core.errors import InvalidInput
from plantwarden.detections.base import Context, Detection, Finding
from plantwarden.inventory.model import Inventory
from plantwarden.store.alerts import UnknownAlertError, jsonable
from plantwarden.store.service import CaptureInfo, Store

from .test_store import EWS, PLC, inventory

WINDOW = 3600.0


def ev(ts, capture="one.pcap", frame=1, **details):
    return {"capture": capture, "ts": ts, "frame": frame, "event": "s7comm_plc_stop_request", "proto": "s7comm",
            "flow": [EWS, 40001, PLC, 102, "tcp"], "details": details or {"function_code": 41}}


def alert(ts, n=1, detection="ics.plc_stop", key=f"{EWS}->{PLC}", severity=HIGH, capture="one.pcap",
          step=1.0, technique="T0858"):
    """An alert as the engine makes it: ``n`` occurrences ``step`` seconds apart from ``ts``."""
    a = Alert(detection, technique, severity, f"S7 PLC stop: {EWS} -> {PLC} (s7comm)", key, EWS, PLC, ts, ts,
              evidence=[ev(ts, capture)])
    for i in range(1, n):
        a.add(ts + i * step, ev(ts + i * step, capture, frame=i + 1))
    return a


def cap(sha, name="one.pcap"):
    return CaptureInfo(name, sha * 64, 100, packets=10)


def save(store, sha, alerts, name="one.pcap", window=WINDOW):
    return store.save_analysis(cap(sha, name), Inventory(), alerts, window)


def test_round_trip(target):
    a = alert(1000.0, n=3)
    b = alert(1010.0, detection="ics.operating_mode_change", severity=MEDIUM, technique="T0858")
    with Store(target) as store:
        changes = save(store, "a", [b, a])
        assert changes is not None
        assert dict(changes.new) == {HIGH: 1, MEDIUM: 1} and not changes.updated
        assert len(changes.new_ids) == 2 and changes.updated_ids == []
    with Store(target) as store:
        got = store.alerts()
        assert [s.alert.detection for s in got] == ["ics.plc_stop", "ics.operating_mode_change"]  # traffic order
        s = got[0]
        assert s.alert == a  # every field, the evidence included
        assert s.alert.state == NEW and s.state_reason is None and s.state_changed_at is None
        assert s.history == [] and s.created_at == s.updated_at > 0
        assert store.alert(s.id).alert == a
        assert store.alert_counts() == {NEW: 2}
        assert [x.alert.detection for x in store.alerts(detection="ics.operating_mode_change")] == [
            "ics.operating_mode_change"]
        assert store.alerts(state=SUPPRESSED) == []


def test_merge_across_captures_within_the_window(target):
    with Store(target) as store:
        save(store, "a", [alert(1000.0, n=2)])
        changes = save(store, "b", [alert(1000.0 + WINDOW, n=3, capture="two.pcap")], name="two.pcap")
        assert dict(changes.updated) == {HIGH: 1} and not changes.new
        [s] = store.alerts()
        assert changes.updated_ids == [s.id]
        assert (s.alert.count, s.alert.first_seen, s.alert.last_seen) == (5, 1000.0, 1000.0 + WINDOW + 2)
        assert [e["capture"] for e in s.alert.evidence] == ["one.pcap"] * 2 + ["two.pcap"] * 3
        assert s.updated_at >= s.created_at


def test_an_older_capture_analysed_later_merges_too(target):
    with Store(target) as store:
        save(store, "a", [alert(5000.0)])
        save(store, "b", [alert(2000.0, n=2)], name="older.pcap")  # ends 2001: gap 2999 s
        [s] = store.alerts()
        assert (s.alert.count, s.alert.first_seen, s.alert.last_seen) == (3, 2000.0, 5000.0)
        assert [e["ts"] for e in s.alert.evidence] == [2000.0, 2001.0, 5000.0]  # earliest first


def test_beyond_the_window_or_another_key_is_a_new_alert(target):
    with Store(target) as store:
        save(store, "a", [alert(1000.0)])
        changes = save(store, "b", [alert(1000.0 + WINDOW + 0.5), alert(1000.0, key=f"10.9.9.9->{PLC}"),
                                    alert(1000.0, detection="ics.program_download")])
        assert dict(changes.new) == {HIGH: 3} and not changes.updated
        assert len(store.alerts()) == 4


def test_evidence_stays_bounded_across_merges(target):
    with Store(target) as store:
        for i, sha in enumerate("abc"):
            save(store, sha, [alert(1000.0 + i * 100, n=MAX_EVIDENCE)])
        [s] = store.alerts()
        assert s.alert.count == 3 * MAX_EVIDENCE
        assert len(s.alert.evidence) == MAX_EVIDENCE
        assert s.alert.evidence[0]["ts"] == 1000.0 and s.alert.evidence[-1]["ts"] == 1000.0 + MAX_EVIDENCE - 1


def test_alerts_of_one_capture_chain_into_a_stored_one(target):
    """The engine's two alerts of one key (a quiet window between them) both join a stored one that spans them."""
    with Store(target) as store:
        save(store, "a", [alert(1000.0, n=2, step=WINDOW)])  # 1000 .. 4600
        changes = save(store, "b", [alert(0.0), alert(8000.0)])
        assert dict(changes.updated) == {HIGH: 1} and changes.new_ids == []
        [s] = store.alerts()
        assert (s.alert.count, s.alert.first_seen, s.alert.last_seen) == (4, 0.0, 8000.0)


def test_a_row_made_by_this_capture_that_absorbs_another_counts_as_new_only(target):
    with Store(target) as store:
        changes = save(store, "a", [alert(1000.0), alert(9000.0)], window=10_000.0)  # a wider store window
        assert dict(changes.new) == {HIGH: 1} and not changes.updated and changes.updated_ids == []
        assert [s.alert.count for s in store.alerts()] == [2]
        changes = save(store, "b", [alert(1000.0 + WINDOW, capture="x")])
        assert dict(changes.updated) == {HIGH: 1} and not changes.new
        assert [s.alert.count for s in store.alerts()] == [3]


def test_states_are_recorded_with_time_and_reason(target):
    with Store(target) as store:
        save(store, "a", [alert(1000.0)])
        [s] = store.alerts()
        acked = store.set_alert_state(s.id, ACKNOWLEDGED, at=2000.0)
        assert (acked.alert.state, acked.state_changed_at, acked.state_reason) == (ACKNOWLEDGED, 2000.0, None)
        sup = store.set_alert_state(s.id, SUPPRESSED, "  approved maintenance  ", at=3000.0)
        assert (sup.alert.state, sup.state_reason, sup.updated_at) == (SUPPRESSED, "approved maintenance", 3000.0)
        assert [(h.state, h.reason, h.at) for h in sup.history] == [
            (ACKNOWLEDGED, None, 2000.0), (SUPPRESSED, "approved maintenance", 3000.0)]
        res = store.set_alert_state(s.id, RESOLVED)
        assert res.alert.state == RESOLVED and res.state_reason is None and len(res.history) == 3
        assert res.state_changed_at is not None and res.state_changed_at > 3000.0
        assert store.alert_counts() == {RESOLVED: 1}
        assert [x.id for x in store.alerts(state=RESOLVED)] == [s.id]


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_suppressing_needs_a_reason(target, reason):
    with Store(target) as store:
        save(store, "a", [alert(1000.0)])
        [s] = store.alerts()
        with pytest.raises(InvalidInput, match="reason"):
            store.set_alert_state(s.id, SUPPRESSED, reason)
        assert store.alert(s.id).alert.state == NEW and store.alert(s.id).history == []


def test_unknown_id_or_state_is_a_clear_error(target):
    with Store(target) as store:
        save(store, "a", [alert(1000.0)])
        with pytest.raises(UnknownAlertError, match="no alert with id 999"):
            store.set_alert_state(999, ACKNOWLEDGED)
        with pytest.raises(UnknownAlertError):
            store.alert(999)
        [s] = store.alerts()
        with pytest.raises(InvalidInput, match="unknown alert state"):
            store.set_alert_state(s.id, "closed")
        assert store.alert(s.id).history == []


def test_suppressed_absorbs_recurrences_and_resolved_does_not(target):
    with Store(target) as store:
        save(store, "a", [alert(1000.0), alert(1000.0, key="other")])
        quiet, closed = sorted(store.alerts(), key=lambda s: s.alert.key)
        store.set_alert_state(quiet.id, SUPPRESSED, "lab PLC")
        store.set_alert_state(closed.id, RESOLVED)
        changes = save(store, "b", [alert(1100.0), alert(1100.0, key="other")])
        assert changes.updated_ids == [quiet.id] and len(changes.new_ids) == 1
        again = store.alert(quiet.id)
        assert again.alert.state == SUPPRESSED and again.alert.count == 2 and again.state_reason == "lab PLC"
        assert store.alert(closed.id).alert.count == 1
        fresh = store.alert(changes.new_ids[0])
        assert fresh.alert.key == "other" and fresh.alert.state == NEW


def test_saving_a_known_capture_changes_no_alert(target):
    with Store(target) as store:
        inv = inventory()
        info = CaptureInfo("one.pcap", "a" * 64, 1, packets=1, first_ts=inv.first_ts, last_ts=inv.last_ts)
        assert store.save(info, inv, [alert(1000.0)]) is True
        before = store.alerts()
        assert store.save_analysis(info, inventory(), [alert(1000.0), alert(1.0, key="x")]) is None
        assert store.save(info, inventory(), [alert(1000.0)]) is False
        assert store.alerts() == before


def test_hostile_and_odd_values_are_stored(target):
    a = Alert("ics.x", "T0855", HIGH, "stop \x00\x1b[31m\u202e", "k\x00" + "y" * 600, "10.0.0.1", None, 1.0, 1.0,
              evidence=[{"capture": "c", "ts": 1.0, "frame": 1, "event": "e", "proto": "p", "flow": ("a", 1, "b", 2, "tcp"),
                         "details": {"raw": b"\x00\xff", "nan": math.nan, "name": "a\x00b", 3: {1, 2}}}])
    with Store(target) as store:
        save(store, "a", [a])
        [s] = store.alerts()
        assert s.alert.title == "stop \\x00\x1b[31m\u202e"
        assert s.alert.key == ("k\\x00" + "y" * 600)[:512] and s.alert.dst is None
        assert s.alert.evidence[0]["details"] == {"raw": "00ff", "nan": "nan", "name": "a\\x00b", "3": [1, 2]}
        assert s.alert.evidence[0]["flow"] == ["a", 1, "b", 2, "tcp"]
        # the same alert again merges: the stored key is the cut, escaped one
        save(store, "b", [a])
        assert [x.alert.count for x in store.alerts()] == [2]


def test_jsonable_keeps_json_values():
    doc = {"a": [1, 2.5, None, True, "x"], "b": {"c": -1}}
    assert jsonable(doc) == doc
    assert jsonable(math.inf) == "inf"


def test_context_comes_from_the_store_before_the_capture(target, tmp_path):
    from plantwarden.demo import generate_demo_capture
    from plantwarden.store.ingest import context_from, ingest

    seen: list[Context] = []

    class Spy(Detection):
        id = "test.spy"
        technique = "T0846"
        severity = MEDIUM
        events = frozenset({"s7comm_plc_stop_request"})

        def __init__(self, context):
            super().__init__(context)
            seen.append(context)

        def on_event(self, capture, flow, e):
            yield Finding(flow.orig_addr, "spy", e.ts, flow.orig_addr, flow.resp_addr, {})

    with Store(target) as store:
        assert context_from(store) == Context()
        first = ingest(store, generate_demo_capture(tmp_path / "a.pcap"), detections=[Spy])
        assert seen[0].known_hosts == frozenset() and seen[0].known_pairs == frozenset()
        assert {a.src for a in first.alerts} == {"10.10.20.50", "10.10.99.66"}
        assert store.known_hosts() == {a.ip for a in store.assets()} and PLC not in store.known_hosts()
        assert ("10.10.20.50", "10.10.10.12", "s7comm") in store.known_pairs()
        ingest(store, generate_demo_capture(tmp_path / "b.pcap", seed=2), detections=[Spy],
               options={"test.spy": {}})
        assert seen[1].known_hosts == store.known_hosts() and "10.10.10.12" in seen[1].known_hosts
        assert seen[1].known_pairs == store.known_pairs()
        assert [s.alert.count for s in store.alerts()] == [2, 2]  # merged across the two captures


def test_ingest_stores_the_registered_detections_alerts_once(target, tmp_path):
    from plantwarden.demo import generate_demo_capture
    from plantwarden.store.ingest import ingest

    cap_path = generate_demo_capture(tmp_path / "demo.pcap")
    with Store(target) as store:
        res = ingest(store, cap_path)
        assert res.stored and res.detection_errors == {} and res.alert_changes is not None
        stops = {s.alert.src: s for s in store.alerts(detection="ics.plc_stop")}
        assert set(stops) == {"10.10.20.50", "10.10.99.66"}
        assert all(s.alert.dst == "10.10.10.12" and s.alert.technique == "T0858" for s in stops.values())
        assert sum(res.alert_changes.new.values()) == len(store.alerts()) == len(res.alerts)
        before = store.alerts()
        again = ingest(store, cap_path)
        assert not again.stored and again.alerts == [] and again.alert_changes is None
        assert store.alerts() == before


def test_a_failing_detection_is_reported_and_the_rest_is_stored(target, tmp_path):
    from plantwarden.demo import generate_demo_capture
    from plantwarden.detections.registry import DETECTIONS
    from plantwarden.store.ingest import ingest

    class Broken(Detection):
        id = "test.broken"
        technique = "T0855"
        severity = HIGH
        events = frozenset({"modbus_read_holding_registers_request"})

        def on_event(self, capture, flow, e):
            raise RuntimeError("bug")

    with Store(target) as store:
        res = ingest(store, generate_demo_capture(tmp_path / "d.pcap"), detections=[*DETECTIONS, Broken])
        assert res.detection_errors == {"test.broken": "RuntimeError: bug"}
        assert res.stored and len(store.alerts(detection="ics.plc_stop")) == 2 and len(store.assets()) == 5


def test_no_detections_means_no_alerts(target, tmp_path):
    from plantwarden.demo import generate_demo_capture
    from plantwarden.store.ingest import ingest

    with Store(target) as store:
        res = ingest(store, generate_demo_capture(tmp_path / "d.pcap"), detections=())
        assert res.stored and res.alerts == [] and store.alerts() == []
        assert res.alert_changes is not None and not res.alert_changes.new


def test_a_0001_database_is_upgraded_keeping_its_data(target):
    from plantwarden.store.db import current_revision, make_engine, upgrade

    engine = make_engine(target)
    upgrade(engine, "0001")
    assert current_revision(engine) == "0001"
    engine.dispose()
    from alembic.script import ScriptDirectory

    from plantwarden.store.db import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with Store(target) as store:  # opening upgrades to the head
        assert current_revision(store.engine) == head
        inv = inventory()
        store.save(CaptureInfo("one.pcap", "a" * 64, 1), inv, [alert(1000.0)])
    from plantwarden.store.db import alembic_config

    engine = make_engine(target)
    try:
        from alembic import command

        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0001")
        assert current_revision(engine) == "0001"
    finally:
        engine.dispose()
    with Store(target) as store:
        assert store.alerts() == [] and len(store.captures()) == 1
