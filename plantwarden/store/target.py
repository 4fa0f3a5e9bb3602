"""Where the store lives: a SQLite path or a SQLAlchemy URL. Standard library only, so that the CLI
can name its defaults without importing SQLAlchemy and Alembic (which cost most of its start-up)."""

from __future__ import annotations

import os

DEFAULT_DB = os.path.join("data", "plantwarden.db")
ENV_DB = "PLANTWARDEN_DB"


def is_url(target: str) -> bool:
    return "://" in target


def to_url(target: str | os.PathLike[str]) -> str:
    """A SQLAlchemy URL for ``target``: URLs pass through, anything else is a SQLite file path."""
    text = os.fspath(target)
    if is_url(text):
        return text
    return "sqlite:///" + os.path.abspath(text)
