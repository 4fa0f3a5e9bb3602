"""DHCPv4/BOOTP: message types, leases, client MAC, host name and vendor class (client identity)."""

from plantwarden.decoders.dhcp.decoder import DhcpDecoder

__all__ = ["DhcpDecoder"]
