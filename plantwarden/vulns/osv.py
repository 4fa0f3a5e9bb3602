"""OSV-format advisories for software components, matched to SBOM components by purl.

``load_osv`` reads one record of the OSV schema (https://ossf.github.io/osv-schema/) from a path, JSON
bytes or a decoded dict into an :class:`OsvAdvisory`; a record that breaks the schema where matching
depends on it (no id, an affected package without ecosystem and name or purl, a range of an unknown
type, a GIT range without its repo, an event that is not exactly one of introduced / fixed /
last_affected / limit, a range without an introduced event) raises
:class:`~plantwarden.core.errors.InvalidInput` naming the place.

``match_components(advisories, components)`` finds, for every component with a purl, the advisories
that affect it:

1. The package is the same: the purl's type, namespace and name equal the advisory package's purl, or
   the purl its ecosystem and name stand for (PyPI -> ``pypi``, npm -> ``npm``, Maven ``group:artifact``
   -> ``maven/group/artifact``, Go -> ``golang``, crates.io -> ``cargo``, Debian/Ubuntu -> ``deb`` with
   the distribution as namespace, ...). Names are compared after normalisation: PyPI names per PEP 503
   (case and runs of ``-_.`` folded), npm, NuGet, Composer, crates.io, Hex, Pub, GitHub, Bitbucket,
   Debian, Alpine and RPM names and namespaces without case; Maven, Go, RubyGems and the rest exactly.
   Qualifiers and subpaths (``?distro=...``) are not compared.
2. The version (the component's, else its purl's) is listed in ``versions``, or lies in a SEMVER or
   ECOSYSTEM range: events are sorted by version and read in order, ``introduced`` (``0``: from the
   first version) opening an affected span, ``fixed`` closing it before that version and
   ``last_affected`` after it; at or above a ``limit`` nothing is affected.

Versions are ordered by SemVer 2.0 precedence for SEMVER ranges and for the ECOSYSTEM ranges of npm,
crates.io, Go, Hex and Pub (a leading ``v`` and missing minor/patch numbers are accepted); by PEP 440
(``packaging``) for PyPI. Other ecosystems (Maven, NuGet, RubyGems, Packagist, Debian, Alpine, RPM ...)
have no ordering of their own here: their ECOSYSTEM ranges are compared with
:func:`plantwarden.vulns.versions.parse_version`, which is right for plain dotted versions but not for
every rule of those ecosystems (Debian epochs and ``~``, Maven qualifiers), and each finding says so.
GIT ranges name commits, which a component version cannot be placed against: only ``versions`` match
there. A version that cannot be read or compared is no match. Withdrawn records match nothing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

from packageurl import PackageURL
from packaging.version import InvalidVersion
from packaging.version import Version as Pep440Version

from plantwarden.core.errors import InvalidInput
from plantwarden.vulns.sbom import Component
from plantwarden.vulns.sources import read_json
from plantwarden.vulns.versions import Version, version_or_none

RANGE_TYPES: Final = ("SEMVER", "ECOSYSTEM", "GIT")
EVENT_KINDS: Final = ("introduced", "fixed", "last_affected", "limit")

#: OSV ecosystem (the part before any ':') -> (purl type, purl namespace for distributions)
ECOSYSTEM_PURL: Final[dict[str, tuple[str, str | None]]] = {
    "PyPI": ("pypi", None), "npm": ("npm", None), "Maven": ("maven", None), "Go": ("golang", None),
    "crates.io": ("cargo", None), "NuGet": ("nuget", None), "RubyGems": ("gem", None),
    "Packagist": ("composer", None), "Hex": ("hex", None), "Pub": ("pub", None), "Hackage": ("hackage", None),
    "CRAN": ("cran", None), "ConanCenter": ("conan", None), "SwiftURL": ("swift", None),
    "Debian": ("deb", "debian"), "Ubuntu": ("deb", "ubuntu"), "Alpine": ("apk", "alpine"),
    "Rocky Linux": ("rpm", "rocky-linux"), "AlmaLinux": ("rpm", "almalinux"), "Red Hat": ("rpm", "redhat"),
    "openSUSE": ("rpm", "opensuse"), "SUSE": ("rpm", "suse"),
}
_CASELESS: Final = frozenset({"npm", "nuget", "composer", "cargo", "hex", "pub", "github", "bitbucket", "deb",
                              "apk", "rpm", "pypi"})
_SEMVER_ECOSYSTEMS: Final = frozenset({"npm", "crates.io", "Go", "Hex", "Pub"})


@dataclass(frozen=True, slots=True)
class OsvEvent:
    kind: str  # introduced | fixed | last_affected | limit
    value: str


@dataclass(frozen=True, slots=True)
class OsvRange:
    type: str  # SEMVER | ECOSYSTEM | GIT
    events: tuple[OsvEvent, ...]
    repo: str | None = None


@dataclass(frozen=True, slots=True)
class OsvAffected:
    """One ``affected`` entry: a package (purl and/or ecosystem + name), its ranges and listed versions."""

    ecosystem: str | None
    name: str | None
    purl: str | None
    ranges: tuple[OsvRange, ...]
    versions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OsvSeverity:
    type: str  # CVSS_V2 | CVSS_V3 | CVSS_V4 | Ubuntu
    score: str  # the CVSS vector (or the Ubuntu priority word)


@dataclass(frozen=True, slots=True)
class OsvReference:
    type: str
    url: str


@dataclass(frozen=True, slots=True)
class OsvAdvisory:
    id: str
    aliases: tuple[str, ...]
    summary: str | None
    details: str | None
    affected: tuple[OsvAffected, ...]
    severity: tuple[OsvSeverity, ...]
    references: tuple[OsvReference, ...]
    modified: str | None = None
    published: str | None = None
    withdrawn: str | None = None
    source: str | None = None

    @property
    def cves(self) -> tuple[str, ...]:
        """The CVE ids among the record's id and aliases."""
        return tuple(a for a in (self.id, *self.aliases) if a.upper().startswith("CVE-"))


