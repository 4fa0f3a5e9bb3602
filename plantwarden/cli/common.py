"""Helpers shared by the CLI's command modules: the --db option, opening the store, JSON output, pipes."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any, TypeVar

import click

from plantwarden.cli.render import safe
from plantwarden.core.errors import PlantwardenError
from plantwarden.store.target import DEFAULT_DB, ENV_DB, is_url

F = TypeVar("F", bound=Callable[..., Any])


def db_option(f: F) -> F:
    return click.option(
        "--db", "db", envvar=ENV_DB, default=DEFAULT_DB, show_default=True, metavar="PATH_OR_URL",
        help=f"SQLite file or SQLAlchemy URL (e.g. postgresql+psycopg://host/db); env {ENV_DB}.",
    )(f)


@contextmanager
def broken_pipe_guard() -> Iterator[None]:
    """``plantwarden decode x.pcap | head`` ends quietly (exit 0) when the reader goes away."""
    try:
        yield
    except BrokenPipeError:
        # point stdout at devnull so the interpreter's final flush cannot raise again
        devnull = os.open(os.devnull, os.O_WRONLY)
        with suppress(OSError, ValueError):
            os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)


def echo_json(doc: Any) -> None:
    with broken_pipe_guard():
        # ensure_ascii: wire strings cannot smuggle terminal controls, even C1 ones
        click.echo(json.dumps(doc, indent=2, ensure_ascii=True))


def display_db(db: str) -> str:
    if is_url(db):
        from sqlalchemy.engine import make_url

        try:
            return make_url(db).render_as_string(hide_password=True)
        except Exception:
            return "<database URL>"
    return db


@contextmanager
def open_store(db: str, create: bool) -> Iterator[Any]:
    from sqlalchemy.exc import SQLAlchemyError

    from plantwarden.store.service import Store

    if not create and not is_url(db) and not os.path.exists(db):
        raise click.ClickException(
            f"no database at {safe(db)}: run `plantwarden analyze CAPTURE --db {safe(db)}` first, "
            f"or point --db / {ENV_DB} at an existing one")
    try:
        store = Store(db)
    except (SQLAlchemyError, OSError, PlantwardenError) as exc:
        raise click.ClickException(f"cannot open the database {safe(display_db(db))}: {exc}") from None
    try:
        yield store
    finally:
        store.close()


__all__ = ["DEFAULT_DB", "ENV_DB", "broken_pipe_guard", "db_option", "display_db", "echo_json", "open_store"]
