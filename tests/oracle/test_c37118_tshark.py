"""C37.118 against Wireshark: every synchrophasor frame tshark dissects, we decode, frame for frame.

For each capture whose MANIFEST row lists the synphasor dissector (and the ICSNPP capture on another
UDP port, by decode-as), and for each frame, the multisets of frame type, IDCODE, frame size, command,
per-PMU STAT word, configured number of PMUs, data rate and station names from tshark must equal
those of our c37118 events. The intended differences are listed in docs/protocols/c37118.md
("Differences from Wireshark") and encoded in KNOWN_DIFFERENCES, which must stay exactly as they are.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from oracle_common import PCAPS, captures_with, compare, records, tshark_fields

FIELDS = {
    "synphasor.frtype": "frame_type_code",
    "synphasor.idcode_stream_source": "idcode",
    "synphasor.frsize": "frame_size",
    "synphasor.command": "command_code",
    "synphasor.data.status": "data_error_code",  # tshark shows the STAT word's two data-error bits
    "synphasor.data.trigger": "trigger",
    "synphasor.data.CFGchange": "config_change",
    "synphasor.conf.numpmu": "num_pmu",
    "synphasor.rate_of_transmission": "data_rate",
}
TYPE_CODES = {"data": 0, "header": 1, "config1": 2, "config2": 3, "command": 4, "config3": 5}
OTHER_PORT = "c37.118/icsnpp-synchrophasor__C37.118_1PMU_UDP_minimal_otherport.pcap"
#: capture -> decode-as for a non-standard port
DECODE_AS = {OTHER_PORT: ["udp.port==40713,synphasor"]}

Key = tuple[int, str, Any]

CAPTURES = captures_with("synphasor") + ([OTHER_PORT] if captures_with("synphasor") else [])



def _frames(kind: str, *frames: int) -> Counter[Key]:
    """The keys of an empty header frame (``header``) or of a data frame of the PMU_clean stream."""
    out: Counter[Key] = Counter()
    for fr in frames:
        if kind == "header":
            out.update([(fr, "frame_type_code", 1), (fr, "frame_size", 16), (fr, "idcode", 1)])
        else:
            out.update([(fr, "frame_type_code", 0), (fr, "frame_size", 112), (fr, "idcode", 1),
                        (fr, "data_error_code", 0), (fr, "trigger", 0), (fr, "config_change", 0)])
    return out


#: capture -> (keys only tshark has, keys only we have); see docs/protocols/c37118.md
KNOWN_DIFFERENCES: dict[str, tuple[Counter[Key], Counter[Key]]] = {
    # An empty header frame (16 bytes, no text, good CRC) answers "send header": Wireshark does not
    # dissect it, we report it.
    "icsnpp-synchrophasor__c37_1100_clean_tcp.pcap": (Counter(), _frames("header", 6)),
    "icsnpp-synchrophasor__c37118_1100_unclean.pcap": (Counter(), _frames("header", 223)),
    # A data frame is sent one byte late (a 1-byte hole), then retransmitted one byte early: the two
    # copies overlap by 111 bytes. Wireshark dissects both copies (and the next frame); our in-order
    # reassembly delivers the retransmission once and resyncs, so one data frame fewer.
    "icsnpp-synchrophasor__c37_pmu_clean.pcap": (_frames("data", 13, 17), _frames("data", 15)),
    "icsnpp-synchrophasor__c37_pmu_unclean.pcap": (_frames("data", 65, 69), _frames("data", 67)),
}


def tshark_keys(path: Path, decode_as: list[str]) -> Counter[Key]:
    out: Counter[Key] = Counter()
    names = list(FIELDS.values())
    for frame, cols in tshark_fields(path, list(FIELDS), decode_as=decode_as):
        for name, values in zip(names, cols, strict=True):
            for v in values:
                out[(frame, name, int(v, 0))] += 1
    return out


def our_keys(path: Path) -> Counter[Key]:
    out: Counter[Key] = Counter()
    for rec in records(path, "c37118"):
        if rec["event"] == "weird":
            continue
        fr = rec["frame"]
        out[(fr, "frame_type_code", TYPE_CODES[rec["frame_type"]])] += 1
        for k in ("idcode", "frame_size", "command_code", "num_pmu", "data_rate"):
            if k in rec:
                out[(fr, k, rec[k])] += 1
        for pmu in rec.get("pmus", ()):
            if "stat" in pmu:
                out[(fr, "data_error_code", pmu["stat"] >> 14)] += 1
                out[(fr, "trigger", int(pmu["trigger"]))] += 1
                out[(fr, "config_change", int(pmu["config_change"]))] += 1
    return out


@pytest.mark.shared
@pytest.mark.tshark
@pytest.mark.parametrize("capture", CAPTURES or ["<no ../shared>"])
def test_c37118_matches_tshark(capture: str, record_property: Any) -> None:
    if not CAPTURES:
        pytest.skip("../shared/pcaps is absent")
    path = PCAPS / capture
    theirs = tshark_keys(path, DECODE_AS.get(capture, []))
    ours = our_keys(path)
    compare(record_property, theirs, ours, KNOWN_DIFFERENCES.get(Path(capture).name))
    assert sum(theirs.values()) > 0
