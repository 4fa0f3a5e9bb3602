"""DNP3 against Zeek (and ICSNPP): the baselines beside the dnp3 captures, field for field.

The zeek/zeek btests print the analyzer's events (``output``) and diff ``dnp3.log``; the ICSNPP test
diffs ``dnp3.log``, ``dnp3_control.log`` and ``dnp3_objects.log``. No log was cut by zeek-cut. We
compare:

* ``dnp3.log`` rows (orig, resp, fc_request, fc_reply, iin), rebuilt from our events the way Zeek's
  script writes them: a request remembers its function, a response writes a row with the last
  request's function (``-`` when none) and clears it; a request still open at the end is written
  with ``fc_reply`` ``-``. Zeek parses whatever the originator sends as a request and whatever the
  responder sends as a response, as do we here.
* the ``output`` lines of the application headers, object headers (Zeek's ``number``, ``rf_low``,
  ``rf_high`` are derived from our qualifier, range and count as its grammar does, byte-swapped
  16/32-bit counts included), CROBs, link addresses of each fragment (``dnp3_header_block``) and
  the point values of the analog input and counter objects in POINT_EVENTS.
* ICSNPP's ``dnp3_control.log`` (every CROB) and ``dnp3_objects.log`` (the object headers of
  responses and the class headers of READ requests; ICSNPP logs none of unsolicited responses).

The intended differences are listed in docs/protocols/dnp3.md ("Differences from Zeek").
"""

from __future__ import annotations

import struct
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from oracle_common import read_zeek_log, records

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
DNP3 = SHARED / "pcaps" / "dnp3"

ZEEK_FC = {
    0: "CONFIRM", 1: "READ", 2: "WRITE", 3: "SELECT", 4: "OPERATE", 5: "DIRECT_OPERATE", 6: "DIRECT_OPERATE_NR",
    7: "IMMED_FREEZE", 8: "IMMED_FREEZE_NR", 9: "FREEZE_CLEAR", 10: "FREEZE_CLEAR_NR", 11: "FREEZE_AT_TIME",
    12: "FREEZE_AT_TIME_NR", 13: "COLD_RESTART", 14: "WARM_RESTART", 15: "INITIALIZE_DATA",
    16: "INITIALIZE_APPL", 17: "START_APPL", 18: "STOP_APPL", 19: "SAVE_CONFIG", 20: "ENABLE_UNSOLICITED",
    21: "DISABLE_UNSOLICITED", 22: "ASSIGN_CLASS", 23: "DELAY_MEASURE", 24: "RECORD_CURRENT_TIME",
    25: "OPEN_FILE", 26: "CLOSE_FILE", 27: "DELETE_FILE", 28: "GET_FILE_INFO", 29: "AUTHENTICATE_FILE",
    30: "ABORT_FILE", 31: "ACTIVATE_CONFIG", 32: "AUTHENTICATE_REQ", 33: "AUTHENTICATE_ERR", 129: "RESPONSE",
    130: "UNSOLICITED_RESPONSE", 131: "AUTHENTICATE_RESP",
}
#: (group, variation) -> Zeek's event for one point, and whether it prints the flags
POINT_EVENTS = {
    (30, 1): ("dnp3_analog_input_32wFlag", True), (30, 3): ("dnp3_analog_input_32woFlag", False),
    (30, 5): ("dnp3_analog_input_SPwFlag", True), (32, 1): ("dnp3_analog_input_event_32woTime", True),
    (20, 5): ("dnp3_counter_32woFlag", False), (21, 9): ("dnp3_frozen_counter_32woFlag", False),
}
OUTPUT_EVENTS = ("dnp3_application_request_header", "dnp3_application_response_header", "dnp3_object_header",
                 "dnp3_crob", "dnp3_header_block", *(e for e, _ in POINT_EVENTS.values()))


def baselines() -> list[tuple[str, Path]]:
    out = []
    for base in sorted(DNP3.glob("*.zeek-baseline/*")):
        if base.is_dir():
            out.append((base.parent.name.removesuffix(".zeek-baseline"), base))
    return out


BASELINES = baselines()
IDS = [f"{c}:{b.name}" for c, b in BASELINES] or ["<no ../shared>"]
Row = tuple[str, ...]


