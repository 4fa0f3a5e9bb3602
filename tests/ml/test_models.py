"""Detectors on synthetic process data: they learn normal behaviour, flag a fault and name its tag."""

from __future__ import annotations

import numpy as np
import pytest

from plantwarden.ml.models import (
    DEFAULT_MODEL,
    MODELS,
    AutoencoderDetector,
    Detector,
    EnsembleDetector,
    ForecastDetector,
    IsolationForestDetector,
    MSETDetector,
    OnlineScorer,
    PCADetector,
    estimate_drift,
    lagged,
    trailing_mean,
)

COLUMNS = ("level", "inflow", "outflow", "pressure", "temp")


def plant(n: int, seed: int = 0) -> np.ndarray:
    """Five correlated tags driven by two slow sources plus noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    a = np.sin(2 * np.pi * t / 300) + 0.1 * rng.normal(size=n)
    b = np.cos(2 * np.pi * t / 170) + 0.1 * rng.normal(size=n)
    X = np.stack([a + b, 2 * a, 1.5 * b, a - 0.5 * b, 20 + 0.3 * a], axis=1)
    return X + 0.05 * rng.normal(size=X.shape)


def with_fault(X: np.ndarray, start: int, end: int, col: int, size: float) -> np.ndarray:
    Y = X.copy()
    Y[start:end, col] += size
    return Y


ALL = [
    lambda: PCADetector(smooth=5),
    lambda: IsolationForestDetector(smooth=5),
    lambda: MSETDetector(smooth=5),
    lambda: ForecastDetector(smooth=5),
    lambda: EnsembleDetector(smooth=5),
    lambda: AutoencoderDetector(smooth=5),
]


def test_helpers() -> None:
    x = np.array([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(trailing_mean(x, 2), [1.0, 1.5, 2.5, 3.5])
    np.testing.assert_allclose(trailing_mean(x, 1), x)
    Z = np.arange(6, dtype=float).reshape(3, 2)
    np.testing.assert_array_equal(lagged(Z, 1), [[0, 1, 0, 1], [2, 3, 0, 1], [4, 5, 2, 3]])


# The isolation forest looks at each tag's range, not at the relations between tags: it needs a fault
# that leaves the training range; the others catch "outflow" off its relation with the others by 3 σ.
# It also catches the fault on fewer rows (its score saturates inside the training range).
SIZES = [3.0, 8.0, 3.0, 3.0, 3.0, 3.0]
CAUGHT = [0.8, 0.3, 0.8, 0.8, 0.8, 0.8]


@pytest.mark.parametrize(("make", "size", "caught"), list(zip(ALL, SIZES, CAUGHT, strict=True)))
def test_detects_fault_and_names_the_tag(make, size: float, caught: float) -> None:
    train, test = plant(3000, 0), plant(1200, 1)
    model: Detector = make().fit(train, COLUMNS)
    model.calibrate(plant(1000, 2), quantile=0.999, margin=1.0 if size > 3 else 1.2)
    faulty = with_fault(test, 600, 800, 2, size * train[:, 2].std())
    flags = model.predict(faulty)
    assert flags[610:800].mean() > caught  # caught while it lasts (after the smoothing window fills)
    assert flags[:600].mean() < 0.02 and flags[830:].mean() < 0.02  # quiet on normal rows
    alerts = model.alerts(None, faulty)
    big = max(alerts, key=lambda a: a.end - a.start)
    assert 598 <= big.start <= 800 and 600 <= big.end <= 810
    if caught >= 0.8:
        assert big.start <= 615 and big.end >= 795
    assert big.top[0][0] == "outflow"
    assert 0 < big.top[0][1] <= 1


def test_default_model_and_registry() -> None:
    assert DEFAULT_MODEL is EnsembleDetector
    assert set(MODELS) == {"pca", "iforest", "mset", "forecast", "autoencoder", "ensemble"}


def test_isolation_forest_matches_scikit_learn() -> None:
    from sklearn.ensemble import IsolationForest

    train, test = plant(1500, 0), with_fault(plant(500, 1), 100, 200, 0, 5.0)
    model = IsolationForestDetector(n_trees=50, max_samples=128, seed=3).fit(train, COLUMNS)
    Z = model._standardise(train)
    ref = IsolationForest(n_estimators=50, max_samples=128, random_state=3).fit(Z)
    ours = model.raw(test)[0]
    np.testing.assert_allclose(ours, -ref.score_samples(model._standardise(test)), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("make", ALL)
def test_online_batches_equal_whole_series(make) -> None:
    train = plant(2000, 0)
    model = make().fit(train, COLUMNS)
    model.calibrate(train, quantile=0.99)
    series = with_fault(plant(900, 4), 400, 500, 1, 4.0)
    whole = model.score(series)
    scorer = OnlineScorer(model)
    parts = []
    for lo, hi in ((0, 1), (1, 3), (3, 250), (250, 251), (251, 900)):
        res, _ = scorer.push(None, series[lo:hi])
        parts.append(res)
    np.testing.assert_allclose(np.concatenate([p.score for p in parts]), whole.score, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(np.concatenate([p.contrib for p in parts]), whole.contrib, rtol=1e-9, atol=1e-12)
    assert scorer.rows_seen == 900


def test_online_alerts_carry_times_and_offsets() -> None:
    train = plant(2000, 0)
    model = EnsembleDetector(smooth=5).fit(train, COLUMNS)
    model.calibrate(plant(1000, 2), quantile=0.999, margin=1.2)
    series = with_fault(plant(600, 4), 300, 400, 3, 3.0 * train[:, 3].std())
    ts = np.datetime64("2026-01-01T00:00:00") + np.arange(600).astype("timedelta64[s]")
    scorer = OnlineScorer(model)
    alerts = []
    for lo in range(0, 600, 100):
        alerts += scorer.push(ts[lo : lo + 100], series[lo : lo + 100])[1]
    first = min(a.start for a in alerts if a.end - a.start > 10)
    hit = next(a for a in alerts if a.start == first)
    assert 298 <= hit.start <= 310
    assert hit.start_ts == ts[hit.start]
    assert hit.top[0][0] == "pressure"
    assert hit.as_dict()["top"][0]["tag"] == "pressure"


def test_constant_tag_and_missing_values() -> None:
    train = plant(1000, 0)
    train = np.concatenate([train, np.zeros((1000, 1))], axis=1)  # a pump that never ran
    model = PCADetector().fit(train, (*COLUMNS, "pump"))
    assert model.active_.tolist() == [1, 1, 1, 1, 1, 0]
    test = plant(100, 1)
    test = np.concatenate([test, np.full((100, 1), 50.0)], axis=1)
    test[10, 0] = np.nan
    s = model.score(test).score
    assert np.all(np.isfinite(s))
    # the constant tag is ignored by the statistics, so switching it on does not swamp the score
    assert np.quantile(s, 0.5) < 2.0


def test_errors() -> None:
    with pytest.raises(RuntimeError):
        PCADetector().score(np.zeros((3, 2)))
    with pytest.raises(ValueError):
        PCADetector().fit(np.zeros((1, 2)))
    with pytest.raises(ValueError):
        PCADetector().fit(np.array([[np.inf, 1.0], [1.0, 2.0]]))
    model = PCADetector().fit(plant(200), COLUMNS)
    with pytest.raises(ValueError):
        model.score(np.zeros((3, 2)))
    with pytest.raises(ValueError):
        ForecastDetector(lags=0, cross=False)


def test_drift_allowance_widens_scales() -> None:
    rng = np.random.default_rng(5)
    n = 1000
    # tag 0 warms slowly (0.002 per row) under small noise, tag 1 is stationary
    pieces = [np.stack([0.002 * np.arange(n) + 0.05 * rng.normal(size=n), rng.normal(size=n)], axis=1) for _ in range(4)]
    drift = estimate_drift(pieces, fit_rows=200, window=10, quantile=0.9)
    # tag 0: the 10-row means after row 200 sit 0.2 to 1.79 above the first 200 rows' mean (0.2), evenly
    # spread: the 90 % quantile is 0.2 + 0.9 × 1.59 ≈ 1.63
    assert 1.58 < drift[0] < 1.68
    # tag 1 has no drift: only the noise of a 10-row mean of N(0, 1) (σ ≈ 0.32; 90 % of |·| ≤ 0.52)
    assert 0.4 < drift[1] < 0.65
    short = pieces[0][:200]
    plain = PCADetector(smooth=10).fit(short, ("warm", "flat"))
    aware = PCADetector(smooth=10).fit(short, ("warm", "flat"), drift=drift)
    assert aware.scale_[0] == pytest.approx(np.hypot(short[:, 0].std(), drift[0]))
    later = pieces[1][200:]
    plain.calibrate(short, quantile=0.99, margin=1.5)
    aware.calibrate(short, quantile=0.99, margin=1.5)
    assert plain.predict(later).mean() > 0.9  # the warming alone looks anomalous
    assert aware.predict(later).mean() < plain.predict(later).mean()
    with pytest.raises(ValueError):
        estimate_drift([short], fit_rows=300)


def test_autoencoder_forward_pass_matches_scikit_learn() -> None:
    from sklearn.neural_network import MLPRegressor

    train = plant(1500, 0)
    model = AutoencoderDetector(epochs=50, seed=1).fit(train, COLUMNS)
    assert [w.shape for w in model.weights] == [(5, 8), (8, 2), (2, 8), (8, 5)]
    Z = model._standardise(train)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = MLPRegressor(
            hidden_layer_sizes=(8, 2, 8), activation="tanh", alpha=1e-4, max_iter=50, random_state=1,
            tol=1e-6, n_iter_no_change=20,
        ).fit(Z, Z)
    test = model._standardise(plant(300, 3))
    np.testing.assert_allclose(model._forward(test), net.predict(test), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("make", ALL)
def test_chunked_scoring_equals_one_pass(make, monkeypatch) -> None:
    import plantwarden.ml.models as models

    model = make().fit(plant(1500, 0), COLUMNS)
    X = with_fault(plant(400, 6), 100, 150, 4, 2.0)
    whole = model.score(X)
    monkeypatch.setattr(models, "CHUNK", 37)  # long series are scored in chunks overlapping by the lags
    parts = model.score(X)
    np.testing.assert_allclose(parts.score, whole.score, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(parts.contrib, whole.contrib, rtol=1e-9, atol=1e-12)
