"""Process-value anomaly detectors trained on normal operation and scoring online.

Every detector works on a values matrix ``X`` (rows = time steps in order, columns = tags) with its
column names, and follows the same life cycle::

    model = EnsembleDetector(smooth=30).fit(X_train, columns)    # learn normal behaviour
    model.calibrate(X_normal)                                    # alarm threshold from normal data
    result = model.score(X_new)                                  # result.score, result.contrib
    alarms = model.predict(X_new)                                # result.score > model.threshold
    alerts = model.alerts(ts_new, X_new)                         # runs of alarms, top tags named
    scorer = OnlineScorer(model); scorer.push(ts_batch, X_batch) # the same, batch after batch

All computations are causal (a row's score depends on that row and earlier rows only: lagged values and
the trailing smoothing window), so feeding a series in batches through :class:`OnlineScorer` gives the
same scores as scoring it at once. ``contrib`` holds a non-negative contribution of every tag to every
row's score; :meth:`Detector.explain` turns it into the tags that contribute most.

Detectors (``KIND`` in brackets, the name used by :mod:`plantwarden.ml.persist`):

* :class:`PCADetector` (``pca``): Hotelling T² and Q (squared prediction error) of a PCA model.
* :class:`IsolationForestDetector` (``iforest``): scikit-learn's isolation forest, its trees exported to
  plain arrays and evaluated with numpy (so a model file never holds pickled objects).
* :class:`MSETDetector` (``mset``): similarity-based state estimation against a memory of normal states.
* :class:`ForecastDetector` (``forecast``): per-tag linear (ridge) prediction of each tag from the
  earlier rows of every tag and the current values of the other tags; standardised residuals.
* :class:`AutoencoderDetector` (``autoencoder``): a small dense autoencoder trained on the CPU by
  scikit-learn's MLPRegressor, its weights evaluated with numpy.
* :class:`EnsembleDetector` (``ensemble``, the default): PCA T²+Q and forecast residuals, each divided by
  its high quantile on normal data, summed, smoothed.

scikit-learn is only used to grow the isolation forest and train the autoencoder; scoring is numpy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
JSONDict = dict[str, Any]

#: Rows processed at a time by the scorers (bounds the memory of lagged designs on long series).
CHUNK = 65_536


def as_matrix(X: npt.ArrayLike, n_columns: int | None = None) -> F64:
    """``X`` as a 2-D float64 array (a 1-D input is one column); checks the number of columns."""
    arr = np.asarray(X, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"expected a 2-D values matrix, got shape {arr.shape}")
    if n_columns is not None and arr.shape[1] != n_columns:
        raise ValueError(f"expected {n_columns} columns, got {arr.shape[1]}")
    return arr


def trailing_mean(x: F64, window: int) -> F64:
    """Mean over the current and the ``window - 1`` previous rows (fewer at the start), along axis 0."""
    n = x.shape[0]
    if window <= 1 or n == 0:
        return x
    c = np.cumsum(x, axis=0)
    out = np.empty_like(c)
    w = min(window, n)
    shape = (-1,) + (1,) * (x.ndim - 1)
    np.divide(c[:w], np.arange(1, w + 1, dtype=np.float64).reshape(shape), out=out[:w])
    if n > window:
        np.subtract(c[window:], c[:-window], out=out[window:])
        out[window:] *= 1.0 / window
    return out


def lagged(Z: F64, lags: int) -> F64:
    """``[Z_t, Z_{t-1}, ..., Z_{t-lags}]`` side by side; rows before the start repeat the first row."""
    if lags == 0:
        return Z
    pad = np.repeat(Z[:1], lags, axis=0)
    padded = np.concatenate([pad, Z], axis=0)
    n = Z.shape[0]
    return np.concatenate([padded[lags - k : lags - k + n] for k in range(lags + 1)], axis=1)


@dataclass(frozen=True)
class ScoreResult:
    """Smoothed anomaly score per row and each tag's non-negative contribution to it."""

    score: F64
    contrib: F64


@dataclass(frozen=True)
class Alert:
    """A run of consecutive alarmed rows (inclusive ``start``..``end`` row indices and times)."""

    start: int
    end: int
    start_ts: Any
    end_ts: Any
    peak: float
    threshold: float
    top: tuple[tuple[str, float], ...]  # (tag, share of the contributions over the run), largest first

    def as_dict(self) -> JSONDict:
        return {
            "start": str(self.start_ts),
            "end": str(self.end_ts),
            "rows": self.end - self.start + 1,
            "peak": self.peak,
            "threshold": self.threshold,
            "top": [{"tag": t, "share": s} for t, s in self.top],
        }


