"""The encryption posture: which protocols cross each zone and conduit in clear (docs/zones.md,
"Encryption posture").

Each stored communication gets a verdict from its protocol and the security facts its events showed
(``Communication.security``, filled by ``plantwarden.decoders.posture``):

* ``cleartext``: anyone on the path reads (and can change) the traffic;
* ``authenticated``: messages are signed or authenticated but readable (DNP3 Secure Authentication,
  OPC UA Sign, SNMPv3 authNoPriv);
* ``encrypted``: TLS, SSH, OPC UA SignAndEncrypt, SNMPv3 authPriv, RDP over TLS/CredSSP;
* ``unknown``: nothing says (a port no decoder ran on, an OPC UA capture that starts after the channel
  was opened, SMB).

Weaknesses (an old TLS version, a weak suite, standard RDP security, SSH 1) and passwords seen in clear
are listed beside the verdict: an encrypted but weak channel is still ``encrypted``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from plantwarden.inventory.model import Asset, Communication
from plantwarden.zones.model import ZoneModel
from plantwarden.zones.report import _e, _table

CLEARTEXT = "cleartext"
AUTHENTICATED = "authenticated"
ENCRYPTED = "encrypted"
UNKNOWN = "unknown"
#: worst first: the verdict of a mixed group is its worst
VERDICTS = (CLEARTEXT, UNKNOWN, AUTHENTICATED, ENCRYPTED)

SCHEMA = "plantwarden.zones.posture/1"

#: protocols that carry no protection of their own (their secure variants run on other ports and are
#: decoded as TLS): the verdict is cleartext whatever the traffic shows
CLEARTEXT_PROTOCOLS = frozenset({
    "modbus", "s7comm", "mms", "iec104", "enip", "bacnet", "fins", "slmp", "ads", "hartip", "c37118", "genisys",
    "bsap", "fox", "pnio_cm", "profinet", "goose", "sv", "mqtt", "telnet", "ftp", "http", "dns", "dhcp", "vnc",
})
#: protocols that are encrypted by construction
ENCRYPTED_PROTOCOLS = frozenset({"tls", "ssh"})


@dataclass(slots=True)
class Assessment:
    """The posture of one communication."""

    comm: Communication
    verdict: str
    weaknesses: list[str] = field(default_factory=list)
    #: protocols that carried a password in clear on this communication
    credentials_in_clear: list[str] = field(default_factory=list)


def _values(comm: Communication, name: str) -> set[str]:
    return {v for (n, v) in comm.security if n == name}


def assess(comm: Communication) -> Assessment:
    """The verdict of one communication, its weaknesses and any password seen in clear."""
    proto = comm.protocol
    weak: set[str] = set()
    if proto in CLEARTEXT_PROTOCOLS:
        verdict = CLEARTEXT
    elif proto == "tls":
        verdict = ENCRYPTED
        weak |= _values(comm, "tls_weak")
        weak |= {f"offered:{w}" for w in _values(comm, "tls_weak_offered")}
    elif proto == "ssh":
        verdict = ENCRYPTED
        weak |= {f"offered:{w}" for w in _values(comm, "ssh_weak_offered")}
        if any(v.startswith("1.") and v != "1.99" for v in _values(comm, "ssh_protocol")):
            weak.add("ssh1")
    elif proto == "dnp3":
        verdict = AUTHENTICATED if _values(comm, "dnp3_secure_authentication") else CLEARTEXT
    elif proto == "opcua":
        modes = _values(comm, "opcua_security_mode") - {"invalid"}
        verdict = _worst({"none": CLEARTEXT, "sign": AUTHENTICATED, "sign_and_encrypt": ENCRYPTED}.get(m, UNKNOWN)
                         for m in modes) if modes else UNKNOWN
        weak |= {f"policy:{p}" for p in _values(comm, "opcua_security_policy") & {"Basic128Rsa15", "Basic256"}}
    elif proto == "snmp":
        versions = _values(comm, "snmp_version")
        levels = _values(comm, "snmp_security_level")
        found = [CLEARTEXT for v in versions if v in ("1", "2c")]
        found += [{"noAuthNoPriv": CLEARTEXT, "authNoPriv": AUTHENTICATED, "authPriv": ENCRYPTED}.get(lv, UNKNOWN)
                  for lv in levels]
        verdict = _worst(found) if found else UNKNOWN
    elif proto == "rdp":
        chosen = _values(comm, "rdp_security")
        verdict = ENCRYPTED if chosen else UNKNOWN
        if "rdp" in chosen:
            weak.add("standard_rdp_security")
    else:
        verdict = UNKNOWN
    creds = sorted(_values(comm, "credentials_in_clear"))
    return Assessment(comm, verdict, sorted(weak), creds)


def _worst(verdicts: Iterable[str]) -> str:
    return min(verdicts, key=VERDICTS.index)


@dataclass(slots=True)
class Group:
    """The communications of one scope: a zone (both ends in it), a pair of zones (with or without a
    conduit), the ones with an end in no zone, or everything (no model)."""

    scope: str  # "zone", "conduit", "zone_pair", "unplaced", "all"
    name: str
    zones: tuple[str, ...]
    items: list[Assessment] = field(default_factory=list)


@dataclass(slots=True)
class Posture:
    groups: list[Group]
    model: ZoneModel | None


def posture(comms: Iterable[Communication], model: ZoneModel | None = None,
            assets: Iterable[Asset] = ()) -> Posture:
    """Assess every communication and group them by zone and conduit (or all in one group without a model)."""
    items = [assess(c) for c in sorted(comms, key=lambda c: (c.client, c.server, c.protocol))]
    if model is None:
        return Posture([Group("all", "all", (), items)], None)
    from plantwarden.zones.check import Placer

    zone = Placer(model, assets)

    groups: dict[tuple[str, ...], Group] = {}
    for z in model.zones:
        groups[(z.name,)] = Group("zone", z.name, (z.name,))
    for c in model.conduits:
        groups[tuple(sorted(c.zones))] = Group("conduit", c.name, tuple(c.zones))
    unplaced = Group("unplaced", "unplaced", ())
    for a in items:
        cz, sz = zone(a.comm.client), zone(a.comm.server)
        if cz is None or sz is None:
            unplaced.items.append(a)
            continue
        key = (cz,) if cz == sz else tuple(sorted((cz, sz)))
        g = groups.get(key)
        if g is None:
            g = groups[key] = Group("zone_pair", f"{key[0]}--{key[1]}", key)
        g.items.append(a)
    out = list(groups.values())
    if unplaced.items:
        out.append(unplaced)
    return Posture(out, model)


# -- documents ------------------------------------------------------------------------------------

def _count(d: dict[str, int], key: str, n: int = 1) -> None:
    d[key] = d.get(key, 0) + n


def group_document(g: Group) -> dict[str, Any]:
    protocols: dict[str, dict[str, Any]] = {}
    tls_versions: dict[str, int] = {}
    tls_ciphers: dict[str, int] = {}
    for a in g.items:
        c = a.comm
        p = protocols.setdefault(c.protocol, {"protocol": c.protocol, "verdicts": {}, "communications": 0,
                                              "flows": 0, "weaknesses": {}, "credentials_in_clear": 0})
        _count(p["verdicts"], a.verdict)
        p["communications"] += 1
        p["flows"] += c.flows
        for w in a.weaknesses:
            _count(p["weaknesses"], w)
        p["credentials_in_clear"] += bool(a.credentials_in_clear)
        for (name, value), n in c.security.items():
            if name == "tls_version":
                _count(tls_versions, value, n)
            elif name == "tls_cipher":
                _count(tls_ciphers, value, n)
    for p in protocols.values():
        p["verdict"] = _worst(p["verdicts"])
        p["verdicts"] = dict(sorted(p["verdicts"].items()))
        p["weaknesses"] = dict(sorted(p["weaknesses"].items()))
    verdict = _worst(a.verdict for a in g.items) if g.items else None
    return {
        "scope": g.scope, "name": g.name, "zones": list(g.zones), "verdict": verdict,
        "cleartext_protocols": sorted(p for p, d in protocols.items() if d["verdict"] == CLEARTEXT),
        "protocols": [protocols[k] for k in sorted(protocols)],
        "tls": {"versions": dict(sorted(tls_versions.items())), "ciphers": dict(sorted(tls_ciphers.items()))},
        "communications": [{
            "client": a.comm.client, "server": a.comm.server, "protocol": a.comm.protocol,
            "server_ports": sorted(a.comm.server_ports), "flows": a.comm.flows, "verdict": a.verdict,
            "weaknesses": a.weaknesses, "credentials_in_clear": a.credentials_in_clear,
            "security": [{"name": n, "value": v, "count": k} for (n, v), k in sorted(a.comm.security.items())],
            "first_seen": a.comm.first_seen, "last_seen": a.comm.last_seen,
        } for a in g.items],
    }


def posture_document(p: Posture) -> dict[str, Any]:
    """The documented JSON document of ``plantwarden zones posture`` (docs/zones.md)."""
    everything = [a for g in p.groups for a in g.items]
    verdicts: dict[str, int] = {}
    for a in everything:
        _count(verdicts, a.verdict)
    return {
        "schema": SCHEMA,
        "generated_at": time.time(),
        "summary": {
            "communications": len(everything),
            "verdicts": dict(sorted(verdicts.items())),
            "cleartext_protocols": sorted({a.comm.protocol for a in everything if a.verdict == CLEARTEXT}),
            "weak": sum(1 for a in everything if a.weaknesses),
            "credentials_in_clear": sum(1 for a in everything if a.credentials_in_clear),
        },
        "groups": [group_document(g) for g in p.groups if g.items or g.scope != "zone_pair"],
    }


# -- HTML -----------------------------------------------------------------------------------------

_CSS = """body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}th{background:#f3f3f3}
.cleartext{color:#a00;font-weight:bold}.unknown{color:#a60}.authenticated{color:#850}.encrypted{color:#070}"""

_SCOPE = {"zone": "Zone", "conduit": "Conduit", "zone_pair": "Zones without a conduit", "unplaced": "Unplaced",
          "all": "All communications"}


def posture_html(p: Posture) -> str:
    """One self-contained page (no script, no external resource); every string is escaped."""
    doc = posture_document(p)
    s = doc["summary"]
    parts = ["<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>plantwarden encryption posture</title>"
             f"<style>{_CSS}</style></head><body><h1>Encryption posture</h1>",
             f"<p>{_e(s['communications'])} communication(s): "
             + ", ".join(f"<span class=\"{_e(v)}\">{_e(n)} {_e(v)}</span>" for v, n in s["verdicts"].items())
             + f"; cleartext protocols: {_e(', '.join(s['cleartext_protocols']) or 'none')}; "
               f"{_e(s['weak'])} with weaknesses; {_e(s['credentials_in_clear'])} with passwords in clear.</p>"]
    for g in doc["groups"]:
        title = _SCOPE.get(g["scope"], g["scope"]) + ("" if g["scope"] in ("all", "unplaced") else f" {g['name']}")
        if g["scope"] in ("conduit", "zone_pair"):
            title += f" ({g['zones'][0]} \u2194 {g['zones'][1]})"
        verdict = g["verdict"] or "no traffic"
        parts.append(f"<h2>{_e(title)}: <span class=\"{_e(verdict)}\">{_e(verdict)}</span></h2>")
        if not g["communications"]:
            parts.append("<p>no traffic</p>")
            continue
        parts.append(_table(["protocol", "verdict", "communications", "flows", "weaknesses", "passwords in clear"],
                            [[q["protocol"], q["verdict"], q["communications"], q["flows"],
                              ", ".join(f"{w} ({n})" for w, n in q["weaknesses"].items()) or "-",
                              q["credentials_in_clear"]] for q in g["protocols"]]))
        if g["tls"]["versions"] or g["tls"]["ciphers"]:
            parts.append("<p>TLS versions: " + _e(", ".join(f"{v} ({n})" for v, n in g["tls"]["versions"].items()))
                         + "; suites: " + _e(", ".join(f"{v} ({n})" for v, n in g["tls"]["ciphers"].items()))
                         + "</p>")
        parts.append(_table(["client", "server", "protocol", "ports", "verdict", "weaknesses", "passwords in clear"],
                            [[c["client"], c["server"], c["protocol"], ", ".join(map(str, c["server_ports"])),
                              c["verdict"], ", ".join(c["weaknesses"]) or "-",
                              ", ".join(c["credentials_in_clear"]) or "-"] for c in g["communications"]]))
    parts.append("</body></html>\n")
    return "".join(parts)
