"""HART-IP decoders (TCP and UDP 5094; HART token-passing and direct PDUs). See docs/protocols/hartip.md."""

from plantwarden.decoders.hartip.decoder import HartipDecoder, HartipUdpDecoder

__all__ = ["HartipDecoder", "HartipUdpDecoder"]
