"""MQTT fixed header: packet type and flags (one byte), remaining length (1-4 byte varint).

The functions only look at bytes; they never consume them.
"""

from __future__ import annotations

from typing import Final

from plantwarden.decoders.mqtt.constants import CONNECT, MAX_BUFFER, PUBLISH, REQUIRED_FLAGS

NEED: Final = -1  # too few bytes to read the header
BAD: Final = -2  # not a valid fixed header


def header(buf: bytes, off: int) -> tuple[int, int]:
    """(header length, remaining length) of the fixed header at ``off``; the header length is
    :data:`NEED` or :data:`BAD` when there is none (yet)."""
    n = len(buf)
    if off + 2 > n:
        return NEED, 0
    b0 = buf[off]
    t = b0 >> 4
    if t == 0 or (t != PUBLISH and b0 & 0x0F != REQUIRED_FLAGS[t]) or (t == PUBLISH and b0 & 0x06 == 0x06):
        return BAD, 0
    b = buf[off + 1]
    if b < 0x80:
        return 2, b
    rem = b & 0x7F
    shift = 7
    i = off + 2
    while True:
        if i >= n:
            return NEED, 0
        b = buf[i]
        i += 1
        rem |= (b & 0x7F) << shift
        if b < 0x80:
            return i - off, rem
        shift += 7
        if shift > 21:
            return BAD, 0


def chain(buf: bytes) -> int:
    """How many whole packets with valid fixed headers ``buf`` holds from offset 0, when they fill
    it exactly or end with a partial packet whose header is valid; -1 otherwise."""
    off = 0
    count = 0
    n = len(buf)
    while off < n:
        h, rem = header(buf, off)
        if h == BAD:
            return -1
        if h == NEED:
            return count
        off += h + rem
        count += 1
    return count


def probe(data: bytes) -> float:
    """Confidence that ``data`` (the first payload of one direction) is MQTT.

    0.95 for a CONNECT whose protocol name is ``MQTT`` or ``MQIsdp``; 0.6 for a lone CONNACK;
    0.3 for other valid fixed headers (too generic to claim a flow); 0.0 for fewer than 2 bytes;
    -1 otherwise.
    """
    n = len(data)
    if n < 2:
        return 0.0
    h, rem = header(data, 0)
    if h == BAD:
        return -1.0
    if h == NEED:
        return 0.0
    if data[0] >> 4 == CONNECT:
        if rem > MAX_BUFFER:
            return -1.0
        name = data[h:h + 8]
        if name[:6] == b"\x00\x04MQTT" or name == b"\x00\x06MQIsdp":
            return 0.95
        return -1.0
    if data[0] == 0x20 and rem == 2 and n == 4 and data[2] <= 1:
        return 0.6
    return 0.3 if chain(data) > 0 else -1.0
