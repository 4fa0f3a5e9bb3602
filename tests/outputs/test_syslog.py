"""Syslog: RFC 5424 messages; UDP, TCP and TLS receivers on 127.0.0.1 get exactly the alerts, TCP and TLS
framed by RFC 5425 octet counting; TLS verifies the server and can present a client certificate."""

from __future__ import annotations

import datetime
import re
import socket
import ssl
import threading
from pathlib import Path

import pytest

from plantwarden.outputs.cef import cef_message
from plantwarden.outputs.syslog import (
    SyslogError,
    SyslogSender,
    octet_frame,
    parse_target,
    syslog_message,
)

from .alertdocs import HOSTILE, doc

HEADER = re.compile(rb"<(\d{1,3})>1 (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z) ([!-~]{1,255}) plantwarden (\d+) alert - ")


def make_ca_and_server(tmp: Path, client: bool = False) -> dict[str, Path]:
    """A CA, a server certificate for 127.0.0.1/localhost signed by it, and optionally a client one."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)

    def write(name: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> tuple[Path, Path]:
        cp, kp = tmp / f"{name}.pem", tmp / f"{name}.key"
        cp.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        kp.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()))
        return cp, kp

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "plantwarden test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
          .not_valid_after(now + datetime.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    out = {"ca": write("ca", ca, ca_key)[0]}

    def leaf(name: str, san: list[x509.GeneralName], usage: x509.ObjectIdentifier) -> tuple[Path, Path]:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
                .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=2))
                .add_extension(x509.SubjectAlternativeName(san), critical=False)
                .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                               critical=False)
                .sign(ca_key, hashes.SHA256()))
        return write(name, cert, key)

    out["cert"], out["key"] = leaf("server", [x509.DNSName("localhost"), x509.IPAddress(
        ipaddress.ip_address("127.0.0.1"))], x509.oid.ExtendedKeyUsageOID.SERVER_AUTH)
    if client:
        out["client_cert"], out["client_key"] = leaf("sensor", [x509.DNSName("sensor")],
                                                     x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH)
    return out


def read_octet_counted(data: bytes) -> list[bytes]:
    """Split an RFC 5425 stream: MSG-LEN SP SYSLOG-MSG, again and again, nothing left over."""
    out, i = [], 0
    while i < len(data):
        sp = data.index(b" ", i)
        n = int(data[i:sp])
        assert data[i:sp] == str(n).encode() and n > 0  # NONZERO-DIGIT *DIGIT
        out.append(data[sp + 1:sp + 1 + n])
        assert len(out[-1]) == n
        i = sp + 1 + n
    return out


class StreamReceiver:
    """A TCP (or TLS) listener on 127.0.0.1 that keeps every byte of every connection."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.tls = tls
        self.data = b""
        self.peer_cert: dict | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        self.sock.settimeout(10)
        try:
            conn, _ = self.sock.accept()
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
                self.peer_cert = conn.getpeercert()
            with conn:
                while chunk := conn.recv(65536):
                    self.data += chunk
        except BaseException as exc:  # reported by the test
            self.error = exc
        finally:
            self.sock.close()

    def messages(self) -> list[bytes]:
        self.thread.join(10)
        assert not self.thread.is_alive()
        return read_octet_counted(self.data)


def alerts() -> list[dict]:
    return [doc(1), doc(2, severity="critical", title=HOSTILE), doc(3, severity="low", title="ü" * 40000)]


def messages(now: float = 1700000100.0) -> list[bytes]:
    return [syslog_message(cef_message(d), d["severity"], now, hostname="sensor-1", procid=42) for d in alerts()]


def check(received: list[bytes]) -> None:
    expected = messages()
    assert received == expected
    for m, d in zip(received, alerts(), strict=True):
        h = HEADER.match(m)
        assert h is not None
        pri = int(h.group(1))
        assert (pri // 8, pri % 8) == (4, {"high": 3, "critical": 2, "low": 5}[d["severity"]])
        assert h.group(2) == b"2023-11-14T22:15:00.000000Z" and h.group(3) == b"sensor-1"
        assert m[h.end():].decode("utf-8") == cef_message(d)


def test_message_format_and_framing():
    m = syslog_message("CEF:0|x", "medium", 0.5, hostname="bad host\x1b", procid=7)
    assert m == b"<36>1 1970-01-01T00:00:00.500000Z badhost plantwarden 7 alert - CEF:0|x"
    assert syslog_message("x", "high", 0.0, hostname="")[:40].split(b" ")[2] == b"-"
    assert octet_frame(b"abc") == b"3 abc" and octet_frame("é".encode()) == b"2 \xc3\xa9"


def test_udp_one_datagram_per_alert():
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    rx.settimeout(10)
    port = rx.getsockname()[1]
    with SyslogSender(f"udp://127.0.0.1:{port}") as s:
        assert s.send(messages()) == 3
    got = [rx.recv(70000) for _ in range(3)]
    rx.close()
    check(got)


def test_tcp_octet_counting():
    rx = StreamReceiver()
    with SyslogSender(f"tcp://127.0.0.1:{rx.port}") as s:
        s.send(messages())
    check(rx.messages())


def test_tls_with_the_ca_and_a_client_certificate(tmp_path):
    certs = make_ca_and_server(tmp_path, client=True)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(certs["cert"], certs["key"])
    ctx.load_verify_locations(certs["ca"])
    ctx.verify_mode = ssl.CERT_REQUIRED
    rx = StreamReceiver(ctx)
    with SyslogSender(f"tls://127.0.0.1:{rx.port}", ca=str(certs["ca"]), cert=str(certs["client_cert"]),
                      key=str(certs["client_key"])) as s:
        s.send(messages())
    check(rx.messages())
    assert rx.error is None and dict(x[0] for x in rx.peer_cert["subject"])["commonName"] == "sensor"


def test_tls_refuses_a_server_it_cannot_verify(tmp_path):
    certs = make_ca_and_server(tmp_path)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(certs["cert"], certs["key"])
    rx = StreamReceiver(ctx)
    with pytest.raises(SyslogError, match="TLS with 127.0.0.1"):
        SyslogSender(f"tls://127.0.0.1:{rx.port}").open()  # the system CAs do not know the test CA
    rx.thread.join(10)
    assert rx.data == b""


def test_bad_targets_and_refused_connections():
    for url, msg in (("http://x:1", "udp://HOST"), ("tcp://", "no host"), ("udp://h:99999", "bad syslog URL"),
                     ("tcp://h:1/path", "no path")):
        with pytest.raises(SyslogError, match=msg):
            parse_target(url)
    assert parse_target("tls://siem.example") .port == 6514 and parse_target("udp://[::1]").port == 514
    with pytest.raises(SyslogError, match="for tls://"):
        SyslogSender("tcp://127.0.0.1:1", ca="x.pem")
    with pytest.raises(SyslogError, match="--key needs --cert"):
        SyslogSender("tls://127.0.0.1:1", key="k.pem")
    port = socket.create_server(("127.0.0.1", 0))
    free = port.getsockname()[1]
    port.close()
    with pytest.raises(SyslogError, match="cannot reach tcp://127.0.0.1"):
        SyslogSender(f"tcp://127.0.0.1:{free}").open()
