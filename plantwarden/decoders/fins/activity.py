"""What an Omron FINS request does: reads, writes, programs or identifies (``core.activity``).

By command code (MRC/SRC). Program-area access, run/stop, file operations and access rights are the
engineering tool's work: programs. Forced set/reset and error/log clearing change the controller's
state: writes. See docs/inventory.md ("Roles").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plantwarden.core.activity import IDENTIFIES, PROGRAMS, READS, WRITES

FINS_READS = frozenset({0x0101, 0x0104, 0x0201, 0x0220, 0x0502, 0x0601, 0x0602, 0x0603, 0x0620, 0x0701,
                        0x0801, 0x0802, 0x0920, 0x2102, 0x2140, 0x2201, 0x2202, 0x2209})
FINS_WRITES = frozenset({0x0102, 0x0103, 0x0105, 0x0202, 0x0221, 0x0702, 0x0803, 0x2101, 0x2103, 0x2141,
                         0x2301, 0x2302})
FINS_PROGRAMS = frozenset({0x0203, 0x0304, 0x0305, 0x0306, 0x0307, 0x0308, 0x0401, 0x0402, 0x0C01, 0x0C02,
                           0x0C03, 0x2203, 0x2204, 0x2205, 0x2206, 0x2207, 0x2208, 0x220A, 0x220B, 0x220C,
                           0x2215})
FINS_IDENTIFIES = frozenset({0x0501})


def activity(fields: Mapping[str, Any]) -> str | None:
    """The activity of a request with these event fields, or None."""
    code = fields.get("command_code")
    if not isinstance(code, int) or fields.get("direction") == "response":
        return None
    for codes, kind in ((FINS_READS, READS), (FINS_WRITES, WRITES), (FINS_PROGRAMS, PROGRAMS),
                        (FINS_IDENTIFIES, IDENTIFIES)):
        if code in codes:
            return kind
    return None
