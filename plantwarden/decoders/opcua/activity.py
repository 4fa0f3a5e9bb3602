"""What an OPC UA request does: reads, writes, programs or identifies (``core.activity``).

By service name (``service``). Method calls count as writes: a method changes the server's state
as a write does, and which methods are harmless is not visible on the wire. Adding and deleting
nodes or references changes the address space (the server's configuration): programs. See
docs/inventory.md ("Roles").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plantwarden.core.activity import IDENTIFIES, PROGRAMS, READS, WRITES

UA_READS = frozenset({
    "read", "history_read", "browse", "browse_next", "translate_browse_paths_to_node_ids", "register_nodes",
    "unregister_nodes", "query_first", "query_next", "create_monitored_items", "modify_monitored_items",
    "set_monitoring_mode", "set_triggering", "delete_monitored_items", "create_subscription",
    "modify_subscription", "set_publishing_mode", "publish", "republish", "transfer_subscriptions",
    "delete_subscriptions",
})
UA_WRITES = frozenset({"write", "history_update", "call"})
UA_PROGRAMS = frozenset({"add_nodes", "add_references", "delete_nodes", "delete_references", "register_server",
                         "register_server2"})
UA_IDENTIFIES = frozenset({"get_endpoints", "find_servers", "find_servers_on_network"})


def activity(fields: Mapping[str, Any]) -> str | None:
    """The activity of a request with these event fields, or None."""
    service = fields.get("service")
    if not isinstance(service, str):
        return None
    if service in UA_READS:
        return READS
    if service in UA_WRITES:
        return WRITES
    if service in UA_PROGRAMS:
        return PROGRAMS
    if service in UA_IDENTIFIES:
        return IDENTIFIES
    return None
