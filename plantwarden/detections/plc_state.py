"""Commands that stop a controller or change its operating mode.

Both are T0858 Change Operating Mode, whose description names the Stop mode ("the PLC and program is
stopped, outputs are forced off") beside Program, Run, Remote and Reset; T0881 Service Stop is about
services of a host, not a controller's program.

``ics.plc_stop`` (high): the control program stops; the process runs without control.
``ics.operating_mode_change`` (medium): start, run, pause, program or remote mode changes, which an
attacker uses to load programs or leave the device in a weaker state.
See docs/detections/ics.plc_stop.md and docs/detections/ics.operating_mode_change.md.
"""

from __future__ import annotations

from plantwarden.core.alerts import HIGH, MEDIUM
from plantwarden.detections.rules import CommandRule, always, when

UMAS = 90
#: ADS target states that other detections report
ADS_ELSEWHERE = frozenset({"stop", "reset", "reconfig", "shutdown"})


class PlcStop(CommandRule):
    id = "ics.plc_stop"
    technique = "T0858"
    severity = HIGH
    summary = "A command that stops a PLC's program (S7 PLC stop, UMAS stop, CIP Stop, FINS stop, SLMP remote stop, DNP3 stop application, MMS stop, ADS write control to STOP)."
    match = {
        "s7comm_plc_stop_request": always("S7 PLC stop"),
        "modbus_umas_request": lambda f: "UMAS stop PLC" if f.get("umas_function") == 0x41 else None,
        "enip_stop_request": always("CIP Stop"),
        "fins_stop_request": always("FINS stop"),
        "slmp_remote_stop_request": always("SLMP remote stop"),
        "dnp3_stop_application_request": always("DNP3 stop application"),
        "mms_stop_request": always("MMS stop (program invocation)"),
        "ads_write_control_request": when("ads_state_name", ("stop",), "ADS write control: stop"),
    }


class OperatingModeChange(CommandRule):
    id = "ics.operating_mode_change"
    technique = "T0858"
    severity = MEDIUM
    summary = "A command that starts a PLC or changes its operating mode (run, pause, program, reset of the latch)."
    match = {
        "s7comm_plc_control_request": when("pi_service", ("P_PROGRAM",), "S7 PLC start (P_PROGRAM)"),
        "modbus_umas_request": lambda f: "UMAS start PLC" if f.get("umas_function") == 0x40 else None,
        "enip_start_request": always("CIP Start"),
        "fins_run_request": always("FINS run"),
        "slmp_remote_run_request": always("SLMP remote run"),
        "slmp_remote_pause_request": always("SLMP remote pause"),
        "slmp_remote_latch_clear_request": always("SLMP remote latch clear"),
        "dnp3_start_application_request": always("DNP3 start application"),
        "mms_start_request": always("MMS start (program invocation)"),
        "mms_resume_request": always("MMS resume (program invocation)"),
        # stop is ics.plc_stop, reset/reconfig/shutdown are ics.device_restart: the other state changes
        "ads_write_control_request": lambda f: None if f.get("ads_state_name") in ADS_ELSEWHERE
        else f"ADS write control: {f.get('ads_state_name', 'state change')}",
    }
