"""Commands that restart a device or silence its communications.

``ics.device_restart`` (T0816 Device Restart/Shutdown): every protocol's restart or reset command.
``modbus.force_listen_only`` (T0814 Denial of Service): Modbus diagnostics sub-function 4, after
which the server answers nobody until it is restarted. See docs/detections/.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plantwarden.core.alerts import HIGH
from plantwarden.detections.rules import CommandRule, always, when

#: BACnet ReinitializeDevice states that restart the device
BACNET_RESTARTS = ("coldstart", "warmstart", "activate_changes")


def _modbus_restart(f: Mapping[str, Any]) -> str | None:
    if f.get("subfunction") == 1:
        return "Modbus restart communications (FC 8/1)"
    return None


def _iec104_reset(f: Mapping[str, Any]) -> str | None:
    if f.get("cause_name") != "activation":
        return None
    objects = f.get("objects") or [{}]
    qrp = objects[0].get("value_name", "unknown") if isinstance(objects[0], dict) else "unknown"
    return f"IEC 104 reset process ({qrp})"


def _cip_reset(f: Mapping[str, Any]) -> str | None:
    cls = f.get("class")
    rt = f.get("reset_type")
    kind = f" (type {rt})" if rt is not None else ""
    if cls in (1, None):  # the Identity object (or no path seen): the device itself
        return "CIP Reset of the device" + kind
    return f"CIP Reset of object class 0x{cls:02X}" + kind  # vendor objects (e.g. 0x72 on Logix) restart too


def _ads_reset(f: Mapping[str, Any]) -> str | None:
    state = f.get("ads_state_name")
    if state in ("reset", "reconfig", "shutdown"):
        return f"ADS write control: {state}"
    return None


class DeviceRestart(CommandRule):
    id = "ics.device_restart"
    technique = "T0816"
    severity = HIGH
    summary = ("A command that restarts or resets a device (Modbus restart communications, DNP3 cold/warm "
               "restart, BACnet ReinitializeDevice, IEC 104 reset process, CIP Reset, SLMP remote reset, "
               "MMS reset, ADS reset).")
    match = {
        "modbus_diagnostics_request": _modbus_restart,
        "dnp3_cold_restart_request": always("DNP3 cold restart"),
        "dnp3_warm_restart_request": always("DNP3 warm restart"),
        "bacnet_reinitialize_device_request": when("reinitialized_state", BACNET_RESTARTS,
                                                   "BACnet ReinitializeDevice"),
        "iec104_c_rp_na_1": _iec104_reset,
        "enip_reset_request": _cip_reset,
        "slmp_remote_reset_request": always("SLMP remote reset"),
        "mms_reset_request": always("MMS reset (program invocation)"),
        "ads_write_control_request": _ads_reset,
    }


class ForceListenOnly(CommandRule):
    id = "modbus.force_listen_only"
    technique = "T0814"
    severity = HIGH
    summary = "Modbus diagnostics Force Listen Only Mode (FC 8/4): the server stops answering every client."
    match = {
        "modbus_diagnostics_request": lambda f: "Modbus force listen only mode (FC 8/4)"
        if f.get("subfunction") == 4 else None,
    }
