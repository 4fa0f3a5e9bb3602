"""The dashboard's reads: paged, filtered and counted in SQL so that pages stay fast with 10,000
assets and a million alerts (docs/web.md, "Performance"). Values read off the wire come back as they
are; the templates and exports escape them."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from sqlalchemy import Select, and_, func, literal, or_, select, text, union
from sqlalchemy.orm import Session

from plantwarden.core.alerts import ACKNOWLEDGED, NEW, STATES
from plantwarden.store.models import (
    AlertHourlyRow,
    AlertRow,
    AssetRow,
    AssetTagRow,
    CaptureJobRow,
    CaptureRow,
    CommunicationRow,
    FactRow,
    FunctionRow,
    SecurityRow,
)

T = TypeVar("T")
OPEN = (NEW, ACKNOWLEDGED)
SEVERITIES = ("critical", "high", "medium", "low")
MAX_PER_PAGE = 500
#: the network map shows every asset up to this many; beyond, the busiest ones (docs/web.md)
MAP_LIMIT = 1000

#: identity summary columns: fact names in order of preference
NAME_FACTS = ("plc_name", "module_name", "device_name", "object_name", "hostname", "name", "product_name",
              "user_application_name")
MODEL_FACTS = ("model", "module_type", "product_name", "order_number", "product_code", "model_name")
FIRMWARE_FACTS = ("firmware", "firmware_version", "revision", "application_software_version", "hardware")
SERIAL_FACTS = ("serial_number", "serial")
VENDOR_FACTS = ("vendor", "vendor_name")


def like(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, with its own wildcards taken literally (escape '\\')."""
    t = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{t}%"


@dataclass(frozen=True, slots=True)
class Page:
    items: list[dict[str, Any]]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    def document(self) -> dict[str, Any]:
        return {"items": self.items, "total": self.total, "page": self.page, "per_page": self.per_page,
                "pages": self.pages}


class DataCache:
    """Results of the dashboard's heavier reads (overview, plots, map), kept until the data changes.

    The data's version is read from indexes in a few microseconds: the newest alert change
    (``alerts.updated_at``, which every insert, merge and state change sets), the newest alert and
    capture, and the tags; anything older than ``ttl`` seconds is computed again anyway.
    """

    def __init__(self, ttl: float = 300.0, size: int = 64) -> None:
        self.ttl, self.size = ttl, size
        self._items: dict[Any, tuple[Any, float, Any]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def version(s: Session, triage: bool = True) -> tuple[Any, ...]:
        """The data's version; without ``triage``, one that alert state changes leave alone (inserts
        and merges come with a capture, so the newest alert and capture still tell them)."""
        row = s.execute(select(
            select(func.max(AlertRow.updated_at)).scalar_subquery() if triage else literal(0),
            select(func.max(AlertRow.id)).scalar_subquery(),
            select(func.max(CaptureRow.id)).scalar_subquery(),
            select(func.max(CaptureRow.analyzed_at)).scalar_subquery(),
            select(func.count()).select_from(AssetTagRow).scalar_subquery(),
            select(func.max(AssetTagRow.id)).scalar_subquery(),
            select(func.count()).select_from(AssetRow).scalar_subquery(),
        )).one()
        return tuple(row)

    def get(self, s: Session, key: Any, compute: Callable[[], T], triage: bool = True) -> T:
        """``compute()``, or its result from before when the data has not changed since; with
        ``triage=False`` alert state changes do not count as changes."""
        version = self.version(s, triage)
        now = time.monotonic()
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and hit[0] == version and now - hit[1] < self.ttl:
                return cast(T, hit[2])
        value = compute()
        with self._lock:
            if len(self._items) >= self.size:
                self._items.pop(next(iter(self._items)))
            self._items[key] = (version, now, value)
        return value


def _page(q: Select[Any], s: Session, page: int, per_page: int) -> tuple[list[Any], int, int, int]:
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, page)
    total = s.scalar(select(func.count()).select_from(q.order_by(None).subquery())) or 0
    rows = list(s.execute(q.limit(per_page).offset((page - 1) * per_page)))
    return rows, int(total), page, per_page


