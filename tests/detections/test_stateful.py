"""The stateful detections on hand-made events: what makes them fire, what keeps them silent."""

from __future__ import annotations

from plantwarden.core.events import Event
from plantwarden.core.flow import Flow
from plantwarden.detections.alarms import UnsolicitedDisabled
from plantwarden.detections.base import Context
from plantwarden.detections.credentials import CredentialsInClear, DefaultCredentials
from plantwarden.detections.discovery import IdentificationScan, NetworkScan
from plantwarden.detections.engine import DetectionEngine
from plantwarden.detections.masters import CoilForcing, NewTalker, TimeChange, WriteFromUnknownMaster
from plantwarden.detections.scans import RegisterScan, RequestFlood, UnitIdScan
from plantwarden.detections.values import ValueOutOfRange

HMI, EVIL, PLC = "10.0.0.10", "10.0.0.66", "10.0.0.2"
_uid = iter(range(1, 10**6))


def flow(src=HMI, dst=PLC, port=502, proto="modbus"):
    f = Flow("tcp", src, 40000, dst, port, 0.0, 1, next(_uid))
    f.proto = proto
    return f


def mb(name, ts, **fields):
    fields.setdefault("unit_id", 1)
    fields.setdefault("function_code", {"read_holding_registers": 3, "write_single_register": 6,
                                        "write_multiple_coils": 15, "read_device_identification": 43}.get(
        name.split("modbus_", 1)[1].rsplit("_", 1)[0], 3))
    return Event(name, ts, int(ts * 10) + 1, not name.endswith(("_response", "_exception")), fields)


def run(cls, items, context=None, ends=()):
    eng = DetectionEngine([cls], context)
    for f, ev in items:
        eng.on_event("t", f, ev)
    for f in ends:
        eng.on_flow_end("t", f)
    assert eng.errors == {}
    return eng.alerts()


def test_write_from_unknown_master_learns_then_reports_only_strangers():
    hmi, evil = flow(), flow(EVIL)
    items = [(hmi, mb("modbus_read_holding_registers_request", t, address=0, quantity=2)) for t in range(0, 100, 5)]
    items += [(hmi, mb("modbus_write_single_register_request", 80, address=1, values=[5]))]
    items += [(evil, mb("modbus_read_holding_registers_request", 90, address=0, quantity=1))]  # a read: no
    items += [(evil, mb("modbus_write_single_register_request", 95, address=1, values=[5]))]
    [a] = run(WriteFromUnknownMaster, items)
    assert (a.src, a.dst, a.technique, a.first_seen) == (EVIL, PLC, "T0855", 95)
    # a write by the stranger while learning is silent (nothing is reported while learning)
    assert run(WriteFromUnknownMaster, [(evil, mb("modbus_write_single_register_request", 1, values=[5]))]) == []


def test_write_from_unknown_master_with_known_hosts_from_the_store():
    ctx = Context(known_hosts=frozenset({HMI}))
    items = [(flow(), mb("modbus_write_single_register_request", 1, address=1, values=[5])),
             (flow(EVIL), mb("modbus_write_single_register_request", 2, address=1, values=[5]))]
    assert [a.src for a in run(WriteFromUnknownMaster, items, ctx)] == [EVIL]


def test_new_talker_once_per_pair_and_known_pairs():
    items = [(flow(), mb("modbus_read_holding_registers_request", 0))]
    items += [(flow(EVIL), mb("modbus_read_holding_registers_request", 70 + i)) for i in range(3)]
    [a] = run(NewTalker, items)
    assert (a.src, a.technique, a.count) == (EVIL, "T0848", 1)
    ctx = Context(known_hosts=frozenset({HMI}), known_pairs=frozenset({(HMI, PLC, "modbus")}))
    got = run(NewTalker, [(flow(), mb("modbus_read_holding_registers_request", 0)),
                          (flow(EVIL), mb("modbus_read_holding_registers_request", 1))], ctx)
    assert [a.src for a in got] == [EVIL]


def test_coil_forcing_spares_the_learned_coil_writer():
    hmi, evil = flow(), flow(EVIL)
    items = [(hmi, mb("modbus_write_multiple_coils_request", 5, address=0, values=[1])),
             (hmi, mb("modbus_write_multiple_coils_request", 100, address=0, values=[0])),
             (evil, mb("modbus_write_multiple_coils_request", 101, address=0, values=[1]))]
    assert [a.src for a in run(CoilForcing, items)] == [EVIL]


