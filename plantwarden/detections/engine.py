"""The detection engine: a sensor sink that runs the detections and collects their alerts.

Events reach only the detections that subscribed to their name (one dict lookup per event). A
finding becomes an alert keyed by (detection id, finding key); a later finding with the same key
within ``window`` seconds of traffic time adds to that alert (count, last seen, evidence); after a
quiet ``window`` a new alert starts. A detection that raises is switched off for the rest of the
run and counted in ``errors``: the sensor goes on.
"""

from __future__ import annotations

from collections.abc import Sequence

from plantwarden.core.alerts import Alert
from plantwarden.core.events import Event
from plantwarden.core.flow import Flow
from plantwarden.detections.base import Context, Detection, Finding

#: default dedup window (seconds of traffic time)
WINDOW = 3600.0


class DetectionEngine:
    def __init__(self, detections: Sequence[type[Detection]], context: Context | None = None,
                 window: float = WINDOW) -> None:
        ctx = context or Context()
        self.detections = [cls(ctx) for cls in detections]
        self.window = window
        self._by_event: dict[str, list[Detection]] = {}
        for d in self.detections:
            for name in d.events:
                self._by_event.setdefault(name, []).append(d)
        self._flow_end = [d for d in self.detections if d.wants_flow_end]
        self._open: dict[tuple[str, str], Alert] = {}
        self._closed: list[Alert] = []
        #: detection id -> "ExceptionType: message" of the exception that switched it off
        self.errors: dict[str, str] = {}

    # -- sink interface ---------------------------------------------------------------------------

    def on_event(self, capture: str, flow: Flow | None, ev: Event) -> None:
        subscribers = self._by_event.get(ev.name)
        if not subscribers or flow is None:
            return
        for d in subscribers:  # the hot path: one call per subscriber, findings are rare
            try:
                for f in d.on_event(capture, flow, ev):
                    self._raise(d, capture, flow, ev, f)
            except Exception as exc:  # a detection's bug must not stop the sensor
                self._disable(d, exc)

    def on_flow_end(self, capture: str, flow: Flow) -> None:
        for d in self._flow_end:
            try:
                for f in d.on_flow_end(capture, flow):
                    self._raise(d, capture, flow, None, f)
            except Exception as exc:
                self._disable(d, exc)

    # -- result -----------------------------------------------------------------------------------

    def alerts(self) -> list[Alert]:
        """Every alert so far, oldest first."""
        return sorted([*self._closed, *self._open.values()], key=lambda a: (a.first_seen, a.detection, a.key))

    def drain(self) -> list[Alert]:
        """Every alert so far, oldest first, and forget them: for a long run stored in periods (the
        store merges a later occurrence of the same finding into the stored alert)."""
        out = self.alerts()
        self._open.clear()
        self._closed.clear()
        return out

    # -- internals --------------------------------------------------------------------------------

    def _disable(self, d: Detection, exc: Exception) -> None:
        """Switch a failing detection off for the rest of the run (new lists: a loop over the old
        ones may be running)."""
        self.errors[d.id] = f"{type(exc).__name__}: {exc}"
        self._by_event = {k: [x for x in v if x is not d] for k, v in self._by_event.items()}
        self._flow_end = [x for x in self._flow_end if x is not d]

    def _raise(self, d: Detection, capture: str, flow: Flow, ev: Event | None, f: Finding) -> None:
        evidence = {
            "capture": capture, "ts": f.ts, "frame": ev.frame if ev is not None else None,
            "event": ev.name if ev is not None else None, "proto": flow.proto,
            "flow": [flow.orig_addr, flow.orig_port, flow.resp_addr, flow.resp_port, flow.transport],
            "details": dict(f.details),
        }
        k = (d.id, f.key)
        alert = self._open.get(k)
        if alert is not None and f.ts - alert.last_seen <= self.window:
            alert.add(f.ts, evidence)
            return
        if alert is not None:
            self._closed.append(alert)
        self._open[k] = Alert(d.id, d.technique, d.severity, f.title, f.key, f.src, f.dst, f.ts, f.ts,
                              evidence=[evidence])
