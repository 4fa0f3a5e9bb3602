"""SMB over TCP 445 and NetBIOS 139: negotiation, NTLMSSP session setup, tree connects, then counts."""

from plantwarden.decoders.smb.decoder import SmbDecoder

__all__ = ["SmbDecoder"]
