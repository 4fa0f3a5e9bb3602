"""The encryption posture from real TLS: Python's ssl module (OpenSSL) negotiating TLS 1.3 with one server
and TLS 1.0 with a CBC-SHA1 suite (OpenSSL security level 0) with another, captured with tcpdump, analysed
into a store; `plantwarden zones posture` must call both encrypted, flag the old version on the second only,
and keep the TLS 1.3 one clean. A Modbus/TCP exchange beside them is cleartext.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from plantwarden.cli.main import main

from .capture import free_port, tcpdump
from .test_tls_python import _cert

pytestmark = pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1 is deprecated:DeprecationWarning")

STRONG, WEAK, PLC = "127.0.0.2", "127.0.0.3", "127.0.0.4"

MODEL = f"""
zones:
  - {{name: ops, sl_t: 2, members: {{cidrs: [127.0.0.1/32]}}}}
  - {{name: dmz, sl_t: 2, members: {{cidrs: [{STRONG}/32, {WEAK}/32]}}}}
  - {{name: control, sl_t: 3, members: {{cidrs: [{PLC}/32]}}}}
conduits:
  - {{zones: [ops, dmz], protocols: [tls]}}
  - {{zones: [ops, control], protocols: [modbus, tcp/PORT]}}
"""


def _serve(addr: str, port: int, ctx: ssl.SSLContext | None, ready: threading.Event) -> None:
    with socket.create_server((addr, port)) as srv:
        ready.set()
        conn, _ = srv.accept()
        with conn:
            s = ctx.wrap_socket(conn, server_side=True) if ctx is not None else conn
            with s:
                s.sendall(s.recv(100).upper())


def _talk(addr: str, port: int, ctx: ssl.SSLContext | None, payload: bytes) -> bytes:
    with socket.create_connection((addr, port)) as raw:
        s = ctx.wrap_socket(raw, server_hostname="historian.plant.local") if ctx is not None else raw
        s.sendall(payload)
        return s.recv(100)


def _session(addr: str, server_ctx: ssl.SSLContext | None, client_ctx: ssl.SSLContext | None, port: int) -> None:
    ready = threading.Event()
    t = threading.Thread(target=_serve, args=(addr, port, server_ctx, ready))
    t.start()
    assert ready.wait(10)
    assert _talk(addr, port, client_ctx, b"read tag pump3") == b"READ TAG PUMP3"
    t.join(10)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, int]:
    d = tmp_path_factory.mktemp("tls-posture")
    cert, key = _cert(d)
    strong_srv = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    strong_srv.load_cert_chain(cert, key)
    strong_cli = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    strong_cli.check_hostname, strong_cli.verify_mode = False, ssl.CERT_NONE
    strong_cli.minimum_version = ssl.TLSVersion.TLSv1_3
    weak_srv = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    weak_srv.load_cert_chain(cert, key)
    weak_srv.set_ciphers("AES128-SHA:@SECLEVEL=0")
    weak_srv.minimum_version = weak_srv.maximum_version = ssl.TLSVersion.TLSv1
    weak_cli = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    weak_cli.check_hostname, weak_cli.verify_mode = False, ssl.CERT_NONE
    weak_cli.set_ciphers("AES128-SHA:@SECLEVEL=0")
    weak_cli.minimum_version = weak_cli.maximum_version = ssl.TLSVersion.TLSv1
    port = free_port()
    pcap = d / "tls.pcap"
    with tcpdump(pcap, f"tcp port {port}"):
        _session(STRONG, strong_srv, strong_cli, port)
        _session(WEAK, weak_srv, weak_cli, port)
        _session(PLC, None, None, port)  # plain bytes on the same port: no TLS, no decoder
    db = str(d / "store.sqlite")
    res = CliRunner().invoke(main, ["analyze", str(pcap), "--db", db])
    assert res.exit_code == 0, res.output
    (d / "zones.yaml").write_text(MODEL.replace("PORT", str(port)))
    return db, port


def _posture(db: str, *extra: str) -> dict:
    res = CliRunner().invoke(main, ["zones", "posture", "--db", db, "--format", "json", *extra])
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def test_tls_versions_and_weaknesses(store: tuple[str, int]) -> None:
    db, port = store
    doc = _posture(db)
    comms = {c["server"]: c for g in doc["groups"] for c in g["communications"]}
    assert set(comms) == {STRONG, WEAK, PLC}
    strong, weak, plain = comms[STRONG], comms[WEAK], comms[PLC]
    assert (strong["protocol"], strong["verdict"]) == ("tls", "encrypted")
    assert {(s["name"], s["value"]) for s in strong["security"] if s["name"] == "tls_version"} == {
        ("tls_version", "TLSv1.3")}
    assert not [w for w in strong["weaknesses"] if not w.startswith("offered:")]
    assert (weak["protocol"], weak["verdict"]) == ("tls", "encrypted")
    versions = {s["value"] for s in weak["security"] if s["name"] == "tls_version"}
    ciphers = {s["value"] for s in weak["security"] if s["name"] == "tls_cipher"}
    assert versions == {"TLSv1.0"} and ciphers == {"TLS_RSA_WITH_AES_128_CBC_SHA"}
    assert "TLSv1.0" in weak["weaknesses"]
    assert (plain["protocol"], plain["verdict"]) == (f"tcp/{port}", "unknown")
    assert doc["summary"]["verdicts"] == {"encrypted": 2, "unknown": 1}
    assert doc["summary"]["weak"] >= 1


def test_per_zone_and_conduit_with_a_model(store: tuple[str, int]) -> None:
    db, port = store
    doc = _posture(db, "--model", str(Path(db).parent / "zones.yaml"))
    groups = {g["name"]: g for g in doc["groups"]}
    assert set(groups) == {"ops", "dmz", "control", "ops--dmz", "ops--control"}
    dmz = groups["ops--dmz"]
    assert dmz["scope"] == "conduit" and dmz["verdict"] == "encrypted"
    assert dmz["tls"]["versions"] == {"TLSv1.0": 1, "TLSv1.3": 1}
    assert dmz["protocols"][0]["weaknesses"].get("TLSv1.0") == 1
    assert groups["ops--control"]["verdict"] == "unknown"
    assert all(g["verdict"] is None for n, g in groups.items() if n in ("ops", "dmz", "control"))


def test_html_is_self_contained(store: tuple[str, int]) -> None:
    db, _ = store
    res = CliRunner().invoke(main, ["zones", "posture", "--db", db, "--format", "html"])
    assert res.exit_code == 0
    assert "TLSv1.0" in res.output and "TLS_RSA_WITH_AES_128_CBC_SHA" in res.output
    assert "<script" not in res.output and "src=" not in res.output and "href=" not in res.output
