"""Omron FINS decoders: FINS/TCP (TCP 9600, "FINS" header then a FINS frame) and FINS/UDP (UDP 9600).

Sans-IO; one event per FINS command or response and per FINS/TCP control message. Responses are
paired with their command by service id (SID) and command code. See docs/protocols/fins.md.
"""

from __future__ import annotations

from typing import Any, ClassVar

from plantwarden.core.events import Event, weird
from plantwarden.decoders.base import Decoder
from plantwarden.decoders.fins.activity import activity as classify_activity
from plantwarden.decoders.fins.constants import (
    COMMANDS,
    END_CODES,
    EVENTS,
    HEADER_LEN,
    ICF_GATEWAY,
    ICF_NO_RESPONSE,
    ICF_RESERVED,
    ICF_RESPONSE,
    MAX_PENDING,
    MAX_TCP_LENGTH,
    TCP_COMMANDS,
    TCP_ERRORS,
    TCP_FRAME_SEND,
    TCP_HEADER_LEN,
    TCP_MAGIC,
    UNKNOWN_EVENTS,
    WRITE_COMMANDS,
    name_of,
)
from plantwarden.decoders.fins.messages import REQUEST_PARSERS, RESPONSE_PARSERS, Malformed

_TCP_EVENTS = {c: f"fins_tcp_{n}" for c, n in TCP_COMMANDS.items()}


def plausible_frame(data: bytes, off: int = 0) -> bool:
    """Whether a FINS header with a known command code starts at ``off``."""
    if len(data) - off < HEADER_LEN + 2:
        return False
    icf = data[off]
    return (icf & ICF_RESERVED) == 0 and data[off + 1] == 0 and data[off + 2] <= 7 and (
        ((data[off + 10] << 8) | data[off + 11]) in COMMANDS)


