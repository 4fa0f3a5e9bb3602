"""The check report as JSON (every field in docs/zones.md, "JSON report") and as one HTML page."""

from __future__ import annotations

import html
import time
from typing import Any

from plantwarden.inventory.model import Asset
from plantwarden.zones.check import Observed, Report, Violation
from plantwarden.zones.model import Conduit

SCHEMA = "plantwarden.zones.check/1"


def violation_document(v: Violation) -> dict[str, Any]:
    """One violation as in the JSON report (docs/zones.md); also the evidence of its alert."""
    return {"kind": v.kind, "conduit": v.conduit, "client": v.client, "server": v.server,
            "client_zone": v.client_zone, "server_zone": v.server_zone, "protocol": v.protocol,
            "detail": v.detail, "count": v.count, "first_seen": v.first_seen, "last_seen": v.last_seen}


def _observed(o: Observed) -> dict[str, Any]:
    c = o.comm
    return {"client": c.client, "server": c.server, "client_zone": o.client_zone, "server_zone": o.server_zone,
            "protocol": c.protocol, "server_ports": sorted(c.server_ports), "flows": c.flows,
            "function_classes": dict(sorted(o.classes.items())),
            "functions": {k: list(v) for k, v in sorted(o.functions.items())},
            "first_seen": c.first_seen, "last_seen": c.last_seen}


def _allowed(c: Conduit) -> dict[str, Any]:
    return {"protocols": [{"protocol": r.protocol, "ports": sorted(r.ports) if r.ports is not None else None}
                          for r in c.protocols],
            "function_classes": sorted(c.function_classes) if c.function_classes is not None else None,
            "initiators": sorted(c.initiators)}


#: identity facts that name a device, by preference (docs/inventory.md)
NAME_FACTS = ("plc_name", "device_name", "module_name", "product_name", "model")


def asset_name(asset: Asset) -> str | None:
    """What the device calls itself (attacker controlled: escape it wherever it is shown), or None."""
    ident = asset.identity()
    return next((ident[n] for n in NAME_FACTS if n in ident), None)


