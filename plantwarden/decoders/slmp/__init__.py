"""MELSEC MC protocol / SLMP decoder (binary 3E/4E; MELSOFT frames recognised). See docs/protocols/slmp.md."""

from plantwarden.decoders.slmp.decoder import SlmpDecoder, SlmpUdpDecoder

__all__ = ["SlmpDecoder", "SlmpUdpDecoder"]
