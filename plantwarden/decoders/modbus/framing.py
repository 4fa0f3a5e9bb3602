"""MBAP framing: header checks, resynchronisation and content probing.

An ADU is ``tid(2) pid(2) length(2) unit(1)`` followed by ``length - 1`` PDU bytes, the first of
which is the function code. The framing functions only look at bytes; they never consume them.
"""

from __future__ import annotations

import struct
from typing import Final

from plantwarden.decoders.modbus.constants import (
    EXCEPTION_BIT,
    MAX_LENGTH,
    MBAP_LEN,
    MIN_LENGTH,
    PLAUSIBLE_FUNCTIONS,
)

HEADER: Final = struct.Struct(">HHHBB")  # tid, pid, length, unit, function code
_PID_LEN: Final = struct.Struct(">HH")


def plausible_header(buf: bytes, off: int, allow_exception: bool = True) -> bool:
    """Whether ``buf[off:]`` starts with a believable MBAP header and function code.

    Protocol id 0, a length in [2, 254] and a public (or UMAS) function code, with the exception
    bit allowed when ``allow_exception``. ``buf`` must hold at least 8 bytes from ``off``.
    """
    pid, length = _PID_LEN.unpack_from(buf, off + 2)
    if pid != 0 or length < MIN_LENGTH or length > MAX_LENGTH:
        return False
    fc = buf[off + MBAP_LEN]
    if fc & EXCEPTION_BIT:
        if not allow_exception:
            return False
        fc &= 0x7F
    return fc in PLAUSIBLE_FUNCTIONS


def consistent_at(buf: bytes, off: int) -> bool:
    """Whether ``buf[off:]`` starts with an MBAP header (protocol id 0, sane length, any function)
    whose ADU ends exactly at the end of ``buf``, leaves too few bytes to tell, or is followed by a
    plausible header. Used where an ADU boundary is likely, e.g. at the first bytes after a gap."""
    n = len(buf)
    if n - off <= MBAP_LEN:
        return False
    pid, length = _PID_LEN.unpack_from(buf, off + 2)
    if pid != 0 or length < MIN_LENGTH or length > MAX_LENGTH:
        return False
    nxt = off + 6 + length
    return nxt + MBAP_LEN + 1 > n or plausible_header(buf, nxt)


def resync(buf: bytes, start: int) -> int:
    """The offset of the first plausible ADU at or after ``start``, or -1.

    A candidate whose ADU ends inside ``buf`` must be followed by another plausible header (or by
    too few bytes to tell), which keeps register data that happens to contain ``00 00`` from
    being taken for a header. Returns -1 when no candidate exists; the caller keeps the last
    few bytes, since a header may straddle the end of the buffer.
    """
    n = len(buf)
    find = buf.find
    i = start
    while True:
        # the protocol id is the only fixed pattern: jump to the next "00 00" two bytes in
        j = find(b"\x00\x00", i + 2)
        if j < 0:
            return -1
        i = j - 2
        if i + MBAP_LEN + 1 > n:
            return -1
        if plausible_header(buf, i):
            nxt = i + 6 + _PID_LEN.unpack_from(buf, i + 2)[1]
            if nxt + MBAP_LEN + 1 > n or plausible_header(buf, nxt):
                return i
        i += 1


def probe(data: bytes, is_orig: bool) -> float:
    """Confidence that ``data`` (the first payload of one direction) is Modbus/TCP.

    Needs a plausible header (requests may not carry the exception bit) whose length agrees with
    the data: an exact single ADU scores 0.9, a run of consistent ADUs 0.8, an ADU cut short 0.4.
    Fewer than 8 bytes score 0 (cannot tell); anything else is -1.
    """
    n = len(data)
    if n < MBAP_LEN + 1:
        return 0.0
    off = 0
    seen = 0
    while off + MBAP_LEN + 1 <= n:
        if not plausible_header(data, off, allow_exception=not is_orig):
            return -1.0 if seen == 0 else 0.5
        off += 6 + _PID_LEN.unpack_from(data, off + 2)[1]
        seen += 1
    if off == n:
        return 0.9 if seen == 1 else 0.8
    if off > n:
        return 0.4 if seen == 1 else 0.6
    return 0.6  # a few trailing bytes: the start of the next ADU
