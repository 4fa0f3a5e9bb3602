"""What a HART-IP request does: reads, writes, programs or identifies (``core.activity``).

Classification goes by the HART command of a token-passing or direct PDU request: the identity
commands (0, 11, 21 read the unique identifier; 13 and 20 the tags) identify, other ``read_``
commands read, ``write_``/``set_`` commands write, and the rest (trims, resets, fixed current,
burst mode, locks) change how the device works (programs).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from plantwarden.core.activity import IDENTIFIES, PROGRAMS, READS, WRITES

IDENTITY_COMMANDS: Final = frozenset({0, 11, 13, 20, 21})


def activity(fields: Mapping[str, Any]) -> str | None:
    """The activity of a request with these event fields, or None."""
    if fields.get("message_type") != "request":
        return None
    cmd = fields.get("command")
    name = fields.get("command_name")
    if not isinstance(cmd, int) or not isinstance(name, str):
        return None
    if cmd in IDENTITY_COMMANDS:
        return IDENTIFIES
    if name.startswith("read_") or cmd == 31:
        return READS
    if name.startswith(("write_", "set_")):
        return WRITES
    if name.startswith("unknown-"):
        return None
    return PROGRAMS
