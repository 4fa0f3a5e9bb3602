"""BSAP decoders, fed byte literals from icsnpp-bsap's bsap-ip_example.pcap and bsap-serial_example.pcapng
(frame numbers given) and built ones."""

from __future__ import annotations

import json
import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from plantwarden.core.activity import READS, WRITES
from plantwarden.core.events import Event
from plantwarden.decoders.bsap import BsapIpDecoder, BsapSerialDecoder
from plantwarden.decoders.bsap.constants import APP_NAMES, RDB_NAMES, ip_message_type_name
from plantwarden.decoders.bsap.decoder import crc16

H = bytes.fromhex
NAMES7 = ["@GV.DS1", "@GV.SystemShutDown", "@GV.Tank2Bypass", "@GV.Tank1Bypass", "@GV.ManualSwitch", "@GV.AS4",
          "@GV.AS4"]
IP_REQ_31 = H("0e0001000600834b0000744b00006d0000000c834b0000a0000403d0010f07") + b"".join(
    n.encode() + b"\0" for n in NAMES7)
IP_REQ_32 = H("0e0001000600844b0000744b0000390000000c844b0000a0000403d0010f05") + b"".join(
    n.encode() + b"\0" for n in ["@GV.AS3", "@GV.AS3", "@GV.AS2", "@GV.AS2", "@GV.DS2"])
IP_RSP_33 = H(
    "0e0002000500754b0000844b00003b0000000c834b000000070000040024770000140024770000130024770000120024770001110024"
    "770220d282be060024770220d282be06002477350000000c844b000000050282df82be030024770282df82be03002477020000a04200"
    "002477020000a04200002477000005002477")
IP_POLL_34 = H("0e000000000000000000754b0000")
IP_WRITE_121 = H("0e00010006009e4b00008e4b0000130000000c9e4b0000a0008024770f0111000a")
IP_WRITE_RSP_122 = H("0e00010005008f4b00009e4b00000b0000000c9e4b00000000")
SER_REQ_1 = H("100201eba0e30803000401400f014047562e4153332e001003a94d")
SER_RSP_3 = H("100200eb03e308a000000182df82be10039102")
SER_REQ_87 = H("1002011010a0070903000401400f014047562e4153322e0010030989")  # SER 0x10, stuffed
SER_RSP_88 = H("1002001010030709a000000100008c42100384b7")
SER_WRITE_929 = H("1002015fa0550a0300840f014047562e4153322e000b000070421003560a")
SER_WRITE_RSP_930 = H("1002005f03550aa00000001003b5ea")


def names(evs: list[Event]) -> list[str]:
    return [e.name if e.name != "weird" else "weird:" + e.fields["name"] for e in evs]


def serial_frame(body: bytes, crc: int | None = None) -> bytes:
    c = crc16(body + b"\x03") if crc is None else crc
    return b"\x10\x02" + body.replace(b"\x10", b"\x10\x10") + b"\x10\x03" + struct.pack("<H", c)


def test_tables_render_unknown_codes() -> None:
    assert RDB_NAMES[0x04] == "read_signal_by_name" and RDB_NAMES[0x55] == "unknown-85"
    assert APP_NAMES[0xA0] == "rdb" and APP_NAMES[0x9A] == "ps_passthru_tsk3" and APP_NAMES[0xFE] == "unknown-254"
    assert ip_message_type_name(6) == "request" and ip_message_type_name(9) == "unknown-9"


def test_ip_read_by_name_request_response_and_poll() -> None:
    d = BsapIpDecoder()
    (rq,) = d.feed(IP_REQ_31, True, 1.0, 31)
    f = rq.fields
    assert rq.name == "bsap_rdb_request" and d.confirmed
    assert (f["message_type_name"], f["num_messages"], f["packet_sequence"], f["packet_ack"]) == ("request", 1, 19331, 19316)
    assert (f["sequence"], f["header_size"], f["app_function"], f["node_status"]) == (19331, 12, "rdb", 0)
    assert (f["function_code"], f["function"], f["field_select"], f["security"]) == (4, "read_signal_by_name", [0xD0, 1], 15)
    assert f["variable_count"] == 7 and f["variables"] == NAMES7 and f["complete"] is True
    assert BsapIpDecoder.activity(f) == READS
    d.feed(IP_REQ_32, True, 1.1, 32)
    out = d.feed(IP_RSP_33, False, 1.2, 33)  # two responses in one datagram
    assert names(out) == ["bsap_rdb_response", "bsap_rdb_response"]
    a, b = (e.fields for e in out)
    assert (a["sequence"], a["element_count"], a["num_messages"], a["paired"]) == (19331, 7, 2, True)
    assert a["function"] == "read_signal_by_name" and BsapIpDecoder.activity(a) is None
    assert a["elements"][0] == {"type_code": 0, "type": "logical", "value": 0, "address": 4, "msd_version": 0x7724,
                                "variable": "@GV.DS1"}
    assert a["elements"][4]["value"] == 1 and a["elements"][4]["variable"] == "@GV.ManualSwitch"
    assert a["elements"][5]["type"] == "analog" and abs(a["elements"][5]["value"] + 0.2555094) < 1e-6
    assert b["sequence"] == 19332 and [e["variable"] for e in b["elements"]] == ["@GV.AS3", "@GV.AS3", "@GV.AS2",
                                                                                "@GV.AS2", "@GV.DS2"]
    assert b["elements"][2]["value"] == 80.0
    (p,) = d.feed(IP_POLL_34, True, 1.3, 34)
    assert p.name == "bsap_poll" and p.fields["packet_ack"] == 19317 and BsapIpDecoder.activity(p.fields) is None
    json.dumps([e.fields for e in out])


