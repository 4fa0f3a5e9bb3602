"""MQTT decoder, fed byte literals (the 3.1 packets are zeek's mqtt.pcap, see comments)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from plantwarden.core.events import Event
from plantwarden.decoders.mqtt import MqttDecoder
from plantwarden.decoders.mqtt import constants as C
from plantwarden.decoders.mqtt.packets import preview

H = bytes.fromhex
# zeek__mqtt.pcap frames 1-6 and 9
CONNECT31 = H("102500064d51497364700302000500177061686f2f333441414535344137354438333935363645")
CONNACK = H("20020000")
SUBSCRIBE = H("82100001000b53616d706c65546f70696300")
SUBACK = H("9003000100")
PUBLISH = H("3130000b53616d706c65546f70696348656c6c6f2066726f6d20746865205061686f20626c6f636b696e6720636c69656e74")
PINGREQ = H("c000")
PUB_DISC = H("3017000b53616d706c65546f70696348656c6c6f204d515454e000")


def s(text: str) -> bytes:
    b = text.encode()
    return len(b).to_bytes(2, "big") + b


def vint(n: int) -> bytes:
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def pkt(t: int, flags: int, body: bytes) -> bytes:
    return bytes([t << 4 | flags]) + vint(len(body)) + body


def props(*items: bytes) -> bytes:
    body = b"".join(items)
    return vint(len(body)) + body


def connect(level: int = 4, client_id: str = "plc-7", user: str | None = "op", password: bytes | None = b"pw!",
            will: tuple[str, bytes] | None = None, extra: bytes = b"") -> bytes:
    flags = 0x02 | (0x80 if user is not None else 0) | (0x40 if password is not None else 0)
    if will:
        flags |= 0x04 | 0x08 | 0x20  # will QoS 1, retained
    body = s("MQTT") + bytes([level, flags]) + (60).to_bytes(2, "big")
    if level == 5:
        body += props(b"\x11" + (300).to_bytes(4, "big"), b"\x26" + s("site") + s("north"))
    body += s(client_id)
    if will:
        if level == 5:
            body += props()
        body += s(will[0]) + len(will[1]).to_bytes(2, "big") + will[1]
    if user is not None:
        body += s(user)
    if password is not None:
        body += len(password).to_bytes(2, "big") + password
    return pkt(1, 0, body + extra)


def feed(*chunks: bytes, is_orig: bool = True, dec: MqttDecoder | None = None) -> list[Event]:
    dec = dec or MqttDecoder()
    out: list[Event] = []
    for i, c in enumerate(chunks):
        out += dec.feed(c, is_orig, float(i), i + 1)
    return out


def weirds(evs: list[Event]) -> list[str]:
    return [e.fields["name"] for e in evs if e.is_weird]


def session(level: int = 4) -> MqttDecoder:
    dec = MqttDecoder()
    assert [e.name for e in dec.feed(connect(level), True, 0.0, 1)] == ["mqtt_connect"]
    return dec


def one(data: bytes, is_orig: bool = True, dec: MqttDecoder | None = None) -> dict[str, Any]:
    evs = feed(data, is_orig=is_orig, dec=dec or session())
    assert len(evs) == 1, evs
    return {"event": evs[0].name, **evs[0].fields}


def test_class_attributes() -> None:
    assert (MqttDecoder.name, MqttDecoder.transport, MqttDecoder.default_ports) == ("mqtt", "tcp", (1883,))


def test_probe() -> None:
    assert MqttDecoder.probe(CONNECT31, True) == 0.95
    assert MqttDecoder.probe(connect(5), True) == 0.95
    assert MqttDecoder.probe(CONNACK, False) == 0.6
    assert MqttDecoder.probe(PINGREQ, True) == 0.3
    assert MqttDecoder.probe(b"\x10", True) == 0.0
    assert MqttDecoder.probe(b"\x16\x03\x01\x02\x00\x01\x00", True) < 0  # TLS
    assert MqttDecoder.probe(b"GET / HTTP/1.1\r\n", True) < 0
    assert MqttDecoder.probe(pkt(1, 0, s("HTTP") + b"\x04\x02\x00\x3c"), True) < 0


def test_mqtt31_session_from_zeek_capture() -> None:
    dec = MqttDecoder()
    evs = feed(CONNECT31, SUBSCRIBE, PINGREQ, dec=dec) + feed(CONNACK, SUBACK, PUBLISH, is_orig=False, dec=dec)
    assert not weirds(evs)
    by = {e.name: e.fields for e in evs}
    c = by["mqtt_connect"]
    assert c == {"message_type": "connect", "protocol_version": 3, "client_id": "paho/34AAE54A75D839566E",
                 "topic": None, "protocol_name": "MQIsdp", "clean_session": True, "keep_alive": 5,
                 "will_topic": None, "has_username": False, "has_password": False, "credentials_in_clear": False,
                 "username": None}
    assert by["mqtt_subscribe"]["subscriptions"] == [{"topic": "SampleTopic", "qos": 0}]
    assert by["mqtt_subscribe"]["packet_id"] == 1
    assert by["mqtt_connack"]["return_code_name"] == "accepted" and not by["mqtt_connack"]["session_present"]
    assert by["mqtt_suback"]["return_codes"] == [0] and by["mqtt_suback"]["topics"] == ["SampleTopic"]
    p = by["mqtt_publish"]
    assert (p["topic"], p["qos"], p["retain"], p["dup"], p["payload_length"]) == ("SampleTopic", 0, True, False, 35)
    assert (p["payload_preview"], p["payload_encoding"]) == ("Hello from the Paho blocking client", "utf8")
    # the client id of the flow is on every event, also the broker's
    assert {e.fields["client_id"] for e in evs} == {"paho/34AAE54A75D839566E"}
    assert by["mqtt_pingreq"] == {"message_type": "pingreq", "protocol_version": 3,
                                  "client_id": "paho/34AAE54A75D839566E", "topic": None}


def test_several_packets_in_one_segment_and_split_packets() -> None:
    dec = MqttDecoder()
    feed(CONNECT31, dec=dec)
    evs = feed(PUB_DISC, dec=dec)
    assert [e.name for e in evs] == ["mqtt_publish", "mqtt_disconnect"] and evs[0].fields["payload_preview"] == "Hello MQTT"
    dec = MqttDecoder()
    out: list[Event] = []
    stream = CONNECT31 + SUBSCRIBE + PUB_DISC
    for i, b in enumerate(stream):
        out += dec.feed(bytes([b]), True, float(i), i + 1)
    assert [(e.name, e.frame) for e in out] == [
        ("mqtt_connect", len(CONNECT31)), ("mqtt_subscribe", len(CONNECT31) + len(SUBSCRIBE)),
        ("mqtt_publish", len(stream) - 2), ("mqtt_disconnect", len(stream))]
    assert dec.finish(1.0, 99) == []


def test_credentials_are_flagged_but_the_password_is_never_kept() -> None:
    evs = feed(connect(4, user="admin", password=b"hunter2-secret"))
    f = evs[0].fields
    assert (f["username"], f["has_username"], f["has_password"], f["credentials_in_clear"]) == ("admin", True, True, True)
    assert "hunter2" not in json.dumps(f)
    f = feed(connect(4, user="admin", password=None))[0].fields
    assert (f["has_password"], f["credentials_in_clear"]) == (False, False)


def test_will_message() -> None:
    f = feed(connect(4, will=("plant/lwt", b"offline")))[0].fields
    assert (f["will_topic"], f["will_qos"], f["will_retain"], f["will_payload_length"]) == ("plant/lwt", 1, True, 7)


def test_mqtt5_connect_and_properties() -> None:
    evs = feed(connect(5, will=("a/b", b"x")))
    f = evs[0].fields
    assert not weirds(evs)
    assert f["protocol_version"] == 5
    assert f["properties"] == {"session_expiry_interval": 300, "user_property": [["site", "north"]]}
    assert f["will_properties"] == {} and f["will_topic"] == "a/b"
    ack = one(pkt(2, 0, b"\x01\x86" + props(b"\x1f" + s("bad credentials"))), is_orig=False, dec=session(5))
    assert (ack["session_present"], ack["return_code"], ack["return_code_name"]) == (True, 0x86, "bad_user_name_or_password")
    assert ack["properties"] == {"reason_string": "bad credentials"}


def test_mqtt5_assigned_client_id() -> None:
    dec = MqttDecoder()
    dec.feed(connect(5, client_id=""), True, 0.0, 1)
    ack = dec.feed(pkt(2, 0, b"\x00\x00" + props(b"\x12" + s("auto-1234"))), False, 1.0, 2)[0]
    assert ack.fields["client_id"] == "auto-1234"
    assert dec.feed(PINGREQ, True, 2.0, 3)[0].fields["client_id"] == "auto-1234"


def test_mqtt5_publish_topic_alias_and_acks() -> None:
    dec = session(5)
    first = one(pkt(3, 0x02, s("plant/temp") + b"\x00\x07" + props(b"\x23\x00\x01", b"\x09\x00\x02\xab\xcd") + b"21"),
                dec=dec)
    assert (first["topic"], first["packet_id"], first["qos"]) == ("plant/temp", 7, 1)
    assert first["properties"] == {"topic_alias": 1, "correlation_data": "abcd"}
    again = one(pkt(3, 0, s("") + props(b"\x23\x00\x01") + b"22"), dec=dec)
    assert again["topic"] == "plant/temp" and again["payload_preview"] == "22"
    evs = feed(pkt(3, 0, s("") + props(b"\x23\x00\x09") + b"x"), dec=dec)
    assert evs[0].fields["topic"] is None and weirds(evs) == ["mqtt_unknown_topic_alias"]
    puback = one(pkt(4, 0, b"\x00\x07\x10"), is_orig=False, dec=dec)
    assert (puback["packet_id"], puback["reason_code"], puback["reason_code_name"]) == (7, 16, "no_matching_subscribers")
    short = one(pkt(4, 0, b"\x00\x08"), is_orig=False, dec=dec)
    assert (short["packet_id"], short["reason_code"]) == (8, None)
    disc = one(pkt(14, 0, b"\x8e\x00"), is_orig=False, dec=dec)
    assert disc["reason_code_name"] == "session_taken_over" and disc["properties"] == {}
    auth = one(pkt(15, 0, b"\x18" + props(b"\x15" + s("SCRAM-SHA-1"), b"\x16\x00\x03abc")), dec=dec)
    assert auth["reason_code_name"] == "continue_authentication"
    assert auth["properties"] == {"authentication_method": "SCRAM-SHA-1", "authentication_data_length": 3}


def test_qos2_flow_and_unsubscribe() -> None:
    dec = session()
    assert one(pkt(3, 0x04 | 0x08, s("t") + b"\x00\x09" + b"v"), dec=dec)["dup"] is True
    for t, flags, name in ((5, 0, "mqtt_pubrec"), (6, 2, "mqtt_pubrel"), (7, 0, "mqtt_pubcomp")):
        r = one(pkt(t, flags, b"\x00\x09"), is_orig=t != 6, dec=dec)
        assert (r["event"], r["packet_id"], r["reason_code"]) == (name, 9, None)
    uns = one(pkt(10, 2, b"\x00\x05" + s("a/#") + s("b")), dec=dec)
    assert (uns["topics"], uns["topic"]) == (["a/#", "b"], "a/#")
    ack = one(pkt(11, 0, b"\x00\x05"), is_orig=False, dec=dec)
    assert (ack["event"], ack["topics"], ack["topic"]) == ("mqtt_unsuback", ["a/#", "b"], "a/#")
    assert "return_codes" not in ack


def test_mqtt5_subscribe_options_and_suback_failure() -> None:
    dec = session(5)
    sub = one(pkt(8, 2, b"\x00\x03" + props() + s("x/+") + b"\x2e"), dec=dec)
    assert sub["subscriptions"] == [{"topic": "x/+", "qos": 2, "no_local": True, "retain_as_published": True,
                                     "retain_handling": 2}]
    ack = one(pkt(9, 0, b"\x00\x03" + props() + b"\x87"), is_orig=False, dec=dec)
    assert (ack["return_codes"], ack["return_code_names"], ack["topic"]) == ([0x87], ["not_authorized"], "x/+")
    assert one(pkt(9, 0, b"\x00\x04\x80"), is_orig=False)["return_code_names"] == ["failure"]  # 3.1.1


def test_payload_preview() -> None:
    assert preview(b"ok\r\n", False) == ("ok\r\n", "utf8")
    assert preview(b"\x1b[31mred", False) == ("1b5b33316d726564", "hex")
    assert preview("é".encode() * 20, False) == ("é" * 20, "utf8")
    cut = ("x" * 63 + "é").encode()[:64]
    assert preview(cut, True) == ("x" * 63, "utf8")
    assert preview(b"\xff\xfe", False) == ("fffe", "hex")
    big = one(pkt(3, 0, s("t") + b"A" * 200))
    assert (big["payload_length"], big["payload_preview"]) == (200, "A" * C.PREVIEW)


def test_big_publish_is_decoded_without_holding_it() -> None:
    dec = session()
    payload = bytes(300_000)
    data = pkt(3, 0, s("fw/image") + payload)
    chunks = [data[i:i + 1460] for i in range(0, len(data), 1460)]
    out: list[Event] = []
    for i, c in enumerate(chunks):
        out += dec.feed(c, True, float(i), i + 10)
        assert all(len(b) <= C.MAX_BUFFER for b in dec._buf)
    out += dec.feed(PINGREQ, True, 999.0, 999)
    assert [(e.name, e.frame) for e in out] == [("mqtt_publish", len(chunks) + 9), ("mqtt_pingreq", 999)]
    assert out[0].fields["payload_length"] == 300_000 and out[0].fields["topic"] == "fw/image"
    assert out[0].fields["payload_encoding"] == "hex"


def test_big_publish_cut_by_the_end_of_the_flow() -> None:
    dec = session()
    data = pkt(3, 0, s("fw") + bytes(100_000))
    dec.feed(data[:20_000], True, 1.0, 2)
    evs = dec.finish(2.0, 3)
    assert [e.name for e in evs] == ["mqtt_publish", "weird"] and weirds(evs) == ["mqtt_incomplete_packet"]


def test_not_mqtt_is_a_violation() -> None:
    dec = MqttDecoder()
    evs = feed(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc", dec=dec)
    assert weirds(evs) == ["mqtt_protocol_violation"] and dec.violated
    assert dec.feed(PINGREQ, True, 1.0, 2) == [] and dec.finish(1.0, 2) == []
    dec = MqttDecoder()
    assert weirds(feed(pkt(1, 0, s("HTTP") + b"\x04\x02\x00\x3c" + s("x")), dec=dec)) == ["mqtt_protocol_violation"]
    dec = MqttDecoder()
    assert weirds(feed(b"\x30\xff\xff\xff\x7f", dec=dec)) == ["mqtt_protocol_violation"]  # 256 MB first packet


def test_bad_header_on_a_confirmed_flow_resyncs_at_a_segment_boundary() -> None:
    dec = session()
    evs = feed(b"\x00\x00\x00", dec=dec)
    assert weirds(evs) == ["mqtt_bad_header"]
    assert feed(b"\x00junk", dec=dec) == []
    evs = feed(PINGREQ + SUBSCRIBE, dec=dec)
    assert [e.name for e in evs] == ["weird", "mqtt_pingreq", "mqtt_subscribe"] and weirds(evs) == ["mqtt_resync"]


def test_gap_resyncs_at_the_next_packet() -> None:
    dec = session()
    feed(PUBLISH[:10], dec=dec)
    assert dec.gap(30, True, 1.0, 2) == []
    assert feed(PUBLISH[40:], dec=dec) == []  # the rest of the lost packet: dropped
    evs = feed(PINGREQ, dec=dec)
    assert [e.name for e in evs] == ["weird", "mqtt_pingreq"]


def test_gap_inside_a_skipped_packet_keeps_step() -> None:
    dec = session()
    data = pkt(3, 0, s("fw") + bytes(100_000))
    dec.feed(data[:20_000], True, 1.0, 2)
    evs = dec.gap(10_000, True, 2.0, 3)
    assert [e.name for e in evs] == ["mqtt_publish"]
    assert dec.feed(data[30_000:], True, 3.0, 4) == []
    assert [e.name for e in dec.feed(PINGREQ, True, 4.0, 5)] == ["mqtt_pingreq"]


def test_odd_packets_give_weirds() -> None:
    dec = session()
    evs = feed(pkt(3, 0, s("t")[:1]), dec=dec)
    assert evs[0].name == "mqtt_publish" and weirds(evs) == ["mqtt_malformed_packet"]
    evs = feed(pkt(3, 0, b"\x00\x02\xc3\x28x"), dec=dec)
    assert evs[0].fields["topic"] == "\ufffd(" and weirds(evs) == ["mqtt_invalid_utf8"]
    assert weirds(feed(pkt(3, 0x08, s("t")), dec=dec)) == ["mqtt_bad_flags"]
    assert weirds(feed(pkt(12, 0, b"x"), dec=dec)) == ["mqtt_trailing_bytes"]
    assert weirds(feed(pkt(8, 2, b"\x00\x01"), dec=dec)) == ["mqtt_no_topics"]
    assert weirds(feed(pkt(15, 0, b""), dec=dec)) == ["mqtt_reserved_type"]
    assert weirds(feed(CONNACK, dec=dec)) == ["mqtt_wrong_direction"]
    assert weirds(feed(connect(4, extra=b"zz"), dec=dec)) == ["mqtt_trailing_bytes"]
    d5 = session(5)
    assert weirds(feed(pkt(14, 0, b"\x00" + props(b"\x7f\x00")), is_orig=False, dec=d5)) == ["mqtt_bad_property"]
    assert weirds(feed(pkt(1, 1, b""), dec=dec)) == ["mqtt_bad_header"]


def test_unknown_codes_render_as_unknown() -> None:
    assert one(pkt(2, 0, b"\x00\x2a"), is_orig=False)["return_code_name"] == "unknown-42"
    assert C.TYPE_NAMES[0] == "unknown-0" and C.REASON_NAMES[0x7F] == "unknown-127"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["feed", "gap"]), st.booleans(), st.binary(max_size=200)), max_size=12),
       st.sampled_from([None, 3, 4, 5]))
def test_never_raises(ops: list[tuple[str, bool, bytes]], level: int | None) -> None:
    dec = MqttDecoder() if level is None else session(level)
    for i, (op, is_orig, data) in enumerate(ops):
        out = dec.feed(data, is_orig, float(i), i) if op == "feed" else dec.gap(len(data), is_orig, float(i), i)
        assert isinstance(out, list) and all(isinstance(e, Event) for e in out)
        json.dumps([e.fields for e in out])
    assert isinstance(dec.finish(99.0, 99), list)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 15), st.integers(0, 15), st.binary(max_size=120), st.sampled_from([3, 4, 5]))
def test_any_packet_body_never_raises(t: int, flags: int, body: bytes, level: int) -> None:
    dec = session(level)
    out = dec.feed(pkt(t, flags, body), t != 2, 1.0, 2)
    assert isinstance(out, list)
    json.dumps([e.fields for e in out])


# -- documentation ----------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[3]
DOC = (ROOT / "docs" / "protocols" / "mqtt.md").read_text()


def test_every_weird_is_documented() -> None:
    src = "".join((ROOT / "plantwarden" / "decoders" / "mqtt" / f).read_text() for f in ("decoder.py", "packets.py"))
    names = set(re.findall(r'"(mqtt_[a-z_]+)"', src))
    assert len(names) >= 13
    assert sorted(n for n in names if f"`{n}`" not in DOC) == []


def test_every_event_field_and_name_is_documented() -> None:
    samples = [
        (connect(5, will=("a", b"b")), True, 5), (pkt(2, 0, b"\x01\x00" + props(b"\x21\x00\x05")), False, 5),
        (pkt(3, 3, s("t") + b"\x00\x01" + props(b"\x23\x00\x01") + b"v"), True, 5), (pkt(4, 0, b"\x00\x01\x00\x00"), False, 5),
        (pkt(5, 0, b"\x00\x01"), False, 5), (pkt(6, 2, b"\x00\x01"), True, 5), (pkt(7, 0, b"\x00\x01"), False, 5),
        (pkt(8, 2, b"\x00\x02" + props() + s("a") + b"\x01"), True, 5), (pkt(9, 0, b"\x00\x02\x00\x01"), False, 5),
        (pkt(10, 2, b"\x00\x03\x00" + s("a")), True, 5), (pkt(11, 0, b"\x00\x03\x00\x00"), False, 5),
        (PINGREQ, True, 5), (pkt(13, 0, b""), False, 5), (pkt(14, 0, b""), True, 5), (pkt(15, 0, b"\x00\x00"), True, 5),
        (connect(4, will=("a", b"b")), True, 4),
    ]
    fields: set[str] = set()
    events: set[str] = set()
    for data, is_orig, level in samples:
        for e in feed(data, is_orig=is_orig, dec=session(level)):
            assert not e.is_weird, e
            events.add(e.name)
            fields |= set(e.fields)
            for v in e.fields.values():
                if isinstance(v, list):
                    for x in v:
                        if isinstance(x, dict):
                            fields |= set(x)
    assert len(events) == 15
    assert sorted(e for e in events if f"`{e}`" not in DOC) == []
    assert sorted(f for f in fields if f"`{f}`" not in DOC) == []
    for table in (C.CONNACK_V3, C.REASONS_V5, C.SUBACK_V3):
        assert sorted(n for n in table.values() if f"`{n}`" not in DOC) == []
    for name, _ in C.PROPERTIES.values():
        assert f"`{name}`" in DOC, name
