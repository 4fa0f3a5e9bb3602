"""``plantwarden ioc import|list|remove`` and the indicators reaching ``analyze``."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from plantwarden.cli.main import main

from ..iocs.stixdata import bundle, indicator

ATTACKER = "10.10.99.66"


@pytest.fixture
def runner(monkeypatch):
    monkeypatch.delenv("PLANTWARDEN_DB", raising=False)
    return CliRunner()


def run(runner, *args, code=0):
    res = runner.invoke(main, [str(a) for a in args])
    assert res.exit_code == code, res.output
    return res.output


def listed(runner, db, *args):
    return json.loads(run(runner, "ioc", "list", "--db", db, "--format", "json", *args))


def test_import_csv_and_stix_list_and_remove(runner, tmp_path, target):
    csv = tmp_path / "list.csv"
    csv.write_text("type,value,description\nip,198.51.100.7,C2\ndomain,evil.example\nhostname,x\nip,300.1.1.1\n")
    out = run(runner, "ioc", "import", csv, "--db", target)
    assert "list.csv: 2 indicators (1 ip, 1 domain): 2 added, 0 updated, 0 unchanged; 2 skipped" in out
    assert "skipped 1: unknown type 'hostname'" in out and "skipped 1: invalid value: not an IP address" in out
    stix = tmp_path / "feed.json"
    stix.write_text(bundle(indicator("[url:value = 'http://evil.example/x'] OR [file:name = 'a']", 1,
                                     valid_until="2030-01-01T00:00:00Z"),
                           {"type": "identity", "spec_version": "2.1", "id": "identity--" + "1" * 8 + "-1111-4111-8111-" + "1" * 12,
                            "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z", "name": "cti"}))
    out = run(runner, "ioc", "import", stix, "--db", target, "--source", "vendor-x")
    assert "1 indicators (1 url): 1 added" in out and "1 skipped, 1 other STIX objects ignored" in out
    items = listed(runner, target)
    assert [(i["kind"], i["value"], i["source"]) for i in items] == [
        ("ip", "198.51.100.7", "list.csv"), ("domain", "evil.example", "list.csv"),
        ("url", "http://evil.example/x", "vendor-x")]
    assert set(items[2]) == {"id", "kind", "value", "source", "description", "stix_id", "valid_from", "valid_until"}
    assert items[2]["valid_until"] == 1893456000.0 and items[2]["stix_id"].startswith("indicator--")
    assert [i["value"] for i in listed(runner, target, "--kind", "url")] == ["http://evil.example/x"]
    assert [i["value"] for i in listed(runner, target, "--source", "list.csv")] == ["198.51.100.7", "evil.example"]
    table = run(runner, "ioc", "list", "--db", target)
    assert "198.51.100.7" in table and "vendor-x" in table and "2030-01-01" in table
    again = run(runner, "ioc", "import", csv, "--db", target)
    assert "0 added, 0 updated, 2 unchanged" in again
    assert run(runner, "ioc", "remove", items[0]["id"], "--db", target) == (
        f"removed indicator {items[0]['id']}: ip 198.51.100.7 (list.csv)\n")
    assert "no indicator with id" in run(runner, "ioc", "remove", items[0]["id"], "--db", target, code=1)
    assert run(runner, "ioc", "list", "--db", target, "--kind", "sha1") == "no indicators matching the filters\n"


@pytest.mark.parametrize(("content", "message"), [
    (b"{not json", "not JSON"),
    (b'{"type": "bundle", "objects": []}', "no usable indicator (0 skipped)"),
    (b"\xff\xfe\x00\x01", "not UTF-8"),
    (b"mutex,Global\\x\nregistry,HKLM\n", "no usable indicator (2 skipped)"),
])
def test_bad_input_is_a_message_not_a_crash(runner, tmp_path, content, message):
    f = tmp_path / "bad.txt"
    f.write_bytes(content)
    db = tmp_path / "x.db"
    out = run(runner, "ioc", "import", f, "--db", db, code=1)
    assert message in out and "Traceback" not in out
    assert "nothing imported" in out


def test_hostile_strings_are_escaped_in_the_output(runner, tmp_path):
    f = tmp_path / "evil.csv"
    f.write_text("domain,evil.example,\x1b[2J\u202erm -rf\n\x1b]0;x\x07,y\n")
    db = tmp_path / "x.db"
    out = run(runner, "ioc", "import", f, "--db", db, "--source", "s\x1bource")
    assert "\x1b" not in out and "\u202e" not in out and "\\x1b" in out
    table = run(runner, "ioc", "list", "--db", db)
    assert "\x1b" not in table and "\u202e" not in table


def test_missing_file_and_database(runner, tmp_path):
    out = run(runner, "ioc", "import", tmp_path / "nope.csv", "--db", tmp_path / "x.db", code=1)
    assert "cannot read" in out and "No such file" in out and not (tmp_path / "x.db").exists()
    out = run(runner, "ioc", "list", "--db", tmp_path / "none.db", code=1)
    assert "no database at" in out


def test_analyze_matches_the_imported_indicators(runner, tmp_path):
    from plantwarden.demo import generate_demo_capture

    cap = generate_demo_capture(tmp_path / "demo.pcap")
    db = tmp_path / "a.db"
    feed = tmp_path / "feed.csv"
    feed.write_text(f"ip,{ATTACKER},attacker workstation\n")
    run(runner, "ioc", "import", feed, "--db", db)
    run(runner, "analyze", cap, "--db", db)
    alerts = json.loads(run(runner, "alerts", "--db", db, "--format", "json", "--detection", "ioc.match"))
    assert alerts and all(ATTACKER in (a["src"], a["dst"]) for a in alerts)
    assert {a["technique"] for a in alerts} == {"T0869"}
    assert alerts[0]["evidence"][0]["details"]["indicator_description"] == "attacker workstation"
