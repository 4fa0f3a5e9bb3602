"""PROFINET IO-CM decoder (DCE/RPC connectionless, UDP 34964) fed with byte literals."""

from __future__ import annotations

import struct
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from plantwarden.core.events import Event
from plantwarden.decoders.pnio_cm import PnioCmDecoder
from plantwarden.decoders.registry import DECODERS

DEVICE_IF = uuid.UUID("dea00001-6c97-11d1-8271-00a02442df7d")
CONTROLLER_IF = uuid.UUID("dea00002-6c97-11d1-8271-00a02442df7d")
OBJECT = uuid.UUID("dea00000-6c97-11d1-8271-0001000a002a")  # instance 1, device 0x000a, vendor 0x002a
ACTIVITY = uuid.UUID("13142f90-0000-1000-a994-d2106890ca5a")
AR = bytes(range(16))
AR_TEXT = "00010203-0405-0607-0809-0a0b0c0d0e0f"


def rpc(ptype: int, opnum: int, body: bytes, little: bool = True, flags1: int = 0x20, seq: int = 7,
        fragnum: int = 0, iface: uuid.UUID = DEVICE_IF, obj: uuid.UUID = OBJECT, activity: uuid.UUID = ACTIVITY,
        boot: int = 0) -> bytes:
    e = "<" if little else ">"

    def u(x: uuid.UUID) -> bytes:
        return x.bytes_le if little else x.bytes

    return (bytes([4, ptype, flags1, 0, 0x10 if little else 0x00, 0, 0, 0]) + u(obj) + u(iface) + u(activity)
            + struct.pack(e + "IIIHHHHHBB", boot, 1, seq, opnum, 0xFFFF, 0xFFFF, len(body), fragnum, 0, 0) + body)


def blk(btype: int, content: bytes) -> bytes:
    return struct.pack(">HHBB", btype, len(content) + 2, 1, 0) + content


def req_stub(blocks: bytes, little: bool = True) -> bytes:
    e = "<" if little else ">"
    return struct.pack(e + "IIIII", 0x4000, len(blocks), 0x4000, 0, len(blocks)) + blocks


def res_stub(blocks: bytes, status: int = 0, little: bool = True) -> bytes:
    e = "<" if little else ">"
    return struct.pack(e + "IIIII", status, len(blocks), 0x4000, 0, len(blocks)) + blocks


AR_BLOCK = blk(0x0101, struct.pack(">H16sH6s16sIHHH", 1, AR, 5, bytes.fromhex("00a0456dd343"), bytes(16),
                                   0x111, 600, 0x8892, 5) + b"plc-1")
IOCR_BLOCK = blk(0x0102, struct.pack(">HHHIHHHHHHIHH", 1, 1, 0x8892, 1, 40, 0xC000, 32, 1, 1, 0, 0, 3, 3)
                 + bytes(8) + struct.pack(">H", 0))
ALARM_BLOCK = blk(0x0103, struct.pack(">HHIHHHH", 1, 0x8892, 0, 100, 3, 1, 200) + bytes(4))
EXPECTED = blk(0x0104, struct.pack(">H", 1) + struct.pack(">IHIHH", 0, 1, 0x8140, 0, 2)
               + struct.pack(">HIH", 1, 0x1001, 1) + bytes(6) + struct.pack(">HIH", 2, 0x1002, 3) + bytes(12))
CONNECT = rpc(0, 0, req_stub(AR_BLOCK + IOCR_BLOCK + ALARM_BLOCK + EXPECTED))


def iod_header(btype: int, index: int, rlen: int, slot: int = 1, subslot: int = 1, extra: bytes = b"") -> bytes:
    content = struct.pack(">H16sIHH2xHI", 3, AR, 0, slot, subslot, index, rlen) + extra
    return blk(btype, content + bytes(58 - len(content)))


def im0() -> bytes:
    return blk(0x0020, struct.pack(">H", 0x002A) + b"6ES7 151-1AA04-0AB0 " + b"S C-X4U421302009" + struct.pack(
        ">H", 3) + b"V\x02\x06\x01" + struct.pack(">HHHBBH", 0, 0, 0, 1, 1, 0x1E))


def feed(dec: PnioCmDecoder, data: bytes, is_orig: bool = True, frame: int = 1) -> list[Event]:
    evs = dec.feed(data, is_orig, 2.0, frame)
    assert isinstance(evs, list)
    return evs


def test_registered_on_its_port() -> None:
    assert PnioCmDecoder in DECODERS and PnioCmDecoder.default_ports == (34964,)
    assert PnioCmDecoder.probe(CONNECT, True) > 0.5
    assert PnioCmDecoder.probe(rpc(0, 0, b"", iface=uuid.UUID(int=5), obj=uuid.UUID(int=6)), True) < 0
    assert PnioCmDecoder.probe(b"\x05" + CONNECT[1:], True) < 0


