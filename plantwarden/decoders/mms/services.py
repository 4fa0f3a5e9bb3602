"""Per-service parameters of MMS confirmed requests and responses (ISO 9506-2), written into ``f``.

Each function takes the service's TLV (the ConfirmedServiceRequest / -Response CHOICE element) and
fills the event's field dict; malformed input raises ``ValueError``/``IndexError`` (the decoder
emits what was filled so far plus a weird).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from plantwarden.decoders.mms.ber import (
    CONS,
    CTX,
    MAX_ITEMS,
    UNIV,
    DataRenderer,
    Tlv,
    boolean,
    children,
    integer,
    text,
    tlv,
)
from plantwarden.decoders.mms.constants import DATA_ACCESS_ERRORS, OBJECT_CLASSES, name_of

Fields = dict[str, Any]
Obj = dict[str, str]

LOGICAL_STATUS: Final = {0: "state_changes_allowed", 1: "no_state_changes_allowed",
                         2: "limited_services_permitted", 3: "support_services_allowed"}
PHYSICAL_STATUS: Final = {0: "operational", 1: "partially_operational", 2: "inoperable",
                          3: "needs_commissioning"}
DOMAIN_STATES: Final = {0: "non_existent", 1: "loading", 2: "ready", 3: "in_use", 4: "complete",
                        5: "incomplete", 7: "d1", 8: "d2", 9: "d3", 10: "d4", 11: "d5", 12: "d6", 13: "d7",
                        14: "d8", 15: "d9"}
TYPE_NAMES: Final = {0: "type_name", 1: "array", 2: "structure", 3: "boolean", 4: "bit_string", 5: "integer",
                     6: "unsigned", 7: "floating_point", 9: "octet_string", 10: "visible_string",
                     11: "generalized_time", 12: "binary_time", 13: "bcd", 15: "obj_id", 16: "mms_string",
                     17: "utc_time"}


def object_name(buf: bytes, t: Tlv) -> Obj:
    """ObjectName -> ``{"domain": d, "item": i}`` (domain-specific), ``{"item": i}`` (VMD-specific) or
    ``{"item": i, "scope": "aa"}`` (association-specific). Explicit wrappers are unwrapped."""
    for _ in range(4):
        ident, num, s, e = t
        if ident == CTX | CONS and num == 1:
            kids = children(buf, s, e)
            d = next(kids)
            i = next(kids)
            return {"domain": text(buf, d[2], d[3]), "item": text(buf, i[2], i[3])}
        if ident == CTX and num == 0:
            return {"item": text(buf, s, e)}
        if ident == CTX and num == 2:
            return {"item": text(buf, s, e), "scope": "aa"}
        if not ident & CONS or s >= e:
            break
        t = tlv(buf, s, e)
    raise ValueError("not an ObjectName")


def file_name(buf: bytes, s: int, e: int) -> str:
    """FileName (SEQUENCE OF GraphicString) joined with '/'."""
    return "/".join(text(buf, c[2], c[3]) for c in children(buf, s, e))


def var_list(buf: bytes, s: int, e: int) -> list[Obj]:
    """listOfVariable: SEQUENCE OF SEQUENCE { variableSpecification, alternateAccess [5] OPTIONAL }."""
    out: list[Obj] = []
    for entry in children(buf, s, e):
        if len(out) >= MAX_ITEMS:
            break
        spec = tlv(buf, entry[2], entry[3]) if entry[0] == UNIV | CONS else entry
        if spec[1] == 0 and spec[0] == CTX | CONS:  # name [0] ObjectName
            out.append(object_name(buf, tlv(buf, spec[2], spec[3])))
        elif spec[1] == 1:
            out.append({"address": buf[spec[2]:spec[3]].hex()})
        else:
            out.append({"specification": f"unknown-{spec[1]}"})
    return out


def access_spec(buf: bytes, t: Tlv, f: Fields) -> None:
    """VariableAccessSpecification: listOfVariable [0] -> ``variables``; variableListName [1] -> ``variable_list``."""
    if t[1] == 0:
        f["variables"] = var_list(buf, t[2], t[3])
    elif t[1] == 1:
        f["variable_list"] = object_name(buf, tlv(buf, t[2], t[3]))


def values(buf: bytes, s: int, e: int, f: Fields, key: str = "values") -> None:
    r = DataRenderer()
    out = []
    for c in children(buf, s, e):
        if r.budget <= 0:
            r.truncated = True
            break
        out.append(r.access_result(buf, c))
    f[key] = out
    if r.truncated:
        f["values_truncated"] = True


def _type_spec(buf: bytes, t: Tlv, f: Fields) -> None:
    ident, num, s, e = t
    if ident & CONS and num == 2 and e > s:  # explicit [2] TypeSpecification
        t = tlv(buf, s, e)
        ident, num, s, e = t
    f["type"] = name_of(TYPE_NAMES, num)
    if num == 0 and ident & CONS:
        f["type_name"] = object_name(buf, tlv(buf, s, e))
    elif num == 2:
        comps = []
        for c in children(buf, s, e):
            if c[1] == 1:  # components
                for comp in children(buf, c[2], c[3]):
                    for part in children(buf, comp[2], comp[3]):
                        if part[1] == 0 and part[0] == CTX:
                            comps.append(text(buf, part[2], part[3]))
                    if len(comps) >= MAX_ITEMS:
                        break
        f["components"] = comps


# -- requests --------------------------------------------------------------------------------------

def _status_req(buf: bytes, t: Tlv, f: Fields) -> None:
    f["extended_derivation"] = boolean(buf, t[2], t[3])


def _get_name_list_req(buf: bytes, t: Tlv, f: Fields) -> None:
    for c in children(buf, t[2], t[3]):
        if c[1] == 0 and c[2] < c[3]:
            oc = tlv(buf, c[2], c[3])
            f["object_class"] = name_of(OBJECT_CLASSES, integer(buf, oc[2], oc[3])) if oc[1] == 0 \
                else f"extended-{oc[1]}"
        elif c[1] == 1 and c[2] < c[3]:
            sc = tlv(buf, c[2], c[3])
            f["object_scope"] = ("vmd", "domain", "aa")[sc[1]] if sc[1] < 3 else f"unknown-{sc[1]}"
            if sc[1] == 1:
                f["domain"] = text(buf, sc[2], sc[3])
        elif c[1] == 2:
            f["continue_after"] = text(buf, c[2], c[3])


def _read_req(buf: bytes, t: Tlv, f: Fields) -> None:
    for c in children(buf, t[2], t[3]):
        if c[1] == 0 and c[0] == CTX:
            f["specification_with_result"] = boolean(buf, c[2], c[3])
        elif c[1] == 1:
            access_spec(buf, tlv(buf, c[2], c[3]), f)


def _write_req(buf: bytes, t: Tlv, f: Fields) -> None:
    kids = children(buf, t[2], t[3])
    access_spec(buf, next(kids), f)
    data = next(kids, None)
    if data is not None:
        values(buf, data[2], data[3], f)


def _object_req(buf: bytes, t: Tlv, f: Fields) -> None:  # getVariableAccessAttributes
    inner = tlv(buf, t[2], t[3])
    if inner[1] == 0 and inner[0] & CONS:
        f["object"] = object_name(buf, tlv(buf, inner[2], inner[3]))
    elif inner[1] == 1:
        f["address"] = buf[inner[2]:inner[3]].hex()
    else:
        f["object"] = object_name(buf, inner)


def _define_nvl_req(buf: bytes, t: Tlv, f: Fields) -> None:
    kids = children(buf, t[2], t[3])
    f["variable_list"] = object_name(buf, next(kids))
    lst = next(kids, None)
    if lst is not None:
        f["variables"] = var_list(buf, lst[2], lst[3])


def _nvl_req(buf: bytes, t: Tlv, f: Fields) -> None:  # getNamedVariableListAttributes
    f["variable_list"] = object_name(buf, tlv(buf, t[2], t[3]))


def _delete_nvl_req(buf: bytes, t: Tlv, f: Fields) -> None:
    for c in children(buf, t[2], t[3]):
        if c[1] == 0:
            f["scope_of_delete"] = integer(buf, c[2], c[3])
        elif c[1] == 1:
            f["variable_lists"] = [object_name(buf, x) for x in children(buf, c[2], c[3])][:MAX_ITEMS]
        elif c[1] == 2:
            f["domain"] = text(buf, c[2], c[3])


def _semaphore_req(buf: bytes, t: Tlv, f: Fields) -> None:  # takeControl / relinquishControl
    kids = children(buf, t[2], t[3])
    f["object"] = object_name(buf, next(kids))
    for c in kids:
        if c[1] == 0 and c[0] == CTX:
            f["named_token"] = text(buf, c[2], c[3])


def _identifier(key: str) -> Callable[[bytes, Tlv, Fields], None]:
    def parse(buf: bytes, t: Tlv, f: Fields) -> None:
        if t[0] & CONS:  # a SEQUENCE whose [0] is the identifier
            for c in children(buf, t[2], t[3]):
                if c[1] == 0 and c[0] == CTX:
                    f[key] = text(buf, c[2], c[3])
                elif c[1] == 1 and c[0] == CTX | CONS and key == "domain":
                    f["capabilities"] = [text(buf, x[2], x[3]) for x in children(buf, c[2], c[3])][:MAX_ITEMS]
                elif c[1] == 1 and c[0] == CTX and key == "program_invocation":
                    f["execution_argument"] = text(buf, c[2], c[3])
        else:
            f[key] = text(buf, t[2], t[3])
    return parse


def _integer(key: str) -> Callable[[bytes, Tlv, Fields], None]:
    def parse(buf: bytes, t: Tlv, f: Fields) -> None:
        if t[0] & CONS:
            t = tlv(buf, t[2], t[3])
        f[key] = integer(buf, t[2], t[3])
    return parse


def _domain_file_req(buf: bytes, t: Tlv, f: Fields) -> None:  # request/load/store domain content
    for c in children(buf, t[2], t[3]):
        if c[1] == 0 and c[0] == CTX:
            f["domain"] = text(buf, c[2], c[3])
        elif c[0] == CTX | CONS and c[1] in (1, 4) and c[2] < c[3] and buf[c[2]] == 0x19:
            f["file"] = file_name(buf, c[2], c[3])


def _create_pi_req(buf: bytes, t: Tlv, f: Fields) -> None:
    for c in children(buf, t[2], t[3]):
        if c[1] == 0:
            f["program_invocation"] = text(buf, c[2], c[3])
        elif c[1] == 1:
            f["domains"] = [text(buf, x[2], x[3]) for x in children(buf, c[2], c[3])][:MAX_ITEMS]
        elif c[1] == 2:
            f["reusable"] = boolean(buf, c[2], c[3])


def _obtain_file_req(buf: bytes, t: Tlv, f: Fields) -> None:
    for c in children(buf, t[2], t[3]):
        if c[1] == 1:
            f["file"] = file_name(buf, c[2], c[3])
        elif c[1] == 2:
            f["destination_file"] = file_name(buf, c[2], c[3])


def _file_open_req(buf: bytes, t: Tlv, f: Fields) -> None:
    for c in children(buf, t[2], t[3]):
        if c[1] == 0:
            f["file"] = file_name(buf, c[2], c[3])
        elif c[1] == 1:
            f["initial_position"] = integer(buf, c[2], c[3])


def _file_rename_req(buf: bytes, t: Tlv, f: Fields) -> None:
    for c in children(buf, t[2], t[3]):
        if c[1] == 0:
            f["file"] = file_name(buf, c[2], c[3])
        elif c[1] == 1:
            f["new_file"] = file_name(buf, c[2], c[3])


def _file_delete_req(buf: bytes, t: Tlv, f: Fields) -> None:
    f["file"] = file_name(buf, t[2], t[3])


def _file_dir_req(buf: bytes, t: Tlv, f: Fields) -> None:
    for c in children(buf, t[2], t[3]):
        if c[1] == 0:
            f["file"] = file_name(buf, c[2], c[3])
        elif c[1] == 1:
            f["continue_after"] = file_name(buf, c[2], c[3])


_pi = _identifier("program_invocation")
REQUESTS: Final[dict[int, Callable[[bytes, Tlv, Fields], None]]] = {
    0: _status_req, 1: _get_name_list_req, 4: _read_req, 5: _write_req, 6: _object_req,
    11: _define_nvl_req, 12: _nvl_req, 13: _delete_nvl_req, 19: _semaphore_req, 20: _semaphore_req,
    26: _identifier("domain"), 27: _identifier("domain"), 28: _identifier("domain"),
    29: _identifier("domain"), 30: _integer("ulsm_id"), 31: _integer("ulsm_id"),
    32: _domain_file_req, 33: _domain_file_req, 34: _domain_file_req, 35: _domain_file_req,
    36: _identifier("domain"), 37: _identifier("domain"), 38: _create_pi_req, 39: _pi, 40: _pi, 41: _pi,
    42: _pi, 43: _pi, 44: _pi, 45: _pi, 46: _obtain_file_req, 72: _file_open_req, 73: _integer("frsm_id"),
    74: _integer("frsm_id"), 75: _file_rename_req, 76: _file_delete_req, 77: _file_dir_req,
}


# -- responses -------------------------------------------------------------------------------------

def _status_resp(buf: bytes, t: Tlv, f: Fields) -> None:
    for c in children(buf, t[2], t[3]):
        if c[1] == 0:
            f["logical_status"] = name_of(LOGICAL_STATUS, integer(buf, c[2], c[3]))
        elif c[1] == 1:
            f["physical_status"] = name_of(PHYSICAL_STATUS, integer(buf, c[2], c[3]))


def _get_name_list_resp(buf: bytes, t: Tlv, f: Fields) -> None:
    f["more_follows"] = True
    for c in children(buf, t[2], t[3]):
        if c[1] == 0:
            f["identifiers"] = [text(buf, x[2], x[3]) for x in children(buf, c[2], c[3])][:MAX_ITEMS]
        elif c[1] == 1:
            f["more_follows"] = boolean(buf, c[2], c[3])


def _identify_resp(buf: bytes, t: Tlv, f: Fields) -> None:
    ident: dict[str, str] = {}
    for c in children(buf, t[2], t[3]):
        key = ("vendor", "model", "revision")[c[1]] if c[1] < 3 and c[0] == CTX else None
        if key is not None:
            v = text(buf, c[2], c[3]).strip("\x00 ")
            if v:
                ident[key] = v
    f["identity"] = ident


def _read_resp(buf: bytes, t: Tlv, f: Fields) -> None:
    for c in children(buf, t[2], t[3]):
        if c[1] == 0:
            access_spec(buf, tlv(buf, c[2], c[3]), f)
        elif c[1] == 1:
            values(buf, c[2], c[3], f)


def _write_resp(buf: bytes, t: Tlv, f: Fields) -> None:
    f["results"] = [name_of(DATA_ACCESS_ERRORS, integer(buf, c[2], c[3])) if c[1] == 0 else "success"
                    for c in children(buf, t[2], t[3])][:MAX_ITEMS]


def _gvaa_resp(buf: bytes, t: Tlv, f: Fields) -> None:
    for c in children(buf, t[2], t[3]):
        if c[1] == 0:
            f["mms_deletable"] = boolean(buf, c[2], c[3])
        elif c[1] == 2:
            _type_spec(buf, c, f)


def _nvl_resp(buf: bytes, t: Tlv, f: Fields) -> None:
    for c in children(buf, t[2], t[3]):
        if c[1] == 0:
            f["mms_deletable"] = boolean(buf, c[2], c[3])
        elif c[1] == 1:
            f["variables"] = var_list(buf, c[2], c[3])


def _upload_init_resp(buf: bytes, t: Tlv, f: Fields) -> None:
    for c in children(buf, t[2], t[3]):
        if c[1] == 0:
            f["ulsm_id"] = integer(buf, c[2], c[3])
        elif c[1] == 1:
            f["capabilities"] = [text(buf, x[2], x[3]) for x in children(buf, c[2], c[3])][:MAX_ITEMS]


def _segment_resp(buf: bytes, t: Tlv, f: Fields) -> None:  # uploadSegment / fileRead
    f["more_follows"] = True
    for c in children(buf, t[2], t[3]):
        if c[1] == 0:
            f["data_length"] = c[3] - c[2]
        elif c[1] == 1:
            f["more_follows"] = boolean(buf, c[2], c[3])


def _domain_attr_resp(buf: bytes, t: Tlv, f: Fields) -> None:
    for c in children(buf, t[2], t[3]):
        if c[1] == 0:
            f["capabilities"] = [text(buf, x[2], x[3]) for x in children(buf, c[2], c[3])][:MAX_ITEMS]
        elif c[1] == 1:
            f["domain_state"] = name_of(DOMAIN_STATES, integer(buf, c[2], c[3]))
        elif c[1] == 4:
            f["program_invocations"] = [text(buf, x[2], x[3]) for x in children(buf, c[2], c[3])][:MAX_ITEMS]


def _file_attrs(buf: bytes, s: int, e: int, out: dict[str, Any]) -> None:
    for c in children(buf, s, e):
        if c[1] == 0:
            out["file_size"] = integer(buf, c[2], c[3])
        elif c[1] == 1:
            out["last_modified"] = text(buf, c[2], c[3])


def _file_open_resp(buf: bytes, t: Tlv, f: Fields) -> None:
    for c in children(buf, t[2], t[3]):
        if c[1] == 0:
            f["frsm_id"] = integer(buf, c[2], c[3])
        elif c[1] == 1:
            _file_attrs(buf, c[2], c[3], f)


def _file_dir_resp(buf: bytes, t: Tlv, f: Fields) -> None:
    f["more_follows"] = False
    for c in children(buf, t[2], t[3]):
        if c[1] == 0:
            files: list[dict[str, Any]] = []
            s, e = c[2], c[3]
            if s < e and buf[s] == 0xA0:  # an explicit [0] around the SEQUENCE OF
                inner = tlv(buf, s, e)
                s, e = inner[2], inner[3]
            for entry in children(buf, s, e):
                if len(files) >= MAX_ITEMS:
                    break
                d: dict[str, Any] = {}
                for part in children(buf, entry[2], entry[3]):
                    if part[1] == 0:
                        d["name"] = file_name(buf, part[2], part[3])
                    elif part[1] == 1:
                        _file_attrs(buf, part[2], part[3], d)
                files.append(d)
            f["files"] = files
        elif c[1] == 1:
            f["more_follows"] = boolean(buf, c[2], c[3])


RESPONSES: Final[dict[int, Callable[[bytes, Tlv, Fields], None]]] = {
    0: _status_resp, 1: _get_name_list_resp, 2: _identify_resp, 4: _read_resp, 5: _write_resp,
    6: _gvaa_resp, 12: _nvl_resp, 29: _upload_init_resp, 30: _segment_resp, 37: _domain_attr_resp,
    72: _file_open_resp, 73: _segment_resp, 77: _file_dir_resp,
}
