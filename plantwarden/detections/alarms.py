"""``dnp3.unsolicited_disabled`` (T0878 Alarm Suppression): DNP3 Disable Unsolicited that is not undone.

A master's start-up sequence disables unsolicited reporting, polls, and enables it again within
seconds; an attacker disables it and leaves it so. The finding waits ``reenable_seconds`` for an
Enable Unsolicited on the same connection. See docs/detections/dnp3.unsolicited_disabled.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from plantwarden.core.alerts import HIGH
from plantwarden.core.events import Event
from plantwarden.core.flow import Flow
from plantwarden.detections.base import Detection, Finding, Option
from plantwarden.detections.catalog import REQUESTS

DNP3_REQUESTS = frozenset(n for n, p in REQUESTS.items() if p == "dnp3")
DISABLE = "dnp3_disable_unsolicited_request"
ENABLE = "dnp3_enable_unsolicited_request"
MAX_PENDING = 4096


class UnsolicitedDisabled(Detection):
    id = "dnp3.unsolicited_disabled"
    technique = "T0878"
    severity = HIGH
    summary = "DNP3 Disable Unsolicited Responses that is not followed by Enable Unsolicited: the outstation stops reporting events."
    events = DNP3_REQUESTS
    wants_flow_end = True
    options = {"reenable_seconds": Option(60.0, "seconds an Enable Unsolicited may take to follow (a master's start-up)")}

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self.grace = float(self.opts["reenable_seconds"])
        self.pending: dict[int, Finding] = {}

    def on_event(self, capture: str, flow: Flow, ev: Event) -> Iterable[Finding]:
        out: list[Finding] = []
        if self.pending:
            for uid, f in list(self.pending.items()):
                if ev.ts - f.ts > self.grace:
                    out.append(self.pending.pop(uid))
        if ev.name == ENABLE:
            self.pending.pop(flow.uid, None)
        elif ev.name == DISABLE and ev.is_orig and flow.uid not in self.pending and len(self.pending) < MAX_PENDING:
            src, dst = flow.orig_addr, flow.resp_addr
            classes = sorted({o.get("group_name", "?") for o in ev.fields.get("objects") or ()})
            self.pending[flow.uid] = Finding(
                f"{src}->{dst}", f"DNP3 unsolicited reporting disabled by {src} on {dst} and not re-enabled",
                ev.ts, src, dst, {"frame": ev.frame, "objects": classes})
        return out

    def on_flow_end(self, capture: str, flow: Flow) -> Iterable[Finding]:
        f = self.pending.pop(flow.uid, None)
        return (f,) if f is not None else ()
