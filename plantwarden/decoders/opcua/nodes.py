"""OPC UA view, attribute and method services: Browse, BrowseNext, TranslateBrowsePathsToNodeIds,
RegisterNodes, Read (with the server identity a Read of ServerStatus/BuildInfo reveals), Write, Call."""

from __future__ import annotations

from typing import Any

from plantwarden.decoders.opcua.binary import (
    MAX_ITEMS,
    array_len,
    bytestring,
    datavalue,
    datetime_,
    expanded_nodeid,
    extension_object,
    f64,
    localized_text,
    nodeid,
    qualified_name,
    skip_diags,
    string,
    u32,
    variant,
)
from plantwarden.decoders.opcua.common import (
    read_value_id,
    request_header,
    response_header,
    set_attribute,
    statuses,
)
from plantwarden.decoders.opcua.constants import (
    BROWSE_DIRECTIONS,
    BUILD_INFO_NODES,
    BUILTIN_TYPES,
    ENC_BUILD_INFO,
    ENC_SERVER_STATUS,
    NODE_BUILD_INFO,
    NODE_SERVER_STATUS,
    SERVER_STATES,
    TIMESTAMPS_TO_RETURN,
    name_of,
    status_name,
)

# -- view --------------------------------------------------------------------------------------------

def browse_request(b: bytes, o: int, f: dict[str, Any], ctx: Any) -> Any:
    o = request_header(b, o, f)
    f["view_id"], o = nodeid(b, o)
    o += 12  # view timestamp, view version
    f["max_references_per_node"], o = u32(b, o)
    n, o = array_len(b, o)
    items: list[Any] = []
    for _ in range(n):
        item: dict[str, Any] = {}
        item["node_id"], o = nodeid(b, o)
        d, o = u32(b, o)
        item["browse_direction"] = name_of(BROWSE_DIRECTIONS, d)
        item["reference_type_id"], o = nodeid(b, o)
        o += 9  # include subtypes, node class mask, result mask
        if len(items) < MAX_ITEMS:
            items.append(item)
    f["item_count"] = n
    f["items"] = items
    return None


def browse_response(b: bytes, o: int, f: dict[str, Any], ctx: Any) -> Any:
    o = response_header(b, o, f)
    n, o = array_len(b, o)
    items: list[Any] = []
    total = 0
    for _ in range(n):
        st, o = u32(b, o)
        cp, o = bytestring(b, o)
        rn, o = array_len(b, o)
        names: list[Any] = []
        for _ in range(rn):
            o = nodeid(b, o)[1]  # reference type
            o += 1  # is forward
            node, o = expanded_nodeid(b, o)
            bn, o = qualified_name(b, o)
            _, o = localized_text(b, o)
            o += 4  # node class
            o = expanded_nodeid(b, o)[1]
            if len(names) < MAX_ITEMS:
                names.append(bn)
        total += rn
        if len(items) < MAX_ITEMS:
            items.append({"status": status_name(st), "reference_count": rn, "browse_names": names,
                          "continuation_point": bool(cp)})
    f["item_count"] = n
    f["items"] = items
    f["reference_count"] = total
    return None


def browse_next_request(b: bytes, o: int, f: dict[str, Any], ctx: Any) -> Any:
    o = request_header(b, o, f)
    f["release_continuation_points"] = bool(b[o])
    n, _ = array_len(b, o + 1)
    f["continuation_point_count"] = n
    return None


def translate_request(b: bytes, o: int, f: dict[str, Any], ctx: Any) -> Any:
    o = request_header(b, o, f)
    n, o = array_len(b, o)
    items: list[Any] = []
    for _ in range(n):
        start, o = nodeid(b, o)
        en, o = array_len(b, o)
        parts = []
        for _ in range(en):
            o = nodeid(b, o)[1]
            o += 2
            q, o = qualified_name(b, o)
            parts.append(q)
        if len(items) < MAX_ITEMS:
            items.append({"starting_node": start, "relative_path": "/".join(parts)})
    f["item_count"] = n
    f["items"] = items
    return None


def translate_response(b: bytes, o: int, f: dict[str, Any], ctx: Any) -> Any:
    o = response_header(b, o, f)
    n, o = array_len(b, o)
    items: list[Any] = []
    for _ in range(n):
        st, o = u32(b, o)
        tn, o = array_len(b, o)
        targets = []
        for _ in range(tn):
            t, o = expanded_nodeid(b, o)
            o += 4
            targets.append(t)
        if len(items) < MAX_ITEMS:
            items.append({"status": status_name(st), "targets": targets[:MAX_ITEMS]})
    f["item_count"] = n
    f["items"] = items
    return None


def _node_list(b: bytes, o: int, f: dict[str, Any], key: str) -> int:
    n, o = array_len(b, o)
    ids: list[Any] = []
    for _ in range(n):
        s, o = nodeid(b, o)
        if len(ids) < MAX_ITEMS:
            ids.append(s)
    f["item_count"] = n
    f[key] = ids
    return o


def register_nodes_request(b: bytes, o: int, f: dict[str, Any], ctx: Any) -> Any:
    _node_list(b, request_header(b, o, f), f, "node_ids")
    return None


def register_nodes_response(b: bytes, o: int, f: dict[str, Any], ctx: Any) -> Any:
    _node_list(b, response_header(b, o, f), f, "registered_node_ids")
    return None


# -- attribute ---------------------------------------------------------------------------------------

def read_request(b: bytes, o: int, f: dict[str, Any], ctx: Any) -> Any:
    o = request_header(b, o, f)
    f["max_age"], o = f64(b, o)
    ttr, o = u32(b, o)
    f["timestamps_to_return"] = name_of(TIMESTAMPS_TO_RETURN, ttr)
    n, o = array_len(b, o)
    items: list[Any] = []
    for _ in range(n):
        item, o = read_value_id(b, o)
        if len(items) < MAX_ITEMS:
            items.append(item)
    f["item_count"] = n
    f["items"] = items
    return [(i["node_id"], i["attribute_id"]) for i in items]


