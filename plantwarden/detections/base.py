"""The contract every detection follows.

A detection has a stable id (``<scope>.<what>``, e.g. ``ics.plc_stop``), an ATT&CK for ICS technique,
a severity and options with defaults and help. It subscribes to event names (``events``) and returns
:class:`Finding` objects; the engine (``detections/engine.py``) turns findings into alerts,
deduplicated by (detection, key) within a time window of traffic. A detection never writes to the
store and never performs I/O: what it knows of the plant comes from its :class:`Context`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple

from plantwarden.baseline.model import Baseline
from plantwarden.core.events import Event
from plantwarden.core.flow import Flow
from plantwarden.iocs.matcher import IndicatorMatcher


@dataclass(frozen=True, slots=True)
class Option:
    default: Any
    help: str


@dataclass(slots=True)
class Context:
    """What detections may know besides the traffic (read-only for them)."""

    #: hosts the store already knows from earlier analyses (empty: nothing is known yet)
    known_hosts: frozenset[str] = frozenset()
    #: (client, server, protocol) communications the store already knows
    known_pairs: frozenset[tuple[str, str, str]] = frozenset()
    #: per-detection option values from the user's configuration: {detection id: {option: value}}
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: the learned baseline (docs/baselines.md); None or empty and not learning: the detections fall back
    #: to known_hosts / known_pairs and their in-capture learning. Live: it grows while it learns.
    baseline: Baseline | None = None
    #: indicators of compromise (plantwarden.iocs; empty: none imported), read by ioc.match
    indicators: IndicatorMatcher = field(default_factory=IndicatorMatcher)
    #: a trained process model (plantwarden.ml.process.ProcessModel; None: none given), read by
    #: process.anomaly
    process_model: Any = None


class Finding(NamedTuple):
    """One occurrence of what a detection looks for."""

    key: str  # same key within the window -> same alert (count grows)
    title: str  # one line for humans: what happened, with the hosts
    ts: float
    src: str | None
    dst: str | None
    details: Mapping[str, Any]  # the decoded values that make the case (kept in the evidence)


class Detection:
    id: ClassVar[str] = ""
    technique: ClassVar[str] = ""  # ATT&CK for ICS technique id
    severity: ClassVar[str] = ""
    summary: ClassVar[str] = ""  # one sentence: what it detects
    #: event names it wants (the engine calls ``on_event`` for these only); empty: none
    events: ClassVar[frozenset[str]] = frozenset()
    #: whether it wants ``on_flow_end`` for every flow
    wants_flow_end: ClassVar[bool] = False
    options: ClassVar[Mapping[str, Option]] = {}

    def __init__(self, context: Context) -> None:
        self.context = context
        given = context.options.get(self.id, {})
        unknown = sorted(set(given) - set(self.options))
        if unknown:
            raise ValueError(f"{self.id}: unknown option {', '.join(unknown)}; known: {', '.join(self.options)}")
        self.opts: dict[str, Any] = {k: given.get(k, o.default) for k, o in self.options.items()}

    def on_event(self, capture: str, flow: Flow, ev: Event) -> Iterable[Finding]:
        return ()

    def on_flow_end(self, capture: str, flow: Flow) -> Iterable[Finding]:
        return ()


def sender(flow: Flow, ev: Event) -> tuple[str, str]:
    """(sender, receiver) addresses of an event on a flow."""
    if ev.is_orig is False:
        return flow.resp_addr, flow.orig_addr
    return flow.orig_addr, flow.resp_addr
