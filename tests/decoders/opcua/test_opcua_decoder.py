"""OPC UA decoder: byte-literal messages of every kind, chunking, stream framing, gaps, violations,
security posture, identity, and a Hypothesis test that arbitrary input never raises."""

from __future__ import annotations

import struct
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from opcua_bytes import (
    B256_URI,
    ack,
    app_description,
    arr,
    bs,
    build_info,
    chunk,
    dv,
    ext,
    hello,
    msg,
    nid,
    opn,
    opn_request,
    opn_response,
    read_request,
    read_response,
    req_header,
    resp_header,
    s,
    snid,
    u32,
    variant_string,
)

from plantwarden.core.events import Event
from plantwarden.decoders.opcua import OpcuaDecoder
from plantwarden.decoders.opcua.constants import status_name
from plantwarden.decoders.opcua.decoder import MAX_PARTIAL


def run(*steps: tuple[bool, bytes], dec: OpcuaDecoder | None = None) -> list[Event]:
    dec = dec or OpcuaDecoder()
    out: list[Event] = []
    for i, (is_orig, data) in enumerate(steps, 1):
        out += dec.feed(data, is_orig, float(i), i)
    return out


def names(evs: list[Event]) -> list[str]:
    return [e.fields["name"] if e.is_weird else e.name for e in evs]


def handshake() -> list[tuple[bool, bytes]]:
    return [(True, hello()), (False, ack()), (True, opn_request()), (False, opn_response())]


def session(*steps: tuple[bool, bytes]) -> list[Event]:
    return run(*handshake(), *steps)[4:]


# -- transport messages ----------------------------------------------------------------------------

def test_hello_acknowledge_error_reverse_hello() -> None:
    err = chunk(b"ERR", u32(0x807F0000) + s("channel unknown"))
    rhe = chunk(b"RHE", s("urn:plc") + s("opc.tcp://plc:4840"))
    evs = run((True, hello("opc.tcp://plc:4840/UA")), (False, ack()), (False, err), (False, rhe))
    assert names(evs) == ["opcua_hello", "opcua_acknowledge", "opcua_error", "opcua_reverse_hello"]
    h, a, e, r = (ev.fields for ev in evs)
    assert h["message_type"] == "HEL" and h["chunk_type"] == "F" and h["endpoint_url"] == "opc.tcp://plc:4840/UA"
    assert h["receive_buffer_size"] == 65535 and h["service"] is None and h["security_mode"] is None
    assert a["max_message_size"] == 2097152 and a["max_chunk_count"] == 64 and a["message_size"] == 28
    assert e["error"] == "BadTcpSecureChannelUnknown" and e["reason"] == "channel unknown"
    assert r["server_uri"] == "urn:plc" and r["endpoint_url"] == "opc.tcp://plc:4840"


def test_open_secure_channel_none_policy() -> None:
    evs = run(*handshake())
    req, resp = evs[2].fields, evs[3].fields
    assert evs[2].name == "opcua_open_secure_channel_request"
    assert req["security_policy"] == "None" and req["security_mode"] == "none"
    assert req["request_type"] == "issue" and req["requested_security_mode"] == "none"
    assert req["secure_channel_id"] == 0 and req["request_id"] == 1 and req["service_type_id"] == 446
    assert evs[3].name == "opcua_open_secure_channel_response"
    assert resp["secure_channel_id"] == 5 and resp["security_token_id"] == 1 and resp["service_result"] == "Good"
    assert resp["revised_lifetime"] == 3600000


def test_encrypted_channel_is_reported_not_decoded() -> None:
    cert = b"\x30\x82" + bytes(200)
    req = opn(0, bytes(120), seq=0x1234, uri=B256_URI, cert=cert)
    secret = msg(b"\x9f" * 80, rid=0xDEAD)  # ciphertext: no recognisable service
    evs = run((True, hello()), (False, ack()), (True, req), (True, secret))
    o, m = evs[2].fields, evs[3].fields
    assert o["security_policy"] == "Basic256Sha256" and o["encrypted"] is True
    assert o["sender_certificate_size"] == len(cert) and len(o["sender_certificate_sha1"]) == 40
    assert "sequence_number" not in o and "request_id" not in o
    assert evs[3].name == "opcua_encrypted_message"
    assert m["security_mode"] == "sign_and_encrypt" and m["encrypted"] is True and m["service"] is None
    assert "request_id" not in m


