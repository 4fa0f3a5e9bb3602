"""IEC 60870-5-104 against Wireshark: every APDU tshark dissects, we decode, frame for frame.

For each capture whose MANIFEST row lists the iec60870_104 dissector, and for each frame, the
multisets of frame type, U function, send and receive sequence numbers, type id, cause, originator
and common address, every information object address, and the element values of the common types
(single/double point, normalised/scaled/float measured values, integrated totals, single/double
commands, interrogation qualifier, CP56Time2a time tags) from tshark must equal those of our
iec104 events. The intended differences are listed in docs/protocols/iec104.md ("Differences from
Wireshark") and encoded exactly in KNOWN_DIFFERENCES.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from oracle_common import PCAPS, captures_with, compare, records, tshark_fields

#: tshark field -> our key name
FIELDS = {
    "iec60870_104.type": "frame_type",
    "iec60870_104.utype": "u_function",
    "iec60870_104.tx": "send_seq",
    "iec60870_104.rx": "recv_seq",
    "iec60870_asdu.typeid": "type_id",
    "iec60870_asdu.causetx": "cause",
    "iec60870_asdu.oa": "originator_address",
    "iec60870_asdu.addr": "common_address",
    "iec60870_asdu.ioa": "ioa",
    "iec60870_asdu.float": "value",
    "iec60870_asdu.normval": "value",
    "iec60870_asdu.scalval": "value",
    "iec60870_asdu.siq.spi": "value",
    "iec60870_asdu.diq.dpi": "value",
    "iec60870_asdu.sco.on": "value",
    "iec60870_asdu.dco.on": "value",
    "iec60870_asdu.bcr.count": "value",
    "iec60870_asdu.qoi": "value",
    # the CP56Time2a text has a comma, which the field aggregator splits: compare its parts
    "iec60870_asdu.cp56time.year": "time_year",
    "iec60870_asdu.cp56time.month": "time_month",
    "iec60870_asdu.cp56time.day": "time_day",
    "iec60870_asdu.cp56time.hour": "time_hour",
    "iec60870_asdu.cp56time.min": "time_minute",
    "iec60870_asdu.cp56time.ms": "time_ms",
}
#: type ids whose element value tshark shows in one of the value fields above
VALUE_TYPES = frozenset({1, 2, 30, 3, 4, 31, 9, 10, 34, 21, 48, 61, 110, 11, 12, 35, 49, 62, 111,
                         13, 14, 36, 50, 63, 112, 15, 16, 37, 45, 58, 46, 59, 100})
FRAME_TYPES = {0: "I", 1: "S", 3: "U"}
#: tshark's utype is the first control byte shifted right by 2
U_TYPES = {0x01: "startdt_act", 0x02: "startdt_con", 0x04: "stopdt_act", 0x08: "stopdt_con",
           0x10: "testfr_act", 0x20: "testfr_con"}

Key = tuple[int, str, Any]  # (frame, our field name, value)


def _norm(name: str, v: Any) -> Any:
    if name == "value" and isinstance(v, float):
        return float(f"{v:.5g}")
    return v


def _tshark_value(name: str, tfield: str, raw: str) -> Any:
    if name == "frame_type":
        return FRAME_TYPES.get(int(raw, 0), raw)
    if name == "u_function":
        code = int(raw, 0)
        return U_TYPES.get(code, f"unknown-{code * 4 + 3}")
    if name == "time_year":
        return int(raw) % 100
    if tfield in ("iec60870_asdu.float", "iec60870_asdu.normval"):
        return _norm("value", float(raw))
    return int(raw, 0)


def _time_parts(iso: str) -> list[tuple[str, int]]:
    # our text is not validated (a station may send month 0), so split it rather than parse it
    y, mo, d, h, mi, s, ms = map(int, re.split(r"[-T:.]", iso))
    return [("time_year", y % 100), ("time_month", mo), ("time_day", d), ("time_hour", h),
            ("time_minute", mi), ("time_ms", s * 1000 + ms)]


def tshark_keys(path: Path) -> Counter[Key]:
    out: Counter[Key] = Counter()
    for frame, cols in tshark_fields(path, list(FIELDS), display_filter="iec60870_104"):
        for (tfield, name), values in zip(FIELDS.items(), cols, strict=True):
            for v in values:
                out[(frame, name, _tshark_value(name, tfield, v))] += 1
    return out


def our_keys(path: Path) -> Counter[Key]:
    out: Counter[Key] = Counter()
    for rec in records(path, "iec104"):
        if rec["event"] == "weird":
            continue
        fr = rec["frame"]
        for name in ("frame_type", "u_function", "send_seq", "recv_seq", "type_id", "cause",
                     "originator_address", "common_address"):
            v = rec.get(name)
            if v is not None:
                out[(fr, name, v)] += 1
        for obj in rec.get("objects") or ():
            out[(fr, "ioa", obj["ioa"])] += 1
            if rec["type_id"] in VALUE_TYPES and obj.get("value") is not None:
                out[(fr, "value", _norm("value", obj["value"]))] += 1
            if "time" in obj and len(obj["time"]) > 12:  # CP56Time2a, not CP24Time2a
                out.update((fr, k, v) for k, v in _time_parts(obj["time"]))
    return out


#: capture -> (keys only tshark has, keys only we have); see docs/protocols/iec104.md
KNOWN_DIFFERENCES: dict[str, tuple[Counter[Key], Counter[Key]]] = {}

CAPTURES = captures_with("iec60870_104")


@pytest.mark.shared
@pytest.mark.tshark
@pytest.mark.parametrize("capture", CAPTURES or ["<no ../shared>"])
def test_iec104_matches_tshark(capture: str, record_property: Any) -> None:
    if not CAPTURES:
        pytest.skip("../shared/pcaps is absent")
    path = PCAPS / capture
    theirs = tshark_keys(path)
    ours = our_keys(path)
    compare(record_property, theirs, ours, KNOWN_DIFFERENCES.get(Path(capture).name))
    assert sum(theirs.values()) > 0
