"""Loaders against the shared SKAB/BATADAL copies, and reproduction of the published figures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from plantwarden.ml.datasets import load_batadal, load_batadal_alarms, load_skab, load_skab_free
from plantwarden.ml.scoring import batadal_score, point_metrics

DATASETS = Path(__file__).resolve().parents[3] / "shared" / "datasets"
SKAB = DATASETS / "skab"
BATADAL = DATASETS / "batadal"

# Published S (README table, BATADAL results page), with the recomputed S_TTD, S_CM, TPR, TNR.
PUBLISHED = {
    "Housh_and_Ohar": (0.970, 0.965, 0.975, 0.953, 0.997),
    "Abokifa_et_al": (0.949, 0.958, 0.940, 0.921, 0.959),
    "Giacomoni_et_al": (0.927, 0.936, 0.917, 0.838, 0.997),
    "Brentan_et_al": (0.894, 0.857, 0.931, 0.889, 0.973),
    "Chandy_et_al": (0.802, 0.835, 0.768, 0.857, 0.678),
    "Pasha_et_al": (0.773, 0.885, 0.660, 0.329, 0.992),
    "Aghashahi_et_al": (0.534, 0.429, 0.640, 0.396, 0.884),
}


@pytest.fixture(scope="module")
def skab() -> list:
    if not (SKAB / "data").is_dir():
        pytest.skip("shared/datasets/skab is not beside the project")
    return load_skab(SKAB)


@pytest.fixture(scope="module")
def batadal() -> dict:
    if not (BATADAL / "official").is_dir():
        pytest.skip("shared/datasets/batadal is not beside the project")
    return load_batadal(BATADAL)


def test_skab_shapes(skab: list) -> None:
    assert len(skab) == 34
    groups = [f.name.split("/")[0] for f in skab]
    assert (groups.count("valve1"), groups.count("valve2"), groups.count("other")) == (16, 4, 14)
    assert sum(len(f.ts) for f in skab) == 37_401
    for f in skab:
        assert f.X.shape == (len(f.ts), 8)
        assert f.anomaly is not None and f.changepoint is not None
        assert set(np.unique(f.anomaly)) <= {0, 1} and len(f.changepoint) == len(f.ts)
        assert np.all(np.diff(f.ts) > np.timedelta64(0, "s"))
    assert skab[0].columns[0] == "Accelerometer1RMS" and skab[0].columns[-1] == "Volume Flow RateRMS"


def test_skab_free_shape() -> None:
    if not (SKAB / "data").is_dir():
        pytest.skip("shared/datasets/skab is not beside the project")
    free = load_skab_free(DATASETS)  # the datasets folder works as root too
    assert free.X.shape == (9_405, 8)
    assert free.anomaly is None and free.changepoint is None


def test_skab_all_ones_detector_f1(skab: list) -> None:
    # README caveat: 53.7 % of the test points (rows >= 400) are anomalous; flagging all gives F1 0.70.
    y = np.concatenate([f.anomaly[400:] for f in skab])
    assert y.mean() == pytest.approx(0.537, abs=5e-4)
    r = point_metrics(y, np.ones_like(y))
    assert round(r["f1"], 2) == 0.70
    assert r["far"] == 1.0 and r["mar"] == 0.0


def test_batadal_shapes(batadal: dict) -> None:
    assert {k: v.X.shape for k, v in batadal.items()} == {
        "train": (8_761, 43),
        "train2": (4_177, 43),
        "test": (2_089, 43),
        "labels04": (4_177, 43),
        "labels_test": (2_089, 43),
    }
    cols = batadal["train"].columns
    assert all(v.columns == cols for v in batadal.values())  # dataset04's leading spaces stripped
    assert cols[0] == "L_T1" and cols[-1] == "P_J422"
    assert set(np.unique(batadal["train"].att_flag)) == {0}
    assert set(np.unique(batadal["train2"].att_flag)) == {1, -999}
    assert batadal["test"].att_flag is None
    assert set(np.unique(batadal["labels_test"].att_flag)) == {0, 1}
    # derived labels agree with the officially released positives of dataset04
    official = batadal["train2"].att_flag == 1
    assert np.all(batadal["labels04"].att_flag[official] == 1)
    np.testing.assert_array_equal(batadal["labels04"].ts, batadal["train2"].ts)
    np.testing.assert_allclose(batadal["labels04"].X, batadal["train2"].X)
    # hourly, no gaps
    for v in batadal.values():
        assert np.all(np.diff(v.ts) == np.timedelta64(1, "h"))


def test_batadal_seven_test_attacks(batadal: dict) -> None:
    ids = batadal["labels_test"].attack_id
    assert ids is not None
    assert sorted(set(ids.tolist()) - {0}) == list(range(8, 15))


@pytest.mark.parametrize("team", sorted(PUBLISHED))
def test_batadal_reproduces_published_scores(batadal: dict, team: str) -> None:
    path = BATADAL / "team_alarms" / f"{team}.csv"
    if not path.is_file():
        pytest.skip(f"no alarm file for {team}")
    lab = batadal["labels_test"]
    alarms = load_batadal_alarms(path, lab.ts)
    hours = (lab.ts - lab.ts[0]) / np.timedelta64(1, "h")
    r = batadal_score(lab.att_flag, alarms, hours)
    got = tuple(round(r[k], 3) for k in ("S", "S_TTD", "S_CM", "TPR", "TNR"))
    assert got == PUBLISHED[team]
    assert len(r["TTD"]) == 7


def test_batadal_all_ones_on_test_is_075(batadal: dict) -> None:
    lab = batadal["labels_test"].att_flag
    assert batadal_score(lab, np.ones_like(lab))["S"] == pytest.approx(0.75)
