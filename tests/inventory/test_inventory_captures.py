"""The inventory built by the real sensor: the demo plant and captures from ../shared/pcaps."""

from __future__ import annotations

import json

import pytest

from plantwarden.inventory import InventoryBuilder
from plantwarden.inventory.model import ENGINEERING_WORKSTATION, HMI, PLC
from plantwarden.sensor.pipeline import Sensor

from ..conftest import need_shared


def build(path, name="cap"):
    b = InventoryBuilder()
    Sensor(sinks=[b]).process_file(path, name=name)
    return b.result()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from plantwarden.demo import generate_demo_capture, labels_path

    cap = generate_demo_capture(tmp_path_factory.mktemp("demo") / "demo.pcap")
    return build(cap, "demo.pcap"), json.loads(labels_path(cap).read_text())


def test_demo_roles_match_the_story(demo):
    inv, labels = demo
    hosts = {k: v["ip"] for k, v in labels["hosts"].items()}
    assert inv.assets[hosts["hmi"]].role == HMI
    assert inv.assets[hosts["ews"]].role == ENGINEERING_WORKSTATION
    assert inv.assets[hosts["plc1"]].role == PLC
    assert inv.assets[hosts["plc2"]].role == PLC
    # the unknown host stops a PLC: by behaviour it programs (detections judge whether it may)
    assert inv.assets[hosts["attacker"]].behaviour["programs"] >= 1
    for key, host in labels["hosts"].items():
        assert inv.assets[host["ip"]].mac == host["mac"], key


def test_demo_identities_and_vendors(demo):
    inv, labels = demo
    hosts = {k: v["ip"] for k, v in labels["hosts"].items()}
    plc1, plc2 = inv.assets[hosts["plc1"]], inv.assets[hosts["plc2"]]
    assert plc1.identity()["vendor"] == "Schneider Electric"
    assert plc1.identity()["product_name"] == "Modicon M340"
    assert plc2.identity()["order_number"] == "6ES7 315-2EH14-0AB0"
    assert plc2.identity()["plc_name"] == "PLC2-MIXER"
    assert plc2.identity()["firmware"] == "V3.2.6"
    assert plc2.vendor == "Siemens AG"
    src = plc2.facts[("order_number", "6ES7 315-2EH14-0AB0", "s7comm")]
    assert src.capture == "demo.pcap" and src.frame > 0 and src.event.startswith("s7comm_")
    assert inv.assets[hosts["hmi"]].facts == {}
    # the attacker's Modbus SYN to PLC2 was refused: that says nothing about what PLC2 speaks
    assert plc2.protocols == {"s7comm"} and plc1.protocols == {"modbus"}


def test_demo_communications(demo):
    inv, labels = demo
    hosts = {k: v["ip"] for k, v in labels["hosts"].items()}
    c = inv.communications[(hosts["hmi"], hosts["plc1"], "modbus")]
    assert c.functions["3"].requests > 100 and c.functions["3"].name == "read_holding_registers"
    assert c.functions["6"].requests >= 1
    ews = inv.communications[(hosts["ews"], hosts["plc2"], "s7comm")]
    assert ews.functions[str(0x1A)].requests >= 1  # request download


@pytest.mark.shared
def test_s7ident_identity_matches_zeek_known_devices():
    pcaps = need_shared() / "pcaps"
    inv = build(pcaps / "s7comm" / "icsnpp-s7comm__s7ident.pcap")
    ident = inv.assets["172.17.0.2"].identity()
    # ICSNPP's s7comm_known_devices.log for this capture
    assert ident["plc_name"] == "SNAP7-SERVER"
    assert ident["module_name"] == "CPU 315-2 PN/DP"
    assert ident["serial_number"] == "S C-C2UR28922012"


@pytest.mark.shared
def test_modbus_example_read_device_identification():
    pcaps = need_shared() / "pcaps"
    inv = build(pcaps / "modbus" / "icsnpp-modbus__modbus_example.pcap")
    facts = inv.assets["127.0.0.1"].identity()
    assert facts["vendor"] == "Zeek Modbus Test"
    assert inv.assets["127.0.0.1"].behaviour["serves"] >= 1