class Detector:
    """Base class: standardisation, smoothing, calibration, alerts, explanation and state for saving.

    Subclasses implement :meth:`_fit` and :meth:`_raw` on standardised values, and declare in
    ``lags`` how many earlier rows a row's raw score needs.
    """

    KIND: ClassVar[str] = ""

    def __init__(self, smooth: int = 1, clip: float = 10.0) -> None:
        if smooth < 1:
            raise ValueError("smooth must be >= 1")
        self.smooth = int(smooth)
        self.clip = float(clip)
        self.columns: tuple[str, ...] = ()
        self.mean_: F64 = np.zeros(0)
        self.scale_: F64 = np.ones(0)
        self.active_: F64 = np.ones(0)
        self.threshold: float = math.inf
        self.calibration: JSONDict = {}

    # -- parameters every subclass can extend -----------------------------------------------------
    @property
    def lags(self) -> int:
        return 0

    @property
    def context(self) -> int:
        """Earlier rows needed to score a row exactly as in one long series (lags + smoothing)."""
        return self.lags + self.smooth - 1

    def params(self) -> JSONDict:
        return {"smooth": self.smooth, "clip": self.clip}

    # -- fitting -----------------------------------------------------------------------------------
    @property
    def fitted(self) -> bool:
        return len(self.columns) > 0

    def fit(
        self, X: npt.ArrayLike, columns: Sequence[str] | None = None, drift: npt.ArrayLike | None = None
    ) -> Detector:
        """Learn normal behaviour from ``X`` (rows in time order; assumed free of anomalies).

        ``drift`` (one value per column, in the tags' units) is how far a tag's level may wander in
        normal operation beyond what ``X`` shows (slow warming, a flow that settles): each tag's scale
        becomes sqrt(std² + drift²). Useful when ``X`` is a short stretch; see :func:`estimate_drift`.
        """
        Xm = as_matrix(X)
        if Xm.shape[0] < 2:
            raise ValueError("need at least two rows to fit")
        if not np.all(np.isfinite(Xm)):
            raise ValueError("training values must be finite")
        names = tuple(columns) if columns is not None else tuple(f"x{i}" for i in range(Xm.shape[1]))
        if len(names) != Xm.shape[1]:
            raise ValueError("one column name per column of X")
        self.columns = names
        self.mean_ = Xm.mean(axis=0)
        std = Xm.std(axis=0)
        # A tag that never moves in training carries no information about normal behaviour: it is left
        # out of the statistics (standardised to 0); consistency rules are the place to watch it.
        floor = 1e-6 * np.maximum(np.abs(self.mean_), 1.0)
        self.active_ = (std > floor).astype(np.float64)
        if drift is not None:
            dr = np.broadcast_to(np.asarray(drift, dtype=np.float64), std.shape)
            std = np.sqrt(std * std + dr * dr)
        self.scale_ = np.where(self.active_ > 0, std, 1.0)
        self._fit(self._standardise(Xm))
        self.threshold = math.inf
        self.calibration = {}
        return self

    def _standardise(self, X: F64) -> F64:
        """z-scores clipped to ±``clip`` (one wild tag cannot swamp all others); inactive tags are 0."""
        Z = (X - self.mean_) / self.scale_
        if self.clip > 0:
            np.clip(Z, -self.clip, self.clip, out=Z)
        if not self.active_.all():
            Z *= self.active_
        return Z

    def _fit(self, Z: F64) -> None:
        raise NotImplementedError

    def _raw(self, Z: F64) -> tuple[F64, F64]:
        """Unsmoothed (score, contributions) of standardised rows; row t may use rows < t of ``Z``."""
        raise NotImplementedError

    # -- scoring -----------------------------------------------------------------------------------
    def _check(self, X: npt.ArrayLike) -> F64:
        if not self.fitted:
            raise RuntimeError("model is not fitted")
        Xm = as_matrix(X, len(self.columns))
        # Missing readings are replaced by the training mean (a neutral value) rather than failing.
        bad = ~np.isfinite(Xm)
        if bad.any():
            Xm = np.where(bad, self.mean_, Xm)
        return Xm

    def raw(self, X: npt.ArrayLike) -> tuple[F64, F64]:
        """Unsmoothed (score, contributions), computed in chunks with the needed overlap."""
        Xm = self._check(X)
        n = Xm.shape[0]
        if n <= CHUNK:
            return self._raw(self._standardise(Xm))
        scores: list[F64] = []
        contribs: list[F64] = []
        lag = self.lags
        for start in range(0, n, CHUNK):
            lo = max(0, start - lag)
            s, c = self._raw(self._standardise(Xm[lo : start + CHUNK]))
            scores.append(s[start - lo :])
            contribs.append(c[start - lo :])
        return np.concatenate(scores), np.concatenate(contribs, axis=0)

    def score(self, X: npt.ArrayLike) -> ScoreResult:
        """Smoothed score and contributions of every row of ``X`` (a series in time order)."""
        s, c = self.raw(X)
        return ScoreResult(trailing_mean(s, self.smooth), trailing_mean(c, self.smooth))

    def predict(self, X: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """Alarm flag per row: smoothed score above the calibrated threshold."""
        return self.score(X).score > self.threshold

    def calibrate(
        self, X_normal: npt.ArrayLike | Sequence[npt.ArrayLike], quantile: float = 0.995, margin: float = 1.0
    ) -> float:
        """Set the threshold to ``margin`` × the ``quantile`` of the smoothed score on normal data.

        ``X_normal`` is one series or a list of series (each scored on its own, so no smoothing window
        spans two of them). Returns the threshold.
        """
        many = isinstance(X_normal, list | tuple) and all(np.ndim(x) == 2 for x in X_normal)
        series: list[Any] = list(X_normal) if many else [X_normal]  # type: ignore[arg-type]
        scores = np.concatenate([self.score(x).score for x in series])
        if scores.size == 0:
            raise ValueError("no calibration rows")
        self.threshold = float(np.quantile(scores, quantile) * margin)
        self.calibration = {"quantile": quantile, "margin": margin, "rows": int(scores.size)}
        return self.threshold

    # -- explanation -------------------------------------------------------------------------------
    def explain(self, contrib: npt.ArrayLike, top: int = 3) -> list[tuple[str, float]]:
        """The ``top`` tags by share of the contributions (one row, or rows summed), largest first."""
        c = np.asarray(contrib, dtype=np.float64)
        total = c.sum(axis=0) if c.ndim == 2 else c
        whole = float(total.sum())
        order = np.argsort(-total, kind="stable")[:top]
        return [(self.columns[i], float(total[i] / whole) if whole > 0 else 0.0) for i in order]

    def alerts(self, ts: npt.ArrayLike | None, X: npt.ArrayLike, top: int = 3) -> list[Alert]:
        """Runs of alarmed rows of ``X`` as alerts naming the ``top`` contributing tags."""
        res = self.score(X)
        return alerts_from(res, self.threshold, ts, self.columns, top, explain=self.explain)

    # -- state for persistence ---------------------------------------------------------------------
    def arrays(self) -> dict[str, F64]:
        """Learned arrays (saved in the model file's npz)."""
        return {"mean": self.mean_, "scale": self.scale_, "active": self.active_}

    def restore(self, arrays: dict[str, npt.NDArray[Any]]) -> None:
        self.mean_ = np.asarray(arrays["mean"], dtype=np.float64)
        self.scale_ = np.asarray(arrays["scale"], dtype=np.float64)
        self.active_ = np.asarray(arrays["active"], dtype=np.float64)

    def state(self) -> JSONDict:
        """JSON-able state besides the arrays."""
        return {"threshold": self.threshold, "calibration": self.calibration}

    def restore_state(self, state: JSONDict) -> None:
        self.threshold = float(state["threshold"])
        self.calibration = dict(state.get("calibration", {}))


def estimate_drift(
    series: Sequence[npt.ArrayLike], fit_rows: int, window: int = 1, quantile: float = 0.9
) -> F64:
    """Per-tag drift allowance from normal series: how far the level moves after a short fit stretch.

    For each series, the ``window``-row trailing means of the rows after the first ``fit_rows`` are
    compared with the mean of those first rows; the result is the ``quantile`` of the absolute
    differences pooled over all series (pass it to :meth:`Detector.fit` as ``drift``).
    """
    devs: list[F64] = []
    for x in series:
        Xm = as_matrix(x)
        if Xm.shape[0] <= fit_rows:
            continue
        base = Xm[:fit_rows].mean(axis=0)
        devs.append(np.abs(trailing_mean(Xm, window)[fit_rows:] - base))
    if not devs:
        raise ValueError("no series longer than fit_rows")
    return np.asarray(np.quantile(np.concatenate(devs, axis=0), quantile, axis=0), dtype=np.float64)


def alerts_from(
    res: ScoreResult,
    threshold: float,
    ts: npt.ArrayLike | None,
    columns: Sequence[str],
    top: int,
    explain: Any,
    offset: int = 0,
) -> list[Alert]:
    flags = res.score > threshold
    edges = np.diff(np.concatenate(([0], flags.astype(np.int8), [0])))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1) - 1
    times = np.asarray(ts) if ts is not None else np.arange(flags.size) + offset
    out: list[Alert] = []
    for a, b in zip(starts, ends, strict=True):
        out.append(
            Alert(
                start=int(a) + offset,
                end=int(b) + offset,
                start_ts=times[a],
                end_ts=times[b],
                peak=float(res.score[a : b + 1].max()),
                threshold=threshold,
                top=tuple(explain(res.contrib[a : b + 1], top)),
            )
        )
    return out


