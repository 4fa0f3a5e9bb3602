"""Interval sets and name sets: the containment the analysis rests on."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from plantwarden.firewall.model import (
    ANY_PORT,
    Names,
    complement,
    covers,
    intersect,
    network,
    normalize,
    render_addresses,
)

_SPANS = st.lists(st.tuples(st.integers(0, 100), st.integers(0, 100)), max_size=6).map(normalize)


def _members(iv):
    return {x for lo, hi in iv for x in range(lo, hi + 1)}


@given(_SPANS, _SPANS)
def test_interval_operations_match_python_sets(a, b):
    u = ((0, 100),)
    assert _members(intersect(a, b)) == _members(a) & _members(b)
    assert _members(complement(a, u)) == set(range(101)) - _members(a)
    assert covers(a, b) == (_members(b) <= _members(a))


def test_addresses_render_back_as_cidrs():
    assert render_addresses(network("10.1.2.3/8")) == ["10.0.0.0/8"]
    assert render_addresses(complement(network("0.0.0.0/1"), network("0.0.0.0/0"))) == ["128.0.0.0/1"]
    assert render_addresses(network("::/0")) == ["any-ipv6"]
    assert render_addresses(normalize(list(network("0.0.0.0/0") + network("::/0")))) == ["any"]
    assert complement(ANY_PORT, ANY_PORT) == ()


def test_names_with_wildcards_and_negation():
    eth, eth0, lo = Names(frozenset({"eth+"}), False), Names(frozenset({"eth0"}), False), Names(frozenset({"lo"}), False)
    not_lo = Names(frozenset({"lo"}), True)
    assert eth.covers(eth0) and not eth0.covers(eth) and not eth.covers(lo)
    assert not_lo.covers(eth) and not not_lo.covers(lo) and Names().covers(not_lo) and not not_lo.covers(Names())
    assert eth.overlaps(eth0) and not eth.overlaps(lo) and not not_lo.overlaps(lo) and not_lo.overlaps(eth0)
    assert eth.intersect(eth0) == Names(frozenset({"eth0"}), False)
    assert not_lo.intersect(lo) == Names(frozenset(), False) and Names(frozenset({"a"}), True).intersect(
        Names(frozenset({"b"}), True)) == Names(frozenset({"a", "b"}), True)
    assert not_lo.render() == ["!lo"] and Names().render() == ["any"]
