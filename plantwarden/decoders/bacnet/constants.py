"""BACnet/IP code tables: BVLC functions, network layer messages, APDU types, services, reasons.

Every table maps a number to a snake_case name; :func:`name_of` renders an unknown number as
``unknown-<n>``. Event names are precomputed per service so the hot path does one lookup.
The object type, property and error code tables are in ``tables.py``; vendor ids in ``vendors.py``.
"""

from __future__ import annotations

from typing import Final

from plantwarden.decoders.bacnet.tables import ERROR_CODES, OBJECT_TYPES, PROPERTIES
from plantwarden.decoders.bacnet.vendors import VENDORS
from plantwarden.decoders.names import name_of  # noqa: F401  (re-exported to the package)

PORT: Final = 47808
#: BVLC type octet of BACnet/IP (Annex J); 0x82 is BACnet/IPv6 (Annex U)
BVLC_TYPE: Final = 0x81
BVLC_TYPE_IPV6: Final = 0x82
BVLC_LEN: Final = 4
#: never keep more than this many confirmed requests waiting for their answer per flow
MAX_PENDING: Final = 1024
#: segmented messages being reassembled per flow, and the bytes one may grow to
MAX_REASSEMBLIES: Final = 64
MAX_REASSEMBLED: Final = 1 << 20
#: decoded values kept per property, and characters kept per string value
MAX_VALUES: Final = 1024
MAX_STRING: Final = 256
#: list entries kept (properties of a ReadPropertyMultiple, BDT/FDT entries, networks)
MAX_ITEMS: Final = 256

BVLC_FUNCTIONS: Final[dict[int, str]] = {
    0x00: "result",
    0x01: "write_broadcast_distribution_table",
    0x02: "read_broadcast_distribution_table",
    0x03: "read_broadcast_distribution_table_ack",
    0x04: "forwarded_npdu",
    0x05: "register_foreign_device",
    0x06: "read_foreign_device_table",
    0x07: "read_foreign_device_table_ack",
    0x08: "delete_foreign_device_table_entry",
    0x09: "distribute_broadcast_to_network",
    0x0A: "original_unicast_npdu",
    0x0B: "original_broadcast_npdu",
    0x0C: "secured_bvll",
}
#: BVLC functions followed by an NPDU
NPDU_FUNCTIONS: Final = frozenset({0x04, 0x09, 0x0A, 0x0B})
BVLC_RESULTS: Final[dict[int, str]] = {
    0x00: "successful_completion",
    0x10: "write_broadcast_distribution_table_nak",
    0x20: "read_broadcast_distribution_table_nak",
    0x30: "register_foreign_device_nak",
    0x40: "read_foreign_device_table_nak",
    0x50: "delete_foreign_device_table_entry_nak",
    0x60: "distribute_broadcast_to_network_nak",
}

NETWORK_MESSAGES: Final[dict[int, str]] = {
    0x00: "who_is_router_to_network",
    0x01: "i_am_router_to_network",
    0x02: "i_could_be_router_to_network",
    0x03: "reject_message_to_network",
    0x04: "router_busy_to_network",
    0x05: "router_available_to_network",
    0x06: "initialize_routing_table",
    0x07: "initialize_routing_table_ack",
    0x08: "establish_connection_to_network",
    0x09: "disconnect_connection_to_network",
    0x0A: "challenge_request",
    0x0B: "security_payload",
    0x0C: "security_response",
    0x0D: "request_key_update",
    0x0E: "update_key_set",
    0x0F: "update_distribution_key",
    0x10: "request_master_key",
    0x11: "set_master_key",
    0x12: "what_is_network_number",
    0x13: "network_number_is",
}
NETWORK_REJECT_REASONS: Final[dict[int, str]] = {
    0: "other",
    1: "not_directly_connected",
    2: "router_busy",
    3: "unknown_network_message",
    4: "message_too_long",
    5: "security_error",
    6: "addressing_error",
}
PRIORITIES: Final = ("normal", "urgent", "critical_equipment", "life_safety")

CONFIRMED_REQUEST: Final = 0
UNCONFIRMED_REQUEST: Final = 1
SIMPLE_ACK: Final = 2
COMPLEX_ACK: Final = 3
SEGMENT_ACK: Final = 4
ERROR: Final = 5
REJECT: Final = 6
ABORT: Final = 7
APDU_TYPES: Final = ("confirmed_request", "unconfirmed_request", "simple_ack", "complex_ack",
                     "segment_ack", "error", "reject", "abort")

CONFIRMED_SERVICES: Final[dict[int, str]] = {
    0: "acknowledge_alarm", 1: "confirmed_cov_notification", 2: "confirmed_event_notification",
    3: "get_alarm_summary", 4: "get_enrollment_summary", 5: "subscribe_cov", 6: "atomic_read_file",
    7: "atomic_write_file", 8: "add_list_element", 9: "remove_list_element", 10: "create_object",
    11: "delete_object", 12: "read_property", 13: "read_property_conditional", 14: "read_property_multiple",
    15: "write_property", 16: "write_property_multiple", 17: "device_communication_control",
    18: "confirmed_private_transfer", 19: "confirmed_text_message", 20: "reinitialize_device",
    21: "vt_open", 22: "vt_close", 23: "vt_data", 24: "authenticate", 25: "request_key", 26: "read_range",
    27: "life_safety_operation", 28: "subscribe_cov_property", 29: "get_event_information",
    30: "subscribe_cov_property_multiple", 31: "confirmed_cov_notification_multiple",
    32: "confirmed_audit_notification", 33: "audit_log_query",
}
UNCONFIRMED_SERVICES: Final[dict[int, str]] = {
    0: "i_am", 1: "i_have", 2: "unconfirmed_cov_notification", 3: "unconfirmed_event_notification",
    4: "unconfirmed_private_transfer", 5: "unconfirmed_text_message", 6: "time_synchronization",
    7: "who_has", 8: "who_is", 9: "utc_time_synchronization", 10: "write_group",
    11: "unconfirmed_cov_notification_multiple", 12: "unconfirmed_audit_notification", 13: "who_am_i",
    14: "you_are",
}

