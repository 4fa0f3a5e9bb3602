"""The EtherNet/IP decoders: encapsulation over TCP 44818 and UDP 44818, implicit I/O on UDP 2222.

Sans-IO. :class:`EnipDecoder` (TCP) frames encapsulation messages per direction; :class:`EnipUdpDecoder`
takes one datagram at a time and either decodes encapsulation messages (ListIdentity broadcasts and
answers) or counts implicit I/O packets per connection id, reported at ``finish()`` as one ``enip_io``
event per connection. Both share the per-message logic of :class:`_EnipBase`: one event per
encapsulation message, or one per CIP message it carries. See docs/protocols/enip.md.
"""

from __future__ import annotations

import struct
from typing import Any, ClassVar, Final

from plantwarden.core.events import Event, weird
from plantwarden.decoders.base import Decoder
from plantwarden.decoders.enip import framing
from plantwarden.decoders.enip.activity import activity as classify_activity
from plantwarden.decoders.enip.cip import Ctx, request, response
from plantwarden.decoders.enip.constants import (
    COMMANDS,
    ENCAP_STATUS,
    HEADER_LEN,
    ITEM_CONNECTED_ADDRESS,
    ITEM_CONNECTED_DATA,
    ITEM_IDENTITY,
    ITEM_LIST_SERVICES,
    ITEM_SEQUENCED_ADDRESS,
    ITEM_SOCKADDR_O_T,
    ITEM_SOCKADDR_T_O,
    ITEM_UNCONNECTED_DATA,
    LIST_COMMANDS,
    LIST_IDENTITY,
    LIST_INTERFACES,
    LIST_SERVICES,
    MAX_IO_CONNECTIONS,
    MAX_PENDING,
    ONE_WAY,
    REGISTER_SESSION,
    SEND_UNIT_DATA,
)
from plantwarden.decoders.enip.epath import identity, text

_unpack_header = framing.HEADER.unpack_from
_ITEM: Final = struct.Struct("<HH")
_item = _ITEM.unpack_from
_u16 = struct.Struct("<H").unpack_from
_u32 = struct.Struct("<I").unpack_from
_SOCKADDR: Final = struct.Struct(">HH4s")  # family, port, address (big-endian, as in sockaddr_in)
#: an I/O datagram's usual layout: count, 0x8002, 8, connection id, sequence, data item type, length
_IO: Final = struct.Struct("<HHHIIHH")
_STATUS_NAMES: Final = {s: n for s, n in ENCAP_STATUS.items()}
_CMD_EVENTS: Final = {
    c: (f"enip_{n}", f"enip_{n}") if c in ONE_WAY else (f"enip_{n}_request", f"enip_{n}_response")
    for c, n in COMMANDS.items()
}
_UNKNOWN_EVENTS: Final = ("enip_unknown_command", "enip_unknown_command")
#: bytes of a stream skipped while resynchronising before the flow is declared not EtherNet/IP
_MAX_JUNK: Final = 65536


def _sockaddr(b: bytes, s: int) -> tuple[str, int]:
    _fam, port, addr = _SOCKADDR.unpack_from(b, s)
    return ".".join(map(str, addr)), port


