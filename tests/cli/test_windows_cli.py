"""``plantwarden window add|list|remove`` and approved changes in ``plantwarden alerts``, on the demo plant."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from plantwarden.cli.main import main

EWS, PLC2, ATTACKER = "10.10.20.50", "10.10.10.12", "10.10.99.66"
CHANGES = {"ics.plc_stop", "ics.program_download", "ics.operating_mode_change"}


@pytest.fixture
def runner(monkeypatch):
    monkeypatch.delenv("PLANTWARDEN_DB", raising=False)
    return CliRunner()


@pytest.fixture(scope="module")
def cap(tmp_path_factory):
    from plantwarden.demo import generate_demo_capture

    return str(generate_demo_capture(tmp_path_factory.mktemp("demo") / "demo.pcap", seed=1))


def _ok(runner, *args):
    res = runner.invoke(main, list(args))
    assert res.exit_code == 0, res.output
    return res.output


def _alerts(runner, db, *extra):
    return json.loads(_ok(runner, "alerts", "--db", db, "--format", "json", *extra))


def _add(runner, db, *extra):
    return _ok(runner, "window", "add", "--start", "2024-03-12T08:00:40Z", "--end", "2024-03-12 08:01:00",
               "--asset", PLC2, "--host", EWS, "--person", "Ann Smith", "--note", "WO-1234 OB1 update", "--db", db,
               *extra)


def test_engineering_download_inside_a_window_is_approved(runner, cap, tmp_path):
    db = str(tmp_path / "s.db")
    out = _add(runner, db)
    assert "change window 1: 2024-03-12 08:00:40 .. 2024-03-12 08:01:00 UTC" in out and "Ann Smith" in out
    out = _ok(runner, "analyze", cap, "--db", db)
    assert "approved changes inside change windows" in out
    approved = _alerts(runner, db, "--state", "approved")
    assert {a["detection"] for a in approved} == CHANGES
    assert all(a["src"] == EWS and a["state_reason"] == "change window 1 by Ann Smith: WO-1234 OB1 update"
               for a in approved)
    default = _alerts(runner, db)
    assert default and not [a for a in default if a["state"] == "approved" or a["src"] == EWS]
    assert [a["src"] for a in default if a["detection"] == "ics.plc_stop"] == [ATTACKER]  # outside: it alerts
    assert "approved" in _ok(runner, "alerts", "--db", db, "--state", "approved")


def test_a_window_added_after_the_analysis(runner, cap, tmp_path):
    db = str(tmp_path / "s.db")
    _ok(runner, "analyze", cap, "--db", db)
    assert {a["detection"] for a in _alerts(runner, db) if a["src"] == EWS} == CHANGES
    assert "3 stored alerts approved" in _add(runner, db)
    assert not [a for a in _alerts(runner, db) if a["src"] == EWS]


def test_list_and_remove(runner, tmp_path):
    db = str(tmp_path / "s.db")
    _add(runner, db)
    _ok(runner, "window", "add", "--start", "2024-03-13T10:00:00+02:00", "--end", "2024-03-13T11:00:00+02:00",
        "--db", db)
    table = _ok(runner, "window", "list", "--db", db)
    assert "WO-1234" in table and "any" in table
    doc = json.loads(_ok(runner, "window", "list", "--db", db, "--format", "json"))
    assert [w["start"] for w in doc] == [1710230440.0, 1710316800.0]
    assert set(doc[0]) == {"id", "start", "end", "assets", "hosts", "person", "note", "created_at"}
    assert doc[0]["assets"] == [PLC2] and doc[0]["hosts"] == [EWS] and doc[1]["assets"] == []
    assert "change window 1 removed" in _ok(runner, "window", "remove", "1", "--db", db)
    res = runner.invoke(main, ["window", "remove", "1", "--db", db])
    assert res.exit_code == 1 and "no change window with id 1" in res.output
    _ok(runner, "window", "remove", "2", "--db", db)
    assert "no change windows" in _ok(runner, "window", "list", "--db", db)


def test_bad_times(runner, tmp_path):
    db = str(tmp_path / "s.db")
    res = runner.invoke(main, ["window", "add", "--start", "yesterday", "--end", "2024-03-12T08:00:00Z", "--db", db])
    assert res.exit_code == 2 and "not an ISO 8601 time" in res.output
    res = runner.invoke(main, ["window", "add", "--start", "2024-03-12T09:00:00Z", "--end", "2024-03-12T08:00:00Z",
                               "--db", db])
    assert res.exit_code == 2 and "the end is before the start" in res.output


def test_every_window_json_field_is_documented(runner, tmp_path):
    import re

    from ..conftest import ROOT

    db = str(tmp_path / "s.db")
    _add(runner, db)
    doc = json.loads(_ok(runner, "window", "list", "--db", db, "--format", "json"))
    text = (ROOT / "docs" / "change-windows.md").read_text().split("## JSON", 1)[1]
    assert set(re.findall(r"^\| `([a-z_]+)` \|", text, re.M)) == set(doc[0])
