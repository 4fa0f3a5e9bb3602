"""``plantwarden zones propose|check|posture``: IEC 62443 zones and conduits against observed traffic (docs/zones.md)."""

from __future__ import annotations

from typing import Any

import click

from plantwarden.cli.common import broken_pipe_guard, db_option, echo_json, open_store
from plantwarden.cli.render import fmt_ts_short, safe, table


def load_model_or_exit(path: str) -> Any:
    """The validated model, or every error on stderr with its place in the file and exit status 2."""
    from plantwarden.zones.model import ModelError, load_model_file

    try:
        return load_model_file(path)
    except ModelError as exc:
        for e in exc.errors:
            click.echo(f"{safe(path)}: {safe(e)}", err=True)
        raise click.exceptions.Exit(2) from None


def with_stored_tags(model: Any, store: Any) -> Any:
    """The model with the tags kept in the store (`plantwarden tag`) joined to its own."""
    from plantwarden.store.tags import tag_members
    from plantwarden.zones.tags import with_tags

    return with_tags(model, tag_members(store.tags()))


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
    from plantwarden.zones.report import report_document, report_html

    zm = load_model_or_exit(model)
    with open_store(db, create=False) as store:
        zm = with_stored_tags(zm, store)
        assets, comms = store.assets(), store.communications()
        report = check(zm, assets, comms)
        from plantwarden.zones.posture import posture, posture_document

        pdoc = posture_document(posture(comms, zm, assets))
        if save:
            from plantwarden.cli.alerts import changes_summary
            from plantwarden.zones.alerts import save_violation_alerts

            click.echo(changes_summary(save_violation_alerts(store, report.violations)), err=True)
    if fmt == "json":
        echo_json(report_document(report, pdoc))
    elif fmt == "html":
        with broken_pipe_guard():
            click.echo(report_html(report, pdoc), nl=False)
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


@zones_group.command("posture")
@click.option("--model", "model", type=click.Path(dir_okay=False, path_type=str), default=None,
              help="A zones-and-conduits model (YAML): the posture per zone and per conduit. Without it: all "
                   "communications in one group.")
@db_option
@click.option("--format", "fmt", type=click.Choice(["table", "json", "html"]), default="table", show_default=True,
              help="table: per group, the protocols and their verdicts; json: the document in docs/zones.md "
                   "(\"Encryption posture\"); html: one self-contained page.")
def posture_command(model: str | None, db: str, fmt: str) -> None:
    """The encryption posture: cleartext, authenticated and encrypted protocols per zone and conduit, TLS
    versions and weak suites, passwords seen in clear.

    Exit status 2 when MODEL is not valid.
    """
    from plantwarden.zones.posture import posture, posture_document, posture_html

    zm = load_model_or_exit(model) if model is not None else None
    with open_store(db, create=False) as store:
        if zm is not None:
            zm = with_stored_tags(zm, store)
        result = posture(store.communications(), zm, store.assets())
    if fmt == "json":
        echo_json(posture_document(result))
        return
    if fmt == "html":
        with broken_pipe_guard():
            click.echo(posture_html(result), nl=False)
        return
    doc = posture_document(result)
    s = doc["summary"]
    with broken_pipe_guard():
        click.echo(f"{s['communications']} communication(s): "
                   + (", ".join(f"{n} {v}" for v, n in s["verdicts"].items()) or "none")
                   + f"; cleartext protocols: {', '.join(s['cleartext_protocols']) or 'none'}; {s['weak']} with "
                     f"weaknesses; {s['credentials_in_clear']} with passwords in clear")
        rows = [[g["scope"], g["name"], q["protocol"], q["verdict"], q["communications"], q["flows"],
                 ", ".join(f"{w} ({n})" for w, n in q["weaknesses"].items()) or "-", q["credentials_in_clear"]]
                for g in doc["groups"] for q in g["protocols"]]
        if rows:
            click.echo(table(["scope", "name", "protocol", "verdict", "comms", "flows", "weaknesses",
                              "passwords in clear"], rows, max_width=70))
