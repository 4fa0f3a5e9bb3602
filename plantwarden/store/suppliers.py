"""Suppliers in the store (docs/suppliers.md). The functions run inside the caller's transaction."""

from __future__ import annotations

import ipaddress
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantwarden.core.errors import Conflict, InvalidInput, NotFound
from plantwarden.store.models import (
    AssetRow,
    ChangeWindowRow,
    CommunicationRow,
    FactRow,
    QuestionnaireRow,
    SupplierAssessmentRow,
    SupplierClauseRow,
    SupplierRow,
)
from plantwarden.suppliers.questionnaire import DEFAULT, REVIEW_DAYS, Questionnaire, questionnaire_from, score

#: protocols of remote access: the decoders' names and, for tools no decoder reads, their server ports
REMOTE_PROTOCOLS: Final = {"rdp": "RDP", "vnc": "VNC", "ssh": "SSH", "telnet": "Telnet",
                           "tcp/5938": "TeamViewer", "udp/5938": "TeamViewer", "tcp/7070": "AnyDesk",
                           "tcp/6568": "AnyDesk", "udp/1194": "OpenVPN", "tcp/1194": "OpenVPN",
                           "udp/500": "IPsec IKE", "udp/4500": "IPsec NAT-T", "udp/51820": "WireGuard",
                           "tcp/1723": "PPTP", "tcp/3389": "RDP", "tcp/5900": "VNC", "tcp/22": "SSH"}
DAY: Final = 86400.0


def _supplier(s: Session, name: str) -> SupplierRow:
    row = s.scalars(select(SupplierRow).where(SupplierRow.name == name)).first()
    if row is None:
        raise NotFound(f"no supplier {name!r} (plantwarden suppliers list)")
    return row


def _networks(hosts: list[str]) -> list[str]:
    out = []
    for h in hosts:
        try:
            out.append(str(ipaddress.ip_network(h.strip(), strict=False)))
        except ValueError:
            raise InvalidInput(f"not an address or network: {h[:64]!r}") from None
    return sorted(set(out))


def add(s: Session, name: str, vendor: str | None, contact: str | None, notes: str | None,
        remote_hosts: list[str], now: float) -> SupplierRow:
    from plantwarden.vulns.names import vendor_key

    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInput("a supplier's name has 1 to 200 characters")
    if s.scalars(select(SupplierRow.id).where(SupplierRow.name == name)).first() is not None:
        raise Conflict(f"supplier {name!r} exists")
    row = SupplierRow(name=name, vendor_key=vendor_key(vendor or name) or None, contact=contact, notes=notes,
                      remote_hosts=_networks(remote_hosts), created_at=now, updated_at=now)
    s.add(row)
    s.flush()
    return row


def update(s: Session, name: str, contact: str | None, notes: str | None, remote_hosts: list[str] | None,
           now: float) -> SupplierRow:
    row = _supplier(s, name)
    if contact is not None:
        row.contact = contact
    if notes is not None:
        row.notes = notes
    if remote_hosts is not None:
        row.remote_hosts = _networks(remote_hosts)
    row.updated_at = now
    return row


def seed(s: Session, now: float) -> list[str]:
    """A supplier for every vendor of the inventory that has none yet (by vendor key), named as the
    devices most often name it; returns the names added."""
    from plantwarden.vulns.names import vendor_key

    seen: dict[str, Counter[str]] = {}
    for value in s.scalars(select(FactRow.value).where(FactRow.name.in_(("vendor", "vendor_name")))):
        k = vendor_key(value)
        if k:
            seen.setdefault(k, Counter())[value.strip()] += 2  # what a device says beats its MAC registrant
    for mac_vendor in s.scalars(select(AssetRow.vendor).where(AssetRow.vendor.is_not(None))):
        k = vendor_key(mac_vendor or "")
        if k:
            seen.setdefault(k, Counter())[(mac_vendor or "").strip()] += 1
    have = {k for k in s.scalars(select(SupplierRow.vendor_key)) if k}
    names = set(s.scalars(select(SupplierRow.name)))
    added = []
    for k, counts in sorted(seen.items()):
        if k in have:
            continue
        name = counts.most_common(1)[0][0][:200]
        if name in names:
            continue
        s.add(SupplierRow(name=name, vendor_key=k, contact=None, notes="from the inventory", remote_hosts=[],
                          created_at=now, updated_at=now))
        added.append(name)
        names.add(name)
    s.flush()
    return added


