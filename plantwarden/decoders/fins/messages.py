"""FINS command and response data, per command code (documented in docs/protocols/fins.md).

A request parser fills the event's fields from ``buf[s:e]`` (the bytes after MRC/SRC) and returns
the context a response needs (e.g. the area read); a response parser gets ``buf[s:e]`` after the end
code and that context. Data cut short raises :class:`Malformed`; the fields read so far are kept.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from plantwarden.decoders.fins.constants import FORCED_SPECS, MEMORY_AREAS, MODES, RUN_STATUS, name_of
from plantwarden.decoders.names import c_string

Fields = dict[str, Any]
RequestParser = Callable[[bytes, int, int, Fields], Any]
ResponseParser = Callable[[bytes, int, int, Fields, Any], None]

_AREA = struct.Struct(">BHBH")  # area, word address, bit, count
_HH = struct.Struct(">HH")
_HHH = struct.Struct(">HHH")
#: hex of command data is cut at this many bytes (``data_truncated`` says so)
MAX_HEX = 512


class Malformed(Exception):
    """Command data shorter than its command needs."""


def _need(s: int, e: int, n: int, what: str) -> None:
    if e - s < n:
        raise Malformed(f"{what}: {e - s} bytes, {n} needed")


def _hex(buf: bytes, s: int, e: int, f: Fields) -> str:
    if e - s > MAX_HEX:
        f["data_truncated"] = True
        e = s + MAX_HEX
    return buf[s:e].hex()


def text(raw: bytes) -> str:
    """Attacker-controlled text: up to the first NUL, UTF-8 when valid else Latin-1, spaces stripped."""
    return c_string(raw)


def _bcd(b: int) -> int:
    return (b >> 4) * 10 + (b & 0x0F)


def _area(f: Fields, code: int) -> None:
    f["memory_area_code"] = code
    f["memory_area"] = name_of(MEMORY_AREAS, code)


# -- memory area -------------------------------------------------------------------------------

def req_memory_read(buf: bytes, s: int, e: int, f: Fields) -> Any:
    _need(s, e, 6, "memory area read")
    area, addr, bit, count = _AREA.unpack_from(buf, s)
    _area(f, area)
    f["address"], f["bit"], f["count"] = addr, bit, count
    return area


def resp_memory_read(buf: bytes, s: int, e: int, f: Fields, ctx: Any) -> None:
    if ctx is not None:
        _area(f, ctx)
    f["data"] = _hex(buf, s, e, f)


def req_memory_write(buf: bytes, s: int, e: int, f: Fields) -> Any:
    req_memory_read(buf, s, e, f)
    f["data"] = _hex(buf, s + 6, e, f)
    return None


def req_memory_fill(buf: bytes, s: int, e: int, f: Fields) -> Any:
    req_memory_read(buf, s, e, f)
    _need(s, e, 8, "memory area fill")
    f["data"] = buf[s + 6:s + 8].hex()
    return None


def req_multiple_read(buf: bytes, s: int, e: int, f: Fields) -> Any:
    items: list[Fields] = []
    off = s
    while off + 4 <= e and len(items) < 128:
        items.append({"memory_area_code": buf[off], "memory_area": name_of(MEMORY_AREAS, buf[off]),
                      "address": (buf[off + 1] << 8) | buf[off + 2], "bit": buf[off + 3]})
        off += 4
    f["items"] = items
    f["count"] = (e - s) // 4
    return None


def req_memory_transfer(buf: bytes, s: int, e: int, f: Fields) -> Any:
    _need(s, e, 10, "memory area transfer")
    _area(f, buf[s])
    f["address"], f["bit"] = (buf[s + 1] << 8) | buf[s + 2], buf[s + 3]
    f["destination_area_code"] = buf[s + 4]
    f["destination_area"] = name_of(MEMORY_AREAS, buf[s + 4])
    f["destination_address"] = (buf[s + 5] << 8) | buf[s + 6]
    f["destination_bit"] = buf[s + 7]
    f["count"] = (buf[s + 8] << 8) | buf[s + 9]
    return None


# -- parameter and program areas ---------------------------------------------------------------

def req_parameter(buf: bytes, s: int, e: int, f: Fields) -> Any:
    _need(s, e, 6, "parameter area")
    f["parameter_area_code"], f["address"], f["count"] = _HHH.unpack_from(buf, s)
    if e > s + 6:
        f["data"] = _hex(buf, s + 6, e, f)
    return None


def req_program(buf: bytes, s: int, e: int, f: Fields) -> Any:
    _need(s, e, 2, "program area")
    f["program_number"] = (buf[s] << 8) | buf[s + 1]
    if e - s >= 8:
        f["address"] = int.from_bytes(buf[s + 2:s + 6], "big")
        f["count"] = (buf[s + 6] << 8) | buf[s + 7]
        if e > s + 8:
            f["data"] = _hex(buf, s + 8, e, f)
    return None


def req_program_protect(buf: bytes, s: int, e: int, f: Fields) -> Any:
    _need(s, e, 2, "program area protect")
    f["program_number"] = (buf[s] << 8) | buf[s + 1]
    if e - s >= 3:
        f["protect_code"] = buf[s + 2]
    f["password_present"] = e - s >= 15
    return None


# -- operating mode ----------------------------------------------------------------------------

def req_run(buf: bytes, s: int, e: int, f: Fields) -> Any:
    if e - s >= 2:
        f["program_number"] = (buf[s] << 8) | buf[s + 1]
    # no mode byte: the controller's default (monitor)
    mode = buf[s + 2] if e - s >= 3 else 0x02
    f["mode_code"] = mode
    f["mode"] = name_of(MODES, mode)
    return None


def req_stop(buf: bytes, s: int, e: int, f: Fields) -> Any:
    if e - s >= 2:
        f["program_number"] = (buf[s] << 8) | buf[s + 1]
    f["mode"] = "program"
    return None


# -- controller data and status ----------------------------------------------------------------

def req_controller_data(buf: bytes, s: int, e: int, f: Fields) -> Any:
    if e > s:
        f["data_kind"] = buf[s]
    return None


def resp_controller_data(buf: bytes, s: int, e: int, f: Fields, ctx: Any) -> None:
    _need(s, e, 20, "controller data")
    identity: Fields = {}
    model = text(buf[s:s + 20])
    if model:
        identity["model"] = model
    if e - s >= 40:
        version = text(buf[s + 20:s + 40])
        if version:
            identity["firmware"] = version
    f["identity"] = identity
    a = s + 80
    if e - a >= 12:
        f["program_area_size"] = (buf[a] << 8) | buf[a + 1]
        f["iom_size"] = buf[a + 2]
        f["dm_words"] = (buf[a + 3] << 8) | buf[a + 4]
        f["timer_counter_size"] = buf[a + 5]
        f["expansion_dm_size"] = buf[a + 6]
        f["steps"] = (buf[a + 7] << 8) | buf[a + 8]
        f["memory_card_kind"] = buf[a + 9]
        f["memory_card_size"] = (buf[a + 10] << 8) | buf[a + 11]


def resp_controller_status(buf: bytes, s: int, e: int, f: Fields, ctx: Any) -> None:
    _need(s, e, 2, "controller status")
    f["status_code"] = buf[s]
    f["status"] = name_of(RUN_STATUS, buf[s])
    f["mode_code"] = buf[s + 1]
    f["mode"] = name_of(MODES, buf[s + 1])
    if e - s >= 10:
        f["fatal_error"], f["non_fatal_error"], f["message_flags"], f["fal_number"] = (
            struct.unpack_from(">HHHH", buf, s + 2))
    if e - s > 10:
        f["error_message"] = text(buf[s + 10:min(e, s + 26)])


# -- clock ---------------------------------------------------------------------------------------

def _clock(buf: bytes, s: int, e: int, f: Fields) -> None:
    _need(s, e, 5, "clock")
    y, mo, d, h, mi = (_bcd(b) for b in buf[s:s + 5])
    sec = _bcd(buf[s + 5]) if e - s >= 6 else 0
    year = 1900 + y if y >= 98 else 2000 + y
    f["clock"] = f"{year:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{sec:02d}"
    if e - s >= 7:
        f["day_of_week"] = buf[s + 6]


def req_clock_write(buf: bytes, s: int, e: int, f: Fields) -> Any:
    _clock(buf, s, e, f)
    return None


def resp_clock_read(buf: bytes, s: int, e: int, f: Fields, ctx: Any) -> None:
    _clock(buf, s, e, f)


# -- errors, access rights, forced set/reset, files --------------------------------------------

def req_error_log_read(buf: bytes, s: int, e: int, f: Fields) -> Any:
    _need(s, e, 4, "error log read")
    f["record"], f["count"] = _HH.unpack_from(buf, s)
    return None


def req_error_clear(buf: bytes, s: int, e: int, f: Fields) -> Any:
    _need(s, e, 2, "error clear")
    f["error_reset_code"] = (buf[s] << 8) | buf[s + 1]
    return None


def req_forced(buf: bytes, s: int, e: int, f: Fields) -> Any:
    _need(s, e, 2, "forced set/reset")
    n = (buf[s] << 8) | buf[s + 1]
    f["count"] = n
    items: list[Fields] = []
    off = s + 2
    while off + 6 <= e and len(items) < n and len(items) < 128:
        spec = (buf[off] << 8) | buf[off + 1]
        items.append({"spec": name_of(FORCED_SPECS, spec), "memory_area_code": buf[off + 2],
                      "memory_area": name_of(MEMORY_AREAS, buf[off + 2]),
                      "address": (buf[off + 3] << 8) | buf[off + 4], "bit": buf[off + 5]})
        off += 6
    f["items"] = items
    if len(items) < min(n, 128):
        raise Malformed(f"forced set/reset: {len(items)} of {n} items")
    return None


def req_file(buf: bytes, s: int, e: int, f: Fields) -> Any:
    _need(s, e, 2, "file memory")
    f["disk_number"] = (buf[s] << 8) | buf[s + 1]
    f["data"] = _hex(buf, s + 2, e, f)
    return None


def req_generic(buf: bytes, s: int, e: int, f: Fields) -> Any:
    if e > s:
        f["data"] = _hex(buf, s, e, f)
    return None


def resp_generic(buf: bytes, s: int, e: int, f: Fields, ctx: Any) -> None:
    if e > s:
        f["data"] = _hex(buf, s, e, f)


REQUEST_PARSERS: dict[int, RequestParser] = {
    0x0101: req_memory_read, 0x0102: req_memory_write, 0x0103: req_memory_fill,
    0x0104: req_multiple_read, 0x0105: req_memory_transfer,
    0x0201: req_parameter, 0x0202: req_parameter, 0x0203: req_parameter,
    0x0304: req_program_protect, 0x0305: req_program_protect,
    0x0306: req_program, 0x0307: req_program, 0x0308: req_program,
    0x0401: req_run, 0x0402: req_stop, 0x0501: req_controller_data, 0x0702: req_clock_write,
    0x2101: req_error_clear, 0x2102: req_error_log_read,
    0x2201: req_file, 0x2202: req_file, 0x2203: req_file, 0x2204: req_file, 0x2205: req_file,
    0x2301: req_forced,
}
RESPONSE_PARSERS: dict[int, ResponseParser] = {
    0x0101: resp_memory_read, 0x0104: resp_memory_read,
    0x0501: resp_controller_data, 0x0601: resp_controller_status, 0x0701: resp_clock_read,
}
