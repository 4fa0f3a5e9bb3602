"""BACnet/IP decoder: byte-literal datagrams for each message kind, segmentation, pairing, weirds, fuzzing."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plantwarden.core.activity import IDENTIFIES, PROGRAMS, READS, WRITES
from plantwarden.core.events import Event
from plantwarden.decoders.bacnet import BacnetDecoder
from plantwarden.decoders.bacnet.activity import activity
from plantwarden.decoders.bacnet.tags import TagError, tokenize
from plantwarden.decoders.bacnet.vendors import VENDORS
from plantwarden.decoders.registry import DECODERS

# -- builders -------------------------------------------------------------------------------------


def bvlc(func: int, payload: bytes) -> bytes:
    return bytes([0x81, func]) + struct.pack(">H", 4 + len(payload)) + payload


def npdu(apdu: bytes, ctl: int = 0x00, extra: bytes = b"") -> bytes:
    return bytes([0x01, ctl]) + extra + apdu


def uni(apdu: bytes, ctl: int = 0x04) -> bytes:
    return bvlc(0x0A, npdu(apdu, ctl))


def bcast(apdu: bytes) -> bytes:
    return bvlc(0x0B, npdu(apdu))


def oid(typ: int, inst: int) -> bytes:
    return struct.pack(">I", (typ << 22) | inst)


def ctx(num: int, data: bytes) -> bytes:
    assert len(data) < 5
    return bytes([(num << 4) | 0x08 | len(data)]) + data


def app(num: int, data: bytes) -> bytes:
    if len(data) < 5:
        return bytes([(num << 4) | len(data)]) + data
    return bytes([(num << 4) | 5, len(data)]) + data


def opening(num: int) -> bytes:
    return bytes([(num << 4) | 0x0E])


def closing(num: int) -> bytes:
    return bytes([(num << 4) | 0x0F])


def cstr(s: str) -> bytes:
    return app(7, b"\x00" + s.encode())


def creq(inv: int, svc: int, params: bytes) -> bytes:
    return bytes([0x00, 0x05, inv, svc]) + params


def cack(inv: int, svc: int, params: bytes) -> bytes:
    return bytes([0x30, inv, svc]) + params


def unconf(svc: int, params: bytes) -> bytes:
    return bytes([0x10, svc]) + params


def events(d: BacnetDecoder, *datagrams: tuple[bytes, bool]) -> list[Event]:
    out: list[Event] = []
    for i, (data, is_orig) in enumerate(datagrams, 1):
        out += d.feed(data, is_orig, float(i), i)
    return out


def messages(evs: list[Event]) -> list[Event]:
    return [e for e in evs if not e.is_weird]


def weirds(evs: list[Event]) -> list[str]:
    return [e.fields["name"] for e in evs if e.is_weird]


RP_VENDOR_NAME = creq(1, 12, ctx(0, oid(8, 500)) + ctx(1, b"\x79"))


# -- registry and probe ---------------------------------------------------------------------------

def test_registered_on_udp_47808() -> None:
    assert BacnetDecoder in DECODERS
    assert BacnetDecoder.transport == "udp"
    assert BacnetDecoder.default_ports == (47808,)


def test_probe() -> None:
    assert BacnetDecoder.probe(uni(RP_VENDOR_NAME), True) == 0.9
    assert BacnetDecoder.probe(bvlc(0x05, b"\x00\x3c"), True) == 0.8
    assert BacnetDecoder.probe(uni(RP_VENDOR_NAME)[:-1], True) < 0  # length disagrees
    assert BacnetDecoder.probe(b"\x82\x0a\x00\x04", True) < 0
    assert BacnetDecoder.probe(bvlc(0x0A, b"\x02\x00\x10\x08"), True) < 0  # NPDU version 2
    assert BacnetDecoder.probe(b"\x81", True) == 0.0


# -- BVLC and NPDU --------------------------------------------------------------------------------

def test_bvlc_messages() -> None:
    d = BacnetDecoder()
    bdt = bytes([10, 0, 0, 1, 0xBA, 0xC0, 255, 255, 255, 0])
    fdt = bytes([10, 0, 0, 9, 0xBA, 0xC0, 0, 60, 0, 30])
    evs = events(d, (bvlc(0x05, b"\x00\x3c"), True), (bvlc(0x00, b"\x00\x30"), False),
                 (bvlc(0x02, b""), True), (bvlc(0x03, bdt), False), (bvlc(0x07, fdt), False),
                 (bvlc(0x08, fdt[:6]), True))
    assert [e.name for e in evs] == [
        "bacnet_bvlc_register_foreign_device", "bacnet_bvlc_result",
        "bacnet_bvlc_read_broadcast_distribution_table", "bacnet_bvlc_read_broadcast_distribution_table_ack",
        "bacnet_bvlc_read_foreign_device_table_ack", "bacnet_bvlc_delete_foreign_device_table_entry"]
    assert evs[0].fields == {"bvlc_function": "register_foreign_device", "ttl": 60}
    assert evs[1].fields["result"] == "register_foreign_device_nak"
    assert evs[1].fields["result_code"] == 0x30
    assert evs[3].fields["bdt"] == ["10.0.0.1:47808/255.255.255.0"]
    assert evs[4].fields["fdt"] == [{"address": "10.0.0.9:47808", "ttl": 60, "remaining": 30}]
    assert evs[5].fields["address"] == "10.0.0.9:47808"


def test_unknown_bvlc_function_and_length_mismatch() -> None:
    d = BacnetDecoder()
    evs = events(d, (bvlc(0x0A, npdu(unconf(8, b""))), True), (bvlc(0x42, b"ab"), True),
                 (bvlc(0x0A, npdu(unconf(8, b"")))[:-1] + b"\x08\x00", True))
    assert evs[1].name == "bacnet_bvlc_unknown"
    assert evs[1].fields["bvlc_function"] == "unknown-66"
    assert weirds(evs) == ["bacnet_unknown_bvlc_function", "bacnet_bvlc_length_mismatch"]


def test_npdu_addresses_and_forwarded_identity() -> None:
    # Forwarded-NPDU from 10.0.0.7:47808, routed from network 5 (MAC 0x21), to the broadcast network
    i_am = unconf(0, app(12, oid(8, 77)) + app(2, b"\x05\xc4") + app(9, b"\x03") + app(2, b"\x05"))
    extra = b"\xff\xff\x00" + b"\x00\x05\x01\x21" + b"\xfe"
    data = bvlc(0x04, bytes([10, 0, 0, 7, 0xBA, 0xC0]) + npdu(i_am, 0x28, extra))
    (ev,) = events(BacnetDecoder(), (data, False))
    f = ev.fields
    assert ev.name == "bacnet_i_am"
    assert f["forwarded_from"] == "10.0.0.7:47808"
    assert (f["dnet"], f["dadr"], f["snet"], f["sadr"], f["hop_count"]) == (0xFFFF, "", 5, "21", 254)
    assert f["expecting_reply"] is False
    # the UDP sender is the BBMD: the device's identity is kept apart
    assert "identity" not in f
    assert f["remote_identity"] == {"vendor_id": 5, "vendor": VENDORS[5]}


def test_network_messages() -> None:
    d = BacnetDecoder()
    evs = events(d, (bvlc(0x0B, npdu(b"\x00", 0x80)), True),
                 (bvlc(0x0B, npdu(b"\x01\x00\x05\x00\x06", 0x80)), False),
                 (bvlc(0x0A, npdu(b"\x03\x01\x00\x09", 0x80)), False),
                 (bvlc(0x0A, npdu(b"\x80\x01\x04", 0x80)), False),
                 (bvlc(0x0A, npdu(b"\x55", 0x80)), False))
    assert [e.name for e in evs if not e.is_weird] == [
        "bacnet_network_who_is_router_to_network", "bacnet_network_i_am_router_to_network",
        "bacnet_network_reject_message_to_network", "bacnet_network_proprietary_message",
        "bacnet_network_unknown_message"]
    assert evs[0].fields["networks"] == []
    assert evs[1].fields["networks"] == [5, 6]
    assert evs[2].fields["reject_reason"] == "not_directly_connected"
    assert evs[3].fields["vendor_id"] == 0x104
    assert evs[4].fields["network_message"] == "unknown-85"
    assert weirds(evs) == ["bacnet_unknown_network_message"]


def test_bad_npdu() -> None:
    d = BacnetDecoder()
    evs = events(d, (bvlc(0x0A, b"\x02\x00\x10\x08"), True), (bvlc(0x0A, b"\x01"), True),
                 (bvlc(0x0A, b"\x01\x20\x00"), True), (bvlc(0x0A, npdu(b"")), True), (uni(b"\x90\x01"), True))
    assert messages(evs) == []
    assert weirds(evs) == ["bacnet_bad_npdu_version", "bacnet_malformed_npdu", "bacnet_malformed_npdu",
                           "bacnet_malformed_apdu", "bacnet_unknown_apdu_type"]


# -- violations -----------------------------------------------------------------------------------

def test_violation_on_non_bacnet_first_datagram() -> None:
    d = BacnetDecoder()
    evs = d.feed(b"\x45\x00\x00\x10hello", True, 1.0, 1)
    assert weirds(evs) == ["bacnet_protocol_violation"]
    assert d.violated
    assert d.feed(uni(RP_VENDOR_NAME), True, 2.0, 2) == []


def test_bad_bvlc_after_confirmation_is_a_weird() -> None:
    d = BacnetDecoder()
    events(d, (uni(RP_VENDOR_NAME), True))
    assert d.confirmed
    evs = events(d, (b"\x12\x34", True), (b"\x81\x0a\x00\x02", True), (b"\x82\x01\x00\x09" + b"x" * 5, True))
    assert weirds(evs) == ["bacnet_bad_bvlc", "bacnet_bad_bvlc", "bacnet_ipv6_bvlc"]
    assert not d.violated


# -- discovery ------------------------------------------------------------------------------------

def test_who_is_and_i_am() -> None:
    d = BacnetDecoder()
    i_am = unconf(0, app(12, oid(8, 500)) + app(2, b"\x05\xc4") + app(9, b"\x00") + app(2, b"\x0f"))
    evs = events(d, (bcast(unconf(8, ctx(0, b"\x01") + ctx(1, b"\x01\x00"))), True), (bcast(unconf(8, b"")), True),
                 (bcast(i_am), True))
    assert [e.name for e in evs] == ["bacnet_who_is", "bacnet_who_is", "bacnet_i_am"]
    assert (evs[0].fields["low_limit"], evs[0].fields["high_limit"]) == (1, 256)
    assert (evs[1].fields["low_limit"], evs[1].fields["high_limit"]) == (None, None)
    f = evs[2].fields
    assert f["apdu_type"] == "unconfirmed_request"
    assert (f["service"], f["service_code"]) == ("i_am", 0)
    assert (f["object_type"], f["instance"], f["max_apdu"], f["segmentation"]) == ("device", 500, 1476,
                                                                                    "segmented_both")
    assert (f["vendor_id"], f["vendor"]) == (15, "Cornell University")
    assert f["identity"] == {"vendor_id": 15, "vendor": "Cornell University"}


def test_who_has_i_have_and_who_am_i() -> None:
    d = BacnetDecoder()
    evs = events(d, (bcast(unconf(7, ctx(3, b"\x00AB"))), True),
                 (bcast(unconf(7, ctx(2, oid(23, 5)))), True),
                 (bcast(unconf(1, app(12, oid(8, 254)) + app(12, oid(23, 4)) + cstr("Meter 4"))), False),
                 (bcast(unconf(13, app(2, b"\x08") + cstr("DXR2") + cstr("SN-1234"))), False))
    assert evs[0].fields["object_name"] == "AB"
    assert (evs[1].fields["object_type"], evs[1].fields["instance"]) == ("accumulator", 5)
    f = evs[2].fields
    assert (f["device_instance"], f["object_type"], f["instance"], f["object_name"]) == (254, "accumulator", 4,
                                                                                         "Meter 4")
    assert evs[3].name == "bacnet_who_am_i"
    assert evs[3].fields["identity"] == {"vendor_id": 8, "model": "DXR2", "serial_number": "SN-1234"}


def test_time_synchronization() -> None:
    (ev,) = events(BacnetDecoder(), (bcast(unconf(6, app(10, bytes([124, 5, 20, 255])) +
                                                  app(11, bytes([8, 27, 14, 0])))), True))
    assert ev.name == "bacnet_time_synchronization"
    assert ev.fields["datetime"] == "2024-05-20T08:27:14.00"


# -- property access ------------------------------------------------------------------------------

def test_read_property_pairing_and_identity() -> None:
    d = BacnetDecoder()
    ack = cack(1, 12, ctx(0, oid(8, 500)) + ctx(1, b"\x79") + opening(3) + cstr("Acme Controls") + closing(3))
    evs = events(d, (uni(RP_VENDOR_NAME), True), (uni(ack, 0x00), False))
    req, resp = evs
    assert req.name == "bacnet_read_property_request"
    assert req.fields == {
        "bvlc_function": "original_unicast_npdu", "expecting_reply": True, "apdu_type": "confirmed_request",
        "invoke_id": 1, "segmented_response_accepted": False, "max_segments": None, "max_apdu": 1476,
        "service": "read_property", "service_code": 12, "object_type": "device", "instance": 500,
        "property": "vendor_name", "property_id": 121, "array_index": None}
    assert resp.name == "bacnet_read_property_ack"
    assert resp.fields["apdu_type"] == "complex_ack"
    assert resp.fields["values"] == ["Acme Controls"]
    assert resp.fields["identity"] == {"vendor": "Acme Controls"}
    assert d.unmatched_responses == 0
    assert d.finish(9.0, 9) == []


@pytest.mark.parametrize(("tag", "data", "value"), [
    (0, b"", None), (2, b"\x01\x00", 256), (3, b"\xff\xfe", -2), (4, struct.pack(">f", 21.5), 21.5),
    (5, struct.pack(">d", -1.25), -1.25), (6, b"\xde\xad", "dead"), (8, b"\x04\xa0", "1010"), (9, b"\x02", 2),
    (10, bytes([255, 1, 31, 5]), "*-01-31"), (11, bytes([23, 59, 255, 255]), "23:59:*.*"),
    (12, oid(0, 3), {"object_type": "analog_input", "instance": 3}), (4, struct.pack(">f", float("nan")), None),
])
def test_application_values(tag: int, data: bytes, value: Any) -> None:
    ack = cack(2, 12, ctx(0, oid(0, 1)) + ctx(1, b"\x55") + opening(3) + app(tag, data) + closing(3))
    (ev,) = events(BacnetDecoder(), (uni(ack, 0), False))
    assert ev.fields["values"] == [value]
    assert ev.fields["property"] == "present_value"
    assert "identity" not in ev.fields  # not a device object
    json.dumps(ev.fields, allow_nan=False)


def test_boolean_and_charsets() -> None:
    ack = cack(2, 12, ctx(0, oid(8, 1)) + ctx(1, b"\x4d") + opening(3) + app(7, b"\x04\x00A\x00\xe9") +
               app(7, b"\x05caf\xe9") + b"\x11\x10" + closing(3))
    (ev,) = events(BacnetDecoder(), (uni(ack, 0), False))
    assert ev.fields["values"] == ["Aé", "café", True, False]
    assert ev.fields["identity"] == {"name": "Aé"}  # object-name of a device object


def test_write_property_and_simple_ack_carry_the_request() -> None:
    d = BacnetDecoder()
    req = creq(7, 15, ctx(0, oid(1, 101)) + ctx(1, b"\x55") + opening(3) + app(4, struct.pack(">f", 50.0)) +
               closing(3) + ctx(4, b"\x08"))
    evs = events(d, (uni(req), True), (uni(bytes([0x20, 7, 15]), 0), False))
    assert evs[0].fields["values"] == [50.0]
    assert evs[0].fields["priority"] == 8
    assert evs[1].name == "bacnet_write_property_ack"
    assert evs[1].fields["apdu_type"] == "simple_ack"
    assert (evs[1].fields["object_type"], evs[1].fields["instance"], evs[1].fields["property"]) == (
        "analog_output", 101, "present_value")


def test_read_property_multiple() -> None:
    d = BacnetDecoder()
    req = creq(3, 14, ctx(0, oid(8, 9)) + opening(1) + ctx(0, b"\x46") + ctx(0, b"\x2c") + closing(1))
    ack = cack(3, 14, ctx(0, oid(8, 9)) + opening(1) + ctx(2, b"\x46") + opening(4) + cstr("Model X") + closing(4) +
               ctx(2, b"\x2c") + opening(5) + app(9, b"\x02") + app(9, b"\x20") + closing(5) + closing(1))
    evs = events(d, (uni(req), True), (uni(ack, 0), False))
    assert [p["property"] for p in evs[0].fields["properties"]] == ["model_name", "firmware_revision"]
    assert evs[0].fields["object_type"] == "device"
    props = evs[1].fields["properties"]
    assert props[0]["values"] == ["Model X"]
    assert (props[1]["error_class"], props[1]["error_code"]) == ("property", "unknown_property")
    assert evs[1].fields["identity"] == {"model": "Model X"}


def test_write_property_multiple() -> None:
    req = creq(4, 16, ctx(0, oid(2, 1)) + opening(1) + ctx(0, b"\x55") + opening(2) + app(2, b"\x07") +
               closing(2) + ctx(3, b"\x10") + closing(1))
    (ev,) = events(BacnetDecoder(), (uni(req), True))
    assert ev.fields["properties"] == [{"object_type": "analog_value", "instance": 1, "property": "present_value",
                                        "property_id": 85, "array_index": None, "values": [7], "priority": 16}]


# -- COV, device management, files ----------------------------------------------------------------

def test_subscribe_cov_and_notification() -> None:
    d = BacnetDecoder()
    sub = creq(5, 5, ctx(0, b"\x12") + ctx(1, oid(0, 10)) + ctx(2, b"\x01") + ctx(3, b"\x01\x2c"))
    note = unconf(2, ctx(0, b"\x12") + ctx(1, oid(8, 2)) + ctx(2, oid(3, 4)) + ctx(3, b"\x00") + opening(4) +
                  ctx(0, b"\x55") + opening(2) + app(9, b"\x01") + closing(2) + closing(4))
    evs = events(d, (uni(sub), True), (uni(note, 0), False))
    f = evs[0].fields
    assert (f["subscriber_process_id"], f["object_type"], f["instance"], f["issue_confirmed_notifications"],
            f["lifetime"], f["cancel"]) == (18, "analog_input", 10, True, 300, False)
    g = evs[1].fields
    assert (g["device_instance"], g["object_type"], g["instance"], g["time_remaining"]) == (2, "binary_input", 4, 0)
    assert g["properties"] == [{"property": "present_value", "property_id": 85, "array_index": None, "values": [1]}]


def test_device_communication_control_never_logs_the_password() -> None:
    d = BacnetDecoder()
    req = creq(9, 17, ctx(0, b"\x05") + ctx(1, b"\x01") + bytes([0x2D, 9]) + b"\x00secret!!")
    err = bytes([0x50, 9, 17]) + app(9, b"\x05") + app(9, b"\x1a")
    evs = events(d, (uni(req), True), (uni(err, 0), False))
    assert evs[0].fields["duration"] == 5
    assert evs[0].fields["enable_disable"] == "disable"
    assert evs[0].fields["password_present"] is True
    assert "secret" not in json.dumps([e.fields for e in evs])
    assert evs[1].name == "bacnet_device_communication_control_error"
    assert (evs[1].fields["error_class"], evs[1].fields["error_code"]) == ("services", "password_failure")


def test_reinitialize_device() -> None:
    (ev,) = events(BacnetDecoder(), (uni(creq(1, 20, ctx(0, b"\x01"))), True))
    assert (ev.fields["reinitialized_state"], ev.fields["password_present"]) == ("warmstart", False)


def test_atomic_file_services() -> None:
    d = BacnetDecoder()
    rd = creq(1, 6, app(12, oid(10, 2)) + opening(0) + app(3, b"\x00") + app(2, b"\x80") + closing(0))
    rd_ack = cack(1, 6, b"\x10" + opening(0) + app(3, b"\x00") + app(6, b"hello") + closing(0))
    wr = creq(2, 7, app(12, oid(10, 2)) + opening(1) + app(3, b"\x03") + app(2, b"\x01") + app(6, b"rec") +
              closing(1))
    wr_ack = cack(2, 7, ctx(1, b"\x03"))
    evs = events(d, (uni(rd), True), (uni(rd_ack, 0), False), (uni(wr), True), (uni(wr_ack, 0), False))
    assert [(e.fields.get("access"), e.fields.get("start"), e.fields.get("count")) for e in evs] == [
        ("stream", 0, 128), ("stream", 0, 5), ("record", 3, 1), ("record", 3, None)]
    assert (evs[0].fields["object_type"], evs[0].fields["instance"]) == ("file", 2)
    assert evs[1].fields["end_of_file"] is False


def test_reject_and_abort_name_the_request() -> None:
    d = BacnetDecoder()
    evs = events(d, (uni(RP_VENDOR_NAME), True), (uni(bytes([0x60, 1, 9]), 0), False),
                 (uni(creq(2, 12, ctx(0, oid(8, 1)) + ctx(1, b"\x4d"))), True), (uni(bytes([0x71, 2, 4]), 0), False),
                 (uni(bytes([0x70, 3, 77]), 0), True))
    assert evs[1].name == "bacnet_reject"
    assert (evs[1].fields["reject_reason"], evs[1].fields["service"]) == ("unrecognized_service", "read_property")
    assert evs[3].name == "bacnet_abort"
    assert (evs[3].fields["abort_reason"], evs[3].fields["server"], evs[3].fields["service"]) == (
        "segmentation_not_supported", True, "read_property")
    assert (evs[4].fields["abort_reason"], evs[4].fields["service"]) == ("unknown-77", None)


def test_unknown_services_render_as_unknown() -> None:
    evs = events(BacnetDecoder(), (uni(creq(1, 200, b"")), True), (bcast(unconf(99, b"")), True))
    assert [e.name for e in evs] == ["bacnet_unknown_service_request", "bacnet_unknown_unconfirmed_service"]
    assert evs[0].fields["service"] == "unknown-200"
    assert evs[1].fields["service"] == "unknown-99"


def test_malformed_parameters_keep_the_event() -> None:
    evs = events(BacnetDecoder(), (uni(creq(1, 12, ctx(0, oid(8, 1))[:3])), True))
    assert [e.name for e in evs] == ["weird", "bacnet_read_property_request"]
    assert weirds(evs) == ["bacnet_malformed_apdu"]


# -- segmentation ---------------------------------------------------------------------------------

def _segments(inv: int, body: bytes, size: int) -> list[bytes]:
    chunks = [body[i:i + size] for i in range(0, len(body), size)]
    return [bytes([0x3C if i < len(chunks) - 1 else 0x38, inv, i, 2, 12]) + c
            for i, c in enumerate(chunks)]


OBJECT_LIST = ctx(0, oid(8, 254)) + ctx(1, b"\x4c") + opening(3) + b"".join(app(12, oid(3, i)) for i in range(40)) + \
    closing(3)


def test_segmented_complex_ack_is_reassembled() -> None:
    d = BacnetDecoder()
    segs = _segments(94, OBJECT_LIST, 60)
    assert len(segs) == 4
    evs = events(d, (uni(creq(94, 12, ctx(0, oid(8, 254)) + ctx(1, b"\x4c"))), True),
                 *[(uni(s, 0), False) for s in segs])
    names = [e.name for e in evs]
    assert names == ["bacnet_read_property_request"] + ["bacnet_segment"] * 3 + ["bacnet_read_property_ack"]
    assert [e.fields["sequence_number"] for e in evs[1:]] == [0, 1, 2, 3]
    assert all(e.fields["more_follows"] for e in evs[1:4])
    last = evs[-1].fields
    assert (last["more_follows"], last["segments"], last["window_size"]) == (False, 4, 2)
    assert len(last["values"]) == 40
    assert last["values"][39] == {"object_type": "binary_input", "instance": 39}
    assert [e.frame for e in evs] == [1, 2, 3, 4, 5]


def test_segment_ack() -> None:
    d = BacnetDecoder()
    evs = events(d, (uni(RP_VENDOR_NAME), True), (uni(bytes([0x40, 1, 0, 3]), 0), True))
    f = evs[1].fields
    assert evs[1].name == "bacnet_segment_ack"
    assert (f["negative_ack"], f["server"], f["sequence_number"], f["window_size"], f["service"]) == (
        False, False, 0, 3, "read_property")


def test_segments_out_of_order_duplicate_and_without_start() -> None:
    d = BacnetDecoder()
    segs = _segments(5, OBJECT_LIST, 60)
    evs = events(d, (uni(segs[0], 0), False), (uni(segs[0], 0), False), (uni(segs[1], 0), False),
                 (uni(segs[1], 0), False), (uni(segs[3], 0), False), (uni(segs[2], 0), False))
    assert weirds(evs) == ["bacnet_segment_restart", "bacnet_segment_duplicate", "bacnet_segment_out_of_order",
                           "bacnet_segment_without_start"]
    assert "bacnet_read_property_ack" not in [e.name for e in evs]
    evs = events(d, (uni(segs[0], 0), False))
    assert weirds(d.finish(9.0, 9)) == ["bacnet_incomplete_segmented_message"]


def test_reassembly_is_bounded() -> None:
    d = BacnetDecoder()
    out: list[Event] = []
    for inv in range(70):
        out += d.feed(uni(_segments(inv, OBJECT_LIST, 60)[0], 0), False, 1.0, 1)
    assert weirds(out).count("bacnet_too_many_reassemblies") == 6
    assert len(d._segs) == 64


def test_pending_requests_are_bounded_and_reported() -> None:
    d = BacnetDecoder()
    for i in range(1100):
        d.feed(uni(creq(i & 0xFF, 12, ctx(0, oid(8, i)) + ctx(1, b"\x4d"))), i % 2 == 0, 1.0, i + 1)
    assert len(d._pending) <= 1024
    (w,) = d.finish(2.0, 2000)
    assert w.fields["name"] == "bacnet_unanswered_requests"
    assert w.fields["detail"] == "1100"


# -- tags, activity, vendors, fuzzing -------------------------------------------------------------

def test_tokenize_extended_lengths_and_errors() -> None:
    long = bytes([0x75, 254, 0x01, 0x00]) + b"\x00" + b"a" * 255
    assert tokenize(long, 0, len(long)) == [(7, 0, 4, 256)]
    with pytest.raises(TagError):
        tokenize(b"\x75\xfe\x01", 0, 3)
    with pytest.raises(TagError):
        tokenize(b"\x24\x01", 0, 2)
    assert tokenize(b"\xf9\x80\x01", 0, 3) == [(0x80, 1, 2, 1)]  # extended tag number, context


@pytest.mark.parametrize(("fields", "want"), [
    ({"apdu_type": "confirmed_request", "service_code": 12, "object_type": "analog_input", "property": "x"}, READS),
    ({"apdu_type": "confirmed_request", "service_code": 12, "object_type": "device", "property": "model_name"},
     IDENTIFIES),
    ({"apdu_type": "confirmed_request", "service_code": 15}, WRITES),
    ({"apdu_type": "confirmed_request", "service_code": 20}, PROGRAMS),
    ({"apdu_type": "confirmed_request", "service_code": 17}, PROGRAMS),
    ({"apdu_type": "unconfirmed_request", "service_code": 8}, IDENTIFIES),
    ({"apdu_type": "unconfirmed_request", "service_code": 0}, None),
    ({"apdu_type": "complex_ack", "service_code": 12}, None),
    ({}, None),
])
def test_activity(fields: dict[str, Any], want: str | None) -> None:
    assert activity(fields) == want
    assert BacnetDecoder.activity(fields) == want


@pytest.mark.tshark
def test_vendor_table_matches_tshark() -> None:
    tshark = shutil.which("tshark")
    if tshark is None:
        if os.environ.get("CI") == "true":
            pytest.fail("tshark is required when CI=true")
        pytest.skip("tshark not installed")
    out = subprocess.run([tshark, "-G", "values"], capture_output=True, text=True, check=True).stdout
    theirs = {}
    for line in out.splitlines():
        cols = line.split("\t")
        if len(cols) == 4 and cols[0] == "V" and cols[1] == "bacapp.vendor_identifier":
            theirs[int(cols[2], 0)] = cols[3].strip()
    assert theirs
    assert {k: v for k, v in VENDORS.items() if theirs.get(k) != v} == {}


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.binary(max_size=80), st.booleans()), max_size=8), st.booleans())
def test_fuzz_never_raises(datagrams: list[tuple[bytes, bool]], prefix: bool) -> None:
    d = BacnetDecoder()
    for i, (data, is_orig) in enumerate(datagrams):
        if prefix:  # get past the BVLC/NPDU checks into the APDU and service parsers
            data = uni(data, 0x04) if i % 2 else bvlc(0x0A, data)
        out = d.feed(data, is_orig, float(i), i + 1)
        assert isinstance(out, list) and all(isinstance(e, Event) for e in out)
        for e in out:
            json.dumps(e.fields, allow_nan=False)
    assert isinstance(d.gap(10, True, 1.0, 1), list)
    assert all(isinstance(e, Event) for e in d.finish(9.0, 99))


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=1, max_size=120), st.integers(0, 255), st.integers(0, 255))
def test_fuzz_service_parameters(params: bytes, svc: int, kind: int) -> None:
    """Arbitrary parameters after every APDU header kind."""
    d = BacnetDecoder()
    header = [bytes([0x00, 0x05, 1, svc]), bytes([0x10, svc]), bytes([0x20, 1, svc]), bytes([0x30, 1, svc]),
              bytes([0x38, 1, 0, 1, svc]), bytes([0x50, 1, svc]), bytes([0x08, 0x05, 1, 0, 1, svc])][kind % 7]
    out = d.feed(uni(header + params), bool(kind & 1), 1.0, 1)
    for e in out:
        json.dumps(e.fields, allow_nan=False)
