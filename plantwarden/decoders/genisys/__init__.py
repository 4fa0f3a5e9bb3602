"""GENISYS (Union Switch & Signal) decoder, TCP 10001. See docs/protocols/genisys.md."""

from plantwarden.decoders.genisys.decoder import GenisysDecoder

__all__ = ["GenisysDecoder"]
