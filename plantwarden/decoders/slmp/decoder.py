"""MELSEC MC protocol / SLMP decoder: binary 3E and 4E frames over TCP and UDP, plus recognition of
the MELSOFT engineering frames (GX Works, subheader 0x57/0xD7) and the UDP 5560 discovery.

Sans-IO; one event per frame. 3E responses are paired with requests in order, 4E responses by
serial number. See docs/protocols/slmp.md.
"""

from __future__ import annotations

from collections import deque
from typing import Any, ClassVar

from plantwarden.core.events import Event, weird
from plantwarden.decoders.base import Decoder
from plantwarden.decoders.slmp.activity import activity as classify_activity
from plantwarden.decoders.slmp.constants import (
    COMMANDS,
    DISCOVERY_REQ,
    DISCOVERY_RESP,
    END_CODES,
    EVENTS,
    HEADER_3E,
    HEADER_4E,
    MAX_DATA,
    MAX_PENDING,
    MELSOFT_HEADER,
    MELSOFT_MAGIC,
    MELSOFT_READ_MODEL,
    MELSOFT_REQ,
    MELSOFT_RESP,
    NAME_OF_SUBCOMMAND,
    UNKNOWN_EVENTS,
    WRITE_COMMANDS,
    name_of,
)
from plantwarden.decoders.slmp.messages import NO_DATA_REQUESTS, REQUESTS, RESPONSES, Malformed, text

_MELSOFT_COMMANDS = {MELSOFT_READ_MODEL: "read_cpu_model"}


def frame_length(buf: bytes, off: int) -> int:
    """The length of the frame at ``off``: >0 its size, 0 need more bytes, -1 not a frame start."""
    n = len(buf) - off
    if n < 2:
        return 0
    b0, b1 = buf[off], buf[off + 1]
    if b1 == 0 and b0 in (0x50, 0xD0):
        if n < HEADER_3E:
            return 0
        ln = buf[off + 7] | (buf[off + 8] << 8)
        return HEADER_3E + ln if (ln >= (6 if b0 == 0x50 else 2) and ln <= MAX_DATA) else -1
    if b1 == 0 and b0 in (0x54, 0xD4):
        if n < HEADER_4E:
            return 0
        if buf[off + 4] or buf[off + 5]:
            return -1
        ln = buf[off + 11] | (buf[off + 12] << 8)
        return HEADER_4E + ln if (ln >= (6 if b0 == 0x54 else 2) and ln <= MAX_DATA) else -1
    if b0 in (MELSOFT_REQ, MELSOFT_RESP):
        if n < MELSOFT_HEADER:
            return 0 if buf[off + 2:off + 7] == MELSOFT_MAGIC[:max(0, min(5, n - 2))] else -1
        if buf[off + 2:off + 7] != MELSOFT_MAGIC:
            return -1
        ln = buf[off + 19] | (buf[off + 20] << 8)
        return MELSOFT_HEADER + ln if ln <= MAX_DATA else -1
    return -1