def test_value_out_of_range_tolerance():
    f = flow()
    items = [(f, mb("modbus_read_holding_registers_response", t, address=0, values=[1000, 50])) for t in range(0, 60, 5)]
    items += [(f, mb("modbus_write_single_register_request", 70, address=0, values=[1200])),  # within 25 %
              (f, mb("modbus_write_single_register_request", 71, address=5, values=[9])),  # never learned
              (f, mb("modbus_write_single_register_request", 72, address=1, values=[61]))]  # within min_margin
    assert run(ValueOutOfRange, items) == []
    items.append((f, mb("modbus_write_multiple_registers_request", 73, address=0, values=[9999, 50])))
    [a] = run(ValueOutOfRange, items)
    assert a.evidence[0]["details"]["out_of_range"] == [{"register": 0, "value": 9999, "learned": [1000, 1000]}]


def test_identification_scan_only_without_process_data():
    hmi, evil = flow(), flow(EVIL)
    items = [(hmi, mb("modbus_read_device_identification_request", 0)),
             (hmi, mb("modbus_read_holding_registers_request", 1)),
             (evil, mb("modbus_read_device_identification_request", 2))]
    [a] = run(IdentificationScan, items, ends=[hmi, evil])
    assert (a.src, a.technique) == (EVIL, "T0888")
    # a discovery connection followed by a polling connection of the same pair is routine
    first, second = flow(EVIL), flow(EVIL)
    items = [(first, mb("modbus_read_device_identification_request", 0)),
             (second, mb("modbus_read_holding_registers_request", 1))]
    assert run(IdentificationScan, items, ends=[first, second]) == []
    # with the store: at once, from unknown hosts only
    ctx = Context(known_hosts=frozenset({HMI}))
    got = run(IdentificationScan, [(flow(), mb("modbus_read_device_identification_request", 0)),
                                   (flow(EVIL), mb("modbus_read_device_identification_request", 1))], ctx)
    assert [a.src for a in got] == [EVIL]


def probe(dst, port, ts, answered=False):
    f = Flow("tcp", EVIL, 40000, dst, port, ts, 1, next(_uid))
    f.orig_pkts, f.resp_pkts, f.resp_bytes = 1, 1, (10 if answered else 0)
    return f


def test_network_scan_hosts_ports_and_window():
    assert run(NetworkScan, [], ends=[probe(f"10.0.1.{i}", 502, i) for i in range(9)]) == []
    [a] = run(NetworkScan, [], ends=[probe(f"10.0.1.{i}", 502, i) for i in range(10)])
    assert (a.detection, a.technique, a.src) == ("ics.network_scan", "T0846", EVIL)
    assert run(NetworkScan, [], ends=[probe(f"10.0.1.{i}", 502, i * 10) for i in range(10)]) == []  # > 60 s
    assert run(NetworkScan, [], ends=[probe(f"10.0.1.{i}", 502, i, answered=True) for i in range(20)]) == []
    [a] = run(NetworkScan, [], ends=[probe(PLC, p, 0.1 * p) for p in range(10)])
    assert a.dst == PLC
    lone = [probe(f"10.0.1.{i}", 80, i) for i in range(20)]
    for f in lone:
        f.resp_pkts = 0  # a lone unanswered packet: the tail of an older connection
    assert run(NetworkScan, [], ends=lone) == []


def test_unit_id_and_register_scans():
    f = flow(EVIL)
    assert run(UnitIdScan, [(f, mb("modbus_read_holding_registers_request", t % 5, unit_id=1 + t % 5))
                            for t in range(200)]) == []
    [a] = run(UnitIdScan, [(f, mb("modbus_read_holding_registers_request", u * 0.1, unit_id=u)) for u in range(20)])
    assert a.evidence[0]["details"]["count"] == 20
    exc = [(f, mb("modbus_read_holding_registers_exception", i, exception_code=2, address=100 * i)) for i in range(9)]
    assert run(RegisterScan, exc) == []
    exc.append((f, mb("modbus_read_holding_registers_exception", 9, exception_code=2, address=900)))
    assert [a.detection for a in run(RegisterScan, exc)] == ["modbus.register_scan"]


