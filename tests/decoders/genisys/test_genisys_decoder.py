"""GENISYS decoder, fed byte literals from icsnpp-genisys genisys.pcap (frames 4, 6, 16, 435) and built ones."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from plantwarden.core.events import Event
from plantwarden.decoders.genisys import GenisysDecoder
from plantwarden.decoders.genisys.decoder import crc16

H = bytes.fromhex
POLL = H("fb018340f6")
ACK = H("f101f6")
RECALL = H("fd0180e0f6")
IND_ODD_ESCAPE = H("f20108060a040c040f0409f0f6")


def msg(header: int, station: int, pairs: list[tuple[int, int]], crc: bool = True) -> bytes:
    body = bytes([station] + [x for p in pairs for x in p])
    if crc:
        c = crc16(bytes([header]) + body)
        body += bytes([c & 0xFF, c >> 8])
    esc = b"".join(bytes([0xF0, b & 0x0F]) if b >= 0xF0 else bytes([b]) for b in body)
    return bytes([header]) + esc + b"\xf6"


def names(evs: list[Event]) -> list[str]:
    return [e.name if e.name != "weird" else "weird:" + e.fields["name"] for e in evs]


def test_genisys_poll_ack_recall() -> None:
    d = GenisysDecoder()
    (p,) = d.feed(POLL, True, 1.0, 4)
    assert p.name == "genisys_poll" and p.fields["direction"] == "request" and p.fields["station"] == 1
    assert (p.fields["crc_transmitted"], p.fields["crc_valid"]) == (0x4083, True)
    (a,) = d.feed(ACK, False, 1.0, 6)
    assert a.name == "genisys_acknowledge_client" and a.fields["crc_transmitted"] is None and a.fields["payload"] == []
    (r,) = d.feed(RECALL, True, 1.0, 16)
    assert r.name == "genisys_recall_header" and r.fields["crc_transmitted"] == 0xE080


def test_genisys_indication_data_and_escapes() -> None:
    d = GenisysDecoder()
    (i,) = d.feed(msg(0xF2, 3, [(0, 5), (7, 0xF3)]), False, 1.0, 1)
    assert i.fields["payload"] == [{"address": 0, "value": 5}, {"address": 7, "value": 0xF3}]
    assert i.fields["crc_valid"] is True
    out = d.feed(IND_ODD_ESCAPE, False, 1.0, 435)
    assert names(out) == ["weird:genisys_bad_escape", "genisys_indication_data"]
    assert out[1].fields["crc_transmitted"] == 0xF009 and len(out[1].fields["payload"]) == 4


def test_genisys_controls_bad_crc_and_odd_payload() -> None:
    d = GenisysDecoder()
    (c,) = d.feed(msg(0xFC, 2, [(4, 1)]), True, 1.0, 1)
    assert c.name == "genisys_control_data" and c.fields["direction"] == "request"
    assert names(d.feed(msg(0xFE, 2, []), True, 1.0, 2)) == ["genisys_execute_controls"]
    bad = bytearray(msg(0xF2, 1, [(1, 1)]))
    bad[-2] ^= 0x01
    assert names(d.feed(bytes(bad), False, 1.0, 3)) == ["genisys_indication_data", "weird:genisys_bad_crc"]
    assert "weird:genisys_odd_payload" in names(d.feed(H("f2010203040506f6"), False, 1.0, 4))


def test_genisys_split_coalesced_gap_violation() -> None:
    stream = POLL + RECALL + msg(0xFC, 2, [(4, 1)])
    d = GenisysDecoder()
    out: list[Event] = []
    for i in range(len(stream)):
        out += d.feed(stream[i:i + 1], True, 1.0, i)
    assert names(out) == ["genisys_poll", "genisys_recall_header", "genisys_control_data"]
    assert out[-1].frame == len(stream) - 1
    assert names(GenisysDecoder().feed(stream, True, 1.0, 1)) == names(out)
    d.feed(POLL[:2], True, 1.0, 1)
    d.gap(3, True, 1.0, 2)
    assert names(d.feed(b"\x01\x02\xf6" + POLL, True, 1.0, 3)) == ["weird:genisys_resync", "genisys_poll"]
    v = GenisysDecoder()
    assert names(v.feed(b"GET / HTTP/1.1\r\n", True, 1.0, 1)) == ["weird:genisys_protocol_violation"] and v.violated
    assert GenisysDecoder.probe(POLL, True) > 0.5 and GenisysDecoder.probe(b"\xfb\x01\x00\x00\xf6", True) < 0


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["feed", "gap"]), st.booleans(), st.binary(max_size=60)), max_size=12))
def test_genisys_never_raises(ops: list[tuple[str, bool, bytes]]) -> None:
    d = GenisysDecoder()
    d.feed(POLL, True, 0.0, 0)
    for op, is_orig, data in ops:
        out = d.gap(len(data), is_orig, 1.0, 1) if op == "gap" else d.feed(data, is_orig, 1.0, 1)
        assert isinstance(out, list) and all(isinstance(e, Event) for e in out)
        for e in out:
            json.dumps(e.fields)
    assert isinstance(d.finish(2.0, 2), list)
