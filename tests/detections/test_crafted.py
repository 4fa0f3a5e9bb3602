"""The crafted attack fixture tests/data/attacks/crafted_commands.pcap: commands no available stack sends.

(1) tshark dissects every crafted command as intended (tshark has no SLMP dissector: for SLMP only our
decoder's reading of the bytes we wrote is checked, against the command codes of the MELSEC SLMP
reference); (2) our decoders emit the expected events; (3) the detections fire with the labelled
technique; (4) the committed files equal what ``crafted_capture()`` writes, so they can be regenerated.
"""

from __future__ import annotations

import json
import struct
import subprocess
from pathlib import Path
from typing import Any

import pytest

from plantwarden.detections.engine import DetectionEngine
from plantwarden.detections.registry import DETECTIONS
from plantwarden.sensor.eventlog import iter_records
from plantwarden.sensor.pipeline import Sensor
from tests.detections.make_attack_captures import crafted_capture
from tests.oracle.oracle_common import need_tshark, tshark_fields

from ..conftest import ROOT

ATTACKS = ROOT / "tests" / "data" / "attacks"
PCAP = ATTACKS / "crafted_commands.pcap"
LABELS = json.loads((ATTACKS / "crafted_commands.labels.json").read_text())
ACTIONS = {a["id"]: a for a in LABELS["actions"]}


def records() -> list[dict[str, Any]]:
    return list(iter_records([PCAP]))


def by_frame(fields: list[str], display_filter: str) -> dict[int, list[list[str]]]:
    return dict(tshark_fields(PCAP, fields, display_filter=display_filter))


# -- (1) tshark's dissection ------------------------------------------------------------------

@pytest.mark.tshark
def test_tshark_iec104_reset_process_and_single_command() -> None:
    got = by_frame(["iec60870_asdu.typeid", "iec60870_asdu.causetx", "iec60870_asdu.qrp", "iec60870_asdu.ioa"],
                   "iec60870_asdu")
    act = ACTIONS["iec104_reset_process"]
    # the labelled frames: C_RP_NA_1 activation (cause 6) and confirmation (7), QRP 1 general reset
    assert got[act["first_frame"]][:3] == [["105"], ["6"], ["1"]]
    assert got[act["last_frame"]][:3] == [["105"], ["7"], ["1"]]
    # then C_SC_NA_1 (45) on IOA 3000: activation, confirmation, termination (10)
    singles = [(v[1], v[3]) for f, v in sorted(got.items()) if v[0] == ["45"]]
    assert singles == [(["6"], ["3000"]), (["7"], ["3000"]), (["10"], ["3000"])]
    u = by_frame(["iec60870_104.utype"], "iec60870_104.type == 3")  # U frames
    assert [v[0] for _f, v in sorted(u.items())] == [["0x00000001"], ["0x00000002"]]  # STARTDT act, con


@pytest.mark.tshark
def test_tshark_ads_write_control_stop() -> None:
    got = by_frame(["ams.cmdid", "ams.state_response", "ams.ads_state", "ams.adsresult"], "ams")
    act = ACTIONS["ads_write_control_stop"]
    req, resp = got[act["first_frame"]], got[act["last_frame"]]
    assert req[:3] == [["5"], ["0"], ["0x0006"]]  # Write Control, request, ADS state STOP
    assert resp[:2] == [["5"], ["1"]]
    assert resp[3] == ["0x00000000"]  # result: no error


@pytest.mark.tshark
def test_tshark_fins_stop() -> None:
    got = by_frame(["omron.command", "omron.icf.dtb", "omron.response.code", "_ws.expert"], "omron")
    act = ACTIONS["fins_stop"]
    req, resp = got[act["first_frame"]], got[act["last_frame"]]
    assert req[:2] == [["0x0402"], ["0x00"]] and req[3] == []  # STOP command, no malformed-length warning
    assert resp[:3] == [["0x0402"], ["0x01"], ["0x0000"]]  # response, normal completion


