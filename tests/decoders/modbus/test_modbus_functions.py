"""One request/response round trip per function code, from byte literals."""

from __future__ import annotations

import json

from modbus_bytes import adu, exchange, feed, messages, weirds

from plantwarden.decoders.modbus import ModbusDecoder


def test_common_fields() -> None:
    req, resp, w = exchange(bytes.fromhex("03 006b 0003"), bytes.fromhex("03 06 022b 0000 0064"), tid=0x1234, unit=17)
    assert w == []
    for f in (req, resp):
        assert f["transaction_id"] == 0x1234
        assert f["unit_id"] == 17
        assert f["function_code"] == 3
        assert f["function"] == "read_holding_registers"
        assert f["exception_code"] is None and f["exception"] is None
    assert req["event"] == "modbus_read_holding_registers_request"
    assert resp["event"] == "modbus_read_holding_registers_response"
    assert (req["address"], req["quantity"]) == (0x6B, 3)
    assert resp["values"] == [0x022B, 0, 0x64]
    assert (resp["address"], resp["quantity"], resp["byte_count"]) == (0x6B, 3, 6)
    json.dumps(req), json.dumps(resp)


def test_read_coils_truncated_to_requested_quantity() -> None:
    req, resp, w = exchange(bytes.fromhex("01 0013 0013"), bytes.fromhex("01 03 cd6b05"))
    assert w == []
    assert req["event"] == "modbus_read_coils_request"
    assert (req["address"], req["quantity"]) == (19, 19)
    # 0xcd = 1100 1101 -> LSB first 1,0,1,1,0,0,1,1
    assert resp["values"] == [1, 0, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1]
    assert len(resp["values"]) == 19


def test_read_coils_response_without_request_keeps_every_bit() -> None:
    dec = ModbusDecoder()
    evs = feed(dec, adu(1, 1, bytes.fromhex("01 01 05")), False)
    assert weirds(evs) == ["modbus_response_without_request"]
    f = messages(evs)[0].fields
    assert f["values"] == [1, 0, 1, 0, 0, 0, 0, 0]
    assert f["address"] is None and f["quantity"] is None
    assert dec.unmatched_responses == 1


def test_read_discrete_inputs() -> None:
    req, resp, w = exchange(bytes.fromhex("02 00c4 0016"), bytes.fromhex("02 03 acdb35"))
    assert w == []
    assert resp["event"] == "modbus_read_discrete_inputs_response"
    assert resp["values"][:8] == [0, 0, 1, 1, 0, 1, 0, 1] and len(resp["values"]) == 22


def test_read_input_registers() -> None:
    req, resp, w = exchange(bytes.fromhex("04 0008 0001"), bytes.fromhex("04 02 000a"))
    assert w == [] and resp["values"] == [10] and resp["event"] == "modbus_read_input_registers_response"


def test_register_byte_count_mismatch_and_odd_count() -> None:
    _, resp, w = exchange(bytes.fromhex("03 0000 0002"), bytes.fromhex("03 02 0001"))
    assert w == ["modbus_byte_count_mismatch"] and resp["values"] == [1]
    _, resp, w = exchange(bytes.fromhex("03 0000 0002"), bytes.fromhex("03 03 000100"))
    assert w == ["modbus_odd_byte_count"] and resp["values"] == [1]


def test_write_single_coil() -> None:
    req, resp, w = exchange(bytes.fromhex("05 00ac ff00"), bytes.fromhex("05 00ac ff00"))
    assert w == []
    assert req["event"] == "modbus_write_single_coil_request"
    assert (req["address"], req["quantity"], req["values"]) == (0xAC, 1, [1])
    assert resp["values"] == [1]
    req, _, w = exchange(bytes.fromhex("05 00ac 0000"), bytes.fromhex("05 00ac 0000"))
    assert w == [] and req["values"] == [0]
    req, _, w = exchange(bytes.fromhex("05 00ac 1234"), bytes.fromhex("05 00ac 1234"))
    assert w == ["modbus_invalid_coil_value", "modbus_invalid_coil_value"] and req["values"] == [1]


