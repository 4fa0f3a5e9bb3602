"""HART-IP decoders: byte-literal messages of each kind, TCP framing (split, coalesced, gaps), UDP, fuzzing."""

from __future__ import annotations

import json
import struct
from functools import reduce
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plantwarden.core.activity import IDENTIFIES, PROGRAMS, READS, WRITES
from plantwarden.core.events import Event
from plantwarden.decoders.hartip import HartipDecoder, HartipUdpDecoder
from plantwarden.decoders.hartip.activity import activity
from plantwarden.decoders.hartip.pdu import packed_ascii
from plantwarden.decoders.registry import DECODERS


def msg(mtype: int, mid: int, seq: int, body: bytes = b"", status: int = 0, version: int = 1) -> bytes:
    return struct.pack(">BBBBHH", version, mtype, mid, status, seq, 8 + len(body)) + body


def pdu(delim: int, addr: bytes, cmd: int, data: bytes, check: int | None = None) -> bytes:
    frame = bytes([delim]) + addr + bytes([cmd, len(data)]) + data
    x = reduce(lambda a, v: a ^ v, frame, 0)
    return frame + bytes([x if check is None else check])


UNIQUE = bytes([0xB9, 0xFD, 0x95, 0x26, 0x6F])  # primary master, expanded device type 0x39fd, device id
CMD0_DATA = bytes([254, 0x26, 0x4E, 5, 7, 4, 1, 0x09, 0x00, 0x00, 0x00, 0xD2, 5, 4, 0x00, 0x03, 0x00, 0x00, 0x26,
                   0x00, 0x00, 0x01])


def run(d: Any, *chunks: tuple[bytes, bool]) -> list[Event]:
    out: list[Event] = []
    for i, (data, is_orig) in enumerate(chunks, 1):
        out += d.feed(data, is_orig, float(i), i)
    return out


def msgs(evs: list[Event]) -> list[Event]:
    return [e for e in evs if not e.is_weird]


def weirds(evs: list[Event]) -> list[str]:
    return [e.fields["name"] for e in evs if e.is_weird]


def test_registered() -> None:
    assert HartipDecoder in DECODERS and HartipUdpDecoder in DECODERS
    assert (HartipDecoder.transport, HartipUdpDecoder.transport) == ("tcp", "udp")
    assert HartipDecoder.default_ports == HartipUdpDecoder.default_ports == (5094,)


def test_probe() -> None:
    one = msg(0, 0, 1, b"\x01\x00\x09\x27\xc0")
    assert HartipDecoder.probe(one, True) == 0.9
    assert HartipDecoder.probe(one + msg(0, 2, 2), True) == 0.8
    assert HartipDecoder.probe(one[:10] + b"", True) == 0.4
    assert HartipDecoder.probe(b"GET / HTTP/1.1\r\n", True) < 0
    assert HartipDecoder.probe(b"\x01\x00", True) == 0.0


def test_session_keep_alive_close() -> None:
    d = HartipDecoder()
    evs = run(d, (msg(0, 0, 1, b"\x01\x00\x09\x27\xc0"), True), (msg(1, 0, 1, b"\x01\x00\x09\x27\xc0"), False),
              (msg(0, 2, 2), True), (msg(1, 2, 2), False), (msg(0, 1, 3), True), (msg(1, 1, 3), False))
    assert [e.name for e in evs] == [
        "hartip_session_initiate_request", "hartip_session_initiate_response", "hartip_keep_alive_request",
        "hartip_keep_alive_response", "hartip_session_close_request", "hartip_session_close_response"]
    f = evs[0].fields
    assert f == {"version": 1, "message_type": "request", "message_id": "session_initiate", "message_id_code": 0,
                 "status": "success", "status_code": 0, "sequence_number": 1, "byte_count": 13,
                 "master_type": "primary", "inactivity_close_timer": 600000}
    assert d.finish(9.0, 9) == []


def test_token_passing_command_0_identity() -> None:
    d = HartipDecoder()
    req = msg(0, 3, 4, pdu(0x02, b"\x80", 0, b""))
    resp = msg(1, 3, 4, pdu(0x06, b"\x80", 0, b"\x00\x10" + CMD0_DATA))
    q, r = run(d, (req, True), (resp, False))
    assert q.name == "hartip_token_passing_pdu_request"
    assert (q.fields["frame_type"], q.fields["address_type"], q.fields["polling_address"], q.fields["primary_master"],
            q.fields["command"], q.fields["command_name"], q.fields["check_byte_ok"]) == (
        "stx", "polling", 0, True, 0, "read_unique_identifier", True)
    f = r.fields
    assert (f["frame_type"], f["response_code"], f["response"], f["device_status"], f["device_status_flags"]) == (
        "ack", 0, "success", 0x10, ["more_status_available"])
    assert (f["manufacturer_id"], f["expanded_device_type"], f["device_id"], f["universal_revision"]) == (
        0x26, 0x264E, 210, 7)
    assert f["identity"] == {"vendor_id": 0x26, "device_type": 0x264E, "revision": 4, "firmware": 1, "hardware": 1,
                             "serial_number": 210}