def app_records(capture: str) -> list[dict[str, Any]]:
    return [r for r in records(DNP3 / capture, "dnp3") if "function_code" in r]


def _flow(r: dict[str, Any]) -> tuple[str, str, str, str]:
    if r["is_orig"]:
        return (r["src"], str(r["sport"]), r["dst"], str(r["dport"]))
    return (r["dst"], str(r["dport"]), r["src"], str(r["sport"]))


def dnp3_log_rows(recs: list[dict[str, Any]]) -> Counter[Row]:
    """Zeek's dnp3.log rebuilt from our events (see the module docstring)."""
    open_req: dict[tuple[str, str, str, str], str] = {}
    rows: Counter[Row] = Counter()
    for r in recs:
        flow = _flow(r)
        if r["is_orig"]:
            open_req[flow] = ZEEK_FC.get(r["function_code"], "?")
        else:
            iin = r["iin"] if r["iin"] is not None else "?"
            rows[(*flow, open_req.pop(flow, "-"), ZEEK_FC.get(r["function_code"], "?"), str(iin))] += 1
    for flow, fc in open_req.items():
        rows[(*flow, fc, "-", "-")] += 1
    return rows


def _swap16(v: int) -> int:
    return ((v & 0xFF) << 8) | (v >> 8)


def _swap32(v: int) -> int:
    return int.from_bytes(v.to_bytes(4, "little"), "big")


def zeek_object_header(o: dict[str, Any]) -> tuple[int, int, int]:
    """(number, rf_low, rf_high) as Zeek's grammar computes them from the qualifier."""
    rc, n = o["range_code"], o["count"]
    if rc in (0, 1, 2):
        return n, o["range"][0], o["range"][1]
    if rc in (3, 4, 5):
        return 0, o["range"][0], o["range"][1]
    if rc == 6:
        return 0, 0xFFFF, 0xFFFF
    if rc == 8:
        return n, _swap16(n), 0
    if rc == 9:
        return n, _swap32(n), 0
    if rc in (7, 0xB):
        return n, n, 0
    return 0, 0, 0


def our_output(recs: list[dict[str, Any]]) -> list[str]:
    out = []
    for r in recs:
        t = "T" if r["is_orig"] else "F"
        out.append(f"dnp3_header_block, {t}, {r['link_dst']}, {r['link_src']}")
        if r["is_orig"]:
            out.append(f"dnp3_application_request_header, {t}, {r['app_control']}, {r['function_code']}")
        else:
            out.append(f"dnp3_application_response_header, {t}, {r['app_control']}, {r['function_code']}, {r['iin']}")
        for o in r["objects"]:
            n, lo, hi = zeek_object_header(o)
            out.append(f"dnp3_object_header, {t}, {o['group'] << 8 | o['variation']}, {o['qualifier']}, {n}, {lo}, {hi}")
            ev = POINT_EVENTS.get((o["group"], o["variation"]))
            if ev is not None:
                for i, v in enumerate(o["values"]):
                    # Zeek prints a float's bits as an integer and a negative integer modulo 2**64
                    v = struct.unpack("<I", struct.pack("<f", v))[0] if isinstance(v, float) else v % 2**64
                    flag = f"{o['flags'][i]}, " if ev[1] else ""
                    out.append(f"{ev[0]}, {t}, {flag}{v}")
            if o["group"] == 12 and o["variation"] == 1:
                for c in o.get("commands", []):
                    out.append(f"dnp3_crob, {t}, {c['control_code']}, {c['count']}, {c['on_time']}, "
                               f"{c['off_time']}, {c['status']}")
    return out


def zeek_output(base: Path) -> list[str]:
    out = []
    for line in (base / "output").read_text().splitlines():
        parts = line.split(", ")
        if parts[0] not in OUTPUT_EVENTS:
            continue
        if parts[0] == "dnp3_header_block":  # drop len and ctrl: those of the first link frame
            parts = [parts[0], parts[1], parts[4], parts[5]]
        out.append(", ".join(parts))
    return out


def _need(base: Path, name: str) -> Path:
    if not (base / name).is_file():
        pytest.skip(f"no {name} in this baseline")
    return base / name


