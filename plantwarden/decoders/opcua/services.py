"""OPC UA service bodies (Part 4 structures, Part 6 binary encoding) -> event fields.

Each parser gets the reassembled message body at the offset just after the service's encoding
NodeId and fills the event's field dict. A request parser returns what its response needs (e.g. the
node ids read, so that the answer's values can be attributed); a response parser receives it.
"""

from __future__ import annotations

from typing import Any

from plantwarden.decoders.opcua.binary import (
    MAX_ITEMS,
    application_description,
    array_len,
    bytestring,
    datetime_,
    extension_object,
    f64,
    nodeid,
    nodeid_numeric,
    skip_bytestring,
    string,
    u32,
)
from plantwarden.decoders.opcua.common import (
    Parser,
    app_identity,
    endpoints,
    request_header,
    request_only,
    response_header,
    response_only,
    strings,
)
from plantwarden.decoders.opcua.constants import (
    IDENTITY_TOKENS,
    REQUEST_TYPES,
    SECURITY_MODES,
    name_of,
)
from plantwarden.decoders.opcua.nodes import (
    browse_next_request,
    browse_request,
    browse_response,
    call_request,
    call_response,
    read_request,
    read_response,
    register_nodes_request,
    register_nodes_response,
    translate_request,
    translate_response,
    write_request,
    write_response,
)
from plantwarden.decoders.opcua.subscriptions import (
    create_monitored_items_request,
    create_monitored_items_response,
    create_subscription_request,
    create_subscription_response,
    delete_subscriptions_request,
    publish_request,
    publish_response,
    republish_request,
    republish_response,
    statuses_response,
)

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




# -- discovery ---------------------------------------------------------------------------------------

def get_endpoints_request(b: bytes, o: int, f: dict[str, Any], ctx: Any) -> Any:
    o = request_header(b, o, f)
    f["endpoint_url"], o = string(b, o)
    return None


def get_endpoints_response(b: bytes, o: int, f: dict[str, Any], ctx: Any) -> Any:
    o = response_header(b, o, f)
    endpoints(b, o, f)
    return None


def find_servers_request(b: bytes, o: int, f: dict[str, Any], ctx: Any) -> Any:
    o = request_header(b, o, f)
    f["endpoint_url"], o = string(b, o)
    _, o = strings(b, o)  # locale ids
    f["server_uris"], o = strings(b, o)
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
    f["identity"] = app_identity(desc)
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
    endpoints(b, o, f)
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
    f["locale_ids"], o = strings(b, o)
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
