"""What the events of a protocol say about its security: the facts the encryption posture is built from.

``POSTURE[proto][event name](fields)`` yields ``(name, value)`` pairs; the inventory counts them per
communication (``Communication.security``, docs/inventory.md) and ``plantwarden.zones.posture`` turns
them into verdicts (docs/zones.md, "Encryption posture"). Only the events listed are looked at, so a
protocol that is cleartext by construction (Modbus, S7comm ...) costs nothing here.

The names:

| name | value | from |
|---|---|---|
| `tls_version` | negotiated version (`TLSv1.2` ...) | TLS server hello |
| `tls_cipher` | negotiated suite (IANA name) | TLS server hello |
| `tls_weak` | a weakness of what was negotiated (`TLSv1.0`, `rc4_cipher` ...) | TLS server hello |
| `tls_weak_offered` | a weakness the client offered | TLS client hello |
| `opcua_security_mode` | `none`, `sign`, `sign_and_encrypt` | OPC UA secure channel |
| `opcua_security_policy` | `None`, `Basic256Sha256` ... | OPC UA secure channel |
| `opcua_user_token` | `anonymous`, `username`, `x509`, `issued` | OPC UA ActivateSession |
| `credentials_in_clear` | the protocol that carried them | FTP PASS, HTTP Basic, Telnet, MQTT CONNECT, SNMP v1/v2c, OPC UA user name with an unencrypted password |
| `snmp_version` | `1`, `2c`, `3` | every SNMP message |
| `snmp_security_level` | v3: `noAuthNoPriv`, `authNoPriv`, `authPriv` | every SNMPv3 message |
| `dnp3_secure_authentication` | the SA function or object seen | DNP3 functions 32, 33, 131 |
| `ssh_weak_offered` | an offered weak algorithm | SSH KEXINIT |
| `ssh_protocol` | the banner's protocol version | SSH banner |
| `rdp_security` | selected protocol (`rdp`, `ssl`, `credssp` ...) | RDP connection confirm |
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from plantwarden.decoders.snmp.constants import PDUS

Fact = tuple[str, str]
Extractor = Callable[[Mapping[str, Any]], Iterator[Fact]]


def _each(name: str, values: Any) -> Iterator[Fact]:
    if isinstance(values, (list, tuple)):
        for v in values:
            yield name, str(v)


def _tls_server_hello(f: Mapping[str, Any]) -> Iterator[Fact]:
    if f.get("version"):
        yield "tls_version", str(f["version"])
    if f.get("cipher"):
        yield "tls_cipher", str(f["cipher"])
    yield from _each("tls_weak", f.get("weak"))


def _tls_client_hello(f: Mapping[str, Any]) -> Iterator[Fact]:
    yield from _each("tls_weak_offered", f.get("weak_offered"))


def _opcua_channel(f: Mapping[str, Any]) -> Iterator[Fact]:
    if f.get("security_mode"):
        yield "opcua_security_mode", str(f["security_mode"])
    if f.get("security_policy"):
        yield "opcua_security_policy", str(f["security_policy"])


def _opcua_activate(f: Mapping[str, Any]) -> Iterator[Fact]:
    yield from _opcua_channel(f)
    token = f.get("user_token_type")
    if token:
        yield "opcua_user_token", str(token)
        if token == "username" and f.get("password_encrypted") is False:
            yield "credentials_in_clear", "opcua"


def _credentials(proto: str) -> Extractor:
    def fn(f: Mapping[str, Any]) -> Iterator[Fact]:
        if f.get("credentials_in_clear"):
            yield "credentials_in_clear", proto
    return fn


def _snmp(f: Mapping[str, Any]) -> Iterator[Fact]:
    if f.get("version"):
        yield "snmp_version", str(f["version"])
    if f.get("security_level"):
        yield "snmp_security_level", str(f["security_level"])
    if f.get("credentials_in_clear"):
        yield "credentials_in_clear", "snmp"


def _dnp3_sa(f: Mapping[str, Any]) -> Iterator[Fact]:
    yield "dnp3_secure_authentication", str(f.get("function") or "authenticate")


def _ssh_banner(f: Mapping[str, Any]) -> Iterator[Fact]:
    if f.get("protocol_version"):
        yield "ssh_protocol", str(f["protocol_version"])


def _ssh_kexinit(f: Mapping[str, Any]) -> Iterator[Fact]:
    yield from _each("ssh_weak_offered", f.get("weak_offered"))


def _rdp_confirm(f: Mapping[str, Any]) -> Iterator[Fact]:
    if f.get("selected_protocol"):
        yield "rdp_security", str(f["selected_protocol"])


_OPCUA_CHANNEL_EVENTS = ("opcua_open_secure_channel_request", "opcua_open_secure_channel_response",
                         "opcua_encrypted_message")
_SNMP_EVENTS = tuple(name for name, _ in PDUS.values()) + ("snmp_encrypted_pdu",)

#: protocol -> event name -> extractor
POSTURE: dict[str, dict[str, Extractor]] = {
    "tls": {"tls_server_hello": _tls_server_hello, "tls_client_hello": _tls_client_hello},
    "opcua": {**dict.fromkeys(_OPCUA_CHANNEL_EVENTS, _opcua_channel),
              "opcua_activate_session_request": _opcua_activate},
    "ftp": {"ftp_command": _credentials("ftp")},
    "http": {"http_request": _credentials("http")},
    "telnet": {"telnet_password_sent": _credentials("telnet")},
    "mqtt": {"mqtt_connect": _credentials("mqtt")},
    "snmp": dict.fromkeys(_SNMP_EVENTS, _snmp),
    "dnp3": dict.fromkeys(("dnp3_authenticate_request", "dnp3_authenticate_request_no_ack",
                           "dnp3_authenticate_response"), _dnp3_sa),
    "ssh": {"ssh_banner": _ssh_banner, "ssh_kexinit": _ssh_kexinit},
    "rdp": {"rdp_connection_confirm": _rdp_confirm},
}
