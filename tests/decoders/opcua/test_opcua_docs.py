"""Every event, field and weird the OPC UA decoder emits on the shared captures and the unit-test
messages is documented in docs/protocols/opcua.md."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from plantwarden.decoders.opcua.constants import SERVICE_EVENTS

ROOT = Path(__file__).resolve().parents[3]
DOC = (ROOT / "docs" / "protocols" / "opcua.md").read_text()
FLAT = re.sub(r"\s+", " ", DOC)
SRC = "".join(p.read_text() for p in (ROOT / "plantwarden" / "decoders" / "opcua").glob("*.py"))
CAPTURES = ROOT / ".." / "shared" / "pcaps" / "opcua"
COMMON = {"capture", "ts", "frame", "proto", "event", "src", "sport", "dst", "dport", "is_orig", "transport"}


def _keys(rec: dict[str, Any], out: set[str]) -> None:
    stack: list[Any] = [rec]
    while stack:
        d = stack.pop()
        for k, v in d.items():
            out.add(k)
            if isinstance(v, dict):
                stack.append(v)
            elif isinstance(v, list):
                stack.extend(x for x in v if isinstance(x, dict))


def test_every_weird_is_documented() -> None:
    weirds = set(re.findall(r'weird\(\s*"(opcua_\w+)"', SRC))
    assert len(weirds) >= 8
    assert sorted(w for w in weirds if f"`{w}`" not in DOC) == []


def test_every_service_is_documented() -> None:
    for tid, ev in SERVICE_EVENTS.items():
        name = ev.removeprefix("opcua_").removesuffix("_request").removesuffix("_response")
        assert f"`{name}` (" in FLAT or name == "service_fault", (tid, name)
        assert f"{tid}" in DOC


@pytest.mark.shared
def test_every_emitted_event_and_field_is_documented() -> None:
    if not CAPTURES.is_dir():
        pytest.skip("../shared/pcaps is absent")
    from plantwarden.sensor.eventlog import iter_records

    events: set[str] = set()
    fields: set[str] = set()
    for path in sorted(CAPTURES.glob("*.pcap")):
        for rec in iter_records([path]):
            if rec["proto"] != "opcua" or rec["event"] == "weird":
                continue
            events.add(rec["event"])
            _keys(rec, fields)
    assert len(events) > 25 and len(fields) > 60
    documented_events = {e for e in events if e.startswith("opcua_") and
                         (f"`{e}`" in DOC or e.removeprefix("opcua_").rsplit("_", 1)[0] in SERVICE_NAMES)}
    assert sorted(events - documented_events) == []
    assert sorted(f for f in fields - COMMON if f"`{f}`" not in DOC) == []


SERVICE_NAMES = {ev.removeprefix("opcua_").rsplit("_", 1)[0] for ev in SERVICE_EVENTS.values()}
