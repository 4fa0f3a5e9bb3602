"""S7comm from a real stack: python-snap7's client and server on loopback, captured with tcpdump.

The server listens on a port no decoder claims, so the flow is recognised by the content probe.
"""

from pathlib import Path

import pytest

from plantwarden.sensor.eventlog import iter_records

from .capture import free_port, server_process, tcpdump

snap7 = pytest.importorskip("snap7")
HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def s7_capture(tmp_path_factory):
    port = free_port()
    path = tmp_path_factory.mktemp("s7") / "snap7.pcap"
    with tcpdump(path, f"tcp port {port}"), server_process(HERE / "s7_server.py", str(port), ready_port=port):
        c = snap7.client.Client()
        c.connect("127.0.0.1", 0, 1, tcp_port=port)
        assert c.db_read(1, 0, 8) == bytearray(range(8))
        c.db_write(1, 4, bytearray(b"\xbe\xef"))
        info = c.get_cpu_info()
        c.plc_stop()
        c.plc_hot_start()
        c.disconnect()
    return path, port, info


def test_snap7_session_is_decoded(s7_capture):
    path, port, info = s7_capture
    recs = [r for r in iter_records([path]) if r["proto"] == "s7comm" and port in (r["sport"], r["dport"])]
    assert not [r for r in recs if r["event"] == "weird"]
    events = [r["event"] for r in recs]
    for expected in ("s7comm_cotp_connect_request", "s7comm_cotp_connect_confirm",
                     "s7comm_setup_communication_request", "s7comm_setup_communication_response",
                     "s7comm_read_var_request", "s7comm_read_var_response", "s7comm_write_var_request",
                     "s7comm_write_var_response", "s7comm_plc_stop_request", "s7comm_plc_control_request",
                     "s7comm_userdata_request", "s7comm_userdata_response"):
        assert expected in events, expected
    cr = next(r for r in recs if r["event"] == "s7comm_cotp_connect_request")
    assert cr["dst_tsap"] == "0101" and cr["dport"] == port and cr["is_orig"] is True

    read_req = next(r for r in recs if r["event"] == "s7comm_read_var_request")
    assert {k: read_req["items"][0][k] for k in ("area", "db_number", "byte_address", "length")} == \
        {"area": "db", "db_number": 1, "byte_address": 0, "length": 8}
    read_resp = next(r for r in recs if r["event"] == "s7comm_read_var_response")
    assert read_resp["items"][0]["value"] == "0001020304050607"
    assert read_resp["pdu_ref"] == read_req["pdu_ref"] and read_resp["is_orig"] is False

    write = next(r for r in recs if r["event"] == "s7comm_write_var_request")
    assert write["items"][0]["byte_address"] == 4 and write["items"][0]["value"] == "beef"

    control = next(r for r in recs if r["event"] == "s7comm_plc_control_request")
    assert control["pi_service"] == "P_PROGRAM"


def test_snap7_szl_read_is_paired(s7_capture):
    """python-snap7 3.x's server answers SZL 0x001C with an empty partial-list header (entry length 0,
    count 0) before its identity strings; Wireshark then shows no records either, and so do we: the
    identity is not invented from bytes the header does not announce."""
    path, _, info = s7_capture
    szl = [r for r in iter_records([path]) if r.get("szl_id") == 0x1C]
    assert [r["event"] for r in szl] == ["s7comm_userdata_request", "s7comm_userdata_response"]
    assert szl[1]["szl_entry_count"] == 0 and not szl[1].get("identity")
    assert info.ASName == b"SNAP7-SERVER"  # what the client read by fixed offsets
