"""Beckhoff ADS/AMS against Wireshark's ``ams`` dissector, frame for frame.

For each capture whose MANIFEST row lists the ams dissector, the multisets (keyed by frame) of the
AMS header (target/sender net id and port, command id, state flags, error code, invoke id), the
request index group/offset, and the device name of a read device info answer must equal ours. The
UDP 48899 discovery / add route messages are not dissected by Wireshark 4.0 (they show as "data"), so
they are not compared. Intended differences: docs/protocols/ads.md, encoded in KNOWN_DIFFERENCES.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from oracle_common import PCAPS, captures_with, compare, records, tshark_fields

INT_FIELDS = {
    "ams.targetport": "target_port",
    "ams.senderport": "source_port",
    "ams.cmdid": "command_id",
    "ams.stateflags": "state_flags",
    "ams.errorcode": "error_code",
    "ams.invokeid": "invoke_id",
    "ams.ads_indexgroup": "index_group",
    "ams.ads_indexoffset": "index_offset",
}
STR_FIELDS = {"ams.targetnetid": "target_net_id", "ams.sendernetid": "source_net_id",
              "ams.ads_devicename": "product_name"}
FIELDS = {**INT_FIELDS, **STR_FIELDS}

Key = tuple[int, str, Any]
CAPTURES = captures_with("ams")

#: capture -> (keys only tshark has, keys only we have)
KNOWN_DIFFERENCES: dict[str, tuple[Counter[Key], Counter[Key]]] = {}


def tshark_keys(path: Path) -> Counter[Key]:
    out: Counter[Key] = Counter()
    for frame, cols in tshark_fields(path, list(FIELDS), display_filter="ams"):
        for name, values in zip(FIELDS.values(), cols, strict=True):
            for v in values:
                out[(frame, name, v if name in STR_FIELDS.values() else int(v, 0))] += 1
    return out


def our_keys(path: Path) -> Counter[Key]:
    out: Counter[Key] = Counter()
    for rec in records(path, "ads"):
        if rec["event"] == "weird" or "command_id" not in rec:
            continue
        for name in FIELDS.values():
            v = rec.get(name)
            if name == "product_name":
                v = (rec.get("identity") or {}).get(name)
            elif name in ("index_group", "index_offset") and rec["direction"] == "response":
                v = None
            if v is not None:
                out[(rec["frame"], name, v)] += 1
    return out


@pytest.mark.shared
@pytest.mark.tshark
@pytest.mark.parametrize("capture", CAPTURES or ["<no ../shared>"])
def test_ads_matches_tshark(capture: str, record_property: Any) -> None:
    if not CAPTURES:
        pytest.skip("../shared/pcaps is absent")
    path = PCAPS / capture
    theirs = tshark_keys(path)
    assert sum(theirs.values()) > 0
    compare(record_property, theirs, our_keys(path), KNOWN_DIFFERENCES.get(Path(capture).name))