class _EnipBase(Decoder):
    """Encapsulation messages -> events; request/response pairing for CIP."""

    name: ClassVar[str] = "enip"
    activity = staticmethod(classify_activity)

    def __init__(self) -> None:
        super().__init__()
        #: sender context (bytes) or connected sequence count (int) -> request context
        self._pending: dict[object, Ctx | None] = {}
        self.confirmed = False
        self.messages = 0
        self.unmatched_responses = 0
        self.session: int | None = None

    def _message(self, b: bytes, off: int, end: int, is_orig: bool, ts: float, frame: int,
                 out: list[Event]) -> None:
        """One whole encapsulation message at ``b[off:end]``."""
        cmd, length, session, status, ctx, _options = _unpack_header(b, off)
        self.messages += 1
        self.confirmed = True
        if session:
            self.session = session
        cname = COMMANDS.get(cmd)
        sname = _STATUS_NAMES.get(status)
        base: dict[str, Any] = {
            "command": cname if cname is not None else f"unknown-{cmd}", "command_code": cmd,
            "session_handle": session, "enip_status": sname if sname is not None else f"unknown-{status}",
            "enip_status_code": status, "sender_context": ctx.hex(), "length": length,
        }
        p = off + HEADER_LEN
        if cmd == 0x6F or cmd == SEND_UNIT_DATA:
            self._send(b, p, end, cmd, ctx, base, is_orig, ts, frame, out)
            return
        names = _CMD_EVENTS.get(cmd, _UNKNOWN_EVENTS)
        is_request = (length == 0) if cmd in LIST_COMMANDS else is_orig
        ev = Event(names[0] if is_request else names[1], ts, frame, is_orig, base)
        out.append(ev)
        if cname is None:
            out.append(weird("enip_unknown_command", ts, frame, is_orig, f"command 0x{cmd:04x}"))
            return
        try:
            if cmd == REGISTER_SESSION:
                if end - p >= 4:
                    base["protocol_version"] = _u16(b, p)[0]
                    base["options_flags"] = _u16(b, p + 2)[0]
            elif not is_request and cmd in LIST_COMMANDS:
                self._list_reply(b, p, end, cmd, ev, out)
        except (IndexError, struct.error, ValueError) as e:
            out.append(weird("enip_malformed_cpf", ts, frame, is_orig, f"{base['command']}: {e}"))

    def _list_reply(self, b: bytes, p: int, end: int, cmd: int, ev: Event, out: list[Event]) -> None:
        """The CPF items of a ListIdentity / ListServices / ListInterfaces reply."""
        f = ev.fields
        count = _u16(b, p)[0]
        q = p + 2
        if cmd == LIST_INTERFACES:
            f["interface_count"] = count
            return
        services: list[dict[str, Any]] = []
        first = True
        for _ in range(min(count, 16)):
            typ, ln = _item(b, q)
            s = q + 4
            e = s + ln
            if e > end:
                raise IndexError(f"CPF item 0x{typ:04x} of {ln} bytes runs past the message")
            if cmd == LIST_IDENTITY and typ == ITEM_IDENTITY:
                g = f if first else {k: f[k] for k in ("command", "command_code", "session_handle", "enip_status",
                                                       "enip_status_code", "sender_context", "length")}
                g["encapsulation_version"] = _u16(b, s)[0]
                g["socket_address"], g["socket_port"] = _sockaddr(b, s + 2)
                ident, dtype, dstatus, after = identity(b, s + 18, e)
                g["identity"] = ident
                g["device_type_code"] = dtype
                g["device_status"] = dstatus
                g["state"] = b[after] if after < e else None
                if not first:
                    out.append(Event(ev.name, ev.ts, ev.frame, ev.is_orig, g))
                first = False
            elif cmd == LIST_SERVICES and typ == ITEM_LIST_SERVICES and ln >= 20:
                services.append({"name": text(b[s + 4:s + 20]), "version": _u16(b, s)[0],
                                 "capability_flags": _u16(b, s + 2)[0]})
            q = e
        if cmd == LIST_SERVICES:
            f["services"] = services

    def _send(self, b: bytes, p: int, end: int, cmd: int, ctx: bytes, base: dict[str, Any], is_orig: bool,
              ts: float, frame: int, out: list[Event]) -> None:
        """SendRRData / SendUnitData: the CPF items, then the CIP message they carry."""
        if end - p < 8:
            names = _CMD_EVENTS[cmd]
            out.append(Event(names[0] if is_orig else names[1], ts, frame, is_orig, base))
            out.append(weird("enip_malformed_cpf", ts, frame, is_orig, f"{end - p} bytes of data"))
            return
        count = _u16(b, p + 6)[0]
        q = p + 8
        conn_id = seq = None
        cip_off = cip_end = -1
        extra: dict[str, Any] | None = None
        problem = None
        for _ in range(min(count, 16)):
            if q + 4 > end:
                problem = f"{count} CPF items announced, data ends after fewer"
                break
            typ, ln = _item(b, q)
            s = q + 4
            q = s + ln
            if q > end:
                problem = f"CPF item 0x{typ:04x} of {ln} bytes runs past the message"
                break
            if typ == ITEM_UNCONNECTED_DATA:
                cip_off, cip_end = s, q
            elif typ == ITEM_CONNECTED_DATA and ln >= 2:
                seq = _u16(b, s)[0]
                cip_off, cip_end = s + 2, q
            elif typ == ITEM_CONNECTED_ADDRESS and ln >= 4:
                conn_id = _u32(b, s)[0]
            elif typ in (ITEM_SOCKADDR_O_T, ITEM_SOCKADDR_T_O) and ln >= 8:
                addr, port = _sockaddr(b, s)
                if extra is None:
                    extra = {}
                extra["o_t_sockaddr" if typ == ITEM_SOCKADDR_O_T else "t_o_sockaddr"] = f"{addr}:{port}"
        if cmd == SEND_UNIT_DATA:
            base["connection_id"] = conn_id
            base["sequence_count"] = seq
        n = len(out)
        if cip_off < 0 or cip_off >= cip_end:
            names = _CMD_EVENTS[cmd]
            out.append(Event(names[0] if is_orig else names[1], ts, frame, is_orig, base))
        else:
            key: object = seq if cmd == SEND_UNIT_DATA and seq is not None else ctx
            pending = self._pending
            if b[cip_off] & 0x80:
                if not response(b, cip_off, cip_end, base, is_orig, ts, frame, out, pending.pop(key, None)):
                    self.unmatched_responses += 1
            else:
                c = request(b, cip_off, cip_end, base, is_orig, ts, frame, out)
                if len(pending) >= MAX_PENDING and key not in pending:
                    del pending[next(iter(pending))]
                pending[key] = c
        if extra is not None:
            out[n].fields.update(extra)
        if problem is not None:
            out.append(weird("enip_malformed_cpf", ts, frame, is_orig, problem))

    def _violation(self, out: list[Event], ts: float, frame: int, is_orig: bool, detail: str) -> list[Event]:
        out.append(weird("enip_protocol_violation", ts, frame, is_orig, detail))
        self.violated = True
        self._pending.clear()
        return out

    def _finish_pending(self, ts: float, frame: int, out: list[Event]) -> None:
        left = sum(1 for c in self._pending.values() if c is not None)
        self._pending.clear()
        if left:
            out.append(weird("enip_unanswered_requests", ts, frame, None, str(left)))
        if self.unmatched_responses:
            out.append(weird("enip_unmatched_responses", ts, frame, None, str(self.unmatched_responses)))
            self.unmatched_responses = 0


