"""Store targets for the tests: a fresh SQLite file, and a fresh PostgreSQL schema when the server runs."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from ..conftest import IN_CI

#: the PostgreSQL server of the development machine (trust auth); override with PLANTWARDEN_TEST_PG
PG_URL = os.environ.get("PLANTWARDEN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_or_skip() -> str:
    from sqlalchemy import create_engine, text

    try:
        import psycopg  # noqa: F401
    except ImportError:
        reason = "psycopg is not installed (pip install -e '.[postgres]')"
    else:
        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as c:
                c.execute(text("select 1"))
            return PG_URL
        except Exception as exc:
            reason = f"PostgreSQL at {PG_URL} is unreachable ({type(exc).__name__})"
        finally:
            engine.dispose()
    if IN_CI:
        pytest.fail(reason + "; CI must run the PostgreSQL tests")
    pytest.skip(reason)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A SQLAlchemy URL whose connections use a schema of their own, dropped afterwards."""
    from sqlalchemy import create_engine, text

    base = _pg_or_skip()
    schema = f"pw_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def target(request, tmp_path) -> str:
    """Where a test store lives: a SQLite file path, or a PostgreSQL URL with its own schema."""
    if request.param == "sqlite":
        return str(tmp_path / "sub" / "store.db")
    return request.getfixturevalue("pg_url")