def test_signed_channel_bodies_are_decoded() -> None:
    req = opn(0, bytes(120), uri=B256_URI)
    body = read_request([(nid(2259), 13)]) + b"\xaa" * 32  # plaintext body + signature
    evs = run((True, req), (True, msg(body, rid=2)))
    assert evs[1].name == "opcua_read_request"
    assert evs[1].fields["security_mode"] == "sign" and evs[1].fields["items"][0]["node_id"] == "i=2259"


# -- services --------------------------------------------------------------------------------------

def test_read_request_response_paired_with_identity_from_build_info_children() -> None:
    req = read_request([(nid(2263, 0), 13), (nid(2261), 13), (snid("the.answer", 1), 13), (nid(2266), 3)])
    resp = read_response([dv(variant_string("ACME")), dv(variant_string("PLC Runtime")),
                          dv(b"\x06" + struct.pack("<i", 42)), b"\x02" + u32(0x803A0000)])
    evs = session((True, msg(req, rid=2)), (False, msg(resp, rid=2)))
    assert names(evs) == ["opcua_read_request", "opcua_read_response"]
    rq, rs = evs[0].fields, evs[1].fields
    assert rq["item_count"] == 4 and rq["items"][2] == {"node_id": "ns=1;s=the.answer", "attribute_id": 13,
                                                         "attribute": "Value"}
    assert rq["request_handle"] == 7 and rq["service"] == "read" and rq["security_mode"] == "none"
    assert rs["items"][2] == {"node_id": "ns=1;s=the.answer", "attribute_id": 13, "attribute": "Value",
                              "status": "Good", "value_type": "Int32", "value": 42}
    assert rs["items"][3]["status"] == "BadNotReadable" and rs["items"][3]["attribute"] == "BrowseName"
    assert rs["identity"] == {"vendor": "ACME", "product_name": "PLC Runtime"}


def test_read_of_server_status_reveals_build_info() -> None:
    status = (struct.pack("<qq", 0, 0) + u32(0)
              + build_info("urn:acme:plc", "ACME", "PLC Runtime", "2.4.1", "1234"))
    value = b"\x01" + b"\x16" + ext(864, status + u32(0) + b"\x00")
    evs = session((True, msg(read_request([(nid(2256, 0), 13)]), rid=3)), (False, msg(read_response([value]), rid=3)))
    ident = evs[1].fields["identity"]
    assert ident["vendor"] == "ACME" and ident["product_name"] == "PLC Runtime"
    assert ident["application_version"] == "2.4.1" and ident["revision"] == "1234"
    assert ident["product_code"] == "urn:acme:plc" and "server_state" not in ident
    assert evs[1].fields["server_state"] == "running"
    assert ident["build_date"].startswith("2022-")
    assert evs[1].fields["items"][0]["value_type"] == "ExtensionObject"


def test_write_request_value_type() -> None:
    wv = snid("setpoint", 2) + u32(13) + s(None) + dv(b"\x0b" + struct.pack("<d", 12.5))
    req = nid(673) + req_header() + arr([wv])
    resp = nid(676) + resp_header() + arr([u32(0x803B0000)]) + arr([])
    evs = session((True, msg(req, rid=4)), (False, msg(resp, rid=4)))
    item = evs[0].fields["items"][0]
    assert evs[0].name == "opcua_write_request"
    assert item == {"node_id": "ns=2;s=setpoint", "attribute_id": 13, "attribute": "Value", "value_type": "Double",
                    "value": 12.5}
    assert evs[1].fields["items"] == [{"status": "BadNotWritable", "node_id": "ns=2;s=setpoint", "attribute_id": 13,
                                       "attribute": "Value"}]


