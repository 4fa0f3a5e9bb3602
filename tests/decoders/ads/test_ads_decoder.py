"""Beckhoff ADS/AMS decoder, fed byte literals (from ICS-Security-Tools beckofflink.pcapng / addroute.pcapng)."""

from __future__ import annotations

import json
import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from plantwarden.core.events import Event
from plantwarden.decoders.ads import AdsDecoder, AdsUdpDecoder
from plantwarden.decoders.ads.constants import ERRORS, name_of

H = bytes.fromhex
READ_STATE_REQ = H("000020000000050d756001011027c0a801630101788204000400000000000000000009000000")
READ_STATE_RESP = H("000028000000c0a8016301017882050d756001011027040005000800000000000000090000000000000005000200")
READ_REQ = H("00002c000000050d756001010100c0a8016301019f83020004000c0000000000000070000000030000000200000004000000")
READ_RESP = H("00002c000000c0a8016301019f83050d756001010100020005000c0000000000000070000000000000000400000004000000")
DEVINFO_RESP = H("000038000000c0a8016301019f83050d7560010120030100050018000000000000009000000000000000020b3708"
                 "504c4320536572766572000000000000")
DEVINFO_ERR = H("000020000000c0a8016301019f83050d75600101f4010100050000000000060000008f000000")
DISCOVERY_REQ = H("036614710000000001000000c0a801c70101102700000000")
ADD_ROUTE_REQ = H("036614710000000006000000c0a801c701011027050000000c000d005348454e4855414a362d50430007000600c0a8"
                  "01c701010d000e0041646d696e6973747261746f720002000200310005000d003139322e3136382e312e393900")
ADD_ROUTE_RESP = H("036614710000000006000080050d756001011027010000000100040000000000")
DISCOVERY_RESP = H("036614710000000001000080050d7560010110270300000005000a0043585f304437353630000400140114010000"
                   "06000000000000000000000003000000" + "00" * 256 + "03000400020bb408")


def ams(cmd: int, flags: int, data: bytes, invoke: int = 7, err: int = 0) -> bytes:
    hdr = H("050d75600101") + struct.pack("<H", 851) + H("c0a801630101") + struct.pack("<HHHIII", 33000, cmd, flags,
                                                                                         len(data), err, invoke)
    body = hdr + data
    return b"\x00\x00" + struct.pack("<I", len(body)) + body


def names(evs: list[Event]) -> list[str]:
    return [e.name if e.name != "weird" else "weird:" + e.fields["name"] for e in evs]


def test_ads_read_state_pair() -> None:
    d = AdsDecoder()
    (r,) = d.feed(READ_STATE_REQ, True, 1.0, 5)
    assert r.name == "ads_read_state_request" and r.fields["direction"] == "request"
    assert (r.fields["target_net_id"], r.fields["target_port"], r.fields["target_port_name"]) == (
        "5.13.117.96.1.1", 10000, "system_service")
    assert (r.fields["source_net_id"], r.fields["source_port"], r.fields["invoke_id"]) == ("192.168.1.99.1.1", 33400, 9)
    (a,) = d.feed(READ_STATE_RESP, False, 1.1, 6)
    assert a.name == "ads_read_state_response" and a.fields["state_flag_names"] == ["response", "ads_command"]
    assert (a.fields["result_name"], a.fields["ads_state_name"], a.fields["device_state"]) == ("no_error", "run", 2)


def test_ads_read_and_device_info_identity() -> None:
    d = AdsDecoder()
    (r,) = d.feed(READ_REQ, True, 1.0, 8)
    assert (r.fields["index_group"], r.fields["index_offset"], r.fields["length"]) == (3, 2, 4)
    (a,) = d.feed(READ_RESP, False, 1.0, 9)
    assert a.fields["length"] == 4 and a.fields["data"] == "04000000"
    (i,) = d.feed(DEVINFO_RESP, False, 1.0, 41)
    assert i.fields["identity"] == {"firmware": "2.11.2103", "product_name": "PLC Server"}
    assert i.fields["source_port"] == 800
    (e,) = d.feed(DEVINFO_ERR, False, 1.0, 39)
    assert e.fields["error"] == "target_port_not_found" and "identity" not in e.fields


def test_ads_write_control_and_writes() -> None:
    d = AdsDecoder()
    (w,) = d.feed(ams(5, 0x0004, struct.pack("<HHI", 6, 0, 0)), True, 1.0, 1)
    assert w.name == "ads_write_control_request" and w.fields["ads_state_name"] == "stop" and w.fields["is_write"]
    (wr,) = d.feed(ams(3, 0x0004, struct.pack("<III", 0x4020, 10, 2) + b"\x01\x02"), True, 1.0, 2)
    assert wr.fields["index_group_name"] == "plc_memory" and wr.fields["data"] == "0102"
    (rw,) = d.feed(ams(9, 0x0004, struct.pack("<IIII", 0xF003, 0, 4, 9) + b"MAIN.bRun"), True, 1.0, 3)
    assert rw.fields["index_group_name"] == "symbol_handle_by_name" and rw.fields["symbol"] == "MAIN.bRun"
    (n,) = d.feed(ams(6, 0x0004, struct.pack("<IIIIII", 0x4020, 0, 2, 4, 100, 50) + b"\x00" * 16), True, 1.0, 4)
    assert n.fields["transmission_mode"] == "server_on_change" and n.fields["cycle_time"] == 50
    sample = struct.pack("<QI", 0, 1) + struct.pack("<II", 77, 2) + b"\x01\x00"
    (dn,) = d.feed(ams(8, 0x0004, struct.pack("<II", len(sample), 1) + sample), False, 1.0, 5)
    assert dn.name == "ads_device_notification_request" and dn.fields["notification_handles"] == [77]


