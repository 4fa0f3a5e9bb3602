"""Indicators of compromise: one normalised value of a known kind, where it came from, when it is valid.

Every value is normalised once, on import, into the form the matcher compares with what the sensor
sees (docs/iocs.md, "Normalisation"); a value that cannot be normalised raises
:class:`InvalidIndicator` with a reason that the importers count. Standard library only.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import quote, urlsplit, urlunsplit

IP: Final = "ip"
CIDR: Final = "cidr"
DOMAIN: Final = "domain"
URL: Final = "url"
MD5: Final = "md5"
SHA1: Final = "sha1"
SHA256: Final = "sha256"
#: every kind of indicator, in the order the docs list them
KINDS: Final = (IP, CIDR, DOMAIN, URL, MD5, SHA1, SHA256)
HASH_LENGTHS: Final = {MD5: 32, SHA1: 40, SHA256: 64}

#: limits that keep hostile feeds from bloating the store (and PostgreSQL's index rows)
MAX_VALUE: Final = 2000
MAX_SOURCE: Final = 128
MAX_DESCRIPTION: Final = 1024
MAX_STIX_ID: Final = 128

_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\Z")
_HEX = re.compile(r"[0-9a-f]+\Z")
_DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21, "ws": 80, "wss": 443}
#: characters left as they are in a normalised URL (everything printable in ASCII but space)
_URL_SAFE = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) != "%") + "%"


class InvalidIndicator(ValueError):
    """A value that is not a valid indicator of its kind; ``str(exc)`` is the reason."""


@dataclass(frozen=True, slots=True)
class Indicator:
    """One indicator. ``id`` is the store's row id (None before it is stored)."""

    kind: str
    value: str  # normalised (see normalize)
    source: str = ""  # the feed or file it came from
    description: str = ""
    stix_id: str | None = None  # the STIX indicator it came from, if any
    valid_from: float | None = None  # epoch seconds; None: always
    valid_until: float | None = None  # epoch seconds, exclusive; None: never expires
    id: int | None = None

    def valid_at(self, ts: float) -> bool:
        """Whether traffic at ``ts`` (epoch seconds) falls in the validity window."""
        return (self.valid_from is None or self.valid_from <= ts) and (
            self.valid_until is None or ts < self.valid_until)


@dataclass(slots=True)
class ImportReport:
    """What an importer read: the indicators it accepted and, per reason, how many it skipped."""

    indicators: list[Indicator] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    #: objects of the input that are not indicators (STIX identities, relationships ...): not counted as skipped
    ignored: int = 0

    def skip(self, reason: str) -> None:
        self.skipped[reason[:200]] += 1


def normalize(kind: str, raw: str) -> tuple[str, str]:
    """(kind, value) in normal form. An ``ip`` with a prefix becomes a ``cidr`` and a full-length
    ``cidr`` an ``ip``, so that either spelling matches. Raises :class:`InvalidIndicator`."""
    if kind not in KINDS:
        raise InvalidIndicator(f"unknown indicator type {kind[:40]!r}")
    if not isinstance(raw, str):
        raise InvalidIndicator(f"{kind} value is not a string")
    text = raw.strip()
    if not text:
        raise InvalidIndicator(f"empty {kind} value")
    if len(text) > MAX_VALUE:
        raise InvalidIndicator(f"{kind} value longer than {MAX_VALUE} characters")
    if kind in (IP, CIDR):
        return normalize_address(text)
    if kind == DOMAIN:
        return DOMAIN, normalize_domain(text)
    if kind == URL:
        return URL, normalize_url(text)
    value = text.lower()
    if len(value) != HASH_LENGTHS[kind] or not _HEX.match(value):
        raise InvalidIndicator(f"{kind} value is not {HASH_LENGTHS[kind]} hex digits")
    return kind, value


def normalize_address(text: str) -> tuple[str, str]:
    try:
        if "/" not in text:
            return IP, str(ipaddress.ip_address(text))
        net = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise InvalidIndicator("not an IP address or network") from None
    if net.prefixlen == net.max_prefixlen:
        return IP, str(net.network_address)
    return CIDR, str(net)


def normalize_domain(text: str) -> str:
    """Lower case, no trailing dot, international names in their ASCII (punycode) form; a leading
    ``*.`` (a wildcard certificate name) is dropped."""
    name = text.lower().rstrip(".")
    if name.startswith("*."):
        name = name[2:]
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            raise InvalidIndicator("not a valid international domain name") from None
    if not name or len(name) > 253:
        raise InvalidIndicator("domain name empty or longer than 253 characters")
    if not all(_LABEL.match(label) for label in name.split(".")):
        raise InvalidIndicator("not a domain name (labels of letters, digits, '-' and '_', 1-63 long)")
    return name


def normalize_url(text: str) -> str:
    """Scheme and host in lower case, the default port dropped, an empty path as ``/``, no fragment,
    non-ASCII characters percent-encoded (as UTF-8)."""
    if any(c in text for c in "\r\n\t\x00 "):
        raise InvalidIndicator("URL contains white space or control characters")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise InvalidIndicator("not a URL") from None
    scheme = parts.scheme.lower()
    host = parts.hostname
    if not scheme or not host:
        raise InvalidIndicator("URL without scheme or host")
    if ":" in host:  # IPv6 literal
        try:
            host = "[" + str(ipaddress.ip_address(host)) + "]"
        except ValueError:
            raise InvalidIndicator("URL with an invalid IPv6 host") from None
    else:
        host = normalize_domain(host) if not _is_ipv4(host) else host
    netloc = host if port is None or port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    path = quote(parts.path or "/", safe=_URL_SAFE)
    query = quote(parts.query, safe=_URL_SAFE)
    return urlunsplit((scheme, netloc, path, query, ""))


def _is_ipv4(host: str) -> bool:
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        return False
    return True


def clean_text(value: object, limit: int) -> str:
    """Free text from a feed (descriptions, source names): a string, cut at ``limit``."""
    if value is None:
        return ""
    return (value if isinstance(value, str) else str(value))[:limit]
