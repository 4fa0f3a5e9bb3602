"""Change windows: declared maintenance periods in which engineering changes are approved.

A :class:`ChangeWindow` covers a time range (traffic time, epoch seconds), optionally only some assets
(the controllers changed) and some hosts (the engineering workstations doing it), and names the person
and the reason. An alert of a change detection (``CHANGE_DETECTIONS``) whose occurrences lie inside a
window that covers its target and its source is an *approved change*: it is stored with the state
``approved`` and the window in its reason, apart from the open alerts (docs/change-windows.md).
Deviations from the baseline by the window's hosts towards its assets (a new pair, a new function,
a write outside the learned ranges) are approved too: engineering work is unusual traffic.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from plantwarden.core.alerts import APPROVED

__all__ = ["APPROVED", "CHANGE_DETECTIONS", "ChangeWindow", "apply_windows", "window_document"]

#: detections whose alerts a change window approves
CHANGE_DETECTIONS: Final = frozenset({
    "ics.program_download", "ics.program_upload", "ics.firmware_update", "ics.plc_stop",
    "ics.operating_mode_change", "ics.device_restart",
    # baseline deviations caused by the engineering work itself
    "ics.new_talker", "ics.write_from_unknown_master", "modbus.value_out_of_range",
})


@dataclass(slots=True)
class ChangeWindow:
    start: float  # epoch seconds, inclusive
    end: float  # epoch seconds, inclusive
    assets: list[str] = field(default_factory=list)  # empty: any asset
    hosts: list[str] = field(default_factory=list)  # empty: any engineering host
    person: str | None = None
    note: str | None = None
    id: int | None = None
    created_at: float = 0.0

    def covers(self, ts: float, src: str | None, dst: str | None) -> bool:
        if not self.start <= ts <= self.end:
            return False
        ends = {src, dst}
        if self.assets and not ends & set(self.assets):
            return False
        return not (self.hosts and not ends & set(self.hosts))

    def reason(self) -> str:
        who = f" by {self.person}" if self.person else ""
        note = f": {self.note}" if self.note else ""
        return f"change window {self.id if self.id is not None else '-'}{who}{note}"


def window_document(w: ChangeWindow) -> dict[str, Any]:
    return {"id": w.id, "start": w.start, "end": w.end, "assets": list(w.assets), "hosts": list(w.hosts),
            "person": w.person, "note": w.note, "created_at": w.created_at}


def _covering(windows: Sequence[ChangeWindow], ts: float, src: str | None, dst: str | None) -> ChangeWindow | None:
    for w in windows:
        if w.covers(ts, src, dst):
            return w
    return None


def apply_windows(alerts: Iterable[Any], windows: Sequence[ChangeWindow]) -> list[tuple[Any, ChangeWindow | None]]:
    """Each alert with the window that approves it (None: not approved).

    An alert of a change detection is approved when every one of its occurrences lies in one window
    covering its source and target. When only some do, it is split in two alerts with the same key:
    the approved occurrences and the others (the count beyond the kept evidence goes with the last
    occurrence's side). Other detections' alerts are returned unchanged, unapproved.
    """
    out: list[tuple[Any, ChangeWindow | None]] = []
    for a in alerts:
        if not windows or a.detection not in CHANGE_DETECTIONS:
            out.append((a, None))
            continue
        inside: list[dict[str, Any]] = []
        outside: list[dict[str, Any]] = []
        win: ChangeWindow | None = None
        for e in a.evidence:
            ts = e.get("ts")
            w = _covering(windows, ts, a.src, a.dst) if isinstance(ts, int | float) else None
            if w is not None and (win is None or w is win):
                win = w
                inside.append(e)
            else:
                outside.append(e)
        last_in = _covering(windows, a.last_seen, a.src, a.dst) is win if win is not None else False
        first_in = _covering(windows, a.first_seen, a.src, a.dst) is win if win is not None else False
        if win is not None and not outside and first_in and last_in:
            out.append((a, win))
            continue
        if win is None:
            out.append((a, None))
            continue
        extra = a.count - len(a.evidence)  # occurrences beyond the kept evidence, after it in time
        yes, no = copy.deepcopy(a), copy.deepcopy(a)
        _restrict(yes, inside, len(inside) + (extra if last_in else 0), a.last_seen if last_in and extra else None)
        _restrict(no, outside, len(outside) + (0 if last_in else extra), a.last_seen if not last_in else None)
        out.append((yes, win))
        if no.count > 0:
            out.append((no, None))
    return out


def _restrict(a: Any, evidence: list[dict[str, Any]], count: int, last: float | None = None) -> None:
    ts = [e["ts"] for e in evidence if isinstance(e.get("ts"), int | float)]
    a.evidence = list(evidence)
    a.count = count
    if ts:
        a.first_seen = min(ts)
        a.last_seen = max(ts) if last is None else max(max(ts), last)
    elif last is not None:
        a.first_seen = a.last_seen = last