ERROR_CLASSES: Final[dict[int, str]] = {
    0: "device", 1: "object", 2: "property", 3: "resources", 4: "security", 5: "services", 6: "vt",
    7: "communication",
}
REJECT_REASONS: Final[dict[int, str]] = {
    0: "other", 1: "buffer_overflow", 2: "inconsistent_parameters", 3: "invalid_parameter_data_type",
    4: "invalid_tag", 5: "missing_required_parameter", 6: "parameter_out_of_range", 7: "too_many_arguments",
    8: "undefined_enumeration", 9: "unrecognized_service",
}
ABORT_REASONS: Final[dict[int, str]] = {
    0: "other", 1: "buffer_overflow", 2: "invalid_apdu_in_this_state", 3: "preempted_by_higher_priority_task",
    4: "segmentation_not_supported", 5: "security_error", 6: "insufficient_security",
    7: "window_size_out_of_range", 8: "application_exceeded_reply_time", 9: "out_of_resources",
    10: "tsm_timeout", 11: "apdu_too_long",
}
SEGMENTATION: Final[dict[int, str]] = {
    0: "segmented_both", 1: "segmented_transmit", 2: "segmented_receive", 3: "no_segmentation",
}
#: max-segments-accepted field of a confirmed request (0 = unspecified)
MAX_SEGMENTS: Final = (None, 2, 4, 8, 16, 32, 64, 65)
#: max-APDU-length-accepted field of a confirmed request
MAX_APDU: Final[dict[int, int]] = {0: 50, 1: 128, 2: 206, 3: 480, 4: 1024, 5: 1476}
DCC_STATES: Final[dict[int, str]] = {0: "enable", 1: "disable", 2: "disable_initiation"}
REINIT_STATES: Final[dict[int, str]] = {
    0: "coldstart", 1: "warmstart", 2: "start_backup", 3: "end_backup", 4: "start_restore",
    5: "end_restore", 6: "abort_restore", 7: "activate_changes",
}
#: application tag numbers
APP_TAGS: Final = ("null", "boolean", "unsigned", "signed", "real", "double", "octet_string",
                   "character_string", "bit_string", "enumerated", "date", "time", "object_id")
#: character sets of a character string (the first octet)
CHARSETS: Final[dict[int, str]] = {0: "utf-8", 3: "utf-32-be", 4: "utf-16-be", 5: "latin-1"}

#: device-object properties that name the device -> ``identity`` key
IDENTITY_PROPERTIES: Final[dict[int, str]] = {
    121: "vendor",
    120: "vendor_id",
    70: "model",
    44: "firmware",
    12: "application_version",
    77: "name",
    58: "location",
    28: "description",
    372: "serial_number",
}
DEVICE: Final = 8


def _names(table: dict[int, str], n: int) -> tuple[str, ...]:
    return tuple(name_of(table, i) for i in range(n))


OBJECT_TYPE_NAMES: Final = _names(OBJECT_TYPES, 1024)
PROPERTY_NAMES: Final = _names(PROPERTIES, 1024)
CONFIRMED_NAMES: Final = _names(CONFIRMED_SERVICES, 256)
UNCONFIRMED_NAMES: Final = _names(UNCONFIRMED_SERVICES, 256)
BVLC_NAMES: Final = _names(BVLC_FUNCTIONS, 256)


def _events(table: dict[int, str], suffix: str, unknown: str) -> tuple[str, ...]:
    return tuple(f"bacnet_{table[i]}{suffix}" if i in table else unknown for i in range(256))


#: event names indexed by service choice
REQUEST_EVENTS: Final = _events(CONFIRMED_SERVICES, "_request", "bacnet_unknown_service_request")
ACK_EVENTS: Final = _events(CONFIRMED_SERVICES, "_ack", "bacnet_unknown_service_ack")
ERROR_EVENTS: Final = _events(CONFIRMED_SERVICES, "_error", "bacnet_unknown_service_error")
UNCONFIRMED_EVENTS: Final = _events(UNCONFIRMED_SERVICES, "", "bacnet_unknown_unconfirmed_service")
BVLC_EVENTS: Final = tuple(f"bacnet_bvlc_{BVLC_FUNCTIONS[i]}" if i in BVLC_FUNCTIONS else "bacnet_bvlc_unknown"
                           for i in range(256))
NETWORK_EVENTS: Final = tuple(f"bacnet_network_{NETWORK_MESSAGES[i]}" if i in NETWORK_MESSAGES
                              else "bacnet_network_unknown_message" for i in range(256))


def object_type_name(t: int) -> str:
    return OBJECT_TYPE_NAMES[t] if t < 1024 else f"unknown-{t}"


def property_name(p: int) -> str:
    return PROPERTY_NAMES[p] if p < 1024 else name_of(PROPERTIES, p)


def vendor_name(v: int) -> str | None:
    return VENDORS.get(v)


__all__ = ["ERROR_CODES", "OBJECT_TYPES", "PROPERTIES", "VENDORS"]
