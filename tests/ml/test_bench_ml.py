"""The benchmark script's quick mode on four SKAB files (skipped when ../shared is absent)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATASETS = Path(__file__).resolve().parents[3] / "shared" / "datasets"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_ml", ROOT / "scripts" / "bench_ml.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["bench_ml"] = mod  # dataclasses look their module up while the class is built
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.shared
def test_quick_mode(tmp_path: Path) -> None:
    if not (DATASETS / "skab" / "data").is_dir():
        pytest.skip("shared/datasets/skab is not beside the project")
    bench = _bench()
    out = tmp_path / "bench.md"
    out.write_text("# ML benchmarks\n\nhand-written text\n")
    js = tmp_path / "r.json"
    models = ["PCA T²+Q", "Ensemble (default), drift-aware, smoothed"]
    argv = ["--quick", "--datasets", str(DATASETS), "--out", str(out), "--json", str(js)]
    for m in models:
        argv += ["--model", m]
    assert bench.main(argv) == 0
    r = json.loads(js.read_text())
    assert r["files"] == ["valve1/0", "valve2/0", "other/1", "other/9"]
    assert set(r["skab"]) == {*models, "All ones (reference)"}
    ones = r["skab"]["All ones (reference)"]
    assert ones["far"] == 1.0 and ones["mar"] == 0.0 and 0.6 < ones["f1"] < 0.8
    for m in models:
        row = r["skab"][m]
        assert 0.3 < row["f1"] <= 1.0 and 0.0 <= row["far"] < 0.5 and 0.0 <= row["mar"] < 0.8
        assert row["tp"] + row["fp"] + row["fn"] + row["tn"] == ones["tp"] + ones["fp"]
        assert -100 < row["nab_standard"] <= 100
        # the margin meets the anomaly-free pseudo-test target (unless the floor of 1 already does better)
        assert row["margin"] >= 1.0 and row["free_far"] <= bench.SKAB_TARGET_FAR
        assert row["margin"] == 1.0 or row["free_far"] > bench.SKAB_TARGET_FAR - 0.005
        assert 0.0 < row["f1_at_far10"] <= 1.0
    text = out.read_text()
    assert text.startswith("# ML benchmarks\n\nhand-written text\n")
    assert text.count("<!-- bench-ml:begin -->") == 1 and "| All ones (reference) | 0.7" in text
    # a second run replaces the generated section instead of appending another
    assert bench.main(argv) == 0
    assert out.read_text().count("<!-- bench-ml:begin -->") == 1


def test_edges_are_changepoints() -> None:
    bench = _bench()
    import numpy as np

    assert bench.edges(np.array([0, 1, 1, 0, 0, 1])).tolist() == [0, 1, 0, 1, 0, 1]
    assert bench.edges(np.array([1, 1])).tolist() == [1, 0]
