"""``plantwarden firewall check RULESET``: intrinsic checks of an iptables-save or nftables JSON rule set.

See docs/firewall.md (the analysis and the JSON document) and docs/cli.md.
"""

from __future__ import annotations

import os
from typing import Any

import click

from plantwarden.cli.common import broken_pipe_guard, display_db, echo_json
from plantwarden.cli.render import safe, table

_SEV_ORDER = {"high": 0, "medium": 1, "low": 2, "info": 3}


@click.group("firewall")
def firewall_group() -> None:
    """Firewall rule sets: iptables-save output or nftables JSON (nft -j list ruleset)."""


@firewall_group.command("check")
@click.argument("ruleset", type=click.Path(dir_okay=False, path_type=str))
@click.option("--format", "fmt", type=click.Choice(["table", "json", "html"]), default="table", show_default=True,
              help="table: the findings for humans; json: the documented document (docs/firewall.md); html: one "
                   "self-contained page.")
@click.option("--model", "model", type=click.Path(dir_okay=False, path_type=str), default=None,
              help="A zones-and-conduits model (YAML) whose `firewalls:` maps this firewall's interfaces to zones: "
                   "also check the rule set against the conduits.")
@click.option("--firewall", "fw_name", metavar="NAME", default=None,
              help="Which firewall of the model this rule set belongs to (default: the model's only one).")
@click.option("--db", "db", metavar="PATH_OR_URL", default=None,
              help="With --model: also evaluate the communications stored here (default: none; "
                   "PLANTWARDEN_DB is not read for this).")
def check_command(ruleset: str, fmt: str, model: str | None, fw_name: str | None, db: str | None) -> None:
    """Report any-to-any accepts, shadowed and redundant rules and the default policies of RULESET, and
    with --model what it allows that the conduits forbid and observed flows it would block.

    The format (iptables-save text or nft JSON) is detected from the content. Exit status 2 when MODEL
    is not valid or has no such firewall.
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
    if model is not None:
        doc["zones"] = _zones_section(rs, model, fw_name, db)
    elif fw_name is not None or db is not None:
        raise click.UsageError("--firewall and --db need --model")
    if fmt == "json":
        echo_json(doc)
        return
    if fmt == "html":
        from plantwarden.firewall.html import report_html

        with broken_pipe_guard():
            click.echo(report_html(doc), nl=False)
        return
    for u in doc["unparsed"]:
        click.echo(f"warning: {safe(u['source'])}: {safe(u['reason'])}: {safe(u['text'])}", err=True)
    with broken_pipe_guard():
        click.echo(findings_table(doc))
        if "zones" in doc:
            click.echo("\n" + zones_table(doc["zones"]))


def _zones_section(rs: Any, model: str, fw_name: str | None, db: str | None) -> dict[str, Any]:
    from plantwarden.cli.zones import load_model_or_exit, with_stored_tags
    from plantwarden.firewall.zones import KINDS, check_firewall, finding_document

    zm = load_model_or_exit(model)
    if fw_name is None:
        if len(zm.firewalls) != 1:
            click.echo(f"{safe(model)}: give --firewall NAME (the model has {len(zm.firewalls)} firewalls: "
                       f"{safe(', '.join(f.name for f in zm.firewalls) or 'none')})", err=True)
            raise click.exceptions.Exit(2)
        fw = zm.firewalls[0]
    else:
        found = zm.firewall(fw_name)
        if found is None:
            click.echo(f"{safe(model)}: no firewall named {safe(fw_name)!r} in `firewalls:`", err=True)
            raise click.exceptions.Exit(2)
        fw = found
    comms: list[Any] = []
    assets: list[Any] = []
    if db is not None:
        from plantwarden.cli.common import open_store

        with open_store(db, create=False) as store:
            zm = with_stored_tags(zm, store)
            comms, assets = store.communications(), store.assets()
    found_items = check_firewall(rs, zm, fw, comms, assets)
    counts = {k: sum(1 for f in found_items if f.kind == k) for k in KINDS}
    return {"model": os.path.basename(model), "firewall": fw.name, "interfaces": dict(sorted(fw.interfaces.items())),
            "store": display_db(db) if db is not None else None, "communications_checked": len(comms),
            "summary": {k: n for k, n in counts.items() if n},
            "findings": [finding_document(f) for f in found_items]}


def zones_table(z: dict[str, Any]) -> str:
    """The conduit findings, most severe first; every cell escaped."""
    head = (f"against the zones: firewall {safe(z['firewall'])} of {safe(z['model'])}, interfaces "
            + ", ".join(f"{safe(i)}={safe(zn)}" for i, zn in z["interfaces"].items())
            + (f"; {z['communications_checked']} stored communications evaluated" if z["store"] else ""))
    items = sorted(z["findings"], key=lambda f: (_SEV_ORDER.get(f["severity"], 9), f["kind"], f["from_zone"],
                                                 f["to_zone"], f["transport"]))
    if not items:
        return head + "\nno findings"
    rows = [(f["severity"], f["kind"], "yes" if f["certain"] else "possibly", f"{f['from_zone']} -> {f['to_zone']}",
             f"{f['transport']}/{','.join(f['ports'])}",
             ", ".join(f"{r['chain']}:{r['position']}" for r in f["rules"]) or "policy", f["message"])
            for f in items]
    return head + "\n\n" + table(("severity", "kind", "certain", "zones", "ports", "rule", "finding"), rows,
                                  max_width=110)


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