def report_document(report: Report, posture: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON report; with ``posture`` (a ``plantwarden.zones.posture`` document) its summary per zone
    and conduit is included under ``posture``."""
    m = report.model
    zones = []
    for z in m.zones:
        zones.append({"name": z.name, "purdue_level": z.purdue_level, "sl_t": z.sl_t,
                      "assets": [ip for ip, zn in report.placement.items() if zn == z.name]})
    conduits = [{"name": c.name, "zones": list(c.zones), "allowed": _allowed(c),
                 "observed": [_observed(o) for o in report.conduit_observed(c)],
                 "violations": [violation_document(v) for v in report.conduit_violations(c)]} for c in m.conduits]
    no_conduit = [violation_document(v) for v in report.conduit_violations(None)]
    return {
        "schema": SCHEMA,
        "generated_at": time.time(),
        "summary": {
            "zones": len(m.zones), "conduits": len(m.conduits), "assets": len(report.assets),
            "assets_without_zone": len(report.unzoned_assets),
            "communications": len(report.observed) + report.intra_zone + len(report.unplaced),
            "cross_zone": len(report.observed), "intra_zone": report.intra_zone, "unplaced": len(report.unplaced),
            "violations": len(report.violations),
        },
        "zones": zones,
        "conduits": conduits,
        "without_conduit": no_conduit,
        "assets_without_zone": [{"ip": a.ip, "mac": a.mac, "role": a.role, "name": asset_name(a)}
                                for a in report.unzoned_assets],
        "unplaced_communications": [{"client": c.client, "server": c.server, "protocol": c.protocol,
                                     "flows": c.flows, "first_seen": c.first_seen, "last_seen": c.last_seen}
                                    for c in report.unplaced],
        **({} if posture is None else {"posture": {
            "summary": posture["summary"],
            "groups": [{"scope": g["scope"], "name": g["name"], "zones": g["zones"], "verdict": g["verdict"],
                        "cleartext_protocols": g["cleartext_protocols"]} for g in posture["groups"]],
        }}),
    }


# -- HTML -----------------------------------------------------------------------------------------

_CSS = """body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}th{background:#f3f3f3}
.bad{color:#a00;font-weight:bold}.ok{color:#070}"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _ts(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts)) + "Z"


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    if not rows:
        return "<p>none</p>"
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _vrows(vs: list[dict[str, Any]]) -> list[list[Any]]:
    return [[v["kind"], v["client"], v["client_zone"], v["server"], v["server_zone"], v["protocol"], v["detail"],
             v["count"], _ts(v["first_seen"]), _ts(v["last_seen"])] for v in vs]


_VHEAD = ["kind", "client", "client zone", "server", "server zone", "protocol", "detail", "count", "first seen",
          "last seen"]


def report_html(report: Report, posture: dict[str, Any] | None = None) -> str:
    """One self-contained page (no script, no external resource); every string is escaped."""
    doc = report_document(report, posture)
    s = doc["summary"]
    parts = [f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>plantwarden zones check</title>"
             f"<style>{_CSS}</style></head><body><h1>Zones and conduits check</h1>",
             f"<p class=\"{'bad' if s['violations'] else 'ok'}\">{_e(s['violations'])} violation(s); "
             f"{_e(s['cross_zone'])} cross-zone, {_e(s['intra_zone'])} intra-zone and {_e(s['unplaced'])} unplaced "
             f"communication(s); {_e(s['assets_without_zone'])} asset(s) in no zone.</p>",
             "<h2>Zones</h2>",
             _table(["zone", "Purdue level", "SL-T", "assets"],
                    [[z["name"], z["purdue_level"], z["sl_t"], ", ".join(z["assets"])] for z in doc["zones"]])]
    for c in doc["conduits"]:
        a = c["allowed"]
        protos = ", ".join(p["protocol"] + (f" ({', '.join(map(str, p['ports']))})" if p["ports"] is not None else "")
                           for p in a["protocols"])
        classes = ", ".join(a["function_classes"]) if a["function_classes"] is not None else "any"
        parts.append(f"<h2>Conduit {_e(c['name'])}: {_e(c['zones'][0])} &harr; {_e(c['zones'][1])}</h2>"
                     f"<p>Allowed: {_e(protos)}; function classes: {_e(classes)}; initiators: "
                     f"{_e(', '.join(a['initiators']))}</p><h3>Observed</h3>")
        parts.append(_table(["client", "server", "protocol", "ports", "flows", "function classes", "first seen",
                             "last seen"],
                            [[o["client"], o["server"], o["protocol"], ", ".join(map(str, o["server_ports"])),
                              o["flows"], ", ".join(f"{k} {n}" for k, n in o["function_classes"].items()),
                              _ts(o["first_seen"]), _ts(o["last_seen"])] for o in c["observed"]]))
        parts.append("<h3>Violations</h3>" + _table(_VHEAD, _vrows(c["violations"])))
    parts.append("<h2>Traffic between zones without a conduit</h2>" + _table(_VHEAD, _vrows(doc["without_conduit"])))
    parts.append("<h2>Assets in no zone</h2>" + _table(["ip", "mac", "role", "name"], [[a["ip"], a["mac"], a["role"], a["name"]]
                                                                              for a in doc["assets_without_zone"]]))
    parts.append("<h2>Communications not checked (an end in no zone)</h2>"
                 + _table(["client", "server", "protocol", "flows"],
                          [[u["client"], u["server"], u["protocol"], u["flows"]]
                           for u in doc["unplaced_communications"]]))
    if "posture" in doc:
        parts.append("<h2>Encryption posture</h2>" + _table(
            ["scope", "zone or conduit", "verdict", "cleartext protocols"],
            [[g["scope"], g["name"], g["verdict"] or "no traffic", ", ".join(g["cleartext_protocols"]) or "-"]
             for g in doc["posture"]["groups"]]) + "<p>Details: <code>plantwarden zones posture --model</code>.</p>")
    parts.append("</body></html>\n")
    return "".join(parts)
