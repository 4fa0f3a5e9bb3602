"""SBOMs, OSV records, component findings and VEX in the store (docs/vulns.md, "SBOM, VEX and OSV").

Every function takes the :class:`~plantwarden.store.service.Store` and writes in one transaction of its
own (``store.transaction()``), with an audit entry (``store.record``) for every change, in the name of
``store.actor`` (``store.acting(user)`` in the web service).

VEX statements change two kinds of findings:

* CSAF findings (the ``findings`` table, docs/vulns.md "Findings"): a not_affected or fixed statement
  sets the finding ``mitigated`` with a reason that starts with ``VEX not_affected`` or ``VEX fixed``
  (then the justification, the impact and action statements, and the document). ``mitigated`` because
  the matcher leaves it alone (a ``fixed`` finding that is still matched would be reopened by the next
  ``plantwarden vulns``) and ``accepted`` needs an expiry. An affected or under_investigation statement
  opens the finding again, with the statement as the reason, when it is open or was set by VEX before;
  a state a person chose (mitigated or accepted for another reason) is kept. Findings the matcher has
  fixed (the device changed) are left fixed.
* Component findings: their state becomes the statement's status (not_affected, fixed, affected,
  under_investigation) with the same reason; ``open`` is a finding no statement has spoken of.

A component finding is decided by a statement about the component, else by one about the SBOM's
subject (a vendor's VEX usually names its product, not the library inside it).
"""

from __future__ import annotations

import dataclasses
import hashlib
import ipaddress
import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantwarden.core.errors import InvalidInput, NotFound
from plantwarden.store.models import (
    AdvisoryRow,
    ComponentFindingRow,
    FindingRow,
    OsvAdvisoryRow,
    SbomComponentRow,
    SbomRow,
    VexDocumentRow,
)
from plantwarden.vulns.sbom import Component, Sbom

COMPONENT_STATES: Final = ("open", "affected", "under_investigation", "not_affected", "fixed")
EXPORT_FORMATS: Final = ("cyclonedx-json", "cyclonedx-xml", "spdx-json")
NO_LONGER_MATCHED: Final = "no longer matched: the OSV record or the component changed"
VEX_PREFIX: Final = "VEX "


@dataclass(slots=True)
class SbomImport:
    sbom_id: int
    created: bool  # False: the same file was imported for the same asset and product before
    components: int
    matched: ComponentMatch | None = None


@dataclass(slots=True)
class OsvImport:
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    invalid: list[tuple[str, str]] = field(default_factory=list)  # (source, reason)
    matched: ComponentMatch | None = None


@dataclass(slots=True)
class ComponentMatch:
    advisories: int = 0
    components: int = 0
    new: list[int] = field(default_factory=list)
    fixed: list[int] = field(default_factory=list)
    reopened: list[int] = field(default_factory=list)
    decided_by_vex: list[int] = field(default_factory=list)


