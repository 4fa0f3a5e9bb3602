"""The JSON report is documented field by field; the HTML page escapes everything from the network."""

from __future__ import annotations

import json
import re

from plantwarden.inventory.model import Asset, Communication, Fact, FunctionCount
from plantwarden.zones.check import check
from plantwarden.zones.model import load_model
from plantwarden.zones.report import SCHEMA, report_document, report_html

from ..conftest import ROOT
from .test_check import MODEL

DOC = ROOT / "docs" / "zones.md"
ROW = re.compile(r"^\| `([a-z_\[\]\.]+)` \|", re.M)
#: objects whose keys are data (function classes), not fields
DATA_KEYS = (".function_classes", ".functions", "posture.summary", "posture.groups", "posture.groups[]")  # the last two: their
# fields are listed in the text of their rows


def documented() -> set[str]:
    text = DOC.read_text()
    start = text.index("## JSON report")
    end = text.find("\n## ", start + 1)
    return set(ROW.findall(text[start:end if end > 0 else len(text)]))


def paths(obj, prefix=""):
    if isinstance(obj, dict):
        if prefix.endswith(DATA_KEYS):
            return
        for k, v in obj.items():
            p = f"{prefix}.{k}" if prefix else k
            yield p
            yield from paths(v, p)
    elif isinstance(obj, list):
        for item in obj:
            yield from paths(item, prefix + "[]")


def full_document(demo) -> dict:
    """A report with every part filled: violations, no-conduit traffic, unzoned assets and unplaced traffic."""
    text = MODEL + "  - zones: [remote, engineering]\n    protocols: [s7comm]\n"
    text = text.replace("  - {name: remote, sl_t: 1, members: {cidrs: [10.10.99.0/24]}}\n",
                        "  - {name: remote, sl_t: 1, members: {cidrs: [10.10.99.0/24]}}\n"
                        "  - {name: far, sl_t: 1, members: {cidrs: [10.10.98.0/24]}}\n")
    comms = [*demo.comms, Communication("10.10.98.1", "10.10.10.11", "modbus", "tcp", 1.0, 2.0, {502}, 1)]
    text = text.replace("[10.10.20.50]", "[10.10.20.50, 10.10.97.0/24]")
    comms.append(Communication("10.10.97.1", "10.10.99.66", "modbus", "tcp", 1.0, 2.0, {502}, 1))
    assets = [*demo.assets, Asset("192.0.2.1", 1.0, 2.0)]
    comms.append(Communication("192.0.2.1", "10.10.10.11", "modbus", "tcp", 1.0, 2.0, {502}, 1))
    from plantwarden.zones.posture import posture, posture_document

    model = load_model(text)
    return report_document(check(model, assets, comms), posture_document(posture(comms, model, assets)))


def test_every_json_field_is_documented_and_every_documented_field_exists(demo):
    doc = full_document(demo)
    assert doc["schema"] == SCHEMA
    assert doc["without_conduit"] and doc["assets_without_zone"] and doc["unplaced_communications"]
    assert all(c["observed"] and c["violations"] for c in doc["conduits"])
    seen = set(paths(doc))
    assert seen - documented() == set(), "undocumented fields"
    assert documented() - seen == set(), "documented fields the report does not have"
    json.dumps(doc)


def test_the_report_counts(demo):
    doc = report_document(check(load_model(MODEL), demo.assets, demo.comms))
    assert doc["summary"] == {"zones": 5, "conduits": 2, "assets": 5, "assets_without_zone": 0, "communications": 6,
                              "cross_zone": 6, "intra_zone": 0, "unplaced": 0, "violations": 5}
    assert [z["assets"] for z in doc["zones"]] == [["10.10.10.11", "10.10.10.12"], ["10.10.20.10"], ["10.10.20.50"],
                                                   ["10.10.99.66"], []]
    hmi = doc["conduits"][0]
    assert hmi["allowed"] == {"protocols": [{"protocol": "modbus", "ports": [502]},
                                            {"protocol": "s7comm", "ports": None}],
                              "function_classes": ["diagnostic", "read"], "initiators": ["hmi"]}
    assert [v["kind"] for v in hmi["violations"]] == ["function_class_not_allowed"]
    assert len(doc["without_conduit"]) == 3


HOSTILE = '<script>alert("x")</script>&<img src=x onerror=1>'


def test_html_escapes_device_names_and_every_wire_string():
    asset = Asset("10.9.9.9", 1.0, 2.0)
    asset.add_fact(Fact("plc_name", HOSTILE, "s7comm", 0.9, "c", 1, "e", 1.0, 1.0))
    comm = Communication("10.0.1.1", "10.0.2.1", "modbus", "tcp", 1.0, 2.0, {502}, 1)
    comm.functions["99"] = FunctionCount("99", HOSTILE, 1, 0)
    model = load_model("zones: [{name: a, sl_t: 1, members: {cidrs: [10.0.1.0/24]}},"
                       " {name: b, sl_t: 1, members: {cidrs: [10.0.2.0/24]}}]\n"
                       "conduits: [{zones: [a, b], protocols: [dnp3]}]")
    report = check(model, [asset], [comm])
    assert report_document(report)["assets_without_zone"][0]["name"] == HOSTILE
    page = report_html(report)
    assert "<script" not in page and "<img" not in page and "onerror=1>" not in page
    assert html_escaped(HOSTILE) in page
    assert page.startswith("<!DOCTYPE html>") and "http" not in page.lower().replace("http-equiv", "")


def html_escaped(text: str) -> str:
    import html

    return html.escape(text, quote=True)
