"""Minimal BER reading for SNMP: tag/length/value triples, integers, OIDs, without raising past
``BerError`` (every read is bounds-checked; indefinite lengths are refused)."""

from __future__ import annotations


class BerError(Exception):
    pass


def tlv(buf: bytes, off: int, end: int) -> tuple[int, int, int]:
    """(tag, value start, value end) of the element at ``off``, which must end by ``end``."""
    if off + 2 > end:
        raise BerError(f"element at {off} runs past its container")
    tag = buf[off]
    if tag & 0x1F == 0x1F:
        raise BerError(f"multi-byte tag at {off}")
    ln = buf[off + 1]
    p = off + 2
    if ln & 0x80:
        k = ln & 0x7F
        if k == 0 or k > 4 or p + k > end:
            raise BerError(f"bad length at {off}")
        ln = int.from_bytes(buf[p:p + k], "big")
        p += k
    if p + ln > end:
        raise BerError(f"value at {off} ({ln} bytes) runs past its container")
    return tag, p, p + ln


def integer(buf: bytes, start: int, end: int) -> int:
    if start >= end or end - start > 9:
        raise BerError(f"integer of {end - start} bytes")
    return int.from_bytes(buf[start:end], "big", signed=True)


def unsigned(buf: bytes, start: int, end: int) -> int:
    if end - start > 9:
        raise BerError(f"unsigned of {end - start} bytes")
    return int.from_bytes(buf[start:end], "big")


def oid(buf: bytes, start: int, end: int) -> str:
    if start >= end or end - start > 256:
        raise BerError(f"OID of {end - start} bytes")
    arcs: list[int] = []
    v = 0
    for b in buf[start:end]:
        v = (v << 7) | (b & 0x7F)
        if not b & 0x80:
            arcs.append(v)
            v = 0
    if not arcs:
        raise BerError("empty OID")
    first = arcs[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(map(str, head + arcs[1:]))
