"""scripts/bench.py: its helpers, and one tiny end-to-end run on the demo capture (no timing asserted)."""

from __future__ import annotations

import cProfile
import importlib.util
import pstats
import sys
from pathlib import Path
from types import ModuleType

import pytest

from plantwarden.demo import generate_demo_capture

ROOT = Path(__file__).resolve().parents[2]


def load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("plantwarden_bench", ROOT / "scripts" / "bench.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


bench = load_bench()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_demo_capture(tmp_path_factory.mktemp("bench") / "demo.pcap", seed=5)


def test_count_packets(demo: Path) -> None:
    import json

    labels = json.loads((demo.parent / "demo.labels.json").read_text())
    assert bench.count_packets(demo) == labels["packets"]


def test_run_child_reports_wall_rss_and_failure(tmp_path: Path) -> None:
    run = bench.run_child([sys.executable, "-c", "x = bytearray(30_000_000)"])
    assert run.wall > 0 and run.maxrss_kib > 25_000
    with pytest.raises(SystemExit, match="boom"):
        bench.run_child([sys.executable, "-c", "import sys; sys.exit('boom')"])


def test_profile_table_orders_by_key() -> None:
    def slow() -> int:
        return sum(i * i for i in range(200_000))

    prof = cProfile.Profile()
    prof.enable()
    slow()
    prof.disable()
    stats = pstats.Stats(prof)
    table = bench.profile_table(stats, "cumulative", top=3)
    rows = table.splitlines()
    assert rows[0].startswith("| calls |") and len(rows) == 2 + 3
    cumulative = [float(r.split("|")[3]) for r in rows[2:]]
    assert cumulative == sorted(cumulative, reverse=True)
    assert "slow" in table


def test_end_to_end_tiny(demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(bench.tempfile, "tempdir", str(scratch))
    out = tmp_path / "bench.md"
    assert bench.main(["--capture", str(demo), "--runs", "1", "--sizes", "3000", "--out", str(out)]) == 0
    text = out.read_text()
    for heading in ("# Benchmarks", "## Machine", "## Throughput on `demo.pcap`", "## Scale: peak memory",
                    "## Profile of one", "Top 20 by own time"):
        assert heading in text
    assert "| 3,000 |" in text
    assert "packets/s after start-up" in text
    assert "| plantwarden, with a process model of " in text  # the demo's varying registers and DB words
    assert "make bench" in text
    assert list(scratch.iterdir()) == []  # the scale captures and databases are deleted
