"""Niagara Fox (Tridium) decoder, clear-text TCP 1911. See docs/protocols/fox.md."""

from plantwarden.decoders.fox.decoder import FoxDecoder

__all__ = ["FoxDecoder"]
