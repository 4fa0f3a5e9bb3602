"""Analyse a capture into the store: hash it, run the sensor with the inventory builder, save once.

The packet path never touches the database: the builder works in memory and the store writes its
result in one transaction at the end of the capture.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from plantwarden.decoders.base import Decoder
from plantwarden.inventory.builder import InventoryBuilder
from plantwarden.inventory.model import Inventory
from plantwarden.store.service import CaptureInfo, Store, sha256_file


@dataclass(slots=True)
class IngestResult:
    capture: CaptureInfo
    stored: bool  #: False when the capture (same SHA-256) was already in the store: nothing changed
    inventory: Inventory | None = None  #: None when skipped
    stats: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def ingest(store: Store, path: str | os.PathLike[str], progress: Callable[[int], None] | None = None,
           name: str | None = None, decoders: Sequence[type[Decoder]] | None = None) -> IngestResult:
    """Analyse ``path`` into ``store`` unless a capture with the same content is already there.

    Raises ``plantwarden.core.errors.NotACaptureError`` for a file that is not a capture, and
    ``OSError`` when it cannot be read.
    """
    from plantwarden.sensor.pipeline import Sensor

    capture = name if name is not None else os.path.basename(os.fspath(path))
    size = os.path.getsize(path)
    digest = sha256_file(path)
    known = store.capture(digest)
    if known is not None:
        return IngestResult(known, stored=False)
    t0 = time.perf_counter()
    builder = InventoryBuilder()
    sensor = Sensor(sinks=[builder]) if decoders is None else Sensor(sinks=[builder], decoders=decoders)
    stats = dict(sensor.process_file(path, progress=progress, name=capture))
    inv = builder.result()
    info = CaptureInfo(capture, digest, size, packets=int(stats.get("packets", 0)), first_ts=inv.first_ts,
                       last_ts=inv.last_ts, stats=stats, analyzed_at=time.time())
    stored = store.save(info, inv)
    return IngestResult(info, stored, inv, stats, time.perf_counter() - t0)