def test_unique_address_long_tag_tag_and_message() -> None:
    d = HartipDecoder()
    tag = b"wihartgw".ljust(32, b"\x00")
    packed = bytes.fromhex("082082082082") + bytes(12) + bytes([1, 2, 124])
    evs = run(d, (msg(1, 3, 1, pdu(0x86, UNIQUE, 20, b"\x00\x00" + tag)), False),
              (msg(1, 3, 2, pdu(0x86, UNIQUE, 13, b"\x00\x00" + packed)), False),
              (msg(1, 3, 3, pdu(0x86, UNIQUE, 12, b"\x00\x00" + bytes(24))), False))
    f = evs[0].fields
    assert (f["address_type"], f["unique_address"], f["expanded_device_type"], f["device_id"]) == (
        "unique", UNIQUE.hex(), 0x39FD, 0x95266F)
    assert (f["long_tag"], f["identity"]) == ("wihartgw", {"name": "wihartgw"})
    assert (evs[1].fields["tag"], evs[1].fields["date"]) == ("BBBBBBBB", "2024-02-01")
    assert evs[2].fields["message"] == "@" * 32  # packed ASCII 0 is "@"


def test_packed_ascii() -> None:
    assert packed_ascii(bytes.fromhex("082082")) == "BBBB"
    assert packed_ascii(bytes.fromhex("820820")) == ""  # four spaces, stripped
    assert packed_ascii(b"") == ""


def test_extended_command_checksum_and_comm_error() -> None:
    d = HartipDecoder()
    evs = run(d, (msg(0, 3, 1, pdu(0x82, UNIQUE, 31, b"\x02\x00", check=0)), True),
              (msg(1, 3, 1, pdu(0x86, UNIQUE, 31, b"\x88\x00")), False))
    assert (evs[0].fields["extended_command"], evs[0].fields["check_byte_ok"]) == (512, False)
    assert (evs[1].fields["response"], evs[1].fields["response_code"]) == ("communication_error", 0x88)


def test_publish_direct_pdu_audit_log_error() -> None:
    d = HartipDecoder()
    direct_req = b"\x00\x00" + b"\x00\x36\x01\x00"
    direct_resp = b"\x20\x00" + b"\x00\x36\x03\x00\x01\x02"
    audit = b"\x00\x11" + bytes(8) + bytes(8) + b"\x00\x01\x00\x3a"
    evs = run(d, (msg(2, 3, 9, pdu(0x81, UNIQUE, 9, b"\x00\x00\x01")), False),
              (msg(0, 4, 4, direct_req), True), (msg(1, 4, 4, direct_resp), False),
              (msg(0, 5, 5, b"\x00\xff"), True), (msg(1, 5, 5, audit, status=8), False),
              (msg(3, 0, 6, b"\x01"), False))
    assert [e.name for e in evs] == [
        "hartip_token_passing_pdu_publish", "hartip_direct_pdu_request", "hartip_direct_pdu_response",
        "hartip_read_audit_log_request", "hartip_read_audit_log_response", "hartip_session_initiate_error"]
    assert evs[0].fields["frame_type"] == "back"
    assert evs[1].fields["commands"] == [{"command": 54, "command_name": "read_device_variable_information",
                                          "byte_count": 1}]
    assert evs[2].fields["commands"][0]["response_code"] == 0
    assert evs[2].fields["device_status_flags"] == ["cold_start"]
    f = evs[4].fields
    assert (f["status"], f["start_record"], f["record_count"], f["session_record_size"]) == (
        "set_to_nearest_possible_value", 0, 17, 58)
    assert evs[5].fields["error_code"] == 1


def test_unknown_message_id_and_malformed_bodies() -> None:
    d = HartipDecoder()
    run(d, (msg(0, 2, 1), True))
    evs = run(d, (msg(0, 9, 2), True), (msg(0, 3, 3, b"\x82\xb9"), True), (msg(0, 2, 4, b"xx"), True))
    assert [e.name for e in msgs(evs)] == ["hartip_unknown_message_request", "hartip_token_passing_pdu_request",
                                           "hartip_keep_alive_request"]
    assert evs[0].fields["message_id"] == "unknown-9"
    assert weirds(evs) == ["hartip_unknown_message_id", "hartip_malformed_body", "hartip_malformed_body"]


def test_split_and_coalesced_messages() -> None:
    d = HartipDecoder()
    stream = msg(0, 2, 1) + msg(0, 3, 2, pdu(0x02, b"\x80", 1, b"")) + msg(0, 1, 3)
    evs = run(d, (stream[:5], True), (stream[5:20], True), (stream[20:], True))
    assert [e.name for e in evs] == ["hartip_keep_alive_request", "hartip_token_passing_pdu_request",
                                     "hartip_session_close_request"]
    assert [e.frame for e in evs] == [2, 3, 3]