@pytest.mark.tshark
def test_tshark_sees_every_connection_as_intended() -> None:
    # tshark has no SLMP dissector: for SLMP it confirms only the TCP conversation on port 5007
    got = by_frame(["tcp.dstport", "tcp.len", "tcp.analysis.flags"], "tcp.len > 0 and tcp.dstport == 5007")
    assert [f for f, v in got.items() if v[1] == ["17"]] == [ACTIONS["slmp_remote_stop"]["first_frame"],
                                                              ACTIONS["slmp_remote_reset"]["first_frame"]]
    # every checksum right (checked: tshark verifies none by default) and no TCP analysis complaint
    cmd = [need_tshark(), "-n", "-r", str(PCAP), "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
           "-o", "udp.check_checksum:TRUE", "-T", "fields", "-e", "ip.checksum.status", "-e", "tcp.checksum.status",
           "-e", "udp.checksum.status", "-e", "tcp.analysis.flags"]
    rows = [line.split("\t") for line in subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.splitlines()]
    assert len(rows) == LABELS["packets"]
    assert all(r[0] == "1" and (r[1] or r[2]) == "1" and r[3] == "" for r in rows), rows


# -- (2) our decoders -------------------------------------------------------------------------

def test_decoders_emit_the_commands() -> None:
    ev = {(r["frame"], r["event"]): r for r in records()}
    a = ACTIONS["iec104_reset_process"]
    rp = ev[(a["first_frame"], "iec104_c_rp_na_1")]
    assert (rp["type_id"], rp["cause_name"], rp["objects"][0]["value_name"]) == (105, "activation", "general_reset")
    assert ev[(a["last_frame"], "iec104_c_rp_na_1")]["cause_name"] == "activation_con"
    sc = [r for (_f, n), r in ev.items() if n == "iec104_c_sc_na_1"]
    assert [r["cause_name"] for r in sc] == ["activation", "activation_con", "activation_termination"]

    # SLMP (tshark cannot check it): our decoder reads back the 3E header and command we wrote
    for action, name, code in (("slmp_remote_stop", "remote_stop", 0x1002), ("slmp_remote_reset", "remote_reset", 0x1006)):
        a = ACTIONS[action]
        req = ev[(a["first_frame"], f"slmp_{name}_request")]
        assert (req["frame_type"], req["command_code"], req["station"], req["module_io"]) == ("3e", code, 0xFF, 0x3FF)
        assert req["is_write"] is True and req["dport"] == 5007
        resp = ev[(a["last_frame"], f"slmp_{name}_response")]
        assert resp["end_code"] == 0

    a = ACTIONS["ads_write_control_stop"]
    req = ev[(a["first_frame"], "ads_write_control_request")]
    assert (req["ads_state_name"], req["target_port"], req["target_port_name"]) == ("stop", 851, "plc_runtime_1_tc3")
    assert ev[(a["last_frame"], "ads_write_control_response")]["error"] == "no_error"

    a = ACTIONS["fins_stop"]
    assert ev[(a["first_frame"], "fins_stop_request")]["proto"] == "fins"
    assert (a["first_frame"], "fins_stop_response") not in ev
    assert ev[(a["last_frame"], "fins_stop_response")]["is_orig"] is False
    assert not [r for r in ev.values() if r["event"] == "weird"]


# -- (3) the detections -----------------------------------------------------------------------

def test_detections_fire_with_the_labelled_technique_and_nothing_else() -> None:
    eng = DetectionEngine(DETECTIONS)
    Sensor([eng]).process_file(PCAP)
    assert eng.errors == {}
    alerts = eng.alerts()
    for act in LABELS["actions"]:
        hits = [a for a in alerts if any(act["first_frame"] <= e["frame"] <= act["last_frame"] for e in a.evidence)]
        assert [(a.detection, a.technique) for a in hits] == [(act["expected_detection"], act["attack_technique"])], act["id"]
    assert len(alerts) == len(LABELS["actions"])  # the unlabelled single command raises nothing
    titles = {a.title.split(":")[0] for a in alerts}
    assert "IEC 104 reset process (general_reset)" in titles and "ADS write control" in titles


# -- (4) the committed files are the generator's ----------------------------------------------

def test_fixture_is_what_the_generator_writes(tmp_path: Path) -> None:
    made = crafted_capture(tmp_path)
    assert made.read_bytes() == PCAP.read_bytes(), "regenerate: python -m tests.detections.make_attack_captures crafted"
    assert (tmp_path / "crafted_commands.labels.json").read_text() == (ATTACKS / "crafted_commands.labels.json").read_text()
    assert LABELS["packets"] == pcap_records(made)


def pcap_records(path: Path) -> int:
    data, off, n = path.read_bytes(), 24, 0
    while off < len(data):
        off += 16 + struct.unpack_from("<I", data, off + 8)[0]
        n += 1
    return n