def questionnaire(s: Session, name: str) -> Questionnaire:
    if name == DEFAULT.name and s.get(QuestionnaireRow, name) is None:
        return DEFAULT
    row = s.get(QuestionnaireRow, name)
    if row is None:
        raise NotFound(f"no questionnaire {name!r}")
    return questionnaire_from(row.document)


def save_questionnaire(s: Session, doc: Any, now: float) -> Questionnaire:
    q = questionnaire_from(doc)
    row = s.get(QuestionnaireRow, q.name)
    if row is None:
        s.add(QuestionnaireRow(name=q.name, document=q.document(), updated_at=now))
    else:
        row.document, row.updated_at = q.document(), now
    return q


def assess(s: Session, name: str, qname: str, answers: dict[str, Any], assessor: str | None,
           now: float) -> SupplierAssessmentRow:
    sup = _supplier(s, name)
    q = questionnaire(s, qname)
    sc = score(q, answers)
    row = SupplierAssessmentRow(supplier_id=sup.id, questionnaire=q.name,
                                answers={k: str(v).strip().lower() for k, v in answers.items()}, score=sc.score,
                                risk=sc.risk, assessor=assessor, assessed_at=now,
                                next_review=now + REVIEW_DAYS[sc.risk] * DAY)
    s.add(row)
    s.flush()
    return row


def add_clause(s: Session, name: str, clause: str, due: float, now: float) -> SupplierClauseRow:
    sup = _supplier(s, name)
    if not clause.strip():
        raise InvalidInput("the clause's text is empty")
    row = SupplierClauseRow(supplier_id=sup.id, clause=clause.strip()[:4000], due=due, done_at=None, note=None,
                            created_at=now)
    s.add(row)
    s.flush()
    return row


def clause_done(s: Session, clause_id: int, note: str | None, now: float) -> SupplierClauseRow:
    row = s.get(SupplierClauseRow, clause_id)
    if row is None:
        raise NotFound(f"no contract clause with id {clause_id}")
    row.done_at, row.note = now, note
    return row


# -- remote access and the report -----------------------------------------------------------------

@dataclass(slots=True)
class Session_:
    client: str
    server: str
    protocol: str
    tool: str
    first_seen: float
    last_seen: float
    flows: int
    supplier: str | None
    approved_by: int | None  # the change window that covers it


def remote_sessions(s: Session) -> list[Session_]:
    """Remote-access communications (docs/suppliers.md), each with the supplier whose remote hosts it
    comes from and the change window that covers it, if any."""
    sups = [(r.name, [ipaddress.ip_network(n) for n in r.remote_hosts]) for r in s.scalars(select(SupplierRow))]
    windows = list(s.scalars(select(ChangeWindowRow)))
    out = []
    q = select(CommunicationRow).where(CommunicationRow.protocol.in_(tuple(REMOTE_PROTOCOLS)))
    for c in s.scalars(q.order_by(CommunicationRow.first_seen)):
        try:
            addr = ipaddress.ip_address(c.client)
        except ValueError:
            continue
        who = next((n for n, nets in sups if any(addr in net for net in nets)), None)
        covering = None
        for w in windows:
            ends = {c.client, c.server}
            if w.start <= c.first_seen and c.last_seen <= w.end \
                    and (not w.assets or ends & set(w.assets)) and (not w.hosts or ends & set(w.hosts)):
                covering = w.id
                break
        out.append(Session_(c.client, c.server, c.protocol, REMOTE_PROTOCOLS[c.protocol], c.first_seen,
                            c.last_seen, c.flows, who, covering))
    return out


