"""RDP decoder fed byte literals: connection request (cookie, protocols), confirm, failure, trouble."""

from __future__ import annotations

import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from plantwarden.core.events import Event
from plantwarden.decoders.rdp import RdpDecoder


def tpkt(x224: bytes) -> bytes:
    return b"\x03\x00" + struct.pack(">H", 4 + len(x224)) + x224


def cr(body: bytes) -> bytes:
    return tpkt(bytes([6 + len(body), 0xE0]) + bytes(5) + body)


def cc(body: bytes) -> bytes:
    return tpkt(bytes([6 + len(body), 0xD0]) + bytes(5) + body)


REQ = cr(b"Cookie: mstshash=vendor-eng\r\n" + struct.pack("<BBHI", 1, 0, 8, 3))


def test_request_and_confirm() -> None:
    d = RdpDecoder()
    assert d.feed(REQ[:10], True, 1.0, 1) == []
    (ev,) = d.feed(REQ[10:], True, 1.0, 2)
    f = ev.fields
    assert ev.name == "rdp_connection_request" and ev.frame == 2
    assert (f["cookie"], f["username"], f["requested_protocols"], f["credssp_requested"]) == (
        "mstshash=vendor-eng", "vendor-eng", ["ssl", "credssp"], True)
    (ev,) = d.feed(cc(struct.pack("<BBHI", 2, 0, 8, 2)), False, 2.0, 3)
    assert ev.name == "rdp_connection_confirm" and ev.fields["selected_protocol"] == "credssp" and ev.fields["weak"] == []
    assert d.feed(b"\x16\x03\x01\x00\x10tls...", True, 3.0, 4) == []


def test_standard_security_and_failure() -> None:
    d = RdpDecoder()
    (ev,) = d.feed(cr(b"Cookie: msts=3640205228.15629.0000\r\n"), True, 1.0, 1)
    assert ev.fields["routing_token"] == "msts=3640205228.15629.0000" and ev.fields["requested_protocols"] is None
    (ev,) = d.feed(cc(b""), False, 1.0, 2)
    assert ev.fields["selected_protocol"] == "rdp" and ev.fields["weak"] == ["standard_rdp_security"]
    d = RdpDecoder()
    d.feed(cr(struct.pack("<BBHI", 1, 0, 8, 0)), True, 1.0, 1)
    (ev,) = d.feed(cc(struct.pack("<BBHI", 3, 0, 8, 5)), False, 1.0, 2)
    assert ev.fields["failure"] == "hybrid_required_by_server" and ev.fields["selected_protocol"] is None


def test_protocol_names() -> None:
    (ev,) = RdpDecoder().feed(cr(struct.pack("<BBHI", 1, 0, 8, 0x10 | 8)), True, 1.0, 1)
    assert ev.fields["requested_protocols"] == ["credssp_ex", "unknown-16"]
    (ev,) = RdpDecoder().feed(cr(struct.pack("<BBHI", 1, 0, 8, 0)), True, 1.0, 1)
    assert ev.fields["requested_protocols"] == ["rdp"] and not ev.fields["credssp_requested"]


def test_trouble() -> None:
    d = RdpDecoder()
    (ev,) = d.feed(b"GET / HTTP/1.1\r\n", True, 1.0, 1)
    assert ev.fields["name"] == "rdp_protocol_violation" and d.violated
    d = RdpDecoder()
    d.feed(REQ, True, 1.0, 1)
    (ev,) = d.feed(tpkt(b"\x02\xf0\x80" + bytes(8)), False, 1.0, 2)
    assert ev.fields["name"] == "rdp_unexpected_pdu"


def test_probe() -> None:
    assert RdpDecoder.probe(REQ, True) > 0.5
    assert RdpDecoder.probe(REQ, False) < 0
    assert RdpDecoder.probe(tpkt(b"\x02\xf0\x80" + bytes(8)), True) < 0


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.binary(max_size=100)), max_size=6))
def test_never_raises(chunks: list[tuple[bool, bytes]]) -> None:
    d = RdpDecoder()
    for i, (is_orig, data) in enumerate(chunks):
        out = d.feed((b"\x03\x00\x00\x20\x1b\xe0" + data) if i == 0 else data, is_orig, float(i), i + 1)
        assert isinstance(out, list) and all(isinstance(e, Event) for e in out)
    assert isinstance(d.gap(5, True, 1.0, 1), list) and isinstance(d.finish(9.0, 99), list)
