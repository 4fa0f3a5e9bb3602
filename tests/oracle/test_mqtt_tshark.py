"""MQTT against Wireshark: every MQTT packet tshark dissects, we decode, frame for frame.

For each capture whose MANIFEST row lists the mqtt dissector, and for each frame, the multisets of
message type, packet id, topic (of PUBLISH, and every topic filter of SUBSCRIBE/UNSUBSCRIBE),
client id, protocol name and level, CONNACK return code, keep alive, requested and granted QoS,
user name and the PUBLISH flags (QoS, retain, DUP) from tshark must equal those of our mqtt events.
The intended differences are listed in docs/protocols/mqtt.md ("Differences from Wireshark") and
encoded exactly in KNOWN_DIFFERENCES.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from oracle_common import PCAPS, captures_with, compare, records, tshark_fields

FIELDS = {
    "mqtt.msgtype": "type",
    "mqtt.msgid": "packet_id",
    "mqtt.topic": "topic",
    "mqtt.clientid": "client_id",
    "mqtt.protoname": "protocol_name",
    "mqtt.ver": "protocol_version",
    "mqtt.conack.val": "return_code",
    "mqtt.connack.reason_code": "return_code",  # MQTT 5
    "mqtt.kalive": "keep_alive",
    "mqtt.sub.qos": "requested_qos",
    "mqtt.suback.qos": "granted_qos",
    "mqtt.username": "username",
    "mqtt.qos": "qos",
    "mqtt.retain": "retain",
    "mqtt.dupflag": "dup",
}
STRINGS = {"topic", "client_id", "protocol_name", "username"}
TYPES = {"connect": 1, "connack": 2, "publish": 3, "puback": 4, "pubrec": 5, "pubrel": 6, "pubcomp": 7,
         "subscribe": 8, "suback": 9, "unsubscribe": 10, "unsuback": 11, "pingreq": 12, "pingresp": 13,
         "disconnect": 14, "auth": 15}
#: packets whose fixed-header flags are 0b0010: for MQTT 3.1 (where these bits were QoS and DUP)
#: Wireshark shows them as QoS 1 and DUP 0
FLAGS_0010 = {"pubrel", "subscribe", "unsubscribe"}

Key = tuple[int, str, Any]


def tshark_keys(path: Path) -> Counter[Key]:
    out: Counter[Key] = Counter()
    for frame, cols in tshark_fields(path, list(FIELDS), display_filter="mqtt"):
        for name, values in zip(FIELDS.values(), cols, strict=True):
            for v in values:
                out[(frame, name, v if name in STRINGS else int(v, 0))] += 1
    return out


def our_keys(path: Path) -> Counter[Key]:
    out: Counter[Key] = Counter()
    for r in records(path, "mqtt"):
        if r["event"] == "weird":
            continue
        fr = r["frame"]
        mt = r["message_type"]
        out[(fr, "type", TYPES[mt])] += 1
        if r.get("packet_id") is not None:
            out[(fr, "packet_id", r["packet_id"])] += 1
        if mt == "connect":
            for k in ("client_id", "protocol_name", "protocol_version", "keep_alive", "username"):
                if r.get(k) is not None:
                    out[(fr, k, r[k])] += 1
        elif mt == "connack":
            out[(fr, "return_code", r["return_code"])] += 1
        elif mt == "publish":
            out.update([(fr, "topic", r["topic"]), (fr, "qos", r["qos"]), (fr, "retain", int(r["retain"])),
                        (fr, "dup", int(r["dup"]))])
        elif mt == "subscribe":
            for s in r["subscriptions"]:
                out.update([(fr, "topic", s["topic"]), (fr, "requested_qos", s["qos"])])
        elif mt == "unsubscribe":
            out.update((fr, "topic", t) for t in r["topics"])
        elif mt == "suback":
            out.update((fr, "granted_qos", c) for c in r["return_codes"])
        if mt in FLAGS_0010 and r["protocol_version"] == 3:
            out.update([(fr, "qos", 1), (fr, "dup", 0)])
    return out


#: capture -> (keys only tshark has, keys only we have); see docs/protocols/mqtt.md
KNOWN_DIFFERENCES: dict[str, tuple[Counter[Key], Counter[Key]]] = {}

CAPTURES = captures_with("mqtt")


@pytest.mark.shared
@pytest.mark.tshark
@pytest.mark.parametrize("capture", CAPTURES or ["<no ../shared>"])
def test_mqtt_matches_tshark(capture: str, record_property: Any) -> None:
    if not CAPTURES:
        pytest.skip("../shared/pcaps is absent")
    path = PCAPS / capture
    theirs = tshark_keys(path)
    ours = our_keys(path)
    compare(record_property, theirs, ours, KNOWN_DIFFERENCES.get(Path(capture).name))
    assert sum(theirs.values()) > 0
