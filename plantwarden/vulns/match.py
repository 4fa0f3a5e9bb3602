"""CSAF advisories matched to the inventory (docs/vulns.md, "Matching").

A device is described by what it said about itself and what was seen of it (``Device``): vendor names
(identity facts, the MAC's registrant, a protocol only one vendor's devices serve), models (model,
product, order number, module type ...) and firmware versions, each with where it came from. An
advisory product matches a device when

1. one of the device's vendors has the product's vendor key (``names.vendor_key``), and
2. the product is identified: a model number of the advisory's identification helper matches one of the
   device's models or order numbers (``model number``), or every distinctive token of the product's
   name is among the tokens of the device's models and the product families its order numbers belong to
   (``name``), and
3. ``decide`` does not say "not affected" for the device's firmware (or for no version, when none was
   seen: then the finding says the version is unknown).

Every finding keeps why it matched, as sentences naming the sources.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from plantwarden.vulns.csaf import AFFECTED_KEYS, Advisory, Product, Remediation
from plantwarden.vulns.decide import Decision, decide
from plantwarden.vulns.names import (
    PARENTHESES,
    ModelPattern,
    family_sources,
    model_pattern,
    product_tokens,
    squash,
    vendor_key,
    vendor_keys,
)

#: fact names that name the device's vendor, model or firmware (docs/inventory.md)
VENDOR_FACTS: Final = ("vendor", "vendor_name")
MODEL_FACTS: Final = ("model", "model_name", "product_name", "product_code", "order_number", "module_type",
                      "module_name", "device_type", "hardware_id")
FIRMWARE_FACTS: Final = ("firmware", "firmware_version", "revision", "application_software_version",
                         "software_version")
#: protocols whose servers, in practice, come from one vendor (a weaker hint than an identity fact)
PROTOCOL_VENDORS: Final = {"s7comm": "siemens", "s7comm_plus": "siemens", "melsec": "mitsubishi electric",
                           "omron_fins": "omron", "ads": "beckhoff", "umas": "schneider electric"}


@dataclass(slots=True)
class Device:
    """What is known of one asset's identity; every value maps to where it came from."""

    ip: str
    asset_id: int | None = None
    vendors: dict[str, str] = field(default_factory=dict)  # vendor key -> source
    models: dict[str, str] = field(default_factory=dict)  # model text -> source
    firmware: dict[str, str] = field(default_factory=dict)  # version text -> source

    def add_vendor(self, name: str, source: str) -> None:
        for key in vendor_keys(name):
            self.vendors.setdefault(key, f"{source}: {name!r}")


@dataclass(frozen=True, slots=True)
class Finding:
    ip: str
    asset_id: int | None
    advisory: str  # tracking id
    title: str
    product_id: str
    product: str  # the advisory's full product name
    verdict: str  # affected | unknown (the version could not be placed)
    version: str | None  # the device's version the verdict is about
    cves: tuple[str, ...]
    cvss_score: float | None
    cvss_vector: str | None
    severity: str | None
    remediations: tuple[Remediation, ...]
    why: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Candidate:
    advisory: Advisory
    product: Product
    required: frozenset[str]  # distinctive tokens of the product's name: every one must be the device's
    alternatives: frozenset[str]  # a listed run of models ("3xxx 4xxx and 48xx"): one must be the device's
    patterns: tuple[tuple[str, ModelPattern], ...]  # (model number text, its pattern)

    @property
    def tokens(self) -> frozenset[str]:
        return self.required | self.alternatives


#: words that say what kind of thing a product is, not which one: dropped from the tokens a device must have
_GENERIC: Final = frozenset({
    "controller", "controllers", "cpu", "cpus", "plc", "plcs", "industrial", "managed", "unmanaged", "switch",
    "switches", "unit", "units", "station", "stations", "system", "systems", "installed", "on", "or",
})
#: words that are common in product names without naming a product (a product needs something more)
_COMMON: Final = frozenset({
    "cpu", "plc", "hmi", "controller", "controllers", "server", "client", "web", "panel", "switch", "router",
    "gateway", "station", "system", "systems", "unit", "interface", "engineering", "communication", "ethernet",
    "network", "card", "relay", "drive", "drives", "software", "installed", "series", "platform"})
_WILD: Final = re.compile(r"^([a-z]*\d*)(x{2,})([a-z]*)$")  # 3xxx, 48xx, iaw5xxxa
_SERIES_ZEROS: Final = re.compile(r"^([a-z]*\d*[1-9])(0{2,})([a-z]?)$")  # "2500 series" is 25xx
_ITEM: Final = re.compile(r"[a-z0-9]+(?:[-./][a-z0-9]+)*|,|&", re.I)
_LIST_WORDS: Final = frozenset({"and", "or", "&", ","})
#: phrases where a kind-of-thing word names another product ("S7-1500 Software Controller" is no S7-1500 CPU)
_PHRASES: Final = ((re.compile(r"\b(?:software|soft|virtual|open)[\s-]+(?:controller|plc|cpu)s?\b", re.I),
                    "pc-based-controller"),)


