"""S7comm against Wireshark: every S7comm PDU tshark dissects, we decode, frame for frame.

For each capture whose MANIFEST row lists the s7comm dissector, and for each frame, the multisets of
ROSCTR, parameter function, PDU reference, userdata function group, userdata subfunction and SZL id
from tshark must equal those of our s7comm PDU events (COTP connection events, ``s7comm_plus`` and
weirds are not S7comm PDUs and are left out). The intended differences are listed in
docs/protocols/s7comm.md ("Differences from Wireshark") and encoded in KNOWN_DIFFERENCES, which must
stay exactly as they are.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from oracle_common import PCAPS, captures_with, compare, records, tshark_fields

#: tshark field -> our event field
FIELDS = {
    "s7comm.header.rosctr": "rosctr",
    "s7comm.param.func": "function_code",
    "s7comm.header.pduref": "pdu_ref",
    "s7comm.param.userdata.funcgroup": "userdata_group",
    "s7comm.param.userdata.subfunc": "userdata_subfunction",
    "s7comm.data.userdata.szl_id": "szl_id",
}

Key = tuple[int, str, int]  # (frame, our field name, value)



def _pdus(*pdus: tuple[int, int, int, int]) -> Counter[Key]:
    """(frame, rosctr, function_code, pdu_ref) of job/ack_data PDUs -> comparison keys."""
    out: Counter[Key] = Counter()
    for frame, rosctr, func, ref in pdus:
        out.update([(frame, "rosctr", rosctr), (frame, "function_code", func), (frame, "pdu_ref", ref)])
    return out


#: capture -> (keys only tshark has, keys only we have); see docs/protocols/s7comm.md
KNOWN_DIFFERENCES: dict[str, tuple[Counter[Key], Counter[Key]]] = {
    # 12 "spurious retransmissions": the original segment was never captured, so these frames carry
    # stream bytes seen for the first time. Wireshark skips them; our reassembly delivers them.
    "ICS-Security-Tools__s7comm_clean.pcap": (Counter(), _pdus(
        (398, 3, 4, 61958), (412, 3, 4, 63494), (1273, 3, 4, 38920), (1456, 3, 4, 62216),
        (1611, 3, 4, 16393), (1746, 3, 4, 32777), (2002, 3, 4, 64777), (2296, 3, 4, 35338),
        (2299, 3, 4, 35594), (2859, 3, 4, 39179), (3654, 3, 4, 6925), (4060, 3, 4, 56845))),
    # Frame 421 arrives after a 7-byte hole that frame 422 (a retransmission) fills: Wireshark
    # dissects the job at 421, our in-order reassembly completes it at 422.
    "ICS-Security-Tools__wincc_s300_setup-alarm-read_2.pcapng": (_pdus((421, 1, 4, 1)), _pdus((422, 1, 4, 1))),
}


CAPTURES = captures_with("s7comm")


def tshark_keys(path: Path) -> Counter[Key]:
    out: Counter[Key] = Counter()
    names = list(FIELDS.values())
    for frame, cols in tshark_fields(path, list(FIELDS)):
        for name, values in zip(names, cols, strict=True):
            for v in values:
                out[(frame, name, int(v, 0))] += 1
    return out


def our_keys(path: Path) -> Counter[Key]:
    out: Counter[Key] = Counter()
    for rec in records(path):
        if not is_s7_pdu(rec):
            continue
        for name in FIELDS.values():
            v = rec.get(name)
            if v is not None:
                out[(rec["frame"], name, v)] += 1
    return out


def is_s7_pdu(rec: dict[str, Any]) -> bool:
    ev = rec["event"]
    return (rec["proto"] == "s7comm" and ev.startswith("s7comm_") and not ev.startswith("s7comm_cotp_")
            and ev != "s7comm_plus")


@pytest.mark.shared
@pytest.mark.tshark
@pytest.mark.parametrize("capture", CAPTURES or ["<no ../shared>"])
def test_s7comm_matches_tshark(capture: str, record_property: Any) -> None:
    if not CAPTURES:
        pytest.skip("../shared/pcaps is absent")
    path = PCAPS / capture
    theirs = tshark_keys(path)
    assert sum(theirs.values()) > 0
    compare(record_property, theirs, our_keys(path), KNOWN_DIFFERENCES.get(Path(capture).name))
