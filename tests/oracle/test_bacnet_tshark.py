"""BACnet/IP against Wireshark: every BVLC/NPDU/APDU tshark dissects, we decode, frame for frame.

For each capture whose MANIFEST row lists the bvlc, bacnet or bacapp dissector, and for each frame,
the multisets of BVLC function, network message type, APDU type, service choice (confirmed and
unconfirmed), invoke id, segment sequence number and window size from tshark must equal those of
our bacnet events. For ReadProperty/WriteProperty requests and ReadProperty acks, the object type,
instance and property of the request (tshark's first occurrence in the frame) are compared too.

Intended differences (docs/protocols/bacnet.md, "Differences from Wireshark"):

* LLC: BACnet carried directly in 802.2 LLC frames (BACnet/Ethernet, ISO 8802-3, no IP) is not
  BACnet/IP: the sensor does not see it. Frames without a BVLC header are left out of the
  comparison, and their number per capture is checked exactly (LLC_FRAMES).
* KNOWN_DIFFERENCES: per capture, what only one side has, exactly (none so far).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from oracle_common import PCAPS, captures_with, compare, records, tshark_fields

from plantwarden.decoders.bacnet.constants import APDU_TYPES, BVLC_FUNCTIONS, OBJECT_TYPES

FIELDS = [
    "bvlc.function", "bacnet.mesgtyp", "bacapp.type", "bacapp.confirmed_service", "bacapp.unconfirmed_service",
    "bacapp.invoke_id", "bacapp.sequence_number", "bacapp.window_size", "bacapp.objectType",
    "bacapp.instance_number", "bacapp.property_identifier",
]
#: tshark field -> our key name, for the fields compared on every frame
SIMPLE = {
    "bvlc.function": "bvlc_function", "bacnet.mesgtyp": "network_message_code", "bacapp.type": "apdu_type",
    "bacapp.confirmed_service": "confirmed_service", "bacapp.unconfirmed_service": "unconfirmed_service",
    "bacapp.invoke_id": "invoke_id", "bacapp.sequence_number": "sequence_number",
    "bacapp.window_size": "window_size",
}
#: events whose object and property are compared with tshark's first occurrence in the frame
OBJECT_EVENTS = {"bacnet_read_property_request", "bacnet_read_property_ack", "bacnet_write_property_request"}

Key = tuple[int, str, Any]

BVLC_CODES = {v: k for k, v in BVLC_FUNCTIONS.items()}
APDU_CODES = {v: i for i, v in enumerate(APDU_TYPES)}
TYPE_CODES = {v: k for k, v in OBJECT_TYPES.items()}


def type_code(name: str) -> int:
    return int(name[8:]) if name.startswith("unknown-") else TYPE_CODES[name]

#: capture -> frames without a BVLC header in which tshark dissects BACnet (over 802.2 LLC)
LLC_FRAMES = {"icsnpp-bacnet__bacnet_services.pcap": 109}
#: capture -> (keys only tshark has, keys only we have)
KNOWN_DIFFERENCES: dict[str, tuple[Counter[Key], Counter[Key]]] = {}

CAPTURES = captures_with("bvlc", "bacnet", "bacapp")


def tshark_keys(path: Path) -> tuple[Counter[Key], int, dict[int, tuple[str, str, str]]]:
    """(comparison keys, frames over LLC, frame -> first object type, instance, property)."""
    out: Counter[Key] = Counter()
    llc = 0
    rows = tshark_fields(path, FIELDS)
    objects: dict[int, tuple[str, str, str]] = {}
    for frame, cols in rows:
        vals = dict(zip(FIELDS, cols, strict=True))
        if not vals["bvlc.function"]:
            if any(cols):
                llc += 1
            continue
        for tf, ours in SIMPLE.items():
            for v in vals[tf]:
                out[(frame, ours, int(v, 0))] += 1
        if vals["bacapp.objectType"] and vals["bacapp.property_identifier"]:
            objects[frame] = (vals["bacapp.objectType"][0], vals["bacapp.instance_number"][0],
                              vals["bacapp.property_identifier"][0])
    return out, llc, objects


def our_keys(path: Path) -> tuple[Counter[Key], list[tuple[int, int, int, int]]]:
    out: Counter[Key] = Counter()
    objs: list[tuple[int, int, int, int]] = []
    for r in records(path, "bacnet"):
        if r["event"] == "weird":
            continue
        frame = r["frame"]
        out[(frame, "bvlc_function", BVLC_CODES[r["bvlc_function"]])] += 1
        if "network_message_code" in r:
            out[(frame, "network_message_code", r["network_message_code"])] += 1
        kind = r.get("apdu_type")
        if kind is None:
            continue
        out[(frame, "apdu_type", APDU_CODES[kind])] += 1
        if "service_code" in r:
            name = "unconfirmed_service" if kind == "unconfirmed_request" else "confirmed_service"
            out[(frame, name, r["service_code"])] += 1
        for k in ("invoke_id", "sequence_number", "window_size"):
            if r.get(k) is not None:
                out[(frame, k, r[k])] += 1
        if r["event"] in OBJECT_EVENTS:
            objs.append((frame, type_code(r["object_type"]), r["instance"], r["property_id"]))
    return out, objs


@pytest.mark.shared
@pytest.mark.tshark
@pytest.mark.parametrize("capture", CAPTURES or ["<no ../shared>"])
def test_bacnet_matches_tshark(capture: str, record_property: Any) -> None:
    if not CAPTURES:
        pytest.skip("../shared/pcaps is absent")
    path = PCAPS / capture
    theirs, llc, objects = tshark_keys(path)
    ours, objs = our_keys(path)
    assert llc == LLC_FRAMES.get(path.name, 0)
    compare(record_property, theirs, ours, KNOWN_DIFFERENCES.get(path.name))
    assert objs, "no object/property event to compare"
    for frame, typ, inst, prop in objs:
        assert objects[frame] == (str(typ), str(inst), str(prop)), frame