class EnipDecoder(_EnipBase):
    """EtherNet/IP over TCP: the reassembled stream of each direction, any number of messages per
    call, messages split across calls."""

    transport: ClassVar[str] = "tcp"
    default_ports: ClassVar[tuple[int, ...]] = (44818,)

    def __init__(self) -> None:
        super().__init__()
        self._buf = [b"", b""]  # [0] responder, [1] originator
        self._resync = [False, False]
        self._junk = [0, 0]

    @classmethod
    def probe(cls, data: bytes, is_orig: bool) -> float:
        return framing.probe(data, False)

    def feed(self, data: bytes, is_orig: bool, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        if self.violated or not data:
            return out
        d = 1 if is_orig else 0
        old = self._buf[d]
        buf = old + data if old else data
        n = len(buf)
        off = 0
        if self._resync[d]:
            # a segment boundary is the likeliest message boundary: try the new data first
            k = len(old)
            if k and k + HEADER_LEN <= n and framing.plausible_header(buf, k, self.session):
                off = k
                self._resync[d] = False
                self._junk[d] = 0
            else:
                off = self._find(buf, 0, d, ts, frame, is_orig, out)
                if off < 0:
                    return out
        while n - off >= HEADER_LEN:
            if not framing.plausible_header(buf, off, None, True):
                if not self.confirmed:
                    cmd = buf[off] | (buf[off + 1] << 8)
                    return self._violation(out, ts, frame, is_orig, f"command 0x{cmd:04x} or options not 0")
                out.append(weird("enip_bad_header", ts, frame, is_orig, f"at stream offset +{off}"))
                off = self._find(buf, off + 1, d, ts, frame, is_orig, out)
                if off < 0:
                    return out
                continue
            end = off + HEADER_LEN + (buf[off + 2] | (buf[off + 3] << 8))
            if end > n:
                break
            self._message(buf, off, end, is_orig, ts, frame, out)
            off = end
        self._buf[d] = buf[off:] if off < n else b""
        return out

    def _find(self, buf: bytes, start: int, d: int, ts: float, frame: int, is_orig: bool,
              out: list[Event]) -> int:
        """Resynchronise direction ``d`` from ``start``: the offset of the next plausible message, or
        -1 after keeping the last bytes (a header may straddle) and, past the junk limit, a violation."""
        n = len(buf)
        j = framing.resync(buf, start, self.session)
        if j >= 0:
            self._resync[d] = False
            self._junk[d] = 0
            return j
        self._resync[d] = True
        keep = max(start, n - HEADER_LEN + 1)
        self._junk[d] += keep - start
        self._buf[d] = buf[keep:]
        if self._junk[d] > _MAX_JUNK:
            self._violation(out, ts, frame, is_orig, f"no encapsulation header in {self._junk[d]} bytes")
        return -1

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
            left = len(self._buf[d])
            if left and not self._resync[d]:
                out.append(weird("enip_incomplete_message", ts, frame, d == 1, f"{left} bytes"))
            self._buf[d] = b""
        return out


class EnipUdpDecoder(_EnipBase):
    """EtherNet/IP over UDP: encapsulation datagrams on 44818, implicit I/O (CPF) on 2222."""

    transport: ClassVar[str] = "udp"
    default_ports: ClassVar[tuple[int, ...]] = (44818, 2222)

    def __init__(self) -> None:
        super().__init__()
        #: connection id -> [packets, data bytes, first sequence, last sequence, is_orig, last ts, last frame,
        #: first ts]
        self._io: dict[int, list[Any]] = {}
        self.io_overflow = 0

    @classmethod
    def probe(cls, data: bytes, is_orig: bool) -> float:
        return framing.probe(data, True)

    def feed(self, data: bytes, is_orig: bool, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        if self.violated:
            return out
        n = len(data)
        if n >= 18 and data[2] == 0x02 and data[3] == 0x80:
            # fast path: count, sequenced address item, connected data item
            count, typ, ln, conn, seq, dtyp, dlen = _IO.unpack_from(data, 0)
            if typ == ITEM_SEQUENCED_ADDRESS and ln == 8 and 1 <= count <= 4:
                st = self._io.get(conn)
                if st is not None:
                    st[0] += 1
                    st[1] += dlen if dtyp == ITEM_CONNECTED_DATA else 0
                    st[3] = seq
                    st[5] = ts
                    st[6] = frame
                else:
                    self._new_io(conn, dlen if dtyp == ITEM_CONNECTED_DATA else 0, seq, is_orig, ts, frame, out)
                self.confirmed = True
                return out
        if framing.is_io(data):  # connected address (no sequence number)
            conn = _u32(data, 6)[0]
            st = self._io.get(conn)
            if st is not None:
                st[0] += 1
                st[5] = ts
                st[6] = frame
            else:
                self._new_io(conn, 0, None, is_orig, ts, frame, out)
            self.confirmed = True
            return out
        off = 0
        while n - off >= HEADER_LEN:
            if not framing.plausible_header(data, off, None, True):
                if not self.confirmed:
                    return self._violation(out, ts, frame, is_orig, "no encapsulation header or I/O items")
                out.append(weird("enip_bad_header", ts, frame, is_orig, f"at datagram offset {off}"))
                return out
            end = off + HEADER_LEN + (data[off + 2] | (data[off + 3] << 8))
            if end > n:
                out.append(weird("enip_truncated_datagram", ts, frame, is_orig, f"{end - n} bytes missing"))
                return out
            self._message(data, off, end, is_orig, ts, frame, out)
            off = end
        if off < n:
            if not self.confirmed:
                return self._violation(out, ts, frame, is_orig, f"datagram of {n} bytes")
            out.append(weird("enip_trailing_bytes", ts, frame, is_orig, f"{n - off} bytes"))
        return out

    def _new_io(self, conn: int, nbytes: int, seq: int | None, is_orig: bool, ts: float, frame: int,
                out: list[Event]) -> None:
        if len(self._io) >= MAX_IO_CONNECTIONS:
            if not self.io_overflow:
                out.append(weird("enip_too_many_io_connections", ts, frame, is_orig, str(MAX_IO_CONNECTIONS)))
            self.io_overflow += 1
            return
        self._io[conn] = [1, nbytes, seq, seq, is_orig, ts, frame, ts]

    def finish(self, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        if self.violated:
            return out
        self._finish_pending(ts, frame, out)
        for conn, (pkts, nbytes, first, last, is_orig, lts, lframe, fts) in self._io.items():
            out.append(Event("enip_io", lts, lframe, is_orig, {
                "connection_id": conn, "packets": pkts, "bytes": nbytes, "first_sequence": first,
                "last_sequence": last, "first_ts": fts, "last_ts": lts,
            }))
        self._io.clear()
        return out


__all__ = ["EnipDecoder", "EnipUdpDecoder"]
