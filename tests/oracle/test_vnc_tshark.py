"""VNC (RFB) against Wireshark: the handshake frame for frame, the viewer's messages per capture.

Compared per frame: both protocol versions, the security types offered, the type chosen, the
authentication result, the ClientInit shared flag, ServerInit width, height and desktop name. Per
capture: how many client messages of each type (ours from ``vnc_summary``). No shared capture
carries VNC (the test skips); tests/realstack/test_vnc_socket.py runs the comparison on a loopback
RFC 6143 conversation.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from oracle_common import PCAPS, captures_with_protocols, compare, records, tshark_fields

from plantwarden.decoders.vnc.constants import CLIENT_MESSAGES, SECURITY_NAMES

FIELDS = ["vnc.server_proto_ver", "vnc.client_proto_ver", "vnc.server_security_type", "vnc.security_type",
          "vnc.client_security_type", "vnc.auth_result", "vnc.share_desktop_flag", "vnc.width", "vnc.height",
          "vnc.desktop_name", "vnc.client_message_type"]

Key = tuple[Any, ...]


def _version(v: str) -> str:
    major, _, minor = v.partition(".")
    return f"{int(major)}.{int(minor)}"


def tshark_keys(path: Path, decode_as: tuple[str, ...] = ()) -> Counter[Key]:
    out: Counter[Key] = Counter()
    for frame, cols in tshark_fields(path, FIELDS, decode_as=decode_as, display_filter="vnc"):
        c = dict(zip(FIELDS, cols, strict=True))
        out.update((frame, "version", "server", _version(v)) for v in c["vnc.server_proto_ver"])
        out.update((frame, "version", "client", _version(v)) for v in c["vnc.client_proto_ver"])
        offered = c["vnc.server_security_type"] + c["vnc.security_type"]
        if offered:
            out[(frame, "offered", tuple(SECURITY_NAMES[int(v)] for v in offered))] += 1
        out.update((frame, "chosen", SECURITY_NAMES[int(v)]) for v in c["vnc.client_security_type"])
        out.update((frame, "auth_ok", int(v) == 0) for v in c["vnc.auth_result"])
        out.update((frame, "shared", v.lower() in ("1", "true")) for v in c["vnc.share_desktop_flag"])
        out.update((frame, "size", (int(w), int(h))) for w, h in zip(c["vnc.width"], c["vnc.height"], strict=True))
        out.update((frame, "name", v) for v in c["vnc.desktop_name"])
        out.update(("count", CLIENT_MESSAGES.get(int(v), f"unknown-{v}")) for v in c["vnc.client_message_type"])
    return out


def our_keys(path: Path) -> Counter[Key]:
    out: Counter[Key] = Counter()
    for r in records(path, "vnc"):
        fr, ev = r["frame"], r["event"]
        if ev == "vnc_version":
            out[(fr, "version", r["role"], r["version"])] += 1
        elif ev == "vnc_security_types":
            out[(fr, "offered", tuple(r["security_types"]))] += 1
        elif ev == "vnc_security_selected":
            out[(fr, "chosen", r["security_type"])] += 1
        elif ev == "vnc_auth_result":
            out[(fr, "auth_ok", r["success"])] += 1
        elif ev == "vnc_client_init":
            out[(fr, "shared", r["shared"])] += 1
        elif ev == "vnc_server_init":
            out[(fr, "size", (r["width"], r["height"]))] += 1
            out[(fr, "name", r["name"])] += 1
        elif ev == "vnc_summary":
            out.update({("count", k): v for k, v in r["client_messages"].items()})
    return out


KNOWN_DIFFERENCES: dict[str, tuple[Counter[Key], Counter[Key]]] = {}

CAPTURES = captures_with_protocols("vnc")


@pytest.mark.shared
@pytest.mark.tshark
@pytest.mark.parametrize("capture", CAPTURES or ["<none>"])
def test_vnc_matches_tshark(capture: str, record_property: Any) -> None:
    if not CAPTURES:
        pytest.skip("no shared capture carries VNC (see tests/realstack/test_vnc_socket.py)")
    path = PCAPS / capture
    compare(record_property, tshark_keys(path), our_keys(path), KNOWN_DIFFERENCES.get(Path(capture).name))
