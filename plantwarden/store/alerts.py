"""Alerts in the store: saving a capture's alerts with store-level dedup, reading them, changing states.

Dedup across captures (docs/alerts.md, "Dedup"): an incoming alert with the same (detection, key) as a
stored alert that is not resolved, whose traffic time span lies within ``window`` seconds of the new
one's, merges into it (count, first/last seen, evidence up to ``MAX_EVIDENCE`` items, earliest first);
otherwise it becomes a new row. The functions here run inside the caller's transaction.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantwarden.core.alerts import APPROVED, MAX_EVIDENCE, NEW, RESOLVED, STATES, SUPPRESSED, Alert
from plantwarden.core.errors import InvalidInput, NotFound
from plantwarden.store.models import AlertRow, AlertStateRow

CHUNK = 500


class UnknownAlertError(NotFound, LookupError):
    """No alert with that id in the store."""


@dataclass(frozen=True, slots=True)
class StateChange:
    state: str
    reason: str | None
    at: float  # wall time of the change


@dataclass(slots=True)
class StoredAlert:
    """An alert as stored: its id, the alert itself, and what the store adds (state details, history)."""

    id: int
    alert: Alert
    state_reason: str | None = None
    state_changed_at: float | None = None
    created_at: float = 0.0
    updated_at: float = 0.0
    history: list[StateChange] = field(default_factory=list)


@dataclass(slots=True)
class AlertChanges:
    """What saving a capture's alerts did: per severity, how many rows were created and how many merged."""

    new: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    new_ids: list[int] = field(default_factory=list)
    updated_ids: list[int] = field(default_factory=list)
    #: approved changes (inside a change window, docs/change-windows.md): rows created or merged into,
    #: per severity and by id; they are not counted in ``new`` / ``updated``
    approved: Counter[str] = field(default_factory=Counter)
    approved_ids: list[int] = field(default_factory=list)


# -- values safe for every backend -----------------------------------------------------------------

def text(value: str, limit: int | None = None) -> str:
    """PostgreSQL text cannot hold NUL: it is written as the escape ``\\x00`` (as the CLI would show it)."""
    if "\x00" in value:
        value = value.replace("\x00", "\\x00")
    return value if limit is None else value[:limit]


def _opt_text(value: str | None, limit: int) -> str | None:
    return None if value is None else text(str(value), limit)


