"""Shared test helpers: where ../shared is, and skips that never hide a missing tool in CI."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]
SHARED = (ROOT / ".." / "shared").resolve()
PCAPS = SHARED / "pcaps"
IN_CI = os.environ.get("CI", "").lower() == "true"

# CI explores the same examples on every run (a red CI then means a change broke something, not that a
# new random example was found); developers' runs stay random and keep finding new ones.
settings.register_profile("ci", derandomize=True, database=None)
if IN_CI:
    settings.load_profile("ci")


def need_shared() -> Path:
    if not PCAPS.is_dir():
        pytest.skip("../shared/pcaps is not beside the project")
    return SHARED


def need_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if IN_CI:
            pytest.fail(f"{name} is not installed in CI (make test installs it through scripts/system-deps.sh)")
        pytest.skip(f"{name} is not installed (run make system-deps)")
    return path


def manifest() -> list[dict[str, str]]:
    """The rows of ../shared/pcaps/MANIFEST.tsv (empty when ../shared is absent)."""
    m = PCAPS / "MANIFEST.tsv"
    if not m.is_file():
        return []
    lines = m.read_text().splitlines()
    head = lines[0].split("\t")
    return [dict(zip(head, ln.split("\t"), strict=False)) for ln in lines[1:] if ln.strip()]


@pytest.fixture
def shared() -> Path:
    return need_shared()