class SlmpUdpDecoder(Decoder):
    """SLMP / MC protocol over UDP: one frame per datagram (and the MELSOFT UDP 5560 service)."""

    name: ClassVar[str] = "slmp"
    transport: ClassVar[str] = "udp"
    default_ports: ClassVar[tuple[int, ...]] = (5007, 5560)
    activity = staticmethod(classify_activity)

    def __init__(self) -> None:
        super().__init__()
        self._fifo: deque[tuple[int, Any]] = deque()  # 3E requests in order: (command, context)
        self._serials: dict[int, tuple[int, Any]] = {}  # 4E requests by serial
        self.frames = 0

    @classmethod
    def probe(cls, data: bytes, is_orig: bool) -> float:
        n = frame_length(data, 0)
        if n == len(data) and n > 0:
            return 0.8
        return 0.6 if n > 0 and len(data) > n else -1.0

    def feed(self, data: bytes, is_orig: bool, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        if self.violated or not data:
            return out
        if len(data) >= 4 and data[0] in (DISCOVERY_REQ, DISCOVERY_RESP) and data[1] == 0 and data[2] == 0:
            self.confirmed = True
            resp = data[0] == DISCOVERY_RESP
            out.append(Event("slmp_melsoft_discovery_" + ("response" if resp else "request"), ts, frame, is_orig, {
                "direction": "response" if resp else "request", "discovery_command": data[3],
                "data": data[4:260].hex()}))
            return out
        n = frame_length(data, 0)
        if n <= 0:
            self._bad(data, 0, is_orig, ts, frame, out)
            return out
        if n > len(data):
            out.append(weird("slmp_truncated_frame", ts, frame, is_orig, f"{len(data)} of {n} bytes"))
            return out
        self._frame(data, 0, n, is_orig, ts, frame, out)
        if n < len(data):
            out.append(weird("slmp_trailing_bytes", ts, frame, is_orig, f"{len(data) - n} bytes"))
        return out

    def _bad(self, buf: bytes, off: int, is_orig: bool, ts: float, frame: int, out: list[Event]) -> None:
        if not self.confirmed:
            out.append(weird("slmp_protocol_violation", ts, frame, is_orig, f"not an SLMP frame: {buf[off:off + 8].hex()}"))
            self.violated = True
        else:
            out.append(weird("slmp_bad_header", ts, frame, is_orig, buf[off:off + 8].hex()))

    # -- one frame ------------------------------------------------------------------------------

    def _frame(self, buf: bytes, s: int, e: int, is_orig: bool, ts: float, frame: int, out: list[Event]) -> None:
        self.frames += 1
        self.confirmed = True
        b0 = buf[s]
        if b0 in (MELSOFT_REQ, MELSOFT_RESP):
            self._melsoft_frame(buf, s, e, is_orig, ts, frame, out)
            return
        is_resp = bool(b0 & 0x80)
        four = b0 in (0x54, 0xD4)
        f: dict[str, Any] = {"frame_type": "4e" if four else "3e", "direction": "response" if is_resp else "request"}
        h = s
        if four:
            f["serial"] = buf[s + 2] | (buf[s + 3] << 8)
            h += 4
        f["network"], f["station"] = buf[h + 2], buf[h + 3]
        f["module_io"] = buf[h + 4] | (buf[h + 5] << 8)
        f["multidrop"] = buf[h + 6]
        f["data_length"] = buf[h + 7] | (buf[h + 8] << 8)
        d = h + 9
        try:
            if not is_resp:
                self._request(buf, d, e, f, is_orig, ts, frame, out)
            else:
                self._response(buf, d, e, f, is_orig, ts, frame, out)
        except Malformed as exc:
            out.append(weird("slmp_malformed_data", ts, frame, is_orig, f"{f.get('command')}: {exc}"))

    def _request(self, buf: bytes, d: int, e: int, f: dict[str, Any], is_orig: bool, ts: float, frame: int,
                 out: list[Event]) -> None:
        f["monitoring_timer"] = buf[d] | (buf[d + 1] << 8)
        cmd = buf[d + 2] | (buf[d + 3] << 8)
        sub = buf[d + 4] | (buf[d + 5] << 8)
        f["command_code"], f["command"] = cmd, name_of(COMMANDS, cmd)
        f["subcommand"], f["subcommand_name"] = sub, NAME_OF_SUBCOMMAND(cmd, sub)
        f["is_write"] = cmd in WRITE_COMMANDS
        out.append(Event(EVENTS.get(cmd, UNKNOWN_EVENTS)[0], ts, frame, is_orig, f))
        ctx = None
        try:
            parser = REQUESTS.get(cmd)
            if parser is not None:
                ctx = parser(buf, d + 6, e, f, sub)
            elif e > d + 6 and cmd not in NO_DATA_REQUESTS:
                f["data"] = buf[d + 6:min(e, d + 518)].hex()
        finally:
            if "serial" in f:
                if len(self._serials) >= MAX_PENDING:
                    self._serials.clear()
                self._serials[f["serial"]] = (cmd, ctx)
            else:
                if len(self._fifo) >= MAX_PENDING:
                    self._fifo.popleft()
                self._fifo.append((cmd, ctx))

    def _response(self, buf: bytes, d: int, e: int, f: dict[str, Any], is_orig: bool, ts: float, frame: int,
                  out: list[Event]) -> None:
        if "serial" in f:
            req = self._serials.pop(f["serial"], None)
        else:
            req = self._fifo.popleft() if self._fifo else None
        cmd, ctx = req if req is not None else (None, None)
        f["command_code"] = cmd
        f["command"] = None if cmd is None else name_of(COMMANDS, cmd)
        end = buf[d] | (buf[d + 1] << 8)
        f["end_code"], f["end_code_name"] = end, name_of(END_CODES, end)
        names = EVENTS.get(cmd, UNKNOWN_EVENTS) if cmd is not None else ("", "slmp_response")
        out.append(Event(names[1], ts, frame, is_orig, f))
        if end != 0:
            if e - d >= 11:  # error information: the routing and command of the failed request
                f["error_command_code"] = buf[d + 7] | (buf[d + 8] << 8)
                f["error_command"] = name_of(COMMANDS, f["error_command_code"])
            return
        parser = RESPONSES.get(cmd) if cmd is not None else None
        if parser is not None:
            parser(buf, d + 2, e, f, ctx)
        elif e > d + 2:
            f["data"] = buf[d + 2:min(e, d + 514)].hex()

    # -- MELSOFT engineering frames -------------------------------------------------------------

    def _melsoft_frame(self, buf: bytes, s: int, e: int, is_orig: bool, ts: float, frame: int,
                       out: list[Event]) -> None:
        resp = buf[s] == MELSOFT_RESP
        f: dict[str, Any] = {"frame_type": "melsoft", "direction": "response" if resp else "request",
                             "data_length": e - s - MELSOFT_HEADER}
        cmd: int | None = None
        if not resp and e - s >= 47:
            cmd = (buf[s + 45] << 8) | buf[s + 46]
        elif resp and e - s >= 49:  # an answer carries an end code, then echoes the command
            f["end_code"] = buf[s + 45] | (buf[s + 46] << 8)
            cmd = (buf[s + 47] << 8) | buf[s + 48]
        f["command_code"] = cmd
        f["command"] = None if cmd is None else name_of(_MELSOFT_COMMANDS, cmd)
        if resp and cmd == MELSOFT_READ_MODEL and e - s >= 69 and not f["end_code"]:
            identity: dict[str, Any] = {}
            model = text(buf[s + 53:s + 69])
            if model:
                identity["model"] = model
            if e - s >= 71:
                identity["product_code"] = f"0x{buf[s + 69] | (buf[s + 70] << 8):04X}"
            f["identity"] = identity
        out.append(Event("slmp_melsoft_" + f["direction"], ts, frame, is_orig, f))


class SlmpDecoder(SlmpUdpDecoder):
    """SLMP / MC protocol over TCP: frames are cut from each direction's stream by their length."""

    transport: ClassVar[str] = "tcp"
    default_ports: ClassVar[tuple[int, ...]] = (5007,)

    def __init__(self) -> None:
        super().__init__()
        self._buf: list[bytes] = [b"", b""]
        self._resync = [False, False]

    def feed(self, data: bytes, is_orig: bool, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        if self.violated or not data:
            return out
        d = 1 if is_orig else 0
        buf = self._buf[d] + data if self._buf[d] else data
        n = len(buf)
        off = 0
        while off < n:
            ln = frame_length(buf, off)
            if ln < 0 or self._resync[d]:
                if not self.confirmed:
                    self._bad(buf, off, is_orig, ts, frame, out)
                    self._buf = [b"", b""]
                    return out
                j = off + (0 if self._resync[d] else 1)
                while j < n and frame_length(buf, j) < 0:
                    j += 1
                if j - off:
                    out.append(weird("slmp_resync", ts, frame, is_orig, f"skipped {j - off} bytes"))
                off = j
                self._resync[d] = False
                continue
            if ln == 0 or off + ln > n:
                break
            self._frame(buf, off, off + ln, is_orig, ts, frame, out)
            off += ln
        self._buf[d] = buf[off:] if off < n else b""
        if len(self._buf[d]) > MAX_DATA + HEADER_4E:
            self._buf[d] = b""
            self._resync[d] = True
        return out

    def gap(self, nbytes: int, is_orig: bool, ts: float, frame: int) -> list[Event]:
        d = 1 if is_orig else 0
        self._buf[d] = b""
        self._resync[d] = True
        self._fifo.clear()
        return []
