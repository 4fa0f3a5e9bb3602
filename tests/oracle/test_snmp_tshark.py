"""SNMP against Wireshark: every message tshark dissects, we decode, frame for frame.

Compared per frame: version, community, PDU type, request id, error status, every variable
binding's OID and integer value. Intended differences: docs/protocols/snmp.md (KNOWN_DIFFERENCES).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from oracle_common import PCAPS, captures_with_protocols, compare, records, tshark_fields

FIELDS = {
    "snmp.version": "version", "snmp.community": "community", "snmp.data": "pdu", "snmp.request_id": "request_id",
    "snmp.error_status": "error_status", "snmp.name": "oid", "snmp.value.int": "int",
}
PDU_INDEX = {"get_request": 0, "get_next_request": 1, "response": 2, "set_request": 3, "trap": 4,
             "get_bulk_request": 5, "inform_request": 6, "trapv2": 7, "report": 8}
VERSION_CODES = {"1": 0, "2c": 1, "3": 3}

Key = tuple[int, str, Any]


def tshark_keys(path: Path, decode_as: tuple[str, ...] = ()) -> Counter[Key]:
    out: Counter[Key] = Counter()
    for frame, cols in tshark_fields(path, list(FIELDS), decode_as=decode_as, display_filter="snmp"):
        for name, values in zip(FIELDS.values(), cols, strict=True):
            for v in values:
                out[(frame, name, v if name in ("community", "oid") else int(v, 0))] += 1
    return out


def our_keys(path: Path) -> Counter[Key]:
    out: Counter[Key] = Counter()
    for r in records(path, "snmp"):
        if r["event"] == "weird":
            continue
        fr = r["frame"]
        out[(fr, "version", VERSION_CODES[r["version"]])] += 1
        if r.get("community") is not None:
            out[(fr, "community", r["community"])] += 1
        if r["pdu_type"] is not None:
            out[(fr, "pdu", PDU_INDEX[r["pdu_type"]])] += 1
        if r.get("request_id") is not None:
            out[(fr, "request_id", r["request_id"])] += 1
        if r.get("error_status") is not None:
            out[(fr, "error_status", r["error_status"])] += 1
        for vb in r.get("varbinds", []):
            out[(fr, "oid", vb["oid"])] += 1
            if vb["type"] == "integer":
                out[(fr, "int", vb["value"])] += 1
    return out


#: capture -> (keys only tshark has, keys only we have); see docs/protocols/snmp.md
KNOWN_DIFFERENCES: dict[str, tuple[Counter[Key], Counter[Key]]] = {}

CAPTURES = captures_with_protocols("snmp")


@pytest.mark.shared
@pytest.mark.tshark
@pytest.mark.parametrize("capture", CAPTURES or ["<no ../shared>"])
def test_snmp_matches_tshark(capture: str, record_property: Any) -> None:
    if not CAPTURES:
        pytest.skip("../shared/pcaps is absent")
    path = PCAPS / capture
    theirs = tshark_keys(path)
    assert sum(theirs.values()) > 0
    compare(record_property, theirs, our_keys(path), KNOWN_DIFFERENCES.get(Path(capture).name))
