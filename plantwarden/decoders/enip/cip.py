"""CIP messages (Message Router requests and responses): one event per message, embedded ones too.

:func:`request` and :func:`response` decode one message at ``b[off:end]``, append its event (and
the events of messages embedded in it) to ``out``, and never raise: what cannot be read becomes the
weird ``enip_bad_epath`` or ``enip_malformed_cip`` after the event.

A request returns its context, a :data:`Ctx` tuple ``(service code, class, instance, attribute, tag,
service name, extra)`` that the decoder keeps until the response arrives: CIP responses carry no
path, so their service name (for object-specific codes), class, instance, attribute and tag come
from the request. ``extra`` holds the contexts of embedded requests (Multiple_Service_Packet: a
list; Unconnected_Send: one).
"""

from __future__ import annotations

import struct
from typing import Any, Final

from plantwarden.core.events import Event, weird
from plantwarden.decoders.enip.constants import (
    CLASS_CONNECTION_MANAGER,
    CLASS_SERVICES,
    CLASSES,
    COMMON_SERVICE_NAMES,
    CONNECTION_MANAGER_EXT_STATUS,
    STATUS_CONNECTION_FAILURE,
    STATUS_NAMES,
    TAG_SERVICES,
    UNCONNECTED_SEND,
)
from plantwarden.decoders.enip.epath import PathError, epath

Ctx = tuple[int, "int | None", "int | None", "int | None", "str | None", str, Any]
#: nesting allowed for Multiple_Service_Packet / Unconnected_Send inside each other
MAX_DEPTH: Final = 4

_EVENTS: dict[str, tuple[str, str]] = {}
_CLASS_NAMES: Final = {c: n for c, n in CLASSES.items()}


def service_name(code: int, cls: int | None, symbolic: bool, known: bool = True) -> str:
    """The name of service ``code`` (without the response bit) addressed to class ``cls``.

    Codes below 0x4B are common services; 0x4B-0x63 are object-specific and named per class (a
    request addressed by a tag name takes the Logix tag services). ``known`` False means the
    request was not seen: object-specific codes are then ``unknown-<n>``.
    """
    if code < 0x4B:
        return COMMON_SERVICE_NAMES[code]
    if known:
        table = CLASS_SERVICES.get(cls) if cls is not None else (TAG_SERVICES if symbolic else None)
        if table is not None:
            name = table.get(code)
            if name is not None:
                return name
    return f"unknown-{code}"


def event_names(name: str) -> tuple[str, str]:
    """(request event, response event) of a service name."""
    names = _EVENTS.get(name)
    if names is None:
        if name.startswith("unknown-"):
            names = ("enip_unknown_service_request", "enip_unknown_service_response")
        else:
            names = (f"enip_{name}_request", f"enip_{name}_response")
        if len(_EVENTS) < 4096:
            _EVENTS[name] = names
    return names


def request(b: bytes, off: int, end: int, base: dict[str, Any], is_orig: bool, ts: float, frame: int,
            out: list[Event], via: str | None = None, index: int | None = None, depth: int = 0) -> Ctx | None:
    """Decode the CIP request ``b[off:end]``; return its context for the response."""
    if end - off < 2:
        out.append(weird("enip_malformed_cip", ts, frame, is_orig, f"request of {end - off} bytes"))
        return None
    code = b[off]
    pend = off + 2 + 2 * b[off + 1]
    f = base.copy()
    f["service_code"] = code
    problem: str | None = None
    if pend > end:
        problem = f"path of {pend - off - 2} bytes in a request of {end - off}"
        pend = end
    else:
        try:
            epath(b, off + 2, pend, f)
        except PathError as e:
            problem = str(e)
        except (IndexError, struct.error) as e:
            problem = f"path cut short ({e})"
    cls = f.setdefault("class", None)
    f.setdefault("instance", None)
    f.setdefault("attribute", None)
    f["status"] = None
    name = service_name(code, cls, "tag" in f)
    f["service"] = name
    f["class_name"] = _class_name(cls)
    f["status_name"] = None
    f["data_length"] = end - pend
    if via is not None:
        f["embedded"] = via
        if index is not None:
            f["index"] = index
    out.append(Event(event_names(name)[0], ts, frame, is_orig, f))
    if problem is not None:
        out.append(weird("enip_bad_epath", ts, frame, is_orig, f"{name}: {problem}"))
    extra: Any = None
    parser = REQUEST_PARSERS.get(name)
    if parser is not None:
        try:
            extra = parser(b, pend, end, f, base, is_orig, ts, frame, out, depth)
        except (IndexError, struct.error, ValueError) as e:
            out.append(weird("enip_malformed_cip", ts, frame, is_orig, f"{name} request: {e}"))
    return (code, cls, f["instance"], f["attribute"], f.get("tag"), name, extra)


