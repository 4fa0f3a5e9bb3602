"""Telnet against Wireshark: option negotiation, frame for frame.

Compared per frame: every Telnet command code (``telnet.cmd``: WILL/WONT/DO/DONT, SB, NOP, AYT ...; the
SE that closes a subnegotiation is not an event of ours and is left out), the window size of a NAWS
subnegotiation and the terminal type of a TERMINAL-TYPE IS. Banners and the login dialogue have no
Wireshark field (it shows the text as ``telnet.data``). No shared capture carries Telnet today (the test
skips); tests/realstack/test_telnet_socket.py runs the comparison on a loopback capture.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from oracle_common import PCAPS, captures_with_protocols, compare, records, tshark_fields

from plantwarden.decoders.telnet.constants import COMMANDS

FIELDS = ["telnet.cmd", "telnet.naws_subopt.width", "telnet.naws_subopt.height", "telnet.string_subopt.value"]
CODES = {v: k for k, v in COMMANDS.items()}

Key = tuple[int, str, Any]


def tshark_keys(path: Path, decode_as: tuple[str, ...] = ()) -> Counter[Key]:
    out: Counter[Key] = Counter()
    for frame, (cmds, widths, heights, strings) in tshark_fields(path, FIELDS, decode_as=decode_as,
                                                                   display_filter="telnet.cmd"):
        out.update((frame, "command", int(c)) for c in cmds if c != "240")
        out.update((frame, "window", (int(w), int(h))) for w, h in zip(widths, heights, strict=True))
        out.update((frame, "terminal_type", s) for s in strings)
    return out


def our_keys(path: Path) -> Counter[Key]:
    out: Counter[Key] = Counter()
    for r in records(path, "telnet"):
        if r["event"] != "telnet_negotiation":
            continue
        fr = r["frame"]
        out.update((fr, "command", CODES[c.partition(" ")[0]]) for c in r["commands"])
        if "window_width" in r:
            out[(fr, "window", (r["window_width"], r["window_height"]))] += 1
        if "terminal_type" in r:
            out[(fr, "terminal_type", r["terminal_type"])] += 1
    return out


KNOWN_DIFFERENCES: dict[str, tuple[Counter[Key], Counter[Key]]] = {}

CAPTURES = captures_with_protocols("telnet")


@pytest.mark.shared
@pytest.mark.tshark
@pytest.mark.parametrize("capture", CAPTURES or ["<none>"])
def test_telnet_matches_tshark(capture: str, record_property: Any) -> None:
    if not CAPTURES:
        pytest.skip("no shared capture carries Telnet (see tests/realstack/test_telnet_socket.py)")
    path = PCAPS / capture
    compare(record_property, tshark_keys(path), our_keys(path), KNOWN_DIFFERENCES.get(Path(capture).name))
