"""PROFINET RT decoder (Ethernet type 0x8892) fed with byte literals: DCP services, RT summaries, oddities."""

from __future__ import annotations

import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from plantwarden.core.events import Event
from plantwarden.decoders.profinet import ProfinetDecoder
from plantwarden.decoders.profinet.constants import frame_class
from plantwarden.decoders.registry import DECODERS


def block(opt: int, sub: int, value: bytes) -> bytes:
    raw = struct.pack(">BBH", opt, sub, len(value)) + value
    return raw + b"\x00" * (len(value) & 1)


def dcp(fid: int, sid: int, stype: int, blocks: bytes, xid: int = 0x01000001, delay: int = 0) -> bytes:
    return struct.pack(">HBBIHH", fid, sid, stype, xid, delay, len(blocks)) + blocks


IDENTIFY_ALL = dcp(0xFEFE, 5, 0, block(255, 255, b""), delay=1)
IDENTIFY_RESPONSE = dcp(0xFEFF, 5, 1, (
    block(2, 5, b"\x00\x00" + bytes([2, 1, 2, 2, 1, 2]))
    + block(2, 1, b"\x00\x00S7-300EC")
    + block(2, 2, b"\x00\x00plc-1")
    + block(2, 3, b"\x00\x00\x00\x2a\x01\x01")
    + block(2, 4, b"\x00\x00\x02\x00")
    + block(1, 2, b"\x00\x01" + bytes([192, 168, 0, 11, 255, 255, 255, 0, 192, 168, 0, 1]))))
SET_IP = dcp(0xFEFD, 4, 0, block(1, 2, b"\x00\x01" + bytes([192, 168, 0, 10, 255, 255, 255, 0, 192, 168, 0, 1])))
SET_NAME = dcp(0xFEFD, 4, 0, block(2, 2, b"\x00\x00evil") + block(5, 2, b"\x00\x00"))
SET_RESPONSE = dcp(0xFEFD, 4, 1, block(5, 4, bytes([2, 2, 0])) + block(5, 4, bytes([5, 5, 6])))
GET_REQUEST = dcp(0xFEFD, 3, 0, bytes([2, 2, 1, 2]))
HELLO = dcp(0xFEFC, 6, 0, block(2, 2, b"\x00\x00io-7") + block(2, 3, b"\x00\x00\x01\x5a\x00\x03"))
RESET = dcp(0xFEFD, 4, 0, block(5, 6, b"\x00\x04"))


def feed(dec: ProfinetDecoder, data: bytes, is_orig: bool = True, frame: int = 1) -> list[Event]:
    evs = dec.feed(data, is_orig, 1.5, frame)
    assert isinstance(evs, list)
    return evs


def test_registered_for_the_ethertype() -> None:
    assert ProfinetDecoder in DECODERS and ProfinetDecoder.transport == "ether"
    assert ProfinetDecoder.ethertypes == (0x8892,)


def test_identify_request_all() -> None:
    (ev,) = feed(ProfinetDecoder(), IDENTIFY_ALL)
    assert ev.name == "profinet_dcp_identify_request"
    f = ev.fields
    assert (f["service"], f["service_type"], f["xid"], f["response_delay"], f["blocks"]) == (
        "identify", "request", 0x01000001, 1, ["all/all"])


def test_identify_request_by_name_filter() -> None:
    (ev,) = feed(ProfinetDecoder(), dcp(0xFEFE, 5, 0, block(2, 2, b"turck"), delay=128))
    assert ev.fields["name_of_station"] == "turck" and ev.fields["blocks"] == ["device/name_of_station"]


