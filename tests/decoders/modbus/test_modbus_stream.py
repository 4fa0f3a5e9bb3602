"""Framing over a TCP stream: splits, coalesced ADUs, gaps, resynchronisation, violations, pairing."""

from __future__ import annotations

import pytest
from modbus_bytes import adu, feed, messages, weirds

from plantwarden.decoders.modbus import ModbusDecoder
from plantwarden.decoders.modbus.constants import MAX_BUFFER

REQ = adu(1, 1, bytes.fromhex("03 0000 0002"))
RESP = adu(1, 1, bytes.fromhex("03 04 0001 0002"))


def reqs(n: int, start: int = 1) -> list[bytes]:
    return [adu(t, 1, bytes.fromhex("03 0000 0001")) for t in range(start, start + n)]


def test_class_attributes() -> None:
    assert ModbusDecoder.name == "modbus"
    assert ModbusDecoder.transport == "tcp"
    assert ModbusDecoder.default_ports == (502,)


def test_several_adus_in_one_segment() -> None:
    dec = ModbusDecoder()
    evs = feed(dec, b"".join(reqs(5)), True, frame=9)
    assert [e.fields["transaction_id"] for e in evs] == [1, 2, 3, 4, 5]
    assert all(e.frame == 9 and e.ts == 9.0 for e in evs)


@pytest.mark.parametrize("cut", range(1, len(REQ)))
def test_adu_split_across_segments(cut: int) -> None:
    dec = ModbusDecoder()
    assert feed(dec, REQ[:cut], True, frame=1) == []
    evs = feed(dec, REQ[cut:], True, frame=2)
    assert [(e.name, e.frame) for e in evs] == [("modbus_read_holding_registers_request", 2)]


def test_byte_by_byte_and_coalesced_tail() -> None:
    dec = ModbusDecoder()
    stream = b"".join(reqs(3))
    out = []
    for i, b in enumerate(stream):
        out += feed(dec, bytes([b]), True, frame=i)
    assert [e.fields["transaction_id"] for e in out] == [1, 2, 3]
    assert [e.frame for e in out] == [11, 23, 35]


def test_directions_have_separate_buffers() -> None:
    dec = ModbusDecoder()
    assert feed(dec, REQ[:5], True) == []
    assert feed(dec, RESP[:5], False) == []
    evs = feed(dec, REQ[5:], True) + feed(dec, RESP[5:], False)
    assert [e.name for e in evs] == ["modbus_read_holding_registers_request", "modbus_read_holding_registers_response"]


