"""Fixtures for the demo capture tests: one generated capture per module, and tshark as an oracle."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from plantwarden.demo import generate_demo_capture, labels_path


def require_tshark() -> str:
    """tshark's path; skip when it is missing, except under CI=true where that is a failure."""
    path = shutil.which("tshark")
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("tshark is required when CI=true")
        pytest.skip("tshark not installed")
    return path


def tshark_fields(capture: Path, fields: list[str], display_filter: str | None = None,
                  extra: list[str] | None = None) -> list[list[str]]:
    """Rows of ``-T fields`` output (tab separated, one list per frame)."""
    cmd = [require_tshark(), "-n", "-r", str(capture), "-T", "fields", "-E", "occurrence=a",
           "-E", "aggregator=,", *(extra or [])]
    if display_filter:
        cmd += ["-Y", display_filter]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines()]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """(capture path, labels document) for seed 1."""
    path = generate_demo_capture(tmp_path_factory.mktemp("demo") / "demo.pcap", seed=1)
    return path, json.loads(labels_path(path).read_text())
