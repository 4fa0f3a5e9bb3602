"""Captures for the baseline tests: the demo plant, whole or cut before the hostile actions."""

from __future__ import annotations

import struct
from pathlib import Path

from ..store.conftest import pg_url, target  # noqa: F401  (fixtures shared with the store tests)

#: the demo's start (2024-03-12 08:00:00 UTC) and the first hostile action (120.3 s after it)
DEMO_START = 1710230400.0
FIRST_ATTACK = DEMO_START + 120.0
#: a window covering the demo's authorised engineering download (45.2 s .. about 50 s)
EWS, PLC2 = "10.10.20.50", "10.10.10.12"


def demo(path: Path, seed: int = 1) -> Path:
    from plantwarden.demo import generate_demo_capture

    return Path(generate_demo_capture(path, seed=seed))


def cut(src: Path, dst: Path, before: float) -> Path:
    """A classic pcap with the packets of ``src`` earlier than ``before`` (epoch seconds)."""
    data = src.read_bytes()
    out = [data[:24]]
    pos = 24
    while pos + 16 <= len(data):
        sec, usec, incl, _orig = struct.unpack_from("<IIII", data, pos)
        if sec + usec / 1e6 < before:
            out.append(data[pos:pos + 16 + incl])
        pos += 16 + incl
    dst.write_bytes(b"".join(out))
    return dst
