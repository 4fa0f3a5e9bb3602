"""Count, per version style, the version leaves of the shared CSAF advisories the range parser reads.

Every product_version_range, product_version and product_name leaf of every advisory under
../shared/advisories/csaf is labelled with the style names MANIFEST.tsv uses (column
version_leaf_styles; ``style_of`` reproduces those labels leaf by leaf, and the script says so when a
file's labels differ from the manifest's) and read with ``plantwarden.vulns.versions.parse_range``.
The table goes into the section "## Version ranges in the corpus" of docs/vulns.md; the rest of that
file is left as it is (the file is created with a short introduction when it does not exist).
``--check`` exits 1 when the section is not what this script would write.

    python scripts/version_styles.py [--csaf ../shared/advisories/csaf] [--doc docs/vulns.md] [--check]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from plantwarden.vulns.versions import Unparsed, parse_range

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## Version ranges in the corpus"
INTRO = """# Vulnerabilities: CSAF advisories matched to the inventory

plantwarden reads CSAF 2.0 advisories (`plantwarden.vulns.csaf.load_advisory`), flattens their product
tree into one product per CSAF product id, reads each product's version text as a range
(`plantwarden.vulns.versions.parse_range`) and decides, for a product id and the version a device
reports, whether the device is affected (`plantwarden.vulns.decide.decide`): `affected`,
`not_affected`, or `unknown` when the advisory's text cannot be read without guessing. A range the
parser cannot read is reported with its reason, never guessed. The labelled cases in
`tests/vulns/cases.yaml` (written from the advisories before the parser) hold the matcher to a
precision and recall of at least 95 %.
"""


@dataclass
class Tally:
    leaves: int = 0
    parsed: int = 0
    unparsed: list[str] = field(default_factory=list)
    files: set[str] = field(default_factory=set)


def style_of(category: str, name: str) -> str:
    """The MANIFEST.tsv style label of one leaf (R: range leaf, V: version leaf, N: product name)."""
    t = name.strip()
    if category == "product_name":
        return "N:product_name"
    if category == "product_version":
        if t.startswith("vers:"):
            return "V:vers: in product_version (vers:all/*)"
        if "|" in t:
            return "V:list/range text with | in product_version"
        if re.search(r"includ|exclud", t, re.I):
            return "V:including/excluding text"
        if re.search(r"\ball\b", t, re.I):
            return "V:all-versions text"
        if re.fullmatch(r"[vV]?\d\S*", t):
            return "V:plain version"
        if re.match(r"[vV]?\d", t):
            return "V:version with qualifier text"
        return "V:other text (model names etc.)"
    if t.startswith("vers:"):
        body = t.split("/", 1)[1] if "/" in t else ""
        if body == "*":
            return "R:vers:all/* (all versions)"
        return "R:vers:all/ multi-constraint (a|b)" if "|" in body else "R:vers:all/ single constraint (<X, <=X)"
    if re.match(r"all versions\s*[<>=]", t, re.I):
        return "R:text 'All versions < X' (Siemens style)"
    if re.fullmatch(r"all versions", t, re.I):
        return "R:text 'All versions'"
    if re.search(r"\ball\b", t, re.I):
        return "R:text other with all"
    if "|" in t and re.match(r"[<>=]", t):
        return "R:operator list with | (>= X | <= Y)"
    if re.match(r"[<>=]", t) and re.search(r"\S\s*[<>]", t[2:]):
        return "R:operator compound without |"
    if re.match(r"[<>]=?|=[<>]", t):
        return "R:operator prefix (<X / <=X)"
    if re.search(r"prior|earlier", t, re.I):
        return "R:free text prior/earlier"
    if re.search(r"\bto\b", t, re.I):
        return "R:free text interval"
    if re.search(r"[<>]", t):
        return "R:prefixed text with operator (e.g. BIOS < V22)"
    if re.fullmatch(r"[vV]?\d+(\.\d+)*", t):
        return "R:bare version in range leaf"
    return "R:other free text"


def leaves(branches: list[dict[str, Any]]) -> Iterator[tuple[str, str]]:
    for b in branches:
        if "product" in b:
            yield b["category"], b["name"]
        yield from leaves(b.get("branches", []))


def manifest(csaf: Path) -> dict[str, set[str]]:
    lines = (csaf / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()
    head = lines[0].split("\t")
    rows = [dict(zip(head, ln.split("\t"), strict=False)) for ln in lines[1:] if ln.strip()]
    return {r["file"]: {s for s in r["version_leaf_styles"].split(";") if s} for r in rows}


def tally(csaf: Path) -> tuple[dict[str, Tally], list[str]]:
    styles = manifest(csaf)
    out: dict[str, Tally] = defaultdict(Tally)
    mismatches = []
    for rel in sorted(styles):
        data = json.loads((csaf / rel).read_text(encoding="utf-8"))
        seen = set()
        for category, name in leaves(data.get("product_tree", {}).get("branches", [])):
            style = style_of(category, name)
            seen.add(style)
            t = out[style]
            t.leaves += 1
            t.files.add(rel)
            if category == "product_name":
                t.parsed += 1  # no version text: the product, all versions
                continue
            if isinstance(parse_range(name), Unparsed):
                t.unparsed.append(name.strip())
            else:
                t.parsed += 1
        if seen != styles[rel]:
            mismatches.append(rel)
    return dict(out), mismatches


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def _cell(text: str) -> str:
    return "`" + _escape(text).replace("`", "'") + "`"


def section(csaf: Path) -> str:
    counts, mismatches = tally(csaf)
    total = Tally()
    lines = [
        SECTION,
        "",
        "Every version leaf (`product_version_range`, `product_version`, `product_name`) of the "
        f"{len(manifest(csaf))} CISA ICS advisories in `../shared/advisories/csaf`, by the style "
        "`MANIFEST.tsv` gives it, read with `parse_range`. *Parsed* leaves become a `VersionRange` "
        "(a `product_name` leaf names no version and counts as all versions of that product); "
        "*unparsed* ones are reported as `Unparsed` with a reason and decide as `unknown`. A parsed "
        "range still answers `unknown` for a version it cannot place (another letter prefix, a date "
        "against a version number): model names that look like versions (`LNL-X2210`, `CP401 | CP451`, "
        "`GATE-E1`) parse as exact versions with a letter prefix and so never match a firmware version. "
        "Written by `scripts/version_styles.py`.",
        "",
        "| style | files | leaves | parsed | unparsed | unparsed examples |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for style in sorted(counts, key=lambda s: (-counts[s].leaves, s)):
        t = counts[style]
        total.leaves += t.leaves
        total.parsed += t.parsed
        total.unparsed += t.unparsed
        examples = list(dict.fromkeys(t.unparsed))[:3]
        shown = ", ".join(_cell(e) for e in examples)
        lines.append(f"| {_escape(style)} | {len(t.files)} | {t.leaves} | {t.parsed} | {len(t.unparsed)} | {shown} |")
    lines.append(f"| **all** | {len(manifest(csaf))} | {total.leaves} | {total.parsed} | {len(total.unparsed)} | |")
    lines.append("")
    if mismatches:
        lines += [f"Style labels that differ from MANIFEST.tsv: {', '.join(mismatches)}.", ""]
    return "\n".join(lines)


def merged(doc: str | None, new_section: str) -> str:
    """``doc`` with its section replaced (or the section appended; an introduction if no doc)."""
    if doc is None:
        return INTRO + "\n" + new_section
    start = doc.find(SECTION + "\n")
    if start < 0:
        return doc.rstrip("\n") + "\n\n" + new_section
    nxt = re.search(r"^## ", doc[start + len(SECTION):], re.M)
    end = start + len(SECTION) + nxt.start() if nxt else len(doc)
    rest = doc[end:]
    return doc[:start] + new_section + ("\n" + rest if rest else "")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--csaf", type=Path, default=ROOT.parent / "shared" / "advisories" / "csaf")
    ap.add_argument("--doc", type=Path, default=ROOT / "docs" / "vulns.md")
    ap.add_argument("--check", action="store_true", help="exit 1 if the section is not up to date")
    args = ap.parse_args(argv)
    if not (args.csaf / "MANIFEST.tsv").is_file():
        print(f"no MANIFEST.tsv in {args.csaf}", file=sys.stderr)
        return 2
    doc = args.doc.read_text(encoding="utf-8") if args.doc.is_file() else None
    new = merged(doc, section(args.csaf))
    if args.check:
        if new != doc:
            print(f"{args.doc} is not up to date: run python scripts/version_styles.py", file=sys.stderr)
            return 1
        return 0
    args.doc.write_text(new, encoding="utf-8")
    print(f"wrote {args.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
