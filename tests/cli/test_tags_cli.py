"""``plantwarden tag add|remove|list``, and stored tags placing assets in zones (docs/tags.md)."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from plantwarden.cli.main import main

from ..zones.conftest import HMI, M340, S7, demo  # noqa: F401  (the demo store fixture)


@pytest.fixture
def runner(monkeypatch):
    monkeypatch.delenv("PLANTWARDEN_DB", raising=False)
    return CliRunner()


def _run(runner, *args, code=0):
    res = runner.invoke(main, list(args))
    assert res.exit_code == code, res.output
    return res.output


def test_add_list_remove(runner, tmp_path) -> None:
    db = str(tmp_path / "t.sqlite")
    assert "2 address(es) added" in _run(runner, "tag", "add", "historian", "10.1.3.5", "00-1B-1B-AA-BB-CC",
                                         "--note", "TK-12", "--db", db)
    assert "all had it already" in _run(runner, "tag", "add", "historian", "10.1.3.5", "--db", db)
    doc = json.loads(_run(runner, "tag", "list", "--format", "json", "--db", db))
    assert [(d["tag"], d["address"], d["note"]) for d in doc] == [
        ("historian", "00:1b:1b:aa:bb:cc", "TK-12"), ("historian", "10.1.3.5", "TK-12")]
    assert "historian" in _run(runner, "tag", "list", "--db", db)
    assert "removed from 10.1.3.5" in _run(runner, "tag", "remove", "historian", "10.1.3.5", "--db", db)
    assert "removed from 00:1b:1b:aa:bb:cc" in _run(runner, "tag", "remove", "historian", "--db", db)
    assert _run(runner, "tag", "list", "--db", db).strip() == "no tags"
    assert "no tag 'historian'" in _run(runner, "tag", "remove", "historian", "--db", db, code=1)


def test_bad_input_is_a_usage_error_and_hostile_text_is_escaped(runner, tmp_path) -> None:
    db = str(tmp_path / "t.sqlite")
    out = _run(runner, "tag", "add", "ok", "\x1b[31m<b>", "--db", db, code=2)
    assert "not an IP address or a MAC" in out and "\x1b" not in out
    assert "role-" in _run(runner, "tag", "add", "role-plc", "10.0.0.1", "--db", db, code=2)
    assert _run(runner, "tag", "list", "--db", db).strip() == "no tags"


MODEL = """
zones:
  - {name: control, sl_t: 3, members: {cidrs: [10.10.10.0/24]}}
  - {name: scada, sl_t: 2, members: {tags: [operator-station]}}
conduits:
  - {zones: [control, scada], protocols: [modbus, s7comm], function_classes: [read, write, diagnostic], initiators: [scada]}
"""


def test_stored_tags_place_assets_in_zones(runner, tmp_path, demo) -> None:  # noqa: F811
    db = str(tmp_path / "demo.sqlite")
    shutil.copy(demo.db, db)
    model = tmp_path / "zones.yaml"
    model.write_text(MODEL)
    before = json.loads(_run(runner, "zones", "check", str(model), "--db", db, "--format", "json", code=0))
    assert HMI in {a["ip"] for a in before["assets_without_zone"]}
    _run(runner, "tag", "add", "operator-station", HMI, "--db", db)
    after = json.loads(_run(runner, "zones", "check", str(model), "--db", db, "--format", "json", code=0))
    assert HMI not in {a["ip"] for a in after["assets_without_zone"]}
    scada = next(c for c in after["conduits"] if c["name"] == "control--scada")
    assert {(o["client"], o["server"]) for o in scada["observed"]} == {(HMI, M340), (HMI, S7)}
    assert scada["violations"] == []
