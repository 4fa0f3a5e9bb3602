"""EtherNet/IP encapsulation framing: header checks, resynchronisation, content probing.

A message is a 24-byte little-endian header — command (16 bit), length of the data (16 bit),
session handle (32 bit), status (32 bit), sender context (8 bytes), options (32 bit, always 0) —
followed by ``length`` bytes of data. Implicit I/O datagrams (UDP 2222) carry no encapsulation
header: they start with a common packet format (CPF) item count, then a sequenced address item.
"""

from __future__ import annotations

import struct
from typing import Final

from plantwarden.decoders.enip.constants import (
    COMMANDS,
    HEADER_LEN,
    ITEM_CONNECTED_ADDRESS,
    ITEM_SEQUENCED_ADDRESS,
)

HEADER: Final = struct.Struct("<HHII8sI")
_CMD_LEN: Final = struct.Struct("<HH")
_OPTIONS: Final = struct.Struct("<I")
#: CPF of an I/O datagram: item count, first item type and length
IO_HEAD: Final = struct.Struct("<HHH")
_KNOWN: Final = frozenset(COMMANDS)


def plausible_header(buf: bytes, off: int, session: int | None = None, lenient: bool = False) -> bool:
    """Whether ``buf[off:off + 24]`` is a believable encapsulation header: a known command (with
    ``lenient``, any command up to 0xFF), options 0 and, when ``session`` is given, that session
    handle (or 0, for session-less commands)."""
    cmd = buf[off] | (buf[off + 1] << 8)
    if (cmd > 0xFF if lenient else cmd not in _KNOWN) or _OPTIONS.unpack_from(buf, off + 20)[0] != 0:
        return False
    if session is not None:
        s = int.from_bytes(buf[off + 4:off + 8], "little")
        return s == session or s == 0
    return True


def resync(buf: bytes, start: int, session: int | None) -> int:
    """The offset of the first plausible header at or after ``start`` whose message is followed by
    another plausible header or by the end of ``buf`` (or runs past it); -1 when there is none."""
    n = len(buf)
    i = start
    while i + HEADER_LEN <= n:
        if plausible_header(buf, i, session):
            nxt = i + HEADER_LEN + _CMD_LEN.unpack_from(buf, i)[1]
            if nxt + HEADER_LEN > n or plausible_header(buf, nxt, session):
                return i
        i += 1
    return -1


def is_io(data: bytes) -> bool:
    """Whether a datagram is implicit (class 0/1) I/O: CPF with a sequenced or connected address."""
    if len(data) < 10:
        return False
    count, typ, length = IO_HEAD.unpack_from(data, 0)
    return 1 <= count <= 4 and ((typ == ITEM_SEQUENCED_ADDRESS and length == 8)
                                or (typ == ITEM_CONNECTED_ADDRESS and length == 4))


def probe(data: bytes, udp: bool) -> float:
    """Confidence that ``data`` (a first payload) is EtherNet/IP: 0.9 for one whole message with a
    known command and options 0, 0.8 for several, 0.6 for a message cut short, 0.7 for an I/O
    datagram (UDP only), 0 for fewer than 24 bytes, -1 otherwise."""
    if udp and is_io(data):
        return 0.7
    n = len(data)
    if n < HEADER_LEN:
        return 0.0
    off = 0
    seen = 0
    while off + HEADER_LEN <= n:
        if not plausible_header(data, off):
            return -1.0 if seen == 0 else 0.5
        off += HEADER_LEN + _CMD_LEN.unpack_from(data, off)[1]
        seen += 1
    if off == n:
        return 0.9 if seen == 1 else 0.8
    return 0.6
