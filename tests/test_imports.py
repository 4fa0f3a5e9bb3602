"""The layering rules of docs/architecture.md, checked on the source."""

import ast

import pytest

from .conftest import ROOT

PKG = ROOT / "plantwarden"

FORBIDDEN = {
    "core": ("plantwarden.",),
    "decoders": ("plantwarden.sensor", "plantwarden.store", "plantwarden.inventory", "plantwarden.cli"),
    "sensor": ("plantwarden.store", "plantwarden.inventory", "plantwarden.cli"),
    "inventory": ("plantwarden.store", "plantwarden.cli"),
    "store": ("plantwarden.cli", "plantwarden.web"),
    "web": ("plantwarden.cli",),
    "detections": ("plantwarden.store", "plantwarden.cli", "plantwarden.sensor"),
}


def imports_of(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports(layer):
    bad = []
    for f in (PKG / layer).rglob("*.py"):
        for mod in imports_of(f):
            if any(mod.startswith(p) for p in FORBIDDEN[layer]):
                if layer == "core" and mod.startswith("plantwarden.core"):
                    continue
                bad.append(f"{f.relative_to(ROOT)} imports {mod}")
    assert not bad, bad
