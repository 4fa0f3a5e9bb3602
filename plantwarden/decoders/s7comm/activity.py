"""What an S7comm request does: reads, writes, programs or identifies (``core.activity``).

Job PDUs by parameter function, user-data by function group and subfunction. The reasons are in
docs/inventory.md ("Roles").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plantwarden.core.activity import IDENTIFIES, PROGRAMS, READS, WRITES

S7_READS = frozenset({0x04})
S7_WRITES = frozenset({0x05})
#: download (0x1a-0x1c), upload (0x1d-0x1f), PI service / PLC control (0x28), PLC stop (0x29)
S7_PROGRAMS = frozenset({0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F, 0x28, 0x29})
#: user-data function groups (``userdata_group``, ``userdata_subfunction``): 1 programmer commands, 3 block functions, 5 security -> programs;
#: 2 cyclic data -> reads; 4 CPU functions: SZL reads identify, other CPU functions (alarms) read;
#: 7 time functions: read clock reads, set clock writes
S7_UD_GROUP_PROGRAMS = frozenset({1, 3, 5})
S7_UD_GROUP_READS = frozenset({2, 4})
S7_UD_READ_SZL = (4, 1)
S7_UD_TIME = 7
S7_UD_SET_CLOCK = frozenset({2, 4})  # time sub-functions that set the clock


def activity(fields: Mapping[str, Any]) -> str | None:
    """The activity of a request with these event fields, or None."""
    group = fields.get("userdata_group")
    if isinstance(group, int):  # user-data
        sub = _as_int(fields.get("userdata_subfunction"))
        if (group, sub) == S7_UD_READ_SZL:
            return IDENTIFIES
        if group in S7_UD_GROUP_PROGRAMS:
            return PROGRAMS
        if group in S7_UD_GROUP_READS:
            return READS
        if group == S7_UD_TIME:
            return WRITES if sub in S7_UD_SET_CLOCK else READS
        return None
    code = fields.get("function_code")
    if not isinstance(code, int):
        return None
    if code in S7_READS:
        return READS
    if code in S7_WRITES:
        return WRITES
    if code in S7_PROGRAMS:
        return PROGRAMS
    return None


def _as_int(value: Any) -> int | None:
    return value if isinstance(value, int) else None
