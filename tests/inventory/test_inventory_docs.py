"""docs/inventory.md documents every field of the JSON documents, and nothing that is not there."""

from __future__ import annotations

import re

import pytest

from plantwarden.inventory import InventoryBuilder
from plantwarden.inventory.export import FORMAT_VERSION, assets_document, flows_document
from plantwarden.sensor.pipeline import Sensor

from ..conftest import PCAPS, ROOT
from .helpers import flow, modbus_req, resp

DOC = ROOT / "docs" / "inventory.md"
ROW = re.compile(r"^\| `([a-z_\[\]\.]+)` \|", re.M)


def documented() -> set[str]:
    return set(ROW.findall(DOC.read_text()))


def paths(obj, prefix=""):
    """Every field path of a JSON value, lists as ``[]``; the keys of ``identity`` and ``activities`` are data."""
    if isinstance(obj, dict):
        if prefix.endswith((".identity", ".activities")):
            return
        for k, v in obj.items():
            p = f"{prefix}.{k}" if prefix else k
            yield p
            yield from paths(v, p)
    elif isinstance(obj, list):
        for item in obj:
            yield from paths(item, prefix + "[]")


@pytest.fixture(scope="module")
def rich(tmp_path_factory):
    """An inventory with every kind of value: the demo plant, plus captures from ../shared when present."""
    from plantwarden.demo import generate_demo_capture

    b = InventoryBuilder()
    sensor = Sensor(sinks=[b])
    sensor.process_file(generate_demo_capture(tmp_path_factory.mktemp("d") / "demo.pcap"), name="demo.pcap")
    for rel in ("s7comm/icsnpp-s7comm__s7ident.pcap", "modbus/icsnpp-modbus__modbus_example.pcap"):
        if (PCAPS / rel).is_file():
            sensor.process_file(PCAPS / rel, name=rel)
    f = flow("10.9.9.1", "10.9.9.2", 502, "modbus")
    b.on_event("x", f, modbus_req(3))
    b.on_event("x", f, resp("modbus_fc3_exception", function_code=3, exception_code=2))
    b.on_flow_end("x", f)
    t = flow("10.9.9.1", "10.9.9.3", 443, "tls")  # a negotiated TLS session: security facts
    b.on_event("x", t, resp("tls_server_hello", version="TLSv1.0", cipher="TLS_RSA_WITH_RC4_128_SHA",
                            weak=["TLSv1.0", "rc4_cipher"]))
    b.on_flow_end("x", t)
    return b.result()


def test_every_asset_field_is_documented_and_every_documented_field_exists(rich):
    doc = assets_document(rich.assets.values())
    out = set(paths(doc))
    known = {p for p in documented() if p == "format_version" or p.startswith("assets")}
    assert out - known == set(), f"fields missing from {DOC.name}"
    assert known - out == set(), f"{DOC.name} documents fields the output does not have"


def test_every_flows_field_is_documented_and_every_documented_field_exists(rich):
    doc = flows_document(rich.communications.values())
    out = set(paths(doc))
    known = {p for p in documented() if p == "format_version" or p.startswith("communications")}
    assert out - known == set(), f"fields missing from {DOC.name}"
    assert known - out == set(), f"{DOC.name} documents fields the output does not have"


def test_every_identity_fact_name_is_documented(rich):
    text = DOC.read_text()
    names = {f.name for a in rich.assets.values() for f in a.facts.values()}
    assert names, "the rich inventory should carry identity facts"
    missing = sorted(n for n in names if f"| `{n}` |" not in text)
    assert not missing, f"identity facts missing from the table in {DOC.name}: {missing}"


def test_decoder_identity_keys_are_documented():
    """Every identity key the decoders can emit, not only those the test captures happen to carry."""
    from plantwarden.decoders.modbus.constants import DEVICE_ID_OBJECTS
    from plantwarden.decoders.s7comm import userdata

    text = DOC.read_text()
    keys = set(DEVICE_ID_OBJECTS.values()) | set(userdata._COMPONENT_KEYS.values())
    keys |= {"order_number", "hardware", "firmware", "bootloader"}
    assert sorted(k for k in keys if f"| `{k}` |" not in text) == []


def test_format_version_is_in_both_documents(rich):
    assert assets_document([])["format_version"] == FORMAT_VERSION
    assert flows_document([])["format_version"] == FORMAT_VERSION
