"""Rule sets made by Debian's iptables and nftables inside a network namespace, then analysed.

Needs root (``ip netns add``) and the iptables/nftables packages (scripts/system-deps.sh); skips
without them, except in CI (CI=true), where that is a failure. The namespace is always deleted.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator

import pytest

from plantwarden.firewall import analyse, load

from ..conftest import IN_CI


def _tool(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if path is None:
        if IN_CI:
            pytest.fail(f"{name} is not installed in CI (scripts/system-deps.sh installs it)")
        pytest.skip(f"{name} is not installed (run scripts/system-deps.sh)")
    return path


@pytest.fixture
def netns() -> Iterator[str]:
    if os.geteuid() != 0:
        if IN_CI:
            pytest.fail("CI runs as root; the network-namespace firewall tests need it")
        pytest.skip("creating a network namespace needs root")
    ip = _tool("ip")
    name = f"pwfw-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    res = subprocess.run([ip, "netns", "add", name], capture_output=True, text=True)
    if res.returncode != 0:
        if IN_CI:
            pytest.fail(f"ip netns add failed: {res.stderr}")
        pytest.skip(f"cannot create a network namespace: {res.stderr.strip()}")
    try:
        yield name
    finally:
        subprocess.run([ip, "netns", "delete", name], capture_output=True)


def _in(ns: str, *cmd: str, stdin: str | None = None) -> str:
    res = subprocess.run([_tool("ip"), "netns", "exec", ns, *cmd], input=stdin, capture_output=True,
                         text=True, timeout=60)
    assert res.returncode == 0, f"{cmd}: {res.stderr}"
    return res.stdout


def _found(text: str) -> set[tuple[str, str, int, int | None, bool]]:
    rs = load(text)
    assert not rs.unparsed, rs.unparsed
    return {(f.kind, f.chain.name, f.rule.position, f.by.position if f.by else None, f.certain)
            for f in analyse(rs) if f.rule is not None}


def test_iptables_save_of_rules_made_by_iptables(netns):
    ipt = _tool("iptables")
    rules = [
        ["-P", "INPUT", "DROP"],
        ["-N", "OT"],
        ["-A", "INPUT", "-i", "lo", "-j", "ACCEPT"],
        ["-A", "INPUT", "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT"],
        ["-A", "INPUT", "-s", "10.0.0.0/8", "-p", "tcp", "--dport", "502", "-j", "ACCEPT"],
        ["-A", "INPUT", "-s", "10.1.0.0/16", "-p", "tcp", "--dport", "502", "-j", "DROP"],  # 4: shadowed by 3
        ["-A", "INPUT", "-s", "10.2.0.0/16", "-p", "tcp", "--dport", "502", "-j", "ACCEPT"],  # 5: redundant (3)
        ["-A", "INPUT", "-p", "tcp", "--dport", "22", "-m", "limit", "--limit", "3/min", "-j", "ACCEPT"],
        ["-A", "INPUT", "-s", "192.168.1.0/24", "-p", "tcp", "--dport", "22", "-j", "DROP"],  # 7: possibly (6)
        ["-A", "INPUT", "-j", "OT"],
        ["-A", "FORWARD", "-i", "eth0", "-o", "eth1", "-j", "ACCEPT"],  # any-to-any, redundant (policy accept)
        ["-A", "OT", "-p", "tcp", "-m", "multiport", "--dports", "102,502", "-m", "comment", "--comment",
         "s7 and modbus", "-j", "ACCEPT"],
        ["-A", "OT", "-p", "tcp", "--dport", "102", "-j", "ACCEPT"],  # 2: redundant (1)
        ["-A", "OT", "-p", "udp", "--dport", "20000:20010", "-j", "REJECT"],
        ["-A", "OT", "-p", "udp", "--dport", "20005", "-j", "DROP"],  # 4: shadowed (3)
    ]
    for r in rules:
        _in(netns, ipt, *r)
    text = _in(netns, _tool("iptables-save"))
    assert "*filter" in text and "-A OT" in text
    assert _found(text) == {
        ("shadowed", "INPUT", 4, 3, True), ("redundant", "INPUT", 5, 3, True),
        ("shadowed", "INPUT", 7, 6, False),
        ("any-to-any", "FORWARD", 1, None, True), ("redundant", "FORWARD", 1, None, True),
        ("redundant", "OT", 2, 1, True), ("shadowed", "OT", 4, 3, True),
    }
    # the same rules as nftables JSON (iptables-nft): -s/-p/--dport are native matches, conntrack,
    # limit and multiport are "xt" (opaque), so findings that rest on them are only "possibly"
    got = _found(_in(netns, _tool("nft"), "-j", "list", "ruleset"))
    assert ("shadowed", "INPUT", 4, 3, True) in got and ("redundant", "INPUT", 5, 3, True) in got
    assert ("redundant", "OT", 2, 1, False) in got  # multiport is opaque here
    # the conntrack rule is opaque: it might accept everything, so rule 7 is possibly shadowed by it
    assert ("shadowed", "INPUT", 7, 2, False) in got and ("any-to-any", "INPUT", 2, None, False) in got
    assert all(not f[4] for f in got if f[1] == "INPUT" and f[2] in (6, 7))


def test_ip6tables_save_is_ipv6(netns):
    ip6t = _tool("ip6tables")
    _in(netns, ip6t, "-A", "INPUT", "-s", "2001:db8::/32", "-p", "tcp", "--dport", "502", "-j", "DROP")
    _in(netns, ip6t, "-A", "INPUT", "-s", "2001:db8:1::/48", "-p", "tcp", "--dport", "502", "-j", "DROP")
    _in(netns, ip6t, "-A", "INPUT", "-p", "tcp", "-j", "ACCEPT")
    text = _in(netns, _tool("ip6tables-save"))
    assert _found(text) == {("redundant", "INPUT", 2, 1, True), ("any-to-any", "INPUT", 3, None, True),
                            ("redundant", "INPUT", 3, None, True)}


NFT_RULESET = """\
table inet plant {
  set plcs {
    type ipv4_addr; flags interval;
    elements = { 10.20.0.0/16, 10.30.0.5 }
  }
  chain input {
    type filter hook input priority 0; policy drop;
    ct state established,related accept
    iifname "eth0" ip saddr { 10.0.0.0/8, 192.168.1.5 } tcp dport { 102, 502 } accept
    iifname "eth0" ip saddr 10.1.2.3 tcp dport 502 drop
    tcp dport 1000-2000 limit rate 5/second accept
    ip saddr @plcs tcp dport 1500 reject with tcp reset
    ip6 saddr fe80::/10 udp dport 546 accept
    meta l4proto udp th dport 161 counter drop
  }
  chain forward {
    type filter hook forward priority 0; policy drop;
    iifname "ot0" oifname "it0" accept comment "temporary"
    iifname "ot0" oifname "it0" ip saddr 10.0.0.0/8 tcp dport 443 accept
    ip daddr != 10.0.0.1 jump audit
  }
  chain audit {
    oifname "eth1" return
  }
}
"""


def test_nft_json_of_a_ruleset_loaded_by_nft(netns, tmp_path):
    nft = _tool("nft")
    conf = tmp_path / "plant.nft"
    conf.write_text(NFT_RULESET)
    _in(netns, nft, "-f", str(conf))
    text = _in(netns, nft, "-j", "list", "ruleset")
    assert _found(text) == {
        ("shadowed", "input", 3, 2, True),  # 10.1.2.3:502 from eth0 is inside rule 2
        ("shadowed", "input", 5, 4, False),  # rule 4 has a limit (opaque)
        ("redundant", "input", 7, None, True),  # the udp/161 drop is the policy, nothing after it
        ("any-to-any", "forward", 1, None, True),
        ("redundant", "forward", 2, 1, True),
    }
