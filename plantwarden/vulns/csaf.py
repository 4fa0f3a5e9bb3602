"""CSAF 2.0 advisories read into plain, typed values (docs/vulns.md).

``load_advisory`` takes a path, the JSON bytes or the already decoded document. It checks the few
fields every CSAF document must have (``document.category``, ``document.csaf_version`` "2.0",
``document.title``, ``document.publisher``, ``document.tracking.id``) and raises
:class:`~plantwarden.core.errors.InvalidInput` naming every one that is missing; parts of the document
of the wrong type are skipped, never crashed on.

The product tree is flattened into one :class:`Product` per product id:

* every branch leaf (vendor > product_family/product_name > product_version/product_version_range),
  with the vendor and product names of its branch path and the range read by
  :func:`plantwarden.vulns.versions.parse_range` (None when the leaf names no version);
* every ``full_product_names`` entry;
* every relationship (``default_component_of``, ``installed_on``, ...): its own product id, with the
  version and range of its ``product_reference`` (the component whose version is compared) and both
  referenced ids in ``relationship``.

Vulnerabilities keep the CVE, title, CWE, the first CVSS v3 score, every ``product_status`` key (empty
lists for the absent ones), the remediations and the first summary/description note.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from plantwarden.core.errors import InvalidInput
from plantwarden.vulns.sources import read_json
from plantwarden.vulns.versions import Unparsed, VersionRange, parse_range

STATUS_KEYS: Final = (
    "known_affected", "first_affected", "last_affected", "fixed", "first_fixed", "known_not_affected",
    "recommended", "under_investigation",
)
AFFECTED_KEYS: Final = frozenset({"known_affected", "first_affected", "last_affected"})
NOT_AFFECTED_KEYS: Final = frozenset({"known_not_affected", "fixed", "first_fixed"})
_VERSION_LEAVES: Final = frozenset({"product_version", "product_version_range"})
_PRODUCT_BRANCHES: Final = ("product_family", "product_name")


@dataclass(frozen=True, slots=True)
class Relationship:
    category: str
    product_reference: str
    relates_to_product_reference: str


@dataclass(frozen=True, slots=True)
class Product:
    """One product id of the advisory.

    ``name`` is the CSAF full product name; ``vendor`` and ``product`` come from the branch path
    (``product`` joins the product_family and product_name branches); ``version_text`` is the text of
    the product_version / product_version_range leaf and ``range`` what it reads as (None: the product
    names no version). ``leaf`` is the branch category the product sits on, "full_product_name" or
    "relationship".
    """

    product_id: str
    name: str
    vendor: str | None
    product: str | None
    version_text: str | None
    range: VersionRange | Unparsed | None
    leaf: str
    model_numbers: tuple[str, ...] = ()
    cpe: str | None = None
    purl: str | None = None
    skus: tuple[str, ...] = ()
    serial_numbers: tuple[str, ...] = ()
    relationship: Relationship | None = None


@dataclass(frozen=True, slots=True)
class CvssV3:
    vector: str | None
    base_score: float | None
    base_severity: str | None


@dataclass(frozen=True, slots=True)
class Remediation:
    category: str
    details: str
    product_ids: tuple[str, ...]
    url: str | None


@dataclass(frozen=True, slots=True)
class Vulnerability:
    cve: str | None
    title: str | None
    cwe: str | None
    cwe_name: str | None
    cvss_v3: CvssV3 | None
    product_status: dict[str, list[str]] = field(hash=False)
    remediations: tuple[Remediation, ...]
    summary: str | None

    def status_of(self, product_id: str) -> frozenset[str]:
        """The product_status keys that list ``product_id``."""
        return frozenset(k for k, ids in self.product_status.items() if product_id in ids)


@dataclass(frozen=True, slots=True, eq=False)
class Advisory:
    tracking_id: str
    title: str
    category: str
    csaf_version: str
    publisher: str
    initial_release_date: str | None
    current_release_date: str | None
    products: dict[str, Product]
    vulnerabilities: tuple[Vulnerability, ...]
    source: str | None = None

    def affected_products(self) -> frozenset[str]:
        """Product ids in known_affected, first_affected or last_affected of any vulnerability."""
        return frozenset(
            pid for v in self.vulnerabilities for k in AFFECTED_KEYS for pid in v.product_status.get(k, ())
        )

    def statuses_of(self, product_id: str) -> frozenset[str]:
        """Every product_status key that lists ``product_id`` in any vulnerability."""
        return frozenset(k for v in self.vulnerabilities for k in v.status_of(product_id))

    def relationships_of(self, product_id: str) -> list[Product]:
        """The relationship products that have ``product_id`` as one of their two parts."""
        out = []
        for p in self.products.values():
            r = p.relationship
            if r is not None and product_id in (r.product_reference, r.relates_to_product_reference):
                out.append(p)
        return out


# ------------------------------------------------------------------------------------------- helpers


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _strs(value: Any) -> tuple[str, ...]:
    return tuple(v for v in _list(value) if isinstance(v, str))


def _read(source: str | os.PathLike[str] | bytes | bytearray | Mapping[str, Any]) -> tuple[Any, str | None]:
    return read_json(source, "the advisory")


def _check(data: Any, where: str | None) -> dict[str, Any]:
    name = f"the advisory {where}" if where else "the advisory"
    if not isinstance(data, dict):
        raise InvalidInput(f"{name} is not a CSAF document: its JSON is a {type(data).__name__}, not an object")
    doc = data.get("document")
    if not isinstance(doc, dict):
        raise InvalidInput(f"{name} is not a CSAF document: 'document' is missing")
    missing = []
    for key in ("category", "title"):
        if not (isinstance(doc.get(key), str) and doc[key].strip()):
            missing.append(f"document.{key}")
    if not isinstance(doc.get("csaf_version"), str):
        missing.append("document.csaf_version")
    if not (isinstance(doc.get("publisher"), dict) and isinstance(doc["publisher"].get("name"), str)):
        missing.append("document.publisher (with a name)")
    tracking = doc.get("tracking")
    if not (isinstance(tracking, dict) and isinstance(tracking.get("id"), str) and tracking["id"].strip()):
        missing.append("document.tracking.id")
    if missing:
        raise InvalidInput(f"{name} is not a CSAF document: it lacks {', '.join(missing)}")
    if doc["csaf_version"] != "2.0":
        raise InvalidInput(f"{name} is CSAF {doc['csaf_version']!r}; only CSAF 2.0 is read")
    for key, kind in (("product_tree", dict), ("vulnerabilities", list)):
        if key in data and not isinstance(data[key], kind):
            raise InvalidInput(f"{name} has a '{key}' that is not a JSON {kind.__name__.replace('dict', 'object')}")
    return doc


def _helper(product: dict[str, Any]) -> dict[str, Any]:
    h = _dict(product.get("product_identification_helper"))
    cpe = h.get("cpe")
    return {
        "model_numbers": _strs(h.get("model_numbers")),
        "cpe": cpe if isinstance(cpe, str) else _str(_dict(cpe).get("cpe")),
        "purl": _str(h.get("purl")),
        "skus": _strs(h.get("skus")),
        "serial_numbers": _strs(h.get("serial_numbers")),
    }


BranchPath = tuple[tuple[str, str], ...]  # (category, name) of each branch from the root


def _leaves(branches: Any, path: BranchPath = ()) -> Iterator[tuple[dict[str, Any], BranchPath]]:
    for b in _list(branches):
        if not isinstance(b, dict):
            continue
        here = (*path, (_str(b.get("category")) or "", _str(b.get("name")) or ""))
        if isinstance(b.get("product"), dict):
            yield b, here
        yield from _leaves(b.get("branches"), here)


def _leaf_product(branch: dict[str, Any], path: BranchPath) -> Product | None:
    prod = branch["product"]
    pid = _str(prod.get("product_id"))
    if not pid:
        return None
    category = path[-1][0]
    vendors = [n for c, n in path if c == "vendor"]
    names = [n.strip() for c, n in path if c in _PRODUCT_BRANCHES and n.strip()]
    version_text = _str(branch.get("name")) if category in _VERSION_LEAVES else None
    rng: VersionRange | Unparsed | None = None
    if version_text is not None:
        rng = parse_range(version_text)
    elif category in _VERSION_LEAVES:
        rng = Unparsed("", f"the {category} leaf has no text")
    return Product(
        product_id=pid,
        name=_str(prod.get("name")) or " ".join(n for _, n in path if n).strip(),
        vendor=vendors[-1].strip() if vendors else None,
        product=" ".join(names) or None,
        version_text=version_text,
        range=rng,
        leaf=category or "branch",
        **_helper(prod),
    )


def _products(tree: dict[str, Any]) -> dict[str, Product]:
    out: dict[str, Product] = {}
    for branch, path in _leaves(tree.get("branches")):
        p = _leaf_product(branch, path)
        if p is not None:
            out.setdefault(p.product_id, p)
    for fpn in _list(tree.get("full_product_names")):
        fpn = _dict(fpn)
        pid = _str(fpn.get("product_id"))
        if pid:
            out.setdefault(pid, Product(pid, _str(fpn.get("name")) or pid, None, None, None, None,
                                        "full_product_name", **_helper(fpn)))
    for rel in _list(tree.get("relationships")):
        rel = _dict(rel)
        fpn = _dict(rel.get("full_product_name"))
        pid, ref, to = _str(fpn.get("product_id")), _str(rel.get("product_reference")), \
            _str(rel.get("relates_to_product_reference"))
        if not (pid and ref and to):
            continue
        part = out.get(ref)
        out.setdefault(pid, Product(
            product_id=pid,
            name=_str(fpn.get("name")) or pid,
            vendor=part.vendor if part else None,
            product=part.product if part else None,
            version_text=part.version_text if part else None,
            range=part.range if part else None,
            leaf="relationship",
            relationship=Relationship(_str(rel.get("category")) or "", ref, to),
            **_helper(fpn),
        ))
    return out


def _vulnerability(v: dict[str, Any]) -> Vulnerability:
    status_raw = _dict(v.get("product_status"))
    status = {k: list(_strs(status_raw.get(k))) for k in STATUS_KEYS}
    cvss = None
    for score in _list(v.get("scores")):
        c = _dict(_dict(score).get("cvss_v3"))
        if c:
            base = c.get("baseScore")
            cvss = CvssV3(_str(c.get("vectorString")),
                          float(base) if isinstance(base, int | float) and not isinstance(base, bool) else None,
                          _str(c.get("baseSeverity")))
            break
    remediations = tuple(
        Remediation(_str(r.get("category")) or "", _str(r.get("details")) or "", _strs(r.get("product_ids")),
                    _str(r.get("url")))
        for r in map(_dict, _list(v.get("remediations"))) if r
    )
    summary = next((_str(n.get("text")) for n in map(_dict, _list(v.get("notes")))
                    if n.get("category") in ("summary", "description") and _str(n.get("text"))), None)
    cwe = _dict(v.get("cwe"))
    return Vulnerability(
        cve=_str(v.get("cve")), title=_str(v.get("title")), cwe=_str(cwe.get("id")), cwe_name=_str(cwe.get("name")),
        cvss_v3=cvss, product_status=status, remediations=remediations, summary=summary,
    )


def load_advisory(source: str | os.PathLike[str] | bytes | bytearray | Mapping[str, Any]) -> Advisory:
    """Read a CSAF 2.0 advisory from a path, JSON bytes or a decoded dict (see the module docstring)."""
    data, where = _read(source)
    doc = _check(data, where)
    tracking = doc["tracking"]
    return Advisory(
        tracking_id=tracking["id"].strip(),
        title=doc["title"],
        category=doc["category"],
        csaf_version=doc["csaf_version"],
        publisher=doc["publisher"]["name"],
        initial_release_date=_str(tracking.get("initial_release_date")),
        current_release_date=_str(tracking.get("current_release_date")),
        products=_products(_dict(data.get("product_tree"))),
        vulnerabilities=tuple(_vulnerability(v) for v in _list(data.get("vulnerabilities")) if isinstance(v, dict)),
        source=where,
    )
