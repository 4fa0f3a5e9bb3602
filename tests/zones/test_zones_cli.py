"""``plantwarden zones propose|check`` end to end over the demo store."""

from __future__ import annotations

import json

import yaml
from click.testing import CliRunner

from plantwarden.cli.main import main
from plantwarden.zones.check import check
from plantwarden.zones.model import load_model
from plantwarden.zones.propose import propose_yaml

from .conftest import ATTACKER, EWS, HMI, M340, S7
from .test_check import MODEL


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_the_proposal_is_accepted_with_zero_violations(demo):
    text = propose_yaml(demo.assets, demo.comms)
    report = check(load_model(text), demo.assets, demo.comms)
    assert report.violations == [] and report.unzoned_assets == [] and report.unplaced == []
    doc = yaml.safe_load(text)
    assert [(z["name"], z["purdue_level"], z["members"]["cidrs"]) for z in doc["zones"]] == [
        ("level1-control", 1, [f"{M340}/32", f"{S7}/32"]),
        ("level2-supervisory", 2, [f"{HMI}/32", f"{EWS}/32", f"{ATTACKER}/32"])]
    (c,) = doc["conduits"]
    assert c == {"name": "level1-control--level2-supervisory", "zones": ["level1-control", "level2-supervisory"],
                 "protocols": [{"protocol": "modbus", "ports": [502]}, {"protocol": "s7comm", "ports": [102]}],
                 "function_classes": ["read", "write", "program", "mode", "diagnostic"],
                 "initiators": ["level2-supervisory"]}


def test_propose_then_check_on_the_command_line(demo, tmp_path):
    r = run("zones", "propose", "--db", demo.db)
    assert r.exit_code == 0 and r.output.startswith("# plantwarden zones model")
    (tmp_path / "model.yaml").write_text(r.output)
    r = run("zones", "check", str(tmp_path / "model.yaml"), "--db", demo.db)
    assert r.exit_code == 0, r.output
    assert r.output.startswith("0 violation(s): 6 cross-zone, 0 intra-zone, 0 unplaced communication(s)")


def test_check_reports_violations_with_exit_status_1(demo, tmp_path):
    (tmp_path / "m.yaml").write_text(MODEL)
    r = run("zones", "check", str(tmp_path / "m.yaml"), "--db", demo.db)
    assert r.exit_code == 1
    assert r.output.startswith("5 violation(s)")
    assert "function_class_not_allowed" in r.output and r.output.count("no_conduit") == 3
    r = run("zones", "check", str(tmp_path / "m.yaml"), "--db", demo.db, "--format", "json")
    assert r.exit_code == 1 and json.loads(r.output)["summary"]["violations"] == 5
    r = run("zones", "check", str(tmp_path / "m.yaml"), "--db", demo.db, "--format", "html")
    assert r.exit_code == 1 and r.output.startswith("<!DOCTYPE html>") and "no_conduit" in r.output


def test_assets_in_no_zone_in_the_table(demo, tmp_path):
    (tmp_path / "m.yaml").write_text("zones: [{name: plcs, sl_t: 2, members: {tags: [role-plc]}}]")
    r = run("zones", "check", str(tmp_path / "m.yaml"), "--db", demo.db)
    assert r.exit_code == 0
    assert "3 asset(s) in no zone" in r.output and "assets in no zone:" in r.output and ATTACKER in r.output


def test_a_broken_model_is_exit_status_2_with_every_error(demo, tmp_path):
    (tmp_path / "bad.yaml").write_text("zones: [{name: a, sl_t: 9}, {name: b}]\n")
    r = CliRunner().invoke(main, ["zones", "check", str(tmp_path / "bad.yaml"), "--db", demo.db])
    assert r.exit_code == 2
    assert "bad.yaml: zones[0].sl_t: must be an integer from 1 to 4, not 9" in r.output
    assert "bad.yaml: zones[1].sl_t: is required" in r.output
    r = CliRunner().invoke(main, ["zones", "check", str(tmp_path / "missing.yaml"), "--db", demo.db])
    assert r.exit_code == 2 and "cannot read the model" in r.output


def test_no_database_is_an_error_and_is_not_created(tmp_path):
    (tmp_path / "m.yaml").write_text(MODEL)
    r = CliRunner().invoke(main, ["zones", "check", str(tmp_path / "m.yaml"), "--db", str(tmp_path / "x.db")])
    assert r.exit_code == 1 and "no database" in r.output and not (tmp_path / "x.db").exists()
    r = CliRunner().invoke(main, ["zones", "propose", "--db", str(tmp_path / "x.db")])
    assert r.exit_code == 1 and not (tmp_path / "x.db").exists()
