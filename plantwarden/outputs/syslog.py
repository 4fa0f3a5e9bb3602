"""RFC 5424 syslog messages and their transports (docs/outputs.md, "Syslog").

A message is ``<PRI>1 TIMESTAMP HOSTNAME plantwarden PROCID alert - MSG`` with the CEF line as MSG
(UTF-8, no BOM). UDP (RFC 5426): one message per datagram. TCP and TLS (RFC 5425): each message is
framed by octet counting, ``MSG-LEN SP SYSLOG-MSG``, so a message may hold any byte. TLS verifies the
server's certificate (against ``ca`` or the system's CAs) and its name, and can present a client
certificate.
"""

from __future__ import annotations

import datetime as _dt
import os
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

#: syslog facility 4: security/authorization messages (RFC 5424, table 1)
FACILITY: Final = 4
#: our severity -> syslog severity (2 critical, 3 error, 4 warning, 5 notice)
SYSLOG_SEVERITY: Final = {"critical": 2, "high": 3, "medium": 4, "low": 5}
APP_NAME: Final = "plantwarden"
MSGID: Final = "alert"
DEFAULT_PORTS: Final = {"udp": 514, "tcp": 514, "tls": 6514}
#: the largest UDP payload (IPv4); longer messages are cut (RFC 5426 section 3.2 allows it)
MAX_DATAGRAM: Final = 65507
#: how long closing a TCP/TLS connection waits for the receiver to close its side (seconds)
LINGER: Final = 2.0


class SyslogError(Exception):
    """A syslog target that cannot be used (bad URL, connection refused, TLS failure)."""


@dataclass(frozen=True, slots=True)
class Target:
    transport: str  # udp, tcp or tls
    host: str
    port: int


def parse_target(url: str) -> Target:
    """``udp://host:port``, ``tcp://host:port`` or ``tls://host:port`` (ports default to 514, 514, 6514)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise SyslogError(f"bad syslog URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise SyslogError("a syslog URL is udp://HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT")
    if not parts.hostname:
        raise SyslogError("the syslog URL has no host")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise SyslogError("a syslog URL has no path or query")
    return Target(scheme, parts.hostname, port or DEFAULT_PORTS[scheme])


def _printusascii(text: str, limit: int) -> str:
    out = "".join(c for c in text if "!" <= c <= "~")[:limit]
    return out or "-"


def syslog_message(msg: str, severity: str, now: float, hostname: str | None = None,
                   procid: int | None = None, facility: int = FACILITY) -> bytes:
    """One RFC 5424 message: header fields from the arguments, ``msg`` as MSG (UTF-8)."""
    pri = facility * 8 + SYSLOG_SEVERITY.get(severity, 4)
    stamp = _dt.datetime.fromtimestamp(now, _dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    host = _printusascii(hostname if hostname is not None else socket.gethostname(), 255)
    pid = _printusascii(str(os.getpid() if procid is None else procid), 128)
    return f"<{pri}>1 {stamp} {host} {APP_NAME} {pid} {MSGID} - ".encode("ascii") + msg.encode("utf-8")


def octet_frame(message: bytes) -> bytes:
    """RFC 5425 (and RFC 6587 3.4.1) octet counting: the length in decimal, a space, the message."""
    return str(len(message)).encode("ascii") + b" " + message


class SyslogSender:
    """Sends syslog messages to one target; use as a context manager (one connection for all)."""

    def __init__(self, url: str, ca: str | None = None, cert: str | None = None, key: str | None = None,
                 timeout: float = 10.0) -> None:
        self.target = parse_target(url)
        if key is not None and cert is None:
            raise SyslogError("--key needs --cert")
        if self.target.transport != "tls" and (ca or cert or key):
            raise SyslogError("--ca, --cert and --key are for tls:// targets")
        self.ca, self.cert, self.key, self.timeout = ca, cert, key, timeout
        self._sock: socket.socket | None = None
        self.sent = 0

    def __enter__(self) -> SyslogSender:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> None:
        t = self.target
        ctx = self._tls_context() if t.transport == "tls" else None  # bad certificate files: before connecting
        try:
            if t.transport == "udp":
                info = socket.getaddrinfo(t.host, t.port, type=socket.SOCK_DGRAM)[0]
                sock = socket.socket(info[0], socket.SOCK_DGRAM)
                sock.connect(info[4])
            else:
                sock = socket.create_connection((t.host, t.port), timeout=self.timeout)
                if ctx is not None:
                    try:
                        sock = ctx.wrap_socket(sock, server_hostname=t.host)
                    except BaseException:
                        sock.close()
                        raise
        except ssl.SSLError as exc:
            raise SyslogError(f"TLS with {t.host}:{t.port} failed: {exc.reason or exc}") from None
        except OSError as exc:
            raise SyslogError(f"cannot reach {t.transport}://{t.host}:{t.port}: {exc.strerror or exc}") from None
        self._sock = sock

    def _tls_context(self) -> ssl.SSLContext:
        try:
            ctx = ssl.create_default_context(cafile=self.ca)
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
            if self.cert is not None:
                ctx.load_cert_chain(self.cert, self.key)
        except (OSError, ssl.SSLError) as exc:
            raise SyslogError(f"cannot load the TLS certificates: {exc}") from None
        return ctx

    def send(self, messages: Iterable[bytes]) -> int:
        """Send each message (UDP: a datagram each; TCP/TLS: octet-counted); returns how many."""
        if self._sock is None:
            self.open()
        sock = self._sock
        assert sock is not None
        n = 0
        try:
            for m in messages:
                if self.target.transport == "udp":
                    sock.send(m[:MAX_DATAGRAM])
                else:
                    sock.sendall(octet_frame(m))
                n += 1
        except OSError as exc:
            raise SyslogError(f"sending to {self.target.host}:{self.target.port} failed after {n} "
                              f"messages: {exc.strerror or exc}") from None
        finally:
            self.sent += n
        return n

    def close(self) -> None:
        """End the connection so that the receiver gets every byte: for TCP and TLS, half-close, then read
        what the receiver still sends (TLS 1.3 session tickets) until it closes or ``LINGER`` passes;
        closing with unread bytes would make the kernel reset the connection and the receiver could
        lose the last messages."""
        sock, self._sock = self._sock, None
        if sock is None:
            return
        try:
            if self.target.transport != "udp":
                sock.shutdown(socket.SHUT_WR)
                sock.settimeout(LINGER)
                while sock.recv(4096):
                    pass
        except (OSError, ValueError):
            pass
        finally:
            sock.close()