def test_identify_response_carries_identity() -> None:
    (ev,) = feed(ProfinetDecoder(), IDENTIFY_RESPONSE, is_orig=False)
    f = ev.fields
    assert ev.name == "profinet_dcp_identify_response" and f["service_type"] == "response_success"
    assert f["type_of_station"] == "S7-300EC" and f["name_of_station"] == "plc-1"
    assert (f["vendor_id"], f["device_id"], f["device_role"]) == (42, 0x0101, ["io_controller"])
    assert (f["ip"], f["netmask"], f["gateway"], f["ip_block_info"]) == (
        "192.168.0.11", "255.255.255.0", "192.168.0.1", "ip_set")
    assert f["device_options"] == ["device/type_of_station", "device/name_of_station", "ip/ip_parameter"]
    assert f["identity"] == {"vendor": "S7-300EC", "name": "plc-1", "vendor_id": 42, "device_id": 0x0101,
                             "device_type": "io_controller", "ip": "192.168.0.11"}
    assert "response_delay" not in f


def test_set_ip_is_an_action() -> None:
    (ev,) = feed(ProfinetDecoder(), SET_IP)
    f = ev.fields
    assert ev.name == "profinet_dcp_set_request"
    assert (f["set"], f["permanent"], f["ip"], f["block_qualifier"]) == (["set_ip"], True, "192.168.0.10", 1)


def test_set_name_with_end_transaction() -> None:
    (ev,) = feed(ProfinetDecoder(), SET_NAME)
    f = ev.fields
    assert (f["set"], f["permanent"], f["name_of_station"], f["control"]) == (
        ["set_name"], False, "evil", ["end_transaction"])
    assert f["blocks"] == ["device/name_of_station", "control/end_transaction"]


def test_reset_to_factory() -> None:
    (ev,) = feed(ProfinetDecoder(), RESET)
    assert ev.fields["set"] == ["reset_to_factory"] and ev.fields["block_qualifier"] == 4


def test_set_response_results() -> None:
    (ev,) = feed(ProfinetDecoder(), SET_RESPONSE, is_orig=False)
    assert ev.name == "profinet_dcp_set_response"
    assert ev.fields["results"] == [
        {"block": "device/name_of_station", "error": "ok", "error_code": 0},
        {"block": "control/reset_factory_settings", "error": "in_operation", "error_code": 6}]


def test_get_request_lists_bare_options() -> None:
    (ev,) = feed(ProfinetDecoder(), GET_REQUEST)
    assert ev.name == "profinet_dcp_get_request" and ev.fields["blocks"] == ["device/name_of_station", "ip/ip_parameter"]


def test_hello_carries_identity() -> None:
    (ev,) = feed(ProfinetDecoder(), HELLO)
    assert ev.name == "profinet_dcp_hello"
    assert ev.fields["identity"] == {"name": "io-7", "vendor_id": 0x15A, "device_id": 3}


def test_unsupported_response_and_unknown_codes() -> None:
    (ev,) = feed(ProfinetDecoder(), dcp(0xFEFD, 9, 5, block(0x90, 7, b"\x00\x00ab")), is_orig=False)
    f = ev.fields
    assert ev.name == "profinet_dcp_unknown_response"
    assert (f["service"], f["service_type"]) == ("unknown-9", "response_unsupported")
    assert f["blocks"] == ["manufacturer_specific/unknown-7"]
    (ev,) = feed(ProfinetDecoder(), dcp(0xFEFD, 4, 3, block(1, 99, b"\x00\x00")))
    assert ev.fields["service_type"] == "unknown-3" and ev.fields["blocks"] == ["ip/unknown-99"]


def test_truncated_and_bad_block_lengths_are_weirds() -> None:
    evs = feed(ProfinetDecoder(), IDENTIFY_RESPONSE[:40])
    assert evs[0].name == "profinet_dcp_identify_response"
    assert evs[-1].fields["name"] == "profinet_dcp_truncated"
    bad = dcp(0xFEFE, 5, 0, struct.pack(">BBH", 2, 2, 200) + b"abc")
    evs = feed(ProfinetDecoder(), bad)
    assert [e.fields.get("name") for e in evs[1:]] == ["profinet_dcp_bad_block_length"]
    assert evs[0].fields["name_of_station"] == "abc"
    evs = feed(ProfinetDecoder(), b"\xfe\xfe\x05")
    assert [e.fields["name"] for e in evs if e.is_weird] == ["profinet_dcp_short_header"]
    (w,) = feed(ProfinetDecoder(), b"\xfe")
    assert w.fields["name"] == "profinet_short_frame"


