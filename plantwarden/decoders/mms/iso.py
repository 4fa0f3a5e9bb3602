"""The ISO upper layers under MMS: session (ISO 8327-1), presentation (ISO 8823) and ACSE (ISO 8650).

Sans-IO helpers over ``(buf, start, end)``; malformed input raises ``ValueError``/``IndexError``.
"""

from __future__ import annotations

from typing import Any, Final

from plantwarden.decoders.mms.ber import APP, CONS, CTX, UNIV, Tlv, bits, children, integer, oid, tlv
from plantwarden.decoders.mms.constants import (
    ACSE_ABORT_SOURCES,
    ACSE_RESULTS,
    OIDS,
    PRES_RESULTS,
    RELEASE_REASONS,
    SPDU_ABORT,
    SPDU_ACCEPT,
    SPDU_CONNECT,
    SPDU_GIVE_TOKENS_OR_DATA,
    SPDU_REFUSE,
    name_of,
)

Fields = dict[str, Any]
Span = tuple[int, int]  # start, end of an embedded PDU

#: ACSE APDU tag ([APPLICATION n]) -> event name
ACSE_EVENTS: Final = {0: "mms_associate_request", 1: "mms_associate_response", 2: "mms_release_request",
                      3: "mms_release_response", 4: "mms_associate_abort"}
_ACSE_REQ_FLAGS: Final = ("authentication", "application_context_negotiation", "higher_level_association",
                          "nested_association")


def _li(buf: bytes, off: int, end: int) -> tuple[int, int]:
    """A session length indicator at ``off``: (value, offset after it)."""
    v = buf[off]
    if v == 0xFF:
        if off + 3 > end:
            raise ValueError("truncated session length")
        return (buf[off + 1] << 8) | buf[off + 2], off + 3
    return v, off + 1


def session(buf: bytes, s: int, e: int, f: Fields) -> tuple[int, int, int]:
    """The SPDU(s) of one TSDU: (SPDU type, user data start, end); start == -1 when there is none."""
    si = buf[s]
    li, off = _li(buf, s + 1, e)
    pend = off + li
    if pend > e:
        raise ValueError("SPDU longer than its TSDU")
    if si == SPDU_GIVE_TOKENS_OR_DATA or si == 2:
        # a category 0 SPDU (give / please tokens) followed by DATA TRANSFER, or a lone DATA TRANSFER
        if pend < e and buf[pend] == SPDU_GIVE_TOKENS_OR_DATA:
            li, off = _li(buf, pend + 1, e)
            pend = off + li
            if pend > e:
                raise ValueError("SPDU longer than its TSDU")
        return SPDU_GIVE_TOKENS_OR_DATA, (pend if pend < e else -1), e
    ud_s, ud_e = -1, -1
    p = off
    while p + 2 <= pend:
        code = buf[p]
        plen, q = _li(buf, p + 1, pend)
        qe = q + plen
        if qe > pend:
            raise ValueError("session parameter beyond its SPDU")
        if code == 51:
            f["calling_session_selector"] = buf[q:qe].hex()
        elif code == 52:
            f["called_session_selector"] = buf[q:qe].hex()
        elif code == 193 or code == 194:
            ud_s, ud_e = q, qe
        elif code == 50 and si == SPDU_REFUSE and plen:
            f["refuse_reason"] = buf[q]
        elif code == 17 and si == SPDU_ABORT and plen:
            f["transport_disconnect"] = buf[q]
        p = qe
    if si == SPDU_REFUSE and ud_s < 0 and pend < e:
        ud_s, ud_e = pend, e
    return si, ud_s, ud_e


def _pdvs(buf: bytes, t: Tlv, out: list[tuple[int, int, int]]) -> None:
    """Presentation User-data -> [(presentation context id, content start, content end)]."""
    ident, num, s, e = t
    if ident == APP and num == 0:  # simply-encoded-data
        out.append((-1, s, e))
        return
    if ident != APP | CONS or num != 1:
        raise ValueError("not presentation user data")
    for pdv in children(buf, s, e):
        ctx = -1
        for c in children(buf, pdv[2], pdv[3]):
            if c[0] == UNIV and c[1] == 2:
                ctx = integer(buf, c[2], c[3])
            elif c[0] == CTX | CONS and c[1] == 0 or c[0] == CTX and c[1] == 1:  # single-ASN1-type
                out.append((ctx, c[2], c[3]))


def presentation(buf: bytes, s: int, e: int, si: int, f: Fields,
                 contexts: dict[int, str]) -> list[tuple[int, int, int]]:
    """The presentation PPDU of an SPDU's user data: fills ``f`` (selectors, contexts) and ``contexts``
    (id -> abstract syntax name), returns the PDVs it carries."""
    t = tlv(buf, s, e)
    out: list[tuple[int, int, int]] = []
    if si in (SPDU_CONNECT, SPDU_ACCEPT) and t[0] == UNIV | CONS and t[1] == 17:  # CP / CPA (SET)
        for c in children(buf, t[2], t[3]):
            if c[0] == CTX | CONS and c[1] == 2:  # normal-mode-parameters
                for p in children(buf, c[2], c[3]):
                    _pres_param(buf, p, f, contexts, out)
            elif c[0] == CTX | CONS and c[1] == 0 and c[2] < c[3]:
                mode = tlv(buf, c[2], c[3])
                f["presentation_mode"] = "normal" if integer(buf, mode[2], mode[3]) == 1 else "x410"
        return out
    if t[0] == CTX | CONS and t[1] == 0:  # ARU-PPDU normal mode
        for c in children(buf, t[2], t[3]):
            if c[0] & APP:
                _pdvs(buf, c, out)
        return out
    if t[0] & APP:
        _pdvs(buf, t, out)
    return out


