"""Detections that recognise a command by its decoded message, whatever the protocol.

A :class:`CommandRule` holds a table: event name -> a matcher that reads the event's fields and
returns what the command is (``"PLC stop"``), or None when this occurrence is not it. One finding per
matching message, keyed by sender and receiver, so the engine keeps one alert per pair and counts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

from plantwarden.core.events import Event
from plantwarden.core.flow import Flow
from plantwarden.detections.base import Detection, Finding, sender

Matcher = Callable[[Mapping[str, Any]], str | None]

#: fields copied into the evidence when an event has them
EVIDENCE_FIELDS = ("function_code", "function", "service", "service_code", "command", "command_code",
                   "umas_function", "pi_service", "block", "blocks", "filename", "unit_id", "address",
                   "quantity", "values", "type_id", "cause", "ioa", "class", "instance", "ads_state")


def always(what: str) -> Matcher:
    return lambda fields: what


def when(field: str, values: Iterable[Any], what: str) -> Matcher:
    """A matcher that fires when ``fields[field]`` is one of ``values``."""
    wanted = frozenset(values)
    return lambda fields: what if fields.get(field) in wanted else None


class CommandRule(Detection):
    #: event name -> matcher; the subclass's table
    match: ClassVar[Mapping[str, Matcher]] = {}

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        cls.events = frozenset(cls.match)

    def on_event(self, capture: str, flow: Flow, ev: Event) -> Iterable[Finding]:
        what = self.match[ev.name](ev.fields)
        if what is None:
            return ()
        src, dst = sender(flow, ev)
        details = {k: ev.fields[k] for k in EVIDENCE_FIELDS if k in ev.fields}
        return (Finding(f"{src}->{dst}", f"{what}: {src} -> {dst} ({flow.proto})", ev.ts, src, dst, details),)
