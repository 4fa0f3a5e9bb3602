"""SNMP decoder fed byte literals (BER built here): v1/v2c PDUs, traps, v3, identity, trouble."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from plantwarden.core.events import Event
from plantwarden.decoders.snmp import SnmpDecoder
from plantwarden.decoders.snmp.ber import oid as read_oid


def tlv(tag: int, value: bytes) -> bytes:
    n = len(value)
    ln = bytes([n]) if n < 128 else bytes([0x82]) + n.to_bytes(2, "big")
    return bytes([tag]) + ln + value


def integer(v: int) -> bytes:
    return tlv(0x02, v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big", signed=True))


def oid(dotted: str) -> bytes:
    arcs = [int(a) for a in dotted.split(".")]
    body = bytearray([arcs[0] * 40 + arcs[1]])
    for a in arcs[2:]:
        chunk = [a & 0x7F]
        a >>= 7
        while a:
            chunk.append(0x80 | (a & 0x7F))
            a >>= 7
        body += bytes(reversed(chunk))
    return tlv(0x06, bytes(body))


def varbinds(*pairs: tuple[str, bytes]) -> bytes:
    return tlv(0x30, b"".join(tlv(0x30, oid(o) + v) for o, v in pairs))


def message(version: int, community: bytes, pdu: bytes) -> bytes:
    return tlv(0x30, integer(version) + tlv(0x04, community) + pdu)


def pdu(tag: int, rid: int, a: int, b: int, vbs: bytes) -> bytes:
    return tlv(tag, integer(rid) + integer(a) + integer(b) + vbs)


NULL = b"\x05\x00"
GET = message(1, b"public", pdu(0xA0, 4711, 0, 0, varbinds(("1.3.6.1.2.1.1.1.0", NULL), ("1.3.6.1.2.1.1.5.0", NULL))))
RESP = message(1, b"public", pdu(0xA2, 4711, 0, 0, varbinds(
    ("1.3.6.1.2.1.1.1.0", tlv(0x04, b"SIMATIC NET CP 343-1 Lean, 6GK7 343-1CX10-0XE0, HW: 3, FW: V2.2.20")),
    ("1.3.6.1.2.1.1.2.0", oid("1.3.6.1.4.1.4329.6.1.2")),
    ("1.3.6.1.2.1.1.3.0", tlv(0x43, (123456).to_bytes(3, "big"))),
    ("1.3.6.1.2.1.1.4.0", tlv(0x04, b"ops@plant")),
    ("1.3.6.1.2.1.1.5.0", tlv(0x04, b"PLC-LINE-3")),
    ("1.3.6.1.2.1.1.6.0", tlv(0x04, b"Hall B")),
    ("1.3.6.1.2.1.4.20.1.1.10.0.0.3", tlv(0x40, bytes([10, 0, 0, 3]))),
    ("1.3.6.1.2.1.2.2.1.6.1", tlv(0x04, bytes.fromhex("0800061a2b3c"))),
    ("1.3.6.1.2.1.31.1.1.1.6.1", tlv(0x46, (2**40).to_bytes(6, "big"))),
    ("1.3.6.1.2.1.99.0", b"\x81\x00"),
)))


def one(data: bytes, is_orig: bool = True, d: SnmpDecoder | None = None) -> Event:
    evs = (d or SnmpDecoder()).feed(data, is_orig, 1.0, 1)
    assert len(evs) == 1, evs
    return evs[0]


def test_get_request_v2c() -> None:
    ev = one(GET)
    f = ev.fields
    assert ev.name == "snmp_get_request"
    assert (f["version"], f["community"], f["credentials_in_clear"], f["pdu_type"], f["request_id"]) == (
        "2c", "public", True, "get_request", 4711)
    assert (f["error_status"], f["error_status_name"], f["error_index"], f["varbind_count"]) == (0, "noError", 0, 2)
    assert f["varbinds"][0] == {"oid": "1.3.6.1.2.1.1.1.0", "type": "null", "value": None}
    assert "identity" not in f


def test_response_values_and_identity() -> None:
    ev = one(RESP, False)
    f = ev.fields
    assert ev.name == "snmp_response"
    vals = [(v["type"], v["value"]) for v in f["varbinds"]]
    assert vals[1] == ("oid", "1.3.6.1.4.1.4329.6.1.2")
    assert vals[2] == ("timeticks", 123456)
    assert vals[6:] == [("ip_address", "10.0.0.3"), ("octet_string", "0800061a2b3c"), ("counter64", 2**40),
                        ("no_such_instance", None)]
    assert f["identity"] == {"product_name": "SIMATIC NET CP 343-1 Lean, 6GK7 343-1CX10-0XE0, HW: 3, FW: V2.2.20",
                             "product_code": "1.3.6.1.4.1.4329.6.1.2", "name": "PLC-LINE-3", "location": "Hall B"}
    assert f["sys_contact"] == "ops@plant"


def test_set_with_error_and_bulk() -> None:
    s = message(0, b"private", pdu(0xA3, 9, 0, 0, varbinds(("1.3.6.1.4.1.9.1", integer(-5)))))
    f = one(s).fields
    assert (f["version"], f["community"], f["varbinds"][0]["value"]) == ("1", "private", -5)
    r = message(0, b"private", pdu(0xA2, 9, 17, 1, varbinds(("1.3.6.1.4.1.9.1", NULL))))
    assert one(r, False).fields["error_status_name"] == "notWritable"
    b = message(1, b"public", pdu(0xA5, 3, 0, 25, varbinds(("1.3.6.1.2.1.2", NULL))))
    ev = one(b)
    assert ev.name == "snmp_get_bulk_request"
    assert (ev.fields["non_repeaters"], ev.fields["max_repetitions"]) == (0, 25)
    u = message(1, b"public", pdu(0xA2, 3, 99, 0, varbinds()))
    assert one(u, False).fields["error_status_name"] == "unknown-99"


def test_v1_trap_and_v2_trap() -> None:
    trap = message(0, b"public", tlv(0xA4, oid("1.3.6.1.4.1.4329") + tlv(0x40, bytes([10, 0, 0, 9])) + integer(6)
                                     + integer(17) + tlv(0x43, b"\x01\x00") + varbinds(("1.3.6.1.2.1.1.5.0", tlv(0x04, b"RTU-9")))))
    ev = one(trap)
    f = ev.fields
    assert ev.name == "snmp_trap"
    assert (f["enterprise"], f["agent_address"], f["generic_trap_name"], f["specific_trap"], f["timestamp"]) == (
        "1.3.6.1.4.1.4329", "10.0.0.9", "enterpriseSpecific", 17, 256)
    assert f["identity"] == {"name": "RTU-9"}
    t2 = message(1, b"public", pdu(0xA7, 1, 0, 0, varbinds(("1.3.6.1.6.3.1.1.4.1.0", oid("1.3.6.1.6.3.1.1.5.1")))))
    assert one(t2).name == "snmp_trapv2"


def _v3(flags: int, user: bytes, data: bytes) -> bytes:
    header = tlv(0x30, integer(77) + integer(65507) + tlv(0x04, bytes([flags])) + integer(3))
    usm = tlv(0x30, tlv(0x04, bytes.fromhex("80001f888056")) + integer(5) + integer(1000) + tlv(0x04, user)
              + tlv(0x04, b"") + tlv(0x04, b""))
    return tlv(0x30, integer(3) + header + tlv(0x04, usm) + data)


def test_v3_plain_and_encrypted() -> None:
    scoped = tlv(0x30, tlv(0x04, b"\x80\x00") + tlv(0x04, b"") + pdu(0xA0, 1, 0, 0, varbinds(("1.3.6.1.2.1.1.1.0", NULL))))
    ev = one(_v3(0x05, b"scada-ro", scoped))
    f = ev.fields
    assert ev.name == "snmp_get_request"
    assert (f["version"], f["security_level"], f["user_name"], f["engine_id"], f["engine_boots"]) == (
        "3", "authNoPriv", "scada-ro", "80001f888056", 5)
    assert f["credentials_in_clear"] is False and "community" not in f and f["reportable"]
    ev = one(_v3(0x07, b"admin", tlv(0x04, b"\xde\xad" * 20)))
    assert ev.name == "snmp_encrypted_pdu"
    assert (ev.fields["security_level"], ev.fields["encrypted_length"], ev.fields["user_name"]) == ("authPriv", 40, "admin")


def test_community_escaped() -> None:
    f = one(message(1, b"pub\x00lic\xff", pdu(0xA0, 1, 0, 0, varbinds()))).fields
    assert f["community"] == "pub\\x00lic\\xff"


def test_truncated_pdu_keeps_what_was_read() -> None:
    d = SnmpDecoder()
    one(GET, True, d)
    vbs = tlv(0x30, tlv(0x30, oid("1.3.6.1.2.1.1.5.0") + tlv(0x04, b"ok"))
              + tlv(0x30, oid("1.3.6.1.2.1.1.6.0") + b"\x04\x10ab"))  # a value running past its binding
    evs = d.feed(message(1, b"public", pdu(0xA2, 4711, 0, 0, vbs)), False, 2.0, 2)
    assert [e.name for e in evs] == ["snmp_response", "weird"]
    assert evs[1].fields["name"] == "snmp_malformed" and evs[0].fields["varbind_count"] == 2


def test_violation_and_malformed() -> None:
    d = SnmpDecoder()
    (ev,) = d.feed(b"\x01\x02\x03\x04", True, 1.0, 1)
    assert ev.fields["name"] == "snmp_protocol_violation" and d.violated
    d = SnmpDecoder()
    one(GET, True, d)
    (ev,) = d.feed(message(1, b"x", tlv(0xBF, b"")), True, 2.0, 2)
    assert ev.fields["name"] == "snmp_malformed"


def test_probe_and_oid_reader() -> None:
    assert SnmpDecoder.probe(GET, True) > 0.5
    assert SnmpDecoder.probe(GET[:-1], True) < 0
    assert SnmpDecoder.probe(b"\x30\x03\x02\x01\x05" + bytes(8), True) < 0
    assert read_oid(b"\x06\x03\x88\x37\x03", 2, 5) == "2.999.3"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), st.integers(0, 2))
def test_never_raises(data: bytes, prefix: int) -> None:
    d = SnmpDecoder()
    head = [b"", GET[:20], RESP[:40]][prefix]
    for is_orig in (True, False):
        out = d.feed(head + data, is_orig, 1.0, 1)
        assert isinstance(out, list) and all(isinstance(e, Event) for e in out)
    assert isinstance(d.gap(3, True, 1.0, 2), list) and isinstance(d.finish(2.0, 3), list)
    SnmpDecoder.probe(head + data, True)