@dataclass(frozen=True, slots=True)
class ComponentFinding:
    """An OSV advisory that affects an SBOM component, and why."""

    component: Component
    osv_id: str
    aliases: tuple[str, ...]
    why: str
    fixed: tuple[str, ...] = ()  # the version that fixes the span the component's version is in

    @property
    def cves(self) -> tuple[str, ...]:
        return tuple(a for a in (self.osv_id, *self.aliases) if a.upper().startswith("CVE-"))


# ------------------------------------------------------------------------------------------- reading


def _read(source: str | os.PathLike[str] | bytes | bytearray | Mapping[str, Any]) -> tuple[Any, str | None]:
    return read_json(source, "the OSV record")


def _s(d: Mapping[str, Any], key: str, where: str, required: bool = False) -> str | None:
    v = d.get(key)
    if v is None and not required:
        return None
    if not isinstance(v, str) or (required and not v.strip()):
        raise InvalidInput(f"{where}: '{key}' must be {'non-empty ' if required else ''}text")
    return v


def _l(d: Mapping[str, Any], key: str, where: str) -> list[Any]:
    v = d.get(key)
    if v is None:
        return []
    if not isinstance(v, list):
        raise InvalidInput(f"{where}: '{key}' must be a list")
    return v


def _o(v: Any, where: str) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise InvalidInput(f"{where} must be an object")
    return v


