"""``alert_hourly``, the per-hour alert counts the dashboard reads, is kept by the database itself: it
equals a count over ``alerts`` after every kind of change, on SQLite and PostgreSQL, and a database
migrated from before it is filled in (Alembic 0010)."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from sqlalchemy import delete, func, select, update

from plantwarden.demo import generate_demo_capture
from plantwarden.store.db import make_engine, upgrade
from plantwarden.store.ingest import ingest
from plantwarden.store.models import AlertHourlyRow, AlertRow
from plantwarden.store.service import Store


def _recount(store: Store) -> Counter[tuple[str, str, int]]:
    with store.read() as s:
        return Counter((sev, st, int(ts // 3600)) for sev, st, ts in
                       s.execute(select(AlertRow.severity, AlertRow.state, AlertRow.first_seen)))


def _kept(store: Store) -> Counter[tuple[str, str, int]]:
    with store.read() as s:
        return Counter({(sev, st, int(h)): int(n) for sev, st, h, n in
                        s.execute(select(AlertHourlyRow.severity, AlertHourlyRow.state, AlertHourlyRow.hour,
                                         AlertHourlyRow.n)) if n})


def test_counts_follow_every_change(target: str, tmp_path: Path) -> None:
    store = Store(target)
    try:
        ingest(store, generate_demo_capture(tmp_path / "a.pcap", seed=1))
        ingest(store, generate_demo_capture(tmp_path / "b.pcap", seed=2))  # merges into stored alerts
        assert sum(_kept(store).values()) > 0 and _kept(store) == _recount(store)
        ids = [a.id for a in store.alerts()]
        store.set_alert_states(ids[:3], "resolved")
        store.set_alert_state(ids[3], "suppressed", "lab")
        from plantwarden.baseline.windows import ChangeWindow

        store.approve_in_window(store.add_window(ChangeWindow(0.0, 4e9)))  # new change alerts -> approved
        assert _kept(store) == _recount(store)
        with store.transaction() as s:  # changes made behind the store's back count too
            s.execute(update(AlertRow).where(AlertRow.id == ids[5]).values(severity="critical", first_seen=0.0))
            s.execute(delete(AlertRow).where(AlertRow.id == ids[6]))
        assert _kept(store) == _recount(store)
        with store.read() as s:
            total = s.scalar(select(func.sum(AlertHourlyRow.n)))
        assert total == len(ids) - 1
    finally:
        store.close()


def test_a_database_from_before_is_filled_in(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    engine = make_engine(db)
    upgrade(engine, "0009")
    with engine.begin() as c:
        c.exec_driver_sql("INSERT INTO captures (id, sha256, name, size, packets, analyzed_at, stats) "
                          "VALUES (1, 'x', 'x', 1, 1, 0, '{}')")
        for i, (sev, st, ts) in enumerate([("high", "new", 7200.5), ("high", "new", 7300.0), ("low", "resolved", 10.0)]):
            c.exec_driver_sql(
                "INSERT INTO alerts (id, detection, technique, severity, title, key, first_seen, last_seen, count, "
                "state, evidence, capture_id, created_at, updated_at) "
                f"VALUES ({i + 1}, 'd', 'T0', '{sev}', 't', 'k{i}', {ts}, {ts}, 1, '{st}', '[]', 1, {time.time()}, 0)")
    engine.dispose()
    with Store(db) as store:
        assert _kept(store) == Counter({("high", "new", 2): 2, ("low", "resolved", 0): 1})
