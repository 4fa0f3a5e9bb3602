"""DNP3 against Wireshark: every application fragment tshark dissects, we decode, frame for frame.

For each capture whose MANIFEST row lists the dnp3 dissector, and for each frame, the multisets of
application-layer values tshark reports (function code, application control, IIN, object type,
prefix and range codes, point indexes, CROB fields) must equal those of our DNP3 events. Link-layer
values (control byte, source, destination) of our events must be among those tshark shows in the
same frame (tshark lists every link frame; we report only the last link frame of a fragment). The
intended differences are listed in docs/protocols/dnp3.md ("Differences from Wireshark") and
encoded in KNOWN_DIFFERENCES (the frames that differ, and on which side), which must stay exactly as
they are.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from oracle_common import PCAPS, captures_with, record, records, tshark_fields

#: tshark application-layer field -> our key
AL_FIELDS = {
    "dnp3.al.func": "function_code",
    "dnp3.al.ctl": "app_control",
    "dnp3.al.iin": "iin",
    "dnp3.al.obj": "object",
    "dnp3.al.objq.prefix": "prefix_code",
    "dnp3.al.objq.range": "range_code",
    "dnp3.al.point_index": "index",  # implicit point numbers (range, or count without prefix)
    "dnp3.al.index": "index",  # index prefixes
    "dnp3.al.count": "crob_count",
    "dnp3.al.on_time": "crob_on_time",
    "dnp3.al.off_time": "crob_off_time",
}
LINK_FIELDS = {"dnp3.ctl": "link_control", "dnp3.src": "link_src", "dnp3.dst": "link_dst"}

Key = tuple[int, str, int]  # (frame, our key, value)

_WRAP = "Wireshark 4.0 loses a fragment whose transport sequence wraps from 63 to 0"
_G120 = "Wireshark 4.0 knows no group 120 (Secure Authentication) objects and stops at the first"
_AUTH_IIN = "Wireshark 4.0 shows no IIN for an authenticate response (function 131)"
_APP = "Wireshark 4.0 decodes no object headers in start/stop application requests (function 16-18)"

#: capture -> {frame: (which side has the extra keys, reason)}; see docs/protocols/dnp3.md. The
#: frames that differ must be exactly these, on exactly that side.
KNOWN_DIFFERENCES: dict[str, dict[int, tuple[str, str]]] = {
    "icsnpp-dnp3__dnp3_example.pcap": {
        18: ("ours", _WRAP), 114: ("ours", _WRAP), 210: ("ours", _WRAP), 810: ("ours", _WRAP),
        # the next fragment after a wrap, FIR+FIN with sequence 0: Wireshark shows control 0, function 0
        311: ("both", _WRAP),
    },
    "ICS-Security-Tools__8.15.2__dump.pcap": {
        10: ("ours", "Wireshark 4.0 knows no g51v2 (unsynchronised CTO) and stops decoding the response there"),
    },
    "ICS-Security-Tools__auth_change_session_keys.pcap": {
        4: ("ours", _G120), 5: ("ours", _G120 + "; " + _AUTH_IIN), 6: ("ours", _G120),
        7: ("ours", _G120 + "; " + _AUTH_IIN),
    },
    "ICS-Security-Tools__auth_control_challenge_response.pcap": {
        2: ("ours", _G120 + "; " + _AUTH_IIN), 3: ("ours", _G120),
    },
    "ICS-Security-Tools__operate_aggressive_mode.pcap": {1: ("ours", _G120)},
    "ICS-Security-Tools__write_vto_empty_string.pcap": {
        2: ("theirs", "g112v0 (zero-size objects) with a range: Wireshark lists point 0 then fails; "
                      "we stop at the header (dnp3_bad_object_size)"),
    },
    "zeek__dnp3.pcap": {163: ("ours", _APP), 166: ("ours", _APP), 174: ("ours", _APP), 176: ("ours", _APP)},
}

CAPTURES = captures_with("dnp3")
DECODE_AS = ["tcp.port==20001,dnp3", "udp.port==20001,dnp3"]


def tshark_keys(path: Path) -> tuple[Counter[Key], dict[int, Counter[tuple[str, int]]]]:
    al: Counter[Key] = Counter()
    links: dict[int, Counter[tuple[str, int]]] = {}
    names = list(AL_FIELDS.values()) + list(LINK_FIELDS.values())
    for frame, cols in tshark_fields(path, list(AL_FIELDS) + list(LINK_FIELDS), decode_as=DECODE_AS):
        for name, values in zip(names, cols, strict=True):
            for v in values:
                if name.startswith("link_"):
                    links.setdefault(frame, Counter())[(name, int(v, 0))] += 1
                else:
                    al[(frame, name, int(v, 0))] += 1
    return al, links


def app_keys(rec: dict[str, Any]) -> list[tuple[str, int]]:
    out = [("function_code", rec["function_code"]), ("app_control", rec["app_control"])]
    if rec["iin"] is not None:
        out.append(("iin", rec["iin"]))
    for o in rec["objects"]:
        out += [("object", o["group"] << 8 | o["variation"]), ("prefix_code", o["prefix_code"]),
                ("range_code", o["range_code"])]
        for i in o.get("indexes", []):
            out.append(("index", i))
        for c in o.get("commands", []):
            if "count" in c:
                out += [("crob_count", c["count"]), ("crob_on_time", c["on_time"]),
                        ("crob_off_time", c["off_time"])]
    return out


def our_keys(path: Path) -> tuple[Counter[Key], list[tuple[int, str, int]]]:
    al: Counter[Key] = Counter()
    links: list[tuple[int, str, int]] = []
    for rec in records(path, "dnp3"):
        if rec["event"] == "weird":
            continue
        frame = rec["frame"]
        for name in LINK_FIELDS.values():
            links.append((frame, name, rec[name]))
        if "function_code" in rec:
            al.update((frame, k, v) for k, v in app_keys(rec))
    return al, links


@pytest.mark.shared
@pytest.mark.tshark
@pytest.mark.parametrize("capture", CAPTURES or ["<no ../shared>"])
def test_dnp3_matches_tshark(capture: str, record_property: Any) -> None:
    if not CAPTURES:
        pytest.skip("../shared/pcaps is absent")
    path = PCAPS / capture
    theirs, their_links = tshark_keys(path)
    ours, our_links = our_keys(path)
    only_theirs = theirs - ours
    only_ours = ours - theirs
    sides: dict[int, set[str]] = {}
    for frame, _, _ in only_theirs:
        sides.setdefault(frame, set()).add("theirs")
    for frame, _, _ in only_ours:
        sides.setdefault(frame, set()).add("ours")
    got = {f: "both" if len(s) == 2 else next(iter(s)) for f, s in sides.items()}
    want = {f: side for f, (side, _) in KNOWN_DIFFERENCES.get(Path(capture).name, {}).items()}
    documented = sum(n for k, n in (only_theirs + only_ours).items() if k[0] in want)
    record(record_property, theirs, ours, documented)
    assert sorted(got.items()) == sorted(want.items()), (sorted(only_theirs.items())[:10], sorted(only_ours.items())[:10])
    assert theirs or their_links
    missing = [k for k in our_links if (k[1], k[2]) not in their_links.get(k[0], Counter())]
    assert missing == []
