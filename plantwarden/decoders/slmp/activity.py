"""What a MELSEC SLMP request does: reads, writes, programs or identifies (``core.activity``).

By command code. Remote run/stop/pause/reset/latch clear, password lock/unlock and file
creation/deletion/writes are engineering work: programs. See docs/inventory.md ("Roles").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plantwarden.core.activity import IDENTIFIES, PROGRAMS, READS, WRITES

SLMP_READS = frozenset({0x0401, 0x0403, 0x0406, 0x0613, 0x0601, 0x0801, 0x0802, 0x0619, 0x1810, 0x1811,
                        0x1827, 0x1828, 0x182A})
SLMP_WRITES = frozenset({0x1401, 0x1402, 0x1406, 0x1613, 0x1601, 0x1617})
SLMP_PROGRAMS = frozenset({0x1001, 0x1002, 0x1003, 0x1005, 0x1006, 0x1630, 0x1631, 0x1820, 0x1822, 0x1824,
                           0x1825, 0x1826, 0x1829})
SLMP_IDENTIFIES = frozenset({0x0101})


def activity(fields: Mapping[str, Any]) -> str | None:
    """The activity of a request with these event fields, or None."""
    code = fields.get("command_code")
    if not isinstance(code, int) or fields.get("direction") == "response":
        return None
    for codes, kind in ((SLMP_READS, READS), (SLMP_WRITES, WRITES), (SLMP_PROGRAMS, PROGRAMS),
                        (SLMP_IDENTIFIES, IDENTIFIES)):
        if code in codes:
            return kind
    return None
