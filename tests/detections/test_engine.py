"""The detection engine: subscription, dedup window, evidence, a failing detection."""

from __future__ import annotations

import pytest

from plantwarden.core.alerts import HIGH, MAX_EVIDENCE, SEVERITIES
from plantwarden.core.events import Event
from plantwarden.core.flow import Flow
from plantwarden.detections.attack_ics import TECHNIQUES
from plantwarden.detections.base import Context, Detection, Finding, Option
from plantwarden.detections.engine import DetectionEngine
from plantwarden.detections.registry import DETECTIONS


class Writes(Detection):
    id = "test.writes"
    technique = "T0855"
    severity = HIGH
    events = frozenset({"x_write_request"})
    options = {"threshold": Option(0, "values above it")}

    def on_event(self, capture, flow, ev):
        if ev.fields["value"] > self.opts["threshold"]:
            yield Finding(f"{flow.orig_addr}->{flow.resp_addr}", "write", ev.ts, flow.orig_addr, flow.resp_addr,
                          {"value": ev.fields["value"]})


class Broken(Detection):
    id = "test.broken"
    technique = "T0855"
    severity = HIGH
    events = frozenset({"x_write_request"})

    def on_event(self, capture, flow, ev):
        raise RuntimeError("bug")


def flow():
    f = Flow("tcp", "10.0.0.1", 40000, "10.0.0.2", 502, 0.0, 1, 1)
    f.proto = "x"
    return f


def write(ts, value, frame=1):
    return Event("x_write_request", ts, frame, True, {"value": value})


def test_dedup_within_window_and_new_alert_after_quiet_window():
    eng = DetectionEngine([Writes], window=60)
    f = flow()
    for i, ts in enumerate([0, 10, 50, 200]):
        eng.on_event("c.pcap", f, write(ts, 5, frame=i + 1))
    eng.on_event("c.pcap", f, Event("x_read_request", 3, 9, True, {"value": 5}))  # not subscribed
    alerts = eng.alerts()
    assert [(a.count, a.first_seen, a.last_seen) for a in alerts] == [(3, 0, 50), (1, 200, 200)]
    a = alerts[0]
    assert (a.detection, a.technique, a.severity, a.src, a.dst, a.state) == (
        "test.writes", "T0855", "high", "10.0.0.1", "10.0.0.2", "new")
    assert a.evidence[1] == {"capture": "c.pcap", "ts": 10, "frame": 2, "event": "x_write_request", "proto": "x",
                             "flow": ["10.0.0.1", 40000, "10.0.0.2", 502, "tcp"], "details": {"value": 5}}


def test_evidence_is_bounded_and_options_apply():
    eng = DetectionEngine([Writes], Context(options={"test.writes": {"threshold": 3}}))
    f = flow()
    for i in range(MAX_EVIDENCE + 10):
        eng.on_event("c", f, write(float(i), 4))
    eng.on_event("c", f, write(100.0, 2))  # below the threshold
    [a] = eng.alerts()
    assert a.count == MAX_EVIDENCE + 10 and len(a.evidence) == MAX_EVIDENCE


def test_unknown_option_is_refused():
    with pytest.raises(ValueError, match="unknown option nope"):
        DetectionEngine([Writes], Context(options={"test.writes": {"nope": 1}}))


def test_a_failing_detection_is_switched_off_and_the_others_go_on():
    eng = DetectionEngine([Broken, Writes])
    f = flow()
    eng.on_event("c", f, write(1, 5))
    eng.on_event("c", f, write(2, 5))
    assert eng.errors == {"test.broken": "RuntimeError: bug"}
    assert [a.count for a in eng.alerts()] == [2]


def test_every_registered_detection_is_well_formed():
    ids = [d.id for d in DETECTIONS]
    assert len(ids) == len(set(ids))
    for d in DETECTIONS:
        assert d.id.count(".") == 1 and d.summary and (d.events or d.wants_flow_end), d.id
        assert d.severity in SEVERITIES, d.id
        name, _tactics, active = TECHNIQUES[d.technique]
        assert active, f"{d.id}: {d.technique} ({name}) is deprecated in ATT&CK for ICS"


def test_drain_hands_over_and_forgets():
    eng = DetectionEngine([Writes])
    f = flow()
    eng.on_event("c", f, write(1, 5))
    assert [a.count for a in eng.drain()] == [1]
    assert eng.alerts() == [] and eng.drain() == []
    eng.on_event("c", f, write(2, 5))
    assert [a.count for a in eng.alerts()] == [1]