def test_strings_from_the_wire_are_safe() -> None:
    (ev,) = feed(ProfinetDecoder(), dcp(0xFEFE, 5, 0, block(2, 2, b"\xff\xfe%n\x1b[31m\x00\x00")))
    assert ev.fields["name_of_station"] == "\xff\xfe%n\x1b[31m"


def rt(fid: int, cycle: int, status: int, size: int = 40) -> bytes:
    return struct.pack(">H", fid) + b"\x00" * size + struct.pack(">HBB", cycle, status, 0)


def test_cyclic_frames_are_counted_not_reported() -> None:
    dec = ProfinetDecoder()
    for i in range(100):
        assert dec.feed(rt(0xC000, i * 32, 0x35), True, 1.0 + i / 1000, 10 + i) == []
    assert dec.feed(rt(0xC001, 7, 0x05), False, 2.0, 200) == []
    assert dec.feed(struct.pack(">H", 0xFE01) + b"\x00" * 30, True, 2.5, 201) == []
    assert dec.feed(struct.pack(">H", 0xFF40) + b"\x00" * 40, False, 3.0, 202) == []
    evs = dec.finish(9.0, 300)
    by = {(e.is_orig, e.fields["frame_id"]): e.fields for e in evs}
    assert all(e.name == "profinet_rt_summary" and e.frame == 300 for e in evs)
    f = by[(True, 0xC000)]
    assert (f["frame_class"], f["frames"], f["bytes"], f["first_frame"], f["first_ts"]) == (
        "rt_class_1", 100, 100 * 46, 10, 1.0)
    assert (f["cycle_counter"], f["data_status"], f["data_valid"], f["provider_run"], f["station_problem"]) == (
        99 * 32, 0x35, True, True, False)
    g = by[(False, 0xC001)]
    assert (g["provider_run"], g["station_problem"]) == (False, True)
    assert by[(True, 0xFE01)]["frame_class"] == "alarm_low" and "data_status" not in by[(True, 0xFE01)]
    assert by[(False, 0xFF40)]["frame_class"] == "ptcp_delay_req"
    assert dec.finish(10.0, 301) == []


def test_frame_classes() -> None:
    assert [frame_class(x) for x in (0x0100, 0x8000, 0xC000, 0xFBFF, 0xFC01, 0xFE01, 0xFF43, 0xFF80, 0xFFFF)] == [
        "rt_class_3", "rt_class_2", "rt_class_1", "rt_class_1", "alarm_high", "alarm_low", "ptcp_delay_res",
        "fragment", "reserved"]


def test_counted_frame_ids_are_bounded() -> None:
    dec = ProfinetDecoder()
    weirds = []
    for fid in range(0xC000, 0xC000 + 1100):
        weirds += dec.feed(rt(fid, 0, 0x35), True, 1.0, 1)
    assert [w.fields["name"] for w in weirds] == ["profinet_too_many_frame_ids"]
    assert len(dec.finish(2.0, 2)) == 1024


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.binary(max_size=120), st.booleans()), max_size=8),
       st.sampled_from([0xFEFC, 0xFEFD, 0xFEFE, 0xFEFF, 0xC000, 0xFE01]))
def test_arbitrary_bytes_never_raise(frames: list[tuple[bytes, bool]], fid: int) -> None:
    dec = ProfinetDecoder()
    for i, (raw, is_orig) in enumerate(frames):
        for data in (raw, struct.pack(">H", fid) + raw):
            evs = dec.feed(data, is_orig, float(i), i + 1)
            assert isinstance(evs, list) and all(isinstance(e, Event) for e in evs)
    assert isinstance(dec.gap(10, True, 9.0, 99), list)
    assert all(isinstance(e, Event) for e in dec.finish(10.0, 100))
