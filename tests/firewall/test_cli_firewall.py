"""``plantwarden firewall check`` and the documentation of its JSON document."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from plantwarden.cli.main import main

from ..conftest import ROOT
from .rulesets import IPTABLES, NFT

DOC = (ROOT / "docs" / "firewall.md").read_text()


def run(*args, code=0):
    res = CliRunner().invoke(main, [str(a) for a in args])
    assert res.exit_code == code, res.output
    return res


def _keys(obj, out):
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.add(k)
            _keys(v, out)
    elif isinstance(obj, list):
        for v in obj:
            _keys(v, out)
    return out


@pytest.mark.parametrize("text", [IPTABLES, NFT])
def test_json_document_every_field_documented(tmp_path, text):
    p = tmp_path / "rules"
    p.write_text(text + ("" if text.startswith("{") else "garbage\n"))
    doc = json.loads(run("firewall", "check", p, "--format", "json").output)
    keys = _keys({k: v for k, v in doc.items() if k != "summary"}, set()) | set(doc["summary"])
    section = DOC.split("## JSON", 1)[1]
    missing = sorted(k for k in keys if f"`{k}`" not in section)
    assert not missing
    assert doc["summary"]["shadowed"] >= 1 and doc["findings"][0]["kind"] == "policy"
    assert set(doc) == {"ruleset", "format", "chains", "rules", "skipped_tables", "unparsed", "summary",
                        "findings"}


def test_table_output(tmp_path):
    p = tmp_path / "fw.rules"
    p.write_text(IPTABLES)
    out = run("firewall", "check", p).output
    first = out.splitlines()[0]
    assert first == "fw.rules: iptables-save, 4 chains, 15 rules, 0 unparsed, tables not analysed: nat"
    lines = out.splitlines()
    assert lines[2].split()[:3] == ["severity", "kind", "certain"]
    assert re.search(r"^high +any-to-any +yes +filter/FORWARD +1 \(line 20\)", out, re.M)
    assert re.search(r"^medium +shadowed +possibly +filter/INPUT +7 \(line 17\) +6 \(line 16\)", out, re.M)


def test_table_escapes_hostile_strings(tmp_path):
    p = tmp_path / "evil\x1b[2J.rules"
    p.write_text('*filter\n:INPUT DROP [0:0]\n-A INPUT -m comment --comment "\x1b]0;pwn\x07\u202e" -j ACCEPT\n'
                 "\x1b[31mred\nCOMMIT\n")
    res = run("firewall", "check", p)
    assert "\x1b" not in res.output and "\u202e" not in res.output and "\x07" not in res.output
    assert "\\x1b]0;pwn\\x07\\u202e" in res.output
    j = run("firewall", "check", p, "--format", "json").output
    assert "\x1b" not in j and j.isascii()


def test_unreadable_input_is_an_error_with_the_reason(tmp_path):
    p = tmp_path / "x.json"
    p.write_text('{"nftables": [')
    res = run("firewall", "check", p, code=1)
    assert "not valid JSON (truncated?)" in res.output and "Traceback" not in res.output
    res = run("firewall", "check", tmp_path / "missing", code=1)
    assert "missing: No such file or directory" in res.output


def test_no_findings(tmp_path):
    p = tmp_path / "ok.rules"
    p.write_text("*filter\n:OT - [0:0]\n-A OT -s 10.0.0.0/8 -p tcp --dport 502 -j ACCEPT\nCOMMIT\n")
    assert run("firewall", "check", p).output == "ok.rules: iptables-save, 1 chains, 1 rules, 0 unparsed\nno findings\n"
