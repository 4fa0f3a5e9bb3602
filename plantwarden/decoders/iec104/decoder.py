"""The IEC 60870-5-104 decoder: APCI framing per direction, one event per APDU.

See docs/protocols/iec104.md for every event, field and weird this module emits.
"""

from __future__ import annotations

from typing import Any, ClassVar

from plantwarden.core.events import Event, weird
from plantwarden.decoders.base import Decoder
from plantwarden.decoders.iec104 import framing
from plantwarden.decoders.iec104.activity import activity as classify_activity
from plantwarden.decoders.iec104.constants import (
    ASDU_EVENTS,
    ASDU_HEADER,
    CAUSE_NAMES,
    MAX_BUFFER,
    MAX_JUNK_UNCONFIRMED,
    MIN_LENGTH,
    S_EVENT,
    START,
    TYPE_NAMES,
    U_EVENTS,
    U_FUNCTIONS,
    U_NAMES,
)
from plantwarden.decoders.iec104.elements import ELEMENTS, SEGMENT_TYPE

_ELEMENTS = tuple(ELEMENTS.get(t) for t in range(256))

# per-direction framing modes
_SYNC = 0  # at an APDU boundary
_LOOSE = 1  # junk after an APDU on a confirmed flow: next 0x68 with a sane length (as Wireshark)
_STRICT = 2  # not yet confirmed, or after a gap: next plausible APDU


