"""Zone/conduit violations as stored alerts (docs/detections/zones.conduit_violation.md).

Each violation of ``check`` becomes one :class:`Alert` of detection ``zones.conduit_violation``, stored
with the store's alert dedup (docs/alerts.md, "Dedup"). A violation's ``count`` is cumulative (it is
computed from the stored communications), so only what the stored alert does not hold yet is sent:
re-running a check on an unchanged store changes nothing, and after new captures the merge adds the
new occurrences only.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Final

from sqlalchemy import func, select

from plantwarden.core.alerts import APPROVED, HIGH, MEDIUM, RESOLVED, Alert
from plantwarden.detections.engine import WINDOW
from plantwarden.store.alerts import AlertChanges, load_alerts, save_alerts
from plantwarden.store.models import CaptureRow
from plantwarden.store.service import Store
from plantwarden.zones.check import FUNCTION_CLASS, NO_CONDUIT, Violation
from plantwarden.zones.report import violation_document

DETECTION: Final = "zones.conduit_violation"
#: ATT&CK for ICS T0886 Remote Services (the page justifies the choice)
TECHNIQUE: Final = "T0886"


def severity(kind: str) -> str:
    """No conduit at all: high; outside what an existing conduit allows: medium."""
    return HIGH if kind == NO_CONDUIT else MEDIUM


def alert_key(v: Violation) -> str:
    """``client->server/protocol/kind``; a function-class violation adds its class (one per class)."""
    key = f"{v.client}->{v.server}/{v.protocol}/{v.kind}"
    if v.kind == FUNCTION_CLASS:
        key += "/" + v.detail.split(":", 1)[0]
    return key


def violation_alert(v: Violation, count: int | None = None) -> Alert:
    """The alert of one violation (``count`` occurrences; all of the violation's by default)."""
    where = f"conduit {v.conduit}" if v.conduit else "no conduit"
    title = (f"Zone violation ({v.kind}, {where}): {v.client} ({v.client_zone}) -> {v.server} ({v.server_zone}) "
             f"{v.protocol}: {v.detail}")
    evidence = {"ts": v.first_seen, **violation_document(v)}
    return Alert(DETECTION, TECHNIQUE, severity(v.kind), title, alert_key(v), v.client, v.server, v.first_seen,
                 v.last_seen, v.count if count is None else count, evidence=[evidence])


def save_violation_alerts(store: Store, violations: Iterable[Violation], window: float = WINDOW,
                          now: float | None = None) -> AlertChanges:
    """Store the violations as alerts in one transaction; what was created and merged.

    Per violation, the stored alert it would merge into (same key, not resolved, within ``window``; the
    latest) is compared with it: nothing new (same or larger count, span covered) sends nothing, else the
    difference in count is sent and merged. A resolved alert closes what it covered: only traffic after
    its ``last_seen`` raises a new alert. The alerts are recorded against the latest stored capture.
    """
    now = time.time() if now is None else now
    with store.transaction() as s:
        capture_id = s.scalar(select(func.max(CaptureRow.id)))
        if capture_id is None:
            return AlertChanges()
        stored: dict[str, list[Alert]] = {}
        for st in load_alerts(s, detection=DETECTION):
            if st.alert.state != APPROVED:
                stored.setdefault(st.alert.key, []).append(st.alert)
        todo = [a for a in (_increment(v, stored.get(alert_key(v), []), window) for v in violations)
                if a is not None]
        return save_alerts(s, capture_id, todo, window, now)


def _increment(v: Violation, rows: list[Alert], window: float) -> Alert | None:
    open_rows = [r for r in rows if r.state != RESOLVED
                 and max(v.first_seen - r.last_seen, r.first_seen - v.last_seen) <= window]
    if open_rows:
        best = max(open_rows, key=lambda r: r.last_seen)
        new = v.count - best.count
        if new <= 0 and v.last_seen <= best.last_seen and v.first_seen >= best.first_seen:
            return None
        return violation_alert(v, max(new, 1))
    closed = [r for r in rows if r.state == RESOLVED]
    if closed:
        last = max(closed, key=lambda r: r.last_seen)
        if v.last_seen <= last.last_seen:
            return None
        return violation_alert(v, max(v.count - last.count, 1))
    return violation_alert(v)