# --------------------------------------------------------------------------------------------------
# PCA T² and Q
# --------------------------------------------------------------------------------------------------


class PCADetector(Detector):
    """PCA on standardised tags; score = max(T² / T²₀, Q / Q₀).

    T² (Hotelling) measures the distance inside the principal subspace, Q (squared prediction error) the
    distance from it. T²₀ and Q₀ are their ``ref_quantile`` quantiles on the training rows, so the two
    statistics are comparable and a score above 1 means "beyond what training showed" for either.
    ``variance`` is the fraction of the variance kept (components chosen a priori, not tuned).
    Contributions: each tag's squared residual (Q part) plus |z_j · (P Λ⁻¹ t)_j| (T² part), scaled alike.
    """

    KIND = "pca"

    def __init__(
        self, variance: float = 0.9, ref_quantile: float = 0.99, smooth: int = 1, clip: float = 10.0
    ) -> None:
        super().__init__(smooth, clip)
        self.variance = float(variance)
        self.ref_quantile = float(ref_quantile)
        self.P: F64 = np.zeros((0, 0))
        self.lam: F64 = np.zeros(0)
        self.ref: F64 = np.ones(2)

    def params(self) -> JSONDict:
        return {**super().params(), "variance": self.variance, "ref_quantile": self.ref_quantile}

    def _fit(self, Z: F64) -> None:
        cov = (Z.T @ Z) / max(Z.shape[0] - 1, 1)
        w, v = np.linalg.eigh(cov)
        order = np.argsort(w)[::-1]
        w, v = np.clip(w[order], 0.0, None), v[:, order]
        total = float(w.sum())
        k = int(np.searchsorted(np.cumsum(w) / total, self.variance) + 1) if total > 0 else 1
        k = max(1, min(k, Z.shape[1] - 1 if Z.shape[1] > 1 else 1))
        self.P = v[:, :k]
        self.lam = np.maximum(w[:k], 1e-9 * max(total, 1e-12))
        self.ref = np.ones(2)
        t2, q = self._stats(Z)
        self.ref = np.array(
            [
                max(float(np.quantile(t2, self.ref_quantile)), 1e-9),
                max(float(np.quantile(q, self.ref_quantile)), 1e-9),
            ]
        )

    def _stats(self, Z: F64) -> tuple[F64, F64]:
        T = Z @ self.P
        t2 = np.einsum("ij,ij->i", T / self.lam, T)
        R = Z - T @ self.P.T
        q = np.einsum("ij,ij->i", R, R)
        return t2, q

    def _raw(self, Z: F64) -> tuple[F64, F64]:
        T = Z @ self.P
        Tl = T / self.lam
        t2 = np.einsum("ij,ij->i", Tl, T)
        R = Z - T @ self.P.T
        q = np.einsum("ij,ij->i", R, R)
        score = np.maximum(t2 / self.ref[0], q / self.ref[1])
        contrib = (R * R) / self.ref[1] + np.abs(Z * (Tl @ self.P.T)) / self.ref[0]
        return score, contrib

    def arrays(self) -> dict[str, F64]:
        return {**super().arrays(), "P": self.P, "lam": self.lam, "ref": self.ref}

    def restore(self, arrays: dict[str, npt.NDArray[Any]]) -> None:
        super().restore(arrays)
        self.P = np.asarray(arrays["P"], dtype=np.float64)
        self.lam = np.asarray(arrays["lam"], dtype=np.float64)
        self.ref = np.asarray(arrays["ref"], dtype=np.float64)


