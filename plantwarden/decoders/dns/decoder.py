"""DNS decoders: UDP (53, mDNS 5353, LLMNR 5355), one message per datagram, and TCP 53 with the
two-byte length prefix. One event per message: ``dns_query`` or ``dns_response``.

See docs/protocols/dns.md for every event, field and weird.
"""

from __future__ import annotations

from typing import Any, ClassVar

from plantwarden.core.events import Event, weird
from plantwarden.decoders.base import Decoder
from plantwarden.decoders.dns.constants import MAX_TCP_MESSAGE
from plantwarden.decoders.dns.message import DnsError, parse


class DnsDecoder(Decoder):
    """DNS over UDP: each datagram is one message."""

    name: ClassVar[str] = "dns"
    transport: ClassVar[str] = "udp"
    default_ports: ClassVar[tuple[int, ...]] = (53, 5353, 5355)

    __slots__ = ("messages",)

    def __init__(self) -> None:
        super().__init__()
        self.messages = 0

    @classmethod
    def probe(cls, data: bytes, is_orig: bool) -> float:
        """DNS on another UDP port: a header with 1-4 questions and sane counts whose message parses
        exactly to its last byte (NetBIOS name service, DNS-shaped, is refused)."""
        if len(data) < 17 or not 1 <= ((data[4] << 8) | data[5]) <= 4 or data[2] & 0x78 or data[3] & 0x40 \
                or data[12] == 0x20:  # a 32-byte first label: a NetBIOS name (NBNS, not DNS)
            return -1.0
        if ((data[6] << 8) | data[7]) + ((data[8] << 8) | data[9]) + ((data[10] << 8) | data[11]) > 64:
            return -1.0
        problems: list[tuple[str, str]] = []
        try:
            parse(data, {}, problems)
        except DnsError:
            return -1.0
        return -1.0 if problems else 0.8

    def feed(self, data: bytes, is_orig: bool, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        if self.violated:
            return out
        self._message(data, is_orig, ts, frame, out)
        return out

    def _message(self, data: bytes, is_orig: bool, ts: float, frame: int, out: list[Event]) -> None:
        f: dict[str, Any] = {}
        problems: list[tuple[str, str]] = []
        try:
            is_response = parse(data, f, problems)
        except DnsError as e:
            if not self.confirmed:
                out.append(weird("dns_protocol_violation", ts, frame, is_orig, e.detail))
                self.violated = True
            else:
                out.append(weird(e.name, ts, frame, is_orig, e.detail))
            return
        if problems and not self.confirmed and not f["questions"] and not f["answers"]:
            out.append(weird("dns_protocol_violation", ts, frame, is_orig, problems[0][1]))
            self.violated = True
            return
        self.confirmed = True
        self.messages += 1
        out.append(Event("dns_response" if is_response else "dns_query", ts, frame, is_orig, f))
        for name, detail in problems:
            out.append(weird(name, ts, frame, is_orig, f"id {f['id']}: {detail}"))


class DnsTcpDecoder(DnsDecoder):
    """DNS over TCP 53: messages behind a two-byte length, any number per segment, split or not."""

    transport: ClassVar[str] = "tcp"
    default_ports: ClassVar[tuple[int, ...]] = (53,)

    __slots__ = ("_buf", "_skip")

    def __init__(self) -> None:
        super().__init__()
        self._buf: list[bytes] = [b"", b""]
        #: bytes of this direction still to skip (after a gap)
        self._skip = [False, False]

    def feed(self, data: bytes, is_orig: bool, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        if self.violated or not data:
            return out
        d = 1 if is_orig else 0
        if self._skip[d]:
            return out  # after a gap there is no way to find the next length prefix
        buf = self._buf[d] + data if self._buf[d] else data
        off = 0
        n = len(buf)
        while n - off >= 2:
            ln = (buf[off] << 8) | buf[off + 1]
            if ln < 12:
                if not self.confirmed:
                    out.append(weird("dns_protocol_violation", ts, frame, is_orig, f"message length {ln}"))
                    self.violated = True
                    self._buf = [b"", b""]
                    return out
                out.append(weird("dns_malformed", ts, frame, is_orig, f"message length {ln}"))
                off += 2 + ln
                continue
            if off + 2 + ln > n:
                break
            self._message(buf[off + 2:off + 2 + ln], is_orig, ts, frame, out)
            if self.violated:
                return out
            off += 2 + ln
        rest = buf[off:] if off < n else b""
        if len(rest) > MAX_TCP_MESSAGE + 2:
            rest = b""
        self._buf[d] = rest
        return out

    def gap(self, nbytes: int, is_orig: bool, ts: float, frame: int) -> list[Event]:
        d = 1 if is_orig else 0
        self._buf[d] = b""
        self._skip[d] = True
        return []

    def finish(self, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        for d in (1, 0):
            if self._buf[d] and not self.violated:
                out.append(weird("dns_incomplete_message", ts, frame, d == 1, f"{len(self._buf[d])} bytes"))
            self._buf[d] = b""
        return out