def _strs(d: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    items = _l(d, key, where)
    if not all(isinstance(i, str) for i in items):
        raise InvalidInput(f"{where}: '{key}' must be a list of text")
    return tuple(items)


def _range(r: Any, where: str) -> OsvRange:
    r = _o(r, where)
    rtype = _s(r, "type", where, required=True)
    if rtype not in RANGE_TYPES:
        raise InvalidInput(f"{where}: range type {rtype!r} is none of {', '.join(RANGE_TYPES)}")
    repo = _s(r, "repo", where)
    if rtype == "GIT" and not repo:
        raise InvalidInput(f"{where}: a GIT range needs its repo")
    events = []
    for k, e in enumerate(_l(r, "events", where)):
        e = _o(e, f"{where}.events[{k}]")
        kinds = [key for key in EVENT_KINDS if key in e]
        if len(kinds) != 1:
            raise InvalidInput(f"{where}.events[{k}] must have exactly one of {', '.join(EVENT_KINDS)}")
        events.append(OsvEvent(kinds[0], _s(e, kinds[0], f"{where}.events[{k}]", required=True) or ""))
    if not any(e.kind == "introduced" for e in events):
        raise InvalidInput(f"{where}: a range needs an 'introduced' event")
    return OsvRange(rtype or "", tuple(events), repo)


def _affected(a: Any, where: str) -> OsvAffected:
    a = _o(a, where)
    pkg = _o(a.get("package", {}), f"{where}.package")
    ecosystem, name, purl = (_s(pkg, "ecosystem", f"{where}.package"), _s(pkg, "name", f"{where}.package"),
                             _s(pkg, "purl", f"{where}.package"))
    if not purl and not (ecosystem and name):
        raise InvalidInput(f"{where}.package needs an ecosystem and a name, or a purl")
    ranges = tuple(_range(r, f"{where}.ranges[{k}]") for k, r in enumerate(_l(a, "ranges", where)))
    return OsvAffected(ecosystem, name, purl, ranges, _strs(a, "versions", where))


def load_osv(source: str | os.PathLike[str] | bytes | bytearray | Mapping[str, Any]) -> OsvAdvisory:
    """Read one OSV record from a path, JSON bytes or a decoded dict (see the module docstring)."""
    data, where = _read(source)
    if not isinstance(data, dict):
        raise InvalidInput(f"the OSV record{' ' + where if where else ''} is not a JSON object"
                           + (" (a list: load each record by itself)" if isinstance(data, list) else ""))
    name = f"the OSV record {where}" if where else "the OSV record"
    osv_id = _s(data, "id", name, required=True) or ""
    here = f"{osv_id}" + (f" ({where})" if where else "")
    severity = []
    for k, s in enumerate(_l(data, "severity", here)):
        s = _o(s, f"{here}: severity[{k}]")
        severity.append(OsvSeverity(_s(s, "type", f"{here}: severity[{k}]", required=True) or "",
                                    _s(s, "score", f"{here}: severity[{k}]", required=True) or ""))
    references = []
    for k, r in enumerate(_l(data, "references", here)):
        r = _o(r, f"{here}: references[{k}]")
        url = _s(r, "url", f"{here}: references[{k}]")
        if url:
            references.append(OsvReference(_s(r, "type", f"{here}: references[{k}]") or "WEB", url))
    return OsvAdvisory(
        id=osv_id,
        aliases=_strs(data, "aliases", here),
        summary=_s(data, "summary", here),
        details=_s(data, "details", here),
        affected=tuple(_affected(a, f"{here}: affected[{k}]") for k, a in enumerate(_l(data, "affected", here))),
        severity=tuple(severity),
        references=tuple(references),
        modified=_s(data, "modified", here),
        published=_s(data, "published", here),
        withdrawn=_s(data, "withdrawn", here),
        source=where,
    )


# ---------------------------------------------------------------------------------------- packages

PackageKey = tuple[str, str, str]  # purl type, namespace ("" for none), name; all normalised


def _norm(ptype: str, text: str) -> str:
    if ptype == "pypi":
        return re.sub(r"[-_.]+", "-", text).lower()
    return text.lower() if ptype in _CASELESS else text


def package_key(ptype: str, namespace: str | None, name: str) -> PackageKey:
    """The normalised identity of a package (see the module docstring)."""
    ptype = ptype.lower()
    return ptype, _norm(ptype, namespace or ""), _norm(ptype, name)


@lru_cache(maxsize=65536)
def parse_purl(purl: str) -> tuple[PackageKey, str | None] | None:
    """The package key and version of a purl; None when it is no valid purl."""
    try:
        p = PackageURL.from_string(purl)
    except ValueError:
        return None
    return package_key(p.type, p.namespace, p.name), p.version


def _ecosystem_key(ecosystem: str, name: str) -> PackageKey | None:
    base = ecosystem.split(":", 1)[0]
    if base not in ECOSYSTEM_PURL:
        return None
    ptype, distro = ECOSYSTEM_PURL[base]
    namespace: str | None = distro
    if ptype == "maven" and ":" in name:
        namespace, name = name.split(":", 1)
    elif ptype in ("npm", "composer", "golang") and "/" in name:
        namespace, name = name.rsplit("/", 1)
    return package_key(ptype, namespace, name)


def _affected_key(a: OsvAffected) -> PackageKey | None:
    if a.purl:
        parsed = parse_purl(a.purl)
        if parsed is not None:
            return parsed[0]
    if a.ecosystem and a.name:
        return _ecosystem_key(a.ecosystem, a.name)
    return None


# ---------------------------------------------------------------------------------------- versions

_SEMVER = re.compile(r"^[vV]?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")

SemverKey = tuple[int, int, int, tuple[tuple[int, int, str], ...]]


def semver_key(text: str) -> SemverKey | None:
    """A sort key by SemVer 2.0 precedence; None when the text is no (lenient) semantic version."""
    m = _SEMVER.match(text.strip())
    if m is None:
        return None
    major, minor, patch, pre = int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0), m.group(4)
    if pre is None:
        return major, minor, patch, ((2, 0, ""),)  # a release sorts after all its pre-releases
    ids = tuple((0, int(i), "") if i.isdigit() else (1, 0, i) for i in pre.split("."))
    return major, minor, patch, ids


def _pep440_key(text: str) -> Pep440Version | None:
    try:
        return Pep440Version(text)
    except InvalidVersion:
        return None


def _generic_key(text: str) -> Version | None:
    v = version_or_none(text)
    return None if v is None or v.wildcard else v


Keyer = Callable[[str], Any]


