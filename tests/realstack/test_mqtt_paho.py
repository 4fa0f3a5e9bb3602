"""MQTT from a real stack: paho-mqtt clients (3.1.1 and 5.0) and Debian's mosquitto broker on
127.0.0.1:1883, captured with tcpdump and decoded; the events must say exactly what the clients did.

The broker is the machine's own (``allow_anonymous true``: it accepts any user name and password).
Topics carry a per-run suffix so that retained messages of earlier runs do not interfere.
"""

from __future__ import annotations

import json
import socket
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest

from plantwarden.sensor.eventlog import iter_records

from .capture import tcpdump

paho = pytest.importorskip("paho.mqtt.client")

BROKER = ("127.0.0.1", 1883)
USER = "plant-operator"
PASSWORD = "Sup3r-Secret-Pw!"


def _need_broker() -> None:
    with socket.socket() as s:
        s.settimeout(1)
        if s.connect_ex(BROKER) != 0:
            pytest.skip("no MQTT broker on 127.0.0.1:1883 (apt-get install mosquitto)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _client(client_id: str, v5: bool, keepalive: int, port: int) -> Any:
    """A connected client with its network loop running (CONNACK received: paho would otherwise
    send the next packets before the broker's answer, which makes the packet order vary).

    The client connects from ``port`` so that the capture holds its connection only: in CI other
    things talk to the machine's broker too (a capture once held two undecodable packets of a
    stranger's connection)."""
    proto = paho.MQTTv5 if v5 else paho.MQTTv311
    c = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=proto)
    c.username_pw_set(USER, PASSWORD)
    connected = threading.Event()
    c.on_connect = lambda *a: connected.set()
    c.connect(*BROKER, keepalive=keepalive, bind_address="127.0.0.1", bind_port=port)
    c.loop_start()
    assert connected.wait(10)
    return c


def _disconnect(c: Any) -> None:
    """Send DISCONNECT and wait until the network loop has written it and closed the socket: stopping
    the loop straight after ``disconnect()`` may drop the packet (seen in CI)."""
    gone = threading.Event()
    c.on_disconnect = lambda *a: gone.set()
    c.disconnect()
    assert gone.wait(10)
    c.loop_stop()


