"""The MQTT decoder (3.1, 3.1.1 and 5.0): fixed-header framing per direction, one event per packet.

See docs/protocols/mqtt.md for every event, field and weird this module emits.
"""

from __future__ import annotations

from typing import Any, ClassVar

from plantwarden.core.events import Event, weird
from plantwarden.decoders.base import Decoder
from plantwarden.decoders.mqtt import framing
from plantwarden.decoders.mqtt.constants import (
    CLIENT_ONLY,
    CONNECT,
    EVENTS,
    MAX_BUFFER,
    PREFIX,
    SERVER_ONLY,
    TYPE_NAMES,
)
from plantwarden.decoders.mqtt.packets import PARSERS, PROTOCOL_NAMES, Malformed, Session

_BAD = framing.BAD
_NEED = framing.NEED


class MqttDecoder(Decoder):
    """MQTT over TCP. The originator is the client, the responder the broker."""

    name: ClassVar[str] = "mqtt"
    transport: ClassVar[str] = "tcp"
    default_ports: ClassVar[tuple[int, ...]] = (1883,)

    __slots__ = ("_buf", "_skip", "_held", "_resync", "_junk", "session", "confirmed", "packets")

    def __init__(self) -> None:
        super().__init__()
        # index 1: client -> broker; index 0: broker -> client
        self._buf: list[bytes] = [b"", b""]
        #: bytes of a big packet still to be skipped, and its event (emitted when the skip ends)
        self._skip = [0, 0]
        self._held: list[list[Event] | None] = [None, None]
        #: after a gap or a bad header: wait for a segment that starts with a packet
        self._resync = [False, False]
        self._junk = [0, 0]
        self.session = Session()
        #: at least one well-formed packet was seen on this flow
        self.confirmed = False
        self.packets = 0

    @classmethod
    def probe(cls, data: bytes, is_orig: bool) -> float:
        return framing.probe(data)

    # -- stream -----------------------------------------------------------------------------------

    def feed(self, data: bytes, is_orig: bool, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        if self.violated or not data:
            return out
        d = 1 if is_orig else 0
        skip = self._skip[d]
        if skip:
            if len(data) < skip:
                self._skip[d] = skip - len(data)
                return out
            self._skip[d] = 0
            done = self._held[d]
            self._held[d] = None
            if done:
                for e in done:
                    e.ts, e.frame = ts, frame
                out += done
            data = data[skip:]
            if not data:
                return out
        if self._resync[d]:
            # a segment boundary is the likeliest packet boundary: accept data that starts with a
            # run of valid fixed headers, else drop it and wait for the next segment
            if framing.chain(data) <= 0:
                self._junk[d] += len(data)
                return out
            self._resync[d] = False
            out.append(weird("mqtt_resync", ts, frame, is_orig, f"{self._junk[d]} bytes skipped"))
            self._junk[d] = 0
            self._buf[d] = b""
        buf = self._buf[d]
        buf = buf + data if buf else data
        n = len(buf)
        off = 0
        while off < n:
            h, rem = framing.header(buf, off)
            if h < 0:
                if h == _NEED:
                    break
                if not self.confirmed:
                    return self._violation(out, ts, frame, is_orig, f"bad fixed header 0x{buf[off]:02x}")
                out.append(weird("mqtt_bad_header", ts, frame, is_orig,
                                 f"fixed header 0x{buf[off]:02x}: waiting for the next segment"))
                self._resync[d] = True
                self._junk[d] = n - off
                self._buf[d] = b""
                return out
            end = off + h + rem
            if end > n:
                if h + rem <= MAX_BUFFER:
                    break
                if not self.confirmed:
                    return self._violation(out, ts, frame, is_orig, f"first packet of {rem} bytes")
                if n - off < h + PREFIX:
                    break
                # a big packet: decode it from its first bytes, skip the rest without holding it
                held: list[Event] = []
                self._packet(buf, off, h, end, is_orig, ts, frame, held)
                self._held[d] = held
                self._skip[d] = end - n
                off = n
                break
            if not self._packet(buf, off, h, end, is_orig, ts, frame, out):
                return out
            off = end
        self._buf[d] = buf[off:] if off < n else b""
        return out

    def _violation(self, out: list[Event], ts: float, frame: int, is_orig: bool, detail: str) -> list[Event]:
        out.append(weird("mqtt_protocol_violation", ts, frame, is_orig, f"not MQTT: {detail}"))
        self.violated = True
        self._buf = [b"", b""]
        self._held = [None, None]
        return out

    # -- one packet -------------------------------------------------------------------------------

    def _packet(self, buf: bytes, off: int, h: int, end: int, is_orig: bool, ts: float, frame: int,
                out: list[Event]) -> bool:
        """Decode one packet into ``out``; False when it showed the flow is not MQTT."""
        b0 = buf[off]
        t = b0 >> 4
        s = self.session
        s.problems.clear()
        f: dict[str, Any] = {"message_type": TYPE_NAMES[t], "protocol_version": s.version,
                             "client_id": s.client_id, "topic": None}
        problem: tuple[str, str] | None = None
        try:
            PARSERS[t](s, buf, off + h, end, b0 & 0x0F, is_orig, f)
        except Malformed as e:
            problem = ("mqtt_malformed_packet", f"{TYPE_NAMES[t]}: {e}")
        except Exception as e:  # a parser bug must not stop the flow
            problem = ("mqtt_malformed_packet", f"{TYPE_NAMES[t]}: {type(e).__name__}: {e}")
        if not self.confirmed:
            if problem is not None or (t == CONNECT and f.get("protocol_name") not in PROTOCOL_NAMES):
                self._violation(out, ts, frame, is_orig, f"first packet {TYPE_NAMES[t]} does not parse")
                return False
            self.confirmed = True
        self.packets += 1
        f["client_id"] = s.client_id
        f["protocol_version"] = s.version
        out.append(Event(EVENTS[t], ts, frame, is_orig, f))
        for name, detail in s.problems:
            out.append(weird(name, ts, frame, is_orig, detail))
        if problem is not None:
            out.append(weird(problem[0], ts, frame, is_orig, problem[1]))
        if (t in CLIENT_ONLY and not is_orig) or (t in SERVER_ONLY and is_orig):
            out.append(weird("mqtt_wrong_direction", ts, frame, is_orig,
                             f"{TYPE_NAMES[t]} sent by the {'client' if is_orig else 'broker'}"))
        if t == 15 and not s.v5:
            out.append(weird("mqtt_reserved_type", ts, frame, is_orig, "AUTH outside MQTT 5"))
        return True

    # -- loss and end -----------------------------------------------------------------------------

    def gap(self, nbytes: int, is_orig: bool, ts: float, frame: int) -> list[Event]:
        d = 1 if is_orig else 0
        out: list[Event] = []
        skip = self._skip[d]
        if skip:
            held = self._held[d]
            self._held[d] = None
            if held:  # its header and first bytes were seen: report it now
                for e in held:
                    e.ts, e.frame = ts, frame
                out += held
            self._skip[d] = 0
            if nbytes <= skip:  # the hole is inside the skipped packet: still in step after it
                self._skip[d] = skip - nbytes
                return out
        self._buf[d] = b""
        self._resync[d] = True
        self._junk[d] = 0
        return out

    def finish(self, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        if self.violated:
            return out
        for d in (1, 0):
            held = self._held[d]
            if held:
                for e in held:
                    e.ts, e.frame = ts, frame
                out += held
                out.append(weird("mqtt_incomplete_packet", ts, frame, d == 1, f"{self._skip[d]} bytes missing"))
            elif self._buf[d] and not self._resync[d]:
                out.append(weird("mqtt_incomplete_packet", ts, frame, d == 1, f"{len(self._buf[d])} bytes held"))
            self._buf[d] = b""
            self._held[d] = None
            self._skip[d] = 0
        return out
