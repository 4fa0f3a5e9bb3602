"""ics.new_asset and ics.reset_storm."""

from __future__ import annotations

from plantwarden.core.events import Event
from plantwarden.core.flow import Flow
from plantwarden.detections.assets import NewAsset, ResetStorm
from plantwarden.detections.base import Context
from plantwarden.detections.engine import DetectionEngine


def flow(orig, resp, port=502, proto="modbus", pkts=(3, 3), uid=1):
    f = Flow("tcp", orig, 40000, resp, port, 10.0, 1, uid)
    f.proto = proto
    f.orig_pkts, f.resp_pkts = pkts
    return f


def test_new_asset_needs_a_known_plant_and_reports_each_host_once():
    first = DetectionEngine([NewAsset])  # first analysis: nothing is news
    first.on_flow_end("c", flow("10.0.0.9", "10.0.0.2"))
    assert first.alerts() == []
    eng = DetectionEngine([NewAsset], Context(known_hosts=frozenset({"10.0.0.1", "10.0.0.2"})))
    eng.on_flow_end("c", flow("10.0.0.1", "10.0.0.2"))  # both known
    eng.on_flow_end("c", flow("10.0.0.9", "10.0.0.2", uid=2))  # a laptop appears
    eng.on_flow_end("c", flow("10.0.0.9", "10.0.0.2", uid=3))  # reported once
    eng.on_flow_end("c", flow("10.0.0.1", "10.0.0.255", port=137, proto=None, uid=4))  # broadcast: not a host
    eng.on_flow_end("c", flow("10.0.0.1", "10.0.0.7", pkts=(1, 0), uid=5))  # a silent address: not there
    [a] = eng.alerts()
    assert (a.detection, a.technique, a.src, a.key) == ("ics.new_asset", "T0864", "10.0.0.9", "10.0.0.9")


def restart(ts):
    return Event("dnp3_cold_restart_request", ts, 1, True, {"function_code": 13})


def test_reset_storm_counts_resets_per_device_in_a_window():
    eng = DetectionEngine([ResetStorm])
    f = flow("10.0.0.5", "10.0.0.20", 20000, "dnp3")
    for ts in (0, 10, 100, 110, 120, 125):  # 2 within 60 s, then 4 within 60 s
        eng.on_event("c", f, restart(float(ts)))
    [a] = eng.alerts()
    assert (a.detection, a.technique, a.dst, a.count, a.first_seen) == ("ics.reset_storm", "T0814", "10.0.0.20", 1, 120.0)
    assert a.title.startswith("reset storm: 3 resets of 10.0.0.20")


def test_reset_storm_options():
    eng = DetectionEngine([ResetStorm], Context(options={"ics.reset_storm": {"resets": 2, "window": 5.0}}))
    f = flow("10.0.0.5", "10.0.0.20", 20000, "dnp3")
    for ts in (0, 10, 12):
        eng.on_event("c", f, restart(float(ts)))
    assert [a.first_seen for a in eng.alerts()] == [12.0]
