"""``plantwarden suppliers ...``: the supplier register, assessments, contract clauses and remote access
(docs/suppliers.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import yaml

from plantwarden.cli.common import db_option, echo_json, open_store
from plantwarden.cli.render import fmt_ts_short, safe, table
from plantwarden.cli.windows import parse_time
from plantwarden.core.errors import Conflict, InvalidInput, NotFound

_ERRORS = (InvalidInput, NotFound, Conflict)


@click.group("suppliers")
def suppliers_group() -> None:
    """The supplier register: risk assessments, contract security clauses, remote access seen on the wire."""


def _load(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise click.ClickException(f"cannot read {safe(path)}: {safe(exc)}") from None


@suppliers_group.command("seed")
@db_option
def seed_command(db: str) -> None:
    """Add a supplier for every vendor of the inventory that has none."""
    with open_store(db, create=False) as store:
        added = store.seed_suppliers()
    click.echo(f"{len(added)} suppliers added from the inventory" + (f": {', '.join(map(safe, added))}" if added else ""))


@suppliers_group.command("add")
@click.argument("name")
@click.option("--vendor", default=None, help="The vendor name its devices report (default: NAME).")
@click.option("--contact", default=None, help="Who to call (security contact).")
@click.option("--notes", default=None, help="Free text.")
@click.option("--remote-host", "remote_hosts", multiple=True, metavar="ADDR_OR_NET",
              help="An address or network its staff connect from (repeatable).")
@db_option
def add_command(name: str, vendor: str | None, contact: str | None, notes: str | None,
                remote_hosts: tuple[str, ...], db: str) -> None:
    """Add a supplier."""
    with open_store(db, create=True) as store:
        try:
            store.add_supplier(name, vendor, contact, notes, remote_hosts)
        except _ERRORS as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"supplier {safe(name)} added")


@suppliers_group.command("update")
@click.argument("name")
@click.option("--contact", default=None, help="Who to call (security contact).")
@click.option("--notes", default=None, help="Free text.")
@click.option("--remote-host", "remote_hosts", multiple=True, metavar="ADDR_OR_NET",
              help="Replace its remote hosts with these (repeatable).")
@db_option
def update_command(name: str, contact: str | None, notes: str | None, remote_hosts: tuple[str, ...], db: str) -> None:
    """Change a supplier's contact, notes or remote hosts."""
    with open_store(db, create=False) as store:
        try:
            store.update_supplier(name, contact, notes, remote_hosts or None)
        except _ERRORS as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"supplier {safe(name)} updated")


@suppliers_group.command("questionnaire")
@click.argument("name", default="default")
@click.option("--import", "import_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Store this questionnaire (YAML or JSON, the shape this command prints) instead.")
@db_option
def questionnaire_command(name: str, import_path: Path | None, db: str) -> None:
    """Print a questionnaire as YAML (edit it and import it back), or import one."""
    with open_store(db, create=True) as store:
        try:
            if import_path is not None:
                q = store.save_questionnaire(_load(import_path))
                click.echo(f"questionnaire {safe(q.name)}: {len(q.questions)} questions stored")
                return
            q = store.questionnaire(name)
        except _ERRORS as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(yaml.safe_dump(q.document(), sort_keys=False, allow_unicode=False, width=110), nl=False)


@suppliers_group.command("assess")
@click.argument("name")
@click.argument("answers", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--questionnaire", "qname", default="default", show_default=True, help="The questionnaire answered.")
@click.option("--assessor", default=None, help="Who assessed.")
@db_option
def assess_command(name: str, answers: Path, qname: str, assessor: str | None, db: str) -> None:
    """Record an assessment: ANSWERS is a YAML/JSON mapping {question id: yes|partial|no|n/a}."""
    doc = _load(answers)
    if not isinstance(doc, dict):
        raise click.ClickException(f"{safe(answers)}: a mapping of question id to answer")
    with open_store(db, create=False) as store:
        try:
            sc, risk, review = store.assess_supplier(name, doc, qname, assessor)
        except _ERRORS as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"supplier {safe(name)}: score {sc:.0f}/100, risk {risk}; next review {fmt_ts_short(review)} UTC")


