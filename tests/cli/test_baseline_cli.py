"""``plantwarden analyze --learn / --learn-for`` and ``plantwarden baseline show|accept|remove|clear``, on the
demo plant; the baseline JSON fields are the ones docs/baselines.md documents."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from plantwarden.cli.main import main

from ..conftest import ROOT

HMI, PLC1, PLC2, ATTACKER = "10.10.20.10", "10.10.10.11", "10.10.10.12", "10.10.99.66"
DOC = ROOT / "docs" / "baselines.md"
ROW = re.compile(r"^\| `([a-z_]+)` \|", re.M)


@pytest.fixture
def runner(monkeypatch):
    monkeypatch.delenv("PLANTWARDEN_DB", raising=False)
    return CliRunner()


@pytest.fixture(scope="module")
def caps(tmp_path_factory):
    from plantwarden.demo import generate_demo_capture

    d = tmp_path_factory.mktemp("demo")
    return str(generate_demo_capture(d / "one.pcap", seed=1)), str(generate_demo_capture(d / "two.pcap", seed=2))


def _ok(runner, *args):
    res = runner.invoke(main, list(args))
    assert res.exit_code == 0, res.output
    return res.output


def _alerts(runner, db, *extra):
    return json.loads(_ok(runner, "alerts", "--db", db, "--format", "json", *extra))


def test_learn_for_then_enforce_and_show(runner, caps, tmp_path):
    db = str(tmp_path / "s.db")
    out = _ok(runner, "analyze", caps[0], "--db", db, "--learn-for", "40")
    assert "baseline learned" in out and "2 pairs" in out
    doc = json.loads(_ok(runner, "baseline", "show", "--db", db, "--format", "json"))
    assert {(p["client"], p["server"], p["protocol"]) for p in doc["pairs"]} == {(HMI, PLC1, "modbus"),
                                                                               (HMI, PLC2, "s7comm")}
    table = _ok(runner, "baseline", "show", "--db", db)
    assert "read_holding_registers" in table and "unit1/holding 1" in table and "Modbus holding register" in table
    _ok(runner, "analyze", caps[1], "--db", db)
    talkers = {(a["src"], a["dst"]) for a in _alerts(runner, db, "--detection", "ics.new_talker")}
    assert (ATTACKER, PLC1) in talkers and not any(s == HMI for s, _d in talkers)


def test_learn_raises_no_deviation_and_learns_a_stored_capture_again(runner, caps, tmp_path):
    db = str(tmp_path / "s.db")
    _ok(runner, "analyze", caps[0], "--db", db)
    out = _ok(runner, "analyze", caps[0], "--db", db, "--learn")
    assert "already analysed" in out and "baseline learned" in out
    db2 = str(tmp_path / "t.db")
    _ok(runner, "analyze", caps[0], "--db", db2, "--learn")
    got = {a["detection"] for a in _alerts(runner, db2)}
    assert "ics.plc_stop" in got and "ics.new_talker" not in got and "ics.write_from_unknown_master" not in got
    res = runner.invoke(main, ["analyze", caps[0], "--db", db2, "--learn", "--learn-for", "3"])
    assert res.exit_code != 0 and "exclude" in res.output


def test_accept_remove_clear(runner, caps, tmp_path):
    db = str(tmp_path / "s.db")
    _ok(runner, "analyze", caps[0], "--db", db, "--learn-for", "40")
    _ok(runner, "analyze", caps[1], "--db", db)
    talker = next(a for a in _alerts(runner, db, "--detection", "ics.new_talker")
                  if a["src"] == ATTACKER and a["dst"] == PLC1 and a["state"] == "new")
    out = _ok(runner, "baseline", "accept", str(talker["id"]), "--db", db)
    assert "accepted into the baseline" in out and "1 new pairs" in out
    assert next(a for a in _alerts(runner, db) if a["id"] == talker["id"])["state"] == "resolved"
    stop = _alerts(runner, db, "--detection", "ics.plc_stop")[0]
    res = runner.invoke(main, ["baseline", "accept", str(stop["id"]), "--db", db])
    assert res.exit_code == 1 and "not a baseline deviation" in res.output
    res = runner.invoke(main, ["baseline", "accept", "99999", "--db", db])
    assert res.exit_code == 1 and "no alert with id 99999" in res.output
    assert "removed 1 entries" in _ok(runner, "baseline", "remove", "--client", ATTACKER, "--db", db)
    assert "removed 1 register ranges" in _ok(runner, "baseline", "remove", "--server", PLC1, "--register", "1/0",
                                              "--db", db)
    res = runner.invoke(main, ["baseline", "remove", "--db", db])
    assert res.exit_code == 2 and "say what to remove" in res.output
    res = runner.invoke(main, ["baseline", "remove", "--register", "x", "--db", db])
    assert res.exit_code == 2
    assert "removed 1 functions" in _ok(runner, "baseline", "remove", "--client", HMI, "--server", PLC1,
                                        "--function", "read_coils", "--db", db)
    res = runner.invoke(main, ["baseline", "clear", "--db", db], input="n\n")
    assert res.exit_code == 1 and json.loads(_ok(runner, "baseline", "show", "--db", db, "--format", "json"))["pairs"]
    assert "baseline cleared: 2 pairs" in _ok(runner, "baseline", "clear", "--yes", "--db", db)
    assert "the baseline is empty" in _ok(runner, "baseline", "show", "--db", db)


def test_show_needs_a_database(runner, tmp_path):
    res = runner.invoke(main, ["baseline", "show", "--db", str(tmp_path / "none.db")])
    assert res.exit_code == 1 and "no database" in res.output


def test_every_baseline_json_field_is_documented(runner, caps, tmp_path):
    db = str(tmp_path / "s.db")
    _ok(runner, "analyze", caps[0], "--db", db, "--learn")
    doc = json.loads(_ok(runner, "baseline", "show", "--db", db, "--format", "json"))
    fields = set(doc) | set(doc["pairs"][0]) | set(doc["values"][0])
    documented = set(ROW.findall(DOC.read_text()))
    assert fields - documented == set()
    assert documented - fields == set()
