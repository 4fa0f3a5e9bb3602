"""Beckhoff ADS/AMS decoder (TCP 48898; UDP 48899 discovery and routes). See docs/protocols/ads.md."""

from plantwarden.decoders.ads.decoder import AdsDecoder, AdsUdpDecoder

__all__ = ["AdsDecoder", "AdsUdpDecoder"]
