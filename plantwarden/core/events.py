"""Events: what a decoder emits, and what the sensor hands to its consumers.

A decoder knows nothing of addresses or files: it emits :class:`Event` objects that carry the
message name, the time and frame of the packet that completed the message, the direction, and the
protocol-specific fields. The sensor adds the flow (addresses, ports) and the capture name when it
writes the event log (see docs/event-log.md).
"""

from __future__ import annotations

from typing import Any

WEIRD = "weird"


class Event:
    """One decoded message (or one anomaly, when ``name == "weird"``).

    ``fields`` holds the protocol-specific fields, exactly as they appear in the event log. For a
    weird, ``fields`` has ``name`` (the weird's name) and ``detail``.
    """

    __slots__ = ("name", "ts", "frame", "is_orig", "fields")

    def __init__(self, name: str, ts: float, frame: int, is_orig: bool | None, fields: dict[str, Any]) -> None:
        self.name = name
        self.ts = ts
        self.frame = frame
        self.is_orig = is_orig
        self.fields = fields

    @property
    def is_weird(self) -> bool:
        return self.name == WEIRD

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Event({self.name!r}, ts={self.ts}, frame={self.frame}, is_orig={self.is_orig}, {self.fields!r})"


def weird(name: str, ts: float, frame: int, is_orig: bool | None = None, detail: str = "") -> Event:
    """A named anomaly: odd but understood input, counted and logged, never an exception."""
    return Event(WEIRD, ts, frame, is_orig, {"name": name, "detail": detail})
