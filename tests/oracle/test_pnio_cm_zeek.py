"""PROFINET IO-CM against Zeek + ICSNPP (icsnpp-profinet-io-cm): profinet_io_cm.log, one row per packet.

Each btest script (``_btest_*.zeek``) trims profinet_io_cm.log with ``zeek-cut COLS`` (no header); the
columns are read from that line. ICSNPP logs the DCE/RPC connectionless header of every packet; we
compare, as multisets of rows per capture, every column our events carry too: sender and receiver,
packet type, the eight flags1 bits and cancel-pending, byte order, serial number, the three UUIDs,
server boot time, interface version, sequence number, operation, hints, body length, fragment number,
authentication protocol, and the fragment-acknowledge fields. Differences (docs/protocols/profinet.md):
ICSNPP prints a UUID's bytes as they are on the wire, so a little-endian UUID shows its first three
fields byte-swapped; it is converted here before comparing. Its interface_vers_major/minor are the
high and low 16 bits of our ``interface_version``.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from oracle_common import PCAPS, read_zeek_log, records

BASE = PCAPS / "profinet"
BASELINES = sorted(p for p in BASE.glob("*.zeek-baseline/*/profinet_io_cm.log")) if BASE.is_dir() else []
PACKET_TYPES = {"Request": "request", "Ping": "ping", "Response": "response", "Fault": "fault", "Working": "working",
                "No call Response to Ping": "nocall", "Reject": "reject", "Acknowledge": "ack",
                "Connectionless Cancel": "cl_cancel", "Fragment Acknowledge": "fack",
                "Cancel Acknowledge": "cancel_ack"}
OPERATIONS = {"Connect": "connect", "Release": "release", "Read": "read", "Write": "write", "Control": "control",
              "Read Implicit": "read_implicit"}
FLAGS = ["reserved_for_impl_1", "last_fragment", "fragment", "no_fragment_requested", "maybe", "idempotent",
         "broadcast", "reserved_for_impl_2"]
OUR_FLAGS = ["reserved_for_impl_1", "last_fragment", "fragment", "no_fack", "maybe", "idempotent", "broadcast",
             "reserved_for_impl_2"]

Row = tuple[Any, ...]


def columns(log: Path) -> list[str]:
    script = next(log.parent.glob("_btest_*.zeek")).read_text()
    line = next(ln for ln in script.splitlines() if "zeek-cut" in ln and "< profinet_io_cm.log" in ln)
    return line.split("zeek-cut", 1)[1].split("<", 1)[0].split()


def canonical_uuid(raw: str, little: bool) -> str:
    h = raw.replace("-", "").lower()
    if little:
        h = bytes.fromhex(h[0:8])[::-1].hex() + bytes.fromhex(h[8:12])[::-1].hex() + bytes.fromhex(h[12:16])[::-1].hex() + h[16:]
    return f"{h[0:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def _n(v: str) -> int | None:
    return None if v == "-" else int(v)


def zeek_row(z: dict[str, str]) -> Row:
    little = z["integer_encoding"] == "Little Endian"
    fack = (None,) * 5 if z["window_size"] == "-" else (
        _n(z["window_size"]), _n(z["max_tsdu"]), _n(z["max_frag_size"]), _n(z["serial_number"]), _n(z["sel_ack_len"]))
    return (z["source_h"], int(z["source_p"]), z["destination_h"], int(z["destination_p"]),
            PACKET_TYPES.get(z["packet_type"], z["packet_type"]), tuple(z[f] == "T" for f in FLAGS),
            z["cancel_was_pending_at_call_end"] == "T", "little" if little else "big",
            int(z["serial_high"]) << 8 | int(z["serial_low"]),
            canonical_uuid(z["object_uuid"], little), canonical_uuid(z["interface_uuid"], little),
            canonical_uuid(z["activity_uuid"], little), int(z["server_boot_time"]),
            int(z["interface_vers_major"]) << 16 | int(z["interface_vers_minor"]), int(z["sequence_num"]),
            OPERATIONS.get(z["operation_num"], z["operation_num"]), int(z["interface_hint"]),
            int(z["activity_hint"]), int(z["len_of_body"]), int(z["fragment_num"]), int(z["auth_protocol"]), *fack)


def our_row(r: dict[str, Any]) -> Row:
    fack = (r.get("window_size"), r.get("max_tsdu"), r.get("max_frag_size"), r.get("fack_serial"),
            r.get("sel_ack_len"))
    return (r["src"], r["sport"], r["dst"], r["dport"], r["packet_type"],
            tuple(f in r["rpc_flags"] for f in OUR_FLAGS), r["cancel_pending"], r["byte_order"], r["serial"],
            r["object_uuid"], r["interface_uuid"], r["activity_uuid"], r["server_boot_time"],
            r["interface_version"], r["sequence_num"], r["operation"], r["interface_hint"], r["activity_hint"],
            r["length"], r["fragment_num"], r["auth_protocol"], *fack)


@pytest.mark.shared
@pytest.mark.parametrize("log", BASELINES or [None], ids=[p.parent.name for p in BASELINES] or ["<no ../shared>"])
def test_pnio_cm_matches_zeek(log: Path | None) -> None:
    if log is None:
        pytest.skip("../shared/pcaps is absent")
    capture = BASE / log.parent.parent.name.removesuffix(".zeek-baseline")
    theirs = Counter(zeek_row(z) for z in read_zeek_log(log, columns(log)))
    ours = Counter(our_row(r) for r in records(capture, "pnio_cm") if r["event"] != "weird")
    assert sorted(theirs - ours)[:5] == []
    assert sorted(ours - theirs)[:5] == []
    assert sum(theirs.values()) > 0
