"""OPC UA from a real stack: an asyncua client and server on loopback, captured with tcpdump.

The server listens on a port no decoder claims, so the flow is recognised by the content probe (the
client's Hello). The client browses, reads, writes, calls a method and reads the server's status;
the decoder must see exactly those services, with their node ids and values, and the server's
BuildInfo as its identity.
"""

import asyncio
from collections import Counter
from pathlib import Path

import pytest

from plantwarden.sensor.eventlog import iter_records

from .capture import free_port, server_process, tcpdump

asyncua = pytest.importorskip("asyncua")
HERE = Path(__file__).parent


async def _client(port: int, setpoint: str, method: str, plant: str) -> dict:
    from asyncua import Client, ua

    async with Client(f"opc.tcp://127.0.0.1:{port}/plantwarden/") as c:
        children = await c.nodes.objects.get_children()
        var = c.get_node(setpoint)
        before = await var.read_value()
        await var.write_value(ua.DataValue(ua.Variant(42.0, ua.VariantType.Double)))
        result = await c.get_node(plant).call_method(ua.NodeId.from_string(method), ua.Variant(3, ua.VariantType.Int32))
        status = await c.get_node(ua.NodeId(2256)).read_value()
    return {"children": children, "before": before, "result": result, "status": status}


@pytest.fixture(scope="module")
def opcua_capture(tmp_path_factory):
    port = free_port()
    path = tmp_path_factory.mktemp("opcua") / "asyncua.pcap"
    with tcpdump(path, f"tcp port {port}"), \
            server_process(HERE / "opcua_server.py", str(port), ready_port=port, timeout=60) as proc:
        assert proc.stdout is not None
        line = ""
        while not line.startswith("NODES"):  # the server's log lines come first
            line = proc.stdout.readline()
            assert line, "the server exited before printing its node ids"
        setpoint, method, plant = line.split()[1:]
        seen = asyncio.run(_client(port, setpoint, method, plant))
    return path, port, (setpoint, method, plant), seen


def _records(path: Path) -> list[dict]:
    return [r for r in iter_records([path]) if r["proto"] == "opcua"]


def test_session_is_decoded_without_weirds(opcua_capture):
    path, port, _, _ = opcua_capture
    recs = _records(path)
    assert recs and not [r for r in recs if r["event"] == "weird"]
    assert {r["dport"] for r in recs if r["is_orig"]} == {port}
    hello = recs[0]
    assert hello["event"] == "opcua_hello" and hello["endpoint_url"] == f"opc.tcp://127.0.0.1:{port}/plantwarden/"
    opn = next(r for r in recs if r["event"] == "opcua_open_secure_channel_request")
    assert opn["security_policy"] == "None" and opn["security_mode"] == "none"
    assert all(r["security_mode"] == "none" for r in recs if r["message_type"] == "MSG")
    act = next(r for r in recs if r["event"] == "opcua_activate_session_request")
    assert act["user_token_type"] == "anonymous"


def test_decoder_sees_exactly_what_the_client_did(opcua_capture):
    path, _, (setpoint, method, plant), seen = opcua_capture
    recs = _records(path)
    counts = Counter(r["event"] for r in recs)
    for ev in ("opcua_write_request", "opcua_write_response", "opcua_call_request", "opcua_call_response",
               "opcua_create_session_request", "opcua_close_session_request", "opcua_close_secure_channel_request"):
        assert counts[ev] == 1, (ev, counts)
    assert counts["opcua_read_request"] == counts["opcua_read_response"]

    browse = [i["node_id"] for r in recs if r["event"] == "opcua_browse_request" for i in r["items"]]
    assert "i=85" in browse
    browse_resp = next(r for r in recs if r["event"] == "opcua_browse_response")
    assert browse_resp["reference_count"] >= len(seen["children"])

    reads = [(r, i) for r in recs if r["event"] == "opcua_read_response" for i in r["items"]]
    value = [i for _, i in reads if i.get("node_id") == setpoint and i["attribute"] == "Value"]
    assert value == [{"node_id": setpoint, "attribute_id": 13, "attribute": "Value", "status": "Good",
                      "value_type": "Double", "value": seen["before"]}]

    write = next(r for r in recs if r["event"] == "opcua_write_request")
    assert write["items"] == [{"node_id": setpoint, "attribute_id": 13, "attribute": "Value", "value_type": "Double",
                               "value": 42.0}]
    assert next(r for r in recs if r["event"] == "opcua_write_response")["items"][0]["status"] == "Good"

    call = next(r for r in recs if r["event"] == "opcua_call_request")
    assert call["items"] == [{"object_id": plant, "method_id": method, "input_argument_types": ["Int32"]}]
    answer = next(r for r in recs if r["event"] == "opcua_call_response")
    assert answer["items"][0]["status"] == "Good" and answer["items"][0]["output_argument_types"] == ["String"]
    assert seen["result"] == "reset to 3"


def test_server_identity_from_server_status(opcua_capture):
    path, _, _, seen = opcua_capture
    ident = {}
    states = set()
    for r in _records(path):
        if not r["is_orig"]:
            ident.update(r.get("identity", {}))
            states.update([r["server_state"]] if "server_state" in r else [])
    build = seen["status"].BuildInfo
    assert ident["vendor"] == build.ManufacturerName == "Plantwarden Test Works"
    assert ident["product_name"] == "Loopback PLC" and ident["application_version"] == "4.2.0"
    assert ident["revision"] == "42" and ident["product_code"] == "urn:plantwarden:test-plc"
    assert ident["build_date"].startswith("2024-05-01") and states == {"running"}
    assert ident["device_type"] == "opcua_client_and_server"  # asyncua's default ApplicationType
