"""Intrinsic checks of a rule set: any-to-any accepts, shadowed and redundant rules, default policies.

The analysis is per chain (rules in order). A rule *covers* another when every dimension of the first
contains the same dimension of the second. A covering rule with opaque matches may match less than
its dimensions say: a finding that rests on it is reported with ``certain=False`` ("possibly").
See docs/firewall.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plantwarden.firewall.model import (
    ANY_PORT,
    CT_STATES,
    V4,
    V6,
    Chain,
    Rule,
    Ruleset,
    covers,
    overlaps,
    render_addresses,
    render_ports,
)

#: actions that neither decide the packet's fate nor pass it elsewhere (removing them changes no verdict)
_NO_VERDICT = frozenset({None, "log", "nflog", "ulog", "mark", "connmark", "counter"})
SEVERITIES = ("high", "medium", "low", "info")


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str  # any-to-any, shadowed, redundant, matches-nothing, policy
    severity: str
    certain: bool
    chain: Chain
    rule: Rule | None
    by: Rule | None
    message: str
    #: shadowed or redundant by several earlier rules together: those rules (``by`` is then None)
    by_rules: tuple[Rule, ...] = ()


def rule_covers(big: Rule, small: Rule) -> bool:
    """Every packet ``small``'s dimensions match is matched by ``big``'s dimensions (opaque ignored)."""
    return (covers(big.src, small.src) and covers(big.dst, small.dst) and covers(big.sports, small.sports)
            and covers(big.dports, small.dports) and small.states <= big.states
            and big.protocols.covers(small.protocols) and big.in_ifaces.covers(small.in_ifaces)
            and big.out_ifaces.covers(small.out_ifaces))


def rules_overlap(a: Rule, b: Rule) -> bool:
    """Some packet may match both (an opaque match only narrows a rule, so False is certain)."""
    return bool(overlaps(a.src, b.src) and overlaps(a.dst, b.dst) and overlaps(a.sports, b.sports)
                and overlaps(a.dports, b.dports) and (a.states & b.states)
                and a.protocols.overlaps(b.protocols) and a.in_ifaces.overlaps(b.in_ifaces)
                and a.out_ifaces.overlaps(b.out_ifaces))


def _any_side(a: tuple[tuple[int, int], ...]) -> bool:
    return covers(a, V4) or covers(a, V6)


def is_any_to_any(r: Rule) -> bool:
    """An accept of new connections from any source to any destination on any port."""
    if r.action != "accept" or r.empty:
        return False
    if r.in_ifaces.render() == ["lo"] or r.out_ifaces.render() == ["lo"]:
        return False  # loopback
    return (_any_side(r.src) and _any_side(r.dst) and r.dports == ANY_PORT and r.sports == ANY_PORT
            and "new" in r.states)


def analysable(ch: Chain) -> bool:
    return ch.kind == "filter"


def analyse(rs: Ruleset) -> list[Finding]:
    out: list[Finding] = []
    for ch in rs.chains:
        if not analysable(ch):
            continue
        if ch.hook is not None and ch.policy is not None:
            out.append(_policy(ch))
        reported: set[int] = set()
        idx = _Index(ch.rules)
        for i, s in enumerate(ch.rules):
            if s.action == "unparsed":
                continue
            if s.empty:
                out.append(Finding("matches-nothing", "low", True, ch, s, None,
                                   "the rule can match no packet (e.g. an address of the other IP family)"))
                reported.add(i)
                continue
            if is_any_to_any(s):
                what = "any protocol" if s.protocols.is_any else "protocol " + ",".join(s.protocols.render())
                ifs = _ifaces(s)
                out.append(Finding("any-to-any", "high" if s.protocols.is_any else "medium", not s.opaque, ch, s,
                                   None, f"accepts {what} from any source to any destination on any port{ifs}"
                                   + ("" if not s.opaque else " (unless its opaque matches narrow it)")))
            f = _earlier(ch, i, s, idx)
            if f is None or not f.certain:  # several rules together, unless only as unsure as the one
                g = _several(ch, i, s)
                if g is not None and (f is None or g.certain):
                    f = g
            if f is not None:
                out.append(f)
                reported.add(i)
        for i, s in enumerate(ch.rules):
            if i in reported or s.action not in ("accept", "drop", "reject"):
                continue
            f = _later(ch, i, s, idx)
            if f is not None:
                out.append(f)
    return out


def _ifaces(r: Rule) -> str:
    parts = []
    if not r.in_ifaces.is_any:
        parts.append("in " + ",".join(r.in_ifaces.render()))
    if not r.out_ifaces.is_any:
        parts.append("out " + ",".join(r.out_ifaces.render()))
    return f" ({'; '.join(parts)})" if parts else ""


def _policy(ch: Chain) -> Finding:
    pol = ch.policy or "accept"
    if pol == "accept" and ch.hook in ("input", "forward"):
        return Finding("policy", "medium", True, ch, None, None,
                       f"default policy accept on the {ch.hook} hook: whatever no rule drops is allowed")
    return Finding("policy", "info", True, ch, None, None, f"default policy {pol} on the {ch.hook} hook")


class _Index:
    """Per-rule bounds of the source, destination and destination-port sets: a cheap first filter
    (plain tuple comparisons) before the full comparison of two rules."""

    __slots__ = ("bounds", "usable")

    def __init__(self, rules: list[Rule]) -> None:
        self.bounds = [(_b(r.src), _b(r.dst), _b(r.dports)) for r in rules]
        self.usable = [r.terminal and not r.empty for r in rules]


def _b(iv: tuple[tuple[int, int], ...]) -> tuple[int, int]:
    return (iv[0][0], iv[-1][1]) if iv else (1, 0)


def _earlier(ch: Chain, i: int, s: Rule, idx: _Index) -> Finding | None:
    """The first earlier terminal rule that covers ``s`` (a certain one preferred)."""
    maybe: Rule | None = None
    (sl, sh), (dl, dh), (pl, ph) = idx.bounds[i]
    rules = ch.rules
    cands = [j for j, (u, ((a, b), (c, d), (e, f))) in enumerate(zip(idx.usable[:i], idx.bounds, strict=False))
             if u and a <= sl and sh <= b and c <= dl and dh <= d and e <= pl and ph <= f]
    for j in cands:
        r = rules[j]
        if not rule_covers(r, s):
            continue
        if not r.opaque:
            return _cover_finding(ch, s, r, True)
        if maybe is None:
            maybe = r
    return None if maybe is None else _cover_finding(ch, s, maybe, False)


def _several(ch: Chain, i: int, s: Rule) -> Finding | None:
    """``s`` is caught by several earlier terminal rules together (none of them alone covers it)."""
    from plantwarden.firewall.cover import covering_rules

    if s.action in _NO_VERDICT:
        return None
    earlier = [r for r in ch.rules[:i] if r.terminal and not r.empty and rules_overlap(r, s)]
    if len(earlier) < 2:
        return None
    clear = [r for r in earlier if not r.opaque]
    certain = True
    used = covering_rules(s, clear) if len(clear) >= 2 else None
    if used is None:
        used, certain = covering_rules(s, earlier), False
    if used is None or len(used) < 2:
        return None
    names = ", ".join(f"{r.position} ({r.action})" for r in used)
    hedge = "" if certain else "possibly "
    if all(r.action == s.action for r in used):
        return Finding("redundant", "low", certain, ch, s, None,
                       f"{hedge}redundant: rules {names} together already match every packet this rule matches",
                       tuple(used))
    return Finding("shadowed", "medium", certain, ch, s, None,
                   f"{hedge}shadowed: rules {names} together match every packet this rule matches first, so this "
                   f"{s.action or 'rule'} never fires", tuple(used))


def _cover_finding(ch: Chain, s: Rule, r: Rule, certain: bool) -> Finding:
    same = r.action == s.action
    hedge = "" if certain else "possibly "
    if same:
        return Finding("redundant", "low", certain, ch, s, r,
                       f"{hedge}redundant: rule {r.position} ({r.action}) already matches every packet this rule "
                       "matches")
    return Finding("shadowed", "medium", certain, ch, s, r,
                   f"{hedge}shadowed: rule {r.position} ({r.action}) matches every packet this rule matches first,"
                   f" so this {s.action or 'rule'} never fires")


def _later(ch: Chain, i: int, s: Rule, idx: _Index) -> Finding | None:
    """``s`` can be removed without changing a verdict: a later rule or the policy decides the same."""
    (sl, sh), (dl, dh), (pl, ph) = idx.bounds[i]
    rules = ch.rules
    cands = [j for j, ((a, b), (c, d), (e, f)) in enumerate(idx.bounds[i + 1:], i + 1)
             if a <= sh and sl <= b and c <= dh and dl <= d and e <= ph and pl <= f]
    for j in cands:
        t = rules[j]
        if not rules_overlap(t, s) or t.action in _NO_VERDICT:
            continue
        if t.action == s.action and rule_covers(t, s):
            return Finding("redundant", "low", not t.opaque, ch, s, t,
                           f"{'' if not t.opaque else 'possibly '}redundant: without it, rule {t.position} "
                           f"({t.action}) decides the same for every packet it matches")
        if t.action != s.action:
            return None
    if ch.hook is not None and ch.policy == s.action:
        return Finding("redundant", "low", True, ch, s, None,
                       f"redundant: without it, the chain's default policy ({ch.policy}) decides the same")
    return None


def rule_doc(r: Rule) -> dict[str, Any]:
    return {
        "table": r.table, "chain": r.chain, "position": r.position, "source": r.source, "handle": r.handle, "text": r.text, "action": r.action,
        "target": r.target, "comment": r.comment,
        "match": {
            "src": render_addresses(r.src), "dst": render_addresses(r.dst), "protocols": r.protocols.render(),
            "sports": render_ports(r.sports), "dports": render_ports(r.dports),
            "in_ifaces": r.in_ifaces.render(), "out_ifaces": r.out_ifaces.render(),
            "states": ["any"] if r.states == CT_STATES else sorted(r.states), "opaque": list(r.opaque),
        },
    }


def report(rs: Ruleset, findings: list[Finding], name: str) -> dict[str, Any]:
    """The documented JSON document of ``plantwarden firewall check`` (docs/firewall.md)."""
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.kind] = counts.get(f.kind, 0) + 1
    return {
        "ruleset": name,
        "format": rs.format,
        "chains": [{"table": c.table, "name": c.name, "hook": c.hook, "policy": c.policy, "type": c.kind,
                    "rules": len(c.rules), "analysed": analysable(c)} for c in rs.chains],
        "rules": rs.rule_count,
        "skipped_tables": list(rs.skipped_tables),
        "unparsed": [{"source": u.source, "reason": u.reason, "text": u.text} for u in rs.unparsed],
        "summary": dict(sorted(counts.items())),
        "findings": [{
            "kind": f.kind, "severity": f.severity, "certain": f.certain, "table": f.chain.table,
            "chain": f.chain.name, "hook": f.chain.hook, "policy": f.chain.policy, "message": f.message,
            "rule": None if f.rule is None else rule_doc(f.rule),
            "by": None if f.by is None else rule_doc(f.by),
            "by_rules": [rule_doc(r) for r in f.by_rules],
        } for f in findings],
    }
