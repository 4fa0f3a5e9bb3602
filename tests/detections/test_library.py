"""Every detection fires on its attack (labelled captures, demo, real captures) and stays silent on polling."""

from __future__ import annotations

import json

import pytest

from plantwarden.detections.engine import DetectionEngine
from plantwarden.detections.registry import DETECTIONS
from plantwarden.sensor.pipeline import Sensor

from ..conftest import PCAPS, ROOT, need_shared

ATTACKS = ROOT / "tests" / "data" / "attacks"


def alerts_of(*paths):
    eng = DetectionEngine(DETECTIONS)
    sensor = Sensor([eng])
    for p in paths:
        sensor.process_file(p)
    assert eng.errors == {}
    return eng.alerts()


def frames(alert):
    return {e["frame"] or e["details"].get("frame") for e in alert.evidence}


def test_the_library_has_at_least_20_detections():
    assert len(DETECTIONS) >= 20


@pytest.mark.parametrize("labels", sorted(ATTACKS.glob("*.labels.json")), ids=lambda p: p.name)
def test_labelled_attack_captures(labels):
    lab = json.loads(labels.read_text())
    alerts = alerts_of(labels.parent / lab["capture"])
    for act in lab["actions"]:
        lo, hi = act["first_frame"], act["last_frame"]
        hits = [a for a in alerts if any(f is not None and lo <= f <= hi for f in frames(a))]
        assert any(a.detection == act["expected_detection"] and a.technique == act["attack_technique"]
                   for a in hits), (act["id"], [(a.detection, a.technique) for a in hits])
    # every alert belongs to a labelled action: the HMI's polling raises nothing
    attacker = {act["src"] for act in lab["actions"]}
    assert all(a.src in attacker for a in alerts), [(a.detection, a.src) for a in alerts]


def test_demo_hostile_actions_and_silent_hmi(tmp_path):
    from plantwarden.demo import generate_demo_capture, labels_path

    cap = generate_demo_capture(tmp_path / "demo.pcap")
    lab = json.loads(labels_path(cap).read_text())
    alerts = alerts_of(cap)
    by_id = {a["id"]: a for a in lab["actions"]}
    expect = {
        "modbus_device_id_scan": "ics.identification_scan",
        "modbus_write_multiple_coils": "ics.write_from_unknown_master",
        "modbus_write_multiple_registers": "modbus.value_out_of_range",
        "modbus_force_listen_only": "modbus.force_listen_only",
        "modbus_restart_communications": "ics.device_restart",
    }
    for action, detection in expect.items():
        act = by_id[action]
        hit = [a for a in alerts if a.detection == detection
               and any(f is not None and act["first_frame"] <= f <= act["last_frame"] for f in frames(a))]
        assert hit and hit[0].technique == act["attack_technique"], action
    assert "ics.coil_forcing" in {a.detection for a in alerts if a.src == lab["hosts"]["attacker"]["ip"]}
    hmi = lab["hosts"]["hmi"]["ip"]
    assert [a for a in alerts if hmi in (a.src, a.dst)] == []


# (capture under ../shared/pcaps, detection that must fire)
REAL = [
    ("dnp3/ICS-Security-Tools__cold_restart_and_response.pcap", "ics.device_restart"),
    ("dnp3/ICS-Security-Tools__warm_restart_and_response.pcap", "ics.device_restart"),
    ("enip-cip/ICS-Security-Tools__EIP-RebootorRestart.pcap", "ics.device_restart"),
    ("iec61850-mms/ICS-Security-Tools__mms-resetRequest.pcap", "ics.device_restart"),
    ("bacnet/icsnpp-bacnet__bacnet_services.pcap", "ics.device_restart"),
    ("modbus/ICS-Security-Tools__modbus_test_data_part1.pcap", "modbus.force_listen_only"),
    ("modbus/ICS-Security-Tools__modbus_test_data_part1.pcap", "ics.device_restart"),
    ("dnp3/ICS-Security-Tools__disable_unsolcited_and_response.pcap", "dnp3.unsolicited_disabled"),
    ("enip-cip/ICS-Security-Tools__EIP-FirmwareChange.pcap", "ics.firmware_update"),
    ("enip-cip/ICS-Security-Tools__EIP-FirmwareChangeFailure.pcap", "ics.firmware_update"),
    ("dnp3/zeek__dnp3_file_write.pcap", "ics.firmware_update"),
    ("bacnet/icsnpp-bacnet__bacnet_services.pcap", "ics.firmware_update"),
    ("enip-cip/ICS-Security-Tools__EIP-LockPLCAttempt.pcap", "ics.controller_lock"),
    ("enip-cip/ICS-Security-Tools__cip_unlock_cpu.pcap", "ics.controller_lock"),
    ("enip-cip/ICS-Security-Tools__EIP-ChangeTimeAttempt.pcap", "ics.time_change"),
    ("s7comm/ICS-Security-Tools__s7comm_reading_setting_plc_time.pcap", "ics.time_change"),
    ("modbus/zeek__fuzz-72.pcap", "ics.protocol_violation"),
    ("modbus/zeek__modbus-and-non-modbus-p502.pcap", "ics.protocol_violation"),
    ("iec61850-mms/ICS-Security-Tools__Sample_File_MMS_and_GOOSE.pcap", "ics.default_credentials"),
    ("enip-cip/ICS-Security-Tools__enip_test.pcap", "ics.identification_scan"),
    ("omron-fins/ICS-Security-Tools__omron_test.pcap", "ics.identification_scan"),
    ("modbus/ICS-Security-Tools__modbus_test_data_part1.pcap", "ics.new_talker"),
    ("modbus/ICS-Security-Tools__modbus_test_data_part1.pcap", "ics.write_from_unknown_master"),
    ("modbus/ICS-Security-Tools__modbus_test_data_part1.pcap", "ics.coil_forcing"),
]


@pytest.mark.shared
@pytest.mark.parametrize(("capture", "detection"), REAL)
def test_fires_on_real_captures(capture, detection):
    need_shared()
    path = PCAPS / capture
    if not path.exists():
        pytest.skip(f"{capture} is not in this ../shared")
    assert detection in {a.detection for a in alerts_of(path)}


@pytest.mark.shared
@pytest.mark.parametrize("capture", [
    "dnp3/ICS-Security-Tools__enable_unsolicited_and_response.pcap",  # enabling is no suppression
    "dnp3/ICS-Security-Tools__lan_time_sync.pcap",  # a master's routine time sync
    "modbus/ICS-Security-Tools__mb2.pcap",  # busy SCADA polling of 20 PLCs: no flood, no scan
    "s7comm/ICS-Security-Tools__s7comm_varservice_libnodavedemo_bench.pcap",  # fast polling, below a flood
    "enip-cip/icsnpp-enip__multiple_service_packet_cip.pcapng",
    "iec104/ICS-Security-Tools__090813_diverse.pcap",
    "bacnet/icsnpp-bacnet__bacnet_example.pcap",  # Who-Is then polling: not an identification scan
    "mqtt/zeek__mqtt.pcap",  # no password in its CONNECT
])
def test_silent_on_routine_traffic(capture):
    need_shared()
    path = PCAPS / capture
    if not path.exists():
        pytest.skip(f"{capture} is not in this ../shared")
    got = alerts_of(path)
    if capture.startswith("bacnet/"):  # its ReinitializeDevice commands are real; no identification alert
        assert "ics.identification_scan" not in {a.detection for a in got}
        return
    assert got == [], [(a.detection, a.title) for a in got]