def ordering(range_type: str, ecosystem: str | None) -> tuple[Keyer, str] | None:
    """The version key function for a range and how it orders, or None (GIT: no order)."""
    base = (ecosystem or "").split(":", 1)[0]
    if range_type == "SEMVER" or (range_type == "ECOSYSTEM" and base in _SEMVER_ECOSYSTEMS):
        return semver_key, "SemVer 2.0 precedence"
    if range_type == "ECOSYSTEM" and base == "PyPI":
        return _pep440_key, "PEP 440"
    if range_type == "ECOSYSTEM":
        return _generic_key, (f"plantwarden's generic version order (no {base or 'unknown'} ordering here: "
                              "approximate)")
    return None


def _lt(a: Any, b: Any) -> bool | None:
    if isinstance(a, Version) and not a.comparable(b):
        return None
    return bool(a < b)


def _in_range(version: str, r: OsvRange, keyer: Keyer) -> tuple[bool, str, tuple[str, ...]] | None:
    """(affected, the span as text, fixed versions) for a version in one range; None: cannot tell."""
    v = keyer(version)
    if v is None:
        return None
    events: list[tuple[Any, int, OsvEvent]] = []
    for e in r.events:
        if e.kind == "limit" and e.value == "*":
            continue  # no limit
        if e.kind == "introduced" and e.value == "0":
            events.append((None, 0, e))
            continue
        k = keyer(e.value)
        if k is None or _lt(k, v) is None:
            return None
        events.append((k, 1, e))
    zero = [x for x in events if x[0] is None]
    rest = sorted((x for x in events if x[0] is not None), key=lambda x: x[0])
    affected, opened = False, ""
    limits = []
    for k, _, e in zero + rest:
        if e.kind == "limit":
            limits.append(k)
        elif e.kind == "introduced":
            if k is None or not _lt(v, k):
                affected, opened = True, e.value
        elif e.kind == "fixed":
            if not _lt(v, k):
                affected = False
        elif e.kind == "last_affected" and _lt(k, v):
            affected = False
    if affected and any(not _lt(v, lim) for lim in limits):
        affected = False
    if not affected:
        return False, "", ()
    closing = next((e for k, _, e in rest
                    if (e.kind == "fixed" and _lt(v, k)) or (e.kind == "last_affected" and not _lt(k, v))), None)
    lower = f">= {opened}" if opened != "0" else "from the first version"
    if closing is None:
        return True, f"{lower}, no fix yet", ()
    if closing.kind == "fixed":
        return True, f"{lower}, < {closing.value} (fixed)", (closing.value,)
    return True, f"{lower}, <= {closing.value} (last affected)", ()


def _in_versions(version: str, a: OsvAffected, keyer: Keyer | None) -> bool:
    if version in a.versions:
        return True
    if keyer is None:
        return False
    v = keyer(version)
    if v is None:
        return False
    for listed in a.versions:
        k = keyer(listed)
        if k is not None and _lt(k, v) is False and _lt(v, k) is False:
            return True
    return False


def _affects(a: OsvAffected, version: str) -> tuple[str, tuple[str, ...]] | None:
    """Why ``version`` of the package is affected by this entry (and the fixes), or None."""
    eco_order = ordering("ECOSYSTEM", a.ecosystem) if a.ecosystem else None
    if _in_versions(version, a, eco_order[0] if eco_order else None):
        return f"{version} is listed among the affected versions", ()
    for r in a.ranges:
        order = ordering(r.type, a.ecosystem)
        if order is None:
            continue
        keyer, how = order
        got = _in_range(version, r, keyer)
        if got is not None and got[0]:
            return f"{version} is in the {r.type} range {got[1]} (compared by {how})", got[2]
    return None


def match_components(advisories: Iterable[OsvAdvisory], components: Iterable[Component]) -> list[ComponentFinding]:
    """Every (component, advisory) where the advisory affects the component (see the module docstring).

    Components without a purl, or with one that is no valid purl or has no version (and the component
    none either), are not matched. Findings come in component order, then advisory order.
    """
    index: dict[PackageKey, list[tuple[OsvAdvisory, OsvAffected]]] = {}
    for adv in advisories:
        if adv.withdrawn:
            continue
        for a in adv.affected:
            key = _affected_key(a)
            if key is not None:
                index.setdefault(key, []).append((adv, a))
    findings: list[ComponentFinding] = []
    for c in components:
        if not c.purl:
            continue
        parsed = parse_purl(c.purl)
        if parsed is None:
            continue
        key, purl_version = parsed
        version = c.version or purl_version
        if not version or key not in index:
            continue
        seen: set[str] = set()
        for adv, a in index[key]:
            if adv.id in seen:
                continue
            got = _affects(a, version)
            if got is None:
                continue
            seen.add(adv.id)
            package = a.purl or f"{a.ecosystem} {a.name}"
            findings.append(ComponentFinding(c, adv.id, adv.aliases, f"{c.purl} is {package}; {got[0]}", got[1]))
    return findings
