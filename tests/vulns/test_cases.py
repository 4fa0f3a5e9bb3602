"""The labelled cases of tests/vulns/cases.yaml against ``decide`` (issue 7's acceptance).

The cases were written from the shared advisories before the matcher; this file checks their shape
(enough of them, every MANIFEST style covered, each range text really the leaf of its product id) and
that ``decide`` reaches precision and recall of at least 95 % on "affected", with every case expected
"unknown" reported as unknown.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from plantwarden.vulns.csaf import Advisory, load_advisory
from plantwarden.vulns.decide import decide

SHARED = Path(__file__).resolve().parents[3] / "shared"
CSAF = SHARED / "advisories" / "csaf"
CASES_FILE = Path(__file__).with_name("cases.yaml")
FIELDS = {"file", "product_id", "vendor", "product", "range", "style", "version", "expected", "why"}
VERDICTS = ("affected", "not_affected", "unknown")

pytestmark = pytest.mark.shared


def cases() -> list[dict[str, Any]]:
    return yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))["cases"]


def need_csaf() -> Path:
    if not (CSAF / "MANIFEST.tsv").is_file():
        pytest.skip("../shared/advisories/csaf is not beside the project")
    return CSAF


def manifest_styles() -> dict[str, set[str]]:
    lines = (need_csaf() / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()
    head = lines[0].split("\t")
    rows = [dict(zip(head, ln.split("\t"), strict=False)) for ln in lines[1:] if ln.strip()]
    return {r["file"]: {s for s in r["version_leaf_styles"].split(";") if s} for r in rows}


@cache
def advisory(rel: str) -> Advisory:
    return load_advisory(CSAF / rel)


def _words(text: str) -> str:
    return " ".join(text.split())


def raw_leaf(rel: str, product_id: str) -> tuple[str, str | None, list[str]]:
    """(leaf text, vendor, branch names) of a product id read straight from the JSON; for a
    relationship, those of its product_reference."""
    data = json.loads((CSAF / rel).read_text(encoding="utf-8"))
    tree = data["product_tree"]
    found: dict[str, tuple[str, str | None, list[str]]] = {}

    def walk(branches: list[dict[str, Any]], path: list[tuple[str, str]]) -> None:
        for b in branches:
            here = [*path, (b["category"], b["name"])]
            if "product" in b:
                vendors = [n for c, n in here if c == "vendor"]
                found[b["product"]["product_id"]] = (b["name"], vendors[0] if vendors else None,
                                                     [n for _, n in here])
            walk(b.get("branches", []), here)

    walk(tree.get("branches", []), [])
    if product_id not in found:
        for rel_ in tree.get("relationships", []):
            if rel_["full_product_name"]["product_id"] == product_id:
                return found[rel_["product_reference"]]
    return found[product_id]


def test_cases_have_the_required_shape() -> None:
    all_cases = cases()
    assert len(all_cases) >= 60
    for c in all_cases:
        assert set(c) == FIELDS, c
        assert c["expected"] in VERDICTS, c
        assert all(isinstance(c[k], str) and c[k] for k in FIELDS), c
    counts = Counter(c["expected"] for c in all_cases)
    assert counts["not_affected"] >= 20, counts
    assert counts["affected"] >= 20, counts
    keys = [(c["file"], c["product_id"], c["version"]) for c in all_cases]
    assert len(keys) == len(set(keys)), "a (file, product_id, version) appears twice"


def test_every_manifest_style_is_covered() -> None:
    styles = manifest_styles()
    files_per_style = Counter(s for per_file in styles.values() for s in per_file)
    per_style = Counter(c["style"] for c in cases())
    for style, n_files in files_per_style.items():
        want = 2 if n_files >= 2 else 1
        assert per_style[style] >= want, f"{style!r} ({n_files} files) has {per_style[style]} cases"
    for c in cases():
        assert c["style"] in styles[c["file"]], f"{c['file']} has no leaf of style {c['style']!r}"


def test_each_case_cites_the_real_leaf() -> None:
    need_csaf()
    for c in cases():
        text, vendor, names = raw_leaf(c["file"], c["product_id"])
        assert text == c["range"], (c["file"], c["product_id"], text)
        assert vendor is not None and _words(vendor) == _words(c["vendor"]), (c["file"], vendor)
        assert _words(c["product"]) in {_words(n) for n in names}, (c["file"], names)


def test_docs_count_the_styles() -> None:
    """docs/vulns.md holds the per-style table scripts/version_styles.py writes from the corpus."""
    need_csaf()
    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("version_styles", root / "scripts" / "version_styles.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = script  # dataclasses look their module up while the script loads
    spec.loader.exec_module(script)
    assert script.main(["--csaf", str(CSAF), "--check"]) == 0, "run python scripts/version_styles.py"


def test_decide_reaches_the_precision_and_recall() -> None:
    need_csaf()
    table: Counter[tuple[str, str]] = Counter()
    wrong = []
    for c in cases():
        d = decide(advisory(c["file"]), c["product_id"], c["version"])
        table[(c["expected"], d.verdict)] += 1
        if d.verdict != c["expected"]:
            wrong.append(f"{c['file']} {c['product_id']} {c['range']!r} @ {c['version']!r}: "
                         f"expected {c['expected']}, got {d.verdict} ({d.reason})")
    tp = table[("affected", "affected")]
    predicted = sum(n for (_, got), n in table.items() if got == "affected")
    actual = sum(n for (exp, _), n in table.items() if exp == "affected")
    precision = tp / predicted if predicted else 0.0
    recall = tp / actual if actual else 0.0
    rows = ["expected \\ got  " + "  ".join(f"{v:>12}" for v in VERDICTS)]
    rows += [f"{e:>15}  " + "  ".join(f"{table[(e, g)]:>12}" for g in VERDICTS) for e in VERDICTS]
    report = "\n".join([*rows, f"precision {precision:.3f} recall {recall:.3f}", *wrong])
    assert precision >= 0.95 and recall >= 0.95, report
    unknown_missed = [w for w in wrong if "expected unknown" in w]
    assert not unknown_missed, report
