"""FTP against Wireshark: commands and replies, frame for frame.

Compared per frame: command verbs and arguments (not the PASS argument, which we never keep),
reply codes. No shared capture carries FTP today (the test skips); tests/realstack/test_ftp_python.py
runs the same comparison on a capture of ftplib talking to pyftpdlib.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from oracle_common import PCAPS, captures_with_protocols, compare, records, tshark_fields

FIELDS = {"ftp.request.command": "command", "ftp.request.arg": "arg", "ftp.response.code": "reply_code"}

Key = tuple[int, str, Any]


def tshark_keys(path: Path, decode_as: tuple[str, ...] = ()) -> Counter[Key]:
    out: Counter[Key] = Counter()
    rows = tshark_fields(path, ["ftp.request.command", "ftp.response.code"], decode_as=decode_as,
                         display_filter="ftp")
    args = dict(tshark_fields(path, ["ftp.request.arg"], decode_as=decode_as, display_filter="ftp.request.arg"))
    for frame, (cmds, codes) in rows:
        out.update((frame, "command", c) for c in cmds)
        out.update((frame, "reply_code", int(c)) for c in codes)
        if cmds and cmds[0] != "PASS":
            # arguments may contain the aggregator ",": rejoin them (one command per frame here)
            arg = ",".join(args.get(frame, [[]])[0])
            if arg:
                out[(frame, "arg", arg)] += 1
    return out


def our_keys(path: Path) -> Counter[Key]:
    out: Counter[Key] = Counter()
    for r in records(path, "ftp"):
        fr = r["frame"]
        if r["event"] == "ftp_command":
            out[(fr, "command", r["command"])] += 1
            if r["arg"]:
                out[(fr, "arg", r["arg"])] += 1
        elif r["event"] == "ftp_reply":
            out[(fr, "reply_code", r["reply_code"])] += 1
    return out


#: capture -> (keys only tshark has, keys only we have); see docs/protocols/ftp.md
KNOWN_DIFFERENCES: dict[str, tuple[Counter[Key], Counter[Key]]] = {}

CAPTURES = captures_with_protocols("ftp")


@pytest.mark.shared
@pytest.mark.tshark
@pytest.mark.parametrize("capture", CAPTURES or ["<none>"])
def test_ftp_matches_tshark(capture: str, record_property: Any) -> None:
    if not CAPTURES:
        pytest.skip("no shared capture carries FTP (see tests/realstack/test_ftp_python.py)")
    path = PCAPS / capture
    compare(record_property, tshark_keys(path), our_keys(path), KNOWN_DIFFERENCES.get(Path(capture).name))
