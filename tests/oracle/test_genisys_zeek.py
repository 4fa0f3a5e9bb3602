"""GENISYS against Zeek + ICSNPP (icsnpp-genisys): genisys.log beside the two captures, row for row.

The btest scripts diff the whole genisys.log (no zeek-cut); the baseline was sorted (diff-sort), so
rows are compared as multisets of (header, server, direction, crc_transmitted, crc_calculated,
payload). ICSNPP computes ``crc_calculated`` as CRC-16 with initial value 0, which never equals the
transmitted CRC (GENISYS uses 0xFFFF, and so do we): the test recomputes ICSNPP's value from our
fields to compare (docs/protocols/genisys.md).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from oracle_common import PCAPS, read_zeek_log, records

from plantwarden.decoders.genisys.decoder import crc16

BASELINES = {
    "icsnpp-genisys__genisys.pcap": "analyzer.basic",
    "icsnpp-genisys__genisys_otherport.pcap": "analyzer.otherport",
}
Row = tuple[str, ...]


def zeek_rows(capture: str, test: str) -> Counter[Row]:
    log = PCAPS / "genisys" / f"{capture}.zeek-baseline" / test / "genisys.log"
    if not log.is_file():
        pytest.skip("../shared/pcaps is absent")
    return Counter((r["header"], r["server"], r["direction"], r["crc_transmitted"], r["crc_calculated"], r["payload"])
                   for r in read_zeek_log(log))


def _hex(v: int | None) -> str:
    return "-" if v is None else hex(v)


def our_rows(path: Path) -> Counter[Row]:
    out: Counter[Row] = Counter()
    for r in records(path, "genisys"):
        if r["event"] == "weird":
            continue
        pairs: list[dict[str, Any]] = r["payload"]
        icsnpp_crc = None
        if r["crc_transmitted"] is not None:  # ICSNPP's CRC: initial value 0 over the same bytes
            raw = bytes([r["header_code"], r["station"]] + [x for p in pairs for x in (p["address"], p["value"])])
            icsnpp_crc = crc16(raw, 0)
        out[(r["header"].replace("_", " ").title(), str(r["station"]), r["direction"], _hex(r["crc_transmitted"]),
             _hex(icsnpp_crc), ",".join(f"{p['address']}={p['value']}" for p in pairs) or "-")] += 1
    return out


@pytest.mark.shared
@pytest.mark.parametrize("capture", sorted(BASELINES))
def test_genisys_matches_zeek(capture: str) -> None:
    theirs = zeek_rows(capture, BASELINES[capture])
    ours = our_rows(PCAPS / "genisys" / capture)
    assert sum(theirs.values()) == 688
    assert ours == theirs, (sorted((theirs - ours).items())[:5], sorted((ours - theirs).items())[:5])
