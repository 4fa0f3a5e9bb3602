"""The checks on hand-written rule sets with known shadowed, redundant and any-to-any rules."""

from __future__ import annotations

from plantwarden.firewall import analyse, load, parse_iptables_save, parse_nft_json

from .rulesets import IPTABLES, IPTABLES_EXPECTED, NFT, NFT_EXPECTED, found


def test_iptables_findings_are_exactly_the_known_ones():
    rs = load(IPTABLES)
    assert rs.format == "iptables-save" and rs.skipped_tables == ["nat"] and not rs.unparsed
    assert found(analyse(rs)) == IPTABLES_EXPECTED


def test_nft_findings_are_exactly_the_known_ones():
    rs = load(NFT)
    assert rs.format == "nftables-json" and not rs.unparsed
    assert found(analyse(rs)) == NFT_EXPECTED


def test_policies_of_the_hook_chains():
    pol = {(f.chain.name, f.severity, f.chain.policy) for f in analyse(load(IPTABLES)) if f.kind == "policy"}
    assert pol == {("INPUT", "info", "drop"), ("FORWARD", "medium", "accept"), ("OUTPUT", "info", "accept")}
    pol = {(f.chain.name, f.chain.hook, f.chain.policy) for f in analyse(load(NFT)) if f.kind == "policy"}
    assert pol == {("input", "input", "drop"), ("forward", "forward", "accept")}


def _one(text):
    return {(f.kind, f.rule.position if f.rule else None, f.by.position if f.by else None, f.certain)
            for f in analyse(parse_iptables_save(text)) if f.kind != "policy"}


def _ipt(*rules, policy="ACCEPT", chain="INPUT"):
    head = f"*filter\n:{chain} {policy} [0:0]\n" if chain == "INPUT" else f"*filter\n:{chain} - [0:0]\n"
    return head + "".join(f"-A {chain} {r}\n" for r in rules) + "COMMIT\n"


def test_loopback_and_established_accepts_are_not_any_to_any():
    assert _one(_ipt("-i lo -j ACCEPT", "-m state --state ESTABLISHED,RELATED -j ACCEPT", policy="DROP")) == set()


def test_any_to_any_of_one_protocol_is_medium_and_new_state_counts():
    fs = [f for f in analyse(parse_iptables_save(_ipt("-p tcp -j ACCEPT"))) if f.kind == "any-to-any"]
    assert [(f.severity, f.certain) for f in fs] == [("medium", True)]
    assert _one(_ipt("-m conntrack --ctstate NEW -j ACCEPT", policy="DROP")) == {("any-to-any", 1, None, True)}
    assert _one(_ipt("-p tcp --dport 1:65535 -j ACCEPT", policy="DROP")) == set()  # port 0 left out


def test_opaque_any_to_any_is_possibly():
    assert _one(_ipt("-m mac --mac-source 00:11:22:33:44:55 -j ACCEPT", policy="DROP")) == {
        ("any-to-any", 1, None, False)}


def test_negation_is_exact():
    # everything but 10/8, then 10.1/16: disjoint, no finding; then 192.168/16 inside the first: shadowed
    got = _one(_ipt("! -s 10.0.0.0/8 -j DROP", "-s 10.1.0.0/16 -j ACCEPT", "-s 192.168.0.0/16 -j ACCEPT",
                    policy="DROP"))
    assert got == {("shadowed", 3, 1, True)}


def test_port_ranges_and_multiport():
    got = _one(_ipt("-p tcp -m multiport --dports 100:200,300 -j DROP", "-p tcp --dport 150:160 -j DROP",
                    "-p tcp --dport 199:201 -j DROP", "-p tcp --dport 150:400 -j ACCEPT", policy="DROP"))
    assert got == {("redundant", 2, 1, True)}


def test_interface_wildcards():
    got = _one(_ipt("-i eth+ -j DROP", "-i eth0 -p tcp -j ACCEPT", "-i wlan0 -j ACCEPT", policy="DROP"))
    # eth+ covers eth0 (shadowed); wlan0 is outside it; both accepts of everything from one interface
    assert got == {("shadowed", 2, 1, True), ("any-to-any", 2, None, True), ("any-to-any", 3, None, True)}


def test_a_rule_with_an_opaque_match_is_certainly_shadowed_by_a_plain_rule():
    got = _one(_ipt("-p tcp -j DROP", "-p tcp -m recent --rcheck -j ACCEPT", policy="DROP"))
    assert ("shadowed", 2, 1, True) in got


def test_later_redundancy_is_blocked_by_a_rule_that_decides_otherwise_or_jumps():
    # 1 is covered by the later 3 with the same action, but 2 drops part of its packets in between
    assert _one(_ipt("-s 10.0.0.1 -j ACCEPT", "-s 10.0.0.0/24 -j DROP", "-s 10.0.0.0/8 -j ACCEPT",
                     policy="DROP")) == set()
    # without the drop in between, 1 is redundant (rule 2 decides the same); a LOG in between does not block
    assert _one(_ipt("-s 10.0.0.1 -j ACCEPT", "-s 10.0.0.0/24 -j LOG", "-s 10.0.0.0/8 -j ACCEPT",
                     policy="DROP")) == {("redundant", 1, 3, True)}
    text = "*filter\n:INPUT DROP [0:0]\n:X - [0:0]\n-A INPUT -s 10.0.0.1 -j ACCEPT\n-A INPUT -j X\n" \
           "-A INPUT -s 10.0.0.0/8 -j ACCEPT\nCOMMIT\n"
    assert _one(text) == set()


def test_unparsed_rule_blocks_reasoning_across_it():
    text = _ipt("-p udp --dport 161 -j DROP", "-p tcp --dport notaport -j ACCEPT", policy="DROP")
    rs = parse_iptables_save(text)
    assert [u.source for u in rs.unparsed] == ["line 4"] and rs.chains[0].rules[1].action == "unparsed"
    assert _one(text) == set()  # rule 1 would be redundant with the policy, but rule 2 is unknown


def test_ipv6_rules_in_an_ip_table_match_nothing():
    doc = ('{"nftables": [{"chain": {"family": "ip", "table": "t", "name": "c"}}, {"rule": {"family": "ip", '
           '"table": "t", "chain": "c", "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip6", '
           '"field": "saddr"}}, "right": "::1"}}, {"accept": null}]}}]}')
    fs = analyse(parse_nft_json(doc))
    assert [(f.kind, f.certain) for f in fs] == [("matches-nothing", True)]


def test_earlier_certain_coverer_preferred_over_an_opaque_one():
    got = _one(_ipt("-p tcp -m limit --limit 1/s -j ACCEPT", "-p tcp -j DROP", "-p tcp --dport 80 -j REJECT",
                    policy="DROP"))
    assert ("shadowed", 3, 2, True) in got and ("shadowed", 2, 1, False) in got