def test_gap_resynchronises_on_the_next_header() -> None:
    d = HartipDecoder()
    run(d, (msg(0, 2, 1), True))
    d.feed(msg(0, 3, 2, pdu(0x02, b"\x80", 1, b""))[:5], True, 2.0, 2)
    assert d.gap(20, True, 3.0, 3) == []
    assert run(d, (b"\x99" * 7, True)) == []  # the tail of a lost message: skipped
    evs = run(d, (msg(0, 2, 3), True))
    assert [e.name for e in evs] == ["hartip_keep_alive_request"]


def test_violation_and_bad_header() -> None:
    d = HartipDecoder()
    evs = run(d, (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03", True))
    assert weirds(evs) == ["hartip_protocol_violation"]
    assert d.violated and d.finish(1.0, 1) == []
    d = HartipDecoder()
    run(d, (msg(0, 2, 1), True))
    evs = run(d, (b"\x07\x07\x07\x07\x07\x07\x07\x07", True))
    assert weirds(evs) == ["hartip_bad_header"]
    assert not d.violated


def test_incomplete_and_unanswered_at_finish() -> None:
    d = HartipDecoder()
    run(d, (msg(0, 2, 1), True), (msg(0, 2, 2)[:6], True))
    assert weirds(d.finish(9.0, 9)) == ["hartip_unanswered_requests", "hartip_incomplete_message"]


def test_udp_datagrams() -> None:
    d = HartipUdpDecoder()
    evs = run(d, (msg(0, 0, 1, b"\x01\x00\x00\x75\x30") + msg(0, 2, 2), True),
              (msg(1, 0, 1, b"\x01\x00\x00\x75\x30")[:10], False), (msg(1, 2, 2) + b"zz", False))
    assert [e.name for e in msgs(evs)] == ["hartip_session_initiate_request", "hartip_keep_alive_request",
                                           "hartip_session_initiate_response", "hartip_keep_alive_response"]
    assert weirds(evs) == ["hartip_truncated_datagram", "hartip_malformed_body", "hartip_trailing_bytes"]
    d2 = HartipUdpDecoder()
    assert weirds(run(d2, (b"M-SEARCH * HTTP/1.1", True))) == ["hartip_protocol_violation"]


def test_pending_requests_bounded() -> None:
    d = HartipDecoder()
    for i in range(1100):
        d.feed(msg(0, 2, i), True, 1.0, i + 1)
    assert len(d._pending) <= 1024
    (w,) = d.finish(2.0, 2000)
    assert w.fields["detail"] == "1100"


@pytest.mark.parametrize(("fields", "want"), [
    ({"message_type": "request", "command": 0, "command_name": "read_unique_identifier"}, IDENTIFIES),
    ({"message_type": "request", "command": 1, "command_name": "read_primary_variable"}, READS),
    ({"message_type": "request", "command": 79, "command_name": "write_device_variable"}, WRITES),
    ({"message_type": "request", "command": 42, "command_name": "perform_device_reset"}, PROGRAMS),
    ({"message_type": "request", "command": 200, "command_name": "unknown-200"}, None),
    ({"message_type": "response", "command": 42, "command_name": "perform_device_reset"}, None),
    ({"message_type": "request"}, None),
])
def test_activity(fields: dict[str, Any], want: str | None) -> None:
    assert activity(fields) == want
    assert HartipDecoder.activity(fields) == want


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.binary(max_size=60), st.booleans(), st.integers(0, 3)), max_size=10))
def test_fuzz_tcp_never_raises(chunks: list[tuple[bytes, bool, int]]) -> None:
    d = HartipDecoder()
    for i, (data, is_orig, how) in enumerate(chunks):
        if how == 1:  # a valid header around random bodies reaches the PDU parsers
            data = msg(i % 4, data[0] % 6 if data else 3, i, data)
        if how == 3:
            out = d.gap(len(data), is_orig, float(i), i + 1)
        else:
            out = d.feed(data, is_orig, float(i), i + 1)
        assert all(isinstance(e, Event) for e in out)
        for e in out:
            json.dumps(e.fields, allow_nan=False)
    assert all(isinstance(e, Event) for e in d.finish(9.0, 99))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=80), st.integers(0, 15), st.integers(0, 6))
def test_fuzz_bodies_never_raise(body: bytes, mtype: int, mid: int) -> None:
    for d in (HartipDecoder(), HartipUdpDecoder()):
        out = d.feed(msg(mtype, mid, 1, body), True, 1.0, 1) + d.finish(2.0, 2)
        for e in out:
            json.dumps(e.fields, allow_nan=False)
