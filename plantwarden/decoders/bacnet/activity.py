"""What a BACnet request does: reads, writes, programs or identifies (``core.activity``).

Classification goes by APDU type and service choice. Who-Is / Who-Has and reads of a device's
identity properties identify; file writes, object creation and deletion, communication control
and reinitialisation change the device's configuration or operating mode (programs).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from plantwarden.core.activity import IDENTIFIES, PROGRAMS, READS, WRITES

#: confirmed services by activity
CONFIRMED_READS: Final = frozenset({3, 4, 5, 6, 12, 13, 14, 26, 28, 29, 30, 33})
CONFIRMED_WRITES: Final = frozenset({0, 8, 9, 15, 16, 27})
CONFIRMED_PROGRAMS: Final = frozenset({7, 10, 11, 17, 20})
#: unconfirmed services by activity: who-has, who-is (identify); time sync and write-group write
UNCONFIRMED_IDENTIFIES: Final = frozenset({7, 8})
UNCONFIRMED_WRITES: Final = frozenset({6, 9, 10})
#: device properties whose read asks who the device is
IDENTITY_READS: Final = frozenset({
    "vendor_name", "vendor_identifier", "model_name", "firmware_revision", "application_software_version",
    "serial_number",
})


def activity(fields: Mapping[str, Any]) -> str | None:
    """The activity of a request with these event fields, or None."""
    code = fields.get("service_code")
    if not isinstance(code, int):
        return None
    kind = fields.get("apdu_type")
    if kind == "confirmed_request":
        if code in (12, 14) and fields.get("object_type") == "device" and fields.get("property") in IDENTITY_READS:
            return IDENTIFIES
        if code in CONFIRMED_READS:
            return READS
        if code in CONFIRMED_WRITES:
            return WRITES
        if code in CONFIRMED_PROGRAMS:
            return PROGRAMS
        return None
    if kind == "unconfirmed_request":
        if code in UNCONFIRMED_IDENTIFIES:
            return IDENTIFIES
        if code in UNCONFIRMED_WRITES:
            return WRITES
    return None
