"""Niagara Fox decoder, fed the payloads of ITI fox_info.pcap (frames 4, 6 and 9) and built messages.

No oracle exists (Wireshark 4.0 has no Fox dissector, Zeek/ICSNPP none either): the expected values
were checked by hand against the bytes and the public descriptions of Fox's hello exchange.
"""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from plantwarden.core.events import Event
from plantwarden.decoders.fox import FoxDecoder

FRAME_4 = (
    b'fox a 1 -1 fox hello\n{\nfox.version=s:1.0\nid=i:1\nhostName=s:xpvm-0omdc0'
    b'1xmy\nhostAddress=s:192.168.1.125\napp.name=s:Workbench\napp.version=s:3.'
    b'7.44\nvm.name=s:Java HotSpot(TM) Server VM\nvm.version=s:20.4-b02\nos.nam'
    b'e=s:Windows XP\nos.version=s:5.1\nlang=s:en\ntimeZone=s:America/Los_Angel'
    b'es;-28800000;3600000;02:00:00.000,wall,march,8,on or after,sunday,unde'
    b'fined;02:00:00.000,wall,november,1,on or after,sunday,undefined\nhostId'
    b'=s:Win-99CB-D49D-5442-07BB\nvmUuid=s:8b530bc8-76c5-4139-a2ea-0fabd394d3'
    b'05\nbrandId=s:vykon\n};;\n'
)
FRAME_6 = (
    b'fox a 0 -1 fox hello\n{\nfox.version=s:1.0\nid=i:2\nhostName=s:192.168.2.1'
    b'5\nhostAddress=s:192.168.2.15\napp.name=s:Station\napp.version=s:3.5.41.1'
    b'\nvm.name=s:J9\nvm.version=s:2.3\nos.name=s:QNX\nos.version=s:6.3.2\nstatio'
    b'n.name=s:Legion_HQ_V4\nlang=s:en\ntimeZone=s:Australia/Perth;28800000;0;'
    b'null;null\nhostId=s:Qnx-NPM6-0000-1490-C30C\nvmUuid=s:11e4d864-cd0e-664a'
    b'-0000-00000000b83b\nbrandId=s:vykon\nsysInfo=o:bog 61[<bog version="1.0"'
    b'>\n<p m="b=baja" t="b:Facets" v=""/>\n</bog>\n]\n};;\n'
)
FRAME_9 = (
    b'fox a 1 -1 fox challenge\n{\nmethod=s:digest-md5\nnonce=b:44[\x00\x05nonce\x00\x00\x00\x02\x00'
    b'\x0f184.174.131.193\x00\x00\xa4\xb7\x00\x00\x01L{\xbf+\xe9\x86\x9d|f]\n};;\n'
)


def names(evs: list[Event]) -> list[str]:
    return [e.name if e.name != "weird" else "weird:" + e.fields["name"] for e in evs]


def test_fox_hello_exchange_and_identity() -> None:
    d = FoxDecoder()
    (c,) = d.feed(FRAME_4, True, 1.0, 4)
    assert c.name == "fox_hello" and d.confirmed
    f = c.fields
    assert (f["message_type"], f["request_id"], f["reply_to"], f["channel"], f["command"]) == ("a", 1, -1, "fox", "hello")
    assert f["pairs"]["id"] == 1 and f["pairs"]["vm.name"] == "Java HotSpot(TM) Server VM"
    assert f["pairs"]["timeZone"].startswith("America/Los_Angeles;-28800000;")
    assert f["identity"] == {"name": "xpvm-0omdc01xmy", "product_name": "Workbench", "application_version": "3.7.44",
                             "firmware": "Windows XP 5.1", "vendor": "vykon", "serial_number": "Win-99CB-D49D-5442-07BB"}
    (s,) = d.feed(FRAME_6, False, 1.1, 6)
    g = s.fields
    assert s.name == "fox_hello" and g["request_id"] == 0 and len(g["pairs"]) == 17
    assert g["identity"] == {"name": "Legion_HQ_V4", "product_name": "Station", "application_version": "3.5.41.1",
                             "firmware": "QNX 6.3.2", "vendor": "vykon", "serial_number": "Qnx-NPM6-0000-1490-C30C"}
    assert g["pairs"]["sysInfo"] == '<bog version="1.0">\n<p m="b=baja" t="b:Facets" v=""/>\n</bog>\n'
    (ch,) = d.feed(FRAME_9, False, 1.2, 9)
    assert ch.name == "fox_challenge" and ch.fields["pairs"]["method"] == "digest-md5"
    nonce = bytes.fromhex(ch.fields["pairs"]["nonce"])
    assert len(nonce) == 44 and b"184.174.131.193" in nonce and "identity" not in ch.fields
    json.dumps([c.fields, s.fields, ch.fields])


