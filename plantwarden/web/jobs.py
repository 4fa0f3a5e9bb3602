"""Captures uploaded through the web service, analysed one at a time in a background thread with
their progress in the store (docs/web.md, "Uploads").

An upload is written to the uploads folder under a random name, checked to be a pcap or pcapng by
its magic number before it is accepted, and queued as a job; the worker runs the same ``ingest`` as
``plantwarden analyze`` and records bytes read every half second, so a page can show progress. Jobs
a stopped service left queued or running are queued again at the next start (the file is kept).
"""

from __future__ import annotations

import logging
import os
import queue
import re
import secrets
import threading
import time
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select

from plantwarden.core.errors import InvalidInput, NotACaptureError
from plantwarden.sensor.readers import detect_format
from plantwarden.store.models import CaptureJobRow
from plantwarden.store.service import Store

log = logging.getLogger(__name__)
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
MAX_UPLOAD = 4 * 1024 ** 3
_CHUNK = 1 << 20
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def save_upload(src: BinaryIO, folder: Path, name: str, limit: int = MAX_UPLOAD) -> tuple[Path, int]:
    """Copy an upload into ``folder`` under a random name; raises InvalidInput (nothing kept) when it
    is not a capture, is empty or exceeds ``limit`` bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = _SAFE.sub("_", os.path.basename(name))[:60].strip("._") or "capture"
    path = folder / f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(4)}-{stem}"
    size = 0
    try:
        with open(path, "xb") as out:
            head = src.read(4)
            detect_format(head)  # NotACaptureError for anything else
            out.write(head)
            size = len(head)
            while chunk := src.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise InvalidInput(f"the upload exceeds {limit // 1024 ** 2} MiB")
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    os.chmod(path, 0o600)
    return path, size


class Jobs:
    """The queue and its one worker thread (analysis is CPU-bound; one at a time keeps the service
    responsive on a 2-core machine)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._queue: queue.Queue[int | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        with self.store.transaction() as s:
            left = list(s.scalars(select(CaptureJobRow).where(CaptureJobRow.state.in_((QUEUED, RUNNING)))
                                  .order_by(CaptureJobRow.id)))
            for j in left:
                j.state, j.done = QUEUED, 0
            ids = [j.id for j in left]
        for i in ids:
            self._queue.put(i)
        self._thread = threading.Thread(target=self._run, name="plantwarden-jobs", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def submit(self, store: Store, path: Path, name: str, size: int) -> int:
        """Queue an accepted upload (``store`` acts for the uploader: the audit log names them)."""
        now = time.time()
        with store.transaction() as s:
            row = CaptureJobRow(name=name[:500], path=str(path), size=size, done=0, state=QUEUED, actor=store.actor,
                                created_at=now)
            s.add(row)
            s.flush()
            store.record(s, "capture.upload", f"job {row.id}", None, {"name": name[:500], "size": size})
            job_id = row.id
        self._queue.put(job_id)
        return job_id

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """For tests and scripts: until nothing is queued or running."""
        end = time.time() + timeout
        while time.time() < end:
            with self.store.read() as s:
                busy = s.scalars(select(CaptureJobRow.id).where(CaptureJobRow.state.in_((QUEUED, RUNNING)))).first()
            if busy is None:
                return True
            time.sleep(0.05)
        return False

    def _run(self) -> None:
        while not self._stopping.is_set():
            job_id = self._queue.get()
            if job_id is None:
                return
            try:
                self._one(job_id)
            except Exception as exc:  # noqa: BLE001 - a job must never stop the worker
                log.exception("capture job %s failed", job_id)
                self._finish(job_id, FAILED, error=f"internal error: {type(exc).__name__}: {exc}")

    def _set(self, job_id: int, **values: Any) -> None:
        with self.store.transaction() as s:
            row = s.get(CaptureJobRow, job_id)
            if row is not None:
                for k, v in values.items():
                    setattr(row, k, v)

    def _finish(self, job_id: int, state: str, **values: Any) -> None:
        self._set(job_id, state=state, finished_at=time.time(), **values)

    def _one(self, job_id: int) -> None:
        from plantwarden.store.ingest import ingest

        with self.store.read() as s:
            row = s.get(CaptureJobRow, job_id)
            if row is None or row.state != QUEUED:
                return
            path, name, actor, size = row.path, row.name, row.actor, row.size
        self._set(job_id, state=RUNNING, started_at=time.time(), done=0)
        done = 0
        last = 0.0

        def progress(n: int) -> None:
            nonlocal done, last
            done += n
            now = time.monotonic()
            if now - last >= 0.5:
                last = now
                self._set(job_id, done=min(done, size))

        try:
            res = ingest(self.store.acting(actor), path, progress=progress, name=name)
        except NotACaptureError as exc:
            self._finish(job_id, FAILED, error=str(exc))
            return
        except OSError as exc:
            self._finish(job_id, FAILED, error=f"cannot read the upload: {exc.strerror or exc}")
            return
        summary: dict[str, Any] = {"stored": res.stored, "packets": res.capture.packets,
                                   "seconds": round(res.seconds, 3)}
        if res.inventory is not None:
            inv = res.inventory
            summary.update(flows=inv.flows, events=inv.events, assets=len(inv.assets),
                           communications=len(inv.communications), weirds=sum(inv.weirds.values()))
        if res.alert_changes is not None:
            summary.update(new_alerts=sum(res.alert_changes.new.values()),
                           updated_alerts=sum(res.alert_changes.updated.values()),
                           approved_alerts=sum(res.alert_changes.approved.values()))
        if res.detection_errors:
            summary["detection_errors"] = dict(res.detection_errors)
        self._finish(job_id, DONE, done=size, sha256=res.capture.sha256, summary=summary)


