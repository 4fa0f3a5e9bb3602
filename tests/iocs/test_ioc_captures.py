"""ioc.match end to end through ``ingest``: a shared capture (DNS, HTTP), the demo plant capture, and a
real-stack capture (urllib/http.server and Python's ssl on loopback, recorded with tcpdump).

Each fires on its indicators and stays silent with a feed that names nothing in the traffic.
"""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from plantwarden.iocs.csvfile import load_csv
from plantwarden.store.ingest import ingest
from plantwarden.store.service import Store

from ..conftest import PCAPS, need_shared
from ..realstack.capture import free_port, tcpdump

SYNCHROPHASOR = PCAPS / "c37.118" / "icsnpp-synchrophasor__c37118_1100_unclean.pcap"
UNRELATED = "ip,198.51.100.7\ncidr,203.0.113.0/24\ndomain,evil.example\nurl,http://files.example/x\n"


def ioc_alerts(tmp_path: Path, capture: Path, feed: str) -> list[Any]:
    with Store(tmp_path / f"{abs(hash(feed))}.db") as store:
        store.add_indicators(load_csv(feed, "test-feed").indicators)
        res = ingest(store, capture)
        assert not res.detection_errors
        return sorted((a for a in res.alerts if a.detection == "ioc.match"), key=lambda a: a.key)


@pytest.mark.shared
def test_shared_capture_dns_names_resolver_address_and_http_url(tmp_path):
    need_shared()
    feed = ("domain,talkgadget.google.com,remote access relay\n"
            "ip,192.168.0.1,resolver\n"
            "url,http://192.168.0.21:8765/,PMU web page\n")
    alerts = ioc_alerts(tmp_path, SYNCHROPHASOR, feed)
    keys = {a.key: a for a in alerts}
    dns = keys["192.168.0.21->192.168.0.1|domain:talkgadget.google.com"]
    assert dns.count == 10 and dns.evidence[0]["details"]["observed"] == "chromoting-host.talkgadget.google.com"
    assert dns.evidence[0]["event"] in ("dns_query", "dns_response") and dns.technique == "T0869"
    assert keys["192.168.0.21->192.168.0.1|ip:192.168.0.1"].count == 33  # one per DNS flow
    assert keys["192.168.0.22->192.168.0.21|url:http://192.168.0.21:8765/"].count == 93
    assert ioc_alerts(tmp_path, SYNCHROPHASOR, UNRELATED) == []
    assert ioc_alerts(tmp_path, SYNCHROPHASOR, "") == []


def test_demo_capture_attacker_address(tmp_path):
    from plantwarden.demo import generate_demo_capture

    cap = generate_demo_capture(tmp_path / "demo.pcap")
    alerts = ioc_alerts(tmp_path, cap, "ip,10.10.99.66,attacker host\n")
    assert alerts and all(a.src == "10.10.99.66" or a.dst == "10.10.99.66" for a in alerts)
    assert {a.evidence[0]["details"]["indicator"] for a in alerts} == {"10.10.99.66"}
    assert ioc_alerts(tmp_path, cap, UNRELATED) == []


# -- a real stack -----------------------------------------------------------------------------------

C2_HOST, C2_SNI, BENIGN_HOST, BENIGN_SNI = "c2.evil.example", "update.evil.example", "hmi.plant.local", "plc.plant.local"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        body = b"ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _cert(tmp: Path, cn: str) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=7)).sign(key, hashes.SHA256()))
    cp, kp = tmp / f"{cn}.pem", tmp / f"{cn}.key"
    cp.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    kp.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()))
    return cp, kp


def _tls_session(host: str, port: int, cert: tuple[Path, Path], sni: str) -> None:
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(*cert)
    sctx.maximum_version = ssl.TLSVersion.TLSv1_2  # the certificate travels in clear
    srv = socket.create_server((host, port))

    def serve() -> None:
        conn, _ = srv.accept()
        with sctx.wrap_socket(conn, server_side=True) as s:
            s.sendall(s.recv(100))
    t = threading.Thread(target=serve)
    t.start()
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cctx.check_hostname = False
    cctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection((host, port)) as raw, cctx.wrap_socket(raw, server_hostname=sni) as c:
        c.sendall(b"beacon")
        assert c.recv(100) == b"beacon"
    t.join(10)
    srv.close()


@pytest.fixture(scope="module")
def realstack_capture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("ioc")
    http_port, tls_port = free_port(), free_port()
    path = tmp / "ioc.pcap"
    server = ThreadingHTTPServer(("127.0.0.1", http_port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with tcpdump(path, f"tcp port {http_port} or tcp port {tls_port}"):
            for host, uri in ((C2_HOST, "/beacon?id=7"), (BENIGN_HOST, "/index.html")):
                req = urllib.request.Request(f"http://127.0.0.1:{http_port}{uri}", headers={"Host": host})
                with urllib.request.urlopen(req, timeout=10) as resp:
                    assert resp.read() == b"ok"
            _tls_session("127.0.0.2", tls_port, _cert(tmp, C2_SNI), C2_SNI)
            _tls_session("127.0.0.1", tls_port, _cert(tmp, BENIGN_SNI), BENIGN_SNI)
    finally:
        server.shutdown()
        server.server_close()
    return path


def test_real_stack_http_host_url_tls_sni_certificate_and_address(tmp_path, realstack_capture):
    feed = (f"domain,{C2_HOST}\nurl,http://{C2_HOST}/beacon\ndomain,evil.example,the whole zone\n"
            "ip,127.0.0.2,C2 address\n")
    alerts = ioc_alerts(tmp_path, realstack_capture, feed)
    got = sorted((a.key, a.count, sorted({e["details"]["where"] for e in a.evidence})) for a in alerts)
    assert got == [
        ("127.0.0.1->127.0.0.1|domain:c2.evil.example", 1, ["http host"]),
        ("127.0.0.1->127.0.0.1|domain:evil.example", 1, ["http host"]),
        ("127.0.0.1->127.0.0.1|url:http://c2.evil.example/beacon", 1, ["http url"]),
        ("127.0.0.1->127.0.0.2|domain:evil.example", 2, ["tls certificate subject CN", "tls server name (SNI)"]),
        ("127.0.0.1->127.0.0.2|ip:127.0.0.2", 1, ["flow responder address"]),
    ]
    assert all(a.src == "127.0.0.1" for a in alerts)
    assert ioc_alerts(tmp_path, realstack_capture, UNRELATED.replace("evil.example", "other.example")) == []
