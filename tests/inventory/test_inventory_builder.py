"""The inventory builder, fed hand-built flows and events (no sensor)."""

from __future__ import annotations

from plantwarden.inventory import InventoryBuilder
from plantwarden.inventory.model import ENGINEERING_WORKSTATION, HMI, PLC, UNKNOWN

from .helpers import a_weird, flow, modbus_req, modbus_resp, req, resp

HMI_IP, PLC_IP, EWS_IP = "10.0.0.10", "10.0.0.20", "10.0.0.30"


def run(*items):
    """items: (flow, [events]); every flow ends after its events."""
    b = InventoryBuilder()
    for f, events in items:
        for ev in events:
            b.on_event("cap.pcap", f, ev)
        b.on_flow_end("cap.pcap", f)
    return b.result()


def test_poller_is_hmi_and_server_is_plc():
    f = flow(HMI_IP, PLC_IP, 502, "modbus")
    inv = run((f, [modbus_req(3), modbus_resp(3), modbus_req(1), modbus_resp(1)]))
    hmi, plc = inv.assets[HMI_IP], inv.assets[PLC_IP]
    assert hmi.role == HMI and hmi.purdue_level == 2
    assert hmi.behaviour["reads"] == 2 and hmi.behaviour["serves"] == 0
    assert plc.role == PLC and plc.purdue_level == 1
    assert plc.behaviour["serves"] == 1 and plc.behaviour["reads"] == 0
    assert plc.protocols == {"modbus"}


def test_setpoint_writer_is_hmi():
    inv = run((flow(HMI_IP, PLC_IP, 502, "modbus"), [modbus_req(6), modbus_resp(6)]))
    assert inv.assets[HMI_IP].behaviour["writes"] == 1
    assert inv.assets[HMI_IP].roles == [HMI]


def test_s7_download_makes_an_engineering_workstation():
    f = flow(EWS_IP, PLC_IP, 102, "s7comm")
    events = [req("s7comm_setup_communication_request", function_code=0xF0),
              req("s7comm_userdata_request", userdata_group=4, userdata_subfunction=1),
              req("s7comm_request_download_request", function_code=0x1A),
              # during a download the PLC sends the Download block jobs: they are not the PLC's behaviour
              resp("s7comm_download_block_request", function_code=0x1B),
              req("s7comm_download_block_response", function_code=0x1B)]
    inv = run((f, events))
    ews, plc = inv.assets[EWS_IP], inv.assets[PLC_IP]
    assert ews.role == ENGINEERING_WORKSTATION and ews.purdue_level == 2
    assert ews.behaviour["programs"] == 1 and ews.behaviour["identifies"] == 1
    assert plc.role == PLC and plc.behaviour["programs"] == 0


def test_plc_stop_and_umas_programming_are_programs_but_umas_reads_are_not():
    stop = run((flow(EWS_IP, PLC_IP, 102, "s7comm"), [req("s7comm_plc_stop_request", function_code=0x29)]))
    assert stop.assets[EWS_IP].role == ENGINEERING_WORKSTATION
    download = run((flow(EWS_IP, PLC_IP, 502, "modbus"), [modbus_req(90, umas_function=0x34)]))
    assert download.assets[EWS_IP].role == ENGINEERING_WORKSTATION
    read_id = run((flow(EWS_IP, PLC_IP, 502, "modbus"), [modbus_req(90, umas_function=0x02)]))
    assert read_id.assets[EWS_IP].role == HMI
    assert read_id.assets[EWS_IP].behaviour["programs"] == 0


def test_identification_only_is_engineering_but_with_polling_is_hmi():
    scan = run((flow(EWS_IP, PLC_IP, 502, "modbus"), [modbus_req(43, mei_type=14)]))
    assert scan.assets[EWS_IP].roles == [ENGINEERING_WORKSTATION]
    hmi = run((flow(HMI_IP, PLC_IP, 502, "modbus"), [modbus_req(43, mei_type=14), modbus_req(3)]))
    assert hmi.assets[HMI_IP].roles == [HMI]


