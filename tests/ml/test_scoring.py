"""Hand-computed checks of the SKAB point metrics, the NAB score and the BATADAL score."""

from __future__ import annotations

import math

import numpy as np
import pytest

from plantwarden.ml.scoring import (
    NAB_PROFILES,
    attack_runs,
    batadal_score,
    nab_normalise,
    nab_raw_score,
    nab_score,
    nab_windows,
    point_metrics,
    scaled_sigmoid,
)

# sigma(y) = 2 / (1 + e^(5y)) - 1
# sigma(-1)  = 2 / (1 + e^-5)   - 1 = 2 / 1.0067379 - 1 = 0.9866143
# sigma(-0.8)= 2 / (1 + e^-4)   - 1 = 2 / 1.0183156 - 1 = 0.9640276
# sigma(-0.6)= 2 / (1 + e^-3)   - 1 = 2 / 1.0497871 - 1 = 0.9051483
# sigma(0.5) = 2 / (1 + e^2.5)  - 1 = 2 / 13.182494 - 1 = -0.8482836
SIG_M1 = 0.9866143
N = 40
WINDOW = [(5, 9)]  # one window, L = 5


def det(*idx: int, n: int = N) -> np.ndarray:
    out = np.zeros(n, dtype=int)
    out[list(idx)] = 1
    return out


def nab(d: np.ndarray, profile: str = "standard") -> tuple[float, float]:
    r = nab_raw_score(d, WINDOW, profile)
    return r["score"], nab_normalise(r["score"], r["null"], r["perfect"])


def test_point_metrics_by_hand() -> None:
    # t: 1 1 1 0 0 0 0 0 ; p: 1 1 0 1 0 0 0 0 -> TP 2, FN 1, FP 1, TN 4
    r = point_metrics([1, 1, 1, 0, 0, 0, 0, 0], [1, 1, 0, 1, 0, 0, 0, 0])
    assert (r["tp"], r["fp"], r["fn"], r["tn"]) == (2, 1, 1, 4)
    assert r["f1"] == pytest.approx(2 / (2 + (1 + 1) / 2))  # 2/3
    assert r["far"] == pytest.approx(1 / 5)
    assert r["mar"] == pytest.approx(1 / 3)


def test_point_metrics_degenerate() -> None:
    r = point_metrics([0, 0], [0, 0])
    assert r["f1"] == 0.0 and r["far"] == 0.0 and r["mar"] == 0.0
    with pytest.raises(ValueError):
        point_metrics([0, 1], [0])


def test_profiles_match_nab_paper() -> None:
    # Lavin & Ahmad 2015, table 1 (magnitudes).
    assert NAB_PROFILES["standard"].a_fp == 0.11 and NAB_PROFILES["standard"].a_fn == 1.0
    assert NAB_PROFILES["reward_low_FP"].a_fp == 0.22 and NAB_PROFILES["reward_low_FP"].a_fn == 1.0
    assert NAB_PROFILES["reward_low_FN"].a_fp == 0.11 and NAB_PROFILES["reward_low_FN"].a_fn == 2.0


def test_scaled_sigmoid() -> None:
    assert scaled_sigmoid(-1.0) == pytest.approx(SIG_M1, abs=1e-7)
    assert scaled_sigmoid(0.0) == 0.0
    assert scaled_sigmoid(0.5) == pytest.approx(-0.8482836, abs=1e-7)
    assert scaled_sigmoid(3.5) == -1.0  # clamped past y = 3


def test_nab_never_firing_is_zero() -> None:
    # Missed window: S = -A_FN = -1 = S_null -> 100 * 0 / 2 = 0.
    raw, norm = nab(det())
    assert raw == pytest.approx(-1.0)
    assert norm == pytest.approx(0.0)


def test_nab_perfect_is_hundred() -> None:
    # Detection at 5 = window start: y = -(9-5+1)/5 = -1 -> A_TP * sigma(-1)/sigma(-1) = 1 = S_perfect.
    raw, norm = nab(det(5))
    assert raw == pytest.approx(1.0)
    assert norm == pytest.approx(100.0)


def test_nab_one_early_detection() -> None:
    # Detection at 6: y = -(9-6+1)/5 = -0.8 -> 0.9640276 / 0.9866143 = 0.9771068
    # normalised 100 * (0.9771068 + 1) / (1 + 1) = 98.85534
    raw, norm = nab(det(6))
    assert raw == pytest.approx(0.9771068, abs=1e-6)
    assert norm == pytest.approx(98.85534, abs=1e-4)


def test_nab_late_detection_in_window_scores_little() -> None:
    # Detection at 9 (last point): y = -(9-9+1)/5 = -0.2 -> sigma = 2/(1+e^-1) - 1 = 0.4621172,
    # / 0.9866143 = 0.4683868
    raw, _ = nab(det(9))
    assert raw == pytest.approx(0.4683868, abs=1e-6)


def test_nab_one_late_false_positive() -> None:
    # Detections at 5 (TP, +1) and 11 (after window end 9): y = (11-9)/(5-1) = 0.5,
    # A_FP * sigma(0.5) = 0.11 * -0.8482836 = -0.0933112 -> S = 0.9066888
    # normalised 100 * (0.9066888 + 1) / 2 = 95.33444
    raw, norm = nab(det(5, 11))
    assert raw == pytest.approx(0.9066888, abs=1e-6)
    assert norm == pytest.approx(95.33444, abs=1e-4)
    # reward_low_FN with only the late FP: S = -2 - 0.0933112, null -2, perfect 1
    # -> 100 * -0.0933112 / 3 = -3.110373
    _, norm_fn = nab(det(11), "reward_low_FN")
    assert norm_fn == pytest.approx(-3.110373, abs=1e-4)


