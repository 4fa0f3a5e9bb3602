"""What a Modbus request does: reads, writes, programs or identifies (``core.activity``).

Classification goes by function code (and UMAS sub-function), not by event name. The reasons are in
docs/inventory.md ("Roles").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plantwarden.core.activity import IDENTIFIES, PROGRAMS, READS, WRITES

MODBUS_READS = frozenset({1, 2, 3, 4, 7, 8, 11, 12, 20, 24})
MODBUS_WRITES = frozenset({5, 6, 15, 16, 21, 22, 23})
#: legacy Modicon programming functions and Schneider's UMAS (90)
MODBUS_PROGRAMS = frozenset({9, 13, 18, 40, 90, 125, 126})
#: 17 report server id, 43 encapsulated interface (read device identification)
MODBUS_IDENTIFIES = frozenset({17, 43})
#: UMAS sub-functions (``umas_function``) that only read: not programming
UMAS_READS = frozenset(
    {0x01, 0x02, 0x03, 0x04, 0x06, 0x0A, 0x12, 0x20, 0x22, 0x24, 0x26, 0x39, 0x50, 0x58, 0x70, 0x73}
)
UMAS_WRITES = frozenset({0x23, 0x25, 0x71})


def activity(fields: Mapping[str, Any]) -> str | None:
    """The activity of a request with these event fields, or None."""
    code = fields.get("function_code")
    if not isinstance(code, int):
        return None
    code &= 0x7F
    if code in MODBUS_READS:
        return READS
    if code in MODBUS_WRITES:
        return WRITES
    if code == 90:
        sub = _as_int(fields.get("umas_function"))
        if sub in UMAS_READS:
            return READS
        if sub in UMAS_WRITES:
            return WRITES
        return PROGRAMS
    if code in MODBUS_PROGRAMS:
        return PROGRAMS
    if code in MODBUS_IDENTIFIES:
        return IDENTIFIES
    return None


def _as_int(value: Any) -> int | None:
    return value if isinstance(value, int) else None
