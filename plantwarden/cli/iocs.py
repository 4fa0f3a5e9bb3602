"""``plantwarden ioc import|list|remove``: indicators of compromise in the store (docs/iocs.md).

``plantwarden analyze`` gives every stored indicator to the ``ioc.match`` detection.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import click

from plantwarden.cli.common import db_option, echo_json, open_store
from plantwarden.cli.render import fmt_ts_short, safe, table
from plantwarden.core.errors import NotFound
from plantwarden.iocs import FORMATS, KINDS


def indicator_document(ind: Any) -> dict[str, Any]:
    """One stored indicator as the documented JSON object (docs/iocs.md, "JSON")."""
    return {"id": ind.id, "kind": ind.kind, "value": ind.value, "source": ind.source,
            "description": ind.description, "stix_id": ind.stix_id, "valid_from": ind.valid_from,
            "valid_until": ind.valid_until}


@click.group("ioc")
def ioc_group() -> None:
    """Indicators of compromise: import STIX 2.1 or CSV feeds, list and remove them."""


@ioc_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=str))
@db_option
@click.option("--source", "source", metavar="NAME", default=None,
              help="Name of the feed (kept with each indicator; default: the file's name).")
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="auto", show_default=True,
              help="stix: a STIX 2.1 bundle; csv: type,value[,description] rows; auto: STIX when the file "
                   "starts with '{' or '['.")
def import_command(file: str, db: str, source: str | None, fmt: str) -> None:
    """Import the indicators of FILE; importing it again updates them (same source, type and value)."""
    from plantwarden.iocs import load_file

    try:
        report = load_file(file, source, fmt)
    except OSError as exc:
        raise click.ClickException(f"cannot read {safe(file)}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise click.ClickException(f"{safe(file)}: {safe(exc)}; nothing imported") from None
    skipped = sum(report.skipped.values())
    kinds = Counter(i.kind for i in report.indicators)
    by_kind = ", ".join(f"{kinds[k]} {k}" for k in KINDS if kinds[k])
    ignored = f", {report.ignored} other STIX objects ignored" if report.ignored else ""
    if not report.indicators:
        for reason, n in report.skipped.most_common():
            click.echo(f"  skipped {n}: {safe(reason)}", err=True)
        raise click.ClickException(f"{safe(file)}: no usable indicator ({skipped} skipped{ignored}); nothing imported")
    with open_store(db, create=True) as store:
        ch = store.add_indicators(report.indicators)
    dup = f", {ch.duplicates} repeated in the file" if ch.duplicates else ""
    click.echo(f"{safe(file)}: {len(report.indicators)} indicators ({by_kind}): {ch.added} added, {ch.updated} "
               f"updated, {ch.unchanged} unchanged{dup}; {skipped} skipped{ignored}")
    for reason, n in report.skipped.most_common():
        click.echo(f"  skipped {n}: {safe(reason)}")


@ioc_group.command("list")
@db_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="json: a list of indicator objects (docs/iocs.md).")
@click.option("--kind", "kind", type=click.Choice(list(KINDS)), default=None, help="Only indicators of this type.")
@click.option("--source", "source", metavar="NAME", default=None, help="Only indicators of this source.")
def list_command(db: str, fmt: str, kind: str | None, source: str | None) -> None:
    """List the stored indicators, oldest first."""
    with open_store(db, create=False) as store:
        items = store.indicators(kind=kind, source=source)
    if fmt == "json":
        echo_json([indicator_document(i) for i in items])
        return
    if not items:
        click.echo("no indicators" + (" matching the filters" if kind or source else ""))
        return
    rows = [(i.id, i.kind, i.value, i.source, fmt_ts_short(i.valid_from), fmt_ts_short(i.valid_until),
             i.description or "-") for i in items]
    click.echo(table(("id", "type", "value", "source", "valid from", "valid until", "description"), rows,
                     max_width=64))


@ioc_group.command("remove")
@click.argument("indicator_id", metavar="ID", type=int)
@db_option
def remove_command(indicator_id: int, db: str) -> None:
    """Remove indicator ID (see `plantwarden ioc list`)."""
    with open_store(db, create=False) as store:
        try:
            ind = store.remove_indicator(indicator_id)
        except NotFound:
            raise click.ClickException(f"no indicator with id {indicator_id} (see `plantwarden ioc list`)") from None
    click.echo(f"removed indicator {ind.id}: {ind.kind} {safe(ind.value)} ({safe(ind.source)})")
