"""The iptables-save and nftables JSON parsers: what each option becomes in the model."""

from __future__ import annotations

import json

import pytest

from plantwarden.firewall import RulesetError, detect, load, parse_iptables_save, parse_nft_json
from plantwarden.firewall.analysis import rule_doc
from plantwarden.firewall.model import ANY_ADDR, V4, V6

from .rulesets import IPTABLES, NFT


def _rule(line, chains=":INPUT ACCEPT [0:0]\n"):
    rs = parse_iptables_save(f"*filter\n{chains}-A INPUT {line}\nCOMMIT\n")
    assert not rs.unparsed, rs.unparsed
    return rs.chains[0].rules[0]


def test_iptables_rule_dimensions():
    r = _rule('-s 10.0.0.0/255.0.0.0 ! -d 10.0.0.1/32 -i eth0 ! -o eth1 -p tcp -m tcp --sport 1024: '
              '-m multiport --dports 102,502,20000:20010 -m conntrack --ctstate NEW '
              '-m comment --comment "a \\"quoted\\" note" -j ACCEPT')
    m = rule_doc(r)["match"]
    assert m["src"] == ["10.0.0.0/8"]
    assert m["dst"][:2] == ["0.0.0.0/5", "8.0.0.0/7"] and "10.0.0.1/32" not in m["dst"]
    assert m["in_ifaces"] == ["eth0"] and m["out_ifaces"] == ["!eth1"] and m["protocols"] == ["tcp"]
    assert m["sports"] == ["1024-65535"] and m["dports"] == ["102", "502", "20000-20010"]
    assert m["states"] == ["new"] and m["opaque"] == [] and r.comment == 'a "quoted" note'
    assert (r.action, r.target, r.position, r.source) == ("accept", "ACCEPT", 1, "line 3")


def test_iptables_targets_jumps_and_counters():
    chains = ":INPUT DROP [0:0]\n:LOGDROP - [0:0]\n"
    assert _rule("-j LOGDROP", chains).action == "jump"
    assert _rule("-g LOGDROP", chains).action == "goto"
    assert _rule("-j LOG --log-prefix x", chains).action == "log"
    assert _rule("-j REJECT --reject-with icmp-host-prohibited", chains).action == "reject"
    assert _rule("-p 17 --dport 53 -j RETURN").protocols.render() == ["udp"]
    rs = parse_iptables_save("*filter\n:INPUT ACCEPT [5:300]\n[3:120] -A INPUT -p tcp -j DROP\nCOMMIT\n")
    assert rs.chains[0].rules[0].action == "drop" and rs.chains[0].policy == "accept"


def test_iptables_unknown_modules_are_opaque_and_old_negation_works():
    r = _rule("-p tcp -m recent --name x --rcheck --seconds 60 -m tcp --dport 22 -j DROP")
    assert r.opaque == ("-m recent --name x --rcheck --seconds 60",) and r.dports == ((22, 22),)
    assert _rule("-s ! 10.0.0.0/8 -j DROP").src == ((0, 0x09FFFFFF), (0x0B000000, 0xFFFFFFFF))
    assert _rule("-f -j DROP").opaque == ("-f",)
    assert _rule("-m state --state NEW,SNAT -j DROP").opaque == ("--state NEW,SNAT",)


def test_ip6tables_rules_are_ipv6_only():
    r = _rule("-s 2001:db8::/32 -p ipv6-icmp -j ACCEPT")
    assert rule_doc(r)["match"]["src"] == ["2001:db8::/32"] and r.dst == V6
    assert _rule("-j ACCEPT").src == V4


def test_iptables_garbage_is_counted_not_raised():
    rs = parse_iptables_save("-A INPUT -j DROP\n*filter\n:INPUT\nwhat\n-A INPUT -s 999.1.1.1 -j DROP\n"
                             "-A INPUT -p tcp --dport 70000 -j DROP\n-A INPUT !\n-A INPUT -s\nCOMMIT\n")
    reasons = [(u.source, u.reason.split(":")[0]) for u in rs.unparsed]
    assert reasons[0] == ("line 1", "outside a *table ... COMMIT block")
    assert [s for s, _ in reasons] == ["line 1", "line 4", "line 5", "line 6", "line 7", "line 8"]


