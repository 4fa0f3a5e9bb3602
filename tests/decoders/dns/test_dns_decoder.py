"""DNS decoder fed byte literals: queries, responses, record data, compression, TCP framing, trouble."""

from __future__ import annotations

import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from plantwarden.core.events import Event
from plantwarden.decoders.dns import DnsDecoder, DnsTcpDecoder
from plantwarden.decoders.dns.message import read_name


def name(n: str) -> bytes:
    return b"".join(len(p).to_bytes(1, "big") + p.encode() for p in n.split(".") if p) + b"\0"


def header(id_: int, flags: int, qd: int, an: int = 0, ns: int = 0, ar: int = 0) -> bytes:
    return struct.pack(">6H", id_, flags, qd, an, ns, ar)


def rr(owner: bytes, rtype: int, data: bytes, ttl: int = 300, rclass: int = 1) -> bytes:
    return owner + struct.pack(">HHIH", rtype, rclass, ttl, len(data)) + data


QUERY = header(0x1234, 0x0100, 1) + name("plc1.plant.local") + struct.pack(">HH", 1, 1)
# response: question at offset 12, answers use a pointer to it (0xC00C)
RESPONSE = (header(0x1234, 0x8180, 1, 3) + name("plc1.plant.local") + struct.pack(">HH", 1, 1)
            + rr(b"\xc0\x0c", 5, name("hmi.plant.local"))
            + rr(name("hmi.plant.local"), 1, bytes([10, 0, 0, 7]), ttl=60)
            + rr(name("hmi.plant.local"), 28, bytes(15) + b"\x01"))


def one(d: DnsDecoder, data: bytes, is_orig: bool = True) -> Event:
    evs = d.feed(data, is_orig, 1.0, 1)
    assert len(evs) == 1, evs
    return evs[0]


def test_query() -> None:
    ev = one(DnsDecoder(), QUERY)
    assert ev.name == "dns_query"
    f = ev.fields
    assert (f["id"], f["opcode_name"], f["rd"], f["query"], f["qtype"], f["qclass"]) == (
        0x1234, "query", True, "plc1.plant.local", "A", "IN")
    assert f["questions"] == [{"name": "plc1.plant.local", "type": "A", "type_code": 1, "class": "IN", "class_code": 1}]
    assert "resolved" not in f


def test_response_answers_and_resolved_pairs() -> None:
    d = DnsDecoder()
    one(d, QUERY)
    ev = one(d, RESPONSE, False)
    f = ev.fields
    assert ev.name == "dns_response" and f["rcode_name"] == "NOERROR" and f["ra"]
    assert [(a["name"], a["type"], a["ttl"], a["data"]) for a in f["answers"]] == [
        ("plc1.plant.local", "CNAME", 300, "hmi.plant.local"),
        ("hmi.plant.local", "A", 60, "10.0.0.7"),
        ("hmi.plant.local", "AAAA", 300, "::1"),
    ]
    assert f["resolved"] == [{"name": "hmi.plant.local", "address": "10.0.0.7"},
                             {"name": "hmi.plant.local", "address": "::1"}]


def test_record_data_kinds() -> None:
    txt = b"\x05hello\x05world" + b"\xff" + b"x" * 255
    srv = struct.pack(">HHH", 1, 2, 502) + name("plc.local")
    nsec = name("plc.local") + b"\x00\x06\x40\x00\x00\x08\x00\x03"  # window 0: A, AAAA, RRSIG, NSEC
    msg = (header(7, 0x8400, 0, 6) + rr(name("plant.local"), 15, b"\x00\x0a" + name("mail.plant.local"))
           + rr(name("plant.local"), 16, txt) + rr(name("_modbus._tcp.local"), 33, srv)
           + rr(name("plant.local"), 2, name("ns1.plant.local"))
           + rr(name("7.0.0.10.in-addr.arpa"), 12, name("hmi.plant.local"))
           + rr(name("plc.local"), 47, nsec))
    f = one(DnsDecoder(), msg, False).fields
    data = [a["data"] for a in f["answers"]]
    assert data[0] == "10 mail.plant.local"
    assert data[1].startswith("hello world x") and len(data[1]) == 256
    assert data[2:5] == ["1 2 502 plc.local", "ns1.plant.local", "hmi.plant.local"]
    assert data[5] == "plc.local A AAAA RRSIG NSEC"
    assert f["aa"] and f["resolved"] == [{"name": "hmi.plant.local", "address": "10.0.0.7"}]


