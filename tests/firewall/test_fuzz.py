"""The parsers and the analysis never raise on hostile input (only RulesetError for unreadable files)."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plantwarden.firewall import RulesetError, analyse, load, parse_iptables_save, parse_nft_json, report

from .rulesets import IPTABLES, NFT_DOC

_WORDS = st.sampled_from(["-A", "INPUT", "OT", "-s", "-d", "!", "-p", "tcp", "udp", "all", "-m", "tcp",
                          "multiport", "--dports", "--dport", "1:2", "80,443", ":", "65536", "-j", "ACCEPT",
                          "DROP", "OT", "-i", "eth+", "10.0.0.0/8", "::/0", "300.1.1.1", "--ctstate", "NEW,X",
                          "--state", "\"", "'", "\x1b[31m", "\u202e", "-g", "--comment", "-m", "iprange",
                          "--src-range", "1.1.1.1-1.1.1.0", "[1:2]", "*filter", "COMMIT", ":INPUT", "-"])
_LINES = st.lists(_WORDS, max_size=12).map(" ".join) | st.text(max_size=60)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_LINES, max_size=12))
def test_iptables_parser_and_analysis_never_raise(lines):
    text = "*filter\n:INPUT DROP [0:0]\n:OT - [0:0]\n" + "\n".join(lines) + "\nCOMMIT\n"
    rs = parse_iptables_save(text)
    json.dumps(report(rs, analyse(rs), "x"))


@settings(max_examples=200)
@given(st.integers(0, len(IPTABLES)), st.binary(max_size=20))
def test_truncated_or_spliced_iptables_never_raises(cut, junk):
    rs = parse_iptables_save(IPTABLES[:cut] + junk.decode("latin-1") + IPTABLES[cut:])
    analyse(rs)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False)
    | st.sampled_from(["ip", "ip6", "tcp", "th", "saddr", "dport", "==", "!=", "in", "<", "@s", "10.0.0.0",
                       "eth0", "new", "accept", "fe80::1", "nope", "payload", "meta", "ct"]),
    lambda c: st.lists(c, max_size=4) | st.dictionaries(
        st.sampled_from(["match", "op", "left", "right", "payload", "protocol", "field", "meta", "key", "set",
                         "prefix", "addr", "len", "range", "ct", "accept", "jump", "target", "elem", "val", "x"]),
        c, max_size=4),
    max_leaves=20)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_JSON, max_size=6))
def test_nft_parser_never_raises_on_odd_expressions(exprs):
    doc = {"nftables": [
        {"set": {"family": "ip", "table": "t", "name": "s", "elem": exprs[:1]}},
        {"chain": {"family": "ip", "table": "t", "name": "c", "hook": "input", "policy": "drop"}},
        {"rule": {"family": "ip", "table": "t", "chain": "c", "expr": exprs}},
        {"rule": {"family": "ip", "table": "t", "chain": "c", "expr": [{"match": e} for e in exprs]}},
    ]}
    rs = parse_nft_json(json.dumps(doc))
    json.dumps(report(rs, analyse(rs), "x"))


@settings(max_examples=200)
@given(_JSON)
def test_any_json_document_is_read_or_refused(doc):
    try:
        rs = load(json.dumps({"nftables": doc} if isinstance(doc, list) else doc))
    except RulesetError:
        return
    analyse(rs)


@settings(max_examples=200)
@given(st.integers(1, 2000))
def test_truncated_nft_json_is_a_clear_error(cut):
    text = json.dumps(NFT_DOC)
    if cut >= len(text):
        return
    try:
        load(text[:cut])
    except RulesetError as exc:
        assert "JSON" in str(exc) or "nftables" in str(exc)
