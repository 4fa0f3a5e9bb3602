"""``plantwarden window add|list|remove``: declared change windows (docs/change-windows.md)."""

from __future__ import annotations

import datetime as dt

import click

from plantwarden.cli.common import db_option, echo_json, open_store
from plantwarden.cli.render import fmt_ts_short, safe, table
from plantwarden.core.errors import NotFound


def parse_time(value: str, hint: str) -> float:
    """ISO 8601 date and time to epoch seconds; without a zone offset it is UTC."""
    try:
        t = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"not an ISO 8601 time: {value!r} (e.g. 2024-03-12T08:00:00Z)",
                                 param_hint=hint) from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return t.timestamp()


@click.group("window")
def window_group() -> None:
    """Declare change windows: engineering changes inside one are approved, not alerted."""


@window_group.command("add")
@click.option("--start", "start", metavar="ISO", required=True, help="Start (ISO 8601; UTC without an offset).")
@click.option("--end", "end", metavar="ISO", required=True, help="End (ISO 8601; UTC without an offset).")
@click.option("--asset", "assets", metavar="IP", multiple=True, help="A device being changed (repeatable; none: any).")
@click.option("--host", "hosts", metavar="IP", multiple=True,
              help="An engineering host doing the change (repeatable; none: any).")
@click.option("--person", "person", metavar="TEXT", default=None, help="Who does the change.")
@click.option("--note", "note", metavar="TEXT", default=None, help="Why (ticket, work order).")
@db_option
def add(start: str, end: str, assets: tuple[str, ...], hosts: tuple[str, ...], person: str | None,
        note: str | None, db: str) -> None:
    """Declare a change window; stored alerts it covers are approved too."""
    from plantwarden.baseline.windows import ChangeWindow

    t0, t1 = parse_time(start, "--start"), parse_time(end, "--end")
    if t1 < t0:
        raise click.BadParameter("the end is before the start", param_hint="--end")
    with open_store(db, create=True) as store:
        w = store.add_window(ChangeWindow(t0, t1, list(assets), list(hosts), person, note))
        approved = store.approve_in_window(w)
    click.echo(f"change window {w.id}: {fmt_ts_short(w.start)} .. {fmt_ts_short(w.end)} UTC, "
               f"assets {', '.join(w.assets) or 'any'}, hosts {', '.join(w.hosts) or 'any'}"
               + (f", by {safe(w.person)}" if w.person else "")
               + (f"; {len(approved)} stored alerts approved" if approved else ""))


@window_group.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="json: a list of window objects (docs/change-windows.md).")
@db_option
def list_windows(fmt: str, db: str) -> None:
    """List the change windows by start time."""
    from plantwarden.baseline.windows import window_document

    with open_store(db, create=False) as store:
        items = store.windows()
    if fmt == "json":
        echo_json([window_document(w) for w in items])
    elif not items:
        click.echo("no change windows")
    else:
        click.echo(table(("id", "start (UTC)", "end (UTC)", "assets", "hosts", "person", "note"),
                         [(w.id, fmt_ts_short(w.start), fmt_ts_short(w.end), ", ".join(w.assets) or "any",
                           ", ".join(w.hosts) or "any", w.person or "-", w.note or "-") for w in items],
                         max_width=60))


@window_group.command("remove")
@click.argument("window_id", metavar="ID", type=int)
@db_option
def remove(window_id: int, db: str) -> None:
    """Delete change window ID (alerts it approved stay approved)."""
    with open_store(db, create=False) as store:
        try:
            w = store.remove_window(window_id)
        except NotFound:
            raise click.ClickException(f"no change window with id {window_id} (see `plantwarden window list`)") from None
    click.echo(f"change window {w.id} removed")
