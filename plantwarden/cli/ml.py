"""``plantwarden ml points|train``: process values seen in captures, and process models (docs/ml.md)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from plantwarden.ml.series import Point

from plantwarden.cli.common import echo_json
from plantwarden.cli.render import safe, table


def _record(captures: tuple[str, ...]) -> list[dict[str, Point]]:
    from plantwarden.core.errors import NotACaptureError
    from plantwarden.ml.series import ValueRecorder
    from plantwarden.sensor.pipeline import Sensor

    runs = []
    for path in captures:
        rec = ValueRecorder()
        try:
            Sensor(sinks=[rec]).process_file(path)
        except NotACaptureError as exc:
            raise click.ClickException(f"{safe(path)}: {exc}") from None
        except OSError as exc:
            raise click.ClickException(f"cannot read {safe(path)}: {exc.strerror or exc}") from None
        runs.append(rec.points)
    return runs


@click.group("ml")
def ml_group() -> None:
    """Process values and process models (anomaly detection on what the wire carries)."""


@ml_group.command("points")
@click.argument("captures", nargs=-1, required=True, type=click.Path(dir_okay=False, exists=True, path_type=str))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="Output format.")
def points_command(captures: tuple[str, ...], fmt: str) -> None:
    """The process values the captures carry: per point, samples, reads, writes, writers and guessed type."""
    from plantwarden.ml.series import guess_types

    rows: list[dict[str, Any]] = []
    for i, run in enumerate(_record(captures)):
        guesses = guess_types(run)
        for k, p in sorted(run.items()):
            vals = p.samples_v
            rows.append({"capture": captures[i], "point": k, "samples": len(vals), "reads": p.reads,
                         "writes": p.writes, "writers": sorted(p.writers), "type": guesses[k].dtype,
                         "why": guesses[k].reason, "min": min(vals) if vals else None,
                         "max": max(vals) if vals else None})
    if fmt == "json":
        echo_json(rows)
        return
    click.echo(table(["point", "samples", "reads", "writes", "type", "min", "max", "writers"],
                     [[r["point"], r["samples"], r["reads"], r["writes"], r["type"], r["min"], r["max"],
                       ", ".join(r["writers"])] for r in rows]))


@ml_group.command("train")
@click.argument("captures", nargs=-1, required=True, type=click.Path(dir_okay=False, exists=True, path_type=str))
@click.option("--model", "out", metavar="FILE", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the model file.")
@click.option("--step", metavar="SECONDS", type=click.FloatRange(min=0.001), default=1.0, show_default=True,
              help="Seconds between two rows of the time grid.")
@click.option("--kind", type=click.Choice(["ensemble", "pca", "forecast", "mset", "iforest"]), default="ensemble",
              show_default=True, help="Model kind (docs/ml.md).")
@click.option("--points", "keys", metavar="KEYS", default=None,
              help="Only these points, comma-separated (plantwarden ml points); default: every point that varies.")
def train_command(captures: tuple[str, ...], out: Path, step: float, kind: str, keys: str | None) -> None:
    """Train a process model on captures of normal operation (each its own run), calibrate it on their
    last 30 %, and write it; use it with plantwarden analyze --process-model FILE."""
    from plantwarden.ml.process import train

    runs = _record(captures)
    try:
        model = train(runs, step, kind=kind,
                      keys=[k.strip() for k in keys.split(",") if k.strip()] if keys else None)
    except ValueError as exc:
        raise click.ClickException(safe(str(exc))) from None
    model.save(out)
    click.echo(f"model {safe(str(out))}: {kind}, {len(model.points)} points, {model.info['rows']} rows of "
               f"{step:g} s from {model.info['runs']} captures, threshold {model.detector.threshold:.4g}")
    for k in model.points:
        click.echo(f"  {safe(k)} ({model.types[k].dtype})")
