"""The MMSpdu (ISO 9506-2) level: PDU type, invokeID, service, then the service's parameters.

:func:`mms_pdu` fills an event's field dict and returns ``(pdu tag, service code)`` so that the
decoder can name the event (``mms_<service>_request`` ...) and pair responses with requests.
"""

from __future__ import annotations

from typing import Any, Final

from plantwarden.decoders.mms.ber import CONS, CTX, UNIV, Tlv, bits, children, integer, text, tlv
from plantwarden.decoders.mms.constants import (
    ERROR_CLASSES,
    PARAMETER_CBB,
    PDU_TYPES,
    REJECT_PDUS,
    SERVICES,
    SUPPORTED_BITS,
    UNCONFIRMED,
    name_of,
)
from plantwarden.decoders.mms.services import REQUESTS, RESPONSES, access_spec, values

Fields = dict[str, Any]

PDU_CONFIRMED_REQUEST: Final = 0
PDU_CONFIRMED_RESPONSE: Final = 1
PDU_CONFIRMED_ERROR: Final = 2
PDU_UNCONFIRMED: Final = 3
NO_SERVICE: Final = -1

_INITIATE_KEYS: Final = ("local_detail", "max_outstanding_calling", "max_outstanding_called", "max_nesting")


def service_error(buf: bytes, s: int, e: int, f: Fields) -> None:
    """ServiceError: errorClass [0] CHOICE -> ``error_class`` and ``error_code``; additional fields."""
    for c in children(buf, s, e):
        if c[1] == 0 and c[0] == CTX | CONS and c[2] < c[3]:
            ec = tlv(buf, c[2], c[3])
            f["error_class"] = name_of(ERROR_CLASSES, ec[1])
            f["error_code"] = integer(buf, ec[2], ec[3])
        elif c[1] == 1:
            f["additional_code"] = integer(buf, c[2], c[3])
        elif c[1] == 2:
            f["additional_description"] = text(buf, c[2], c[3])


def _initiate(buf: bytes, s: int, e: int, f: Fields) -> None:
    for c in children(buf, s, e):
        n = c[1]
        if n < 4 and c[0] == CTX:
            f[_INITIATE_KEYS[n]] = integer(buf, c[2], c[3])
        elif n == 4 and c[0] == CTX | CONS:
            for d in children(buf, c[2], c[3]):
                if d[1] == 0:
                    f["version"] = integer(buf, d[2], d[3])
                elif d[1] == 1:
                    f["parameter_cbb"] = bits(buf, d[2], d[3], PARAMETER_CBB)
                elif d[1] == 2:
                    f["services_supported"] = bits(buf, d[2], d[3], SUPPORTED_BITS)


def _service(f: Fields, t: Tlv) -> int:
    svc = t[1]
    f["service_code"] = svc
    f["service"] = SERVICES.get(svc) or f"unknown-{svc}"
    return svc


def mms_pdu(buf: bytes, s: int, e: int, f: Fields) -> tuple[int, int]:
    """Decode the MMSpdu at ``buf[s:e]`` into ``f``; return (PDU tag, service code or -1)."""
    ident, pdu, vs, ve = tlv(buf, s, e)
    if ident & 0xC0 != CTX or pdu > 13:
        raise ValueError(f"not an MMS PDU (tag {ident:#x}/{pdu})")
    f["pdu"] = PDU_TYPES[pdu]
    svc = NO_SERVICE
    if pdu in (PDU_CONFIRMED_REQUEST, PDU_CONFIRMED_RESPONSE):
        kids = children(buf, vs, ve)
        inv = next(kids)
        f["invoke_id"] = integer(buf, inv[2], inv[3])
        t = next(kids, None)
        if t is not None and t[0] == UNIV | CONS and pdu == PDU_CONFIRMED_REQUEST:  # listOfModifier
            t = next(kids, None)
        if t is None:
            return pdu, NO_SERVICE  # an invokeID without a service: the decoder reports it as malformed
        if t[0] & 0xC0 != CTX:
            raise ValueError(f"no service in the confirmed PDU (tag {t[0]:#x}/{t[1]})")
        svc = _service(f, t)
        parse = (REQUESTS if pdu == PDU_CONFIRMED_REQUEST else RESPONSES).get(svc)
        if parse is not None:
            parse(buf, t, f)
    elif pdu == PDU_CONFIRMED_ERROR:
        for c in children(buf, vs, ve):
            if c[1] == 0:
                f["invoke_id"] = integer(buf, c[2], c[3])
            elif c[1] == 1:
                f["modifier_position"] = integer(buf, c[2], c[3])
            elif c[1] == 2:
                service_error(buf, c[2], c[3], f)
    elif pdu == PDU_UNCONFIRMED:
        t = tlv(buf, vs, ve)
        svc = t[1]
        f["service_code"] = svc
        f["service"] = name_of(UNCONFIRMED, svc)
        if svc == 0 and t[0] == CTX | CONS:  # informationReport
            kids = children(buf, t[2], t[3])
            access_spec(buf, next(kids), f)
            res = next(kids, None)
            if res is not None:
                values(buf, res[2], res[3], f)
    elif pdu == 4:  # reject
        for c in children(buf, vs, ve):
            if c[1] == 0:
                f["invoke_id"] = integer(buf, c[2], c[3])
            else:
                f["rejected_pdu"] = name_of(REJECT_PDUS, c[1])
                f["reject_code"] = integer(buf, c[2], c[3])
    elif pdu == 5 or pdu == 6:  # cancel request / response: the invokeID itself
        f["invoke_id"] = integer(buf, vs, ve)
    elif pdu == 7:  # cancel error
        for c in children(buf, vs, ve):
            if c[1] == 0:
                f["invoke_id"] = integer(buf, c[2], c[3])
            elif c[1] == 1:
                service_error(buf, c[2], c[3], f)
    elif pdu == 8 or pdu == 9:
        _initiate(buf, vs, ve, f)
    elif pdu == 10 or pdu == 13:  # initiate / conclude error: a ServiceError
        service_error(buf, vs, ve, f)
    return pdu, svc
