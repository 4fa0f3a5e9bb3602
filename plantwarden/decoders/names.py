"""How every decoder names a code: its name from a table, or ``unknown-<n>`` (never a failure)."""

from __future__ import annotations

from collections.abc import Mapping


def name_of(table: Mapping[int, str], code: int) -> str:
    """The name of ``code`` in ``table``, or ``unknown-<code>``."""
    name = table.get(code)
    return name if name is not None else f"unknown-{code}"
