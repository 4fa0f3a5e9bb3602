"""What a DNP3 request does: reads, writes, programs or identifies (``core.activity``).

By application function code; a read of device attributes (group 0) identifies. Controls (select,
operate, direct operate), freezes, class assignment and unsolicited enable/disable change process or
reporting state: writes. Restarts, application start/stop, configuration activation and file
deletion change how the outstation runs: programs. See docs/inventory.md ("Roles").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plantwarden.core.activity import IDENTIFIES, PROGRAMS, READS, WRITES

READ = 1
DNP3_READS = frozenset({1, 23, 24, 25, 26, 28, 29, 30})  # read, delay measure, record time, file open/close/info/auth/abort
DNP3_WRITES = frozenset({2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 20, 21, 22})
DNP3_PROGRAMS = frozenset({13, 14, 15, 16, 17, 18, 19, 27, 31})  # restarts, init, start/stop/save config, delete file, activate config


def activity(fields: Mapping[str, Any]) -> str | None:
    """The activity of a request with these event fields, or None."""
    code = fields.get("function_code")
    if not isinstance(code, int):
        return None
    if code == READ:
        objects = fields.get("objects")
        if isinstance(objects, list) and any(isinstance(o, dict) and o.get("group") == 0 for o in objects):
            return IDENTIFIES
        return READS
    if code in DNP3_READS:
        return READS
    if code in DNP3_WRITES:
        return WRITES
    if code in DNP3_PROGRAMS:
        return PROGRAMS
    return None
