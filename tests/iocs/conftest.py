from ..store.conftest import pg_url, target  # noqa: F401  (fixtures shared with the store tests)
