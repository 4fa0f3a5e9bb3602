"""Check observed communications against a zones-and-conduits model (docs/zones.md, "Check").

Every stored communication (client, server, protocol) is placed in the zones of its two ends. Inside
one zone nothing is checked. Across two zones, the conduit between them must exist, allow the
protocol (and its server ports), allow every class of function used, and let the client's zone
initiate. Each failure is one :class:`Violation`; ``check`` returns a :class:`Report`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from plantwarden.inventory.model import Asset, Communication
from plantwarden.zones.classes import CLASSES, activity_class, function_class
from plantwarden.zones.model import Conduit, Zone, ZoneModel

#: violation kinds, in the order a communication is checked
NO_CONDUIT = "no_conduit"
PROTOCOL = "protocol_not_allowed"
PORT = "port_not_allowed"
INITIATOR = "wrong_initiator"
FUNCTION_CLASS = "function_class_not_allowed"
KINDS = (NO_CONDUIT, PROTOCOL, PORT, INITIATOR, FUNCTION_CLASS)
UNCLASSIFIED = "unclassified"


@dataclass(slots=True)
class Violation:
    kind: str
    conduit: str | None
    client: str
    server: str
    client_zone: str
    server_zone: str
    protocol: str
    detail: str
    count: int
    first_seen: float
    last_seen: float


@dataclass(slots=True)
class Observed:
    """One communication that crosses two zones."""

    comm: Communication
    client_zone: str
    server_zone: str
    #: class (or "unclassified") -> requests
    classes: dict[str, int]
    #: class -> names of the functions in it
    functions: dict[str, list[str]]


@dataclass(slots=True)
class Report:
    model: ZoneModel
    #: asset IP -> zone name (None: in no zone)
    placement: dict[str, str | None]
    assets: list[Asset]
    observed: list[Observed] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    intra_zone: int = 0
    #: communications with an end in no zone (not checked)
    unplaced: list[Communication] = field(default_factory=list)

    def conduit_observed(self, conduit: Conduit) -> list[Observed]:
        pair = set(conduit.zones)
        return [o for o in self.observed if {o.client_zone, o.server_zone} == pair]

    def conduit_violations(self, conduit: Conduit | None) -> list[Violation]:
        name = conduit.name if conduit is not None else None
        return [v for v in self.violations if v.conduit == name]

    @property
    def unzoned_assets(self) -> list[Asset]:
        return [a for a in self.assets if self.placement.get(a.ip) is None]


def asset_tags(model: ZoneModel, asset: Asset | None, ip: str) -> set[str]:
    """The tags of an address: those the model's ``tags`` put on its IP or MAC, and ``role-<role>``."""
    keys = {ip}
    out: set[str] = set()
    if asset is not None:
        keys.update(asset.macs)
        out.update(f"role-{r}" for r in asset.roles)
    for tag, members in model.tags.items():
        if members & keys:
            out.add(tag)
    return out


@lru_cache(maxsize=65536)
def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def place(model: ZoneModel, ip: str, asset: Asset | None) -> Zone | None:
    """The zone of an address: the most specific match wins (a MAC, then a tag, then the longest CIDR
    prefix); between zones that match equally, the first in the file."""
    addr = _ip(ip)
    macs = set(asset.macs) if asset is not None else set()
    tags = asset_tags(model, asset, ip)
    best: tuple[int, int] = (0, -1)
    found: Zone | None = None
    for z in model.zones:
        score: tuple[int, int] = (0, -1)
        if z.macs & macs:
            score = (3, 0)
        elif z.tags & tags:
            score = (2, 0)
        elif addr is not None:
            for net in z.cidrs:
                if addr.version == net.version and addr in net and (1, net.prefixlen) > score:
                    score = (1, net.prefixlen)
        if score > best:
            best, found = score, z
    return found


