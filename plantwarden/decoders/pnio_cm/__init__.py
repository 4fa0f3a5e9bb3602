"""PROFINET IO context management over DCE/RPC (UDP 34964): see docs/protocols/profinet.md."""

from plantwarden.decoders.pnio_cm.decoder import PnioCmDecoder

__all__ = ["PnioCmDecoder"]
