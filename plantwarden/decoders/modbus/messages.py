"""Modbus PDU parsers, one request and one response parser per function code.

A parser reads the PDU bytes ``buf[s:e]`` (``s`` is just after the function code) and writes the
fields of the event into ``f``. Request parsers return a small *context* (a tuple or ``None``) that
the decoder keeps until the response with the same transaction id arrives; response parsers
receive that context (``None`` when the request was not seen) for the PDUs that cannot be read
without it (e.g. how many of the returned coil bits are meaningful).

A parser that meets a PDU it cannot read raises :class:`PduError` *after* filling in what it
could: the decoder still emits the event and adds a weird with the error's name. Any other
exception (e.g. ``struct.error`` on a short PDU) is treated the same way by the decoder, as
``modbus_malformed_pdu``.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from plantwarden.decoders.modbus.constants import (
    BITS,
    CONFORMITY_LEVELS,
    DEVICE_ID_OBJECTS,
    DIAGNOSTIC_SUBFUNCTIONS,
    MEI_CANOPEN,
    MEI_DEVICE_ID,
    MEI_TYPES,
    READ_DEVICE_ID_CODES,
    UMAS_FUNCTIONS,
    UMAS_STATUS,
    name_of,
)
from plantwarden.decoders.names import wire_text

Fields = dict[str, Any]
RequestParser = Callable[[bytes, int, int, Fields], Any]
ResponseParser = Callable[[bytes, int, int, Fields, Any], None]

MALFORMED = "modbus_malformed_pdu"


class PduError(Exception):
    """A PDU the parser could not fully read; ``name`` becomes the weird's name."""

    def __init__(self, name: str, detail: str) -> None:
        super().__init__(detail)
        self.name = name
        self.detail = detail


_U16 = struct.Struct(">H")
_HH = struct.Struct(">HH")
_HHB = struct.Struct(">HHB")
_HHHH = struct.Struct(">HHHH")
_BHHH = struct.Struct(">BHHH")
_REGS = tuple(struct.Struct(f">{n}H") for n in range(128))


def _need(s: int, e: int, n: int, what: str) -> None:
    if e - s < n:
        raise PduError(MALFORMED, f"{what}: {e - s} bytes, need {n}")


def registers(buf: bytes, off: int, nbytes: int) -> list[int]:
    """Big-endian 16-bit registers in ``buf[off:off + nbytes]`` (an odd last byte is ignored)."""
    n = nbytes >> 1
    if n < 128:
        return list(_REGS[n].unpack_from(buf, off))
    return list(struct.unpack_from(f">{n}H", buf, off))


def bits(buf: bytes, off: int, nbytes: int, quantity: int | None) -> list[int]:
    """Coil/discrete-input bits, least significant bit of the first byte first, cut to ``quantity``."""
    out: list[int] = []
    ext = out.extend
    for b in buf[off:off + nbytes]:
        ext(BITS[b])
    if quantity is not None and quantity < len(out):
        del out[quantity:]
    return out


def _hex(buf: bytes, s: int, e: int) -> str:
    return buf[s:e].hex()


# -- 1-4: reads ---------------------------------------------------------------------------------

def req_read(buf: bytes, s: int, e: int, f: Fields) -> Any:
    _need(s, e, 4, "read request")
    addr, qty = _HH.unpack_from(buf, s)
    f["address"] = addr
    f["quantity"] = qty
    return (addr, qty)


def _byte_count(buf: bytes, s: int, e: int, f: Fields) -> int:
    _need(s, e, 1, "byte count")
    n = buf[s]
    f["byte_count"] = n
    if n > e - s - 1:
        raise PduError(MALFORMED, f"byte count {n} exceeds the {e - s - 1} data bytes")
    return n


def resp_read_bits(buf: bytes, s: int, e: int, f: Fields, ctx: Any) -> None:
    qty = None
    if ctx is not None:
        f["address"], qty = ctx
        f["quantity"] = qty
    else:
        f["address"] = f["quantity"] = None
    f["values"] = []
    n = _byte_count(buf, s, e, f)
    f["values"] = bits(buf, s + 1, n, qty)
    if qty is not None and n != (qty + 7) >> 3:
        raise PduError("modbus_byte_count_mismatch", f"byte count {n} for {qty} bits")


