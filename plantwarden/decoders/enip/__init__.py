"""EtherNet/IP (encapsulation, CPF) and CIP: see docs/protocols/enip.md."""

from plantwarden.decoders.enip.decoder import EnipDecoder, EnipUdpDecoder

__all__ = ["EnipDecoder", "EnipUdpDecoder"]
