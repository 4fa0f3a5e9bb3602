"""What a Beckhoff ADS/AMS request does: reads, writes, programs or identifies (``core.activity``).

TCP commands (``command_id``): device info identifies; read, read state, notifications and
read-write (mostly symbol look-ups by name) read; write writes; write control changes the ADS state
(run/stop/config): programs. UDP services (``service_id``): discovery identifies; adding or deleting
a route changes the device's configuration: programs. See docs/inventory.md ("Roles").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plantwarden.core.activity import IDENTIFIES, PROGRAMS, READS, WRITES

ADS_COMMANDS = {1: IDENTIFIES, 2: READS, 3: WRITES, 4: READS, 5: PROGRAMS, 6: READS, 7: READS, 9: READS}
ADS_UDP_SERVICES = {1: IDENTIFIES, 2: IDENTIFIES, 6: PROGRAMS, 7: PROGRAMS}


def activity(fields: Mapping[str, Any]) -> str | None:
    """The activity of a request with these event fields, or None."""
    if fields.get("direction") != "request":
        return None
    cmd = fields.get("command_id")
    if isinstance(cmd, int):
        return ADS_COMMANDS.get(cmd)
    sid = fields.get("service_id")
    return ADS_UDP_SERVICES.get(sid) if isinstance(sid, int) else None
