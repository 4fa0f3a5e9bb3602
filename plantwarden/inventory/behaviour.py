"""What a client's request says about the client: it reads, writes, programs or identifies.

Each protocol's decoder knows its own requests (``Decoder.activity``, e.g.
plantwarden/decoders/modbus/activity.py); this module only finds the decoder by protocol name.
See docs/inventory.md ("Roles") for the rules and their reasons.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from plantwarden.decoders.registry import DECODERS

_ACTIVITY: dict[str, Callable[[Mapping[str, Any]], str | None]] = {d.name: d.activity for d in DECODERS}


def classify(proto: str, fields: Mapping[str, Any]) -> str | None:
    """The behaviour a request shows (``reads``, ``writes``, ``programs``, ``identifies``) or None."""
    fn = _ACTIVITY.get(proto)
    return fn(fields) if fn is not None else None
