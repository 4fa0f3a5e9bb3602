"""S7comm against Wireshark: every S7comm PDU tshark dissects, we decode, frame for frame.

For each capture whose MANIFEST row lists the s7comm dissector, and for each frame, the multisets of
ROSCTR, parameter function, PDU reference, userdata function group, userdata subfunction and SZL id
from tshark must equal those of our s7comm PDU events (COTP connection events, ``s7comm_plus`` and
weirds are not S7comm PDUs and are left out). The intended differences are listed in
docs/protocols/s7comm.md ("Differences from Wireshark") and encoded in KNOWN_DIFFERENCES, which must
stay exactly as they are.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
PCAPS = SHARED / "pcaps"
MANIFEST = PCAPS / "MANIFEST.tsv"
CI = os.environ.get("CI") == "true"

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


def _captures() -> list[str]:
    if not MANIFEST.is_file():
        return []
    with MANIFEST.open(newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [r["local_path"] for r in rows if "s7comm" in r["tshark_ics_dissectors"].split(",")]


CAPTURES = _captures()


def _need_tshark() -> str:
    tshark = shutil.which("tshark")
    if tshark is None:
        if CI:
            pytest.fail("tshark is required when CI=true (make system-deps)")
        pytest.skip("tshark not installed")
    return tshark


def tshark_keys(tshark: str, path: Path) -> Counter[Key]:
    cmd = [tshark, "-n", "-r", str(path), "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a",
           "-e", "frame.number"]
    for f in FIELDS:
        cmd += ["-e", f]
    res = subprocess.run(cmd, capture_output=True, text=True, check=True)
    out: Counter[Key] = Counter()
    names = list(FIELDS.values())
    for line in res.stdout.splitlines():
        cols = line.split("\t")
        frame = int(cols[0])
        for name, col in zip(names, cols[1:], strict=False):
            for v in col.split(",") if col else []:
                out[(frame, name, int(v, 0))] += 1
    return out


def our_keys(path: Path) -> Counter[Key]:
    from plantwarden.sensor.eventlog import iter_records

    out: Counter[Key] = Counter()
    for rec in iter_records([path]):
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
def test_s7comm_matches_tshark(capture: str) -> None:
    if not CAPTURES:
        pytest.skip("../shared/pcaps is absent")
    tshark = _need_tshark()
    path = PCAPS / capture
    theirs = tshark_keys(tshark, path)
    ours = our_keys(path)
    only_theirs = theirs - ours
    only_ours = ours - theirs
    want_theirs, want_ours = KNOWN_DIFFERENCES.get(Path(capture).name, (Counter(), Counter()))
    assert sorted(only_theirs.items())[:20] == sorted(want_theirs.items())[:20]
    assert sorted(only_ours.items())[:20] == sorted(want_ours.items())[:20]
    assert (only_theirs, only_ours) == (want_theirs, want_ours)
    assert sum(theirs.values()) > 0