def test_ip_write_by_address_and_unpaired_response() -> None:
    d = BsapIpDecoder()
    (w,) = d.feed(IP_WRITE_121, True, 1.0, 121)
    f = w.fields
    assert (f["function"], f["msd_version"], f["security"], f["variable_count"]) == ("write_signal_by_address", 0x7724, 15, 1)
    assert (f["variables"], f["write_codes"], f["values"], f["complete"]) == ([0x11], ["logical_off"], [0], True)
    assert BsapIpDecoder.activity(f) == WRITES
    (r,) = d.feed(IP_WRITE_RSP_122, False, 1.1, 122)
    assert r.fields["function"] == "write_signal_by_address" and r.fields["elements"] == []
    (u,) = d.feed(IP_WRITE_RSP_122, False, 1.2, 123)  # answered already: unpaired
    assert u.fields["paired"] is False and u.fields["function"] is None and u.fields["elements"] is None


def test_ip_other_application_function_and_response() -> None:
    d = BsapIpDecoder()
    body = struct.pack("<IBI", 14, 12, 7) + bytes([0x48, 0, 1, 2, 3])
    (e,) = d.feed(struct.pack("<HHHII", 14, 1, 6, 7, 0) + body, True, 1.0, 1)
    assert e.name == "bsap_request" and e.fields["app_function"] == "diag" and e.fields["data_length"] == 3
    rsp = struct.pack("<IBI", 11, 12, 7) + b"\x00\x00"
    (r,) = d.feed(struct.pack("<HHHII", 14, 1, 5, 1, 7) + rsp, False, 1.1, 2)
    assert r.name == "bsap_response" and r.fields["app_function"] == "diag"


def test_ip_weirds_and_violation() -> None:
    d = BsapIpDecoder()
    assert names(d.feed(b"GET / HTTP/1.1\r\n\r\n", True, 1.0, 1)) == ["weird:bsap_protocol_violation"]
    assert d.violated and d.feed(IP_REQ_31, True, 1.0, 2) == []
    d = BsapIpDecoder()
    d.feed(IP_POLL_34, True, 1.0, 1)
    assert names(d.feed(IP_REQ_31[:40], True, 1.0, 2)) == ["weird:bsap_truncated_message"]
    assert names(d.feed(IP_REQ_31 + b"\x01\x02", True, 1.0, 3)) == ["bsap_rdb_request", "weird:bsap_trailing_bytes"]
    unknown = struct.pack("<HHHII", 14, 0, 0x42, 0, 0)
    assert names(d.feed(unknown, True, 1.0, 4)) == ["weird:bsap_unknown_message_type", "bsap_ip_header"]
    assert names(d.feed(b"\x0e\x00", True, 1.0, 5)) == ["weird:bsap_malformed"] and not d.violated


def test_ip_probe() -> None:
    assert BsapIpDecoder.probe(IP_REQ_31, True) == 0.9
    assert BsapIpDecoder.probe(IP_POLL_34, True) == 0.55
    assert BsapIpDecoder.probe(SER_REQ_1, True) < 0
    assert BsapIpDecoder.probe(b"\x0e\x00" * 3, True) < 0


def test_serial_read_request_response() -> None:
    d = BsapSerialDecoder()
    (rq,) = d.feed(SER_REQ_1, True, 1.0, 1)
    f = rq.fields
    assert rq.name == "bsap_rdb_request" and d.confirmed
    assert (f["address"], f["global"], f["message_serial"], f["dfun"], f["sequence"], f["sfun"], f["node_status"]) == (
        1, False, 235, "rdb", 2275, "pei_pc", 0)
    assert (f["crc"], f["crc_valid"], f["field_select"], f["security"], f["variables"]) == (0x4DA9, True, [0x40], 15,
                                                                                            ["@GV.AS3."])
    (rs,) = d.feed(SER_RSP_3, False, 1.1, 3)
    g = rs.fields
    assert (g["dfun"], g["sfun"], g["response_status"], g["element_count"], g["paired"]) == ("pei_pc", "rdb", 0, 1, True)
    assert g["elements"][0]["type"] == "analog" and abs(g["elements"][0]["value"] + 0.2556) < 1e-4
    assert g["elements"][0]["variable"] == "@GV.AS3."