def _pres_param(buf: bytes, p: Tlv, f: Fields, contexts: dict[int, str], out: list[tuple[int, int, int]]) -> None:
    ident, num, s, e = p
    if ident & APP:
        _pdvs(buf, p, out)
    elif ident == CTX and num == 1:
        f["calling_presentation_selector"] = buf[s:e].hex()
    elif ident == CTX and num == 2:
        f["called_presentation_selector"] = buf[s:e].hex()
    elif ident == CTX and num == 3:
        f["responding_presentation_selector"] = buf[s:e].hex()
    elif ident == CTX | CONS and num == 4:  # presentation-context-definition-list
        lst = []
        for item in children(buf, s, e):
            d: dict[str, Any] = {}
            for c in children(buf, item[2], item[3]):
                if c[0] == UNIV and c[1] == 2:
                    d["id"] = integer(buf, c[2], c[3])
                elif c[0] == UNIV and c[1] == 6:
                    syntax = oid(buf, c[2], c[3])
                    d["abstract_syntax"] = syntax
                    d["name"] = OIDS.get(syntax, "unknown")
            if "id" in d and "name" in d:
                contexts[d["id"]] = d["name"]
            lst.append(d)
        f["presentation_contexts"] = lst
    elif ident == CTX | CONS and num == 5:  # presentation-context-definition-result-list
        res = []
        for item in children(buf, s, e):
            for c in children(buf, item[2], item[3]):
                if c[0] == CTX and c[1] == 0:
                    res.append(name_of(PRES_RESULTS, integer(buf, c[2], c[3])))
        f["presentation_results"] = res


def _ap_title(buf: bytes, t: Tlv) -> Any:
    inner = tlv(buf, t[2], t[3])
    if inner[0] == UNIV and inner[1] == 6:
        return oid(buf, inner[2], inner[3])
    return buf[inner[2]:inner[3]].hex()


def _ae_qualifier(buf: bytes, t: Tlv) -> Any:
    inner = tlv(buf, t[2], t[3])
    if inner[0] == UNIV and inner[1] == 2:
        return integer(buf, inner[2], inner[3])
    return buf[inner[2]:inner[3]].hex()


_AARQ_TITLES: Final = {2: "called_ap_title", 6: "calling_ap_title"}
_AARQ_QUALIFIERS: Final = {3: "called_ae_qualifier", 7: "calling_ae_qualifier"}
_AARE_TITLES: Final = {4: "responding_ap_title"}
_AARE_QUALIFIERS: Final = {5: "responding_ae_qualifier"}


def acse(buf: bytes, t: Tlv, f: Fields) -> tuple[str, list[Span]]:
    """An ACSE APDU: fills ``f``; returns its event name and the MMS PDUs of its user information."""
    kind = t[1]
    name = ACSE_EVENTS.get(kind)
    if name is None:
        raise ValueError(f"unknown ACSE APDU {kind}")
    titles = _AARE_TITLES if kind == 1 else _AARQ_TITLES
    quals = _AARE_QUALIFIERS if kind == 1 else _AARQ_QUALIFIERS
    mms: list[Span] = []
    for c in children(buf, t[2], t[3]):
        ident, num, s, e = c
        if num == 30 and ident == CTX | CONS:  # user-information: SEQUENCE OF EXTERNAL
            for ext in children(buf, s, e):
                for x in children(buf, ext[2], ext[3]):
                    if x[0] == CTX | CONS and x[1] == 0 or x[0] == CTX and x[1] == 1:  # single-ASN1-type
                        mms.append((x[2], x[3]))
        elif kind >= 2:  # RLRQ / RLRE / ABRT
            if num == 0 and ident == CTX:
                v = integer(buf, s, e)
                if kind == 4:
                    f["abort_source"] = name_of(ACSE_ABORT_SOURCES, v)
                else:
                    f["reason"] = name_of(RELEASE_REASONS, v)
            elif num == 1 and ident == CTX and kind == 4:
                f["abort_diagnostic"] = integer(buf, s, e)
        elif num == 1 and ident == CTX | CONS:
            ctx = tlv(buf, s, e)
            f["application_context"] = oid(buf, ctx[2], ctx[3])
        elif num in titles and ident == CTX | CONS:
            f[titles[num]] = _ap_title(buf, c)
        elif num in quals and ident == CTX | CONS:
            f[quals[num]] = _ae_qualifier(buf, c)
        elif kind == 1 and num == 2 and ident == CTX | CONS:
            r = tlv(buf, s, e)
            f["result"] = name_of(ACSE_RESULTS, integer(buf, r[2], r[3]))
        elif kind == 1 and num == 3 and ident == CTX | CONS:
            src = tlv(buf, s, e)
            f["diagnostic_source"] = "service_user" if src[1] == 1 else "service_provider"
            d = tlv(buf, src[2], src[3])
            f["diagnostic"] = integer(buf, d[2], d[3])
        elif num == 10 and ident == CTX:
            f["acse_requirements"] = bits(buf, s, e, _ACSE_REQ_FLAGS)
        elif num == 11 and ident == CTX:
            f["authentication_mechanism"] = oid(buf, s, e)
        elif num == 12 and ident == CTX | CONS:
            a = tlv(buf, s, e)
            f["authentication"] = "password" if a[1] == 0 else f"form-{a[1]}"
    if "application_context" in f:
        f["application_context_name"] = OIDS.get(f["application_context"], "unknown")
    return name, mms

