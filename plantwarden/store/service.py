"""The store: what the sensor learned, across captures, in SQLite or PostgreSQL.

One writer (``Store.save``, serialised by a lock, one transaction per capture, batched statements);
reads use their own sessions. A capture is identified by the SHA-256 of its bytes: saving a capture
whose hash is already stored changes nothing (docs/inventory.md, "Store").
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import os
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from plantwarden.baseline.accept import delta_from_evidence
from plantwarden.baseline.model import Baseline
from plantwarden.baseline.windows import ChangeWindow
from plantwarden.core.alerts import RESOLVED, Alert
from plantwarden.detections.engine import WINDOW
from plantwarden.inventory.model import BEHAVIOURS, Asset, Communication, Fact, FunctionCount, Inventory
from plantwarden.iocs.matcher import IndicatorMatcher
from plantwarden.iocs.model import Indicator
from plantwarden.store.alerts import (
    AlertChanges,
    StoredAlert,
    UnknownAlertError,
    load_alerts,
    save_alerts,
    set_state,
)
from plantwarden.store.baseline import (
    BaselineChanges,
    add_window,
    clear_baseline,
    delete_window,
    load_baseline,
    load_windows,
    merge_baseline,
    remove_from_baseline,
)
from plantwarden.store.db import make_engine, upgrade
from plantwarden.store.indicators import IndicatorChanges, delete_indicator, load_indicators, save_indicators
from plantwarden.store.models import (
    AlertRow,
    AssetRow,
    CaptureRow,
    CommunicationRow,
    FactRow,
    FunctionRow,
    SecurityRow,
    WeirdRow,
)
from plantwarden.store.tags import Tag

CHUNK = 500
T = TypeVar("T")


def sha256_file(path: str | os.PathLike[str]) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


@dataclass(slots=True)
class CaptureInfo:
    name: str
    sha256: str
    size: int
    packets: int = 0
    first_ts: float | None = None
    last_ts: float | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    analyzed_at: float = 0.0


def _chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), CHUNK):
        yield items[i:i + CHUNK]


class Store:
    """Open (creating or migrating) the database at ``target``: a file path or a SQLAlchemy URL."""

    def __init__(self, target: str | os.PathLike[str], actor: str | None = None) -> None:
        self.engine = make_engine(target)
        upgrade(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_lock = threading.Lock()
        self.target = os.fspath(target)
        #: who the changes made through this store are by, in the audit log (docs/audit.md)
        self.actor = actor or f"cli:{_os_user()}"
        self._signer: Any = None

    def acting(self, actor: str) -> Store:
        """The same store (engine, writer lock, audit key) acting for ``actor``: the web service makes
        one per request so that the audit log names the signed-in user (docs/audit.md)."""
        other = copy.copy(self)
        other.actor = actor
        return other

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session, for services with queries of their own (the dashboard's pages)."""
        with self._sessions() as s:
            yield s

    def record(self, s: Session, action: str, obj: str, before: Any = None, after: Any = None) -> None:
        """Append an audit entry inside a transaction from :meth:`transaction`."""
        self._audit(s, action, obj, before, after)

    # -- the audit log (docs/audit.md) --------------------------------------------------------------

    def audit_key_path(self) -> Any:
        from plantwarden.audit.log import default_key_path

        return default_key_path(self.target)

    def _audit(self, s: Session, action: str, obj: str, before: Any = None, after: Any = None) -> None:
        """Append an audit entry in the caller's transaction (checkpoints signed with the store's key)."""
        from plantwarden.audit.log import append, load_or_create_key

        if self._signer is None:
            self._signer = load_or_create_key(self.audit_key_path())
        append(s, self.actor, action, obj, before, after, signer=self._signer)

    def audit_entries(self, since: float | None = None) -> list[Any]:
        from plantwarden.audit.log import entries

        with self._sessions() as s:
            return entries(s, since)

    def audit_checkpoint(self) -> int | None:
        """Sign the head of the audit log now (as at shutdown); its sequence number, None when empty."""
        from plantwarden.audit.log import checkpoint, load_or_create_key

        if self._signer is None:
            self._signer = load_or_create_key(self.audit_key_path())
        with self._write_lock, self._sessions.begin() as s:
            return checkpoint(s, self._signer)

    def audit_verify(self, public_key: Any) -> Any:
        from plantwarden.audit.log import verify

        with self._sessions() as s:
            return verify(s, public_key)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reads ------------------------------------------------------------------------------------

    def capture(self, sha256: str) -> CaptureInfo | None:
        with self._sessions() as s:
            row = s.scalars(select(CaptureRow).where(CaptureRow.sha256 == sha256)).first()
            return _capture_info(row) if row is not None else None

    def captures(self) -> list[CaptureInfo]:
        with self._sessions() as s:
            return [_capture_info(r) for r in s.scalars(select(CaptureRow).order_by(CaptureRow.id))]

    def assets(self) -> list[Asset]:
        with self._sessions() as s:
            names: dict[int, str] = {cid: name for cid, name in s.execute(select(CaptureRow.id, CaptureRow.name))}
            by_id: dict[int, Asset] = {}
            for row in s.scalars(select(AssetRow)):
                by_id[row.id] = _asset(row)
            for f in s.scalars(select(FactRow)):
                asset = by_id.get(f.asset_id)
                if asset is not None:
                    fact = Fact(f.name, f.value, f.protocol, f.confidence, names.get(f.capture_id, ""), f.frame,
                                f.event, f.first_seen, f.last_seen, f.count)
                    asset.facts[fact.key] = fact
            return list(by_id.values())

    def communications(self) -> list[Communication]:
        with self._sessions() as s:
            by_id = {row.id: _communication(row) for row in s.scalars(select(CommunicationRow))}
            for f in s.scalars(select(FunctionRow)):
                comm = by_id.get(f.communication_id)
                if comm is not None:
                    comm.functions[f.code] = FunctionCount(f.code, f.name, f.requests, f.responses, f.exceptions,
                                                           dict(f.activities or {}))
            for sec in s.scalars(select(SecurityRow)):
                comm = by_id.get(sec.communication_id)
                if comm is not None:
                    comm.security[(sec.name, sec.value)] = sec.count
            return list(by_id.values())

    def weird_counts(self, sha256: str | None = None) -> dict[tuple[str, str], int]:
        """(weird name, protocol) -> count, over all captures or one."""
        q = select(WeirdRow.name, WeirdRow.protocol, WeirdRow.count)
        if sha256 is not None:
            q = q.join(CaptureRow, CaptureRow.id == WeirdRow.capture_id).where(CaptureRow.sha256 == sha256)
        out: dict[tuple[str, str], int] = {}
        with self._sessions() as s:
            for name, proto, count in s.execute(q):
                out[(name, proto)] = out.get((name, proto), 0) + count
        return out

    def known_hosts(self) -> frozenset[str]:
        """The addresses of the stored assets (for the detections' context)."""
        with self._sessions() as s:
            return frozenset(s.scalars(select(AssetRow.ip)))

    def known_pairs(self) -> frozenset[tuple[str, str, str]]:
        """The stored (client, server, protocol) communications (for the detections' context)."""
        q = select(CommunicationRow.client, CommunicationRow.server, CommunicationRow.protocol)
        with self._sessions() as s:
            return frozenset((c, sv, p) for c, sv, p in s.execute(q))

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One write transaction under the store's single writer lock, for services that write through
        the store's helpers themselves (e.g. the zones check's violation alerts)."""
        with self._write_lock, self._sessions.begin() as s:
            yield s

    def alerts(self, state: str | None = None, detection: str | None = None) -> list[StoredAlert]:
        """The stored alerts, oldest traffic first, optionally only those in ``state`` / of ``detection``."""
        with self._sessions() as s:
            return load_alerts(s, state=state, detection=detection)

    def alert_counts(self) -> dict[str, int]:
        """state -> number of stored alerts in it."""
        from sqlalchemy import func

        with self._sessions() as s:
            return {st: n for st, n in s.execute(select(AlertRow.state, func.count()).group_by(AlertRow.state))}

    def alert(self, alert_id: int) -> StoredAlert:
        """One stored alert; raises ``UnknownAlertError`` when there is none with that id."""
        with self._sessions() as s:
            found = load_alerts(s, alert_id=alert_id)
        if not found:
            raise UnknownAlertError(f"no alert with id {alert_id}")
        return found[0]

    def set_alert_state(self, alert_id: int, state: str, reason: str | None = None,
                        at: float | None = None) -> StoredAlert:
        """Record a state change (with its wall time and reason) and return the alert as it is now.

        Raises ``UnknownAlertError`` for an unknown id, ``InvalidInput`` for an unknown state or a
        suppression without a reason.
        """
        before = self.alert(alert_id)
        with self._write_lock, self._sessions.begin() as s:
            set_state(s, alert_id, state, reason, time.time() if at is None else at)
            self._audit(s, "alert.state", f"alert {alert_id}", {"state": before.alert.state},
                        {"state": state, "reason": reason})
        return self.alert(alert_id)

    def set_alert_states(self, alert_ids: Iterable[int], state: str, reason: str | None = None) -> list[int]:
        """One state change for several alerts in one transaction (triage in bulk), one audit entry
        each; all or none. Returns the ids changed (in the order given, without repeats)."""
        ids = list(dict.fromkeys(int(i) for i in alert_ids))
        now = time.time()
        with self._write_lock, self._sessions.begin() as s:
            states: dict[int, str] = {}
            if ids:
                states = {i: st for i, st in s.execute(select(AlertRow.id, AlertRow.state).where(AlertRow.id.in_(ids)))}
            for alert_id in ids:
                if alert_id not in states:
                    raise UnknownAlertError(f"no alert with id {alert_id}")
                set_state(s, alert_id, state, reason, now)
                self._audit(s, "alert.state", f"alert {alert_id}", {"state": states[alert_id]},
                            {"state": state, "reason": reason})
        return ids

    # -- indicators of compromise (docs/iocs.md) ---------------------------------------------------

    def add_indicators(self, indicators: Iterable[Indicator], at: float | None = None) -> IndicatorChanges:
        """Insert or update indicators, keyed by (source, kind, value), in one transaction."""
        items = list(indicators)
        with self._write_lock, self._sessions.begin() as s:
            ch = save_indicators(s, items, time.time() if at is None else at)
            self._audit(s, "ioc.import", f"indicators from {sorted({i.source for i in items})}", None,
                        {"given": len(items), "added": ch.added, "updated": ch.updated})
            return ch

    def indicators(self, kind: str | None = None, source: str | None = None) -> list[Indicator]:
        """The stored indicators in the order they were added, optionally of one kind / source."""
        with self._sessions() as s:
            return load_indicators(s, kind=kind, source=source)

    def remove_indicator(self, indicator_id: int) -> Indicator:
        """Delete one indicator and return it; raises ``UnknownIndicatorError`` for an unknown id."""
        with self._write_lock, self._sessions.begin() as s:
            ind = delete_indicator(s, indicator_id)
            self._audit(s, "ioc.remove", f"indicator {indicator_id}",
                        {"kind": ind.kind, "value": ind.value, "source": ind.source}, None)
            return ind

    def indicator_matcher(self) -> IndicatorMatcher:
        """Every stored indicator in a matcher (for the detections' context)."""
        return IndicatorMatcher(self.indicators())

    # -- baseline and change windows (docs/baselines.md, docs/change-windows.md) ---------------------

    def baseline(self) -> Baseline:
        """The stored baseline (empty when nothing was learned)."""
        with self._sessions() as s:
            return load_baseline(s)

    def merge_baseline(self, learned: Baseline, at: float | None = None) -> BaselineChanges:
        """Add a learned baseline to the stored one, in one transaction."""
        with self._write_lock, self._sessions.begin() as s:
            ch = merge_baseline(s, learned, time.time() if at is None else at)
            self._audit(s, "baseline.merge", "baseline", None, dataclasses.asdict(ch))
            return ch

    def remove_from_baseline(self, client: str | None = None, server: str | None = None,
                             protocol: str | None = None, function: str | None = None,
                             register: tuple[int, int] | None = None) -> int:
        """Remove matching pairs (or one function of them, or one register's value range); how many went."""
        with self._write_lock, self._sessions.begin() as s:
            n = remove_from_baseline(s, client, server, protocol, function, register)
            self._audit(s, "baseline.remove", "baseline", {"client": client, "server": server, "protocol": protocol,
                                                           "function": function, "register": register},
                        {"removed": n})
            return n

    def clear_baseline(self) -> tuple[int, int]:
        """Forget the whole baseline: (pairs, value ranges) removed."""
        with self._write_lock, self._sessions.begin() as s:
            pairs, values = clear_baseline(s)
            self._audit(s, "baseline.clear", "baseline", {"pairs": pairs, "values": values}, None)
            return pairs, values

    def accept_alert(self, alert_id: int, at: float | None = None) -> tuple[StoredAlert, BaselineChanges]:
        """Add what deviation alert ``alert_id`` saw to the baseline and resolve it, in one transaction.

        Raises ``UnknownAlertError`` for an unknown id and ``InvalidInput`` for an alert that carries
        no deviation (docs/baselines.md, "Accepting a deviation").
        """
        from plantwarden.core.errors import InvalidInput

        now = time.time() if at is None else at
        with self._write_lock, self._sessions.begin() as s:
            found = load_alerts(s, alert_id=alert_id)
            if not found:
                raise UnknownAlertError(f"no alert with id {alert_id}")
            delta = delta_from_evidence(found[0].alert.evidence)
            if not delta.pairs and not delta.values:
                raise InvalidInput(f"alert {alert_id} ({found[0].alert.detection}) is not a baseline deviation")
            changes = merge_baseline(s, delta, now)
            set_state(s, alert_id, RESOLVED, "accepted into the baseline", now)
            self._audit(s, "alert.accept", f"alert {alert_id}", {"state": found[0].alert.state},
                        {"state": RESOLVED, "baseline": dataclasses.asdict(changes)})
        return self.alert(alert_id), changes

    def add_window(self, window: ChangeWindow, at: float | None = None) -> ChangeWindow:
        from plantwarden.baseline.windows import window_document

        with self._write_lock, self._sessions.begin() as s:
            w = add_window(s, window, time.time() if at is None else at)
            self._audit(s, "window.add", f"change window {w.id}", None, window_document(w))
            return w

    def approve_in_window(self, window: ChangeWindow, at: float | None = None) -> list[int]:
        """Approve the stored new alerts of change detections that ``window`` covers entirely (a window
        declared after the analysis); returns their ids."""
        from plantwarden.baseline.windows import CHANGE_DETECTIONS
        from plantwarden.core.alerts import APPROVED, NEW

        now = time.time() if at is None else at
        done: list[int] = []
        with self._write_lock, self._sessions.begin() as s:
            q = select(AlertRow).where(AlertRow.state == NEW, AlertRow.detection.in_(sorted(CHANGE_DETECTIONS)),
                                       AlertRow.first_seen >= window.start, AlertRow.last_seen <= window.end)
            for row in s.scalars(q):
                if window.covers(row.first_seen, row.src, row.dst) and window.covers(row.last_seen, row.src, row.dst):
                    done.append(row.id)
            for aid in done:
                set_state(s, aid, APPROVED, window.reason(), now)
        return done

    def windows(self) -> list[ChangeWindow]:
        """The declared change windows, by start time."""
        with self._sessions() as s:
            return load_windows(s)

    def remove_window(self, window_id: int) -> ChangeWindow:
        """Delete one change window; raises ``UnknownWindowError`` for an unknown id."""
        from plantwarden.baseline.windows import window_document

        with self._write_lock, self._sessions.begin() as s:
            w = delete_window(s, window_id)
            self._audit(s, "window.remove", f"change window {window_id}", window_document(w), None)
            return w

    def add_tags(self, tag: str, addresses: Iterable[str], note: str | None = None,
                 at: float | None = None) -> list[str]:
        """Put ``tag`` on IP addresses or MACs (docs/tags.md); returns those that did not have it.
        Raises ``InvalidInput`` for a bad tag or address."""
        from plantwarden.store.tags import add_tags

        with self._write_lock, self._sessions.begin() as s:
            added = add_tags(s, tag, addresses, note, time.time() if at is None else at)
            if added:
                self._audit(s, "tag.add", f"tag {tag}", None, {"addresses": added, "note": note})
            return added

    def remove_tags(self, tag: str, addresses: Iterable[str] = ()) -> list[str]:
        """Take ``tag`` off the addresses (off all when none is given); returns those it was on."""
        from plantwarden.store.tags import remove_tags

        with self._write_lock, self._sessions.begin() as s:
            gone = remove_tags(s, tag, addresses)
            self._audit(s, "tag.remove", f"tag {tag}", {"addresses": gone}, None)
            return gone

    def tags(self) -> list[Tag]:
        """Every tag on every address, by tag then address."""
        from plantwarden.store.tags import load_tags

        with self._sessions() as s:
            return load_tags(s)

    # -- advisories and findings (docs/vulns.md) ----------------------------------------------------

    def import_advisories(self, docs: Iterable[tuple[str, bytes]]) -> Any:
        """Store CSAF documents given as (source, bytes); see ``store.vulns.import_advisories``."""
        from plantwarden.store import vulns

        with self._write_lock, self._sessions.begin() as s:
            res = vulns.import_advisories(s, docs, time.time())
            if res.new or res.updated:
                self._audit(s, "advisory.import", f"{len(res.new) + len(res.updated)} advisories", None,
                            {"new": res.new[:1000], "updated": res.updated[:1000]})
            return res

    def advisory_ids(self) -> list[str]:
        from plantwarden.store.models import AdvisoryRow

        with self._sessions() as s:
            return sorted(s.scalars(select(AdvisoryRow.tracking_id)))

    def enter_asset(self, ip: str, vendor: str | None = None, model: str | None = None,
                    firmware: str | None = None, serial: str | None = None, note: str | None = None) -> bool:
        """Record the user's identity of an asset (matched like what the wire says, and first); True when
        the address was not in the inventory and was added."""
        from plantwarden.store import vulns

        values = {"vendor": vendor, "model": model, "firmware": firmware, "serial": serial, "note": note}
        with self._write_lock, self._sessions.begin() as s:
            created, before = vulns.enter_asset(s, ip, values, self.actor, time.time())
            self._audit(s, "asset.enter", f"asset {ip.strip()[:64]}", before,
                        {k: v for k, v in values.items() if v is not None})
            return created

    def import_kev(self, data: bytes, source: str) -> tuple[int, int]:
        """Import a known-exploited vulnerabilities list (CISA KEV JSON/CSV or CVE ids); re-prioritises."""
        from plantwarden.store import vulns

        rows = vulns.parse_kev(data, source)
        with self._write_lock, self._sessions.begin() as s:
            added, updated = vulns.import_kev(s, rows, source, time.time())
            vulns.reprioritise(s)
            self._audit(s, "kev.import", f"known exploited from {source[:200]}", None,
                        {"added": added, "updated": updated})
            return added, updated

    def match_advisories(self, model: Any = None) -> Any:
        """Match the stored advisories to the inventory and update the findings and their priorities
        (``model``: a zones model for exposure through conduits)."""
        from plantwarden.store import sbom, vulns

        with self._write_lock, self._sessions.begin() as s:
            res = vulns.match(s, time.time(), model)
            if res.new or res.fixed or res.reopened:
                self._audit(s, "vulns.match", "findings", None,
                            {"new": len(res.new), "fixed": len(res.fixed), "reopened": len(res.reopened)})
                statements = sbom._stored_statements(s)
                if statements and (res.new or res.reopened):  # the stored VEX decides new findings too
                    sbom._apply_to_findings(self, s, statements)
            return res

    def findings(self, status: str | None = None, asset: str | None = None) -> list[dict[str, Any]]:
        from plantwarden.store import vulns

        with self._sessions() as s:
            return vulns.load_findings(s, status, asset)

    def set_finding_status(self, finding_id: int, status: str, reason: str | None = None,
                           until: float | None = None) -> None:
        from plantwarden.store import vulns
        from plantwarden.store.models import FindingRow

        with self._write_lock, self._sessions.begin() as s:
            old = s.get(FindingRow, finding_id)
            before = {"status": old.status, "reason": old.status_reason} if old is not None else None
            vulns.set_status(s, finding_id, status, reason, until)
            self._audit(s, "finding.status", f"finding {finding_id}", before,
                        {"status": status, "reason": reason, "until": until})

    # -- suppliers (docs/suppliers.md) --------------------------------------------------------------

    def add_supplier(self, name: str, vendor: str | None = None, contact: str | None = None,
                     notes: str | None = None, remote_hosts: Iterable[str] = ()) -> None:
        from plantwarden.store import suppliers

        with self._write_lock, self._sessions.begin() as s:
            row = suppliers.add(s, name, vendor, contact, notes, list(remote_hosts), time.time())
            self._audit(s, "supplier.add", f"supplier {row.name}", None,
                        {"vendor_key": row.vendor_key, "remote_hosts": row.remote_hosts})

    def update_supplier(self, name: str, contact: str | None = None, notes: str | None = None,
                        remote_hosts: Iterable[str] | None = None) -> None:
        from plantwarden.store import suppliers

        with self._write_lock, self._sessions.begin() as s:
            row = suppliers.update(s, name, contact, notes, None if remote_hosts is None else list(remote_hosts),
                                   time.time())
            self._audit(s, "supplier.update", f"supplier {name}", None,
                        {"contact": row.contact, "remote_hosts": row.remote_hosts})

    def seed_suppliers(self) -> list[str]:
        from plantwarden.store import suppliers

        with self._write_lock, self._sessions.begin() as s:
            added = suppliers.seed(s, time.time())
            if added:
                self._audit(s, "supplier.seed", "suppliers", None, {"added": added})
            return added

    def save_questionnaire(self, doc: Any) -> Any:
        from plantwarden.store import suppliers

        with self._write_lock, self._sessions.begin() as s:
            q = suppliers.save_questionnaire(s, doc, time.time())
            self._audit(s, "questionnaire.save", f"questionnaire {q.name}", None, {"questions": len(q.questions)})
            return q

    def questionnaire(self, name: str = "default") -> Any:
        from plantwarden.store import suppliers

        with self._sessions() as s:
            return suppliers.questionnaire(s, name)

    def assess_supplier(self, name: str, answers: dict[str, Any], questionnaire: str = "default",
                        assessor: str | None = None) -> Any:
        from plantwarden.store import suppliers

        with self._write_lock, self._sessions.begin() as s:
            row = suppliers.assess(s, name, questionnaire, answers, assessor, time.time())
            self._audit(s, "supplier.assess", f"supplier {name}", None,
                        {"questionnaire": row.questionnaire, "score": row.score, "risk": row.risk})
            return row.score, row.risk, row.next_review

    def add_clause(self, name: str, clause: str, due: float) -> int:
        from plantwarden.store import suppliers

        with self._write_lock, self._sessions.begin() as s:
            row = suppliers.add_clause(s, name, clause, due, time.time())
            self._audit(s, "supplier.clause", f"supplier {name}", None, {"clause": row.clause[:200], "due": due})
            return row.id

    def clause_done(self, clause_id: int, note: str | None = None) -> None:
        from plantwarden.store import suppliers

        with self._write_lock, self._sessions.begin() as s:
            suppliers.clause_done(s, clause_id, note, time.time())
            self._audit(s, "supplier.clause_done", f"clause {clause_id}", {"done": False}, {"done": True, "note": note})

    def supplier_report(self, check: bool = False) -> tuple[list[Any], Any]:
        """The suppliers' report (assessment, clauses, remote sessions); with ``check``, alerts for the
        remote sessions outside approved windows are stored too."""
        from plantwarden.store import suppliers

        now = time.time()
        with self._write_lock, self._sessions.begin() as s:
            changes = suppliers.session_alerts(s, now) if check else None
            if changes is not None and changes.new_ids:
                self._audit(s, "supplier.check", "suppliers", None, {"alerts": changes.new_ids})
            return suppliers.report(s, now), changes

    # -- accounts and API tokens (docs/accounts.md) ------------------------------------------------

    def add_user(self, username: str, role: str, password: str) -> Any:
        from plantwarden.auth import accounts

        with self._write_lock, self._sessions.begin() as s:
            u = accounts.add_user(s, username, role, password, time.time())
            self._audit(s, "user.add", f"user {username}", None, {"role": role})
            return u

    def set_user_role(self, username: str, role: str) -> Any:
        from plantwarden.auth import accounts

        with self._write_lock, self._sessions.begin() as s:
            u, before = accounts.set_role(s, username, role, time.time())
            self._audit(s, "user.role", f"user {username}", {"role": before}, {"role": role})
            return u

    def set_user_password(self, username: str, password: str) -> Any:
        from plantwarden.auth import accounts

        with self._write_lock, self._sessions.begin() as s:
            u = accounts.set_password(s, username, password, time.time())
            self._audit(s, "user.password", f"user {username}", None, {"password": "changed"})
            return u

    def set_user_disabled(self, username: str, disabled: bool) -> Any:
        from plantwarden.auth import accounts

        with self._write_lock, self._sessions.begin() as s:
            u = accounts.set_disabled(s, username, disabled, time.time())
            self._audit(s, "user.disable" if disabled else "user.enable", f"user {username}",
                        {"disabled": not disabled}, {"disabled": disabled})
            return u

    def users(self) -> list[Any]:
        from plantwarden.auth import accounts

        with self._sessions() as s:
            return accounts.list_users(s)

    def authenticate(self, username: str, password: str) -> Any:
        """The user, or None; every attempt is in the audit log (the name as typed, never the password)."""
        from plantwarden.auth import accounts

        with self._write_lock, self._sessions.begin() as s:
            u = accounts.authenticate(s, username, password, time.time())
            self._audit(s, "user.login" if u is not None else "user.login_failed", f"user {username[:128]}")
            return u

    def create_token(self, username: str, name: str) -> tuple[int, str]:
        """A new API token: (id, secret). The secret is shown once and stored only as its SHA-256."""
        from plantwarden.auth import accounts

        with self._write_lock, self._sessions.begin() as s:
            tid, secret = accounts.create_token(s, username, name, time.time())
            self._audit(s, "token.create", f"token {tid}", None, {"user": username, "name": name})
            return tid, secret

    def token_user(self, secret: str) -> Any:
        from plantwarden.auth import accounts

        with self._write_lock, self._sessions.begin() as s:
            return accounts.token_user(s, secret, time.time())

    def revoke_token(self, token_id: int) -> None:
        from plantwarden.auth import accounts

        with self._write_lock, self._sessions.begin() as s:
            tid, name = accounts.revoke_token(s, token_id)
            self._audit(s, "token.revoke", f"token {tid}", {"name": name, "revoked": False}, {"revoked": True})

    # -- the one writer ---------------------------------------------------------------------------

    def save(self, info: CaptureInfo, inv: Inventory, alerts: Iterable[Alert] = (), window: float = WINDOW,
             approvals: Mapping[int, str] | None = None) -> bool:
        """Merge one capture's inventory (and alerts) into the store, in one transaction.

        Returns False (and changes nothing) when a capture with the same SHA-256 is already stored.
        Every fact of ``inv`` is recorded as coming from this capture.
        """
        return self.save_analysis(info, inv, alerts, window, approvals) is not None

    def save_analysis(self, info: CaptureInfo, inv: Inventory, alerts: Iterable[Alert] = (),
                      window: float = WINDOW, approvals: Mapping[int, str] | None = None,
                      learned: Baseline | None = None) -> AlertChanges | None:
        """As :meth:`save`, returning what happened to the alerts, or None when the capture was known.

        Alerts are deduplicated against the stored ones within ``window`` seconds of traffic time
        (docs/alerts.md, "Dedup"). ``approvals`` (``id(alert)`` -> reason) marks the approved changes
        (docs/change-windows.md); when it is None the stored change windows are applied here.
        ``learned`` is merged into the stored baseline in the same transaction.
        """
        with self._write_lock:
            try:
                with self._sessions.begin() as s:
                    if s.scalars(select(CaptureRow.id).where(CaptureRow.sha256 == info.sha256)).first():
                        return None
                    cap = CaptureRow(sha256=info.sha256, name=info.name, size=info.size, packets=info.packets,
                                     first_ts=info.first_ts, last_ts=info.last_ts,
                                     analyzed_at=info.analyzed_at or time.time(), stats=dict(info.stats))
                    s.add(cap)
                    s.flush()
                    self._save_assets(s, cap.id, inv.assets.values())
                    self._save_communications(s, inv.communications.values())
                    s.add_all(WeirdRow(capture_id=cap.id, name=name[:128], protocol=proto[:64], count=n)
                              for (name, proto), n in inv.weirds.items())
                    if approvals is None:  # callers that did not apply the change windows (watch)
                        alerts, approvals = approve_alerts(alerts, load_windows(s))
                    changes = save_alerts(s, cap.id, alerts, window, cap.analyzed_at, approvals)
                    if learned is not None:
                        merge_baseline(s, learned, cap.analyzed_at)
                    self._audit(s, "capture.analyze", f"capture {info.sha256}",
                                None, {"name": info.name, "packets": info.packets, "assets": len(inv.assets),
                                       "communications": len(inv.communications),
                                       "alerts": {"new": len(changes.new_ids), "merged": len(changes.updated_ids),
                                                  "approved": len(changes.approved_ids)},
                                       "learned": learned is not None})
            except IntegrityError:
                # another writer stored the same capture at the same time
                if self.capture(info.sha256) is not None:
                    return None
                raise
        return changes

    def _save_assets(self, s: Session, capture_id: int, assets: Iterable[Asset]) -> None:
        todo = {a.ip: a for a in assets}
        rows: dict[str, AssetRow] = {}
        ips = list(todo)
        for ip_chunk in _chunks(ips):
            for found in s.scalars(select(AssetRow).where(AssetRow.ip.in_(ip_chunk))):
                rows[found.ip] = found
        merged: dict[str, Asset] = {}
        for ip, new in todo.items():
            row = rows.get(ip)
            if row is None:
                merged[ip] = new
                rows[ip] = row = AssetRow(ip=ip)
                s.add(row)
            else:
                old = _asset(row)
                _merge_asset(old, new)
                merged[ip] = old
            _fill_asset(row, merged[ip])
        s.flush()
        id_by_ip = {ip: row.id for ip, row in rows.items()}
        existing: dict[tuple[int, str, str, str], FactRow] = {}
        ids = [id_by_ip[ip] for ip, a in todo.items() if a.facts]
        for chunk in _chunks(ids):
            for f in s.scalars(select(FactRow).where(FactRow.asset_id.in_(chunk))):
                existing[(f.asset_id, f.name, f.value, f.protocol)] = f
        for ip, a in todo.items():
            aid = id_by_ip[ip]
            for fact in a.facts.values():
                name, value, proto = fact.name[:64], fact.value[:512], fact.protocol[:64]
                row_f = existing.get((aid, name, value, proto))
                if row_f is None:
                    row_f = FactRow(asset_id=aid, name=name, value=value, protocol=proto,
                                    confidence=fact.confidence, capture_id=capture_id, frame=fact.frame,
                                    event=fact.event[:128], first_seen=fact.first_seen, last_seen=fact.last_seen,
                                    count=fact.count)
                    existing[(aid, name, value, proto)] = row_f
                    s.add(row_f)
                    continue
                row_f.count += fact.count
                row_f.confidence = max(row_f.confidence, fact.confidence)
                if fact.first_seen < row_f.first_seen:
                    row_f.first_seen, row_f.capture_id, row_f.frame, row_f.event = (
                        fact.first_seen, capture_id, fact.frame, fact.event[:128])
                row_f.last_seen = max(row_f.last_seen, fact.last_seen)

    def _save_communications(self, s: Session, comms: Iterable[Communication]) -> None:
        todo = {c.key: c for c in comms}
        rows: dict[tuple[str, str, str], CommunicationRow] = {}
        clients = sorted({k[0] for k in todo})
        for client_chunk in _chunks(clients):
            for found in s.scalars(select(CommunicationRow).where(CommunicationRow.client.in_(client_chunk))):
                key = (found.client, found.server, found.protocol)
                if key in todo:
                    rows[key] = found
        for key, c in todo.items():
            row = rows.get(key)
            if row is None:
                rows[key] = row = CommunicationRow(
                    client=c.client, server=c.server, protocol=c.protocol[:64], transport=c.transport,
                    server_ports=sorted(c.server_ports), flows=c.flows, client_packets=c.client_packets,
                    server_packets=c.server_packets, client_bytes=c.client_bytes, server_bytes=c.server_bytes,
                    first_seen=c.first_seen, last_seen=c.last_seen)
                s.add(row)
                continue
            row.server_ports = sorted(set(row.server_ports) | c.server_ports)
            row.flows += c.flows
            row.client_packets += c.client_packets
            row.server_packets += c.server_packets
            row.client_bytes += c.client_bytes
            row.server_bytes += c.server_bytes
            row.first_seen = min(row.first_seen, c.first_seen)
            row.last_seen = max(row.last_seen, c.last_seen)
        s.flush()
        ids = [rows[k].id for k, c in todo.items() if c.functions]
        existing: dict[tuple[int, str], FunctionRow] = {}
        for chunk in _chunks(ids):
            for f in s.scalars(select(FunctionRow).where(FunctionRow.communication_id.in_(chunk))):
                existing[(f.communication_id, f.code)] = f
        for key, c in todo.items():
            cid = rows[key].id
            for fc in c.functions.values():
                code = fc.code[:64]
                frow = existing.get((cid, code))
                if frow is None:
                    s.add(FunctionRow(communication_id=cid, code=code, name=fc.name[:128], requests=fc.requests,
                                      responses=fc.responses, exceptions=fc.exceptions,
                                      activities=dict(fc.activities)))
                else:
                    frow.requests += fc.requests
                    frow.responses += fc.responses
                    frow.exceptions += fc.exceptions
                    if fc.activities:
                        merged = dict(frow.activities or {})
                        for act, n in fc.activities.items():
                            merged[act] = merged.get(act, 0) + n
                        frow.activities = merged  # a new object: SQLAlchemy sees the change
        sec_ids = [rows[k].id for k, c in todo.items() if c.security]
        known: dict[tuple[int, str, str], SecurityRow] = {}
        for chunk in _chunks(sec_ids):
            for r in s.scalars(select(SecurityRow).where(SecurityRow.communication_id.in_(chunk))):
                known[(r.communication_id, r.name, r.value)] = r
        for key, c in todo.items():
            cid = rows[key].id
            for (name, value), count in c.security.items():
                k = (cid, name[:64], value[:256])
                srow = known.get(k)
                if srow is None:
                    known[k] = srow = SecurityRow(communication_id=cid, name=k[1], value=k[2], count=0)
                    s.add(srow)
                srow.count += count


def _os_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no user name in this environment (a container without passwd entry)
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


def approve_alerts(alerts: Iterable[Alert], windows: Sequence[ChangeWindow]) -> tuple[list[Alert], dict[int, str]]:
    """The alerts with the change windows applied (docs/change-windows.md), and their approvals."""
    from plantwarden.baseline.windows import APPROVED, apply_windows

    out: list[Alert] = []
    approvals: dict[int, str] = {}
    for a, win in apply_windows(alerts, windows):
        out.append(a)
        if win is not None:
            a.state = APPROVED
            approvals[id(a)] = win.reason()
    return out, approvals


# -- row <-> model --------------------------------------------------------------------------------

def _capture_info(row: CaptureRow) -> CaptureInfo:
    return CaptureInfo(row.name, row.sha256, row.size, row.packets, row.first_ts, row.last_ts, dict(row.stats),
                       row.analyzed_at)


def _asset(row: AssetRow) -> Asset:
    a = Asset(row.ip, row.first_seen, row.last_seen)
    a.macs = dict(row.macs or {})
    for b in BEHAVIOURS:
        a.behaviour[b] = getattr(row, b) or 0
    a.protocols = set(row.protocols or ())
    return a


def _merge_asset(old: Asset, new: Asset) -> None:
    old.seen(new.first_seen, new.last_seen)
    for mac, n in new.macs.items():
        old.macs[mac] = old.macs.get(mac, 0) + n
    for b in BEHAVIOURS:
        old.behaviour[b] = old.behaviour.get(b, 0) + new.behaviour.get(b, 0)
    old.protocols |= new.protocols


def _fill_asset(row: AssetRow, a: Asset) -> None:
    row.first_seen, row.last_seen = a.first_seen, a.last_seen
    row.macs = dict(a.macs)
    row.protocols = sorted(a.protocols)
    for b in BEHAVIOURS:
        setattr(row, b, a.behaviour.get(b, 0))
    row.mac = a.mac
    row.vendor = a.vendor
    row.role = a.role
    row.purdue_level = a.purdue_level


def _communication(row: CommunicationRow) -> Communication:
    return Communication(row.client, row.server, row.protocol, row.transport, row.first_seen, row.last_seen,
                         set(row.server_ports or ()), row.flows, row.client_packets, row.server_packets,
                         row.client_bytes, row.server_bytes)