def test_connect_request_header_and_blocks() -> None:
    (ev,) = feed(PnioCmDecoder(), CONNECT)
    f = ev.fields
    assert ev.name == "pnio_cm_connect_request"
    assert (f["packet_type"], f["operation"], f["interface"], f["byte_order"]) == (
        "request", "connect", "device", "little")
    assert (f["object_uuid"], f["interface_uuid"], f["activity_uuid"]) == (str(OBJECT), str(DEVICE_IF), str(ACTIVITY))
    assert (f["object_instance"], f["object_device_id"], f["object_vendor_id"]) == (1, 10, 42)
    assert (f["sequence_num"], f["rpc_flags"], f["interface_version"]) == (7, ["idempotent"], 1)
    assert f["block_types"] == ["ar_block_req", "iocr_block_req", "alarm_cr_block_req",
                                "expected_submodule_block_req"]
    assert (f["ar_uuid"], f["ar_type"], f["session_key"], f["cm_initiator_station_name"]) == (
        AR_TEXT, "io_car_single", 5, "plc-1")
    assert f["cm_initiator_mac"] == "00:a0:45:6d:d3:43" and f["cm_initiator_udp_port"] == 0x8892
    assert f["iocrs"][0]["type"] == "input" and f["iocrs"][0]["frame_id"] == 0xC000
    assert f["alarm_cr"]["rta_retries"] == 3
    assert [(x["slot"], x["subslot"], x["type"]) for x in f["expected_submodules"]] == [
        (1, 1, "input"), (1, 2, "input_output")]
    assert f["identity"] == {"name": "plc-1"}


def test_big_endian_header() -> None:
    (ev,) = feed(PnioCmDecoder(), rpc(0, 0, req_stub(AR_BLOCK, little=False), little=False))
    assert ev.fields["byte_order"] == "big" and ev.fields["object_uuid"] == str(OBJECT)
    assert ev.fields["cm_initiator_station_name"] == "plc-1"


def test_connect_response_with_status() -> None:
    res = blk(0x8101, struct.pack(">H16sH6sH", 1, AR, 5, bytes(6), 0x8892)) + blk(0x8102, struct.pack(">HHH", 1, 1, 0xC001))
    (ev,) = feed(PnioCmDecoder(), rpc(2, 0, res_stub(res)), is_orig=False)
    f = ev.fields
    assert ev.name == "pnio_cm_connect_response" and (f["status"], f["status_code"]) == ("ok", 0)
    assert f["block_types"] == ["ar_block_res", "iocr_block_res"] and f["iocrs"][0]["frame_id"] == 0xC001
    (ev,) = feed(PnioCmDecoder(), rpc(2, 0, res_stub(b"", status=0xDB81B000)), is_orig=False)
    assert ev.fields["status"] == "iod_connect_res/pnio/176/0"
    (ev,) = feed(PnioCmDecoder(), rpc(2, 2, res_stub(b"", status=0xDE80B000)), is_orig=False)
    assert ev.fields["status"] == "iod_read_res/pniorw/access_invalid_index/0"


def test_control_prm_end_and_application_ready() -> None:
    ctl = blk(0x0110, struct.pack(">2x16sH2xHH", AR, 5, 0x0001, 0))
    (ev,) = feed(PnioCmDecoder(), rpc(0, 4, req_stub(ctl)))
    assert ev.name == "pnio_cm_control_request"
    assert (ev.fields["control_command"], ev.fields["ar_uuid"]) == (["prm_end"], AR_TEXT)
    ready = blk(0x0112, struct.pack(">2x16sH2xHH", AR, 5, 0x0002, 0))
    (ev,) = feed(PnioCmDecoder(), rpc(0, 4, req_stub(ready), iface=CONTROLLER_IF))
    assert ev.fields["interface"] == "controller" and ev.fields["control_command"] == ["application_ready"]
    rel = blk(0x0114, struct.pack(">2x16sH2xHH", AR, 5, 0x0004, 0))
    (ev,) = feed(PnioCmDecoder(), rpc(0, 1, req_stub(rel)))
    assert ev.name == "pnio_cm_release_request" and ev.fields["control_command"] == ["release"]