def test_call_request_object_and_method() -> None:
    cm = nid(85) + snid("Reset", 2) + arr([b"\x01\x01", b"\x06" + struct.pack("<i", 3)])
    req = nid(712) + req_header() + arr([cm])
    res = u32(0) + arr([]) + arr([]) + arr([b"\x0c" + s("done")])
    evs = session((True, msg(req, rid=5)), (False, msg(nid(715) + resp_header() + arr([res]) + arr([]), rid=5)))
    assert evs[0].fields["items"] == [{"object_id": "i=85", "method_id": "ns=2;s=Reset",
                                       "input_argument_types": ["Boolean", "Int32"]}]
    assert evs[1].fields["items"] == [{"status": "Good", "output_argument_types": ["String"], "object_id": "i=85",
                                       "method_id": "ns=2;s=Reset"}]


def _activate(token: bytes) -> bytes:
    return nid(467) + req_header() + s(None) + bs(None) + arr([]) + arr([s("en")]) + token + s(None) + bs(None)


def test_activate_session_username_never_the_password() -> None:
    token = ext(324, s("user-policy") + s("operator") + bs(b"hunter2") + s(None))
    evs = session((True, msg(_activate(token), rid=6)))
    f = evs[0].fields
    assert f["user_token_type"] == "username" and f["user_name"] == "operator"
    assert f["password_encrypted"] is False and f["user_token_policy_id"] == "user-policy"
    assert "hunter2" not in repr(f) and "password" not in f


def test_activate_session_anonymous_x509_issued() -> None:
    for tid, want in ((321, "anonymous"), (327, "x509"), (940, "issued"), (999, "unknown-999")):
        evs = session((True, msg(_activate(ext(tid, s("p") + bs(b"x") + s(None))), rid=6)))
        assert evs[0].fields["user_token_type"] == want
        assert "user_name" not in evs[0].fields


def test_get_endpoints_response_identity_and_posture() -> None:
    token = s("anon") + u32(0) + s(None) + s(None) + s(None)
    utoken = s("user") + u32(1) + s(None) + s(None) + s(None)
    ep = (s("opc.tcp://plc:4840") + app_description("urn:acme:plc:1", "urn:acme:plc", "ACME PLC")
          + bs(b"cert") + u32(3) + s(B256_URI) + arr([token, utoken]) + s(None) + b"\x05")
    evs = session((True, msg(nid(428) + req_header() + s("opc.tcp://plc:4840") + arr([]) + arr([]), rid=2)),
                  (False, msg(nid(431) + resp_header() + arr([ep]), rid=2)))
    assert evs[0].fields["endpoint_url"] == "opc.tcp://plc:4840"
    f = evs[1].fields
    assert f["identity"] == {"name": "ACME PLC", "product_code": "urn:acme:plc", "device_type": "opcua_server"}
    assert f["application_uri"] == "urn:acme:plc:1" and f["endpoint_count"] == 1
    assert f["endpoints"] == [{"endpoint_url": "opc.tcp://plc:4840", "security_mode": "sign_and_encrypt",
                               "security_policy": "Basic256Sha256", "user_token_types": ["anonymous", "username"],
                               "security_level": 5}]


def test_create_session_request_carries_client_identity() -> None:
    body = (nid(461) + req_header() + app_description("urn:hmi", "urn:vendor:hmi", "HMI", 1) + s("urn:acme:plc:1")
            + s("opc.tcp://plc:4840") + s("sess") + bs(b"n" * 32) + bs(None) + struct.pack("<d", 1200000.0) + u32(0))
    f = session((True, msg(body, rid=3)))[0].fields
    assert f["identity"] == {"name": "HMI", "product_code": "urn:vendor:hmi", "device_type": "opcua_client"}
    assert f["session_name"] == "sess" and f["requested_session_timeout"] == 1200000.0


def test_service_fault_names_the_request_and_status() -> None:
    evs = session((True, msg(nid(826) + req_header() + arr([]), rid=9)),
                  (False, msg(nid(397) + resp_header(result=0x80790000), rid=9)))
    assert names(evs) == ["opcua_publish_request", "opcua_service_fault"]
    f = evs[1].fields
    assert f["service_result"] == "BadNoSubscription" and f["service_result_code"] == 0x80790000
    assert f["request_service"] == "publish" and f["service"] == "service_fault"


