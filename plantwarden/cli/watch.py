"""``plantwarden watch``: the sensor on a live interface (libpcap), stored periodically.

The capture runs in the main thread: records from :class:`plantwarden.sensor.live.LiveCapture`
go through ``Sensor.process_records`` (the same packet path as files) to the inventory builder,
the detection engine and, with ``--format jsonl``, the event-log printer. Between batches, every
``--save-every`` seconds and at the end, what was gathered since the last save is stored as one
*segment*: a capture row named ``live:IF@START#N`` with that segment's inventory and alerts. The
store merges segments like consecutive captures. See docs/cli.md and docs/sensor.md.
"""

from __future__ import annotations

import hashlib
import os
import signal
import sys
import time
from collections import Counter
from contextlib import suppress
from types import FrameType
from typing import Any, TextIO

import click

from plantwarden.cli.common import db_option, display_db, open_store
from plantwarden.cli.ml import load_process_model, process_model_option
from plantwarden.cli.render import safe
from plantwarden.core.errors import PlantwardenError
from plantwarden.core.events import Event
from plantwarden.core.flow import Flow

#: the live counters added to each segment's stats (and printed at the end)
LIVE_STATS = ("received", "dropped", "if_dropped")


class _Segments:
    """A sink that hands events to the current inventory builder; :meth:`save` stores what the
    builder (and the detection engine) gathered since the last save and starts afresh."""

    def __init__(self, store: Any, capture: Any, sensor: Any, engine: Any, base: str) -> None:
        from plantwarden.inventory.builder import InventoryBuilder

        self._new_builder = InventoryBuilder
        self.builder = InventoryBuilder()
        self.store = store
        self.capture = capture
        self.sensor = sensor
        self.engine = engine
        self.base = base
        self.started = time.time()
        self.saved = 0  #: segments stored
        self.new_alerts: set[int] = set()  #: ids of the stored alerts this watch created
        self.updated_alerts: set[int] = set()  #: ids of earlier stored alerts it added to
        self._n = 0
        self._packets = 0
        self._bytes = 0
        self._stats: Counter[str] = Counter()
        self._live = dict.fromkeys(LIVE_STATS, 0)
        self._touched = False
        self._alerts: list[Any] = []  # drained from the engine, not stored yet

    def on_event(self, capture: str, flow: Flow | None, ev: Event) -> None:
        self._touched = True
        self.builder.on_event(capture, flow, ev)

    def on_flow_end(self, capture: str, flow: Flow) -> None:
        self._touched = True
        self.builder.on_flow_end(capture, flow)

    def save(self) -> None:
        """Store the segment gathered since the last save (nothing when nothing happened).

        If the store fails (a database gone away), nothing is lost: the builder and the alerts are kept
        and the next save stores them with what came since.
        """
        from plantwarden.store.service import CaptureInfo

        cap = self.capture
        packets = cap.packets - self._packets
        if self.engine is not None:
            self._alerts.extend(self.engine.drain())
        alerts = self._alerts
        if not packets and not self._touched and not alerts:
            return
        n = self._n + 1
        inv = self.builder.result()
        stats = dict(self.sensor.stats - self._stats)
        stats["packets"] = packets
        live = cap.stats()
        for k in LIVE_STATS:
            stats["live." + k] = max(0, live[k] - self._live[k])
        ident = f"live\0{cap.interface}\0{self.started!r}\0{os.getpid()}\0{n}"
        name = f"{self.base}#{n}"
        info = CaptureInfo(name, hashlib.sha256(ident.encode()).hexdigest(), cap.bytes - self._bytes,
                           packets=packets, first_ts=inv.first_ts, last_ts=inv.last_ts, stats=stats,
                           analyzed_at=time.time())
        changes = self.store.save_analysis(info, inv, alerts)
        self._n = n
        self._alerts = []
        self.saved += 1
        if changes is not None and (changes.new_ids or changes.updated_ids):
            from plantwarden.cli.alerts import changes_summary

            self.new_alerts.update(changes.new_ids)
            self.updated_alerts.update(i for i in changes.updated_ids if i not in self.new_alerts)
            click.echo(f"{safe(name)}: {changes_summary(changes)}", err=True)
        self.builder = self._new_builder()
        self._packets, self._bytes = cap.packets, cap.bytes
        self._stats = self.sensor.stats.copy()
        self._live = live
        self._touched = False


