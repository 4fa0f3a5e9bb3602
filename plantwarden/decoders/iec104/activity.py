"""What an IEC 60870-5-104 ASDU does: reads, writes or programs (``core.activity``).

Only what the controlling station sends in activation (cause 6) or deactivation (cause 8) counts:
process commands and set-points (type ids 45-69) and parameter loading (110-113) write; general and
counter interrogation and read commands (100-102) read; clock synchronisation (103) writes; reset
process (105) programs. Monitoring data, confirmations and test frames say nothing about a role.
See docs/inventory.md ("Roles").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plantwarden.core.activity import PROGRAMS, READS, WRITES

ACTIVATION_CAUSES = frozenset({6, 8})
IEC104_READS = frozenset({100, 101, 102})
IEC104_WRITES = frozenset(range(45, 70)) | {103, 110, 111, 112, 113}
IEC104_PROGRAMS = frozenset({105})


def activity(fields: Mapping[str, Any]) -> str | None:
    """The activity of an ASDU with these event fields, or None."""
    type_id = fields.get("type_id")
    if not isinstance(type_id, int) or fields.get("cause") not in ACTIVATION_CAUSES:
        return None
    if type_id in IEC104_READS:
        return READS
    if type_id in IEC104_WRITES:
        return WRITES
    if type_id in IEC104_PROGRAMS:
        return PROGRAMS
    return None
