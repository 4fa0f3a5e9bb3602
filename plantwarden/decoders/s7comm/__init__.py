"""S7comm decoder (TPKT / COTP / S7comm, S7comm-plus recognised). See docs/protocols/s7comm.md."""

from plantwarden.decoders.s7comm.decoder import S7commDecoder

__all__ = ["S7commDecoder"]
