"""Persistence: SQLAlchemy 2 models, Alembic migrations run on open, SQLite by default.

Import what you need from the modules (``store.service.Store``, ``store.target.DEFAULT_DB``): this
package's ``__init__`` stays empty so that light users do not pay for SQLAlchemy's import.
"""
