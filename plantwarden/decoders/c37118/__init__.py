"""IEEE C37.118.2 synchrophasor decoders (TCP 4712, UDP 4713). See docs/protocols/c37118.md."""

from plantwarden.decoders.c37118.decoder import C37118Decoder, C37118UdpDecoder

__all__ = ["C37118Decoder", "C37118UdpDecoder"]
