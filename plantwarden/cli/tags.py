"""``plantwarden tag add|remove|list``: labels on assets, by IP address or MAC (docs/tags.md)."""

from __future__ import annotations

import click

from plantwarden.cli.common import broken_pipe_guard, db_option, echo_json, open_store
from plantwarden.cli.render import fmt_ts_short, safe, table
from plantwarden.core.errors import InvalidInput, NotFound


@click.group("tag")
def tag_group() -> None:
    """Tags: labels you put on assets (zones can select their members by tag)."""


@tag_group.command("add")
@click.argument("tag")
@click.argument("addresses", metavar="ADDRESS...", nargs=-1, required=True)
@click.option("--note", metavar="TEXT", default=None, help="Why (kept with each new tag).")
@db_option
def add(tag: str, addresses: tuple[str, ...], note: str | None, db: str) -> None:
    """Put TAG on each ADDRESS (an IP address or a MAC)."""
    with open_store(db, create=True) as store:
        try:
            added = store.add_tags(tag, addresses, note)
        except InvalidInput as exc:
            raise click.BadParameter(safe(str(exc))) from None
    click.echo(f"tag {tag}: {len(added)} address(es) added" + (f" ({', '.join(added)})" if added else
                                                               " (all had it already)"))


@tag_group.command("remove")
@click.argument("tag")
@click.argument("addresses", metavar="[ADDRESS]...", nargs=-1)
@db_option
def remove(tag: str, addresses: tuple[str, ...], db: str) -> None:
    """Take TAG off each ADDRESS, or off every address when none is given."""
    with open_store(db, create=False) as store:
        try:
            gone = store.remove_tags(tag, addresses)
        except InvalidInput as exc:
            raise click.BadParameter(safe(str(exc))) from None
        except NotFound as exc:
            raise click.ClickException(safe(str(exc))) from None
    click.echo(f"tag {safe(tag)}: removed from {', '.join(gone)}")


@tag_group.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="json: a list of {tag, address, note, created_at} objects (docs/tags.md).")
@db_option
def list_tags(fmt: str, db: str) -> None:
    """List every tag and the addresses it is on."""
    with open_store(db, create=False) as store:
        items = store.tags()
    if fmt == "json":
        echo_json([{"tag": t.tag, "address": t.address, "note": t.note, "created_at": t.created_at} for t in items])
        return
    with broken_pipe_guard():
        if not items:
            click.echo("no tags")
        else:
            click.echo(table(("tag", "address", "note", "added (UTC)"),
                             [(t.tag, t.address, t.note or "-", fmt_ts_short(t.created_at)) for t in items],
                             max_width=60))
