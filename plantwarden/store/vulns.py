"""Advisories and findings in the store (docs/vulns.md). The functions run inside the caller's
transaction."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantwarden.core.errors import InvalidInput, NotFound
from plantwarden.store.models import (
    AdvisoryRow,
    AssetRow,
    AssetTagRow,
    CaptureRow,
    CommunicationRow,
    FactRow,
    FindingRow,
    KnownExploitedRow,
)

FINDING_STATES = ("open", "mitigated", "accepted", "fixed")


@dataclass(slots=True)
class AdvisoryImport:
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    invalid: list[tuple[str, str]] = field(default_factory=list)  # (source, reason)


@dataclass(slots=True)
class MatchResult:
    advisories: int = 0
    assets: int = 0
    new: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    fixed: list[int] = field(default_factory=list)
    reopened: list[int] = field(default_factory=list)
    open: int = 0


def _release(doc: dict[str, Any]) -> str:
    tr = doc.get("document", {}).get("tracking", {}) if isinstance(doc.get("document"), dict) else {}
    return str(tr.get("current_release_date") or "") if isinstance(tr, dict) else ""


def import_advisories(s: Session, docs: Iterable[tuple[str, bytes]], now: float) -> AdvisoryImport:
    """Store CSAF documents (source name, bytes); a tracking id already stored is replaced only by a
    different document whose current_release_date is not older."""
    from plantwarden.vulns.csaf import load_advisory

    out = AdvisoryImport()
    for source, data in docs:
        try:
            doc = json.loads(data)
            adv = load_advisory(doc)
        except (ValueError, InvalidInput) as exc:
            out.invalid.append((source, str(exc)[:500]))
            continue
        digest = hashlib.sha256(data).hexdigest()
        row = s.scalars(select(AdvisoryRow).where(AdvisoryRow.tracking_id == adv.tracking_id)).first()
        if row is None:
            s.add(AdvisoryRow(tracking_id=adv.tracking_id, title=adv.title[:2000], publisher=adv.publisher[:500],
                              current_release_date=adv.current_release_date, source=source[:1000], sha256=digest,
                              document=doc, imported_at=now, updated_at=now))
            out.new.append(adv.tracking_id)
        elif row.sha256 == digest or _release(row.document) > (adv.current_release_date or ""):
            out.unchanged.append(adv.tracking_id)
        else:
            row.title, row.publisher, row.source = adv.title[:2000], adv.publisher[:500], source[:1000]
            row.current_release_date, row.sha256, row.document, row.updated_at = (
                adv.current_release_date, digest, doc, now)
            out.updated.append(adv.tracking_id)
    return out


def devices(s: Session) -> list[Any]:
    """Every asset with an identity, as the matcher's ``Device`` (vendor, models, firmware with their
    sources)."""
    from plantwarden.vulns.match import FIRMWARE_FACTS, MODEL_FACTS, PROTOCOL_VENDORS, VENDOR_FACTS, Device
    from plantwarden.vulns.names import vendor_keys

    names = {cid: name for cid, name in s.execute(select(CaptureRow.id, CaptureRow.name))}
    by_id: dict[int, Any] = {}
    assets = list(s.scalars(select(AssetRow)))
    for a in assets:
        by_id[a.id] = Device(a.ip, a.id)
    wanted = (*VENDOR_FACTS, *MODEL_FACTS, *FIRMWARE_FACTS)
    for f in s.scalars(select(FactRow).where(FactRow.name.in_(wanted)).order_by(FactRow.confidence.desc(),
                                                                               FactRow.count.desc())):
        dev = by_id.get(f.asset_id)
        if dev is None:
            continue
        d = dev
        src = f"{f.protocol} {f.event}, {names.get(f.capture_id, '?')} frame {f.frame}"
        if f.name in VENDOR_FACTS:
            d.add_vendor(f.value, src)
        elif f.name in MODEL_FACTS:
            d.models.setdefault(f.value, f"{f.name} from {src}")
        else:
            d.firmware.setdefault(f.value, f"{f.name} from {src}")
    from plantwarden.store.models import AssetEntryRow

    ips = {a.ip: a.id for a in assets}
    for e in s.scalars(select(AssetEntryRow)):  # what the user entered comes first
        dev = by_id.get(ips.get(e.ip, -1))
        if dev is None:
            continue
        src = f"entered by {e.entered_by}"
        if e.vendor:
            for key in vendor_keys(e.vendor):
                dev.vendors[key] = f"{src}: {e.vendor!r}"
        if e.model:
            dev.models = {e.model: src, **dev.models}
        if e.firmware:
            dev.firmware = {e.firmware: src, **{k: v for k, v in dev.firmware.items() if k != e.firmware}}
    for a in assets:  # weaker sources after what the device said of itself
        d = by_id[a.id]
        if a.vendor:
            d.add_vendor(a.vendor, f"MAC {a.mac} registrant")
        if a.serves:
            for proto in a.protocols or ():
                if proto in PROTOCOL_VENDORS:
                    d.vendors.setdefault(PROTOCOL_VENDORS[proto], f"serves {proto}, which only that vendor's "
                                                                  "devices do in practice")
    return [d for d in by_id.values() if d.vendors]


def parse_kev(data: bytes, source: str) -> list[dict[str, Any]]:
    """Known-exploited CVEs from CISA's KEV catalog (JSON or CSV, as published) or a plain list of CVE
    ids, one per line. Raises InvalidInput when nothing in it is a CVE id."""
    import csv
    import io
    import re

    cve = re.compile(r"^CVE-\d{4}-\d{4,}$", re.I)
    text = data.decode("utf-8-sig", errors="replace")
    rows: list[dict[str, Any]] = []
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    if isinstance(doc, dict) and isinstance(doc.get("vulnerabilities"), list):
        items = [v for v in doc["vulnerabilities"] if isinstance(v, dict)]
    elif text.lstrip().lower().startswith(("cveid", '"cveid"')):
        items = list(csv.DictReader(io.StringIO(text)))
    else:
        items = [{"cveID": line.strip()} for line in text.splitlines() if line.strip()]
    for v in items:
        cid = str(v.get("cveID") or "").strip().upper()
        if not cve.match(cid):
            continue
        rows.append({"cve": cid, "vendor": _s(v.get("vendorProject")), "product": _s(v.get("product")),
                     "name": _s(v.get("vulnerabilityName")), "date_added": _s(v.get("dateAdded")),
                     "due_date": _s(v.get("dueDate")), "ransomware": _s(v.get("knownRansomwareCampaignUse"))})
    if not rows:
        raise InvalidInput(f"{source}: no CVE ids in it (give CISA's KEV JSON or CSV, or one CVE id per line)")
    return rows


def _s(v: Any) -> str | None:
    return str(v)[:500] if v not in (None, "") else None


def import_kev(s: Session, rows: list[dict[str, Any]], source: str, now: float) -> tuple[int, int]:
    """Insert or update known-exploited CVEs: (added, updated)."""
    added = updated = 0
    for r in rows:
        row = s.get(KnownExploitedRow, r["cve"])
        if row is None:
            s.add(KnownExploitedRow(source=source[:1000], imported_at=now, **r))
            added += 1
        else:
            for k, v in r.items():
                setattr(row, k, v)
            row.source, row.imported_at = source[:1000], now
            updated += 1
    s.flush()
    return added, updated


def _priority_inputs(s: Session, model: Any) -> tuple[dict[int, tuple[str, str]], dict[int, tuple[str, str]],
                                                      set[str]]:
    """(asset id -> exposure, asset id -> criticality, known-exploited CVEs)."""
    from plantwarden.vulns.priority import criticality, exposures

    rows = list(s.execute(select(AssetRow.id, AssetRow.ip, AssetRow.purdue_level, AssetRow.role)))
    levels = {ip: lv for _, ip, lv, _ in rows}
    initiators: dict[str, set[str]] = {}
    for client, server in s.execute(select(CommunicationRow.client, CommunicationRow.server)):
        initiators.setdefault(server, set()).add(client)
    exp = exposures(levels, initiators, model)
    tags: dict[str, list[str]] = {}
    for tag, addr in s.execute(select(AssetTagRow.tag, AssetTagRow.address)):
        tags.setdefault(addr, []).append(tag)
    by_id_exp = {i: exp[ip] for i, ip, _, _ in rows}
    by_id_crit = {i: criticality(role, tags.get(ip, ())) for i, ip, _, role in rows}
    kev = set(s.scalars(select(KnownExploitedRow.cve)))
    return by_id_exp, by_id_crit, kev


def reprioritise(s: Session, model: Any = None) -> int:
    """Compute every finding's priority again (after a KEV import or a zones model change)."""
    from plantwarden.vulns.priority import prioritise

    exp, crit, kev = _priority_inputs(s, model)
    n = 0
    for f in s.scalars(select(FindingRow)):
        p = prioritise(f.cvss_score, exp.get(f.asset_id, ("none", "unknown asset")),
                       crit.get(f.asset_id, ("low", "unknown asset")), kev & set(f.cves))
        f.priority, f.score, f.exposure, f.criticality, f.kev, f.priority_why = (
            p.bucket, p.score, p.exposure, p.criticality, p.kev, list(p.reasons))
        n += 1
    return n