# --------------------------------------------------------------------------------------------------
# Isolation forest (trees grown by scikit-learn, evaluated from plain arrays)
# --------------------------------------------------------------------------------------------------


def _avg_path_length(n: npt.NDArray[Any]) -> F64:
    """c(n): average path length of an unsuccessful binary-search-tree search among n points."""
    n = np.asarray(n, dtype=np.float64)
    out = np.zeros_like(n)
    out[n == 2] = 1.0
    big = n > 2
    nb = n[big]
    out[big] = 2.0 * (np.log(nb - 1.0) + np.euler_gamma) - 2.0 * (nb - 1.0) / nb
    return out


class IsolationForestDetector(Detector):
    """Isolation forest on standardised tags; score = 2^(−E[h(x)]/c(ψ)) (≈ 0.5 normal, → 1 isolated).

    The trees are grown by :class:`sklearn.ensemble.IsolationForest` and then exported to arrays (child
    indices, split feature and threshold, and each node's depth + c(node size)), so scoring and saving need
    no scikit-learn object. Contributions are the squared standardised deviations (a heuristic: the forest
    itself does not apportion its score to tags).
    """

    KIND = "iforest"

    def __init__(
        self, n_trees: int = 100, max_samples: int = 256, seed: int = 0, smooth: int = 1, clip: float = 10.0
    ) -> None:
        super().__init__(smooth, clip)
        self.n_trees = int(n_trees)
        self.max_samples = int(max_samples)
        self.seed = int(seed)
        self.left: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self.right: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self.feature: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self.split: F64 = np.zeros(0)
        self.value: F64 = np.zeros(0)
        self.roots: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self.depth = 0
        self.c_psi = 1.0

    def params(self) -> JSONDict:
        return {
            **super().params(),
            "n_trees": self.n_trees,
            "max_samples": self.max_samples,
            "seed": self.seed,
        }

    def _fit(self, Z: F64) -> None:
        from sklearn.ensemble import IsolationForest

        forest = IsolationForest(
            n_estimators=self.n_trees, max_samples=min(self.max_samples, Z.shape[0]), random_state=self.seed
        ).fit(Z)
        lefts, rights, feats, splits, values, roots = [], [], [], [], [], []
        offset = 0
        max_depth = 0
        for est, cols in zip(forest.estimators_, forest.estimators_features_, strict=True):
            tree = est.tree_
            n_nodes = tree.node_count
            left = tree.children_left.astype(np.int64)
            right = tree.children_right.astype(np.int64)
            depth = np.zeros(n_nodes, dtype=np.int64)
            for node in range(n_nodes):  # parents precede children in scikit-learn's node order
                if left[node] >= 0:
                    depth[left[node]] = depth[node] + 1
                    depth[right[node]] = depth[node] + 1
            max_depth = max(max_depth, int(depth.max()))
            leaf = left < 0
            lefts.append(np.where(leaf, np.arange(n_nodes), left) + offset)
            rights.append(np.where(leaf, np.arange(n_nodes), right) + offset)
            feats.append(np.where(leaf, 0, np.asarray(cols, dtype=np.int64)[np.maximum(tree.feature, 0)]))
            splits.append(np.where(leaf, np.inf, tree.threshold))
            values.append(depth + _avg_path_length(tree.n_node_samples))
            roots.append(offset)
            offset += n_nodes
        self.left = np.concatenate(lefts)
        self.right = np.concatenate(rights)
        self.feature = np.concatenate(feats)
        self.split = np.concatenate(splits).astype(np.float64)
        self.value = np.concatenate(values).astype(np.float64)
        self.roots = np.asarray(roots, dtype=np.int64)
        self.depth = max_depth
        self.c_psi = float(_avg_path_length(np.array([forest.max_samples_]))[0])

    def _raw(self, Z: F64) -> tuple[F64, F64]:
        # scikit-learn compares float32 features against its thresholds; do the same for equal results.
        Zf = Z.astype(np.float32).astype(np.float64)
        n = Z.shape[0]
        node = np.broadcast_to(self.roots, (n, self.roots.size)).copy()
        rows = np.arange(n)[:, None]
        for _ in range(self.depth):
            go_left = Zf[rows, self.feature[node]] <= self.split[node]
            node = np.where(go_left, self.left[node], self.right[node])
        mean_path = self.value[node].mean(axis=1)
        score = np.power(2.0, -mean_path / self.c_psi)
        return score, Z * Z

    def arrays(self) -> dict[str, F64]:
        return {
            **super().arrays(),
            "left": self.left.astype(np.float64),
            "right": self.right.astype(np.float64),
            "feature": self.feature.astype(np.float64),
            "split": self.split,
            "value": self.value,
            "roots": self.roots.astype(np.float64),
        }

    def restore(self, arrays: dict[str, npt.NDArray[Any]]) -> None:
        super().restore(arrays)
        self.left = np.asarray(arrays["left"]).astype(np.int64)
        self.right = np.asarray(arrays["right"]).astype(np.int64)
        self.feature = np.asarray(arrays["feature"]).astype(np.int64)
        self.split = np.asarray(arrays["split"], dtype=np.float64)
        self.value = np.asarray(arrays["value"], dtype=np.float64)
        self.roots = np.asarray(arrays["roots"]).astype(np.int64)
        n = self.left.size
        for name, idx in (("left", self.left), ("right", self.right), ("roots", self.roots)):
            if idx.size and (idx.min() < 0 or idx.max() >= n):
                raise ValueError(f"isolation forest {name} index out of range")
        if self.feature.size and (self.feature.min() < 0 or self.feature.max() >= self.mean_.size):
            raise ValueError("isolation forest feature index out of range")

    def state(self) -> JSONDict:
        return {**super().state(), "depth": self.depth, "c_psi": self.c_psi}

    def restore_state(self, state: JSONDict) -> None:
        super().restore_state(state)
        self.depth = int(state["depth"])
        self.c_psi = float(state["c_psi"])
        if not 0 <= self.depth <= 64:
            raise ValueError("isolation forest depth out of range")


