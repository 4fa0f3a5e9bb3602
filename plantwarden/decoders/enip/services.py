"""Service data of CIP requests and responses: one parser per named service.

A parser gets the message bytes, the offset of the service data and the end, the event's field dict
(filled in place) and, for responses, the request's context; it may raise IndexError/struct.error
on short data (the caller turns that into the weird ``enip_malformed_cip``). Parsers of
Multiple_Service_Packet and Unconnected_Send decode the embedded messages as events of their own.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from plantwarden.core.events import Event, weird
from plantwarden.decoders.enip import cip as _cip
from plantwarden.decoders.enip.constants import (
    CLASS_IDENTITY,
    CONNECTION_TYPES,
    DATA_TYPES,
    MAX_DATA_HEX,
    MAX_EMBEDDED,
    PRIORITIES,
    TRIGGERS,
    name_of,
)
from plantwarden.decoders.enip.epath import PathError, epath, identity, identity_attribute
from plantwarden.decoders.enip.vendors import VENDORS

if TYPE_CHECKING:
    from plantwarden.decoders.enip.cip import Ctx

_u16 = struct.Struct("<H").unpack_from
_u32 = struct.Struct("<I").unpack_from
_FO: Final = struct.Struct("<BBIIHHIB3xI")  # tick, ticks, o_t id, t_o id, serial, vendor, orig serial, mult, o_t rpi
_FO_REPLY: Final = struct.Struct("<IIHHIII")  # o_t id, t_o id, serial, vendor, orig serial, o_t api, t_o api
_CLOSE: Final = struct.Struct("<HHI")  # serial, vendor, orig serial

Request = Callable[[bytes, int, int, dict[str, Any], dict[str, Any], bool, float, int, list[Event], int], Any]
Response = Callable[[bytes, int, int, dict[str, Any], dict[str, Any], bool, float, int, list[Event],
                     "Ctx | None", int], None]


def _hex(b: bytes, p: int, end: int) -> str:
    return b[p:min(end, p + MAX_DATA_HEX)].hex()


# -- common services ---------------------------------------------------------------------------

def _attribute_list_req(b: bytes, p: int, end: int, f: dict[str, Any], *_: Any) -> Any:
    n = _u16(b, p)[0]
    if p + 2 + 2 * n > end:
        raise IndexError(f"{n} attribute ids in {end - p - 2} bytes")
    f["attributes"] = list(struct.unpack_from(f"<{n}H", b, p + 2))
    return None


def _write_data(b: bytes, p: int, end: int, f: dict[str, Any], *_: Any) -> Any:
    f["data"] = _hex(b, p, end)
    return None


def _reset_req(b: bytes, p: int, end: int, f: dict[str, Any], *_: Any) -> Any:
    if p < end:
        f["reset_type"] = b[p]
    return None


def _identity_all_resp(b: bytes, p: int, end: int, f: dict[str, Any], base: dict[str, Any], is_orig: bool,
                       ts: float, frame: int, out: list[Event], ctx: Ctx | None, depth: int) -> None:
    if f["class"] == CLASS_IDENTITY and f["status"] == 0 and p < end:
        ident, dtype, status, _ = identity(b, p, end)
        f["identity"] = ident
        f["device_type_code"] = dtype
        f["device_status"] = status


def _identity_single_resp(b: bytes, p: int, end: int, f: dict[str, Any], base: dict[str, Any], is_orig: bool,
                          ts: float, frame: int, out: list[Event], ctx: Ctx | None, depth: int) -> None:
    attr = f["attribute"]
    if f["class"] == CLASS_IDENTITY and f["status"] == 0 and attr is not None and p < end:
        ident: dict[str, Any] = {}
        if identity_attribute(attr, b, p, end, ident) > 0 and ident:
            f["identity"] = ident


def _identity_list_resp(b: bytes, p: int, end: int, f: dict[str, Any], base: dict[str, Any], is_orig: bool,
                        ts: float, frame: int, out: list[Event], ctx: Ctx | None, depth: int) -> None:
    if f["class"] != CLASS_IDENTITY or p >= end:
        return  # the sizes of other classes' attribute values are not known
    n = _u16(b, p)[0]
    p += 2
    ident: dict[str, Any] = {}
    for _ in range(min(n, 256)):
        attr, st = _u16(b, p)[0], _u16(b, p + 2)[0]
        p += 4
        if st != 0:
            continue
        q = identity_attribute(attr, b, p, end, ident)
        if q < 0:
            break
        p = q
    if ident:
        f["identity"] = ident


# -- Multiple_Service_Packet -------------------------------------------------------------------

def _offsets(b: bytes, p: int, end: int) -> list[tuple[int, int]]:
    n = _u16(b, p)[0]
    if p + 2 + 2 * n > end:
        raise IndexError(f"{n} offsets in {end - p - 2} bytes")
    n = min(n, MAX_EMBEDDED)
    starts = [p + o for o in struct.unpack_from(f"<{n}H", b, p + 2)]
    spans = []
    for i, s in enumerate(starts):
        e = starts[i + 1] if i + 1 < n else end
        if s < p + 2 + 2 * n or s > e or e > end:
            raise IndexError(f"embedded message {i} at offset {s - p} outside the packet")
        spans.append((s, e))
    return spans


def _msp_req(b: bytes, p: int, end: int, f: dict[str, Any], base: dict[str, Any], is_orig: bool, ts: float,
             frame: int, out: list[Event], depth: int) -> Any:
    f["service_count"] = _u16(b, p)[0]
    if depth >= _cip.MAX_DEPTH:
        raise ValueError("nested too deep")
    spans = _offsets(b, p, end)
    return [_cip.request(b, s, e, base, is_orig, ts, frame, out, "multiple_service_packet", i, depth + 1)
            for i, (s, e) in enumerate(spans)]


def _msp_resp(b: bytes, p: int, end: int, f: dict[str, Any], base: dict[str, Any], is_orig: bool, ts: float,
              frame: int, out: list[Event], ctx: Ctx | None, depth: int) -> None:
    if p >= end:
        return
    f["service_count"] = _u16(b, p)[0]
    if depth >= _cip.MAX_DEPTH:
        raise ValueError("nested too deep")
    subs = ctx[6] if ctx is not None and isinstance(ctx[6], list) else []
    for i, (s, e) in enumerate(_offsets(b, p, end)):
        sub = subs[i] if i < len(subs) else None
        _cip.response(b, s, e, base, is_orig, ts, frame, out, sub, "multiple_service_packet", i, depth + 1)


# -- Connection Manager --------------------------------------------------------------------------

def _net_params(f: dict[str, Any], d: str, v: int, large: bool) -> None:
    if large:
        f[d + "size"] = v & 0xFFFF
        v >>= 16
    else:
        f[d + "size"] = v & 0x1FF
    f[d + "fixed"] = not (v >> 9) & 1
    f[d + "priority"] = PRIORITIES[(v >> 10) & 3]
    f[d + "connection_type"] = CONNECTION_TYPES[(v >> 13) & 3]
    f[d + "redundant_owner"] = bool((v >> 15) & 1)


def _originator(f: dict[str, Any], serial: int, vendor: int, orig_serial: int) -> None:
    f["connection_serial"] = serial
    f["originator_vendor_id"] = vendor
    f["originator_vendor"] = VENDORS.get(vendor)
    f["originator_serial"] = f"0x{orig_serial:08x}"


def _connection_path(b: bytes, p: int, end: int, f: dict[str, Any]) -> None:
    try:
        epath(b, p, end, f, "connection_")
    except PathError as e:
        raise ValueError(f"connection path: {e}") from None


def _forward_open_req(b: bytes, p: int, end: int, f: dict[str, Any], base: dict[str, Any], is_orig: bool,
                      ts: float, frame: int, out: list[Event], depth: int) -> Any:
    large = f["service_code"] == 0x5B
    tick, ticks, o_t, t_o, serial, vendor, oserial, mult, o_t_rpi = _FO.unpack_from(b, p)
    f["o_t_connection_id"] = o_t
    f["t_o_connection_id"] = t_o
    _originator(f, serial, vendor, oserial)
    f["timeout_multiplier"] = mult
    f["o_t_rpi"] = o_t_rpi
    q = p + _FO.size
    if large:
        o_t_p, t_o_rpi, t_o_p = struct.unpack_from("<III", b, q)
        q += 12
    else:
        o_t_p, t_o_rpi, t_o_p = struct.unpack_from("<HIH", b, q)
        q += 8
    f["t_o_rpi"] = t_o_rpi
    _net_params(f, "o_t_", o_t_p, large)
    _net_params(f, "t_o_", t_o_p, large)
    trig = b[q]
    f["transport_class"] = trig & 0x0F
    f["transport_trigger"] = name_of(TRIGGERS, (trig >> 4) & 7)
    f["transport_direction"] = "server" if trig & 0x80 else "client"
    pend = q + 2 + 2 * b[q + 1]
    if pend > end:
        raise IndexError("connection path runs past the request")
    _connection_path(b, q + 2, pend, f)
    return None


def _forward_open_resp(b: bytes, p: int, end: int, f: dict[str, Any], base: dict[str, Any], is_orig: bool,
                       ts: float, frame: int, out: list[Event], ctx: Ctx | None, depth: int) -> None:
    if f["status"] == 0:
        o_t, t_o, serial, vendor, oserial, o_t_api, t_o_api = _FO_REPLY.unpack_from(b, p)
        f["o_t_connection_id"] = o_t
        f["t_o_connection_id"] = t_o
        _originator(f, serial, vendor, oserial)
        f["o_t_api"] = o_t_api
        f["t_o_api"] = t_o_api
    else:
        _close_resp(b, p, end, f, base, is_orig, ts, frame, out, ctx, depth)


def _forward_close_req(b: bytes, p: int, end: int, f: dict[str, Any], base: dict[str, Any], is_orig: bool,
                       ts: float, frame: int, out: list[Event], depth: int) -> Any:
    serial, vendor, oserial = _CLOSE.unpack_from(b, p + 2)
    _originator(f, serial, vendor, oserial)
    q = p + 2 + _CLOSE.size
    pend = q + 2 + 2 * b[q]
    if pend > end:
        raise IndexError("connection path runs past the request")
    _connection_path(b, q + 2, pend, f)
    return None


def _close_resp(b: bytes, p: int, end: int, f: dict[str, Any], base: dict[str, Any], is_orig: bool,
                ts: float, frame: int, out: list[Event], ctx: Ctx | None, depth: int) -> None:
    if p >= end:
        return
    serial, vendor, oserial = _CLOSE.unpack_from(b, p)
    _originator(f, serial, vendor, oserial)
    if f["status"] != 0 and p + 8 < end:
        f["remaining_path_size"] = b[p + 8]


def _unconnected_send_req(b: bytes, p: int, end: int, f: dict[str, Any], base: dict[str, Any], is_orig: bool,
                          ts: float, frame: int, out: list[Event], depth: int) -> Any:
    f["timeout_ticks"] = b[p + 1]
    size = _u16(b, p + 2)[0]
    s = p + 4
    e = s + size
    if e > end:
        raise IndexError(f"embedded request of {size} bytes in {end - s}")
    q = e + (size & 1)
    route: dict[str, Any] = {}
    if q + 2 <= end:
        rend = q + 2 + 2 * b[q]
        if rend > end:
            raise IndexError("route path runs past the request")
        try:
            epath(b, q + 2, rend, route)
        except PathError as exc:
            out.append(weird("enip_bad_epath", ts, frame, is_orig, f"unconnected_send route: {exc}"))
    f["route"] = route.get("route")
    if depth >= _cip.MAX_DEPTH:
        raise ValueError("nested too deep")
    n = len(out)
    sub = _cip.request(b, s, e, base, is_orig, ts, frame, out, "unconnected_send", None, depth + 1)
    if n < len(out) and out[n].name != "weird":
        out[n].fields["route"] = f["route"]
    return sub


def _unconnected_send_resp(b: bytes, p: int, end: int, f: dict[str, Any], base: dict[str, Any], is_orig: bool,
                           ts: float, frame: int, out: list[Event], ctx: Ctx | None, depth: int) -> None:
    if f["status"] != 0 and p < end:
        f["remaining_path_size"] = b[p]


# -- Logix tag services, PCCC --------------------------------------------------------------------

def _data_type(b: bytes, p: int, f: dict[str, Any]) -> int:
    t = _u16(b, p)[0]
    f["data_type"] = t
    f["data_type_name"] = name_of(DATA_TYPES, t)
    return p + 4 if t == 0x2A0 else p + 2  # a structure carries its handle


def _read_tag_req(b: bytes, p: int, end: int, f: dict[str, Any], *_: Any) -> Any:
    f["elements"] = _u16(b, p)[0]
    if f["service_code"] == 0x52:
        f["offset"] = _u32(b, p + 2)[0]
    return None


def _write_tag_req(b: bytes, p: int, end: int, f: dict[str, Any], *_: Any) -> Any:
    q = _data_type(b, p, f)
    f["elements"] = _u16(b, q)[0]
    q += 2
    if f["service_code"] == 0x53:
        f["offset"] = _u32(b, q)[0]
        q += 4
    f["data"] = _hex(b, q, end)
    return None


def _rmw_tag_req(b: bytes, p: int, end: int, f: dict[str, Any], *_: Any) -> Any:
    n = _u16(b, p)[0]
    if p + 2 + 2 * n > end:
        raise IndexError(f"masks of {n} bytes in {end - p - 2}")
    f["or_mask"] = b[p + 2:p + 2 + n].hex()
    f["and_mask"] = b[p + 2 + n:p + 2 + 2 * n].hex()
    return None


def _read_tag_resp(b: bytes, p: int, end: int, f: dict[str, Any], base: dict[str, Any], is_orig: bool,
                   ts: float, frame: int, out: list[Event], ctx: Ctx | None, depth: int) -> None:
    if p + 2 <= end:
        f["data"] = _hex(b, _data_type(b, p, f), end)


def _pccc_req(b: bytes, p: int, end: int, f: dict[str, Any], *_: Any) -> Any:
    q = p + b[p]  # requester id (length includes itself)
    f["pccc_command"] = b[q]
    f["pccc_tns"] = _u16(b, q + 2)[0]
    if q + 4 < end:
        f["pccc_function"] = b[q + 4]
    return None


def _pccc_resp(b: bytes, p: int, end: int, f: dict[str, Any], base: dict[str, Any], is_orig: bool,
               ts: float, frame: int, out: list[Event], ctx: Ctx | None, depth: int) -> None:
    if p < end:
        q = p + b[p]
        f["pccc_command"] = b[q]
        f["pccc_status"] = b[q + 1]
        f["pccc_tns"] = _u16(b, q + 2)[0]


REQUEST_PARSERS: Final[dict[str, Request]] = {
    "get_attribute_list": _attribute_list_req,
    "set_attribute_single": _write_data,
    "set_attribute_all": _write_data,
    "set_attribute_list": _write_data,
    "reset": _reset_req,
    "multiple_service_packet": _msp_req,
    "forward_open": _forward_open_req,
    "large_forward_open": _forward_open_req,
    "forward_close": _forward_close_req,
    "unconnected_send": _unconnected_send_req,
    "read_tag": _read_tag_req,
    "read_tag_fragmented": _read_tag_req,
    "write_tag": _write_tag_req,
    "write_tag_fragmented": _write_tag_req,
    "read_modify_write_tag": _rmw_tag_req,
    "execute_pccc": _pccc_req,
}

RESPONSE_PARSERS: Final[dict[str, Response]] = {
    "get_attribute_all": _identity_all_resp,
    "get_attribute_single": _identity_single_resp,
    "get_attribute_list": _identity_list_resp,
    "multiple_service_packet": _msp_resp,
    "forward_open": _forward_open_resp,
    "large_forward_open": _forward_open_resp,
    "forward_close": _close_resp,
    "unconnected_send": _unconnected_send_resp,
    "read_tag": _read_tag_resp,
    "read_tag_fragmented": _read_tag_resp,
    "execute_pccc": _pccc_resp,
}