def test_subscription_services() -> None:
    sub = nid(787) + req_header() + struct.pack("<dIII?B", 500.0, 10, 3, 0, True, 0)
    mon_item = nid(2258) + u32(13) + s(None) + struct.pack("<H", 0) + s(None) + u32(2) + u32(1) \
        + struct.pack("<d", 250.0) + ext(0, None) + u32(1) + b"\x01"
    mon = nid(751) + req_header() + u32(1) + u32(2) + arr([mon_item])
    evs = session((True, msg(sub, rid=2)), (True, msg(mon, rid=3)),
                  (True, msg(nid(832) + req_header() + u32(1) + u32(4), rid=4)))
    assert evs[0].fields["requested_publishing_interval"] == 500.0 and evs[0].fields["publishing_enabled"] is True
    assert evs[1].fields["items"][0]["monitoring_mode"] == "reporting"
    assert evs[1].fields["items"][0]["sampling_interval"] == 250.0
    assert evs[2].name == "opcua_republish_request" and evs[2].fields["retransmit_sequence_number"] == 4


def test_browse_translate_register() -> None:
    bd = nid(85) + u32(0) + nid(33) + b"\x01" + u32(0) + u32(63)
    browse = nid(527) + req_header() + nid(0) + struct.pack("<qI", 0, 0) + u32(0) + arr([bd])
    rel = nid(33) + b"\x00\x01" + struct.pack("<H", 2) + s("Motor")
    tr = nid(554) + req_header() + arr([nid(85) + arr([rel])])
    reg = nid(560) + req_header() + arr([snid("a", 2), nid(2258)])
    evs = session((True, msg(browse, rid=2)), (True, msg(tr, rid=3)), (True, msg(reg, rid=4)))
    assert names(evs) == ["opcua_browse_request", "opcua_translate_browse_paths_to_node_ids_request",
                          "opcua_register_nodes_request"]
    assert evs[0].fields["items"] == [{"node_id": "i=85", "browse_direction": "forward", "reference_type_id": "i=33"}]
    assert evs[1].fields["items"] == [{"starting_node": "i=85", "relative_path": "2:Motor"}]
    assert evs[2].fields["node_ids"] == ["ns=2;s=a", "i=2258"]


def test_unknown_service_and_status_rendering() -> None:
    evs = session((True, msg(nid(9999) + b"\x00" * 8, rid=2)))
    assert evs[0].name == "opcua_unknown_service" and evs[0].fields["service"] == "unknown-9999"
    assert status_name(0x80AA0000 + 5) == f"unknown-{0x80AA0005}" and status_name(0x80790012) == "BadNoSubscription"


def test_malformed_body_is_a_weird_and_the_event_stays() -> None:
    body = nid(631) + req_header() + struct.pack("<d", 0.0) + u32(0) + struct.pack("<i", 100000)
    evs = session((True, msg(body, rid=2)))
    assert names(evs) == ["opcua_read_request", "opcua_malformed_body"]
    assert evs[0].fields["request_handle"] == 7


# -- chunks and stream -----------------------------------------------------------------------------

def test_chunks_reassembled_per_request_id() -> None:
    body = read_request([(nid(2258), 13), (nid(2259), 13)])
    a, b_, c = body[:10], body[10:30], body[30:]
    other = msg(nid(826) + req_header() + arr([]), rid=8)
    evs = session((True, msg(a, rid=7, ct=b"C") + msg(b_, rid=7, ct=b"C")), (True, other), (True, msg(c, rid=7)))
    assert names(evs) == ["opcua_publish_request", "opcua_read_request"]
    f = evs[1].fields
    assert f["chunk_count"] == 3 and f["item_count"] == 2 and evs[1].frame == 7
    assert f["message_size"] == 3 * 24 + len(body)