class _JsonLines:
    """A sink that prints the event log (docs/event-log.md), flushed after every batch."""

    def __init__(self, out: TextIO, on_gone: Any) -> None:
        from plantwarden.sensor.eventlog import dumps, to_record

        self.out = out
        self.on_gone = on_gone
        self.gone = False
        self._dumps = dumps
        self._to_record = to_record

    def on_event(self, capture: str, flow: Flow | None, ev: Event) -> None:
        if self.gone:
            return
        try:
            self.out.write(self._dumps(self._to_record(capture, flow, ev)))
            self.out.write("\n")
        except BrokenPipeError:
            self._went_away()

    def on_flow_end(self, capture: str, flow: Flow) -> None:
        return None

    def flush(self) -> None:
        if self.gone:
            return
        try:
            self.out.flush()
        except BrokenPipeError:
            self._went_away()

    def _went_away(self) -> None:
        """The reader of stdout left (``watch ... | head``): stop the capture quietly."""
        self.gone = True
        devnull = os.open(os.devnull, os.O_WRONLY)
        with suppress(OSError, ValueError):
            os.dup2(devnull, self.out.fileno())
        self.on_gone()


@click.command()
@click.option("--interface", "-i", "interface", required=True, metavar="IF",
              help="The interface to capture on (a SPAN port or tap), e.g. eth1.")
@click.option("--filter", "bpf", default="", metavar="BPF",
              help="A libpcap filter expression, e.g. 'tcp port 502 or udp port 47808'.")
@db_option
@click.option("--format", "fmt", type=click.Choice(["none", "jsonl"]), default="none", show_default=True,
              help="jsonl: also print the event log on stdout as it happens.")
@click.option("--count", type=click.IntRange(min=1), default=None, metavar="N",
              help="Stop after N packets.")
@click.option("--duration", type=click.FloatRange(min=0, min_open=True), default=None, metavar="SECONDS",
              help="Stop after this many seconds.")
@click.option("--save-every", "save_every", type=click.FloatRange(min=1), default=60.0, show_default=True,
              metavar="SECONDS", help="Store the inventory and alerts gathered so far this often.")
@click.option("--snaplen", type=click.IntRange(64, 262144), default=262144, show_default=True,
              help="Bytes kept of each frame.")
@click.option("--buffer", "buffer_mib", type=click.IntRange(1, 4096), default=32, show_default=True, metavar="MIB",
              help="Kernel capture buffer in MiB: a larger one rides out bursts without drops.")
@click.option("--no-promisc", "no_promisc", is_flag=True,
              help="Do not put the interface in promiscuous mode (only frames addressed to this host).")
@click.option("--decoders", "decoders", metavar="NAMES", default=None,
              help="Only these decoders, comma-separated; default: all.")
@click.option("--detections", "detections", metavar="IDS", default=None,
              help="Only these detections, comma-separated ids (e.g. ics.plc_stop); 'none' for none; default: all.")
