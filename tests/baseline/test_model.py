"""The baseline model, what a request means for it, the learning sink, and change windows (no store)."""

from __future__ import annotations

import math

from plantwarden.baseline.accept import delta_from_evidence, deviation
from plantwarden.baseline.extract import function_of, write_targets
from plantwarden.baseline.learner import BaselineLearner
from plantwarden.baseline.model import (
    MAX_RANGES,
    Baseline,
    add_range,
    baseline_document,
    covered,
    from_mapping,
)
from plantwarden.baseline.windows import APPROVED, ChangeWindow, apply_windows
from plantwarden.core.alerts import Alert
from plantwarden.core.events import Event
from plantwarden.core.flow import Flow


def test_ranges_join_touching_and_overlapping_ones():
    rs: list[list[int]] = []
    assert add_range(rs, 10, 12)
    assert add_range(rs, 0, 3)
    assert add_range(rs, 13, 20)  # touches 10-12
    assert rs == [[0, 3], [10, 20]]
    assert not add_range(rs, 11, 15)  # already covered
    assert add_range(rs, 2, 11)
    assert rs == [[0, 20]]
    assert covered(rs, 5, 20) and not covered(rs, 5, 21)


def test_ranges_are_bounded_by_joining_the_closest():
    rs: list[list[int]] = []
    for i in range(MAX_RANGES + 5):
        add_range(rs, i * 10, i * 10)
    assert len(rs) == MAX_RANGES
    assert covered(rs, 0, 0) and covered(rs, (MAX_RANGES + 4) * 10, (MAX_RANGES + 4) * 10)


def test_function_names():
    assert function_of("modbus_write_single_register_request", "modbus", {}) == "write_single_register"
    assert function_of("modbus_umas_request", "modbus", {"umas_function": 0x41}) == "umas/65"
    assert function_of("modbus_diagnostics_request", "modbus", {"subfunction": 4}) == "diagnostics/4"
    assert function_of("s7comm_userdata_request", "s7comm", {"userdata_group_name": "cpu_functions",
                                                              "userdata_subfunction_name": "read_szl"}) \
        == "userdata/cpu_functions/read_szl"
    assert function_of("enip_unknown_service_request", "enip", {"service_code": 0x4B}) == "unknown_service/0x4b"
    assert function_of("iec104_c_sc_na_1", "iec104", {}) == "c_sc_na_1"


def test_write_targets_per_protocol():
    assert write_targets("modbus_write_multiple_registers_request", {"unit_id": 1, "address": 10, "quantity": 4}) \
        == [("unit1/holding", 10, 13)]
    assert write_targets("modbus_write_single_coil_request", {"unit_id": 2, "address": 7}) == [("unit2/coils", 7, 7)]
    assert write_targets("modbus_read_write_multiple_registers_request",
                         {"unit_id": 1, "write_address": 5, "write_quantity": 2}) == [("unit1/holding", 5, 6)]
    assert write_targets("s7comm_write_var_request", {"items": [
        {"area": "db", "db_number": 3, "byte_address": 8, "length": 4}, {"area": "m", "byte_address": 0, "length": 1}]}) \
        == [("db3", 8, 11), ("m", 0, 0)]
    assert write_targets("dnp3_direct_operate_request", {"objects": [{"group": 12, "indexes": [3, 1]}]}) \
        == [("g12", 1, 3)]
    assert write_targets("iec104_c_se_nc_1", {"ioa": 4001}) == [("c_se_nc_1", 4001, 4001)]
    assert write_targets("iec104_c_cs_na_1", {"ioa": 0}) == []  # a clock sync writes no point
    assert write_targets("enip_set_attribute_single_request", {"class": 0xF5, "instance": 1}) == [("class245", 1, 1)]
    assert write_targets("modbus_read_coils_request", {"unit_id": 1, "address": 0, "quantity": 8}) == []
    assert write_targets("modbus_write_single_register_request", {"address": "x"}) == []


def _flow(orig: str = "10.0.0.1", resp: str = "10.0.0.2") -> Flow:
    f = Flow.__new__(Flow)
    for k, v in {"orig_addr": orig, "resp_addr": resp, "orig_port": 40000, "resp_port": 502, "uid": 1,
                 "proto": "modbus", "transport": "tcp"}.items():
        object.__setattr__(f, k, v)
    return f


def _ev(name: str, ts: float, is_orig: bool = True, **fields: object) -> Event:
    return Event(name, ts, 1, is_orig, dict(fields))


