"""What a client's request says about the client: it reads, writes, programs or identifies.

Classification goes by protocol and function code (not by event name), so it keeps working when a
decoder renames an event. Each table lists codes as the decoders report them in ``function_code``.
See docs/inventory.md ("Roles") for the rule and its reasons.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plantwarden.inventory.model import IDENTIFIES, PROGRAMS, READS, WRITES

# --- Modbus ---------------------------------------------------------------------------------------
MODBUS_READS = frozenset({1, 2, 3, 4, 7, 8, 11, 12, 20, 24})
MODBUS_WRITES = frozenset({5, 6, 15, 16, 21, 22, 23})
#: legacy Modicon programming functions and Schneider's UMAS (90)
MODBUS_PROGRAMS = frozenset({9, 13, 18, 40, 90, 125, 126})
#: 17 report server id, 43 encapsulated interface (read device identification)
MODBUS_IDENTIFIES = frozenset({17, 43})
#: UMAS sub-functions (``umas_function``) that only read: not programming
UMAS_READS = frozenset({0x01, 0x02, 0x03, 0x04, 0x06, 0x0A, 0x12, 0x20, 0x22, 0x24, 0x26, 0x39, 0x50,
                        0x58, 0x70, 0x73})
UMAS_WRITES = frozenset({0x23, 0x25, 0x71})

# --- S7comm ---------------------------------------------------------------------------------------
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


def classify(proto: str, fields: Mapping[str, Any]) -> str | None:
    """The behaviour a request shows (``reads``, ``writes``, ``programs``, ``identifies``) or None."""
    fn = _CLASSIFIERS.get(proto)
    return fn(fields) if fn is not None else None


def _modbus(fields: Mapping[str, Any]) -> str | None:
    code = fields.get("function_code")
    if not isinstance(code, int):
        return None
    code &= 0x7F
    if code in MODBUS_READS:
        return READS
    if code in MODBUS_WRITES:
        return WRITES
    if code == 90:
        sub = _int(fields.get("umas_function"))
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


def _s7comm(fields: Mapping[str, Any]) -> str | None:
    group = fields.get("userdata_group")
    if isinstance(group, int):  # user-data
        sub = _int(fields.get("userdata_subfunction"))
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


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) else None


_CLASSIFIERS = {"modbus": _modbus, "s7comm": _s7comm}
