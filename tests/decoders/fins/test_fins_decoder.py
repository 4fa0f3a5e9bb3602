"""Omron FINS decoder, fed byte literals (the controller data read is omron_test.pcap frames 6-9, 17-18)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from plantwarden.core.events import Event
from plantwarden.decoders.fins import FinsDecoder, FinsUdpDecoder
from plantwarden.decoders.fins.constants import COMMANDS, END_CODES, name_of

H = bytes.fromhex
NODE_REQ = H("46494e530000000c000000000000000000000000")
NODE_RESP = H("46494e53000000100000000100000000000000fb000000c8")
CDR_REQ = H("46494e5300000015000000020000000080000200c8000000ef05050100")
CDR_RESP = H(
    "46494e53000000720000000200000000c0000200fbef00c80005050100004350314c2d454c323044522d440000002020202030"
    "312e3030000000000030312e3036000000000000000000000000000000000000000000000000010000000000000000000000"
    "000000000000010003000a172a1008000000000000")
UDP_REQ = H("800002000000006300ef050100")


def fins(icf: int, sid: int, cmd: int, data: bytes = b"") -> bytes:
    return bytes([icf, 0, 2, 0, 1, 0, 0, 0x63, 0, sid]) + cmd.to_bytes(2, "big") + data


def tcp(payload: bytes, command: int = 2, error: int = 0) -> bytes:
    return b"FINS" + (len(payload) + 8).to_bytes(4, "big") + command.to_bytes(4, "big") + error.to_bytes(4, "big") + payload


def names(evs: list[Event]) -> list[str]:
    return [e.name if e.name != "weird" else "weird:" + e.fields["name"] for e in evs]


def test_fins_tcp_handshake_and_controller_data_read() -> None:
    d = FinsDecoder()
    req = d.feed(NODE_REQ, True, 1.0, 6)
    resp = d.feed(NODE_RESP, False, 1.1, 7)
    assert names(req) == ["fins_tcp_node_address_request"] and req[0].fields["client_node"] == 0
    assert resp[0].fields == {"tcp_command": 1, "tcp_command_name": "node_address_response", "tcp_error_code": 0,
                              "tcp_error": "normal", "client_node": 251, "server_node": 200}
    (r,) = d.feed(CDR_REQ, True, 1.2, 8)
    assert r.name == "fins_controller_data_read_request" and r.frame == 8
    assert r.fields["direction"] == "request" and r.fields["command_code"] == 0x0501
    assert (r.fields["da1"], r.fields["sa2"], r.fields["sid"], r.fields["gct"]) == (200, 0xEF, 5, 2)
    (a,) = d.feed(CDR_RESP, False, 1.3, 9)
    assert a.name == "fins_controller_data_read_response" and a.fields["direction"] == "response"
    assert a.fields["end_code"] == 0 and a.fields["end_code_name"] == "normal_completion"
    assert a.fields["identity"] == {"model": "CP1L-EL20DR-D", "firmware": "01.00"}
    assert (a.fields["program_area_size"], a.fields["iom_size"], a.fields["dm_words"]) == (10, 23, 10768)
    json.dumps(a.fields)


def test_fins_udp_one_frame_per_datagram() -> None:
    d = FinsUdpDecoder()
    (r,) = d.feed(UDP_REQ, True, 1.0, 17)
    assert r.name == "fins_controller_data_read_request" and r.fields["sa1"] == 0x63 and r.fields["sid"] == 0xEF
    assert FinsUdpDecoder.probe(UDP_REQ, True) > 0.5
    assert FinsUdpDecoder.probe(b"GET / HTTP/1.1\r\n", True) < 0


def test_fins_split_and_coalesced_tcp() -> None:
    stream = NODE_REQ + CDR_REQ + tcp(fins(0x80, 6, 0x0401, b"\xff\xff\x04"))
    d = FinsDecoder()
    out: list[Event] = []
    for i in range(len(stream)):
        out += d.feed(stream[i:i + 1], True, 1.0, i)
    assert names(out) == ["fins_tcp_node_address_request", "fins_controller_data_read_request", "fins_run_request"]
    assert out[2].frame == len(stream) - 1
    d2 = FinsDecoder()
    assert names(d2.feed(stream, True, 1.0, 1)) == names(out)


def test_fins_memory_read_write_and_pairing() -> None:
    d = FinsUdpDecoder()
    (w,) = d.feed(fins(0x80, 1, 0x0102, H("82006400000201020304")), True, 1.0, 1)
    assert w.name == "fins_memory_area_write_request" and w.fields["is_write"]
    assert (w.fields["memory_area"], w.fields["address"], w.fields["count"], w.fields["data"]) == ("dm_word", 100, 2, "01020304")
    d.feed(fins(0x80, 2, 0x0101, H("b0000a000001")), True, 1.0, 2)
    (r,) = d.feed(fins(0xC0, 2, 0x0101, H("0000abcd")), False, 1.0, 3)
    assert r.fields["memory_area"] == "cio_word" and r.fields["data"] == "abcd"
    (t,) = d.feed(fins(0x80, 3, 0x0105, H("82000a00820014000005")), True, 1.0, 4)
    assert t.fields["destination_area"] == "dm_word" and t.fields["destination_address"] == 20 and t.fields["count"] == 5


def test_fins_mode_change_status_clock_forced() -> None:
    d = FinsUdpDecoder()
    (run,) = d.feed(fins(0x80, 1, 0x0401, H("ffff04")), True, 1.0, 1)
    assert run.fields["mode"] == "run" and run.fields["is_write"]
    (stop,) = d.feed(fins(0x80, 2, 0x0402, H("ffff")), True, 1.0, 2)
    assert stop.name == "fins_stop_request" and stop.fields["mode"] == "program"
    (st_,) = d.feed(fins(0xC0, 3, 0x0601, H("0000" "0104" + "00" * 8 + "4c4f5720424154544552592020202020")), False, 1.0, 3)
    assert (st_.fields["status"], st_.fields["mode"], st_.fields["error_message"]) == ("run", "run", "LOW BATTERY")
    (clk,) = d.feed(fins(0xC0, 4, 0x0701, H("0000" "24031512304501")), False, 1.0, 4)
    assert clk.fields["clock"] == "2024-03-15T12:30:45"
    (fr,) = d.feed(fins(0x80, 5, 0x2301, H("0002" "00013000640a" "00003000640b")), True, 1.0, 5)
    assert [i["spec"] for i in fr.fields["items"]] == ["force_set", "force_reset"]
    assert fr.fields["items"][0]["address"] == 100 and fr.fields["items"][0]["bit"] == 10


def test_fins_end_codes_and_unknowns() -> None:
    d = FinsUdpDecoder()
    (e,) = d.feed(fins(0xC0, 1, 0x0102, H("2201")), False, 1.0, 1)
    assert e.fields["end_code_name"] == "not_possible_during_execution"
    (e2,) = d.feed(fins(0xC0, 1, 0x0101, H("9103")), False, 1.0, 2)
    assert e2.fields["end_code_name"] == "address_range_error" and e2.fields["relay_error"]
    (u,) = d.feed(fins(0x80, 1, 0x7F7F, b"\x01"), True, 1.0, 3)
    assert u.name == "fins_unknown_command_request" and u.fields["command"] == "unknown-32639"
    assert name_of(END_CODES, 0x7777) == "unknown-30583" and len(COMMANDS) > 40


def test_fins_malformed_data_is_a_weird() -> None:
    d = FinsUdpDecoder()
    out = d.feed(fins(0x80, 1, 0x0101, H("82")), True, 1.0, 1)
    assert names(out) == ["fins_memory_area_read_request", "weird:fins_malformed_data"]


def test_fins_violation_and_gap() -> None:
    d = FinsDecoder()
    out = d.feed(b"GET / HTTP/1.1\r\nHost: x\r\n", True, 1.0, 1)
    assert names(out) == ["weird:fins_protocol_violation"] and d.violated
    u = FinsUdpDecoder()
    assert names(u.feed(b"\xff" * 20, True, 1.0, 1)) == ["weird:fins_protocol_violation"] and u.violated
    d = FinsDecoder()
    d.feed(CDR_REQ, True, 1.0, 1)
    d.feed(CDR_REQ[:10], True, 1.0, 2)
    assert d.gap(100, True, 1.0, 3) == []
    out = d.feed(b"junk" + CDR_REQ, True, 1.0, 4)
    assert names(out) == ["weird:fins_resync", "fins_controller_data_read_request"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["feed", "gap"]), st.booleans(), st.binary(max_size=80)), max_size=12),
       st.booleans())
def test_fins_never_raises(ops: list[tuple[str, bool, bytes]], udp: bool) -> None:
    d = FinsUdpDecoder() if udp else FinsDecoder()
    prefix = CDR_REQ if not udp else UDP_REQ
    d.feed(prefix, True, 0.0, 0)
    for op, is_orig, data in ops:
        if op == "gap":
            out = d.gap(len(data), is_orig, 1.0, 1)
        else:
            out = d.feed(data if udp else tcp(data) if data[:1] == b"\x80" else data, is_orig, 1.0, 1)
        assert isinstance(out, list) and all(isinstance(e, Event) for e in out)
        for e in out:
            json.dumps(e.fields)
    assert isinstance(d.finish(2.0, 2), list)
