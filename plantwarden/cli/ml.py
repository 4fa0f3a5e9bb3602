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


#: the option of analyze and watch that gives process.anomaly its model
process_model_option = click.option(
    "--process-model", "process_model", metavar="MODEL", default=None,
    type=click.Path(dir_okay=False, exists=True, path_type=str),
    help="Score the process values with this model (plantwarden ml train); alerts: process.anomaly.")


def load_process_model(path: str | None) -> Any:
    """The model of --process-model (None without one); a file that is no process model is a usage error."""
    if path is None:
        return None
    from plantwarden.ml.process import load

    try:
        return load(path)
    except (ValueError, OSError) as exc:
        raise click.BadParameter(f"{safe(path)}: {safe(str(exc))}", param_hint="--process-model") from None


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


def _types(path: Path | None) -> dict[str, Any]:
    """Point types the user corrects: a YAML/JSON mapping point -> {dtype, unit, scale, offset, name}."""
    if path is None:
        return {}
    import yaml

    from plantwarden.ml.series import DTYPES, PointType

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise click.BadParameter(f"{safe(str(path))}: {safe(str(exc).splitlines()[0])}", param_hint="--types") from None
    if not isinstance(data, dict):
        raise click.BadParameter("expected a mapping of point keys to their type", param_hint="--types")
    out = {}
    for k, v in data.items():
        v = v if isinstance(v, dict) else {"dtype": v}
        dtype = str(v.get("dtype", "uint16"))
        if dtype not in DTYPES:
            raise click.BadParameter(f"{safe(str(k))}: dtype {safe(dtype)} is not one of {', '.join(DTYPES)}",
                                     param_hint="--types")
        try:
            out[str(k)] = PointType(dtype, str(v.get("unit", "")), float(v.get("scale", 1.0)),
                                    float(v.get("offset", 0.0)), str(v.get("name", "")))
        except (TypeError, ValueError):
            raise click.BadParameter(f"{safe(str(k))}: scale and offset must be numbers", param_hint="--types") \
                from None
    return out


def _historian(files: tuple[Path, ...], mapping: Path | None) -> list[Any]:
    from plantwarden.core.errors import InvalidInput
    from plantwarden.ml.historian import load_mapping, read_historian

    try:
        m = load_mapping(mapping)
        frames = []
        for f in files:
            frame, report = read_historian(f, m)
            skipped = f", {report.skipped_rows} rows skipped" if report.skipped_rows else ""
            bad = sum(report.bad_cells.values())
            click.echo(f"{safe(f.name)}: {report.rows} rows, {len(frame.columns)} tags{skipped}"
                       + (f", {bad} cells that are no number" if bad else ""), err=True)
            frames.append(frame)
    except InvalidInput as exc:
        raise click.ClickException(safe(str(exc))) from None
    return frames


_HISTORIAN = click.option("--historian", "historian", metavar="FILE", multiple=True,
                          type=click.Path(dir_okay=False, exists=True, path_type=Path),
                          help="A historian export (CSV or Parquet) instead of captures; repeat for several.")
_MAPPING = click.option("--mapping", metavar="MAP", default=None,
                        type=click.Path(dir_okay=False, exists=True, path_type=Path),
                        help="The tag mapping of the historian exports (YAML or JSON; docs/ml.md).")


def _inputs(captures: tuple[str, ...], historian: tuple[Path, ...], mapping: Path | None) -> None:
    if bool(captures) == bool(historian):
        raise click.UsageError("give captures or --historian files (not both)")
    if mapping is not None and not historian:
        raise click.UsageError("--mapping goes with --historian")


