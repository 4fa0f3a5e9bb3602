"""The DNP3 decoder: link frames (CRC-checked) per direction, transport reassembly per link address
pair, one event per application fragment and one per link-layer-only frame.

See docs/protocols/dnp3.md for every event, field and weird this module emits.
"""

from __future__ import annotations

import struct
from typing import Any, ClassVar, Final

from plantwarden.core.events import Event, weird
from plantwarden.decoders.base import Decoder
from plantwarden.decoders.dnp3 import link
from plantwarden.decoders.dnp3.activity import activity as classify_activity
from plantwarden.decoders.dnp3.constants import (
    AC_CON,
    AC_FIN,
    AC_FIR,
    AC_SEQ,
    AC_UNS,
    CTRL_DIR,
    CTRL_FCB,
    CTRL_FCV,
    CTRL_PRM,
    EVENT_NAMES,
    FUNCTION_NAMES,
    FUNCTIONS,
    HEADER_LEN,
    IIN_BITS,
    LINK_PRIMARY,
    LINK_SECONDARY,
    MAX_ASSOCIATIONS,
    MAX_FRAGMENT,
    MAX_FRAME,
    MAX_JUNK,
    MIN_LEN_FIELD,
    RESPONSE_FUNCTIONS,
    START,
    TR_FIN,
    TR_FIR,
    TR_SEQ,
    USER_DATA_FUNCTIONS,
)
from plantwarden.decoders.dnp3.objects import parse_objects
from plantwarden.decoders.dnp3.records import ObjectError

_ADDR: Final = struct.Struct("<HH")
_header_ok = link.header_ok
_frame_length = link.frame_length
_user_data = link.user_data


def _link_event(name: str) -> str:
    return "dnp3_link_unknown_function" if name.startswith("unknown-") else "dnp3_link_" + name


_LINK_EVENTS: Final = (tuple(_link_event(n) for n in LINK_SECONDARY), tuple(_link_event(n) for n in LINK_PRIMARY))
_LINK_NAMES: Final = (LINK_SECONDARY, LINK_PRIMARY)
_IIN_CACHE: dict[int, tuple[str, ...]] = {}


def iin_flags(iin: int) -> list[str]:
    """The names of the IIN bits set in ``iin`` (``iin1 << 8 | iin2``), IIN1 bit 0 first."""
    names = _IIN_CACHE.get(iin)
    if names is None:
        names = _IIN_CACHE[iin] = tuple(n for bit, n in IIN_BITS if iin & bit)
    return list(names)


class _Partial:
    """An application fragment being reassembled from transport segments."""

    __slots__ = ("parts", "size", "seq", "segments")

    def __init__(self, first: bytes, seq: int) -> None:
        self.parts = [first]
        self.size = len(first)
        self.seq = seq
        self.segments = 1