def test_request_flood_threshold_and_options():
    f = flow(EVIL)
    reqs = [(f, mb("modbus_read_holding_registers_request", i * 0.002)) for i in range(2001)]
    [a] = run(RequestFlood, reqs)
    assert (a.technique, a.count) == ("T0814", 1)
    assert run(RequestFlood, reqs[:2000]) == []
    slow = [(f, mb("modbus_read_holding_registers_request", i * 0.01)) for i in range(2001)]  # 20 s
    assert run(RequestFlood, slow) == []
    assert run(RequestFlood, slow, Context(options={"ics.request_flood": {"requests": 100}}))


def dnp3(name, ts, f):
    return f, Event(name, ts, int(ts) + 1, True, {"objects": [{"group": 60, "group_name": "class_data"}]})


def test_unsolicited_disabled_waits_for_the_enable():
    f = flow(port=20000, proto="dnp3")
    assert run(UnsolicitedDisabled, [dnp3("dnp3_disable_unsolicited_request", 0, f),
                                     dnp3("dnp3_read_request", 1, f),
                                     dnp3("dnp3_enable_unsolicited_request", 2, f)], ends=[f]) == []
    [a] = run(UnsolicitedDisabled, [dnp3("dnp3_disable_unsolicited_request", 0, f),
                                    dnp3("dnp3_read_request", 100, f)])  # grace passed: raised at the next request
    assert (a.technique, a.first_seen) == ("T0878", 0)
    [a] = run(UnsolicitedDisabled, [dnp3("dnp3_disable_unsolicited_request", 0, f)], ends=[f])


def test_time_change_routine_protocols_only_from_strangers():
    master, evil = flow(port=20000, proto="dnp3"), flow(EVIL, port=20000, proto="dnp3")

    def sync(f, ts):
        return f, Event("dnp3_write_request", ts, 1, True, {"objects": [{"group": 50, "values": [ts]}]})

    items = [sync(master, 0), sync(master, 100), sync(evil, 101)]
    assert [a.src for a in run(TimeChange, items)] == [EVIL]
    s7 = flow(HMI, port=102, proto="s7comm")
    set_clock = Event("s7comm_userdata_request", 1, 1, True, {"userdata_group": 7, "userdata_subfunction": 2,
                                                            "userdata_subfunction_name": "set_clock",
                                                            "clock": "2020-01-01T00:00:00.000"})
    assert [a.detection for a in run(TimeChange, [(s7, set_clock)])] == ["ics.time_change"]  # even while learning


def test_credentials_split_between_clear_and_default():
    f = flow(port=161, proto="snmp")

    def snmp(ts, community):
        return f, Event("snmp_get_request", ts, 1, True, {"community": community, "credentials_in_clear": True,
                                                          "version": "2c"})

    assert [a.detection for a in run(DefaultCredentials, [snmp(0, "public"), snmp(1, "s3cret")])] == [
        "ics.default_credentials"]
    [a] = run(CredentialsInClear, [snmp(0, "public"), snmp(1, "s3cret")])
    assert "s3cret" not in a.title and a.technique == "T0859"
    mq = flow(port=1883, proto="mqtt")
    connect = Event("mqtt_connect", 0, 1, True, {"username": "plant", "credentials_in_clear": True})
    no_pw = Event("mqtt_connect", 1, 2, True, {"username": "plant", "credentials_in_clear": False})
    assert [a.title for a in run(CredentialsInClear, [(mq, connect), (mq, no_pw)])] == [
        f"mqtt credentials in clear: {HMI} -> {PLC} (user plant)"]


def test_credentials_ftp_and_telnet():
    ftp, tel = flow(port=21, proto="ftp"), flow(port=23, proto="telnet")
    items = [(ftp, Event("ftp_command", 0, 1, True, {"command": "USER", "user": "eng", "credentials_in_clear": False})),
             (ftp, Event("ftp_command", 1, 2, True, {"command": "PASS", "user": "eng", "credentials_in_clear": True})),
             (tel, Event("telnet_password_sent", 2, 3, True, {"user": "admin", "credentials_in_clear": True}))]
    got = run(CredentialsInClear, items)
    assert [(a.key, a.first_seen) for a in got] == [(f"{HMI}->{PLC}/ftp/eng", 1), (f"{HMI}->{PLC}/telnet/admin", 2)]
