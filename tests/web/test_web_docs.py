"""docs/web.md lists every route with the permission it needs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .test_rbac import _permission, _routes

DOC = Path(__file__).resolve().parents[2] / "docs" / "web.md"


def test_route_table_is_complete_and_true(app: Any) -> None:
    rows = dict(re.findall(r"^\| `([A-Z]+ /[^`]*)` \| ([^|]+) \|$", DOC.read_text(), re.M))
    seen = set()
    for method, path, route in _routes(app):
        guarded, perm = _permission(route)
        want = f"`{perm}`" if perm else ("signed in" if guarded else "anyone")
        key = f"{method} {path}"
        assert rows.get(key, "").strip() == want, (key, rows.get(key), want)
        seen.add(key)
    assert set(rows) == seen, set(rows) - seen
