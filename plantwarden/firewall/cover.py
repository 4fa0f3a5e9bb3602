"""Is a rule covered by the union of several earlier rules? (docs/firewall.md, "shadowed by several rules")

A rule's match set is a box: the product of its dimensions. The union of boxes has no box shape, so the
question is answered on cells: the rule's box is cut at every boundary any of the earlier rules draws in
any dimension (address and port intervals; the protocol and interface names they mention plus "any other";
the conntrack states). Inside one cell every earlier rule matches all of it or none of it, so one
representative point per cell decides exactly. The number of cells is the product of the pieces per
dimension; past :data:`MAX_CELLS` the question is not answered (no finding), which keeps the check
bounded on large rule sets.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import product

from plantwarden.firewall.model import Intervals, Names, Rule, _in_names, intersect

MAX_CELLS = 20_000
_OTHER = "\x00other"


def _pieces(own: Intervals, others: Sequence[Intervals]) -> list[int]:
    """One point per piece of ``own`` cut at the boundaries of ``others``."""
    cuts: set[int] = set()
    for iv in others:
        for lo, hi in intersect(iv, own):
            cuts.update((lo, hi + 1))
    out: list[int] = []
    for lo, hi in own:
        pts = sorted({lo} | {c for c in cuts if lo < c <= hi})
        out.extend(pts)
    return out


def _names(own: Names, others: Sequence[Names]) -> list[str]:
    """Representative names inside ``own``: every name the rules mention, each wildcard's prefix followed
    by a name nobody mentions, and a name nobody mentions at all."""
    cands = {_OTHER}
    for n in (own, *others):
        for v in n.values:
            cands.add(v[:-1] + _OTHER if v.endswith(("+", "*")) else v)
    return sorted(c for c in cands if _name_matches(own, c))


def _name_matches(n: Names, value: str) -> bool:
    if n.is_any:
        return True
    found = _in_names(value, n.values, exact=False)
    return not found if n.negated else found


def _cells(s: Rule, others: Sequence[Rule]) -> Iterator[tuple[int, int, str, int, int, str, str, str]] | None:
    dims = (
        _pieces(s.src, [r.src for r in others]),
        _pieces(s.dst, [r.dst for r in others]),
        _names(s.protocols, [r.protocols for r in others]),
        _pieces(s.sports, [r.sports for r in others]),
        _pieces(s.dports, [r.dports for r in others]),
        _names(s.in_ifaces, [r.in_ifaces for r in others]),
        _names(s.out_ifaces, [r.out_ifaces for r in others]),
        sorted(s.states),
    )
    total = 1
    for d in dims:
        total *= len(d)
        if total > MAX_CELLS:
            return None
    return product(*dims)


def _in(iv: Intervals, x: int) -> bool:
    return any(lo <= x <= hi for lo, hi in iv)


def _matches(r: Rule, cell: tuple[int, int, str, int, int, str, str, str]) -> bool:
    src, dst, proto, sport, dport, iif, oif, state = cell
    return (_in(r.src, src) and _in(r.dst, dst) and _name_matches(r.protocols, proto) and _in(r.sports, sport)
            and _in(r.dports, dport) and _name_matches(r.in_ifaces, iif) and _name_matches(r.out_ifaces, oif)
            and state in r.states)


def covering_rules(s: Rule, earlier: Sequence[Rule]) -> list[Rule] | None:
    """The earlier rules that first catch some packet of ``s``, when together they catch all of them;
    None when some packet of ``s`` gets past them all (or the check is too large to make)."""
    cells = _cells(s, earlier)
    if cells is None:
        return None
    used: list[Rule] = []
    for cell in cells:
        hit = next((r for r in earlier if _matches(r, cell)), None)
        if hit is None:
            return None
        if hit not in used:
            used.append(hit)
    return sorted(used, key=lambda r: r.position)
