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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from plantwarden.vulns.csaf import AFFECTED_KEYS, Advisory, Product, Remediation
from plantwarden.vulns.decide import decide
from plantwarden.vulns.names import (
    ModelPattern,
    families,
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
    tokens: frozenset[str]  # distinctive tokens of the product's name
    patterns: tuple[tuple[str, ModelPattern], ...]  # (model number text, its pattern)


def _name_tokens(p: Product, vendor: str) -> frozenset[str]:
    text = re.sub(r"\([^)]*\)", " ", p.product or p.name)  # "(incl. SIPLUS variants)" is a remark
    toks = product_tokens(text)
    vendor_words = set(product_tokens(vendor)) | set(vendor.split())
    if p.vendor:
        vendor_words |= product_tokens(p.vendor)
    if p.version_text:
        toks -= product_tokens(p.version_text)
    return frozenset(t for t in toks - vendor_words if len(t) >= 2)


def _distinctive(tokens: Iterable[str]) -> bool:
    """At least one token that names a product rather than a kind of thing: it has a digit, or is
    a name of 4+ letters that is not a common word."""
    common = {"cpu", "plc", "hmi", "controller", "controllers", "server", "client", "web", "panel", "switch",
              "router", "gateway", "station", "system", "systems", "unit", "interface", "engineering",
              "communication", "ethernet", "network", "card", "relay", "drive", "drives", "software"}
    return any(any(c.isdigit() for c in t) or (len(t) >= 4 and t not in common) for t in tokens)


_ORDER_NUMBER = re.compile(r"^(?=.*\d)(?=.*[A-Z])[0-9A-Z][0-9A-Z*?]*(?:[- ][0-9A-Z*?]+)+$")


def _numbers_in_name(name: str) -> list[str]:
    """Order numbers written in a product name: "SIMATIC S7-1500 CPU 1516-3 PN/DP (6ES7516-3AN00-0AB0)"."""
    return [m.strip() for m in re.findall(r"\(([^)]*)\)", name) if _ORDER_NUMBER.match(m.strip())]


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
                for vk in vendor_keys(p.vendor):
                    toks = _name_tokens(p, vk)
                    numbers = [m for m in p.model_numbers if m.strip()] + _numbers_in_name(p.name)
                    pats = tuple((m, model_pattern(m)) for m in dict.fromkeys(numbers))
                    if not pats and not _distinctive(toks):
                        continue  # "CPU" alone identifies nothing
                    self.by_vendor.setdefault(vk, []).append(_Candidate(adv, p, toks, pats))

    def match(self, device: Device) -> list[Finding]:
        out: list[Finding] = []
        seen: set[tuple[str, str]] = set()
        squashed = {squash(m): m for m in device.models}
        for vk, vsource in sorted(device.vendors.items()):
            fams = families(vk, list(device.models))
            dev_tokens: set[str] = set()
            for m in device.models:
                dev_tokens |= product_tokens(m)
            for f in fams:
                dev_tokens |= product_tokens(f)
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


def _identify(c: _Candidate, squashed: Mapping[str, str], tokens: set[str], models: Mapping[str, str],
              fams: set[str]) -> str | None:
    for text, pat in c.patterns:
        for sq, original in squashed.items():
            if pat.match(sq):
                return f"model number {text!r} matches {original!r} ({models[original]})"
    if c.patterns:
        return None  # a product with order numbers is identified by them only: the name covers its siblings
    if c.tokens and c.tokens <= tokens and _distinctive(c.tokens):
        via = [m for m in models if product_tokens(m) & c.tokens]
        fam = [f for f in sorted(fams) if product_tokens(f) & c.tokens]
        parts = [f"{m!r} ({models[m]})" for m in via] + [f"product family {f!r}" for f in fam]
        return f"product {c.product.product or c.product.name!r} named by " + ", ".join(parts)
    return None


def _decide(c: _Candidate, device: Device, vsource: str, ident: str) -> Finding | None:
    adv, p = c.advisory, c.product
    versions: list[tuple[str | None, str]] = list(device.firmware.items()) or [(None, "")]
    best = None
    for version, vsrc in versions:
        d = decide(adv, p.product_id, version)
        if d.verdict == "not_affected":
            continue
        if best is None or (d.verdict == "affected" and best[0].verdict != "affected"):
            best = (d, version, vsrc)
    if best is None:
        return None
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