def match(s: Session, now: float, model: Any = None) -> MatchResult:
    """Match every stored advisory against every asset and bring the findings up to date: new ones
    open, changed ones updated, open ones no longer matched fixed (the device changed), fixed ones
    matched again reopened; then every finding's priority (with ``model``, a zones model, for
    exposure through conduits)."""
    from plantwarden.vulns.csaf import load_advisory
    from plantwarden.vulns.match import Matcher

    rows = list(s.scalars(select(AdvisoryRow)))
    adv_id = {r.tracking_id: r.id for r in rows}
    matcher = Matcher(load_advisory(r.document) for r in rows)
    res = MatchResult(advisories=len(rows))
    existing = {(f.asset_id, f.advisory_id, f.product_id): f for f in s.scalars(select(FindingRow))}
    seen: set[tuple[int, int, str]] = set()
    devs = devices(s)
    res.assets = len(devs)
    for dv in devs:
        for fnd in matcher.match(dv):
            key = (dv.asset_id, adv_id[fnd.advisory], fnd.product_id)
            seen.add(key)
            values = {"product": fnd.product[:2000], "verdict": fnd.verdict, "version": fnd.version,
                      "cves": list(fnd.cves), "cvss_score": fnd.cvss_score, "cvss_vector": fnd.cvss_vector,
                      "severity": fnd.severity,
                      "remediations": [{"category": r.category, "details": r.details, "url": r.url}
                                       for r in fnd.remediations],
                      "why": list(fnd.why)}
            row = existing.get(key)
            if row is None:
                row = FindingRow(asset_id=dv.asset_id, advisory_id=key[1], product_id=fnd.product_id, status="open",
                                 first_found=now, last_found=now, priority="next", score=0.0, exposure="none",
                                 criticality="low", kev=False, priority_why=[], **values)
                s.add(row)
                s.flush()
                res.new.append(row.id)
                continue
            changed = any(getattr(row, k) != v for k, v in values.items())
            for k, v in values.items():
                setattr(row, k, v)
            row.last_found = now
            if row.status == "fixed":
                row.status, row.status_reason = "open", "matched again"
                res.reopened.append(row.id)
            elif changed:
                res.updated.append(row.id)
    for key, row in existing.items():
        if key not in seen and row.status != "fixed":
            row.status, row.status_reason = "fixed", "no longer matched: the device's identity or version changed"
            res.fixed.append(row.id)
    reprioritise(s, model)
    res.open = sum(1 for r in s.scalars(select(FindingRow.status)) if r == "open")
    return res


