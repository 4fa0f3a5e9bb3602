"""Consistency rules between correlated tags: physical relations a normal process never breaks.

A rule reads a few tags of a values matrix (rows in time order, named columns) and fires on the rows
where the relation is broken. Two kinds:

* :class:`StateFlowRule`: a pump or valve reported off must show no flow, and one reported on must show
  flow (``S_PU1`` against ``F_PU1``).
* :class:`LevelWhileOffRule`: a tank level must not rise (or fall) by more than ``min_change`` over
  ``window`` rows while every pump that feeds (or drains) it is off.

Rules can be written by hand or learned from normal data (:func:`learn_rules` pairs ``S_x`` state tags
with ``F_x`` flow tags and keeps the relations that held on every training row). A :class:`RuleSet`
evaluates all its rules at once, turns firings into alerts naming the tags involved, and round-trips
through plain JSON (:meth:`RuleSet.to_dict` / :meth:`RuleSet.from_dict`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]


def _col(columns: Sequence[str], name: str) -> int:
    try:
        return list(columns).index(name)
    except ValueError:
        raise KeyError(f"rule tag {name!r} is not a column") from None


@dataclass(frozen=True)
class StateFlowRule:
    """``state`` off (≤ ``on_level``/2) with |``flow``| > ``off_max``, or on with |``flow``| < ``on_min``."""

    state: str
    flow: str
    off_max: float = 0.0
    on_min: float = 0.0
    on_level: float = 1.0

    kind = "state_flow"

    @property
    def tags(self) -> tuple[str, ...]:
        return (self.flow, self.state)

    def evaluate(self, X: F64, columns: Sequence[str]) -> B:
        s = X[:, _col(columns, self.state)]
        f = np.abs(X[:, _col(columns, self.flow)])
        on = s > self.on_level / 2.0
        return (~on & (f > self.off_max)) | (on & (f < self.on_min))

    def describe(self) -> str:
        return (
            f"{self.flow} must be ≤ {self.off_max:g} while {self.state} is off and ≥ {self.on_min:g} while on"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "state": self.state,
            "flow": self.flow,
            "off_max": self.off_max,
            "on_min": self.on_min,
            "on_level": self.on_level,
        }


@dataclass(frozen=True)
class LevelWhileOffRule:
    """``level`` changes by more than ``min_change`` in ``direction`` over ``window`` rows while every
    pump of ``pumps`` (state tags, on when > ``on_level``/2) has been off during those rows.

    ``direction`` +1: "level rising while the filling pumps are off"; −1: "falling while the draining
    pumps are off". The first ``window`` rows of a series cannot fire (no earlier level to compare).
    """

    level: str
    pumps: tuple[str, ...]
    min_change: float
    window: int = 1
    direction: int = 1
    on_level: float = 1.0

    kind = "level_while_off"

    @property
    def tags(self) -> tuple[str, ...]:
        return (self.level, *self.pumps)

    def evaluate(self, X: F64, columns: Sequence[str]) -> B:
        n = X.shape[0]
        w = max(int(self.window), 1)
        out = np.zeros(n, dtype=bool)
        if n <= w:
            return out
        lv = X[:, _col(columns, self.level)]
        change = (lv[w:] - lv[:-w]) * (1 if self.direction >= 0 else -1)
        any_on = np.zeros(n, dtype=bool)
        for p in self.pumps:
            any_on |= X[:, _col(columns, p)] > self.on_level / 2.0
        # pumps off on every row of (t-w, t]: no "on" among the last w rows
        c = np.concatenate([[0], np.cumsum(any_on)])
        on_in_window = (c[w + 1 :] - c[1 : n - w + 1]) > 0
        out[w:] = (change > self.min_change) & ~on_in_window
        return out

    def describe(self) -> str:
        verb = "rise" if self.direction >= 0 else "fall"
        return (
            f"{self.level} must not {verb} by more than {self.min_change:g} over {self.window} rows while "
            f"{', '.join(self.pumps)} are off"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "level": self.level,
            "pumps": list(self.pumps),
            "min_change": self.min_change,
            "window": self.window,
            "direction": self.direction,
            "on_level": self.on_level,
        }


Rule = StateFlowRule | LevelWhileOffRule


def rule_from_dict(d: dict[str, Any]) -> Rule:
    kind = d.get("kind")
    if kind == StateFlowRule.kind:
        return StateFlowRule(
            str(d["state"]),
            str(d["flow"]),
            float(d["off_max"]),
            float(d["on_min"]),
            float(d.get("on_level", 1.0)),
        )
    if kind == LevelWhileOffRule.kind:
        return LevelWhileOffRule(
            str(d["level"]),
            tuple(str(p) for p in d["pumps"]),
            float(d["min_change"]),
            int(d["window"]),
            int(d["direction"]),
            float(d.get("on_level", 1.0)),
        )
    raise ValueError(f"unknown rule kind {kind!r}")


@dataclass(frozen=True)
class RuleAlert:
    """A run of rows (inclusive indices) on which one rule fired."""

    rule: int
    description: str
    tags: tuple[str, ...]
    start: int
    end: int
    start_ts: Any
    end_ts: Any


@dataclass
class RuleSet:
    """Rules over named columns; ``evaluate`` gives one column of firing flags per rule."""

    columns: tuple[str, ...]
    rules: list[Rule] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.columns = tuple(self.columns)
        for r in self.rules:
            for t in r.tags:
                _col(self.columns, t)

    def evaluate(self, X: npt.ArrayLike) -> B:
        Xm = np.asarray(X, dtype=np.float64)
        if Xm.ndim != 2 or Xm.shape[1] != len(self.columns):
            raise ValueError(f"expected {len(self.columns)} columns, got shape {Xm.shape}")
        if not self.rules:
            return np.zeros((Xm.shape[0], 0), dtype=bool)
        return np.stack([r.evaluate(Xm, self.columns) for r in self.rules], axis=1)

    def alerts(self, ts: npt.ArrayLike | None, X: npt.ArrayLike) -> list[RuleAlert]:
        fired = self.evaluate(X)
        times = np.asarray(ts) if ts is not None else np.arange(fired.shape[0])
        out: list[RuleAlert] = []
        for k, rule in enumerate(self.rules):
            e = np.diff(np.concatenate([[0], fired[:, k].astype(np.int8), [0]]))
            for a, b in zip(np.flatnonzero(e == 1), np.flatnonzero(e == -1) - 1, strict=True):
                out.append(RuleAlert(k, rule.describe(), rule.tags, int(a), int(b), times[a], times[b]))
        return sorted(out, key=lambda al: (al.start, al.rule))

    def to_dict(self) -> dict[str, Any]:
        return {"columns": list(self.columns), "rules": [r.to_dict() for r in self.rules]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RuleSet:
        return cls(tuple(str(c) for c in d["columns"]), [rule_from_dict(r) for r in d["rules"]])


def learn_rules(
    X: npt.ArrayLike,
    columns: Sequence[str],
    state_prefix: str = "S_",
    flow_prefix: str = "F_",
    slack: float = 0.1,
) -> RuleSet:
    """State/flow rules that held on every row of normal data ``X``.

    Every column ``S_<name>`` with a column ``F_<name>`` makes a candidate. ``off_max`` is the largest
    |flow| seen while off (plus ``slack`` × the flow's range, so sensor noise does not fire) and ``on_min``
    the smallest |flow| seen while on (minus the same slack, floored at 0). A state tag must be 0/1-like.
    """
    Xm = np.asarray(X, dtype=np.float64)
    cols = list(columns)
    rules: list[Rule] = []
    for c in cols:
        if not c.startswith(state_prefix):
            continue
        flow = flow_prefix + c[len(state_prefix) :]
        if flow not in cols:
            continue
        s = Xm[:, cols.index(c)]
        f = np.abs(Xm[:, cols.index(flow)])
        if not np.all(np.isin(np.round(s, 6), (0.0, 1.0))):
            continue
        span = float(f.max() - f.min()) if f.size else 0.0
        on = s > 0.5
        off_max = float(f[~on].max()) + slack * span if (~on).any() else float(f.max()) + slack * span
        on_min = max(float(f[on].min()) - slack * span, 0.0) if on.any() else 0.0
        if (~on).any() and on.any() and off_max >= on_min and on_min > 0:
            # the states do not separate the flows cleanly: keep only the "off means no flow" half
            on_min = 0.0
        if off_max <= 0 and span == 0:
            off_max = 1e-9
        rules.append(StateFlowRule(state=c, flow=flow, off_max=off_max, on_min=on_min))
    return RuleSet(tuple(cols), rules)
