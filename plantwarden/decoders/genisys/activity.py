"""What a GENISYS message from the master does: reads or writes (``core.activity``).

Polls, acknowledge-and-poll and recall read the station's indications; control data, common control
data and execute controls change field outputs (signals, switches): writes. See docs/inventory.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plantwarden.core.activity import READS, WRITES

GENISYS_READS = frozenset({0xFA, 0xFB, 0xFD})
GENISYS_WRITES = frozenset({0xF9, 0xFC, 0xFE})


def activity(fields: Mapping[str, Any]) -> str | None:
    """The activity of a message with these event fields, or None."""
    code = fields.get("header_code")
    if code in GENISYS_READS:
        return READS
    if code in GENISYS_WRITES:
        return WRITES
    return None
