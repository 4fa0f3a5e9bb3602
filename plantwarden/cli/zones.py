"""``plantwarden zones propose|check``: IEC 62443 zones and conduits against observed traffic (docs/zones.md)."""

from __future__ import annotations

import click

from plantwarden.cli.common import broken_pipe_guard, db_option, echo_json, open_store
from plantwarden.cli.render import fmt_ts_short, safe, table


@click.group("zones")
def zones_group() -> None:
    """Zones and conduits: propose a model from the inventory, check the traffic against one."""


@zones_group.command("check")
@click.argument("model", type=click.Path(dir_okay=False, path_type=str))
@db_option
@click.option("--format", "fmt", type=click.Choice(["table", "json", "html"]), default="table", show_default=True,
              help="table: violations and assets in no zone for a terminal; json: the report documented in "
                   "docs/zones.md; html: one self-contained page.")
@click.option("--alerts", "save", is_flag=True, default=False,
              help="Also store each violation as an alert of zones.conduit_violation (merged with the stored "
                   "ones, docs/detections/zones.conduit_violation.md); the summary goes to stderr.")
def check_command(model: str, db: str, fmt: str, save: bool) -> None:
    """Check every stored communication against the zones-and-conduits MODEL (YAML).

    Exit status 1 when there is at least one violation, 2 when MODEL is not valid.
    """
    from plantwarden.zones.check import check
    from plantwarden.zones.model import ModelError, load_model_file
    from plantwarden.zones.report import report_document, report_html

    try:
        zm = load_model_file(model)
    except ModelError as exc:
        for e in exc.errors:
            click.echo(f"{safe(model)}: {safe(e)}", err=True)
        raise click.exceptions.Exit(2) from None
    with open_store(db, create=False) as store:
        from plantwarden.store.tags import tag_members
        from plantwarden.zones.tags import with_tags

        zm = with_tags(zm, tag_members(store.tags()))  # tags kept with `plantwarden tag` join the model's
        report = check(zm, store.assets(), store.communications())
        if save:
            from plantwarden.cli.alerts import changes_summary
            from plantwarden.zones.alerts import save_violation_alerts

            click.echo(changes_summary(save_violation_alerts(store, report.violations)), err=True)
    if fmt == "json":
        echo_json(report_document(report))
    elif fmt == "html":
        with broken_pipe_guard():
            click.echo(report_html(report), nl=False)
    else:
        doc = report_document(report)
        s = doc["summary"]
        rows = [[v["kind"], v["conduit"] or "-", f"{v['client']} ({v['client_zone']})",
                 f"{v['server']} ({v['server_zone']})", v["protocol"], v["detail"], v["count"],
                 fmt_ts_short(v["first_seen"]), fmt_ts_short(v["last_seen"])]
                for c in doc["conduits"] for v in c["violations"]]
        rows += [[v["kind"], "-", f"{v['client']} ({v['client_zone']})", f"{v['server']} ({v['server_zone']})",
                  v["protocol"], v["detail"], v["count"], fmt_ts_short(v["first_seen"]), fmt_ts_short(v["last_seen"])]
                 for v in doc["without_conduit"]]
        with broken_pipe_guard():
            click.echo(f"{s['violations']} violation(s): {s['cross_zone']} cross-zone, {s['intra_zone']} intra-zone, "
                       f"{s['unplaced']} unplaced communication(s); {s['assets_without_zone']} asset(s) in no zone")
            if rows:
                click.echo(table(["kind", "conduit", "client", "server", "protocol", "detail", "count", "first",
                                  "last"], rows))
            if doc["assets_without_zone"]:
                click.echo("assets in no zone:")
                click.echo(table(["ip", "mac", "role", "name"], [[a["ip"], a["mac"] or "-", a["role"], a["name"] or "-"]
                                                         for a in doc["assets_without_zone"]]))
    if report.violations:
        raise click.exceptions.Exit(1)


@zones_group.command("propose")
@db_option
def propose_command(db: str) -> None:
    """Print a starter model (YAML) from the stored inventory: zones by Purdue level, one conduit per
    pair of zones that talked. Review it; `zones check` accepts it as it is."""
    from plantwarden.zones.propose import propose_yaml

    with open_store(db, create=False) as store:
        text = propose_yaml(store.assets(), store.communications())
    with broken_pipe_guard():
        click.echo(text, nl=False)
