"""OPC UA service bodies (Part 4 structures, Part 6 binary encoding) -> event fields.

Each parser gets the reassembled message body at the offset just after the service's encoding
NodeId and fills the event's field dict. A request parser returns what its response needs (e.g. the
node ids read, so that the answer's values can be attributed); a response parser receives it.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from plantwarden.decoders.opcua.binary import (
    MAX_ITEMS,
    Malformed,
    application_description,
    array_len,
    bytestring,
    datavalue,
    datetime_,
    expanded_nodeid,
    extension_object,
    f64,
    localized_text,
    nodeid,
    nodeid_numeric,
    qualified_name,
    skip_bytestring,
    skip_diag,
    skip_diags,
    string,
    u32,
    variant,
)
from plantwarden.decoders.opcua.constants import (
    ATTRIBUTES,
    BROWSE_DIRECTIONS,
    BUILD_INFO_NODES,
    BUILTIN_TYPES,
    ENC_BUILD_INFO,
    ENC_SERVER_STATUS,
    IDENTITY_TOKENS,
    MONITORING_MODES,
    NODE_BUILD_INFO,
    NODE_SERVER_STATUS,
    REQUEST_TYPES,
    SECURITY_MODES,
    SERVER_STATES,
    TIMESTAMPS_TO_RETURN,
    USER_TOKEN_TYPES,
    name_of,
    policy_name,
    status_name,
)

Parser = Callable[[bytes, int, dict[str, Any], Any], Any]
_HDR_TAIL = struct.Struct("<qII")  # timestamp, request handle, return diagnostics / service result


def _ext_skip(b: bytes, o: int) -> int:
    return extension_object(b, o)[2]


def request_header(b: bytes, o: int, f: dict[str, Any]) -> int:
    o = nodeid(b, o)[1]  # authentication token: a session secret, never logged
    _, handle, _ = _HDR_TAIL.unpack_from(b, o)
    f["request_handle"] = handle
    o += 16
    _, o = string(b, o)  # audit entry id
    f["timeout_hint"], o = u32(b, o)
    return _ext_skip(b, o)


def response_header(b: bytes, o: int, f: dict[str, Any]) -> int:
    _, handle, result = _HDR_TAIL.unpack_from(b, o)
    f["request_handle"] = handle
    f["service_result_code"] = result
    f["service_result"] = status_name(result)
    o = skip_diag(b, o + 16)
    n, o = array_len(b, o)
    for _ in range(n):
        _, o = string(b, o)
    return _ext_skip(b, o)


def _strings(b: bytes, o: int) -> tuple[list[str], int]:
    n, o = array_len(b, o)
    out: list[Any] = []
    for _ in range(n):
        s, o = string(b, o)
        if s is not None and len(out) < MAX_ITEMS:
            out.append(s)
    return out, o


def _statuses(b: bytes, o: int) -> tuple[list[str], int]:
    n, o = array_len(b, o)
    out = [status_name(v) for v in struct.unpack_from(f"<{min(n, MAX_ITEMS)}I", b, o)]
    o += 4 * n
    if o > len(b):
        raise Malformed("status code array runs past the end")
    return out, o


def _attr(f: dict[str, Any], attr: int) -> None:
    f["attribute_id"] = attr
    f["attribute"] = name_of(ATTRIBUTES, attr)


def _read_value_id(b: bytes, o: int) -> tuple[dict[str, Any], int]:
    item: dict[str, Any] = {}
    item["node_id"], o = nodeid(b, o)
    attr, o = u32(b, o)
    _attr(item, attr)
    rng, o = string(b, o)
    if rng:
        item["index_range"] = rng
    _, o = qualified_name(b, o)  # data encoding
    return item, o


def _client_server_identity(desc: dict[str, Any]) -> dict[str, str]:
    ident = {}
    if desc.get("application_name"):
        ident["name"] = desc["application_name"]
    if desc.get("product_uri"):
        ident["product_code"] = desc["product_uri"]
    ident["device_type"] = "opcua_" + desc["application_type"]
    return ident


def _endpoints(b: bytes, o: int, f: dict[str, Any]) -> int:
    n, o = array_len(b, o)
    eps: list[Any] = []
    for _ in range(n):
        ep: dict[str, Any] = {}
        ep["endpoint_url"], o = string(b, o)
        server, o = application_description(b, o)
        cert, o = bytestring(b, o)
        mode, o = u32(b, o)
        uri, o = string(b, o)
        tn, o = array_len(b, o)
        tokens = []
        for _ in range(tn):
            _, o = string(b, o)  # policy id
            ttype, o = u32(b, o)
            _, o = string(b, o)  # issued token type
            _, o = string(b, o)  # issuer endpoint url
            _, o = string(b, o)  # security policy uri
            tokens.append(name_of(USER_TOKEN_TYPES, ttype))
        _, o = string(b, o)  # transport profile uri
        level = b[o]
        o += 1
        if "identity" not in f:
            f["identity"] = _client_server_identity(server)
            f["application_uri"] = server["application_uri"]
            if cert:
                f["server_certificate_size"] = len(cert)
        if len(eps) < MAX_ITEMS:
            ep["security_mode"] = name_of(SECURITY_MODES, mode)
            ep["security_policy"] = policy_name(uri)
            ep["user_token_types"] = sorted(set(tokens))
            ep["security_level"] = level
            eps.append(ep)
    f["endpoint_count"] = n
    f["endpoints"] = eps
    return o


# -- secure channel ----------------------------------------------------------------------------------

def open_secure_channel_request(b: bytes, o: int, f: dict[str, Any], ctx: Any) -> Any:
    o = request_header(b, o, f)
    f["client_protocol_version"], o = u32(b, o)
    rt, o = u32(b, o)
    f["request_type"] = name_of(REQUEST_TYPES, rt)
    mode, o = u32(b, o)
    f["requested_security_mode"] = name_of(SECURITY_MODES, mode)
    o = skip_bytestring(b, o)  # client nonce
    f["requested_lifetime"], o = u32(b, o)
    return None


def open_secure_channel_response(b: bytes, o: int, f: dict[str, Any], ctx: Any) -> Any:
    o = response_header(b, o, f)
    f["server_protocol_version"], o = u32(b, o)
    f["security_token_channel_id"], o = u32(b, o)
    f["security_token_id"], o = u32(b, o)
    f["security_token_created_at"], o = datetime_(b, o)
    f["revised_lifetime"], o = u32(b, o)
    return None


def request_only(b: bytes, o: int, f: dict[str, Any], ctx: Any) -> Any:
    request_header(b, o, f)
    return None


def response_only(b: bytes, o: int, f: dict[str, Any], ctx: Any) -> Any:
    response_header(b, o, f)
    return None


# -- discovery ---------------------------------------------------------------------------------------

def get_endpoints_request(b: bytes, o: int, f: dict[str, Any], ctx: Any) -> Any:
    o = request_header(b, o, f)
    f["endpoint_url"], o = string(b, o)
    return None


def get_endpoints_response(b: bytes, o: int, f: dict[str, Any], ctx: Any) -> Any:
    o = response_header(b, o, f)
    _endpoints(b, o, f)
    return None


def find_servers_request(b: bytes, o: int, f: dict[str, Any], ctx: Any) -> Any:
    o = request_header(b, o, f)
    f["endpoint_url"], o = string(b, o)
    _, o = _strings(b, o)  # locale ids
    f["server_uris"], o = _strings(b, o)
    return None


def find_servers_response(b: bytes, o: int, f: dict[str, Any], ctx: Any) -> Any:
    o = response_header(b, o, f)
    n, o = array_len(b, o)
    servers: list[Any] = []
    for _ in range(n):
        d, o = application_description(b, o)
        if len(servers) < MAX_ITEMS:
            servers.append(d)
    f["servers"] = servers
    return None


# -- session -----------------------------------------------------------------------------------------

def create_session_request(b: bytes, o: int, f: dict[str, Any], ctx: Any) -> Any:
    o = request_header(b, o, f)
    desc, o = application_description(b, o)
    f["identity"] = _client_server_identity(desc)
    f["application_uri"] = desc["application_uri"]
    f["server_uri"], o = string(b, o)
    f["endpoint_url"], o = string(b, o)
    f["session_name"], o = string(b, o)
    o = skip_bytestring(b, o)  # client nonce
    cert, o = bytestring(b, o)
    f["client_certificate_size"] = len(cert) if cert else 0
    f["requested_session_timeout"], o = f64(b, o)
    return None


def create_session_response(b: bytes, o: int, f: dict[str, Any], ctx: Any) -> Any:
    o = response_header(b, o, f)
    f["session_id"], o = nodeid(b, o)
    o = nodeid(b, o)[1]  # authentication token: a session secret, never logged
    f["revised_session_timeout"], o = f64(b, o)
    o = skip_bytestring(b, o)  # server nonce
    cert, o = bytestring(b, o)
    _endpoints(b, o, f)
    if cert:
        f["server_certificate_size"] = len(cert)
    return None


def activate_session_request(b: bytes, o: int, f: dict[str, Any], ctx: Any) -> Any:
    o = request_header(b, o, f)
    _, o = string(b, o)  # client signature algorithm
    o = skip_bytestring(b, o)
    n, o = array_len(b, o)  # client software certificates
    for _ in range(n):
        o = skip_bytestring(b, skip_bytestring(b, o))
    f["locale_ids"], o = _strings(b, o)
    tid, body, o = extension_object(b, o)
    if tid is None:
        f["user_token_type"] = "unknown"
        return None
    f["user_token_type"] = IDENTITY_TOKENS.get(tid) or f"unknown-{tid}"
    if body is None:
        return None
    p = 0
    f["user_token_policy_id"], p = string(body, p)
    if tid == 324:  # UserNameIdentityToken: the name, never the password
        f["user_name"], p = string(body, p)
        p = skip_bytestring(body, p)
        alg, p = string(body, p)
        f["password_encrypted"] = bool(alg)
    elif tid == 940:  # IssuedIdentityToken
        p = skip_bytestring(body, p)
        alg, p = string(body, p)
        f["token_encrypted"] = bool(alg)
    return None


def close_session_request(b: bytes, o: int, f: dict[str, Any], ctx: Any) -> Any:
    o = request_header(b, o, f)
    f["delete_subscriptions"] = bool(b[o])
    return None


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
        item, o = _read_value_id(b, o)
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
            _attr(item, req[i][1])
        item["status"] = status_name(dv.get("status_code", 0))
        _value_fields(dv, item)
        if i < len(req) and req[i][1] == 13:
            _identity_from_value(req[i][0], b, start, dv, ident)
        if len(items) < MAX_ITEMS:
            items.append(item)
    f["item_count"] = n
    f["items"] = items
    if ident:
        f["identity"] = ident
    return None


def _identity_from_value(node: str, b: bytes, start: int, dv: dict[str, Any], ident: dict[str, str]) -> None:
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
        ident["server_state"] = name_of(SERVER_STATES, state)
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
        _attr(item, attr)
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
    results, o = _statuses(b, o)
    req: list[tuple[str, int]] = ctx if isinstance(ctx, list) else []
    items = []
    for i, st in enumerate(results):
        item: dict[str, Any] = {"status": st}
        if i < len(req):
            item["node_id"] = req[i][0]
            _attr(item, req[i][1])
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
        _, o = _statuses(b, o)
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


# -- subscription / monitored items ------------------------------------------------------------------

_SUB_REQ = struct.Struct("<dIII?B")
_SUB_RESP = struct.Struct("<IdII")


def create_subscription_request(b: bytes, o: int, f: dict[str, Any], ctx: Any) -> Any:
    o = request_header(b, o, f)
    (f["requested_publishing_interval"], f["requested_lifetime_count"], f["requested_max_keep_alive_count"],
     f["max_notifications_per_publish"], f["publishing_enabled"], f["priority"]) = _SUB_REQ.unpack_from(b, o)
    return None


def create_subscription_response(b: bytes, o: int, f: dict[str, Any], ctx: Any) -> Any:
    o = response_header(b, o, f)
    (f["subscription_id"], f["revised_publishing_interval"], f["revised_lifetime_count"],
     f["revised_max_keep_alive_count"]) = _SUB_RESP.unpack_from(b, o)
    return None


def create_monitored_items_request(b: bytes, o: int, f: dict[str, Any], ctx: Any) -> Any:
    o = request_header(b, o, f)
    f["subscription_id"], o = u32(b, o)
    ttr, o = u32(b, o)
    f["timestamps_to_return"] = name_of(TIMESTAMPS_TO_RETURN, ttr)
    n, o = array_len(b, o)
    items: list[Any] = []
    for _ in range(n):
        item, o = _read_value_id(b, o)
        mode, o = u32(b, o)
        item["monitoring_mode"] = name_of(MONITORING_MODES, mode)
        item["client_handle"], o = u32(b, o)
        item["sampling_interval"], o = f64(b, o)
        o = _ext_skip(b, o)  # filter
        item["queue_size"], o = u32(b, o)
        o += 1  # discard oldest
        if len(items) < MAX_ITEMS:
            items.append(item)
    f["item_count"] = n
    f["items"] = items
    return [(i["node_id"], i["attribute_id"]) for i in items]


def create_monitored_items_response(b: bytes, o: int, f: dict[str, Any], ctx: Any) -> Any:
    o = response_header(b, o, f)
    n, o = array_len(b, o)
    req: list[tuple[str, int]] = ctx if isinstance(ctx, list) else []
    items: list[Any] = []
    for i in range(n):
        st, o = u32(b, o)
        item: dict[str, Any] = {"status": status_name(st)}
        item["monitored_item_id"], o = u32(b, o)
        item["revised_sampling_interval"], o = f64(b, o)
        o += 4  # revised queue size
        o = _ext_skip(b, o)  # filter result
        if i < len(req):
            item["node_id"] = req[i][0]
        if len(items) < MAX_ITEMS:
            items.append(item)
    f["item_count"] = n
    f["items"] = items
    return None


def publish_request(b: bytes, o: int, f: dict[str, Any], ctx: Any) -> Any:
    o = request_header(b, o, f)
    n, o = array_len(b, o)
    f["acknowledgement_count"] = n
    return None


def _notification_message(b: bytes, o: int, f: dict[str, Any]) -> int:
    f["notification_sequence_number"], o = u32(b, o)
    f["publish_time"], o = datetime_(b, o)
    n, o = array_len(b, o)
    for _ in range(n):
        o = _ext_skip(b, o)
    f["notification_count"] = n
    return o


def publish_response(b: bytes, o: int, f: dict[str, Any], ctx: Any) -> Any:
    o = response_header(b, o, f)
    f["subscription_id"], o = u32(b, o)
    n, o = array_len(b, o)
    o += 4 * n
    f["more_notifications"] = bool(b[o])
    _notification_message(b, o + 1, f)
    return None


def republish_request(b: bytes, o: int, f: dict[str, Any], ctx: Any) -> Any:
    o = request_header(b, o, f)
    f["subscription_id"], o = u32(b, o)
    f["retransmit_sequence_number"], o = u32(b, o)
    return None


def republish_response(b: bytes, o: int, f: dict[str, Any], ctx: Any) -> Any:
    _notification_message(b, response_header(b, o, f), f)
    return None


def delete_subscriptions_request(b: bytes, o: int, f: dict[str, Any], ctx: Any) -> Any:
    o = request_header(b, o, f)
    n, o = array_len(b, o)
    f["subscription_ids"] = list(struct.unpack_from(f"<{min(n, MAX_ITEMS)}I", b, o))
    return None


def statuses_response(b: bytes, o: int, f: dict[str, Any], ctx: Any) -> Any:
    o = response_header(b, o, f)
    f["results"], o = _statuses(b, o)
    return None


PARSERS: dict[int, Parser] = {
    397: response_only,  # ServiceFault
    422: find_servers_request, 425: find_servers_response,
    428: get_endpoints_request, 431: get_endpoints_response,
    446: open_secure_channel_request, 449: open_secure_channel_response,
    452: request_only, 455: response_only,
    461: create_session_request, 464: create_session_response,
    467: activate_session_request, 470: response_only,
    473: close_session_request, 476: response_only,
    527: browse_request, 530: browse_response,
    533: browse_next_request, 536: browse_response,
    554: translate_request, 557: translate_response,
    560: register_nodes_request, 563: register_nodes_response,
    566: register_nodes_request,
    631: read_request, 634: read_response,
    673: write_request, 676: write_response,
    712: call_request, 715: call_response,
    751: create_monitored_items_request, 754: create_monitored_items_response,
    787: create_subscription_request, 790: create_subscription_response,
    826: publish_request, 829: publish_response,
    832: republish_request, 835: republish_response,
    847: delete_subscriptions_request, 850: statuses_response,
    781: request_only, 784: statuses_response,
}


def service_type(b: bytes, o: int) -> tuple[int | None, int]:
    """The encoding NodeId that starts a service message (numeric, namespace 0) or None."""
    return nodeid_numeric(b, o)
