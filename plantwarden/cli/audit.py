"""``plantwarden audit verify|log|checkpoint``: the tamper-evident audit log (docs/audit.md)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from plantwarden.cli.common import broken_pipe_guard, db_option, echo_json, open_store
from plantwarden.cli.render import fmt_ts_short, safe, table
from plantwarden.core.errors import InvalidInput


@click.group("audit")
def audit_group() -> None:
    """The audit log: every change made through plantwarden, hash-chained and signed."""


@audit_group.command("verify")
@db_option
@click.option("--public-key", "public_key", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The Ed25519 public key (PEM) to check the checkpoints with (default: the .pub file beside "
                   "the store's signing key).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="json: {ok, entries, checkpoints, sealed_to, unsealed, problems} (docs/audit.md).")
def verify_command(db: str, public_key: Path | None, fmt: str) -> None:
    """Check every entry's hash and link and every checkpoint's signature.

    Exit status 0 when the log is intact, 1 when it is not (the first bad entry is named), 2 when it
    cannot be checked (no public key).
    """
    from plantwarden.audit.log import load_public_key, public_path

    with open_store(db, create=False) as store:
        path = public_key or public_path(store.audit_key_path())
        try:
            key = load_public_key(path)
        except InvalidInput as exc:
            click.echo(f"error: {safe(str(exc))}", err=True)
            raise click.exceptions.Exit(2) from None
        v = store.audit_verify(key)
    doc = {"ok": v.ok, "entries": v.entries, "checkpoints": v.checkpoints, "sealed_to": v.sealed_to,
           "unsealed": v.unsealed, "problems": [{"seq": seq, "problem": what} for seq, what in v.problems]}
    if fmt == "json":
        echo_json(doc)
    else:
        if v.ok:
            click.echo(f"audit log intact: {v.entries} entries, {v.checkpoints} signed checkpoints, sealed up to "
                       f"entry {v.sealed_to}; {v.unsealed} entries after the last checkpoint (a cut there cannot "
                       "be proven)")
        else:
            click.echo(f"audit log NOT intact: {safe(v.problems[0][1])}")
    if not v.ok:
        raise click.exceptions.Exit(1)


@audit_group.command("log")
@db_option
@click.option("--since", "since", type=float, default=None, metavar="UNIX_TIME", help="Only entries from then on.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="json: a list of entries {seq, at, actor, action, object, before, after, prev_hash, hash}.")
def log_command(db: str, since: float | None, fmt: str) -> None:
    """List the audit entries, oldest first (every string escaped: objects may hold names from the wire)."""
    with open_store(db, create=False) as store:
        items = store.audit_entries(since)
    if fmt == "json":
        echo_json([{"seq": e.seq, "at": e.at, "actor": e.actor, "action": e.action, "object": e.object,
                    "before": e.before, "after": e.after, "prev_hash": e.prev_hash, "hash": e.hash} for e in items])
        return
    with broken_pipe_guard():
        if not items:
            click.echo("no audit entries")
            return
        click.echo(table(("seq", "time (UTC)", "actor", "action", "object", "before", "after"),
                         [(e.seq, fmt_ts_short(e.at), e.actor, e.action, e.object,
                           "-" if e.before is None else json.dumps(e.before, sort_keys=True),
                           "-" if e.after is None else json.dumps(e.after, sort_keys=True)) for e in items],
                         max_width=60))


@audit_group.command("checkpoint")
@db_option
def checkpoint_command(db: str) -> None:
    """Sign the newest entry now (what a service does at shutdown)."""
    with open_store(db, create=False) as store:
        try:
            seq = store.audit_checkpoint()
        except InvalidInput as exc:
            raise click.ClickException(safe(str(exc))) from None
    click.echo("audit log is empty: nothing to sign" if seq is None else f"audit log signed up to entry {seq}")