def test_nab_false_positives_far_from_windows() -> None:
    # Detection at 0, before any window: -A_FP = -0.11.
    # Detection at 35: y = (35-9)/4 = 6.5 > 3 -> sigma clamped to -1 -> -0.11.
    # Window missed: -1. S = -1.22; normalised 100 * (-1.22 + 1) / 2 = -11.0
    raw, norm = nab(det(0, 35))
    assert raw == pytest.approx(-1.22)
    assert norm == pytest.approx(-11.0)
    # reward_low_FP doubles the FP weight: detection at 0 and 5 -> 1 - 0.22 = 0.78 -> 100 * 1.78 / 2 = 89
    _, norm_fp = nab(det(0, 5), "reward_low_FP")
    assert norm_fp == pytest.approx(89.0)


def test_nab_only_first_detection_in_window_counts() -> None:
    # Detections at 7 and 8: first at 7, y = -(9-7+1)/5 = -0.6 -> 0.9051483 / 0.9866143 = 0.9174287;
    # the one at 8 adds nothing. normalised 100 * 1.9174287 / 2 = 95.87143
    raw, norm = nab(det(7, 8))
    assert raw == pytest.approx(0.9174287, abs=1e-6)
    assert norm == pytest.approx(95.87143, abs=1e-4)
    assert nab_raw_score(det(7, 8), WINDOW)["fp"] == 0
    # and an earlier second detection does not beat the first: 5 then 6 -> 1
    assert nab(det(5, 6))[0] == pytest.approx(1.0)


def test_nab_windows_sixty_seconds_right_and_merge() -> None:
    ts = np.datetime64("2020-01-01T00:00:00") + np.arange(200).astype("timedelta64[s]")
    cp = det(10, 150, n=200)
    # [t_cp, t_cp + 60 s] inclusive -> 61 points
    assert nab_windows(ts, cp) == [(10, 70), (150, 199)]  # second clipped at the series end
    assert nab_windows(np.arange(200.0), det(10, 40, n=200)) == [(10, 100)]  # overlapping: merged
    with pytest.raises(ValueError):
        nab_raw_score(det(1), [(0, 5), (5, 9)])


def test_nab_corpus_sums_before_normalising() -> None:
    t = np.arange(40.0)
    cp = det(5)
    # file 1 perfect (+1), file 2 missed (-1): S = 0, null = -2, perfect = 2 -> 50
    res = nab_score([(t, cp, det(5)), (t, cp, det())], width=4)
    assert res["standard"] == pytest.approx(50.0)
    # reward_low_FN: S = 1 - 2 = -1, null = -4, perfect = 2 -> 100 * 3 / 6 = 50
    assert res["reward_low_FN"] == pytest.approx(50.0)


def test_attack_runs() -> None:
    assert attack_runs([0, 1, 1, 0, 1]) == [(1, 2), (4, 4)]
    assert attack_runs([0, 0]) == []


def test_batadal_all_ones_is_075() -> None:
    # Attacks [2..4] and [7..8]; every hour alarmed: TTD 0, 0 -> S_TTD 1; TPR 1, TNR 0 -> S_CM 0.5
    labels = [0, 0, 1, 1, 1, 0, 0, 1, 1, 0]
    r = batadal_score(labels, [1] * 10)
    assert r["S_TTD"] == 1.0 and r["S_CM"] == 0.5 and r["S"] == 0.75
    assert r["TTD"] == [0.0, 0.0]


def test_batadal_by_hand() -> None:
    labels = [0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0]
    alarms = [1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0]
    # attack 1: hours 2-5, Δt 4, first alarm at 4 -> TTD 2 -> 2/4; attack 2: 8-9, missed -> TTD = Δt = 2 -> 1
    # S_TTD = 1 - (0.5 + 1) / 2 = 0.25
    # TP 2 (4, 5), FN 4 (2, 3, 8, 9), FP 1 (0), TN 5 -> TPR 1/3, TNR 5/6, S_CM = 7/12
    # S = 0.125 + 7/24 = 0.4166667
    r = batadal_score(labels, alarms)
    assert r["TTD"] == [2.0, 2.0]
    assert r["S_TTD"] == pytest.approx(0.25)
    assert r["TPR"] == pytest.approx(1 / 3) and r["TNR"] == pytest.approx(5 / 6)
    assert r["S_CM"] == pytest.approx(7 / 12)
    assert r["S"] == pytest.approx(0.125 + 7 / 24)


def test_batadal_uses_hours_and_never_firing() -> None:
    # Hours jump: attack rows at hours 10, 12, 14 -> Δt = 14 - 10 + 1 = 5; alarm at hour 14 -> TTD 4 -> 0.8
    r = batadal_score([0, 1, 1, 1], [0, 0, 0, 1], hours=[9, 10, 12, 14])
    assert r["durations"] == [5.0] and r["TTD"] == [4.0]
    assert r["S_TTD"] == pytest.approx(0.2)
    # Never firing: S_TTD 0, TPR 0, TNR 1 -> S = 0.25
    r0 = batadal_score([0, 1, 1, 0], [0, 0, 0, 0])
    assert r0["S"] == pytest.approx(0.25)
    assert math.isclose(r0["S_CM"], 0.5)
    with pytest.raises(ValueError):
        batadal_score([0, 0], [1, 1])
