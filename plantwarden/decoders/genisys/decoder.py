"""GENISYS (Union Switch & Signal) decoder: railway signalling code line over TCP (default 10001).

A message is a header byte (0xF1-0xFE), the station address, address/value pairs, a CRC-16 on most
messages, and the terminator 0xF6. Bytes 0xF0-0xFF inside a message are escaped as 0xF0 followed by
the low nibble. See docs/protocols/genisys.md.
"""

from __future__ import annotations

from typing import Any, ClassVar, Final

from plantwarden.core.events import Event, weird
from plantwarden.decoders.base import Decoder
from plantwarden.decoders.genisys.activity import activity as classify_activity

ESCAPE: Final = 0xF0
TERMINATOR: Final = 0xF6
#: header code -> (name, direction, always carries a CRC)
HEADERS: Final[dict[int, tuple[str, str, bool]]] = {
    0xF1: ("acknowledge_client", "response", False),
    0xF2: ("indication_data", "response", True),
    0xF3: ("control_checkback", "response", True),
    0xF9: ("common_control_data", "request", True),
    0xFA: ("acknowledge_and_poll", "request", False),
    0xFB: ("poll", "request", False),
    0xFC: ("control_data", "request", True),
    0xFD: ("recall_header", "request", False),
    0xFE: ("execute_controls", "request", False),
}
EVENTS: Final = {h: "genisys_" + v[0] for h, v in HEADERS.items()}
#: the longest message accepted (a station has at most 256 addresses: 2 bytes each, escaped)
MAX_MESSAGE: Final = 1100
MAX_PAIRS: Final = 512


def _crc_table() -> tuple[int, ...]:
    out = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0xA001 if c & 1 else c >> 1
        out.append(c)
    return tuple(out)


_CRC = _crc_table()


def crc16(data: bytes | bytearray, init: int = 0xFFFF) -> int:
    """CRC-16 with the reflected polynomial 0xA001 (GENISYS uses initial value 0xFFFF)."""
    c = init
    for b in data:
        c = (c >> 8) ^ _CRC[(c ^ b) & 0xFF]
    return c


def unescape(raw: bytes) -> tuple[bytes, bool]:
    """The message bytes between header and terminator with escapes resolved, and whether an escape
    byte was not followed by a nibble (it is then kept as a literal 0xF0, as ICSNPP reads it)."""
    if ESCAPE not in raw:
        return raw, False
    out = bytearray()
    bad = False
    i, n = 0, len(raw)
    while i < n:
        b = raw[i]
        if b == ESCAPE and i + 1 < n and raw[i + 1] <= 0x0F:
            out.append(0xF0 | raw[i + 1])
            i += 2
            continue
        bad = bad or b == ESCAPE
        out.append(b)
        i += 1
    return bytes(out), bad


def plausible(data: bytes) -> bool:
    """A whole GENISYS message at the start of ``data`` whose CRC (when it has one) is right."""
    if len(data) < 3 or data[0] not in HEADERS:
        return False
    end = data.find(bytes([TERMINATOR]), 1)
    if end < 2:
        return False
    body, _ = unescape(data[1:end])
    name, _, must = HEADERS[data[0]]
    if len(body) >= 3:
        return crc16(bytes([data[0]]) + body[:-2]) == body[-2] | (body[-1] << 8)
    return not must and len(body) == 1


class GenisysDecoder(Decoder):
    """GENISYS over TCP: the master (originator) polls, the station answers."""

    name: ClassVar[str] = "genisys"
    transport: ClassVar[str] = "tcp"
    default_ports: ClassVar[tuple[int, ...]] = (10001,)
    activity = staticmethod(classify_activity)

    def __init__(self) -> None:
        super().__init__()
        self._buf: list[bytes] = [b"", b""]
        self._resync = [False, False]
        self.messages = 0

    @classmethod
    def probe(cls, data: bytes, is_orig: bool) -> float:
        if not plausible(data):
            return -1.0
        return 0.9 if data.find(bytes([TERMINATOR]), 1) >= 4 else 0.55

    def feed(self, data: bytes, is_orig: bool, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        if self.violated or not data:
            return out
        d = 1 if is_orig else 0
        buf = self._buf[d] + data if self._buf[d] else data
        n = len(buf)
        off = 0
        while off < n:
            h = buf[off]
            if h not in HEADERS or self._resync[d]:
                if not self.confirmed:
                    out.append(weird("genisys_protocol_violation", ts, frame, is_orig, f"header 0x{h:02x}"))
                    self.violated = True
                    self._buf = [b"", b""]
                    return out
                # resume after the next terminator
                t = buf.find(bytes([TERMINATOR]), off)
                if t < 0:
                    off = n
                    self._resync[d] = True
                    break
                out.append(weird("genisys_resync", ts, frame, is_orig, f"skipped {t + 1 - off} bytes"))
                off = t + 1
                self._resync[d] = False
                continue
            t = buf.find(bytes([TERMINATOR]), off + 1, off + MAX_MESSAGE)
            if t < 0:
                if n - off >= MAX_MESSAGE:
                    out.append(weird("genisys_message_too_long", ts, frame, is_orig, f"{n - off} bytes"))
                    self._resync[d] = True
                    off += 1
                    continue
                break
            self._message(buf, off, t, is_orig, ts, frame, out)
            off = t + 1
        self._buf[d] = buf[off:] if off < n else b""
        return out

    def gap(self, nbytes: int, is_orig: bool, ts: float, frame: int) -> list[Event]:
        d = 1 if is_orig else 0
        self._buf[d] = b""
        self._resync[d] = True
        return []

    def _message(self, buf: bytes, off: int, t: int, is_orig: bool, ts: float, frame: int,
                 out: list[Event]) -> None:
        h = buf[off]
        name, direction, must_crc = HEADERS[h]
        body, bad = unescape(buf[off + 1:t])
        if not body:
            out.append(weird("genisys_malformed_message", ts, frame, is_orig, f"{name}: no station address"))
            if not self.confirmed:
                self.violated = True
            return
        if bad:
            out.append(weird("genisys_bad_escape", ts, frame, is_orig, f"{name}: 0xf0 not followed by a nibble"))
        self.messages += 1
        self.confirmed = True
        f: dict[str, Any] = {"header_code": h, "header": name, "direction": direction, "station": body[0],
                             "crc_transmitted": None, "crc_calculated": None, "crc_valid": None}
        rest = body[1:]
        if h != 0xF1 and len(rest) >= 2 and (must_crc or len(rest) % 2 == 0):
            crc = rest[-2] | (rest[-1] << 8)
            calc = crc16(bytes([h]) + body[:-2])
            f["crc_transmitted"], f["crc_calculated"], f["crc_valid"] = crc, calc, crc == calc
            rest = rest[:-2]
        elif must_crc:
            out.append(weird("genisys_missing_crc", ts, frame, is_orig, name))
        pairs = [{"address": rest[i], "value": rest[i + 1]} for i in range(0, min(len(rest) - 1, 2 * MAX_PAIRS), 2)]
        f["payload"] = pairs
        out.append(Event(EVENTS[h], ts, frame, is_orig, f))
        if len(rest) % 2:
            out.append(weird("genisys_odd_payload", ts, frame, is_orig, f"{name}: {len(rest)} payload bytes"))
        if f["crc_valid"] is False:
            out.append(weird("genisys_bad_crc", ts, frame, is_orig,
                             f"{name}: transmitted 0x{f['crc_transmitted']:04x}, calculated 0x{f['crc_calculated']:04x}"))
