"""Command detections on single hand-made events, for the protocols no shared capture shows."""

from __future__ import annotations

import pytest

from plantwarden.core.events import Event
from plantwarden.core.flow import Flow
from plantwarden.detections.commands import BroadcastWrite, ControllerLock, FirmwareUpdate
from plantwarden.detections.engine import DetectionEngine
from plantwarden.detections.restart import DeviceRestart, ForceListenOnly
from plantwarden.detections.violations import ProtocolViolation


def fire(cls, name, fields, is_orig=True, proto="x"):
    f = Flow("tcp", "10.0.0.66", 40000, "10.0.0.2", 1, 0.0, 1, 1)
    f.proto = proto
    eng = DetectionEngine([cls])
    eng.on_event("t", f, Event(name, 1.0, 7, is_orig, fields))
    return [a.title for a in eng.alerts()]


@pytest.mark.parametrize(("cls", "name", "fields", "fires"), [
    (DeviceRestart, "iec104_c_rp_na_1", {"cause_name": "activation", "value_name": "general_reset"}, True),
    (DeviceRestart, "iec104_c_rp_na_1", {"cause_name": "activation_con"}, False),  # the station's confirmation
    (DeviceRestart, "slmp_remote_reset_request", {}, True),
    (DeviceRestart, "ads_write_control_request", {"ads_state_name": "reset"}, True),
    (DeviceRestart, "ads_write_control_request", {"ads_state_name": "run"}, False),
    (DeviceRestart, "bacnet_reinitialize_device_request", {"reinitialized_state": "warmstart"}, True),
    (DeviceRestart, "bacnet_reinitialize_device_request", {"reinitialized_state": "start_backup"}, False),
    (DeviceRestart, "enip_reset_request", {"class": 1, "reset_type": 0}, True),
    (DeviceRestart, "modbus_diagnostics_request", {"subfunction": 1}, True),
    (DeviceRestart, "modbus_diagnostics_request", {"subfunction": 0}, False),  # echo (loopback test)
    (ForceListenOnly, "modbus_diagnostics_request", {"subfunction": 4}, True),
    (ForceListenOnly, "modbus_diagnostics_request", {"subfunction": 1}, False),
    (BroadcastWrite, "modbus_write_multiple_registers_request", {"unit_id": 0, "function": "x"}, True),
    (BroadcastWrite, "modbus_write_multiple_registers_request", {"unit_id": 1}, False),
    (FirmwareUpdate, "slmp_file_write_request", {}, True),
    (FirmwareUpdate, "enip_unknown_service_request", {"class": 0xA1, "service_code": 0x4D}, True),
    (FirmwareUpdate, "enip_unknown_service_request", {"class": 0x8E, "service_code": 0x4B}, False),
    (FirmwareUpdate, "dnp3_open_file_request", {"objects": [{"files": [{"mode_name": "read"}]}]}, False),
    (ControllerLock, "enip_unknown_service_request", {"class": 0x8E, "service_code": 0x4B}, True),
    (ControllerLock, "slmp_remote_password_unlock_request", {}, True),
    (ControllerLock, "s7comm_userdata_request", {"userdata_group": 5, "userdata_subfunction_name": "plc_password"}, True),
    (ControllerLock, "s7comm_userdata_request", {"userdata_group": 4, "userdata_subfunction_name": "read_szl"}, False),
])
def test_command_matchers(cls, name, fields, fires):
    assert bool(fire(cls, name, fields)) is fires


def test_protocol_violation_filters():
    assert fire(ProtocolViolation, "weird", {"name": "modbus_protocol_violation"}, proto="modbus")
    assert fire(ProtocolViolation, "weird", {"name": "modbus_unanswered_requests"}, proto="modbus") == []
    assert fire(ProtocolViolation, "weird", {"name": "http_malformed"}, proto="http") == []  # not industrial
    assert fire(ProtocolViolation, "modbus_unknown_function_exception", {"exception_code": 1, "function_code": 99},
                is_orig=False)
    assert fire(ProtocolViolation, "modbus_read_coils_exception", {"exception_code": 2}, is_orig=False) == []
