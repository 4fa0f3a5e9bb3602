"""Modbus/TCP against Wireshark: every ADU tshark dissects, we decode, frame for frame.

For each capture whose MANIFEST row lists the mbtcp/modbus dissectors, the multiset of
(frame, transaction id, unit id, function code) from tshark must equal the one from our event
log, except for the differences documented in docs/protocols/modbus.md ("Differences from
Wireshark"), which are encoded in KNOWN_DIFFERENCES below and must stay exactly as they are.
"""

from __future__ import annotations

from collections import Counter
from itertools import zip_longest
from pathlib import Path
from typing import Any

import pytest
from oracle_common import PCAPS, captures_with, compare, records, tshark_fields

Key = tuple[int, int, int, int | None]

#: capture file name -> (ADUs only tshark shows, ADUs only we show); see docs/protocols/modbus.md
KNOWN_DIFFERENCES: dict[str, tuple[Counter[Key], Counter[Key]]] = {
    # (1) frames tshark flags as retransmissions carry bytes that were never captured before
    #     (the original segment is missing): tshark skips the frame, our reassembly delivers them.
    # (2) frame 3008 is out of order (the 13 bytes before it were lost until the retransmission in
    #     frame 3674): tshark dissects 3008 at once and skips 3674; we decode everything when the
    #     hole is filled, at 3674, including transaction 22505 that only 3674 carries.
    "ICS-Security-Tools__mb2.pcap": (
        Counter({(3008, t, 255, 4): 1 for t in range(22506, 22510)}),
        Counter({**{(1131, t, 255, 4): 1 for t in range(22506, 22510)},
                 **{(3674, t, 255, 4): 1 for t in range(22505, 22510)},
                 (13176, 9824, 255, 4): 1, (13176, 9825, 255, 2): 1}),
    ),
    "zeek__modbusBig.pcap": (Counter(), Counter({(3150, 50382, 255, 1): 1})),  # (1)
    "zeek__fuzz-72.pcap": (  # (1)
        Counter(),
        Counter({(19, 0, 1, 47): 1, (21, 0, 1, 51): 1, (26, 0, 1, 58): 1, (27, 0, 1, 59): 1}),
    ),
}


CAPTURES = captures_with("mbtcp", "modbus")


def tshark_adus(path: Path) -> Counter[Key]:
    out: Counter[Key] = Counter()
    rows = tshark_fields(path, ["mbtcp.trans_id", "mbtcp.unit_id", "modbus.func_code"],
                         decode_as=["tcp.port==5020,mbtcp"])
    for frame, (tids, units, fcs) in rows:
        for tid, unit, fc in zip_longest(tids, units, fcs):
            if tid is not None:
                out[(frame, int(tid), int(unit), int(fc) if fc else None)] += 1
    return out


def our_adus(path: Path) -> Counter[Key]:
    out: Counter[Key] = Counter()
    for rec in records(path, "modbus"):
        if rec["event"] != "weird":
            out[(rec["frame"], rec["transaction_id"], rec["unit_id"], rec["function_code"])] += 1
    return out


@pytest.mark.shared
@pytest.mark.tshark
@pytest.mark.parametrize("capture", CAPTURES or ["<no ../shared>"], ids=lambda c: Path(c).name)
def test_modbus_matches_tshark(capture: str, record_property: Any) -> None:
    if not CAPTURES:
        pytest.skip("../shared/pcaps is absent")
    path = PCAPS / capture
    theirs = tshark_adus(path)
    assert theirs, "tshark found no Modbus ADU: the manifest row is wrong"
    compare(record_property, theirs, our_adus(path), KNOWN_DIFFERENCES.get(path.name))
