"""EtherNet/IP and CIP against Wireshark: every capture whose MANIFEST row lists the enip dissector.

Per frame, the multisets of encapsulation command, session handle and status, CIP service code and
general status, Identity facts (vendor id, product code, serial number, product name) and Forward_Open
connection facts from tshark must equal those of our enip events. Class, instance and attribute are
checked as a subset: tshark repeats the request path in responses and adds the connection's path to
connected messages, so every value we report must be among tshark's for that frame. Implicit I/O
(UDP 2222) is compared as one summary per connection id: packets, first and last sequence number.

Intended differences are listed in docs/protocols/enip.md and encoded in KNOWN_DIFFERENCES.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
from oracle_common import PCAPS, captures_with, compare, records, tshark_fields

#: tshark fields compared as exact multisets -> our key name
EXACT = {
    "enip.command": "command_code",
    "enip.session": "session_handle",
    "enip.status": "enip_status_code",
    "cip.sc": "service_code",
    "cip.genstat": "status",
    "cip.id.vendor_id": "vendor_id",
    "cip.id.product_code": "product_code",
    "cip.id.serial_number": "serial_number",
    "cip.id.product_name": "product_name",
    "enip.lir.vendor": "vendor_id",
    "enip.lir.prodcode": "product_code",
    "enip.lir.serial": "serial_number",
    "enip.lir.name": "product_name",
    "cip.cm.ot_connid": "o_t_connection_id",
    "cip.cm.to_connid": "t_o_connection_id",
    "cip.cm.conn_serial_num": "connection_serial",
    "cip.cm.otrpi": "o_t_rpi",
    "cip.cm.torpi": "t_o_rpi",
}
#: tshark fields whose values must include ours
SUBSET = {"cip.class": "class", "cip.instance": "instance", "cip.attribute": "attribute"}
IO = ["enip.cpf.sai.connid", "enip.cpf.sai.seq"]
_IDENT = ("vendor_id", "product_code", "serial_number", "product_name")
_TOP = ("command_code", "session_handle", "enip_status_code")
_CM = ("o_t_connection_id", "t_o_connection_id", "connection_serial", "o_t_rpi", "t_o_rpi")

Key = tuple[int, str, Any]

#: capture -> (exact keys only tshark has, exact keys only we have); see docs/protocols/enip.md
KNOWN_DIFFERENCES: dict[str, tuple[Counter[Key], Counter[Key]]] = {}

CAPTURES = captures_with("enip")


def _value(field: str, v: str) -> Any:
    if field.endswith(("product_name", ".name")):
        return v
    if field.endswith(("serial_number", ".serial")):
        return f"0x{int(v, 0):08x}"
    return int(v, 0)


def tshark_keys(path: Path) -> tuple[Counter[Key], dict[int, dict[str, set[Any]]], dict[int, list[int]]]:
    exact: Counter[Key] = Counter()
    subset: dict[int, dict[str, set[Any]]] = defaultdict(lambda: defaultdict(set))
    io: dict[int, list[int]] = defaultdict(list)
    fields = list(EXACT) + list(SUBSET) + IO
    for frame, cols in tshark_fields(path, fields):
        vals = dict(zip(fields, cols, strict=True))
        for f, ours in EXACT.items():
            values = vals[f]
            if ours == "product_name" and values:
                values = [",".join(values)]  # names may hold the aggregator (one identity per frame here)
            for v in values:
                exact[(frame, ours, _value(f, v))] += 1
        for f, ours in SUBSET.items():
            subset[frame][ours].update(int(v, 0) for v in vals[f])
        for conn, seq in zip(vals[IO[0]], vals[IO[1]], strict=True):
            io[int(conn, 0)].append(int(seq, 0))
    return exact, subset, io


def our_keys(path: Path) -> tuple[Counter[Key], list[Key], dict[int, tuple[int, int, int]]]:
    exact: Counter[Key] = Counter()
    subset: list[Key] = []
    io: dict[int, tuple[int, int, int]] = {}
    for r in records(path, "enip"):
        ev, fr = r["event"], r["frame"]
        if ev == "weird":
            continue
        if ev == "enip_io":
            io[r["connection_id"]] = (r["packets"], r["first_sequence"], r["last_sequence"])
            continue
        if "embedded" not in r:
            exact.update((fr, k, r[k]) for k in _TOP)
        for k in ("service_code", "status"):
            if r.get(k) is not None:
                exact[(fr, k, r[k])] += 1
        ident = r.get("identity") or {}
        exact.update((fr, k, ident[k]) for k in _IDENT if k in ident)
        exact.update((fr, k, r[k]) for k in _CM if r.get(k) is not None)
        subset.extend((fr, k, r[k]) for k in SUBSET.values() if r.get(k) is not None)
    return exact, subset, io


@pytest.mark.shared
@pytest.mark.tshark
@pytest.mark.parametrize("capture", CAPTURES or ["<no ../shared>"])
def test_enip_matches_tshark(capture: str, record_property: Any) -> None:
    if not CAPTURES:
        pytest.skip("../shared/pcaps is absent")
    path = PCAPS / capture
    theirs, their_paths, their_io = tshark_keys(path)
    ours, our_paths, our_io = our_keys(path)
    compare(record_property, theirs, ours, KNOWN_DIFFERENCES.get(Path(capture).name))
    missing = [(fr, k, v) for fr, k, v in our_paths if v not in their_paths[fr][k]]
    assert missing[:20] == []
    summary = {c: (len(s), s[0], s[-1]) for c, s in their_io.items()}
    assert our_io == summary
    assert sum(theirs.values()) > 0
