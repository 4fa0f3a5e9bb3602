"""A starter model from the stored inventory (docs/zones.md, "Propose").

Zones by Purdue level of the assets' roles (one address per member, ``/32`` or ``/128``), one conduit
per pair of zones that talked, allowing exactly the protocols, server ports, function classes and
initiating zones observed. ``check`` accepts the proposal with zero violations; it is a starting
point for the user to review (merge zones, widen CIDRs, remove what should not be there).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

import yaml

from plantwarden.inventory.model import Asset, Communication
from plantwarden.zones.check import UNCLASSIFIED, classes_of
from plantwarden.zones.classes import CLASSES

#: Purdue level -> zone name; assets whose role gives no level go to ``unassigned``
LEVEL_ZONES = {0: "level0-process", 1: "level1-control", 2: "level2-supervisory", 3: "level3-operations",
               4: "level4-enterprise", 5: "level5-enterprise"}
UNASSIGNED = "unassigned"
DEFAULT_SL_T = 2

HEADER = """\
# plantwarden zones model, proposed from the observed traffic. Review before use:
# zones come from the assets' roles (Purdue level), conduits allow exactly what was seen,
# including any traffic that should not be there. docs/zones.md describes every key.
"""


def _zone_name(asset: Asset) -> str:
    level = asset.purdue_level
    return LEVEL_ZONES.get(level, UNASSIGNED) if level is not None else UNASSIGNED


def _host_cidr(ip: str) -> str:
    addr = ipaddress.ip_address(ip)
    return f"{addr}/{addr.max_prefixlen}"


def propose_document(assets: Iterable[Asset], comms: Iterable[Communication]) -> dict[str, Any]:
    members: dict[str, list[str]] = {}
    zone_of: dict[str, str] = {}
    for a in sorted(assets, key=lambda a: (ipaddress.ip_address(a.ip).version, int(ipaddress.ip_address(a.ip)))):
        try:
            cidr = _host_cidr(a.ip)
        except ValueError:
            continue
        name = _zone_name(a)
        zone_of[a.ip] = name
        members.setdefault(name, []).append(cidr)
    order = [*LEVEL_ZONES.values(), UNASSIGNED]
    levels = {v: k for k, v in LEVEL_ZONES.items()}
    zones = [{"name": n, "purdue_level": levels.get(n), "sl_t": DEFAULT_SL_T, "members": {"cidrs": members[n]}}
             for n in order if n in members]
    # (zone a, zone b) sorted -> protocol -> ports; classes; initiators
    pairs: dict[tuple[str, str], dict[str, Any]] = {}
    for c in comms:
        cz, sz = zone_of.get(c.client), zone_of.get(c.server)
        if cz is None or sz is None or cz == sz:
            continue
        za, zb = sorted((cz, sz), key=order.index)
        p = pairs.setdefault((za, zb), {"protocols": {}, "classes": set(), "initiators": set()})
        p["protocols"].setdefault(c.protocol, set()).update(c.server_ports)
        counts, _ = classes_of(c)
        p["classes"].update(k for k in counts if k != UNCLASSIFIED)
        p["initiators"].add(cz)
    conduits = []
    for (za, zb), p in sorted(pairs.items(), key=lambda kv: (order.index(kv[0][0]), order.index(kv[0][1]))):
        conduits.append({
            "name": f"{za}--{zb}", "zones": [za, zb],
            "protocols": [{"protocol": proto, "ports": sorted(ports)} for proto, ports in sorted(p["protocols"].items())],
            "function_classes": [k for k in CLASSES if k in p["classes"]],
            "initiators": sorted(p["initiators"], key=order.index),
        })
    return {"zones": zones, "conduits": conduits}


def propose_yaml(assets: Iterable[Asset], comms: Iterable[Communication]) -> str:
    doc = propose_document(assets, comms)
    return HEADER + yaml.safe_dump(doc, sort_keys=False, default_flow_style=None, width=100)
