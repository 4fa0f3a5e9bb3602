"""DNP3 decoder over TCP and UDP (link CRCs, transport reassembly, application objects). See docs/protocols/dnp3.md."""

from plantwarden.decoders.dnp3.decoder import Dnp3Decoder, Dnp3UdpDecoder

__all__ = ["Dnp3Decoder", "Dnp3UdpDecoder"]