@suppliers_group.command("clause")
@click.argument("name")
@click.argument("clause")
@click.option("--due", required=True, metavar="TIME", help="When the supplier must meet it (ISO 8601).")
@db_option
def clause_command(name: str, clause: str, due: str, db: str) -> None:
    """Track a security clause of a supplier's contract with its due date."""
    t = parse_time(due, "--due")
    with open_store(db, create=False) as store:
        try:
            cid = store.add_clause(name, clause, t)
        except _ERRORS as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"clause {cid} of {safe(name)} due {fmt_ts_short(t)} UTC")


@suppliers_group.command("clause-done")
@click.argument("clause_id", type=int)
@click.option("--note", default=None, help="The evidence (document, date, ticket).")
@db_option
def clause_done_command(clause_id: int, note: str | None, db: str) -> None:
    """Mark a contract clause as met."""
    with open_store(db, create=False) as store:
        try:
            store.clause_done(clause_id, note)
        except _ERRORS as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"clause {clause_id} met")


@suppliers_group.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="json: the suppliers' report (docs/suppliers.md).")
@click.option("--check", is_flag=True, help="Also store alerts for remote sessions outside approved windows.")
@db_option
def list_command(fmt: str, check: bool, db: str) -> None:
    """The suppliers with their risk, review date, overdue clauses and remote sessions."""
    with open_store(db, create=False) as store:
        reports, changes = store.supplier_report(check)
    if changes is not None:
        click.echo(f"{len(changes.new_ids)} new alerts for remote sessions outside approved windows", err=True)
    if fmt == "json":
        echo_json({"format_version": 1, "suppliers": [r.document() for r in reports]})
        return
    if not reports:
        click.echo("no suppliers (plantwarden suppliers seed | add NAME)")
        return
    click.echo(table(["supplier", "assets", "score", "risk", "review", "clauses overdue", "remote sessions",
                      "outside windows"],
                     [(r.name, r.assets, f"{r.score:.0f}" if r.score is not None else "-", r.risk or "not assessed",
                       (fmt_ts_short(r.next_review) + (" OVERDUE" if r.review_overdue else "")) if r.next_review else "-",
                       r.overdue_clauses, len(r.sessions), r.sessions_outside_windows) for r in reports]))


@suppliers_group.command("show")
@click.argument("name")
@db_option
def show_command(name: str, db: str) -> None:
    """One supplier: assessment, contract clauses (overdue marked) and remote sessions."""
    with open_store(db, create=False) as store:
        reports, _ = store.supplier_report(False)
    r = next((x for x in reports if x.name == name), None)
    if r is None:
        raise click.ClickException(f"no supplier {safe(name)}")
    click.echo(f"{safe(r.name)}: {r.assets} assets; contact {safe(r.contact or '-')}; remote hosts "
               f"{', '.join(r.remote_hosts) or 'none declared'}")
    click.echo("assessment: " + (f"score {r.score:.0f}/100, risk {r.risk}, next review {fmt_ts_short(r.next_review)}"
                                  + (" (OVERDUE)" if r.review_overdue else "") if r.score is not None else "none"))
    if r.clauses:
        click.echo(table(["clause", "due", "state", "text"],
                         [(c["id"], fmt_ts_short(c["due"]), "OVERDUE" if c["overdue"] else
                           ("met" if c["done_at"] else "open"), c["clause"]) for c in r.clauses]))
    if r.sessions:
        click.echo(table(["from", "to", "tool", "first seen", "last seen", "flows", "window"],
                         [(x["client"], x["server"], x["tool"], fmt_ts_short(x["first_seen"]),
                           fmt_ts_short(x["last_seen"]), x["flows"],
                           x["window"] if x["window"] is not None else "OUTSIDE") for x in r.sessions]))