def test_read_request_and_im0_response_identity() -> None:
    (ev,) = feed(PnioCmDecoder(), rpc(0, 2, req_stub(iod_header(0x0009, 0xAFF0, 4096))))
    f = ev.fields
    assert ev.name == "pnio_cm_read_request"
    assert (f["api"], f["slot"], f["subslot"], f["index"], f["index_name"], f["record_data_length"]) == (
        0, 1, 1, 0xAFF0, "im0", 4096)
    rec = im0()
    (ev,) = feed(PnioCmDecoder(), rpc(2, 2, res_stub(iod_header(0x8009, 0xAFF0, len(rec)) + rec)), is_orig=False)
    f = ev.fields
    assert f["block_types"] == ["iod_read_res_header", "im0"]
    assert f["identity"] == {"vendor_id": 42, "order_number": "6ES7 151-1AA04-0AB0", "serial_number": "S C-X4U421302009",
                             "hardware": "3", "firmware": "V2.6.1"}
    assert f["im_version"] == "1.1"


def test_read_implicit_and_user_specific_records() -> None:
    (ev,) = feed(PnioCmDecoder(), rpc(0, 5, req_stub(iod_header(0x0009, 0xF840, 32768))))
    assert ev.name == "pnio_cm_read_implicit_request" and ev.fields["index_name"] == "im0_filter_data"
    opaque = b"\x12\x34\x56"
    (ev,) = feed(PnioCmDecoder(), rpc(2, 2, res_stub(iod_header(0x8009, 0x0005, 3) + opaque)), is_orig=False)
    assert ev.fields["block_types"] == ["iod_read_res_header"] and ev.fields["index_name"] == "user_specific"
    assert not [e for e in [ev] if e.is_weird]


def test_write_multiple() -> None:
    w1 = iod_header(0x0008, 0x802F, 5, slot=0, subslot=0x8001) + b"abcde" + b"\x00" * 3
    w2 = iod_header(0x0008, 0x0001, 4, slot=2, subslot=1) + b"wxyz"
    body = iod_header(0x0008, 0xE040, len(w1) + len(w2), slot=0, subslot=0) + w1 + w2
    (ev,) = feed(PnioCmDecoder(), rpc(0, 3, req_stub(body)))
    f = ev.fields
    assert ev.name == "pnio_cm_write_request" and f["index_name"] == "write_multiple"
    assert [(w["slot"], w["subslot"], w["index"], w["index_name"]) for w in f["writes"]] == [
        (0, 0x8001, 0x802F, "pd_port_data_adjust"), (2, 1, 1, "user_specific")]
    res = (iod_header(0x8008, 0xE040, 9) + iod_header(0x8008, 0x802F, 5, extra=bytes(4) + struct.pack(">I", 0))
           + iod_header(0x8008, 0x0001, 4, extra=bytes(4) + struct.pack(">I", 0xDF80B600)))
    (ev,) = feed(PnioCmDecoder(), rpc(2, 3, res_stub(res)), is_orig=False)
    assert len(ev.fields["writes"]) == 2 and ev.fields["write_status"] == "iod_write_res/pniorw/access_denied/0"


def test_fragments_are_reassembled() -> None:
    body = req_stub(AR_BLOCK + IOCR_BLOCK)
    a, b = body[:50], body[50:]
    dec = PnioCmDecoder()
    (e1,) = feed(dec, rpc(0, 0, a, flags1=0x04, fragnum=0), frame=1)
    assert e1.fields["fragment"] is True and "block_types" not in e1.fields
    (e2,) = feed(dec, rpc(0, 0, b, flags1=0x06, fragnum=1), frame=2)
    assert e2.fields["block_types"] == ["ar_block_req", "iocr_block_req"] and e2.frame == 2
    # out of order: the last fragment first
    dec = PnioCmDecoder()
    assert "block_types" not in feed(dec, rpc(0, 0, b, flags1=0x06, fragnum=1))[0].fields
    assert feed(dec, rpc(0, 0, a, flags1=0x04, fragnum=0))[0].fields["cm_initiator_station_name"] == "plc-1"
    # a body that never completes is reported at the end
    dec = PnioCmDecoder()
    feed(dec, rpc(0, 0, a, flags1=0x04, fragnum=0))
    assert [w.fields["name"] for w in dec.finish(3.0, 9)] == ["pnio_cm_incomplete_fragments"]


def test_reassembly_is_bounded() -> None:
    dec = PnioCmDecoder()
    names = []
    for i in range(20):
        act = uuid.UUID(int=i)
        for e in feed(dec, rpc(0, 3, b"x" * 10, flags1=0x04, activity=act)):
            names.append(e.fields.get("name"))
    assert names.count("pnio_cm_reassembly_overflow") == 4
    assert len(dec.finish(1.0, 1)) == 16