@pytest.fixture(scope="module")
def mqtt_capture(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    _need_broker()
    run = uuid.uuid4().hex[:8]
    base = f"plantwarden/{run}"
    path = tmp_path_factory.mktemp("mqtt") / "paho.pcap"
    got: list[tuple[str, bytes, int, bool]] = []
    three = threading.Event()
    subscribed = threading.Event()

    def on_message(client: Any, userdata: Any, msg: Any) -> None:
        got.append((msg.topic, msg.payload, msg.qos, msg.retain))
        if len(got) == 3:
            three.set()

    sub_port, pub_port = _free_port(), _free_port()
    while pub_port == sub_port:
        pub_port = _free_port()
    with tcpdump(path, f"tcp port 1883 and (tcp port {sub_port} or tcp port {pub_port})"):
        sub = _client(f"pw-sub-{run}", v5=False, keepalive=30, port=sub_port)
        sub.on_message = on_message
        sub.on_subscribe = lambda *a: subscribed.set()
        sub.subscribe(f"{base}/#", qos=2)
        assert subscribed.wait(10)

        pub = _client(f"pw-pub-{run}", v5=True, keepalive=20, port=pub_port)
        pub.publish(f"{base}/temp", b"21.5", qos=0).wait_for_publish(10)
        pub.publish(f"{base}/state", b"\x00\x01\xff", qos=1).wait_for_publish(10)
        pub.publish(f"{base}/cmd", "start pump 3", qos=2).wait_for_publish(10)
        assert three.wait(10), got
        _disconnect(pub)

        unsubscribed = threading.Event()
        sub.on_unsubscribe = lambda *a: unsubscribed.set()
        sub.unsubscribe(f"{base}/#")
        assert unsubscribed.wait(10)  # the UNSUBACK came back before the DISCONNECT goes out
        _disconnect(sub)
    assert sorted(got) == sorted([(f"{base}/temp", b"21.5", 0, False), (f"{base}/state", b"\x00\x01\xff", 1, False),
                                  (f"{base}/cmd", b"start pump 3", 2, False)])
    return path, run


def _flows(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Our mqtt records per client id."""
    out: dict[str, list[dict[str, Any]]] = {}
    for r in iter_records([path]):
        assert r["proto"] == "mqtt", r
        out.setdefault(r["client_id"], []).append(r)
    return out


def test_connect_carries_credentials_flags_but_never_the_password(mqtt_capture: tuple[Path, str]) -> None:
    path, run = mqtt_capture
    recs = list(iter_records([path]))
    assert PASSWORD not in json.dumps(recs)
    connects = {r["client_id"]: r for r in recs if r["event"] == "mqtt_connect"}
    assert set(connects) == {f"pw-sub-{run}", f"pw-pub-{run}"}
    for cid, version, keep_alive in ((f"pw-sub-{run}", 4, 30), (f"pw-pub-{run}", 5, 20)):
        c = connects[cid]
        assert (c["protocol_name"], c["protocol_version"], c["keep_alive"]) == ("MQTT", version, keep_alive)
        assert (c["username"], c["has_username"], c["has_password"], c["credentials_in_clear"]) == (
            USER, True, True, True)
        assert c["is_orig"] and c["dport"] == 1883
    acks = {r["client_id"]: r["return_code_name"] for r in recs if r["event"] == "mqtt_connack"}
    assert acks == {f"pw-sub-{run}": "accepted", f"pw-pub-{run}": "success"}  # 3.1.1 and 5.0 names
    assert not [r for r in recs if r["event"] == "weird"]


def test_publisher_flow_is_what_the_client_did(mqtt_capture: tuple[Path, str]) -> None:
    path, run = mqtt_capture
    recs = _flows(path)[f"pw-pub-{run}"]
    assert all(r["protocol_version"] == 5 for r in recs)
    seq = [(r["event"], r["is_orig"]) for r in recs if r["event"] not in ("mqtt_pingreq", "mqtt_pingresp")]
    assert seq == [("mqtt_connect", True), ("mqtt_connack", False), ("mqtt_publish", True), ("mqtt_publish", True),
                   ("mqtt_puback", False), ("mqtt_publish", True), ("mqtt_pubrec", False), ("mqtt_pubrel", True),
                   ("mqtt_pubcomp", False), ("mqtt_disconnect", True)]
    pubs = [r for r in recs if r["event"] == "mqtt_publish"]
    base = f"plantwarden/{run}"
    assert [(p["topic"], p["qos"], p["retain"], p["payload_length"], p["payload_preview"], p["payload_encoding"])
            for p in pubs] == [(f"{base}/temp", 0, False, 4, "21.5", "utf8"),
                               (f"{base}/state", 1, False, 3, "0001ff", "hex"),
                               (f"{base}/cmd", 2, False, 12, "start pump 3", "utf8")]
    ids = {r["event"]: r["packet_id"] for r in recs if r.get("packet_id") is not None and r["event"] != "mqtt_publish"}
    assert ids["mqtt_puback"] == pubs[1]["packet_id"]
    assert ids["mqtt_pubrec"] == ids["mqtt_pubrel"] == ids["mqtt_pubcomp"] == pubs[2]["packet_id"]
    assert "properties" in recs[0] and recs[-1]["reason_code_name"] == "success"


def test_subscriber_flow_is_what_the_client_did(mqtt_capture: tuple[Path, str]) -> None:
    path, run = mqtt_capture
    recs = _flows(path)[f"pw-sub-{run}"]
    base = f"plantwarden/{run}"
    sub = next(r for r in recs if r["event"] == "mqtt_subscribe")
    assert sub["subscriptions"] == [{"topic": f"{base}/#", "qos": 2}] and sub["topic"] == f"{base}/#"
    ack = next(r for r in recs if r["event"] == "mqtt_suback")
    assert (ack["packet_id"], ack["return_codes"], ack["return_code_names"], ack["topic"]) == (
        sub["packet_id"], [2], ["granted_qos_2"], f"{base}/#")
    delivered = sorted((r["topic"], r["qos"]) for r in recs if r["event"] == "mqtt_publish")
    assert delivered == sorted([(f"{base}/temp", 0), (f"{base}/state", 1), (f"{base}/cmd", 2)])
    assert all(not r["is_orig"] for r in recs if r["event"] == "mqtt_publish")
    unsub = next(r for r in recs if r["event"] == "mqtt_unsubscribe")
    assert unsub["topics"] == [f"{base}/#"]
    unsuback = next(r for r in recs if r["event"] == "mqtt_unsuback")
    assert unsuback["packet_id"] == unsub["packet_id"] and unsuback["topic"] == f"{base}/#"
    # the client sends DISCONNECT right after UNSUBSCRIBE, so it may precede the UNSUBACK
    assert [r["event"] for r in recs if r["is_orig"]][-2:] == ["mqtt_unsubscribe", "mqtt_disconnect"]
