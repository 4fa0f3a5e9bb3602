"""Every certain finding is true: checked by running small random rule sets over a packet universe
that has a packet in every region the rules can tell apart (so the check is exhaustive)."""

from __future__ import annotations

import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st

from plantwarden.firewall import analyse, parse_iptables_save
from plantwarden.firewall.model import Rule

SRCS = ["", "-s 10.0.0.0/8", "-s 10.1.0.0/16", "-s 10.1.2.3", "! -s 10.1.0.0/16"]
PORTS = ["", "--dport 80", "--dport 80:90", "--dport 85", "! --dport 80", "-m multiport --dports 79,85"]
PROTOS = ["", "-p tcp", "-p udp", "-p icmp"]
IFACES = ["", "-i eth0", "-i eth+", "! -i eth0"]
ACTIONS = ["ACCEPT", "DROP", "REJECT", "LOG"]
PACKETS = [(src, port, proto, iface)
           for src in ("10.1.2.3", "10.1.9.9", "10.2.0.1", "192.168.0.1")
           for port in (79, 80, 85, 91)
           for proto in ("tcp", "udp", "icmp")
           for iface in ("eth0", "eth1", "wlan0")]


def _match(r: Rule, pkt: tuple[str, int, str, str]) -> bool:
    src, port, proto, iface = pkt
    a = int(ipaddress.ip_address(src))
    if not any(lo <= a <= hi for lo, hi in r.src):
        return False
    if not r.protocols.is_any and (proto in r.protocols.values) == r.protocols.negated:
        return False
    if r.dports != ((0, 65535),) and (proto not in ("tcp", "udp") or not any(lo <= port <= hi
                                                                            for lo, hi in r.dports)):
        return False
    return _iface_ok(r, iface)


def _iface_ok(r: Rule, iface: str) -> bool:
    ifs = r.in_ifaces
    if ifs.is_any:
        return True
    hit = any(iface == v or (v.endswith("+") and iface.startswith(v[:-1])) for v in ifs.values)
    return hit != ifs.negated


def _verdict(rules: list[Rule], policy: str, pkt: tuple[str, int, str, str]) -> tuple[str, int | None]:
    """The verdict and the position of the rule that gave it."""
    for r in rules:
        if r.action in ("accept", "drop", "reject") and _match(r, pkt):
            return r.action, r.position
    return policy, None


def _fires(rules: list[Rule], target: Rule, pkt: tuple[str, int, str, str]) -> bool:
    for r in rules:
        if not _match(r, pkt):
            continue
        if r is target:
            return True
        if r.action in ("accept", "drop", "reject"):
            return False
    return False


_RULE = st.tuples(st.sampled_from(SRCS), st.sampled_from(PROTOS), st.sampled_from(PORTS),
                  st.sampled_from(IFACES), st.sampled_from(ACTIONS))


def ruleset_text(specs: list[tuple[str, str, str, str, str]], policy: str) -> str:
    """An iptables-save INPUT chain from drawn rule parts (a port match forces TCP when needed)."""
    lines = []
    for src, proto, port, iface, action in specs:
        if port and proto not in ("-p tcp", "-p udp"):
            proto = "-p tcp"
        lines.append(f"-A INPUT {src} {proto} {port} {iface} -j {action}")
    return f"*filter\n:INPUT {policy} [0:0]\n" + "\n".join(lines) + "\nCOMMIT\n"


@settings(max_examples=400, deadline=None)
@given(st.lists(_RULE, min_size=1, max_size=7), st.sampled_from(["ACCEPT", "DROP"]))
def test_certain_findings_hold_on_every_packet(specs, policy):
    text = ruleset_text(specs, policy)
    rs = parse_iptables_save(text)
    assert not rs.unparsed, rs.unparsed
    rules = rs.chains[0].rules
    pol = policy.lower()
    for f in analyse(rs):
        if f.rule is None or not f.certain:
            continue
        r = f.rule
        if f.kind in ("shadowed", "matches-nothing") or (f.kind == "redundant" and f.by is not None
                                                         and f.by.position < r.position):
            assert not any(_fires(rules, r, p) for p in PACKETS), (text, f.message)
        elif f.kind == "redundant":
            rest = [x for x in rules if x is not r]
            assert all(_verdict(rules, pol, p)[0] == _verdict(rest, pol, p)[0] for p in PACKETS), (text, f.message)
        elif f.kind == "any-to-any":
            # from any source on any port: every packet of its protocols and interfaces matches
            assert all(_match(r, p) for p in PACKETS
                       if (r.protocols.is_any or p[2] in r.protocols.values)
                       and _iface_ok(r, p[3])), text
