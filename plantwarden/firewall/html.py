"""``plantwarden firewall check --format html``: the JSON document as one self-contained page.

No script, no external resource; every string passes through ``html.escape`` (rule comments, chain and
interface names are written by whoever wrote the rule set, and a rule set may come from a compromised host).
"""

from __future__ import annotations

import html
from typing import Any

_CSS = """body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}th{background:#f3f3f3}
.high{color:#a00;font-weight:bold}.medium{color:#a60}.low{color:#555}.info{color:#777}code{font-size:90%}"""
_SEV = {"high": 0, "medium": 1, "low": 2, "info": 3}


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _rule(r: dict[str, Any] | None) -> str:
    if r is None:
        return "-"
    return f"{_e(r['chain'])}:{_e(r['position'])} ({_e(r['source'])}) <code>{_e(r['text'])}</code>"


def _rows(headers: list[str], rows: list[list[str]]) -> str:
    """``rows`` hold HTML already escaped cell by cell."""
    if not rows:
        return "<p>none</p>"
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    return f"<table><tr>{head}</tr>" + "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>"
                                                for row in rows) + "</table>"


def report_html(doc: dict[str, Any]) -> str:
    parts = ["<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>plantwarden firewall check</title>"
             f"<style>{_CSS}</style></head><body><h1>Firewall rule set {_e(doc['ruleset'])}</h1>",
             f"<p>{_e(doc['format'])}: {_e(len(doc['chains']))} chains, {_e(doc['rules'])} rules, "
             f"{_e(len(doc['unparsed']))} unparsed"
             + (f"; tables not analysed: {_e(', '.join(doc['skipped_tables']))}" if doc["skipped_tables"] else "")
             + ".</p>", "<h2>Chains</h2>",
             _rows(["table", "chain", "hook", "policy", "type", "rules"],
                   [[_e(c["table"]), _e(c["name"]), _e(c["hook"] or "-"), _e(c["policy"] or "-"), _e(c["type"]),
                     _e(c["rules"])] for c in doc["chains"]])]
    items = sorted(doc["findings"], key=lambda f: (_SEV.get(f["severity"], 9), f["table"], f["chain"]))
    parts.append("<h2>Findings of the rule set</h2>")
    parts.append(_rows(["severity", "kind", "certain", "chain", "rule", "by", "finding"],
                       [[f"<span class=\"{_e(f['severity'])}\">{_e(f['severity'])}</span>", _e(f["kind"]),
                         "yes" if f["certain"] else "possibly", f"{_e(f['table'])}/{_e(f['chain'])}", _rule(f["rule"]),
                         "<br>".join(_rule(r) for r in (f.get("by_rules") or ([f["by"]] if f["by"] else [])))
                         or "-", _e(f["message"])] for f in items]))
    z = doc.get("zones")
    if z is not None:
        parts.append(f"<h2>Against the zones: firewall {_e(z['firewall'])} of {_e(z['model'])}</h2>"
                     "<p>Interfaces: " + _e(", ".join(f"{i} = {zn}" for i, zn in z["interfaces"].items()))
                     + (f"; {_e(z['communications_checked'])} stored communications evaluated" if z["store"] else "")
                     + ".</p>")
        zitems = sorted(z["findings"], key=lambda f: (_SEV.get(f["severity"], 9), f["kind"]))
        parts.append(_rows(["severity", "kind", "certain", "zones", "interfaces", "ports", "rule", "finding"],
                           [[f"<span class=\"{_e(f['severity'])}\">{_e(f['severity'])}</span>", _e(f["kind"]),
                             "yes" if f["certain"] else "possibly", f"{_e(f['from_zone'])} &rarr; {_e(f['to_zone'])}",
                             f"{_e(f['in_interface'])} &rarr; {_e(f['out_interface'])}",
                             f"{_e(f['transport'])}/{_e(','.join(f['ports']))}",
                             "<br>".join(_rule(r) for r in f["rules"]) or "policy", _e(f["message"])]
                            for f in zitems]))
    if doc["unparsed"]:
        parts.append("<h2>Unparsed</h2>" + _rows(["where", "reason", "text"],
                                                 [[_e(u["source"]), _e(u["reason"]), f"<code>{_e(u['text'])}</code>"]
                                                  for u in doc["unparsed"]]))
    parts.append("</body></html>\n")
    return "".join(parts)
