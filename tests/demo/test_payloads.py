"""The byte builders reproduce messages seen in real captures (../shared/pcaps, checked by hand)."""

from __future__ import annotations

from plantwarden.demo import payloads as p


def test_cotp_connect_request_as_in_s7ident() -> None:
    # icsnpp-s7comm__s7ident.pcap frame 4: src-ref 1, TPDU size 1024, TSAPs 0x0100 -> 0x0101
    assert p.cotp_cr(1, 0x0100, 0x0101) == bytes.fromhex("0300001611e00000000100c0010ac1020100c2020101")
    assert p.cotp_cc(1, 1, 0x0100, 0x0101) == bytes.fromhex("0300001611d00001000100c0010ac1020100c2020101")


def test_setup_communication_as_in_step7_download() -> None:
    job = p.s7_pdu(p.S7_JOB, 0x0200, p.s7_setup_comm_param(480))
    assert job == bytes.fromhex("0300001902f08032010000020000080000f0000001000101e0")
    ack = p.s7_pdu(p.S7_ACK_DATA, 0x0200, p.s7_setup_comm_param(240))
    assert ack == bytes.fromhex("0300001b02f080320300000200000800000000f0000001000100f0")


def test_plc_stop_as_in_step7_stop() -> None:
    job = p.s7_pdu(p.S7_JOB, 0x3500, p.s7_plc_stop_param())
    assert job == bytes.fromhex("0300002102f080320100003500001000002900000000000950") + b"_PROGRAM"
    assert p.s7_pdu(p.S7_ACK_DATA, 0x3500, b"\x29") == bytes.fromhex("0300001402f08032030000350000010000000029")


def test_block_download_messages_as_in_step7_download() -> None:
    name = p.block_filename("0A", 1)
    assert name == "0A00001P"
    assert p.s7_request_download_param(name, 216, 88) == bytes.fromhex("1a0001000000000009") + \
        b"_0A00001P\x0d1000216000088"
    assert p.s7_download_job_param(0x1B, name) == bytes.fromhex("1b0000000000000009") + b"_0A00001P"
    assert p.s7_download_job_param(0x1C, name)[0] == 0x1C
    assert p.s7_download_block_data(b"\x70\x70") == bytes.fromhex("000200fb7070")


def test_pi_service_insert_as_in_step7_download() -> None:
    param = p.s7_pi_service_param("_INSE", p.s7_insert_blocks_param(["0A00001P"]))
    assert param == bytes.fromhex("28000000000000fd000a0100") + b"0A00001P\x05_INSE"


def test_szl_request_as_in_s7ident() -> None:
    param, data = p.s7_szl_request(0x0011, 0)
    assert p.s7_pdu(p.S7_USERDATA, 0x0100, param, data) == bytes.fromhex(
        "0300002102f080320700000100000800080001120411440100ff09000400110000")


def test_szl_records_have_their_fixed_lengths() -> None:
    assert len(p.szl_0011_record(1, "6ES7 315-2EH14-0AB0", 0xC0, 4, 1)) == 28
    assert len(p.szl_001c_record(1, "PLC")) == 34
    param, data = p.s7_szl_response(0x001C, 0, 34, [p.szl_001c_record(1, "PLC")])
    assert param == bytes.fromhex("000112081284010000000000")
    assert data[:12] == bytes.fromhex("ff09002a001c000000220001")


def test_read_var_pads_odd_items_but_the_last() -> None:
    assert p.s7_read_var_data([b"\x01", b"\x02"]) == bytes.fromhex("ff040008" "0100" "ff040008" "02")
    param = p.s7_read_var_param([(1, 2, p.TS_BYTE, 8)])
    assert param == bytes.fromhex("0401" "120a10020008000184000010")


def test_modbus_messages() -> None:
    assert p.mbap(1, 1, p.mb_read_req(3, 0, 10)) == bytes.fromhex("00010000000601030000000a")
    assert p.mb_read_bits_resp(1, [True] + [False] * 8 + [True]) == bytes.fromhex("01020102")
    assert p.mb_write_multiple_coils_req(0, [True, False, True]) == bytes.fromhex("0f0000000301" "05")
    assert p.mb_write_multiple_registers_req(4, [1, 2]) == bytes.fromhex("10000400020400010002")
    assert p.mb_diagnostics(4, 0) == bytes.fromhex("0800040000")
    assert p.mb_read_device_id_req(1) == bytes.fromhex("2b0e0100")
    assert p.mb_read_device_id_resp(1, 0x81, [(0, "AB")]) == bytes.fromhex("2b0e01810000010002") + b"AB"
    assert p.mb_exception(16, 2) == b"\x90\x02"