def test_plc_that_also_polls_keeps_plc_first():
    other_plc = "10.0.0.21"
    inv = run((flow(HMI_IP, PLC_IP, 502, "modbus"), [modbus_req(3)]),
              (flow(PLC_IP, other_plc, 102, "s7comm", sport=40001), [req("s7comm_read_var_request", function_code=4)]))
    assert inv.assets[PLC_IP].roles == [PLC, HMI]
    assert inv.assets[PLC_IP].role == PLC


def test_server_on_502_without_decoder_serves_only_if_it_answered():
    answered = run((flow(HMI_IP, PLC_IP, 502, None, nbytes=(12, 11)), []))
    assert answered.assets[PLC_IP].role == PLC
    refused = run((flow(HMI_IP, PLC_IP, 502, None, pkts=(1, 1), nbytes=(0, 0)), []))
    assert refused.assets[PLC_IP].role == UNKNOWN
    web = run((flow(HMI_IP, PLC_IP, 80, None), []))
    assert web.assets[PLC_IP].role == UNKNOWN and web.assets[PLC_IP].purdue_level is None


def test_identity_facts_belong_to_the_responder_with_their_source():
    ident = {"vendor": "Schneider Electric", "product_code": "BMX P34 2020", "revision": "V3.10",
             "objects": {"0x80": "x"}, "model": "", "user_application_name": None}
    f = flow(HMI_IP, PLC_IP, 502, "modbus")
    inv = run((f, [modbus_req(43), resp("modbus_read_device_identification_response", frame=42, ts=1005.0,
                                         function_code=43, exception_code=None, identity=ident)]))
    plc = inv.assets[PLC_IP]
    assert plc.identity() == {"vendor": "Schneider Electric", "product_code": "BMX P34 2020", "revision": "V3.10"}
    assert inv.assets[HMI_IP].facts == {}
    fact = plc.facts[("vendor", "Schneider Electric", "modbus")]
    assert (fact.protocol, fact.capture, fact.frame, fact.event) == (
        "modbus", "cap.pcap", 42, "modbus_read_device_identification_response")
    assert fact.first_seen == fact.last_seen == 1005.0
    assert 0 < fact.confidence <= 1


def test_conflicting_facts_are_both_kept_and_reported():
    f = flow(EWS_IP, PLC_IP, 102, "s7comm")
    inv = run((f, [resp("s7comm_userdata_response", frame=10, ts=1001.0, identity={"firmware": "V3.2.6"}),
                   resp("s7comm_userdata_response", frame=20, ts=1002.0, identity={"firmware": "V3.3.0"}),
                   resp("s7comm_userdata_response", frame=30, ts=1003.0, identity={"firmware": "V3.2.6"})]))
    plc = inv.assets[PLC_IP]
    values = {(x.value, x.count, x.frame) for x in plc.facts.values()}
    assert values == {("V3.2.6", 2, 10), ("V3.3.0", 1, 20)}
    assert plc.conflicts() == ["firmware"]
    assert plc.identity()["firmware"] == "V3.2.6"  # seen more often wins the summary; both stay in facts
    assert plc.facts[("firmware", "V3.2.6", "s7comm")].last_seen == 1003.0


def test_identity_values_are_trimmed_and_stringified():
    inv = run((flow(EWS_IP, PLC_IP, 102, "s7comm"), [resp("x", identity={"plc_name": "  PLC1 ", "oem_id": 7})]))
    assert inv.assets[PLC_IP].identity() == {"plc_name": "PLC1", "oem_id": "7"}