_PHRASE_TOKENS: Final = frozenset(tok for _pat, tok in _PHRASES)


def phrase_tokens(text: str) -> set[str]:
    return {tok for pat, tok in _PHRASES if pat.search(text)}


def fold_token(t: str) -> str:
    """A token compared without a plural's final s ("PACSystems" is the "PACSystem" of an advisory)."""
    return t[:-1] if len(t) >= 5 and t.endswith("s") and t.isalpha() else t


def _wild(t: str) -> re.Pattern[str] | None:
    m = _WILD.match(t)
    if m is None or not (m.group(1) and any(c.isdigit() for c in m.group(1)) or len(m.group(2)) >= 3):
        return None
    return re.compile(re.escape(m.group(1)) + r"\d{" + str(len(m.group(2))) + "}" + re.escape(m.group(3)) + r"(?!\d)")


def _series(t: str) -> str:
    """A series number written with zeros ("ioLogik 2500 series") as the wildcard it stands for."""
    m = _SERIES_ZEROS.match(t)
    if m is None or sum(c.isdigit() for c in t) < 3:
        return t
    return m.group(1) + "x" * len(m.group(2)) + m.group(3)


def _modelish(item: str, original: str) -> bool:
    return (any(c.isdigit() for c in item) or bool(_WILD.match(item)) or ("-" in item or "/" in item)
            or (len(item) <= 3 and original.isalpha() and original.isupper() and item not in _COMMON))


def _runs(text: str) -> tuple[list[str], list[str]]:
    """The name's items outside listed runs, and the items of the listed runs: a run is two or more
    model-like items in a row joined by "and", "or", "&" or commas ("iQ-R iQ-F Q L and FX")."""
    items = [(m.group(0).lower(), m.group(0)) for m in _ITEM.finditer(
        unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode())]
    items = [(i.lower(), o) for i, o in items]
    plain: list[str] = []
    listed: list[str] = []
    k = 0
    while k < len(items):
        j, run, joined = k, [], False
        while j < len(items):
            it, orig = items[j]
            if _modelish(it, orig) and it not in _LIST_WORDS:
                run.append(it)
            elif it in _LIST_WORDS and run:
                joined = True
            else:
                break
            j += 1
        if len(run) >= 2 and joined:
            listed.extend(run)
            k = j
        else:
            plain.append(items[k][0])
            k += 1
    return plain, listed


def _tokens_of(items: Iterable[str], series: bool) -> set[str]:
    out: set[str] = set()
    for item in items:
        for t in product_tokens(item):
            out.add(fold_token(_series(t) if series else t))
    return out


def _title_model(adv: Advisory, p: Product) -> str | None:
    """A product named by one bare word ("NPort") gets the model the title writes after that word
    ("Moxa NPort IAW5000A-I/O Series ...")."""
    name = (p.product or "").strip()
    if not name or " " in name or any(c.isdigit() for c in name):
        return None
    m = re.search(re.escape(name) + r"\s+([A-Za-z]*\d[\w\-/.]*)", adv.title or "", re.I)
    return m.group(1) if m else None


def _name_parts(adv: Advisory, p: Product, vendor: str) -> tuple[frozenset[str], frozenset[str], bool]:
    """(required tokens, alternatives, whether the name has an upper-case code such as "CJ")."""
    raw = p.product or p.name
    text = PARENTHESES.sub(" ", raw)  # "(incl. SIPLUS variants)" is a remark
    series = "series" in text.lower()
    extra = _title_model(adv, p)
    if extra:
        series = series or "series" in (adv.title or "").lower()
        text = f"{text} {extra.split('-')[0]}"
    plain, listed = _runs(text)
    req = _tokens_of(plain, series)
    alt = {fold_token(_series(x) if series else x) for x in listed}
    drop = _GENERIC | _tokens_of([vendor], False) | set(vendor.split())
    if p.vendor:
        drop |= _tokens_of([p.vendor], False)
    if p.version_text:
        drop |= product_tokens(p.version_text)
    drop |= {fold_token(t) for t in drop}
    codes = any(w.isupper() and w.isalpha() and 2 <= len(w) <= 3 and w.lower() not in _COMMON
                for w in re.findall(r"[A-Za-z]+", text))
    req |= phrase_tokens(raw)
    return (frozenset(t for t in req - drop if len(t) >= 2),
            frozenset(t for t in alt - drop), codes)