# --------------------------------------------------------------------------------------------------
# MSET-style similarity-based estimation
# --------------------------------------------------------------------------------------------------


class MSETDetector(Detector):
    """Multivariate state estimation: each row estimated as a similarity-weighted blend of memory states.

    Memory D: for every tag the training rows holding its minimum and maximum, then rows spread evenly
    over the training period, up to ``memory`` states. With the Gaussian similarity s(x, y) =
    exp(−‖x − y‖² / (2h²)) (h = median distance between memory states), the estimate is
    x̂ = Dᵀ w / Σw with w = (S(D, D) + εI)⁻¹ s(D, x). Score = Σ_j (x_j − x̂_j)² / d, contributions the
    squared residuals; both divided by the training score's ``ref_quantile`` quantile.
    """

    KIND = "mset"

    def __init__(
        self,
        memory: int = 128,
        ridge: float = 1e-3,
        ref_quantile: float = 0.99,
        smooth: int = 1,
        clip: float = 10.0,
    ) -> None:
        super().__init__(smooth, clip)
        self.memory = int(memory)
        self.ridge = float(ridge)
        self.ref_quantile = float(ref_quantile)
        self.D: F64 = np.zeros((0, 0))
        self.Ginv: F64 = np.zeros((0, 0))
        self.h = 1.0
        self.ref = 1.0

    def params(self) -> JSONDict:
        return {
            **super().params(),
            "memory": self.memory,
            "ridge": self.ridge,
            "ref_quantile": self.ref_quantile,
        }

    def _sim(self, A: F64, B: F64) -> F64:
        G = A @ B.T  # squared distances built in place: ‖a‖² + ‖b‖² − 2a·b
        G *= -2.0
        G += np.einsum("ij,ij->i", A, A)[:, None]
        G += np.einsum("ij,ij->i", B, B)[None, :]
        np.maximum(G, 0.0, out=G)
        G *= -1.0 / (2.0 * self.h * self.h)
        return np.exp(G, out=G)

    def _fit(self, Z: F64) -> None:
        picks = list(dict.fromkeys(np.concatenate([Z.argmin(0), Z.argmax(0)]).tolist()))
        rest = max(self.memory - len(picks), 0)
        if rest:
            spread = np.linspace(0, Z.shape[0] - 1, num=min(rest + len(picks), Z.shape[0])).astype(int)
            for i in spread.tolist():
                if len(picks) >= self.memory:
                    break
                if i not in picks:
                    picks.append(i)
        chosen = np.asarray(sorted(picks))
        self.D = Z[chosen]
        d2 = ((self.D[:, None, :] - self.D[None, :, :]) ** 2).sum(-1)
        off = d2[~np.eye(len(self.D), dtype=bool)]
        self.h = float(np.sqrt(np.median(off))) if off.size and np.median(off) > 0 else 1.0
        G = self._sim(self.D, self.D)
        self.Ginv = np.asarray(np.linalg.inv(G + self.ridge * np.eye(len(G))), dtype=np.float64)
        self.ref = 1.0
        # Memory states are reproduced almost exactly: the reference quantile comes from the other rows.
        rest_rows = np.setdiff1d(np.arange(Z.shape[0]), chosen)
        s, _ = self._raw(Z[rest_rows] if rest_rows.size >= 10 else Z)
        self.ref = max(float(np.quantile(s, self.ref_quantile)), 1e-9)

    def _raw(self, Z: F64) -> tuple[F64, F64]:
        a = self._sim(Z, self.D)  # (n, m)
        w = a @ self.Ginv.T
        tot = w.sum(1, keepdims=True)
        tot = np.where(np.abs(tot) < 1e-12, 1e-12, tot)
        est = (w @ self.D) / tot
        R = Z - est
        c = (R * R) / (Z.shape[1] * self.ref)
        return c.sum(1), c

    def arrays(self) -> dict[str, F64]:
        return {**super().arrays(), "D": self.D, "Ginv": self.Ginv}

    def restore(self, arrays: dict[str, npt.NDArray[Any]]) -> None:
        super().restore(arrays)
        self.D = np.asarray(arrays["D"], dtype=np.float64)
        self.Ginv = np.asarray(arrays["Ginv"], dtype=np.float64)

    def state(self) -> JSONDict:
        return {**super().state(), "h": self.h, "ref": self.ref}

    def restore_state(self, state: JSONDict) -> None:
        super().restore_state(state)
        self.h = float(state["h"])
        self.ref = float(state["ref"])


