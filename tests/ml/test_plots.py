"""Charts of process anomalies (plantwarden.ml.plots): well-formed SVG, the window and threshold drawn,
gaps for missing values, hostile names escaped (the dashboard's alert page: tests/ml/test_process.py)."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from typing import Any

import numpy as np
import pytest

from plantwarden.ml.plots import anomaly_chart, series_of

NS = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert(1)</script>"\'&\u202e\x00'


def _series(n: int = 100, **over: Any) -> dict[str, Any]:
    t0 = 1_760_000_000.0
    s: dict[str, Any] = {"ts": [t0 + i for i in range(n)],
                         "points": {"10.0.0.20/unit1/holding/0": [500 + math.sin(i / 5) for i in range(n)],
                                    "10.0.0.20/unit1/holding/3": [500.0] * 60 + [900.0] * (n - 60)},
                         "units": {"10.0.0.20/unit1/holding/0": "mm"},
                         "score": [1.0] * 60 + [1e4] * (n - 60), "threshold": 4.0,
                         "start": t0 + 60, "end": t0 + n - 1}
    s.update(over)
    return s


def test_panels_window_threshold_and_axis() -> None:
    svg = anomaly_chart(_series(), title="alert 7")
    root = ET.fromstring(svg)
    paths = root.findall(f"{NS}path")
    assert len(paths) == 3  # two points and the score
    window = [r for r in root.findall(f"{NS}rect") if r.get("class") == "window"]
    assert len(window) == 1
    x = float(window[0].get("x", "0"))
    w = float(window[0].get("width", "0"))
    assert 70 + 0.55 * 814 < x < 70 + 0.65 * 814 and x + w <= 900 - 16 + 0.01  # second 60 of 0..99
    assert [ln for ln in root.findall(f"{NS}line") if ln.get("class") == "threshold"]
    texts = "".join(t.text or "" for t in root.iter(f"{NS}text"))
    assert "10.0.0.20/unit1/holding/0 [mm]" in texts and "threshold 4" in texts and "alert 7" in texts
    assert ":" in texts  # HH:MM ticks


def test_missing_values_are_gaps_not_zeros() -> None:
    vals = [1.0, 2.0, None, float("nan"), 5.0, 6.0]
    svg = anomaly_chart({"ts": list(range(6)), "points": {"p": vals}, "score": [1, 1, 1, 1, 1, 1], "threshold": 2})
    d = ET.fromstring(svg).findall(f"{NS}path")[0].get("d", "")
    assert d.count("M") == 2 and d.count("L") == 2


@pytest.mark.parametrize("series", [{}, {"ts": [1.0]}, {"ts": "x", "points": 5}, {"ts": [1, 2], "points": {"p": [1]}},
                                    {"ts": [None, None], "points": {"p": [1, 2]}}])
def test_nothing_to_draw_is_a_message(series: dict[str, Any]) -> None:
    svg = anomaly_chart(series)
    assert "no values to draw" in svg and ET.fromstring(svg) is not None


def test_hostile_names_and_units_are_escaped() -> None:
    s = _series(points={HOSTILE: [1.0, 2.0] * 50}, units={HOSTILE: HOSTILE})
    svg = anomaly_chart(s, title=HOSTILE)
    assert "<script" not in svg and "\u202e" not in svg and "\x00" not in svg
    ET.fromstring(svg)  # still well-formed


def test_series_of_thins_and_keeps_the_top_columns() -> None:
    ts = np.arange(1000.0)
    X = np.column_stack([np.sin(ts), np.cos(ts), np.full(1000, np.nan)])
    s = series_of(ts, X, ["a", "b", "c"], np.abs(X[:, 0]), 0.5, 10.0, 20.0, ["b", "c", "zz"], limit=100)
    assert len(s["ts"]) == 100 and set(s["points"]) == {"b", "c"} and s["points"]["c"][0] is None
    assert s["ts"][0] == 0.0 and s["ts"][-1] == 999.0
    assert "<svg" in anomaly_chart(s)
