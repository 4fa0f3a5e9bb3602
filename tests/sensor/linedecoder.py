"""A tiny newline-delimited protocol decoder that exercises the sensor's decoder contract in tests."""

from __future__ import annotations

from plantwarden.core.events import Event, weird
from plantwarden.decoders.base import Decoder


class LineDecoder(Decoder):
    name = "line"
    transport = "tcp"
    default_ports = (7777,)

    def __init__(self) -> None:
        super().__init__()
        self.buf = {True: b"", False: b""}
        self.finished = False

    @classmethod
    def probe(cls, data: bytes, is_orig: bool) -> float:
        return 0.9 if data.startswith(b"LINE") else -1.0

    def feed(self, data: bytes, is_orig: bool, ts: float, frame: int) -> list[Event]:
        if b"BOOM" in data:
            raise ValueError("decoder bug")
        if b"\xff" in data:
            self.violated = True
            return [weird("line_violation", ts, frame, is_orig)]
        buf = self.buf[is_orig] + data
        *lines, rest = buf.split(b"\n")
        self.buf[is_orig] = rest
        return [Event("line", ts, frame, is_orig, {"text": ln.decode()}) for ln in lines]

    def gap(self, nbytes: int, is_orig: bool, ts: float, frame: int) -> list[Event]:
        self.buf[is_orig] = b""
        return []

    def finish(self, ts: float, frame: int) -> list[Event]:
        self.finished = True
        return [Event("line_end", ts, frame, None, {})]


class UdpLineDecoder(LineDecoder):
    name = "udpline"
    transport = "udp"
    default_ports = (7778,)


class EtherLineDecoder(LineDecoder):
    name = "etherline"
    transport = "ether"
    ethertypes = (0x88B5,)
