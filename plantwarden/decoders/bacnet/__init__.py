"""BACnet/IP decoder (BVLC, NPDU, APDU, services, segmentation). See docs/protocols/bacnet.md."""

from plantwarden.decoders.bacnet.decoder import BacnetDecoder

__all__ = ["BacnetDecoder"]
