"""What a rule set does with one packet: the chains walked from a hook, jumps, gotos and returns followed.

``verdict(ruleset, hook, packet)`` returns the final action (``accept``, ``drop``, ``reject``, ``queue``)
and the rules that decided it. Semantics (iptables and nftables alike):

* the base chains of the hook are walked one after another (for nftables, every table's base chain on
  that hook, in the order of the rule set); a drop, reject or queue in any of them is final, an accept
  ends that base chain only (the next base chain still sees the packet);
* in a chain, the first matching rule with a verdict decides; ``jump`` walks the target chain and comes
  back when it falls off its end or hits ``return``; ``goto`` does not come back: falling off the target
  chain (or ``return`` in it) returns from the chain that did the goto;
* falling off a base chain applies its policy (accept when it has none);
* a rule whose other dimensions match but that has opaque matches (``Rule.opaque``) *may* match: the walk
  takes it as matching and the result says ``certain=False``; an interface or address the packet does not
  know (None) is treated the same way;
* jumps deeper than :data:`MAX_DEPTH` (a loop) stop the walk with action ``loop``.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from plantwarden.firewall.model import V4_SIZE, Chain, Intervals, Names, Rule, Ruleset, _in_names

MAX_DEPTH = 32
FINAL = frozenset({"drop", "reject", "queue"})


@dataclass(frozen=True, slots=True)
class Packet:
    """A new connection's first packet. Addresses are text (None: unknown); ``proto`` a name (tcp, udp)."""

    src: str | None
    dst: str | None
    proto: str
    dport: int
    sport: int = 40000
    iif: str | None = None
    oif: str | None = None
    state: str = "new"


@dataclass(slots=True)
class Verdict:
    action: str  # accept, drop, reject, queue, or loop
    #: the rules that matched on the way (jumps and the deciding rule), in order; empty: a policy decided
    rules: list[Rule] = field(default_factory=list)
    #: the chain whose policy decided, if one did
    policy_chain: Chain | None = None
    certain: bool = True


def _point(text: str | None) -> int | None:
    if text is None:
        return None
    addr = ipaddress.ip_address(text)
    return int(addr) if addr.version == 4 else V4_SIZE + int(addr)


def _in(spans: Intervals, x: int) -> bool:
    return any(lo <= x <= hi for lo, hi in spans)


def _name_in(names: Names, value: str | None) -> bool | None:
    if names.is_any:
        return True
    if value is None:
        return None
    found = _in_names(value, names.values, exact=False)
    return not found if names.negated else found


def matches(r: Rule, p: Packet, src: int | None, dst: int | None) -> bool | None:
    """True, False, or None (it may match: opaque matches, or something the packet does not know)."""
    if r.action == "unparsed" or r.empty:
        return False
    if p.state not in r.states:
        return False
    maybe = bool(r.opaque)
    for spans, x in ((r.src, src), (r.dst, dst)):
        if x is None:
            maybe = True
        elif not _in(spans, x):
            return False
    proto = _name_in(r.protocols, p.proto)
    if proto is False:
        return False
    ports_apply = p.proto in ("tcp", "udp", "sctp", "udplite", "dccp")
    if ports_apply and (not _in(r.sports, p.sport) or not _in(r.dports, p.dport)):
        return False
    for names, value in ((r.in_ifaces, p.iif), (r.out_ifaces, p.oif)):
        m = _name_in(names, value)
        if m is False:
            return False
        if m is None:
            maybe = True
    return None if maybe else True


def verdict(rs: Ruleset, hook: str, p: Packet) -> Verdict:
    """The rule set's decision for ``p`` on ``hook`` (``input``, ``forward``, ``output`` ...)."""
    src, dst = _point(p.src), _point(p.dst)
    chains = {c.key: c for c in rs.chains}
    out = Verdict("accept")
    for base in rs.chains:
        if base.hook != hook or base.kind != "filter":
            continue
        action, trail, certain = _walk(base, chains, p, src, dst, 0)
        out.certain = out.certain and certain
        if action is None:  # fell off the base chain: its policy
            action = base.policy or "accept"
            out.policy_chain = base
            out.rules = trail
        else:
            out.rules = trail
            out.policy_chain = None
        if action in FINAL or action == "loop":
            out.action = action
            return out
    return out


def _walk(ch: Chain, chains: dict[str, Chain], p: Packet, src: int | None, dst: int | None,
          depth: int) -> tuple[str | None, list[Rule], bool]:
    """(verdict or None for "returned / fell off", the rules that matched, certain)."""
    if depth > MAX_DEPTH:
        return "loop", [], True
    trail: list[Rule] = []
    certain = True
    for r in ch.rules:
        m = matches(r, p, src, dst)
        if m is False:
            continue
        if m is None:
            certain = False
        act = r.action
        if act in ("accept", "drop", "reject", "queue"):
            return act, [*trail, r], certain
        if act == "return":
            return None, [*trail, r], certain
        if act in ("jump", "goto"):
            target = chains.get(f"{ch.table}/{r.target}")
            if target is None:
                continue
            sub, subtrail, sub_certain = _walk(target, chains, p, src, dst, depth + 1)
            trail = [*trail, r, *subtrail]
            certain = certain and sub_certain
            if sub is not None:
                return sub, trail, certain
            if act == "goto":
                return None, trail, certain
    return None, trail, certain
