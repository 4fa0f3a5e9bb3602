"""Fixtures of the web service tests: a store with the demo plant analysed and one account per role,
and signed-in test clients (docs/web.md)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from plantwarden.auth.roles import ROLES

PASSWORD = "a-long-test-password-1"
pytest.importorskip("fastapi")


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with the demo plant analysed and one user per role (name = role)."""
    from plantwarden.demo import generate_demo_capture
    from plantwarden.store.ingest import ingest
    from plantwarden.store.service import Store

    d = tmp_path_factory.mktemp("webdb")
    cap = generate_demo_capture(d / "demo.pcap", seed=1)
    with Store(d / "plantwarden.db") as store:
        ingest(store, cap)
        for role in ROLES:
            store.add_user(role.replace("_", "-"), role, PASSWORD)
    return d / "plantwarden.db"


@pytest.fixture
def db(demo_db: Path, tmp_path: Path) -> Path:
    """A private copy of the demo database (with its audit key), for tests that change things."""
    out = tmp_path / "plantwarden.db"
    shutil.copy(demo_db, out)
    for extra in (".audit-key", ".audit-key.pub"):
        src = Path(str(demo_db) + extra)
        if src.exists():
            shutil.copy(src, str(out) + extra)
    return out


@pytest.fixture
def app(db: Path, tmp_path: Path) -> Iterator[Any]:
    from plantwarden.web.app import create_app

    a = create_app(str(db), uploads=tmp_path / "uploads")
    a.state.zone_model = None
    yield a
    a.state.store.close()


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF field in the page"
    return m.group(1)


def login(client: Any, username: str, password: str = PASSWORD) -> Any:
    page = client.get("/login")
    return client.post("/login", data={"username": username, "password": password, "csrf_token": csrf_of(page.text),
                                       "next": "/"}, follow_redirects=False)


@pytest.fixture
def client_for(app: Any) -> Iterator[Callable[[str | None], Any]]:
    """``client_for(role)``: a TestClient signed in as the user of that role (None: anonymous), sending
    the session's CSRF token on every request as the dashboard's script does."""
    from fastapi.testclient import TestClient

    made: list[Any] = []

    def make(role: str | None) -> Any:
        c = TestClient(app, base_url="http://testserver")
        c.__enter__()
        made.append(c)
        if role is not None:
            r = login(c, role.replace("_", "-"))
            assert r.status_code == 303, r.text
            me = c.get("/settings")
            c.headers["X-CSRF-Token"] = csrf_of(me.text)
        return c

    yield make
    for c in made:
        c.__exit__(None, None, None)