def resp_read_registers(buf: bytes, s: int, e: int, f: Fields, ctx: Any) -> None:
    _register_values(buf, s, e, f, ctx, "address", "quantity")


def _register_values(buf: bytes, s: int, e: int, f: Fields, ctx: Any, addr_key: str, qty_key: str) -> None:
    """A byte count and register values, checked against the request's (address, quantity)."""
    qty = None
    if ctx is not None:
        f[addr_key], qty = ctx
        f[qty_key] = qty
    else:
        f[addr_key] = f[qty_key] = None
    f["values"] = []
    n = _byte_count(buf, s, e, f)
    f["values"] = registers(buf, s + 1, n)
    if n & 1:
        raise PduError("modbus_odd_byte_count", f"byte count {n} is odd")
    if qty is not None and n != qty * 2:
        raise PduError("modbus_byte_count_mismatch", f"byte count {n} for {qty} registers")


# -- 5, 6: single writes (request and response have the same layout) ----------------------------

def req_write_single_coil(buf: bytes, s: int, e: int, f: Fields) -> Any:
    _need(s, e, 4, "write single coil")
    addr, value = _HH.unpack_from(buf, s)
    f["address"] = addr
    f["quantity"] = 1
    f["values"] = [0 if value == 0 else 1]
    if value != 0 and value != 0xFF00:
        raise PduError("modbus_invalid_coil_value", f"coil value 0x{value:04x}")
    return None


def resp_write_single_coil(buf: bytes, s: int, e: int, f: Fields, ctx: Any) -> None:
    req_write_single_coil(buf, s, e, f)


def req_write_single_register(buf: bytes, s: int, e: int, f: Fields) -> Any:
    _need(s, e, 4, "write single register")
    addr, value = _HH.unpack_from(buf, s)
    f["address"] = addr
    f["quantity"] = 1
    f["values"] = [value]
    return None


def resp_write_single_register(buf: bytes, s: int, e: int, f: Fields, ctx: Any) -> None:
    req_write_single_register(buf, s, e, f)


# -- requests without data (7, 11, 12, 17) ------------------------------------------------------

def req_empty(buf: bytes, s: int, e: int, f: Fields) -> Any:
    return None


def resp_read_exception_status(buf: bytes, s: int, e: int, f: Fields, ctx: Any) -> None:
    _need(s, e, 1, "exception status")
    f["status"] = buf[s]


def resp_get_comm_event_counter(buf: bytes, s: int, e: int, f: Fields, ctx: Any) -> None:
    _need(s, e, 4, "comm event counter")
    f["status"], f["event_count"] = _HH.unpack_from(buf, s)


def resp_get_comm_event_log(buf: bytes, s: int, e: int, f: Fields, ctx: Any) -> None:
    n = _byte_count(buf, s, e, f)
    _need(s + 1, s + 1 + n, 6, "comm event log")
    f["status"], f["event_count"], f["message_count"] = struct.unpack_from(">HHH", buf, s + 1)
    f["events"] = list(buf[s + 7:s + 1 + n])


def resp_report_server_id(buf: bytes, s: int, e: int, f: Fields, ctx: Any) -> None:
    n = _byte_count(buf, s, e, f)
    f["server_id"] = buf[s + 1] if n >= 1 else None
    f["run_indicator"] = (buf[s + 2] == 0xFF) if n >= 2 else None
    f["data"] = _hex(buf, s + 1, s + 1 + n)


# -- 8: diagnostics -----------------------------------------------------------------------------

def req_diagnostics(buf: bytes, s: int, e: int, f: Fields) -> Any:
    _need(s, e, 2, "diagnostics")
    sub = _U16.unpack_from(buf, s)[0]
    f["subfunction"] = sub
    name = DIAGNOSTIC_SUBFUNCTIONS.get(sub)
    f["subfunction_name"] = name if name is not None else f"unknown-{sub}"
    f["data"] = _hex(buf, s + 2, e)
    if name is None:
        raise PduError("modbus_diagnostics_unknown_subfunction", str(sub))
    return sub


