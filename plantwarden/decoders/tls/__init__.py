"""TLS: hellos (versions, SNI, ALPN, cipher suites, JA3/JA3S), certificates, alerts, encryption posture."""

from plantwarden.decoders.tls.decoder import TlsDecoder

__all__ = ["TlsDecoder"]