@dataclass(slots=True)
class VexApplied:
    document: int | None  # the stored vex_documents row
    statements: int
    findings: list[int] = field(default_factory=list)  # CSAF findings changed
    component_findings: list[int] = field(default_factory=list)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _ip(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        raise InvalidInput(f"not an IP address: {text[:64]!r}") from None


# ---------------------------------------------------------------------------------------------- SBOMs


def _component_row(sbom_id: int, position: int, c: Component, subject: bool) -> SbomComponentRow:
    return SbomComponentRow(sbom_id=sbom_id, position=position, subject=subject, name=c.name, version=c.version,
                            purl=c.purl, cpe=c.cpe, type=(c.type or None) and c.type[:64], supplier=c.supplier,
                            group=c.group, bom_ref=c.bom_ref, hashes=[list(h) for h in c.hashes],
                            licenses=list(c.licenses), spdx_licenses=sorted(c.spdx_licenses))


def _component(row: SbomComponentRow) -> Component:
    return Component(name=row.name, version=row.version, purl=row.purl, cpe=row.cpe, supplier=row.supplier,
                     hashes=tuple((str(a), str(v)) for a, v in row.hashes), licenses=tuple(row.licenses),
                     spdx_licenses=frozenset(row.spdx_licenses), bom_ref=row.bom_ref, group=row.group,
                     type=row.type)


def import_sbom(store: Any, data: bytes, source: str, asset: str | None = None, product: str | None = None,
                name: str | None = None) -> SbomImport:
    """Read an SBOM file's bytes and store it for ``asset`` (an IP address) and/or ``product`` (a name);
    its components are matched against the stored OSV records and the stored VEX applied to what is
    found. The same file for the same asset and product is stored once."""
    from plantwarden.vulns.sbom import load_sbom

    ip = _ip(asset) if asset else None
    product = product.strip()[:500] if product and product.strip() else None
    sbom = load_sbom(data, name_hint=name or Path(source).stem)
    if name:
        sbom.name = name.strip()
    digest = _sha(data)
    with store.transaction() as s:
        old = s.scalars(select(SbomRow).where(SbomRow.sha256 == digest, SbomRow.asset_ip.is_(None) if ip is None
                                              else SbomRow.asset_ip == ip,
                                              SbomRow.product.is_(None) if product is None
                                              else SbomRow.product == product)).first()
        if old is not None:
            return SbomImport(old.id, False, len(sbom.components))
        row = SbomRow(name=sbom.name or Path(source).name, format=sbom.format, spec=sbom.spec_version,
                      subject=sbom.subject.name if sbom.subject else None,
                      version=sbom.subject.version if sbom.subject else sbom.version, supplier=sbom.supplier,
                      asset_ip=ip, product=product, source=source[:1000], sha256=digest, imported_at=time.time(),
                      imported_by=store.actor[:200])
        s.add(row)
        s.flush()
        rows = []
        if sbom.subject is not None:
            rows.append(_component_row(row.id, 0, sbom.subject, True))
        rows += [_component_row(row.id, k + 1, c, False) for k, c in enumerate(sbom.components)]
        s.add_all(rows)
        s.flush()
        store.record(s, "sbom.import", f"sbom {row.id}", None,
                     {"name": row.name, "format": row.format, "spec": row.spec, "components": len(sbom.components),
                      "asset": ip, "product": product, "sha256": digest, "source": source[:200]})
        matched = _match(store, s, time.time())
        return SbomImport(row.id, True, len(sbom.components), matched)


def sbom_summary(row: SbomRow, components: int) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "format": row.format, "spec": row.spec, "subject": row.subject,
            "version": row.version, "supplier": row.supplier, "asset": row.asset_ip, "product": row.product,
            "source": row.source, "sha256": row.sha256, "imported_at": row.imported_at,
            "imported_by": row.imported_by, "components": components}


def list_sboms(store: Any) -> list[dict[str, Any]]:
    from sqlalchemy import func

    with store.read() as s:
        counts = dict(s.execute(select(SbomComponentRow.sbom_id, func.count()).where(
            SbomComponentRow.subject.is_(False)).group_by(SbomComponentRow.sbom_id)).all())
        return [sbom_summary(r, counts.get(r.id, 0)) for r in s.scalars(select(SbomRow).order_by(SbomRow.id))]


def _sbom_row(s: Session, sbom_id: int) -> SbomRow:
    row = s.get(SbomRow, sbom_id)
    if row is None:
        raise NotFound(f"no SBOM with id {sbom_id} (plantwarden sbom list)")
    return row


def component_document(c: SbomComponentRow) -> dict[str, Any]:
    return {"id": c.id, "name": c.name, "version": c.version, "purl": c.purl, "cpe": c.cpe, "type": c.type,
            "supplier": c.supplier, "group": c.group, "bom_ref": c.bom_ref,
            "hashes": [{"alg": a, "content": v} for a, v in c.hashes], "licenses": list(c.licenses)}


def sbom_document(store: Any, sbom_id: int) -> dict[str, Any]:
    """One SBOM with its subject, components and their findings."""
    with store.read() as s:
        row = _sbom_row(s, sbom_id)
        comps = list(s.scalars(select(SbomComponentRow).where(SbomComponentRow.sbom_id == sbom_id)
                               .order_by(SbomComponentRow.position)))
        subject = next((c for c in comps if c.subject), None)
        doc = sbom_summary(row, sum(1 for c in comps if not c.subject))
        doc["subject_component"] = component_document(subject) if subject else None
        doc["component_list"] = [component_document(c) for c in comps if not c.subject]
        doc["findings"] = _component_findings(s, sbom_id=sbom_id)
        return doc