class Iec104Decoder(Decoder):
    """IEC 60870-5-104 (APCI + ASDU) decoder. Either side may send I, S and U frames."""

    name: ClassVar[str] = "iec104"
    transport: ClassVar[str] = "tcp"
    default_ports: ClassVar[tuple[int, ...]] = (2404,)
    activity = staticmethod(classify_activity)

    __slots__ = ("_buf", "_mode", "_junk", "_next_send", "confirmed", "apdus", "resyncs")

    def __init__(self) -> None:
        super().__init__()
        # index 1: originator -> responder; index 0: the other direction
        self._buf: list[bytes] = [b"", b""]
        self._mode = [_SYNC, _SYNC]
        self._junk = [0, 0]
        #: the send sequence number expected in the next I frame of each direction (None: unknown)
        self._next_send: list[int | None] = [None, None]
        #: at least one well-formed APDU was seen on this flow
        self.confirmed = False
        self.apdus = 0
        self.resyncs = 0

    @classmethod
    def probe(cls, data: bytes, is_orig: bool) -> float:
        return framing.probe(data)

    # -- stream -----------------------------------------------------------------------------------

    def feed(self, data: bytes, is_orig: bool, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        if self.violated or not data:
            return out
        d = 1 if is_orig else 0
        buf = self._buf[d]
        mode = self._mode[d]
        if not buf and mode == _SYNC and self.confirmed and data[0] == START and len(data) > 1:
            # fast path: a segment that is exactly one APDU (the common case)
            length = data[1]
            if length + 2 == len(data) and length >= MIN_LENGTH:
                self._apdu(data, 2, len(data), d, is_orig, ts, frame, out)
                return out
        buf = buf + data if buf else data
        n = len(buf)
        off = 0
        if mode == _SYNC and not self.confirmed:
            mode = _STRICT
        while off < n:
            if mode != _SYNC:
                j = framing.find_start(buf, off, mode == _STRICT)
                if j < 0:
                    # keep nothing: no start byte in the rest
                    self._junk[d] += n - off
                    off = n
                    break
                if mode == _STRICT and framing.plausible(buf, j) == framing.MAYBE:
                    self._junk[d] += j - off
                    off = j
                    break  # wait for the bytes that decide
                self._junk[d] += j - off
                off = j
                if self._junk[d]:
                    self.resyncs += 1
                    out.append(weird("iec104_resync", ts, frame, is_orig, f"{self._junk[d]} bytes skipped"))
                self._junk[d] = 0
                mode = _SYNC
            if n - off < 2:
                break
            if buf[off] != START or buf[off + 1] < MIN_LENGTH:
                if buf[off] == START:
                    out.append(weird("iec104_bad_length", ts, frame, is_orig, f"APDU length {buf[off + 1]}"))
                mode = _LOOSE if self.confirmed else _STRICT
                if buf[off] == START:
                    self._junk[d] += 1
                    off += 1
                continue
            end = off + 2 + buf[off + 1]
            if end > n:
                break
            self._apdu(buf, off + 2, end, d, is_orig, ts, frame, out)
            off = end
        if self._junk[d] > MAX_JUNK_UNCONFIRMED and not self.confirmed:
            out.append(weird("iec104_protocol_violation", ts, frame, is_orig,
                             f"no IEC 60870-5-104 APDU in {self._junk[d]} bytes"))
            self.violated = True
            self._buf = [b"", b""]
            return out
        self._mode[d] = mode
        rest = buf[off:] if off < n else b""
        if len(rest) > MAX_BUFFER:  # cannot happen with lengths <= 255, but stay bounded
            rest = b""
        self._buf[d] = rest
        return out

    # -- one APDU ---------------------------------------------------------------------------------

    def _apdu(self, buf: bytes, s: int, end: int, d: int, is_orig: bool, ts: float, frame: int,
              out: list[Event]) -> None:
        self.apdus += 1
        self.confirmed = True
        c0 = buf[s]
        if c0 & 1 == 0:
            send = (c0 | buf[s + 1] << 8) >> 1
            recv = (buf[s + 2] | buf[s + 3] << 8) >> 1
            exp = self._next_send[d]
            self._next_send[d] = (send + 1) & 0x7FFF
            a = s + 4
            if end - a >= ASDU_HEADER:
                t = buf[a]
                vsq = buf[a + 1]
                cot = buf[a + 2]
                f: dict[str, Any] = {
                    "frame_type": "I", "send_seq": send, "recv_seq": recv, "u_function": None,
                    "type_id": t, "type_name": TYPE_NAMES[t], "sq": vsq >= 0x80, "num_objects": vsq & 0x7F,
                    "cause": cot & 0x3F, "cause_name": CAUSE_NAMES[cot & 0x3F], "negative": bool(cot & 0x40),
                    "test": cot >= 0x80, "originator_address": buf[a + 3],
                    "common_address": buf[a + 4] | buf[a + 5] << 8,
                }
                problem = self._objects(buf, a + ASDU_HEADER, end, t, vsq, f)
            else:
                f = {"frame_type": "I", "send_seq": send, "recv_seq": recv, "u_function": None}
                problem = self._short_asdu(buf, a, end, f)
            out.append(Event(ASDU_EVENTS[f["type_id"]] if "type_id" in f else "iec104_unknown_asdu",
                             ts, frame, is_orig, f))
            if problem:
                out.append(weird(problem[0], ts, frame, is_orig, problem[1]))
            if exp is not None and exp != send:
                out.append(weird("iec104_send_seq_gap", ts, frame, is_orig, f"expected {exp}, got {send}"))
            return
        if c0 & 3 == 1:
            recv = (buf[s + 2] | buf[s + 3] << 8) >> 1
            out.append(Event(S_EVENT, ts, frame, is_orig,
                             {"frame_type": "S", "send_seq": None, "recv_seq": recv, "u_function": None}))
        else:
            out.append(Event(U_EVENTS[c0], ts, frame, is_orig,
                             {"frame_type": "U", "send_seq": None, "recv_seq": None, "u_function": U_NAMES[c0]}))
            if c0 not in U_FUNCTIONS:
                out.append(weird("iec104_bad_u_function", ts, frame, is_orig, f"control byte 0x{c0:02x}"))
        if end - s != 4:
            out.append(weird("iec104_bad_length", ts, frame, is_orig,
                             f"{'S' if c0 & 3 == 1 else 'U'} frame with APDU length {end - s}"))

    @staticmethod
    def _short_asdu(buf: bytes, a: int, end: int, f: dict[str, Any]) -> tuple[str, str]:
        """An ASDU shorter than its header: the fields that fit."""
        size = end - a
        if size >= 1:
            f["type_id"] = t = buf[a]
            f["type_name"] = TYPE_NAMES[t]
        if size >= 3:
            cot = buf[a + 2]
            f["cause"] = cot & 0x3F
            f["cause_name"] = CAUSE_NAMES[cot & 0x3F]
        if size >= 4:
            f["originator_address"] = buf[a + 3]
        f["objects"] = []
        f["ioa"] = None
        return ("iec104_short_asdu", f"{size} bytes of ASDU, the header needs {ASDU_HEADER}")

    @staticmethod
    def _objects(buf: bytes, p: int, end: int, t: int, vsq: int, f: dict[str, Any]) -> tuple[str, str] | None:
        """Put the information objects of ``buf[p:end]`` into ``f``; return a (weird name, detail)
        when they do not fit the ASDU."""
        count = vsq & 0x7F
        sq = vsq >= 0x80
        objs: list[dict[str, Any]] = []
        f["objects"] = objs
        el = _ELEMENTS[t]
        if el is None:
            f["ioa"] = buf[p] | buf[p + 1] << 8 | buf[p + 2] << 16 if end - p >= 3 else None
            f["data"] = buf[p:end].hex()
            return None
        esize, read = el
        problem: tuple[str, str] | None = None
        if sq:
            if end - p < 3:
                problem = ("iec104_asdu_length_mismatch", f"{f['type_name']}: no room for the first IOA")
            else:
                ioa = buf[p] | buf[p + 1] << 8 | buf[p + 2] << 16
                p += 3
                for i in range(count):
                    if p + esize > end:
                        break
                    obj: dict[str, Any] = {"ioa": ioa + i}
                    read(buf, p, obj)
                    p += esize
                    objs.append(obj)
        else:
            step = 3 + esize
            for _ in range(count):
                if p + step > end:
                    break
                obj = {"ioa": buf[p] | buf[p + 1] << 8 | buf[p + 2] << 16}
                read(buf, p + 3, obj)
                p += step
                if t == SEGMENT_TYPE:  # the segment's bytes follow the fixed part
                    seg = obj["length"]
                    obj["segment"] = buf[p:p + seg].hex()
                    p += seg
                objs.append(obj)
        f["ioa"] = objs[0]["ioa"] if objs else None
        if problem is None and (len(objs) != count or p != end):
            problem = ("iec104_asdu_length_mismatch",
                       f"{f['type_name']}: {count} objects announced, {len(objs)} read, {end - p} bytes left")
        return problem

    # -- loss and end -----------------------------------------------------------------------------

    def gap(self, nbytes: int, is_orig: bool, ts: float, frame: int) -> list[Event]:
        d = 1 if is_orig else 0
        self._buf[d] = b""
        self._mode[d] = _STRICT
        self._junk[d] = 0
        self._next_send[d] = None
        return []

    def finish(self, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        if self.violated:
            return out
        for d in (1, 0):
            left = len(self._buf[d])
            if left and self._mode[d] == _SYNC:
                out.append(weird("iec104_incomplete_apdu", ts, frame, d == 1, f"{left} bytes"))
            self._buf[d] = b""
        return out
