"""PROFINET IO-CM against Wireshark: every DCE/RPC packet tshark dissects, we decode, frame for frame.

For each capture whose MANIFEST row lists a PROFINET IO dissector (pn_io_device, pn_io_controller),
and for each frame:
- the multisets of DCE/RPC packet type, opnum, sequence number, fragment number, activity UUID and
  object UUID, and of the PNIO record indices (the IOD header's ``index`` plus each record in
  ``writes``: WriteMultiple records and CombinedObjectContainer contents), control commands and
  station names (tshark files the CMResponderStationName of an ARServerBlock under
  ``pn_io.cminitiator_station_name``) equal those of our ``pnio_cm_*`` events;
- the first PNIO block type equals the first of our ``block_types``, and every block type we list is
  one tshark lists (tshark also lists blocks nested inside records, which we do not descend into).
Intended differences would be listed in docs/protocols/profinet.md and encoded in KNOWN_DIFFERENCES
(there are none).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from oracle_common import PCAPS, captures_with, compare, records, tshark_fields

from plantwarden.decoders.pnio_cm.constants import BLOCK_TYPES

FIELDS = {
    "dcerpc.pkt_type": "packet_type_code",
    "dcerpc.opnum": "opnum",
    "dcerpc.dg_seqnum": "sequence_num",
    "dcerpc.dg_frag_num": "fragment_num",
    "dcerpc.dg_act_id": "activity_uuid",
    "dcerpc.obj_id": "object_uuid",
    "pn_io.index": "index",
    "pn_io.control_command": "control_command_code",
    "pn_io.cminitiator_station_name": "cm_initiator_station_name",
}
_INT = {"packet_type_code", "opnum", "sequence_num", "fragment_num", "index", "control_command_code"}
_CODES = {name: code for code, name in BLOCK_TYPES.items()}

Key = tuple[int, str, object]
KNOWN_DIFFERENCES: dict[str, tuple[Counter[Key], Counter[Key]]] = {}
CAPTURES = captures_with("pn_io_device", "pn_io_controller")


def tshark_view(path: Path) -> tuple[Counter[Key], dict[int, list[int]]]:
    out: Counter[Key] = Counter()
    blocks: dict[int, list[int]] = {}
    names = list(FIELDS.values())
    for frame, cols in tshark_fields(path, [*FIELDS, "pn_io.block_type"], display_filter="dcerpc"):
        for name, values in zip(names, cols[:-1], strict=True):
            for v in values:
                out[(frame, name, int(v, 0) if name in _INT else v)] += 1
        if cols[-1]:
            blocks[frame] = [int(v, 0) for v in cols[-1]]
    return out, blocks


def our_view(recs: list[dict[str, Any]]) -> tuple[Counter[Key], dict[int, list[int]]]:
    out: Counter[Key] = Counter()
    blocks: dict[int, list[int]] = {}
    for rec in recs:
        if rec["event"] == "weird":
            continue
        fr = rec["frame"]
        for name in FIELDS.values():
            v = rec.get(name)
            if v is not None:
                out[(fr, name, v)] += 1
        if "cm_responder_station_name" in rec:  # tshark files it under the initiator's field too
            out[(fr, "cm_initiator_station_name", rec["cm_responder_station_name"])] += 1
        for w in rec.get("writes", []):
            out[(fr, "index", w["index"])] += 1
        if rec.get("block_types"):
            blocks[fr] = [_CODES.get(b, -1) if not b.startswith("unknown-") else int(b[8:])
                          for b in rec["block_types"]]
    return out, blocks


@pytest.mark.shared
@pytest.mark.tshark
@pytest.mark.parametrize("capture", CAPTURES or ["<no ../shared>"])
def test_pnio_cm_matches_tshark(capture: str, record_property: Any) -> None:
    if not CAPTURES:
        pytest.skip("../shared/pcaps is absent")
    path = PCAPS / capture
    recs = records(path, "pnio_cm")
    assert not [r for r in recs if r["event"] == "weird"]
    theirs, their_blocks = tshark_view(path)
    ours, our_blocks = our_view(recs)
    compare(record_property, theirs, ours, KNOWN_DIFFERENCES.get(Path(capture).name))
    assert sorted(our_blocks) == sorted(their_blocks)
    for frame, types in our_blocks.items():
        assert types[0] == their_blocks[frame][0], frame
        assert not Counter(types) - Counter(their_blocks[frame]), frame
    assert sum(theirs.values()) > 0
