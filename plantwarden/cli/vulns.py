"""``plantwarden advisories import|sync|list``, ``plantwarden vulns`` and ``plantwarden finding set``:
CSAF advisories matched to the inventory (docs/vulns.md)."""

from __future__ import annotations

from pathlib import Path

import click

from plantwarden.cli.common import db_option, echo_json, open_store
from plantwarden.cli.render import fmt_ts_short, safe, table
from plantwarden.cli.windows import parse_time
from plantwarden.core.errors import InvalidInput, NotFound
from plantwarden.store.vulns import AdvisoryImport

MAX_DOC = 50 * 1024 * 1024


def _documents(paths: tuple[str, ...]) -> list[tuple[str, bytes]]:
    """(source, bytes) of every .json file given or under a folder given (sorted); unreadable or
    oversized files are reported and skipped."""
    out: list[tuple[str, bytes]] = []
    for p in paths:
        path = Path(p)
        files = sorted(path.rglob("*.json")) if path.is_dir() else [path]
        for f in files:
            if f.name.startswith("."):
                continue
            try:
                if f.stat().st_size > MAX_DOC:
                    click.echo(f"warning: {safe(f)}: larger than 50 MiB, skipped", err=True)
                    continue
                out.append((str(f), f.read_bytes()))
            except OSError as exc:
                raise click.ClickException(f"cannot read {safe(f)}: {exc.strerror or exc}") from None
    return out


def _report_import(res: AdvisoryImport) -> None:
    click.echo(f"advisories: {len(res.new)} new, {len(res.updated)} updated, {len(res.unchanged)} unchanged, "
               f"{len(res.invalid)} not CSAF 2.0")
    for source, reason in res.invalid:
        click.echo(f"  {safe(source)}: {safe(reason)}", err=True)


@click.group("advisories")
def advisories_group() -> None:
    """CSAF 2.0 security advisories: import files and folders, sync provider feeds, list them."""


@advisories_group.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=str))
@db_option
def import_command(paths: tuple[str, ...], db: str) -> None:
    """Import CSAF 2.0 JSON files (folders: every .json inside, recursively)."""
    docs = _documents(paths)
    with open_store(db, create=True) as store:
        _report_import(store.import_advisories(docs))


@advisories_group.command("sync")
@click.argument("source")
@click.option("--dest", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder the feed's documents are kept in (default: 'advisories' beside the database).")
@click.option("--keyring", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="An OpenPGP public key (armored or binary) trusted besides the provider's published keys.")
@click.option("--no-signature", "no_signature", is_flag=True,
              help="Accept documents without a valid OpenPGP signature (with a warning each).")
@db_option
def sync_command(source: str, dest: Path | None, keyring: Path | None, no_signature: bool, db: str) -> None:
    """Sync a CSAF provider (provider-metadata.json URL, ROLIE feed, directory or folder) and import
    what is new or changed; hashes and signatures are checked (docs/vulns.md, "Feeds")."""
    from plantwarden.store.target import is_url
    from plantwarden.vulns.feed import sync

    folder = dest or (Path(db).resolve().parent / "advisories" if not is_url(db) else Path("advisories"))
    try:
        res = sync(source, folder, keyring=keyring, require_signature=not no_signature)
    except InvalidInput as exc:
        raise click.ClickException(str(exc)) from None
    for w in res.warnings:
        click.echo(f"warning: {safe(w)}", err=True)
    for url, reason in res.rejected:
        click.echo(f"rejected: {safe(url)}: {safe(reason)}", err=True)
    click.echo(f"feed: {len(res.new)} new, {len(res.updated)} updated, {len(res.unchanged)} unchanged, "
               f"{len(res.rejected)} rejected, {len(res.removed_upstream)} gone upstream")
    files = [Path(f) for f in res.files.values()]
    with open_store(db, create=True) as store:
        _report_import(store.import_advisories((str(f), f.read_bytes()) for f in files))


@advisories_group.command("kev")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@db_option
def kev_command(path: Path, db: str) -> None:
    """Import a known-exploited vulnerabilities list (CISA's KEV catalog as JSON or CSV, or one CVE id per
    line); findings of those CVEs on reachable assets move to "now"."""
    with open_store(db, create=True) as store:
        try:
            added, updated = store.import_kev(path.read_bytes(), str(path))
        except InvalidInput as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"known exploited: {added} added, {updated} updated")


@advisories_group.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="json: a list of {tracking_id, title, publisher, current_release_date, source}.")
@db_option
def list_command(fmt: str, db: str) -> None:
    """The imported advisories."""
    from sqlalchemy import select

    from plantwarden.store.models import AdvisoryRow

    with open_store(db, create=False) as store, store.read() as s:
        rows = [(r.tracking_id, r.title, r.publisher, r.current_release_date, r.source)
                for r in s.scalars(select(AdvisoryRow).order_by(AdvisoryRow.tracking_id))]
    if fmt == "json":
        echo_json([dict(zip(("tracking_id", "title", "publisher", "current_release_date", "source"), r, strict=True))
                   for r in rows])
        return
    click.echo(table(["advisory", "released", "publisher", "title"], [(r[0], r[3] or "", r[2], r[1]) for r in rows])
               if rows else "no advisories (plantwarden advisories import FOLDER)")


