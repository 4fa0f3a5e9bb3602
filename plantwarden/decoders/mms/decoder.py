"""The IEC 61850 / ICCP MMS decoder: TPKT (RFC 1006) -> COTP (ISO 8073) -> session (ISO 8327) ->
presentation (ISO 8823) -> ACSE (ISO 8650) / MMS (ISO 9506), or MMS straight on COTP.

Sans-IO: the sensor feeds the reassembled byte stream of each direction; this class frames TPKTs,
reassembles COTP data fragments (EOT), walks the upper layers, pairs responses with their requests by
invokeID and returns one event per MMS PDU, ACSE APDU and COTP connection TPDU.
See docs/protocols/mms.md.
"""

from __future__ import annotations

import struct
from typing import Any, ClassVar

from plantwarden.core.events import Event, weird
from plantwarden.decoders.iso.transport import COTP_CC, COTP_CR, COTP_DT, IsoTransportDecoder, first_tpdu
from plantwarden.decoders.mms.ber import APP, tlv
from plantwarden.decoders.mms.constants import (
    PDU_TYPES,
    SERVICE_ERROR_EVENT,
    SERVICE_REQUEST_EVENT,
    SERVICE_RESPONSE_EVENT,
    SERVICES,
    SPDU_NAMES,
    UNCONFIRMED,
)
from plantwarden.decoders.mms.iso import acse, presentation, session
from plantwarden.decoders.mms.pdu import (
    PDU_CONFIRMED_ERROR,
    PDU_CONFIRMED_REQUEST,
    PDU_CONFIRMED_RESPONSE,
    PDU_UNCONFIRMED,
    mms_pdu,
)

MAX_PENDING = 1024  # unanswered confirmed requests remembered for pairing
MAX_CONTEXTS = 64
_ERRORS = (ValueError, IndexError, StopIteration, struct.error, OverflowError)
_PDU_EVENT = {4: "mms_reject", 5: "mms_cancel_request", 6: "mms_cancel_response", 7: "mms_cancel_error",
              8: "mms_initiate_request", 9: "mms_initiate_response", 10: "mms_initiate_error",
              11: "mms_conclude_request", 12: "mms_conclude_response", 13: "mms_conclude_error"}
_UNCONFIRMED_EVENT = {c: f"mms_{n}" for c, n in UNCONFIRMED.items()}
_SESSION_EVENT = {c: f"mms_session_{n}" for c, n in SPDU_NAMES.items()}
_PDU_CODES = {n: c for c, n in PDU_TYPES.items()}
#: services whose response carries the request's variable names as ``request_variables``
_PAIR_VARIABLES = frozenset({4, 5})


