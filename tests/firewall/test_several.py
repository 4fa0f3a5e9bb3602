"""Rules shadowed or made redundant by several earlier rules together (plantwarden/firewall/cover.py)."""

from __future__ import annotations

import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st

from plantwarden.firewall import analyse, load, parse_iptables_save

from .test_soundness import _RULE, _fires, ruleset_text

KNOWN = """*filter
:INPUT DROP [0:0]
-A INPUT -s 10.0.0.0/9 -p tcp --dport 502 -j ACCEPT
-A INPUT -s 10.128.0.0/9 -p tcp --dport 502 -j DROP
-A INPUT -s 10.0.0.0/8 -p tcp --dport 502 -j ACCEPT
-A INPUT -p tcp --dport 100:199 -j ACCEPT
-A INPUT -p tcp --dport 200:299 -j ACCEPT
-A INPUT -p tcp --dport 150:250 -j ACCEPT
-A INPUT -i eth+ -p udp -j DROP
-A INPUT -i wlan0 -p udp -j DROP
-A INPUT ! -i eth1 -p udp --dport 161 -j ACCEPT
-A INPUT -p udp --dport 161 -m limit --limit 1/s -j ACCEPT
COMMIT
"""


def _found(text: str) -> set[tuple[str, int, tuple[int, ...], bool]]:
    return {(f.kind, f.rule.position, tuple(r.position for r in f.by_rules), f.certain)
            for f in analyse(load(text)) if f.rule is not None and f.by_rules}


def test_known_covers_by_several_rules() -> None:
    assert _found(KNOWN) == {
        ("shadowed", 3, (1, 2), True),  # 10/8 = 10.0/9 (accept) + 10.128/9 (drop)
        ("redundant", 6, (4, 5), True),  # 150-250 inside 100-199 + 200-299, all accept
        # udp 161 (rule 10, whose own opaque match only narrows it): eth1 and every eth name by rule 7
        # (eth+), wlan0 by 8, every other name by 9 (! -i eth1)
        ("shadowed", 10, (7, 8, 9), True),
    }
    doc = __import__("plantwarden.firewall", fromlist=["report"]).report(load(KNOWN), analyse(load(KNOWN)), "k")
    shadowed = next(f for f in doc["findings"] if f["rule"] and f["rule"]["position"] == 3)
    assert [r["position"] for r in shadowed["by_rules"]] == [1, 2] and shadowed["by"] is None


def test_opaque_covers_are_only_possible() -> None:
    text = ("*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 1:100 -j ACCEPT\n"
            "-A INPUT -p tcp --dport 101:200 -m limit --limit 1/s -j ACCEPT\n-A INPUT -p tcp --dport 50:150 -j DROP\n"
            "COMMIT\n")
    assert _found(text) == {("shadowed", 3, (1, 2), False)}


def test_nftables_sets_and_ranges() -> None:
    text = ('{"nftables": [{"table": {"family": "inet", "name": "fw"}},'
            '{"chain": {"family": "inet", "table": "fw", "name": "in", "type": "filter", "hook": "input", "prio": 0,'
            ' "policy": "drop"}},'
            '{"rule": {"family": "inet", "table": "fw", "chain": "in", "expr": [{"match": {"op": "==", "left": '
            '{"payload": {"protocol": "tcp", "field": "dport"}}, "right": {"set": [502, 102]}}}, {"accept": null}]}},'
            '{"rule": {"family": "inet", "table": "fw", "chain": "in", "expr": [{"match": {"op": "==", "left": '
            '{"payload": {"protocol": "tcp", "field": "dport"}}, "right": {"range": [103, 501]}}}, {"drop": null}]}},'
            '{"rule": {"family": "inet", "table": "fw", "chain": "in", "expr": [{"match": {"op": "==", "left": '
            '{"payload": {"protocol": "tcp", "field": "dport"}}, "right": {"range": [102, 502]}}}, {"accept": null}]}}'
            ']}')
    assert _found(text) == {("shadowed", 3, (1, 2), True)}


@settings(max_examples=150, deadline=None)
@given(st.lists(_RULE, min_size=2, max_size=7), st.sampled_from(["ACCEPT", "DROP"]))
def test_every_rule_that_never_fires_is_reported(specs, policy) -> None:
    """Completeness: a terminal rule without opaque matches that no packet reaches is reported, by one rule
    or by several. The packets are every combination of the boundaries the rule set draws (each interval's
    first and last value and the values just outside), so every region the rules tell apart has one."""
    text = ruleset_text(specs, policy)
    rs = parse_iptables_save(text)
    rules = rs.chains[0].rules
    ports, addrs = {0, 65535}, {0, 2**32 - 1}
    for r in rules:
        for lo, hi in r.dports:
            ports.update(p for p in (lo - 1, lo, hi, hi + 1) if 0 <= p <= 65535)
        for lo, hi in r.src:
            addrs.update(a for a in (lo - 1, lo, hi, hi + 1) if 0 <= a < 2**32)
    packets = [(str(ipaddress.IPv4Address(a)), port, proto, iface) for a in addrs for port in ports
               for proto in ("tcp", "udp", "icmp") for iface in ("eth0", "eth1", "wlan0")]
    reported = {f.rule.position for f in analyse(rs)
                if f.rule is not None and f.kind in ("shadowed", "redundant", "matches-nothing")}
    for r in rules:
        terminal = r.action in ("accept", "drop", "reject") and not r.opaque
        if terminal and not any(_fires(rules, r, p) for p in packets):
            assert r.position in reported, (text, r.position)
