"""BACnet tagged encoding (ASHRAE 135 clause 20.2): tags to tokens, application values to Python.

A service's parameters are a sequence of tags. :func:`tokenize` turns them into a flat list of
``(number, kind, start, length)`` tuples (``kind``: :data:`APP`, :data:`CTX`, :data:`OPEN`,
:data:`CLOSE`; for an application boolean ``length`` is the value and no octets follow). Service
parsers then walk that list; :func:`app_value` renders an application-tagged value.
"""

from __future__ import annotations

import math
import struct
from typing import Any, Final

from plantwarden.decoders.bacnet.constants import CHARSETS, MAX_STRING, object_type_name

APP: Final = 0
CTX: Final = 1
OPEN: Final = 2
CLOSE: Final = 3
#: tokens kept per message (a message with more is cut there, flagged by the caller)
MAX_TOKENS: Final = 4096

Token = tuple[int, int, int, int]

_f32 = struct.Struct(">f").unpack_from
_f64 = struct.Struct(">d").unpack_from


class TagError(ValueError):
    """The tagged data is cut short or inconsistent."""


def tokenize(b: bytes, p: int, end: int) -> list[Token]:
    """The tags of ``b[p:end]``. Raises :class:`TagError` on a tag that runs past ``end``."""
    out: list[Token] = []
    append = out.append
    while p < end:
        x = b[p]
        p += 1
        num = x >> 4
        if num == 15:
            if p >= end:
                raise TagError("extended tag number cut short")
            num = b[p]
            p += 1
        lvt = x & 7
        if x & 8:
            if lvt == 6:
                append((num, OPEN, p, 0))
                continue
            if lvt == 7:
                append((num, CLOSE, p, 0))
                continue
            kind = CTX
        else:
            kind = APP
            if num == 1:  # application boolean: the value is in the tag
                append((1, APP, p, lvt))
                continue
        if lvt == 5:
            if p >= end:
                raise TagError("extended length cut short")
            lvt = b[p]
            p += 1
            if lvt == 254:
                if p + 2 > end:
                    raise TagError("extended length cut short")
                lvt = (b[p] << 8) | b[p + 1]
                p += 2
            elif lvt == 255:
                if p + 4 > end:
                    raise TagError("extended length cut short")
                lvt = int.from_bytes(b[p:p + 4], "big")
                p += 4
        if p + lvt > end:
            raise TagError(f"tag {num} needs {lvt} octets, {end - p} left")
        append((num, kind, p, lvt))
        p += lvt
        if len(out) >= MAX_TOKENS:
            break
    return out


def uint(b: bytes, t: Token) -> int:
    return int.from_bytes(b[t[2]:t[2] + t[3]], "big")


def sint(b: bytes, t: Token) -> int:
    return int.from_bytes(b[t[2]:t[2] + t[3]], "big", signed=True)


def object_id(b: bytes, t: Token) -> tuple[int, int]:
    """(object type, instance) of a 4-octet object identifier."""
    if t[3] != 4:
        raise TagError(f"object identifier of {t[3]} octets")
    v = int.from_bytes(b[t[2]:t[2] + 4], "big")
    return v >> 22, v & 0x3FFFFF


def text(b: bytes, t: Token) -> str:
    """A character string: the first octet names the character set (IBM/Microsoft DBCS adds a
    2-octet code page); never fails."""
    s, n = t[2], t[3]
    if n == 0:
        return ""
    cs = b[s]
    if cs == 1 and n >= 3:  # DBCS: code page, e.g. 932 (Shift-JIS)
        codec = f"cp{(b[s + 1] << 8) | b[s + 2]}"
        raw = b[s + 3:s + n]
    else:
        codec = CHARSETS.get(cs, "latin-1")
        raw = b[s + 1:s + n]
    try:
        out = raw.decode(codec, "replace")
    except LookupError:  # an unknown code page
        out = raw.decode("latin-1")
    return out.replace("\x00", "")[:MAX_STRING]


def _finite(v: float) -> float | None:
    """NaN and infinities are not JSON: they become null."""
    return v if math.isfinite(v) else None


def _date(raw: bytes) -> str:
    if len(raw) != 4:
        return raw.hex()
    y, m, d = raw[0], raw[1], raw[2]
    ys = "*" if y == 255 else str(1900 + y)
    ms = "*" if m == 255 else f"{m:02d}"
    ds = "*" if d == 255 else f"{d:02d}"
    return f"{ys}-{ms}-{ds}"


def _time(raw: bytes) -> str:
    if len(raw) != 4:
        return raw.hex()
    return ":".join("*" if v == 255 else f"{v:02d}" for v in raw[:3]) + (
        ".*" if raw[3] == 255 else f".{raw[3]:02d}")


def bits(raw: bytes) -> str:
    """A bit string as '0'/'1' characters, first bit first (the first octet counts unused bits)."""
    if not raw:
        return ""
    unused = raw[0] & 7
    s = "".join(format(x, "08b") for x in raw[1:1 + MAX_STRING // 8])
    return s[:len(s) - unused] if unused and len(raw) - 1 <= MAX_STRING // 8 else s


def app_value(b: bytes, t: Token) -> Any:
    """The value of an application-tagged token, JSON-serialisable (see docs/protocols/bacnet.md)."""
    num, _kind, s, n = t
    if num == 2:
        return int.from_bytes(b[s:s + n], "big")
    if num == 4:
        return _finite(_f32(b, s)[0]) if n == 4 else None
    if num == 7:
        return text(b, t)
    if num == 9:
        return int.from_bytes(b[s:s + n], "big")
    if num == 12:
        if n != 4:
            return None
        v = int.from_bytes(b[s:s + 4], "big")
        return {"object_type": object_type_name(v >> 22), "instance": v & 0x3FFFFF}
    if num == 1:
        return bool(n)
    if num == 0:
        return None
    if num == 3:
        return int.from_bytes(b[s:s + n], "big", signed=True)
    if num == 5:
        return _finite(_f64(b, s)[0]) if n == 8 else None
    if num == 6:
        return b[s:s + min(n, MAX_STRING // 2)].hex()
    if num == 8:
        return bits(b[s:s + n])
    if num == 10:
        return _date(b[s:s + n])
    if num == 11:
        return _time(b[s:s + n])
    return b[s:s + min(n, MAX_STRING // 2)].hex()  # reserved tags 13-15


def datetime_text(date: str, time: str) -> str:
    return f"{date}T{time}"
