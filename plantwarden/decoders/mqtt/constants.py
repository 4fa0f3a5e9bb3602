"""MQTT code tables: packet types, return and reason codes, v5 property ids.

Unknown numbers render as ``unknown-<n>`` so a lookup never fails; per-type tables are tuples
indexed by the number so the hot path does one index.
"""

from __future__ import annotations

from typing import Final

#: a direction never buffers more than this; a longer packet (a big PUBLISH) is decoded from its
#: first PREFIX bytes and the rest is skipped without being held
MAX_BUFFER: Final = 64 * 1024
PREFIX: Final = 8 * 1024
#: bytes of a PUBLISH payload shown in ``payload_preview``
PREVIEW: Final = 64
#: outstanding SUBSCRIBE/UNSUBSCRIBE packet ids and v5 topic aliases remembered per flow
MAX_PENDING: Final = 1024
MAX_ALIASES: Final = 1024

PACKET_TYPES: Final[dict[int, str]] = {
    1: "connect", 2: "connack", 3: "publish", 4: "puback", 5: "pubrec", 6: "pubrel", 7: "pubcomp",
    8: "subscribe", 9: "suback", 10: "unsubscribe", 11: "unsuback", 12: "pingreq", 13: "pingresp",
    14: "disconnect", 15: "auth",
}
CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP = 1, 2, 3, 4, 5, 6, 7
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, PINGREQ, PINGRESP, DISCONNECT, AUTH = 8, 9, 10, 11, 12, 13, 14, 15

TYPE_NAMES: Final = tuple(PACKET_TYPES.get(t, f"unknown-{t}") for t in range(16))
EVENTS: Final = tuple(f"mqtt_{PACKET_TYPES[t]}" if t in PACKET_TYPES else "mqtt_unknown" for t in range(16))
#: the fixed-header flags each packet type must carry (PUBLISH: any, checked separately)
REQUIRED_FLAGS: Final = tuple(2 if t in (PUBREL, SUBSCRIBE, UNSUBSCRIBE) else 0 for t in range(16))
#: packets only a client sends / only a server sends
CLIENT_ONLY: Final = frozenset({CONNECT, SUBSCRIBE, UNSUBSCRIBE, PINGREQ})
SERVER_ONLY: Final = frozenset({CONNACK, SUBACK, UNSUBACK, PINGRESP})

#: protocol level -> version text
VERSIONS: Final[dict[int, str]] = {3: "3.1", 4: "3.1.1", 5: "5.0"}

#: CONNACK return codes of MQTT 3.1 / 3.1.1
CONNACK_V3: Final[dict[int, str]] = {
    0: "accepted", 1: "unacceptable_protocol_version", 2: "identifier_rejected", 3: "server_unavailable",
    4: "bad_username_or_password", 5: "not_authorized",
}
#: MQTT 5 reason codes (one table; each packet uses a subset)
REASONS_V5: Final[dict[int, str]] = {
    0x00: "success", 0x01: "granted_qos_1", 0x02: "granted_qos_2", 0x04: "disconnect_with_will_message",
    0x10: "no_matching_subscribers", 0x11: "no_subscription_existed", 0x18: "continue_authentication",
    0x19: "re_authenticate", 0x80: "unspecified_error", 0x81: "malformed_packet", 0x82: "protocol_error",
    0x83: "implementation_specific_error", 0x84: "unsupported_protocol_version",
    0x85: "client_identifier_not_valid", 0x86: "bad_user_name_or_password", 0x87: "not_authorized",
    0x88: "server_unavailable", 0x89: "server_busy", 0x8A: "banned", 0x8B: "server_shutting_down",
    0x8C: "bad_authentication_method", 0x8D: "keep_alive_timeout", 0x8E: "session_taken_over",
    0x8F: "topic_filter_invalid", 0x90: "topic_name_invalid", 0x91: "packet_identifier_in_use",
    0x92: "packet_identifier_not_found", 0x93: "receive_maximum_exceeded", 0x94: "topic_alias_invalid",
    0x95: "packet_too_large", 0x96: "message_rate_too_high", 0x97: "quota_exceeded",
    0x98: "administrative_action", 0x99: "payload_format_invalid", 0x9A: "retain_not_supported",
    0x9B: "qos_not_supported", 0x9C: "use_another_server", 0x9D: "server_moved",
    0x9E: "shared_subscriptions_not_supported", 0x9F: "connection_rate_exceeded",
    0xA0: "maximum_connect_time", 0xA1: "subscription_identifiers_not_supported",
    0xA2: "wildcard_subscriptions_not_supported",
}
#: SUBACK return codes of MQTT 3.1.1
SUBACK_V3: Final[dict[int, str]] = {0: "granted_qos_0", 1: "granted_qos_1", 2: "granted_qos_2", 0x80: "failure"}

CONNACK_V3_NAMES: Final = tuple(CONNACK_V3.get(c, f"unknown-{c}") for c in range(256))
REASON_NAMES: Final = tuple(REASONS_V5.get(c, f"unknown-{c}") for c in range(256))
SUBACK_V3_NAMES: Final = tuple(SUBACK_V3.get(c, f"unknown-{c}") for c in range(256))

# MQTT 5 property identifiers: id -> (name, kind). Kinds: "b" byte, "h" two-byte int, "i" four-byte
# int, "v" variable byte int, "s" UTF-8 string, "d" binary data, "p" UTF-8 string pair
PROPERTIES: Final[dict[int, tuple[str, str]]] = {
    0x01: ("payload_format_indicator", "b"), 0x02: ("message_expiry_interval", "i"),
    0x03: ("content_type", "s"), 0x08: ("response_topic", "s"), 0x09: ("correlation_data", "d"),
    0x0B: ("subscription_identifier", "v"), 0x11: ("session_expiry_interval", "i"),
    0x12: ("assigned_client_identifier", "s"), 0x13: ("server_keep_alive", "h"),
    0x15: ("authentication_method", "s"), 0x16: ("authentication_data", "d"),
    0x17: ("request_problem_information", "b"), 0x18: ("will_delay_interval", "i"),
    0x19: ("request_response_information", "b"), 0x1A: ("response_information", "s"),
    0x1C: ("server_reference", "s"), 0x1F: ("reason_string", "s"), 0x21: ("receive_maximum", "h"),
    0x22: ("topic_alias_maximum", "h"), 0x23: ("topic_alias", "h"), 0x24: ("maximum_qos", "b"),
    0x25: ("retain_available", "b"), 0x26: ("user_property", "p"), 0x27: ("maximum_packet_size", "i"),
    0x28: ("wildcard_subscription_available", "b"), 0x29: ("subscription_identifier_available", "b"),
    0x2A: ("shared_subscription_available", "b"),
}
