"""The inventory's data: assets, the facts known about them, and who talks to whom.

These types are shared by the in-memory builder (one capture) and the store (all captures), so the
JSON export (``plantwarden.inventory.export``) renders both the same way. See docs/inventory.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from plantwarden.core.activity import IDENTIFIES, PROGRAMS, READS, WRITES
from plantwarden.inventory.vendor import oui_vendor

SERVES = "serves"
#: behaviour counters an asset accumulates (see docs/inventory.md, "Roles")
BEHAVIOURS: tuple[str, ...] = (SERVES, READS, WRITES, PROGRAMS, IDENTIFIES)

#: roles, in order of precedence (the first that applies is the asset's ``role``)
ENGINEERING_WORKSTATION = "engineering_workstation"
PLC = "plc"
HMI = "hmi"
UNKNOWN = "unknown"

#: Purdue level of each role (None: not derivable from behaviour)
PURDUE_LEVEL: dict[str, int | None] = {
    PLC: 1,
    HMI: 2,
    ENGINEERING_WORKSTATION: 2,
    UNKNOWN: None,
}


def infer_roles(behaviour: dict[str, int]) -> list[str]:
    """Every role the behaviour supports, strongest first; ``["unknown"]`` when none does.

    * programs (block download/upload, PLC stop/start, UMAS programming) -> engineering workstation
    * serves an industrial protocol -> PLC / field device
    * reads or writes process data as a client -> HMI / SCADA client
    * only identification requests (Modbus 43/14, S7 SZL reads), nothing else -> engineering
      workstation (commissioning tools and scanners browse devices this way)
    """
    roles: list[str] = []
    if behaviour.get(PROGRAMS, 0):
        roles.append(ENGINEERING_WORKSTATION)
    if behaviour.get(SERVES, 0):
        roles.append(PLC)
    if behaviour.get(READS, 0) or behaviour.get(WRITES, 0):
        roles.append(HMI)
    elif behaviour.get(IDENTIFIES, 0) and not roles:
        roles.append(ENGINEERING_WORKSTATION)
    return roles or [UNKNOWN]


@dataclass(slots=True)
class Fact:
    """One thing an asset said about itself (or that we derived), with where we read it."""

    name: str
    value: str
    protocol: str
    confidence: float
    capture: str
    frame: int
    event: str
    first_seen: float
    last_seen: float
    count: int = 1

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.name, self.value, self.protocol)


@dataclass(slots=True)
class Asset:
    """A host, keyed by IP address."""

    ip: str
    first_seen: float
    last_seen: float
    macs: dict[str, int] = field(default_factory=dict)  # MAC -> flows seen with it
    behaviour: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BEHAVIOURS, 0))
    protocols: set[str] = field(default_factory=set)
    facts: dict[tuple[str, str, str], Fact] = field(default_factory=dict)

    def seen(self, first: float, last: float) -> None:
        if first < self.first_seen:
            self.first_seen = first
        if last > self.last_seen:
            self.last_seen = last

    def add_fact(self, fact: Fact) -> None:
        """Add a fact, or fold it into the same (name, value, protocol) fact already known."""
        old = self.facts.get(fact.key)
        if old is None:
            self.facts[fact.key] = fact
            return
        old.count += fact.count
        if fact.first_seen < old.first_seen:
            old.first_seen, old.capture, old.frame, old.event = (
                fact.first_seen, fact.capture, fact.frame, fact.event)
        if fact.last_seen > old.last_seen:
            old.last_seen = fact.last_seen
        if fact.confidence > old.confidence:
            old.confidence = fact.confidence

    @property
    def mac(self) -> str | None:
        """The MAC seen on most flows (ties: the smallest), or None."""
        if not self.macs:
            return None
        return min(self.macs.items(), key=lambda kv: (-kv[1], kv[0]))[0]

    @property
    def vendor(self) -> str | None:
        mac = self.mac
        return oui_vendor(mac) if mac else None

    @property
    def roles(self) -> list[str]:
        return infer_roles(self.behaviour)

    @property
    def role(self) -> str:
        return self.roles[0]

    @property
    def purdue_level(self) -> int | None:
        return PURDUE_LEVEL[self.role]

    def sorted_facts(self) -> list[Fact]:
        return sorted(self.facts.values(), key=lambda f: (f.name, -f.confidence, -f.count, f.first_seen, f.value))

    def identity(self) -> dict[str, str]:
        """One value per fact name: highest confidence, then most often seen, then earliest."""
        out: dict[str, str] = {}
        for f in self.sorted_facts():
            out.setdefault(f.name, f.value)
        return out

    def conflicts(self) -> list[str]:
        """Fact names for which the sources gave different values (all values are kept)."""
        values: dict[str, set[str]] = {}
        for f in self.facts.values():
            values.setdefault(f.name, set()).add(f.value)
        return sorted(n for n, v in values.items() if len(v) > 1)


@dataclass(slots=True)
class FunctionCount:
    """How often one function (code) of a protocol was used on a communication."""

    code: str
    name: str
    requests: int = 0
    responses: int = 0
    exceptions: int = 0
    #: activity (reads, writes, programs, identifies) -> requests the decoder classified so; what the
    #: zones check puts in function classes (a function's activity may depend on more than its code:
    #: the CIP class, the BACnet property, the IEC 104 cause)
    activities: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class Communication:
    """Client -> server traffic of one protocol, summed over flows."""

    client: str
    server: str
    protocol: str  # decoder name, or "tcp/<port>" / "udp/<port>" when no decoder ran
    transport: str
    first_seen: float
    last_seen: float
    server_ports: set[int] = field(default_factory=set)
    flows: int = 0
    client_packets: int = 0
    server_packets: int = 0
    client_bytes: int = 0
    server_bytes: int = 0
    functions: dict[str, FunctionCount] = field(default_factory=dict)
    #: (name, value) -> events that showed it: what the traffic says about its security
    #: (plantwarden.decoders.posture; docs/inventory.md, "Security facts")
    security: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.client, self.server, self.protocol)

    def seen(self, first: float, last: float) -> None:
        if first < self.first_seen:
            self.first_seen = first
        if last > self.last_seen:
            self.last_seen = last


@dataclass(slots=True)
class Inventory:
    """What one builder learned (one or more captures), or what the store holds."""

    assets: dict[str, Asset] = field(default_factory=dict)
    communications: dict[tuple[str, str, str], Communication] = field(default_factory=dict)
    #: (weird name, protocol or "" for sensor-level weirds) -> count
    weirds: dict[tuple[str, str], int] = field(default_factory=dict)
    first_ts: float | None = None
    last_ts: float | None = None
    flows: int = 0
    events: int = 0
