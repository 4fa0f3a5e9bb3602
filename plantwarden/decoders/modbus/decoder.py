"""The Modbus/TCP decoder: MBAP framing per direction, request/response pairing, one event per ADU.

See docs/protocols/modbus.md for every event, field and weird this module emits.
"""

from __future__ import annotations

from typing import Any, ClassVar

from plantwarden.core.events import Event, weird
from plantwarden.decoders.base import Decoder
from plantwarden.decoders.modbus import framing
from plantwarden.decoders.modbus.activity import activity as classify_activity
from plantwarden.decoders.modbus.constants import (
    EXCEPTION_BIT,
    EXCEPTION_EVENTS,
    EXCEPTION_NAMES,
    FUNCTION_NAMES,
    MAX_ACCEPTED_LENGTH,
    MAX_BUFFER,
    MAX_LENGTH,
    MAX_PENDING,
    MBAP_LEN,
    MEI_EVENTS,
    MEI_FC,
    MIN_LENGTH,
    REQUEST_EVENTS,
    RESPONSE_EVENTS,
)
from plantwarden.decoders.modbus.messages import MALFORMED, REQUEST_PARSERS, RESPONSE_PARSERS, PduError

_HEADER = framing.HEADER
_unpack_header = _HEADER.unpack_from
#: bytes a resynchronising direction keeps when no header is found (a header may straddle)
_KEEP = MBAP_LEN
#: bytes a direction may discard while resynchronising, before a flow that was never confirmed
#: (or stopped making sense) is declared not Modbus
_MAX_JUNK = MAX_BUFFER


