"""IEC 61850 GOOSE (0x88B8) and Sampled Values (0x88BA, counted): see docs/protocols/goose.md."""

from plantwarden.decoders.goose.decoder import GooseDecoder, SvDecoder

__all__ = ["GooseDecoder", "SvDecoder"]
