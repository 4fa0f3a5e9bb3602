"""The plantwarden command, through click's CliRunner (and one real pipe)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from plantwarden.cli.main import main

from ..conftest import need_shared

COMMON = ["capture", "ts", "frame", "proto", "event", "src", "sport", "dst", "dport", "is_orig"]


@pytest.fixture
def runner(monkeypatch):
    monkeypatch.delenv("PLANTWARDEN_DB", raising=False)
    return CliRunner()


@pytest.fixture(scope="module")
def demo_cap(tmp_path_factory):
    from plantwarden.demo import generate_demo_capture

    return generate_demo_capture(tmp_path_factory.mktemp("demo") / "demo.pcap")


def shared_pcap(rel):
    path = need_shared() / "pcaps" / rel
    if not path.is_file():
        pytest.skip(f"{rel} is not in ../shared/pcaps")
    return str(path)


# -- decode ---------------------------------------------------------------------------------------

@pytest.mark.shared
def test_decode_jsonl_writes_the_event_log(runner):
    from plantwarden.sensor.eventlog import iter_records

    cap = shared_pcap("modbus/icsnpp-modbus__modbus_example.pcap")
    res = runner.invoke(main, ["decode", cap])
    assert res.exit_code == 0, res.output
    recs = [json.loads(line) for line in res.output.splitlines()]
    expected = list(iter_records([cap]))
    assert len(recs) == len(expected) > 10
    assert list(recs[0])[:len(COMMON)] == COMMON
    assert recs == json.loads(json.dumps(expected))
    assert {r["proto"] for r in recs} == {"modbus"}


@pytest.mark.shared
def test_decode_table(runner):
    cap = shared_pcap("s7comm/icsnpp-s7comm__s7ident.pcap")
    res = runner.invoke(main, ["decode", "--format", "table", cap])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0].split()[:3] == ["frame", "time", "(UTC)"]
    rows = [ln for ln in lines[1:] if "s7comm_" in ln]
    assert len(rows) >= 10
    assert len({ln.index(" -> ") for ln in rows}) == 1  # aligned
    assert any("s7comm_userdata_request" in ln and "userdata_subfunction_name=read_szl" in ln for ln in rows)


def test_decode_several_captures_marks_each_row(runner, demo_cap, tmp_path):
    other = tmp_path / "again.pcap"
    other.write_bytes(demo_cap.read_bytes())
    res = runner.invoke(main, ["decode", "--format", "table", str(demo_cap), str(other)])
    assert res.exit_code == 0
    assert "[again.pcap]" in res.output.replace(str(tmp_path) + os.sep, "")


@pytest.mark.parametrize("content", [b"hello, this is not a capture\n", b""])
def test_decode_rejects_a_file_that_is_not_a_capture(runner, tmp_path, content):
    bad = tmp_path / "notes.pcap"
    bad.write_bytes(content)
    res = runner.invoke(main, ["decode", str(bad)])
    assert res.exit_code == 1
    assert "not a pcap or pcapng capture" in res.output
    assert "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)


def test_decode_missing_file(runner, tmp_path):
    res = runner.invoke(main, ["decode", str(tmp_path / "nope.pcap")])
    assert res.exit_code == 1
    assert "cannot read" in res.output and "Traceback" not in res.output


def test_decode_survives_a_closed_pipe(demo_cap):
    proc = subprocess.Popen([sys.executable, "-m", "plantwarden.cli.main", "decode", str(demo_cap)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # like `| head -1`
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 0
    assert json.loads(first)["capture"] == str(demo_cap)
    assert b"Traceback" not in err and b"BrokenPipe" not in err, err


# -- analyze / assets / flows -----------------------------------------------------------------------

def test_analyze_then_list(runner, demo_cap, tmp_path):
    db = str(tmp_path / "x.db")
    res = runner.invoke(main, ["analyze", "--db", db, str(demo_cap)])
    assert res.exit_code == 0, res.output
    assert "demo.pcap: 24" in res.output and "packets" in res.output
    assert "1 captures, 5 assets" in res.output
    again = runner.invoke(main, ["analyze", "--db", db, str(demo_cap)])
    assert again.exit_code == 0 and "already analysed" in again.output

    res = runner.invoke(main, ["assets", "--db", db, "--format", "json"])
    assert res.exit_code == 0
    doc = json.loads(res.output)
    roles = {a["ip"]: a["role"] for a in doc["assets"]}
    assert roles["10.10.10.12"] == "plc" and roles["10.10.20.50"] == "engineering_workstation"

    table = runner.invoke(main, ["assets", "--db", db])
    assert table.exit_code == 0
    assert "6ES7 315-2EH14-0AB0" in table.output and "Siemens AG" in table.output
    assert table.output.splitlines()[0].split()[:4] == ["ip", "mac", "mac", "vendor"]

    flows = runner.invoke(main, ["flows", "--db", db, "--format", "json"])
    comms = json.loads(flows.output)["communications"]
    assert any(c["protocol"] == "s7comm" and c["client"] == "10.10.20.50" for c in comms)
    ftable = runner.invoke(main, ["flows", "--db", db])
    assert ftable.exit_code == 0 and "read_holding_registers" in ftable.output


def test_the_db_comes_from_the_environment(runner, demo_cap, tmp_path, monkeypatch):
    db = tmp_path / "env.db"
    monkeypatch.setenv("PLANTWARDEN_DB", str(db))
    assert runner.invoke(main, ["analyze", str(demo_cap)]).exit_code == 0
    assert db.is_file()
    res = runner.invoke(main, ["assets", "--format", "json"])
    assert len(json.loads(res.output)["assets"]) == 5


def test_the_default_db_is_data_plantwarden_db(runner, demo_cap, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(main, ["analyze", str(demo_cap)]).exit_code == 0
    assert (tmp_path / "data" / "plantwarden.db").is_file()


def test_listing_without_a_database_says_what_to_do(runner, tmp_path):
    res = runner.invoke(main, ["assets", "--db", str(tmp_path / "none.db")])
    assert res.exit_code == 1
    assert "no database at" in res.output and "plantwarden analyze" in res.output
    assert not (tmp_path / "none.db").exists()


def test_unreachable_database_is_a_clear_error(runner, demo_cap):
    res = runner.invoke(main, ["analyze", "--db", "postgresql+psycopg://u:secret@127.0.0.1:1/x?connect_timeout=2",
                               str(demo_cap)])
    assert res.exit_code == 1
    assert "cannot open the database" in res.output and "secret" not in res.output
    assert "Traceback" not in res.output


def test_analyze_rejects_a_non_capture_before_touching_the_db(runner, tmp_path):
    bad = tmp_path / "x.pcapng"
    bad.write_text("nope")
    res = runner.invoke(main, ["analyze", "--db", str(tmp_path / "db.sqlite"), str(bad)])
    assert res.exit_code == 1 and "not a pcap or pcapng capture" in res.output
    assert not (tmp_path / "db.sqlite").exists()


def test_hostile_strings_are_escaped_in_tables(runner, tmp_path):
    from plantwarden.inventory import InventoryBuilder
    from plantwarden.store.service import CaptureInfo, Store

    from ..inventory.helpers import flow, resp

    b = InventoryBuilder()
    f = flow("10.0.0.1", "10.0.0.2", 102, "s7comm")
    b.on_event("c", f, resp("s7comm_userdata_response", identity={"plc_name": "\x1b[2J\x1b]0;pwn\x07PLC\u202e"}))
    b.on_flow_end("c", f)
    db = str(tmp_path / "h.db")
    with Store(db) as store:
        store.save(CaptureInfo("c", "c" * 64, 1), b.result())
    res = runner.invoke(main, ["assets", "--db", db])
    assert res.exit_code == 0
    assert "\x1b" not in res.output and "\x07" not in res.output and "\u202e" not in res.output
    assert "\\x1b[2J\\x1b]0;pwn\\x07PLC\\u202e" in res.output
    js = runner.invoke(main, ["assets", "--db", db, "--format", "json"])
    assert "\x1b" not in js.output and "\u202e" not in js.output
    assert json.loads(js.output)["assets"][1]["identity"]["plc_name"] == "\x1b[2J\x1b]0;pwn\x07PLC\u202e"


@pytest.mark.shared
def test_analyze_real_captures_into_either_database(runner, target):
    caps = [shared_pcap("s7comm/icsnpp-s7comm__s7ident.pcap"),
            shared_pcap("modbus/icsnpp-modbus__modbus_example.pcap")]
    res = runner.invoke(main, ["analyze", "--db", target, *caps])
    assert res.exit_code == 0, res.output
    doc = json.loads(runner.invoke(main, ["assets", "--db", target, "--format", "json"]).output)
    assets = {a["ip"]: a for a in doc["assets"]}
    s7 = assets["172.17.0.2"]
    assert s7["identity"]["plc_name"] == "SNAP7-SERVER"
    fact = next(f for f in s7["facts"] if f["name"] == "serial_number")
    assert fact["source"]["capture"] == "icsnpp-s7comm__s7ident.pcap" and fact["source"]["protocol"] == "s7comm"
    assert assets["127.0.0.1"]["identity"]["vendor"] == "Zeek Modbus Test"
    again = runner.invoke(main, ["analyze", "--db", target, *caps])
    assert again.output.count("already analysed") == 2
    assert json.loads(runner.invoke(main, ["assets", "--db", target, "--format", "json"]).output) == doc


# -- demo -----------------------------------------------------------------------------------------

def test_demo(runner, tmp_path):
    data = tmp_path / "demo-data"
    res = runner.invoke(main, ["demo", "--data", str(data), "--no-serve"])
    assert res.exit_code == 0, res.output
    assert (data / "plantwarden.db").is_file()
    caps = list(data.glob("*.pcap"))
    assert len(caps) == 1
    assert f"database: {data / 'plantwarden.db'}" in res.output
    assert f"capture:  {caps[0]}" in res.output
    assert "engineering_workstation" in res.output and "PLC2-MIXER" in res.output
    assert "Communications" in res.output
    # the process model learned from the plant's normal days judges the set-point overwrite (FC 16, t=165 s)
    assert (data / "process-model.npz").is_file() and len(list((data / "history").glob("*.pcap"))) == 3
    assert "process values learned from 3 days of normal operation" in res.output
    anomaly = [ln for ln in res.output.splitlines() if " process.anomaly " in ln]
    assert anomaly and "10.10.99.66" in anomaly[0] and "2024-03-12 08:02:46" in anomaly[0]
    again = runner.invoke(main, ["demo", "--data", str(data), "--no-serve"])
    assert again.exit_code == 0 and "already analysed" in again.output and "PLC2-MIXER" in again.output


def test_decode_table_rows_escape_wire_strings():
    from plantwarden.cli.main import _decode_row

    rec = {"capture": "c", "ts": 1.0, "frame": 3, "proto": "s7comm", "event": "s7comm_userdata_response",
           "src": "10.0.0.2", "sport": 102, "dst": "10.0.0.1", "dport": 40000, "is_orig": False,
           "filename": "_0A\x1b[31mred\u202e", "identity": {"plc_name": "x\x07"}, "last_data_unit": True}
    row = _decode_row(rec, with_capture=True)
    assert row.isprintable()
    assert "filename=_0A\\x1b[31mred\\u202e" in row and "last_data_unit=true" in row
    assert row.startswith("      3  1970-01-01 00:00:01.000000  s7comm   10.0.0.2:102          -> 10.0.0.1:40000")


def test_decoders_option_limits_and_rejects_unknown_names(tmp_path):
    from click.testing import CliRunner

    from plantwarden.cli.main import main
    from plantwarden.demo import generate_demo_capture

    cap = generate_demo_capture(tmp_path / "d.pcap")
    out = CliRunner().invoke(main, ["decode", str(cap), "--decoders", "s7comm"]).output
    protos = {json.loads(line)["proto"] for line in out.splitlines()}
    assert "s7comm" in protos and "modbus" not in protos
    res = CliRunner().invoke(main, ["decode", str(cap), "--decoders", "modbus,nope"])
    assert res.exit_code == 2 and "unknown decoder nope" in res.output and "modbus" in res.output


def test_detections_option_selects_and_rejects(tmp_path):
    from click.testing import CliRunner

    from plantwarden.cli.main import main
    from plantwarden.demo import generate_demo_capture

    cap = generate_demo_capture(tmp_path / "d.pcap")
    db = str(tmp_path / "a.db")
    res = CliRunner().invoke(main, ["analyze", str(cap), "--db", db, "--detections", "ics.plc_stop"])
    assert res.exit_code == 0, res.output
    out = CliRunner().invoke(main, ["alerts", "--db", db, "--format", "json"]).output
    assert {a["detection"] for a in json.loads(out)} == {"ics.plc_stop"}
    res = CliRunner().invoke(main, ["analyze", str(cap), "--db", str(tmp_path / "b.db"), "--detections", "nope"])
    assert res.exit_code == 2 and "unknown detection nope" in res.output
