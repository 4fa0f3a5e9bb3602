"""``iptables-save`` / ``ip6tables-save`` output -> :class:`Ruleset` (the filter table).

Never raises on content: a line it cannot read is counted in ``Ruleset.unparsed`` with a reason;
an option it does not know is kept in the rule as an opaque match.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

from plantwarden.firewall.model import (
    ANY_ADDR,
    ANY_NAMES,
    ANY_PORT,
    CT_STATES,
    V4,
    V6,
    Chain,
    Intervals,
    Names,
    Rule,
    Ruleset,
    Unparsed,
    address_range,
    complement,
    intersect,
    network,
    normalize,
)

BUILTIN_HOOKS = {"INPUT": "input", "FORWARD": "forward", "OUTPUT": "output",
                 "PREROUTING": "prerouting", "POSTROUTING": "postrouting"}
PROTO_NUMBERS = {"1": "icmp", "6": "tcp", "17": "udp", "58": "ipv6-icmp", "132": "sctp", "136": "udplite",
                 "icmpv6": "ipv6-icmp"}
#: modules whose options this parser understands (or that never narrow the match: comment)
_KNOWN_MODULES = frozenset({"tcp", "udp", "sctp", "multiport", "state", "conntrack", "comment", "iprange"})
_BASE_OPTS = frozenset({"-s", "--source", "-d", "--destination", "-p", "--protocol", "-i", "--in-interface",
                        "-o", "--out-interface", "-j", "--jump", "-g", "--goto", "-m", "--match"})
MAX_LINE = 65536


@dataclass(slots=True)
class _R:
    src: Intervals = ANY_ADDR
    dst: Intervals = ANY_ADDR
    protocols: Names = ANY_NAMES
    sports: Intervals = ANY_PORT
    dports: Intervals = ANY_PORT
    in_ifaces: Names = ANY_NAMES
    out_ifaces: Names = ANY_NAMES
    states: frozenset[str] = CT_STATES
    opaque: list[str] = field(default_factory=list)
    comment: str | None = None
    action: str | None = None
    target: str | None = None


def parse_iptables_save(text: str) -> Ruleset:
    rs = Ruleset("iptables-save")
    table: str | None = None
    chains: dict[str, Chain] = {}
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        where = f"line {no}"
        if not line or line.startswith("#"):
            continue
        if len(line) > MAX_LINE:
            rs.unparsed.append(Unparsed(where, "line too long", line[:200]))
            continue
        if line.startswith("*"):
            table = line[1:].strip()
            if table != "filter" and table not in rs.skipped_tables:
                rs.skipped_tables.append(table)
            continue
        if line == "COMMIT":
            table = None
            continue
        if table is None:
            rs.unparsed.append(Unparsed(where, "outside a *table ... COMMIT block", line))
            continue
        if table != "filter":
            continue
        if line.startswith(":"):
            parts = line[1:].split()
            if not parts:
                rs.unparsed.append(Unparsed(where, "chain line without a name", line))
                continue
            name = parts[0]
            policy = parts[1].lower() if len(parts) > 1 and parts[1] != "-" else None
            ch = chains.get(name)
            if ch is None:
                ch = chains[name] = Chain(table, name, source=where)
                rs.chains.append(ch)
            ch.hook = BUILTIN_HOOKS.get(name) if policy is not None else None
            ch.policy = policy
            continue
        if line.startswith("["):  # iptables-save -c: "[packets:bytes] -A ..."
            line = line.split("]", 1)[1].strip() if "]" in line else line
        try:
            tokens = shlex.split(line)
        except ValueError as exc:
            rs.unparsed.append(Unparsed(where, f"cannot split: {exc}", line))
            continue
        if len(tokens) < 2 or tokens[0] not in ("-A", "--append"):
            rs.unparsed.append(Unparsed(where, "not a chain, rule, table or COMMIT line", line))
            continue
        name = tokens[1]
        ch = chains.get(name)
        if ch is None:
            ch = chains[name] = Chain(table, name, source=where)
            rs.chains.append(ch)
        try:
            r = _parse_rule(tokens[2:], chains)
        except (ValueError, IndexError) as exc:
            rs.unparsed.append(Unparsed(where, f"bad rule: {exc}", line))
            # a placeholder keeps the positions and stops the analysis from reasoning across it
            ch.rules.append(Rule(table=table, chain=name, position=len(ch.rules) + 1, source=where, text=line,
                                 action="unparsed", opaque=("unparsed",)))
            continue
        family = V6 if _looks_v6(tokens) else V4
        ch.rules.append(Rule(
            table=table, chain=name, position=len(ch.rules) + 1, source=where, text=line, action=r.action,
            target=r.target, src=intersect(r.src, family), dst=intersect(r.dst, family), protocols=r.protocols,
            sports=r.sports, dports=r.dports, in_ifaces=r.in_ifaces, out_ifaces=r.out_ifaces, states=r.states,
            opaque=tuple(r.opaque), comment=r.comment))
    return rs


def _looks_v6(tokens: list[str]) -> bool:
    """ip6tables-save output: an address option with an IPv6 value (or the IPv6 ICMP protocol)."""
    for i, t in enumerate(tokens[:-1]):
        if t in ("-s", "-d", "--source", "--destination") and ":" in tokens[i + 1]:
            return True
        if t in ("-p", "--protocol") and tokens[i + 1] in ("ipv6-icmp", "icmpv6", "58"):
            return True
    return False


def _parse_rule(tok: list[str], chains: dict[str, Chain]) -> _R:
    r = _R()
    module: str | None = None
    i = 0
    n = len(tok)
    while i < n:
        neg = False
        if tok[i] == "!":
            neg = True
            i += 1
            if i >= n:
                raise ValueError("'!' at the end of the rule")
        opt = tok[i]
        i += 1

        def value(neg: bool = neg, opt: str = opt) -> tuple[str, bool]:
            nonlocal i
            v, vneg, i = _value(tok, i, neg, opt)
            return v, vneg

        if opt in ("-s", "--source", "-d", "--destination"):
            v, vneg = value()
            addrs = normalize([s for part in v.split(",") for s in network(part)])
            if vneg:
                addrs = complement(addrs, ANY_ADDR)
            if opt in ("-s", "--source"):
                r.src = intersect(r.src, addrs)
            else:
                r.dst = intersect(r.dst, addrs)
        elif opt in ("-p", "--protocol"):
            v, vneg = value()
            v = PROTO_NUMBERS.get(v.lower(), v.lower())
            if v in ("all", "0"):
                if vneg:
                    r.protocols = Names(frozenset(), False)
            else:
                r.protocols = r.protocols.intersect(Names(frozenset({v}), vneg))
        elif opt in ("-i", "--in-interface", "-o", "--out-interface"):
            v, vneg = value()
            names = Names(frozenset({v}), vneg)
            if opt.startswith("-i") or opt == "--in-interface":
                r.in_ifaces = r.in_ifaces.intersect(names)
            else:
                r.out_ifaces = r.out_ifaces.intersect(names)
        elif opt in ("-j", "--jump", "-g", "--goto"):
            v, _ = value()
            r.target = v
            if opt in ("-g", "--goto"):
                r.action = "goto"
            elif v in ("ACCEPT", "DROP", "REJECT", "RETURN", "QUEUE", "NFQUEUE"):
                r.action = "queue" if v == "NFQUEUE" else v.lower()
            elif v in chains and v not in BUILTIN_HOOKS:
                r.action = "jump"  # a user chain (iptables-save declares every chain before the rules)
            else:
                r.action = v.lower()  # an extension target: LOG, MARK, ...
            # the target's own options (--reject-with, --log-prefix, ...) do not change the match
            if r.action not in ("jump", "goto"):
                while i < n and tok[i] not in ("-j", "-g", "-m", "--jump", "--goto", "--match"):
                    i += 1
        elif opt in ("-m", "--match"):
            v, _ = value()
            module = v
            if v not in _KNOWN_MODULES:
                words = [f"-m {v}"]
                while i < n and tok[i] not in _BASE_OPTS and not (tok[i] == "!" and i + 1 < n
                                                                  and tok[i + 1] in _BASE_OPTS):
                    words.append(tok[i])
                    i += 1
                r.opaque.append(" ".join(words))
        elif opt in ("--dport", "--destination-port", "--sport", "--source-port", "--dports",
                     "--destination-ports", "--sports", "--source-ports"):
            v, vneg = value()
            ports = normalize([_port_range(p) for p in v.split(",")])
            if vneg:
                ports = complement(ports, ANY_PORT)
            if opt.startswith(("--d",)):
                r.dports = intersect(r.dports, ports)
            else:
                r.sports = intersect(r.sports, ports)
        elif opt in ("--state", "--ctstate"):
            v, vneg = value()
            states = {s.lower() for s in v.split(",")}
            unknown = states - CT_STATES
            if unknown:
                r.opaque.append(f"{'! ' if vneg else ''}{opt} {v}")
            else:
                r.states = r.states & (CT_STATES - states if vneg else frozenset(states))
        elif opt == "--comment":
            v, _ = value()
            r.comment = v
        elif opt in ("--src-range", "--dst-range") and module == "iprange":
            v, vneg = value()
            lo, _, hi = v.partition("-")
            addrs = address_range(lo, hi or lo)
            if vneg:
                addrs = complement(addrs, ANY_ADDR)
            if opt == "--src-range":
                r.src = intersect(r.src, addrs)
            else:
                r.dst = intersect(r.dst, addrs)
        else:
            words = (["!"] if neg else []) + [opt]
            while i < n and not tok[i].startswith("-") and tok[i] != "!":
                words.append(tok[i])
                i += 1
            r.opaque.append(" ".join(words))
    return r


def _value(tok: list[str], i: int, neg: bool, opt: str) -> tuple[str, bool, int]:
    """The option's value at ``tok[i]``, its negation and the next index."""
    if i < len(tok) and tok[i] == "!":  # old syntax: "-s ! 10.0.0.1"
        neg = not neg
        i += 1
    if i >= len(tok):
        raise ValueError(f"{opt} without a value")
    return tok[i], neg, i + 1


def _port_range(text: str) -> tuple[int, int]:
    lo, sep, hi = text.partition(":")
    a = int(lo) if lo else 0
    b = (int(hi) if hi else 65535) if sep else a
    if not (0 <= a <= 65535 and 0 <= b <= 65535):
        raise ValueError(f"port out of range: {text}")
    return (a, b) if a <= b else (b, a)
