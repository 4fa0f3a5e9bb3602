"""Addresses the user types: an IP address or a MAC, normalised so that equal addresses compare equal."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

_MAC = re.compile(r"^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$")


def normalize_mac(text: str) -> str | None:
    """``00-1B-1B-4D-A2-10`` -> ``00:1b:1b:4d:a2:10``; None if ``text`` is not a MAC."""
    t = text.strip().lower()
    return t.replace("-", ":") if _MAC.match(t) else None


def address_or_mac(value: Any) -> str | None:
    """A MAC (lower case, colons) or an IP address (compressed form), or None for anything else."""
    if not isinstance(value, str):
        return None
    mac = normalize_mac(value)
    if mac is not None:
        return mac
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None