@click.command("vulns")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="json: the findings (docs/vulns.md, \"Findings JSON\").")
@click.option("--status", type=click.Choice(["open", "mitigated", "accepted", "fixed"]), default=None,
              help="Only findings in this state.")
@click.option("--asset", metavar="IP", default=None, help="Only the findings of this asset.")
@click.option("--priority", type=click.Choice(["now", "next", "never"]), default=None,
              help="Only findings in this priority bucket.")
@click.option("--no-match", "no_match", is_flag=True, help="List the stored findings without matching again.")
@click.option("--model", "model_path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A zones model (docs/zones.md): exposure also through its conduits.")
@db_option
def vulns_command(fmt: str, status: str | None, asset: str | None, priority: str | None, no_match: bool,
                  model_path: str | None, db: str) -> None:
    """Match the imported advisories to the inventory, then list the findings by priority (now, next,
    never) and adjusted score."""
    model = None
    if model_path is not None:
        from plantwarden.cli.zones import load_model_or_exit, with_stored_tags

        model = load_model_or_exit(model_path)
    with open_store(db, create=False) as store:
        if model is not None:
            model = with_stored_tags(model, store)
        if not no_match:
            res = store.match_advisories(model)
            click.echo(f"matched {res.advisories} advisories to {res.assets} identified assets: {len(res.new)} new, "
                       f"{len(res.updated)} changed, {len(res.fixed)} fixed, {len(res.reopened)} reopened; "
                       f"{res.open} open", err=True)
        items = [f for f in store.findings(status, asset) if priority is None or f["priority"] == priority]
    if fmt == "json":
        echo_json({"format_version": 1, "findings": items})
        return
    if not items:
        click.echo("no findings")
        return
    click.echo(table(["id", "priority", "score", "asset", "advisory", "cvss", "exposure", "verdict", "version",
                      "status", "product", "cves"],
                     [(f["id"], f["priority"] + (" KEV" if f["known_exploited"] else ""), f"{f['score']:.1f}",
                       f["asset"], f["advisory"], f"{f['cvss_score']:.1f}" if f["cvss_score"] else "",
                       f["exposure"], f["verdict"], f["version"] or "?", f["status"], f["product"],
                       " ".join(f["cves"][:3]) + (" ..." if len(f["cves"]) > 3 else "")) for f in items]))


@click.group("finding")
def finding_group() -> None:
    """Change the state of a vulnerability finding."""


@finding_group.command("set")
@click.argument("finding_id", type=int)
@click.argument("status", type=click.Choice(["open", "mitigated", "accepted", "fixed"]))
@click.option("--reason", default=None, help="The compensating control (mitigated) or risk decision (accepted).")
@click.option("--until", "until", metavar="TIME", default=None, help="Expiry of an accepted risk (ISO 8601).")
@db_option
def set_command(finding_id: int, status: str, reason: str | None, until: str | None, db: str) -> None:
    """Set a finding's state: mitigated and accepted need a reason, accepted an expiry."""
    t = parse_time(until, "--until") if until else None
    with open_store(db, create=False) as store:
        try:
            store.set_finding_status(finding_id, status, reason, t)
        except (InvalidInput, NotFound) as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"finding {finding_id}: {status}" + (f" until {fmt_ts_short(t)} UTC" if t else ""))


@click.group("asset")
def asset_group() -> None:
    """Enter what you know of an asset's identity (for devices the wire says little about)."""


@asset_group.command("enter")
@click.argument("ip")
@click.option("--vendor", default=None, help="The maker, as its documents name it.")
@click.option("--model", default=None, help="The model or order number (e.g. 6ES7 516-3AN01-0AB0).")
@click.option("--firmware", default=None, help="The firmware or software version installed.")
@click.option("--serial", default=None, help="The serial number.")
@click.option("--note", default=None, help="Free text (where it is, who owns it).")
@db_option
def enter_command(ip: str, vendor: str | None, model: str | None, firmware: str | None, serial: str | None,
                  note: str | None, db: str) -> None:
    """Record an asset's vendor, model, firmware and serial; an address not in the inventory is added.
    Advisories are matched against it like against what the wire says (docs/vulns.md)."""
    if not any((vendor, model, firmware, serial, note)):
        raise click.UsageError("give at least one of --vendor, --model, --firmware, --serial, --note")
    with open_store(db, create=True) as store:
        try:
            created = store.enter_asset(ip, vendor, model, firmware, serial, note)
        except InvalidInput as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"asset {safe(ip)}: identity recorded" + (" (added to the inventory)" if created else ""))
