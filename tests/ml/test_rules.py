"""Consistency rules fire on crafted broken relations and stay quiet on a normal series."""

from __future__ import annotations

import json

import numpy as np
import pytest

from plantwarden.ml.rules import LevelWhileOffRule, RuleSet, StateFlowRule, learn_rules

COLUMNS = ("L_T1", "S_PU1", "F_PU1", "S_PU2", "F_PU2")


def tank(n: int = 200, seed: int = 0) -> np.ndarray:
    """A tank filled by PU1 (on for 10 rows in every 20) and drained by a constant demand; PU2 never runs."""
    rng = np.random.default_rng(seed)
    s1 = ((np.arange(n) // 10) % 2 == 0).astype(float)
    f1 = s1 * (50 + rng.normal(0, 1, n))
    level = np.empty(n)
    level[0] = 3.0
    for t in range(1, n):
        level[t] = level[t - 1] + 0.002 * f1[t] - 0.05 + rng.normal(0, 0.002)
    return np.stack([level, s1, f1, np.zeros(n), np.zeros(n)], axis=1)


RISING = LevelWhileOffRule(level="L_T1", pumps=("S_PU1",), min_change=0.05, window=3)


def test_level_rising_while_pump_off_fires_on_crafted_series() -> None:
    X = tank()
    rules = RuleSet(COLUMNS, [RISING])
    assert not rules.evaluate(X).any()  # normal operation: level only rises while PU1 runs
    crafted = X.copy()
    # rows 130-139: PU1 reported off (state and flow), yet the level keeps climbing 0.05 per row
    crafted[130:140, 1] = 0.0
    crafted[130:140, 2] = 0.0
    crafted[130:140, 0] = X[129, 0] + 0.05 * np.arange(1, 11)
    fired = rules.evaluate(crafted)[:, 0]
    assert fired[132:140].all()  # from row 132: rows 130-132 all "off", level 0.15 above row 129
    assert not fired[:130].any() and not fired[141:].any()
    alerts = rules.alerts(None, crafted)
    assert len(alerts) == 1 and alerts[0].tags == ("L_T1", "S_PU1") and alerts[0].start == 132
    assert "must not rise" in alerts[0].description


def test_falling_direction() -> None:
    X = np.array([[5.0, 0], [4.9, 0], [4.5, 0], [4.0, 1], [3.0, 0]])
    rule = LevelWhileOffRule(level="L", pumps=("P",), min_change=0.3, window=1, direction=-1)
    assert rule.evaluate(X, ("L", "P")).tolist() == [False, False, True, False, True]


def test_state_flow_rule() -> None:
    X = tank()
    rule = StateFlowRule(state="S_PU1", flow="F_PU1", off_max=1.0, on_min=10.0)
    assert not rule.evaluate(X, COLUMNS).any()
    bad = X.copy()
    bad[5, 2] = 0.0  # on but no flow (a replayed or frozen reading)
    bad[15, 2] = 40.0  # off but flowing
    assert np.flatnonzero(rule.evaluate(bad, COLUMNS)).tolist() == [5, 15]


def test_learned_rules_and_json_round_trip() -> None:
    X = tank(400)
    rules = learn_rules(X, COLUMNS)
    assert [(r.state, r.flow) for r in rules.rules] == [("S_PU1", "F_PU1"), ("S_PU2", "F_PU2")]  # type: ignore[union-attr]
    assert not rules.evaluate(tank(400, seed=1)).any()
    bad = tank(400, seed=1)
    bad[50:55, 4] = 30.0  # PU2 flowing although it never runs and is reported off
    fired = rules.evaluate(bad)
    assert np.flatnonzero(fired[:, 1]).tolist() == [50, 51, 52, 53, 54] and not fired[:, 0].any()
    again = RuleSet.from_dict(json.loads(json.dumps(rules.to_dict())))
    np.testing.assert_array_equal(again.evaluate(bad), fired)
    both = RuleSet(COLUMNS, [*rules.rules, RISING])
    assert RuleSet.from_dict(both.to_dict()).rules == both.rules


def test_unknown_tag_and_kind() -> None:
    with pytest.raises(KeyError):
        RuleSet(COLUMNS, [StateFlowRule(state="S_PU9", flow="F_PU9")])
    with pytest.raises(ValueError):
        RuleSet.from_dict({"columns": list(COLUMNS), "rules": [{"kind": "exec"}]})
