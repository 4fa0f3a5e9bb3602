"""MAC address -> vendor, from the IEEE OUI registry that ships with ``netaddr``."""

from __future__ import annotations

from functools import lru_cache

import netaddr


@lru_cache(maxsize=8192)
def oui_vendor(mac: str) -> str | None:
    """The organisation the IEEE registered the MAC's OUI to, or None.

    None for unparsable, multicast/broadcast and locally administered (randomised or virtual) MACs,
    and for OUIs the registry does not know.
    """
    try:
        eui = netaddr.EUI(mac)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        return None
    if eui.value == 0:  # 00:00:00:00:00:00 is a placeholder, not Xerox hardware
        return None
    first = eui.words[0]
    if first & 0x03:  # group (multicast/broadcast) or locally administered: no vendor
        return None
    try:
        org = eui.oui.registration().org
    except (netaddr.NotRegisteredError, IndexError, KeyError, ValueError):
        return None
    org = str(org).strip().rstrip(",").strip()
    return org or None