def test_serial_dle_stuffing_and_crc() -> None:
    d = BsapSerialDecoder()
    (rq,) = d.feed(SER_REQ_87, True, 1.0, 87)
    assert rq.fields["message_serial"] == 0x10 and rq.fields["crc_valid"] and rq.fields["sequence"] == 0x0907
    (rs,) = d.feed(SER_RSP_88, False, 1.0, 88)
    assert rs.fields["elements"][0]["value"] == 70.0
    bad = bytearray(SER_REQ_1)
    bad[-1] ^= 0xFF
    assert names(d.feed(bytes(bad), True, 1.0, 2)) == ["weird:bsap_bad_crc", "bsap_rdb_request"]
    assert BsapSerialDecoder.probe(SER_REQ_87, True) == 0.9 and BsapSerialDecoder.probe(bytes(bad), True) < 0


def test_serial_write_by_name() -> None:
    d = BsapSerialDecoder()
    (w,) = d.feed(SER_WRITE_929, True, 1.0, 929)
    f = w.fields
    assert (f["function"], f["variables"], f["write_codes"], f["values"], f["complete"]) == (
        "write_signal_by_name", ["@GV.AS2."], ["analog"], [60.0], True)
    assert BsapSerialDecoder.activity(f) == WRITES
    (r,) = d.feed(SER_WRITE_RSP_930, False, 1.0, 930)
    assert r.fields["function"] == "write_signal_by_name" and r.fields["element_count"] == 0


def test_serial_global_link_and_coalesced_frames() -> None:
    d = BsapSerialDecoder()
    glob = bytes([0x81, 7]) + struct.pack("<HH", 0x1234, 0x0010) + bytes([0x40, 0x48]) + struct.pack("<H", 9) + b"\x03\x00xy"
    poll = bytes([0x01, 8, 0x85, 0x00])
    out = d.feed(serial_frame(glob) + serial_frame(poll), True, 1.0, 1)
    assert names(out) == ["bsap_message", "bsap_link"]
    g, p = out[0].fields, out[1].fields
    assert (g["global"], g["address"], g["destination_address"], g["source_address"], g["control"]) == (True, 1, 0x1234, 0x10, 0x40)
    assert (g["dfun"], g["sequence"], g["sfun"], g["data_length"], g["crc_valid"]) == ("diag", 9, "pei_pc", 2, True)
    assert (p["link_function"], p["message_serial"], p["data"]) == ("poll", 8, "00")


def test_serial_weirds_and_violation() -> None:
    d = BsapSerialDecoder()
    assert names(d.feed(IP_REQ_31, True, 1.0, 1)) == ["weird:bsap_protocol_violation"] and d.violated
    d = BsapSerialDecoder()
    d.feed(SER_REQ_1, True, 1.0, 1)
    assert names(d.feed(SER_REQ_1[:-5], True, 1.0, 2)) == ["weird:bsap_truncated_message"]
    assert names(d.feed(SER_REQ_1 + b"zz", True, 1.0, 3)) == ["bsap_rdb_request", "weird:bsap_trailing_bytes"]
    assert names(d.feed(b"zz", True, 1.0, 4)) == ["weird:bsap_malformed"] and not d.violated
    odd = b"\x10\x02\x01\x02\x10\x05\x10\x03\x00\x00"
    assert "weird:bsap_bad_dle" in names(d.feed(odd, True, 1.0, 5))


def test_unknown_field_select_leaves_values_undecoded() -> None:
    d = BsapIpDecoder()
    req = bytearray(IP_REQ_31)
    req[27] = 0xD2  # an FSS1 bit whose field size is not known
    (q,) = d.feed(bytes(req), True, 1.0, 1)
    assert q.fields["field_select"] == [0xD2, 1] and q.fields["variables"] == NAMES7
    rsp = bytearray(IP_RSP_33[:14 + 59])
    rsp[2] = 1  # one message
    (r,) = d.feed(bytes(rsp), False, 1.0, 2)
    assert r.fields["function"] == "read_signal_by_name" and r.fields["elements"] is None


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.binary(max_size=80), st.booleans(), st.integers(0, 3)), max_size=8))
def test_bsap_never_raises(chunks: list[tuple[bytes, bool, int]]) -> None:
    for cls in (BsapIpDecoder, BsapSerialDecoder):
        d = cls()
        for data, is_orig, op in chunks:
            seeds = (IP_REQ_31[:14] + data, SER_REQ_1[:9] + data + b"\x10\x03\x00\x00")
            payload = data if op == 0 else seeds[0] if op == 1 else seeds[1] if op == 2 else data
            res = d.feed(payload, is_orig, 1.0, 1) if op != 3 else d.gap(len(data), is_orig, 1.0, 1)
            assert isinstance(res, list) and all(isinstance(e, Event) for e in res)
            json.dumps([e.fields for e in res])
            cls.probe(payload, is_orig)
        assert isinstance(d.finish(2.0, 9), list)