def test_not_modbus_is_a_violation() -> None:
    dec = ModbusDecoder()
    evs = feed(dec, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", True)
    assert weirds(evs) == ["modbus_protocol_violation"]
    assert dec.violated
    assert feed(dec, REQ, True) == []
    assert dec.finish(1.0, 1) == []


def test_tls_on_502_is_a_violation() -> None:
    dec = ModbusDecoder()
    evs = feed(dec, bytes.fromhex("160301006a010000660303") + bytes(40), True)
    assert weirds(evs) == ["modbus_protocol_violation"] and dec.violated


def test_bad_header_after_confirmation_resyncs() -> None:
    dec = ModbusDecoder()
    feed(dec, REQ, True)
    junk = b"\x01\x02\x03\x04\x05\x06\x07\x08\x09"
    evs = feed(dec, junk + b"".join(reqs(2, start=10)), True)
    assert weirds(evs) == ["modbus_bad_header"]
    assert [e.fields["transaction_id"] for e in messages(evs)] == [10, 11]
    assert not dec.violated and dec.resyncs == 1


def test_endless_junk_after_confirmation_is_a_violation() -> None:
    dec = ModbusDecoder()
    feed(dec, REQ, True)
    evs = []
    for i in range(MAX_BUFFER // 100 + 3):
        evs += feed(dec, bytes([0x41 + i % 20]) * 100, True, frame=i)
    assert weirds(evs) == ["modbus_bad_header", "modbus_protocol_violation"]
    assert dec.violated


def test_gap_drops_partial_adu_and_resyncs_at_next_boundary() -> None:
    dec = ModbusDecoder()
    a, b, c = reqs(3)
    assert feed(dec, a + b[:4], True) != []
    assert dec.gap(20, True, 2.0, 2) == []
    # the data after the gap starts mid-ADU: the tail of c, then a whole ADU
    evs = feed(dec, c[5:] + adu(42, 1, bytes.fromhex("06 0001 0003")), True, frame=3)
    assert [e.fields["transaction_id"] for e in messages(evs)] == [42]
    assert weirds(evs) == []


def test_gap_then_segment_starting_with_unknown_function() -> None:
    # after a gap, a segment that is exactly one ADU is taken even with an unknown function code
    dec = ModbusDecoder()
    feed(dec, REQ, True)
    dec.gap(10, True, 2.0, 2)
    evs = feed(dec, adu(3, 1, bytes.fromhex("41 0000")), True, frame=3)
    assert [e.name for e in messages(evs)] == ["modbus_unknown_function_request"]


def test_gap_resync_waits_when_nothing_plausible() -> None:
    dec = ModbusDecoder()
    feed(dec, REQ, True)
    dec.gap(10, True, 2.0, 2)
    assert feed(dec, b"\xaa" * 30, True, frame=3) == []
    evs = feed(dec, REQ, True, frame=4)
    assert [e.frame for e in messages(evs)] == [4]


def test_resync_skips_register_data_that_looks_like_a_header() -> None:
    dec = ModbusDecoder()
    feed(dec, REQ, True)
    dec.gap(3, True, 2.0, 2)
    # "00 00 00 00 00 06 01 03" inside the values of a write would look like a header if alone
    fake = bytes.fromhex("ffff 0000 0006 01 03 00")
    evs = feed(dec, fake + adu(77, 1, bytes.fromhex("03 0000 0001")), True)
    assert [e.fields["transaction_id"] for e in messages(evs)] == [77]


def test_pairing_uses_transaction_ids_out_of_order() -> None:
    dec = ModbusDecoder()
    feed(dec, adu(1, 1, bytes.fromhex("01 0000 0003")) + adu(2, 1, bytes.fromhex("01 0000 000a")), True)
    evs = feed(dec, adu(2, 1, bytes.fromhex("01 02 ffff")) + adu(1, 1, bytes.fromhex("01 01 ff")), False)
    assert [len(e.fields["values"]) for e in messages(evs)] == [10, 3]
    assert weirds(evs) == []
    assert dec.finish(3.0, 3) == []


def test_unanswered_requests_reported_at_finish() -> None:
    dec = ModbusDecoder()
    feed(dec, REQ, True)
    feed(dec, REQ, True)  # same transaction id again: the first is counted as unanswered
    feed(dec, adu(2, 1, bytes.fromhex("03 0000 0001")), True)
    evs = dec.finish(9.0, 9)
    assert [(e.fields["name"], e.fields["detail"], e.frame) for e in evs] == [("modbus_unanswered_requests", "3", 9)]
    assert dec.unanswered_requests == 3


def test_response_function_mismatch() -> None:
    dec = ModbusDecoder()
    feed(dec, REQ, True)
    evs = feed(dec, adu(1, 1, bytes.fromhex("04 02 0001")), False)
    assert weirds(evs) == ["modbus_response_function_mismatch"]
    assert messages(evs)[0].fields["address"] is None


def test_incomplete_adu_at_finish() -> None:
    dec = ModbusDecoder()
    feed(dec, REQ[:9], True)
    evs = dec.finish(1.0, 1)
    assert ("modbus_incomplete_adu", "9 bytes") in [(e.fields["name"], e.fields["detail"]) for e in evs]


def test_oversized_adu_is_decoded_with_a_weird() -> None:
    dec = ModbusDecoder()
    feed(dec, REQ, True)
    evs = feed(dec, adu(5, 0, b"\x5a\x00\x0a" + bytes(253)), True)
    assert [e.name for e in messages(evs)] == ["modbus_umas_request"]
    assert weirds(evs) == ["modbus_oversized_adu"]


def test_short_length_field_is_a_bad_header() -> None:
    dec = ModbusDecoder()
    feed(dec, REQ, True)
    evs = feed(dec, adu(5, 0, b"\x03\x00\x00", length=1) + REQ, True)
    assert weirds(evs) == ["modbus_bad_header"]
    assert len(messages(evs)) == 1


def test_buffer_is_bounded() -> None:
    dec = ModbusDecoder()
    feed(dec, REQ, True)
    dec.gap(1, True, 1.0, 1)
    for i in range(50):
        feed(dec, b"\x00" * 1000, True, frame=i)
        assert len(dec._buf[1]) <= MAX_BUFFER


@pytest.mark.parametrize(
    ("data", "is_orig", "expected"),
    [
        (REQ, True, 0.9),
        (REQ + REQ, True, 0.8),
        (REQ[:10], True, 0.4),
        (REQ + REQ[:3], True, 0.6),
        (adu(1, 1, bytes.fromhex("83 02")), False, 0.9),
        (adu(1, 1, bytes.fromhex("83 02")), True, -1.0),
        (adu(1, 1, bytes.fromhex("03 0000 0001"), pid=1), True, -1.0),
        (adu(1, 1, bytes.fromhex("63 0000 0001")), True, -1.0),
        (b"\x16\x03\x01\x00\x6a\x01\x00\x00\x66", True, -1.0),
        (b"\x00\x01", True, 0.0),
    ],
)
def test_probe(data: bytes, is_orig: bool, expected: float) -> None:
    assert ModbusDecoder.probe(data, is_orig) == expected
