"""The HART-IP decoders (TCP and UDP 5094): 8-octet header, session management, HART PDUs.

Sans-IO. :class:`HartipDecoder` frames messages in each reassembled TCP direction (several per
segment, split ones wait); :class:`HartipUdpDecoder` takes the messages of one datagram. Both share
:class:`_HartipBase`: one event per message, requests paired with answers by sequence number.
See docs/protocols/hartip.md.
"""

from __future__ import annotations

import struct
from typing import Any, ClassVar, Final

from plantwarden.core.events import Event, weird
from plantwarden.decoders.base import Decoder
from plantwarden.decoders.hartip.activity import activity as classify_activity
from plantwarden.decoders.hartip.constants import (
    HEADER_LEN,
    ID_NAMES,
    MAX_BUFFER,
    MAX_JUNK,
    MAX_PENDING,
    MESSAGE_IDS,
    MESSAGE_TYPES,
    PORT,
    STATUS_NAMES,
    TYPE_NAMES,
    VERSIONS,
    event_name,
)
from plantwarden.decoders.hartip.pdu import direct_pdu, read_audit_log, session_initiate, token_passing

_HEADER: Final = struct.Struct(">BBBBHH")  # version, message type, message id, status, sequence, byte count
_unpack = _HEADER.unpack_from


def plausible(b: bytes, off: int, strict: bool = True) -> bool:
    """Whether ``b[off:off+8]`` is a believable HART-IP header (known version and message type,
    a known message id when ``strict``, a byte count of at least 8)."""
    if len(b) - off < HEADER_LEN:
        return False
    version, mtype, mid, _status, _seq, bc = _unpack(b, off)
    return version in VERSIONS and mtype in MESSAGE_TYPES and (mid in MESSAGE_IDS or not strict) and bc >= HEADER_LEN


def probe(data: bytes) -> float:
    """0.9 for exactly one plausible message, 0.8 for several, 0.4 for one cut short, else -1
    (0 for fewer than 8 octets)."""
    n = len(data)
    if n < HEADER_LEN:
        return 0.0
    off = seen = 0
    while n - off >= HEADER_LEN:
        if not plausible(data, off):
            return -1.0 if seen == 0 else 0.5
        off += _unpack(data, off)[5]
        seen += 1
    if off == n:
        return 0.9 if seen == 1 else 0.8
    return 0.4 if off > n else 0.6


class _HartipBase(Decoder):
    name: ClassVar[str] = "hartip"
    default_ports: ClassVar[tuple[int, ...]] = (PORT,)
    activity = staticmethod(classify_activity)

    def __init__(self) -> None:
        super().__init__()
        #: (requester is originator, sequence number) -> message id
        self._pending: dict[tuple[bool, int], int] = {}
        self.messages = 0
        self.unanswered_requests = 0
        self.unmatched_responses = 0

    @classmethod
    def probe(cls, data: bytes, is_orig: bool) -> float:
        return probe(data)

    def _message(self, b: bytes, off: int, end: int, is_orig: bool, ts: float, frame: int, out: list[Event]) -> None:
        """One whole message at ``b[off:end]``."""
        version, mtype, mid, status, seq, bc = _unpack(b, off)
        self.messages += 1
        self.confirmed = True
        f: dict[str, Any] = {
            "version": version, "message_type": TYPE_NAMES[mtype], "message_id": ID_NAMES[mid],
            "message_id_code": mid, "status": STATUS_NAMES[status], "status_code": status,
            "sequence_number": seq, "byte_count": bc,
        }
        p = off + HEADER_LEN
        problem = ""
        if mtype == 0:
            key = (is_orig, seq)
            pending = self._pending
            if key in pending or len(pending) >= MAX_PENDING:
                if key not in pending:
                    del pending[next(iter(pending))]
                self.unanswered_requests += 1
            pending[key] = mid
        elif mtype != 2 and self._pending.pop((not is_orig, seq), None) is None:
            self.unmatched_responses += 1
        if mtype in (3, 15) and mid != 3:
            if end > p:
                f["error_code"] = b[p]
        elif mid == 0:
            problem = session_initiate(b, p, end, f)
        elif mid == 3:
            if end > p:
                problem = token_passing(b, p, end, f)
        elif mid == 4:
            problem = direct_pdu(b, p, end, f, mtype == 1)
        elif mid == 5:
            problem = read_audit_log(b, p, end, f, mtype == 0)
        elif mid in (1, 2) and end > p:
            problem = f"{end - p} octets after a {ID_NAMES[mid]} header"
        out.append(Event(event_name(mid, mtype), ts, frame, is_orig, f))
        if mid not in MESSAGE_IDS:
            out.append(weird("hartip_unknown_message_id", ts, frame, is_orig, f"message id {mid}"))
        elif problem:
            out.append(weird("hartip_malformed_body", ts, frame, is_orig, f"{ID_NAMES[mid]}: {problem}"))

    def _violation(self, out: list[Event], ts: float, frame: int, is_orig: bool, detail: str) -> list[Event]:
        out.append(weird("hartip_protocol_violation", ts, frame, is_orig, detail))
        self.violated = True
        self._pending.clear()
        return out

    def _finish_pending(self, ts: float, frame: int, out: list[Event]) -> None:
        self.unanswered_requests += len(self._pending)
        self._pending.clear()
        if self.unanswered_requests:
            out.append(weird("hartip_unanswered_requests", ts, frame, None, str(self.unanswered_requests)))