def set_status(s: Session, finding_id: int, status: str, reason: str | None, until: float | None) -> FindingRow:
    if status not in FINDING_STATES:
        raise InvalidInput(f"unknown finding state {status!r}; known: {', '.join(FINDING_STATES)}")
    if status in ("accepted", "mitigated") and not (reason and reason.strip()):
        raise InvalidInput(f"a finding {status} needs a reason (the compensating control or the risk decision)")
    if status == "accepted" and until is None:
        raise InvalidInput("an accepted risk needs an expiry (--until)")
    row = s.get(FindingRow, finding_id)
    if row is None:
        raise NotFound(f"no finding with id {finding_id}")
    row.status, row.status_reason = status, (reason.strip()[:2000] if reason else None)
    row.status_until = until if status == "accepted" else None
    return row


def finding_document(f: FindingRow, ip: str, adv: AdvisoryRow) -> dict[str, Any]:
    return {"id": f.id, "asset": ip, "advisory": adv.tracking_id, "title": adv.title, "product_id": f.product_id,
            "product": f.product, "verdict": f.verdict, "version": f.version, "cves": list(f.cves),
            "cvss_score": f.cvss_score, "cvss_vector": f.cvss_vector, "severity": f.severity,
            "remediations": list(f.remediations), "why": list(f.why), "status": f.status,
            "status_reason": f.status_reason, "status_until": f.status_until, "first_found": f.first_found,
            "last_found": f.last_found, "priority": f.priority, "score": f.score, "exposure": f.exposure,
            "criticality": f.criticality, "known_exploited": f.kev, "priority_why": list(f.priority_why)}


