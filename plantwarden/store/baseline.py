"""The learned baseline and the change windows in the store (docs/baselines.md, docs/change-windows.md).

The functions run inside the caller's transaction. Merging adds a learned baseline to the stored one:
pairs by (client, server, protocol) (functions counted, write ranges joined), register value ranges by
(server, unit, register) (low/high widened).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from plantwarden.baseline.model import Baseline, PairRecord, ValueRange, add_range
from plantwarden.baseline.windows import ChangeWindow
from plantwarden.core.errors import NotFound
from plantwarden.store.alerts import text
from plantwarden.store.models import BaselinePairRow, BaselineValueRow, ChangeWindowRow

CHUNK = 500


class UnknownWindowError(NotFound, LookupError):
    """No change window with that id in the store."""


@dataclass(slots=True)
class BaselineChanges:
    """What a merge did: pairs and register ranges added, and existing ones that grew."""

    new_pairs: int = 0
    updated_pairs: int = 0
    new_values: int = 0
    updated_values: int = 0


def load_baseline(s: Session) -> Baseline:
    pairs = [PairRecord(r.client, r.server, r.protocol, r.first_seen, r.last_seen, r.requests, dict(r.functions or {}),
                        {k: [list(x) for x in v] for k, v in (r.writes or {}).items()})
             for r in s.scalars(select(BaselinePairRow).order_by(BaselinePairRow.id))]
    values = [ValueRange(r.server, r.unit, r.register, r.low, r.high, r.count, r.first_seen, r.last_seen)
              for r in s.scalars(select(BaselineValueRow).order_by(BaselineValueRow.id))]
    return Baseline(pairs, values)


def merge_baseline(s: Session, b: Baseline, now: float) -> BaselineChanges:
    ch = BaselineChanges()
    rows: dict[tuple[str, str, str], BaselinePairRow] = {}
    clients = sorted({p.client for p in b.pairs.values()})
    for i in range(0, len(clients), CHUNK):
        for r in s.scalars(select(BaselinePairRow).where(BaselinePairRow.client.in_(clients[i:i + CHUNK]))):
            rows[(r.client, r.server, r.protocol)] = r
    for p in b.pairs.values():
        k = (text(p.client, 64), text(p.server, 64), text(p.protocol, 64))
        row = rows.get(k)
        if row is None:
            rows[k] = BaselinePairRow(client=k[0], server=k[1], protocol=k[2], first_seen=p.first_seen,
                                      last_seen=p.last_seen, requests=p.requests,
                                      functions={text(f): n for f, n in p.functions.items()},
                                      writes={text(sp): [list(r) for r in rs] for sp, rs in p.writes.items()},
                                      updated_at=now)
            s.add(rows[k])
            ch.new_pairs += 1
            continue
        old = PairRecord(row.client, row.server, row.protocol, row.first_seen, row.last_seen, row.requests,
                         dict(row.functions or {}), {sp: [list(x) for x in rs] for sp, rs in (row.writes or {}).items()})
        grew = bool(set(p.functions) - set(old.functions))
        for sp, rs in p.writes.items():
            mine = [list(x) for x in old.writes.get(sp, [])]
            for lo, hi in rs:
                grew = add_range(mine, lo, hi) or grew
        old.merge(p)
        # new objects (not in-place changes) so that the JSON columns are written
        row.functions = {text(f): n for f, n in old.functions.items()}
        row.writes = {text(sp): [list(r) for r in rs] for sp, rs in old.writes.items()}
        row.first_seen, row.last_seen, row.requests, row.updated_at = old.first_seen, old.last_seen, old.requests, now
        ch.updated_pairs += grew
    vrows: dict[tuple[str, int, int], BaselineValueRow] = {}
    servers = sorted({v.server for v in b.values.values()})
    for i in range(0, len(servers), CHUNK):
        for vrow in s.scalars(select(BaselineValueRow).where(BaselineValueRow.server.in_(servers[i:i + CHUNK]))):
            vrows[(vrow.server, vrow.unit, vrow.register)] = vrow
    for (server, unit, reg), v in b.values.items():
        vk = (text(server, 64), unit, reg)
        vr = vrows.get(vk)
        if vr is None:
            vrows[vk] = vnew = BaselineValueRow(server=vk[0], unit=unit, register=reg, low=v.low, high=v.high,
                                              count=v.count, first_seen=v.first_seen, last_seen=v.last_seen,
                                              updated_at=now)
            s.add(vnew)
            ch.new_values += 1
            continue
        if v.low < vr.low or v.high > vr.high:
            ch.updated_values += 1
        vr.low, vr.high = min(vr.low, v.low), max(vr.high, v.high)
        vr.count += v.count
        vr.first_seen, vr.last_seen = min(vr.first_seen, v.first_seen), max(vr.last_seen, v.last_seen)
        vr.updated_at = now
    s.flush()
    return ch


def remove_from_baseline(s: Session, client: str | None = None, server: str | None = None,
                         protocol: str | None = None, function: str | None = None,
                         register: tuple[int, int] | None = None) -> int:
    """Remove the pairs matching every given filter (or, with ``function``, only that function from
    them; with ``register`` = (unit, register), that register's value range of ``server``). Returns how
    many pairs, functions or value ranges went."""
    if register is not None:
        q = delete(BaselineValueRow).where(BaselineValueRow.unit == register[0],
                                           BaselineValueRow.register == register[1])
        if server is not None:
            q = q.where(BaselineValueRow.server == server)
        return int(getattr(s.execute(q), "rowcount", 0) or 0)
    sel = select(BaselinePairRow)
    if client is not None:
        sel = sel.where(BaselinePairRow.client == client)
    if server is not None:
        sel = sel.where(BaselinePairRow.server == server)
    if protocol is not None:
        sel = sel.where(BaselinePairRow.protocol == protocol)
    n = 0
    for row in s.scalars(sel):
        if function is None:
            s.delete(row)
            n += 1
        elif function in (row.functions or {}):
            row.functions = {f: c for f, c in row.functions.items() if f != function}
            n += 1
    if function is None and client is None and protocol is None and server is not None:
        n += int(getattr(s.execute(delete(BaselineValueRow).where(BaselineValueRow.server == server)),
                         "rowcount", 0) or 0)
    s.flush()
    return n


def clear_baseline(s: Session) -> tuple[int, int]:
    pairs = s.execute(delete(BaselinePairRow))
    values = s.execute(delete(BaselineValueRow))
    return int(getattr(pairs, "rowcount", 0) or 0), int(getattr(values, "rowcount", 0) or 0)


# -- change windows ---------------------------------------------------------------------------------

def _window(r: ChangeWindowRow) -> ChangeWindow:
    return ChangeWindow(r.start, r.end, list(r.assets or ()), list(r.hosts or ()), r.person, r.note, r.id,
                        r.created_at)


def add_window(s: Session, w: ChangeWindow, now: float) -> ChangeWindow:
    row = ChangeWindowRow(start=w.start, end=w.end, assets=[text(a, 64) for a in w.assets],
                          hosts=[text(h, 64) for h in w.hosts],
                          person=text(w.person) if w.person else None, note=text(w.note) if w.note else None,
                          created_at=now)
    s.add(row)
    s.flush()
    return _window(row)


def load_windows(s: Session) -> list[ChangeWindow]:
    return [_window(r) for r in s.scalars(select(ChangeWindowRow).order_by(ChangeWindowRow.start, ChangeWindowRow.id))]


def delete_window(s: Session, window_id: int) -> ChangeWindow:
    row = s.get(ChangeWindowRow, window_id)
    if row is None:
        raise UnknownWindowError(f"no change window with id {window_id}")
    w = _window(row)
    s.delete(row)
    return w


__all__ = ["BaselineChanges", "UnknownWindowError", "add_window", "clear_baseline", "delete_window",
           "load_baseline", "load_windows", "merge_baseline", "remove_from_baseline"]
