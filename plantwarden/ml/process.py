"""A process model: a detector trained on the process values of normal captures (docs/ml.md).

``train(points, step)`` builds the time grid of the chosen points (``plantwarden.ml.series.frame``),
keeps the rows where every point has been seen, fits the detector on the first ``fit_share`` of them and
calibrates its threshold on the rest (both normal operation). ``ProcessModel`` keeps, beside the
detector, what scoring live traffic needs: the point keys (the detector's columns), their types and the
grid step. ``save``/``load`` write it as one versioned model file (``plantwarden.ml.persist``; no
pickle). ``RowBuilder`` turns the values seen online into grid rows: the last value of every point at
each grid time, decoded through its type.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from plantwarden.ml import persist
from plantwarden.ml.models import (
    Detector,
    EnsembleDetector,
    ForecastDetector,
    IsolationForestDetector,
    MSETDetector,
    PCADetector,
)
from plantwarden.ml.rules import RuleSet, rule_from_dict
from plantwarden.ml.series import PAIRED, Frame, Point, PointType, _decode, frame, guess_types, low_word_key

KINDS: dict[str, type[Detector]] = {"ensemble": EnsembleDetector, "pca": PCADetector, "forecast": ForecastDetector,
                                    "mset": MSETDetector, "iforest": IsolationForestDetector}


@dataclass(slots=True)
class ProcessModel:
    detector: Detector
    points: tuple[str, ...]
    types: dict[str, PointType]
    step: float
    info: dict[str, Any]
    #: consistency rules over the points (``plantwarden.ml.rules``), checked beside the detector
    rules: RuleSet | None = None

    def save(self, path: str | Path) -> Path:
        return persist.save(self.detector, path, info=self.info_dict())

    def dumps(self) -> bytes:
        """The model file's bytes."""
        return persist.dumps(self.detector, info=self.info_dict())

    def info_dict(self) -> dict[str, Any]:
        extra = {"rules": self.rules.to_dict()} if self.rules is not None and self.rules.rules else {}
        return {**self.info, **extra, "points": list(self.points), "step": self.step,
                "types": {k: {"dtype": t.dtype, "unit": t.unit, "scale": t.scale, "offset": t.offset,
                              "name": t.name} for k, t in self.types.items()}}


def load(path: str | Path) -> ProcessModel:
    """A model file written by ``ProcessModel.save`` (``ValueError`` when it is not one)."""
    return load_bytes(Path(path).read_bytes(), Path(path).name)


