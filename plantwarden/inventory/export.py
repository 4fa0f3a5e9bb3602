"""The inventory as JSON: a public interface, every field documented in docs/inventory.md."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from plantwarden.inventory.model import Asset, Communication, Fact

#: bumped when a field changes meaning or disappears (adding a field does not bump it)
FORMAT_VERSION = 1


def fact_json(f: Fact) -> dict[str, Any]:
    return {
        "name": f.name,
        "value": f.value,
        "confidence": round(f.confidence, 3),
        "source": {"protocol": f.protocol, "capture": f.capture, "frame": f.frame, "event": f.event},
        "first_seen": f.first_seen,
        "last_seen": f.last_seen,
        "count": f.count,
    }


def asset_json(a: Asset) -> dict[str, Any]:
    return {
        "ip": a.ip,
        "mac": a.mac,
        "macs": sorted(a.macs),
        "vendor": a.vendor,
        "role": a.role,
        "roles": a.roles,
        "purdue_level": a.purdue_level,
        "behaviour": dict(a.behaviour),
        "protocols": sorted(a.protocols),
        "first_seen": a.first_seen,
        "last_seen": a.last_seen,
        "identity": a.identity(),
        "conflicts": a.conflicts(),
        "facts": [fact_json(f) for f in a.sorted_facts()],
    }


def communication_json(c: Communication) -> dict[str, Any]:
    return {
        "client": c.client,
        "server": c.server,
        "protocol": c.protocol,
        "transport": c.transport,
        "server_ports": sorted(c.server_ports),
        "flows": c.flows,
        "packets": c.client_packets + c.server_packets,
        "bytes": c.client_bytes + c.server_bytes,
        "client_packets": c.client_packets,
        "server_packets": c.server_packets,
        "client_bytes": c.client_bytes,
        "server_bytes": c.server_bytes,
        "first_seen": c.first_seen,
        "last_seen": c.last_seen,
        "functions": [
            {"code": f.code, "name": f.name, "requests": f.requests, "responses": f.responses,
             "exceptions": f.exceptions, "activities": dict(sorted(f.activities.items()))}
            for f in sorted(c.functions.values(), key=lambda f: (-f.requests - f.responses, f.code))
        ],
        "security": [{"name": n, "value": v, "count": k} for (n, v), k in sorted(c.security.items())],
    }


def _ip_key(ip: str) -> tuple[int, int, str]:
    try:
        a = ipaddress.ip_address(ip)
        return (a.version, int(a), ip)
    except ValueError:
        return (9, 0, ip)


def sort_assets(assets: Iterable[Asset]) -> list[Asset]:
    return sorted(assets, key=lambda a: _ip_key(a.ip))


def sort_communications(comms: Iterable[Communication]) -> list[Communication]:
    return sorted(comms, key=lambda c: (_ip_key(c.client), _ip_key(c.server), c.protocol))


def assets_document(assets: Iterable[Asset]) -> dict[str, Any]:
    """The document ``plantwarden assets --format json`` prints."""
    return {"format_version": FORMAT_VERSION, "assets": [asset_json(a) for a in sort_assets(assets)]}


def flows_document(comms: Iterable[Communication]) -> dict[str, Any]:
    """The document ``plantwarden flows --format json`` prints."""
    return {"format_version": FORMAT_VERSION,
            "communications": [communication_json(c) for c in sort_communications(comms)]}
