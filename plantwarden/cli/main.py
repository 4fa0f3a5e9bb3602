"""The ``plantwarden`` command: thin click commands over the sensor, the inventory and the store.

See docs/cli.md for every command and option.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from plantwarden.cli.alerts import alert_group, alerts_command, alerts_table, changes_summary
from plantwarden.cli.common import broken_pipe_guard, db_option, display_db, echo_json, open_store
from plantwarden.cli.ml import load_process_model, process_model_option
from plantwarden.cli.render import fmt_ts, fmt_ts_short, human_bytes, safe, table
from plantwarden.cli.watch import watch as watch_command
from plantwarden.core.alerts import STATES
from plantwarden.core.errors import NotACaptureError

F = TypeVar("F", bound=Callable[..., Any])

#: common event-log fields shown in their own columns by ``decode --format table``
_TABLE_SKIP = frozenset({"capture", "ts", "frame", "proto", "event", "src", "sport", "dst", "dport", "is_orig"})


def _decoders_option(f: F) -> F:
    return click.option(
        "--decoders", "decoders", metavar="NAMES", default=None,
        help="Only these decoders, comma-separated (e.g. modbus,s7comm); default: all. For diagnosis and "
             "benchmarks: the other protocols go undecoded.",
    )(f)


def _sensor(decoders: str | None) -> Any:
    from plantwarden.decoders.registry import select
    from plantwarden.sensor.pipeline import Sensor

    try:
        return Sensor(decoders=select(decoders))
    except KeyError as exc:
        raise click.BadParameter(str(exc.args[0]), param_hint="--decoders") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="plantwarden")
def main() -> None:
    """plantwarden: passive OT/ICS security sensor and asset inventory."""


# -- decode ---------------------------------------------------------------------------------------

@main.command()
@click.argument("captures", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=str))
@click.option("--format", "fmt", type=click.Choice(["jsonl", "table"]), default="jsonl", show_default=True,
              help="jsonl: the event log (docs/event-log.md); table: aligned columns for humans.")
@_decoders_option
def decode(captures: tuple[str, ...], fmt: str, decoders: str | None) -> None:
    """Decode captures and print every event (one record per decoded message or weird)."""
    from plantwarden.sensor.eventlog import dumps, iter_records

    sensor = _sensor(decoders)
    for path in captures:
        _check_readable(path)
    out = sys.stdout
    with broken_pipe_guard():
        try:
            if fmt == "jsonl":
                for rec in iter_records(captures, sensor):
                    out.write(dumps(rec))
                    out.write("\n")
            else:
                out.write(_DECODE_HEADER + "\n")
                for rec in iter_records(captures, sensor):
                    out.write(_decode_row(rec, len(captures) > 1))
                    out.write("\n")
            out.flush()
        except NotACaptureError as exc:
            out.flush()
            raise click.ClickException(f"{exc}") from None


_DECODE_HEADER = f"{'frame':>7}  {'time (UTC)':<26}  {'proto':<7}  {'source':<21}    {'destination':<21}  event / fields"


_compact = json.JSONEncoder(separators=(",", ":"), default=str).encode


def _decode_row(rec: dict[str, Any], with_capture: bool) -> str:
    """One aligned line; the whole line is escaped once (wire strings can be anywhere in it)."""
    src = f"{rec['src']}:{rec['sport']}" if rec.get("src") is not None else "-"
    dst = f"{rec['dst']}:{rec['dport']}" if rec.get("dst") is not None else "-"
    extras = []
    for k, v in rec.items():
        if v is None or k in _TABLE_SKIP:
            continue
        t = type(v)
        extras.append(f"{k}={v if t is str or t is int else _compact(v)}")
    row = (f"{rec.get('frame', '-'):>7}  {fmt_ts(rec.get('ts')):<26}  {rec.get('proto') or '-':<7}  "
           f"{src:<21} -> {dst:<21}  {rec.get('event')}")
    if with_capture:
        row += f"  [{rec.get('capture')}]"
    if extras:
        row += "  " + " ".join(extras)
    return safe(row)


def _check_readable(path: str) -> None:
    """Fail early, with a message and no traceback, for a missing file or one that is not a capture."""
    from plantwarden.sensor.readers import detect_format

    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError as exc:
        raise click.ClickException(f"cannot read {safe(path)}: {exc.strerror or exc}") from None
    try:
        detect_format(head)
    except NotACaptureError as exc:
        raise click.ClickException(f"{safe(path)}: {exc}") from None


# -- analyze --------------------------------------------------------------------------------------

@main.command()
@click.argument("captures", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=str))
@db_option
@_decoders_option
@click.option("--detections", "detections", metavar="IDS", default=None,
              help="Only these detections, comma-separated ids (e.g. ics.plc_stop); 'none' for none; default: all.")
@click.option("--learn", "learn", is_flag=True,
              help="Learn the captures into the baseline (docs/baselines.md): no deviation alerts; rule "
                   "detections still fire. An already-analysed capture is read again for the baseline.")
@click.option("--learn-for", "learn_for", metavar="SECONDS", type=click.FloatRange(min=0), default=None,
              help="Learn the first SECONDS of traffic of this run into the baseline, then enforce it.")
@process_model_option
def analyze(captures: tuple[str, ...], db: str, decoders: str | None, detections: str | None, learn: bool,
            learn_for: float | None, process_model: str | None) -> None:
    """Run the sensor over captures, build the inventory, run the detections and store it all.

    A capture whose content (SHA-256) is already in the store is skipped: analysing it again changes
    nothing (except with --learn / --learn-for, which learn from it). Without them, the stored baseline
    is enforced.
    """
    from plantwarden.decoders.registry import select
    from plantwarden.detections.registry import select as select_detections

    try:
        chosen = select(decoders)
    except KeyError as exc:
        raise click.BadParameter(str(exc.args[0]), param_hint="--decoders") from None
    try:
        rules = select_detections(detections)
    except KeyError as exc:
        raise click.BadParameter(str(exc.args[0]), param_hint="--detections") from None
    if learn and learn_for is not None:
        raise click.UsageError("--learn and --learn-for exclude each other")
    for path in captures:
        _check_readable(path)
    model = load_process_model(process_model)
    with open_store(db, create=True) as store:
        baseline = None
        if learn or learn_for is not None:
            baseline = store.baseline().learn(None if learn else learn_for)
        for path in captures:
            _analyze_one(store, path, decoders=chosen, detections=rules, baseline=baseline, process_model=model)
        _print_store_summary(store, db)


def _analyze_one(store: Any, path: str, name: str | None = None, decoders: Any = None,
                 detections: Any = None, baseline: Any = None, process_model: Any = None) -> None:
    from plantwarden.store.ingest import ingest

    size = os.path.getsize(path)
    label = safe(os.path.basename(path))
    with click.progressbar(length=size, label=label, file=sys.stderr, show_pos=False,
                           show_percent=True) as bar:
        try:
            res = ingest(store, path, progress=bar.update, name=name, decoders=decoders, detections=detections,
                         baseline=baseline, process_model=process_model)
        except NotACaptureError as exc:
            raise click.ClickException(f"{safe(path)}: {exc}") from None
        except OSError as exc:
            raise click.ClickException(f"cannot read {safe(path)}: {exc.strerror or exc}") from None
        bar.update(size - bar.pos)
    if not res.stored:
        if res.learned_changes is not None:
            click.echo(f"{label}: already analysed (sha256 {res.capture.sha256[:16]}...); {_learned(res)}")
            return
        click.echo(f"{label}: already analysed (sha256 {res.capture.sha256[:16]}...), nothing changed")
        return
    inv = res.inventory
    assert inv is not None
    pkts = res.capture.packets
    rate = f", {pkts / res.seconds:,.0f} packets/s" if res.seconds > 0 else ""
    weirds = sum(inv.weirds.values())
    click.echo(f"{label}: {pkts} packets, {inv.flows} flows, {inv.events} events, {len(inv.assets)} assets, "
               f"{len(inv.communications)} communications, {weirds} weirds, {changes_summary(res.alert_changes)} "
               f"({human_bytes(size)} in {res.seconds:.2f} s{rate})")
    if res.alert_changes is not None and res.alert_changes.approved_ids:
        click.echo(f"{label}: {len(res.alert_changes.approved_ids)} approved changes inside change windows "
                   "(plantwarden alerts --state approved)")
    if res.learned is not None:
        click.echo(f"{label}: {_learned(res)}")
    failures = res.stats.get("sink_exceptions", 0)
    if failures:
        click.echo(f"warning: {label}: the inventory failed on {failures} items (a bug: please report it)",
                   err=True)
    for det, err in sorted(res.detection_errors.items()):
        click.echo(f"warning: {label}: detection {det} failed and was switched off: {safe(err)} "
                   "(a bug: please report it)", err=True)


def _learned(res: Any) -> str:
    b = res.learned
    reqs = sum(p.requests for p in b.pairs.values())
    return (f"baseline learned {reqs} requests: {len(b.pairs)} pairs, "
            f"{sum(len(p.functions) for p in b.pairs.values())} functions, {len(b.values)} register ranges")


def _print_store_summary(store: Any, db: str) -> None:
    assets = store.assets()
    roles: dict[str, int] = {}
    for a in assets:
        roles[a.role] = roles.get(a.role, 0) + 1
    by_role = ", ".join(f"{n} {r}" for r, n in sorted(roles.items(), key=lambda kv: (-kv[1], kv[0])))
    n_comm = len(store.communications())
    n_cap = len(store.captures())
    by_state = store.alert_counts()
    states = ", ".join(f"{by_state[s]} {s}" for s in STATES if by_state.get(s))
    n_alerts = f"{sum(by_state.values())} alerts" + (f" ({states})" if states else "")
    click.echo(f"store {display_db(db)}: {n_cap} captures, {len(assets)} assets ({by_role or 'none'}), "
               f"{n_comm} communications, {n_alerts}")


# -- assets / flows -------------------------------------------------------------------------------

@main.command()
@db_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="json: the documented inventory document (docs/inventory.md).")
def assets(db: str, fmt: str) -> None:
    """List the assets in the store: address, vendor, role, Purdue level and identity."""
    from plantwarden.inventory.export import assets_document, sort_assets

    with open_store(db, create=False) as store:
        items = store.assets()
    if fmt == "json":
        echo_json(assets_document(items))
    else:
        click.echo(assets_table(sort_assets(items)))


@main.command()
@db_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="json: the documented communications document (docs/inventory.md).")
def flows(db: str, fmt: str) -> None:
    """List who talks to whom: client, server, protocol, functions used, packets and bytes."""
    from plantwarden.inventory.export import flows_document, sort_communications

    with open_store(db, create=False) as store:
        items = store.communications()
    if fmt == "json":
        echo_json(flows_document(items))
    else:
        click.echo(flows_table(sort_communications(items)))


def assets_table(items: list[Any]) -> str:
    rows = []
    for a in items:
        ident = a.identity()
        product = (ident.get("order_number") or ident.get("product_name") or ident.get("product_code")
                   or ident.get("model") or "")
        name = ident.get("plc_name") or ident.get("module_name") or ident.get("user_application_name") or ""
        fw = ident.get("firmware") or ident.get("revision") or ""
        conflicts = ",".join(a.conflicts())
        rows.append((a.ip, a.mac or "-", a.vendor or "-", a.role,
                     "-" if a.purdue_level is None else a.purdue_level, ",".join(sorted(a.protocols)) or "-",
                     ident.get("vendor", ""), product, fw, name, conflicts or "-",
                     fmt_ts_short(a.first_seen), fmt_ts_short(a.last_seen)))
    return table(("ip", "mac", "mac vendor", "role", "level", "protocols", "vendor", "product", "firmware",
                  "name", "conflicts", "first seen", "last seen"), rows, max_width=40)


def flows_table(items: list[Any]) -> str:
    rows = []
    for c in items:
        funcs = sorted(c.functions.values(), key=lambda f: (-f.requests - f.responses, f.code))
        ftext = ", ".join(f"{f.name}x{f.requests or f.responses}" for f in funcs[:4])
        if len(funcs) > 4:
            ftext += f", +{len(funcs) - 4}"
        rows.append((c.client, c.server, c.protocol, ",".join(map(str, sorted(c.server_ports))), c.flows,
                     c.client_packets + c.server_packets, human_bytes(c.client_bytes + c.server_bytes),
                     ftext or "-", fmt_ts_short(c.first_seen), fmt_ts_short(c.last_seen)))
    return table(("client", "server", "protocol", "ports", "flows", "packets", "bytes", "functions",
                  "first seen", "last seen"), rows, max_width=72)


# -- demo -----------------------------------------------------------------------------------------

@main.command()
@click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("data"),
              show_default=True, help="Directory for the demo capture and its database.")
@click.option("--no-serve", "no_serve", is_flag=True,
              help="Stop after the analysis (for scripts and tests) instead of serving the dashboard.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address the dashboard listens on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port the dashboard listens on.")
def demo(data_dir: Path, no_serve: bool, host: str, port: int) -> None:
    """Generate a demo plant capture, analyse it, show the inventory, then serve the dashboard."""
    try:
        from plantwarden.demo import generate_demo_capture
    except ImportError as exc:  # pragma: no cover - the demo package is part of the distribution
        raise click.ClickException(f"the demo generator is not available: {exc}") from None
    data_dir.mkdir(parents=True, exist_ok=True)
    capture = Path(generate_demo_capture(data_dir / "plantwarden-demo.pcap"))
    model_path = _demo_process_model(data_dir)
    db = str(data_dir / "plantwarden.db")
    with open_store(db, create=True) as store:
        from plantwarden.store.process import add_model

        add_model(store, model_path.read_bytes(), "demo plant, three normal days")  # the active model
        _analyze_one(store, str(capture))
        from plantwarden.inventory.export import sort_assets, sort_communications

        click.echo("\nAssets\n")
        click.echo(assets_table(sort_assets(store.assets())))
        click.echo("\nCommunications\n")
        click.echo(flows_table(sort_communications(store.communications())))
        click.echo("\nAlerts\n")
        stored = store.alerts()
        click.echo(alerts_table(stored) if stored else "no alerts")
        click.echo("")
        _print_store_summary(store, db)
    click.echo(f"capture:  {capture}")
    click.echo(f"database: {db}")
    prog = _program()
    click.echo(f"next:     {prog} assets --db {db}   |   {prog} flows --db {db}")
    click.echo(f"          {prog} alerts --db {db}   (then {prog} alert ack|resolve|suppress ID)")
    click.echo(f"          {prog} decode {capture} --format jsonl   (the event log)")
    click.echo(f"          {prog} ml score {capture} --model {model_path}   (the process model, learned from "
               f"{data_dir / 'history'})")
    if no_serve:
        click.echo(f"          {prog} serve --db {db}   (the dashboard)")
        return
    from plantwarden.cli.serve import first_admin, run_server

    with open_store(db, create=True) as store:
        created = first_admin(store)
        login = (f"sign in as {created[0]} with password {created[1]}   (generated now, shown once)\n"
                 if created is not None else
                 f"sign in with an account of this database ({prog} user list; {prog} user passwd NAME)\n")
        run_server(store, host, port, banner="\n" + login)


def _demo_process_model(data_dir: Path) -> Path:
    """The demo's process model: learned from three days of the plant's normal operation (generated
    beside the capture), so that process.anomaly judges the demo capture's process values."""
    from plantwarden.demo import generate_history_captures
    from plantwarden.ml.process import train
    from plantwarden.ml.series import record

    out = data_dir / "process-model.npz"
    if out.is_file():
        return out
    runs = [record(path) for path in generate_history_captures(data_dir / "history")]
    model = train(runs, 1.0)
    model.save(out)
    click.echo(f"process model: {len(model.points)} process values learned from {len(runs)} days of normal "
               f"operation -> {out}")
    return out