def test_other_packet_types() -> None:
    dec = PnioCmDecoder()
    assert feed(dec, rpc(1, 0, b""))[0].name == "pnio_cm_ping"
    assert feed(dec, rpc(5, 0, b""))[0].name == "pnio_cm_nocall"
    (ev,) = feed(dec, rpc(3, 0, struct.pack("<I", 0x1C010003)))
    assert ev.name == "pnio_cm_fault" and ev.fields["nca_status"] == 0x1C010003
    (ev,) = feed(dec, rpc(9, 3, struct.pack("<BxHIIHH", 0, 1, 1464, 1464, 0, 0)))
    assert ev.name == "pnio_cm_fack" and (ev.fields["window_size"], ev.fields["max_tsdu"]) == (1, 1464)
    (ev,) = feed(dec, rpc(0, 9, b""))
    assert ev.name == "pnio_cm_unknown_request" and ev.fields["operation"] == "unknown-9"
    (ev,) = feed(dec, rpc(14, 0, b""))
    assert ev.name == "pnio_cm_unknown_packet" and ev.fields["packet_type"] == "unknown-14"


def test_malformed_and_violations() -> None:
    dec = PnioCmDecoder()
    evs = feed(dec, b"GET / HTTP/1.1\r\n" * 6)
    assert [e.fields["name"] for e in evs] == ["pnio_cm_protocol_violation"] and dec.violated
    dec = PnioCmDecoder()
    bad = rpc(0, 0, req_stub(AR_BLOCK[:-3] + b"\x00\x00\x00"))
    bad_len = bytearray(rpc(0, 0, req_stub(blk(0x0101, b"\x00" * 10))))
    evs = feed(dec, bytes(bad_len))
    assert evs[-1].fields["name"] == "pnio_cm_malformed_block"
    evs = feed(dec, bad)
    assert evs[0].name == "pnio_cm_connect_request"
    evs = feed(dec, rpc(0, 0, b"short"))
    assert evs[-1].fields["name"] == "pnio_cm_malformed_block"
    evs = feed(dec, rpc(0, 0, req_stub(AR_BLOCK))[:-10])
    assert evs[-1].fields["name"] == "pnio_cm_truncated_body"
    evs = feed(dec, b"\x04\x00")
    assert evs[0].fields["name"] == "pnio_cm_bad_header" and not dec.violated


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.binary(max_size=200), st.booleans(), st.integers(0, 255)), max_size=6))
def test_arbitrary_bytes_never_raise(items: list[tuple[bytes, bool, int]]) -> None:
    dec = PnioCmDecoder()
    for i, (raw, is_orig, ptype) in enumerate(items):
        for data in (raw, rpc(ptype % 11, ptype % 7, raw, flags1=ptype), rpc(0, ptype % 6, req_stub(raw))):
            if dec.violated:
                dec = PnioCmDecoder()
            evs = dec.feed(data, is_orig, float(i), i + 1)
            assert isinstance(evs, list) and all(isinstance(e, Event) for e in evs)
    assert isinstance(dec.gap(5, True, 1.0, 1), list)
    assert all(isinstance(e, Event) for e in dec.finish(10.0, 100))


def test_ar_server_block_names_the_device() -> None:
    res = blk(0x8106, struct.pack(">H", 6) + b"io-dev" + b"\x00\x00")
    (ev,) = feed(PnioCmDecoder(), rpc(2, 0, res_stub(res)), is_orig=False)
    assert ev.fields["cm_responder_station_name"] == "io-dev" and ev.fields["identity"] == {"name": "io-dev"}


def test_combined_object_container_records_are_writes() -> None:
    inner = blk(0x0213, b"\x00\x01")
    co = blk(0x0401, struct.pack(">2xIHH2xH", 0, 0, 0x8000, 0x8051) + inner)
    w1 = iod_header(0x0008, 0x80B0, len(co), slot=0, subslot=0x8000) + co
    body = iod_header(0x0008, 0xE040, len(w1), slot=0, subslot=0) + w1
    (ev,) = feed(PnioCmDecoder(), rpc(0, 3, req_stub(body)))
    assert [(w["index_name"], w.get("container", False)) for w in ev.fields["writes"]] == [
        ("combined_object_container", False), ("pd_interface_mrp_data_check", True)]
    # the record inside a container is not descended into
    assert ev.fields["block_types"] == ["iod_write_req_header", "iod_write_req_header", "co_container_content"]


def test_profile_specific_records_are_opaque() -> None:
    rec = b"\xb0\x50\x00\x08\x01\x00" + bytes(6)
    (ev,) = feed(PnioCmDecoder(), rpc(2, 2, res_stub(iod_header(0x8009, 0xB050, len(rec)) + rec)), is_orig=False)
    assert ev.fields["block_types"] == ["iod_read_res_header"] and ev.fields["index_name"] == "profile_specific"
