"""Firewall rule-set analysis: iptables-save and nftables JSON into one model, then intrinsic checks.

``load(text)`` detects the format and parses; ``analyse(ruleset)`` returns the findings;
``report(...)`` is the JSON document of ``plantwarden firewall check`` (docs/firewall.md).
"""

from __future__ import annotations

from plantwarden.firewall.analysis import Finding, analyse, report
from plantwarden.firewall.iptables import parse_iptables_save
from plantwarden.firewall.model import Chain, Rule, Ruleset
from plantwarden.firewall.nftables import RulesetError, parse_nft_json


def detect(text: str) -> str:
    """``nftables-json`` or ``iptables-save`` (RulesetError for nft's text format or an empty file)."""
    head = text.lstrip("\ufeff \t\r\n")
    if head.startswith(("{", "[")):
        return "nftables-json"
    if not head:
        raise RulesetError("the rule set is empty")
    first = head.split("\n", 1)[0].strip()
    if first.startswith(("table ", "flush ruleset", "define ", "include ")):
        raise RulesetError("this is nft's text format: give `nft -j list ruleset` (JSON) instead")
    return "iptables-save"


def load(text: str) -> Ruleset:
    """Parse a rule set of either format; RulesetError when it cannot be read at all."""
    if detect(text) == "nftables-json":
        return parse_nft_json(text)
    rs = parse_iptables_save(text)
    if not rs.chains and rs.unparsed and not rs.skipped_tables:
        raise RulesetError(f"not an iptables-save rule set: {rs.unparsed[0].source}: {rs.unparsed[0].reason}")
    return rs


__all__ = ["Chain", "Finding", "Rule", "Ruleset", "RulesetError", "analyse", "detect", "load",
           "parse_iptables_save", "parse_nft_json", "report"]