def stored_sbom(store: Any, sbom_id: int) -> Sbom:
    """The stored SBOM as :class:`~plantwarden.vulns.sbom.Sbom`, to be written again."""
    with store.read() as s:
        row = _sbom_row(s, sbom_id)
        comps = list(s.scalars(select(SbomComponentRow).where(SbomComponentRow.sbom_id == sbom_id)
                               .order_by(SbomComponentRow.position)))
        subject = next((_component(c) for c in comps if c.subject), None)
        return Sbom(format=row.format, spec_version=row.spec, name=row.name,  # type: ignore[arg-type]
                    version=row.version, supplier=row.supplier,
                    components=[_component(c) for c in comps if not c.subject], subject=subject)


def export_sbom(store: Any, sbom_id: int, fmt: str, spec: str | None = None) -> str:
    """A stored SBOM as CycloneDX JSON or XML (``spec`` 1.4, 1.5 or 1.6, default 1.6) or SPDX 2.3 JSON."""
    from plantwarden.vulns.sbom import write_cyclonedx, write_spdx

    if fmt not in EXPORT_FORMATS:
        raise InvalidInput(f"an SBOM is exported as {', '.join(EXPORT_FORMATS)}, not {fmt!r}")
    sbom = stored_sbom(store, sbom_id)
    if fmt == "spdx-json":
        if spec not in (None, "2.3"):
            raise InvalidInput(f"SPDX is written as version 2.3, not {spec!r}")
        return write_spdx(sbom)
    return write_cyclonedx(sbom, "json" if fmt == "cyclonedx-json" else "xml", spec or "1.6")


def delete_sbom(store: Any, sbom_id: int) -> None:
    with store.transaction() as s:
        row = _sbom_row(s, sbom_id)
        before = {"name": row.name, "asset": row.asset_ip, "product": row.product, "sha256": row.sha256}
        s.delete(row)
        s.flush()
        store.record(s, "sbom.delete", f"sbom {sbom_id}", before, None)


# ---------------------------------------------------------------------------------------------- OSV


def _osv_records(source: str, data: bytes) -> list[dict[str, Any]]:
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InvalidInput(f"not JSON: {e}") from None
    except RecursionError:
        raise InvalidInput("nests JSON too deeply to be read") from None
    if isinstance(doc, list):  # a list of records, as some exports are
        return [d for d in doc if isinstance(d, dict)] or [{}]
    if not isinstance(doc, dict):
        raise InvalidInput("not a JSON object")
    return [doc]


def import_osv(store: Any, docs: Iterable[tuple[str, bytes]], match: bool = True) -> OsvImport:
    """Store OSV records given as (source, bytes): a record (or a list of records) a file. A stored id is
    replaced by a different record whose ``modified`` is not older. Then every component is matched."""
    from plantwarden.vulns.osv import load_osv

    out = OsvImport()
    now = time.time()
    with store.transaction() as s:
        for source, data in docs:
            try:
                records = _osv_records(source, data)
                advisories = [(load_osv(r), r) for r in records]
                for adv, _ in advisories:
                    if len(adv.id) > 200:
                        raise InvalidInput(f"the OSV id {adv.id[:40]!r}... is longer than 200 characters")
            except InvalidInput as exc:
                out.invalid.append((source, str(exc)[:500]))
                continue
            for adv, rec in advisories:
                digest = _sha(json.dumps(rec, sort_keys=True).encode())
                row = s.scalars(select(OsvAdvisoryRow).where(OsvAdvisoryRow.osv_id == adv.id[:200])).first()
                values = {"aliases": list(adv.aliases), "summary": adv.summary, "modified": (adv.modified or "")[:64]
                          or None, "withdrawn": (adv.withdrawn or "")[:64] or None, "source": source[:1000],
                          "sha256": digest, "document": rec, "updated_at": now}
                if row is None:
                    s.add(OsvAdvisoryRow(osv_id=adv.id[:200], imported_at=now, **values))
                    out.new.append(adv.id)
                elif row.sha256 == digest or (row.modified or "") > (adv.modified or ""):
                    out.unchanged.append(adv.id)
                else:
                    for k, v in values.items():
                        setattr(row, k, v)
                    out.updated.append(adv.id)
        s.flush()
        if out.new or out.updated:
            store.record(s, "osv.import", f"{len(out.new) + len(out.updated)} OSV records", None,
                         {"new": out.new[:1000], "updated": out.updated[:1000]})
        if match:
            out.matched = _match(store, s, now)
    return out


