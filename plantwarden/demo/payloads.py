"""Byte builders for the Modbus/TCP and S7comm messages of the demo plant.

Modbus follows the Modbus Application Protocol Specification v1.1b3 and the Modbus Messaging on
TCP/IP Implementation Guide (MBAP header: transaction id, protocol id 0, length, unit id).
S7comm rides on ISO-on-TCP (RFC 1006 TPKT, ISO 8073 COTP class 0) and is laid out the way
Wireshark's s7comm dissector reads it. Only the messages the demo needs are here.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

# --------------------------------------------------------------------------------------------- Modbus


def mbap(tid: int, unit: int, pdu: bytes) -> bytes:
    """MBAP header + PDU. The length field counts the unit id and the PDU."""
    return struct.pack("!HHHB", tid & 0xFFFF, 0, len(pdu) + 1, unit) + pdu


def mb_read_req(fc: int, addr: int, qty: int) -> bytes:
    """FC 1/2/3/4 request: starting address and quantity."""
    return struct.pack("!BHH", fc, addr, qty)


def mb_read_registers_resp(fc: int, values: Sequence[int]) -> bytes:
    """FC 3/4 response: byte count and the registers."""
    return struct.pack(f"!BB{len(values)}H", fc, 2 * len(values), *values)


def pack_bits(bits: Sequence[bool]) -> bytes:
    """Coils/inputs packed LSB first, the last byte padded with zeros."""
    out = bytearray((len(bits) + 7) // 8)
    for i, bit in enumerate(bits):
        if bit:
            out[i // 8] |= 1 << (i % 8)
    return bytes(out)


def mb_read_bits_resp(fc: int, bits: Sequence[bool]) -> bytes:
    """FC 1/2 response."""
    packed = pack_bits(bits)
    return bytes((fc, len(packed))) + packed


def mb_write_single_register(addr: int, value: int) -> bytes:
    """FC 6 request; the normal response echoes it."""
    return struct.pack("!BHH", 6, addr, value)


def mb_write_multiple_coils_req(addr: int, bits: Sequence[bool]) -> bytes:
    packed = pack_bits(bits)
    return struct.pack("!BHHB", 15, addr, len(bits), len(packed)) + packed


def mb_write_multiple_registers_req(addr: int, values: Sequence[int]) -> bytes:
    return struct.pack(f"!BHHB{len(values)}H", 16, addr, len(values), 2 * len(values), *values)


def mb_write_multiple_resp(fc: int, addr: int, qty: int) -> bytes:
    """FC 15/16 response: starting address and quantity written."""
    return struct.pack("!BHH", fc, addr, qty)


def mb_diagnostics(subfunction: int, data: int) -> bytes:
    """FC 8 with one data word (sub-function 1 restart communications, 4 force listen only mode, ...)."""
    return struct.pack("!BHH", 8, subfunction, data)


def mb_exception(fc: int, code: int) -> bytes:
    return bytes((fc | 0x80, code))


def mb_read_device_id_req(read_code: int, object_id: int = 0) -> bytes:
    """FC 43 / MEI type 14 (Read Device Identification) request."""
    return bytes((43, 14, read_code, object_id))


def mb_read_device_id_resp(read_code: int, conformity: int, objects: Sequence[tuple[int, str]]) -> bytes:
    """FC 43/14 response carrying every object in one go (more follows = 0, next object id = 0)."""
    body = bytearray((43, 14, read_code, conformity, 0, 0, len(objects)))
    for obj_id, text in objects:
        raw = text.encode("ascii")
        body += bytes((obj_id, len(raw))) + raw
    return bytes(body)


# -------------------------------------------------------------------------------------------- S7comm

S7_JOB, S7_ACK, S7_ACK_DATA, S7_USERDATA = 1, 2, 3, 7

AREA_DB = 0x84
TS_BYTE = 0x02  # request transport size BYTE
DATA_TS_BYTE_WORD_DWORD = 0x04  # response transport size, length given in bits
DATA_TS_OCTET_STRING = 0x09


def tpkt(payload: bytes) -> bytes:
    """RFC 1006 TPKT: version 3, reserved, total length."""
    return struct.pack("!BBH", 3, 0, 4 + len(payload)) + payload


def _tsap_params(tpdu_size_code: int, src_tsap: int, dst_tsap: int) -> bytes:
    return struct.pack("!BBB", 0xC0, 1, tpdu_size_code) + struct.pack("!BBH", 0xC1, 2, src_tsap) + \
        struct.pack("!BBH", 0xC2, 2, dst_tsap)


def cotp_cr(src_ref: int, src_tsap: int, dst_tsap: int) -> bytes:
    """COTP Connection Request (class 0, TPDU size 1024) in a TPKT."""
    params = _tsap_params(0x0A, src_tsap, dst_tsap)
    body = struct.pack("!BHHB", 0xE0, 0, src_ref, 0) + params
    return tpkt(bytes((len(body),)) + body)


def cotp_cc(dst_ref: int, src_ref: int, src_tsap: int, dst_tsap: int) -> bytes:
    """COTP Connection Confirm answering :func:`cotp_cr` (TSAPs as in the request)."""
    params = _tsap_params(0x0A, src_tsap, dst_tsap)
    body = struct.pack("!BHHB", 0xD0, dst_ref, src_ref, 0) + params
    return tpkt(bytes((len(body),)) + body)


def cotp_dt(pdu: bytes) -> bytes:
    """COTP Data TPDU (last data unit) in a TPKT."""
    return tpkt(b"\x02\xf0\x80" + pdu)


def s7_pdu(rosctr: int, pduref: int, param: bytes, data: bytes = b"", err_class: int = 0,
           err_code: int = 0) -> bytes:
    """S7comm header + parameter + data, wrapped in COTP DT and TPKT. Ack/Ack_Data carry the error."""
    header = struct.pack("!BBHHHH", 0x32, rosctr, 0, pduref & 0xFFFF, len(param), len(data))
    if rosctr in (S7_ACK, S7_ACK_DATA):
        header += bytes((err_class, err_code))
    return cotp_dt(header + param + data)


def s7_setup_comm_param(pdu_length: int, amq: int = 1) -> bytes:
    return struct.pack("!BBHHH", 0xF0, 0, amq, amq, pdu_length)


def s7_read_var_param(items: Sequence[tuple[int, int, int, int]]) -> bytes:
    """Read Var request: items of (db number, start byte, transport size, count), area DB, S7ANY."""
    out = bytearray((0x04, len(items)))
    for db, start, tsize, count in items:
        out += struct.pack("!BBBBHHB", 0x12, 10, 0x10, tsize, count, db, AREA_DB)
        out += (start * 8).to_bytes(3, "big")
    return bytes(out)


def s7_read_var_data(values: Sequence[bytes]) -> bytes:
    """Read Var response data: per item return code 0xff, size in bits, bytes, padding between items."""
    out = bytearray()
    for i, raw in enumerate(values):
        out += struct.pack("!BBH", 0xFF, DATA_TS_BYTE_WORD_DWORD, 8 * len(raw)) + raw
        if len(raw) & 1 and i + 1 < len(values):
            out += b"\x00"
    return bytes(out)


def s7_userdata_param(method: int, type_group: int, subfunction: int, seq: int) -> bytes:
    """Userdata parameter head; a response (method 0x12) adds data unit ref, last unit, error code."""
    if method == 0x11:
        return struct.pack("!3sBBBBB", b"\x00\x01\x12", 4, method, type_group, subfunction, seq)
    return struct.pack("!3sBBBBBBBH", b"\x00\x01\x12", 8, method, type_group, subfunction, seq, 0, 0, 0)


def s7_szl_request(szl_id: int, index: int, seq: int = 0) -> tuple[bytes, bytes]:
    """(param, data) of a Read SZL request (CPU functions, subfunction 1)."""
    param = s7_userdata_param(0x11, 0x44, 0x01, seq)
    data = struct.pack("!BBHHH", 0xFF, DATA_TS_OCTET_STRING, 4, szl_id, index)
    return param, data


def s7_szl_response(szl_id: int, index: int, record_len: int, records: Sequence[bytes],
                    seq: int = 0) -> tuple[bytes, bytes]:
    """(param, data) of a Read SZL response with ``records`` (each exactly ``record_len`` bytes)."""
    body = struct.pack("!HHHH", szl_id, index, record_len, len(records)) + b"".join(records)
    param = s7_userdata_param(0x12, 0x84, 0x01, seq)
    data = struct.pack("!BBH", 0xFF, DATA_TS_OCTET_STRING, len(body)) + body
    return param, data


def szl_0011_record(index: int, text: str, module_type: int, ausbg: int, ausbe: int) -> bytes:
    """SZL 0x0011 module identification record: index, 20-character order number, type id, versions."""
    return struct.pack("!H20sHHH", index, text.ljust(20).encode("ascii"), module_type, ausbg, ausbe)


def szl_001c_record(index: int, text: str) -> bytes:
    """SZL 0x001C component identification record: index + 32 bytes of text, zero padded."""
    return struct.pack("!H32s", index, text.encode("ascii"))


def s7_plc_stop_param() -> bytes:
    """PLC Stop (function 0x29) of the program invocation "P_PROGRAM"."""
    service = b"P_PROGRAM"
    return b"\x29" + b"\x00" * 5 + bytes((len(service),)) + service


def s7_pi_service_param(service: str, block_param: bytes = b"") -> bytes:
    """PI-Service (function 0x28): e.g. "P_PROGRAM" with no parameter block (PLC start),
    or "_INSE" with a block list (activate downloaded blocks)."""
    raw = service.encode("ascii")
    return b"\x28" + b"\x00" * 6 + b"\xfd" + struct.pack("!H", len(block_param)) + block_param + \
        bytes((len(raw),)) + raw


def s7_insert_blocks_param(filenames: Sequence[str]) -> bytes:
    """Parameter block of "_INSE": number of blocks, a zero byte, then the 8-character names."""
    return bytes((len(filenames), 0)) + b"".join(name.encode("ascii") for name in filenames)


def block_filename(block_type: str, number: int, dest: str = "P") -> str:
    """File name of a block: two hex digits of type ("08" OB, "0A" DB), five digits, destination."""
    return f"{block_type}{number:05d}{dest}"


def s7_request_download_param(filename: str, load_len: int, mc7_len: int) -> bytes:
    """Request download (0x1a) sent by the programming device for ``_<filename>``."""
    name = ("_" + filename).encode("ascii")
    part2 = f"1{load_len:06d}{mc7_len:06d}".encode("ascii")
    return b"\x1a\x00\x01\x00\x00\x00\x00\x00" + bytes((len(name),)) + name + bytes((len(part2),)) + part2


def s7_download_job_param(function: int, filename: str) -> bytes:
    """Download block (0x1b) / Download ended (0x1c) Job, sent by the PLC to the programming device."""
    name = ("_" + filename).encode("ascii")
    return bytes((function,)) + b"\x00" * 7 + bytes((len(name),)) + name


def s7_download_block_data(block: bytes) -> bytes:
    """Data of the Ack_Data answering Download block: length, two unknown bytes (0x00fb), the block."""
    return struct.pack("!H", len(block)) + b"\x00\xfb" + block


def mc7_block(block_type: int, number: int, language: int, code: bytes, ts_ms: int) -> bytes:
    """A plausible (not executable) MC7 block image: a 36-byte header, the code, a 36-byte trailer.

    Header: 0x7070 magic, version, attributes, language, block type, number, total length,
    password, two 6-byte S7 timestamps, interface length, segment table length, local data length,
    MC7 code length.
    """
    total = 36 + len(code) + 36
    stamp = struct.pack("!IH", ts_ms % 86_400_000, 14_000)  # ms since midnight, days since 1984
    header = struct.pack("!HBBBBHI I", 0x7070, 1, 1, language, block_type, number, total, 0)
    header += stamp + stamp + struct.pack("!HHHH", 0, 0, 0, len(code))
    trailer = b"PLANTWRD".ljust(8, b"\x00") + b"MIXER".ljust(8, b"\x00") + b"\x00\x01" + b"\x00" * 18
    return header + code + trailer