@dataclass(slots=True)
class SupplierReport:
    name: str
    vendor_key: str | None
    contact: str | None
    remote_hosts: list[str]
    assets: int
    score: float | None = None
    risk: str | None = None
    assessed_at: float | None = None
    next_review: float | None = None
    review_overdue: bool = False
    clauses: list[dict[str, Any]] = field(default_factory=list)
    overdue_clauses: int = 0
    sessions: list[dict[str, Any]] = field(default_factory=list)
    sessions_outside_windows: int = 0

    def document(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


def report(s: Session, now: float) -> list[SupplierReport]:
    from plantwarden.store.vulns import devices

    asset_count: Counter[str] = Counter()
    for d in devices(s):
        for k in d.vendors:
            asset_count[k] += 1
    sessions = remote_sessions(s)
    out = []
    for sup in s.scalars(select(SupplierRow).order_by(SupplierRow.name)):
        r = SupplierReport(sup.name, sup.vendor_key, sup.contact, list(sup.remote_hosts),
                           asset_count.get(sup.vendor_key or "", 0))
        last = s.scalars(select(SupplierAssessmentRow).where(SupplierAssessmentRow.supplier_id == sup.id)
                         .order_by(SupplierAssessmentRow.assessed_at.desc(), SupplierAssessmentRow.id.desc())).first()
        if last is not None:
            r.score, r.risk, r.assessed_at, r.next_review = last.score, last.risk, last.assessed_at, last.next_review
            r.review_overdue = last.next_review < now
        for c in s.scalars(select(SupplierClauseRow).where(SupplierClauseRow.supplier_id == sup.id)
                           .order_by(SupplierClauseRow.due)):
            overdue = c.done_at is None and c.due < now
            r.clauses.append({"id": c.id, "clause": c.clause, "due": c.due, "done_at": c.done_at, "note": c.note,
                              "overdue": overdue})
            r.overdue_clauses += overdue
        for x in sessions:
            if x.supplier == sup.name:
                r.sessions.append({"client": x.client, "server": x.server, "protocol": x.protocol, "tool": x.tool,
                                   "first_seen": x.first_seen, "last_seen": x.last_seen, "flows": x.flows,
                                   "window": x.approved_by})
                r.sessions_outside_windows += x.approved_by is None
        out.append(r)
    return out


DETECTION: Final = "supply.remote_access_outside_window"
TECHNIQUE: Final = "T0822"  # ATT&CK for ICS: External Remote Services


def session_alerts(s: Session, now: float) -> Any:
    """Alerts for suppliers' remote sessions that no change window covers (one per client, server and
    protocol; a session already alerted up to its last packet is not alerted again)."""
    from sqlalchemy import func

    from plantwarden.core.alerts import Alert
    from plantwarden.detections.engine import WINDOW
    from plantwarden.store.alerts import AlertChanges, load_alerts, save_alerts
    from plantwarden.store.models import CaptureRow

    capture_id = s.scalar(select(func.max(CaptureRow.id)))
    if capture_id is None:
        return AlertChanges()
    stored: dict[str, float] = {}
    for st in load_alerts(s, detection=DETECTION):
        stored[st.alert.key] = max(stored.get(st.alert.key, 0.0), st.alert.last_seen)
    todo = []
    for x in remote_sessions(s):
        if x.supplier is None or x.approved_by is not None:
            continue
        key = f"{x.supplier}:{x.client}->{x.server}/{x.protocol}"
        if stored.get(key, -1.0) >= x.last_seen:
            continue
        title = (f"Remote access by supplier {x.supplier} outside any approved window: {x.client} -> {x.server} "
                 f"{x.tool} ({x.protocol})")
        ev = {"ts": x.first_seen, "supplier": x.supplier, "client": x.client, "server": x.server,
              "protocol": x.protocol, "tool": x.tool, "first_seen": x.first_seen, "last_seen": x.last_seen,
              "flows": x.flows}
        todo.append(Alert(DETECTION, TECHNIQUE, "high", title, key, x.client, x.server, x.first_seen, x.last_seen,
                          x.flows, evidence=[ev]))
    return save_alerts(s, capture_id, todo, WINDOW, now)
