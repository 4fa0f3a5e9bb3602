"""Charts of a process anomaly (docs/ml.md, "Charts"): SVG drawn on the server, no script, no library.

``anomaly_chart(series)`` draws, from the ``series`` a ``process.anomaly`` finding carries (or that
``series_of`` builds from a frame and a model's scores), one panel per contributing point (its values on
their own scale, with its unit) and a last panel with the anomaly score on a log scale and the threshold,
the anomaly window shaded across all panels, times in UTC on the shared axis. Every name is escaped (point
keys and tag names can come from the wire or from files); values that are not finite are gaps.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from plantwarden.web.svg import ALERT_COLOR, PROTOCOL_PALETTE, _esc, _num, _svg_open, _time_ticks, _truncate

PANEL_H = 90
GAP = 26
LEFT = 70
RIGHT = 16
TOP = 28


def _finite(values: Sequence[Any]) -> list[float | None]:
    out: list[float | None] = []
    for v in values:
        try:
            f = float(v)
        except (TypeError, ValueError):
            out.append(None)
            continue
        out.append(f if math.isfinite(f) else None)
    return out


def _fmt(v: float) -> str:
    a = abs(v)
    if a != 0 and (a >= 1e5 or a < 1e-2):
        return f"{v:.2e}"
    return f"{v:.4g}"


def _path(xs: list[float], ys: list[float | None]) -> str:
    parts: list[str] = []
    pen_up = True
    for x, y in zip(xs, ys, strict=True):
        if y is None:
            pen_up = True
            continue
        parts.append(f"{'M' if pen_up else 'L'}{_num(x)},{_num(y)}")
        pen_up = False
    return " ".join(parts)


def anomaly_chart(series: Mapping[str, Any], width: int = 900, title: str = "") -> str:
    """The SVG of one anomaly (see the module's doc); a short message when there is nothing to draw."""
    ts = _finite(series.get("ts") or [])
    points = series.get("points") or {}
    if not isinstance(points, Mapping):
        points = {}
    n = len(ts)
    good_t = [t for t in ts if t is not None]
    panels = [(str(k), _finite(v)) for k, v in list(points.items())[:8] if isinstance(v, Sequence) and len(v) == n]
    score = _finite(series.get("score") or [])
    has_score = len(score) == n and any(s is not None for s in score)
    count = len(panels) + (1 if has_score else 0)
    width = max(300, min(int(width), 4000))
    if n < 2 or len(good_t) < 2 or count == 0:
        h = 60
        return (_svg_open(width, h, 'class="chart" role="img" aria-label="no data"')
                + f'<text x="{LEFT}" y="34" fill="#555">no values to draw</text></svg>')
    t0, t1 = min(good_t), max(good_t)
    span = (t1 - t0) or 1.0
    plot_w = width - LEFT - RIGHT
    height = TOP + count * (PANEL_H + GAP) + 10

    def x(t: float) -> float:
        return LEFT + (t - t0) / span * plot_w

    xs = [x(t) if t is not None else float("nan") for t in ts]
    label = _esc(_truncate(title or "process anomaly", 120))
    out = [_svg_open(width, height, f'class="chart" role="img" aria-label="{label}"'),
           f'<text x="{LEFT}" y="16" font-weight="bold">{label}</text>']
    start, end = series.get("start"), series.get("end")
    try:
        ws = float(start) if start is not None else None
        we = float(end) if end is not None else t1
    except (TypeError, ValueError):
        ws = we = None
    if ws is not None and we is not None and math.isfinite(ws) and math.isfinite(we):
        a, b = x(max(t0, min(ws, t1))), x(max(t0, min(we, t1)))
        out.append(f'<rect class="window" x="{_num(a)}" y="{TOP - 4}" width="{_num(max(b - a, 2))}" '
                   f'height="{_num(count * (PANEL_H + GAP) - GAP + 8)}" fill="{ALERT_COLOR}" fill-opacity="0.12"/>')
    units = series.get("units") if isinstance(series.get("units"), Mapping) else {}
    y0 = TOP
    for i, (name, vals) in enumerate(panels):
        good = [v for v in vals if v is not None]
        lo, hi = (min(good), max(good)) if good else (0.0, 1.0)
        if hi == lo:
            lo, hi = lo - 1, hi + 1

        def y(v: float, lo: float = lo, hi: float = hi, y0: float = y0) -> float:
            return y0 + PANEL_H - (v - lo) / (hi - lo) * PANEL_H

        ys = [y(v) if v is not None else None for v in vals]
        color = PROTOCOL_PALETTE[i % len(PROTOCOL_PALETTE)]
        unit = units.get(name) if isinstance(units, Mapping) else None
        out.append(f'<rect x="{LEFT}" y="{y0}" width="{_num(plot_w)}" height="{PANEL_H}" fill="none" stroke="#ccc"/>')
        out.append(f'<path d="{_path([v for v in xs], ys)}" fill="none" stroke="{color}" stroke-width="1.5"/>')
        out.append(f'<text x="{LEFT + 4}" y="{y0 + 12}" fill="{color}">'
                   f'{_esc(_truncate(name, 80))}{(" [" + _esc(_truncate(str(unit), 20)) + "]") if unit else ""}</text>')
        out.append(f'<text x="{LEFT - 4}" y="{y0 + 10}" text-anchor="end">{_esc(_fmt(hi))}</text>')
        out.append(f'<text x="{LEFT - 4}" y="{y0 + PANEL_H}" text-anchor="end">{_esc(_fmt(lo))}</text>')
        y0 += PANEL_H + GAP
    if has_score:
        thr = series.get("threshold")
        logs = [math.log10(max(s, 1e-12)) if s is not None else None for s in score]
        good = [v for v in logs if v is not None]
        lo, hi = min(good), max(good)
        thr_log = math.log10(max(float(thr), 1e-12)) if isinstance(thr, (int, float)) and thr > 0 else None
        if thr_log is not None:
            lo, hi = min(lo, thr_log), max(hi, thr_log)
        if hi == lo:
            lo, hi = lo - 1, hi + 1

        def ys_(v: float) -> float:
            return y0 + PANEL_H - (v - lo) / (hi - lo) * PANEL_H

        out.append(f'<rect x="{LEFT}" y="{y0}" width="{_num(plot_w)}" height="{PANEL_H}" fill="none" stroke="#ccc"/>')
        out.append(f'<path d="{_path(xs, [ys_(v) if v is not None else None for v in logs])}" fill="none" '
                   f'stroke="#333" stroke-width="1.5"/>')
        if thr_log is not None:
            ty = ys_(thr_log)
            out.append(f'<line class="threshold" x1="{LEFT}" x2="{_num(LEFT + plot_w)}" y1="{_num(ty)}" y2="{_num(ty)}" '
                       f'stroke="{ALERT_COLOR}" stroke-dasharray="4 3"/>')
            out.append(f'<text x="{_num(LEFT + plot_w - 4)}" y="{_num(ty - 3)}" text-anchor="end" '
                       f'fill="{ALERT_COLOR}">threshold {_esc(_fmt(float(thr)))}</text>')  # type: ignore[arg-type]
        out.append(f'<text x="{LEFT + 4}" y="{y0 + 12}">anomaly score (log scale)</text>')
        out.append(f'<text x="{LEFT - 4}" y="{y0 + 10}" text-anchor="end">{_esc(_fmt(10 ** hi))}</text>')
        out.append(f'<text x="{LEFT - 4}" y="{y0 + PANEL_H}" text-anchor="end">{_esc(_fmt(10 ** lo))}</text>')
        y0 += PANEL_H + GAP
    axis_y = y0 - GAP + 14
    for tick, text in _time_ticks(t0, t1):
        if t0 <= tick <= t1:
            out.append(f'<text x="{_num(x(tick))}" y="{_num(axis_y)}" text-anchor="middle">{_esc(text)}</text>')
    out.append("</svg>")
    return "".join(out)


def series_of(ts: npt.ArrayLike, values: npt.ArrayLike, columns: Sequence[str], score: npt.ArrayLike,
              threshold: float, start: float | None, end: float | None, top: Sequence[str],
              units: Mapping[str, str] | None = None, limit: int = 400) -> dict[str, Any]:
    """A ``series`` for ``anomaly_chart`` from a frame's rows and their scores (at most ``limit`` rows,
    evenly thinned), with the ``top`` columns."""
    t = np.asarray(ts, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    s = np.asarray(score, dtype=np.float64)
    n = len(t)
    keep = np.unique(np.linspace(0, n - 1, min(n, limit)).round().astype(int)) if n else np.zeros(0, dtype=int)
    idx = {c: i for i, c in enumerate(columns)}

    def clean(a: npt.NDArray[np.float64]) -> list[float | None]:
        return [float(x) if math.isfinite(x) else None for x in a]

    return {"ts": clean(t[keep]), "points": {c: clean(v[keep, idx[c]]) for c in top if c in idx},
            "units": dict(units or {}), "score": clean(s[keep]), "threshold": float(threshold),
            "start": start, "end": end}
