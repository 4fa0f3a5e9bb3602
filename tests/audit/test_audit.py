"""The tamper-evident audit log (plantwarden/audit/log.py, docs/audit.md): the chain, the signed
checkpoints, verification against edits, deletions, reordering, forged signatures and cut tails, on
SQLite and PostgreSQL, and the changes the CLI makes."""

from __future__ import annotations

import json
import os
import sqlite3
import threading

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from plantwarden.audit import log as audit
from plantwarden.audit.log import load_public_key, public_path
from plantwarden.baseline.windows import ChangeWindow
from plantwarden.cli.main import main
from plantwarden.core.errors import InvalidInput
from plantwarden.store.service import Store

from ..store.conftest import pg_url, target  # noqa: F401


@pytest.fixture(autouse=True)
def key_beside(tmp_path, monkeypatch):
    """Every store's signing key in this test's folder (a PostgreSQL URL has no folder of its own)."""
    monkeypatch.setenv(audit.ENV_KEY, str(tmp_path / "audit.key"))
    return tmp_path / "audit.key"


def _changes(store: Store, n: int = 5, prefix: str = "t") -> None:
    for i in range(n):
        store.add_tags(f"{prefix}{i}", [f"10.0.0.{i + 1}"], note=f"note {i}")


def _verify(store: Store, key_path):
    return store.audit_verify(load_public_key(public_path(key_path)))


def test_entries_chain_and_verify(target: str, key_beside) -> None:  # noqa: F811
    with Store(target, actor="cli:alice") as store:
        _changes(store, 3)
        store.add_window(ChangeWindow(1000.0, 2000.0, ["10.0.0.1"], [], "bob", "WO-7"))
        store.remove_tags("t0")
        assert store.audit_checkpoint() == 5
        _changes(store, 2, "u")
        entries = store.audit_entries()
        v = _verify(store, key_beside)
    assert [e.action for e in entries] == ["tag.add"] * 3 + ["window.add", "tag.remove"] + ["tag.add"] * 2
    assert [e.seq for e in entries] == list(range(1, 8)) and entries[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(entries, entries[1:], strict=False))
    assert entries[0].actor == "cli:alice" and entries[0].after == {"addresses": ["10.0.0.1"], "note": "note 0"}
    assert entries[4].before == {"addresses": ["10.0.0.1"]} and entries[4].after is None
    assert (v.ok, v.entries, v.checkpoints, v.sealed_to, v.unsealed) == (True, 7, 1, 5, 2)
    assert oct(os.stat(key_beside).st_mode & 0o777) == "0o600"


def _sql(where: str, statement: str) -> None:
    if "://" in where:
        from sqlalchemy import create_engine

        eng = create_engine(where)
        with eng.begin() as c:
            for part in statement.split(";"):
                c.execute(text(part))
        eng.dispose()
    else:
        with sqlite3.connect(where) as c:
            c.executescript(statement)


@pytest.mark.parametrize(("statement", "seq", "words"), [
    ("UPDATE audit_entries SET actor = 'cli:mallory' WHERE seq = 2", 2, "was edited"),
    ("UPDATE audit_entries SET after = '{\"addresses\": [\"10.0.0.9\"], \"note\": \"note 1\"}' WHERE seq = 2", 2,
     "was edited"),
    ("UPDATE audit_entries SET at = at + 1 WHERE seq = 3", 3, "was edited"),
    ("DELETE FROM audit_entries WHERE seq = 2", 2, "deleted or moved"),
    # two rows change places (their row ids swapped): the walk is in row order
    ("UPDATE audit_entries SET id = 1000 WHERE seq = 2; UPDATE audit_entries SET id = 2 WHERE seq = 3; "
     "UPDATE audit_entries SET id = 3 WHERE seq = 2", 2, "deleted or moved"),
    ("UPDATE audit_checkpoints SET signature = '" + "ab" * 64 + "'", 4, "bad signature"),
    ("UPDATE audit_checkpoints SET hash = '" + "0" * 64 + "'", 4, "bad signature"),
    ("DELETE FROM audit_entries WHERE seq >= 4", 4, "the log was cut after entry 3"),
])
def test_tampering_is_caught_and_the_first_bad_entry_named(target: str, key_beside, statement, seq,  # noqa: F811
                                                          words) -> None:
    with Store(target) as store:
        _changes(store, 4)
        store.audit_checkpoint()
        if "cut" not in words:
            _changes(store, 1, "u")
        assert _verify(store, key_beside).ok
    _sql(target, statement)
    with Store(target) as store:
        v = _verify(store, key_beside)
    assert not v.ok
    assert v.problems[0][0] == seq and words in v.problems[0][1], v.problems


