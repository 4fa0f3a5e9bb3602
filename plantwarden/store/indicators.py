"""Indicators of compromise in the store: saving an import (insert or update per (source, kind, value)),
listing, removing. The functions run inside the caller's transaction (docs/iocs.md, "Store")."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantwarden.core.errors import NotFound
from plantwarden.iocs.model import MAX_DESCRIPTION, MAX_SOURCE, MAX_STIX_ID, MAX_VALUE, Indicator
from plantwarden.store.alerts import text
from plantwarden.store.models import IndicatorRow

CHUNK = 500


class UnknownIndicatorError(NotFound, LookupError):
    """No indicator with that id in the store."""


@dataclass(slots=True)
class IndicatorChanges:
    """What saving an import did: rows added, rows whose details changed, rows already as given, and
    repeats of a (source, kind, value) within the import itself (the first one counts)."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0


def save_indicators(s: Session, indicators: Iterable[Indicator], now: float) -> IndicatorChanges:
    changes = IndicatorChanges()
    todo: dict[tuple[str, str, str], Indicator] = {}
    for ind in indicators:
        key = (text(ind.source, MAX_SOURCE), ind.kind, text(ind.value, MAX_VALUE))
        if key in todo:
            changes.duplicates += 1
        else:
            todo[key] = ind
    existing: dict[tuple[str, str, str], IndicatorRow] = {}
    for source in sorted({k[0] for k in todo}):
        values = sorted({k[2] for k in todo if k[0] == source})
        for i in range(0, len(values), CHUNK):
            q = select(IndicatorRow).where(IndicatorRow.source == source, IndicatorRow.value.in_(values[i:i + CHUNK]))
            for row in s.scalars(q):
                existing[(row.source, row.kind, row.value)] = row
    for key, ind in todo.items():
        details = (text(ind.description, MAX_DESCRIPTION),
                   None if ind.stix_id is None else text(ind.stix_id, MAX_STIX_ID), ind.valid_from, ind.valid_until)
        found = existing.get(key)
        if found is None:
            s.add(IndicatorRow(source=key[0], kind=key[1], value=key[2], description=details[0], stix_id=details[1],
                               valid_from=details[2], valid_until=details[3], created_at=now, updated_at=now))
            changes.added += 1
        elif (found.description, found.stix_id, found.valid_from, found.valid_until) != details:
            found.description, found.stix_id, found.valid_from, found.valid_until = details
            found.updated_at = now
            changes.updated += 1
        else:
            changes.unchanged += 1
    s.flush()
    return changes


def load_indicators(s: Session, kind: str | None = None, source: str | None = None) -> list[Indicator]:
    q = select(IndicatorRow).order_by(IndicatorRow.id)
    if kind is not None:
        q = q.where(IndicatorRow.kind == kind)
    if source is not None:
        q = q.where(IndicatorRow.source == source)
    return [_indicator(row) for row in s.scalars(q)]


def delete_indicator(s: Session, indicator_id: int) -> Indicator:
    row = s.get(IndicatorRow, indicator_id)
    if row is None:
        raise UnknownIndicatorError(f"no indicator with id {indicator_id}")
    ind = _indicator(row)
    s.delete(row)
    return ind


def _indicator(row: IndicatorRow) -> Indicator:
    return Indicator(row.kind, row.value, row.source, row.description, row.stix_id, row.valid_from, row.valid_until,
                     row.id)
