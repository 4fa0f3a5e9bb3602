"""What a client's request says about the client: it reads, writes, programs or identifies.

Each protocol's decoder knows its own requests (``Decoder.activity``, e.g.
plantwarden/decoders/modbus/activity.py); the registry looks the decoder up by protocol name.
See docs/inventory.md ("Roles") for the rules and their reasons.
"""

from __future__ import annotations

from plantwarden.decoders.registry import activity as classify

__all__ = ["classify"]
