"""Model files: safe format, versioned, and a reloaded model scores bit-identically."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from plantwarden.ml import persist
from plantwarden.ml.models import (
    AutoencoderDetector,
    EnsembleDetector,
    ForecastDetector,
    IsolationForestDetector,
    MSETDetector,
    OnlineScorer,
    PCADetector,
)

COLUMNS = ("a", "b", "c", "d")


def data(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = np.cumsum(rng.normal(size=(n, 2)), axis=0) * 0.1
    X = base @ np.array([[1.0, 0.5, 0.0, 2.0], [0.0, 1.0, -1.0, 0.5]]) + 0.05 * rng.normal(size=(n, 4))
    X[:, 3] += 10.0
    return X


@pytest.mark.parametrize(
    "model",
    [
        PCADetector(smooth=3),
        IsolationForestDetector(n_trees=20, smooth=2),
        MSETDetector(memory=40),
        ForecastDetector(lags=3, smooth=4),
        EnsembleDetector(smooth=6),
        EnsembleDetector(memory=0),
        AutoencoderDetector(epochs=30, smooth=2),
    ],
    ids=lambda m: m.KIND,
)
def test_round_trip_scores_bit_identical(tmp_path: Path, model) -> None:
    model.fit(data(800, 0), COLUMNS)
    model.calibrate(data(400, 1), quantile=0.99, margin=1.1)
    path = persist.save(model, tmp_path / "m.npz", version="2026.12-1", info={"site": "test"})
    again = persist.load(path)
    assert type(again) is type(model) and again.columns == COLUMNS and again.params() == model.params()
    assert again.threshold == model.threshold
    X = data(500, 2)
    X[200:240, 1] += 3.0
    a, b = model.score(X), again.score(X)
    assert np.array_equal(a.score, b.score) and np.array_equal(a.contrib, b.contrib)
    assert np.array_equal(model.predict(X), again.predict(X))
    meta = persist.read_meta(path)
    assert meta["format"] == "plantwarden-ml-model" and meta["format_version"] == 1
    assert meta["kind"] == model.KIND and meta["version"] == "2026.12-1" and meta["info"] == {"site": "test"}
    # an online scorer on the reloaded model continues where the original would
    r1, _ = OnlineScorer(model).push(None, X)
    r2, _ = OnlineScorer(again).push(None, X)
    assert np.array_equal(r1.score, r2.score)


def test_uncalibrated_model_round_trips() -> None:
    model = PCADetector().fit(data(300, 0), COLUMNS)
    again = persist.loads(persist.dumps(model))
    assert again.threshold == float("inf")


def _rewrite(blob: bytes, change) -> bytes:
    """Rebuild a model file with ``change(dict of arrays)`` applied (arrays incl. __meta__)."""
    with np.load(io.BytesIO(blob), allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    change(arrays)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _meta_edit(**updates):
    def change(arrays: dict) -> None:
        meta = json.loads(arrays["__meta__"].tobytes())
        meta.update(updates)
        arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)

    return change


def test_refuses_unsafe_or_foreign_files() -> None:
    blob = persist.dumps(ForecastDetector().fit(data(300, 0), COLUMNS))
    with pytest.raises(persist.ModelFileError, match="not a model file"):
        persist.loads(b"not a zip")
    with pytest.raises(persist.ModelFileError, match="format version"):
        persist.loads(_rewrite(blob, _meta_edit(format_version=2)))
    with pytest.raises(persist.ModelFileError, match="unknown model kind"):
        persist.loads(_rewrite(blob, _meta_edit(kind="os.system")))
    with pytest.raises(persist.ModelFileError, match="not a plantwarden"):
        persist.loads(_rewrite(blob, _meta_edit(format="other")))

    def tamper(arrays: dict) -> None:
        arrays["W"] = arrays["W"] + 1.0

    with pytest.raises(persist.ModelFileError, match="checksum"):
        persist.loads(_rewrite(blob, tamper))

    def pickled(arrays: dict) -> None:
        arrays["W"] = np.array([{"x": 1}], dtype=object)

    # np.savez pickles object arrays; loading refuses them (allow_pickle=False)
    with pytest.raises(persist.ModelFileError):
        persist.loads(_rewrite(blob, pickled))

    def extra(arrays: dict) -> None:
        arrays["extra"] = np.zeros(3)

    with pytest.raises(persist.ModelFileError, match="do not match"):
        persist.loads(_rewrite(blob, extra))


def test_file_is_a_plain_zip_of_npy() -> None:
    blob = persist.dumps(PCADetector().fit(data(300, 0), COLUMNS))
    names = zipfile.ZipFile(io.BytesIO(blob)).namelist()
    assert "__meta__.npy" in names and all(n.endswith(".npy") for n in names)


def test_refuses_huge_arrays_before_unpacking(monkeypatch) -> None:
    blob = persist.dumps(PCADetector().fit(data(300, 0), COLUMNS))
    monkeypatch.setattr(persist, "MAX_ELEMENTS", 20)  # the PCA model holds more than 20 numbers
    with pytest.raises(persist.ModelFileError, match="too large"):
        persist.loads(blob)

    def bomb(arrays: dict) -> None:
        arrays["P"] = np.zeros((2000, 2000))  # 4M zeros compress to a few kB

    monkeypatch.setattr(persist, "MAX_ELEMENTS", 1_000_000)
    small = _rewrite_compressed(blob, bomb)
    assert len(small) < 200_000
    with pytest.raises(persist.ModelFileError, match="too large"):
        persist.loads(small)

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("__meta__.npy", b"x")
        zf.writestr("run.sh", b"#!/bin/sh")
    with pytest.raises(persist.ModelFileError):
        persist.loads(buf.getvalue())


def _rewrite_compressed(blob: bytes, change) -> bytes:
    with np.load(io.BytesIO(blob), allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    change(arrays)
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()
