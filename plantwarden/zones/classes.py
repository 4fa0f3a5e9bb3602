"""Function classes: what a function code does to the device, in the words of a conduit.

The decoders already say whether a request reads, writes, programs or identifies
(``plantwarden.core.activity``); this module turns that into the five classes of a conduit:

* reads -> ``read``; writes -> ``write``; identifies -> ``diagnostic``
* programs -> ``mode`` for the functions in :data:`MODE_FUNCTIONS` (start, stop, restart, reset),
  otherwise ``program`` (upload, download, online edit, firmware)

A stored communication keeps a function table (key and name per function, see docs/inventory.md),
not the request fields, so a function is classified from its key and name alone. The table is in
docs/zones.md ("Function classes").
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Final

from plantwarden.core.activity import IDENTIFIES, PROGRAMS, READS, WRITES

READ: Final = "read"
WRITE: Final = "write"
PROGRAM: Final = "program"
MODE: Final = "mode"
DIAGNOSTIC: Final = "diagnostic"
#: the classes in the order reports show them
CLASSES: Final = (READ, WRITE, PROGRAM, MODE, DIAGNOSTIC)

_FROM_ACTIVITY: Final = {READS: READ, WRITES: WRITE, PROGRAMS: PROGRAM, IDENTIFIES: DIAGNOSTIC}

#: protocol -> function names (the ``name`` of the function table) that change the operating mode:
#: start, stop, pause, restart, reset. They are ``mode``, whatever the decoder's activity says.
MODE_FUNCTIONS: Final[Mapping[str, frozenset[str]]] = {
    "s7comm": frozenset({"plc_stop", "plc_control"}),
    "enip": frozenset({"start", "stop", "reset"}),
    "fins": frozenset({"run", "stop"}),
    "slmp": frozenset({"remote_run", "remote_stop", "remote_pause", "remote_latch_clear", "remote_reset"}),
    "dnp3": frozenset({"cold_restart", "warm_restart", "start_application", "stop_application"}),
    "mms": frozenset({"start", "stop", "resume", "reset"}),
    "ads": frozenset({"write_control"}),
    "bacnet": frozenset({"reinitialize_device"}),
    "iec104": frozenset({"C_RP_NA_1"}),  # reset process command
    "hartip": frozenset({"perform_device_reset"}),  # HART command 42
}


def activity_class(protocol: str, name: str, activity: str) -> str | None:
    """The class of requests of function ``name`` that the decoder classified as ``activity``."""
    if name in MODE_FUNCTIONS.get(protocol, ()):
        return MODE
    return _FROM_ACTIVITY.get(activity)



def _fields(key: str, name: str) -> dict[str, Any]:
    """The request fields a function table entry stands for, as far as its key and name tell."""
    fields: dict[str, Any] = {"function": name}
    if key.startswith("userdata/"):  # S7comm user-data: userdata/<group>/<subfunction>
        parts = key.split("/")
        if len(parts) == 3 and parts[1].isdigit():
            fields["userdata_group"] = int(parts[1])
            if parts[2].isdigit():
                fields["userdata_subfunction"] = int(parts[2])
    elif key.isdigit():
        fields["function_code"] = int(key)
        fields["type_id"] = int(key)  # IEC 104: the key is the ASDU type; stored requests are activations
        fields["cause"] = 6
    return fields


@lru_cache(maxsize=4096)
def function_class(protocol: str, key: str, name: str) -> str | None:
    """The class of one function of ``protocol`` (key and name as in the function table), or None.

    None: the function is not classified (session set-up such as ``cotp_connect`` or S7
    ``setup_communication``, or a protocol whose decoder does not classify from these fields); such
    functions never violate a conduit's classes and are reported as ``unclassified``.
    """
    if name in MODE_FUNCTIONS.get(protocol, ()):
        return MODE
    from plantwarden.decoders.registry import activity

    try:
        act = activity(protocol, _fields(key, name))
    except Exception:  # a decoder's classifier never breaks a report
        return None
    return _FROM_ACTIVITY.get(act) if act is not None else None