class MmsDecoder(IsoTransportDecoder):
    name: ClassVar[str] = "mms"
    prefix: ClassVar[str] = "mms"
    default_ports: ClassVar[tuple[int, ...]] = (102,)
    max_reassembly: ClassVar[int] = 1 << 20  # bytes of COTP fragments kept per direction

    def __init__(self) -> None:
        super().__init__()
        self._seen_mms = False
        self._pending: dict[int, tuple[int, Any]] = {}
        self._contexts: dict[int, str] = {}

    @classmethod
    def probe(cls, data: bytes, is_orig: bool) -> float:
        first = first_tpdu(data)
        if first is None or len(data) < 8:
            return -1.0
        ctype, payload = first
        if ctype == COTP_DT and len(data) > payload:
            if data[payload] in (0x0D, 0x0E, 0x01):  # session CONNECT / ACCEPT / give tokens + data
                return 0.9
            return 0.6 if data[payload] & 0x80 else -1.0
        return 0.4 if ctype in (COTP_CR, COTP_CC) else -1.0

    def finish(self, ts: float, frame: int) -> list[Event]:
        self._pending.clear()
        return []

    # -- session / presentation / ACSE ----------------------------------------------------------

    def _payload(self, pl: bytes, d: Any, is_orig: bool, ts: float, frame: int, out: list[Event]) -> None:
        first = pl[0]
        if first == 0x32 or first == 0x72:
            self._violation(out, ts, frame, is_orig, f"S7comm protocol id {first:#04x}")
            return
        if first & 0x80:  # an MMS PDU directly on COTP (no session / presentation)
            self._mms(pl, 0, len(pl), is_orig, ts, frame, out)
            return
        if first not in SPDU_NAMES:
            if not self._seen_mms:
                self._violation(out, ts, frame, is_orig, f"unknown ISO transport payload {first:#04x}")
            else:
                out.append(weird("mms_unknown_spdu", ts, frame, is_orig, str(first)))
            return
        f: dict[str, Any] = {}
        si = -1
        try:
            si, us, ue = session(pl, 0, len(pl), f)
            decoded = 0
            if us >= 0 and us < ue:
                for ctx, s, e in presentation(pl, us, ue, si, f, self._contexts):
                    decoded += self._pdv(pl, ctx, s, e, f, is_orig, ts, frame, out)
                    f = {}  # selectors and contexts go on the first PDU of the SPDU only
            if len(self._contexts) > MAX_CONTEXTS:
                self._contexts.clear()
            if decoded:
                self.confirmed = True
                self._seen_mms = True
            elif si != 1:
                out.append(Event(_SESSION_EVENT.get(si, f"mms_session_unknown_{si}"), ts, frame, is_orig, f))
        except _ERRORS as exc:
            if si != 1 and si >= 0 and f:
                out.append(Event(_SESSION_EVENT.get(si, f"mms_session_unknown_{si}"), ts, frame, is_orig, f))
            out.append(weird("mms_malformed_upper_layers", ts, frame, is_orig, f"{type(exc).__name__}: {exc}"))

    def _pdv(self, pl: bytes, ctx: int, s: int, e: int, f: dict[str, Any], is_orig: bool, ts: float,
             frame: int, out: list[Event]) -> int:
        """One presentation data value: ACSE or MMS by its context (or its tag class). Returns PDUs decoded."""
        if s >= e:
            return 0
        syntax = self._contexts.get(ctx)
        if syntax == "acse" or (syntax is None and pl[s] & 0xC0 == APP):
            t = tlv(pl, s, e)
            name, inner = acse(pl, t, f)
            if ctx >= 0:
                f["presentation_context"] = ctx
            out.append(Event(name, ts, frame, is_orig, f))
            for ms, me in inner:
                self._mms(pl, ms, me, is_orig, ts, frame, out)
            return 1
        self._mms(pl, s, e, is_orig, ts, frame, out, f)
        return 1

    # -- MMS -------------------------------------------------------------------------------------

    def _mms(self, pl: bytes, s: int, e: int, is_orig: bool, ts: float, frame: int, out: list[Event],
             f: dict[str, Any] | None = None) -> None:
        if f is None:
            f = {}
        pdu = svc = -1
        exc_text = ""
        try:
            pdu, svc = mms_pdu(pl, s, e, f)
            if svc < 0 and pdu <= PDU_CONFIRMED_RESPONSE:
                exc_text = "confirmed PDU without a service"
        except _ERRORS as exc:
            exc_text = f"{type(exc).__name__}: {exc}"
        if pdu < 0:
            if "pdu" not in f:
                out.append(weird("mms_malformed_pdu", ts, frame, is_orig, exc_text))
                return
            pdu = _PDU_CODES[f["pdu"]]
            svc = f.get("service_code", -1)
        self._seen_mms = True
        name = self._name(pdu, svc, f)
        out.append(Event(name, ts, frame, is_orig, f))
        if exc_text:
            out.append(weird("mms_malformed_pdu", ts, frame, is_orig, exc_text))

    def _name(self, pdu: int, svc: int, f: dict[str, Any]) -> str:
        if svc < 0 and (pdu in (PDU_CONFIRMED_REQUEST, PDU_CONFIRMED_RESPONSE)):
            return "mms_confirmed_request" if pdu == PDU_CONFIRMED_REQUEST else "mms_confirmed_response"
        if pdu == PDU_CONFIRMED_REQUEST:
            if svc >= 0:
                if len(self._pending) >= MAX_PENDING:
                    self._pending.clear()
                inv = f.get("invoke_id")
                if inv is not None:
                    self._pending[inv] = (svc, f.get("variables") if svc in _PAIR_VARIABLES else None)
            return SERVICE_REQUEST_EVENT.get(svc) or f"mms_unknown_{svc}_request"
        if pdu == PDU_CONFIRMED_RESPONSE:
            req = self._pending.pop(f.get("invoke_id", -1), None)
            if req is not None and req[1] is not None and req[0] == svc:
                f["request_variables"] = req[1]
            return SERVICE_RESPONSE_EVENT.get(svc) or f"mms_unknown_{svc}_response"
        if pdu == PDU_CONFIRMED_ERROR:
            req = self._pending.pop(f.get("invoke_id", -1), None)
            if req is None:
                return "mms_confirmed_error"
            f["service_code"] = req[0]
            f["service"] = SERVICES.get(req[0]) or f"unknown-{req[0]}"
            return SERVICE_ERROR_EVENT.get(req[0]) or f"mms_unknown_{req[0]}_error"
        if pdu == PDU_UNCONFIRMED:
            return _UNCONFIRMED_EVENT.get(svc) or f"mms_unknown_{svc}_unconfirmed"
        if pdu == 6:  # a cancelled request gets no other answer
            self._pending.pop(f.get("invoke_id", -1), None)
        return _PDU_EVENT.get(pdu) or f"mms_unknown_pdu_{pdu}"