def match(store: Any) -> ComponentMatch:
    """Match every stored OSV record to every stored component again."""
    with store.transaction() as s:
        return _match(store, s, time.time())


def _version_purl(purl: str | None, version: str | None) -> str | None:
    """The purl with ``version`` when it has none."""
    if not purl or not version:
        return purl
    from packageurl import PackageURL

    try:
        p = PackageURL.from_string(purl)
    except ValueError:
        return purl
    if p.version:
        return purl
    return str(PackageURL(type=p.type, namespace=p.namespace, name=p.name, version=version,
                          qualifiers=p.qualifiers, subpath=p.subpath))


def _match(store: Any, s: Session, now: float) -> ComponentMatch:
    from plantwarden.vulns.osv import load_osv, match_components

    adv_rows = list(s.scalars(select(OsvAdvisoryRow)))
    adv_id = {}
    advisories = []
    for r in adv_rows:
        try:
            adv = load_osv(r.document)
        except InvalidInput:
            continue
        adv_id[adv.id] = r.id
        advisories.append(adv)
    comp_rows = list(s.scalars(select(SbomComponentRow).where(SbomComponentRow.purl.is_not(None))))
    comps = [_component(c) for c in comp_rows]
    row_of = {id(c): r.id for c, r in zip(comps, comp_rows, strict=True)}
    res = ComponentMatch(advisories=len(advisories), components=len(comps))
    existing = {(f.component_id, f.advisory_id): f for f in s.scalars(select(ComponentFindingRow))}
    seen: set[tuple[int, int]] = set()
    for fnd in match_components(advisories, comps):
        key = (row_of[id(fnd.component)], adv_id[fnd.osv_id])
        seen.add(key)
        cves = list(fnd.cves)
        row = existing.get(key)
        if row is None:
            row = ComponentFindingRow(component_id=key[0], advisory_id=key[1], cves=cves, why=fnd.why[:4000],
                                      fixed_in=list(fnd.fixed), state="open", reason=None, first_found=now,
                                      last_found=now)
            s.add(row)
            s.flush()
            existing[key] = row
            res.new.append(row.id)
            continue
        row.cves, row.why, row.fixed_in, row.last_found = cves, fnd.why[:4000], list(fnd.fixed), now
        if row.state == "fixed" and row.reason == NO_LONGER_MATCHED:
            row.state, row.reason = "open", "matched again"
            res.reopened.append(row.id)
    for key, row in existing.items():
        if key not in seen and not (row.state == "fixed" and row.reason == NO_LONGER_MATCHED):
            row.state, row.reason = "fixed", NO_LONGER_MATCHED
            res.fixed.append(row.id)
    s.flush()
    if res.new or res.fixed or res.reopened:
        store.record(s, "osv.match", "component findings", None,
                     {"new": len(res.new), "fixed": len(res.fixed), "reopened": len(res.reopened)})
    if res.new:  # what was already said of them
        statements = _stored_statements(s)
        if statements:
            res.decided_by_vex = _apply_to_components(store, s, statements, set(res.new))
    return res


# ------------------------------------------------------------------------------------------ findings


