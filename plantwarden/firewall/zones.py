"""A firewall rule set checked against the zones and conduits (docs/firewall.md, "Against the zones").

The zones model names the firewall and the zone behind each of its interfaces (``firewalls:``, docs/zones.md).
For every pair of those interfaces (traffic in on one, out on the other: the ``forward`` hook), the rule
set is evaluated (``plantwarden.firewall.evaluate``) for new TCP and UDP connections on every destination
port, split into the port ranges inside which no rule and no conduit changes its mind, from a
representative address of each zone (the first host of each of its CIDRs; a zone without CIDRs is
"unknown address", which makes address matches uncertain). What the rule set accepts is compared with the
conduit between the two zones:

* ``no_conduit``: it accepts new connections between two zones that have no conduit;
* ``wrong_initiator``: it accepts new connections opened from a zone the conduit does not let initiate;
* ``port_not_allowed``: it accepts ports outside what the conduit's protocols use (their ``ports``, or
  the decoders' default ports; ``tcp/N`` and ``udp/N`` are port N).

With the stored communications, each one whose two ends sit behind two of the firewall's interfaces is
evaluated too:

* ``observed_blocked``: the traffic was seen, yet this rule set drops it: the capture point is not behind
  this firewall, or the rule set given is not the one that runs;
* ``observed_forbidden``: the rule set accepts it, and the zones check says the conduit forbids it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from plantwarden.firewall.evaluate import Packet, verdict
from plantwarden.firewall.model import Intervals, Rule, Ruleset, normalize, render_ports
from plantwarden.inventory.model import Asset, Communication
from plantwarden.zones.model import Conduit, Firewall, Zone, ZoneModel

TRANSPORTS = ("tcp", "udp")
SEVERITY = {"no_conduit": "high", "wrong_initiator": "high", "port_not_allowed": "medium",
            "observed_blocked": "medium", "observed_forbidden": "high"}
KINDS = tuple(SEVERITY)


@dataclass(slots=True)
class ZoneFinding:
    kind: str
    from_zone: str
    to_zone: str
    in_iface: str
    out_iface: str
    transport: str
    ports: list[tuple[int, int]]
    rules: list[Rule] = field(default_factory=list)
    certain: bool = True
    message: str = ""
    observed: Communication | None = None

    @property
    def severity(self) -> str:
        return SEVERITY[self.kind]


def conduit_ports(c: Conduit) -> dict[str, Intervals]:
    """transport -> the server ports the conduit's protocols use (empty: none on that transport)."""
    from plantwarden.decoders.registry import DECODERS

    spans: dict[str, list[tuple[int, int]]] = {t: [] for t in TRANSPORTS}
    for rule in c.protocols:
        transport, _, port = rule.protocol.partition("/")
        if transport in TRANSPORTS and port.isdigit():
            spans[transport].append((int(port), int(port)))
            continue
        for d in DECODERS:
            if d.name != rule.protocol or d.transport not in TRANSPORTS:
                continue
            ports = rule.ports if rule.ports is not None else d.default_ports
            spans[d.transport].extend((p, p) for p in ports)
    return {t: normalize(v) for t, v in spans.items()}


def representatives(z: Zone) -> list[str | None]:
    """One address per CIDR of the zone (its first host), or [None] when it has no CIDR."""
    out: list[str | None] = []
    for net in z.cidrs:
        out.append(str(net.network_address + 1) if net.num_addresses > 2 else str(net.network_address))
    return out or [None]


def _segments(rs: Ruleset, extra: Iterable[Intervals]) -> list[tuple[int, int]]:
    cuts = {0, 65536}
    for ch in rs.chains:
        for r in ch.rules:
            for lo, hi in r.dports:
                cuts.update((lo, hi + 1))
    for spans in extra:
        for lo, hi in spans:
            cuts.update((lo, hi + 1))
    pts = sorted(c for c in cuts if 0 <= c <= 65536)
    return [(a, b - 1) for a, b in zip(pts, pts[1:], strict=False)]


def _covered(spans: Intervals, seg: tuple[int, int]) -> bool:
    return any(lo <= seg[0] and seg[1] <= hi for lo, hi in spans)


def check_firewall(rs: Ruleset, model: ZoneModel, fw: Firewall, comms: Iterable[Communication] = (),
                   assets: Iterable[Asset] = ()) -> list[ZoneFinding]:
    findings = _rules_vs_conduits(rs, model, fw)
    findings.extend(_observed(rs, model, fw, comms, assets))
    return findings