def load_bytes(data: bytes, name: str = "the model") -> ProcessModel:
    """``load`` of the file's bytes; ``name`` names it in errors."""
    detector = persist.loads(data)
    info = dict(persist.read_meta(data).get("info") or {})
    points = info.get("points")
    step = info.get("step")
    if not isinstance(points, list) or not all(isinstance(p, str) for p in points) \
            or not isinstance(step, (int, float)) or not step > 0:
        raise ValueError(f"{name}: a model file, but not of process values (no points and step)")
    if len(points) != len(detector.columns):
        raise ValueError(f"{name}: {len(points)} points for {len(detector.columns)} columns")
    types = {}
    for k, t in (info.get("types") or {}).items():
        if isinstance(t, Mapping):
            types[str(k)] = PointType(str(t.get("dtype", "uint16")), str(t.get("unit", "")),
                                      float(t.get("scale", 1.0)), float(t.get("offset", 0.0)), str(t.get("name", "")))
    rest = {k: v for k, v in info.items() if k not in ("points", "step", "types", "rules")}
    rules = None
    if isinstance(info.get("rules"), Mapping):
        try:
            rules = RuleSet.from_dict(dict(info["rules"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{name}: its consistency rules cannot be read ({exc})") from None
        if rules.columns != tuple(points):
            raise ValueError(f"{name}: its consistency rules are about other points")
    return ProcessModel(detector, tuple(points), types, float(step), rest, rules)


def rules_for(model: ProcessModel, specs: Sequence[Mapping[str, Any]]) -> RuleSet:
    """Consistency rules written by the user (``plantwarden.ml.rules`` dicts; ``kind`` state_flow or
    level_while_off) over the model's points, named by key or by their type's name."""
    names = {t.name: k for k, t in model.types.items() if t.name}
    rules = []
    for i, spec in enumerate(specs):
        if not isinstance(spec, Mapping):
            raise ValueError(f"rule {i + 1}: expected a mapping")
        d = dict(spec)
        for field in ("state", "flow", "level"):
            if field in d:
                d[field] = names.get(str(d[field]), str(d[field]))
        if "pumps" in d:
            pumps = d["pumps"] if isinstance(d["pumps"], list) else [d["pumps"]]
            d["pumps"] = [names.get(str(p), str(p)) for p in pumps]
        d.setdefault("window", 1)
        d.setdefault("direction", 1)
        d.setdefault("off_max", 0.0)
        d.setdefault("on_min", 0.0)
        try:
            rules.append(rule_from_dict(d))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"rule {i + 1}: {exc}") from None
    try:
        return RuleSet(tuple(model.points), rules)
    except KeyError as exc:
        raise ValueError(f"{exc.args[0]}, not one of the model's points") from None


def varying(points: Mapping[str, Point], min_samples: int = 10) -> list[str]:
    """The points worth modelling: seen at least ``min_samples`` times with more than one value."""
    out = []
    for k, p in sorted(points.items()):
        if len(p.samples_v) >= min_samples and len(set(p.samples_v)) > 1:
            out.append(k)
    return out


def train(runs: Mapping[str, Point] | Sequence[Mapping[str, Point]], step: float, kind: str = "ensemble",
          keys: Sequence[str] | None = None, types: Mapping[str, PointType] | None = None, fit_share: float = 0.7,
          quantile: float = 0.995, margin: float = 1.2, max_points: int = 200, **params: Any) -> ProcessModel:
    """A calibrated process model (see the module's doc). ``runs`` is the points of one capture or a list
    of them, one per capture of normal operation: each is put on its own grid (no row spans two), fitted
    on its first ``fit_share`` and calibrated on the rest. Without ``keys``, the points that vary, at most
    ``max_points`` of them (those with the most distinct values; the rest is counted in
    ``info["points_left_out"]``)."""
    if kind not in KINDS:
        raise ValueError(f"unknown model kind {kind!r}; known: {', '.join(KINDS)}")
    many: list[Mapping[str, Point]] = [runs] if isinstance(runs, Mapping) else list(runs)
    merged: dict[str, Point] = {}
    for r in many:
        for k, p in r.items():
            q = merged.setdefault(k, Point(k, p.server, p.protocol, p.space, p.address, p.raw, p.step))
            q.samples_ts.extend(p.samples_ts)
            q.samples_v.extend(p.samples_v)
    guesses = guess_types(merged)
    chosen = list(keys) if keys is not None else [k for k in varying(merged)
                                                  if not guesses[k].dtype.endswith(":low")]
    if not chosen:
        raise ValueError("no process value varies enough to be modelled")
    left_out = 0
    if keys is None and len(chosen) > max_points:  # the most varied points (training grows as d³)
        ranked = sorted(chosen, key=lambda k: (-len(set(merged[k].samples_v)), -len(merged[k].samples_v), k))
        left_out = len(chosen) - max_points
        chosen = sorted(ranked[:max_points])
    missing = [k for k in chosen if k not in merged]
    if missing:
        raise ValueError(f"no such point: {missing[0]}")
    all_types = {k: (types or {}).get(k) or PointType(guesses[k].dtype.replace(":low", "")) for k in chosen}
    fits, cals = [], []
    first = last = None
    for r in many:
        if not all(k in r for k in chosen):
            continue
        f = frame(r, step, all_types, keys=chosen)
        ok = ~np.isnan(f.values).any(axis=1)
        X = f.values[ok]
        if len(X) < 20:
            continue
        cut = min(max(10, int(len(X) * fit_share)), len(X) - 5)
        fits.append(X[:cut])
        cals.append(X[cut:])
        first = float(f.ts[ok][0]) if first is None else min(first, float(f.ts[ok][0]))
        last = float(f.ts[ok][-1]) if last is None else max(last, float(f.ts[ok][-1]))
    rows = sum(len(x) for x in fits) + sum(len(x) for x in cals)
    if not fits:
        raise ValueError("fewer than 20 rows where every point has a value: capture more normal operation")
    det = KINDS[kind](**params)
    det.fit(np.concatenate(fits), list(chosen))
    det.calibrate(cals, quantile=quantile, margin=margin)
    info = {"kind": kind, "rows": rows, "fit_rows": sum(len(x) for x in fits), "runs": len(fits),
            "first_ts": first, "last_ts": last, "points_left_out": left_out}
    return ProcessModel(det, tuple(chosen), all_types, float(step), info)


def _filled(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Each column's gaps filled with its last value (leading gaps stay NaN)."""
    out = values.copy()
    for j in range(out.shape[1]):
        col = out[:, j]
        ok = ~np.isnan(col)
        idx = np.where(ok, np.arange(len(col)), 0)
        np.maximum.accumulate(idx, out=idx)
        filled = col[idx]
        filled[~ok & (np.cumsum(ok) == 0)] = np.nan
        out[:, j] = filled
    return out


def train_frames(frames: Sequence[Frame], kind: str = "ensemble", keys: Sequence[str] | None = None,
                 fit_share: float = 0.7, quantile: float = 0.995, margin: float = 1.2,
                 **params: Any) -> ProcessModel:
    """A calibrated model of historian exports (``plantwarden.ml.historian``): each frame a run of normal
    operation, its rows in time order, gaps filled with the last value; columns by name."""
    if kind not in KINDS:
        raise ValueError(f"unknown model kind {kind!r}; known: {', '.join(KINDS)}")
    if not frames:
        raise ValueError("no historian data")
    names = list(keys) if keys is not None else [c for c in frames[0].columns
                                                if all(c in f.columns for f in frames)]
    fits, cals = [], []
    steps = []
    for f in frames:
        missing = [c for c in names if c not in f.columns]
        if missing:
            raise ValueError(f"no column {missing[0]!r} in every export")
        X = _filled(f.values[:, [f.columns.index(c) for c in names]])
        ok = ~np.isnan(X).any(axis=1)
        X = X[ok]
        if len(f.ts) > 1:
            steps.append(float(np.median(np.diff(f.ts))))
        if len(X) < 20:
            continue
        cut = min(max(10, int(len(X) * fit_share)), len(X) - 5)
        fits.append(X[:cut])
        cals.append(X[cut:])
    if not fits:
        raise ValueError("fewer than 20 rows where every tag has a value")
    varying = np.concatenate(fits).std(axis=0) > 0
    if keys is None and not varying.all():
        keep = [i for i, v in enumerate(varying) if v]
        names = [names[i] for i in keep]
        fits = [x[:, keep] for x in fits]
        cals = [x[:, keep] for x in cals]
    if not names:
        raise ValueError("no tag varies enough to be modelled")
    det = KINDS[kind](**params)
    det.fit(np.concatenate(fits), names)
    det.calibrate(cals, quantile=quantile, margin=margin)
    step = min(steps) if steps and min(steps) > 0 else 1.0
    info = {"kind": kind, "rows": sum(len(x) for x in fits) + sum(len(x) for x in cals),
            "fit_rows": sum(len(x) for x in fits), "runs": len(fits), "source": "historian"}
    return ProcessModel(det, tuple(names), {n: PointType("float", name=n) for n in names}, step, info)


def score_frame(model: ProcessModel, f: Frame, top: int = 3) -> tuple[Frame, Any, list[Any]]:
    """The model's columns of ``f`` (gaps filled, rows before every column has a value left out), their
    scores and the alarm runs (``plantwarden.ml.models.Alert``)."""
    from plantwarden.ml.models import alerts_from

    missing = [c for c in model.points if c not in f.columns]
    if missing:
        raise ValueError(f"the data has no {missing[0]!r}, which the model needs")
    X = _filled(f.values[:, [f.columns.index(c) for c in model.points]])
    ok = ~np.isnan(X).any(axis=1)
    sub = Frame(f.ts[ok], X[ok], tuple(model.points), ())
    res = model.detector.score(sub.values)
    alerts = alerts_from(res, model.detector.threshold, sub.ts, model.points, top, model.detector.explain)
    return sub, res, alerts


class RowBuilder:
    """Grid rows from values seen online: ``add`` a point's raw value, ``rows_until(ts)`` gives the rows of
    every grid time up to ``ts`` that is complete (every point seen), decoded through the types."""

    def __init__(self, model: ProcessModel, max_rows: int = 100_000) -> None:
        self.model = model
        self.keys = model.points
        self.index = {k: i for i, k in enumerate(self.keys)}
        #: point -> the point holding its second word, for the 32-bit types
        self.low = {k: low for k in self.keys if model.types.get(k, PointType()).dtype in PAIRED
                    and (low := low_word_key(k)) is not None}
        self.pair_of = set(self.low.values())
        self.last: dict[str, float] = {}
        self.next_ts: float | None = None
        self.max_rows = max_rows

    def wants(self, key: str) -> bool:
        return key in self.index or key in self.pair_of

    def add(self, key: str, ts: float, value: float) -> None:
        if self.next_ts is None:
            self.next_ts = math.floor(ts / self.model.step) * self.model.step + self.model.step
        self.last[key] = value

    def _row(self) -> npt.NDArray[np.float64] | None:
        row = np.empty(len(self.keys))
        for i, k in enumerate(self.keys):
            v = self.last.get(k)
            if v is None:
                return None
            t = self.model.types.get(k, PointType())
            lo = None
            if t.dtype in PAIRED:
                lv = self.last.get(self.low.get(k, ""))
                if lv is None:
                    return None
                lo = np.array([lv])
            row[i] = float(_decode(t.dtype, np.array([v]), lo)[0]) * t.scale + t.offset
        return row

    def rows_until(self, ts: float) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """(grid times, rows) of the grid times passed before ``ts`` (values as they stood then)."""
        times: list[float] = []
        rows: list[npt.NDArray[np.float64]] = []
        if self.next_ts is None:
            return np.zeros(0), np.zeros((0, len(self.keys)))
        while self.next_ts <= ts and len(rows) < self.max_rows:
            row = self._row()
            if row is not None:
                times.append(self.next_ts)
                rows.append(row)
            self.next_ts += self.model.step
        if self.next_ts <= ts:  # a gap longer than max_rows steps: skip ahead
            self.next_ts = math.floor(ts / self.model.step) * self.model.step + self.model.step
        if not rows:
            return np.zeros(0), np.zeros((0, len(self.keys)))
        return np.asarray(times), np.vstack(rows)
