"""Persistence: SQLAlchemy 2 models, Alembic migrations run on open, SQLite by default."""

from plantwarden.store.db import DEFAULT_DB, ENV_DB, to_url
from plantwarden.store.service import CaptureInfo, Store, sha256_file

__all__ = ["DEFAULT_DB", "ENV_DB", "CaptureInfo", "Store", "sha256_file", "to_url"]