def _distinctive(tokens: Iterable[str], codes: bool = False) -> bool:
    """At least one token that names a product rather than a kind of thing: it has a digit, or is
    a name of 4+ letters that is not a common word, or an upper-case code ("CJ", "FX") of the name."""
    return codes or any(any(c.isdigit() for c in t) or (len(t) >= 4 and t not in _COMMON) for t in tokens)


_ORDER_NUMBER = re.compile(r"^(?=.*\d)(?=.*[A-Z])[0-9A-Z][0-9A-Z*?]*(?:[- ][0-9A-Z*?]+)+$")
_SLASH_LIST: Final = re.compile(r"\b([A-Z]{1,3})(\d{2,3}(?:/\d{2,3})+)(?:\(([A-Z]{1,3})\))?([A-Z]{1,6})\b")
_BOXES: Final = re.compile(r"\b[A-Z0-9]+(?:-[A-Z0-9]+)*(?:\s?[\u25a1\u25a0\u2610])+")


def _numbers_in_name(name: str) -> list[str]:
    """Model numbers written in a product name: "SIMATIC S7-1500 CPU 1516-3 PN/DP (6ES7516-3AN00-0AB0)",
    "R04/08/16/32/120(EN)CPU" (R04CPU, R04ENCPU, R08CPU ...), "CJ2M-CPU\u25a1\u25a1" (a box for a digit)."""
    out = [m.strip() for m in re.findall(r"\(([^)]*)\)", name) if _ORDER_NUMBER.match(m.strip())]
    for m in _SLASH_LIST.finditer(name):
        head, nums, optional, tail = m.group(1), m.group(2).split("/"), m.group(3), m.group(4)
        for n in nums:
            out.append(f"{head}{n}{tail}")
            if optional:
                out.append(f"{head}{n}{optional}{tail}")
    for m in _BOXES.finditer(name):
        out.append(re.sub(r"\s?[\u25a1\u25a0\u2610]", "?", m.group(0)))
    return out


class Matcher:
    """The advisories indexed by vendor key, ready to match devices."""

    def __init__(self, advisories: Iterable[Advisory]) -> None:
        self.by_vendor: dict[str, list[_Candidate]] = {}
        self.count = 0
        for adv in advisories:
            self.count += 1
            for p in adv.products.values():
                if not p.vendor:
                    continue
                if not (adv.statuses_of(p.product_id) & AFFECTED_KEYS) and not any(
                        adv.statuses_of(r.product_id) & AFFECTED_KEYS for r in adv.relationships_of(p.product_id)):
                    continue
                parts = [p]
                if p.relationship is not None:  # "firmware X installed on device Y": both must be the device's
                    parts = [q for q in (adv.products.get(p.relationship.product_reference),
                                         adv.products.get(p.relationship.relates_to_product_reference)) if q]
                for vk in vendor_keys(p.vendor):
                    req: set[str] = set()
                    alt: set[str] = set()
                    codes = False
                    numbers: list[str] = []
                    for q in parts:
                        r, al, c = _name_parts(adv, q, vk)
                        req |= r
                        if al:
                            alt = alt & al if alt else set(al)
                        codes = codes or c
                        numbers += [m for m in q.model_numbers if m.strip()] + _numbers_in_name(q.name)
                        numbers += _numbers_in_name(q.product or "")
                    pats = tuple((m, model_pattern(m)) for m in dict.fromkeys(numbers))
                    if not pats and not _distinctive(req | alt, codes):
                        continue  # "CPU" alone identifies nothing
                    self.by_vendor.setdefault(vk, []).append(
                        _Candidate(adv, p, frozenset(req), frozenset(alt), pats))

    def match(self, device: Device) -> list[Finding]:
        out: list[Finding] = []
        seen: set[tuple[str, str]] = set()
        squashed = {squash(m): m for m in device.models}
        generations = _generations(device)
        for vk, vsource in sorted(device.vendors.items()):
            fams = family_sources(vk, list(device.models))
            dev_tokens: set[str] = set(generations)
            for m in device.models:
                dev_tokens |= {fold_token(t) for t in product_tokens(m)} | phrase_tokens(m)
            for f in fams:
                dev_tokens |= {fold_token(t) for t in product_tokens(f)}
            for cand in self.by_vendor.get(vk, ()):
                key = (cand.advisory.tracking_id, cand.product.product_id)
                if key in seen:
                    continue
                ident = _identify(cand, squashed, dev_tokens, device.models, fams)
                if ident is None:
                    continue
                finding = _decide(cand, device, vsource, ident)
                if finding is not None:
                    seen.add(key)
                    out.append(finding)
        return out


def _generations(device: Device) -> set[str]:
    """"v7" for a firmware 7.x: names such as "S7-400 PN/DP V7" are a generation of the firmware."""
    out = set()
    for fw in device.firmware:
        g = re.match(r"\s*v?(\d{1,3})(?!\d)", fw, re.I)
        if g:
            out.add(f"v{int(g.group(1))}")
    return out


