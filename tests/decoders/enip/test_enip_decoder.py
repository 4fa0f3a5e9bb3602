"""EtherNet/IP and CIP decoders fed with byte literals: every message kind, framing, gaps, violations."""

from __future__ import annotations

import struct
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from plantwarden.core.events import Event
from plantwarden.decoders.enip import EnipDecoder, EnipUdpDecoder
from plantwarden.decoders.registry import DECODERS

SESSION = 0x11020100
CTX = b"_pycomm_"


def encap(cmd: int, data: bytes = b"", session: int = SESSION, status: int = 0, ctx: bytes = CTX,
          options: int = 0) -> bytes:
    return struct.pack("<HHII8sI", cmd, len(data), session, status, ctx, options) + data


def rr(cip: bytes, ctx: bytes = CTX, extra: bytes = b"", items: int = 2) -> bytes:
    body = struct.pack("<IHH", 0, 10, items) + struct.pack("<HH", 0, 0) + struct.pack("<HH", 0xB2, len(cip)) + cip
    return encap(0x6F, body + extra, ctx=ctx)


def unit(cip: bytes, conn: int = 0x00FF0011, seq: int = 7) -> bytes:
    body = (struct.pack("<IHH", 0, 0, 2) + struct.pack("<HHI", 0xA1, 4, conn)
            + struct.pack("<HHH", 0xB1, len(cip) + 2, seq) + cip)
    return encap(0x70, body)


