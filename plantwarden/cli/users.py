"""``plantwarden user add|list|role|passwd|disable|enable|token|revoke``: accounts (docs/accounts.md)."""

from __future__ import annotations

import sys

import click

from plantwarden.auth.roles import ROLES
from plantwarden.cli.common import db_option, echo_json, open_store
from plantwarden.cli.render import fmt_ts_short, safe, table
from plantwarden.core.errors import Conflict, InvalidInput, NotFound


def _password(from_stdin: bool) -> tuple[str, bool]:
    """(password, generated): from the first line of stdin, or a new random one."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n"), False
    from plantwarden.auth.accounts import generate_password

    return generate_password(), True


def _fail(exc: Exception) -> click.ClickException:
    return click.ClickException(safe(str(exc)))


@click.group("user")
def user_group() -> None:
    """Accounts of the dashboard and API: roles viewer, auditor, analyst, ot_engineer, admin."""


@user_group.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the account may do (docs/accounts.md).")
@click.option("--password-stdin", "from_stdin", is_flag=True, default=False,
              help="Read the password from the first line of stdin (at least 12 characters); without it a random "
                   "one is made and printed once.")
@db_option
def add(username: str, role: str, from_stdin: bool, db: str) -> None:
    """Create an account."""
    password, generated = _password(from_stdin)
    with open_store(db, create=True) as store:
        try:
            store.add_user(username, role, password)
        except (InvalidInput, Conflict) as exc:
            raise _fail(exc) from None
    click.echo(f"user {username} ({role}) added" + (f"; password (shown once): {password}" if generated else ""))


@user_group.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="json: a list of {username, role, disabled, created_at}.")
@db_option
def list_users(fmt: str, db: str) -> None:
    """List the accounts."""
    with open_store(db, create=False) as store:
        items = store.users()
    if fmt == "json":
        echo_json([{"username": u.username, "role": u.role, "disabled": u.disabled, "created_at": u.created_at}
                   for u in items])
        return
    click.echo(table(("user", "role", "disabled", "created (UTC)"),
                     [(u.username, u.role, "yes" if u.disabled else "no", fmt_ts_short(u.created_at)) for u in items])
               if items else "no users")


@user_group.command("role")
@click.argument("username")
@click.argument("role", type=click.Choice(ROLES))
@db_option
def role(username: str, role: str, db: str) -> None:
    """Change an account's role."""
    with open_store(db, create=False) as store:
        try:
            store.set_user_role(username, role)
        except (InvalidInput, NotFound) as exc:
            raise _fail(exc) from None
    click.echo(f"user {safe(username)} is now {role}")


@user_group.command("passwd")
@click.argument("username")
@click.option("--password-stdin", "from_stdin", is_flag=True, default=False,
              help="Read the new password from stdin; without it a random one is made and printed once.")
@db_option
def passwd(username: str, from_stdin: bool, db: str) -> None:
    """Set an account's password."""
    password, generated = _password(from_stdin)
    with open_store(db, create=False) as store:
        try:
            store.set_user_password(username, password)
        except (InvalidInput, NotFound) as exc:
            raise _fail(exc) from None
    click.echo(f"password of {safe(username)} changed" + (f" (shown once): {password}" if generated else ""))


@user_group.command("disable")
@click.argument("username")
@db_option
def disable(username: str, db: str) -> None:
    """Disable an account and revoke its API tokens."""
    with open_store(db, create=False) as store:
        try:
            store.set_user_disabled(username, True)
        except NotFound as exc:
            raise _fail(exc) from None
    click.echo(f"user {safe(username)} disabled; its API tokens are revoked")


@user_group.command("enable")
@click.argument("username")
@db_option
def enable(username: str, db: str) -> None:
    """Enable a disabled account (its old API tokens stay revoked)."""
    with open_store(db, create=False) as store:
        try:
            store.set_user_disabled(username, False)
        except NotFound as exc:
            raise _fail(exc) from None
    click.echo(f"user {safe(username)} enabled")


@user_group.command("token")
@click.argument("username")
@click.option("--name", "name", required=True, help="What the token is for (e.g. siem-export).")
@db_option
def token(username: str, name: str, db: str) -> None:
    """Create an API token for an account; the secret is printed once."""
    with open_store(db, create=False) as store:
        try:
            tid, secret = store.create_token(username, name)
        except (InvalidInput, NotFound) as exc:
            raise _fail(exc) from None
    click.echo(f"token {tid} for {safe(username)} (shown once): {secret}")


@user_group.command("revoke")
@click.argument("token_id", metavar="TOKEN_ID", type=int)
@db_option
def revoke(token_id: int, db: str) -> None:
    """Revoke an API token."""
    with open_store(db, create=False) as store:
        try:
            store.revoke_token(token_id)
        except NotFound as exc:
            raise _fail(exc) from None
    click.echo(f"token {token_id} revoked")