# --------------------------------------------------------------------------------------------------
# Forecast residuals
# --------------------------------------------------------------------------------------------------


class ForecastDetector(Detector):
    """Each tag predicted by ridge regression from the ``lags`` earlier rows of all tags and (``cross``)
    the current values of the other tags; residuals divided by their training standard deviation.

    The current-values part catches readings that disagree with their neighbours (a tank level that does
    not follow its pumps, a replayed sensor); the lagged part catches changes a tag's own dynamics do not
    explain. Score = mean over tags of squared standardised residuals (divided by its training
    ``ref_quantile`` quantile); contributions the per-tag terms.
    """

    KIND = "forecast"

    def __init__(
        self,
        lags: int = 2,
        cross: bool = True,
        alpha: float = 1.0,
        ref_quantile: float = 0.99,
        smooth: int = 1,
        clip: float = 10.0,
    ) -> None:
        super().__init__(smooth, clip)
        if lags < 0 or (lags == 0 and not cross):
            raise ValueError("a forecast needs lags >= 1 or cross=True")
        self.n_lags = int(lags)
        self.cross = bool(cross)
        self.alpha = float(alpha)
        self.ref_quantile = float(ref_quantile)
        self.W: F64 = np.zeros((0, 0))
        self.b: F64 = np.zeros(0)
        self.res_scale: F64 = np.ones(0)
        self.ref = 1.0

    @property
    def lags(self) -> int:
        return self.n_lags

    def params(self) -> JSONDict:
        return {
            **super().params(),
            "lags": self.n_lags,
            "cross": self.cross,
            "alpha": self.alpha,
            "ref_quantile": self.ref_quantile,
        }

    def _design(self, Z: F64) -> F64:
        F = lagged(Z, self.n_lags)
        return F if self.cross else F[:, Z.shape[1] :]

    def _fit(self, Z: F64) -> None:
        d = Z.shape[1]
        F = self._design(Z)
        Y = Z
        # The first rows lack real history; leave them out of the regression.
        F_fit, Y_fit = F[self.n_lags :], Y[self.n_lags :]
        if F_fit.shape[0] < 2:
            F_fit, Y_fit = F, Y
        fm = F_fit.mean(0)
        ym = Y_fit.mean(0)
        Fc = F_fit - fm
        Yc = Y_fit - ym
        G = Fc.T @ Fc
        H = Fc.T @ Yc
        p = F.shape[1]
        W = np.zeros((p, d))
        reg = self.alpha * np.eye(p)
        for j in range(d):
            keep = np.ones(p, dtype=bool)
            if self.cross:
                keep[j] = False  # a tag never predicts itself from its own current value
            idx = np.flatnonzero(keep)
            W[idx, j] = np.linalg.solve(G[np.ix_(idx, idx)] + reg[np.ix_(idx, idx)], H[idx, j])
        self.W = W
        self.b = ym - fm @ W
        R = Y_fit - (F_fit @ W + self.b)
        rs = R.std(0)
        # A tag the others predict almost exactly (a pump's flow from its state) would otherwise turn a
        # tiny mismatch into a huge residual: residual scales are floored at 5 % of the tag's spread.
        self.res_scale = np.maximum(rs, 0.05)
        self.ref = 1.0
        s, _ = self._raw(Z)
        self.ref = max(
            float(np.quantile(s[self.n_lags :] if s.size > self.n_lags else s, self.ref_quantile)), 1e-9
        )

    def _raw(self, Z: F64) -> tuple[F64, F64]:
        R = (Z - (self._design(Z) @ self.W + self.b)) / self.res_scale
        if self.clip > 0:
            np.clip(R, -self.clip, self.clip, out=R)
        c = (R * R) / (Z.shape[1] * self.ref)
        return c.sum(1), c

    def arrays(self) -> dict[str, F64]:
        return {**super().arrays(), "W": self.W, "b": self.b, "res_scale": self.res_scale}

    def restore(self, arrays: dict[str, npt.NDArray[Any]]) -> None:
        super().restore(arrays)
        self.W = np.asarray(arrays["W"], dtype=np.float64)
        self.b = np.asarray(arrays["b"], dtype=np.float64)
        self.res_scale = np.asarray(arrays["res_scale"], dtype=np.float64)

    def state(self) -> JSONDict:
        return {**super().state(), "ref": self.ref}

    def restore_state(self, state: JSONDict) -> None:
        super().restore_state(state)
        self.ref = float(state["ref"])


# --------------------------------------------------------------------------------------------------
# Ensemble (the default)
# --------------------------------------------------------------------------------------------------


