"""Vendor and product names as advisories and devices spell them, made comparable (docs/vulns.md).

``vendor_key`` folds case, punctuation and legal suffixes and maps known aliases (brands, former names,
subsidiaries that publish under the parent) to one key: "Siemens AG" and "SIEMENS" are ``siemens``;
"Allen-Bradley" is ``rockwell automation``. ``product_tokens`` splits a product name or model into
comparable tokens, keeping model numbers whole where splitting would lose them (``s7-1500`` gives
``s7``, ``1500`` and ``s7-1500``).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

_LEGAL: Final = frozenset({
    "inc", "incorporated", "llc", "ltd", "limited", "gmbh", "ag", "co", "kg", "corp", "corporation", "company",
    "sa", "se", "spa", "bv", "nv", "oy", "ab", "as", "plc", "pty", "kk", "srl", "sas", "gmbh&co", "the",
    "international", "group", "holding", "holdings", "software", "technologies", "technology", "&",
})

#: alias (after folding) -> the vendor key advisories and devices are compared by
ALIASES: Final[dict[str, str]] = {
    "siemens": "siemens", "siemens energy": "siemens", "siemens healthineers": "siemens",
    "rockwell automation": "rockwell automation", "rockwell": "rockwell automation",
    "allen bradley": "rockwell automation", "rockwell automation allen bradley": "rockwell automation",
    "schneider electric": "schneider electric", "schneider": "schneider electric",
    "telemecanique": "schneider electric", "telemecanique electrique": "schneider electric",
    "modicon": "schneider electric", "square d": "schneider electric",
    "aveva": "aveva", "osisoft": "aveva", "wonderware": "aveva",
    "general electric": "general electric", "ge": "general electric", "ge digital": "general electric",
    "ge vernova": "general electric", "ge grid solutions": "general electric",
    "mitsubishi electric": "mitsubishi electric", "mitsubishi": "mitsubishi electric", "iconics": "mitsubishi electric",
    "hitachi energy": "hitachi energy", "abb": "abb", "abb power grids": "hitachi energy",
    "honeywell": "honeywell", "matrikon": "honeywell",
    "moxa": "moxa", "omron": "omron", "yokogawa": "yokogawa", "emerson": "emerson", "fisher rosemount": "emerson",
    "delta electronics": "delta electronics", "delta": "delta electronics",
    "phoenix contact": "phoenix contact", "innominate security": "phoenix contact",
    "codesys": "codesys", "3s smart": "codesys", "3s": "codesys",
    "wago": "wago", "wago kontakttechnik": "wago",
    "belden": "belden", "hirschmann": "belden", "hirschmann automation and control": "belden",
    "johnson controls": "johnson controls", "kantech": "johnson controls", "exacq": "johnson controls",
    "b&r": "b&r", "b&r industrial automation": "b&r", "b r industrial automation": "b&r", "br automation": "b&r",
    "ptc": "ptc", "kepware": "ptc", "red lion": "red lion", "red lion controls": "red lion",
    "automationdirect": "automationdirect", "automation direct": "automationdirect",
    "digi": "digi", "carrier": "carrier", "lenels2": "carrier", "fuji electric": "fuji electric",
    "beckhoff": "beckhoff", "beckhoff automation": "beckhoff", "advantech": "advantech", "eaton": "eaton",
    "inductive automation": "inductive automation", "unitronics": "unitronics", "weintek": "weintek",
    "westermo": "westermo", "panasonic": "panasonic", "softing": "softing", "ovarro": "ovarro",
}
#: a bracketed remark in a name: "(incl. SIPLUS variants)"
PARENTHESES = re.compile(r"\([^)]*\)")
_NON_WORD = re.compile(r"[^a-z0-9&]+")


def fold(text: str) -> str:
    """Lower case, accents off, punctuation to single spaces."""
    t = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return _NON_WORD.sub(" ", t).strip()


def vendor_key(name: str) -> str:
    """The comparable key of a vendor name ("" for none)."""
    base = fold(PARENTHESES.sub(" ", name))
    if base in ALIASES:
        return ALIASES[base]
    words = [w for w in base.split() if w not in _LEGAL]
    for n in range(len(words), 0, -1):  # the longest known prefix: "siemens ag munich" -> siemens
        head = " ".join(words[:n])
        if head in ALIASES:
            return ALIASES[head]
    return " ".join(words)


def vendor_keys(text: str) -> set[str]:
    """Every vendor a field names: advisories list several ("Red Lion, AutomationDirect", "ICONICS |
    Mitsubishi Electric", "X and Y")."""
    known = set(ALIASES.values())
    keys: set[str] = set()
    for part in re.split(r"\s*(?:,|\||/|;)\s*", text):
        if not part.strip():
            continue
        words = " ".join(w for w in fold(PARENTHESES.sub(" ", part)).split() if w not in _LEGAL)
        subs = [k for k in (vendor_key(x) for x in re.split(r"\s+and\s+", part)) if k]  # "LLC" keys as ""
        if len(subs) > 1 and all(k in known for k in subs):  # "General Electric (GE) and Emerson"
            keys.update(subs)
        elif words in ALIASES:  # one name with "and" in it: "Hirschmann Automation and Control GmbH"
            keys.add(ALIASES[words])
        elif len(subs) == 1:
            keys.add(subs[0])
        else:
            keys.add(vendor_key(part))
    return {k for k in keys if k}


_TOKEN = re.compile(r"[a-z0-9]+(?:[-./][a-z0-9]+)*")
_NOISE: Final = frozenset({"all", "versions", "version", "and", "the", "of", "for", "with", "series", "family",
                           "product", "products", "firmware", "software", "models", "model", "devices",
                           "device", "module", "modules", "including", "incl", "variants", "other", "v"})


def product_tokens(text: str) -> set[str]:
    """Tokens of a product name or model: whole hyphenated/dotted items and their parts, lower case."""
    t = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    out: set[str] = set()
    for m in _TOKEN.finditer(t):
        item = m.group(0)
        out.add(item)
        out.update(p for p in re.split(r"[-./]", item) if p)
    return {x for x in out if x not in _NOISE}


class ModelPattern:
    """A CSAF model number (``6ES7 516-3AN0*``, ``BMX P34 2020``, ``1756-L7?``) matched against a
    device's squashed model or order number (``squash``): case, spaces and hyphens are ignored, ``*``
    matches any run and ``?`` one character. Matching is the two-pointer wildcard walk, O(len(pattern) x
    len(value)) at worst: a hostile model string cannot make it backtrack exponentially."""

    __slots__ = ("pattern",)

    def __init__(self, text: str) -> None:
        self.pattern = "".join(ch.lower() for ch in text.strip() if ch not in " -_")

    def match(self, value: str) -> bool:
        p, v = self.pattern, value
        i = j = 0
        star, mark = -1, 0
        while j < len(v):
            if i < len(p) and (p[i] == "?" or p[i] == v[j]):
                i += 1
                j += 1
            elif i < len(p) and p[i] == "*":
                star, mark = i, j
                i += 1
            elif star >= 0:
                i, mark = star + 1, mark + 1
                j = mark
            else:
                return False
        while i < len(p) and p[i] == "*":
            i += 1
        return i == len(p)


def model_pattern(text: str) -> ModelPattern:
    """See ``ModelPattern``."""
    return ModelPattern(text)


def squash(text: str) -> str:
    """A model or order number without case, spaces and hyphens (for ``model_pattern``)."""
    return re.sub(r"[\s\-_]+", "", text.strip().lower())


#: (vendor key, pattern over a squashed order number / model / module type) -> product family tokens.
#: Order-number and type prefixes are the vendors' published numbering of their product lines.
FAMILIES: Final[tuple[tuple[str, re.Pattern[str], str], ...]] = tuple(
    (v, re.compile(p), fam) for v, p, fam in (
        ("siemens", r"^6es721", "simatic s7-1200"),
        ("siemens", r"^6es751|^cpu15\d\d", "simatic s7-1500"),
        ("siemens", r"^6es731|^cpu31\d", "simatic s7-300"),
        ("siemens", r"^6es741|^cpu41\d", "simatic s7-400"),
        ("siemens", r"^cpu12\d\d", "simatic s7-1200"),
        ("siemens", r"^6es715[1-5]|^im15\d", "simatic et 200"),
        ("siemens", r"^6av", "simatic hmi"),
        ("siemens", r"^6gk", "simatic net scalance"),
        ("rockwell automation", r"^1756", "controllogix"),
        ("rockwell automation", r"^1756l6", "controllogix 5560"),
        ("rockwell automation", r"^1756l7", "controllogix 5570"),
        ("rockwell automation", r"^1756l8", "controllogix 5580"),
        ("rockwell automation", r"^1769l|^5069l|^1768l", "compactlogix"),
        ("rockwell automation", r"^1769l3", "compactlogix 5370"),
        ("rockwell automation", r"^5069l3", "compactlogix 5380"),
        ("rockwell automation", r"^5069l4", "compactlogix 5480"),
        ("rockwell automation", r"^1766", "micrologix 1400"),
        ("rockwell automation", r"^1763", "micrologix 1100"),
        ("rockwell automation", r"^2080", "micro800"),
        ("rockwell automation", r"^1408em", "powermonitor 1000"),
        ("mitsubishi electric", r"^r\d{2,3}(?:en|p|pcpu|sf|sfcpu)?cpu", "melsec iq-r"),
        ("mitsubishi electric", r"^fx5", "melsec iq-f"),
        ("mitsubishi electric", r"^q\d{2,3}[a-z]*cpu|^q\d{2}ud", "melsec q"),
        ("mitsubishi electric", r"^l\d{2}[a-z]*cpu", "melsec l"),
        ("mitsubishi electric", r"^fx[0-3]", "melsec f"),
        ("omron", r"^cj[12]", "sysmac cj"),
        ("omron", r"^cp1", "sysmac cp"),
        ("omron", r"^cs1", "sysmac cs"),
        ("omron", r"^nj\d", "sysmac nj"),
        ("omron", r"^nx\d", "sysmac nx"),
        ("belden", r"^rsr?[234]0", "classic platform rs"),
        ("belden", r"^ms[234]0", "classic platform ms"),
        ("belden", r"^octopus", "classic platform octopus"),
        ("belden", r"^mach1\d", "classic platform mach"),
        ("general electric", r"^ic695", "pacsystems rx3i"),
        ("general electric", r"^ic698", "pacsystems rx7i"),
        ("emerson", r"^ic695", "pacsystems rx3i"),
        ("emerson", r"^ic698", "pacsystems rx7i"),
        ("schneider electric", r"^bmxp34|^bmxprp", "modicon m340"),
        ("schneider electric", r"^bmep58|^bmeh58", "modicon m580"),
        ("schneider electric", r"^tm241", "modicon m241"),
        ("schneider electric", r"^tm251", "modicon m251"),
        ("schneider electric", r"^tm221", "modicon m221"),
        ("schneider electric", r"^140cpu", "modicon quantum"),
        ("schneider electric", r"^tsxp57", "modicon premium"),
    ))


def families(vendor: str, models: list[str]) -> set[str]:
    """The product families a vendor's order numbers or module types belong to (e.g. a Siemens
    ``6ES7 516-3AN01-0AB0`` is a SIMATIC S7-1500)."""
    return set(family_sources(vendor, models))


def family_sources(vendor: str, models: list[str]) -> dict[str, list[str]]:
    """``families`` with, for each family, the models that put the device in it."""
    out: dict[str, list[str]] = {}
    for v, pattern, fam in FAMILIES:
        if v != vendor:
            continue
        for m in models:
            if pattern.search(squash(m)):
                out.setdefault(fam, []).append(m)
    return out
