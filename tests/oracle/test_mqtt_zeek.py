"""MQTT against Zeek's MQTT analyzer: the mqtt_connect, mqtt_publish and mqtt_subscribe baselines.

Zeek's base/protocols/mqtt scripts log one mqtt_connect row per CONNECT (with the CONNACK's status),
one mqtt_publish row per PUBLISH (QoS 0 here; payload cut at MQTT::max_payload_size, 100 by
default, 8 in the payload-cap test), and one mqtt_subscribe row per SUBSCRIBE with its SUBACK.
We compare those rows with our events field for field (the test scripts did not trim the logs).
"""

from __future__ import annotations

from typing import Any

import pytest
from oracle_common import PCAPS, read_zeek_log, records

CAPTURE = PCAPS / "mqtt" / "zeek__mqtt.pcap"
BASE = PCAPS / "mqtt" / "zeek__mqtt.pcap.zeek-baseline"
VERSIONS = {3: "3.1", 4: "3.1.1", 5: "5.0"}
#: Zeek's CONNACK status text by return code (MQTT 3.1.1 table)
STATUS = {0: "Connection Accepted", 1: "Refused: unacceptable protocol version",
          2: "Refused: identifier rejected", 3: "Refused: server unavailable",
          4: "Refused: bad user name or password", 5: "Refused: not authorized"}
QOS = {0: "at most once", 1: "at least once", 2: "exactly once"}

pytestmark = pytest.mark.shared


def _ours() -> list[dict[str, Any]]:
    if not CAPTURE.exists():
        pytest.skip("../shared/pcaps is absent")
    return records(CAPTURE, "mqtt")


def _bool(v: bool) -> str:
    return "T" if v else "F"


def _id(r: dict[str, Any]) -> tuple[str, str, str, str]:
    """(orig_h, orig_p, resp_h, resp_p) of a record's flow."""
    if r["is_orig"]:
        return r["src"], str(r["sport"]), r["dst"], str(r["dport"])
    return r["dst"], str(r["dport"]), r["src"], str(r["sport"])


def _zid(row: dict[str, str]) -> tuple[str, str, str, str]:
    return row["id.orig_h"], row["id.orig_p"], row["id.resp_h"], row["id.resp_p"]


def test_connect_log() -> None:
    ours = _ours()
    status = {_id(r): STATUS.get(r["return_code"], str(r["return_code"])) for r in ours if r["event"] == "mqtt_connack"}
    got = [(*_id(r), r["protocol_name"], VERSIONS[r["protocol_version"]], r["client_id"], status.get(_id(r), "-"),
            r["will_topic"] or "-", "-")
           for r in ours if r["event"] == "mqtt_connect"]
    want = [(*_zid(z), z["proto_name"], z["proto_version"], z["client_id"], z["connect_status"], z["will_topic"],
             z["will_payload"])
            for z in read_zeek_log(BASE / "scripts.base.protocols.mqtt.mqtt" / "mqtt_connect.log")]
    assert got == want and len(want) == 2


def _publish_rows(cap: int) -> list[tuple[str, ...]]:
    return [(*_id(r), _bool(r["is_orig"]), _bool(r["retain"]), QOS[r["qos"]], "ok", r["topic"],
             r["payload_preview"][:cap], str(r["payload_length"]))
            for r in _ours() if r["event"] == "mqtt_publish"]


def _zeek_publish(test: str) -> list[tuple[str, ...]]:
    return [(*_zid(z), z["from_client"], z["retain"], z["qos"], z["status"], z["topic"], z["payload"],
             z["payload_len"])
            for z in read_zeek_log(BASE / test / "mqtt_publish.log")]


def test_publish_log() -> None:
    # Zeek writes a QoS-0 PUBLISH row in packet order; ours are in frame order too
    want = _zeek_publish("scripts.base.protocols.mqtt.mqtt")
    assert sorted(_publish_rows(100)) == sorted(want) and len(want) == 3


def test_publish_log_with_payload_cap() -> None:
    want = _zeek_publish("scripts.base.protocols.mqtt.mqtt-payload-cap")
    assert sorted(_publish_rows(8)) == sorted(want)


def test_subscribe_log() -> None:
    ours = _ours()
    acks = {(_id(r), r["packet_id"]): r for r in ours if r["event"] == "mqtt_suback"}
    got = []
    for r in ours:
        if r["event"] != "mqtt_subscribe":
            continue
        ack = acks.get((_id(r), r["packet_id"]))
        got.append((*_id(r), "MQTT::SUBSCRIBE", ",".join(s["topic"] for s in r["subscriptions"]),
                    ",".join(str(s["qos"]) for s in r["subscriptions"]),
                    str(ack["return_codes"][0]) if ack else "-", _bool(ack is not None)))
    want = [(*_zid(z), z["action"], z["topics"], z["qos_levels"], z["granted_qos_level"], z["ack"])
            for z in read_zeek_log(BASE / "scripts.base.protocols.mqtt.mqtt" / "mqtt_subscribe.log")]
    assert got == want and len(want) == 1


def test_payload_cap_dynamic_output() -> None:
    # the dynamic test prints each payload with its length; the cap shrinks after each event, but
    # the total length stays what the packet said
    out = (BASE / "scripts.base.protocols.mqtt.mqtt-payload-cap-dynamic" / "out").read_text().splitlines()
    lens = [int(line.rsplit(", ", 1)[1]) for line in out if line.startswith("mqtt_publish")]
    ours = [r["payload_length"] for r in _ours() if r["event"] == "mqtt_publish"]
    assert ours == lens
    firsts = [line.split(", ")[1] for line in out if line.startswith("mqtt_publish")]
    previews = [r["payload_preview"] for r in _ours() if r["event"] == "mqtt_publish"]
    assert [p[:len(z)] for p, z in zip(previews, firsts, strict=True)] == firsts

