"""The command rules fire on real and demo captures of what they look for."""

from __future__ import annotations

import pytest

from plantwarden.detections.engine import DetectionEngine
from plantwarden.detections.registry import DETECTIONS
from plantwarden.sensor.pipeline import Sensor

from ..conftest import PCAPS, need_shared


def alerts_of(*paths):
    eng = DetectionEngine(DETECTIONS)
    sensor = Sensor([eng])
    for p in paths:
        sensor.process_file(p)
    return eng.alerts()


def test_demo_labels(tmp_path):
    from plantwarden.demo import generate_demo_capture

    cap = generate_demo_capture(tmp_path / "demo.pcap")
    got = {(a.detection, a.src, a.dst) for a in alerts_of(cap)}
    ews, attacker, plc2 = "10.10.20.50", "10.10.99.66", "10.10.10.12"
    assert ("ics.plc_stop", ews, plc2) in got and ("ics.plc_stop", attacker, plc2) in got
    assert ("ics.program_download", ews, plc2) in got
    assert ("ics.operating_mode_change", ews, plc2) in got


@pytest.mark.shared
@pytest.mark.parametrize(("capture", "detection"), [
    ("s7comm/ICS-Security-Tools__step7_s300_stop.pcapng", "ics.plc_stop"),
    ("s7comm/ICS-Security-Tools__s7comm_downloading_block_db1.pcap", "ics.program_download"),
    ("iec61850-mms/ICS-Security-Tools__mms-stopRequest.pcap", "ics.plc_stop"),
    ("iec61850-mms/ICS-Security-Tools__mms-initiateDownloadSequence.pcap", "ics.program_download"),
    ("iec61850-mms/ICS-Security-Tools__mms-initiateUploadSequence.pcap", "ics.program_upload"),
])
def test_fires_on_real_captures(capture, detection):
    need_shared()
    assert detection in {a.detection for a in alerts_of(PCAPS / capture)}


@pytest.mark.shared
@pytest.mark.parametrize("capture", [
    "modbus/zeek__modbusBig.pcap", "s7comm/ICS-Security-Tools__s7comm_varservice_libnodavedemo.pcap",
    "s7comm/ICS-Security-Tools__S7-1511_db2_var1_HMI.pcap", "opcua/icsnpp-opcua-binary__opcua_with-gap.pcap",
])
def test_silent_on_normal_polling(capture):
    need_shared()
    path = PCAPS / capture
    if not path.exists():
        pytest.skip(f"{capture} is not in this ../shared")
    assert alerts_of(path) == []


@pytest.mark.shared
@pytest.mark.parametrize(("capture", "title"), [
    ("profinet/ICS-Security-Tools__ChangeIPUsingDCP.pcap", "PROFINET DCP set of IP parameters to 192.168.0.10"),
    ("enip-cip/ICS-Security-Tools__EIP-ChangePortConfigurationAttempt.pcap", "CIP set of the Ethernet Link object (attribute 6)"),
])
def test_network_config_change(capture, title):
    need_shared()
    found = [a for a in alerts_of(PCAPS / capture) if a.detection == "ics.network_config_change"]
    assert len(found) == 1 and found[0].title.startswith(title)
