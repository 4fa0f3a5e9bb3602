"""``plantwarden export alerts``: jsonl, CEF and STIX to stdout or a file, and syslog over UDP, TCP and TLS
to local receivers that must get exactly the stored alerts."""

from __future__ import annotations

import json
import socket
import ssl

import pytest
import stix2
from click.testing import CliRunner

from plantwarden.cli.export import parse_since
from plantwarden.cli.main import main

from ..outputs.test_cef import parse_cef
from ..outputs.test_syslog import HEADER, StreamReceiver, make_ca_and_server


@pytest.fixture
def runner(monkeypatch):
    monkeypatch.delenv("PLANTWARDEN_DB", raising=False)
    return CliRunner()


def run(runner, *args, code=0):
    res = runner.invoke(main, [str(a) for a in args])
    assert res.exit_code == code, res.output
    return res.output


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    """A store with the demo's alerts and an ioc.match alert (the attacker's address is in a feed)."""
    from plantwarden.demo import generate_demo_capture

    tmp = tmp_path_factory.mktemp("export")
    cap = generate_demo_capture(tmp / "demo.pcap")
    path = tmp / "a.db"
    feed = tmp / "feed.csv"
    feed.write_text("ip,10.10.99.66,attacker\n")
    r = CliRunner()
    assert r.invoke(main, ["ioc", "import", str(feed), "--db", str(path)]).exit_code == 0
    assert r.invoke(main, ["analyze", str(cap), "--db", str(path)]).exit_code == 0
    return path


def stored(runner, db):
    return json.loads(run(runner, "alerts", "--db", db, "--format", "json"))


def test_jsonl_is_the_alerts_document(runner, db):
    docs = stored(runner, db)
    assert len(docs) >= 2 and any(d["detection"] == "ioc.match" for d in docs)
    lines = run(runner, "export", "alerts", "--db", db).splitlines()
    assert [json.loads(ln) for ln in lines] == docs
    assert run(runner, "export", "alerts", "--db", db, "--format", "jsonl") == run(
        runner, "alerts", "--db", db, "--format", "jsonl")


def test_cef_one_line_per_alert(runner, db):
    docs = stored(runner, db)
    lines = run(runner, "export", "alerts", "--db", db, "--format", "cef").splitlines()
    assert len(lines) == len(docs)
    for ln, d in zip(lines, docs, strict=True):
        fields, ext = parse_cef(ln)
        assert (fields[4], fields[5], ext["externalId"], ext["cs1"]) == (d["detection"], d["title"], str(d["id"]),
                                                                          d["technique"])


def test_stix_bundle_to_a_file(runner, db, tmp_path):
    out = tmp_path / "sightings.json"
    msg = run(runner, "export", "alerts", "--db", db, "--format", "stix", "--output", out)
    docs = stored(runner, db)
    assert f"{len(docs)} alerts written to" in msg
    bundle = stix2.parse(out.read_text(), allow_custom=False)
    sightings = [o for o in bundle.objects if o.type == "sighting"]
    assert sorted(s.external_references[0].external_id for s in sightings) == sorted(f"alert-{d['id']}" for d in docs)
    ioc_ids = {d["id"] for d in docs if d["detection"] == "ioc.match"}
    for s in sightings:
        is_ioc = int(s.external_references[0].external_id.split("-")[1]) in ioc_ids
        assert s.sighting_of_ref.startswith("indicator--" if is_ioc else "attack-pattern--")
        assert ("observed_data_refs" in s) == is_ioc


def test_since_and_state_filters(runner, db):
    docs = stored(runner, db)
    cut = sorted(d["last_seen"] for d in docs)[len(docs) // 2]
    got = [json.loads(ln)["id"] for ln in run(runner, "export", "alerts", "--db", db, "--since", cut).splitlines()]
    assert got == [d["id"] for d in docs if d["last_seen"] >= cut] and 0 < len(got) <= len(docs)
    assert run(runner, "export", "alerts", "--db", db, "--since", "2100-01-01") == ""
    assert run(runner, "export", "alerts", "--db", db, "--state", "suppressed") == ""
    assert parse_since("2024-06-01T12:00:00Z") == parse_since("2024-06-01 12:00:00") == 1717243200.0
    assert parse_since("1717243200.5") == 1717243200.5
    assert "ISO 8601" in run(runner, "export", "alerts", "--db", db, "--since", "yesterday", code=2)


def check_syslog(messages, docs):
    assert len(messages) == len(docs)
    for m, d in zip(messages, docs, strict=True):
        h = HEADER.match(m)
        assert h is not None
        fields, ext = parse_cef(m[h.end():].decode("utf-8"))
        assert (fields[4], ext["externalId"]) == (d["detection"], str(d["id"]))


def test_syslog_udp(runner, db):
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    rx.settimeout(10)
    docs = stored(runner, db)
    msg = run(runner, "export", "alerts", "--db", db, "--syslog", f"udp://127.0.0.1:{rx.getsockname()[1]}")
    assert f"{len(docs)} alerts sent to udp://127.0.0.1" in msg
    got = [rx.recv(70000) for _ in docs]
    rx.settimeout(0.3)
    with pytest.raises(TimeoutError):
        rx.recv(70000)  # exactly the alerts, nothing more
    rx.close()
    check_syslog(got, docs)


def test_syslog_tcp_and_tls(runner, db, tmp_path):
    docs = stored(runner, db)
    rx = StreamReceiver()
    run(runner, "export", "alerts", "--db", db, "--syslog", f"tcp://127.0.0.1:{rx.port}", "--format", "cef")
    check_syslog(rx.messages(), docs)
    certs = make_ca_and_server(tmp_path)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(certs["cert"], certs["key"])
    rx = StreamReceiver(ctx)
    run(runner, "export", "alerts", "--db", db, "--syslog", f"tls://localhost:{rx.port}", "--ca", certs["ca"])
    check_syslog(rx.messages(), docs)


def test_syslog_errors(runner, db, tmp_path):
    assert "syslog messages carry CEF" in run(runner, "export", "alerts", "--db", db, "--syslog", "udp://h:1",
                                              "--format", "stix", code=2)
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    assert "go with --syslog" in run(runner, "export", "alerts", "--db", db, "--ca", ca, code=2)
    assert "either --syslog or --output" in run(runner, "export", "alerts", "--db", db, "--syslog", "udp://h:1",
                                                "--output", tmp_path / "o", code=2)
    assert "udp://HOST:PORT" in run(runner, "export", "alerts", "--db", db, "--syslog", "ftp://h", code=1)
    s = socket.create_server(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    out = run(runner, "export", "alerts", "--db", db, "--syslog", f"tcp://127.0.0.1:{port}", code=1)
    assert "cannot reach tcp://127.0.0.1" in out and "Traceback" not in out
    assert "cannot load the TLS certificates" in run(runner, "export", "alerts", "--db", db, "--syslog",
                                                     f"tls://127.0.0.1:{port}", "--ca", ca, code=1)
    assert "no database at" in run(runner, "export", "alerts", "--db", tmp_path / "none.db", code=1)