def _has(token: str, tokens: set[str]) -> bool:
    if token in tokens:
        return True
    w = _wild(token)
    return w is not None and any(w.match(t) for t in tokens)


def _identify(c: _Candidate, squashed: Mapping[str, str], tokens: set[str], models: Mapping[str, str],
              fams: Mapping[str, list[str]]) -> str | None:
    for text, pat in c.patterns:
        for sq, original in squashed.items():
            if pat.match(sq):
                return f"model number {text!r} matches {original!r} ({models[original]})"
    if c.patterns:
        return None  # a product with order numbers is identified by them only: the name covers its siblings
    if not c.required and not c.alternatives:
        return None
    if not all(_has(t, tokens) for t in c.required):
        return None
    if any(t in tokens and t not in c.required for t in _PHRASE_TOKENS):
        return None  # a software controller is not the hardware CPU family its name also contains
    alts = [a for a in sorted(c.alternatives) if _has(a, tokens)]
    if c.alternatives and not alts:
        return None
    named = set(c.required) | set(alts)
    via = [m for m in models if {fold_token(t) for t in product_tokens(m)} & named or any(
        _has(a, {fold_token(t) for t in product_tokens(m)}) for a in named if _wild(a))]
    fam = [f for f in sorted(fams) if {fold_token(t) for t in product_tokens(f)} & named]
    parts = [f"{m!r} ({models[m]})" for m in via] + [
        f"product family {f!r} of " + ", ".join(f"{m!r} ({models[m]})" for m in fams[f]) for f in fam]
    if not parts:
        parts = ["its firmware generation"]
    listed = f" (one of {', '.join(sorted(c.alternatives))})" if c.alternatives else ""
    return f"product {c.product.product or c.product.name!r}{listed} named by " + ", ".join(parts)


_BARE: Final = re.compile(r"^\s*\d+(?:\.\d+)*\s*$")
_RELEASE: Final = re.compile(r"(?<![A-Za-z])R\d+\.\d")


def _range_text(p: Product) -> str:
    rng = p.range
    return getattr(rng, "text", "") or (p.version_text or "")


def _decide(c: _Candidate, device: Device, vsource: str, ident: str) -> Finding | None:
    adv, p = c.advisory, c.product
    versions: list[tuple[str | None, str]] = list(device.firmware.items()) or [(None, "")]
    best = None
    placed = False
    for version, vsrc in versions:
        d = decide(adv, p.product_id, version)
        if d.verdict == "unknown" and version and _BARE.match(version) and _RELEASE.search(_range_text(p)):
            r = decide(adv, p.product_id, "R" + version.strip())  # GE/Emerson write release 9.20 as R9.20
            if r.verdict != "unknown":
                d = Decision(r.verdict, f"{r.reason} (the device's {version.strip()!r} read as release "
                                        f"'R{version.strip()}', as the range writes releases)")
        if d.verdict == "not_affected":
            placed = True
            continue
        if best is None or (d.verdict == "affected" and best[0].verdict != "affected"):
            best = (d, version, vsrc)
    if best is None or (best[0].verdict == "unknown" and placed):
        return None  # a version the range places decides; one it cannot read does not outvote it
    d, version, vsrc = best
    vulns = [v for v in adv.vulnerabilities
             if (v.status_of(p.product_id) & AFFECTED_KEYS)
             or any(v.status_of(r.product_id) & AFFECTED_KEYS for r in adv.relationships_of(p.product_id))]
    ids = {p.product_id} | {r.product_id for r in adv.relationships_of(p.product_id)}
    cvss = [v.cvss_v3 for v in vulns if v.cvss_v3 is not None and v.cvss_v3.base_score is not None]
    top = max(cvss, key=lambda c: c.base_score or 0.0) if cvss else None
    rems = tuple(r for v in vulns for r in v.remediations if ids & set(r.product_ids))
    why = [f"vendor {vendor_key(p.vendor or '')!r} of the advisory is the device's ({vsource})", ident,
           d.reason + (f" ({vsrc})" if version is not None and vsrc else "")]
    return Finding(device.ip, device.asset_id, adv.tracking_id, adv.title, p.product_id, p.name, d.verdict, version,
                   tuple(sorted({v.cve for v in vulns if v.cve})), top.base_score if top else None,
                   top.vector if top else None, top.base_severity if top else None, _unique(rems), tuple(why))


def _unique(rems: Sequence[Remediation]) -> tuple[Remediation, ...]:
    seen: set[tuple[str, str]] = set()
    out = []
    for r in rems:
        k = (r.category, r.details)
        if k not in seen:
            seen.add(k)
            out.append(r)
    return tuple(out)