def _rules_vs_conduits(rs: Ruleset, model: ZoneModel, fw: Firewall) -> list[ZoneFinding]:
    allowed = {c.name: conduit_ports(c) for c in model.conduits}
    segments = _segments(rs, [p for ports in allowed.values() for p in ports.values()])
    out: list[ZoneFinding] = []
    for ia, za in fw.interfaces.items():
        for ib, zb in fw.interfaces.items():
            if za == zb:
                continue
            conduit = model.conduit_between(za, zb)
            src_zone, dst_zone = model.zone(za), model.zone(zb)
            assert src_zone is not None and dst_zone is not None  # the model validated the names
            for transport in TRANSPORTS:
                acc: dict[str, ZoneFinding] = {}
                for src in representatives(src_zone):
                    for dst in representatives(dst_zone):
                        for seg in segments:
                            v = verdict(rs, "forward", Packet(src, dst, transport, seg[0], iif=ia, oif=ib))
                            if v.action != "accept":
                                continue
                            kind = _breach(conduit, za, allowed, transport, seg)
                            if kind is None:
                                continue
                            f = acc.get(kind)
                            if f is None:
                                f = acc[kind] = ZoneFinding(kind, za, zb, ia, ib, transport, [])
                            f.ports.append(seg)
                            f.certain = f.certain and v.certain
                            decider = v.rules[-1:] if v.rules else []
                            f.rules.extend(r for r in decider if r not in f.rules)
                for f in acc.values():
                    f.ports = list(normalize(f.ports))
                    f.message = _message(f, conduit, v_policy=not f.rules)
                    out.append(f)
    return out


def _breach(conduit: Conduit | None, za: str, allowed: dict[str, dict[str, Intervals]], transport: str,
            seg: tuple[int, int]) -> str | None:
    if conduit is None:
        return "no_conduit"
    if za not in conduit.initiators:
        return "wrong_initiator"
    if not _covered(allowed[conduit.name][transport], seg):
        return "port_not_allowed"
    return None


def _message(f: ZoneFinding, conduit: Conduit | None, v_policy: bool) -> str:
    ports = ",".join(render_ports(tuple(f.ports)))
    by = "the chain's default policy" if v_policy else "rule " + ", ".join(f"{r.chain}:{r.position}" for r in f.rules)
    what = f"new {f.transport} connections {f.from_zone} -> {f.to_zone} (in {f.in_iface}, out {f.out_iface}) " \
           f"on port(s) {ports}"
    if f.kind == "no_conduit":
        return f"{by} accepts {what}, but no conduit joins {f.from_zone} and {f.to_zone}"
    if f.kind == "wrong_initiator":
        assert conduit is not None
        return f"{by} accepts {what}, but conduit {conduit.name} lets only " \
               f"{', '.join(sorted(conduit.initiators))} initiate"
    assert conduit is not None
    return f"{by} accepts {what}, beyond what conduit {conduit.name} allows"


def _observed(rs: Ruleset, model: ZoneModel, fw: Firewall, comms: Iterable[Communication],
              assets: Iterable[Asset]) -> list[ZoneFinding]:
    from plantwarden.zones.check import check, place

    asset_list = list(assets)
    by_ip = {a.ip: a for a in asset_list}
    iface_of: dict[str, str] = {}
    for iface, zone in fw.interfaces.items():
        iface_of.setdefault(zone, iface)
    out: list[ZoneFinding] = []
    for c in comms:
        if c.transport not in TRANSPORTS:
            continue
        cz, sz = place(model, c.client, by_ip.get(c.client)), place(model, c.server, by_ip.get(c.server))
        if cz is None or sz is None or cz.name == sz.name or cz.name not in iface_of or sz.name not in iface_of:
            continue
        ia, ib = iface_of[cz.name], iface_of[sz.name]
        for port in sorted(c.server_ports):
            try:
                ipaddress.ip_address(c.client)
                ipaddress.ip_address(c.server)
            except ValueError:
                break
            v = verdict(rs, "forward", Packet(c.client, c.server, c.transport, port, iif=ia, oif=ib))
            base = ZoneFinding("observed_blocked", cz.name, sz.name, ia, ib, c.transport, [(port, port)],
                               v.rules[-1:], v.certain, observed=c)
            by = "the chain's default policy" if not v.rules else f"rule {v.rules[-1].chain}:{v.rules[-1].position}"
            if v.action in ("drop", "reject"):
                base.message = (f"{c.client} -> {c.server} {c.protocol} ({c.transport}/{port}) was observed "
                                f"({c.flows} flow(s)), yet {by} would {v.action} it: the capture is not behind "
                                f"this firewall, or this is not the rule set that runs")
                out.append(base)
            elif v.action == "accept":
                violations = check(model, asset_list, [c]).violations
                if violations:
                    base.kind = "observed_forbidden"
                    base.message = (f"{c.client} -> {c.server} {c.protocol} ({c.transport}/{port}) was observed and "
                                    f"{by} accepts it, though " + "; ".join(v.detail for v in violations))
                    out.append(base)
    return out


def finding_document(f: ZoneFinding) -> dict[str, Any]:
    from plantwarden.firewall.analysis import rule_doc

    c = f.observed
    return {
        "kind": f.kind, "severity": f.severity, "certain": f.certain, "from_zone": f.from_zone,
        "to_zone": f.to_zone, "in_interface": f.in_iface, "out_interface": f.out_iface, "transport": f.transport,
        "ports": render_ports(tuple(f.ports)), "message": f.message, "rules": [rule_doc(r) for r in f.rules],
        "observed": None if c is None else {
            "client": c.client, "server": c.server, "protocol": c.protocol, "flows": c.flows,
            "first_seen": c.first_seen, "last_seen": c.last_seen},
    }