class Dnp3Decoder(Decoder):
    """DNP3 over TCP: the stream of each direction holds link frames back to back."""

    name: ClassVar[str] = "dnp3"
    activity = staticmethod(classify_activity)
    transport: ClassVar[str] = "tcp"
    default_ports: ClassVar[tuple[int, ...]] = (20000,)

    __slots__ = ("_buf", "_resync", "_junk", "_tr", "confirmed", "frames", "fragments", "crc_errors")

    def __init__(self) -> None:
        super().__init__()
        # index 1: originator -> responder; index 0: the other direction
        self._buf: list[bytes] = [b"", b""]
        self._resync = [False, False]
        self._junk = [0, 0]
        #: per direction: (link source, link destination) -> fragment being reassembled
        self._tr: list[dict[tuple[int, int], _Partial]] = [{}, {}]
        #: a link frame with a correct header CRC was seen on this flow
        self.confirmed = False
        self.frames = 0
        self.fragments = 0
        self.crc_errors = 0

    @classmethod
    def probe(cls, data: bytes, is_orig: bool) -> float:
        return link.probe(data, is_orig)

    # -- link layer -------------------------------------------------------------------------------

    def feed(self, data: bytes, is_orig: bool, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        if self.violated or not data:
            return out
        d = 1 if is_orig else 0
        old = self._buf[d]
        buf = old + data if old else data
        off = self._frames(buf, d, is_orig, ts, frame, out)
        if self.violated:
            return out
        rest = len(buf) - off
        if rest > MAX_FRAME:  # cannot happen: a whole frame would have been taken (defensive bound)
            off = len(buf) - MAX_FRAME
        self._buf[d] = buf[off:] if rest > 0 else b""
        return out

    def _frames(self, buf: bytes, d: int, is_orig: bool, ts: float, frame: int, out: list[Event]) -> int:
        """Decode the whole frames of ``buf``; return the offset of the first byte not consumed."""
        n = len(buf)
        off = 0
        if self._resync[d]:
            off = self._find(buf, 0, d)
            if off < 0:
                return self._skip(buf, d, is_orig, ts, frame, out)
        while n - off >= HEADER_LEN:
            if buf[off] != 0x05 or buf[off + 1] != 0x64 or not _header_ok(buf, off):
                if not self.confirmed and (buf[off] != 0x05 or buf[off + 1] != 0x64) and self._junk[d] == 0:
                    self._violation(out, ts, frame, is_orig, f"no DNP3 start bytes: {buf[off:off + 4].hex()}")
                    return n
                if buf[off] == 0x05 and buf[off + 1] == 0x64:
                    if buf[off + 2] < MIN_LEN_FIELD:
                        out.append(weird("dnp3_bad_length", ts, frame, is_orig,
                                         f"length {buf[off + 2]} < 5 in link header {buf[off:off + HEADER_LEN].hex()}"))
                    else:
                        self.crc_errors += 1
                        out.append(weird("dnp3_bad_header_crc", ts, frame, is_orig,
                                         f"link header {buf[off:off + HEADER_LEN].hex()}"))
                else:
                    out.append(weird("dnp3_bad_start_bytes", ts, frame, is_orig, buf[off:off + 4].hex()))
                nxt = self._find(buf, off + 1, d)
                if nxt < 0:
                    self._junk[d] += n - off
                    return self._skip(buf, d, is_orig, ts, frame, out)
                self._junk[d] += nxt - off
                off = nxt
                continue
            length = buf[off + 2]
            end = off + _frame_length(length)
            if end > n:
                break
            self.confirmed = True
            self._junk[d] = 0
            self._frame(buf, off, length, d, is_orig, ts, frame, out)
            off = end
        return off

    def _find(self, buf: bytes, start: int, d: int) -> int:
        """Offset of the next link header with a correct CRC at or after ``start`` (or of start bytes
        too close to the end to check); -1 when there is none. Leaves resync mode when found."""
        n = len(buf)
        i = buf.find(START, start)
        while i >= 0:
            if n - i < HEADER_LEN or _header_ok(buf, i):
                self._resync[d] = False
                return i
            i = buf.find(START, i + 1)
        self._resync[d] = True
        return -1

    def _skip(self, buf: bytes, d: int, is_orig: bool, ts: float, frame: int, out: list[Event]) -> int:
        """No header in ``buf``: keep a trailing 0x05 (the start bytes may straddle), count the junk."""
        if not self.confirmed and self._junk[d] > MAX_JUNK:
            self._violation(out, ts, frame, is_orig, f"no DNP3 link header in {self._junk[d]} bytes")
        n = len(buf)
        return n - 1 if n and buf[-1] == 0x05 else n

    def _violation(self, out: list[Event], ts: float, frame: int, is_orig: bool, detail: str) -> None:
        out.append(weird("dnp3_protocol_violation", ts, frame, is_orig, detail))
        self.violated = True
        self._buf = [b"", b""]
        self._tr = [{}, {}]

    def _frame(self, buf: bytes, off: int, length: int, d: int, is_orig: bool, ts: float, frame: int,
               out: list[Event]) -> None:
        self.frames += 1
        ctrl = buf[off + 3]
        dst, src = _ADDR.unpack_from(buf, off + 4)
        prm = 1 if ctrl & CTRL_PRM else 0
        func = ctrl & 0x0F
        if prm and func in USER_DATA_FUNCTIONS:
            if length == 5:
                out.append(weird("dnp3_empty_user_data", ts, frame, is_orig, f"link {src} -> {dst}"))
                return
            ud, bad = _user_data(buf, off, length)
            if bad:
                self.crc_errors += bad
                out.append(weird("dnp3_bad_data_crc", ts, frame, is_orig,
                                 f"link {src} -> {dst}: {bad} user data block(s) with a wrong CRC, segment dropped"))
                return
            self._segment(ud, ctrl, src, dst, d, is_orig, ts, frame, out)
            return
        out.append(Event(_LINK_EVENTS[prm][func], ts, frame, is_orig, {
            "link_src": src, "link_dst": dst, "link_control": ctrl, "link_function_code": func,
            "link_function": _LINK_NAMES[prm][func], "link_dir": bool(ctrl & CTRL_DIR), "link_prm": bool(prm),
            "link_fcb": bool(ctrl & CTRL_FCB), "link_fcv": bool(ctrl & CTRL_FCV),
        }))
        if length > 5:
            out.append(weird("dnp3_unexpected_link_data", ts, frame, is_orig,
                             f"{length - 5} bytes of user data with link function {_LINK_NAMES[prm][func]}"))

    # -- transport layer --------------------------------------------------------------------------

    def _segment(self, ud: bytes, ctrl: int, src: int, dst: int, d: int, is_orig: bool, ts: float, frame: int,
                 out: list[Event]) -> None:
        th = ud[0]
        seq = th & TR_SEQ
        key = (src, dst)
        tr = self._tr[d]
        if th & TR_FIR:
            p = tr.pop(key, None)
            if p is not None:
                out.append(weird("dnp3_transport_incomplete_fragment", ts, frame, is_orig,
                                 f"link {src} -> {dst}: new first segment, {p.size} bytes in {p.segments} "
                                 "segment(s) discarded"))
            if th & TR_FIN:
                self._app(ud[1:], ctrl, src, dst, 1, is_orig, ts, frame, out)
                return
            if len(tr) >= MAX_ASSOCIATIONS:
                del tr[next(iter(tr))]
            tr[key] = _Partial(ud[1:], seq)
            return
        p = tr.get(key)
        if p is None:
            out.append(weird("dnp3_transport_no_first_segment", ts, frame, is_orig,
                             f"link {src} -> {dst}: segment {seq} without a first segment"))
            return
        if seq == p.seq:
            out.append(weird("dnp3_transport_duplicate_segment", ts, frame, is_orig,
                             f"link {src} -> {dst}: segment {seq} repeated, ignored"))
            return
        if seq != (p.seq + 1) & TR_SEQ:
            del tr[key]
            out.append(weird("dnp3_transport_sequence_error", ts, frame, is_orig,
                             f"link {src} -> {dst}: segment {seq} after {p.seq}, {p.size} bytes discarded"))
            return
        p.parts.append(ud[1:])
        p.size += len(ud) - 1
        p.seq = seq
        p.segments += 1
        if p.size > MAX_FRAGMENT:
            del tr[key]
            out.append(weird("dnp3_fragment_too_large", ts, frame, is_orig,
                             f"link {src} -> {dst}: more than {MAX_FRAGMENT} bytes, discarded"))
            return
        if th & TR_FIN:
            del tr[key]
            self._app(b"".join(p.parts), ctrl, src, dst, p.segments, is_orig, ts, frame, out)

    # -- application layer ------------------------------------------------------------------------

    def _app(self, frag: bytes, ctrl: int, src: int, dst: int, segments: int, is_orig: bool, ts: float,
             frame: int, out: list[Event]) -> None:
        self.fragments += 1
        n = len(frag)
        if n < 2:
            out.append(weird("dnp3_truncated_application_header", ts, frame, is_orig,
                             f"link {src} -> {dst}: fragment of {n} byte(s)"))
            return
        ac = frag[0]
        fc = frag[1]
        objects: list[dict[str, Any]] = []
        f: dict[str, Any] = {
            "link_src": src, "link_dst": dst, "link_control": ctrl, "link_dir": bool(ctrl & CTRL_DIR),
            "segments": segments, "app_control": ac, "fir": bool(ac & AC_FIR), "fin": bool(ac & AC_FIN),
            "con": bool(ac & AC_CON), "uns": bool(ac & AC_UNS), "seq": ac & AC_SEQ,
            "function_code": fc, "function": FUNCTION_NAMES[fc], "iin": None, "iin_flags": [],
            "objects": objects,
        }
        problem: tuple[str, str] | None = None
        off = 2
        is_response = fc in RESPONSE_FUNCTIONS
        if is_response:
            if n < 4:
                problem = ("dnp3_truncated_application_header", f"response of {n} bytes has no IIN")
                off = n
            else:
                iin = frag[2] << 8 | frag[3]
                f["iin"] = iin
                if iin:
                    f["iin_flags"] = iin_flags(iin)
                off = 4
        if fc not in FUNCTIONS:
            f["data"] = frag[off:off + 256].hex()
        elif off < n:
            identity: dict[str, Any] = {}
            try:
                parse_objects(frag, off, fc, is_response, objects, identity)
            except ObjectError as e:
                problem = (e.name, e.detail)
            except (struct.error, IndexError, ValueError) as e:  # never raise into the sensor
                problem = ("dnp3_malformed_objects", f"{type(e).__name__}: {e}")
            if identity:
                f["identity"] = identity
        out.append(Event(EVENT_NAMES[fc], ts, frame, is_orig, f))
        if problem is not None:
            out.append(weird(problem[0], ts, frame, is_orig, f"{FUNCTION_NAMES[fc]}: {problem[1]}"))

    # -- loss and end -----------------------------------------------------------------------------

    def gap(self, nbytes: int, is_orig: bool, ts: float, frame: int) -> list[Event]:
        d = 1 if is_orig else 0
        self._buf[d] = b""
        self._resync[d] = True
        self._tr[d].clear()
        return []

    def finish(self, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        if self.violated:
            return out
        for d in (1, 0):
            left = len(self._buf[d])
            if left and not self._resync[d]:
                out.append(weird("dnp3_incomplete_frame", ts, frame, d == 1, f"{left} bytes"))
            self._buf[d] = b""
            for (src, dst), p in self._tr[d].items():
                out.append(weird("dnp3_transport_incomplete_fragment", ts, frame, d == 1,
                                 f"link {src} -> {dst}: flow ended, {p.size} bytes in {p.segments} segment(s)"))
            self._tr[d].clear()
        return out


class Dnp3UdpDecoder(Dnp3Decoder):
    """DNP3 over UDP: each datagram holds whole link frames; transport reassembly spans datagrams."""

    transport: ClassVar[str] = "udp"

    __slots__ = ()

    def feed(self, data: bytes, is_orig: bool, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        if self.violated or not data:
            return out
        d = 1 if is_orig else 0
        self._resync[d] = False
        off = self._frames(data, d, is_orig, ts, frame, out)
        if not self.violated and off < len(data) and not self._resync[d]:
            out.append(weird("dnp3_truncated_frame", ts, frame, is_orig,
                             f"datagram ends inside a link frame ({len(data) - off} bytes)"))
        self._resync[d] = False
        return out