def test_write_single_register() -> None:
    req, resp, w = exchange(bytes.fromhex("06 0001 0003"), bytes.fromhex("06 0001 0003"))
    assert w == [] and (req["address"], req["values"]) == (1, [3]) and resp["values"] == [3]


def test_read_exception_status() -> None:
    req, resp, w = exchange(b"\x07", bytes.fromhex("07 6d"))
    assert w == [] and resp["status"] == 0x6D and resp["event"] == "modbus_read_exception_status_response"


def test_diagnostics() -> None:
    req, resp, w = exchange(bytes.fromhex("08 0000 a537"), bytes.fromhex("08 0000 a537"))
    assert w == []
    assert req["event"] == "modbus_diagnostics_request"
    assert (req["subfunction"], req["subfunction_name"], req["data"]) == (0, "return_query_data", "a537")
    assert resp["subfunction_name"] == "return_query_data"
    req, _, w = exchange(bytes.fromhex("08 000e 0000"), bytes.fromhex("08 000e 0007"))
    assert req["subfunction_name"] == "return_server_message_count" and w == []
    req, _, w = exchange(bytes.fromhex("08 0063 0000"), bytes.fromhex("08 0063 0000"))
    assert req["subfunction_name"] == "unknown-99"
    assert w == ["modbus_diagnostics_unknown_subfunction"] * 2


def test_get_comm_event_counter_and_log() -> None:
    _, resp, w = exchange(b"\x0b", bytes.fromhex("0b ffff 0108"))
    assert w == [] and (resp["status"], resp["event_count"]) == (0xFFFF, 0x108)
    _, resp, w = exchange(b"\x0c", bytes.fromhex("0c 08 0000 0108 0121 2000"))
    assert w == []
    assert resp["event"] == "modbus_get_comm_event_log_response"
    assert (resp["status"], resp["event_count"], resp["message_count"], resp["events"]) == (0, 0x108, 0x121, [0x20, 0])


def test_write_multiple_coils() -> None:
    req, resp, w = exchange(bytes.fromhex("0f 0013 000a 02 cd01"), bytes.fromhex("0f 0013 000a"))
    assert w == []
    assert req["event"] == "modbus_write_multiple_coils_request"
    assert (req["address"], req["quantity"], req["byte_count"]) == (19, 10, 2)
    assert req["values"] == [1, 0, 1, 1, 0, 0, 1, 1, 1, 0]
    assert (resp["address"], resp["quantity"]) == (19, 10)
    _, _, w = exchange(bytes.fromhex("0f 0013 000a 01 cd"), bytes.fromhex("0f 0013 000a"))
    assert w == ["modbus_byte_count_mismatch"]


def test_write_multiple_registers() -> None:
    req, resp, w = exchange(bytes.fromhex("10 0001 0002 04 000a 0102"), bytes.fromhex("10 0001 0002"))
    assert w == []
    assert req["event"] == "modbus_write_multiple_registers_request"
    assert (req["address"], req["quantity"], req["values"]) == (1, 2, [10, 258])
    assert resp["event"] == "modbus_write_multiple_registers_response" and resp["quantity"] == 2
    req, _, w = exchange(bytes.fromhex("10 0001 0002 08 000a 0102"), bytes.fromhex("10 0001 0002"))
    assert w == ["modbus_malformed_pdu"] and req["values"] == [10, 258]


def test_report_server_id() -> None:
    _, resp, w = exchange(b"\x11", bytes.fromhex("11 05 2a ff 414243"))
    assert w == []
    assert (resp["server_id"], resp["run_indicator"], resp["data"]) == (0x2A, True, "2aff414243")


