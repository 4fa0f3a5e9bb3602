"""Fixtures for the demo capture tests: one generated capture (seed 1) per module."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from plantwarden.demo import generate_demo_capture, labels_path


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """(capture path, labels document) for seed 1."""
    path = generate_demo_capture(tmp_path_factory.mktemp("demo") / "demo.pcap", seed=1)
    return path, json.loads(labels_path(path).read_text())
