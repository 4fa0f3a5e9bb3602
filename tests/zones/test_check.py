"""``check`` on the demo plant with a model holding deliberate violations: all of them, nothing else."""

from __future__ import annotations

from plantwarden.inventory.model import Asset, Communication, FunctionCount
from plantwarden.zones.check import (
    FUNCTION_CLASS,
    INITIATOR,
    NO_CONDUIT,
    PORT,
    PROTOCOL,
    check,
    place,
)
from plantwarden.zones.model import load_model

from .conftest import ATTACKER, EWS, HMI, M340, S7

MODEL = """
zones:
  - {name: control, purdue_level: 1, sl_t: 3, members: {cidrs: [10.10.10.0/24]}}
  - {name: hmi, purdue_level: 2, sl_t: 2, members: {macs: ["f4:8e:38:1c:42:07"]}}
  - {name: engineering, purdue_level: 2, sl_t: 2, members: {cidrs: [10.10.20.50]}}
  - {name: remote, sl_t: 1, members: {cidrs: [10.10.99.0/24]}}
  # the HMI is also inside this network, but its MAC is more specific
  - {name: supervisory, purdue_level: 2, sl_t: 2, members: {cidrs: [10.10.20.0/24]}}
conduits:
  # read-only: the HMI's Modbus write of a set-point is a violation
  - zones: [hmi, control]
    protocols: [{protocol: modbus, ports: [502]}, s7comm]
    function_classes: [read, diagnostic]
    initiators: [hmi]
  # the engineering station programs the S7, but only the control zone may initiate: wrong side
  - name: eng
    zones: [engineering, control]
    protocols: [{protocol: s7comm, ports: [102]}]
    function_classes: [program, mode, diagnostic]
    initiators: [control]
  # the attacker's zone has no conduit at all
"""


def key(v):
    return (v.kind, v.conduit, v.client, v.server, v.protocol, v.count)


def test_every_deliberate_violation_and_nothing_else(demo):
    report = check(load_model(MODEL), demo.assets, demo.comms)
    assert report.placement == {M340: "control", S7: "control", HMI: "hmi", EWS: "engineering", ATTACKER: "remote"}
    got = sorted(key(v) for v in report.violations)
    assert got == sorted([
        (FUNCTION_CLASS, "hmi--control", HMI, M340, "modbus", 5),
        (INITIATOR, "eng", EWS, S7, "s7comm", 1),
        (NO_CONDUIT, None, ATTACKER, M340, "modbus", 5),  # five connections
        (NO_CONDUIT, None, ATTACKER, S7, "modbus", 1),
        (NO_CONDUIT, None, ATTACKER, S7, "s7comm", 1),
    ])
    by_kind = {v.kind: v for v in report.violations}
    assert by_kind[FUNCTION_CLASS].detail == "write: write_single_register"
    assert by_kind[INITIATOR].detail == "engineering may not initiate (initiators: control)"
    comms = {(c.client, c.server, c.protocol): c for c in demo.comms}
    for v in report.violations:
        c = comms[(v.client, v.server, v.protocol)]
        assert (v.first_seen, v.last_seen) == (c.first_seen, c.last_seen)
    assert report.intra_zone == 0 and report.unplaced == [] and report.unzoned_assets == []
    assert len(report.observed) == len(demo.comms) == 6


def test_the_observed_classes_per_conduit(demo):
    m = load_model(MODEL)
    report = check(m, demo.assets, demo.comms)
    eng = m.conduits[1]
    (o,) = report.conduit_observed(eng)
    assert o.classes == {"diagnostic": 2, "mode": 3, "program": 6, "unclassified": 2}
    assert o.functions["mode"] == ["plc_control", "plc_stop"]
    hmi = {(x.comm.protocol): x.classes for x in report.conduit_observed(m.conduits[0])}
    assert hmi == {"modbus": {"read": 594, "write": 5, "diagnostic": 1},
                   "s7comm": {"read": 297, "unclassified": 2}}


