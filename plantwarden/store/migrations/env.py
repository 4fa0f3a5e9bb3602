"""Alembic environment of the plantwarden store.

The store runs the migrations in code (``plantwarden.store.db.upgrade``) and hands over its open
connection in ``config.attributes["connection"]``. For development, ``sqlalchemy.url`` in the
config is used instead (e.g. ``alembic -x`` style invocations with a hand-made Config).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from plantwarden.store.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection given and no sqlalchemy.url set")
    engine = create_engine(url)
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
