"""TLS decoder fed byte literals: hellos and JA3, certificate, alerts, encryption, framing, trouble."""

from __future__ import annotations

import datetime
import hashlib
import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from plantwarden.core.events import Event
from plantwarden.decoders.tls import TlsDecoder


def vec(data: bytes, n: int) -> bytes:
    return len(data).to_bytes(n, "big") + data


def ext(t: int, data: bytes) -> bytes:
    return struct.pack(">HH", t, len(data)) + data


def record(ct: int, body: bytes, version: int = 0x0303) -> bytes:
    return struct.pack(">BHH", ct, version, len(body)) + body


def hs(mt: int, body: bytes) -> bytes:
    return bytes([mt]) + len(body).to_bytes(3, "big") + body


SNI_EXT = ext(0, vec(b"\x00" + vec(b"scada.plant.local", 2), 2))
ALPN_EXT = ext(16, vec(vec(b"h2", 1) + vec(b"http/1.1", 1), 2))
GROUPS_EXT = ext(10, vec(struct.pack(">HHH", 0x0A0A, 29, 23), 2))
FORMATS_EXT = ext(11, vec(b"\x00", 1))
VERSIONS_EXT = ext(43, vec(struct.pack(">HHH", 0x2A2A, 0x0304, 0x0303), 1))
CH_BODY = (b"\x03\x03" + bytes(32) + vec(bytes(32), 1) + vec(struct.pack(">HHHH", 0x1A1A, 0x1301, 0xC02F, 0x0005), 2)
           + vec(b"\x00", 1) + vec(SNI_EXT + ALPN_EXT + GROUPS_EXT + FORMATS_EXT + VERSIONS_EXT + ext(0x3A3A, b""), 2))
CLIENT_HELLO = record(0x16, hs(1, CH_BODY), 0x0301)
JA3 = "771,4865-49199-5,0-16-10-11-43,29-23,0"


def server_hello(version: int, cipher: int, exts: bytes = b"") -> bytes:
    body = struct.pack(">H", version) + bytes(32) + vec(b"", 1) + struct.pack(">HB", cipher, 0)
    if exts:
        body += vec(exts, 2)
    return hs(2, body)


def feed(d: TlsDecoder, data: bytes, is_orig: bool, frame: int = 1) -> list[Event]:
    out = d.feed(data, is_orig, 1.7e9 + frame, frame)
    assert all(isinstance(e, Event) for e in out)
    return out


def test_client_hello_fields_and_ja3() -> None:
    d = TlsDecoder()
    (ev,) = feed(d, CLIENT_HELLO, True)
    f = ev.fields
    assert ev.name == "tls_client_hello" and d.confirmed
    assert (f["legacy_version"], f["version"], f["supported_versions"]) == ("TLSv1.2", "TLSv1.3", ["TLSv1.3", "TLSv1.2"])
    assert f["sni"] == "scada.plant.local" and f["alpn"] == ["h2", "http/1.1"]
    assert f["cipher_suites"] == ["0x1a1a", "TLS_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                                  "TLS_RSA_WITH_RC4_128_SHA"]
    assert f["ja3"] == JA3 and f["ja3_hash"] == hashlib.md5(JA3.encode()).hexdigest()
    assert f["weak_offered"] == ["rc4_cipher"] and f["compression_methods"] == [0]
    assert f["supported_groups"] == [29, 23] and f["encrypted"] is False and f["cipher"] is None


def test_server_hello_weak_posture_and_split_records() -> None:
    d = TlsDecoder()
    feed(d, CLIENT_HELLO, True)
    sh = record(0x16, server_hello(0x0301, 0x0005, ext(0xFF01, b"\x00")), 0x0301)
    assert feed(d, sh[:7], False, 2) == []
    (ev,) = feed(d, sh[7:], False, 3)
    f = ev.fields
    assert ev.name == "tls_server_hello" and ev.frame == 3
    assert (f["version"], f["cipher"], f["cipher_code"], f["weak"]) == (
        "TLSv1.0", "TLS_RSA_WITH_RC4_128_SHA", 5, ["TLSv1.0", "rc4_cipher"])
    assert f["ja3s"] == "769,5,65281" and f["sni"] == "scada.plant.local"


def test_handshake_message_split_across_records() -> None:
    msg = hs(1, CH_BODY)
    data = record(0x16, msg[:20]) + record(0x16, msg[20:])
    (ev,) = feed(TlsDecoder(), data, True)
    assert ev.fields["ja3"] == JA3


def _cert_der() -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subj = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "rtu7"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Utility")])
    iss = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Plant CA")])
    cert = (x509.CertificateBuilder().subject_name(subj).issuer_name(iss).public_key(key.public_key())
            .serial_number(255).not_valid_before(datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC))
            .not_valid_after(datetime.datetime(2001, 1, 1, tzinfo=datetime.UTC)).sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.DER)


def test_certificate_tls12_in_pieces() -> None:
    d = TlsDecoder()
    feed(d, CLIENT_HELLO, True)
    der = _cert_der()
    certmsg = hs(11, vec(vec(der, 3) + vec(b"\x30\x00", 3), 3))
    flight = record(0x16, server_hello(0x0303, 0xC02F) + certmsg + hs(14, b""))
    evs = feed(d, flight[:100], False, 2) + feed(d, flight[100:], False, 3)
    names = [e.name for e in evs]
    assert names == ["tls_server_hello", "tls_certificate"]
    c = evs[1].fields
    assert (c["subject_cn"], c["subject_o"], c["issuer_cn"], c["issuer_o"], c["serial"]) == (
        "rtu7", "Utility", "Plant CA", None, "ff")
    assert (c["key_type"], c["key_size"], c["chain_length"], c["role"]) == ("ec", 256, 2, "server")
    assert c["not_after"].startswith("2001-01-01") and c["weak"] == ["expired"]
    assert c["sha256"] == hashlib.sha256(der).hexdigest()


