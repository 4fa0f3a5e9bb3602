"""BSAP remote database access (RDB, application function 0xA0): request and response bodies.

Shared by BSAP/IP and serial BSAP; both carry the same RDB bytes after their own headers. A request
is the RDB function code and its data; a response carries no function code and is decoded with the
request it answers (paired by sequence number). See docs/protocols/bsap.md.
"""

from __future__ import annotations

import struct
from typing import Any, Final

from plantwarden.decoders.bsap.constants import RDB_NAMES, WRITE_NAMES

_F32: Final = struct.Struct("<f")
MAX_VARIABLES: Final = 256
MAX_NAME: Final = 64
#: bits of the field select bytes whose field sizes are known: FSS1 type (1 byte), value, MSD address
#: (2 bytes); FSS2 MSD version (2 bytes)
_FSS1_KNOWN: Final = 0x80 | 0x40 | 0x10
_FSS2_KNOWN: Final = 0x01


class Request:
    """What a response needs to know of its request."""

    __slots__ = ("code", "field_select", "variables")

    def __init__(self, code: int, field_select: list[int] | None, variables: list[Any]) -> None:
        self.code = code
        self.field_select = field_select
        self.variables = variables


def _text(raw: bytes) -> str:
    return raw[:MAX_NAME].decode("latin-1")


def _names(data: bytes, off: int, count: int) -> tuple[list[str], int] | None:
    """``count`` NUL-terminated names from ``off``; None unless all of them end inside ``data``."""
    out = []
    for _ in range(min(count, MAX_VARIABLES)):
        end = data.find(b"\x00", off)
        if end < 0:
            return None
        out.append(_text(data[off:end]))
        off = end + 1
    return out, off


def _select(data: bytes, off: int) -> tuple[list[int], int] | None:
    """The field select mask (bit n: FSS n+1 follows) and the FSS bytes after it."""
    if off >= len(data):
        return None
    n = bin(data[off] & 0x0F).count("1")
    if off + 1 + n > len(data):
        return None
    return list(data[off + 1:off + 1 + n]), off + 1 + n


def _write_values(data: bytes, off: int, f: dict[str, Any]) -> int | None:
    """A write element's descriptor and value; the offset after it, None when cut or unknown."""
    if off >= len(data):
        return None
    code = data[off]
    f["write_codes"].append(WRITE_NAMES[code])
    if code == 0x0B:
        if off + 5 > len(data):
            return None
        f["values"].append(round(_F32.unpack_from(data, off + 1)[0], 7))
        return off + 5
    if code in (0x09, 0x0A):
        f["values"].append(1 if code == 0x09 else 0)
        return off + 1
    f["values"].append(None)
    return None


def parse_request(data: bytes, off: int, f: dict[str, Any]) -> Request | None:
    """Decode an RDB request from ``data[off]`` (the function code) into ``f``.

    Sets function_code, function, field_select, security, msd_version, variable_count, variables
    (names, or addresses as integers), values and write_codes (writes); ``complete`` says whether
    the whole body was understood. Returns what the response needs, None without a function code.
    """
    if off >= len(data):
        return None
    code = data[off]
    f["function_code"] = code
    f["function"] = RDB_NAMES[code]
    f["field_select"] = None
    f["security"] = None
    f["msd_version"] = None
    f["variable_count"] = None
    f["variables"] = []
    f["values"] = []
    f["write_codes"] = []
    f["complete"] = False
    p = off + 1
    n = len(data)
    fss: list[int] | None = None
    if code in (0x04, 0x06):  # read by name: select mask, FSS, security, count, names
        sel = _select(data, p)
        if sel is not None and sel[1] + 2 <= n:
            fss, p = sel
            f["field_select"] = fss
            f["security"] = data[p]
            count = data[p + 1]
            f["variable_count"] = count
            got = _names(data, p + 2, count)
            if got is not None:
                f["variables"] = got[0]
                f["complete"] = got[1] == n
    elif code in (0x00, 0x02):  # read by address: MSD version, select mask, FSS, security, count, addresses
        if p + 2 <= n:
            f["msd_version"] = data[p] | data[p + 1] << 8
            sel = _select(data, p + 2)
            if sel is not None and sel[1] + 2 <= n:
                fss, p = sel
                f["field_select"] = fss
                f["security"] = data[p]
                count = data[p + 1]
                f["variable_count"] = count
                end = p + 2 + 2 * min(count, MAX_VARIABLES)
                if end <= n:
                    f["variables"] = list(struct.unpack_from(f"<{min(count, MAX_VARIABLES)}H", data, p + 2))
                    f["complete"] = end == n
    elif code == 0x84 and p + 2 <= n:  # write by name: security, count, then name + descriptor + value
        f["security"] = data[p]
        count = data[p + 1]
        f["variable_count"] = count
        q: int | None = p + 2
        left = min(count, MAX_VARIABLES)
        while q is not None and left:
            left -= 1
            end = data.find(b"\x00", q)
            if end < 0:
                q = None
                break
            f["variables"].append(_text(data[q:end]))
            q = _write_values(data, end + 1, f)
        f["complete"] = q == n
    elif code == 0x80 and p + 4 <= n:  # write by address: MSD version, security, count, address + descriptor + value
        f["msd_version"] = data[p] | data[p + 1] << 8
        f["security"] = data[p + 2]
        count = data[p + 3]
        f["variable_count"] = count
        r: int | None = p + 4
        left = min(count, MAX_VARIABLES)
        while r is not None and left:
            left -= 1
            if r + 2 > n:
                r = None
                break
            f["variables"].append(data[r] | data[r + 1] << 8)
            r = _write_values(data, r + 2, f)
        f["complete"] = r == n
    return Request(code, fss, f["variables"])