def resp_diagnostics(buf: bytes, s: int, e: int, f: Fields, ctx: Any) -> None:
    req_diagnostics(buf, s, e, f)


# -- 15, 16: multiple writes --------------------------------------------------------------------

def req_write_multiple_coils(buf: bytes, s: int, e: int, f: Fields) -> Any:
    _need(s, e, 5, "write multiple coils")
    addr, qty, n = _HHB.unpack_from(buf, s)
    f["address"] = addr
    f["quantity"] = qty
    f["byte_count"] = n
    f["values"] = bits(buf, s + 5, n, qty)
    if n > e - s - 5:
        raise PduError(MALFORMED, f"byte count {n} exceeds the {e - s - 5} data bytes")
    if n != (qty + 7) >> 3:
        raise PduError("modbus_byte_count_mismatch", f"byte count {n} for {qty} coils")
    return None


def req_write_multiple_registers(buf: bytes, s: int, e: int, f: Fields) -> Any:
    _need(s, e, 5, "write multiple registers")
    addr, qty, n = _HHB.unpack_from(buf, s)
    f["address"] = addr
    f["quantity"] = qty
    f["byte_count"] = n
    avail = min(n, e - s - 5)
    f["values"] = registers(buf, s + 5, avail)
    if n > e - s - 5:
        raise PduError(MALFORMED, f"byte count {n} exceeds the {e - s - 5} data bytes")
    if n != qty * 2:
        raise PduError("modbus_byte_count_mismatch", f"byte count {n} for {qty} registers")
    return None


def resp_write_multiple(buf: bytes, s: int, e: int, f: Fields, ctx: Any) -> None:
    _need(s, e, 4, "write multiple response")
    f["address"], f["quantity"] = _HH.unpack_from(buf, s)


# -- 20, 21: file records -----------------------------------------------------------------------

def req_read_file_record(buf: bytes, s: int, e: int, f: Fields) -> Any:
    n = _byte_count(buf, s, e, f)
    records: list[Fields] = []
    f["records"] = records
    refs = []
    off, end = s + 1, s + 1 + n
    while off + 7 <= end:
        ref, file_no, rec_no, rec_len = _BHHH.unpack_from(buf, off)
        records.append({"reference_type": ref, "file_number": file_no, "record_number": rec_no,
                        "record_length": rec_len})
        refs.append((file_no, rec_no))
        off += 7
    if off != end:
        raise PduError(MALFORMED, f"{end - off} bytes left after the file sub-requests")
    return tuple(refs)


def resp_read_file_record(buf: bytes, s: int, e: int, f: Fields, ctx: Any) -> None:
    n = _byte_count(buf, s, e, f)
    records: list[Fields] = []
    f["records"] = records
    off, end = s + 1, s + 1 + n
    i = 0
    while off + 2 <= end:
        ln = buf[off]
        rec: Fields = {"reference_type": buf[off + 1]}
        if ctx is not None and i < len(ctx):
            rec["file_number"], rec["record_number"] = ctx[i]
        rec["values"] = registers(buf, off + 2, max(0, min(ln - 1, end - off - 2)))
        records.append(rec)
        if ln < 1 or off + 1 + ln > end:
            raise PduError(MALFORMED, f"file sub-response length {ln}")
        off += 1 + ln
        i += 1
    if off != end:
        raise PduError(MALFORMED, f"{end - off} bytes left after the file sub-responses")


def req_write_file_record(buf: bytes, s: int, e: int, f: Fields) -> Any:
    n = _byte_count(buf, s, e, f)
    records: list[Fields] = []
    f["records"] = records
    off, end = s + 1, s + 1 + n
    while off + 7 <= end:
        ref, file_no, rec_no, rec_len = _BHHH.unpack_from(buf, off)
        nbytes = min(rec_len * 2, end - off - 7)
        records.append({"reference_type": ref, "file_number": file_no, "record_number": rec_no,
                        "record_length": rec_len, "values": registers(buf, off + 7, nbytes)})
        off += 7 + rec_len * 2
    if off != end:
        raise PduError(MALFORMED, "file sub-request lengths do not add up to the byte count")
    return None