@ml_group.command("train")
@click.argument("captures", nargs=-1, type=click.Path(dir_okay=False, exists=True, path_type=str))
@click.option("--model", "out", metavar="FILE", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the model file.")
@click.option("--step", metavar="SECONDS", type=click.FloatRange(min=0.001), default=1.0, show_default=True,
              help="Seconds between two rows of the time grid (captures).")
@click.option("--kind", type=click.Choice(["ensemble", "pca", "forecast", "mset", "iforest"]), default="ensemble",
              show_default=True, help="Model kind (docs/ml.md).")
@click.option("--points", "keys", metavar="KEYS", default=None,
              help="Only these points (or tags), comma-separated; default: every one that varies.")
@click.option("--types", "types_file", metavar="FILE", default=None,
              type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Corrected point types: YAML point -> {dtype, unit, scale, offset, name} (captures).")
@click.option("--rules", "rules_file", metavar="FILE", default=None,
              type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Consistency rules over the points (YAML list; docs/ml.md), kept in the model.")
@_HISTORIAN
@_MAPPING
def train_command(captures: tuple[str, ...], out: Path, step: float, kind: str, keys: str | None,
                  types_file: Path | None, rules_file: Path | None, historian: tuple[Path, ...],
                  mapping: Path | None) -> None:
    """Train a process model on captures (or historian exports) of normal operation, each its own run,
    calibrate it on their last 30 %, and write it; use it with plantwarden analyze --process-model FILE
    or plantwarden ml score."""
    from plantwarden.ml.process import train, train_frames

    _inputs(captures, historian, mapping)
    chosen = [k.strip() for k in keys.split(",") if k.strip()] if keys else None
    try:
        if historian:
            model = train_frames(_historian(historian, mapping), kind=kind, keys=chosen)
        else:
            model = train(_record(captures), step, kind=kind, keys=chosen, types=_types(types_file))
    except ValueError as exc:
        raise click.ClickException(safe(str(exc))) from None
    if rules_file is not None:
        import yaml

        from plantwarden.ml.process import rules_for

        try:
            specs = yaml.safe_load(rules_file.read_text(encoding="utf-8"))
            model.rules = rules_for(model, specs if isinstance(specs, list) else [specs])
        except (OSError, UnicodeDecodeError, yaml.YAMLError, ValueError) as exc:
            raise click.BadParameter(f"{safe(str(rules_file))}: {safe(str(exc).splitlines()[0])}",
                                     param_hint="--rules") from None
    model.save(out)
    click.echo(f"model {safe(str(out))}: {kind}, {len(model.points)} points, {model.info['rows']} rows of "
               f"{model.step:g} s from {model.info['runs']} runs, threshold {model.detector.threshold:.4g}")
    for k in model.points:
        click.echo(f"  {safe(k)} ({model.types[k].dtype})")
    for r in model.rules.rules if model.rules is not None else ():
        click.echo(f"  rule: {safe(r.describe())}")


@ml_group.command("score")
@click.argument("captures", nargs=-1, type=click.Path(dir_okay=False, exists=True, path_type=str))
@click.option("--model", "model_path", metavar="FILE", required=True,
              type=click.Path(dir_okay=False, exists=True, path_type=Path), help="A model from plantwarden ml train.")
@_HISTORIAN
@_MAPPING
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="Output format.")
@click.option("--charts", "charts", metavar="DIR", default=None, type=click.Path(file_okay=False, path_type=Path),
              help="Write a chart of each anomaly to DIR (SVG).")
def score_command(captures: tuple[str, ...], model_path: Path, historian: tuple[Path, ...], mapping: Path | None,
                  fmt: str, charts: Path | None) -> None:
    """Score captures (or historian exports) with a model: the runs of rows above its threshold, with the
    points that contribute most."""
    import dataclasses

    from plantwarden.ml.plots import anomaly_chart, series_of
    from plantwarden.ml.process import load, score_frame
    from plantwarden.ml.series import frame

    _inputs(captures, historian, mapping)
    try:
        model = load(model_path)
    except (ValueError, OSError) as exc:
        raise click.BadParameter(f"{safe(str(model_path))}: {safe(str(exc))}", param_hint="--model") from None
    if historian:
        named = [(f.name, fr) for f, fr in zip(historian, _historian(historian, mapping), strict=True)]
    else:
        types = {k: dataclasses.replace(t, name="") for k, t in model.types.items()}
        named = []
        for path, run in zip(captures, _record(captures), strict=True):
            if not all(k in run for k in model.points):
                missing = next(k for k in model.points if k not in run)
                raise click.ClickException(f"{safe(path)}: no value of {safe(missing)}, which the model needs")
            named.append((Path(path).name, frame(run, model.step, types, keys=model.points)))
    rows: list[dict[str, Any]] = []
    for name, fr in named:
        try:
            sub, res, alerts = score_frame(model, fr)
        except ValueError as exc:
            raise click.ClickException(f"{safe(name)}: {safe(str(exc))}") from None
        for a in alerts:
            item = {"source": name, "start": float(a.start_ts), "end": float(a.end_ts), "rows": a.end - a.start + 1,
                    "peak": a.peak, "threshold": a.threshold, "top": [{"point": t, "share": s} for t, s in a.top]}
            if charts is not None:
                charts.mkdir(parents=True, exist_ok=True)
                lo = max(0, a.start - 120)
                hi = min(len(sub.ts), a.end + 30)
                series = series_of(sub.ts[lo:hi], sub.values[lo:hi], sub.columns, res.score[lo:hi], a.threshold,
                                   float(a.start_ts), float(a.end_ts), [t for t, _s in a.top],
                                   {k: t.unit for k, t in model.types.items() if t.unit})
                out = charts / f"anomaly-{len(rows) + 1}.svg"
                out.write_text(anomaly_chart(series, title=f"{name}: anomaly {len(rows) + 1}"), encoding="utf-8")
                item["chart"] = str(out)
            rows.append(item)
    if fmt == "json":
        echo_json(rows)
        return
    from plantwarden.cli.render import fmt_ts_short

    click.echo(table(["source", "start", "end", "rows", "peak", "top points"],
                     [[r["source"], fmt_ts_short(r["start"]), fmt_ts_short(r["end"]), r["rows"], f"{r['peak']:.4g}",
                       ", ".join(f"{t['point']} ({t['share']:.0%})" for t in r["top"])] for r in rows]))
    click.echo(f"{len(rows)} anomalies (threshold {model.detector.threshold:.4g})")