def _elements(data: bytes, off: int, count: int, fss: list[int]) -> list[dict[str, Any]] | None:
    """The response elements of a read, as selected by the request's FSS bytes; None when the
    selection holds fields whose size is not known or the bytes do not add up."""
    fss1 = fss[0] if fss else 0
    fss2 = fss[1] if len(fss) > 1 else 0
    if fss1 & ~_FSS1_KNOWN or fss2 & ~_FSS2_KNOWN or any(fss[2:]):
        return None
    has_type, has_value, has_addr, has_ver = fss1 & 0x80, fss1 & 0x40, fss1 & 0x10, fss2 & 0x01
    n = len(data)
    fixed = (2 if has_addr else 0) + (2 if has_ver else 0)
    size = 0  # value size when no type byte says it: from the total length
    if has_value and not has_type:
        if count == 0:
            return []
        per = (n - off) // count - fixed if (n - off) % count == 0 else -1
        if per not in (1, 4):
            return None
        size = per
    out: list[dict[str, Any]] = []
    p = off
    for _ in range(min(count, MAX_VARIABLES)):
        e: dict[str, Any] = {}
        vsize = size
        if has_type:
            if p >= n:
                return None
            t = data[p]
            p += 1
            kind = t & 0x03
            if kind == 0:
                vsize = 1
            elif kind == 2:
                vsize = 4
            else:
                return None
            e["type_code"] = t
        if has_value:
            if p + vsize > n:
                return None
            if vsize == 1:
                e["type"], e["value"] = "logical", data[p]
            else:
                e["type"], e["value"] = "analog", round(_F32.unpack_from(data, p)[0], 7)
            p += vsize
        if has_addr:
            if p + 2 > n:
                return None
            e["address"] = data[p] | data[p + 1] << 8
            p += 2
        if has_ver:
            if p + 2 > n:
                return None
            e["msd_version"] = data[p] | data[p + 1] << 8
            p += 2
        out.append(e)
    return out if p == n else None


def parse_response(data: bytes, off: int, count: int, req: Request | None, f: dict[str, Any]) -> None:
    """Decode the elements of an RDB response (from ``off``, ``count`` of them) into ``f``, using the
    request it answers when known: function_code, function, variables and elements."""
    if req is None:
        f["function_code"] = None
        f["function"] = None
        f["variables"] = []
        f["elements"] = None
        return
    f["function_code"] = req.code
    f["function"] = RDB_NAMES[req.code]
    f["variables"] = req.variables
    elements: list[dict[str, Any]] | None = [] if count == 0 else None
    if count and not req.code & 0x80 and req.field_select is not None:
        elements = _elements(data, off, count, req.field_select)
        if elements is not None and len(req.variables) == len(elements):
            for e, v in zip(elements, req.variables, strict=True):
                e["variable"] = v
    f["elements"] = elements