def resp_write_file_record(buf: bytes, s: int, e: int, f: Fields, ctx: Any) -> None:
    req_write_file_record(buf, s, e, f)


# -- 22, 23, 24 ---------------------------------------------------------------------------------

def req_mask_write_register(buf: bytes, s: int, e: int, f: Fields) -> Any:
    _need(s, e, 6, "mask write register")
    f["address"], f["and_mask"], f["or_mask"] = struct.unpack_from(">HHH", buf, s)
    return None


def resp_mask_write_register(buf: bytes, s: int, e: int, f: Fields, ctx: Any) -> None:
    req_mask_write_register(buf, s, e, f)


def req_read_write_multiple_registers(buf: bytes, s: int, e: int, f: Fields) -> Any:
    _need(s, e, 9, "read/write multiple registers")
    raddr, rqty, waddr, wqty = _HHHH.unpack_from(buf, s)
    f["read_address"] = raddr
    f["read_quantity"] = rqty
    f["write_address"] = waddr
    f["write_quantity"] = wqty
    n = buf[s + 8]
    f["byte_count"] = n
    f["values"] = registers(buf, s + 9, min(n, e - s - 9))
    if n > e - s - 9:
        raise PduError(MALFORMED, f"byte count {n} exceeds the {e - s - 9} data bytes")
    if n != wqty * 2:
        raise PduError("modbus_byte_count_mismatch", f"byte count {n} for {wqty} registers")
    return (raddr, rqty)


def resp_read_write_multiple_registers(buf: bytes, s: int, e: int, f: Fields, ctx: Any) -> None:
    _register_values(buf, s, e, f, ctx, "read_address", "read_quantity")


def req_read_fifo_queue(buf: bytes, s: int, e: int, f: Fields) -> Any:
    _need(s, e, 2, "read fifo queue")
    f["address"] = _U16.unpack_from(buf, s)[0]
    return f["address"]


def resp_read_fifo_queue(buf: bytes, s: int, e: int, f: Fields, ctx: Any) -> None:
    f["address"] = ctx
    _need(s, e, 4, "read fifo queue response")
    n, count = _HH.unpack_from(buf, s)
    f["byte_count"] = n
    f["fifo_count"] = count
    f["values"] = registers(buf, s + 4, min(count * 2, e - s - 4))
    if n != count * 2 + 2 or n != e - s - 2:
        raise PduError("modbus_byte_count_mismatch", f"byte count {n} for {count} FIFO registers")


# -- 43: encapsulated interface transport -------------------------------------------------------

def _mei(buf: bytes, s: int, e: int, f: Fields) -> int:
    _need(s, e, 1, "MEI type")
    mei = buf[s]
    f["subfunction"] = mei
    f["subfunction_name"] = name_of(MEI_TYPES, mei)
    return mei


def req_mei(buf: bytes, s: int, e: int, f: Fields) -> Any:
    mei = _mei(buf, s, e, f)
    if mei == MEI_DEVICE_ID:
        _need(s, e, 3, "read device identification")
        code = buf[s + 1]
        f["read_device_id_code"] = code
        f["read_device_id"] = name_of(READ_DEVICE_ID_CODES, code)
        f["object_id"] = buf[s + 2]
    else:
        f["data"] = _hex(buf, s + 1, e)
    return mei


def _text(raw: bytes) -> str:
    """Attacker-controlled object text: UTF-8 when valid, else Latin-1; trailing NULs dropped."""
    return wire_text(raw).rstrip("\x00")


