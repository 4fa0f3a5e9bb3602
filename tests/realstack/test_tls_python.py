"""TLS from a real stack: Python's ssl module (OpenSSL) as client and server on 127.0.0.1, with a
self-signed certificate made by the test, captured with tcpdump; decoded and compared with tshark.

Two connections: TLS 1.2 (the certificate travels in clear and is parsed) and TLS 1.3 (everything
after the ServerHello is encrypted).
"""

from __future__ import annotations

import datetime
import socket
import ssl
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from plantwarden.sensor.eventlog import iter_records

from .capture import free_port, tcpdump

x509 = pytest.importorskip("cryptography.x509")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "oracle"))
import test_tls_tshark as oracle  # noqa: E402

SNI = "plc-hmi.plant.local"


def _cert(tmp: Path) -> tuple[Path, Path]:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SNI),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Plant Test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(0x1234ABCD).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30)).sign(key, hashes.SHA256()))
    cp, kp = tmp / "cert.pem", tmp / "key.pem"
    cp.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    kp.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()))
    return cp, kp


def _listen(port: int) -> socket.socket:
    """A listening socket on ``port``; the previous session's may still be closing (bounded retries)."""
    for _ in range(40):
        try:
            return socket.create_server(("127.0.0.1", port))
        except OSError:
            time.sleep(0.05)
    return socket.create_server(("127.0.0.1", port))


def _session(port: int, server_ctx: ssl.SSLContext, max_version: ssl.TLSVersion) -> None:
    srv = _listen(port)

    def serve() -> None:
        conn, _ = srv.accept()
        with server_ctx.wrap_socket(conn, server_side=True) as s:
            s.sendall(s.recv(100).upper())
    t = threading.Thread(target=serve)
    t.start()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.maximum_version = max_version
    ctx.set_alpn_protocols(["http/1.1"])
    with socket.create_connection(("127.0.0.1", port)) as raw, ctx.wrap_socket(raw, server_hostname=SNI) as c:
        c.sendall(b"read tag pump3")
        assert c.recv(100) == b"READ TAG PUMP3"
    t.join(10)
    srv.close()


@pytest.fixture(scope="module")
def tls_capture(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    tmp = tmp_path_factory.mktemp("tls")
    cp, kp = _cert(tmp)
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(cp, kp)
    sctx.set_alpn_protocols(["http/1.1"])
    port = free_port()
    path = tmp / "tls.pcap"
    with tcpdump(path, f"tcp port {port}"):
        _session(port, sctx, ssl.TLSVersion.TLSv1_2)
        _session(port, sctx, ssl.TLSVersion.TLSv1_3)
    return path, port


def _records(path: Path) -> list[dict[str, Any]]:
    return [r for r in iter_records([path]) if r["proto"] == "tls"]


def test_tls12_handshake_and_certificate(tls_capture: tuple[Path, int]) -> None:
    recs = _records(tls_capture[0])
    weirds = [(r["frame"], r.get("name"), r.get("detail")) for r in recs if r["event"] == "weird"]
    assert not weirds, weirds
    hellos = [r for r in recs if r["event"] == "tls_client_hello"]
    assert len(hellos) == 2 and all(h["sni"] == SNI and h["alpn"] == ["http/1.1"] for h in hellos)
    servers = [r for r in recs if r["event"] == "tls_server_hello"]
    assert [s["version"] for s in servers] == ["TLSv1.2", "TLSv1.3"]
    # TLS 1.3 sends the selected ALPN in the (encrypted) EncryptedExtensions
    assert [s["alpn"] for s in servers] == ["http/1.1", None] and all(s["weak"] == [] for s in servers)
    certs = [r for r in recs if r["event"] == "tls_certificate"]
    assert len(certs) == 1  # TLS 1.3 certificates are encrypted
    c = certs[0]
    assert (c["subject_cn"], c["subject_o"], c["issuer_cn"], c["serial"], c["key_type"], c["key_size"]) == (
        SNI, "Plant Test", SNI, "1234abcd", "rsa", 2048)
    assert c["self_signed"] and c["weak"] == ["self_signed"] and c["chain_length"] == 1
    assert c["is_orig"] is False and c["sni"] == SNI and c["version"] == "TLSv1.2"
    data = [r for r in recs if r["event"] == "tls_application_data"]
    assert len(data) == 2 and all(r["encrypted"] for r in data)
    ends = [r for r in recs if r["event"] == "tls_session_end"]
    assert len(ends) == 2 and all(e["established"] and e["app_records_orig"] >= 1 for e in ends)


@pytest.mark.tshark
def test_tls_matches_tshark(tls_capture: tuple[Path, int], record_property: Any) -> None:
    path, port = tls_capture
    theirs = oracle.tshark_keys(path, decode_as=(f"tcp.port=={port},tls",))
    ours = oracle.our_keys(path)
    assert sum(theirs.values()) >= 8
    oracle.compare(record_property, theirs, ours, (Counter(), Counter()))