def test_ads_udp_discovery_and_add_route_never_log_the_password() -> None:
    d = AdsUdpDecoder()
    (q,) = d.feed(DISCOVERY_REQ, True, 1.0, 1)
    assert q.name == "ads_discovery_request" and q.fields["ams_net_id"] == "192.168.1.199.1.1"
    (r,) = d.feed(DISCOVERY_RESP, False, 1.0, 2)
    assert r.name == "ads_discovery_response"
    assert r.fields["identity"] == {"name": "CX_0D7560", "firmware": "2.11.2228"}
    (a,) = d.feed(ADD_ROUTE_REQ, True, 1.0, 3)
    assert a.name == "ads_add_route_request"
    assert (a.fields["route_name"], a.fields["user_name"], a.fields["host_name"]) == (
        "SHENHUAJ6-PC", "Administrator", "192.168.1.99")
    assert a.fields["password_present"] is True and "31" not in json.dumps(a.fields).replace("192.168.1.", "")
    (ok,) = d.feed(ADD_ROUTE_RESP, False, 1.0, 4)
    assert ok.name == "ads_add_route_response" and ok.fields["result_name"] == "no_error"


def test_ads_split_coalesced_and_unknowns() -> None:
    stream = READ_STATE_REQ + READ_REQ + ams(15, 0x0004, b"")
    d = AdsDecoder()
    out: list[Event] = []
    for i in range(len(stream)):
        out += d.feed(stream[i:i + 1], True, 1.0, i)
    assert names(out) == ["ads_read_state_request", "ads_read_request", "ads_unknown_command_request"]
    assert out[-1].fields["command"] == "unknown-15" and out[-1].frame == len(stream) - 1
    assert names(AdsDecoder().feed(stream, True, 1.0, 1)) == names(out)
    assert name_of(ERRORS, 0x9999) == "unknown-39321"


def test_ads_big_message_is_decoded_from_its_head_and_skipped() -> None:
    d = AdsDecoder()
    big = ams(3, 0x0004, struct.pack("<III", 0x4020, 0, 200_000) + b"\xaa" * 200_000)
    out = d.feed(big[:1000], True, 1.0, 1)
    assert names(out) == ["ads_write_request"] and out[0].fields["truncated"]
    for i in range(1000, len(big), 1400):
        assert d.feed(big[i:i + 1400], True, 1.0, 2) == []
    assert names(d.feed(READ_REQ, True, 1.0, 3)) == ["ads_read_request"]


def test_ads_violation_gap_and_malformed() -> None:
    d = AdsDecoder()
    assert names(d.feed(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n" * 2, True, 1.0, 1)) == ["weird:ads_protocol_violation"]
    assert d.violated
    u = AdsUdpDecoder()
    assert names(u.feed(b"\x01" * 40, True, 1.0, 1)) == ["weird:ads_protocol_violation"]
    d = AdsDecoder()
    d.feed(READ_REQ, True, 1.0, 1)
    d.feed(READ_REQ[:20], True, 1.0, 2)
    d.gap(10, True, 1.0, 3)
    assert names(d.feed(b"\x01\x02\x03" + READ_REQ, True, 1.0, 4)) == ["weird:ads_resync", "ads_read_request"]
    assert names(d.feed(ams(2, 0x0004, b"\x01\x02"), True, 1.0, 5)) == ["ads_read_request", "weird:ads_malformed_data"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["feed", "gap"]), st.booleans(), st.binary(max_size=90)), max_size=12),
       st.booleans())
def test_ads_never_raises(ops: list[tuple[str, bool, bytes]], udp: bool) -> None:
    d = AdsUdpDecoder() if udp else AdsDecoder()
    d.feed(DISCOVERY_REQ if udp else READ_REQ, True, 0.0, 0)
    for op, is_orig, data in ops:
        if op == "gap":
            out = d.gap(len(data), is_orig, 1.0, 1)
        elif udp:
            out = d.feed(DISCOVERY_REQ[:4] + data if data[:1] == b"\x00" else data, is_orig, 1.0, 1)
        else:
            out = d.feed(ams(data[0] % 12, 0x0004 | (data[1] & 1), data[2:]) if len(data) > 2 and data[0] & 0x80
                         else data, is_orig, 1.0, 1)
        assert isinstance(out, list) and all(isinstance(e, Event) for e in out)
        for e in out:
            json.dumps(e.fields)
    assert isinstance(d.finish(2.0, 2), list)