def resp_mei(buf: bytes, s: int, e: int, f: Fields, ctx: Any) -> None:
    mei = _mei(buf, s, e, f)
    if mei != MEI_DEVICE_ID:
        f["data"] = _hex(buf, s + 1, e)
        return
    _need(s, e, 6, "read device identification response")
    code, conformity, more, next_id, count = buf[s + 1:s + 6]
    f["read_device_id_code"] = code
    f["read_device_id"] = name_of(READ_DEVICE_ID_CODES, code)
    f["conformity_level"] = conformity
    f["conformity_level_name"] = name_of(CONFORMITY_LEVELS, conformity)
    f["more_follows"] = more == 0xFF
    f["next_object_id"] = next_id
    f["number_of_objects"] = count
    identity: Fields = {}
    f["identity"] = identity
    off = s + 6
    for _ in range(count):
        if off + 2 > e:
            raise PduError(MALFORMED, "device identification objects truncated")
        obj_id, ln = buf[off], buf[off + 1]
        raw = buf[off + 2:off + 2 + ln]
        key = DEVICE_ID_OBJECTS.get(obj_id)
        if key is not None:
            identity[key] = _text(raw)
        else:
            identity.setdefault("objects", {})[f"0x{obj_id:02x}"] = _text(raw)
        if off + 2 + ln > e:
            raise PduError(MALFORMED, f"device identification object 0x{obj_id:02x} truncated")
        off += 2 + ln
    if off != e:
        raise PduError("modbus_trailing_bytes", f"{e - off} bytes after the device identification objects")


# -- 90: Schneider UMAS -------------------------------------------------------------------------

def req_umas(buf: bytes, s: int, e: int, f: Fields) -> Any:
    _need(s, e, 2, "UMAS request")
    f["umas_session"] = buf[s]
    code = buf[s + 1]
    f["umas_function"] = code
    f["umas_function_name"] = name_of(UMAS_FUNCTIONS, code)
    f["data"] = _hex(buf, s + 2, e)
    return code


def resp_umas(buf: bytes, s: int, e: int, f: Fields, ctx: Any) -> None:
    f["umas_function"] = ctx
    f["umas_function_name"] = None if ctx is None else name_of(UMAS_FUNCTIONS, ctx)
    _need(s, e, 2, "UMAS response")
    f["umas_session"] = buf[s]
    status = buf[s + 1]
    f["umas_status"] = status
    f["umas_status_name"] = name_of(UMAS_STATUS, status)
    f["data"] = _hex(buf, s + 2, e)


# -- functions this decoder does not know -------------------------------------------------------

def req_unknown(buf: bytes, s: int, e: int, f: Fields) -> Any:
    f["data"] = _hex(buf, s, e)
    return None


def resp_unknown(buf: bytes, s: int, e: int, f: Fields, ctx: Any) -> None:
    f["data"] = _hex(buf, s, e)


_REQUEST: dict[int, RequestParser] = {
    1: req_read, 2: req_read, 3: req_read, 4: req_read,
    5: req_write_single_coil, 6: req_write_single_register,
    7: req_empty, 8: req_diagnostics, 11: req_empty, 12: req_empty,
    15: req_write_multiple_coils, 16: req_write_multiple_registers, 17: req_empty,
    20: req_read_file_record, 21: req_write_file_record, 22: req_mask_write_register,
    23: req_read_write_multiple_registers, 24: req_read_fifo_queue, 43: req_mei, 90: req_umas,
}
_RESPONSE: dict[int, ResponseParser] = {
    1: resp_read_bits, 2: resp_read_bits, 3: resp_read_registers, 4: resp_read_registers,
    5: resp_write_single_coil, 6: resp_write_single_register,
    7: resp_read_exception_status, 8: resp_diagnostics, 11: resp_get_comm_event_counter,
    12: resp_get_comm_event_log, 15: resp_write_multiple, 16: resp_write_multiple,
    17: resp_report_server_id, 20: resp_read_file_record, 21: resp_write_file_record,
    22: resp_mask_write_register, 23: resp_read_write_multiple_registers, 24: resp_read_fifo_queue,
    43: resp_mei, 90: resp_umas,
}

#: parsers indexed by function code 0-127 (unknown codes get the generic parser)
REQUEST_PARSERS: tuple[RequestParser, ...] = tuple(_REQUEST.get(fc, req_unknown) for fc in range(128))
RESPONSE_PARSERS: tuple[ResponseParser, ...] = tuple(_RESPONSE.get(fc, resp_unknown) for fc in range(128))

__all__ = ["MALFORMED", "MEI_CANOPEN", "REQUEST_PARSERS", "RESPONSE_PARSERS", "PduError", "bits", "registers"]
