"""Every event, field and weird the EtherNet/IP decoders emit is documented in docs/protocols/enip.md."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from plantwarden.decoders.enip import constants as C

ROOT = Path(__file__).resolve().parents[3]
DOC = (ROOT / "docs" / "protocols" / "enip.md").read_text()
SRC = "".join(p.read_text() for p in (ROOT / "plantwarden" / "decoders" / "enip").glob("*.py"))
PCAPS = ROOT / ".." / "shared" / "pcaps"


def _keys(d: dict[str, Any], out: set[str]) -> None:
    for k, v in d.items():
        out.add(k)
        if isinstance(v, dict):
            _keys(v, out)
        elif isinstance(v, list):
            for x in v:
                if isinstance(x, dict):
                    _keys(x, out)


def test_every_weird_is_documented() -> None:
    names = set(re.findall(r'weird\(\s*"(enip_[a-z_]+)"', SRC))
    assert len(names) >= 10
    assert sorted(n for n in names if f"`{n}`" not in DOC) == []


def test_every_service_command_and_status_name_is_documented() -> None:
    tables = [C.COMMANDS, C.ENCAP_STATUS, C.COMMON_SERVICES, *C.CLASS_SERVICES.values()]
    names = {n for t in tables for n in t.values()}
    assert sorted(n for n in names if f"`{n}`" not in DOC) == []


def test_events_and_fields_of_shared_captures_are_documented() -> None:
    if not PCAPS.is_dir():
        pytest.skip("../shared/pcaps is absent")
    from plantwarden.sensor.eventlog import iter_records

    common = {"capture", "ts", "frame", "proto", "event", "src", "sport", "dst", "dport", "is_orig", "transport"}
    events: set[str] = set()
    fields: set[str] = set()
    paths = sorted((PCAPS / "enip-cip").glob("*.pcap*"))
    paths = [p for p in paths if p.is_file()] + [PCAPS / "modbus" / "ICS-Security-Tools__mb2.pcap"]
    for r in iter_records(paths):
        if r["proto"] != "enip" or r["event"] == "weird":
            continue
        events.add(r["event"])
        _keys({k: v for k, v in r.items() if k not in common}, fields)
    assert len(events) > 25 and len(fields) > 50
    undocumented = sorted(e for e in events if f"`{e}`" not in DOC
                          and f"`{e.removeprefix('enip_').rsplit('_', 1)[0]}`" not in DOC)
    assert undocumented == []
    assert sorted(f for f in fields if f"`{f}`" not in DOC) == []