def load_findings(s: Session, status: str | None = None, asset: str | None = None) -> list[dict[str, Any]]:
    q = (select(FindingRow, AssetRow.ip, AdvisoryRow).join(AssetRow, AssetRow.id == FindingRow.asset_id)
         .join(AdvisoryRow, AdvisoryRow.id == FindingRow.advisory_id))
    if status:
        q = q.where(FindingRow.status == status)
    if asset:
        q = q.where(AssetRow.ip == asset)
    out = [finding_document(f, ip, adv) for f, ip, adv in s.execute(q)]
    rank = {"now": 0, "next": 1, "never": 2}
    out.sort(key=lambda d: (d["status"] == "fixed", rank.get(d["priority"], 3), -d["score"], d["asset"],
                            d["advisory"], d["product_id"]))
    return out


def enter_asset(s: Session, ip: str, values: dict[str, str | None], who: str, now: float) -> tuple[bool, Any]:
    """Record the user's identity of an asset (vendor, model, firmware, serial, note); an address not in
    the inventory becomes an asset of role ``unknown``. Returns (created, the entry before)."""
    import ipaddress

    from plantwarden.store.models import AssetEntryRow

    try:
        ip = str(ipaddress.ip_address(ip.strip()))
    except ValueError:
        raise InvalidInput(f"not an IP address: {ip[:64]!r}") from None
    created = False
    if s.scalars(select(AssetRow.id).where(AssetRow.ip == ip)).first() is None:
        s.add(AssetRow(ip=ip, mac=None, vendor=None, role="unknown", purdue_level=None, first_seen=now,
                       last_seen=now, serves=0, reads=0, writes=0, programs=0, identifies=0, macs={}, protocols=[]))
        created = True
    row = s.get(AssetEntryRow, ip)
    before = None
    if row is None:
        row = AssetEntryRow(ip=ip, entered_by=who, entered_at=now)
        s.add(row)
    else:
        before = {k: getattr(row, k) for k in ("vendor", "model", "firmware", "serial", "note")}
    for k, v in values.items():
        if v is not None:
            setattr(row, k, v.strip()[:200] if k in ("firmware", "serial") else v.strip()[:2000])
    row.entered_by, row.entered_at = who, now
    s.flush()
    return created, before