def req(service: int, path: bytes, data: bytes = b"") -> bytes:
    return bytes([service, len(path) // 2]) + path + data


def resp(service: int, status: int = 0, data: bytes = b"", ext: tuple[int, ...] = ()) -> bytes:
    return bytes([service | 0x80, 0, status, len(ext)]) + b"".join(struct.pack("<H", e) for e in ext) + data


IDENTITY_PATH = bytes([0x20, 0x01, 0x24, 0x01])
IDENTITY = (struct.pack("<HHHBBHI", 1, 12, 58, 4, 3, 0x0030, 0x00524D8E) + bytes([11]) + b"1756-ENBT/A")


def msgs(evs: list[Event]) -> list[Event]:
    return [e for e in evs if e.name != "weird"]


def weirds(evs: list[Event]) -> list[str]:
    return [e.fields["name"] for e in evs if e.name == "weird"]


def exchange(request: bytes, response: bytes) -> tuple[list[Event], list[Event]]:
    d = EnipDecoder()
    return d.feed(request, True, 1.0, 1), d.feed(response, False, 2.0, 2)


def test_registered_and_named() -> None:
    assert EnipDecoder in DECODERS and EnipUdpDecoder in DECODERS
    assert EnipDecoder.name == EnipUdpDecoder.name == "enip"
    assert EnipDecoder.transport == "tcp" and EnipDecoder.default_ports == (44818,)
    assert EnipUdpDecoder.transport == "udp" and EnipUdpDecoder.default_ports == (44818, 2222)


def test_get_attribute_single_identity_attribute() -> None:
    q, r = exchange(rr(req(0x0E, IDENTITY_PATH + b"\x30\x07")), rr(resp(0x0E, data=b"\x05Hello")))
    (a,), (b,) = q, r
    assert a.name == "enip_get_attribute_single_request" and a.is_orig
    f = a.fields
    assert (f["command"], f["command_code"], f["session_handle"], f["sender_context"]) == (
        "send_rr_data", 0x6F, SESSION, CTX.hex())
    assert (f["enip_status"], f["service"], f["service_code"], f["class"], f["class_name"], f["instance"],
            f["attribute"], f["status"]) == ("success", "get_attribute_single", 0x0E, 1, "identity", 1, 7, None)
    assert b.name == "enip_get_attribute_single_response"
    g = b.fields
    assert (g["class"], g["instance"], g["attribute"], g["status"], g["status_name"]) == (1, 1, 7, 0, "success")
    assert g["identity"] == {"product_name": "Hello"}


def test_get_attribute_all_identity() -> None:
    _, r = exchange(unit(req(0x01, IDENTITY_PATH)), unit(resp(0x01, data=IDENTITY)))
    f = r[0].fields
    assert r[0].name == "enip_get_attribute_all_response"
    assert (f["connection_id"], f["sequence_count"], f["command"]) == (0x00FF0011, 7, "send_unit_data")
    assert f["identity"] == {
        "vendor_id": 1, "vendor": "Rockwell Automation/Allen-Bradley", "device_type": "communications_adapter",
        "product_code": 58, "revision": "4.3", "serial_number": "0x00524d8e", "product_name": "1756-ENBT/A",
    }
    assert (f["device_type_code"], f["device_status"]) == (12, 0x30)


def test_get_attribute_list_request_and_identity_response() -> None:
    q, r = exchange(rr(req(0x03, IDENTITY_PATH, struct.pack("<HHH", 2, 1, 7))),
                    rr(resp(0x03, data=struct.pack("<HHHH", 2, 1, 0, 283) + struct.pack("<HH", 7, 0) + b"\x02AB")))
    assert q[0].fields["attributes"] == [1, 7]
    assert r[0].fields["identity"] == {"vendor_id": 283, "vendor": "Hilscher GmbH", "product_name": "AB"}


def test_list_identity_over_udp() -> None:
    d = EnipUdpDecoder()
    (a,) = d.feed(encap(0x63, session=0, ctx=bytes(8)), True, 1.0, 1)
    assert a.name == "enip_list_identity_request"
    item = struct.pack("<H", 1) + struct.pack(">HH4s8x", 2, 44818, bytes([10, 1, 1, 164])) + IDENTITY + b"\x03"
    (b,) = d.feed(encap(0x63, struct.pack("<HHH", 1, 0x0C, len(item)) + item, session=0), False, 2.0, 2)
    f = b.fields
    assert b.name == "enip_list_identity_response"
    assert (f["encapsulation_version"], f["socket_address"], f["socket_port"], f["state"]) == (1, "10.1.1.164", 44818, 3)
    assert f["identity"]["product_name"] == "1756-ENBT/A" and f["identity"]["revision"] == "4.3"


def test_list_services_interfaces_register_nop_unknown() -> None:
    d = EnipDecoder()
    svc = struct.pack("<HH", 1, 0x120) + b"Communications\x00\x00"
    evs = d.feed(encap(0x04, session=0) + encap(0x65, struct.pack("<HH", 1, 0), session=0), True, 1.0, 1)
    evs += d.feed(encap(0x04, struct.pack("<HHH", 1, 0x100, len(svc)) + svc, session=0)
                  + encap(0x65, struct.pack("<HH", 1, 0)) + encap(0x64, struct.pack("<H", 0), session=0), False, 2.0, 2)
    evs += d.feed(encap(0x00) + encap(0x66) + encap(0x01), True, 3.0, 3)
    assert [e.name for e in evs] == [
        "enip_list_services_request", "enip_register_session_request", "enip_list_services_response",
        "enip_register_session_response", "enip_list_interfaces_response", "enip_nop", "enip_unregister_session",
        "enip_unknown_command", "weird"]
    assert evs[2].fields["services"] == [{"name": "Communications", "version": 1, "capability_flags": 0x120}]
    assert evs[3].fields["protocol_version"] == 1 and evs[3].fields["session_handle"] == SESSION
    assert evs[4].fields["interface_count"] == 0
    assert evs[7].fields["command"] == "unknown-1" and weirds(evs) == ["enip_unknown_command"]


def test_multiple_service_packet_embedded() -> None:
    sub1 = req(0x0E, IDENTITY_PATH + b"\x30\x01")
    sub2 = req(0x4C, b"\x91\x03Foo\x00", struct.pack("<H", 1))
    body = struct.pack("<HHH", 2, 6, 6 + len(sub1)) + sub1 + sub2
    q = EnipDecoder()
    evs = q.feed(rr(req(0x0A, b"\x20\x02\x24\x01", body)), True, 1.0, 1)
    assert [e.name for e in evs] == ["enip_multiple_service_packet_request", "enip_get_attribute_single_request",
                                    "enip_read_tag_request"]
    assert evs[0].fields["service_count"] == 2 and evs[0].fields["class_name"] == "message_router"
    assert [(e.fields["embedded"], e.fields["index"]) for e in evs[1:]] == [
        ("multiple_service_packet", 0), ("multiple_service_packet", 1)]
    assert (evs[2].fields["tag"], evs[2].fields["elements"], evs[2].fields["class"]) == ("Foo", 1, None)
    r1 = resp(0x0E, data=struct.pack("<H", 1))
    r2 = resp(0x4C, data=struct.pack("<Hi", 0xC4, -5))
    rbody = struct.pack("<HHH", 2, 6, 6 + len(r1)) + r1 + r2
    out = q.feed(rr(resp(0x0A, data=rbody)), False, 2.0, 2)
    assert [e.name for e in out] == ["enip_multiple_service_packet_response", "enip_get_attribute_single_response",
                                    "enip_read_tag_response"]
    assert out[1].fields["identity"] == {"vendor_id": 1, "vendor": "Rockwell Automation/Allen-Bradley"}
    g = out[2].fields
    assert (g["tag"], g["data_type"], g["data_type_name"], g["data"]) == ("Foo", 0xC4, "dint", "fbffffff")


def test_write_tag_with_array_member_and_fragmented_read() -> None:
    d = EnipDecoder()
    (w,) = d.feed(unit(req(0x4D, b"\x91\x05Array\x00\x28\x03", struct.pack("<HHh", 0xC3, 1, 42))), True, 1.0, 1)
    assert w.name == "enip_write_tag_request"
    assert (w.fields["tag"], w.fields["member"], w.fields["data_type_name"], w.fields["elements"],
            w.fields["data"]) == ("Array[3]", 3, "int", 1, "2a00")
    (r,) = d.feed(unit(req(0x52, b"\x91\x03A.B\x00", struct.pack("<HI", 10, 100)), seq=8), True, 1.0, 2)
    assert (r.name, r.fields["tag"], r.fields["elements"], r.fields["offset"]) == (
        "enip_read_tag_fragmented_request", "A.B", 10, 100)


def _forward_open(large: bool = False) -> bytes:
    head = struct.pack("<BBIIHHIB3xI", 0x0A, 0x0E, 0, 0x80000001, 0x1234, 1, 0xCAFE, 3, 10000)
    if large:
        mid = struct.pack("<III", 0x42000200, 20000, 0x42000100)
    else:
        mid = struct.pack("<HIH", 0x4302, 20000, 0x4301)
    path = b"\x01\x00\x34\x04" + struct.pack("<HHHBB", 1, 14, 89, 0x94, 11) + b"\x20\x02\x24\x01"
    return req(0x5B if large else 0x54, b"\x20\x06\x24\x01", head + mid + b"\xa3" + bytes([len(path) // 2]) + path)


def test_forward_open_and_close() -> None:
    d = EnipDecoder()
    (a,) = d.feed(rr(_forward_open()), True, 1.0, 1)
    f = a.fields
    assert a.name == "enip_forward_open_request"
    assert (f["o_t_connection_id"], f["t_o_connection_id"], f["connection_serial"], f["originator_vendor_id"],
            f["originator_serial"], f["o_t_rpi"], f["t_o_rpi"], f["timeout_multiplier"]) == (
        0, 0x80000001, 0x1234, 1, "0x0000cafe", 10000, 20000, 3)
    assert (f["o_t_size"], f["o_t_fixed"], f["o_t_priority"], f["o_t_connection_type"]) == (
        0x102, False, "low", "point_to_point")  # 0x4302: variable size (bit 9)
    assert (f["transport_class"], f["transport_trigger"], f["transport_direction"]) == (3, "application_object", "server")
    assert (f["connection_route"], f["connection_class"], f["connection_instance"]) == (["1/0"], 2, 1)
    assert f["connection_electronic_key"] == {"vendor_id": 1, "device_type": "programmable_logic_controller",
                                              "product_code": 89, "revision": "20.11", "compatibility": True}
    reply = struct.pack("<IIHHIIIBx", 0x11, 0x80000001, 0x1234, 1, 0xCAFE, 10000, 20000, 0)
    (b,) = d.feed(rr(resp(0x54, data=reply)), False, 2.0, 2)
    g = b.fields
    assert (b.name, g["o_t_connection_id"], g["o_t_api"], g["t_o_api"], g["class"]) == (
        "enip_forward_open_response", 0x11, 10000, 20000, 6)
    close = struct.pack("<BBHHIBx", 10, 14, 0x1234, 1, 0xCAFE, 2) + b"\x20\x02\x24\x01"
    (c,) = d.feed(rr(req(0x4E, b"\x20\x06\x24\x01", close)), True, 3.0, 3)
    assert (c.name, c.fields["connection_serial"], c.fields["connection_class"]) == ("enip_forward_close_request",
                                                                                      0x1234, 2)
    (e,) = d.feed(rr(resp(0x4E, 1, struct.pack("<HHIBx", 0x1234, 1, 0xCAFE, 0), ext=(0x0107,))), False, 4.0, 4)
    assert (e.fields["status_name"], e.fields["extended_status"], e.fields["extended_status_name"]) == (
        "connection_failure", 0x0107, "target_connection_not_found")


def test_large_forward_open() -> None:
    (a,) = EnipDecoder().feed(rr(_forward_open(large=True)), True, 1.0, 1)
    f = a.fields
    assert a.name == "enip_large_forward_open_request"
    assert (f["o_t_size"], f["o_t_connection_type"], f["t_o_size"], f["t_o_rpi"]) == (0x200, "point_to_point", 0x100, 20000)


def test_unconnected_send_with_route_and_routed_response() -> None:
    inner = req(0x01, IDENTITY_PATH)
    body = struct.pack("<BBH", 0x0A, 0x9A, len(inner)) + inner + b"\x01\x00\x01\x02"
    d = EnipDecoder()
    evs = d.feed(rr(req(0x52, b"\x20\x06\x24\x01", body)), True, 1.0, 1)
    assert [e.name for e in evs] == ["enip_unconnected_send_request", "enip_get_attribute_all_request"]
    assert evs[0].fields["route"] == ["1/2"] and evs[1].fields["route"] == ["1/2"]
    assert evs[1].fields["embedded"] == "unconnected_send" and evs[1].fields["class"] == 1
    (r,) = d.feed(rr(resp(0x01, data=IDENTITY)), False, 2.0, 2)
    assert r.name == "enip_get_attribute_all_response" and r.fields["routed"] is True
    assert r.fields["identity"]["product_code"] == 58 and "embedded" not in r.fields


def test_port_segment_with_ip_address_and_16_bit_logical() -> None:
    inner = req(0x0E, b"\x21\x00\xf5\x00\x24\x01\x30\x05")
    route = b"\x12\x0b192.168.1.5\x00"
    body = struct.pack("<BBH", 0x0A, 0x9A, len(inner)) + inner + bytes([len(route) // 2, 0]) + route
    evs = EnipDecoder().feed(rr(req(0x52, b"\x20\x06\x24\x01", body)), True, 1.0, 1)
    assert evs[0].fields["route"] == ["2/192.168.1.5"]
    assert (evs[1].fields["class"], evs[1].fields["class_name"], evs[1].fields["attribute"]) == (
        0xF5, "tcp_ip_interface", 5)


def test_execute_pccc_and_unknown_service() -> None:
    pccc = bytes([7]) + struct.pack("<HI", 1, 0x1234) + bytes([0x0F, 0, 0x01, 0x00, 0xA2])
    q, r = exchange(rr(req(0x4B, b"\x20\x67\x24\x01", pccc)),
                    rr(resp(0x4B, data=bytes([7]) + struct.pack("<HI", 1, 0x1234) + bytes([0x4F, 0x10, 0x01, 0x00]))))
    assert (q[0].name, q[0].fields["pccc_command"], q[0].fields["pccc_function"], q[0].fields["pccc_tns"]) == (
        "enip_execute_pccc_request", 0x0F, 0xA2, 1)
    assert (r[0].name, r[0].fields["pccc_status"]) == ("enip_execute_pccc_response", 0x10)
    q, r = exchange(rr(req(0x4C, b"\x20\x72\x24\x01")), rr(resp(0x4C)))
    assert (q[0].name, q[0].fields["service"], r[0].name, r[0].fields["service"]) == (
        "enip_unknown_service_request", "unknown-76", "enip_unknown_service_response", "unknown-76")
    # a response whose request was not seen: common services keep their names, others do not
    d = EnipDecoder()
    d.confirmed = True
    assert d.feed(rr(resp(0x0E)), False, 1.0, 1)[0].name == "enip_get_attribute_single_response"
    assert d.feed(rr(resp(0x4D)), False, 1.0, 1)[0].fields["service"] == "unknown-77"
    assert weirds(d.finish(2.0, 3)) == ["enip_unmatched_responses"]


def test_set_attribute_single_data_and_stop_reset() -> None:
    (a,) = EnipDecoder().feed(rr(req(0x10, b"\x20\xf5\x24\x01\x30\x03", b"\x01\x00\x00\x00")), True, 1.0, 1)
    assert (a.name, a.fields["data"], a.fields["data_length"]) == ("enip_set_attribute_single_request", "01000000", 4)
    (b,) = EnipDecoder().feed(rr(req(0x05, IDENTITY_PATH, b"\x01")), True, 1.0, 1)
    assert (b.name, b.fields["reset_type"]) == ("enip_reset_request", 1)
    (c,) = EnipDecoder().feed(rr(req(0x07, b"\x20\x8e\x24\x01")), True, 1.0, 1)
    assert (c.name, c.fields["class_name"]) == ("enip_stop_request", "unknown-142")


def test_split_and_coalesced_messages() -> None:
    stream = rr(req(0x0E, IDENTITY_PATH + b"\x30\x01")) + unit(req(0x01, IDENTITY_PATH)) + encap(0x00)
    whole = EnipDecoder().feed(stream, True, 1.0, 1)
    assert [e.name for e in whole] == ["enip_get_attribute_single_request", "enip_get_attribute_all_request", "enip_nop"]
    d = EnipDecoder()
    got: list[Event] = []
    for i, byte in enumerate(stream):
        got += d.feed(bytes([byte]), True, 1.0, i + 1)
    assert [e.name for e in got] == [e.name for e in whole]
    assert got[0].frame == len(rr(req(0x0E, IDENTITY_PATH + b"\x30\x01")))
    assert weirds(d.finish(2.0, 99)) == ["enip_unanswered_requests"]


def test_gap_resynchronises_on_next_header() -> None:
    d = EnipDecoder()
    first = rr(req(0x0E, IDENTITY_PATH + b"\x30\x01"))
    assert len(d.feed(first, True, 1.0, 1)) == 1
    part = rr(req(0x0E, IDENTITY_PATH + b"\x30\x02"))
    d.feed(part[:30], True, 1.0, 2)
    assert d.gap(100, True, 1.0, 3) == []
    evs = d.feed(part[40:] + rr(req(0x0E, IDENTITY_PATH + b"\x30\x03")), True, 1.0, 4)
    assert [e.fields["attribute"] for e in msgs(evs)] == [3]
    assert not d.violated


def test_bad_header_on_confirmed_flow_resyncs() -> None:
    d = EnipDecoder()
    d.feed(encap(0x65, struct.pack("<HH", 1, 0)), True, 1.0, 1)
    evs = d.feed(b"\xff" * 30 + encap(0x00), True, 1.0, 2)
    assert weirds(evs) == ["enip_bad_header"] and msgs(evs)[0].name == "enip_nop"


def test_violation_on_other_protocol() -> None:
    d = EnipDecoder()
    evs = d.feed(b"GET / HTTP/1.1\r\nHost: plc\r\n\r\n", True, 1.0, 1)
    assert weirds(evs) == ["enip_protocol_violation"] and d.violated
    assert d.feed(encap(0x00), True, 1.0, 2) == []
    u = EnipUdpDecoder()
    assert weirds(u.feed(b"\x01" * 40, True, 1.0, 1)) == ["enip_protocol_violation"] and u.violated


def test_finish_reports_unanswered_and_incomplete() -> None:
    d = EnipDecoder()
    d.feed(rr(req(0x0E, IDENTITY_PATH + b"\x30\x01")) + encap(0x00)[:10], True, 1.0, 1)
    out = d.finish(2.0, 2)
    assert weirds(out) == ["enip_unanswered_requests", "enip_incomplete_message"]
    assert out[0].fields["detail"] == "1" and out[1].fields["detail"] == "10 bytes"


def test_malformed_cip_keeps_event() -> None:
    evs = EnipDecoder().feed(rr(req(0x54, b"\x20\x06\x24\x01", b"\x0a\x0e\x00")), True, 1.0, 1)
    assert evs[0].name == "enip_forward_open_request" and weirds(evs) == ["enip_malformed_cip"]
    evs = EnipDecoder().feed(rr(b"\x0e\x05\x20\x01"), True, 1.0, 1)
    assert evs[0].name == "enip_get_attribute_single_request" and weirds(evs) == ["enip_bad_epath"]
    evs = EnipDecoder().feed(rr(req(0x0E, b"\xe0\x01")), True, 1.0, 1)
    assert weirds(evs) == ["enip_bad_epath"]


def test_cpf_item_past_end_is_weird() -> None:
    body = struct.pack("<IHH", 0, 0, 2) + struct.pack("<HH", 0, 0) + struct.pack("<HH", 0xB2, 50) + b"\x0e\x00"
    evs = EnipDecoder().feed(encap(0x6F, body), True, 1.0, 1)
    assert [e.name for e in evs] == ["enip_send_rr_data_request", "weird"]
    assert weirds(evs) == ["enip_malformed_cpf"]


def _io(conn: int, seq: int, data: bytes = b"\x01\x00\xaa\xbb") -> bytes:
    return struct.pack("<HHHII", 2, 0x8002, 8, conn, seq) + struct.pack("<HH", 0xB1, len(data)) + data


def test_io_summary_per_connection_at_finish() -> None:
    d = EnipUdpDecoder()
    out: list[Event] = []
    for i in range(5):
        out += d.feed(_io(0x4B0603, 100 + i), True, 1.0 + i, 10 + i)
    out += d.feed(_io(0x8E400B, 7, b"\x01\x00"), False, 9.0, 20)
    out += d.feed(struct.pack("<HHHI", 2, 0xA1, 4, 0x55) + struct.pack("<HH", 0xB1, 0), True, 9.5, 21)
    assert out == []
    end = d.finish(10.0, 30)
    rows = {e.fields["connection_id"]: (e.fields["packets"], e.fields["bytes"], e.fields["first_sequence"],
                                        e.fields["last_sequence"], e.is_orig, e.frame) for e in end}
    assert rows == {0x4B0603: (5, 20, 100, 104, True, 14), 0x8E400B: (1, 2, 7, 7, False, 20),
                    0x55: (1, 0, None, None, True, 21)}
    assert {e.name for e in end} == {"enip_io"} and end[0].fields["first_ts"] == 1.0


def test_probe() -> None:
    assert EnipDecoder.probe(encap(0x65, struct.pack("<HH", 1, 0)), True) == 0.9
    assert EnipDecoder.probe(encap(0x00) + encap(0x00), True) == 0.8
    assert EnipDecoder.probe(encap(0x65, struct.pack("<HH", 1, 0))[:26], True) == 0.6
    assert EnipDecoder.probe(b"\x03\x00", True) == 0.0
    assert EnipDecoder.probe(b"\x16\x03\x01" + b"\x00" * 40, True) == -1.0
    assert EnipUdpDecoder.probe(_io(1, 1), True) == 0.7
    assert EnipDecoder.probe(_io(1, 1) + b"\x00" * 10, True) == -1.0


def _names(evs: Any) -> None:
    assert isinstance(evs, list) and all(isinstance(e, Event) for e in evs)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["feed", "gap"]), st.booleans(), st.binary(max_size=120)), max_size=8))
def test_never_raises(ops: list[tuple[str, bool, bytes]]) -> None:
    for d in (EnipDecoder(), EnipUdpDecoder()):
        for op, orig, data in ops:
            _names(d.feed(data, orig, 1.0, 1) if op == "feed" else d.gap(len(data), orig, 1.0, 1))
        _names(d.finish(2.0, 2))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200), st.integers(0, 0x7F), st.booleans())
def test_never_raises_inside_valid_framing(cip: bytes, service: int, response: bool) -> None:
    body = bytes([service | (0x80 if response else 0)]) + cip
    for frame in (rr(body), unit(body)):
        for d in (EnipDecoder(), EnipUdpDecoder()):
            d.confirmed = True
            _names(d.feed(frame, not response, 1.0, 1))
            _names(d.finish(2.0, 2))