def jsonable(value: Any) -> Any:
    """A copy of ``value`` that any JSON column accepts: str keys, no bytes, no NaN, no NUL."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return text(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Mapping):
        return {text(str(k)): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return text(str(value))


def _ts(item: Mapping[str, Any]) -> float:
    ts = item.get("ts")
    return float(ts) if isinstance(ts, int | float) else math.inf


# -- writing ----------------------------------------------------------------------------------------

def save_alerts(s: Session, capture_id: int, alerts: Iterable[Alert], window: float, now: float,
                approvals: Mapping[int, str] | None = None) -> AlertChanges:
    """Merge one capture's alerts into the stored ones (see the module's docstring).

    ``approvals`` maps ``id(alert)`` to a reason for the alerts a change window approves
    (docs/change-windows.md): they are stored in the state ``approved`` and merge only into approved
    rows; the other alerts never merge into approved rows.
    """
    approvals = approvals or {}
    changes = AlertChanges()
    todo = sorted(alerts, key=lambda a: (a.first_seen, a.detection, a.key))
    if not todo:
        return changes
    keys = sorted({text(a.key, 512) for a in todo})
    candidates: dict[tuple[str, str], list[AlertRow]] = {}
    wanted = {(a.detection, text(a.key, 512)) for a in todo}
    for i in range(0, len(keys), CHUNK):
        q = select(AlertRow).where(AlertRow.key.in_(keys[i:i + CHUNK]), AlertRow.state != RESOLVED)
        for row in s.scalars(q):
            if (row.detection, row.key) in wanted:
                candidates.setdefault((row.detection, row.key), []).append(row)
    created: set[int] = set()  # id() of the rows this call added
    merged: dict[int, AlertRow] = {}
    for a in todo:
        k = (a.detection, text(a.key, 512))
        rows = candidates.setdefault(k, [])
        reason = approvals.get(id(a))
        best = None
        for row in rows:
            if (row.state == APPROVED) != (reason is not None):
                continue
            gap = max(a.first_seen - row.last_seen, row.first_seen - a.last_seen)
            if gap <= window and (best is None or row.last_seen > best.last_seen):
                best = row
        if best is None:
            row = _new_row(a, capture_id, now)
            if reason is not None:
                row.state, row.state_reason, row.state_changed_at = APPROVED, text(reason), now
            s.add(row)
            rows.append(row)
            created.add(id(row))
            continue
        _merge(best, a, now)
        if id(best) not in created:
            merged[id(best)] = best
    s.flush()
    for rows in candidates.values():
        for row in rows:
            if id(row) in created and row.state == APPROVED:
                changes.approved[row.severity] += 1
                changes.approved_ids.append(row.id)
                s.add(AlertStateRow(alert_id=row.id, state=APPROVED, reason=row.state_reason, at=now))
            elif id(row) in created:
                changes.new[row.severity] += 1
                changes.new_ids.append(row.id)
    for row in merged.values():
        if row.state == APPROVED:
            changes.approved[row.severity] += 1
            changes.approved_ids.append(row.id)
            continue
        changes.updated[row.severity] += 1
        changes.updated_ids.append(row.id)
    changes.new_ids.sort()
    changes.approved_ids.sort()
    changes.updated_ids.sort()
    return changes


def _new_row(a: Alert, capture_id: int, now: float) -> AlertRow:
    evidence = sorted((jsonable(e) for e in a.evidence), key=_ts)[:MAX_EVIDENCE]
    return AlertRow(detection=text(a.detection, 64), technique=text(a.technique, 16), severity=text(a.severity, 16),
                    title=text(a.title), key=text(a.key, 512), src=_opt_text(a.src, 64), dst=_opt_text(a.dst, 64),
                    first_seen=a.first_seen, last_seen=a.last_seen, count=a.count, state=NEW,
                    evidence=evidence, capture_id=capture_id, created_at=now, updated_at=now)


def _merge(row: AlertRow, a: Alert, now: float) -> None:
    row.count += a.count
    row.first_seen = min(row.first_seen, a.first_seen)
    row.last_seen = max(row.last_seen, a.last_seen)
    # a new list (not an in-place change) so that the JSON column is written
    row.evidence = sorted([*row.evidence, *(jsonable(e) for e in a.evidence)], key=_ts)[:MAX_EVIDENCE]
    row.updated_at = now


def set_state(s: Session, alert_id: int, state: str, reason: str | None, now: float) -> None:
    if state not in STATES:
        raise InvalidInput(f"unknown alert state {state!r}; known: {', '.join(STATES)}")
    reason = reason.strip() if reason is not None else None
    if state == SUPPRESSED and not reason:
        raise InvalidInput("suppressing an alert needs a reason")
    row = s.get(AlertRow, alert_id)
    if row is None:
        raise UnknownAlertError(f"no alert with id {alert_id}")
    row.state = state
    row.state_reason = text(reason) if reason else None
    row.state_changed_at = now
    row.updated_at = now
    s.add(AlertStateRow(alert_id=alert_id, state=state, reason=row.state_reason, at=now))


# -- reading ----------------------------------------------------------------------------------------

def load_alerts(s: Session, state: str | None = None, detection: str | None = None,
                alert_id: int | None = None) -> list[StoredAlert]:
    q = select(AlertRow).order_by(AlertRow.first_seen, AlertRow.id)
    if state is not None:
        q = q.where(AlertRow.state == state)
    if detection is not None:
        q = q.where(AlertRow.detection == detection)
    if alert_id is not None:
        q = q.where(AlertRow.id == alert_id)
    out = [_stored(row) for row in s.scalars(q)]
    by_id = {a.id: a for a in out}
    ids = list(by_id)
    for i in range(0, len(ids), CHUNK):
        hq = (select(AlertStateRow).where(AlertStateRow.alert_id.in_(ids[i:i + CHUNK]))
              .order_by(AlertStateRow.at, AlertStateRow.id))
        for h in s.scalars(hq):
            by_id[h.alert_id].history.append(StateChange(h.state, h.reason, h.at))
    return out


def _stored(row: AlertRow) -> StoredAlert:
    alert = Alert(row.detection, row.technique, row.severity, row.title, row.key, row.src, row.dst,
                  row.first_seen, row.last_seen, row.count, row.state, list(row.evidence or ()))
    return StoredAlert(row.id, alert, row.state_reason, row.state_changed_at, row.created_at, row.updated_at)
