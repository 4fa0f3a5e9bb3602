"""BSAP (Bristol Babcock / Emerson) decoders: BSAP/IP on UDP 1234, serial BSAP in UDP on 1235.
See docs/protocols/bsap.md."""

from plantwarden.decoders.bsap.decoder import BsapIpDecoder, BsapSerialDecoder

__all__ = ["BsapIpDecoder", "BsapSerialDecoder"]
