"""Structures shared by the OPC UA service parsers: request/response headers, status lists,
ReadValueIds, ApplicationDescriptions and EndpointDescriptions (Part 4/6)."""

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
    extension_object,
    nodeid,
    qualified_name,
    skip_diag,
    string,
    u32,
)
from plantwarden.decoders.opcua.constants import (
    ATTRIBUTES,
    SECURITY_MODES,
    USER_TOKEN_TYPES,
    name_of,
    policy_name,
    status_name,
)

Parser = Callable[[bytes, int, dict[str, Any], Any], Any]
_HDR_TAIL = struct.Struct("<qII")  # timestamp, request handle, return diagnostics / service result


def ext_skip(b: bytes, o: int) -> int:
    return extension_object(b, o)[2]


def request_header(b: bytes, o: int, f: dict[str, Any]) -> int:
    o = nodeid(b, o)[1]  # authentication token: a session secret, never logged
    _, handle, _ = _HDR_TAIL.unpack_from(b, o)
    f["request_handle"] = handle
    o += 16
    _, o = string(b, o)  # audit entry id
    f["timeout_hint"], o = u32(b, o)
    return ext_skip(b, o)


def response_header(b: bytes, o: int, f: dict[str, Any]) -> int:
    _, handle, result = _HDR_TAIL.unpack_from(b, o)
    f["request_handle"] = handle
    f["service_result_code"] = result
    f["service_result"] = status_name(result)
    o = skip_diag(b, o + 16)
    n, o = array_len(b, o)
    for _ in range(n):
        _, o = string(b, o)
    return ext_skip(b, o)


def strings(b: bytes, o: int) -> tuple[list[str], int]:
    n, o = array_len(b, o)
    out: list[Any] = []
    for _ in range(n):
        s, o = string(b, o)
        if s is not None and len(out) < MAX_ITEMS:
            out.append(s)
    return out, o


def statuses(b: bytes, o: int) -> tuple[list[str], int]:
    n, o = array_len(b, o)
    out = [status_name(v) for v in struct.unpack_from(f"<{min(n, MAX_ITEMS)}I", b, o)]
    o += 4 * n
    if o > len(b):
        raise Malformed("status code array runs past the end")
    return out, o


def set_attribute(f: dict[str, Any], attr: int) -> None:
    f["attribute_id"] = attr
    f["attribute"] = name_of(ATTRIBUTES, attr)


def read_value_id(b: bytes, o: int) -> tuple[dict[str, Any], int]:
    item: dict[str, Any] = {}
    item["node_id"], o = nodeid(b, o)
    attr, o = u32(b, o)
    set_attribute(item, attr)
    rng, o = string(b, o)
    if rng:
        item["index_range"] = rng
    _, o = qualified_name(b, o)  # data encoding
    return item, o


def app_identity(desc: dict[str, Any]) -> dict[str, str]:
    ident = {}
    if desc.get("application_name"):
        ident["name"] = desc["application_name"]
    if desc.get("product_uri"):
        ident["product_code"] = desc["product_uri"]
    ident["device_type"] = "opcua_" + desc["application_type"]
    return ident


def endpoints(b: bytes, o: int, f: dict[str, Any]) -> int:
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
            f["identity"] = app_identity(server)
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


def request_only(b: bytes, o: int, f: dict[str, Any], ctx: Any) -> Any:
    request_header(b, o, f)
    return None


def response_only(b: bytes, o: int, f: dict[str, Any], ctx: Any) -> Any:
    response_header(b, o, f)
    return None
