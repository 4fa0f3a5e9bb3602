"""STIX 2.1 (and 2.0) bundles: the indicators whose patterns name values the sensor can see.

Each ``indicator`` object is checked by the ``stix2`` package (one object at a time, so one bad object
costs only itself) and its pattern parsed by ``stix2``'s pattern visitor. A pattern is imported when it
is one observation, or observations joined by OR, of comparisons joined by OR, each ``=`` (or
``ISSUBSET`` for an address) on one of the supported object paths (docs/iocs.md, "STIX"). Everything
else is counted as skipped with its reason; objects that are not indicators are counted as ignored.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from plantwarden.iocs.model import (
    CIDR,
    DOMAIN,
    IP,
    MAX_DESCRIPTION,
    MAX_STIX_ID,
    MD5,
    SHA1,
    SHA256,
    URL,
    ImportReport,
    Indicator,
    InvalidIndicator,
    clean_text,
    normalize,
)

#: hash names of the STIX hashing-algorithm vocabulary (and common spellings) -> our kind
_HASHES = {"md5": MD5, "sha-1": SHA1, "sha1": SHA1, "sha-256": SHA256, "sha256": SHA256}
#: (object type, property path) -> kind, for values
_PATHS = {
    ("ipv4-addr", ("value",)): IP,
    ("ipv6-addr", ("value",)): IP,
    ("domain-name", ("value",)): DOMAIN,
    ("url", ("value",)): URL,
    ("network-traffic", ("dst_ref", "value")): IP,
    ("network-traffic", ("src_ref", "value")): IP,
}
_HASHED = ("file", "x509-certificate", "artifact")


class Unsupported(Exception):
    """A pattern outside the simple subset; ``str(exc)`` is the reason counted."""


def load_stix(text: str | bytes, source: str) -> ImportReport:
    """Indicators of a STIX bundle (or one indicator object, or a JSON list of objects).

    Raises ``ValueError`` when the text is not JSON or not STIX at all; problems of single objects
    are counted in the report's ``skipped``.
    """
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"not JSON: {str(exc)[:120]}") from None
    report = ImportReport()
    for obj in _objects(doc):
        _indicator(obj, source, report)
    return report


def _objects(doc: Any) -> Iterator[Any]:
    if isinstance(doc, dict) and doc.get("type") == "bundle":
        objs = doc.get("objects", [])
        if not isinstance(objs, list):
            raise ValueError("a STIX bundle whose 'objects' is not a list")
        yield from objs
    elif isinstance(doc, dict) and isinstance(doc.get("type"), str):
        yield doc
    elif isinstance(doc, list):
        yield from doc
    else:
        raise ValueError("not a STIX bundle or object (no 'type')")


def _indicator(obj: Any, source: str, report: ImportReport) -> None:
    import stix2

    if not isinstance(obj, dict) or not isinstance(obj.get("type"), str):
        report.skip("not a STIX object")
        return
    if obj["type"] != "indicator":
        report.ignored += 1
        return
    try:
        ind = stix2.parse(obj, allow_custom=True)
    except Exception as exc:  # stix2 raises many types for bad objects; none may stop the import
        prop = getattr(exc, "prop_name", None)
        report.skip(f"invalid STIX indicator (property {clean_text(prop, 40)})" if isinstance(prop, str)
                    else f"invalid STIX indicator ({type(exc).__name__})")
        return
    if ind.get("revoked"):
        report.skip("revoked indicator")
        return
    ptype = ind.get("pattern_type", "stix")
    if ptype != "stix":
        report.skip(f"pattern type {clean_text(ptype, 40)!r} is not STIX")
        return
    version = "2.1" if ind.get("spec_version") == "2.1" else "2.0"
    try:
        values = list(pattern_values(ind["pattern"], version))
    except Unsupported as exc:
        report.skip(str(exc))
        return
    described = clean_text(ind.get("description") or ind.get("name"), MAX_DESCRIPTION)
    valid_from, valid_until = _epoch(ind.get("valid_from")), _epoch(ind.get("valid_until"))
    for item in values:
        if isinstance(item, Unsupported):
            report.skip(str(item))
            continue
        kind, raw = item
        try:
            kind, value = normalize(kind, raw)
        except InvalidIndicator as exc:
            report.skip(f"invalid value: {exc}")
            continue
        report.indicators.append(Indicator(kind, value, source, described, clean_text(ind["id"], MAX_STIX_ID),
                                           valid_from, valid_until))


def pattern_values(pattern: str, version: str = "2.1") -> Iterator[tuple[str, str] | Unsupported]:
    """(kind, raw value) of each alternative of a simple pattern; an alternative that names an
    unsupported path is yielded as an ``Unsupported`` (the others still match). Raises ``Unsupported``
    when the pattern as a whole is not a plain OR of comparisons."""
    from stix2.pattern_visitor import create_pattern_object

    try:
        tree = create_pattern_object(pattern, version=version)
    except Exception:
        raise Unsupported("invalid STIX pattern") from None
    return _alternatives(tree)


def _alternatives(node: Any) -> Iterator[tuple[str, str] | Unsupported]:
    name = type(node).__name__
    if name in ("ObservationExpression", "ParentheticalExpression"):
        yield from _alternatives(node.operand if name == "ObservationExpression" else node.expression)
    elif name in ("OrObservationExpression", "OrBooleanExpression"):
        for op in node.operands:
            yield from _alternatives(op)
    elif name in ("EqualityComparisonExpression", "IsSubsetComparisonExpression"):
        yield _comparison(node)
    elif name in ("AndObservationExpression", "AndBooleanExpression"):
        raise Unsupported("AND pattern (every part must hold; only single values are matched)")
    elif name == "FollowedByObservationExpression":
        raise Unsupported("FOLLOWEDBY pattern (a sequence of observations)")
    elif name == "QualifiedObservationExpression":
        raise Unsupported("qualified pattern (WITHIN, REPEATS, START/STOP)")
    elif name.endswith("ComparisonExpression"):
        raise Unsupported(f"comparison operator {getattr(node, 'operator', '?')} (only = and ISSUBSET)")
    else:
        raise Unsupported(f"pattern element {name}")


def _comparison(node: Any) -> tuple[str, str] | Unsupported:
    if node.negated:
        raise Unsupported("negated comparison (NOT)")
    lhs, rhs = node.lhs, node.rhs
    if type(rhs).__name__ != "StringConstant":
        return Unsupported(f"comparison with a {type(rhs).__name__} (only strings)")
    obj = str(lhs.object_type_name)
    path = tuple(str(getattr(c, "property_name", "?")) for c in lhs.property_path)
    raw = _unescape(str(rhs.value))
    if len(path) == 2 and path[0] == "hashes" and obj in _HASHED:
        kind = _HASHES.get(path[1].lower())
        if kind is None:
            return Unsupported(f"hash algorithm {path[1][:20]!r} (only MD5, SHA-1, SHA-256)")
        return kind, raw
    kind = _PATHS.get((obj, path))
    if kind is None:
        return Unsupported(f"object path {obj[:40]}:{'.'.join(path)[:60]}")
    if node.operator == "ISSUBSET":
        if kind != IP:
            return Unsupported("ISSUBSET on a value that is not an address")
        return CIDR, raw
    return kind, raw


def _unescape(value: str) -> str:
    """A STIX string literal's escapes (``\\'`` and ``\\\\``) undone."""
    if "\\" not in value:
        return value
    out, i = [], 0
    while i < len(value):
        c = value[i]
        if c == "\\" and i + 1 < len(value):
            out.append(value[i + 1])
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _epoch(value: Any) -> float | None:
    if isinstance(value, datetime):
        return value.timestamp()
    return None