class FinsUdpDecoder(Decoder):
    """FINS over UDP: every datagram is one FINS frame (command or response)."""

    name: ClassVar[str] = "fins"
    transport: ClassVar[str] = "udp"
    default_ports: ClassVar[tuple[int, ...]] = (9600,)
    activity = staticmethod(classify_activity)

    def __init__(self) -> None:
        super().__init__()
        #: (sid << 16 | command code) -> context of the outstanding command
        self._pending: dict[int, Any] = {}
        self.frames = 0

    @classmethod
    def probe(cls, data: bytes, is_orig: bool) -> float:
        return 0.7 if plausible_frame(data) else -1.0

    def feed(self, data: bytes, is_orig: bool, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        if self.violated or not data:
            return out
        if len(data) < HEADER_LEN + 2 or (data[0] & ICF_RESERVED) or data[1] != 0:
            if not self.confirmed:
                out.append(weird("fins_protocol_violation", ts, frame, is_orig,
                                 f"not a FINS header: {data[:12].hex()}"))
                self.violated = True
                return out
            out.append(weird("fins_bad_header", ts, frame, is_orig, f"{len(data)} bytes: {data[:12].hex()}"))
            return out
        self._frame(data, 0, len(data), is_orig, ts, frame, out)
        return out

    # -- one FINS frame ---------------------------------------------------------------------------

    def _frame(self, buf: bytes, s: int, e: int, is_orig: bool, ts: float, frame: int,
               out: list[Event]) -> None:
        self.frames += 1
        self.confirmed = True
        icf = buf[s]
        is_resp = bool(icf & ICF_RESPONSE)
        cmd = (buf[s + 10] << 8) | buf[s + 11]
        sid = buf[s + 9]
        f: dict[str, Any] = {
            "direction": "response" if is_resp else "request",
            "icf": icf, "gateway": bool(icf & ICF_GATEWAY), "response_required": not (icf & ICF_NO_RESPONSE),
            "gct": buf[s + 2], "dna": buf[s + 3], "da1": buf[s + 4], "da2": buf[s + 5],
            "sna": buf[s + 6], "sa1": buf[s + 7], "sa2": buf[s + 8], "sid": sid,
            "command_code": cmd, "command": name_of(COMMANDS, cmd), "is_write": cmd in WRITE_COMMANDS,
        }
        names = EVENTS.get(cmd, UNKNOWN_EVENTS)
        key = (sid << 16) | cmd
        d = s + HEADER_LEN + 2
        try:
            if not is_resp:
                ev = Event(names[0], ts, frame, is_orig, f)
                out.append(ev)
                rp = REQUEST_PARSERS.get(cmd)
                ctx = None
                if rp is not None:
                    ctx = rp(buf, d, e, f)
                else:
                    _generic(buf, d, e, f)
                if len(self._pending) >= MAX_PENDING:
                    self._pending.clear()
                self._pending[key] = ctx
                return
            out.append(Event(names[1], ts, frame, is_orig, f))
            ctx = self._pending.pop(key, None)
            if e - d < 2:
                f["end_code"] = f["end_code_name"] = None
                raise Malformed("response without an end code")
            mres, sres = buf[d], buf[d + 1]
            code = ((mres & 0x7F) << 8) | (sres & 0x3F)
            f["end_code"] = (mres << 8) | sres
            f["end_code_name"] = name_of(END_CODES, code)
            f["relay_error"] = bool(mres & 0x80)
            f["fatal_cpu_error"] = bool(sres & 0x80)
            f["non_fatal_cpu_error"] = bool(sres & 0x40)
            if code == 0 or code == 0x0001 or (mres & 0x7F) == 0:
                pp = RESPONSE_PARSERS.get(cmd)
                if pp is not None:
                    pp(buf, d + 2, e, f, ctx)
                elif e > d + 2:
                    _generic(buf, d + 2, e, f)
        except Malformed as exc:
            out.append(weird("fins_malformed_data", ts, frame, is_orig, f"{f['command']}: {exc}"))


def _generic(buf: bytes, s: int, e: int, f: dict[str, Any]) -> None:
    if e > s:
        f["data"] = buf[s:min(e, s + 512)].hex()


class FinsDecoder(FinsUdpDecoder):
    """FINS/TCP: a 16-byte header ("FINS", length, command, error code) before every message."""

    transport: ClassVar[str] = "tcp"

    def __init__(self) -> None:
        super().__init__()
        self._buf: list[bytes] = [b"", b""]  # [0] responder -> originator, [1] originator -> responder
        self._resync = [False, False]

    @classmethod
    def probe(cls, data: bytes, is_orig: bool) -> float:
        return 0.95 if data[:4] == TCP_MAGIC and len(data) >= 12 else -1.0

    def feed(self, data: bytes, is_orig: bool, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        if self.violated or not data:
            return out
        d = 1 if is_orig else 0
        buf = self._buf[d] + data if self._buf[d] else data
        n = len(buf)
        off = 0
        while n - off >= 8:
            if buf[off:off + 4] != TCP_MAGIC or self._resync[d]:
                if not self.confirmed:
                    out.append(weird("fins_protocol_violation", ts, frame, is_orig,
                                     f"no FINS/TCP header: {buf[off:off + 8].hex()}"))
                    self.violated = True
                    self._buf = [b"", b""]
                    return out
                j = buf.find(TCP_MAGIC, off + (0 if self._resync[d] else 1))
                if j < 0:
                    off = max(off, n - 3)
                    self._resync[d] = True
                    break
                if j != off:
                    out.append(weird("fins_resync", ts, frame, is_orig, f"skipped {j - off} bytes"))
                off = j
                self._resync[d] = False
                continue
            length = int.from_bytes(buf[off + 4:off + 8], "big")
            if length < 8 or length > MAX_TCP_LENGTH:
                if not self.confirmed:
                    out.append(weird("fins_protocol_violation", ts, frame, is_orig, f"FINS/TCP length {length}"))
                    self.violated = True
                    self._buf = [b"", b""]
                    return out
                out.append(weird("fins_tcp_bad_length", ts, frame, is_orig, str(length)))
                self._resync[d] = True
                off += 1
                continue
            end = off + 8 + length
            if end > n:
                break
            self._tcp(buf, off, end, is_orig, ts, frame, out)
            off = end
        self._buf[d] = buf[off:] if off < n else b""
        return out

    def gap(self, nbytes: int, is_orig: bool, ts: float, frame: int) -> list[Event]:
        d = 1 if is_orig else 0
        self._buf[d] = b""
        self._resync[d] = True
        return []

    def _tcp(self, buf: bytes, off: int, end: int, is_orig: bool, ts: float, frame: int,
             out: list[Event]) -> None:
        cmd = int.from_bytes(buf[off + 8:off + 12], "big")
        err = int.from_bytes(buf[off + 12:off + 16], "big")
        s = off + TCP_HEADER_LEN
        if cmd == TCP_FRAME_SEND:
            if err:
                out.append(weird("fins_tcp_error", ts, frame, is_orig, name_of(TCP_ERRORS, err)))
            if end - s < HEADER_LEN + 2:
                self.confirmed = True
                out.append(weird("fins_bad_header", ts, frame, is_orig, f"FINS frame of {end - s} bytes"))
                return
            self._frame(buf, s, end, is_orig, ts, frame, out)
            return
        self.confirmed = True
        f: dict[str, Any] = {"tcp_command": cmd, "tcp_command_name": name_of(TCP_COMMANDS, cmd),
                             "tcp_error_code": err, "tcp_error": name_of(TCP_ERRORS, err)}
        if cmd in (0, 1) and end - s >= 4:
            f["client_node"] = int.from_bytes(buf[s:s + 4], "big")
            if cmd == 1 and end - s >= 8:
                f["server_node"] = int.from_bytes(buf[s + 4:s + 8], "big")
        elif end > s:
            f["data"] = buf[s:min(end, s + 512)].hex()
        out.append(Event(_TCP_EVENTS.get(cmd, "fins_tcp_unknown_command"), ts, frame, is_orig, f))