def test_bad_certificate_is_a_weird() -> None:
    d = TlsDecoder()
    feed(d, CLIENT_HELLO, True)
    certmsg = hs(11, vec(vec(b"\x30\x03\x02\x01\x01", 3), 3))
    evs = feed(d, record(0x16, certmsg), False, 2)
    assert [e.name for e in evs] == ["tls_certificate", "weird"]
    assert evs[1].fields["name"] == "tls_bad_certificate" and evs[0].fields["chain_length"] == 1


def test_alert_named() -> None:
    d = TlsDecoder()
    feed(d, CLIENT_HELLO, True)
    (ev,) = feed(d, record(0x15, b"\x02\x28"), False, 2)
    assert ev.name == "tls_alert"
    assert (ev.fields["level_name"], ev.fields["description_name"], ev.fields["encrypted_alert"]) == (
        "fatal", "handshake_failure", False)
    (ev,) = feed(TlsDecoder(), record(0x15, b"\x02\x99"), False, 2)
    assert ev.fields["description_name"] == "unknown-153"


def test_after_ccs_encrypted_and_counted_without_buffering() -> None:
    d = TlsDecoder()
    feed(d, CLIENT_HELLO, True)
    feed(d, record(0x16, server_hello(0x0303, 0xC02F)), False, 2)
    fin = record(0x14, b"\x01") + record(0x16, bytes(40))  # CCS + encrypted Finished
    assert feed(d, fin, True, 3) == []
    assert feed(d, fin, False, 4) == []
    big = record(0x17, bytes(16000))
    evs = feed(d, big[:1000], True, 5)
    assert [e.name for e in evs] == ["tls_application_data"] and evs[0].fields["encrypted"]
    assert d._buf[1] == b"" and d._skip[1] == len(big) - 1000
    assert d.gap(3000, True, 1.0, 6) == []  # a hole inside the skipped record keeps the stream in step
    assert feed(d, big[4000:] + record(0x17, bytes(10)), True, 7) == []
    assert d.app_records[1] == 2
    (end,) = d.finish(9.0, 9)
    assert end.name == "tls_session_end" and end.fields["established"] and end.fields["app_records_orig"] == 2
    assert end.fields["cipher"] == "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"


def test_tls13_server_flight_is_encrypted() -> None:
    d = TlsDecoder()
    feed(d, CLIENT_HELLO, True)
    sh = server_hello(0x0303, 0x1301, ext(43, b"\x03\x04"))
    evs = feed(d, record(0x16, sh + hs(11, b"garbage-that-is-encrypted")) + record(0x14, b"\x01"), False, 2)
    assert [e.name for e in evs] == ["tls_server_hello"] and evs[0].fields["version"] == "TLSv1.3"


def test_mid_stream_waits_for_a_record_then_gives_up() -> None:
    d = TlsDecoder()
    assert feed(d, b"\x8a" * 1000, False, 1) == []
    assert not d.violated
    (ev,) = feed(d, record(0x15, bytes(26)), False, 2)  # an encrypted alert
    assert ev.fields["encrypted_alert"] and ev.fields["level"] is None
    d2 = TlsDecoder()
    evs: list[Event] = []
    for i in range(300):
        evs += feed(d2, b"\x8a" * 1000, True, i + 1)
    assert [e.fields["name"] for e in evs] == ["tls_unsynchronised"] and d2.violated


def test_violation_and_sslv2() -> None:
    d = TlsDecoder()
    feed(d, b"GET / HTTP/1.1\r\n\r\n", True)
    assert not d.violated  # waits: maybe mid-stream
    v2 = bytes([0x80, 0x2E, 0x01, 0x00, 0x02]) + bytes(44)
    d = TlsDecoder()
    (ev,) = feed(d, v2, True)
    assert ev.name == "tls_client_hello" and ev.fields["version"] == "SSLv2" and d.violated
    d = TlsDecoder()
    evs = feed(d, record(0x16, hs(1, b"\x03\x03" + bytes(10))), True)
    assert evs[0].fields["name"] == "tls_protocol_violation" and d.violated


def test_probe() -> None:
    assert TlsDecoder.probe(CLIENT_HELLO, True) > 0.5
    assert TlsDecoder.probe(record(0x16, server_hello(0x0303, 0xC02F)), False) > 0.5
    assert TlsDecoder.probe(b"\x16\x03\x01\x00", True) < 0
    assert TlsDecoder.probe(b"GET / HTTP/1.1\r\n", True) < 0


def test_finish_incomplete_record() -> None:
    d = TlsDecoder()
    feed(d, CLIENT_HELLO[:30], True)
    evs = d.finish(2.0, 2)
    assert [e.fields.get("name") for e in evs] == ["tls_incomplete_record"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.binary(max_size=400)), max_size=8), st.integers(0, 3))
def test_never_raises(chunks: list[tuple[bool, bytes]], prefix: int) -> None:
    d = TlsDecoder()
    head = [b"", CLIENT_HELLO, record(0x16, server_hello(0x0303, 0xC02F)), b"\x16\x03\x03\x01\x00\x0b"][prefix]
    for i, (is_orig, data) in enumerate(chunks):
        out = d.feed(head + data if i == 0 else data, is_orig, float(i), i + 1)
        assert isinstance(out, list) and all(isinstance(e, Event) for e in out)
        if i == 4:
            assert isinstance(d.gap(7, is_orig, 1.0, 1), list)
    assert isinstance(d.finish(9.0, 99), list)
    TlsDecoder.probe(head + b"".join(c for _, c in chunks), True)
