"""VEX statements from CycloneDX VEX and CSAF VEX, and applying them to findings.

``load_vex(source)`` takes a path or the file's bytes and returns one :class:`VexStatement` per
(vulnerability, product) the document speaks of:

* CycloneDX (JSON or XML, 1.4-1.6, read as :mod:`plantwarden.vulns.sbom` reads BOMs): every
  ``vulnerabilities[]`` entry, once per ``affects[].ref``. The ref is resolved to the BOM's component of
  that bom-ref (its purl, name and version); a BOM-Link (``urn:cdx:SERIAL/VERSION#REF``) names the
  bom-ref after ``#`` of the BOM with that serial number; a ref that is itself a purl is used as one.
  ``analysis.state`` gives the status: not_affected and false_positive -> not_affected, resolved and
  resolved_with_pedigree -> fixed, exploitable -> affected, in_triage -> under_investigation, no
  analysis -> affected. The justification is ``analysis.justification`` as written
  (``code_not_reachable`` ...), the impact statement ``analysis.detail``, the action statement the
  recommendation, else the workaround, else the responses. ``affects[].versions`` entries become one
  statement each, about that version or ``vers:`` range: ``unaffected`` is not_affected (fixed when the
  analysis says resolved), ``affected`` affected, ``unknown`` under_investigation. The vulnerability's
  ``references[].id`` are its aliases.
* CSAF 2.0 (read through :func:`plantwarden.vulns.csaf.load_advisory`; the profile ``csaf_vex`` and
  advisories alike): every product in a ``product_status`` list. known_not_affected -> not_affected;
  fixed, first_fixed -> fixed; known_affected, first_affected, last_affected -> affected;
  under_investigation -> under_investigation (``recommended`` is no status). The justification is the
  label of the ``flags`` entry naming the product (directly or through a product group), the impact
  statement the ``impact`` threat's details, the action statement the details of the remediations for
  the product. The vulnerability is the CVE, else the first of ``ids``.

``apply_vex(findings, statements)`` pairs every finding with the statement that decides it, or None. A
statement is about a finding when

1. its vulnerability (or one of its aliases) is one of the finding's CVEs (case does not matter), and
2. it names the finding's product: the purls' type, namespace and name are the same (normalised as
   :mod:`plantwarden.vulns.osv` does) and the version agrees: the statement's purl version, else its
   product version, must equal the finding's purl version, and its range (``vers:`` or CSAF text, read
   by :func:`plantwarden.vulns.versions.parse_range`) must contain it; a statement without a version
   is about every version, while a finding without one matches no statement that has one. Or: the
   CPEs (2.3 or 2.2) name the same part, vendor and product (without case) and the version agrees in
   the same way, the statement's being its CPE's version (unless ``*`` or ``-``), else its product
   version, the finding's its ``version``, else its CPE's. Or: the
   product ids are equal and the finding's ``advisory`` is the statement's document (the CSAF tracking
   id; the CycloneDX serial number), since product ids and bom-refs only mean something inside their
   document.

When several statements are about one finding, the last one given wins (pass older documents first).
A not_affected or fixed statement suppresses the finding (``VexResult.suppressed``, with the statement's
justification); affected and under_investigation statements keep it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Final, Generic, Literal, NamedTuple, Protocol, TypeVar

from plantwarden.core.errors import InvalidInput
from plantwarden.vulns.csaf import Advisory, load_advisory
from plantwarden.vulns.osv import parse_purl
from plantwarden.vulns.sbom import (
    Component,
    cyclonedx_components,
    cyclonedx_spec,
    cyclonedx_xml_to_dict,
    parse_xml,
)
from plantwarden.vulns.sources import read_bytes
from plantwarden.vulns.versions import parse_range, version_or_none

Status = Literal["not_affected", "affected", "fixed", "under_investigation"]
SUPPRESSING: Final = frozenset({"not_affected", "fixed"})

_CDX_STATES: Final[dict[str, Status]] = {
    "not_affected": "not_affected", "false_positive": "not_affected", "resolved": "fixed",
    "resolved_with_pedigree": "fixed", "exploitable": "affected", "in_triage": "under_investigation",
}
_CSAF_STATUSES: Final[dict[str, Status]] = {
    "known_not_affected": "not_affected", "fixed": "fixed", "first_fixed": "fixed",
    "known_affected": "affected", "first_affected": "affected", "last_affected": "affected",
    "under_investigation": "under_investigation",
}
_BOM_LINK = re.compile(r"^urn:cdx:(?P<serial>[0-9a-fA-F-]{36})/\d+#(?P<ref>.+)$")


@dataclass(frozen=True, slots=True)
class VexStatement:
    """What a VEX document says about one vulnerability in one product (see the module docstring).

    The product is named by ``purl``, by ``product_id`` (a CSAF product id or a CycloneDX bom-ref,
    meaningful inside ``document``), and by ``product_name`` / ``product_version``; ``version_range``
    limits the statement to the versions it contains.
    """

    vulnerability: str
    status: Status
    product_id: str | None = None
    purl: str | None = None
    cpe: str | None = None
    product_name: str | None = None
    product_version: str | None = None
    version_range: str | None = None
    justification: str | None = None
    impact_statement: str | None = None
    action_statement: str | None = None
    aliases: tuple[str, ...] = ()
    document: str | None = None
    format: Literal["cyclonedx", "csaf"] = "cyclonedx"

    @property
    def suppresses(self) -> bool:
        """True for not_affected and fixed."""
        return self.status in SUPPRESSING


class VexFinding(Protocol):
    """What :func:`apply_vex` reads of a finding (attributes, or keys of a mapping; absent ones are None).

    ``advisory`` is the document that defines ``product_id`` (a CSAF tracking id, a CycloneDX serial).
    """

    @property
    def cves(self) -> tuple[str, ...]: ...
    @property
    def purl(self) -> str | None: ...
    @property
    def product_id(self) -> str | None: ...
    @property
    def advisory(self) -> str | None: ...
    @property
    def cpe(self) -> str | None: ...
    @property
    def version(self) -> str | None: ...


F = TypeVar("F", bound="VexFinding | Mapping[str, Any]")


class VexResult(NamedTuple, Generic[F]):
    """A finding and the statement that decides it (None: no statement is about it)."""

    finding: F
    statement: VexStatement | None

    @property
    def suppressed(self) -> bool:
        return self.statement is not None and self.statement.suppresses


# ------------------------------------------------------------------------------------------- reading


def _s(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def load_vex(source: str | os.PathLike[str] | bytes | bytearray) -> list[VexStatement]:
    """Read the statements of a CycloneDX VEX (JSON/XML) or CSAF document (see the module docstring)."""
    raw, where = read_bytes(source, "the VEX document")
    what = f"the VEX document {where}" if where else "the VEX document"
    head = raw[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] == b"<":
        return _cyclonedx(cyclonedx_xml_to_dict(parse_xml(raw, what), what), what)
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise InvalidInput(f"{what} is neither JSON nor XML: {e}") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{what} is JSON but not an object")
    if data.get("bomFormat") == "CycloneDX":
        return _cyclonedx(data, what)
    if isinstance(data.get("document"), dict):
        return _csaf(data, where)
    raise InvalidInput(f"{what} is neither CycloneDX (no \"bomFormat\": \"CycloneDX\") nor CSAF (no \"document\")")


def _cdx_action(v: Mapping[str, Any], analysis: Mapping[str, Any]) -> str | None:
    text = _s(v.get("recommendation")) or _s(v.get("workaround"))
    if text:
        return text
    listed = analysis.get("response")
    responses = [r for r in listed if isinstance(r, str)] if isinstance(listed, list) else []
    return ", ".join(responses) or None


def _cdx_product(ref: str, components: Mapping[str, Component], serial: str | None
                 ) -> tuple[str, str | None, Component | None]:
    """(bom-ref, document serial, component) of an affects ref."""
    m = _BOM_LINK.match(ref)
    if m is not None:
        return m.group("ref"), f"urn:uuid:{m.group('serial').lower()}", components.get(m.group("ref"))
    return ref, serial, components.get(ref)


def _version_status(vstatus: Any, analysed: Status) -> Status:
    """The status of one ``affects[].versions`` entry (its status defaults to affected)."""
    if vstatus == "unaffected":
        return analysed if analysed in SUPPRESSING else "not_affected"
    if vstatus == "unknown":
        return "under_investigation"
    return "affected"


def _cyclonedx(data: dict[str, Any], what: str) -> list[VexStatement]:
    cyclonedx_spec(data, what)
    serial = _s(data.get("serialNumber"))
    components: dict[str, Component] = {}
    meta = data.get("metadata")
    roots = [meta["component"]] if isinstance(meta, dict) and isinstance(meta.get("component"), dict) else []
    for c, _ in cyclonedx_components({"components": roots + list(data.get("components") or [])}, what):
        if c.bom_ref:
            components.setdefault(c.bom_ref, c)
    vulns = data.get("vulnerabilities")
    if vulns is not None and not isinstance(vulns, list):
        raise InvalidInput(f"{what}: 'vulnerabilities' must be a list")
    out: list[VexStatement] = []
    for k, v in enumerate(vulns or ()):
        if not isinstance(v, dict):
            raise InvalidInput(f"{what}: vulnerabilities[{k}] is not an object")
        vid = _s(v.get("id"))
        if vid is None:
            raise InvalidInput(f"{what}: vulnerabilities[{k}] has no id")
        analysis: dict[str, Any] = v["analysis"] if isinstance(v.get("analysis"), dict) else {}
        state = analysis.get("state")
        if state is not None and state not in _CDX_STATES:
            raise InvalidInput(f"{what}: vulnerabilities[{k}] ({vid}) has the unknown analysis state {state!r}")
        status: Status = _CDX_STATES[state] if state else "affected"
        aliases = tuple(dict.fromkeys(r["id"] for r in _dicts(v.get("references")) if _s(r.get("id"))))
        base = VexStatement(
            vulnerability=vid, status=status, aliases=aliases, format="cyclonedx",
            justification=_s(analysis.get("justification")), impact_statement=_s(analysis.get("detail")),
            action_statement=_cdx_action(v, analysis),
        )
        for target in _dicts(v.get("affects")):
            ref = _s(target.get("ref"))
            if ref is None:
                continue
            bom_ref, document, comp = _cdx_product(ref, components, serial)
            purl = comp.purl if comp and comp.purl else (bom_ref if bom_ref.startswith("pkg:") else None)
            about = replace(base, product_id=bom_ref, document=document, purl=purl, cpe=comp.cpe if comp else None,
                            product_name=comp.name if comp else None,
                            product_version=comp.version if comp else None)
            versions = _dicts(target.get("versions"))
            if not versions:
                out.append(about)
            for ver in versions:
                out.append(replace(about, status=_version_status(ver.get("status"), status),
                                   product_version=_s(ver.get("version")), version_range=_s(ver.get("range"))))
    return out


def _groups(data: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    tree = data.get("product_tree")
    if not isinstance(tree, dict):
        return {}
    return {g["group_id"]: tuple(p for p in g.get("product_ids") or () if isinstance(p, str))
            for g in _dicts(tree.get("product_groups")) if _s(g.get("group_id"))}


def _products_of(entry: Mapping[str, Any], groups: Mapping[str, tuple[str, ...]]) -> set[str]:
    ids = {p for p in entry.get("product_ids") or () if isinstance(p, str)}
    for g in entry.get("group_ids") or ():
        ids.update(groups.get(g, ()) if isinstance(g, str) else ())
    return ids


def _csaf(data: dict[str, Any], where: str | None) -> list[VexStatement]:
    advisory: Advisory = load_advisory(data)
    groups = _groups(data)
    raw_vulns = _dicts(data.get("vulnerabilities"))
    out: list[VexStatement] = []
    for raw, vuln in zip(raw_vulns, advisory.vulnerabilities, strict=True):
        vid = vuln.cve or next((_s(i.get("text")) for i in _dicts(raw.get("ids")) if _s(i.get("text"))), None)
        if vid is None:
            continue
        flags: dict[str, str] = {}
        for flag in _dicts(raw.get("flags")):
            for pid in _products_of(flag, groups):
                if _s(flag.get("label")):
                    flags.setdefault(pid, flag["label"])
        impacts: dict[str, str] = {}
        for threat in _dicts(raw.get("threats")):
            if threat.get("category") == "impact" and _s(threat.get("details")):
                for pid in _products_of(threat, groups):
                    impacts.setdefault(pid, threat["details"])
        actions: dict[str, list[str]] = {}
        for rem in _dicts(raw.get("remediations")):
            if _s(rem.get("details")):
                for pid in _products_of(rem, groups):
                    actions.setdefault(pid, []).append(rem["details"])
        for key, status in _CSAF_STATUSES.items():
            for pid in vuln.product_status.get(key, ()):
                p = advisory.products.get(pid)
                ranged = p is not None and p.leaf == "product_version_range"
                out.append(VexStatement(
                    vulnerability=vid, status=status, product_id=pid,
                    purl=p.purl if p else None, cpe=p.cpe if p else None, product_name=p.name if p else None,
                    product_version=None if p is None or ranged else p.version_text,
                    version_range=p.version_text if ranged and p is not None else None,
                    justification=flags.get(pid), impact_statement=impacts.get(pid),
                    action_statement="; ".join(actions[pid]) if pid in actions else None,
                    document=advisory.tracking_id, format="csaf",
                ))
    return out


# ------------------------------------------------------------------------------------------ applying


def _get(finding: Any, name: str) -> Any:
    if isinstance(finding, Mapping):
        return finding.get(name)
    return getattr(finding, name, None)


def _cves(finding: Any) -> frozenset[str]:
    cves = _get(finding, "cves")
    if isinstance(cves, str):
        cves = (cves,)
    single = _get(finding, "cve") if isinstance(finding, Mapping) else None
    items = [*(cves or ()), *([single] if isinstance(single, str) else [])]
    return frozenset(c.strip().upper() for c in items if isinstance(c, str))


def _same_version(a: str, b: str) -> bool:
    if a == b:
        return True
    va, vb = version_or_none(a), version_or_none(b)
    return va is not None and vb is not None and va.comparable(vb) and va == vb


def _purl_matches(s: VexStatement, purl: str) -> bool:
    if s.purl is None:
        return False
    mine, theirs = parse_purl(s.purl), parse_purl(purl)
    if mine is None or theirs is None:
        return s.purl == purl
    (key, s_version), (fkey, f_version) = mine, theirs
    if key != fkey:
        return False
    return _version_agrees(s, s_version or s.product_version, f_version)


def _cpe_parts(cpe: str) -> tuple[tuple[str, str, str], str | None] | None:
    """((part, vendor, product) without case, version or None) of a CPE 2.3 or 2.2 name."""
    if cpe.startswith("cpe:2.3:"):
        fields = re.split(r"(?<!\\):", cpe)[2:]
    elif cpe.startswith("cpe:/"):
        fields = cpe[len("cpe:/"):].split(":")
    else:
        return None
    if len(fields) < 3 or not all(fields[:3]):
        return None
    version = fields[3] if len(fields) > 3 and fields[3] not in ("", "*", "-") else None
    return (fields[0].lower(), fields[1].lower(), fields[2].lower()), version


def _version_agrees(s: VexStatement, wanted: str | None, have: str | None) -> bool:
    if wanted is not None and (have is None or not _same_version(wanted, have)):
        return False
    if s.version_range is not None:
        return have is not None and parse_range(s.version_range).contains(have) is True
    return True


def _cpe_matches(s: VexStatement, cpe: str, version: str | None) -> bool:
    mine, theirs = _cpe_parts(s.cpe or ""), _cpe_parts(cpe)
    if mine is None or theirs is None or mine[0] != theirs[0]:
        return False
    return _version_agrees(s, mine[1] or s.product_version, version or theirs[1])


def _about(s: VexStatement, cves: frozenset[str], finding: Any) -> bool:
    if s.vulnerability.upper() not in cves and not any(a.upper() in cves for a in s.aliases):
        return False
    purl = _get(finding, "purl")
    if isinstance(purl, str) and _purl_matches(s, purl):
        return True
    cpe, version = _get(finding, "cpe"), _get(finding, "version")
    if isinstance(cpe, str) and _cpe_matches(s, cpe, version if isinstance(version, str) else None):
        return True
    pid, advisory = _get(finding, "product_id"), _get(finding, "advisory")
    return (s.product_id is not None and pid == s.product_id and s.document is not None
            and advisory == s.document)


def apply_vex(findings: Iterable[F], statements: Iterable[VexStatement]) -> list[VexResult[F]]:
    """Pair each finding with the statement that decides it, or None (see the module docstring)."""
    by_vuln: dict[str, list[tuple[int, VexStatement]]] = {}
    for order, s in enumerate(statements):
        for vid in {s.vulnerability.upper(), *(a.upper() for a in s.aliases)}:
            by_vuln.setdefault(vid, []).append((order, s))
    out: list[VexResult[F]] = []
    for f in findings:
        cves = _cves(f)
        candidates = sorted({o: s for c in cves for o, s in by_vuln.get(c, ())}.items())
        decided = None
        for _, s in candidates:
            if _about(s, cves, f):
                decided = s
        out.append(VexResult(f, decided))
    return out