def test_read_file_record() -> None:
    req, resp, w = exchange(bytes.fromhex("14 0e 06 0004 0001 0002 06 0003 0009 0002"),
                            bytes.fromhex("14 0c 05 06 0df8 0a27 05 06 0033 0025"))
    assert w == []
    assert req["records"] == [
        {"reference_type": 6, "file_number": 4, "record_number": 1, "record_length": 2},
        {"reference_type": 6, "file_number": 3, "record_number": 9, "record_length": 2},
    ]
    assert resp["records"] == [
        {"reference_type": 6, "file_number": 4, "record_number": 1, "values": [0x0DF8, 0x0A27]},
        {"reference_type": 6, "file_number": 3, "record_number": 9, "values": [0x33, 0x25]},
    ]


def test_write_file_record() -> None:
    pdu = bytes.fromhex("15 0d 06 0004 0007 0003 06af 04be 100d")
    req, resp, w = exchange(pdu, pdu)
    assert w == []
    rec = {"reference_type": 6, "file_number": 4, "record_number": 7, "record_length": 3,
           "values": [0x06AF, 0x04BE, 0x100D]}
    assert req["records"] == [rec] and resp["records"] == [rec]


def test_mask_write_register() -> None:
    req, resp, w = exchange(bytes.fromhex("16 0004 00f2 0025"), bytes.fromhex("16 0004 00f2 0025"))
    assert w == []
    for f in (req, resp):
        assert (f["address"], f["and_mask"], f["or_mask"]) == (4, 0xF2, 0x25)


def test_read_write_multiple_registers() -> None:
    req, resp, w = exchange(bytes.fromhex("17 0003 0006 000e 0003 06 00ff 00ff 00ff"),
                            bytes.fromhex("17 0c 00fe 0acd 0001 0003 000d 00ff"))
    assert w == []
    assert (req["read_address"], req["read_quantity"], req["write_address"], req["write_quantity"]) == (3, 6, 14, 3)
    assert req["values"] == [255, 255, 255]
    assert (resp["read_address"], resp["read_quantity"]) == (3, 6)
    assert resp["values"] == [0xFE, 0xACD, 1, 3, 0xD, 0xFF]


def test_read_fifo_queue() -> None:
    req, resp, w = exchange(bytes.fromhex("18 04de"), bytes.fromhex("18 0006 0002 01b8 1284"))
    assert w == []
    assert req["address"] == 0x4DE
    assert (resp["address"], resp["fifo_count"], resp["values"]) == (0x4DE, 2, [0x1B8, 0x1284])


def test_read_device_identification() -> None:
    objects = bytes.fromhex("00 05") + b"ACME\x00" + bytes.fromhex("01 03") + b"PC1" + bytes.fromhex("02 04") + b"V1.2"
    objects += bytes.fromhex("05 02") + b"\xff\xfe" + bytes.fromhex("81 03") + b"x\xe9z"
    req, resp, w = exchange(bytes.fromhex("2b 0e 01 00"), bytes.fromhex("2b 0e 01 01 ff 81 05") + objects)
    assert w == []
    assert req["event"] == "modbus_read_device_identification_request"
    assert (req["subfunction"], req["subfunction_name"]) == (14, "read_device_identification")
    assert (req["read_device_id_code"], req["read_device_id"], req["object_id"]) == (1, "basic", 0)
    assert resp["event"] == "modbus_read_device_identification_response"
    assert resp["more_follows"] is True and resp["next_object_id"] == 0x81
    assert resp["conformity_level"] == 1 and resp["conformity_level_name"] == "basic_stream"
    assert resp["number_of_objects"] == 5
    assert resp["identity"] == {
        "vendor": "ACME", "product_code": "PC1", "revision": "V1.2", "model": "\xff\xfe",
        "objects": {"0x81": "x\xe9z"},
    }
    json.dumps(resp)


def test_read_device_identification_truncated_object() -> None:
    _, resp, w = exchange(bytes.fromhex("2b 0e 01 00"), bytes.fromhex("2b 0e 01 01 00 00 02 00 09") + b"ACME")
    assert w == ["modbus_malformed_pdu"]
    assert resp["identity"] == {"vendor": "ACME"}