def test_a_rewritten_chain_does_not_match_its_checkpoint(target: str, key_beside) -> None:  # noqa: F811
    """An attacker with the database but not the key recomputes every hash after an edit: the signed
    checkpoint still holds the old hash."""
    with Store(target) as store:
        _changes(store, 3)
        store.audit_checkpoint()
    _sql(target, "UPDATE audit_entries SET actor = 'cli:mallory' WHERE seq = 1")
    with Store(target) as store:
        with store._sessions.begin() as s:
            from plantwarden.store.models import AuditEntryRow

            prev = audit.GENESIS
            for r in s.query(AuditEntryRow).order_by(AuditEntryRow.seq):
                r.prev_hash = prev
                r.hash = prev = audit.entry_hash(r.seq, r.at, r.actor, r.action, r.object, r.before, r.after, prev)
        v = _verify(store, key_beside)
    assert not v.ok and v.problems[0] == (3, "entry 3 is not the entry its checkpoint sealed: the chain was rewritten")


def test_checkpoints_every_n_entries(tmp_path, key_beside, monkeypatch) -> None:
    monkeypatch.setattr(audit, "CHECKPOINT_EVERY", 3)
    with Store(str(tmp_path / "s.sqlite")) as store:
        _changes(store, 7)
        v = _verify(store, key_beside)
    assert (v.ok, v.checkpoints, v.sealed_to, v.unsealed) == (True, 2, 6, 1)


def test_another_key_does_not_verify(tmp_path, key_beside) -> None:
    with Store(str(tmp_path / "s.sqlite")) as store:
        _changes(store, 2)
        store.audit_checkpoint()
        other = tmp_path / "other.key"
        audit.load_or_create_key(other)
        v = store.audit_verify(load_public_key(public_path(other)))
    assert not v.ok and "signed by another key" in v.problems[0][1]


def test_a_readable_key_file_is_refused(tmp_path, key_beside) -> None:
    audit.load_or_create_key(key_beside)
    os.chmod(key_beside, 0o644)
    with Store(str(tmp_path / "s.sqlite")) as store, pytest.raises(InvalidInput, match="chmod 600"):
        store.add_tags("t", ["10.0.0.1"])
    with Store(str(tmp_path / "s.sqlite")) as store:
        assert store.tags() == []  # the change and its audit entry go together, or neither


def test_concurrent_appenders_never_fork_the_chain(target: str, key_beside) -> None:  # noqa: F811
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            with Store(target) as store:
                for i in range(15):
                    store.add_tags(f"w{k}-{i}", [f"10.1.{k}.{i + 1}"])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    Store(target).close()  # the schema first: migrations are not made to run concurrently
    threads = [threading.Thread(target=work, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    with Store(target) as store:
        entries = store.audit_entries()
        v = _verify(store, key_beside)
    assert [e.seq for e in entries] == list(range(1, 46)) and v.ok


def test_cli_verify_log_checkpoint(tmp_path, key_beside, monkeypatch) -> None:
    monkeypatch.delenv("PLANTWARDEN_DB", raising=False)
    db = str(tmp_path / "s.sqlite")
    r = CliRunner()
    assert r.invoke(main, ["tag", "add", "historian", "10.1.3.5", "--db", db]).exit_code == 0
    res = r.invoke(main, ["window", "add", "--start", "2024-03-12T08:00:00Z", "--end", "2024-03-12T09:00:00Z",
                          "--note", "<script>alert(1)</script>\x1b[31m", "--db", db])
    assert res.exit_code == 0, res.output
    assert "signed up to entry 2" in r.invoke(main, ["audit", "checkpoint", "--db", db]).output
    res = r.invoke(main, ["audit", "verify", "--db", db])
    assert res.exit_code == 0 and "intact: 2 entries, 1 signed checkpoints" in res.output
    res = r.invoke(main, ["audit", "log", "--db", db])
    assert res.exit_code == 0 and "window.add" in res.output and "\x1b" not in res.output
    doc = json.loads(r.invoke(main, ["audit", "log", "--db", db, "--format", "json"]).output)
    assert [d["action"] for d in doc] == ["tag.add", "window.add"] and doc[0]["actor"].startswith("cli:")
    _sql(db, "UPDATE audit_entries SET actor = 'cli:mallory' WHERE seq = 1")
    res = r.invoke(main, ["audit", "verify", "--db", db, "--format", "json"])
    assert res.exit_code == 1 and json.loads(res.output)["problems"][0]["seq"] == 1
    res = r.invoke(main, ["audit", "verify", "--db", db, "--public-key", str(tmp_path / "nope.pub")])
    assert res.exit_code == 2 and "cannot read the audit public key" in res.output