# -- overview -------------------------------------------------------------------------------------

def overview(s: Session) -> dict[str, Any]:
    by_role = {r: n for r, n in s.execute(select(AssetRow.role, func.count()).group_by(AssetRow.role))}
    by_level = {("unknown" if lv is None else str(lv)): n for lv, n in
                s.execute(select(AssetRow.purdue_level, func.count()).group_by(AssetRow.purdue_level))}
    open_by_sev = {sv: 0 for sv in SEVERITIES}
    by_state = {st: 0 for st in STATES}
    # from the per-hour counts the database keeps (alert_hourly, Alembic 0010), not from a million rows
    for sev, st, n in s.execute(select(AlertHourlyRow.severity, AlertHourlyRow.state, func.sum(AlertHourlyRow.n))
                                .group_by(AlertHourlyRow.severity, AlertHourlyRow.state)):
        n = int(n or 0)
        by_state[st] = by_state.get(st, 0) + n
        if st in OPEN:
            open_by_sev[sev] = open_by_sev.get(sev, 0) + n
    return {
        "assets": sum(by_role.values()),
        "assets_by_role": dict(sorted(by_role.items(), key=lambda kv: (-kv[1], kv[0]))),
        "assets_by_level": dict(sorted(by_level.items())),
        "open_alerts_by_severity": open_by_sev,
        "alerts_by_state": by_state,
        "communications": s.scalar(select(func.count()).select_from(CommunicationRow)) or 0,
        "captures": s.scalar(select(func.count()).select_from(CaptureRow)) or 0,
        "posture": posture_glance(s),
    }


def posture_glance(s: Session) -> dict[str, int]:
    """Communications with cleartext credentials, weak TLS, or OPC UA without security; in SQL."""
    def distinct(cond: Any) -> int:
        return int(s.scalar(select(func.count(func.distinct(SecurityRow.communication_id))).where(cond)) or 0)

    return {
        "credentials_in_clear": distinct(SecurityRow.name == "credentials_in_clear"),
        "weak_tls": distinct(SecurityRow.name.in_(("tls_weak", "tls_weak_offered"))),
        "opcua_without_security": distinct(and_(SecurityRow.name == "opcua_security_mode",
                                                SecurityRow.value == "none")),
        "snmp_v1_v2c": distinct(and_(SecurityRow.name == "snmp_version", SecurityRow.value.in_(("1", "2c")))),
    }


# -- assets ---------------------------------------------------------------------------------------

@dataclass(slots=True)
class AssetFilter:
    q: str = ""
    role: str = ""
    level: str = ""
    protocol: str = ""
    tag: str = ""
    sort: str = "ip"
    order: str = "asc"
    values: dict[str, str] = field(default_factory=dict)


ASSET_SORTS = {"ip": AssetRow.ip, "role": AssetRow.role, "level": AssetRow.purdue_level,
               "vendor": AssetRow.vendor, "last_seen": AssetRow.last_seen, "first_seen": AssetRow.first_seen}


def _summary(facts: Sequence[FactRow]) -> dict[str, str | None]:
    best: dict[str, FactRow] = {}
    for f in facts:
        cur = best.get(f.name)
        if cur is None or (f.confidence, f.count, -f.first_seen) > (cur.confidence, cur.count, -cur.first_seen):
            best[f.name] = f

    def pick(names: Sequence[str]) -> str | None:
        for n in names:
            if n in best:
                return best[n].value
        return None

    return {"name": pick(NAME_FACTS), "model": pick(MODEL_FACTS), "firmware": pick(FIRMWARE_FACTS),
            "serial": pick(SERIAL_FACTS), "identity_vendor": pick(VENDOR_FACTS)}