def test_nsec_bitmap() -> None:
    bitmap = bytearray(5)  # window 0, types 1 (A), 16 (TXT), 28 (AAAA), 33 (SRV)
    for t in (1, 16, 28, 33):
        bitmap[t // 8] |= 0x80 >> (t % 8)
    nsec = name("plc.local") + b"\x00\x05" + bytes(bitmap)
    f = one(DnsDecoder(), header(1, 0x8400, 0, 1) + rr(name("plc.local"), 47, nsec), False).fields
    assert f["answers"][0]["data"] == "plc.local A TXT AAAA SRV"


def test_opt_record_and_unknown_codes() -> None:
    opt = b"\x00" + struct.pack(">HHIH", 41, 1232, 0, 0)
    msg = header(9, 0x7800 | 0x000E, 1, 0, 0, 1) + name("x") + struct.pack(">HH", 999, 77) + opt
    f = one(DnsDecoder(), msg).fields
    assert (f["opcode_name"], f["qtype"], f["qclass"]) == ("unknown-15", "unknown-999", "unknown-77")
    assert f["additional"][0]["udp_payload_size"] == 1232


def test_mdns_class_top_bit_and_ptr_ipv6() -> None:
    rev = ".".join(reversed("fe800000000000000000000000000001")) + ".ip6.arpa"
    msg = header(0, 0x8400, 0, 1) + rr(name(rev), 12, name("plc.local"), rclass=0x8001)
    f = one(DnsDecoder(), msg, True).fields
    assert f["answers"][0]["class"] == "IN"
    assert f["resolved"] == [{"name": "plc.local", "address": "fe80::1"}]


def test_names_are_escaped() -> None:
    raw = b"\x05a.b\\\x01" + b"\x02\xff\xfe" + b"\x04caf\xc3" + b"\x00"
    n, end = read_name(raw + b"", 0)
    assert n == "a\\x2eb\\x5c\\x01.\\xff\\xfe.caf\\xc3" and end == len(raw)
    n, _ = read_name(b"\x05caf\xc3\xa9\x00", 0)
    assert n == "café"


def test_compression_loop_is_a_weird() -> None:
    # question name is a pointer to itself
    msg = header(1, 0x0100, 1) + b"\xc0\x0c" + struct.pack(">HH", 1, 1)
    d = DnsDecoder()
    one(d, QUERY)  # confirmed flow
    evs = d.feed(msg, True, 2.0, 2)
    assert [e.fields.get("name") for e in evs if e.is_weird] == ["dns_compression_loop"]
    assert evs[0].name == "dns_query" and evs[0].fields["questions"] == []


def test_forward_pointer_chain_is_bounded() -> None:
    # each pointer points one step back: a chain longer than the limit
    body = bytearray(b"\x01a\x00")
    for i in range(40):
        body += bytes([0xC0, 12 + (0 if i == 0 else 3 + 2 * (i - 1))])
    msg = header(1, 0x0100, 1) + bytes(body)
    n, _ = read_name(msg, 12)
    assert n == "a"
    try:
        read_name(msg, len(msg) - 2)
    except Exception as e:
        assert type(e).__name__ == "DnsError"
    else:
        raise AssertionError("no error for a long pointer chain")


def test_truncated_record_on_confirmed_flow() -> None:
    d = DnsDecoder()
    one(d, QUERY)
    evs = d.feed(RESPONSE[:-5], False, 2.0, 3)
    assert evs[0].name == "dns_response" and len(evs[0].fields["answers"]) == 2
    assert evs[1].fields["name"] == "dns_malformed"


def test_violation_on_first_datagram() -> None:
    d = DnsDecoder()
    evs = d.feed(b"\x00\x01", True, 1.0, 1)
    assert evs[0].fields["name"] == "dns_protocol_violation" and d.violated
    assert d.feed(QUERY, True, 1.0, 2) == []


def test_trailing_bytes() -> None:
    evs = DnsDecoder().feed(QUERY + b"xx", True, 1.0, 1)
    assert [e.fields["name"] for e in evs if e.is_weird] == ["dns_trailing_bytes"]


def test_probe() -> None:
    assert DnsDecoder.probe(QUERY, True) > 0.5
    assert DnsDecoder.probe(b"\x00" * 40, True) < 0
    nbns = header(1, 0x0110, 1) + b"\x20" + b"A" * 32 + b"\x00" + struct.pack(">HH", 32, 1)
    assert DnsDecoder.probe(nbns, True) < 0


def test_tcp_split_and_coalesced() -> None:
    d = DnsTcpDecoder()
    framed = struct.pack(">H", len(QUERY)) + QUERY
    assert d.feed(framed[:1], True, 1.0, 1) == []
    assert d.feed(framed[1:10], True, 1.0, 2) == []
    evs = d.feed(framed[10:] + framed, True, 1.0, 3)
    assert [e.name for e in evs] == ["dns_query", "dns_query"] and evs[0].frame == 3
    resp = struct.pack(">H", len(RESPONSE)) + RESPONSE
    assert [e.name for e in d.feed(resp, False, 2.0, 4)] == ["dns_response"]


def test_tcp_gap_and_finish() -> None:
    d = DnsTcpDecoder()
    framed = struct.pack(">H", len(QUERY)) + QUERY
    d.feed(framed, True, 1.0, 1)
    d.feed(framed[:5], False, 1.0, 2)
    evs = d.finish(3.0, 3)
    assert [e.fields["name"] for e in evs] == ["dns_incomplete_message"]
    d.gap(10, True, 4.0, 4)
    assert d.feed(framed, True, 5.0, 5) == []


def test_tcp_violation() -> None:
    d = DnsTcpDecoder()
    evs = d.feed(b"\x00\x03abc", True, 1.0, 1)
    assert evs[0].fields["name"] == "dns_protocol_violation" and d.violated


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.binary(max_size=300)), max_size=8), st.booleans())
def test_never_raises(chunks: list[tuple[bool, bytes]], tcp: bool) -> None:
    d = DnsTcpDecoder() if tcp else DnsDecoder()
    for i, (is_orig, data) in enumerate(chunks):
        out = d.feed(header(1, 0x8180, 2, 2) + data if i == 0 else data, is_orig, float(i), i + 1)
        assert isinstance(out, list) and all(isinstance(e, Event) for e in out)
        if i == 3:
            assert isinstance(d.gap(5, is_orig, 1.0, 1), list)
    assert isinstance(d.finish(9.0, 99), list)
    DnsDecoder.probe(b"".join(c for _, c in chunks), True)