def test_fox_split_and_coalesced() -> None:
    d = FoxDecoder()
    out: list[Event] = []
    for i in range(len(FRAME_6)):  # byte by byte: the object blob is split too
        out += d.feed(FRAME_6[i:i + 1], False, 1.0, i)
    assert names(out) == ["fox_hello"] and out[0].frame == len(FRAME_6) - 1
    out = d.feed(FRAME_6 + FRAME_9 + FRAME_6[:30], False, 2.0, 10)
    assert names(out) == ["fox_hello", "fox_challenge"]
    assert names(d.feed(FRAME_6[30:], False, 3.0, 11)) == ["fox_hello"]


def test_fox_blob_holding_the_terminator_and_other_commands() -> None:
    d = FoxDecoder()
    msg = b"fox a 3 2 fox authenticate\n{\nusername=s:admin\nresponse=b:5[;;\n\x00z]\nx=z:true\n}\n};;\n"
    (a,) = d.feed(msg, True, 1.0, 1)
    assert a.name == "fox_authenticate" and a.fields["reply_to"] == 2
    assert a.fields["pairs"] == {"username": "admin", "response": "<redacted>", "x": True}
    (m,) = d.feed(b"fox e 4 -1 fox close\n};;\n", True, 1.0, 2)
    assert m.name == "fox_message" and m.fields["command"] == "close" and m.fields["pairs"] == {}


def test_fox_violation_malformed_and_gap() -> None:
    d = FoxDecoder()
    assert names(d.feed(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", True, 1.0, 1)) == ["weird:fox_protocol_violation"]
    assert d.violated and d.feed(FRAME_4, True, 1.0, 2) == []
    d = FoxDecoder()
    d.feed(FRAME_4, True, 1.0, 1)
    out = d.feed(b"fox a x -1 fox hello\n" + FRAME_4, True, 1.0, 2)
    assert names(out) == ["weird:fox_malformed", "weird:fox_resync", "fox_hello"]
    assert d.gap(10, True, 1.0, 3) == []
    assert names(d.feed(FRAME_4[40:] + FRAME_4, True, 1.0, 4)) == ["weird:fox_resync", "fox_hello"]
    d.gap(10, True, 1.0, 5)
    assert names(d.feed(FRAME_4, True, 1.0, 6)) == ["fox_hello"]  # resumes at a header without a skip
    bad_blob = b"fox a 5 -1 fox hello\n{\nk=b:x[]\n};;\n"
    assert names(d.feed(bad_blob, True, 1.0, 7))[0] == "weird:fox_malformed"


def test_fox_probe() -> None:
    assert FoxDecoder.probe(FRAME_4, True) == 0.9
    assert FoxDecoder.probe(b"fox a 1", True) == 0.55
    assert FoxDecoder.probe(b"\x16\x03\x01\x02\x00", True) < 0
    assert FoxDecoder.probe(b"fox\n", True) < 0


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.binary(max_size=60), st.booleans(), st.integers(0, 3)), max_size=10))
def test_fox_never_raises(chunks: list[tuple[bytes, bool, int]]) -> None:
    d = FoxDecoder()
    for data, is_orig, op in chunks:
        payload = data if op == 0 else FRAME_4[: len(data)] + data if op == 1 else b"fox a 1 -1 fox hello\n{\n" + data
        res = d.feed(payload, is_orig, 1.0, 1) if op != 3 else d.gap(len(data), is_orig, 1.0, 1)
        assert isinstance(res, list) and all(isinstance(e, Event) for e in res)
        json.dumps([e.fields for e in res])
        FoxDecoder.probe(payload, is_orig)
    assert isinstance(d.finish(2.0, 9), list)
