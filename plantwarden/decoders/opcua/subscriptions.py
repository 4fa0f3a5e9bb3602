"""OPC UA subscription services: CreateSubscription, CreateMonitoredItems, Publish, Republish,
DeleteSubscriptions, DeleteMonitoredItems."""

from __future__ import annotations

import struct
from typing import Any

from plantwarden.decoders.opcua.binary import (
    MAX_ITEMS,
    array_len,
    datetime_,
    f64,
    u32,
)
from plantwarden.decoders.opcua.common import (
    ext_skip,
    read_value_id,
    request_header,
    response_header,
    statuses,
)
from plantwarden.decoders.opcua.constants import (
    MONITORING_MODES,
    TIMESTAMPS_TO_RETURN,
    name_of,
    status_name,
)

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
        item, o = read_value_id(b, o)
        mode, o = u32(b, o)
        item["monitoring_mode"] = name_of(MONITORING_MODES, mode)
        item["client_handle"], o = u32(b, o)
        item["sampling_interval"], o = f64(b, o)
        o = ext_skip(b, o)  # filter
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
        o = ext_skip(b, o)  # filter result
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
        o = ext_skip(b, o)
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
    f["results"], o = statuses(b, o)
    return None
