"""A small, bounded BER reader (ISO 8825-1) for the ISO upper layers and MMS.

Every reader works on ``(buf, start, end)`` slices of one immutable ``bytes`` object and raises
``ValueError`` (or ``IndexError``) on malformed input; the decoder turns that into a weird.
Tags come back as ``(ident, number)``: ``ident`` is the class and constructed bits of the first
identifier octet (``CTX``, ``CTX | CONS``, ``APP | CONS`` ...), ``number`` the tag number.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from plantwarden.decoders.mms.constants import DATA_ACCESS_ERRORS, name_of

UNIV: Final = 0x00
APP: Final = 0x40
CTX: Final = 0x80
CONS: Final = 0x20

MAX_STRING: Final = 1024  # characters kept of one string from the wire
MAX_DEPTH: Final = 12  # nesting of MMS Data rendered
MAX_ITEMS: Final = 512  # Data elements rendered per PDU

Tlv = tuple[int, int, int, int]  # ident, number, value start, value end

_EPOCH_1984: Final = datetime(1984, 1, 1, tzinfo=UTC)


def tlv(buf: bytes, off: int, end: int) -> Tlv:
    """The TLV at ``off`` (which must end by ``end``)."""
    if off + 2 > end:
        raise ValueError("truncated tag")
    b = buf[off]
    num = b & 0x1F
    off += 1
    if num == 0x1F:
        num = 0
        while True:
            c = buf[off]
            off += 1
            num = (num << 7) | (c & 0x7F)
            if not c & 0x80:
                break
            if num > 0xFFFFFF or off >= end:
                raise ValueError("bad tag")
    ln = buf[off]
    off += 1
    if ln & 0x80:
        n = ln & 0x7F
        if n == 0 or n > 4 or off + n > end:
            raise ValueError("unsupported length")
        ln = int.from_bytes(buf[off:off + n], "big")
        off += n
    ve = off + ln
    if ve > end:
        raise ValueError("value beyond its container")
    return b & 0xE0, num, off, ve


def children(buf: bytes, start: int, end: int) -> Iterator[Tlv]:
    """The TLVs that fill ``buf[start:end]`` one after the other."""
    off = start
    while off < end:
        t = tlv(buf, off, end)
        yield t
        off = t[3]


def first(buf: bytes, start: int, end: int) -> Tlv:
    return tlv(buf, start, end)


def integer(buf: bytes, s: int, e: int) -> int:
    if e - s > 16:
        raise ValueError("integer too long")
    return int.from_bytes(buf[s:e], "big", signed=True)


def text(buf: bytes, s: int, e: int) -> str:
    """A string from the wire, decoded safely (attacker controlled) and bounded."""
    return buf[s:min(e, s + MAX_STRING)].decode("utf-8", "backslashreplace")


def oid(buf: bytes, s: int, e: int) -> str:
    parts: list[int] = []
    v = 0
    for i in range(s, min(e, s + 64)):
        c = buf[i]
        v = (v << 7) | (c & 0x7F)
        if not c & 0x80:
            if not parts:
                x = 2 if v >= 80 else v // 40
                parts += (x, v - 40 * x)
            else:
                parts.append(v)
            v = 0
    return ".".join(map(str, parts))


def boolean(buf: bytes, s: int, e: int) -> bool:
    return e > s and buf[s] != 0


def bits(buf: bytes, s: int, e: int, names: tuple[str, ...]) -> list[str]:
    """The names of the bits set in a BIT STRING (first content octet: unused bits)."""
    out = []
    for i in range(s + 1, e):
        c = buf[i]
        if not c:
            continue
        base = (i - s - 1) * 8
        for j in range(8):
            if c & (0x80 >> j):
                k = base + j
                out.append(names[k] if k < len(names) else f"unknown-{k}")
    return out


def _float(buf: bytes, s: int, e: int) -> Any:
    n = e - s
    if n == 5:
        v: float = struct.unpack_from(">f", buf, s + 1)[0]
    elif n == 9:
        v = struct.unpack_from(">d", buf, s + 1)[0]
    else:
        return buf[s:e].hex()
    if math.isnan(v) or math.isinf(v):
        return str(v)
    return v


def _utc_time(buf: bytes, s: int, e: int) -> Any:
    if e - s != 8:
        return buf[s:e].hex()
    secs = int.from_bytes(buf[s:s + 4], "big")
    frac = int.from_bytes(buf[s + 4:s + 7], "big") / 16777216.0
    dt = datetime.fromtimestamp(secs, UTC) + timedelta(seconds=frac)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _binary_time(buf: bytes, s: int, e: int) -> Any:
    n = e - s
    if n not in (4, 6):
        return buf[s:e].hex()
    ms = int.from_bytes(buf[s:s + 4], "big") & 0x0FFFFFFF
    if n == 4:
        return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"
    days = int.from_bytes(buf[s + 4:s + 6], "big")
    dt = _EPOCH_1984 + timedelta(days=days, milliseconds=ms)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


class DataRenderer:
    """Renders MMS ``Data`` values as JSON values, within MAX_DEPTH and MAX_ITEMS per PDU."""

    __slots__ = ("budget", "truncated")

    def __init__(self) -> None:
        self.budget = MAX_ITEMS
        self.truncated = False

    def data(self, buf: bytes, t: Tlv, depth: int = 0) -> Any:
        self.budget -= 1
        ident, num, s, e = t
        if ident != CTX and ident != CTX | CONS:
            return {"unknown_tag": num}
        if num == 1 or num == 2:  # array / structure
            if depth >= MAX_DEPTH or self.budget <= 0:
                self.truncated = True
                return None
            out = []
            for c in children(buf, s, e):
                if self.budget <= 0:
                    self.truncated = True
                    break
                out.append(self.data(buf, c, depth + 1))
            return out
        if num == 3:
            return boolean(buf, s, e)
        if num == 5 or num == 6:
            return integer(buf, s, e) if e - s <= 16 else buf[s:e].hex()
        if num == 7:
            return _float(buf, s, e)
        if num == 4:  # bit-string: "<hex>/<bits>"
            if e == s:
                return ""
            nbits = (e - s - 1) * 8 - (buf[s] & 7)
            return f"{buf[s + 1:e].hex()}/{nbits}"
        if num == 10 or num == 16:
            return text(buf, s, e)
        if num == 17:
            return _utc_time(buf, s, e)
        if num == 12:
            return _binary_time(buf, s, e)
        if num == 11:
            return text(buf, s, e)
        if num == 13:
            return integer(buf, s, e)
        return buf[s:min(e, s + MAX_STRING)].hex()  # octet-string, booleanArray, objId, ...

    def access_result(self, buf: bytes, t: Tlv) -> Any:
        """AccessResult: ``{"failure": name}`` or the Data value."""
        if t[0] == CTX and t[1] == 0:
            return {"failure": name_of(DATA_ACCESS_ERRORS, integer(buf, t[2], t[3]))}
        return self.data(buf, t)
