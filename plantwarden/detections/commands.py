"""Single commands that change a device's configuration, firmware, clock or access.

``modbus.broadcast_write`` (T0855), ``ics.firmware_update`` (T0839), ``ics.controller_lock`` (T0892).
Each is a :class:`~plantwarden.detections.rules.CommandRule`: one finding per matching message. See
docs/detections/ for how sure each signal is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plantwarden.core.alerts import HIGH, MEDIUM
from plantwarden.detections.rules import CommandRule, always

#: Modbus requests that write (the broadcast candidates)
MODBUS_WRITES = ("write_single_coil", "write_single_register", "write_multiple_coils", "write_multiple_registers",
                 "write_file_record", "mask_write_register")
#: CIP Non-Volatile Storage object (Rockwell's firmware flash object) and the File object
CIP_NVS_CLASS = 0xA1
CIP_FILE_CLASS = 0x37
#: CIP object class Rockwell controllers lock and unlock through (seen in ITI's lock/unlock captures)
CIP_LOCK_CLASS = 0x8E


def _broadcast(f: Mapping[str, Any]) -> str | None:
    if f.get("unit_id") == 0:
        return f"Modbus broadcast {f.get('function', 'write')} (unit id 0)"
    return None


class BroadcastWrite(CommandRule):
    id = "modbus.broadcast_write"
    technique = "T0855"
    severity = HIGH
    summary = "A Modbus write addressed to unit id 0 (broadcast): every device behind the gateway obeys, none answers."
    match = {f"modbus_{fn}_request": _broadcast for fn in MODBUS_WRITES}


def _dnp3_file_write(f: Mapping[str, Any]) -> str | None:
    for obj in f.get("objects") or ():
        for item in obj.get("files") or ():
            if item.get("mode_name") in ("write", "append"):
                return f"DNP3 file opened for {item['mode_name']}: {item.get('file_name', '?')}"
    return None


def _cip_firmware(f: Mapping[str, Any]) -> str | None:
    if f.get("class") == CIP_NVS_CLASS:
        return "CIP Non-Volatile Storage (firmware flash) service"
    return None


def _cip_file(f: Mapping[str, Any]) -> str | None:
    if f.get("class") == CIP_FILE_CLASS:
        return "CIP File object download"
    return None


class FirmwareUpdate(CommandRule):
    id = "ics.firmware_update"
    technique = "T0839"
    severity = HIGH
    summary = ("A firmware or file transfer into a device (CIP Non-Volatile Storage flash, BACnet AtomicWriteFile, "
               "DNP3 file write, FINS/SLMP file writes, MMS obtainFile, CIP File download).")
    match = {
        "enip_unknown_service_request": _cip_firmware,
        "enip_initiate_download_request": _cip_file,
        "bacnet_atomic_write_file_request": always("BACnet AtomicWriteFile"),
        "dnp3_open_file_request": _dnp3_file_write,
        "fins_single_file_write_request": always("FINS file memory write"),
        "fins_program_area_file_transfer_request": always("FINS program area file transfer"),
        "fins_parameter_area_file_transfer_request": always("FINS parameter area file transfer"),
        "slmp_file_write_request": always("SLMP file write"),
        "slmp_file_new_request": always("SLMP new file"),
        "mms_obtain_file_request": always("MMS obtainFile (the server fetches a file)"),
    }


def _cip_lock(f: Mapping[str, Any]) -> str | None:
    if f.get("class") == CIP_LOCK_CLASS and f.get("service_code") in (0x4B, 0x4C):
        return f"CIP controller lock/unlock service 0x{f['service_code']:02X} (class 0x8E)"
    return None


class ControllerLock(CommandRule):
    id = "ics.controller_lock"
    technique = "T0892"
    severity = MEDIUM
    summary = "A controller locked or unlocked, or its access password entered (CIP class 0x8E, SLMP remote password, S7 PLC password)."
    match = {
        "enip_unknown_service_request": _cip_lock,
        "slmp_remote_password_lock_request": always("SLMP remote password lock"),
        "slmp_remote_password_unlock_request": always("SLMP remote password unlock"),
        "s7comm_userdata_request": lambda f: "S7 PLC password" if f.get("userdata_subfunction_name") == "plc_password"
        and f.get("userdata_group") == 5 else None,
    }
