"""What an EtherNet/IP-CIP request does: reads, writes, programs or identifies (``core.activity``).

By CIP service code (``service_code``) and, for the identity object, class; encapsulation
commands without CIP (ListIdentity, ListServices, ListInterfaces) identify. Containers (Multiple
Service Packet, Unconnected Send) say nothing themselves: their embedded requests have their own
events. See docs/inventory.md ("Roles").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plantwarden.core.activity import IDENTIFIES, PROGRAMS, READS, WRITES

IDENTITY_CLASS = 0x01
GET_ATTRIBUTE_ALL = 0x01
#: get attribute all/list/single, get member, Logix read tag (+ fragmented), read template
CIP_READS = frozenset({0x01, 0x03, 0x0E, 0x18, 0x4C, 0x52})
#: set attribute all/list/single, set member, Logix write tag (+ fragmented), read-modify-write
CIP_WRITES = frozenset({0x02, 0x04, 0x10, 0x19, 0x4D, 0x53, 0x4E})
#: reset, start, stop, create, delete, apply attributes, restore, save
CIP_PROGRAMS = frozenset({0x05, 0x06, 0x07, 0x08, 0x09, 0x0D, 0x15, 0x16})
#: ENIP encapsulation commands: ListServices 0x04, ListIdentity 0x63, ListInterfaces 0x64
ENIP_IDENTIFIES = frozenset({0x04, 0x63, 0x64})


def activity(fields: Mapping[str, Any]) -> str | None:
    """The activity of a request with these event fields, or None."""
    service = fields.get("service_code")
    if not isinstance(service, int):
        return IDENTIFIES if fields.get("command_code") in ENIP_IDENTIFIES else None
    if service == GET_ATTRIBUTE_ALL and fields.get("class") == IDENTITY_CLASS:
        return IDENTIFIES
    if service in CIP_READS:
        return READS
    if service in CIP_WRITES:
        return WRITES
    if service in CIP_PROGRAMS:
        return PROGRAMS
    return None
