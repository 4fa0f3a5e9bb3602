"""RDP connection setup: cookie user name, requested and selected security protocols."""

from plantwarden.decoders.rdp.decoder import RdpDecoder

__all__ = ["RdpDecoder"]
