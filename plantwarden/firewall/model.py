"""The normalised firewall model shared by the iptables-save and nftables JSON parsers.

Every match dimension of a rule is a *set* so that "does rule A match everything rule B matches"
is a per-dimension subset test (a rule's match set is the product of its dimensions):

* addresses are integer interval sets over one combined space: IPv4 at ``[0, 2**32)`` and IPv6
  right after it, so "any", "any IPv4", prefixes, address sets and negations are all the same type;
* ports are integer interval sets over ``[0, 65535]``;
* protocols and interfaces are :class:`Names` (a finite set of names, or its complement);
* connection-tracking states are a subset of :data:`CT_STATES`.

A match the parsers do not understand is kept as text in ``Rule.opaque``: the rule matches at most
what its other dimensions say, maybe less.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

Intervals = tuple[tuple[int, int], ...]

V4_SIZE = 1 << 32
V6_SIZE = 1 << 128
V4: Intervals = ((0, V4_SIZE - 1),)
V6: Intervals = ((V4_SIZE, V4_SIZE + V6_SIZE - 1),)
ANY_ADDR: Intervals = ((0, V4_SIZE + V6_SIZE - 1),)
ANY_PORT: Intervals = ((0, 65535),)
CT_STATES = frozenset({"new", "established", "related", "invalid", "untracked"})

#: terminal verdicts: a packet matching the rule leaves the chain
TERMINAL = frozenset({"accept", "drop", "reject", "return", "queue"})


def normalize(spans: list[tuple[int, int]]) -> Intervals:
    """Sorted, merged, non-empty intervals."""
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(s for s in spans if s[0] <= s[1]):
        if out and lo <= out[-1][1] + 1:
            if hi > out[-1][1]:
                out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return tuple(out)


def intersect(a: Intervals, b: Intervals) -> Intervals:
    out = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


def complement(a: Intervals, universe: Intervals) -> Intervals:
    out: list[tuple[int, int]] = []
    for ulo, uhi in universe:
        cur = ulo
        for lo, hi in a:
            if hi < cur or lo > uhi:
                continue
            if lo > cur:
                out.append((cur, lo - 1))
            cur = max(cur, hi + 1)
        if cur <= uhi:
            out.append((cur, uhi))
    return normalize(out)


def covers(big: Intervals, small: Intervals) -> bool:
    """``small`` is a subset of ``big``."""
    if not small:
        return True
    if len(big) == 1:  # the common case (one prefix, one port range): no allocation
        return big[0][0] <= small[0][0] and small[-1][1] <= big[0][1]
    return intersect(big, small) == small


def overlaps(a: Intervals, b: Intervals) -> bool:
    """``a`` and ``b`` share a value."""
    i = j = 0
    while i < len(a) and j < len(b):
        if max(a[i][0], b[j][0]) <= min(a[i][1], b[j][1]):
            return True
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return False


def network(text: str) -> Intervals:
    """An address, CIDR or address/netmask as an interval of the combined space (ValueError if bad)."""
    net = ipaddress.ip_network(text.strip(), strict=False)
    base = 0 if net.version == 4 else V4_SIZE
    return ((base + int(net.network_address), base + int(net.broadcast_address)),)


def address_range(lo: str, hi: str) -> Intervals:
    a, b = ipaddress.ip_address(lo.strip()), ipaddress.ip_address(hi.strip())
    if a.version != b.version:
        raise ValueError("address range mixes IPv4 and IPv6")
    base = 0 if a.version == 4 else V4_SIZE
    return normalize([(base + int(a), base + int(b))])


def render_addresses(a: Intervals) -> list[str]:
    """Intervals as CIDRs; ``any`` / ``any-ipv4`` / ``any-ipv6`` for the whole space or a family."""
    if a == ANY_ADDR:
        return ["any"]
    out = []
    for lo, hi in a:
        for base, size, cls, name in ((0, V4_SIZE, ipaddress.IPv4Address, "any-ipv4"),
                                      (V4_SIZE, V6_SIZE, ipaddress.IPv6Address, "any-ipv6")):
            s, e = max(lo, base), min(hi, base + size - 1)
            if s > e:
                continue
            if (s, e) == (base, base + size - 1):
                out.append(name)
                continue
            nets = ipaddress.summarize_address_range(cls(s - base), cls(e - base))
            out.extend(str(n) for n in nets)
    return out


def render_ports(p: Intervals) -> list[str]:
    if p == ANY_PORT:
        return ["any"]
    return [str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in p]


@dataclass(frozen=True, slots=True)
class Names:
    """A finite set of names (``negated=False``) or everything but them (``negated=True``).

    ``Names()`` with ``negated=True`` and no values is "any". For interfaces a trailing ``+`` (iptables)
    or ``*`` (nftables) is a prefix wildcard.
    """

    values: frozenset[str] = frozenset()
    negated: bool = True

    @property
    def is_any(self) -> bool:
        return self.negated and not self.values

    def intersect(self, other: Names) -> Names:
        if not self.negated and not other.negated:
            return Names(frozenset(v for v in self.values if _in_names(v, other.values, exact=False))
                         | frozenset(v for v in other.values if _in_names(v, self.values, exact=False)), False)
        if not self.negated:
            return Names(frozenset(v for v in self.values if not _in_names(v, other.values, exact=True)), False)
        if not other.negated:
            return other.intersect(self)
        return Names(self.values | other.values, True)

    def covers(self, small: Names) -> bool:
        if self.negated:
            if small.negated:
                return all(_in_names(v, small.values, exact=True) for v in self.values)
            return not any(_overlap(v, w) for v in small.values for w in self.values)
        if small.negated:
            return False
        return all(_in_names(v, self.values, exact=False) for v in small.values)

    def overlaps(self, other: Names) -> bool:
        if self.negated and other.negated:
            return True
        if not self.negated and not other.negated:
            return any(_overlap(v, w) for v in self.values for w in other.values)
        pos, neg = (self, other) if not self.negated else (other, self)
        return any(not _in_names(v, neg.values, exact=False) for v in pos.values)

    def render(self) -> list[str]:
        if self.is_any:
            return ["any"]
        vals = sorted(self.values)
        return [f"!{v}" for v in vals] if self.negated else vals


ANY_NAMES = Names()


def _prefix(v: str) -> str | None:
    return v[:-1] if v.endswith(("+", "*")) else None


def _in_names(v: str, pool: frozenset[str], exact: bool) -> bool:
    """``v`` (a name or wildcard) is matched by some entry of ``pool``."""
    if v in pool:
        return True
    if exact:
        return False
    pv = _prefix(v)
    for w in pool:
        pw = _prefix(w)
        if pw is not None and (v if pv is None else pv).startswith(pw):
            return True
    return False


def _overlap(v: str, w: str) -> bool:
    pv, pw = _prefix(v), _prefix(w)
    if pv is None and pw is None:
        return v == w
    a, b = (v if pv is None else pv), (w if pw is None else pw)
    return a.startswith(b) if pw is not None and (pv is None or len(a) >= len(b)) else b.startswith(a)


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule of one chain, normalised. ``position`` is 1-based within the chain."""

    table: str
    chain: str
    position: int
    source: str  # "line 12" or "nftables[7]" (where it came from in the rule set)
    text: str  # the original line, or a short rendering of the nftables expression
    action: str | None  # accept, drop, reject, return, queue, jump, goto, or another target in lowercase
    target: str | None = None  # the chain of a jump/goto, or the raw target name
    src: Intervals = ANY_ADDR
    dst: Intervals = ANY_ADDR
    protocols: Names = ANY_NAMES
    sports: Intervals = ANY_PORT
    dports: Intervals = ANY_PORT
    in_ifaces: Names = ANY_NAMES
    out_ifaces: Names = ANY_NAMES
    states: frozenset[str] = CT_STATES
    opaque: tuple[str, ...] = ()
    comment: str | None = None
    handle: int | None = None

    @property
    def terminal(self) -> bool:
        return self.action in TERMINAL

    @property
    def empty(self) -> bool:
        """The rule can match nothing (e.g. ``-s 10.0.0.1`` in an IPv6 table)."""
        return (not self.src or not self.dst or not self.sports or not self.dports or not self.states
                or (not self.protocols.negated and not self.protocols.values)
                or (not self.in_ifaces.negated and not self.in_ifaces.values)
                or (not self.out_ifaces.negated and not self.out_ifaces.values))


@dataclass(slots=True)
class Chain:
    table: str
    name: str
    hook: str | None = None  # input/forward/output/prerouting/postrouting for base chains
    policy: str | None = None  # accept/drop for base chains
    kind: str = "filter"
    source: str = ""
    rules: list[Rule] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.table}/{self.name}"


@dataclass(frozen=True, slots=True)
class Unparsed:
    source: str
    reason: str
    text: str


@dataclass(slots=True)
class Ruleset:
    format: str  # "iptables-save" or "nftables-json"
    chains: list[Chain] = field(default_factory=list)
    unparsed: list[Unparsed] = field(default_factory=list)
    skipped_tables: list[str] = field(default_factory=list)

    @property
    def rule_count(self) -> int:
        return sum(len(c.rules) for c in self.chains)