def test_communications_sum_flows_and_count_functions():
    f1 = flow(HMI_IP, PLC_IP, 502, "modbus", ts=100.0, end=110.0, pkts=(4, 3), nbytes=(24, 30))
    f2 = flow(HMI_IP, PLC_IP, 502, "modbus", sport=40001, ts=200.0, end=250.0, pkts=(2, 2), nbytes=(12, 11))
    exc = resp("modbus_fc3_exception", function_code=3, exception_code=2)
    inv = run((f1, [modbus_req(3), modbus_resp(3), modbus_req(3), exc]), (f2, [modbus_req(16), modbus_resp(16)]))
    assert list(inv.communications) == [(HMI_IP, PLC_IP, "modbus")]
    c = inv.communications[(HMI_IP, PLC_IP, "modbus")]
    assert (c.flows, c.client_packets, c.server_packets, c.client_bytes, c.server_bytes) == (2, 6, 5, 36, 41)
    assert (c.first_seen, c.last_seen) == (100.0, 250.0)
    assert c.server_ports == {502}
    fc3 = c.functions["3"]
    assert (fc3.requests, fc3.responses, fc3.exceptions) == (2, 1, 1)
    assert c.functions["16"].requests == 1
    assert fc3.name == "fc3"  # from the event name when the decoder gives no ``function`` field
    assert inv.assets[HMI_IP].first_seen == 100.0 and inv.assets[HMI_IP].last_seen == 250.0


def test_function_name_from_the_decoder_and_s7_userdata_key():
    f = flow(EWS_IP, PLC_IP, 102, "s7comm")
    inv = run((f, [req("s7comm_read_var_request", function_code=4, function="read_var"),
                   req("s7comm_userdata_request", userdata_group=4, userdata_subfunction=1,
                       userdata_group_name="cpu_functions", userdata_subfunction_name="read_szl"),
                   resp("s7comm_userdata_response", userdata_group=4, userdata_subfunction=1,
                        userdata_group_name="cpu_functions", userdata_subfunction_name="read_szl")]))
    funcs = inv.communications[(EWS_IP, PLC_IP, "s7comm")].functions
    assert funcs["4"].name == "read_var"
    szl = funcs["userdata/4/1"]
    assert (szl.name, szl.requests, szl.responses) == ("cpu_functions/read_szl", 1, 1)


def test_undecoded_traffic_is_labelled_by_transport_and_port():
    inv = run((flow(HMI_IP, "10.0.0.99", 53, None, transport="udp"), []),
              (flow(HMI_IP, "10.0.0.99", 443, "", sport=40001), []))
    assert set(inv.communications) == {(HMI_IP, "10.0.0.99", "udp/53"), (HMI_IP, "10.0.0.99", "tcp/443")}


def test_mac_vendor_from_the_oui_registry():
    inv = run((flow(HMI_IP, PLC_IP, 102, "s7comm", orig_mac="02:00:00:00:00:01", resp_mac="00:1b:1b:4d:a2:10"), []))
    assert inv.assets[PLC_IP].mac == "00:1b:1b:4d:a2:10"
    assert inv.assets[PLC_IP].vendor == "Siemens AG"
    assert inv.assets[HMI_IP].mac == "02:00:00:00:00:01"
    assert inv.assets[HMI_IP].vendor is None  # locally administered: no registered vendor


def test_a_mac_in_front_of_many_ips_is_a_router_and_not_the_assets_mac():
    router = "00:1b:1b:00:00:99"
    items = [(flow(f"192.168.5.{i}", PLC_IP, 502, "modbus", sport=40000 + i, orig_mac=router,
                   resp_mac="00:80:f4:0a:33:5c"), []) for i in range(1, 4)]
    inv = run(*items)
    for i in range(1, 4):
        assert inv.assets[f"192.168.5.{i}"].mac is None
    assert inv.assets[PLC_IP].mac == "00:80:f4:0a:33:5c"


def test_multicast_and_broadcast_are_not_assets():
    inv = run((flow(HMI_IP, "224.0.0.251", 5353, None, transport="udp"), []),
              (flow(HMI_IP, "255.255.255.255", 67, None, transport="udp"), []),
              (flow(HMI_IP, "10.0.0.255", 138, None, transport="udp"), []))
    assert set(inv.assets) == {HMI_IP}
    assert len(inv.communications) == 3


def test_weirds_are_counted_per_name_and_protocol():
    b = InventoryBuilder()
    f = flow(HMI_IP, PLC_IP, 502, "modbus")
    b.on_event("c", None, a_weird("truncated_frame"))
    b.on_event("c", None, a_weird("truncated_frame"))
    b.on_event("c", f, a_weird("modbus_bad_length", True))
    b.on_flow_end("c", f)
    assert b.result().weirds == {("truncated_frame", ""): 2, ("modbus_bad_length", "modbus"): 1}


