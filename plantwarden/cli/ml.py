"""``plantwarden ml points|train``: process values seen in captures, and process models (docs/ml.md)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from plantwarden.ml.series import Point

from plantwarden.cli.common import db_option, echo_json, open_store
from plantwarden.cli.render import fmt_ts_short, safe, table


def _record(captures: tuple[str, ...]) -> list[dict[str, Point]]:
    from plantwarden.core.errors import NotACaptureError
    from plantwarden.ml.series import record

    runs = []
    for path in captures:
        try:
            runs.append(record(path))
        except NotACaptureError as exc:
            raise click.ClickException(f"{safe(path)}: {exc}") from None
        except OSError as exc:
            raise click.ClickException(f"cannot read {safe(path)}: {exc.strerror or exc}") from None
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
@click.option("--model", "out", metavar="FILE", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the model file.")
@click.option("--store", "keep", is_flag=True,
              help="Keep the model in the store (--db) and make it the active one (analyze, watch and the "
                   "dashboard's uploads use it).")
@click.option("--name", metavar="NAME", default=None, help="The stored model's name (default: from the inputs).")
@db_option
@click.option("--step", metavar="SECONDS", type=click.FloatRange(min=0.001), default=1.0, show_default=True,
              help="Seconds between two rows of the time grid (captures).")
@click.option("--kind", type=click.Choice(["ensemble", "pca", "forecast", "mset", "iforest"]), default="ensemble",
              show_default=True, help="Model kind (docs/ml.md).")
@click.option("--points", "keys", metavar="KEYS", default=None,
              help="Only these points (or tags), comma-separated; default: every one that varies.")
@click.option("--max-points", "max_points", metavar="N", type=click.IntRange(1, 5000), default=200, show_default=True,
              help="Without --points, model at most N of the varying points (those with the most distinct values).")
@click.option("--types", "types_file", metavar="FILE", default=None,
              type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Corrected point types: YAML point -> {dtype, unit, scale, offset, name} (captures).")
@click.option("--rules", "rules_file", metavar="FILE", default=None,
              type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Consistency rules over the points (YAML list; docs/ml.md), kept in the model.")
@_HISTORIAN
@_MAPPING
def train_command(captures: tuple[str, ...], out: Path | None, keep: bool, name: str | None, db: str, step: float,
                  kind: str, keys: str | None, max_points: int, types_file: Path | None, rules_file: Path | None,
                  historian: tuple[Path, ...], mapping: Path | None) -> None:
    """Train a process model on captures (or historian exports) of normal operation, each its own run,
    calibrate it on their last 30 %, and write it; use it with plantwarden analyze --process-model FILE
    or plantwarden ml score."""
    from plantwarden.ml.process import train, train_frames

    _inputs(captures, historian, mapping)
    if out is None and not keep:
        raise click.UsageError("say where the model goes: --model FILE, --store, or both")
    chosen = [k.strip() for k in keys.split(",") if k.strip()] if keys else None
    try:
        if historian:
            model = train_frames(_historian(historian, mapping), kind=kind, keys=chosen)
        else:
            model = train(_record(captures), step, kind=kind, keys=chosen, types=_types(types_file),
                          max_points=max_points)
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
    where = []
    if out is not None:
        model.save(out)
        where.append(safe(str(out)))
    if keep:
        from plantwarden.store import process as stored

        label = name or f"{kind} of {Path((captures or tuple(str(h) for h in historian))[0]).stem}"
        with open_store(db, create=True) as store:
            kept = stored.add_model(store, model.dumps(), label)
        where.append(f"process model {kept['id']} ({safe(kept['name'])}, active) of the store")
    click.echo(f"model {' and '.join(where)}: {kind}, {len(model.points)} points, {model.info['rows']} rows of "
               f"{model.step:g} s from {model.info['runs']} runs, threshold {model.detector.threshold:.4g}")
    if model.info.get("points_left_out"):
        click.echo(f"  ({model.info['points_left_out']} more varying points left out: --max-points, --points)")
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
    click.echo(table(["source", "start", "end", "rows", "peak", "top points"],
                     [[r["source"], fmt_ts_short(r["start"]), fmt_ts_short(r["end"]), r["rows"], f"{r['peak']:.4g}",
                       ", ".join(f"{t['point']} ({t['share']:.0%})" for t in r["top"])] for r in rows]))
    click.echo(f"{len(rows)} anomalies (threshold {model.detector.threshold:.4g})")


@ml_group.command("models")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="Output format.")
@db_option
def models_command(fmt: str, db: str) -> None:
    """The process models kept in the store; the active one judges new captures."""
    from plantwarden.store import process as stored

    with open_store(db, create=False) as store:
        items = stored.list_models(store)
    if fmt == "json":
        echo_json(items)
        return
    if not items:
        click.echo("no process models (plantwarden ml train CAPTURE... --store)")
        return
    click.echo(table(["id", "active", "name", "kind", "points", "rows", "created", "by"],
                     [[m["id"], "yes" if m["active"] else "", m["name"], m["kind"], len(m["points"]),
                       m["info"].get("rows", ""), fmt_ts_short(m["created_at"]), m["created_by"]] for m in items]))


def _by_id(action: str, model_id: int, db: str) -> None:
    from plantwarden.core.errors import NotFound
    from plantwarden.store import process as stored

    with open_store(db, create=False) as store:
        try:
            getattr(stored, action)(store, model_id)
        except NotFound as exc:
            raise click.ClickException(safe(str(exc))) from None


@ml_group.command("activate")
@click.argument("model_id", metavar="ID", type=int)
@db_option
def activate_command(model_id: int, db: str) -> None:
    """Make stored model ID the active one."""
    _by_id("activate", model_id, db)
    click.echo(f"process model {model_id} is the active one")


@ml_group.command("deactivate")
@db_option
def deactivate_command(db: str) -> None:
    """No active model: process.anomaly is silent unless a model file is named."""
    from plantwarden.store import process as stored

    with open_store(db, create=False) as store:
        stored.deactivate(store)
    click.echo("no process model is active")


@ml_group.command("remove")
@click.argument("model_id", metavar="ID", type=int)
@db_option
def remove_command(model_id: int, db: str) -> None:
    """Remove stored model ID."""
    _by_id("remove", model_id, db)
    click.echo(f"process model {model_id} removed")


@ml_group.command("export")
@click.argument("model_id", metavar="ID", type=int)
@click.option("--output", "output", metavar="FILE", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the model file.")
@db_option
def export_command(model_id: int, output: Path, db: str) -> None:
    """Write stored model ID to a model file (for plantwarden ml score or another site)."""
    from plantwarden.core.errors import NotFound
    from plantwarden.store import process as stored

    with open_store(db, create=False) as store:
        try:
            data = stored.model_bytes(store, model_id)
        except NotFound as exc:
            raise click.ClickException(safe(str(exc))) from None
    output.write_bytes(data)
    click.echo(f"process model {model_id} -> {safe(str(output))}")
