"""Analyse a capture into the store: hash it, run the sensor with the inventory builder and the detection
engine side by side (one pass, two sinks), save both once.

The packet path never touches the database: the builder and the engine work in memory, and the store
writes the capture, its inventory and its alerts in one transaction at the end. What the detections
know of the plant (known hosts, known communications) is read from the store before the capture.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from plantwarden.baseline.model import Baseline
from plantwarden.core.alerts import Alert
from plantwarden.decoders.base import Decoder
from plantwarden.detections.base import Context, Detection
from plantwarden.detections.engine import WINDOW, DetectionEngine
from plantwarden.inventory.builder import InventoryBuilder
from plantwarden.inventory.model import Inventory
from plantwarden.store.alerts import AlertChanges
from plantwarden.store.baseline import BaselineChanges
from plantwarden.store.service import CaptureInfo, Store, approve_alerts, sha256_file


@dataclass(slots=True)
class IngestResult:
    capture: CaptureInfo
    stored: bool  #: False when the capture (same SHA-256) was already in the store: nothing changed
    inventory: Inventory | None = None  #: None when skipped
    stats: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    #: the alerts the engine raised in this capture (before the store merged them); empty when skipped
    alerts: list[Alert] = field(default_factory=list)
    #: what saving did to the stored alerts (new and merged rows per severity); None when skipped
    alert_changes: AlertChanges | None = None
    #: detection id -> the error that switched it off during this capture (a bug: report it)
    detection_errors: dict[str, str] = field(default_factory=dict)
    #: what this capture taught the baseline (requests learned), when the run learns; else None
    learned: Baseline | None = None
    #: for an already-analysed capture learned again: what merging its baseline into the store did
    learned_changes: BaselineChanges | None = None


def context_from(store: Store, options: Mapping[str, Mapping[str, Any]] | None = None,
                 baseline: Baseline | None = None, process_model: Any = None) -> Context:
    """The detections' context: the hosts and (client, server, protocol) pairs the store knows now, the
    stored indicators of compromise, the baseline (``baseline``, else the stored one; None when it
    is empty and does not learn) and the process model (``process_model``, else the store's active one)."""
    bl = baseline if baseline is not None else store.baseline()
    if process_model is None:
        from plantwarden.store.process import active_model

        process_model = active_model(store)  # the store's active process model, if it has one
    return Context(known_hosts=store.known_hosts(), known_pairs=store.known_pairs(), options=dict(options or {}),
                   indicators=store.indicator_matcher(),
                   baseline=bl if bl else None, process_model=process_model)


def ingest(store: Store, path: str | os.PathLike[str], progress: Callable[[int], None] | None = None,
           name: str | None = None, decoders: Sequence[type[Decoder]] | None = None,
           detections: Sequence[type[Detection]] | None = None,
           options: Mapping[str, Mapping[str, Any]] | None = None, window: float = WINDOW,
           baseline: Baseline | None = None, process_model: Any = None) -> IngestResult:
    """Analyse ``path`` into ``store`` unless a capture with the same content is already there.

    ``detections`` defaults to every registered one (``detections.registry.DETECTIONS``); pass ``()``
    for none. ``options`` are the detections' option values ({detection id: {option: value}}); an
    unknown option raises ``ValueError`` before the capture is read. Raises
    ``plantwarden.core.errors.NotACaptureError`` for a file that is not a capture, and ``OSError`` when
    it cannot be read.

    ``baseline`` is the baseline of the run (docs/baselines.md), default the stored one. When it learns
    (``Baseline.learn``), a learning sink runs beside the detections and what it learned is merged into
    the stored baseline in the capture's transaction; an already-analysed capture is then read again
    for the baseline only. ``process_model`` (``plantwarden.ml.process.ProcessModel``) is what
    ``process.anomaly`` scores the process values with. Alerts inside a declared change window are stored as approved changes
    (docs/change-windows.md).
    """
    from plantwarden.sensor.pipeline import Sensor, Sink

    if detections is None:
        from plantwarden.detections.registry import DETECTIONS

        detections = DETECTIONS
    capture = name if name is not None else os.path.basename(os.fspath(path))
    size = os.path.getsize(path)
    digest = sha256_file(path)
    from plantwarden.baseline.learner import BaselineLearner

    learner = BaselineLearner(baseline) if baseline is not None and baseline.learns else None
    known = store.capture(digest)
    if known is not None:
        if learner is None:
            return IngestResult(known, stored=False)
        lsensor = Sensor(sinks=[learner]) if decoders is None else Sensor(sinks=[learner], decoders=decoders)
        lsensor.process_file(path, progress=progress, name=capture)
        return IngestResult(known, stored=False, learned=learner.delta,
                            learned_changes=store.merge_baseline(learner.delta))
    t0 = time.perf_counter()
    builder = InventoryBuilder()
    engine = DetectionEngine(detections, context_from(store, options, baseline, process_model), window=window)
    sinks: list[Sink] = [builder]
    if learner is not None:
        sinks.append(learner)  # before the engine: a request learned is not a deviation
    if engine.detections:
        sinks.append(engine)
    sensor = Sensor(sinks=sinks) if decoders is None else Sensor(sinks=sinks, decoders=decoders)
    stats = dict(sensor.process_file(path, progress=progress, name=capture))
    inv = builder.result()
    alerts, approvals = approve_alerts(engine.alerts(), store.windows())
    info = CaptureInfo(capture, digest, size, packets=int(stats.get("packets", 0)), first_ts=inv.first_ts,
                       last_ts=inv.last_ts, stats=stats, analyzed_at=time.time())
    learned = learner.delta if learner is not None else None
    changes = store.save_analysis(info, inv, alerts, window, approvals, learned)
    return IngestResult(info, changes is not None, inv, stats, time.perf_counter() - t0, alerts, changes,
                        dict(engine.errors), learned)