def test_nft_rule_dimensions_sets_and_handles():
    rs = parse_nft_json(NFT)
    by = {(c.name, r.position): r for c in rs.chains for r in c.rules}
    r = by[("input", 2)]
    m = rule_doc(r)["match"]
    assert m["src"] == ["10.0.0.0/8", "192.168.1.5/32"] and m["dst"] == ["any-ipv4"]
    assert m["dports"] == ["102", "502"] and m["protocols"] == ["tcp"] and m["in_ifaces"] == ["eth0"]
    assert r.handle == 11 and r.source == "nftables[7]" and "counter" not in r.text
    assert rule_doc(by[("input", 5)])["match"]["src"] == ["10.20.0.0/16", "10.30.0.5/32"]  # named set @plcs
    assert by[("input", 4)].opaque and by[("input", 4)].dports == ((1000, 2000),)
    assert by[("input", 1)].states == frozenset({"established", "related"})
    assert (by[("input", 7)].action, by[("input", 7)].target) == ("jump", "sub")
    assert by[("input", 7)].dst == tuple(sorted(((0, 0x0A000000), (0x0A000002, 0xFFFFFFFF))))
    assert by[("forward", 1)].comment == "temporary" and by[("forward", 1)].src == ANY_ADDR
    assert by[("input", 8)].protocols.render() == ["udp"] and by[("input", 8)].dports == ((161, 161),)


@pytest.mark.parametrize("op,expected", [("<", ((0, 1023),)), (">=", ((1024, 65535),)), ("!=", ((0, 79), (81, 65535)))])
def test_nft_port_comparisons(op, expected):
    right = 1024 if op in ("<", ">=") else 80
    doc = {"nftables": [{"rule": {"family": "ip", "table": "t", "chain": "c", "expr": [
        {"match": {"op": op, "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": right}},
        {"drop": None}]}}]}
    assert parse_nft_json(json.dumps(doc)).chains[0].rules[0].dports == expected


def test_nft_unknown_things_are_opaque_or_unparsed():
    doc = {"nftables": [
        {"chain": {"family": "ip", "table": "t", "name": "c", "hook": "input", "type": "filter"}},
        {"rule": {"family": "ip", "table": "t", "chain": "c", "expr": [
            {"match": {"op": "==", "left": {"meta": {"key": "mark"}}, "right": 1}},
            {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": "@nope"}},
            {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": "x.y"}},
            {"xt": {"type": "match", "name": "multiport"}}, "junk", {"accept": None}]}},
        {"rule": {"family": "ip", "table": "t", "chain": "c", "expr": "nope"}},
        {"frobnicate": {}}, 7, {"chain": []}]}
    rs = parse_nft_json(json.dumps(doc))
    r = rs.chains[0].rules[0]
    assert len(r.opaque) == 5 and r.action == "accept"
    assert rs.chains[0].policy == "accept"  # nft's default
    assert [u.source for u in rs.unparsed] == ["nftables[2]", "nftables[3]", "nftables[4]", "nftables[5]"]


@pytest.mark.parametrize("text,msg", [
    ('{"nftables": [{"rule": {', "not valid JSON"),
    ('{"other": 1}', "not an nftables JSON rule set"),
    ("[1, 2]", "not an nftables JSON rule set"),
    ("   \n", "empty"),
    ("table inet fw {\n}\n", "nft -j list ruleset"),
    ("hello\nworld\n", "not an iptables-save rule set"),
])
def test_unreadable_rule_sets_raise_a_clear_error(text, msg):
    with pytest.raises(RulesetError, match=msg):
        load(text)


def test_detect():
    assert detect(IPTABLES) == "iptables-save" and detect("\n  " + NFT) == "nftables-json"


def test_nft_verdict_map_is_an_action_that_blocks_redundancy():
    def rule(*expr):
        return {"rule": {"family": "ip", "table": "t", "chain": "c", "expr": list(expr)}}

    tcp80 = {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 80}}
    doc = {"nftables": [
        {"chain": {"family": "ip", "table": "t", "name": "c", "hook": "input", "type": "filter", "policy": "drop"}},
        rule(tcp80, {"drop": None}),
        rule({"vmap": {"key": {"ct": {"key": "state"}}, "data": {"set": [["new", {"accept": None}]]}}}),
    ]}
    rs = parse_nft_json(json.dumps(doc))
    assert rs.chains[0].rules[1].action == "vmap"
    from plantwarden.firewall import analyse

    assert [f.kind for f in analyse(rs)] == ["policy"]  # the drop is not redundant with the policy
