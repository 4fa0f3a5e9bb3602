"""Commands that change a field device's network identity or port settings.

``ics.network_config_change`` (T0855 Unauthorized Command Message): PROFINET DCP Set of the IP
parameters, the name of station or a factory reset, and CIP writes to the TCP/IP Interface (class
0xF5) or Ethernet Link (class 0xF6) objects. A device that takes a new address or name drops out of
its controller's configuration: the process loses its I/O. See docs/detections/ics.network_config_change.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plantwarden.core.alerts import HIGH
from plantwarden.detections.rules import CommandRule

#: CIP objects that hold the device's network configuration
CIP_NETWORK_CLASSES = {0xF5: "TCP/IP Interface", 0xF6: "Ethernet Link"}
#: DCP set actions that change how the device is reached
DCP_ACTIONS = {"set_ip": "IP parameters", "set_name": "name of station", "set_alias": "alias name",
               "set_dhcp": "DHCP", "reset_factory_settings": "factory reset", "reset_to_factory": "factory reset"}


def _dcp_set(f: Mapping[str, Any]) -> str | None:
    what = [DCP_ACTIONS[a] for a in f.get("set") or () if a in DCP_ACTIONS]
    if not what:
        return None
    target = f" to {f['ip']}" if "ip" in f and "set_ip" in (f.get("set") or ()) else ""
    return f"PROFINET DCP set of {', '.join(what)}{target}"


def _cip_set(f: Mapping[str, Any]) -> str | None:
    name = CIP_NETWORK_CLASSES.get(f.get("class", -1))
    if name is None:
        return None
    attr = f.get("attribute")
    return f"CIP set of the {name} object" + (f" (attribute {attr})" if attr is not None else "")


class NetworkConfigChange(CommandRule):
    id = "ics.network_config_change"
    technique = "T0855"
    severity = HIGH
    summary = "A field device's IP address, station name or port settings changed over the network (PROFINET DCP Set, CIP TCP/IP or Ethernet Link object writes)."
    match = {
        "profinet_dcp_set_request": _dcp_set,
        "enip_set_attribute_single_request": _cip_set,
        "enip_set_attribute_all_request": _cip_set,
        "enip_set_attribute_list_request": _cip_set,
    }