class HartipDecoder(_HartipBase):
    """HART-IP over TCP 5094."""

    transport: ClassVar[str] = "tcp"

    def __init__(self) -> None:
        super().__init__()
        self._buf: list[bytes] = [b"", b""]  # index 1: originator's direction
        self._resync = [False, False]
        self._junk = [0, 0]

    def feed(self, data: bytes, is_orig: bool, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        if self.violated or not data:
            return out
        d = 1 if is_orig else 0
        if self._resync[d]:
            # after a gap or a bad header: wait for a segment that starts with a header
            if not plausible(data, 0):
                self._junk[d] += len(data)
                if self._junk[d] > MAX_JUNK:
                    return self._violation(out, ts, frame, is_orig, f"no HART-IP header in {self._junk[d]} octets")
                return out
            self._resync[d] = False
            self._junk[d] = 0
        buf = self._buf[d]
        buf = buf + data if buf else data
        n = len(buf)
        off = 0
        while n - off >= HEADER_LEN:
            if not plausible(buf, off, strict=not self.confirmed):
                if not self.confirmed:
                    return self._violation(out, ts, frame, is_orig, f"not a HART-IP header: {buf[off:off + 8].hex()}")
                out.append(weird("hartip_bad_header", ts, frame, is_orig, buf[off:off + 8].hex()))
                self._resync[d] = True
                self._buf[d] = b""
                return out
            end = off + _unpack(buf, off)[5]
            if end > n:
                break
            self._message(buf, off, end, is_orig, ts, frame, out)
            off = end
        rest = buf[off:] if off < n else b""
        if len(rest) > MAX_BUFFER:  # cannot happen with a 16-bit byte count; a guard all the same
            rest = b""
        self._buf[d] = rest
        return out

    def gap(self, nbytes: int, is_orig: bool, ts: float, frame: int) -> list[Event]:
        d = 1 if is_orig else 0
        self._buf[d] = b""
        self._resync[d] = True
        self._junk[d] = 0
        return []

    def finish(self, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        if self.violated:
            return out
        self._finish_pending(ts, frame, out)
        for d in (1, 0):
            if self._buf[d]:
                out.append(weird("hartip_incomplete_message", ts, frame, d == 1, f"{len(self._buf[d])} octets"))
            self._buf[d] = b""
        return out


class HartipUdpDecoder(_HartipBase):
    """HART-IP over UDP 5094: the messages of one datagram."""

    transport: ClassVar[str] = "udp"

    def feed(self, data: bytes, is_orig: bool, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        if self.violated:
            return out
        n = len(data)
        off = 0
        while n - off >= HEADER_LEN:
            if not plausible(data, off, strict=not self.confirmed):
                if not self.confirmed:
                    return self._violation(out, ts, frame, is_orig, f"not a HART-IP header: {data[off:off + 8].hex()}")
                out.append(weird("hartip_bad_header", ts, frame, is_orig, data[off:off + 8].hex()))
                return out
            end = off + _unpack(data, off)[5]
            if end > n:
                out.append(weird("hartip_truncated_datagram", ts, frame, is_orig, f"{end - n} octets missing"))
                end = n
            self._message(data, off, end, is_orig, ts, frame, out)
            off = end
        if off < n:
            if not self.confirmed:
                return self._violation(out, ts, frame, is_orig, f"datagram of {n} octets")
            out.append(weird("hartip_trailing_bytes", ts, frame, is_orig, f"{n - off} octets"))
        return out

    def finish(self, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        if not self.violated:
            self._finish_pending(ts, frame, out)
        return out


__all__ = ["HartipDecoder", "HartipUdpDecoder"]
