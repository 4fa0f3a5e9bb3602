"""Modbus/TCP from a real stack: a pymodbus client and server on loopback, captured with tcpdump.

The server listens on a port no decoder claims, so the flow is recognised by the content probe. Its
device identity carries hostile strings, which must arrive in the event log unchanged (as data).
"""

from pathlib import Path

import pytest

from plantwarden.sensor.eventlog import iter_records

from .capture import free_port, server_process, tcpdump
from .modbus_server import IDENTITY

pytest.importorskip("pymodbus")
HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def modbus_capture(tmp_path_factory):
    from pymodbus.client import ModbusTcpClient

    port = free_port()
    path = tmp_path_factory.mktemp("mb") / "pymodbus.pcap"
    with tcpdump(path, f"tcp port {port}"), server_process(HERE / "modbus_server.py", str(port), ready_port=port):
        c = ModbusTcpClient("127.0.0.1", port=port)
        assert c.connect()
        assert c.read_holding_registers(10, count=5, device_id=1).registers == [10, 11, 12, 13, 14]
        c.write_register(3, 1234, device_id=1)
        c.write_coils(0, [True, False, True], device_id=1)
        c.read_device_information(read_code=3, object_id=0, device_id=1)
        c.read_coils(0, count=3, device_id=1)
        assert c.read_holding_registers(99, count=10, device_id=1).isError()
        c.close()
    return path, port


def test_every_request_and_answer_is_decoded(modbus_capture):
    path, port = modbus_capture
    recs = [r for r in iter_records([path]) if r["proto"] == "modbus" and port in (r["sport"], r["dport"])]
    got = [(r["event"], r["transaction_id"], r["is_orig"]) for r in recs]
    expected = []
    for tid, fn in enumerate(["read_holding_registers", "write_single_register", "write_multiple_coils",
                              "read_device_identification", "read_coils"], start=1):
        expected += [(f"modbus_{fn}_request", tid, True), (f"modbus_{fn}_response", tid, False)]
    expected += [("modbus_read_holding_registers_request", 6, True),
                 ("modbus_read_holding_registers_exception", 6, False)]
    assert got == expected
    by_event = {r["event"]: r for r in recs}
    assert by_event["modbus_read_holding_registers_response"]["values"] == [10, 11, 12, 13, 14]
    assert by_event["modbus_write_single_register_request"]["values"] == [1234]
    assert by_event["modbus_write_multiple_coils_request"]["values"] == [1, 0, 1]
    assert by_event["modbus_read_coils_response"]["values"] == [1, 0, 1]
    assert by_event["modbus_read_holding_registers_exception"]["exception_code"] == 2
    assert {r["dport"] for r in recs if r["is_orig"]} == {port}


def test_device_identification_arrives_as_data(modbus_capture):
    path, _ = modbus_capture
    ident = next(r["identity"] for r in iter_records([path]) if r.get("identity"))
    assert ident["vendor"] == IDENTITY["VendorName"]
    assert ident["model"] == IDENTITY["ModelName"]  # the ANSI escape is kept in the log, escaped on display
    assert ident["revision"] == "4.2.1" and ident["product_code"] == "AC-PLC-9"
