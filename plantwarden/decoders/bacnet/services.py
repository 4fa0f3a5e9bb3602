"""BACnet service parameters -> event fields, one parser per service and direction.

Each parser takes the message octets, its tokens (``tags.tokenize``) and the event's field dict,
and adds the service's fields. A parser raises ``TagError`` (or ``IndexError``) on parameters it
cannot read; the decoder turns that into the weird ``bacnet_malformed_apdu`` and keeps the event
with the fields read so far. See docs/protocols/bacnet.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from plantwarden.decoders.bacnet.constants import (
    DCC_STATES,
    DEVICE,
    ERROR_CLASSES,
    ERROR_CODES,
    IDENTITY_PROPERTIES,
    MAX_ITEMS,
    MAX_VALUES,
    REINIT_STATES,
    SEGMENTATION,
    name_of,
    object_type_name,
    property_name,
    vendor_name,
)
from plantwarden.decoders.bacnet.tags import (
    APP,
    CLOSE,
    CTX,
    OPEN,
    TagError,
    Token,
    app_value,
    object_id,
    sint,
    text,
    uint,
)

Parser = Callable[[bytes, list[Token], dict[str, Any]], None]


def _ctx(toks: list[Token], i: int, num: int) -> Token | None:
    """Token ``i`` when it is the primitive context tag ``num``."""
    if i < len(toks):
        t = toks[i]
        if t[0] == num and t[1] == CTX:
            return t
    return None


def _is(toks: list[Token], i: int, num: int, kind: int) -> bool:
    return i < len(toks) and toks[i][0] == num and toks[i][1] == kind


def _oid(b: bytes, t: Token, f: dict[str, Any], prefix: str = "") -> None:
    typ, inst = object_id(b, t)
    f[prefix + "object_type"] = object_type_name(typ)
    f[prefix + "instance"] = inst


def _values(b: bytes, toks: list[Token], i: int) -> tuple[list[Any], int]:
    """The application values between the opening tag at ``i`` and its closing tag (nested
    constructed values are flattened; context-tagged primitives inside are skipped); the index
    after the closing tag."""
    num = toks[i][0]
    depth = 0
    out: list[Any] = []
    i += 1
    n = len(toks)
    while i < n:
        t = toks[i]
        k = t[1]
        if k == APP:
            if len(out) < MAX_VALUES:
                out.append(app_value(b, t))
        elif k == OPEN:
            depth += 1
        elif k == CLOSE:
            if depth == 0:
                if t[0] != num:
                    raise TagError(f"closing tag {t[0]} for opening tag {num}")
                return out, i + 1
            depth -= 1
        i += 1
    raise TagError(f"opening tag {num} never closed")


def _identity(f: dict[str, Any], obj_type: str, prop: int, values: list[Any]) -> None:
    """Device-object properties that name the device go into ``identity`` (sender = the device)."""
    key = IDENTITY_PROPERTIES.get(prop)
    if key is None or obj_type != "device" or not values:
        return
    v = values[0]
    if isinstance(v, str):
        v = v.strip()
        if not v:
            return
    elif not isinstance(v, int) or isinstance(v, bool):
        return
    f.setdefault("identity", {})[key] = v


# -- property access ------------------------------------------------------------------------------

def _property_ref(b: bytes, toks: list[Token], i: int, f: dict[str, Any], pnum: int = 1) -> int:
    """``[pnum] property [pnum+1] array index`` at ``i``: sets ``property`` (+ ``property_id``,
    ``array_index``); returns the next index."""
    t = _ctx(toks, i, pnum)
    if t is None:
        raise TagError("property identifier missing")
    pid = uint(b, t)
    f["property"] = property_name(pid)
    f["property_id"] = pid
    i += 1
    t = _ctx(toks, i, pnum + 1)
    f["array_index"] = uint(b, t) if t is not None else None
    return i + 1 if t is not None else i


def read_property_request(b: bytes, toks: list[Token], f: dict[str, Any]) -> None:
    t = _ctx(toks, 0, 0)
    if t is None:
        raise TagError("object identifier missing")
    _oid(b, t, f)
    _property_ref(b, toks, 1, f)


def read_property_ack(b: bytes, toks: list[Token], f: dict[str, Any]) -> None:
    read_property_request(b, toks, f)
    i = 2 if f["array_index"] is None else 3
    if not _is(toks, i, 3, OPEN):
        raise TagError("property value missing")
    values, _ = _values(b, toks, i)
    f["values"] = values
    _identity(f, f["object_type"], f["property_id"], values)


def write_property_request(b: bytes, toks: list[Token], f: dict[str, Any]) -> None:
    read_property_ack(b, toks, f)
    f.pop("identity", None)  # a write names nothing about its sender
    t = toks[-1]
    f["priority"] = uint(b, t) if t[0] == 4 and t[1] == CTX else None


def _multiple(b: bytes, toks: list[Token], f: dict[str, Any], kind: str) -> None:
    """ReadPropertyMultiple request/ack and WritePropertyMultiple request: ``properties``, a list of
    ``{object_type, instance, property, property_id, array_index[, values][, priority]
    [, error_class, error_code]}``; ``object_type``/``instance`` of the first object."""
    items: list[dict[str, Any]] = []
    i, n = 0, len(toks)
    prop_tag, idx_tag = (2, 3) if kind == "ack" else (0, 1)
    while i < n:
        t = _ctx(toks, i, 0)
        if t is None:
            raise TagError("object identifier missing")
        obj: dict[str, Any] = {}
        _oid(b, t, obj)
        if "object_type" not in f:
            f["object_type"], f["instance"] = obj["object_type"], obj["instance"]
        i += 1
        if not _is(toks, i, 1, OPEN):
            raise TagError("property list missing")
        i += 1
        while i < n and not (toks[i][1] == CLOSE and toks[i][0] == 1):
            item = dict(obj)
            t = _ctx(toks, i, prop_tag)
            if t is None:
                raise TagError("property identifier missing")
            pid = uint(b, t)
            item["property"] = property_name(pid)
            item["property_id"] = pid
            i += 1
            t = _ctx(toks, i, idx_tag)
            item["array_index"] = uint(b, t) if t is not None else None
            i += t is not None
            if kind == "ack" and _is(toks, i, 4, OPEN):
                item["values"], i = _values(b, toks, i)
                _identity(f, obj["object_type"], pid, item["values"])
            elif kind == "ack" and _is(toks, i, 5, OPEN):
                errs, i = _values(b, toks, i)
                if len(errs) >= 2:
                    item["error_class"] = name_of(ERROR_CLASSES, errs[0])
                    item["error_code"] = name_of(ERROR_CODES, errs[1])
            elif kind == "write":
                if not _is(toks, i, 2, OPEN):
                    raise TagError("property value missing")
                item["values"], i = _values(b, toks, i)
                t = _ctx(toks, i, 3)
                item["priority"] = uint(b, t) if t is not None else None
                i += t is not None
            if len(items) < MAX_ITEMS:
                items.append(item)
        i += 1
    f["properties"] = items
    if items:
        f.setdefault("property", items[0]["property"])


def read_property_multiple_request(b: bytes, toks: list[Token], f: dict[str, Any]) -> None:
    _multiple(b, toks, f, "request")


def read_property_multiple_ack(b: bytes, toks: list[Token], f: dict[str, Any]) -> None:
    _multiple(b, toks, f, "ack")


def write_property_multiple_request(b: bytes, toks: list[Token], f: dict[str, Any]) -> None:
    _multiple(b, toks, f, "write")


# -- COV ------------------------------------------------------------------------------------------

def subscribe_cov_request(b: bytes, toks: list[Token], f: dict[str, Any]) -> None:
    t = _ctx(toks, 0, 0)
    f["subscriber_process_id"] = uint(b, t) if t is not None else None
    t = _ctx(toks, 1, 1)
    if t is None:
        raise TagError("monitored object missing")
    _oid(b, t, f)
    t = _ctx(toks, 2, 2)
    f["issue_confirmed_notifications"] = bool(uint(b, t)) if t is not None else None
    t = _ctx(toks, 3 if t is not None else 2, 3)
    f["lifetime"] = uint(b, t) if t is not None else None
    f["cancel"] = len(toks) == 2


def subscribe_cov_property_request(b: bytes, toks: list[Token], f: dict[str, Any]) -> None:
    subscribe_cov_request(b, toks, f)
    f["cancel"] = False
    for i, t in enumerate(toks):
        if t[0] == 4 and t[1] == OPEN:
            _property_ref(b, toks, i + 1, f, 0)
            break


def cov_notification(b: bytes, toks: list[Token], f: dict[str, Any]) -> None:
    t = _ctx(toks, 0, 0)
    f["subscriber_process_id"] = uint(b, t) if t is not None else None
    t = _ctx(toks, 1, 1)
    if t is None:
        raise TagError("initiating device missing")
    f["device_instance"] = object_id(b, t)[1]
    t = _ctx(toks, 2, 2)
    if t is None:
        raise TagError("monitored object missing")
    _oid(b, t, f)
    t = _ctx(toks, 3, 3)
    f["time_remaining"] = uint(b, t) if t is not None else None
    items: list[dict[str, Any]] = []
    i, n = 5, len(toks)
    if not _is(toks, 4, 4, OPEN):
        raise TagError("list of values missing")
    while i < n and not (toks[i][1] == CLOSE and toks[i][0] == 4):
        item: dict[str, Any] = {}
        i = _property_ref(b, toks, i, item, 0)
        if not _is(toks, i, 2, OPEN):
            raise TagError("property value missing")
        item["values"], i = _values(b, toks, i)
        t = _ctx(toks, i, 3)
        if t is not None:
            item["priority"] = uint(b, t)
            i += 1
        if len(items) < MAX_ITEMS:
            items.append(item)
    f["properties"] = items


# -- device management ----------------------------------------------------------------------------

def _password(toks: list[Token], i: int, num: int) -> bool:
    """Whether a non-empty password (a character string beyond its character set octet) was given."""
    t = _ctx(toks, i, num)
    return t is not None and t[3] > 1


def device_communication_control_request(b: bytes, toks: list[Token], f: dict[str, Any]) -> None:
    """Duration (minutes), enable/disable and whether a password was given (never the password)."""
    t = _ctx(toks, 0, 0)
    f["duration"] = uint(b, t) if t is not None else None
    i = 1 if t is not None else 0
    t = _ctx(toks, i, 1)
    if t is None:
        raise TagError("enable-disable missing")
    f["enable_disable"] = name_of(DCC_STATES, uint(b, t))
    f["password_present"] = _password(toks, i + 1, 2)


def reinitialize_device_request(b: bytes, toks: list[Token], f: dict[str, Any]) -> None:
    t = _ctx(toks, 0, 0)
    if t is None:
        raise TagError("reinitialized state missing")
    f["reinitialized_state"] = name_of(REINIT_STATES, uint(b, t))
    f["password_present"] = _password(toks, 1, 1)


def time_synchronization(b: bytes, toks: list[Token], f: dict[str, Any]) -> None:
    if len(toks) < 2 or toks[0][:2] != (10, APP) or toks[1][:2] != (11, APP):
        raise TagError("date and time missing")
    f["datetime"] = f"{app_value(b, toks[0])}T{app_value(b, toks[1])}"


# -- files ----------------------------------------------------------------------------------------

def _file_access(b: bytes, toks: list[Token], i: int, f: dict[str, Any], ack: bool) -> None:
    """``[0] stream: start, data|count`` or ``[1] record: start, count[, data...]``."""
    if i >= len(toks) or toks[i][1] != OPEN or toks[i][0] > 1:
        raise TagError("access method missing")
    stream = toks[i][0] == 0
    f["access"] = "stream" if stream else "record"
    inner = toks[i + 1:]
    if not inner or inner[0][:2] != (3, APP):
        raise TagError("start position missing")
    f["start"] = sint(b, inner[0])
    if len(inner) < 2:
        raise TagError("count missing")
    second = inner[1]
    if second[:2] == (6, APP):  # stream data: the count is its size
        f["count"] = second[3]
    elif second[:2] == (2, APP):
        f["count"] = uint(b, second)
    else:
        raise TagError("count missing")
    if not stream and ack:
        f["data_octets"] = sum(t[3] for t in inner[2:] if t[:2] == (6, APP))


def atomic_read_file_request(b: bytes, toks: list[Token], f: dict[str, Any]) -> None:
    if not toks or toks[0][:2] != (12, APP):
        raise TagError("file identifier missing")
    _oid(b, toks[0], f)
    _file_access(b, toks, 1, f, False)


def atomic_read_file_ack(b: bytes, toks: list[Token], f: dict[str, Any]) -> None:
    if not toks or toks[0][:2] != (1, APP):
        raise TagError("end-of-file flag missing")
    f["end_of_file"] = bool(toks[0][3])
    _file_access(b, toks, 1, f, True)


def atomic_write_file_request(b: bytes, toks: list[Token], f: dict[str, Any]) -> None:
    atomic_read_file_request(b, toks, f)


def atomic_write_file_ack(b: bytes, toks: list[Token], f: dict[str, Any]) -> None:
    if not toks or toks[0][1] != CTX or toks[0][0] > 1:
        raise TagError("start position missing")
    f["access"] = "stream" if toks[0][0] == 0 else "record"
    f["start"] = sint(b, toks[0])


# -- objects --------------------------------------------------------------------------------------

def create_object_request(b: bytes, toks: list[Token], f: dict[str, Any]) -> None:
    if not _is(toks, 0, 0, OPEN) or len(toks) < 2:
        raise TagError("object specifier missing")
    t = toks[1]
    if t[:2] == (0, CTX):
        f["object_type"] = object_type_name(uint(b, t))
        f["instance"] = None
    elif t[:2] == (1, CTX):
        _oid(b, t, f)
    else:
        raise TagError("object specifier missing")


def object_id_first(b: bytes, toks: list[Token], f: dict[str, Any]) -> None:
    """Services whose first parameter is an application or [0]/[1] object identifier."""
    if toks and toks[0][3] == 4 and toks[0][:2] in ((12, APP), (0, CTX), (1, CTX)):
        _oid(b, toks[0], f)


def read_range_request(b: bytes, toks: list[Token], f: dict[str, Any]) -> None:
    read_property_request(b, toks, f)


# -- discovery ------------------------------------------------------------------------------------

def who_is(b: bytes, toks: list[Token], f: dict[str, Any]) -> None:
    lo, hi = _ctx(toks, 0, 0), _ctx(toks, 1, 1)
    f["low_limit"] = uint(b, lo) if lo is not None else None
    f["high_limit"] = uint(b, hi) if hi is not None else None


def i_am(b: bytes, toks: list[Token], f: dict[str, Any]) -> None:
    if len(toks) < 4 or toks[0][:2] != (12, APP):
        raise TagError("I-Am parameters missing")
    _oid(b, toks[0], f)
    f["max_apdu"] = uint(b, toks[1])
    f["segmentation"] = name_of(SEGMENTATION, uint(b, toks[2]))
    vid = uint(b, toks[3])
    f["vendor_id"] = vid
    vname = vendor_name(vid)
    f["vendor"] = vname
    ident: dict[str, Any] = {"vendor_id": vid}
    if vname is not None:
        ident["vendor"] = vname
    f["identity"] = ident


def who_has(b: bytes, toks: list[Token], f: dict[str, Any]) -> None:
    who_is(b, toks, f)
    f["object_name"] = None
    for t in toks:
        if t[:2] == (2, CTX):
            _oid(b, t, f)
        elif t[:2] == (3, CTX):
            f["object_name"] = text(b, t)


def i_have(b: bytes, toks: list[Token], f: dict[str, Any]) -> None:
    if len(toks) < 3 or toks[0][:2] != (12, APP) or toks[1][:2] != (12, APP):
        raise TagError("I-Have parameters missing")
    f["device_instance"] = object_id(b, toks[0])[1]
    _oid(b, toks[1], f)
    f["object_name"] = text(b, toks[2])


def who_am_i(b: bytes, toks: list[Token], f: dict[str, Any]) -> None:
    """Who-Am-I (135-2020): the asking device states its vendor, model and serial number."""
    if len(toks) < 3:
        raise TagError("Who-Am-I parameters missing")
    vid = uint(b, toks[0])
    f["vendor_id"] = vid
    f["model_name"] = text(b, toks[1])
    f["serial_number"] = text(b, toks[2])
    ident: dict[str, Any] = {"vendor_id": vid}
    for key, val in (("model", f["model_name"]), ("serial_number", f["serial_number"])):
        if val:
            ident[key] = val
    f["identity"] = ident


def private_transfer(b: bytes, toks: list[Token], f: dict[str, Any]) -> None:
    t, s = _ctx(toks, 0, 0), _ctx(toks, 1, 1)
    f["vendor_id"] = uint(b, t) if t is not None else None
    f["service_number"] = uint(b, s) if s is not None else None


def error(b: bytes, toks: list[Token], f: dict[str, Any]) -> None:
    """Error class and code: the first two enumerated values, wherever a service nests them."""
    enums = [t for t in toks if t[:2] == (9, APP)]
    if len(enums) < 2:
        raise TagError("error class and code missing")
    f["error_class"] = name_of(ERROR_CLASSES, uint(b, enums[0]))
    f["error_code"] = name_of(ERROR_CODES, uint(b, enums[1]))


#: confirmed service -> parser of the request / of the complex ack
REQUEST_PARSERS: Final[dict[int, Parser]] = {
    0: object_id_first, 1: cov_notification, 5: subscribe_cov_request, 6: atomic_read_file_request,
    7: atomic_write_file_request, 8: object_id_first, 9: object_id_first, 10: create_object_request,
    11: object_id_first, 12: read_property_request, 14: read_property_multiple_request,
    15: write_property_request, 16: write_property_multiple_request,
    17: device_communication_control_request, 18: private_transfer, 20: reinitialize_device_request,
    26: read_range_request, 28: subscribe_cov_property_request,
}
ACK_PARSERS: Final[dict[int, Parser]] = {
    6: atomic_read_file_ack, 7: atomic_write_file_ack, 10: object_id_first, 12: read_property_ack,
    14: read_property_multiple_ack, 18: private_transfer, 26: read_range_request,
}
UNCONFIRMED_PARSERS: Final[dict[int, Parser]] = {
    0: i_am, 1: i_have, 2: cov_notification, 4: private_transfer, 6: time_synchronization, 7: who_has,
    8: who_is, 9: time_synchronization, 13: who_am_i,
}

__all__ = ["ACK_PARSERS", "DEVICE", "REQUEST_PARSERS", "UNCONFIRMED_PARSERS", "error"]