def response(b: bytes, off: int, end: int, base: dict[str, Any], is_orig: bool, ts: float, frame: int,
             out: list[Event], ctx: Ctx | None, via: str | None = None, index: int | None = None,
             depth: int = 0) -> bool:
    """Decode the CIP response ``b[off:end]`` with the context of its request (None when unseen).

    Returns whether the context matched (its service code is the response's)."""
    if end - off < 4:
        out.append(weird("enip_malformed_cip", ts, frame, is_orig, f"response of {end - off} bytes"))
        return False
    code = b[off] & 0x7F
    status = b[off + 2]
    ext = b[off + 3]
    p = off + 4 + 2 * ext
    f = base.copy()
    f["service_code"] = code
    matched = False
    if ctx is not None and ctx[0] != code and ctx[0] == UNCONNECTED_SEND and ctx[1] == CLASS_CONNECTION_MANAGER \
            and ctx[6] is not None:
        ctx = ctx[6]  # a routed request is answered by the target's own response
        f["routed"] = True
    if ctx is not None and ctx[0] == code:
        matched = True
        _, cls, f["instance"], f["attribute"], tag, name, _x = ctx
        f["class"] = cls
        if tag is not None:
            f["tag"] = tag
    else:
        cls = None
        f["instance"] = f["attribute"] = None
        f["class"] = None
        name = service_name(code, None, False, known=False)
    f["service"] = name
    f["class_name"] = _class_name(cls)
    f["status"] = status
    f["status_name"] = STATUS_NAMES[status]
    if ext and off + 6 <= end:
        first = b[off + 4] | (b[off + 5] << 8)
        f["extended_status"] = first
        f["extended_status_name"] = (CONNECTION_MANAGER_EXT_STATUS.get(first, f"unknown-{first}")
                                     if status == STATUS_CONNECTION_FAILURE else None)
    else:
        f["extended_status"] = f["extended_status_name"] = None
    f["data_length"] = max(end - p, 0)
    if via is not None:
        f["embedded"] = via
        if index is not None:
            f["index"] = index
    out.append(Event(event_names(name)[1], ts, frame, is_orig, f))
    if p > end:
        out.append(weird("enip_malformed_cip", ts, frame, is_orig,
                         f"{name} response: {ext} extended status words past the end"))
        return matched
    parser = RESPONSE_PARSERS.get(name)
    if parser is not None:
        try:
            parser(b, p, end, f, base, is_orig, ts, frame, out, ctx if matched else None, depth)
        except (IndexError, struct.error, ValueError) as e:
            out.append(weird("enip_malformed_cip", ts, frame, is_orig, f"{name} response: {e}"))
    return matched


def _class_name(cls: int | None) -> str | None:
    if cls is None:
        return None
    name = _CLASS_NAMES.get(cls)
    return name if name is not None else f"unknown-{cls}"


# the service parsers live in services.py; imported last (they call request/response)
from plantwarden.decoders.enip.services import REQUEST_PARSERS, RESPONSE_PARSERS  # noqa: E402
