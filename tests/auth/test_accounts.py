"""Accounts, roles and API tokens (plantwarden/auth, docs/accounts.md), on SQLite and PostgreSQL, with
every change in the audit log and no secret in it."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from plantwarden.auth.roles import PERMISSIONS, ROLES, allowed
from plantwarden.cli.main import main
from plantwarden.core.errors import Conflict, InvalidInput, NotFound
from plantwarden.store.service import Store

from ..store.conftest import pg_url, target  # noqa: F401

PW = "correct horse battery"


@pytest.fixture(autouse=True)
def key_beside(tmp_path, monkeypatch):
    monkeypatch.setenv("PLANTWARDEN_AUDIT_KEY", str(tmp_path / "audit.key"))


def test_users_passwords_roles(target: str) -> None:  # noqa: F811
    with Store(target) as store:
        u = store.add_user("ops.eng", "ot_engineer", PW)
        assert (u.username, u.role, u.disabled) == ("ops.eng", "ot_engineer", False)
        with pytest.raises(Conflict):
            store.add_user("ops.eng", "viewer", PW)
        assert store.authenticate("ops.eng", PW).role == "ot_engineer"
        assert store.authenticate("ops.eng", PW + "x") is None
        assert store.authenticate("nobody", PW) is None
        store.set_user_role("ops.eng", "analyst")
        store.set_user_password("ops.eng", "another long password")
        assert store.authenticate("ops.eng", PW) is None
        assert store.authenticate("ops.eng", "another long password").role == "analyst"
        store.set_user_disabled("ops.eng", True)
        assert store.authenticate("ops.eng", "another long password") is None
        log = store.audit_entries()
    assert [e.action for e in log] == ["user.add", "user.login", "user.login_failed", "user.login_failed",
                                       "user.role", "user.password", "user.login_failed", "user.login",
                                       "user.disable", "user.login_failed"]
    assert PW not in json.dumps([e.__repr__() for e in log]) and "another long" not in repr(log)
    assert log[4].before == {"role": "ot_engineer"} and log[4].after == {"role": "analyst"}


@pytest.mark.parametrize(("name", "role", "password"), [
    ("Upper", "viewer", PW), ("a b", "viewer", PW), ("", "viewer", PW), ("ok", "root", PW), ("ok", "viewer", "short"),
])
def test_bad_accounts_are_refused(tmp_path, name, role, password) -> None:
    with Store(str(tmp_path / "s.sqlite")) as store:
        with pytest.raises(InvalidInput):
            store.add_user(name, role, password)
        assert store.users() == []


def test_api_tokens(target: str) -> None:  # noqa: F811
    with Store(target) as store:
        store.add_user("siem", "auditor", PW)
        tid, secret = store.create_token("siem", "siem-export")
        assert secret.startswith("pwt_") and len(secret) > 40
        assert store.token_user(secret).username == "siem"
        assert store.token_user(secret + "x") is None and store.token_user("not-a-token") is None
        store.revoke_token(tid)
        assert store.token_user(secret) is None
        _, second = store.create_token("siem", "again")
        store.set_user_disabled("siem", True)
        assert store.token_user(second) is None  # disabling revokes
        with pytest.raises(NotFound):
            store.revoke_token(999)
        actions = [e.action for e in store.audit_entries()]
        assert secret not in repr(store.audit_entries())
    assert actions == ["user.add", "token.create", "token.revoke", "token.create", "user.disable"]


def test_role_matrix() -> None:
    assert ROLES == ("viewer", "auditor", "analyst", "ot_engineer", "admin")
    table = {p: [r for r in ROLES if allowed(r, p)] for p in PERMISSIONS}
    assert table["dashboards.read"] == list(ROLES)
    assert table["audit.read"] == ["auditor", "admin"]
    assert table["alerts.triage"] == ["analyst", "ot_engineer", "admin"]
    assert table["baselines.edit"] == table["captures.upload"] == table["tags.edit"] == ["ot_engineer", "admin"]
    assert table["users.admin"] == table["tokens.admin"] == table["settings.edit"] == ["admin"]
    assert not any(allowed("auditor", p) for p in PERMISSIONS if p.endswith((".edit", ".triage", ".upload",
                                                                              ".admin", ".note")))
    assert not allowed("admin", "no.such.permission")


def test_cli(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("PLANTWARDEN_DB", raising=False)
    db = str(tmp_path / "s.sqlite")
    r = CliRunner()
    res = r.invoke(main, ["user", "add", "admin", "--role", "admin", "--db", db])
    assert res.exit_code == 0 and "password (shown once): " in res.output
    generated = res.output.rsplit(": ", 1)[1].strip()
    with Store(db) as store:
        assert store.authenticate("admin", generated).role == "admin"
    res = r.invoke(main, ["user", "add", "op", "--role", "viewer", "--password-stdin", "--db", db], input=PW + "\n")
    assert res.exit_code == 0 and PW not in res.output
    assert r.invoke(main, ["user", "add", "op", "--role", "viewer", "--db", db]).exit_code == 1
    assert r.invoke(main, ["user", "role", "op", "analyst", "--db", db]).exit_code == 0
    doc = json.loads(r.invoke(main, ["user", "list", "--format", "json", "--db", db]).output)
    assert [(d["username"], d["role"]) for d in doc] == [("admin", "admin"), ("op", "analyst")]
    res = r.invoke(main, ["user", "token", "op", "--name", "ci", "--db", db])
    assert res.exit_code == 0 and "pwt_" in res.output
    assert r.invoke(main, ["user", "revoke", "1", "--db", db]).exit_code == 0
    assert r.invoke(main, ["user", "disable", "op", "--db", db]).exit_code == 0
    assert r.invoke(main, ["user", "enable", "op", "--db", db]).exit_code == 0
    res = r.invoke(main, ["user", "passwd", "op", "--password-stdin", "--db", db], input="short\n")
    assert res.exit_code == 1 and "at least 12" in res.output
    res = r.invoke(main, ["user", "role", "\x1b[31mghost", "viewer", "--db", db])
    assert res.exit_code == 1 and "\x1b" not in res.output
    log = json.loads(r.invoke(main, ["audit", "log", "--format", "json", "--db", db]).output)
    assert [d["action"] for d in log] == ["user.add", "user.login", "user.add", "user.role", "token.create", "token.revoke",
                                          "user.disable", "user.enable"]
    assert generated not in json.dumps(log) and PW not in json.dumps(log)
