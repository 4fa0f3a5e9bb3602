"""DNS, mDNS and LLMNR (UDP and TCP): queries, responses, answers and the names they resolve."""

from plantwarden.decoders.dns.decoder import DnsDecoder, DnsTcpDecoder

__all__ = ["DnsDecoder", "DnsTcpDecoder"]
