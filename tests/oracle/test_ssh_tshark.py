"""SSH against Wireshark: identification banners and KEXINIT fingerprints, frame for frame.

Compared per frame: the banner line (``ssh.protocol``), the client HASSH and the server HASSH
(Wireshark computes both). No shared capture carries SSH today (the test skips);
tests/realstack/test_ssh_openssh.py runs the comparison on Debian's OpenSSH client.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from oracle_common import PCAPS, captures_with_protocols, compare, records, tshark_fields

FIELDS = {"ssh.protocol": "banner", "ssh.kex.hassh": "hassh", "ssh.kex.hasshserver": "hassh"}

Key = tuple[int, str, Any]


def tshark_keys(path: Path, decode_as: tuple[str, ...] = ()) -> Counter[Key]:
    out: Counter[Key] = Counter()
    for frame, cols in tshark_fields(path, list(FIELDS), decode_as=decode_as, display_filter="ssh"):
        for name, values in zip(FIELDS.values(), cols, strict=True):
            if name == "banner" and values:
                out[(frame, name, ",".join(values))] += 1  # a banner may contain the aggregator ","
            elif name != "banner":
                out.update((frame, name, v) for v in values)
    return out


def our_keys(path: Path) -> Counter[Key]:
    out: Counter[Key] = Counter()
    for r in records(path, "ssh"):
        if r["event"] == "ssh_banner":
            out[(r["frame"], "banner", r["banner"])] += 1
        elif r["event"] == "ssh_kexinit":
            out[(r["frame"], "hassh", r["hassh"])] += 1
    return out


KNOWN_DIFFERENCES: dict[str, tuple[Counter[Key], Counter[Key]]] = {}

CAPTURES = captures_with_protocols("ssh")


@pytest.mark.shared
@pytest.mark.tshark
@pytest.mark.parametrize("capture", CAPTURES or ["<none>"])
def test_ssh_matches_tshark(capture: str, record_property: Any) -> None:
    if not CAPTURES:
        pytest.skip("no shared capture carries SSH (see tests/realstack/test_ssh_openssh.py)")
    path = PCAPS / capture
    compare(record_property, tshark_keys(path), our_keys(path), KNOWN_DIFFERENCES.get(Path(capture).name))
