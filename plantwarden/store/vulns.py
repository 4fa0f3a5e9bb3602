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
from plantwarden.store.models import AdvisoryRow, AssetRow, CaptureRow, FactRow, FindingRow

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


def match(s: Session, now: float) -> MatchResult:
    """Match every stored advisory against every asset and bring the findings up to date: new ones
    open, changed ones updated, open ones no longer matched fixed (the device changed), fixed ones
    matched again reopened."""
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
                                 first_found=now, last_found=now, **values)
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
            "last_found": f.last_found}


def load_findings(s: Session, status: str | None = None, asset: str | None = None) -> list[dict[str, Any]]:
    q = (select(FindingRow, AssetRow.ip, AdvisoryRow).join(AssetRow, AssetRow.id == FindingRow.asset_id)
         .join(AdvisoryRow, AdvisoryRow.id == FindingRow.advisory_id))
    if status:
        q = q.where(FindingRow.status == status)
    if asset:
        q = q.where(AssetRow.ip == asset)
    out = [finding_document(f, ip, adv) for f, ip, adv in s.execute(q)]
    out.sort(key=lambda d: (-(d["cvss_score"] or 0.0), d["asset"], d["advisory"], d["product_id"]))
    return out