def test_assets_in_no_zone_are_listed_and_their_traffic_is_not_checked(demo):
    text = MODEL.replace("  - {name: remote, sl_t: 1, members: {cidrs: [10.10.99.0/24]}}\n", "")
    report = check(load_model(text), demo.assets, demo.comms)
    assert [a.ip for a in report.unzoned_assets] == [ATTACKER]
    assert sorted((c.client, c.server, c.protocol) for c in report.unplaced) == [
        (ATTACKER, M340, "modbus"), (ATTACKER, S7, "modbus"), (ATTACKER, S7, "s7comm")]
    assert {v.kind for v in report.violations} == {FUNCTION_CLASS, INITIATOR}


def test_intra_zone_traffic_is_never_a_violation(demo):
    report = check(load_model("zones: [{name: all, sl_t: 1, members: {cidrs: [0.0.0.0/0]}}]"),
                   demo.assets, demo.comms)
    assert report.violations == [] and report.intra_zone == 6


def comm(client, server, proto, ports, **funcs):
    c = Communication(client, server, proto, "tcp", 10.0, 20.0, set(ports), flows=3)
    for code, (name, n) in funcs.items():
        c.functions[code.lstrip("_")] = FunctionCount(code.lstrip("_"), name, n, n)
    return c


SMALL = """
zones: [{name: a, sl_t: 1, members: {cidrs: [10.0.1.0/24]}}, {name: b, sl_t: 1, members: {cidrs: [10.0.2.0/24]}}]
conduits: [{zones: [a, b], protocols: [{protocol: modbus, ports: [502]}, dnp3], initiators: [a]}]
"""


def test_protocol_port_and_initiator():
    comms = [comm("10.0.1.1", "10.0.2.1", "modbus", [502, 5020], _3=("read_holding_registers", 4)),
             comm("10.0.1.1", "10.0.2.1", "s7comm", [102]),
             comm("10.0.1.1", "10.0.2.1", "dnp3", [20000, 20001]),
             comm("10.0.2.1", "10.0.1.1", "modbus", [502])]
    report = check(load_model(SMALL), [], comms)
    got = sorted((v.kind, v.client, v.protocol, v.detail, v.count) for v in report.violations)
    assert got == sorted([
        (INITIATOR, "10.0.2.1", "modbus", "b may not initiate (initiators: a)", 3),
        (PORT, "10.0.1.1", "modbus", "modbus on server port(s) 5020", 3),
        (PROTOCOL, "10.0.1.1", "s7comm", "s7comm is not allowed", 3),
    ])


def test_function_classes_are_checked_only_when_the_conduit_lists_them():
    c = comm("10.0.1.1", "10.0.2.1", "modbus", [502], _6=("write_single_register", 2), _90=("umas", 1))
    assert check(load_model(SMALL), [], [c]).violations == []
    strict = SMALL.replace("initiators: [a]", "initiators: [a], function_classes: [write]")
    (v,) = check(load_model(strict), [], [c]).violations
    assert (v.kind, v.detail, v.count) == (FUNCTION_CLASS, "program: umas", 1)


def test_placement_prefers_mac_then_tag_then_longest_prefix_then_file_order():
    m = load_model("""
tags: {hist: [10.0.0.9]}
zones:
  - {name: wide, sl_t: 1, members: {cidrs: [10.0.0.0/8]}}
  - {name: narrow, sl_t: 1, members: {cidrs: [10.0.0.0/24, "fd00::/64"]}}
  - {name: same, sl_t: 1, members: {cidrs: [10.0.0.0/24]}}
  - {name: bytag, sl_t: 1, members: {tags: [hist, role-plc]}}
  - {name: bymac, sl_t: 1, members: {macs: ["00:00:00:00:00:01"]}}
""")
    plc = Asset("10.0.0.7", 0, 0)
    plc.behaviour["serves"] = 1
    by_mac = Asset("10.0.0.9", 0, 0, macs={"00:00:00:00:00:01": 1})
    name = lambda ip, a=None: (z.name if (z := place(m, ip, a)) else None)  # noqa: E731
    assert name("10.1.0.1") == "wide"
    assert name("10.0.0.1") == "narrow"
    assert name("fd00::1") == "narrow"
    assert name("10.0.0.9") == "bytag"
    assert name("10.0.0.7", plc) == "bytag"
    assert name("10.0.0.9", by_mac) == "bymac"
    assert name("192.168.0.1") is None
    assert name("not-an-ip") is None