def _program() -> str:
    """How the user can call this command again: plain ``plantwarden`` when it is on PATH."""
    import shutil

    argv0 = sys.argv[0] if sys.argv and sys.argv[0] else "plantwarden"
    found = shutil.which("plantwarden")
    if found and os.path.realpath(found) == os.path.realpath(argv0):
        return "plantwarden"
    rel = os.path.relpath(argv0) if os.path.isabs(argv0) else argv0
    return rel if os.path.basename(rel) == "plantwarden" else "plantwarden"


main.add_command(alerts_command)
main.add_command(alert_group)
main.add_command(watch_command)  # live capture (cli/watch.py)
main.add_command(__import__("plantwarden.cli.baseline", fromlist=["baseline_group"]).baseline_group)  # cli/baseline.py
main.add_command(__import__("plantwarden.cli.windows", fromlist=["window_group"]).window_group)  # cli/windows.py
main.add_command(__import__("plantwarden.cli.iocs", fromlist=["ioc_group"]).ioc_group)  # indicators (cli/iocs.py)
main.add_command(__import__("plantwarden.cli.export", fromlist=["export_group"]).export_group)  # SIEM output (cli/export.py)
main.add_command(__import__("plantwarden.cli.zones", fromlist=["zones_group"]).zones_group)  # zones and conduits (cli/zones.py)
main.add_command(__import__("plantwarden.cli.tags", fromlist=["tag_group"]).tag_group)  # asset tags (cli/tags.py)
main.add_command(__import__("plantwarden.cli.audit", fromlist=["audit_group"]).audit_group)  # audit log (cli/audit.py)
main.add_command(__import__("plantwarden.cli.users", fromlist=["user_group"]).user_group)  # accounts (cli/users.py)
main.add_command(__import__("plantwarden.cli.firewall", fromlist=["firewall_group"]).firewall_group)  # rule sets (cli/firewall.py)
main.add_command(__import__("plantwarden.cli.serve", fromlist=["serve_command"]).serve_command)  # web (cli/serve.py)
main.add_command(__import__("plantwarden.cli.suppliers", fromlist=["suppliers_group"]).suppliers_group)  # suppliers
for _name in ("advisories_group", "vulns_command", "finding_group", "asset_group"):  # advisories and findings (cli/vulns.py)
    main.add_command(getattr(__import__("plantwarden.cli.vulns", fromlist=[_name]), _name))
for _name in ("sbom_group", "osv_group", "vex_group"):  # SBOMs, OSV and VEX (cli/sbom.py)
    main.add_command(getattr(__import__("plantwarden.cli.sbom", fromlist=[_name]), _name))

main.add_command(__import__("plantwarden.cli.ml", fromlist=["ml_group"]).ml_group)  # process models (cli/ml.py)


if __name__ == "__main__":  # pragma: no cover
    main()