def _component_findings(s: Session, state: str | None = None, sbom_id: int | None = None) -> list[dict[str, Any]]:
    q = (select(ComponentFindingRow, SbomComponentRow, OsvAdvisoryRow, SbomRow)
         .join(SbomComponentRow, SbomComponentRow.id == ComponentFindingRow.component_id)
         .join(OsvAdvisoryRow, OsvAdvisoryRow.id == ComponentFindingRow.advisory_id)
         .join(SbomRow, SbomRow.id == SbomComponentRow.sbom_id))
    if state:
        q = q.where(ComponentFindingRow.state == state)
    if sbom_id is not None:
        q = q.where(SbomRow.id == sbom_id)
    out = []
    for f, c, a, sb in s.execute(q.order_by(SbomRow.id, SbomComponentRow.position, OsvAdvisoryRow.osv_id)):
        out.append({"id": f.id, "sbom": sb.id, "sbom_name": sb.name, "asset": sb.asset_ip, "product": sb.product,
                    "component": c.name, "version": c.version, "purl": c.purl, "osv_id": a.osv_id,
                    "aliases": list(a.aliases), "cves": list(f.cves), "summary": a.summary, "why": f.why,
                    "fixed_in": list(f.fixed_in), "state": f.state, "reason": f.reason,
                    "justification": f.justification, "vex_document": f.vex_document,
                    "first_found": f.first_found, "last_found": f.last_found})
    return out


def component_findings(store: Any, state: str | None = None, sbom_id: int | None = None) -> list[dict[str, Any]]:
    if state is not None and state not in COMPONENT_STATES:
        raise InvalidInput(f"unknown component finding state {state!r}; known: {', '.join(COMPONENT_STATES)}")
    with store.read() as s:
        return _component_findings(s, state, sbom_id)


# ------------------------------------------------------------------------------------------------ VEX


def vex_reason(st: Any, source: str | None = None) -> str:
    """The recorded reason of a VEX statement: ``VEX <status> (<justification>): <impact>; action: ...``."""
    text = VEX_PREFIX + st.status
    if st.justification:
        text += f" ({st.justification})"
    if st.impact_statement:
        text += f": {st.impact_statement}"
    if st.action_statement:
        text += f"; action: {st.action_statement}"
    where = st.document or source
    if where:
        text += f" [{where}]"
    return text[:2000]


def _statement_dict(st: Any) -> dict[str, Any]:
    d = dataclasses.asdict(st)
    d["aliases"] = list(d["aliases"])
    return d


def _statement(d: dict[str, Any]) -> Any:
    from plantwarden.vulns.vex import VexStatement

    names = {f.name for f in dataclasses.fields(VexStatement)}
    values = {k: v for k, v in d.items() if k in names}
    values["aliases"] = tuple(values.get("aliases") or ())
    return VexStatement(**values)


def _stored_statements(s: Session) -> list[Any]:
    out = []
    for row in s.scalars(select(VexDocumentRow).order_by(VexDocumentRow.imported_at, VexDocumentRow.id)):
        out += [_statement(d) for d in row.statements]
    return out


def import_vex(store: Any, data: bytes, source: str) -> VexApplied:
    """Read a CycloneDX VEX or CSAF VEX document, store it and apply its statements to the CSAF findings
    and the component findings (see the module docstring)."""
    from plantwarden.vulns.vex import load_vex

    statements = load_vex(data)
    if not statements:
        raise InvalidInput(f"{source}: no VEX statement in it (no vulnerability with a product it affects)")
    digest = _sha(data)
    with store.transaction() as s:
        row = s.scalars(select(VexDocumentRow).where(VexDocumentRow.sha256 == digest)).first()
        if row is None:
            row = VexDocumentRow(document_id=next((st.document for st in statements if st.document), None),
                                 format=statements[0].format, source=source[:1000],
                                 sha256=digest, statements=[_statement_dict(st) for st in statements],
                                 imported_at=time.time(), imported_by=store.actor[:200])
            s.add(row)
            s.flush()
            store.record(s, "vex.import", f"vex document {row.id}", None,
                         {"document": row.document_id, "statements": len(statements), "source": source[:200],
                          "sha256": digest})
        res = VexApplied(row.id, len(statements))
        res.findings = _apply_to_findings(store, s, statements, source)
        res.component_findings = _apply_to_components(store, s, statements, None, source)
        return res


def apply_stored_vex(store: Any) -> VexApplied:
    """Apply every stored VEX document again, oldest first (after new findings were matched)."""
    with store.transaction() as s:
        statements = _stored_statements(s)
        res = VexApplied(None, len(statements))
        res.findings = _apply_to_findings(store, s, statements)
        res.component_findings = _apply_to_components(store, s, statements, None)
        return res


