"""``process.anomaly`` (T0831 Manipulation of Control): process values leave their learned behaviour.

With a process model (``Context.process_model``, from ``plantwarden ml train`` and ``analyze
--process-model``), the detection follows the values of the model's points as Modbus and S7comm carry
them, and IEC 104 and DNP3 points (``plantwarden.ml.series.ValueRecorder``), builds one row per grid step (``RowBuilder``: the last
value of every point, decoded through its type) and scores the rows online with the model
(``OnlineScorer``). A run of rows above the model's calibrated threshold is one alert: a finding when the
run starts (the points contributing most so far, the host that last wrote one of them, and the rows
before it), and one more when it ends (or when the last flow carrying values ends during it) with the
whole run. The model's consistency rules (``plantwarden.ml.rules``: no flow while a pump is off, a level
that must not rise while its pumps are off ...) are checked on every row: a finding each time one starts
to be broken. Each anomaly finding's details hold the rows as a ``series`` (times, the top points' values, score,
threshold, the run's start and end) that ``plantwarden.ml.plots.anomaly_chart`` draws. Without a model
it does nothing. See docs/detections/process.anomaly.md.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import Any

import numpy as np

from plantwarden.core.alerts import HIGH
from plantwarden.core.events import Event
from plantwarden.core.flow import Flow
from plantwarden.detections.base import Detection, Finding, Option
from plantwarden.ml.series import VALUE_EVENTS, ValueRecorder

#: rows kept before a run (drawn before the anomaly window) and rows of a run at most
BEFORE = 120
MAX_RUN = 3600
#: points drawn in a chart at most, and samples per drawn line at most
CHART_POINTS = 200


def _thin(n: int, limit: int) -> list[int]:
    if n <= limit:
        return list(range(n))
    return sorted({int(round(i * (n - 1) / (limit - 1))) for i in range(limit)})


class ProcessAnomaly(Detection):
    id = "process.anomaly"
    technique = "T0831"
    severity = HIGH
    summary = "Process values read and written on the wire leave the behaviour a trained process model learned."
    events = VALUE_EVENTS
    wants_flow_end = True
    options = {
        "top": Option(3, "points named in an alert, largest contribution first"),
    }

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self.model = context.process_model
        self.top = max(1, int(self.opts["top"]))
        self.builder: Any = None
        self.scorer: Any = None
        wanted: frozenset[str] | None = frozenset()
        if self.model is not None:
            from plantwarden.ml.models import OnlineScorer
            from plantwarden.ml.process import RowBuilder
            self.builder = RowBuilder(self.model)
            wanted = frozenset(self.builder.index) | self.builder.pair_of
            self.scorer = OnlineScorer(self.model.detector, top=self.top)
        # only the model's points are followed, the last value of each
        self.recorder = ValueRecorder(max_points=100_000, max_samples=2, track=True, wanted=wanted)
        #: the last rows scored: (time, row, score, contributions)
        self.recent: deque[tuple[float, Any, float, Any]] = deque(maxlen=BEFORE)
        self.run: list[tuple[float, Any, float, Any]] = []  # rows of the run going on (empty: none)
        self.before: list[tuple[float, Any, float, Any]] = []
        self.key = ""
        self.flows: set[str] = set()
        rules = self.model.rules if self.model is not None else None
        self.rules = rules if rules is not None and rules.rules else None
        span = max((int(getattr(r, "window", 1)) for r in self.rules.rules), default=1) if self.rules else 1
        self.rule_rows: deque[Any] = deque(maxlen=span + 1)
        self.rule_on: list[bool] = [False] * (len(self.rules.rules) if self.rules else 0)

    # ---------------------------------------------------------------------------------- events

    def on_event(self, capture: str, flow: Flow, ev: Event) -> Iterable[Finding]:
        if self.builder is None:
            return ()
        out = self._score_until(ev.ts)
        self.recorder.on_event(capture, flow, ev)
        if self.recorder.touched:
            self.flows.add(str(flow.uid))
        for k in self.recorder.touched:
            if self.builder.wants(k):
                p = self.recorder.points[k]
                self.builder.add(k, p.samples_ts[-1], p.samples_v[-1])
        self.recorder.touched.clear()
        return out

    def on_flow_end(self, capture: str, flow: Flow) -> Iterable[Finding]:
        """When the last flow that carried values ends (the end of a capture, or the plant falls silent),
        the rows up to its end are scored and a run going on is reported with all its rows."""
        if self.builder is None or str(flow.uid) not in self.flows:
            return ()
        self.flows.discard(str(flow.uid))
        if self.flows:
            return ()
        out = self._score_until(flow.last_ts + self.model.step)
        if self.run:
            out.append(self._end(ongoing=True))
        return out

    # ---------------------------------------------------------------------------------- runs

    def _score_until(self, ts: float) -> list[Finding]:
        times, rows = self.builder.rows_until(ts)
        if len(rows) == 0:
            return []
        res, _alerts = self.scorer.push(times, rows)
        thr = float(self.model.detector.threshold)
        found: list[Finding] = []
        for i in range(len(times)):
            if self.rules is not None:
                found.extend(self._check_rules(float(times[i]), rows[i]))
            item = (float(times[i]), rows[i], float(res.score[i]), res.contrib[i])
            high = item[2] > thr
            if high and not self.run:
                self.before = list(self.recent)
                self.run = [item]
                found.append(self._start())
            elif self.run:
                self.run.append(item)
                if not high or len(self.run) >= MAX_RUN:
                    found.append(self._end(ongoing=high))
            self.recent.append(item)
        return found

    def _check_rules(self, ts: float, row: Any) -> list[Finding]:
        """The consistency rules on the rows up to this one: a finding when one starts to be broken."""
        assert self.rules is not None
        self.rule_rows.append(row)
        flags = self.rules.evaluate(np.vstack(self.rule_rows))[-1]
        out = []
        for k, rule in enumerate(self.rules.rules):
            broken = bool(flags[k])
            if broken and not self.rule_on[k]:
                tags = list(rule.tags)
                server = tags[0].split("/", 1)[0] if "/" in tags[0] else None
                writers = [w for t in tags if (q := self.recorder.points.get(t)) is not None and (w := q.last_writer)]
                idx = self.builder.index
                out.append(Finding(
                    key=f"rule {k} from {ts:.0f}",
                    title=f"consistency rule broken on {server or 'the plant'}: {rule.describe()}",
                    ts=ts, src=writers[0] if writers else None, dst=server,
                    details={"phase": "rule", "rule": rule.to_dict(), "description": rule.describe(),
                             "values": {t: float(row[idx[t]]) for t in tags if t in idx}},
                ))
            self.rule_on[k] = broken
        return out

    def _top(self, rows: list[tuple[float, Any, float, Any]]) -> list[tuple[str, float]]:
        contrib = np.asarray([r[3] for r in rows if r[2] > self.model.detector.threshold] or [r[3] for r in rows])
        return list(self.model.detector.explain(contrib, self.top))

    def _series(self, rows: list[tuple[float, Any, float, Any]], top: list[tuple[str, float]]) -> dict[str, Any]:
        keep = _thin(len(rows), CHART_POINTS)
        idx = self.builder.index
        thr = float(self.model.detector.threshold)
        run = self.run
        return {
            "ts": [round(rows[i][0], 3) for i in keep],
            "points": {t: [float(rows[i][1][idx[t]]) for i in keep] for t, _s in top if t in idx},
            "units": {t: self.model.types[t].unit for t, _s in top if t in self.model.types and self.model.types[t].unit},
            "score": [round(rows[i][2], 6) for i in keep],
            "threshold": thr,
            "start": run[0][0] if run else None,
            "end": run[-1][0] if run else None,  # the first row back under the threshold, when it ended
        }

    def _finding(self, phase: str, rows: list[tuple[float, Any, float, Any]], ts: float) -> Finding:
        run = self.run
        top = self._top(run)
        names = [t for t, _s in top]
        main = names[0] if names else "?"
        server = main.split("/", 1)[0] if "/" in main else None
        writers = [w for t in names if (q := self.recorder.points.get(t)) is not None and (w := q.last_writer)]
        shown = ", ".join(f"{t} ({s:.0%})" for t, s in top)
        return Finding(
            key=self.key,
            title=f"process values outside their learned behaviour on {server or 'the plant'}: {shown}",
            ts=ts,
            src=writers[0] if writers else None,
            dst=server,
            details={"phase": phase, "score": round(max(r[2] for r in run), 6),
                     "threshold": round(float(self.model.detector.threshold), 6),
                     "start": run[0][0], "end": run[-1][0], "rows": len(run),
                     "top": [{"point": t, "share": round(float(s), 4)} for t, s in top],
                     "model": self.model.info.get("kind"), "series": self._series(rows, top)},
        )

    def _start(self) -> Finding:
        first = self.run[0]
        top = self._top(self.run)
        self.key = f"{top[0][0] if top else '?'} from {first[0]:.0f}"
        return self._finding("start", [*self.before, *self.run], first[0])

    def _end(self, ongoing: bool) -> Finding:
        f = self._finding("ongoing" if ongoing else "end", [*self.before, *self.run], self.run[-1][0])
        self.run = []
        return f
