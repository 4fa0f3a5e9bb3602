"""APCI framing: plausibility of an APDU at an offset, resynchronisation, content probing.

An APDU is ``0x68``, a length byte L (4-253: the 4 control bytes plus the ASDU) and L bytes. The
control field tells the format: I (bit 0 = 0: numbered information transfer with an ASDU),
S (bits 0-1 = 01: numbered supervisory, acknowledges) or U (bits 0-1 = 11: unnumbered control,
STARTDT/STOPDT/TESTFR). These functions only look at bytes; they never consume them.
"""

from __future__ import annotations

from typing import Final

from plantwarden.decoders.iec104.constants import (
    ASDU_HEADER,
    CAUSES,
    IOA_LEN,
    MAX_LENGTH,
    MIN_LENGTH,
    START,
    TYPE_IDS,
    U_FUNCTIONS,
)
from plantwarden.decoders.iec104.elements import ELEMENTS, SEGMENT_TYPE

YES: Final = 1
MAYBE: Final = 0  # too few bytes to tell
NO: Final = -1

_U_FIRST: Final = frozenset(U_FUNCTIONS)


def plausible(buf: bytes, off: int) -> int:
    """Whether a well-formed APDU starts at ``buf[off]`` (strict: used before the flow is confirmed
    as IEC 104 and after a gap, where any 0x68 in data could be taken for a start byte).

    S and U frames must be exactly 4 control bytes with the fixed bits right (U: one known
    function); an I frame needs a standard type id, a known cause, at least one object and an
    ASDU length that agrees with the number of objects where the element size is fixed. An APDU
    that ends inside ``buf`` must be followed by another start byte.
    """
    n = len(buf)
    if n - off < 2:
        return MAYBE
    if buf[off] != START:
        return NO
    length = buf[off + 1]
    if length < MIN_LENGTH or length > MAX_LENGTH:
        return NO
    if n - off < 6:
        return MAYBE
    c0 = buf[off + 2]
    if c0 & 1:
        if length != 4 or buf[off + 3] != 0:
            return NO
        if c0 & 3 == 1:
            if c0 != 1 or buf[off + 4] & 1:
                return NO
        elif c0 not in _U_FIRST or buf[off + 4] or buf[off + 5]:
            return NO
    else:
        if buf[off + 4] & 1:
            return NO
        if length < 4 + ASDU_HEADER + IOA_LEN:
            return NO
        if n - off < 10:
            return MAYBE
        t = buf[off + 6]
        if t not in TYPE_IDS or (buf[off + 8] & 0x3F) not in CAUSES:
            return NO
        vsq = buf[off + 7]
        count = vsq & 0x7F
        if count == 0:
            return NO
        el = ELEMENTS[t][0]
        if t != SEGMENT_TYPE:
            need = ASDU_HEADER + (IOA_LEN + count * el if vsq & 0x80 else count * (IOA_LEN + el))
            if need != length - 4:
                return NO
    end = off + 2 + length
    if end < n and buf[end] != START:
        return NO
    return YES


def find_start(buf: bytes, start: int, strict: bool) -> int:
    """The offset of the next APDU start at or after ``start``; -1 when there is none in ``buf``.

    ``strict``: a :func:`plausible` APDU (a candidate that cannot be judged yet is returned, so the
    caller waits for more bytes there). Otherwise, as Wireshark does on a synchronised stream, the
    next 0x68 followed by a length of at least 4 (or by nothing yet).
    """
    n = len(buf)
    find = buf.find
    i = start
    while True:
        j = find(b"\x68", i)
        if j < 0:
            return -1
        if strict:
            if plausible(buf, j) >= MAYBE:
                return j
        elif j + 1 >= n or buf[j + 1] >= MIN_LENGTH:
            return j
        i = j + 1


def probe(data: bytes) -> float:
    """Confidence that ``data`` (the first payload of one direction) is IEC 60870-5-104.

    0.9 when it holds whole plausible APDUs only, 0.7 when they end with a partial one, 0.4 for a
    single APDU that is cut short, 0.0 for fewer than 2 bytes, -1 when the first APDU is not
    plausible.
    """
    n = len(data)
    if n < 2:
        return 0.0
    off = 0
    seen = 0
    while off < n:
        p = plausible(data, off)
        if p == NO:
            return -1.0 if seen == 0 else 0.5
        if p == MAYBE:
            return 0.4 if seen == 0 else 0.7
        off += 2 + data[off + 1]
        seen += 1
    return 0.9 if off == n else (0.4 if seen == 1 else 0.7)