def vex_documents(store: Any) -> list[dict[str, Any]]:
    with store.read() as s:
        return [{"id": r.id, "document": r.document_id, "format": r.format, "source": r.source,
                 "statements": len(r.statements), "imported_at": r.imported_at, "imported_by": r.imported_by}
                for r in s.scalars(select(VexDocumentRow).order_by(VexDocumentRow.id))]


def _apply_to_findings(store: Any, s: Session, statements: Sequence[Any], source: str | None = None) -> list[int]:
    from plantwarden.store import vulns
    from plantwarden.vulns.csaf import load_advisory
    from plantwarden.vulns.vex import apply_vex

    if not statements:
        return []
    rows = list(s.execute(select(FindingRow, AdvisoryRow).join(AdvisoryRow, AdvisoryRow.id == FindingRow.advisory_id)))
    products: dict[int, Any] = {}
    views: list[dict[str, Any]] = []
    for f, adv in rows:
        if adv.id not in products:
            try:
                products[adv.id] = load_advisory(adv.document).products
            except InvalidInput:
                products[adv.id] = {}
        p = products[adv.id].get(f.product_id)
        views.append({"cves": tuple(f.cves), "product_id": f.product_id, "advisory": adv.tracking_id,
                      "purl": _version_purl(p.purl if p else None, f.version), "cpe": p.cpe if p else None,
                      "version": f.version, "row": f})
    changed = []
    for result in apply_vex(views, statements):
        st, fr = result.statement, result.finding["row"]
        if st is None or fr.status == "fixed":
            continue
        reason = vex_reason(st, source)
        by_vex = fr.status_reason is not None and fr.status_reason.startswith(VEX_PREFIX)
        if st.suppresses:
            status = "mitigated"
        elif fr.status == "open" or by_vex:
            status = "open"
        else:
            continue  # a person's decision stays
        if (fr.status, fr.status_reason) == (status, reason):
            continue
        before = {"status": fr.status, "reason": fr.status_reason}
        vulns.set_status(s, fr.id, status, reason, None)
        store.record(s, "finding.vex", f"finding {fr.id}", before, {"status": status, "reason": reason})
        changed.append(fr.id)
    return changed


def _apply_to_components(store: Any, s: Session, statements: Sequence[Any], only: set[int] | None,
                         source: str | None = None) -> list[int]:
    from plantwarden.vulns.vex import apply_vex

    if not statements:
        return []
    q = (select(ComponentFindingRow, SbomComponentRow, OsvAdvisoryRow)
         .join(SbomComponentRow, SbomComponentRow.id == ComponentFindingRow.component_id)
         .join(OsvAdvisoryRow, OsvAdvisoryRow.id == ComponentFindingRow.advisory_id))
    rows = [r for r in s.execute(q) if only is None or r[0].id in only]
    subjects = {c.sbom_id: c for c in s.scalars(select(SbomComponentRow).where(SbomComponentRow.subject.is_(True)))}

    def view(f: ComponentFindingRow, c: SbomComponentRow, a: OsvAdvisoryRow) -> dict[str, Any]:
        return {"cves": (a.osv_id, *a.aliases), "purl": _version_purl(c.purl, c.version), "cpe": c.cpe,
                "version": c.version, "product_id": None, "advisory": None, "row": f}

    decided = {r.finding["row"].id: r.statement for r in apply_vex([view(*r) for r in rows], statements)}
    undecided = [(f, subjects[c.sbom_id], a) for f, c, a in rows
                 if decided.get(f.id) is None and c.sbom_id in subjects and not c.subject]
    for r in apply_vex([view(*u) for u in undecided], statements):
        decided[r.finding["row"].id] = r.statement
    changed = []
    for f, _, _ in rows:
        st = decided.get(f.id)
        if st is None or (f.state == "fixed" and f.reason == NO_LONGER_MATCHED):
            continue
        reason = vex_reason(st, source)
        if (f.state, f.reason) == (st.status, reason):
            continue
        before = {"state": f.state, "reason": f.reason}
        f.state, f.reason = st.status, reason
        f.justification = (st.justification or "")[:200] or None
        f.vex_document = st.document or source
        store.record(s, "component_finding.vex", f"component finding {f.id}", before,
                     {"state": f.state, "reason": reason})
        changed.append(f.id)
    s.flush()
    return changed
