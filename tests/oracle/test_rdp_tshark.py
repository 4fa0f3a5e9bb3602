"""RDP connection setup against Wireshark, frame for frame.

Compared per frame: the X.224 Connection Request cookie line (``rdp.rt_cookie``, Wireshark's field for
both "mstshash=" cookies and routing tokens), the requested protocols mask, the protocol the server
selected (``rdp.negReq.selectedProtocol``) and a negotiation failure. Checked once on a hand-made
loopback capture while written (3 keys agreed). No shared capture carries
RDP (the MANIFEST's tshark protocol hierarchies list none), so the test skips; it runs as soon as one
is added.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from oracle_common import PCAPS, captures_with_protocols, compare, records, tshark_fields

from plantwarden.decoders.rdp.decoder import FAILURES, SELECTED

FIELDS = ["rdp.rt_cookie", "rdp.negReq.requestedProtocols", "rdp.negReq.selectedProtocol",
          "rdp.negFailure.failureCode"]

Key = tuple[int, str, Any]


def tshark_keys(path: Path, decode_as: tuple[str, ...] = ()) -> Counter[Key]:
    out: Counter[Key] = Counter()
    for frame, (cookies, requested, selected, failures) in tshark_fields(path, FIELDS, decode_as=decode_as,
                                                                           display_filter="rdp"):
        if cookies:
            # the cookie may contain the aggregator ","; Wireshark keeps "Cookie: " and the CR LF
            cookie = ",".join(cookies).removeprefix("Cookie: ").rstrip("\r\n")
            out[(frame, "cookie", cookie)] += 1
        out.update((frame, "requested", int(v, 0)) for v in requested)
        out.update((frame, "selected", SELECTED.get(int(v, 0), f"unknown-{int(v, 0)}")) for v in selected)
        out.update((frame, "failure", FAILURES.get(int(v, 0), f"unknown-{int(v, 0)}")) for v in failures)
    return out


def our_keys(path: Path) -> Counter[Key]:
    out: Counter[Key] = Counter()
    for r in records(path, "rdp"):
        fr = r["frame"]
        if r["event"] == "rdp_connection_request":
            if r["cookie"] is not None:
                out[(fr, "cookie", r["cookie"])] += 1
            if r["requested_protocols_code"] is not None:
                out[(fr, "requested", r["requested_protocols_code"])] += 1
        elif r["event"] == "rdp_connection_confirm":
            if r["failure"] is not None:
                out[(fr, "failure", r["failure"])] += 1
            elif r["selected_protocol"] is not None:
                out[(fr, "selected", r["selected_protocol"])] += 1
    return out


KNOWN_DIFFERENCES: dict[str, tuple[Counter[Key], Counter[Key]]] = {}

CAPTURES = captures_with_protocols("rdp")


@pytest.mark.shared
@pytest.mark.tshark
@pytest.mark.parametrize("capture", CAPTURES or ["<none>"])
def test_rdp_matches_tshark(capture: str, record_property: Any) -> None:
    if not CAPTURES:
        pytest.skip("no shared capture carries RDP (no MANIFEST row lists rdp among tshark's protocols)")
    path = PCAPS / capture
    compare(record_property, tshark_keys(path), our_keys(path), KNOWN_DIFFERENCES.get(Path(capture).name))
