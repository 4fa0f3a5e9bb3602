"""What a BSAP request does: RDB reads and writes (``core.activity``).

RDB function codes with bit 7 clear read signals (by address, name or list); with bit 7 set they write
them. Other application functions (PEI, flash download, alarms ...) are not classified.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plantwarden.core.activity import READS, WRITES


def activity(fields: Mapping[str, Any]) -> str | None:
    """The activity of an RDB request with these event fields, or None."""
    code = fields.get("function_code")
    if fields.get("direction") != "request" or not isinstance(code, int) or isinstance(code, bool):
        return None
    return WRITES if code & 0x80 else READS
