"""Function classes from what each request did (the decoder's activity, kept per function in the store):
protocols whose function name alone does not say it — IEC 104 ASDU types, BACnet services — must still
break a read-only conduit when they write. On real captures from ../shared."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from plantwarden.cli.main import main

from ..conftest import PCAPS

IEC104 = PCAPS / "iec104" / "ICS-Security-Tools__TestDissectIec104.pcap"
BACNET = PCAPS / "bacnet" / "icsnpp-bacnet__bacnet_services.pcap"

MODEL = """
zones:
  - {name: scada, sl_t: 2, members: {cidrs: [172.27.248.109/32, 192.168.0.50/32]}}
  - {name: field, sl_t: 3, members: {cidrs: [172.27.248.79/32, 192.168.0.24/32]}}
conduits:
  - {zones: [scada, field], protocols: [iec104, bacnet], function_classes: [read, diagnostic], initiators: [scada]}
"""


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    if not IEC104.is_file() or not BACNET.is_file():
        pytest.skip("../shared/pcaps is not here")
    d = tmp_path_factory.mktemp("activities")
    db = str(d / "s.sqlite")
    r = CliRunner()
    res = r.invoke(main, ["analyze", str(IEC104), str(BACNET), "--db", db])
    assert res.exit_code == 0, res.output
    (d / "m.yaml").write_text(MODEL)
    res = r.invoke(main, ["zones", "check", str(d / "m.yaml"), "--db", db, "--format", "json"])
    assert res.exit_code == 1, res.output
    return json.loads(res.output)


def _violations(report: dict, client: str, protocol: str) -> list[dict]:
    return [v for c in report["conduits"] for v in c["violations"] if v["client"] == client
            and v["protocol"] == protocol]


def test_iec104_commands_break_a_read_only_conduit(report) -> None:
    v = _violations(report, "172.27.248.109", "iec104")
    assert [(x["kind"], x["detail"].split(":")[0]) for x in v] == [("function_class_not_allowed", "write")]
    names = set(v[0]["detail"].split(": ", 1)[1].split(", "))
    assert {"C_SC_NA_1", "C_DC_NA_1", "C_CS_NA_1"} <= names
    observed = next(o for c in report["conduits"] for o in c["observed"] if o["protocol"] == "iec104")
    assert observed["function_classes"]["write"] == v[0]["count"]


def test_bacnet_writes_break_a_read_only_conduit(report) -> None:
    v = _violations(report, "192.168.0.50", "bacnet")
    kinds = {x["detail"].split(":")[0] for x in v}
    assert "write" in kinds
    write = next(x for x in v if x["detail"].startswith("write:"))
    assert "write_property" in write["detail"]
