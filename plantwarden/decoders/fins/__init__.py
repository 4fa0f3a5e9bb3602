"""Omron FINS decoder (FINS/TCP and FINS/UDP on port 9600). See docs/protocols/fins.md."""

from plantwarden.decoders.fins.decoder import FinsDecoder, FinsUdpDecoder

__all__ = ["FinsDecoder", "FinsUdpDecoder"]
