"""Omron FINS against Wireshark's ``omron`` dissector, frame for frame.

For each capture whose MANIFEST row lists the omron dissector, the multisets (keyed by frame) of the
FINS/TCP command and error code, the FINS header (ICF, DNA, DA1, DA2, SNA, SA1, SA2, SID), the command
code, the end code, and the controller model and version must equal ours. FINS/TCP "frame send"
(command 2) is the envelope of a FINS frame: our event for that frame is the FINS command or response
and does not repeat it, so tshark's ``omron.tcp.command == 2`` is left out. No other differences
(docs/protocols/fins.md).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from oracle_common import PCAPS, captures_with, compare, records, tshark_fields

#: tshark field -> our event field (ints) ; strings are compared separately
INT_FIELDS = {
    "omron.tcp.command": "tcp_command",
    "omron.icf": "icf",
    "omron.dna": "dna",
    "omron.da1": "da1",
    "omron.da2": "da2",
    "omron.sna": "sna",
    "omron.sa1": "sa1",
    "omron.sa2": "sa2",
    "omron.sid": "sid",
    "omron.command": "command_code",
    "omron.response.code": "end_code",
}
STR_FIELDS = {"omron.controller.model": "model", "omron.controller.version": "firmware"}
FIELDS = {**INT_FIELDS, **STR_FIELDS}

Key = tuple[int, str, Any]
FRAME_SEND = 2
CAPTURES = captures_with("omron")


def tshark_keys(path: Path) -> Counter[Key]:
    out: Counter[Key] = Counter()
    for frame, cols in tshark_fields(path, list(FIELDS)):
        for name, values in zip(FIELDS.values(), cols, strict=True):
            for v in values:
                value = v if name in STR_FIELDS.values() else int(v, 0)
                if name == "tcp_command" and value == FRAME_SEND:
                    continue  # the FINS/TCP envelope of a FINS frame: our frame event does not repeat it
                out[(frame, name, value)] += 1
    return out


def our_keys(path: Path) -> Counter[Key]:
    out: Counter[Key] = Counter()
    for rec in records(path, "fins"):
        if rec["event"] == "weird":
            continue
        for name in INT_FIELDS.values():
            v = rec.get(name)
            if v is not None:
                out[(rec["frame"], name, v)] += 1
        ident = rec.get("identity") or {}
        for name in STR_FIELDS.values():
            if name in ident:
                out[(rec["frame"], name, ident[name])] += 1
    return out


@pytest.mark.shared
@pytest.mark.tshark
@pytest.mark.parametrize("capture", CAPTURES or ["<no ../shared>"])
def test_fins_matches_tshark(capture: str, record_property: Any) -> None:
    if not CAPTURES:
        pytest.skip("../shared/pcaps is absent")
    path = PCAPS / capture
    theirs = tshark_keys(path)
    assert sum(theirs.values()) > 0
    compare(record_property, theirs, our_keys(path))
