"""``process.anomaly`` (T0831 Manipulation of Control): process values leave their learned behaviour.

With a process model (``Context.process_model``, from ``plantwarden ml train`` and ``analyze
--process-model``), the detection follows the values of the model's points as Modbus and S7comm carry
them (``plantwarden.ml.series.ValueRecorder``), builds one row per grid step (``RowBuilder``: the last
value of every point, decoded through its type), scores the rows online with the model
(``OnlineScorer``) and reports every run of rows above the model's calibrated threshold, naming the points
that contribute most and who last wrote them. Without a model it does nothing. See
docs/detections/process.anomaly.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from plantwarden.core.alerts import HIGH
from plantwarden.core.events import Event
from plantwarden.core.flow import Flow
from plantwarden.detections.base import Detection, Finding, Option
from plantwarden.ml.series import _MODBUS_READS, _MODBUS_WRITES, ValueRecorder

_S7 = ("s7comm_read_var_response", "s7comm_write_var_request")


class ProcessAnomaly(Detection):
    id = "process.anomaly"
    technique = "T0831"
    severity = HIGH
    summary = "Process values read and written on the wire leave the behaviour a trained process model learned."
    events = frozenset({*_MODBUS_READS, *_MODBUS_WRITES, *_S7})
    options = {
        "top": Option(3, "points named in an alert, largest contribution first"),
    }

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self.model = context.process_model
        self.top = max(1, int(self.opts["top"]))
        self.recorder = ValueRecorder(max_points=100_000, max_samples=2, track=True)
        self.builder = None
        self.scorer = None
        if self.model is not None:
            from plantwarden.ml.models import OnlineScorer
            from plantwarden.ml.process import RowBuilder
            self.builder = RowBuilder(self.model)
            self.scorer = OnlineScorer(self.model.detector, top=self.top)
        self.in_alarm = False  # the last row scored was above the threshold
        self.run_key = ""
    def on_event(self, capture: str, flow: Flow, ev: Event) -> Iterable[Finding]:
        if self.builder is None or self.scorer is None:
            return ()
        out = self._score_until(ev.ts)
        self.recorder.on_event(capture, flow, ev)
        for k in self.recorder.touched:
            if self.builder.wants(k):
                p = self.recorder.points[k]
                self.builder.add(k, p.samples_ts[-1], p.samples_v[-1])
        self.recorder.touched.clear()
        return out

    def _score_until(self, ts: float) -> list[Finding]:
        assert self.builder is not None and self.scorer is not None
        times, rows = self.builder.rows_until(ts)
        if len(rows) == 0:
            return []
        first_row = self.scorer.rows_seen
        res, alerts = self.scorer.push(times, rows)
        found = []
        for a in alerts:
            names = [t for t, _s in a.top]
            main = names[0] if names else "?"
            server = main.split("/", 1)[0] if "/" in main else None
            if not (a.start == first_row and self.in_alarm):  # a new run, not one going on over batches
                self.run_key = f"{main} from {float(a.start_ts):.0f}"
            writers = [w for t in names if (q := self.recorder.points.get(t)) is not None and (w := q.last_writer)]
            writer = writers[0] if writers else None
            shown = ", ".join(f"{t} ({s:.0%})" for t, s in a.top)
            found.append(Finding(
                key=self.run_key,
                title=f"process values outside their learned behaviour on {server or 'the plant'}: {shown}",
                ts=float(a.start_ts),
                src=writer,
                dst=server,
                details={"score": round(float(a.peak), 4), "threshold": round(float(a.threshold), 4),
                         "start": float(a.start_ts), "end": float(a.end_ts), "rows": a.end - a.start + 1,
                         "top": [{"point": t, "share": round(float(s), 4)} for t, s in a.top],
                         "model": self.model.info.get("kind") if self.model is not None else None},
            ))
        self.in_alarm = bool(res.score[-1] > self.model.detector.threshold) if self.model is not None else False
        return found
