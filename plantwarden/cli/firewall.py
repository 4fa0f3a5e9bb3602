"""``plantwarden firewall check RULESET``: intrinsic checks of an iptables-save or nftables JSON rule set.

See docs/firewall.md (the analysis and the JSON document) and docs/cli.md.
"""

from __future__ import annotations

import os
from typing import Any

import click

from plantwarden.cli.common import broken_pipe_guard, echo_json
from plantwarden.cli.render import safe, table

_SEV_ORDER = {"high": 0, "medium": 1, "low": 2, "info": 3}


@click.group("firewall")
def firewall_group() -> None:
    """Firewall rule sets: iptables-save output or nftables JSON (nft -j list ruleset)."""


@firewall_group.command("check")
@click.argument("ruleset", type=click.Path(dir_okay=False, path_type=str))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="table: the findings for humans; json: the documented document (docs/firewall.md).")
def check_command(ruleset: str, fmt: str) -> None:
    """Report any-to-any accepts, shadowed and redundant rules and the default policies of RULESET.

    The format (iptables-save text or nft JSON) is detected from the content.
    """
    from plantwarden.firewall import RulesetError, analyse, load, report

    try:
        with open(ruleset, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise click.ClickException(f"cannot read {safe(ruleset)}: {exc.strerror or exc}") from None
    text = data.decode("utf-8", errors="replace")
    try:
        rs = load(text)
    except RulesetError as exc:
        raise click.ClickException(f"{safe(ruleset)}: {safe(exc)}") from None
    findings = analyse(rs)
    doc = report(rs, findings, os.path.basename(ruleset))
    if fmt == "json":
        echo_json(doc)
        return
    for u in doc["unparsed"]:
        click.echo(f"warning: {safe(u['source'])}: {safe(u['reason'])}: {safe(u['text'])}", err=True)
    with broken_pipe_guard():
        click.echo(findings_table(doc))


def findings_table(doc: dict[str, Any]) -> str:
    """The summary line and one row per finding, most severe first; every cell escaped."""
    skipped = f", tables not analysed: {','.join(doc['skipped_tables'])}" if doc["skipped_tables"] else ""
    head = (f"{safe(doc['ruleset'])}: {doc['format']}, {len(doc['chains'])} chains, {doc['rules']} rules, "
            f"{len(doc['unparsed'])} unparsed{safe(skipped)}")
    items = sorted(doc["findings"], key=lambda f: (_SEV_ORDER.get(f["severity"], 9), f["table"], f["chain"],
                                                   f["rule"]["position"] if f["rule"] else 0))
    if not items:
        return head + "\nno findings"
    rows = []
    for f in items:
        r, by = f["rule"], f["by"]
        rows.append((f["severity"], f["kind"], "yes" if f["certain"] else "possibly", f"{f['table']}/{f['chain']}",
                     "-" if r is None else f"{r['position']} ({r['source']})",
                     "-" if by is None else f"{by['position']} ({by['source']})",
                     f["message"], "-" if r is None else r["text"]))
    return head + "\n\n" + table(("severity", "kind", "certain", "chain", "rule", "by", "finding", "rule text"),
                                 rows, max_width=110)
