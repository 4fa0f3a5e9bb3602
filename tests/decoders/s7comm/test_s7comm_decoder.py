"""S7comm decoder, fed byte literals (taken from the shared captures, see comments)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from plantwarden.core.events import Event
from plantwarden.decoders.s7comm import S7commDecoder

H = bytes.fromhex

# snap7.pcap frames
SETUP_REQ = H("0300001902f08032010000000000080000f0000001000101e0")
SETUP_RESP = H("0300001b02f080320300000000000800000000f0000001000100f0")
SZL11_REQ = H("0300002102f080320700000100000800080001120411440100ff09000400110000")
SZL11_RESP = H(
    "0300009902f080320700000100000c007c000112081284010200000000ff09007800110000001c0004000136455337203331"
    "352d32454831342d304142302000c000030001000636455337203331352d32454831342d304142302000c00003000100072020"
    "20202020202020202020202020202020202000c0560302070081426f6f74204c6f61646572202020202020202020000041200909")
SZL1C_RESP_1 = H(
    "030000f702f080320700000200000c00da0001120812840102d5010000ff0900d6001c00000022000a000153373330302f4554"
    "3230304d2073746174696f6e5f31000000000000000000000002504c435f3100000000000000000000000000000000000000000"
    "00000000000000000030000000000000000000000000000000000000000000000000000000000000000044f726967696e616c20"
    "5369656d656e732045717569706d656e7400000000000000055320432d4231553339333134323031310000000000000000000000"
    "00000000000007435055203331352d3220504e2f445000000000000000000000000000000000000008")
SZL1C_FOLLOW_REQ = H("0300002102f080320700000300000c00040001120812440102000000000a000000")
SZL1C_RESP_2 = H(
    "030000a702f080320700000300000c008a0001120812840102d5000000ff0900864d4d43203441314143303139000000000000"
    "00000000000000000000000000000009002af600000100000000000000000000000000000000000000000000000000000000000a"
    "0000000000000000000000000000000000000000000000000000000000000000000b00000000000000000000000000000000000000"
    "00000000000000000000000000")
START_UPLOAD_REQ = H("0300002302f080320100000800001200001d00000000000000095f3042303030303041")
START_UPLOAD_RESP = H("0300002302f0803203000008000010000000001d000100000000070730303030323136")
ACK_ERR = H("0300001302f08032020000150000000000d20c")
WRITE_REQ = H(
    "030000c302f080320100001a00003e00740505120a10040010000083000000120a10020010000081000000120a1002001000"
    "0082000000120a101d000800001d000000120a101c000800001c00000000040100addeaddeaddeaddeaddeaddeaddeaddeef"
    "beefbeefbeefbeefbeefbeefbeefbe00040080aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbb00040080bbbbbbbbbbbbbbbbaddead"
    "deaddeadde00090010efbeefbeefbeefbeefbeefbeefbeefbe00090010fecafecafecafecafecafecafecafeca"
)
READ_REQ = H("0300001f02f080320100001b00000e00000401120a10020001000184000010")
READ_RESP = H("0300001a02f080320300001b000002000500000401ff040008ab")
PLC_STOP = H("0300002102f080320100001c000010000029000000000009505f50524f4752414d")
PI_START = H("0300002702f080320100001f000016000028000000000000fd0002432009505f50524f4752414d")
PI_INSE = H("0300002b02f080320100008400001a000028000000000000fd000a01003041303030303150055f494e5345")
REQ_DOWNLOAD = H("0300003102f080320100008300002000001a00010000000000095f30413030303031500d31303030323136303030303838")
READ_CLOCK_RESP = H("0300002b02f080320700001600000c000e000112081287010200000000ff09000a00191602081451379162")
MODE_STOP = H("0300001902f080320700000000000800000100101000000000")
COTP_CR = H("0300001611e00000000700c1020100c2020102c0010a")
COTP_CC = H("0300001611d00007000300c0010ac1020100c2020102")
_PLUS_BODY = H("7203002c20" + "11" * 32 + "31000004f20000831a72030000")  # s7comm_plus.pcap frame 7, cut
PLUS_V3 = H("0300") + (7 + len(_PLUS_BODY)).to_bytes(2, "big") + H("02f080") + _PLUS_BODY


def feed(*chunks: bytes, is_orig: bool = True, dec: S7commDecoder | None = None) -> list[Event]:
    dec = dec or S7commDecoder()
    out: list[Event] = []
    for i, c in enumerate(chunks):
        out += dec.feed(c, is_orig, float(i), i + 1)
    return out


def one(data: bytes, is_orig: bool = True, dec: S7commDecoder | None = None) -> dict[str, Any]:
    evs = feed(data, is_orig=is_orig, dec=dec)
    assert len(evs) == 1, evs
    return {"event": evs[0].name, **evs[0].fields}


def test_class_attributes() -> None:
    assert S7commDecoder.name == "s7comm"
    assert S7commDecoder.transport == "tcp"
    assert S7commDecoder.default_ports == (102,)


def test_probe() -> None:
    assert S7commDecoder.probe(SETUP_REQ, True) > 0.9
    assert S7commDecoder.probe(COTP_CR, True) > 0.5
    assert S7commDecoder.probe(b"GET / HTTP/1.1\r\n", True) < 0
    assert S7commDecoder.probe(H("0300"), True) < 0


def test_setup_communication() -> None:
    dec = S7commDecoder()
    f = one(SETUP_REQ, dec=dec)
    assert f["event"] == "s7comm_setup_communication_request"
    assert (f["rosctr"], f["rosctr_name"], f["pdu_ref"], f["function_code"]) == (1, "job", 0, 0xF0)
    assert (f["max_amq_calling"], f["max_amq_called"], f["pdu_length"]) == (1, 1, 480)
    r = one(SETUP_RESP, is_orig=False, dec=dec)
    assert r["event"] == "s7comm_setup_communication_response"
    assert (r["error_class"], r["error_class_name"], r["error_code"], r["pdu_length"]) == (0, "no_error", 0, 240)


def test_cotp_connect() -> None:
    f = one(COTP_CR)
    assert f["event"] == "s7comm_cotp_connect_request"
    assert (f["src_tsap"], f["dst_tsap"], f["tpdu_size"], f["src_ref"]) == ("0100", "0102", 1024, 7)
    c = one(COTP_CC, is_orig=False)
    assert c["event"] == "s7comm_cotp_connect_confirm" and c["dst_ref"] == 7


def test_read_var_paired_with_job() -> None:
    dec = S7commDecoder()
    req = one(READ_REQ, dec=dec)
    assert req["event"] == "s7comm_read_var_request"
    assert req["items"] == [{"syntax_id": "s7any", "transport_size": "byte", "length": 1, "db_number": 1,
                             "area": "db", "byte_address": 2, "bit_address": 0}]
    resp = one(READ_RESP, is_orig=False, dec=dec)
    assert resp["event"] == "s7comm_read_var_response"
    assert resp["items"] == [{**req["items"][0], "return_code": "success", "data_transport_size": "byte_word_dword",
                              "data_length": 1, "value": "ab"}]


def test_write_var_items() -> None:
    f = one(WRITE_REQ)
    assert f["event"] == "s7comm_write_var_request" and f["item_count"] == 5
    areas = [i["area"] for i in f["items"]]
    assert areas == ["flags", "inputs", "outputs", "timer", "counter"]
    assert f["items"][0]["value"] == "adde" * 8 + "efbe" * 8
    assert f["items"][3]["transport_size"] == "timer" and f["items"][4]["data_transport_size"] == "octet_string"


def test_upload_fields() -> None:
    dec = S7commDecoder()
    f = one(START_UPLOAD_REQ, dec=dec)
    assert f["event"] == "s7comm_start_upload_request"
    assert (f["filename"], f["block_type"], f["block_number"], f["block"], f["destination_filesystem"]) == (
        "_0B00000A", "SDB", 0, "SDB0", "active")
    r = one(START_UPLOAD_RESP, is_orig=False, dec=dec)
    assert (r["session_id"], r["block_length"]) == (7, 216)


def test_request_download() -> None:
    f = one(REQ_DOWNLOAD)
    assert f["event"] == "s7comm_request_download_request"
    assert (f["block"], f["destination_filesystem"], f["load_memory_length"], f["mc7_length"]) == (
        "DB1", "passive", 216, 88)


def test_ack_paired() -> None:
    dec = S7commDecoder()
    feed(H("0300002302f080320100001500001200001d00000000000000095f3038303030303041"), dec=dec)
    f = one(ACK_ERR, is_orig=False, dec=dec)
    assert f["event"] == "s7comm_ack" and f["job_function"] == "start_upload"
    assert (f["error_class"], f["error_class_name"], f["error_code"]) == (0xD2, "unknown-210", 0x0C)


def test_plc_stop_and_control() -> None:
    f = one(PLC_STOP)
    assert f["event"] == "s7comm_plc_stop_request" and f["pi_service"] == "P_PROGRAM"
    g = one(PI_START)
    assert g["event"] == "s7comm_plc_control_request"
    assert (g["pi_service"], g["pi_service_name"], g["pi_argument"]) == ("P_PROGRAM", "program_invocation", "C")
    i = one(PI_INSE)
    assert (i["pi_service"], i["blocks"]) == ("_INSE", ["DB1"])


def test_szl_module_identification() -> None:
    dec = S7commDecoder()
    q = one(SZL11_REQ, dec=dec)
    assert q["event"] == "s7comm_userdata_request"
    assert (q["userdata_group"], q["userdata_subfunction"], q["szl_id"], q["szl_index"]) == (4, 1, 0x11, 0)
    r = one(SZL11_RESP, is_orig=False, dec=dec)
    assert r["event"] == "s7comm_userdata_response" and r["return_code"] == "success"
    assert r["identity"] == {"order_number": "6ES7 315-2EH14-0AB0", "hardware": "1", "firmware": "V3.2.7",
                             "bootloader": "A32.9.9"}


def test_szl_component_identification_reassembled() -> None:
    dec = S7commDecoder()
    a = one(SZL1C_RESP_1, is_orig=False, dec=dec)
    assert a["last_data_unit"] is False and "szl_id" not in a and "identity" not in a
    one(SZL1C_FOLLOW_REQ, dec=dec)
    b = one(SZL1C_RESP_2, is_orig=False, dec=dec)
    assert b["last_data_unit"] is True and b["szl_id"] == 0x1C
    assert b["identity"] == {"plc_name": "S7300/ET200M station_1", "module_name": "PLC_1",
                             "copyright": "Original Siemens Equipment", "serial_number": "S C-B1U393142011",
                             "module_type": "CPU 315-2 PN/DP"}


def test_clock_and_mode_transition() -> None:
    f = one(READ_CLOCK_RESP, is_orig=False)
    assert f["userdata_subfunction_name"] == "read_clock" and f["clock"] == "2016-02-08T14:51:37.916"
    m = one(MODE_STOP, is_orig=False)
    assert m["event"] == "s7comm_userdata_push"
    assert (m["userdata_group_name"], m["cpu_mode_name"]) == ("mode_transition", "stop")
    assert "userdata_subfunction" not in m


def test_s7comm_plus() -> None:
    f = one(PLUS_V3)
    assert f["event"] == "s7comm_plus"
    assert (f["plus_version"], f["opcode_name"], f["plus_function_code"], f["plus_function"]) == (
        3, "request", 0x04F2, "set_variable")


def test_coalesced_and_split_tpkts() -> None:
    evs = feed(SETUP_REQ + READ_REQ + PLC_STOP)
    assert [e.name for e in evs] == ["s7comm_setup_communication_request", "s7comm_read_var_request",
                                     "s7comm_plc_stop_request"]
    stream = SETUP_REQ + READ_REQ
    for cut in range(1, len(stream)):
        evs = feed(stream[:cut], stream[cut:])
        assert [e.name for e in evs] == ["s7comm_setup_communication_request", "s7comm_read_var_request"]
        assert evs[-1].frame == 2


def test_cotp_fragments_reassembled() -> None:
    s7 = READ_REQ[7:]
    first = H("0300") + (7 + 5).to_bytes(2, "big") + H("02f000") + s7[:5]
    last = H("0300") + (7 + len(s7) - 5).to_bytes(2, "big") + H("02f080") + s7[5:]
    evs = feed(first, last)
    assert [(e.name, e.frame) for e in evs] == [("s7comm_read_var_request", 2)]


def test_gap_resyncs() -> None:
    dec = S7commDecoder()
    assert feed(SETUP_REQ[:10], dec=dec) == []
    assert dec.gap(100, True, 1.0, 2) == []
    evs = dec.feed(H("a5a5") + READ_REQ[4:] + PLC_STOP, True, 2.0, 3)
    assert [e.name for e in evs] == ["weird", "s7comm_plc_stop_request"]
    assert evs[0].fields["name"] == "s7comm_resync"
    assert not dec.violated


def test_violation_when_not_tpkt() -> None:
    dec = S7commDecoder()
    evs = dec.feed(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", True, 0.0, 1)
    assert [e.fields["name"] for e in evs] == ["s7comm_protocol_violation"]
    assert dec.violated


def test_violation_when_iso_transport_carries_other_protocol() -> None:
    dec = S7commDecoder()
    feed(COTP_CR, dec=dec)
    assert not dec.violated
    dec.feed(H("0300000c02f0800d0501060a"), True, 1.0, 2)  # an ISO session SPDU (MMS), not S7
    assert dec.violated


def test_truncated_pdu_is_a_weird() -> None:
    bad = H("0300001402f08032010000010000080000f00000")  # setup communication cut short
    evs = feed(bad)
    names = [e.fields["name"] for e in evs if e.name == "weird"]
    assert "s7comm_length_mismatch" in names and "s7comm_malformed_pdu" in names


def test_unknown_codes_render_as_unknown() -> None:
    pdu = H("32010000000500010000") + H("77")
    tpkt = H("0300") + (7 + len(pdu)).to_bytes(2, "big") + H("02f080") + pdu
    f = one(tpkt)
    assert f["event"] == "s7comm_unknown_119_request" and f["function"] == "unknown-119"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=80), max_size=6), st.booleans())
def test_never_raises(chunks: list[bytes], prefix: bool) -> None:
    dec = S7commDecoder()
    for i, c in enumerate(chunks):
        data = (H("0300") + (len(c) + 4).to_bytes(2, "big") + c) if prefix else c
        for e in dec.feed(data, bool(i & 1), float(i), i):
            assert isinstance(e, Event)
        if dec.violated:
            break
    dec.gap(3, True, 9.0, 99)
    dec.finish(10.0, 100)


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=1, max_size=120))
def test_never_raises_on_s7_payloads(pdu: bytes) -> None:
    dec = S7commDecoder()
    for body in (H("32") + pdu, H("72") + pdu, pdu):
        tpkt = H("0300") + (7 + len(body)).to_bytes(2, "big") + H("02f080") + body
        dec.feed(tpkt, True, 0.0, 1)
        dec.feed(tpkt, False, 0.0, 2)
