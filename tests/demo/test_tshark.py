"""tshark (Wireshark 4.0) as the oracle: every frame decodes cleanly and carries the intended codes."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.demo.tshark_oracle import require_tshark, tshark_fields

pytestmark = pytest.mark.tshark


def test_no_malformed_frames_and_no_warnings_but_the_scan_reset(demo: tuple[Path, dict[str, Any]]) -> None:
    path, labels = demo
    rows = tshark_fields(path, ["frame.number", "_ws.expert.message"],
                         "_ws.malformed || _ws.expert.severity >= warning",
                         ["-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE"])
    scan = next(a for a in labels["actions"] if a["id"] == "modbus_device_id_scan")
    assert len(rows) == 1, rows  # the RST of the refused probe to PLC2:502
    frame, message = rows[0]
    assert scan["first_frame"] <= int(frame) <= scan["last_frame"]
    assert "RST" in message


def test_every_frame_is_dissected(demo: tuple[Path, dict[str, Any]]) -> None:
    path, labels = demo
    rows = tshark_fields(path, ["frame.protocols", "tcp.len", "tcp.checksum.status", "ip.checksum.status"],
                         extra=["-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE"])
    assert len(rows) == labels["packets"]
    for protocols, tcp_len, tcp_ok, ip_ok in rows:
        assert (tcp_ok, ip_ok) == ("1", "1")
        if int(tcp_len):
            assert protocols.endswith((":mbtcp:modbus", ":s7comm", ":cotp")), protocols


def codes(path: Path, frames: list[int], fields: list[str]) -> list[list[str]]:
    flt = "frame.number in {" + ",".join(map(str, frames)) + "}"
    return tshark_fields(path, fields, flt)


def test_modbus_function_codes_per_action(demo: tuple[Path, dict[str, Any]]) -> None:
    path, labels = demo
    actions = {a["id"]: a for a in labels["actions"]}
    expect = {
        "modbus_device_id_scan": {("43", "", "14")},
        "modbus_write_multiple_coils": {("15", "", "")},
        "modbus_write_multiple_registers": {("16", "", "")},
        "modbus_force_listen_only": {("8", "4", "")},
        "modbus_restart_communications": {("8", "1", "")},
    }
    for name, wanted in expect.items():
        rows = codes(path, actions[name]["message_frames"],
                     ["modbus.func_code", "modbus.diagnostic_code", "modbus.mei"])
        assert {tuple(r) for r in rows} == wanted, name
    # Listen Only Mode and Restart Communications get no response (one request frame each)
    assert len(actions["modbus_force_listen_only"]["message_frames"]) == 1
    assert len(actions["modbus_restart_communications"]["message_frames"]) == 1


def test_whole_capture_modbus_and_s7_inventory(demo: tuple[Path, dict[str, Any]]) -> None:
    path, _ = demo
    fcs = {r[0] for r in tshark_fields(path, ["modbus.func_code"], "modbus")}
    assert fcs == {"1", "3", "6", "8", "15", "16", "43"}
    funcs = {r[0] for r in tshark_fields(path, ["s7comm.param.func"], "s7comm.header.rosctr == 1")}
    assert funcs == {"0xf0", "0x04", "0x29", "0x1a", "0x1b", "0x1c", "0x28"}
    objects = set()
    for (values,) in tshark_fields(path, ["modbus.object_str_value"], "modbus.object_str_value"):
        objects.update(values.split(","))
    assert {"Schneider Electric", "BMX P34 2020", "V3.10", "Modicon M340"} <= objects


def test_engineering_session(demo: tuple[Path, dict[str, Any]]) -> None:
    path, labels = demo
    ews = next(a for a in labels["actions"] if a["id"] == "ews_program_download")
    rows = codes(path, ews["message_frames"], ["s7comm.header.rosctr", "s7comm.param.func",
                                               "s7comm.data.userdata.szl_id",
                                               "s7comm.param.pistart.servicename", "cotp.type"])
    jobs = [r[1] for r in rows if r[0] == "1"]
    assert jobs == ["0xf0", "0x29", "0x1a", "0x1b", "0x1c", "0x1a", "0x1b", "0x1c", "0x28", "0x28"]
    assert [r[2] for r in rows if r[2]] == ["0x0011"] * 2 + ["0x001c"] * 2
    assert [r[3] for r in rows if r[3]] == ["P_PROGRAM", "_INSE", "P_PROGRAM"]  # stop, activate, start
    assert rows[0][4] == "0x0e" and rows[1][4] == "0x0d"  # COTP CR, CC


def test_s7_identity_as_wireshark_reads_it(demo: tuple[Path, dict[str, Any]]) -> None:
    path, _ = demo
    out = subprocess.run([require_tshark(), "-n", "-r", str(path), "-V", "-Y",
                          "s7comm.data.userdata.szl_id && s7comm.param.userdata.reqres1 == 0x12"],
                         check=True, capture_output=True, text=True).stdout
    for text in ("6ES7 315-2EH14-0AB0", "PLC2-MIXER", "LINE2-MIXING", "S C-H4R102347", "CPU 315-2 PN/DP"):
        assert text in out


def test_attacker_plc_stop(demo: tuple[Path, dict[str, Any]]) -> None:
    path, labels = demo
    stop = next(a for a in labels["actions"] if a["id"] == "s7comm_plc_stop")
    rows = codes(path, stop["message_frames"], ["s7comm.header.rosctr", "s7comm.param.func"])
    assert [r for r in rows if r[0]] == [["1", "0xf0"], ["3", "0xf0"], ["1", "0x29"], ["3", "0x29"]]
