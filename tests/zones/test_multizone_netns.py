"""A multi-zone plant made of network namespaces and real protocol stacks, captured on its router, checked
against a zones-and-conduits model with deliberate violations: every violation is found, nothing else.

See tests/zones/plant_netns.py for the plant; docs/zones.md ("A multi-zone plant with real stacks").
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from plantwarden.cli.main import main

from .plant_netns import (
    HTTP_SERVER,
    MODBUS_CLIENT,
    MODBUS_SERVER,
    S7_CLIENT,
    S7_SERVER,
    TCP_CLIENT,
    TELNET_SERVER,
    Plant,
    need_root,
)

MODEL = """
zones:
  - {{name: control, purdue_level: 1, sl_t: 3, members: {{cidrs: [10.{n}.1.0/24]}}}}
  - {{name: ops, purdue_level: 2, sl_t: 2, members: {{cidrs: [10.{n}.2.0/24]}}}}
  - {{name: dmz, purdue_level: 3, sl_t: 2, members: {{cidrs: [10.{n}.3.0/24]}}}}
  - {{name: enterprise, purdue_level: 4, sl_t: 1, members: {{cidrs: [10.{n}.4.0/24]}}}}
conduits:
  - name: ops-control
    zones: [ops, control]
    protocols: [modbus, {{protocol: s7comm, ports: [102]}}]
    function_classes: [read, write, diagnostic]
    initiators: [ops]
  - name: historian
    zones: [dmz, control]
    protocols: [modbus]
    function_classes: [read]
    initiators: [dmz]
  - name: dmz-ops
    zones: [dmz, ops]
    protocols: [{{protocol: http, ports: [80]}}]
    initiators: [dmz]
  - {{name: enterprise-dmz, zones: [enterprise, dmz], protocols: [http], initiators: [enterprise]}}
"""


@pytest.fixture(scope="module")
def plant(tmp_path_factory: pytest.TempPathFactory) -> tuple[Plant, str, Path]:
    need_root()
    d = tmp_path_factory.mktemp("multizone")
    p = Plant(d)
    try:
        p.build({"control": [11, 12], "ops": [10, 50], "dmz": [10], "enterprise": [10]})
        plc1, plc2 = p.addr("control", 11), p.addr("control", 12)
        hmi, ews = p.addr("ops", 10), p.addr("ops", 50)
        hist, office = p.addr("dmz", 10), p.addr("enterprise", 10)
        p.start("control", MODBUS_SERVER, plc1, ready=(plc1, 502))
        p.start("control", S7_SERVER, ready=(plc2, 102))
        p.start("ops", MODBUS_SERVER, ews, ready=(ews, 502))
        p.start("ops", HTTP_SERVER, ews, "8080", ready=(ews, 8080))
        p.start("ops", TELNET_SERVER, ews, ready=(ews, 23))
        pcap = d / "router.pcap"
        with p.capture(pcap):
            p.client("ops", MODBUS_CLIENT, hmi, plc1, "write")  # allowed: read and write from ops
            p.client("ops", S7_CLIENT, plc2)  # allowed: S7 read from ops (source: the zone's first address)
            p.client("dmz", MODBUS_CLIENT, hist, plc1, "read")  # allowed: the historian reads
            p.client("dmz", MODBUS_CLIENT, hist, plc1, "write")  # VIOLATION: a write over a read-only conduit
            p.client("enterprise", MODBUS_CLIENT, office, plc1, "read")  # VIOLATION: no conduit
            p.client("control", MODBUS_CLIENT, plc1, ews, "read")  # VIOLATION: control may not initiate
            p.client("dmz", TCP_CLIENT, hist, ews, "8080", "GET / HTTP/1.1\\r\\nHost: ews\\r\\n\\r\\n")  # VIOLATION: port
            p.client("dmz", TCP_CLIENT, hist, ews, "23", "operator\\r\\n")  # VIOLATION: telnet not allowed
            # inside a zone: never crosses the router, so never in its capture
            p.client("ops", TCP_CLIENT, hmi, ews, "8080", "GET / HTTP/1.1\\r\\nHost: ews\\r\\n\\r\\n")
        db = str(d / "plant.sqlite")
        res = CliRunner().invoke(main, ["analyze", str(pcap), "--db", db])
        assert res.exit_code == 0, res.output
        (d / "zones.yaml").write_text(MODEL.format(n=p.n))
        yield p, db, d / "zones.yaml"
    finally:
        p.teardown()


def _check(db: str, model: Path, *extra: str) -> tuple[int, dict]:
    res = CliRunner().invoke(main, ["zones", "check", str(model), "--db", db, "--format", "json", *extra])
    return res.exit_code, json.loads(res.output)


def test_every_planted_violation_and_nothing_else(plant) -> None:
    p, db, model = plant
    code, doc = _check(db, model)
    assert code == 1
    found = sorted((v["kind"], v["conduit"], v["client"], v["server"], v["protocol"], v["detail"].split(":")[0])
                   for c in doc["conduits"] for v in c["violations"]) + sorted(
        (v["kind"], v["conduit"], v["client"], v["server"], v["protocol"], v["detail"].split(":")[0])
        for v in doc["without_conduit"])
    plc1, ews, hist, office = p.addr("control", 11), p.addr("ops", 50), p.addr("dmz", 10), p.addr("enterprise", 10)
    telnet = next(v["protocol"] for c in doc["conduits"] for v in c["violations"] if v["kind"] == "protocol_not_allowed")
    assert telnet in ("telnet", "tcp/23")
    assert found == sorted([
        ("function_class_not_allowed", "historian", hist, plc1, "modbus", "write"),
        ("wrong_initiator", "ops-control", plc1, ews, "modbus", "control may not initiate (initiators"),
        ("port_not_allowed", "dmz-ops", hist, ews, "http", "http on server port(s) 8080"),
        ("protocol_not_allowed", "dmz-ops", hist, ews, telnet, f"{telnet} is not allowed"),
    ]) + [("no_conduit", None, office, plc1, "modbus", "no conduit between enterprise and control")]
    assert doc["summary"]["intra_zone"] == 0  # the HMI's HTTP to the workstation stayed inside ops
    assert doc["assets_without_zone"] == [] and doc["unplaced_communications"] == []
    allowed = {(o["client"], o["server"], o["protocol"]) for c in doc["conduits"] for o in c["observed"]}
    assert (p.addr("ops", 10), plc1, "modbus") in allowed
    assert any(s == p.addr("control", 12) and proto == "s7comm" for _, s, proto in allowed)


def test_violations_become_alerts_once(plant) -> None:
    _, db, model = plant
    for _ in range(2):  # the second run merges into the stored alerts
        res = CliRunner().invoke(main, ["zones", "check", str(model), "--db", db, "--format", "table", "--alerts"])
        assert res.exit_code == 1, res.output
    res = CliRunner().invoke(main, ["alerts", "--db", db, "--format", "json", "--detection", "zones.conduit_violation"])
    assert res.exit_code == 0, res.output
    assert len(json.loads(res.output)) == 5


def test_a_proposed_model_passes_its_own_check(plant, tmp_path) -> None:
    _, db, _ = plant
    res = CliRunner().invoke(main, ["zones", "propose", "--db", db])
    assert res.exit_code == 0, res.output
    (tmp_path / "proposed.yaml").write_text(res.output)
    code, doc = _check(db, tmp_path / "proposed.yaml")
    assert (code, doc["summary"]["violations"]) == (0, 0)