def classes_of(comm: Communication) -> tuple[dict[str, int], dict[str, list[str]]]:
    """class -> requests and class -> function names, over a communication's function table."""
    counts: dict[str, int] = {}
    names: dict[str, list[str]] = {}
    for fc in sorted(comm.functions.values(), key=lambda f: f.code):
        found: list[tuple[str, int]] = []
        if fc.activities:  # what the decoder said each request did (docs/inventory.md)
            for act, n in sorted(fc.activities.items()):
                found.append((activity_class(comm.protocol, fc.name, act) or UNCLASSIFIED, n))
            rest = fc.requests - sum(fc.activities.values())
            if rest > 0:
                found.append((function_class(comm.protocol, fc.code, fc.name) or UNCLASSIFIED, rest))
        else:  # stored before activities were kept, or nothing classified: by the function alone
            found.append((function_class(comm.protocol, fc.code, fc.name) or UNCLASSIFIED,
                          fc.requests or fc.responses))
        for cls, n in found:
            counts[cls] = counts.get(cls, 0) + n
            if fc.name not in names.setdefault(cls, []):
                names[cls].append(fc.name)
    return counts, names


class Placer:
    """The zone name of each address (None: in no zone), computed once per address."""

    def __init__(self, model: ZoneModel, assets: Iterable[Asset]) -> None:
        self.model = model
        self.by_ip = {a.ip: a for a in assets}
        self.zone_of: dict[str, str | None] = {}

    def __call__(self, ip: str) -> str | None:
        if ip not in self.zone_of:
            z = place(self.model, ip, self.by_ip.get(ip))
            self.zone_of[ip] = z.name if z is not None else None
        return self.zone_of[ip]


def check(model: ZoneModel, assets: Iterable[Asset], comms: Iterable[Communication]) -> Report:
    asset_list = sorted(assets, key=lambda a: (_sort_ip(a.ip)))
    zone = Placer(model, asset_list)
    zone_of = zone.zone_of

    for a in asset_list:
        zone(a.ip)
    report = Report(model, {a.ip: zone_of[a.ip] for a in asset_list}, asset_list)
    for c in sorted(comms, key=lambda c: (c.first_seen, _sort_ip(c.client), _sort_ip(c.server), c.protocol)):
        cz, sz = zone(c.client), zone(c.server)
        if cz is None or sz is None:
            report.unplaced.append(c)
            continue
        if cz == sz:
            report.intra_zone += 1
            continue
        counts, names = classes_of(c)
        report.observed.append(Observed(c, cz, sz, counts, names))
        report.violations.extend(_violations(model.conduit_between(cz, sz), c, cz, sz, counts, names))
    return report


def _violations(conduit: Conduit | None, c: Communication, cz: str, sz: str, counts: dict[str, int],
                names: dict[str, list[str]]) -> list[Violation]:
    def v(kind: str, detail: str, count: int) -> Violation:
        return Violation(kind, conduit.name if conduit else None, c.client, c.server, cz, sz, c.protocol, detail,
                         count, c.first_seen, c.last_seen)

    if conduit is None:
        return [v(NO_CONDUIT, f"no conduit between {cz} and {sz}", c.flows)]
    out: list[Violation] = []
    rule = conduit.rule(c.protocol)
    if rule is None:
        out.append(v(PROTOCOL, f"{c.protocol} is not allowed", c.flows))
    elif rule.ports is not None:
        bad = sorted(set(c.server_ports) - rule.ports)
        if bad:
            out.append(v(PORT, f"{c.protocol} on server port(s) {', '.join(map(str, bad))}", c.flows))
    if cz not in conduit.initiators:
        out.append(v(INITIATOR, f"{cz} may not initiate (initiators: {', '.join(sorted(conduit.initiators))})",
                     c.flows))
    if conduit.function_classes is not None:
        for cls in CLASSES:
            if cls in counts and cls not in conduit.function_classes:
                out.append(v(FUNCTION_CLASS, f"{cls}: {', '.join(names[cls])}", counts[cls]))
    return out


def _sort_ip(text: str) -> tuple[int, int, str]:
    addr = _ip(text)
    return (addr.version, int(addr), "") if addr is not None else (9, 0, text)