@process_model_option
def watch(interface: str, bpf: str, db: str, fmt: str, count: int | None, duration: float | None,
          save_every: float, snaplen: int, buffer_mib: int, no_promisc: bool, decoders: str | None,
          detections: str | None, process_model: str | None) -> None:
    """Capture on a live interface and feed the sensor, the inventory and the detections.

    Passive: the interface is opened for capture only and nothing is ever sent. Stops on Ctrl-C or
    SIGTERM, after --count packets or after --duration seconds; stores the result every --save-every
    seconds and at the end. Needs capture rights (root, or CAP_NET_RAW and CAP_NET_ADMIN).
    """
    from plantwarden.decoders.registry import select
    from plantwarden.detections.registry import select as select_detections
    from plantwarden.sensor.live import CaptureError, LiveCapture
    from plantwarden.sensor.pipeline import Sensor, Sink

    try:
        chosen = select(decoders)
    except KeyError as exc:
        raise click.BadParameter(str(exc.args[0]), param_hint="--decoders") from None
    try:
        rules = select_detections(detections)
    except KeyError as exc:
        raise click.BadParameter(str(exc.args[0]), param_hint="--detections") from None
    model = load_process_model(process_model)
    cap = LiveCapture(interface, bpf, snaplen=snaplen, promisc=not no_promisc, buffer_size=buffer_mib << 20)
    try:
        cap.open()  # before the store: no database is created for a capture that cannot start
    except CaptureError as exc:
        raise click.ClickException(safe(str(exc))) from None
    try:
        with open_store(db, create=True) as store:
            engine, engine_note = _engine(store, rules, model)
            sensor = Sensor(decoders=chosen)
            segments = _Segments(store, cap, sensor, engine, f"live:{interface}@{_stamp(time.time())}")
            sinks: list[Sink] = [segments]
            if engine is not None:
                sinks.append(engine)
            printer = _JsonLines(sys.stdout, cap.stop) if fmt == "jsonl" else None
            if printer is not None:
                sinks.append(printer)
            sensor.sinks = sinks
            for w in cap.warnings:
                click.echo(f"warning: {safe(w)}", err=True)
            click.echo(f"watching {safe(interface)} (link type {cap.linktype}"
                       f"{', filter ' + safe(repr(bpf)) if bpf else ''}), storing into "
                       f"{safe(display_db(db))} every {save_every:g} s{engine_note}; Ctrl-C to stop", err=True)
            next_save = time.monotonic() + save_every

            def between_batches() -> None:
                nonlocal next_save
                if printer is not None:
                    printer.flush()
                if time.monotonic() >= next_save:
                    try:
                        segments.save()
                    except Exception as exc:  # the database: keep capturing, try again next time
                        click.echo(f"warning: could not store into {safe(display_db(db))} ({safe(exc)}); "
                                   f"trying again in {save_every:g} s", err=True)
                    next_save = time.monotonic() + save_every

            previous = _on_stop_signals(cap.stop)
            try:
                sensor.process_records(cap.records(count=count, duration=duration), name=f"live:{interface}",
                                       on_batch=between_batches)
            finally:
                _restore_signals(previous)
                if printer is not None:
                    printer.flush()
            try:
                segments.save()
            except Exception as exc:
                raise click.ClickException(f"could not store the last segment into {safe(display_db(db))}: "
                                           f"{safe(exc)}") from None
            live = cap.stats()
            _summary(cap, sensor, segments, live, engine)
    except PlantwardenError as exc:
        raise click.ClickException(safe(str(exc))) from None
    finally:
        cap.close()
    if cap.error:
        raise click.ClickException(safe(cap.error) + " (what was captured until then is stored)")


def _engine(store: Any, rules: Any, model: Any = None) -> tuple[Any, str]:
    """The detection engine with the chosen detections and the store's context (None for none);
    ``model``: the process model process.anomaly scores with."""
    from plantwarden.detections.engine import DetectionEngine
    from plantwarden.store.ingest import context_from

    if not rules:
        return None, ", no detections"
    return DetectionEngine(rules, context_from(store, process_model=model)), f", {len(rules)} detections"


def _summary(cap: Any, sensor: Any, segments: _Segments, live: dict[str, int], engine: Any) -> None:
    st = sensor.stats
    flows = st["flows.tcp"] + st["flows.udp"] + st["flows.ether"]
    click.echo(f"stopped: {cap.packets} packets, {flows} flows, {st['events']} events, "
               f"{len(segments.new_alerts)} new alerts, {len(segments.updated_alerts)} updated, "
               f"{segments.saved} segments stored; libpcap: {live['received']} "
               f"received, {live['dropped']} dropped by the kernel, {live['if_dropped']} by the interface",
               err=True)
    if live["dropped"] or live["if_dropped"]:
        click.echo("warning: packets were dropped: narrow --filter, or run on a less busy interface",
                   err=True)
    failures = st.get("sink_exceptions", 0)
    if failures:
        click.echo(f"warning: a sink failed on {failures} items (a bug: please report it)", err=True)
    if engine is not None and engine.errors:
        click.echo(f"warning: detections switched off by an error: {', '.join(sorted(engine.errors))}",
                   err=True)


def _stamp(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


_Handler = Any


def _on_stop_signals(stop: Any) -> dict[int, _Handler]:
    """SIGINT and SIGTERM stop the capture (it ends within a tick) instead of killing the process."""

    def handler(signum: int, frame: FrameType | None) -> None:
        stop()

    previous: dict[int, _Handler] = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, handler)
    return previous


def _restore_signals(previous: dict[int, _Handler]) -> None:
    for sig, h in previous.items():
        signal.signal(sig, h)