def open_alert_counts(s: Session, ips: Sequence[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    if not ips:
        return out
    for col in (AlertRow.src, AlertRow.dst):
        q = select(col, func.count()).where(col.in_(ips), AlertRow.state.in_(OPEN)).group_by(col)
        for ip, n in s.execute(q):
            if ip is not None:
                out[ip] = out.get(ip, 0) + n
    return out


def asset_items(s: Session, rows: Sequence[AssetRow]) -> list[dict[str, Any]]:
    ids = [r.id for r in rows]
    facts: dict[int, list[FactRow]] = {}
    if ids:
        for f in s.scalars(select(FactRow).where(FactRow.asset_id.in_(ids))):
            facts.setdefault(f.asset_id, []).append(f)
    alerts = open_alert_counts(s, [r.ip for r in rows])
    tags: dict[str, list[str]] = {}
    if rows:
        for tag, addr in s.execute(select(AssetTagRow.tag, AssetTagRow.address)
                                   .where(AssetTagRow.address.in_([r.ip for r in rows]))):
            tags.setdefault(addr, []).append(tag)
    out = []
    for r in rows:
        summ = _summary(facts.get(r.id, []))
        out.append({"id": r.id, "ip": r.ip, "mac": r.mac, "vendor": summ.pop("identity_vendor") or r.vendor,
                    "mac_vendor": r.vendor, **summ, "role": r.role, "purdue_level": r.purdue_level,
                    "protocols": list(r.protocols or ()), "first_seen": r.first_seen, "last_seen": r.last_seen,
                    "open_alerts": alerts.get(r.ip, 0), "tags": sorted(tags.get(r.ip, []))})
    return out


def assets_page(s: Session, f: AssetFilter, page: int = 1, per_page: int = 50) -> Page:
    q = select(AssetRow)
    if f.q:
        pat = like(f.q.strip())
        fact_match = select(FactRow.asset_id).where(FactRow.value.like(pat, escape="\\"))
        q = q.where(or_(AssetRow.ip.like(pat, escape="\\"), AssetRow.mac.like(pat, escape="\\"),
                        AssetRow.vendor.like(pat, escape="\\"), AssetRow.id.in_(fact_match)))
    if f.role:
        q = q.where(AssetRow.role == f.role)
    if f.level:
        q = q.where(AssetRow.purdue_level.is_(None) if f.level == "unknown"
                    else AssetRow.purdue_level == int(f.level))
    if f.protocol:
        pats = [AssetRow.protocols.like(f'%"{f.protocol.replace(chr(34), "")}"%')]
        q = q.where(or_(*pats))
    if f.tag:
        q = q.where(AssetRow.ip.in_(select(AssetTagRow.address).where(AssetTagRow.tag == f.tag)))
    col = ASSET_SORTS.get(f.sort, AssetRow.ip)
    q = q.order_by(col.desc() if f.order == "desc" else col.asc(), AssetRow.id)
    rows, total, page, per_page = _page(q, s, page, per_page)
    return Page(asset_items(s, [r[0] for r in rows]), total, page, per_page)


def asset_roles(s: Session) -> list[str]:
    return sorted(s.scalars(select(AssetRow.role).distinct()))


def asset_detail(s: Session, asset_id: int) -> dict[str, Any] | None:
    row = s.get(AssetRow, asset_id)
    if row is None:
        return None
    item = asset_items(s, [row])[0]
    names = {cid: name for cid, name in s.execute(select(CaptureRow.id, CaptureRow.name))}
    facts = sorted(s.scalars(select(FactRow).where(FactRow.asset_id == asset_id)),
                   key=lambda f: (f.name, -f.confidence, -f.count, f.first_seen))
    seen: dict[str, set[str]] = {}
    for f in facts:
        seen.setdefault(f.name, set()).add(f.value)
    item["facts"] = [{"name": f.name, "value": f.value, "confidence": f.confidence, "count": f.count,
                      "first_seen": f.first_seen, "last_seen": f.last_seen,
                      "source": {"protocol": f.protocol, "capture": names.get(f.capture_id, ""),
                                 "frame": f.frame, "event": f.event}} for f in facts]
    item["conflicts"] = sorted(n for n, vals in seen.items() if len(vals) > 1)
    item["behaviour"] = {"serves": row.serves, "reads": row.reads, "writes": row.writes,
                         "programs": row.programs, "identifies": row.identifies}
    item["macs"] = dict(row.macs or {})
    comms = s.scalars(select(CommunicationRow).where(or_(CommunicationRow.client == row.ip,
                                                         CommunicationRow.server == row.ip))
                      .order_by(CommunicationRow.protocol, CommunicationRow.client, CommunicationRow.server)
                      .limit(500))
    item["communications"] = [communication_item(c) for c in comms]
    ids = {c["id"] for c in item["communications"]}
    funcs: dict[int, list[dict[str, Any]]] = {}
    if ids:
        for fn in s.scalars(select(FunctionRow).where(FunctionRow.communication_id.in_(ids))
                            .order_by(FunctionRow.code)):
            funcs.setdefault(fn.communication_id, []).append(
                {"code": fn.code, "name": fn.name, "requests": fn.requests, "responses": fn.responses,
                 "exceptions": fn.exceptions})
    for c in item["communications"]:
        c["functions"] = funcs.get(c["id"], [])
    alerts = s.scalars(select(AlertRow).where(or_(AlertRow.src == row.ip, AlertRow.dst == row.ip))
                       .order_by(AlertRow.last_seen.desc()).limit(200))
    item["alerts"] = [alert_item(a) for a in alerts]
    from plantwarden.store.models import AdvisoryRow, FindingRow
    from plantwarden.store.vulns import finding_document

    fq = (select(FindingRow, AdvisoryRow).join(AdvisoryRow, AdvisoryRow.id == FindingRow.advisory_id)
          .where(FindingRow.asset_id == asset_id))
    item["findings"] = sorted((finding_document(f, row.ip, adv) for f, adv in s.execute(fq)),
                              key=lambda d: (d["status"] == "fixed", -(d["cvss_score"] or 0.0), d["advisory"]))
    peers = {c["client"] for c in item["communications"]} | {c["server"] for c in item["communications"]}
    item["peer_ids"] = {ip: i for i, ip in s.execute(select(AssetRow.id, AssetRow.ip)
                                                     .where(AssetRow.ip.in_(peers - {row.ip})))}
    return item


def communication_item(c: CommunicationRow) -> dict[str, Any]:
    return {"id": c.id, "client": c.client, "server": c.server, "protocol": c.protocol, "transport": c.transport,
            "server_ports": list(c.server_ports or ()), "flows": c.flows,
            "packets": c.client_packets + c.server_packets, "bytes": c.client_bytes + c.server_bytes,
            "first_seen": c.first_seen, "last_seen": c.last_seen}


# -- alerts ---------------------------------------------------------------------------------------

@dataclass(slots=True)
class AlertFilter:
    state: str = "open"  # a state, "open" (new or acknowledged) or "" for all
    severity: str = ""
    detection: str = ""
    host: str = ""
    q: str = ""


def alert_item(a: AlertRow) -> dict[str, Any]:
    return {"id": a.id, "detection": a.detection, "technique": a.technique, "severity": a.severity,
            "title": a.title, "key": a.key, "src": a.src, "dst": a.dst, "first_seen": a.first_seen,
            "last_seen": a.last_seen, "count": a.count, "state": a.state, "state_reason": a.state_reason,
            "state_changed_at": a.state_changed_at}


def alerts_page(s: Session, f: AlertFilter, page: int = 1, per_page: int = 50) -> Page:
    q = select(AlertRow)
    if f.state == "open":
        q = q.where(AlertRow.state.in_(OPEN))
    elif f.state:
        q = q.where(AlertRow.state == f.state)
    if f.severity:
        q = q.where(AlertRow.severity == f.severity)
    if f.detection:
        q = q.where(AlertRow.detection == f.detection)
    if f.host:
        # one index lookup per side (ix_alerts_src_state / ix_alerts_dst_state): an OR of the two makes
        # SQLite walk every open alert instead
        sides = [select(AlertRow.id).where(col == f.host) for col in (AlertRow.src, AlertRow.dst)]
        if f.state == "open":
            sides = [q2.where(AlertRow.state.in_(OPEN)) for q2 in sides]
        elif f.state:
            sides = [q2.where(AlertRow.state == f.state) for q2 in sides]
        q = q.where(AlertRow.id.in_(union(*sides)))
    if f.q:
        q = q.where(AlertRow.title.like(like(f.q.strip()), escape="\\"))
    q = q.order_by(AlertRow.last_seen.desc(), AlertRow.id.desc())
    rows, total, page, per_page = _page(q, s, page, per_page)
    return Page([alert_item(r[0]) for r in rows], total, page, per_page)


def alert_detail(s: Session, alert_id: int) -> dict[str, Any] | None:
    from plantwarden.store.alerts import load_alerts

    found = load_alerts(s, alert_id=alert_id)
    row = s.get(AlertRow, alert_id)
    if not found or row is None:
        return None
    item = alert_item(row)
    item["evidence"] = list(row.evidence or ())
    item["history"] = [{"state": h.state, "reason": h.reason, "at": h.at} for h in found[0].history]
    ips = [ip for ip in (row.src, row.dst) if ip]
    item["asset_ids"] = {ip: i for i, ip in s.execute(select(AssetRow.id, AssetRow.ip).where(AssetRow.ip.in_(ips)))}
    return item


def detections_present(s: Session) -> list[str]:
    """The detections that raised alerts: a skip scan over ix_alerts_detection_key (one index lookup per
    detection, not a read of every alert)."""
    rows = s.execute(text(
        "WITH RECURSIVE d(x) AS (SELECT min(detection) FROM alerts UNION ALL "
        "SELECT (SELECT min(detection) FROM alerts WHERE detection > d.x) FROM d WHERE d.x IS NOT NULL) "
        "SELECT x FROM d WHERE x IS NOT NULL"))
    return sorted(str(r[0]) for r in rows)


# -- map and plots --------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class MapAsset:
    id: int
    ip: str
    role: str
    purdue_level: int | None


@dataclass(frozen=True, slots=True)
class MapLink:
    client: str
    server: str
    protocol: str
    flows: int


def map_data(s: Session, protocol: str = "", limit: int = MAP_LIMIT) -> tuple[list[MapAsset], list[MapLink], int]:
    """The assets of the map (all of them up to ``limit``; beyond, the busiest), the communications
    between them (with ``protocol`` only, when given), and how many assets there are in all."""
    total = int(s.scalar(select(func.count()).select_from(AssetRow)) or 0)
    busy = AssetRow.serves + AssetRow.reads + AssetRow.writes + AssetRow.programs + AssetRow.identifies
    q = select(AssetRow.id, AssetRow.ip, AssetRow.role, AssetRow.purdue_level)
    if total > limit:
        q = q.order_by(busy.desc(), AssetRow.id).limit(limit)
    assets = [MapAsset(i, ip, role, lv) for i, ip, role, lv in s.execute(q)]
    ips = {a.ip for a in assets}
    cq = select(CommunicationRow.client, CommunicationRow.server, CommunicationRow.protocol, CommunicationRow.flows)
    if protocol:
        cq = cq.where(CommunicationRow.protocol == protocol)
    links = [MapLink(c, sv, p, n) for c, sv, p, n in s.execute(cq.order_by(CommunicationRow.flows.desc())
                                                                .limit(limit * 20))
             if c in ips and sv in ips]
    return assets, links, total


def asset_names(s: Session, ids: Sequence[int]) -> dict[int, str]:
    """asset id -> its name from the identity facts (for the map's labels)."""
    facts: dict[int, list[FactRow]] = {}
    for i in range(0, len(ids), 500):
        for f in s.scalars(select(FactRow).where(FactRow.asset_id.in_(ids[i:i + 500]),
                                                 FactRow.name.in_(NAME_FACTS))):
            facts.setdefault(f.asset_id, []).append(f)
    out = {}
    for aid, fs in facts.items():
        name = _summary(fs)["name"]
        if name:
            out[aid] = name
    return out


def protocols(s: Session) -> list[str]:
    return sorted(s.scalars(select(CommunicationRow.protocol).distinct()))


def alerts_over_time(s: Session) -> dict[str, list[tuple[float, int]]]:
    """severity -> (hour, alerts first seen in that hour), from the per-hour counts (alert_hourly)."""
    q = (select(AlertHourlyRow.severity, AlertHourlyRow.hour, func.sum(AlertHourlyRow.n))
         .group_by(AlertHourlyRow.severity, AlertHourlyRow.hour))
    out: dict[str, list[tuple[float, int]]] = {}
    for sev, h, n in s.execute(q):
        if n:
            out.setdefault(sev, []).append((float(h) * 3600, int(n)))
    return out


def traffic_over_time(s: Session) -> dict[str, list[tuple[float, int]]]:
    """protocol -> (first seen, flows) of each communication: when traffic of each protocol began."""
    out: dict[str, list[tuple[float, int]]] = {}
    hour = func.floor(CommunicationRow.first_seen / 3600)
    q = select(CommunicationRow.protocol, hour, func.sum(CommunicationRow.flows)).group_by(
        CommunicationRow.protocol, hour)
    for proto, h, n in s.execute(q):
        out.setdefault(proto, []).append((float(h) * 3600, int(n or 0)))
    return out


# -- captures and jobs ----------------------------------------------------------------------------

def job_item(j: CaptureJobRow) -> dict[str, Any]:
    return {"id": j.id, "name": j.name, "size": j.size, "done": j.done, "state": j.state, "error": j.error,
            "sha256": j.sha256, "summary": j.summary, "actor": j.actor, "created_at": j.created_at,
            "started_at": j.started_at, "finished_at": j.finished_at,
            "percent": round(100.0 * j.done / j.size, 1) if j.size else 100.0}


def jobs(s: Session, limit: int = 50) -> list[dict[str, Any]]:
    return [job_item(j) for j in s.scalars(select(CaptureJobRow).order_by(CaptureJobRow.id.desc()).limit(limit))]


def captures(s: Session, limit: int = 200) -> list[dict[str, Any]]:
    rows = s.scalars(select(CaptureRow).order_by(CaptureRow.id.desc()).limit(limit))
    return [{"id": c.id, "sha256": c.sha256, "name": c.name, "size": c.size, "packets": c.packets,
             "first_ts": c.first_ts, "last_ts": c.last_ts, "analyzed_at": c.analyzed_at} for c in rows]


# -- SBOMs (docs/vulns.md, "SBOM, VEX and OSV") -----------------------------------------------------

#: component finding states that still want attention (no VEX statement has cleared them)
OPEN_COMPONENT_STATES = ("open", "affected", "under_investigation")


def sboms(s: Session) -> list[dict[str, Any]]:
    """The imported SBOMs, newest first, with their component count and open component findings."""
    from plantwarden.store.models import ComponentFindingRow, SbomComponentRow, SbomRow
    from plantwarden.store.sbom import sbom_summary

    counts = dict(s.execute(select(SbomComponentRow.sbom_id, func.count())
                            .where(SbomComponentRow.subject.is_(False)).group_by(SbomComponentRow.sbom_id)).all())
    found: dict[int, dict[str, int]] = {}
    q = (select(SbomComponentRow.sbom_id, ComponentFindingRow.state, func.count())
         .join(ComponentFindingRow, ComponentFindingRow.component_id == SbomComponentRow.id)
         .group_by(SbomComponentRow.sbom_id, ComponentFindingRow.state))
    for sbom_id, state, n in s.execute(q):
        found.setdefault(sbom_id, {})[state] = int(n)
    out = []
    for row in s.scalars(select(SbomRow).order_by(SbomRow.id.desc())):
        item = sbom_summary(row, int(counts.get(row.id, 0)))
        states = found.get(row.id, {})
        item["open_findings"] = sum(states.get(st, 0) for st in OPEN_COMPONENT_STATES)
        item["findings"] = sum(states.values())
        out.append(item)
    ips = {i["asset"] for i in out if i["asset"]}
    ids = dict(s.execute(select(AssetRow.ip, AssetRow.id).where(AssetRow.ip.in_(ips))).all()) if ips else {}
    for i in out:
        i["asset_id"] = ids.get(i["asset"])
    return out


def asset_sboms(s: Session, ip: str) -> list[dict[str, Any]]:
    """The SBOMs imported for the asset at ``ip`` (for its page's link)."""
    from plantwarden.store.models import SbomRow

    return [{"id": r.id, "name": r.name, "version": r.version, "product": r.product}
            for r in s.scalars(select(SbomRow).where(SbomRow.asset_ip == ip).order_by(SbomRow.id))]


def _purl_base(purl: str | None) -> str | None:
    """A purl without its version, qualifiers and subpath (``pkg:type/namespace/name``); None when it
    does not read as a purl."""
    if not purl:
        return None
    from packageurl import PackageURL

    try:
        p = PackageURL.from_string(purl.strip())
    except (ValueError, TypeError):
        return None
    return str(PackageURL(type=p.type, namespace=p.namespace, name=p.name)).lower()


def sbom_vex(s: Session, sbom_id: int) -> list[dict[str, Any]]:
    """The stored VEX documents that apply to an SBOM: those that decided one of its component findings,
    and those with a statement naming one of its components or its subject (by purl without the
    version, or by product name); with how many of their statements do."""
    from plantwarden.store.models import ComponentFindingRow, SbomComponentRow, VexDocumentRow

    comps = list(s.execute(select(SbomComponentRow.purl, SbomComponentRow.name, SbomComponentRow.subject)
                           .where(SbomComponentRow.sbom_id == sbom_id)))
    bases = {b for b in (_purl_base(p) for p, _, _ in comps) if b}
    subject_names = {n.strip().lower() for _, n, subj in comps if subj and n}
    deciders = set(s.scalars(select(ComponentFindingRow.vex_document).distinct()
                             .join(SbomComponentRow, SbomComponentRow.id == ComponentFindingRow.component_id)
                             .where(SbomComponentRow.sbom_id == sbom_id,
                                    ComponentFindingRow.vex_document.is_not(None))))
    out = []
    for row in s.scalars(select(VexDocumentRow).order_by(VexDocumentRow.id)):
        naming = 0
        for st in row.statements if isinstance(row.statements, list) else ():
            if not isinstance(st, dict):
                continue
            purl = st.get("purl") if isinstance(st.get("purl"), str) else None
            pname = st.get("product_name") if isinstance(st.get("product_name"), str) else None
            if (_purl_base(purl) in bases) or (pname is not None and pname.strip().lower() in subject_names):
                naming += 1
        decided = (row.document_id is not None and row.document_id in deciders) or row.source in deciders
        if naming or decided:
            out.append({"id": row.id, "document": row.document_id, "format": row.format, "source": row.source,
                        "statements": len(row.statements or ()), "naming": naming, "decided": decided,
                        "imported_at": row.imported_at, "imported_by": row.imported_by})
    return out


# -- suppliers (docs/suppliers.md) ------------------------------------------------------------------

def supplier_notes(s: Session) -> dict[str, str | None]:
    """supplier name -> its notes (the report leaves them out; the edit form shows them)."""
    from plantwarden.store.models import SupplierRow

    return dict(s.execute(select(SupplierRow.name, SupplierRow.notes)).all())


def questionnaire_names(s: Session) -> list[str]:
    """The questionnaires an assessment can answer: the default one and every stored one."""
    from plantwarden.store.models import QuestionnaireRow

    return sorted({"default", *s.scalars(select(QuestionnaireRow.name))})
