"""Benchmark scores for process-data anomaly detectors: SKAB point metrics, the NAB score, BATADAL's S.

All functions take plain sequences or numpy arrays of 0/1 flags (any non-zero value counts as 1) and
return plain Python floats/ints in dictionaries, so results can be logged or compared directly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

ArrayLike = npt.ArrayLike


def _flags(values: ArrayLike, name: str) -> npt.NDArray[np.bool_]:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr.astype(bool)


# --------------------------------------------------------------------------------------------------
# SKAB point metrics
# --------------------------------------------------------------------------------------------------


def point_metrics(y_true: ArrayLike, y_pred: ArrayLike) -> dict[str, float]:
    """Point-wise detection metrics as used by the SKAB leaderboard (pooled points, no point-adjust).

    With TP/FP/FN/TN counted over every point:

    * ``f1``  = TP / (TP + (FP + FN) / 2)   (equal to 2·precision·recall / (precision + recall))
    * ``far`` = FP / (FP + TN)              false-alarm rate
    * ``mar`` = FN / (FN + TP)              missed-alarm rate

    A ratio whose denominator is zero is reported as 0.0. The counts are returned as ``tp``, ``fp``,
    ``fn``, ``tn``. To pool several files, concatenate their test points before calling.
    """
    t = _flags(y_true, "y_true")
    p = _flags(y_pred, "y_pred")
    if t.shape != p.shape:
        raise ValueError(f"y_true and y_pred differ in length: {t.shape[0]} != {p.shape[0]}")
    tp = int(np.sum(t & p))
    fp = int(np.sum(~t & p))
    fn = int(np.sum(t & ~p))
    tn = int(np.sum(~t & ~p))

    def ratio(num: float, den: float) -> float:
        return num / den if den else 0.0

    return {
        "f1": ratio(tp, tp + (fp + fn) / 2),
        "far": ratio(fp, fp + tn),
        "mar": ratio(fn, fn + tp),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
    }


# --------------------------------------------------------------------------------------------------
# NAB score
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NabProfile:
    """Application profile weights of the NAB score (all given as positive magnitudes)."""

    a_tp: float
    a_fp: float
    a_tn: float
    a_fn: float


#: The three standard profiles of Lavin & Ahmad (2015), Table 1 (the paper writes A_FP and A_FN with a
#: negative sign; here they are magnitudes and the sign is applied by the score).
NAB_PROFILES: dict[str, NabProfile] = {
    "standard": NabProfile(a_tp=1.0, a_fp=0.11, a_tn=1.0, a_fn=1.0),
    "reward_low_FP": NabProfile(a_tp=1.0, a_fp=0.22, a_tn=1.0, a_fn=1.0),
    "reward_low_FN": NabProfile(a_tp=1.0, a_fp=0.11, a_tn=1.0, a_fn=2.0),
}


def scaled_sigmoid(y: float) -> float:
    """NAB's scaled sigmoid: 2 / (1 + e^(5y)) − 1, i.e. +0.987 at y = −1, 0 at y = 0, → −1 for large y.

    Following NAB's reference implementation, it is clamped to exactly −1 for y > 3.
    """
    if y > 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * y)) - 1.0


def nab_windows(times: ArrayLike, changepoints: ArrayLike, width: float = 60.0) -> list[tuple[int, int]]:
    """Anomaly windows as inclusive index ranges ``(start, end)``.

    For every index ``c`` where ``changepoints`` is set, the window covers the points whose time lies in
    ``[times[c], times[c] + width]`` (SKAB's "60 s to the right of the changepoint"; ``times`` in seconds,
    or ``datetime64`` values, in which case ``width`` is in seconds). Overlapping or touching windows are
    merged into one. ``times`` must be non-decreasing.
    """
    t = np.asarray(times)
    if np.issubdtype(t.dtype, np.datetime64):
        t = (t - t[0]).astype("timedelta64[ms]").astype(np.int64) / 1000.0 if t.size else t
    t = t.astype(float)
    cp = _flags(changepoints, "changepoints")
    if cp.shape != t.shape:
        raise ValueError("times and changepoints differ in length")
    windows: list[tuple[int, int]] = []
    for c in np.flatnonzero(cp):
        end = int(np.searchsorted(t, t[c] + width, side="right")) - 1
        start = int(c)
        if windows and start <= windows[-1][1] + 1:
            windows[-1] = (windows[-1][0], max(windows[-1][1], end))
        else:
            windows.append((start, end))
    return windows


def nab_raw_score(
    detections: ArrayLike, windows: Sequence[tuple[int, int]], profile: str | NabProfile = "standard"
) -> dict[str, Any]:
    """Raw NAB score of one series, with the null and perfect scores needed to normalise it.

    Definition implemented (Lavin & Ahmad, "Evaluating Real-time Anomaly Detection Algorithms – the
    Numenta Anomaly Benchmark", 2015, eq. 1-3), in the variant of NAB's reference implementation
    (which is the one all published NAB figures use; the paper's printed eq. 1 differs only in how the
    weights enter). Let σ(y) = 2/(1 + e^(5y)) − 1 (:func:`scaled_sigmoid`), windows be inclusive index
    ranges [l, r] of length L = r − l + 1, and A_TP, A_FP, A_FN the profile's positive magnitudes:

    * Detection at index i inside a window: relative position y = −(r − i + 1)/L ∈ [−1, 0) (−1 at the
      window's first point). Only the *first* detection in each window is scored; it earns
      A_TP · σ(y) / σ(−1), so a detection at the window start earns exactly A_TP and one at the last
      point earns about A_TP · σ(−1/L)/σ(−1) (close to 0). Later detections in the same window score 0.
    * Detection at index i outside every window, after a window [l, r] (the most recent one):
      y = (i − r)/(L − 1) (L − 1 replaced by 1 when L = 1) and the detection scores A_FP · σ(y), which
      is negative: almost 0 just after the window, −A_FP once y > 3. Every such detection counts.
    * Detection before the first window: −A_FP.
    * Each window without any detection: −A_FN.
    * True negatives contribute nothing (A_TN is part of the profile but unused by the score, as in NAB).

    S is the sum of these terms. ``null`` = −A_FN · (number of windows) is the score of a detector that
    never fires, ``perfect`` = A_TP · (number of windows) the score of one that fires at every window start.
    """
    prof = NAB_PROFILES[profile] if isinstance(profile, str) else profile
    det = _flags(detections, "detections")
    wins = sorted((int(a), int(b)) for a, b in windows)
    for (_, r0), (l1, _) in zip(wins, wins[1:], strict=False):
        if l1 <= r0:
            raise ValueError("NAB windows must not overlap")
    max_tp = scaled_sigmoid(-1.0)
    score = 0.0
    tp = fp = 0
    hit = [False] * len(wins)
    w = 0  # index of the first window whose end is >= the current point
    for idx in np.flatnonzero(det):
        i = int(idx)
        while w < len(wins) and wins[w][1] < i:
            w += 1
        if w < len(wins) and wins[w][0] <= i:
            if not hit[w]:
                left, right = wins[w]
                length = right - left + 1
                score += prof.a_tp * scaled_sigmoid(-(right - i + 1) / length) / max_tp
                hit[w] = True
                tp += 1
            continue
        fp += 1
        if w == 0:
            score -= prof.a_fp
        else:
            left, right = wins[w - 1]
            length = right - left + 1
            score += prof.a_fp * scaled_sigmoid((i - right) / max(length - 1, 1))
    fn = hit.count(False)
    score -= prof.a_fn * fn
    return {
        "score": score,
        "null": -prof.a_fn * len(wins),
        "perfect": prof.a_tp * len(wins),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "windows": len(wins),
    }


def nab_normalise(raw: float, null: float, perfect: float) -> float:
    """S_normalised = 100 · (S − S_null) / (S_perfect − S_null); 0.0 when there is no window at all."""
    if perfect == null:
        return 0.0
    return 100.0 * (raw - null) / (perfect - null)


def nab_score(
    series: Sequence[tuple[ArrayLike, ArrayLike, ArrayLike]],
    width: float = 60.0,
    profiles: Sequence[str] = tuple(NAB_PROFILES),
) -> dict[str, float]:
    """Normalised NAB score over a corpus, one figure per profile.

    ``series`` holds ``(times, changepoints, detections)`` per file; windows come from
    :func:`nab_windows` with ``width``. Raw, null and perfect scores are summed over the files before
    normalising (as NAB does for its corpus), so 0 is the never-firing detector and 100 the perfect one.
    """
    prepared = [(nab_windows(t, c, width), d) for t, c, d in series]
    result: dict[str, float] = {}
    for name in profiles:
        raw = null = perfect = 0.0
        for wins, det in prepared:
            part = nab_raw_score(det, wins, name)
            raw += part["score"]
            null += part["null"]
            perfect += part["perfect"]
        result[name] = nab_normalise(raw, null, perfect)
    return result


# --------------------------------------------------------------------------------------------------
# BATADAL
# --------------------------------------------------------------------------------------------------


def attack_runs(labels: ArrayLike) -> list[tuple[int, int]]:
    """Maximal runs of label 1 as inclusive index ranges ``(start, end)``."""
    lab = _flags(labels, "labels").astype(np.int8)
    edges = np.diff(np.concatenate(([0], lab, [0])))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1) - 1
    return [(int(a), int(b)) for a, b in zip(starts, ends, strict=True)]


def batadal_score(labels: ArrayLike, alarms: ArrayLike, hours: ArrayLike | None = None) -> dict[str, Any]:
    """BATADAL ranking score (Taormina et al. 2018; competition rules §3.3-3.4).

    ``labels`` are 1 during an attack and 0 otherwise (one entry per hour), ``alarms`` the detector's
    0/1 output per hour, ``hours`` the hour of each row (default: 0, 1, 2, ...). Attacks are the maximal
    runs of label 1; attack i starts at hour s_i and lasts Δt_i = hours[end] − hours[start] + 1 hours.

    * TTD_i = (hour of the first alarm inside attack i) − s_i, or Δt_i when the attack raises no alarm.
    * S_TTD = 1 − mean_i(TTD_i / Δt_i).
    * TPR = TP / (TP + FN), TNR = TN / (TN + FP) over all hours; S_CM = (TPR + TNR) / 2.
    * S = 0.5 · S_TTD + 0.5 · S_CM.

    Returns ``S``, ``S_TTD``, ``S_CM``, ``TPR``, ``TNR`` and ``TTD`` (list of TTD_i in hours) plus
    ``durations`` (list of Δt_i). Detecting every hour scores S_TTD = 1, S_CM = 0.5, S = 0.75.
    """
    lab = _flags(labels, "labels")
    alm = _flags(alarms, "alarms")
    if lab.shape != alm.shape:
        raise ValueError(f"labels and alarms differ in length: {lab.shape[0]} != {alm.shape[0]}")
    hrs = np.arange(lab.size, dtype=float) if hours is None else np.asarray(hours, dtype=float)
    if hrs.shape != lab.shape:
        raise ValueError("hours and labels differ in length")
    runs = attack_runs(lab)
    if not runs:
        raise ValueError("labels contain no attack")
    ttds: list[float] = []
    durations: list[float] = []
    for start, end in runs:
        duration = float(hrs[end] - hrs[start] + 1)
        hits = np.flatnonzero(alm[start : end + 1])
        ttds.append(float(hrs[start + hits[0]] - hrs[start]) if hits.size else duration)
        durations.append(duration)
    s_ttd = 1.0 - float(np.mean(np.asarray(ttds) / np.asarray(durations)))
    cm = point_metrics(lab, alm)
    tp, fp, fn, tn = cm["tp"], cm["fp"], cm["fn"], cm["tn"]
    tpr = tp / (tp + fn)
    tnr = tn / (tn + fp) if tn + fp else 0.0
    s_cm = (tpr + tnr) / 2.0
    return {
        "S": 0.5 * s_ttd + 0.5 * s_cm,
        "S_TTD": s_ttd,
        "S_CM": s_cm,
        "TPR": tpr,
        "TNR": tnr,
        "TTD": ttds,
        "durations": durations,
    }