class EnsembleDetector(Detector):
    """The default model: PCA T²+Q and forecast residuals, normalised and summed, then smoothed.

    Each member's raw score is already divided by its own high quantile on the training rows (1 ≈ the
    edge of normal), so the sum weighs them equally; contributions are summed the same way. Members are
    built from ``variance`` (PCA) and ``lags``/``alpha`` (forecast); they are fitted on the same rows.
    """

    KIND = "ensemble"

    def __init__(
        self,
        variance: float = 0.9,
        lags: int = 2,
        alpha: float = 1.0,
        memory: int = 128,
        smooth: int = 1,
        clip: float = 10.0,
    ) -> None:
        super().__init__(smooth, clip)
        self.variance = float(variance)
        self.n_lags = int(lags)
        self.alpha = float(alpha)
        self.memory = int(memory)
        self.members: list[Detector] = self._members()

    def _members(self) -> list[Detector]:
        members: list[Detector] = [
            PCADetector(variance=self.variance),
            ForecastDetector(lags=self.n_lags, cross=True, alpha=self.alpha),
        ]
        if self.memory > 0:
            members.append(MSETDetector(memory=self.memory))
        return members

    @property
    def lags(self) -> int:
        return max(m.lags for m in self.members)

    def params(self) -> JSONDict:
        return {
            **super().params(),
            "variance": self.variance,
            "lags": self.n_lags,
            "alpha": self.alpha,
            "memory": self.memory,
        }

    def _fit(self, Z: F64) -> None:
        self.members = self._members()
        for m in self.members:
            # Members see the already standardised rows: unit mean/scale of their own.
            m.columns = self.columns
            m.mean_ = np.zeros(Z.shape[1])
            m.scale_ = np.ones(Z.shape[1])
            m.active_ = np.ones(Z.shape[1])
            m._fit(Z)

    def _raw(self, Z: F64) -> tuple[F64, F64]:
        score = np.zeros(Z.shape[0])
        contrib = np.zeros_like(Z)
        for m in self.members:
            s, c = m._raw(Z)
            score += s
            contrib += c
        return score, contrib

    def arrays(self) -> dict[str, F64]:
        out = dict(super().arrays())
        for i, m in enumerate(self.members):
            for k, v in m.arrays().items():
                if k not in ("mean", "scale", "active"):
                    out[f"m{i}.{k}"] = v
        return out

    def restore(self, arrays: dict[str, npt.NDArray[Any]]) -> None:
        super().restore(arrays)
        d = self.mean_.size
        for i, m in enumerate(self.members):
            prefix = f"m{i}."
            sub = {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}
            sub["mean"], sub["scale"], sub["active"] = np.zeros(d), np.ones(d), np.ones(d)
            m.restore(sub)

    def state(self) -> JSONDict:
        return {**super().state(), "members": [m.state() for m in self.members]}

    def restore_state(self, state: JSONDict) -> None:
        super().restore_state(state)
        members = state.get("members", [])
        if len(members) != len(self.members):
            raise ValueError("ensemble member count does not match")
        for m, st in zip(self.members, members, strict=True):
            m.restore_state(st)
            m.columns = self.columns


# --------------------------------------------------------------------------------------------------
# Autoencoder (a small multilayer perceptron trained by scikit-learn, evaluated with numpy)
# --------------------------------------------------------------------------------------------------


