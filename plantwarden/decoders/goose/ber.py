"""The BER subset GOOSE uses: tag-length-value reading and the MMS ``Data`` choice as JSON values."""

from __future__ import annotations

import struct
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Final

from plantwarden.decoders.names import wire_text

_F32: Final = struct.Struct(">f").unpack_from
_F64: Final = struct.Struct(">d").unpack_from
#: nesting depth and number of values decoded from one PDU at most
MAX_DEPTH: Final = 16
MAX_VALUES: Final = 4096


class BerError(Exception):
    """A length runs past its container, or a length form BER does not allow here."""


def tlv(b: bytes, p: int, end: int) -> tuple[int, int, int]:
    """(tag, value start, value end) of the element at ``p``; single-byte tags only (as GOOSE uses)."""
    if p + 2 > end:
        raise BerError(f"element header cut short at offset {p}")
    tag = b[p]
    n = b[p + 1]
    p += 2
    if n & 0x80:
        k = n & 0x7F
        if k == 0 or k > 4 or p + k > end:
            raise BerError(f"bad length form 0x{n:02x} at offset {p - 1}")
        n = int.from_bytes(b[p:p + k], "big")
        p += k
    if p + n > end:
        raise BerError(f"element 0x{tag:02x} of {n} bytes runs past its container")
    return tag, p, p + n


def text(raw: bytes) -> str:
    """Attacker-controlled bytes as text: UTF-8 when valid, else Latin-1."""
    return wire_text(raw)


@lru_cache(maxsize=1024)
def utc_time(v: bytes) -> str:
    """IEC 61850 UtcTime (seconds, 24-bit fraction, quality) as ISO 8601 text in UTC."""
    if len(v) < 7:
        return v.hex()
    secs = int.from_bytes(v[0:4], "big")
    frac = int.from_bytes(v[4:7], "big")
    micros = frac * 1_000_000 >> 24
    return datetime.fromtimestamp(secs, UTC).replace(microsecond=micros).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def data_list(b: bytes, p: int, end: int, count: list[int], depth: int = 0) -> list[Any]:
    """The ``Data`` elements in ``b[p:end]`` as JSON values (``count`` bounds the total)."""
    out: list[Any] = []
    while p < end:
        tag, v, e = tlv(b, p, end)
        p = e
        count[0] += 1
        if count[0] > MAX_VALUES:
            raise BerError(f"more than {MAX_VALUES} values")
        if tag == 0xA1 or tag == 0xA2:  # array, structure
            if depth >= MAX_DEPTH:
                raise BerError(f"values nested deeper than {MAX_DEPTH}")
            out.append(data_list(b, v, e, count, depth + 1))
        else:
            out.append(value(tag, b[v:e]))
    return out


def value(tag: int, v: bytes) -> Any:
    """One primitive ``Data`` value."""
    if tag == 0x83:  # boolean
        return bool(v) and v[0] != 0
    if tag == 0x85:  # integer
        return int.from_bytes(v, "big", signed=True)
    if tag == 0x86:  # unsigned
        return int.from_bytes(v, "big")
    if tag == 0x84:  # bit-string: the first byte counts the unused trailing bits
        if not v:
            return ""
        bits = "".join(format(x, "08b") for x in v[1:])
        unused = v[0] & 7
        return bits[:len(bits) - unused] if unused else bits
    if tag == 0x87:  # floating-point: exponent width, then IEEE 754 single or double
        if len(v) == 5:
            return _F32(v, 1)[0]
        if len(v) == 9:
            return _F64(v, 1)[0]
        return v.hex()
    if tag == 0x89 or tag == 0x8C:  # octet-string, binary-time
        return v.hex()
    if tag == 0x8A or tag == 0x90:  # visible-string, MMS string
        return text(v)
    if tag == 0x91:  # utc-time
        return utc_time(v)
    if tag == 0x8D:  # bcd
        return int.from_bytes(v, "big")
    return {"tag": tag, "hex": v.hex()}