def test_canopen_general_reference() -> None:
    req, resp, w = exchange(bytes.fromhex("2b 0d 0102"), bytes.fromhex("2b 0d 0304"))
    assert w == []
    assert req["event"] == "modbus_canopen_general_reference_request"
    assert resp["event"] == "modbus_canopen_general_reference_response"
    assert (req["data"], resp["data"]) == ("0102", "0304")


def test_other_mei_type_keeps_generic_name() -> None:
    req, _, _ = exchange(bytes.fromhex("2b 07 01"), bytes.fromhex("2b 07 02"))
    assert req["event"] == "modbus_encapsulated_interface_transport_request"
    assert req["subfunction_name"] == "unknown-7"


def test_umas() -> None:
    req, resp, w = exchange(bytes.fromhex("5a 00 41 ff"), bytes.fromhex("5a 00 fe"))
    assert w == []
    assert req["event"] == "modbus_umas_request" and req["function_code"] == 90
    assert (req["umas_session"], req["umas_function"], req["umas_function_name"], req["data"]) == (0, 0x41, "stop_plc", "ff")
    assert (resp["umas_function"], resp["umas_function_name"]) == (0x41, "stop_plc")
    assert (resp["umas_status"], resp["umas_status_name"]) == (0xFE, "ok")


def test_unknown_function() -> None:
    req, resp, w = exchange(bytes.fromhex("41 0102"), bytes.fromhex("41 03"))
    assert w == []
    assert req["event"] == "modbus_unknown_function_request"
    assert resp["event"] == "modbus_unknown_function_response"
    assert (req["function_code"], req["function"], req["data"]) == (65, "unknown-65", "0102")


def test_exception_response() -> None:
    req, resp, w = exchange(bytes.fromhex("03 0258 000a"), bytes.fromhex("83 02"))
    assert w == []
    assert resp["event"] == "modbus_read_holding_registers_exception"
    assert resp["function_code"] == 3  # without the exception bit, as Wireshark shows it
    assert (resp["exception_code"], resp["exception"]) == (2, "illegal_data_address")
    assert (resp["address"], resp["quantity"]) == (600, 10)


def test_exception_names() -> None:
    _, resp, _ = exchange(bytes.fromhex("2b 0e 01 00"), bytes.fromhex("ab 0b"))
    assert resp["event"] == "modbus_read_device_identification_exception"
    assert resp["exception"] == "gateway_target_device_failed_to_respond"
    _, resp, _ = exchange(bytes.fromhex("41"), bytes.fromhex("c1 63"))
    assert resp["event"] == "modbus_unknown_function_exception"
    assert (resp["function_code"], resp["exception"]) == (65, "unknown-99")


def test_malformed_exception() -> None:
    _, resp, w = exchange(bytes.fromhex("03 0000 0001"), bytes.fromhex("83"))
    assert resp["exception_code"] is None and w == ["modbus_malformed_pdu"]
    _, resp, w = exchange(bytes.fromhex("03 0000 0001"), bytes.fromhex("83 02 00"))
    assert resp["exception_code"] == 2 and w == ["modbus_trailing_bytes"]


def test_exception_from_originator() -> None:
    dec = ModbusDecoder()
    evs = feed(dec, adu(1, 1, bytes.fromhex("83 02")), True)
    assert weirds(evs) == ["modbus_exception_from_originator"]
    assert messages(evs)[0].name == "modbus_read_holding_registers_exception"


def test_short_pdus_are_malformed_not_fatal() -> None:
    for fc in range(1, 128):
        dec = ModbusDecoder()
        evs = feed(dec, adu(1, 1, bytes([fc])), True) + feed(dec, adu(1, 1, bytes([fc])), False)
        assert len(messages(evs)) == 2
        assert set(weirds(evs)) <= {"modbus_malformed_pdu", "modbus_response_function_mismatch"}
