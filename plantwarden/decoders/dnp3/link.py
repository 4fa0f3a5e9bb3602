"""The DNP3 link layer: CRC, frame lengths, header checks, user-data extraction and content probing.

A frame is ``05 64 len ctrl dst(2, LE) src(2, LE) crc(2)`` followed by ``len - 5`` bytes of user data
sent in 16-byte blocks, each followed by its CRC. The CRC is DNP3's CRC-16 (polynomial 0x3D65,
reflected, initial value 0, result complemented, sent little-endian). These functions only look at
bytes; they never consume them.
"""

from __future__ import annotations

import struct
from typing import Final

from plantwarden.decoders.dnp3.constants import BLOCK, HEADER_LEN, MIN_LEN_FIELD

_POLY: Final = 0xA6BC  # 0x3D65 bit-reversed


def _table8() -> list[int]:
    out = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ _POLY if c & 1 else c >> 1
        out.append(c)
    return out


_T8: Final = _table8()
# Two bytes at a time: a 16-bit reflected CRC shifts its whole register out after two bytes, so the
# new register depends only on (register ^ little-endian word). 64 Ki entries, built once (~15 ms).
_T16: Final = [_T8[(_T8[x & 0xFF] ^ (x >> 8)) & 0xFF] ^ (_T8[x & 0xFF] ^ (x >> 8)) >> 8 for x in range(65536)]
_HDR_WORDS: Final = struct.Struct("<4HH")  # the 8 header bytes as 4 words, then the CRC
_WORD_STRUCTS: Final = [struct.Struct(f"<{n}H") for n in range(BLOCK // 2 + 1)]
_U16: Final = struct.Struct("<H")
_FULL_BLOCK: Final = struct.Struct("<9H")


def crc(data: bytes, start: int = 0, end: int | None = None) -> int:
    """The DNP3 CRC of ``data[start:end]`` (the value as sent, before little-endian encoding)."""
    if end is None:
        end = len(data)
    c = 0
    t16 = _T16
    i = start
    while end - i >= 16:
        for w in _WORD_STRUCTS[8].unpack_from(data, i):
            c = t16[c ^ w]
        i += 16
    n = (end - i) >> 1
    if n:
        for w in _WORD_STRUCTS[n].unpack_from(data, i):
            c = t16[c ^ w]
        i += 2 * n
    if i < end:
        c = (c >> 8) ^ _T8[(c ^ data[i]) & 0xFF]
    return ~c & 0xFFFF


def header_ok(buf: bytes, off: int) -> bool:
    """Whether the 10 bytes at ``off`` are a link header with a correct CRC (length byte >= 5)."""
    w0, w1, w2, w3, sent = _HDR_WORDS.unpack_from(buf, off)
    t16 = _T16
    c = t16[t16[t16[t16[w0] ^ w1] ^ w2] ^ w3]
    return (~c & 0xFFFF) == sent and buf[off + 2] >= MIN_LEN_FIELD


def frame_length(len_field: int) -> int:
    """Bytes on the wire of a frame whose length byte is ``len_field`` (>= 5)."""
    ud = len_field - 5
    return HEADER_LEN + ud + 2 * ((ud + BLOCK - 1) // BLOCK)


def user_data(buf: bytes, off: int, len_field: int) -> tuple[bytes, int]:
    """The user data of the frame at ``off`` without its CRCs, and the number of blocks whose CRC is wrong.

    The frame must be complete in ``buf``.
    """
    ud = len_field - 5
    p = off + HEADER_LEN
    if ud <= BLOCK:
        end = p + ud
        bad = 0 if ud == 0 or crc(buf, p, end) == _U16.unpack_from(buf, end)[0] else 1
        return buf[p:end], bad
    parts = []
    bad = 0
    left = ud
    t = _T16
    full = _FULL_BLOCK.unpack_from
    while left > BLOCK:
        # a full block: 8 little-endian words and the CRC, checked without a loop
        w0, w1, w2, w3, w4, w5, w6, w7, sent = full(buf, p)
        c = t[t[t[t[t[t[t[t[w0] ^ w1] ^ w2] ^ w3] ^ w4] ^ w5] ^ w6] ^ w7]
        if (~c & 0xFFFF) != sent:
            bad += 1
        parts.append(buf[p:p + BLOCK])
        p += BLOCK + 2
        left -= BLOCK
    end = p + left
    if crc(buf, p, end) != _U16.unpack_from(buf, end)[0]:
        bad += 1
    parts.append(buf[p:end])
    return b"".join(parts), bad


def probe(data: bytes, is_orig: bool) -> float:
    """Confidence that ``data`` (the first payload of one direction) is DNP3.

    The start bytes ``05 64`` followed by a header with a correct CRC score 0.95; the start bytes with
    too few bytes to check the CRC score 0.3 (cannot tell yet); anything else is -1.
    """
    if len(data) < 2 or data[0] != 0x05 or data[1] != 0x64:
        return -1.0
    if len(data) < HEADER_LEN:
        return 0.3
    return 0.95 if header_ok(data, 0) else -1.0
