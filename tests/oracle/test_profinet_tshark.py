"""PROFINET (Ethernet type 0x8892) against Wireshark: DCP frame for frame, RT frames counted per frame id.

For each capture whose MANIFEST row lists the pn_dcp or pn_rt dissector:
- DCP: per frame, the multisets of service id, service type, xid, response delay, name of station, IP
  address, vendor id and device id from tshark equal those of our ``profinet_dcp_*`` events;
- RT: tshark's count of non-DCP 0x8892 frames per frame id equals the sum of ``frames`` in our
  ``profinet_rt_summary`` events for that frame id.
Intended differences would be listed in docs/protocols/profinet.md and encoded in KNOWN_DIFFERENCES
(there are none).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from oracle_common import PCAPS, captures_with, compare, records, tshark_fields

#: tshark field -> (our field, how tshark's text becomes our value)
FIELDS = {
    "pn_dcp.service_id": ("service_id", int),
    "pn_dcp.service_type": ("service_type_code", int),
    "pn_dcp.xid": ("xid", lambda v: int(v, 0)),
    "pn_dcp.response_delay": ("response_delay", int),
    "pn_dcp.suboption_device_nameofstation": ("name_of_station", str),
    "pn_dcp.suboption_ip_ip": ("ip", str),
    "pn_dcp.suboption_vendor_id": ("vendor_id", lambda v: int(v, 0)),
    "pn_dcp.suboption_device_id": ("device_id", lambda v: int(v, 0)),
}

Key = tuple[int, str, object]
KNOWN_DIFFERENCES: dict[str, tuple[Counter[Key], Counter[Key]]] = {}
CAPTURES = captures_with("pn_dcp", "pn_rt")


def tshark_keys(path: Path) -> Counter[Key]:
    out: Counter[Key] = Counter()
    conv = list(FIELDS.values())
    for frame, cols in tshark_fields(path, list(FIELDS), display_filter="pn_dcp"):
        for (name, fn), values in zip(conv, cols, strict=True):
            for v in values:
                out[(frame, name, fn(v))] += 1
    return out


def our_keys(path: Path) -> tuple[Counter[Key], Counter[int]]:
    out: Counter[Key] = Counter()
    rt: Counter[int] = Counter()
    for rec in records(path, "profinet"):
        if rec["event"] == "profinet_rt_summary":
            rt[rec["frame_id"]] += rec["frames"]
        elif rec["event"].startswith("profinet_dcp_"):
            for name, _fn in FIELDS.values():
                v = rec.get(name)
                if v is not None:
                    out[(rec["frame"], name, v)] += 1
    return out, rt


def tshark_rt(path: Path) -> Counter[int]:
    out: Counter[int] = Counter()
    for _frame, (fids,) in tshark_fields(path, ["pn_rt.frame_id"], display_filter="pn_rt && !pn_dcp"):
        for v in fids:
            out[int(v, 0)] += 1
    return out


@pytest.mark.shared
@pytest.mark.tshark
@pytest.mark.parametrize("capture", CAPTURES or ["<no ../shared>"])
def test_profinet_matches_tshark(capture: str, record_property: Any) -> None:
    if not CAPTURES:
        pytest.skip("../shared/pcaps is absent")
    path = PCAPS / capture
    theirs = tshark_keys(path)
    ours, rt = our_keys(path)
    compare(record_property, theirs, ours, KNOWN_DIFFERENCES.get(Path(capture).name))
    assert rt == tshark_rt(path)
    assert sum(theirs.values()) + sum(rt.values()) > 0