def test_learner_learns_only_in_its_period_and_keeps_a_delta():
    b = Baseline().learn(10.0)
    sink = BaselineLearner(b)
    fl = _flow()
    sink.on_event("c", fl, _ev("modbus_write_single_register_request", 100.0, unit_id=1, address=4, quantity=1,
                              values=[50], function_code=6))
    sink.on_event("c", fl, _ev("modbus_read_holding_registers_response", 101.0, False, unit_id=1, address=0,
                              values=[1, 2, 3, 4, 70]))
    sink.on_event("c", fl, _ev("modbus_write_multiple_coils_request", 111.0, unit_id=1, address=0, quantity=8))
    assert b.run_start == 100.0 and b.learn_until == 110.0 and sink.done
    assert b.has_function("10.0.0.1", "10.0.0.2", "modbus", "write_single_register")
    assert not b.has_function("10.0.0.1", "10.0.0.2", "modbus", "write_multiple_coils")
    assert b.pairs[("10.0.0.1", "10.0.0.2", "modbus")].writes == {"unit1/holding": [[4, 4]]}
    r = b.value_range("10.0.0.2", 1, 4)
    assert r is not None and (r.low, r.high) == (50, 70)
    assert sink.delta.pairs.keys() == b.pairs.keys() and sink.requests == 1


def test_a_baseline_that_neither_knows_nor_learns_is_false():
    assert not Baseline()
    assert Baseline().learn()
    assert Baseline().learn().learning(1e12) and Baseline().learn_until is None


def test_document_round_trip_and_merge():
    b = Baseline()
    b.see_request("a", "b", "modbus", "read_coils", 5.0)
    b.see_request("a", "b", "modbus", "write_single_coil", 6.0, [("unit1/coils", 3, 3)])
    b.see_values("b", 1, 10, [7, 9], 6.0)
    doc = baseline_document(b)
    again = from_mapping(doc)
    assert baseline_document(again) == doc
    again.merge(b)
    p = again.pairs[("a", "b", "modbus")]
    assert p.requests == 4 and p.functions == {"read_coils": 2, "write_single_coil": 2}
    assert again.values[("b", 1, 10)].count == 2


def test_delta_from_deviation_evidence():
    ev = [{"ts": 3.0, "details": {"baseline": deviation("a", "b", "modbus", "write_multiple_registers",
                                                         [("unit1/holding", 0, 3)], [(1, 0, 9999)])}},
          {"ts": 4.0, "details": {"other": 1}}]
    d = delta_from_evidence(ev)
    assert d.has_function("a", "b", "modbus", "write_multiple_registers")
    assert d.pairs[("a", "b", "modbus")].writes == {"unit1/holding": [[0, 3]]}
    assert d.values[("b", 1, 0)].low == 9999
    assert not delta_from_evidence([{"details": {}}]).pairs


def _alert(detection: str, times: list[float], src: str = "ews", dst: str = "plc", count: int | None = None) -> Alert:
    a = Alert(detection, "T0843", "high", "t", f"{src}->{dst}", src, dst, times[0], times[-1], len(times),
              evidence=[{"ts": t} for t in times])
    if count is not None:
        a.count = count
    return a


def test_window_covers_by_time_asset_and_host():
    w = ChangeWindow(100.0, 200.0, ["plc"], ["ews"], "Ann", "OB1", id=3)
    assert w.covers(150.0, "ews", "plc")
    assert not w.covers(250.0, "ews", "plc")
    assert not w.covers(150.0, "attacker", "plc")
    assert not w.covers(150.0, "ews", "other-plc")
    assert ChangeWindow(100.0, 200.0).covers(150.0, "x", "y")
    assert w.reason() == "change window 3 by Ann: OB1"


def test_apply_windows_approves_splits_and_leaves_other_detections():
    w = ChangeWindow(100.0, 200.0, ["plc"], ["ews"])
    inside = _alert("ics.program_download", [110.0, 120.0])
    mixed = _alert("ics.plc_stop", [150.0, 300.0, 310.0])
    scan = _alert("ics.network_scan", [150.0])
    out = apply_windows([inside, mixed, scan], [w])
    assert [(a.detection, a.count, win is w) for a, win in out] == [
        ("ics.program_download", 2, True), ("ics.plc_stop", 1, True), ("ics.plc_stop", 2, False),
        ("ics.network_scan", 1, False)]
    approved, rest = out[1][0], out[2][0]
    assert (approved.first_seen, approved.last_seen) == (150.0, 150.0)
    assert (rest.first_seen, rest.last_seen) == (300.0, 310.0)
    assert mixed.count == 3  # the input is not changed
    assert apply_windows([inside], []) == [(inside, None)]
    assert APPROVED == "approved"


def test_apply_windows_puts_uncounted_occurrences_with_the_last_ones():
    w = ChangeWindow(100.0, 200.0)
    a = _alert("ics.device_restart", [150.0, 160.0], count=30)
    a.last_seen = 500.0  # occurrences beyond the kept evidence ran past the window
    (yes, wy), (no, wn) = apply_windows([a], [w])
    assert wy is w and wn is None and yes.count == 2 and no.count == 28 and no.last_seen == 500.0
    assert math.isclose(no.first_seen, 500.0)