def _value_fields(dv: dict[str, Any], item: dict[str, Any]) -> None:
    if "value_type" in dv:
        item["value_type"] = dv["value_type"]
        if "array_length" in dv:
            item["array_length"] = dv["array_length"]
        else:
            item["value"] = dv["value"]


def read_response(b: bytes, o: int, f: dict[str, Any], ctx: Any) -> Any:
    o = response_header(b, o, f)
    n, o = array_len(b, o)
    items: list[Any] = []
    req: list[tuple[str, int]] = ctx if isinstance(ctx, list) else []
    ident: dict[str, str] = {}
    for i in range(n):
        start = o
        dv, o = datavalue(b, o)
        item: dict[str, Any] = {}
        if i < len(req):
            item["node_id"] = req[i][0]
            set_attribute(item, req[i][1])
        item["status"] = status_name(dv.get("status_code", 0))
        _value_fields(dv, item)
        if i < len(req) and req[i][1] == 13:
            _identity_from_value(req[i][0], b, start, dv, ident, f)
        if len(items) < MAX_ITEMS:
            items.append(item)
    f["item_count"] = n
    f["items"] = items
    if ident:
        f["identity"] = ident
    return None


def _identity_from_value(node: str, b: bytes, start: int, dv: dict[str, Any], ident: dict[str, str],
                         f: dict[str, Any]) -> None:
    """Server identity from a Read of ServerStatus, its BuildInfo or one of BuildInfo's children."""
    if not node.startswith("i="):
        return
    num = int(node[2:])
    key = BUILD_INFO_NODES.get(num)
    if key is not None:
        v = dv.get("value")
        if isinstance(v, str) and v:
            ident[key] = v
        return
    if num not in (NODE_SERVER_STATUS, NODE_BUILD_INFO) or dv.get("value_type") != "ExtensionObject":
        return
    # the DataValue's variant holds the structure: mask byte, variant encoding byte, extension object
    tid, body, _ = extension_object(b, start + 2)
    if body is None:
        return
    p = 0
    if tid == ENC_SERVER_STATUS:
        _, p = datetime_(body, p)
        _, p = datetime_(body, p)
        state, p = u32(body, p)
        f["server_state"] = name_of(SERVER_STATES, state)
    elif tid != ENC_BUILD_INFO:
        return
    for key in ("product_code", "vendor", "product_name", "application_version", "revision"):
        s, p = string(body, p)
        if s:
            ident[key] = s
    d, p = datetime_(body, p)
    if d:
        ident["build_date"] = d


def write_request(b: bytes, o: int, f: dict[str, Any], ctx: Any) -> Any:
    o = request_header(b, o, f)
    n, o = array_len(b, o)
    items: list[Any] = []
    for _ in range(n):
        item: dict[str, Any] = {}
        item["node_id"], o = nodeid(b, o)
        attr, o = u32(b, o)
        set_attribute(item, attr)
        rng, o = string(b, o)
        if rng:
            item["index_range"] = rng
        dv, o = datavalue(b, o)
        _value_fields(dv, item)
        if len(items) < MAX_ITEMS:
            items.append(item)
    f["item_count"] = n
    f["items"] = items
    return [(i["node_id"], i["attribute_id"]) for i in items]


def write_response(b: bytes, o: int, f: dict[str, Any], ctx: Any) -> Any:
    o = response_header(b, o, f)
    results, o = statuses(b, o)
    req: list[tuple[str, int]] = ctx if isinstance(ctx, list) else []
    items = []
    for i, st in enumerate(results):
        item: dict[str, Any] = {"status": st}
        if i < len(req):
            item["node_id"] = req[i][0]
            set_attribute(item, req[i][1])
        items.append(item)
    f["item_count"] = len(results)
    f["items"] = items
    return None


# -- method ------------------------------------------------------------------------------------------

def _variant_types(b: bytes, o: int) -> tuple[list[str], int]:
    n, o = array_len(b, o)
    types: list[Any] = []
    for _ in range(n):
        t, _, _, o = variant(b, o)
        if len(types) < MAX_ITEMS:
            types.append(BUILTIN_TYPES[t])
    return types, o


def call_request(b: bytes, o: int, f: dict[str, Any], ctx: Any) -> Any:
    o = request_header(b, o, f)
    n, o = array_len(b, o)
    items: list[Any] = []
    for _ in range(n):
        item: dict[str, Any] = {}
        item["object_id"], o = nodeid(b, o)
        item["method_id"], o = nodeid(b, o)
        item["input_argument_types"], o = _variant_types(b, o)
        if len(items) < MAX_ITEMS:
            items.append(item)
    f["item_count"] = n
    f["items"] = items
    return [(i["object_id"], i["method_id"]) for i in items]


def call_response(b: bytes, o: int, f: dict[str, Any], ctx: Any) -> Any:
    o = response_header(b, o, f)
    n, o = array_len(b, o)
    req: list[tuple[str, str]] = ctx if isinstance(ctx, list) else []
    items: list[Any] = []
    for i in range(n):
        st, o = u32(b, o)
        _, o = statuses(b, o)
        o = skip_diags(b, o)
        item: dict[str, Any] = {"status": status_name(st)}
        item["output_argument_types"], o = _variant_types(b, o)
        if i < len(req):
            item["object_id"], item["method_id"] = req[i]
        if len(items) < MAX_ITEMS:
            items.append(item)
    f["item_count"] = n
    f["items"] = items
    return None
