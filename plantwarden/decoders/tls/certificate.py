"""The first certificate of a TLS <= 1.2 Certificate message, read with the ``cryptography`` package.

The certificate is attacker controlled DER: every failure of the parser is caught and becomes the
weird ``tls_bad_certificate``; the event then carries what could be read (the chain length).
"""

from __future__ import annotations

import hashlib
from typing import Any


def _attr(name: Any, oid: Any) -> str | None:
    try:
        vals = name.get_attributes_for_oid(oid)
    except Exception:
        return None
    if not vals:
        return None
    v = vals[0].value
    s = v if isinstance(v, str) else bytes(v).decode("utf-8", "backslashreplace")
    s = s[:255]
    return s if s.isprintable() else "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in s)


def describe(der: bytes, f: dict[str, Any]) -> str | None:
    """Fill ``f`` with the facts of one DER certificate; return a problem text or None."""
    f["sha256"] = hashlib.sha256(der).hexdigest()
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
        from cryptography.x509.oid import NameOID
    except ImportError:  # pragma: no cover - cryptography is a dependency
        return "the cryptography package is not installed"
    try:
        cert = x509.load_der_x509_certificate(der)
        subj, iss = cert.subject, cert.issuer
        f["subject_cn"] = _attr(subj, NameOID.COMMON_NAME)
        f["subject_o"] = _attr(subj, NameOID.ORGANIZATION_NAME)
        f["issuer_cn"] = _attr(iss, NameOID.COMMON_NAME)
        f["issuer_o"] = _attr(iss, NameOID.ORGANIZATION_NAME)
        f["serial"] = format(cert.serial_number, "x")
        f["not_before"] = cert.not_valid_before_utc.isoformat()
        f["not_after"] = cert.not_valid_after_utc.isoformat()
        f["self_signed"] = subj == iss
        try:
            f["signature_algorithm"] = cert.signature_algorithm_oid._name
        except Exception:
            f["signature_algorithm"] = None
        key = cert.public_key()
        if isinstance(key, rsa.RSAPublicKey):
            f["key_type"], f["key_size"] = "rsa", key.key_size
        elif isinstance(key, ec.EllipticCurvePublicKey):
            f["key_type"], f["key_size"] = "ec", key.key_size
        elif isinstance(key, dsa.DSAPublicKey):
            f["key_type"], f["key_size"] = "dsa", key.key_size
        elif isinstance(key, ed25519.Ed25519PublicKey):
            f["key_type"], f["key_size"] = "ed25519", 256
        elif isinstance(key, ed448.Ed448PublicKey):
            f["key_type"], f["key_size"] = "ed448", 456
        else:
            f["key_type"], f["key_size"] = type(key).__name__, None
    except Exception as e:  # malformed DER, unsupported algorithms: never raise into the sensor
        return f"{type(e).__name__}: {str(e)[:200]}"
    return None
