"""VNC (RFB, RFC 6143): versions, security types and result, ClientInit/ServerInit, message counts."""

from plantwarden.decoders.vnc.decoder import VncDecoder

__all__ = ["VncDecoder"]
