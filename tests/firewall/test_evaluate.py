"""The rule-set evaluator (plantwarden/firewall/evaluate.py): jumps, gotos, returns and policies, on
hand-written rule sets and against what Linux's own iptables does with real packets in network namespaces."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import pytest

from plantwarden.firewall import load
from plantwarden.firewall.evaluate import Packet, verdict

from ..conftest import IN_CI
from .test_real_tools import _tool

RULES = """*filter
:INPUT DROP [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:OT - [0:0]
:ENG - [0:0]
:LOGDROP - [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -s 10.99.0.4/32 -j LOGDROP
-A INPUT -p udp -j OT
-A INPUT -p tcp -s 10.99.0.0/24 -g ENG
-A INPUT -p udp --dport 5000:5999 -j ACCEPT
-A INPUT -p tcp --dport 102 -j ACCEPT
-A OT -s 10.99.0.3/32 -j RETURN
-A OT -p udp --dport 502 -j ACCEPT
-A OT -p udp --dport 102 -j REJECT
-A OT -p udp --dport 20000 -j ENG
-A ENG -p tcp --dport 22 -j ACCEPT
-A ENG -p udp --dport 20000 -j ACCEPT
-A ENG -s 10.99.0.1/32 -j RETURN
-A ENG -p tcp --dport 102 -j ACCEPT
-A LOGDROP -j DROP
COMMIT
"""

#: (source, protocol, port) -> (action, the rules that matched as chain:position)
EXPECTED = {
    ("10.99.0.1", "udp", 502): ("accept", ["INPUT:3", "OT:2"]),
    ("10.99.0.1", "udp", 102): ("reject", ["INPUT:3", "OT:3"]),
    ("10.99.0.1", "udp", 20000): ("accept", ["INPUT:3", "OT:4", "ENG:2"]),
    ("10.99.0.1", "udp", 5500): ("accept", ["INPUT:3", "INPUT:5"]),  # OT falls off, back in INPUT
    ("10.99.0.1", "udp", 9999): ("drop", ["INPUT:3"]),  # policy
    ("10.99.0.4", "udp", 502): ("drop", ["INPUT:2", "LOGDROP:1"]),
    ("10.99.0.1", "tcp", 22): ("accept", ["INPUT:4", "ENG:1"]),
    # RETURN in a goto target returns from INPUT itself: its policy, not INPUT:6
    ("10.99.0.1", "tcp", 102): ("drop", ["INPUT:4", "ENG:3"]),
    ("10.99.0.5", "tcp", 102): ("accept", ["INPUT:4", "ENG:4"]),
    ("10.99.0.5", "tcp", 502): ("drop", ["INPUT:4"]),  # falls off ENG (goto): INPUT's policy
}
# 10.99.0.3 udp 502: OT returns at once, INPUT goes on: port 502 is outside 5000-5999, so the policy drops
EXPECTED[("10.99.0.3", "udp", 502)] = ("drop", ["INPUT:3", "OT:1"])
EXPECTED[("10.99.0.3", "udp", 5001)] = ("accept", ["INPUT:3", "OT:1", "INPUT:5"])


def _trail(v) -> list[str]:
    return [f"{r.chain}:{r.position}" for r in v.rules]


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_jumps_gotos_returns_and_policies(key) -> None:
    src, proto, port = key
    v = verdict(load(RULES), "input", Packet(src, "10.99.0.2", proto, port, iif="veth-b"))
    assert (v.action, _trail(v)) == EXPECTED[key]
    assert v.certain


def test_unknown_interface_or_opaque_match_makes_it_uncertain() -> None:
    rs = load("*filter\n:INPUT DROP [0:0]\n-A INPUT -i eth1 -p tcp --dport 502 -j ACCEPT\n"
              "-A INPUT -p tcp --dport 22 -m limit --limit 3/min -j ACCEPT\nCOMMIT\n")
    v = verdict(rs, "input", Packet("10.0.0.1", "10.0.0.2", "tcp", 502))
    assert (v.action, v.certain) == ("accept", False)
    assert verdict(rs, "input", Packet("10.0.0.1", "10.0.0.2", "tcp", 502, iif="eth0")).action == "drop"
    v = verdict(rs, "input", Packet("10.0.0.1", "10.0.0.2", "tcp", 22, iif="eth0"))
    assert (v.action, v.certain) == ("accept", False)


def test_a_jump_loop_stops() -> None:
    text = ('{"nftables": [{"table": {"family": "inet", "name": "t"}},'
            '{"chain": {"family": "inet", "table": "t", "name": "in", "type": "filter", "hook": "input", '
            '"prio": 0, "policy": "accept"}},'
            '{"chain": {"family": "inet", "table": "t", "name": "a"}},'
            '{"chain": {"family": "inet", "table": "t", "name": "b"}},'
            '{"rule": {"family": "inet", "table": "t", "chain": "in", "expr": [{"jump": {"target": "a"}}]}},'
            '{"rule": {"family": "inet", "table": "t", "chain": "a", "expr": [{"jump": {"target": "b"}}]}},'
            '{"rule": {"family": "inet", "table": "t", "chain": "b", "expr": [{"jump": {"target": "a"}}]}}]}')
    assert verdict(load(text), "input", Packet("10.0.0.1", "10.0.0.2", "tcp", 1)).action == "loop"


# -- against the kernel ----------------------------------------------------------------------------

SENDER = r"""
import socket, sys
for line in sys.stdin:
    proto, src, dst, port = line.split()
    if proto == "udp":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((src, 0))
        s.sendto(b"probe", (dst, int(port)))
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((src, 0))
        s.setblocking(False)
        try:
            s.connect((dst, int(port)))
        except BlockingIOError:
            pass
    s.close()
    print("sent", flush=True)
"""


@pytest.fixture
def pair() -> Iterator[tuple[str, str]]:
    if os.geteuid() != 0:
        if IN_CI:
            pytest.fail("CI runs as root; the network-namespace firewall tests need it")
        pytest.skip("creating network namespaces needs root")
    ip = _tool("ip")
    tag = uuid.uuid4().hex[:6]
    a, b = f"pwev-a-{tag}", f"pwev-b-{tag}"
    try:
        for cmd in ([ip, "netns", "add", a], [ip, "netns", "add", b],
                    [ip, "link", "add", f"va{tag}", "netns", a, "type", "veth", "peer", "name", "veth-b", "netns", b],
                    [ip, "-n", a, "addr", "add", "10.99.0.1/24", "dev", f"va{tag}"],
                    [ip, "-n", a, "addr", "add", "10.99.0.3/24", "dev", f"va{tag}"],
                    [ip, "-n", a, "addr", "add", "10.99.0.4/24", "dev", f"va{tag}"],
                    [ip, "-n", a, "addr", "add", "10.99.0.5/24", "dev", f"va{tag}"],
                    [ip, "-n", b, "addr", "add", "10.99.0.2/24", "dev", "veth-b"],
                    [ip, "-n", a, "link", "set", f"va{tag}", "up"], [ip, "-n", b, "link", "set", "veth-b", "up"],
                    [ip, "-n", a, "link", "set", "lo", "up"], [ip, "-n", b, "link", "set", "lo", "up"]):
            res = subprocess.run(cmd, capture_output=True, text=True)
            if res.returncode != 0:
                if IN_CI:
                    pytest.fail(f"{cmd}: {res.stderr}")
                pytest.skip(f"cannot build the namespaces: {res.stderr.strip()}")
        yield a, b
    finally:
        subprocess.run([ip, "netns", "delete", a], capture_output=True)
        subprocess.run([ip, "netns", "delete", b], capture_output=True)


def _counters(b: str) -> tuple[dict[str, int], dict[str, int]]:
    """(chain:position -> packets, chain -> policy packets) from iptables-save -c in namespace ``b``."""
    out = subprocess.run([_tool("ip"), "netns", "exec", b, _tool("iptables-save"), "-c"], capture_output=True,
                         text=True, check=True).stdout
    rules: dict[str, int] = {}
    policy: dict[str, int] = {}
    pos: dict[str, int] = {}
    for line in out.splitlines():
        if line.startswith(":"):
            name, _, counts = line[1:].split()
            policy[name] = int(counts.strip("[]").split(":")[0])
        elif line.startswith("["):
            counts, rest = line.split(" ", 1)
            chain = rest.split()[1]
            pos[chain] = pos.get(chain, 0) + 1
            rules[f"{chain}:{pos[chain]}"] = int(counts.strip("[]").split(":")[0])
    return rules, policy


def test_the_evaluator_agrees_with_the_kernel(pair) -> None:
    a, b = pair
    ip = _tool("ip")
    subprocess.run([ip, "netns", "exec", b, _tool("iptables-restore")], input=RULES, text=True, check=True)
    # ARP first, so that no probe waits on neighbour resolution
    subprocess.run([ip, "netns", "exec", a, "ping", "-c", "1", "-W", "2", "10.99.0.2"], capture_output=True)
    sender = subprocess.Popen([ip, "netns", "exec", a, sys.executable, "-c", SENDER], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert sender.stdin is not None and sender.stdout is not None
    try:
        for src, proto, port in sorted(EXPECTED):
            subprocess.run([ip, "netns", "exec", b, _tool("iptables"), "-Z"], check=True)
            sender.stdin.write(f"{proto} {src} 10.99.0.2 {port}\n")
            sender.stdin.flush()
            assert sender.stdout.readline().strip() == "sent"
            deadline = time.monotonic() + 3
            while True:
                rules, policy = _counters(b)
                if any(rules.values()) or policy.get("INPUT") or time.monotonic() > deadline:
                    break
                time.sleep(0.02)
            hit = sorted(k for k, n in rules.items() if n)
            v = verdict(load(RULES), "input", Packet(src, "10.99.0.2", proto, port, iif="veth-b"))
            assert hit == sorted(_trail(v)), (src, proto, port)
            assert bool(policy.get("INPUT")) == (v.policy_chain is not None), (src, proto, port)
    finally:
        sender.stdin.close()
        sender.wait(10)