@pytest.mark.shared
@pytest.mark.parametrize("case", IDS)
def test_dnp3_log(case: str) -> None:
    if not BASELINES:
        pytest.skip("../shared/pcaps is absent")
    capture, base = dict(zip(IDS, BASELINES, strict=True))[case]
    log = _need(base, "dnp3.log")
    theirs = Counter((z["id.orig_h"], z["id.orig_p"], z["id.resp_h"], z["id.resp_p"], z["fc_request"],
                      z["fc_reply"], z["iin"]) for z in read_zeek_log(log))
    ours = dnp3_log_rows(app_records(capture))
    assert ours == theirs


@pytest.mark.shared
@pytest.mark.parametrize("case", IDS)
def test_dnp3_events_output(case: str) -> None:
    if not BASELINES:
        pytest.skip("../shared/pcaps is absent")
    capture, base = dict(zip(IDS, BASELINES, strict=True))[case]
    _need(base, "output")
    assert our_output(app_records(capture)) == zeek_output(base)


CONTROL_CODES = {1: "Pulse On", 2: "Pulse Off", 3: "Latch On", 4: "Latch Off"}
TRIP = {0: "Nul", 1: "Close", 2: "Trip"}
STATUS = {0: "Success", 1: "Timeout", 2: "No Select", 3: "Format Error", 4: "Not Supported"}


@pytest.mark.shared
def test_icsnpp_control_log() -> None:
    base = DNP3 / "icsnpp-dnp3__dnp3_example.pcap.zeek-baseline" / "analyzer.basic"
    if not base.is_dir():
        pytest.skip("../shared/pcaps is absent")
    ours = []
    for r in app_records("icsnpp-dnp3__dnp3_example.pcap"):
        for o in r["objects"]:
            for c in o.get("commands", []):
                if "control_code" not in c:
                    continue
                ours.append(("T" if r["is_orig"] else "F", ZEEK_FC[r["function_code"]], str(c["index"]),
                             TRIP[c["control_code"] >> 6], CONTROL_CODES.get(c["control_code"] & 0xF, "?"),
                             "T" if c["clear"] else "F", str(c["count"]), str(c["on_time"]), str(c["off_time"]),
                             "-" if r["is_orig"] else STATUS.get(c["status"], "?")))
    theirs = [(z["is_orig"], z["function_code"], z["index_number"], z["trip_control_code"], z["operation_type"],
               z["clear_bit"], z["execute_count"], z["on_time"], z["off_time"], z["status_code"])
              for z in read_zeek_log(base / "dnp3_control.log")]
    assert sorted(ours) == sorted(theirs)


@pytest.mark.shared
def test_icsnpp_objects_log() -> None:
    base = DNP3 / "icsnpp-dnp3__dnp3_example.pcap.zeek-baseline" / "analyzer.basic"
    if not base.is_dir():
        pytest.skip("../shared/pcaps is absent")
    ours: Counter[Row] = Counter()
    for r in app_records("icsnpp-dnp3__dnp3_example.pcap"):
        for o in r["objects"]:
            # ICSNPP logs no CROBs here (dnp3_control.log has them), no point headers of READ
            # requests and no objects of unsolicited responses (function 130)
            if o["group"] == 12 or (r["function_code"] == 1 and o["group"] != 60) or r["function_code"] == 130:
                continue
            if o["group"] == 60:
                ours[("T" if r["is_orig"] else "F", ZEEK_FC[r["function_code"]], f"class{o['variation'] - 1}",
                      "-", "-", "-")] += 1
            else:
                lo, hi = o["range"] if o["range"] else ("-", "-")
                ours[("T" if r["is_orig"] else "F", ZEEK_FC[r["function_code"]], f"{o['group']}.{o['variation']}",
                      str(o["count"]), str(lo), str(hi))] += 1
    names = {"Class 0 Data": "class0", "Class 1 Data": "class1", "Class 2 Data": "class2", "Class 3 Data": "class3",
             "Binary Input With Status": "1.2", "Binary Output Status": "10.2", "16-Bit Analog Input": "30.2",
             "16-Bit Analog Output Status": "40.2"}
    theirs: Counter[Row] = Counter(
        (z["is_orig"], z["function_code"], names.get(z["object_type"], z["object_type"]), z["object_count"],
         z["range_low"], z["range_high"]) for z in read_zeek_log(base / "dnp3_objects.log"))
    assert ours == theirs