class ModbusDecoder(Decoder):
    """Modbus/TCP (MBAP) decoder. The originator sends requests, the responder responses."""

    name: ClassVar[str] = "modbus"
    transport: ClassVar[str] = "tcp"
    default_ports: ClassVar[tuple[int, ...]] = (502,)
    activity = staticmethod(classify_activity)

    __slots__ = (
        "_buf", "_resync", "_junk", "_pending", "confirmed", "adus", "unmatched_responses",
        "unanswered_requests", "resyncs",
    )

    def __init__(self) -> None:
        super().__init__()
        # index 1: originator -> responder (requests); index 0: responses
        self._buf: list[bytes] = [b"", b""]
        self._resync = [False, False]
        self._junk = [0, 0]
        #: transaction id -> (function code, request context)
        self._pending: dict[int, tuple[int, Any]] = {}
        #: at least one well-formed ADU was seen on this flow
        self.confirmed = False
        self.adus = 0
        self.unmatched_responses = 0
        self.unanswered_requests = 0
        self.resyncs = 0

    @classmethod
    def probe(cls, data: bytes, is_orig: bool) -> float:
        return framing.probe(data, is_orig)

    # -- stream -----------------------------------------------------------------------------------

    def feed(self, data: bytes, is_orig: bool, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        if self.violated or not data:
            return out
        d = 1 if is_orig else 0
        buf = self._buf[d]
        if not buf and not self._resync[d] and len(data) > MBAP_LEN:
            # fast path: a segment that is exactly one well-formed ADU (the common case)
            tid, pid, length, unit, fc = _unpack_header(data, 0)
            if pid == 0 and MIN_LENGTH <= length <= MAX_LENGTH and length + 6 == len(data):
                self._adu(data, 0, len(data), tid, unit, fc, is_orig, ts, frame, out)
                return out
        old = len(buf)
        buf = buf + data if old else data
        n = len(buf)
        off = 0
        if self._resync[d]:
            # a segment boundary is the likeliest ADU boundary: try the new data first
            if old and framing.consistent_at(buf, old):
                off = old
                self._resync[d] = False
                self._junk[d] = 0
            else:
                off = self._find(buf, 0, d, ts, frame, is_orig, out)
                if off < 0:
                    return out
        while n - off > MBAP_LEN:
            tid, pid, length, unit, fc = _unpack_header(buf, off)
            if pid != 0 or length < MIN_LENGTH or length > MAX_ACCEPTED_LENGTH:
                if not self.confirmed:
                    return self._violation(out, ts, frame, is_orig, pid, length)
                out.append(weird("modbus_bad_header", ts, frame, is_orig,
                                 f"protocol id {pid}, length {length}"))
                self.resyncs += 1
                off = self._find(buf, off + 1, d, ts, frame, is_orig, out)
                if off < 0:
                    return out
                continue
            end = off + 6 + length
            if end > n:
                break
            self._adu(buf, off, end, tid, unit, fc, is_orig, ts, frame, out)
            if length > MAX_LENGTH:
                out.append(weird("modbus_oversized_adu", ts, frame, is_orig,
                                 f"transaction {tid}: length {length} > {MAX_LENGTH}"))
            off = end
        self._buf[d] = buf[off:] if off < n else b""
        return out

    def _find(self, buf: bytes, start: int, d: int, ts: float, frame: int, is_orig: bool,
              out: list[Event]) -> int:
        """Resynchronise direction ``d`` from ``start``: the offset of the next plausible ADU, or -1
        after keeping the tail of ``buf`` (and, past the junk limit, declaring a violation)."""
        n = len(buf)
        j = start if framing.consistent_at(buf, start) else framing.resync(buf, start)
        if j >= 0:
            self._resync[d] = False
            self._junk[d] = 0
            return j
        self._resync[d] = True
        keep = max(start, n - _KEEP)
        self._junk[d] += keep - start
        self._buf[d] = buf[keep:]
        if self._junk[d] > _MAX_JUNK:
            self._violation(out, ts, frame, is_orig, -1, -1)
        return -1

    def _violation(self, out: list[Event], ts: float, frame: int, is_orig: bool, pid: int,
                   length: int) -> list[Event]:
        if pid >= 0:
            detail = f"not Modbus/TCP: protocol id {pid}, length {length}"
        else:
            detail = f"no Modbus/TCP header in {self._junk[1 if is_orig else 0]} bytes"
        out.append(weird("modbus_protocol_violation", ts, frame, is_orig, detail))
        self.violated = True
        self._buf = [b"", b""]
        self._pending.clear()
        return out

    # -- one ADU ----------------------------------------------------------------------------------

    def _adu(self, buf: bytes, off: int, end: int, tid: int, unit: int, fc: int, is_orig: bool,
             ts: float, frame: int, out: list[Event]) -> None:
        self.adus += 1
        self.confirmed = True
        base = fc & 0x7F
        f: dict[str, Any] = {
            "transaction_id": tid, "unit_id": unit, "function_code": base,
            "function": FUNCTION_NAMES[base], "exception_code": None, "exception": None,
        }
        s = off + MBAP_LEN + 1
        ctx: Any = None
        problem: PduError | None = None

        if not is_orig:
            p = self._pending.pop(tid, None)
            if p is None:
                self.unmatched_responses += 1
                out.append(weird("modbus_response_without_request", ts, frame, is_orig,
                                 f"transaction {tid}, function {base}"))
            elif p[0] != base:
                out.append(weird("modbus_response_function_mismatch", ts, frame, is_orig,
                                 f"transaction {tid}: request function {p[0]}, response function {base}"))
            else:
                ctx = p[1]

        if fc & EXCEPTION_BIT:
            if is_orig:
                out.append(weird("modbus_exception_from_originator", ts, frame, is_orig, f"transaction {tid}"))
            if s < end:
                code = buf[s]
                f["exception_code"] = code
                f["exception"] = EXCEPTION_NAMES[code]
                if s + 1 < end:
                    problem = PduError("modbus_trailing_bytes", f"{end - s - 1} bytes after the exception code")
            else:
                problem = PduError(MALFORMED, "exception response without exception code")
            name = EXCEPTION_EVENTS[base]
            if base <= 4 and ctx is not None:
                f["address"], f["quantity"] = ctx
            elif base == MEI_FC and ctx is not None:
                f["subfunction"] = ctx
                name = MEI_EVENTS.get(ctx, (name, name, name))[2]
        else:
            if is_orig:
                try:
                    ctx = REQUEST_PARSERS[base](buf, s, end, f)
                except PduError as e:
                    problem = e
                except Exception as e:  # a short or odd PDU: never raise into the sensor
                    problem = PduError(MALFORMED, f"{type(e).__name__}: {e}")
                pending = self._pending
                if tid in pending or len(pending) >= MAX_PENDING:
                    if tid not in pending:
                        del pending[next(iter(pending))]
                    self.unanswered_requests += 1
                pending[tid] = (base, ctx)
                name = REQUEST_EVENTS[base]
            else:
                try:
                    RESPONSE_PARSERS[base](buf, s, end, f, ctx)
                except PduError as e:
                    problem = e
                except Exception as e:
                    problem = PduError(MALFORMED, f"{type(e).__name__}: {e}")
                name = RESPONSE_EVENTS[base]
            if base == MEI_FC:
                names = MEI_EVENTS.get(f.get("subfunction", -1))
                if names is not None:
                    name = names[0] if is_orig else names[1]

        out.append(Event(name, ts, frame, is_orig, f))
        if problem is not None:
            out.append(weird(problem.name, ts, frame, is_orig,
                             f"{FUNCTION_NAMES[base]} transaction {tid}: {problem.detail}"))

    # -- loss and end -----------------------------------------------------------------------------

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
        self.unanswered_requests += len(self._pending)
        self._pending.clear()
        if self.unanswered_requests:
            out.append(weird("modbus_unanswered_requests", ts, frame, None, str(self.unanswered_requests)))
        for d in (1, 0):
            left = len(self._buf[d])
            if left and not self._resync[d]:
                out.append(weird("modbus_incomplete_adu", ts, frame, d == 1, f"{left} bytes"))
            self._buf[d] = b""
        return out
