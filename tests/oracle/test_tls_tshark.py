"""TLS against Wireshark: every hello, certificate and alert tshark dissects, we decode, frame for frame.

Compared per frame: handshake types (client hello, server hello, certificate), SNI, JA3 and JA3S
hashes (Wireshark computes both; they cover the versions, cipher suites, extensions, groups and
point formats), the selected cipher suite, and alert level and description. Shared captures with TLS
are few and incidental; tests/realstack/test_tls_python.py runs the same comparison on a capture of
Python's ssl module. Intended differences: docs/protocols/tls.md, encoded in KNOWN_DIFFERENCES.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from oracle_common import PCAPS, captures_with_protocols, compare, records, tshark_fields

FIELDS = {
    "tls.handshake.type": "hs_type", "tls.handshake.extensions_server_name": "sni", "tls.handshake.ja3": "ja3",
    "tls.handshake.ja3s": "ja3s", "tls.alert_message.level": "alert_level", "tls.alert_message.desc": "alert",
}
#: handshake types we report as events (the others are encrypted or not decoded)
HS_TYPES = {"tls_client_hello": 1, "tls_server_hello": 2, "tls_certificate": 11}

Key = tuple[int, str, Any]


def tshark_keys(path: Path, decode_as: tuple[str, ...] = ()) -> Counter[Key]:
    out: Counter[Key] = Counter()
    for frame, cols in tshark_fields(path, list(FIELDS), decode_as=decode_as, display_filter="tls"):
        for name, values in zip(FIELDS.values(), cols, strict=True):
            for v in values:
                if name == "hs_type" and int(v) not in HS_TYPES.values():
                    continue
                out[(frame, name, int(v) if name in ("hs_type", "alert_level", "alert") else v)] += 1
        # the selected cipher of a server hello: the one cipher-suite value in a frame with type 2
    for frame, cols in tshark_fields(path, ["tls.handshake.ciphersuite"], decode_as=decode_as,
                                     display_filter="tls.handshake.type == 2"):
        for v in cols[0][-1:]:
            out[(frame, "cipher", int(v, 0))] += 1
    return out


def our_keys(path: Path) -> Counter[Key]:
    out: Counter[Key] = Counter()
    for r in records(path, "tls"):
        ev, fr = r["event"], r["frame"]
        if ev in HS_TYPES:
            out[(fr, "hs_type", HS_TYPES[ev])] += 1
        if ev == "tls_client_hello":
            if r.get("sni"):
                out[(fr, "sni", r["sni"])] += 1
            if r.get("ja3_hash"):
                out[(fr, "ja3", r["ja3_hash"])] += 1
        elif ev == "tls_server_hello":
            out.update([(fr, "ja3s", r["ja3s_hash"]), (fr, "cipher", r["cipher_code"])])
        elif ev == "tls_alert" and not r["encrypted_alert"]:
            out.update([(fr, "alert_level", r["level"]), (fr, "alert", r["description"])])
    return out


#: capture -> (keys only tshark has, keys only we have); see docs/protocols/tls.md
KNOWN_DIFFERENCES: dict[str, tuple[Counter[Key], Counter[Key]]] = {}

CAPTURES = captures_with_protocols("tls", "ssl")


@pytest.mark.shared
@pytest.mark.tshark
@pytest.mark.parametrize("capture", CAPTURES or ["<no ../shared>"])
def test_tls_matches_tshark(capture: str, record_property: Any) -> None:
    if not CAPTURES:
        pytest.skip("../shared/pcaps is absent")
    path = PCAPS / capture
    compare(record_property, tshark_keys(path), our_keys(path), KNOWN_DIFFERENCES.get(Path(capture).name))
