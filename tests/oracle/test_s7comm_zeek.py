"""S7comm against Zeek + ICSNPP: the baselines beside the icsnpp-s7comm captures, field for field.

The btest scripts (``_btest_*.zeek``) diff whole logs (no zeek-cut), so every column is present. We
compare the columns our events carry too; the mapping and the intended differences are in
docs/protocols/s7comm.md ("Differences from Zeek/ICSNPP"):

* ICSNPP reads the PDU reference little-endian; Wireshark and we read it big-endian (we byte-swap
  ours to compare).
* ICSNPP logs no ROSCTR 2 (Ack) PDUs, no userdata data unit that is not the last one, and no userdata
  request that carries the extended (12-byte) parameter (a follow-up request for the next data unit).
* ICSNPP logs an SZL read only when the response is a single data unit; we report the SZL of a
  reassembled answer on its last data unit (SKIP_SZL_FRAMES).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from oracle_common import read_zeek_log

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
S7 = SHARED / "pcaps" / "s7comm"

BASELINES = {
    "snap7": ("icsnpp-s7comm__snap7.pcap", "analyzer.snap7"),
    "s7ident": ("icsnpp-s7comm__s7ident.pcap", "analyzer.s7ident"),
    "s7comm_plus": ("icsnpp-s7comm__s7comm_plus.pcap", "analyzer.s7comm_plus"),
}
#: capture -> frames whose SZL read ICSNPP does not log (reassembled from two data units)
SKIP_SZL_FRAMES = {"snap7": {8}, "s7ident": set(), "s7comm_plus": set()}
BLOCK_TYPE_NAMES = {"OB": "Organization Block", "DB": "Data Block", "SDB": "System Data Block",
                    "FC": "Function", "SFC": "System Function", "FB": "Function Block",
                    "SFB": "System Function Block"}
UTYPE = {"push": 0, "request": 4, "response": 8}

Row = tuple[str, ...]


def _h(v: int, width: int = 2) -> str:
    return f"0x{v:0{width}x}"


def _swap(v: int) -> int:
    return ((v & 0xFF) << 8) | (v >> 8)


def records(capture: str) -> list[dict[str, Any]]:
    from plantwarden.sensor.eventlog import iter_records

    return [r for r in iter_records([S7 / capture]) if r["proto"] == "s7comm" and r["event"] != "weird"]


def _zeek_logged(r: dict[str, Any]) -> bool:
    ev = r["event"]
    if not ev.startswith("s7comm_") or ev.startswith("s7comm_cotp_") or ev == "s7comm_plus":
        return False
    if r["rosctr"] == 2:
        return False
    if r["rosctr"] == 7:
        if r.get("last_data_unit") is False:
            return False
        if r.get("userdata_type") == "request" and "data_unit_ref" in r:
            return False
    return True


def s7comm_row(r: dict[str, Any]) -> Row:
    if r["rosctr"] == 7:
        func = _h(UTYPE.get(r["userdata_type"], 0) << 4 | r["userdata_group"])
        sub = _h(r["userdata_subfunction"]) if "userdata_subfunction" in r else "-"
        err = _h(r["error_code"]) if r["userdata_type"] == "response" and "error_code" in r else "-"
    else:
        func = _h(r["function_code"])
        sub = r.get("pi_service", "-") if r["event"] == "s7comm_plc_control_request" else "-"
        err = _h(r["error_code"]) if "error_code" in r else "-"
    return ("T" if r["is_orig"] else "F", str(r["rosctr"]), str(_swap(r["pdu_ref"])), func, sub, err)


def zeek_s7comm_row(z: dict[str, str]) -> Row:
    return (z["is_orig"], z["rosctr_code"], z["pdu_reference"], z["function_code"], z["subfunction_code"],
            z["error_code"])


def _baseline(name: str) -> tuple[str, Path]:
    capture, folder = BASELINES[name]
    base = S7 / (capture + ".zeek-baseline") / folder
    if not base.is_dir():
        pytest.skip("../shared/pcaps is absent")
    return capture, base


@pytest.mark.shared
@pytest.mark.parametrize("name", sorted(BASELINES))
def test_s7comm_log(name: str) -> None:
    capture, base = _baseline(name)
    ours = [s7comm_row(r) for r in records(capture) if _zeek_logged(r)]
    theirs = [zeek_s7comm_row(z) for z in read_zeek_log(base / "s7comm.log")]
    assert ours == theirs


@pytest.mark.shared
@pytest.mark.parametrize("name", sorted(BASELINES))
def test_cotp_connection_tpdus(name: str) -> None:
    capture, base = _baseline(name)
    codes = {"s7comm_cotp_connect_request": "0x0e", "s7comm_cotp_connect_confirm": "0x0d"}
    ours = [("T" if r["is_orig"] else "F", codes[r["event"]]) for r in records(capture) if r["event"] in codes]
    theirs = [(z["is_orig"], z["pdu_code"]) for z in read_zeek_log(base / "cotp.log") if z["pdu_code"] in ("0x0e", "0x0d")]
    assert ours == theirs


@pytest.mark.shared
def test_read_szl_log() -> None:
    capture, base = _baseline("snap7")
    ours = [("T" if r["is_orig"] else "F", str(_swap(r["pdu_ref"])), r["userdata_type"].capitalize(),
             _h(r["szl_id"], 4), _h(r["szl_index"], 4), "0xff" if r["return_code"] == "success" else "?")
            for r in records(capture) if "szl_id" in r and r["frame"] not in SKIP_SZL_FRAMES["snap7"]]
    theirs = [(z["is_orig"], z["pdu_reference"], z["method"], z["szl_id"], z["szl_index"], z["return_code"])
              for z in read_zeek_log(base / "s7comm_read_szl.log")]
    assert ours == theirs


def upload_download_row(r: dict[str, Any]) -> Row:
    bl = r.get("block_length", r.get("block_data_length"))
    return (
        "T" if r["is_orig"] else "F",
        str(_swap(r["pdu_ref"])),
        _h(r["function_status"]) if "function_status" in r else "-",
        str(r["session_id"]) if "session_id" in r else "-",
        str(bl) if bl is not None else "-",
        r.get("filename", "-"),
        BLOCK_TYPE_NAMES.get(r.get("block_type", ""), "-"),
        f"{r['block_number']:05d}" if "block_number" in r else "-",
        r.get("destination_filesystem", "-").capitalize(),
    )


@pytest.mark.shared
def test_upload_download_log() -> None:
    capture, base = _baseline("snap7")
    kinds = {0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F}
    ours = [upload_download_row(r) for r in records(capture)
            if r.get("function_code") in kinds and r["rosctr"] in (1, 3)]
    theirs = [(z["is_orig"], z["pdu_reference"], z["function_status"], z["session_id"], z["blocklength"],
               z["filename"], z["block_type"], z["block_number"], z["destination_filesystem"])
              for z in read_zeek_log(base / "s7comm_upload_download.log")]
    assert ours == theirs


@pytest.mark.shared
def test_known_devices_log() -> None:
    capture, base = _baseline("s7ident")
    ident: dict[str, str] = {}
    for r in records(capture):
        ident.update(r.get("identity", {}))
    (z,) = read_zeek_log(base / "s7comm_known_devices.log")
    empty = "(empty)"
    assert ident.get("plc_name", empty) == z["automation_system_name"]
    assert ident.get("module_name", empty) == z["module_name"]
    assert ident.get("plant_id", empty) == z["plant_name"]
    assert ident.get("serial_number", empty) == z["module_serial"]


@pytest.mark.shared
def test_s7comm_plus_log() -> None:
    capture, base = _baseline("s7comm_plus")
    ours = [("T" if r["is_orig"] else "F", str(r["plus_version"]), _h(r["opcode"]), r["opcode_name"],
             _h(r["plus_function_code"], 4) if "plus_function_code" in r else "-")
            for r in records(capture) if r["event"] == "s7comm_plus"]
    theirs = [(z["is_orig"], z["version"], z["opcode"], z["opcode_name"].lower(), z["function_code"])
              for z in read_zeek_log(base / "s7comm_plus.log")]
    assert ours == theirs
