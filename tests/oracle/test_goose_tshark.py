"""GOOSE against Wireshark: every goosePdu tshark dissects, we decode, frame for frame.

For each capture whose MANIFEST row lists the goose dissector, and for each frame, the multisets of
APPID, length, gocbRef, timeAllowedtoLive, datSet, goID, stNum, sqNum, confRev, numDatSetEntries,
simulation and ndsCom from tshark equal those of our ``goose_message`` events, and tshark's count of
allData items equals the number of our ``values``. Intended differences would be listed in
docs/protocols/goose.md and encoded in KNOWN_DIFFERENCES (there are none).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from oracle_common import PCAPS, captures_with, compare, records, tshark_fields


def _bool(v: str) -> bool:
    return v in ("1", "True", "true")


FIELDS = {
    "goose.appid": ("appid", lambda v: int(v, 0)),
    "goose.length": ("length", int),
    "goose.gocbRef": ("gocb_ref", str),
    "goose.timeAllowedtoLive": ("time_allowed_to_live", int),
    "goose.datSet": ("dat_set", str),
    "goose.goID": ("go_id", str),
    "goose.stNum": ("st_num", int),
    "goose.sqNum": ("sq_num", int),
    "goose.confRev": ("conf_rev", int),
    "goose.numDatSetEntries": ("num_dat_set_entries", int),
    "goose.simulation": ("simulation", _bool),
    "goose.ndsCom": ("nds_com", _bool),
}

Key = tuple[int, str, object]
KNOWN_DIFFERENCES: dict[str, tuple[Counter[Key], Counter[Key]]] = {}
CAPTURES = captures_with("goose")


def tshark_keys(path: Path) -> Counter[Key]:
    out: Counter[Key] = Counter()
    conv = list(FIELDS.values())
    for frame, cols in tshark_fields(path, [*FIELDS, "goose.Data"], display_filter="goose"):
        for (name, fn), values in zip(conv, cols[:-1], strict=True):
            for v in values:
                out[(frame, name, fn(v))] += 1
        out[(frame, "values", len(cols[-1]))] += 1
    return out


def our_keys(path: Path) -> Counter[Key]:
    out: Counter[Key] = Counter()
    for rec in records(path, "goose"):
        if rec["event"] != "goose_message":
            continue
        for name, _fn in FIELDS.values():
            v = rec.get(name)
            if v is not None:
                out[(rec["frame"], name, v)] += 1
        out[(rec["frame"], "values", _count(rec.get("values", [])))] += 1
    return out


def _count(values: list[object]) -> int:
    """Every Data element, nested ones included (tshark lists each goose.Data occurrence)."""
    return sum(1 + (_count(v) if isinstance(v, list) else 0) for v in values)


@pytest.mark.shared
@pytest.mark.tshark
@pytest.mark.parametrize("capture", CAPTURES or ["<no ../shared>"])
def test_goose_matches_tshark(capture: str, record_property: Any) -> None:
    if not CAPTURES:
        pytest.skip("../shared/pcaps is absent")
    path = PCAPS / capture
    theirs = tshark_keys(path)
    ours = our_keys(path)
    compare(record_property, theirs, ours, KNOWN_DIFFERENCES.get(Path(capture).name))
    assert sum(theirs.values()) > 0
