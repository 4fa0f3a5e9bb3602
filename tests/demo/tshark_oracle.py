"""tshark as a test oracle for the demo capture: skipped when missing, a failure under CI=true."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest


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
    """Rows of ``-T fields`` output (tab separated, one list per frame; repeated values joined by ",")."""
    cmd = [require_tshark(), "-n", "-r", str(capture), "-T", "fields", "-E", "occurrence=a",
           "-E", "aggregator=,", *(extra or [])]
    if display_filter:
        cmd += ["-Y", display_filter]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines()]
