"""A rule set checked against the zones and conduits (plantwarden/firewall/zones.py, docs/firewall.md
"Against the zones"), with the demo plant's stored traffic as the observed flows.

Demo hosts: 10.10.20.10 HMI and 10.10.20.50 engineering workstation (zone ops), 10.10.10.11 Modicon and
10.10.10.12 S7-315 (zone control), 10.10.99.66 the attacker (zone enterprise).
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from plantwarden.cli.main import main
from plantwarden.firewall import load
from plantwarden.firewall.zones import check_firewall
from plantwarden.zones.model import load_model

from ..zones.conftest import demo  # noqa: F401  (the demo store)
from .test_real_tools import _in, _tool, netns  # noqa: F401

MODEL = """
zones:
  - {name: control, sl_t: 3, members: {cidrs: [10.10.10.0/24]}}
  - {name: ops, sl_t: 2, members: {cidrs: [10.10.20.0/24]}}
  - {name: enterprise, sl_t: 1, members: {cidrs: [10.10.99.0/24]}}
conduits:
  - {zones: [ops, control], protocols: [modbus, {protocol: s7comm, ports: [102]}], initiators: [ops]}
firewalls:
  - {name: fw1, interfaces: {eth1: control, eth2: ops, eth3: enterprise}}
"""

RULES = [
    "-P FORWARD DROP",
    "-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
    "-A FORWARD -i eth2 -o eth1 -p tcp --dport 502 -j ACCEPT",
    "-A FORWARD -i eth2 -o eth1 -p tcp --dport 102 -j ACCEPT",
    "-A FORWARD -i eth2 -o eth1 -p tcp --dport 80 -j ACCEPT",  # 4: a port the conduit does not use
    "-A FORWARD -i eth1 -o eth2 -p tcp --dport 502 -j ACCEPT",  # 5: control may not initiate
    "-A FORWARD -i eth3 -o eth2 -p udp --dport 161 -j ACCEPT",  # 6: enterprise-ops has no conduit
    "-A FORWARD -i eth3 -o eth1 -p tcp --dport 502 -m comment --comment \"<script>alert('fw')</script>\" -j ACCEPT",
]


def _save_text() -> str:
    lines = ["*filter", ":INPUT ACCEPT [0:0]", ":FORWARD DROP [0:0]", ":OUTPUT ACCEPT [0:0]"]
    lines += [r for r in RULES if not r.startswith("-P")]
    return "\n".join(lines + ["COMMIT", ""])


EXPECTED = [
    ("port_not_allowed", "ops", "control", "tcp", ("80",), ("FORWARD:4",)),
    ("wrong_initiator", "control", "ops", "tcp", ("502",), ("FORWARD:5",)),
    ("no_conduit", "enterprise", "ops", "udp", ("161",), ("FORWARD:6",)),
    ("no_conduit", "enterprise", "control", "tcp", ("502",), ("FORWARD:7",)),
    ("observed_forbidden", "enterprise", "control", "tcp", ("502",), ("FORWARD:7",)),  # 66 -> Modicon
    ("observed_forbidden", "enterprise", "control", "tcp", ("502",), ("FORWARD:7",)),  # 66 -> S7 (Modbus probe)
    ("observed_blocked", "enterprise", "control", "tcp", ("102",), ()),  # 66 -> S7 over S7comm: the policy drops it
]


def _found(text: str, demo) -> list[tuple]:  # noqa: F811
    found = check_firewall(load(text), load_model(MODEL), load_model(MODEL).firewalls[0], demo.comms, demo.assets)
    from plantwarden.firewall.model import render_ports

    return sorted((f.kind, f.from_zone, f.to_zone, f.transport, tuple(render_ports(tuple(f.ports))),
                   tuple(f"{r.chain}:{r.position}" for r in f.rules)) for f in found)


def test_breaches_and_observed_flows_are_found_exactly(demo) -> None:  # noqa: F811
    assert _found(_save_text(), demo) == sorted(EXPECTED)


def test_the_same_rules_made_by_iptables_in_a_namespace(netns, demo) -> None:  # noqa: F811
    ipt = _tool("iptables")
    for r in RULES:
        import shlex

        _in(netns, ipt, *shlex.split(r))
    text = _in(netns, _tool("iptables-save"))
    assert _found(text, demo) == sorted(EXPECTED)


@pytest.fixture
def files(tmp_path):
    (tmp_path / "rules.txt").write_text(_save_text())
    (tmp_path / "zones.yaml").write_text(MODEL)
    return tmp_path


def test_cli_json_table_and_html(files, demo) -> None:  # noqa: F811
    r = CliRunner()
    res = r.invoke(main, ["firewall", "check", str(files / "rules.txt"), "--model", str(files / "zones.yaml"),
                          "--db", demo.db, "--format", "json"])
    assert res.exit_code == 0, res.output
    z = json.loads(res.output)["zones"]
    assert (z["firewall"], z["communications_checked"]) == ("fw1", 6)
    assert z["summary"] == {"no_conduit": 2, "wrong_initiator": 1, "port_not_allowed": 1, "observed_blocked": 1,
                            "observed_forbidden": 2}
    blocked = next(f for f in z["findings"] if f["kind"] == "observed_blocked")
    assert blocked["observed"]["client"] == "10.10.99.66" and blocked["rules"] == []
    res = r.invoke(main, ["firewall", "check", str(files / "rules.txt"), "--model", str(files / "zones.yaml")])
    assert res.exit_code == 0 and "wrong_initiator" in res.output and "observed" not in res.output.split(
        "against the zones")[1].split("\n", 1)[0]
    res = r.invoke(main, ["firewall", "check", str(files / "rules.txt"), "--model", str(files / "zones.yaml"),
                          "--db", demo.db, "--format", "html"])
    assert res.exit_code == 0
    page = res.output
    assert "<script>" not in page and "&lt;script&gt;alert(&#x27;fw&#x27;)&lt;/script&gt;" in page
    assert "observed_blocked" in page and "src=" not in page


def test_bad_model_or_firewall_name(files) -> None:
    r = CliRunner()
    res = r.invoke(main, ["firewall", "check", str(files / "rules.txt"), "--model", str(files / "zones.yaml"),
                          "--firewall", "nope"])
    assert res.exit_code == 2 and "no firewall named 'nope'" in res.output
    (files / "bad.yaml").write_text(MODEL.replace("eth3: enterprise", "eth3: dmz").replace("eth1:", "'a b':"))
    res = r.invoke(main, ["firewall", "check", str(files / "rules.txt"), "--model", str(files / "bad.yaml")])
    assert res.exit_code == 2
    assert "firewalls[0].interfaces.eth3: no zone named 'dmz'" in res.output
    assert "firewalls[0].interfaces.a b: must be an interface name" in res.output
    res = r.invoke(main, ["firewall", "check", str(files / "rules.txt"), "--firewall", "fw1"])
    assert res.exit_code == 2 and "need --model" in res.output
