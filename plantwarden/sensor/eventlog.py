"""The event log: one JSON object per decoded message or weird (docs/event-log.md).

The common fields come first, in a fixed order; the decoder's fields follow. This is a public
interface, like Zeek's logs: change it only on purpose, and document every field.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from typing import Any

from plantwarden.core.events import Event
from plantwarden.core.flow import Flow
from plantwarden.sensor.pipeline import Sensor

COMMON_FIELDS = ("capture", "ts", "frame", "proto", "event", "src", "sport", "dst", "dport", "is_orig")


def to_record(capture: str, flow: Flow | None, ev: Event) -> dict[str, Any]:
    src: str | None
    dst: str | None
    sport: int | None
    dport: int | None
    if flow is not None and ev.is_orig is not None:
        src, sport, dst, dport = flow.endpoints(ev.is_orig)
    elif flow is not None:
        src, sport, dst, dport = flow.orig_addr, flow.orig_port, flow.resp_addr, flow.resp_port
    else:
        src = sport = dst = dport = None
    if flow is not None and flow.transport == "ether":  # layer 2: MAC addresses, no ports
        sport = dport = None
    rec: dict[str, Any] = {
        "capture": capture,
        "ts": ev.ts,
        "frame": ev.frame,
        "proto": (flow.proto or None) if flow is not None else None,
        "event": ev.name,
        "src": src,
        "sport": sport,
        "dst": dst,
        "dport": dport,
        "is_orig": ev.is_orig,
    }
    if flow is not None and ev.is_weird:
        rec["transport"] = flow.transport
    rec.update(ev.fields)
    return rec


def iter_records(paths: Iterable[str | os.PathLike[str]], sensor: Sensor | None = None) -> Iterator[dict[str, Any]]:
    """Decode the captures in order and yield the event-log records."""
    sensor = sensor or Sensor()
    for path in paths:
        capture = os.fspath(path)
        for batch in sensor.iter_batches(path):
            for flow, events in batch:
                if events is not None:
                    sensor.stats["events"] += len(events)
                    for ev in events:
                        yield to_record(capture, flow, ev)


def dumps(rec: dict[str, Any]) -> str:
    """One JSONL line, ASCII only: strings from the wire cannot carry terminal control or bidi
    characters to whoever reads the log (they are \\u escapes). Bytes are written as hex."""
    return json.dumps(rec, separators=(",", ":"), ensure_ascii=True, default=_default)


def _default(o: object) -> Any:
    if isinstance(o, (bytes, bytearray, memoryview)):
        return bytes(o).hex()
    if isinstance(o, (set, frozenset, tuple)):
        return list(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")