def test_events_of_a_flow_without_a_flow_end_still_count():
    b = InventoryBuilder()
    f = flow(HMI_IP, PLC_IP, 502, "modbus")
    b.on_event("c", f, modbus_req(3))
    inv = b.result()
    assert inv.communications[(HMI_IP, PLC_IP, "modbus")].functions["3"].requests == 1
    assert inv.assets[HMI_IP].behaviour["reads"] == 1


def test_repeated_messages_on_one_flow_keep_counting_right():
    """The per-flow fast path must follow sub-functions and error responses, not only the first message."""
    f = flow(EWS_IP, PLC_IP, 502, "modbus")
    events = [modbus_req(90, umas_function=0x02), modbus_req(90, umas_function=0x02),
              modbus_req(90, umas_function=0x41), modbus_req(3), modbus_req(3), modbus_resp(3),
              resp("modbus_fc3_exception", function_code=3, exception_code=4), modbus_resp(3)]
    inv = run((f, events))
    b = inv.assets[EWS_IP].behaviour
    assert (b["reads"], b["programs"]) == (4, 1)
    fc3 = inv.communications[(EWS_IP, PLC_IP, "modbus")].functions["3"]
    assert (fc3.requests, fc3.responses, fc3.exceptions) == (2, 2, 1)

    g = flow(EWS_IP, PLC_IP, 102, "s7comm")
    ok = {"function_code": 4, "error_class": 0}
    bad = {"function_code": 4, "error_class": 0x85}
    inv = run((g, [resp("s7comm_read_var_response", **ok), resp("s7comm_read_var_response", **bad),
                   resp("s7comm_read_var_response", **ok),
                   req("s7comm_userdata_request", userdata_group=4, userdata_subfunction=1),
                   req("s7comm_userdata_request", userdata_group=3, userdata_subfunction=1),
                   req("s7comm_userdata_request", userdata_group=4, userdata_subfunction=1)]))
    c = inv.communications[(EWS_IP, PLC_IP, "s7comm")]
    assert (c.functions["4"].responses, c.functions["4"].exceptions) == (2, 1)
    assert c.functions["userdata/4/1"].requests == 2 and c.functions["userdata/3/1"].requests == 1
    assert inv.assets[EWS_IP].behaviour["identifies"] == 2 and inv.assets[EWS_IP].behaviour["programs"] == 1


def test_activity_that_depends_on_more_than_the_function_code_is_not_cached():
    """Two DNP3 reads on one flow: of analog inputs (reads), then of device attributes (identifies)."""
    f = flow(HMI_IP, PLC_IP, 20000, "dnp3")
    inv = run((f, [req("dnp3_read_request", function_code=1, objects=[{"group": 30}]),
                   req("dnp3_read_request", function_code=1, objects=[{"group": 0}])]))
    assert inv.assets[HMI_IP].behaviour["reads"] == 1 and inv.assets[HMI_IP].behaviour["identifies"] == 1


def test_protocol_without_function_codes_is_counted_by_message_name():
    f = flow(HMI_IP, PLC_IP, 4840, "opcua")
    inv = run((f, [req("opcua_read_request", service="read"), resp("opcua_read_response", service="read")]))
    comm = inv.communications[(HMI_IP, PLC_IP, "opcua")]
    assert (comm.functions["read"].requests, comm.functions["read"].responses) == (1, 1)
    assert inv.assets[HMI_IP].role == HMI


def test_protocol_without_request_names_still_gives_roles():
    f = flow(HMI_IP, PLC_IP, 2404, "iec104")
    inv = run((f, [req("iec104_c_sc_na_1", type_id=45, cause=6), resp("iec104_c_sc_na_1", type_id=45, cause=7),
                   resp("iec104_m_me_nc_1", type_id=13, cause=3)]))
    assert inv.assets[HMI_IP].behaviour["writes"] == 1 and inv.assets[HMI_IP].role == HMI
    assert inv.assets[PLC_IP].role == PLC