def test_abort_chunk_drops_the_partial_message() -> None:
    evs = session((True, msg(b"\x01\x00\x77\x02", rid=7, ct=b"C")),
                  (True, msg(u32(0x80800000) + s("too large"), rid=7, ct=b"A")),
                  (True, msg(b"\xff" * 4, rid=7)))
    assert names(evs)[0] == "opcua_abort"
    assert evs[0].fields["error"] == "BadTcpMessageTooLarge" and evs[0].fields["reason"] == "too large"
    assert evs[1].name == "opcua_unknown_service"  # the final chunk alone, not glued to the aborted one


def test_partial_messages_are_bounded() -> None:
    steps = [(True, msg(b"x", rid=100 + i, ct=b"C")) for i in range(MAX_PARTIAL + 1)]
    assert "opcua_too_many_partial_messages" in names(session(*steps))


def test_split_and_coalesced_pdus() -> None:
    stream = b"".join(d for _, d in handshake()[::2]) + msg(read_request([(nid(2258), 13)]), rid=2)
    dec = OpcuaDecoder()
    evs = [e for i, byte in enumerate(stream) for e in dec.feed(bytes([byte]), True, 0.0, i)]
    assert names(evs) == ["opcua_hello", "opcua_open_secure_channel_request", "opcua_read_request"]
    assert evs[-1].frame == len(stream) - 1
    assert names(run((True, stream))) == names(evs)


def test_gap_resynchronises_on_the_next_header() -> None:
    dec = OpcuaDecoder()
    run(*handshake(), dec=dec)
    first = msg(read_request([(nid(2258), 13)]), rid=2)
    dec.feed(first[:30], True, 1.0, 10)
    assert dec.gap(100, True, 1.0, 11) == []
    evs = dec.feed(b"\x00garbage" + msg(read_request([(nid(2259), 13)]), rid=3), True, 2.0, 12)
    assert names(evs) == ["opcua_resync", "opcua_read_request"] and evs[1].fields["request_id"] == 3
    assert not dec.violated


def test_not_opcua_is_a_violation() -> None:
    dec = OpcuaDecoder()
    evs = dec.feed(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", True, 1.0, 1)
    assert names(evs) == ["opcua_protocol_violation"] and dec.violated


def test_bad_header_after_recognition_is_a_weird() -> None:
    evs = run((True, hello()), (True, b"XYZF\x10\x00\x00\x00" + bytes(8) + hello()))
    assert names(evs) == ["opcua_hello", "opcua_bad_header", "opcua_resync", "opcua_hello"]


def test_probe() -> None:
    assert OpcuaDecoder.probe(hello(), True) == 0.95
    assert OpcuaDecoder.probe(opn_request(), True) == 0.9
    assert OpcuaDecoder.probe(b"GET / HTTP/1.1\r\n", True) < 0
    assert OpcuaDecoder.probe(b"HELF\x03\x00\x00\x00", True) < 0  # size below the header


# -- robustness ------------------------------------------------------------------------------------

_CHUNKS = st.sampled_from([hello(), ack(), opn_request(), opn_response(), msg(read_request([(nid(1), 13)]), 2)])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.one_of(st.binary(max_size=200), _CHUNKS,
                                                   _CHUNKS.map(lambda c: c[:-3] + b"\xff\xff\xff"),
                                                   st.integers(0, 5000))), max_size=12))
def test_arbitrary_input_never_raises(steps: list[tuple[bool, Any]]) -> None:
    dec = OpcuaDecoder()
    for i, (is_orig, data) in enumerate(steps):
        evs = dec.gap(data, is_orig, 0.0, i) if isinstance(data, int) else dec.feed(data, is_orig, 0.0, i)
        assert isinstance(evs, list) and all(isinstance(e, Event) for e in evs)
    assert isinstance(dec.finish(1.0, 99), list)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_service_bodies_never_raise(body: bytes) -> None:
    for tid in (631, 634, 673, 676, 712, 715, 461, 464, 467, 431, 527, 530, 751, 754, 829, 422, 425, 554, 557):
        evs = session((True, msg(nid(tid) + body, rid=2)), (False, msg(nid(tid) + body, rid=2)))
        assert all(isinstance(e, Event) for e in evs)
