"""ClientHello and ServerHello bodies (the handshake message without its 4-byte header), JA3/JA3S.

JA3 (Salesforce's public method): the decimal values of the ClientHello's legacy version, cipher
suites, extension types, supported groups and EC point formats, lists joined by ``-`` and the five
parts by ``,``, GREASE values left out; JA3 is the md5 of that string. JA3S: the ServerHello's
version, cipher and extension types.
"""

from __future__ import annotations

import hashlib
from typing import Any

from plantwarden.decoders.tls.constants import (
    CIPHERS,
    EXT_ALPN,
    EXT_GROUPS,
    EXT_POINT_FORMATS,
    EXT_SNI,
    EXT_SUPPORTED_VERSIONS,
    VERSIONS,
    WEAK_CIPHERS,
    WEAK_VERSIONS,
    is_grease,
)

#: longest SNI / ALPN string kept
MAX_STR = 255


class HelloError(Exception):
    pass


def _u16(b: bytes, off: int) -> int:
    if off + 2 > len(b):
        raise HelloError(f"truncated at {off}")
    return (b[off] << 8) | b[off + 1]


def _vec(b: bytes, off: int, lenbytes: int) -> tuple[bytes, int]:
    if off + lenbytes > len(b):
        raise HelloError(f"truncated length at {off}")
    n = int.from_bytes(b[off:off + lenbytes], "big")
    start = off + lenbytes
    if start + n > len(b):
        raise HelloError(f"vector of {n} bytes at {off} runs past the message")
    return b[start:start + n], start + n


def _text(raw: bytes) -> str:
    s = raw[:MAX_STR].decode("utf-8", "backslashreplace")
    return s if s.isprintable() else "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in s)


def _u16s(raw: bytes) -> list[int]:
    return [(raw[i] << 8) | raw[i + 1] for i in range(0, len(raw) - 1, 2)]


def _extensions(body: bytes, off: int) -> list[tuple[int, bytes]]:
    if off >= len(body):
        return []
    block, _ = _vec(body, off, 2)
    out = []
    i = 0
    while i + 4 <= len(block):
        t = (block[i] << 8) | block[i + 1]
        n = (block[i + 2] << 8) | block[i + 3]
        out.append((t, block[i + 4:i + 4 + n]))
        i += 4 + n
    if i != len(block):
        raise HelloError("extension runs past the extensions block")
    return out


def _alpn(data: bytes) -> list[str]:
    raw, _ = _vec(data, 0, 2)
    out, i = [], 0
    while i < len(raw):
        n = raw[i]
        out.append(_text(raw[i + 1:i + 1 + n]))
        i += 1 + n
    return out


def _sni(data: bytes) -> str | None:
    raw, _ = _vec(data, 0, 2)
    i = 0
    while i + 3 <= len(raw):
        kind = raw[i]
        n = (raw[i + 1] << 8) | raw[i + 2]
        if kind == 0:
            return _text(raw[i + 3:i + 3 + n])
        i += 3 + n
    return None


def client_hello(body: bytes, f: dict[str, Any]) -> None:
    """Fill ``f`` from a ClientHello body; raises HelloError when it cannot be read."""
    legacy = _u16(body, 0)
    off = 34
    sid, off = _vec(body, off, 1)
    suites_raw, off = _vec(body, off, 2)
    comp, off = _vec(body, off, 1)
    suites = _u16s(suites_raw)
    exts = _extensions(body, off)
    f["legacy_version"] = VERSIONS[legacy]
    f["session_id_length"] = len(sid)
    f["cipher_suites"] = [CIPHERS[c] for c in suites]
    f["compression_methods"] = list(comp)
    f["extensions"] = [t for t, _ in exts]
    versions: list[int] = []
    groups: list[int] = []
    formats: list[int] = []
    sni = None
    alpn: list[str] = []
    for t, data in exts:
        if t == EXT_SNI:
            sni = _sni(data)
        elif t == EXT_ALPN:
            alpn = _alpn(data)
        elif t == EXT_GROUPS:
            groups = _u16s(_vec(data, 0, 2)[0])
        elif t == EXT_POINT_FORMATS:
            formats = list(_vec(data, 0, 1)[0])
        elif t == EXT_SUPPORTED_VERSIONS:
            versions = _u16s(_vec(data, 0, 1)[0])
    f["supported_versions"] = [VERSIONS[v] for v in versions if not is_grease(v)]
    f["sni"] = sni
    f["alpn"] = alpn
    f["supported_groups"] = [g for g in groups if not is_grease(g)]
    ja3 = ",".join((
        str(legacy),
        "-".join(str(c) for c in suites if not is_grease(c)),
        "-".join(str(t) for t, _ in exts if not is_grease(t)),
        "-".join(str(g) for g in groups if not is_grease(g)),
        "-".join(map(str, formats)),
    ))
    f["ja3"] = ja3
    f["ja3_hash"] = hashlib.md5(ja3.encode(), usedforsecurity=False).hexdigest()
    offered = [v for v in versions if not is_grease(v)] or [legacy]
    weak = sorted({VERSIONS[v] for v in offered if v in WEAK_VERSIONS} | {WEAK_CIPHERS[c] for c in suites
                                                                          if c in WEAK_CIPHERS})
    f["weak_offered"] = weak
    if any(comp):
        f["weak_offered"] = [*weak, "compression"]
    f["version"] = VERSIONS[max(offered)]


def server_hello(body: bytes, f: dict[str, Any]) -> tuple[int, int]:
    """Fill ``f`` from a ServerHello body; return (selected version, cipher suite)."""
    legacy = _u16(body, 0)
    off = 34
    sid, off = _vec(body, off, 1)
    cipher = _u16(body, off)
    if off + 3 > len(body):
        raise HelloError("truncated before the compression method")
    comp = body[off + 2]
    exts = _extensions(body, off + 3)
    version = legacy
    alpn: list[str] = []
    for t, data in exts:
        if t == EXT_SUPPORTED_VERSIONS and len(data) >= 2:
            version = (data[0] << 8) | data[1]
        elif t == EXT_ALPN:
            alpn = _alpn(data)
    f["legacy_version"] = VERSIONS[legacy]
    f["version"] = VERSIONS[version]
    f["session_id_length"] = len(sid)
    f["cipher"] = CIPHERS[cipher]
    f["cipher_code"] = cipher
    f["compression_method"] = comp
    f["extensions"] = [t for t, _ in exts]
    f["alpn"] = alpn[0] if alpn else None
    ja3s = f"{legacy},{cipher},{'-'.join(str(t) for t, _ in exts)}"
    f["ja3s"] = ja3s
    f["ja3s_hash"] = hashlib.md5(ja3s.encode(), usedforsecurity=False).hexdigest()
    weak = []
    if version in WEAK_VERSIONS:
        weak.append(VERSIONS[version])
    if cipher in WEAK_CIPHERS:
        weak.append(WEAK_CIPHERS[cipher])
    if comp:
        weak.append("compression")
    f["weak"] = weak
    return version, cipher
