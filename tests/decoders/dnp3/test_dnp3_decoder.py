"""DNP3 decoder, fed byte literals (from the shared captures, see comments) and frames built here.

``frame()`` builds a link frame with this package's CRC; the CRC itself is checked against frames
captured from real devices first (test_crc_of_captured_frames).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from plantwarden.core.events import Event
from plantwarden.decoders.dnp3 import Dnp3Decoder, Dnp3UdpDecoder, link
from plantwarden.decoders.dnp3.constants import EVENT_NAMES, MAX_POINTS
from plantwarden.decoders.dnp3.decoder import _LINK_EVENTS

H = bytes.fromhex
# zeek__dnp3_read.pcap frame 4: read class 1, 2, 3, 0
READ_CLASSES = H("056414c4020003004503c7c8013c02063c03063c04063c010642ac")
# zeek__dnp3_select_operate.pcap frames 4 and 6: select CROB index 1, latch on, and the response
SELECT = H("05641ac40200030040f2c6c7030c0128010001000301640000008fda6400000000005b")
SELECT_RESP = H("05641c44030002004b91fcc78100000c0128010001000301640001a400006400000000005b")
# zeek__dnp3_link_only.pcap frames 1 and 2: request link status, link status
LINK_STATUS_REQ = H("05640549640001007e5f")
LINK_STATUS = H("0564058b01006400a097")
# ICS-Security-Tools auth_control_challenge_response.pcap frame 2: an authentication challenge
AUTH_CHALLENGE = H("05641c440300040064bdc7c683900078015b010c0003000000009287000401737465768d5c")


def frame(ud: bytes, ctrl: int = 0xC4, dst: int = 3, src: int = 4) -> bytes:
    """A link frame carrying ``ud`` (transport header included), CRCs computed here."""
    hdr = b"\x05\x64" + bytes([len(ud) + 5, ctrl]) + dst.to_bytes(2, "little") + src.to_bytes(2, "little")
    out = hdr + link.crc(hdr).to_bytes(2, "little")
    for i in range(0, len(ud), 16):
        block = ud[i:i + 16]
        out += block + link.crc(block).to_bytes(2, "little")
    return out


def app(fragment: bytes, seq: int = 0, **kw: Any) -> bytes:
    """Link frames carrying one application fragment, split into transport segments of <= 249 bytes."""
    parts = [fragment[i:i + 249] for i in range(0, len(fragment), 249)] or [b""]
    out = b""
    for i, p in enumerate(parts):
        th = (0x40 if i == 0 else 0) | (0x80 if i == len(parts) - 1 else 0) | ((seq + i) & 0x3F)
        out += frame(bytes([th]) + p, **kw)
    return out


def feed(*chunks: bytes, is_orig: bool = True, dec: Dnp3Decoder | None = None) -> list[Event]:
    dec = dec or Dnp3Decoder()
    out: list[Event] = []
    for i, c in enumerate(chunks):
        out += dec.feed(c, is_orig, float(i), i + 1)
    return out


def one(data: bytes, is_orig: bool = True, dec: Dnp3Decoder | None = None) -> dict[str, Any]:
    evs = feed(data, is_orig=is_orig, dec=dec)
    assert len(evs) == 1, evs
    return {"event": evs[0].name, **evs[0].fields}


def weirds(evs: list[Event]) -> list[str]:
    return [e.fields["name"] for e in evs if e.is_weird]


# -- link layer -------------------------------------------------------------------------------

def test_class_attributes() -> None:
    assert (Dnp3Decoder.name, Dnp3Decoder.transport, Dnp3Decoder.default_ports) == ("dnp3", "tcp", (20000,))
    assert (Dnp3UdpDecoder.name, Dnp3UdpDecoder.transport, Dnp3UdpDecoder.default_ports) == ("dnp3", "udp", (20000,))


def test_crc_of_captured_frames() -> None:
    for f in (READ_CLASSES, SELECT, SELECT_RESP, LINK_STATUS_REQ, LINK_STATUS, AUTH_CHALLENGE):
        assert link.crc(f, 0, 8) == int.from_bytes(f[8:10], "little")
        assert link.header_ok(f, 0)
        assert link.frame_length(f[2]) == len(f)
        assert link.user_data(f, 0, f[2])[1] == 0
    assert link.crc(READ_CLASSES[10:25]) == int.from_bytes(READ_CLASSES[25:27], "little")
    assert frame(READ_CLASSES[10:25], ctrl=0xC4, dst=2, src=3) == READ_CLASSES


def test_probe() -> None:
    assert Dnp3Decoder.probe(READ_CLASSES, True) == 0.95
    assert Dnp3Decoder.probe(LINK_STATUS, False) == 0.95
    assert Dnp3Decoder.probe(READ_CLASSES[:5], True) == 0.3
    bad = bytearray(READ_CLASSES)
    bad[8] ^= 1
    assert Dnp3Decoder.probe(bytes(bad), True) < 0
    assert Dnp3Decoder.probe(b"GET / HTTP/1.1\r\n", True) < 0
    assert Dnp3Decoder.probe(b"", True) < 0


def test_link_only_frames() -> None:
    e = one(LINK_STATUS_REQ)
    assert e["event"] == "dnp3_link_request_link_status"
    assert (e["link_src"], e["link_dst"], e["link_function_code"], e["link_function"]) == (1, 100, 9, "request_link_status")
    assert (e["link_dir"], e["link_prm"], e["link_fcb"], e["link_fcv"]) == (False, True, False, False)
    e = one(LINK_STATUS, is_orig=False)
    assert e["event"] == "dnp3_link_link_status" and e["link_src"] == 100 and e["link_dir"] is True
    assert one(frame(b"", ctrl=0x40))["event"] == "dnp3_link_reset_link_states"
    assert one(frame(b"", ctrl=0x00))["event"] == "dnp3_link_ack"
    assert one(frame(b"", ctrl=0x4E))["event"] == "dnp3_link_unknown_function"
    evs = feed(frame(b"\xc0\xc0\x01", ctrl=0x49))
    assert [e.name for e in evs] == ["dnp3_link_request_link_status", "weird"]
    assert weirds(evs) == ["dnp3_unexpected_link_data"]
    assert weirds(feed(frame(b"", ctrl=0xC4))) == ["dnp3_empty_user_data"]


# -- application layer ------------------------------------------------------------------------

def test_read_request() -> None:
    e = one(READ_CLASSES)
    assert e["event"] == "dnp3_read_request"
    assert (e["link_src"], e["link_dst"], e["link_control"], e["segments"]) == (3, 2, 0xC4, 1)
    assert (e["function_code"], e["function"], e["iin"], e["iin_flags"]) == (1, "read", None, [])
    assert (e["app_control"], e["fir"], e["fin"], e["con"], e["uns"], e["seq"]) == (0xC8, True, True, False, False, 8)
    assert [(o["group"], o["variation"], o["qualifier"], o["count"], o["range"]) for o in e["objects"]] == [
        (60, 2, 6, 0, None), (60, 3, 6, 0, None), (60, 4, 6, 0, None), (60, 1, 6, 0, None)]
    assert e["objects"][0]["group_name"] == "class_data"


def test_select_crob_and_response() -> None:
    dec = Dnp3Decoder()
    e = one(SELECT, dec=dec)
    assert e["event"] == "dnp3_select_request"
    (o,) = e["objects"]
    assert (o["group"], o["variation"], o["qualifier"], o["prefix_code"], o["range_code"], o["count"]) == (12, 1, 0x28, 2, 8, 1)
    assert o["commands"] == [{
        "index": 1, "control_code": 3, "operation_type": "latch_on", "queue": False, "clear": False,
        "trip_close": "nul", "count": 1, "on_time": 100, "off_time": 100, "status": 0, "status_name": "success"}]
    r = one(SELECT_RESP, is_orig=False, dec=dec)
    assert (r["event"], r["iin"], r["iin_flags"]) == ("dnp3_response", 0, [])
    assert r["objects"][0]["commands"][0]["on_time"] == 100
    r = one(app(H("c0 81 9006")), is_orig=False)
    assert r["iin"] == 0x9006
    assert r["iin_flags"] == ["need_time", "device_restart", "object_unknown", "parameter_error"]


def test_operate_and_direct_operate_and_analog_output_block() -> None:
    crob = H("0c01 17 01 05 41 01 f4010000 00000000 00")  # pulse on, close, index 5
    e = one(app(H("c1 04") + crob))
    assert e["event"] == "dnp3_operate_request"
    c = e["objects"][0]["commands"][0]
    assert (c["index"], c["operation_type"], c["trip_close"], c["on_time"]) == (5, "pulse_on", "close", 500)
    assert one(app(H("c1 05") + crob))["event"] == "dnp3_direct_operate_request"
    assert one(app(H("c1 06") + crob))["event"] == "dnp3_direct_operate_nr_request"
    e = one(app(H("c1 05 2901 17 01 02 10270000 00")))  # g41v1 index 2 value 10000
    assert e["objects"][0]["commands"] == [{"index": 2, "value": 10000, "status": 0, "status_name": "success"}]
    e = one(app(H("c1 05 2903 17 01 00 0000c03f 04")))  # g41v3 float 1.5, status not_supported
    assert e["objects"][0]["commands"][0]["value"] == 1.5
    assert e["objects"][0]["commands"][0]["status_name"] == "not_supported"


def test_response_points() -> None:
    frag = H(
        "c0 81 0000"
        "0101 00 00 09 2301"        # g1v1 packed, points 0-9
        "0102 00 03 04 81 01"       # g1v2 with flags, points 3-4
        "1e01 00 00 01 01 e8030000 01 ffffffff"  # g30v1: 1000, -1
        "1e05 00 07 07 01 0000c03f"  # g30v5: 1.5
        "1e06 00 00 00 01 000000000000f87f"  # g30v6: NaN
        "1401 00 00 00 01 2a000000"  # g20v1 counter 42
        "0202 17 01 07 81 e8030000 0000"  # g2v2 event index 7 with time 1.0 s
        "3201 07 01 d0070000 0000"  # g50v1 time 2.0 s
        "0301 00 00 03 c9"  # g3v1 double-bit packed: 1, 2, 0, 3
    )
    e = one(app(frag), is_orig=False)
    o = {(x["group"], x["variation"]): x for x in e["objects"]}
    assert o[(1, 1)]["values"] == [1, 1, 0, 0, 0, 1, 0, 0, 1, 0] and o[(1, 1)]["indexes"] == list(range(10))
    assert (o[(1, 2)]["indexes"], o[(1, 2)]["values"], o[(1, 2)]["flags"]) == ([3, 4], [1, 0], [0x81, 0x01])
    assert o[(30, 1)]["values"] == [1000, -1] and o[(30, 1)]["flags"] == [1, 1]
    assert o[(30, 5)]["values"] == [1.5] and o[(30, 5)]["indexes"] == [7]
    assert o[(30, 6)]["values"] == ["nan"]
    assert o[(20, 1)]["values"] == [42]
    assert (o[(2, 2)]["indexes"], o[(2, 2)]["values"], o[(2, 2)]["times"]) == ([7], [1], [1.0])
    assert o[(50, 1)]["values"] == [2.0] and o[(50, 1)]["indexes"] == [0]
    assert o[(3, 1)]["values"] == [1, 2, 0, 3]


def test_unsolicited_confirm_restart_time_and_file_functions() -> None:
    assert one(app(H("f0 82 0000")), is_orig=False)["event"] == "dnp3_unsolicited_response"
    assert one(app(H("d0 00")))["event"] == "dnp3_confirm"
    assert one(app(H("c1 0d")))["event"] == "dnp3_cold_restart_request"
    assert one(app(H("c1 0e")))["event"] == "dnp3_warm_restart_request"
    e = one(app(H("c1 14 3c02 06 3c03 06")))
    assert e["event"] == "dnp3_enable_unsolicited_request" and len(e["objects"]) == 2
    assert one(app(H("c1 15 3c02 06")))["event"] == "dnp3_disable_unsolicited_request"
    assert one(app(H("c1 17")))["event"] == "dnp3_delay_measurement_request"
    e = one(app(H("c1 02 3201 07 01 d0070000 0000")))  # time sync: write g50v1
    assert e["event"] == "dnp3_write_request" and e["objects"][0]["values"] == [2.0]
    e = one(app(H("c1 07 1400 06")))
    assert e["event"] == "dnp3_immediate_freeze_request"
    # open file: g70v3 with a size prefix (zeek__dnp3_file_read.pcap)
    name = b"/tmp/x.txt"
    body = (H("1a00") + len(name).to_bytes(2, "little") + H("000000000000 ff01 00000000 00000000 0100 0004 0700")
            + name)
    e = one(app(H("c1 19 4603 5b 01") + len(body).to_bytes(2, "little") + body))
    assert e["event"] == "dnp3_open_file_request"
    f = e["objects"][0]["files"][0]
    assert (f["file_name"], f["mode_name"], f["max_block_size"], f["request_id"]) == ("/tmp/x.txt", "read", 1024, 7)
    body = H("78563412 05000080") + b"hello"
    e = one(app(H("c1 81 0000 4605 5b 01") + len(body).to_bytes(2, "little") + body), is_orig=False)
    f = e["objects"][0]["files"][0]
    assert (f["file_handle"], f["block_number"], f["last_block"], f["data"]) == (0x12345678, 5, True, b"hello".hex())
    assert one(app(H("c1 1b 4603 5b 01 0000")))["event"] == "dnp3_delete_file_request"


def test_device_attributes_identity() -> None:
    frag = H("c0 81 0000") + H("00fc 00 00 00 01 0a") + b"ACME Corp\x00" + H("00f2 00 00 00 01 03") + b"1.2" + \
        H("00f8 00 00 00 01 04") + b"SN42" + H("00f0 00 00 00 02 02 0008")
    e = one(app(frag), is_orig=False)
    assert e["identity"] == {"vendor": "ACME Corp", "firmware": "1.2", "serial_number": "SN42"}
    attrs = {o["attribute"]: o["values"][0] for o in e["objects"]}
    assert attrs["max_transmit_fragment_size"] == 2048
    e = one(app(H("c1 01 00fe 06")))
    assert e["objects"][0]["group"] == 0 and "identity" not in e


def test_secure_authentication() -> None:
    e = one(AUTH_CHALLENGE, is_orig=False)
    assert e["event"] == "dnp3_authenticate_response"
    a = e["objects"][0]["auth"][0]
    assert (a["variation_name"], a["csq"], a["user"], a["mac_algorithm"], a["reason"]) == (
        "challenge", 3, 0, "sha256_truncated_16", "critical")
    # aggressive mode: g120v3 (fixed size) then the CROB then the MAC (g120v9)
    frag = H("c1 05 7803 07 01 09000000 0100 0c01 28 0100 0100 03 01 64000000 64000000 00 7809 5b 01 0400 aabbccdd")
    e = one(app(frag))
    objs = e["objects"]
    assert objs[0]["auth"] == [{"variation_name": "aggressive_mode_request", "csq": 9, "user": 1}]
    assert objs[1]["commands"][0]["index"] == 1
    assert objs[2]["auth"] == [{"variation_name": "mac", "data_length": 4}]
    e = one(app(H("c1 20 7804 07 01 0100")))
    assert e["event"] == "dnp3_authenticate_request"
    assert e["objects"][0]["auth"] == [{"variation_name": "session_key_status_request", "user": 1}]


def test_unknown_function_and_object_problems() -> None:
    e = one(app(H("c1 63 0102")))
    assert e["event"] == "dnp3_unknown_function" and e["function"] == "unknown-99" and e["data"] == "0102"
    evs = feed(app(H("c0 81 0000 fe01 00 00 01 0000")), is_orig=False)
    assert evs[0].name == "dnp3_response" and weirds(evs) == ["dnp3_unknown_object"]
    assert evs[0].fields["objects"][0]["group_name"] == "unknown-254"
    assert weirds(feed(app(H("c0 81 0000 1e01 00 00 05 01 00")), is_orig=False)) == ["dnp3_truncated_object"]
    assert weirds(feed(app(H("c1 01 3c01 0e")))) == ["dnp3_bad_qualifier"]
    assert weirds(feed(app(H("c1 01 0101 00 05 01")))) == ["dnp3_bad_range"]
    assert weirds(feed(app(H("c1 02 7000 01 0000 ffff")))) == ["dnp3_bad_object_size"]
    assert weirds(feed(app(H("c0 81 00")), is_orig=False)) == ["dnp3_truncated_application_header"]
    assert weirds(feed(app(H("c0")))) == ["dnp3_truncated_application_header"]


def test_points_listed_per_fragment_are_bounded() -> None:
    # g1v1 packed, 3 headers of 4000 points: only MAX_POINTS points are listed in the fragment
    hdr = H("0101 01 0000 9f0f") + bytes(500)
    e = one(app(H("c0 81 0000") + hdr * 3), is_orig=False)
    assert [o["count"] for o in e["objects"]] == [4000] * 3
    assert sum(len(o["values"]) for o in e["objects"]) == MAX_POINTS


# -- framing, transport, stream ---------------------------------------------------------------

def test_multi_frame_fragment_every_split() -> None:
    frag = H("c0 81 0000 1e02 01 0000 6300") + bytes(range(150)) * 2  # 100 points of g30v2
    data = app(frag)
    assert data.count(b"\x05\x64") >= 2
    whole = feed(data, is_orig=False)
    assert [e.name for e in whole] == ["dnp3_response"] and whole[0].fields["segments"] == 2
    assert len(whole[0].fields["objects"][0]["values"]) == 100
    for cut in range(1, len(data), 7):
        evs = feed(data[:cut], data[cut:], is_orig=False)
        assert [(e.name, e.frame) for e in evs] == [("dnp3_response", 2)]
        assert evs[0].fields == whole[0].fields


def test_coalesced_frames() -> None:
    evs = feed(READ_CLASSES + LINK_STATUS_REQ + app(H("c2 01 3c01 06")))
    assert [e.name for e in evs] == ["dnp3_read_request", "dnp3_link_request_link_status", "dnp3_read_request"]


def test_bad_crcs() -> None:
    bad = bytearray(READ_CLASSES)
    bad[8] ^= 0xFF
    evs = feed(LINK_STATUS_REQ + bytes(bad) + READ_CLASSES)
    assert [e.name for e in evs] == ["dnp3_link_request_link_status", "weird", "dnp3_read_request"]
    assert weirds(evs) == ["dnp3_bad_header_crc"]
    bad = bytearray(READ_CLASSES)
    bad[15] ^= 0xFF
    dec = Dnp3Decoder()
    evs = feed(bytes(bad), READ_CLASSES, dec=dec)
    assert weirds(evs) == ["dnp3_bad_data_crc"] and evs[-1].name == "dnp3_read_request"
    assert dec.crc_errors == 1
    assert weirds(feed(LINK_STATUS_REQ + H("05640004c401000300000000") + READ_CLASSES))[0] == "dnp3_bad_length"
    evs = feed(LINK_STATUS_REQ + b"garbage" + READ_CLASSES)
    assert weirds(evs) == ["dnp3_bad_start_bytes"] and evs[-1].name == "dnp3_read_request"


def test_transport_sequence_problems() -> None:
    frag = H("c0 81 0000 1e02 01 0000 6300") + bytes(300)
    first, second = app(frag)[:292], app(frag)[292:]
    assert weirds(feed(second, is_orig=False)) == ["dnp3_transport_no_first_segment"]
    evs = feed(first, first, is_orig=False)
    assert weirds(evs) == ["dnp3_transport_incomplete_fragment"]
    evs = feed(first, app(frag, seq=5)[292:], is_orig=False)
    assert weirds(evs) == ["dnp3_transport_sequence_error"]
    mid = frame(b"\x00" + bytes(10), ctrl=0x44)  # segment 0 again, without FIR
    evs = feed(first, mid, second, is_orig=False)
    assert weirds(evs) == ["dnp3_transport_duplicate_segment"] and evs[-1].name == "dnp3_response"
    # sequence numbers wrap from 63 to 0
    evs = feed(app(frag, seq=63), is_orig=False)
    assert [e.name for e in evs] == ["dnp3_response"]
    # separate reassembly per link address pair
    a, b = app(frag, src=10), app(frag, src=11)
    evs = feed(a[:292] + b[:292] + a[292:] + b[292:], is_orig=False)
    assert [e.fields["link_src"] for e in evs] == [10, 11]


def test_fragment_size_is_bounded() -> None:
    dec = Dnp3Decoder()
    seg = frame(b"\x40" + bytes(249))
    evs = feed(seg, dec=dec)
    for i in range(1, 264):  # 264 segments of 249 bytes pass 64 KiB
        evs += dec.feed(frame(bytes([i & 0x3F]) + bytes(249)), True, 0.0, i)
    assert weirds(evs) == ["dnp3_fragment_too_large"]


def test_gap_resyncs_and_finish_reports() -> None:
    dec = Dnp3Decoder()
    assert feed(READ_CLASSES[:12], dec=dec) == []
    assert dec.gap(100, True, 1.0, 2) == []
    evs = feed(READ_CLASSES[5:] + READ_CLASSES, dec=dec)
    assert [e.name for e in evs] == ["dnp3_read_request"]
    feed(READ_CLASSES[:12], dec=dec)
    frag = H("c0 81 0000 1e02 01 0000 6300") + bytes(300)
    feed(app(frag)[:292], is_orig=False, dec=dec)
    assert sorted(weirds(dec.finish(9.0, 9))) == ["dnp3_incomplete_frame", "dnp3_transport_incomplete_fragment"]


def test_violation() -> None:
    dec = Dnp3Decoder()
    evs = feed(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", dec=dec)
    assert weirds(evs) == ["dnp3_protocol_violation"] and dec.violated
    assert feed(READ_CLASSES, dec=dec) == []
    dec = Dnp3Decoder()
    bad = bytearray(READ_CLASSES)
    bad[8] ^= 1
    evs = feed(bytes(bad) * 200, dec=dec)
    assert weirds(evs)[-1] == "dnp3_protocol_violation" and dec.violated


def test_udp_datagrams() -> None:
    dec = Dnp3UdpDecoder()
    evs = dec.feed(READ_CLASSES + LINK_STATUS_REQ, True, 0.0, 1)
    assert [e.name for e in evs] == ["dnp3_read_request", "dnp3_link_request_link_status"]
    evs = dec.feed(READ_CLASSES[:20], True, 0.0, 2)
    assert weirds(evs) == ["dnp3_truncated_frame"]
    evs = dec.feed(READ_CLASSES, True, 0.0, 3)  # nothing carried over from the truncated datagram
    assert [e.name for e in evs] == ["dnp3_read_request"]
    frag = H("c0 81 0000 1e02 01 0000 6300") + bytes(300)
    data = app(frag)
    evs = dec.feed(data[:292], False, 0.0, 4) + dec.feed(data[292:], False, 0.0, 5)
    assert [(e.name, e.frame) for e in evs] == [("dnp3_response", 5)]


# -- documentation and fuzzing ----------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[3]


def test_every_event_field_and_weird_is_documented() -> None:
    doc = (ROOT / "docs" / "protocols" / "dnp3.md").read_text()
    src = "".join(p.read_text() for p in (ROOT / "plantwarden" / "decoders" / "dnp3").glob("*.py"))
    for name in sorted(set(re.findall(r'"(dnp3_[a-z_0-9]+)"', src))):
        assert f"`{name}`" in doc, name
    # user-data link functions (3, 4) never give a link event: they carry the transport segments
    events = set(EVENT_NAMES) | set(_LINK_EVENTS[0]) | set(_LINK_EVENTS[1]) - {
        "dnp3_link_confirmed_user_data", "dnp3_link_unconfirmed_user_data"}
    assert len(events) > 40
    assert sorted(e for e in events if f"`{e}`" not in doc) == []
    samples = [READ_CLASSES, SELECT, SELECT_RESP, LINK_STATUS_REQ, AUTH_CHALLENGE]
    fields: set[str] = set()
    for s in samples:
        for e in feed(s):
            stack: list[Any] = [e.fields]
            while stack:
                d = stack.pop()
                fields.update(d)
                for v in d.values():
                    if isinstance(v, dict):
                        stack.append(v)
                    elif isinstance(v, list):
                        stack.extend(x for x in v if isinstance(x, dict))
    missing = sorted(f for f in fields if f"`{f}`" not in doc)
    assert missing == []


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.binary(max_size=300), st.integers(0, 500),
                          st.sampled_from([READ_CLASSES, SELECT, SELECT_RESP, LINK_STATUS, AUTH_CHALLENGE])),
                max_size=12), st.booleans())
def test_fuzz_never_raises(chunks: list[bytes | int], udp: bool) -> None:
    dec: Dnp3Decoder = Dnp3UdpDecoder() if udp else Dnp3Decoder()
    for i, c in enumerate(chunks):
        is_orig = i % 3 != 0
        if isinstance(c, int):
            out = dec.gap(c, is_orig, 0.0, i)
        else:
            out = dec.feed(c, is_orig, 0.0, i)
        assert isinstance(out, list) and all(isinstance(e, Event) for e in out)
    assert all(isinstance(e, Event) for e in dec.finish(1.0, 99))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600), st.integers(0, 255))
def test_fuzz_application_fragments(body: bytes, fc: int) -> None:
    """Arbitrary object data behind a valid link and transport layer."""
    frag = bytes([0xC0, fc]) + body
    for e in feed(app(frag), is_orig=False):
        assert isinstance(e, Event)