class AutoencoderDetector(Detector):
    """A dense autoencoder: standardised tags → ``width`` → ``bottleneck`` → ``width`` → tags (tanh).

    Trained on the CPU by :class:`sklearn.neural_network.MLPRegressor` (Adam, ``epochs`` passes, L2
    ``alpha``, fixed ``seed``) to reproduce its input; its weights are then kept as plain arrays and the
    forward pass is numpy, so scoring and model files need no scikit-learn object and no torch.
    Defaults scale with the number of tags d: width max(8, d), bottleneck max(2, ⌈d/4⌉).
    Score = mean squared reconstruction error over its training ``ref_quantile`` quantile; contributions
    the per-tag squared errors alike.
    """

    KIND = "autoencoder"

    def __init__(
        self,
        width: int = 0,
        bottleneck: int = 0,
        alpha: float = 1e-4,
        epochs: int = 200,
        seed: int = 0,
        ref_quantile: float = 0.99,
        smooth: int = 1,
        clip: float = 10.0,
    ) -> None:
        super().__init__(smooth, clip)
        self.width = int(width)
        self.bottleneck = int(bottleneck)
        self.alpha = float(alpha)
        self.epochs = int(epochs)
        self.seed = int(seed)
        self.ref_quantile = float(ref_quantile)
        self.weights: list[F64] = []
        self.biases: list[F64] = []
        self.ref = 1.0

    def params(self) -> JSONDict:
        return {
            **super().params(),
            "width": self.width,
            "bottleneck": self.bottleneck,
            "alpha": self.alpha,
            "epochs": self.epochs,
            "seed": self.seed,
            "ref_quantile": self.ref_quantile,
        }

    def _fit(self, Z: F64) -> None:
        import warnings

        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPRegressor

        d = Z.shape[1]
        width = self.width or max(8, d)
        bottleneck = self.bottleneck or max(2, math.ceil(d / 4))
        net = MLPRegressor(
            hidden_layer_sizes=(width, bottleneck, width),
            activation="tanh",
            alpha=self.alpha,
            max_iter=self.epochs,
            random_state=self.seed,
            tol=1e-6,
            n_iter_no_change=20,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            net.fit(Z, Z)
        self.weights = [np.asarray(w, dtype=np.float64) for w in net.coefs_]
        self.biases = [np.asarray(b, dtype=np.float64) for b in net.intercepts_]
        self.ref = 1.0
        s, _ = self._raw(Z)
        self.ref = max(float(np.quantile(s, self.ref_quantile)), 1e-9)

    def _forward(self, Z: F64) -> F64:
        h = Z
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            h = h @ w + b
            if i < last:
                np.tanh(h, out=h)
        return h

    def _raw(self, Z: F64) -> tuple[F64, F64]:
        R = Z - self._forward(Z)
        c = (R * R) / (Z.shape[1] * self.ref)
        return c.sum(1), c

    def arrays(self) -> dict[str, F64]:
        out = dict(super().arrays())
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            out[f"w{i}"] = w
            out[f"b{i}"] = b
        return out

    def restore(self, arrays: dict[str, npt.NDArray[Any]]) -> None:
        super().restore(arrays)
        n = sum(1 for k in arrays if k.startswith("w") and k[1:].isdigit())
        self.weights = [np.asarray(arrays[f"w{i}"], dtype=np.float64) for i in range(n)]
        self.biases = [np.asarray(arrays[f"b{i}"], dtype=np.float64) for i in range(n)]
        d = self.mean_.size
        prev = d
        for w, b in zip(self.weights, self.biases, strict=True):
            if w.ndim != 2 or w.shape[0] != prev or b.shape != (w.shape[1],):
                raise ValueError("autoencoder layer shapes do not chain")
            prev = w.shape[1]
        if prev != d:
            raise ValueError("autoencoder output width differs from the tag count")

    def state(self) -> JSONDict:
        return {**super().state(), "ref": self.ref}

    def restore_state(self, state: JSONDict) -> None:
        super().restore_state(state)
        self.ref = float(state["ref"])


MODELS: dict[str, type[Detector]] = {
    cls.KIND: cls
    for cls in (
        PCADetector,
        IsolationForestDetector,
        MSETDetector,
        ForecastDetector,
        AutoencoderDetector,
        EnsembleDetector,
    )
}

DEFAULT_MODEL = EnsembleDetector


# --------------------------------------------------------------------------------------------------
# Online scoring
# --------------------------------------------------------------------------------------------------


class OnlineScorer:
    """Feeds a per-point time series to a fitted, calibrated detector batch after batch.

    The scorer keeps the last ``model.lags`` rows and the last ``model.smooth - 1`` raw scores and
    contributions, so each batch is scored exactly as if the whole series had been scored at once
    (up to floating-point rounding). :meth:`push` returns the batch's :class:`ScoreResult` and the alerts
    it raised; an alarm run that continues over a batch boundary is reported again, as a new alert
    starting at the batch's first row (``Alert.start`` counts rows since the scorer started).
    """

    def __init__(self, model: Detector, top: int = 3) -> None:
        if not model.fitted:
            raise RuntimeError("model is not fitted")
        self.model = model
        self.top = top
        self.rows_seen = 0
        self._hist = np.zeros((0, len(model.columns)))
        self._raw_s = np.zeros(0)
        self._raw_c = np.zeros((0, len(model.columns)))

    def push(self, ts: npt.ArrayLike | None, X: npt.ArrayLike) -> tuple[ScoreResult, list[Alert]]:
        m = self.model
        Xm = m._check(X)
        n = Xm.shape[0]
        h = self._hist.shape[0]
        s, c = m.raw(np.concatenate([self._hist, Xm], axis=0))
        s, c = s[h:], c[h:]
        ks = self._raw_s.size
        all_s = np.concatenate([self._raw_s, s])
        all_c = np.concatenate([self._raw_c, c], axis=0)
        sm_s = _trailing_mean_from(all_s, m.smooth, ks, self.rows_seen)
        sm_c = _trailing_mean_from(all_c, m.smooth, ks, self.rows_seen)
        res = ScoreResult(sm_s, sm_c)
        if m.lags:
            self._hist = np.concatenate([self._hist, Xm], axis=0)[-m.lags :]
        keep = m.smooth - 1
        self._raw_s = all_s[-keep:] if keep else np.zeros(0)
        self._raw_c = all_c[-keep:] if keep else np.zeros((0, len(m.columns)))
        alerts = alerts_from(res, m.threshold, ts, m.columns, self.top, m.explain, offset=self.rows_seen)
        self.rows_seen += n
        return res, alerts


def _trailing_mean_from(x: F64, window: int, skip: int, seen: int) -> F64:
    """Trailing mean of rows ``skip:`` of ``x`` whose first ``skip`` rows are earlier history.

    ``seen`` is the number of rows before this batch in the whole series (to count the partial windows
    at the very start the same way :func:`trailing_mean` does).
    """
    n = x.shape[0] - skip
    out = np.empty((n,) + x.shape[1:])
    c = np.cumsum(x, axis=0)
    zero = np.zeros((1,) + x.shape[1:])
    c = np.concatenate([zero, c], axis=0)
    idx = np.arange(skip, skip + n)
    lo = np.maximum(idx + 1 - window, 0)
    out = c[idx + 1] - c[lo]
    counts = np.minimum(np.arange(seen + 1, seen + n + 1, dtype=np.float64), float(window))
    shape = (-1,) + (1,) * (x.ndim - 1)
    return out / counts.reshape(shape)
