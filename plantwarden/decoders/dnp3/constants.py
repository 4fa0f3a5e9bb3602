"""DNP3 code tables: link and application function codes, IIN bits, object groups, control codes.

Every table maps a number to a snake_case name; lookups go through 256-entry tuples built here (see
:func:`table`) so an unknown number renders as ``unknown-<n>`` without a branch on the hot path.
"""

from __future__ import annotations

from typing import Final

#: the link layer: start bytes, the fixed 10-byte header (start, length, control, dst, src, CRC)
START: Final = b"\x05\x64"
HEADER_LEN: Final = 10
#: the length byte counts control, destination, source and user data (CRCs excluded): 5..255
MIN_LEN_FIELD: Final = 5
#: user data is sent in blocks of 16 bytes, each followed by its CRC
BLOCK: Final = 16
#: the longest link frame (length byte 255: 250 bytes of user data in 16 blocks)
MAX_FRAME: Final = 292
#: never reassemble an application fragment longer than this (the standard's default maximum is 2048)
MAX_FRAGMENT: Final = 65536
#: transport reassemblies kept per direction (one per link source/destination pair)
MAX_ASSOCIATIONS: Final = 16
#: bytes a flow may skip while looking for a frame before it is declared not DNP3
MAX_JUNK: Final = 4096
#: points decoded per object header (more are counted, not listed)
MAX_POINTS: Final = 4096


def table(names: dict[int, str], size: int = 256) -> tuple[str, ...]:
    """A tuple indexable by every code in ``range(size)``: the name, or ``unknown-<n>``."""
    return tuple(names.get(i, f"unknown-{i}") for i in range(size))


def name_of(names: tuple[str, ...], code: int) -> str:
    return names[code] if 0 <= code < len(names) else f"unknown-{code}"


# -- link layer ---------------------------------------------------------------------------------

CTRL_DIR: Final = 0x80
CTRL_PRM: Final = 0x40
CTRL_FCB: Final = 0x20
CTRL_FCV: Final = 0x10  # primary frames: frame count valid; secondary frames: data flow control (DFC)

LINK_PRIMARY: Final = table({
    0: "reset_link_states",
    1: "reset_user_process",
    2: "test_link_states",
    3: "confirmed_user_data",
    4: "unconfirmed_user_data",
    9: "request_link_status",
}, 16)
LINK_SECONDARY: Final = table({
    0: "ack",
    1: "nack",
    11: "link_status",
    14: "link_service_not_functioning",
    15: "link_service_not_used",
}, 16)
#: primary functions that carry user data (a transport segment)
USER_DATA_FUNCTIONS: Final = frozenset({3, 4})

# -- transport layer ----------------------------------------------------------------------------

TR_FIN: Final = 0x80
TR_FIR: Final = 0x40
TR_SEQ: Final = 0x3F

# -- application layer --------------------------------------------------------------------------

AC_FIR: Final = 0x80
AC_FIN: Final = 0x40
AC_CON: Final = 0x20
AC_UNS: Final = 0x10
AC_SEQ: Final = 0x0F

FUNCTIONS: Final[dict[int, str]] = {
    0: "confirm",
    1: "read",
    2: "write",
    3: "select",
    4: "operate",
    5: "direct_operate",
    6: "direct_operate_nr",
    7: "immediate_freeze",
    8: "immediate_freeze_nr",
    9: "freeze_clear",
    10: "freeze_clear_nr",
    11: "freeze_at_time",
    12: "freeze_at_time_nr",
    13: "cold_restart",
    14: "warm_restart",
    15: "initialize_data",
    16: "initialize_application",
    17: "start_application",
    18: "stop_application",
    19: "save_configuration",
    20: "enable_unsolicited",
    21: "disable_unsolicited",
    22: "assign_class",
    23: "delay_measurement",
    24: "record_current_time",
    25: "open_file",
    26: "close_file",
    27: "delete_file",
    28: "get_file_info",
    29: "authenticate_file",
    30: "abort_file",
    31: "activate_configuration",
    32: "authenticate_request",
    33: "authenticate_request_no_ack",
    129: "response",
    130: "unsolicited_response",
    131: "authenticate_response",
}
FUNCTION_NAMES: Final = table(FUNCTIONS)
RESPONSE_FUNCTIONS: Final = frozenset({129, 130, 131})


def _event_name(fc: int) -> str:
    if fc not in FUNCTIONS:
        return "dnp3_unknown_function"
    name = FUNCTIONS[fc]
    if fc == 0 or fc in RESPONSE_FUNCTIONS or name.startswith("authenticate_request"):
        return "dnp3_" + name
    return f"dnp3_{name}_request"


EVENT_NAMES: Final = tuple(_event_name(i) for i in range(256))

#: requests whose object headers carry no object data (only headers, and index prefixes if any)
NO_DATA_REQUESTS: Final = frozenset({1, 7, 8, 9, 10, 13, 14, 15, 19, 20, 21, 22, 23, 24})

#: IIN bits of the 16-bit value ``iin1 << 8 | iin2`` (as Wireshark's dnp3.al.iin and Zeek's iin)
IIN_BITS: Final[tuple[tuple[int, str], ...]] = (
    (0x0100, "broadcast"),
    (0x0200, "class_1_events"),
    (0x0400, "class_2_events"),
    (0x0800, "class_3_events"),
    (0x1000, "need_time"),
    (0x2000, "local_control"),
    (0x4000, "device_trouble"),
    (0x8000, "device_restart"),
    (0x0001, "no_function_code_support"),
    (0x0002, "object_unknown"),
    (0x0004, "parameter_error"),
    (0x0008, "event_buffer_overflow"),
    (0x0010, "already_executing"),
    (0x0020, "config_corrupt"),
    (0x0040, "reserved_2"),
    (0x0080, "reserved_1"),
)

# -- objects ------------------------------------------------------------------------------------

GROUPS: Final[dict[int, str]] = {
    0: "device_attributes",
    1: "binary_input",
    2: "binary_input_event",
    3: "double_bit_binary_input",
    4: "double_bit_binary_input_event",
    10: "binary_output",
    11: "binary_output_event",
    12: "binary_output_command",
    13: "binary_output_command_event",
    20: "counter",
    21: "frozen_counter",
    22: "counter_event",
    23: "frozen_counter_event",
    30: "analog_input",
    31: "frozen_analog_input",
    32: "analog_input_event",
    33: "frozen_analog_input_event",
    34: "analog_input_deadband",
    40: "analog_output_status",
    41: "analog_output_command",
    42: "analog_output_event",
    43: "analog_output_command_event",
    50: "time_and_date",
    51: "common_time_of_occurrence",
    52: "time_delay",
    60: "class_data",
    70: "file_control",
    80: "internal_indications",
    81: "device_storage",
    82: "device_profile",
    83: "data_set_registration",
    85: "data_set_prototype",
    86: "data_set_descriptor",
    87: "data_set",
    88: "data_set_event",
    90: "application_identifier",
    91: "activate_configuration_status",
    100: "floating_point",
    101: "bcd_integer",
    102: "unsigned_integer",
    110: "octet_string",
    111: "octet_string_event",
    112: "virtual_terminal_output",
    113: "virtual_terminal_event",
    120: "authentication",
    121: "security_statistic",
    122: "security_statistic_event",
}
GROUP_NAMES: Final = table(GROUPS)

#: group 0 (device attributes): variation -> attribute name
ATTRIBUTES: Final[dict[int, str]] = {
    196: "configuration_id",
    197: "configuration_version",
    198: "configuration_build_date",
    199: "configuration_last_change_date",
    200: "configuration_digest",
    201: "configuration_digest_algorithm",
    202: "master_resource_id",
    203: "device_altitude",
    204: "device_longitude",
    205: "device_latitude",
    206: "user_assigned_secondary_operator_name",
    207: "user_assigned_primary_operator_name",
    208: "user_assigned_system_name",
    209: "secure_authentication_version",
    210: "security_statistics_per_association",
    211: "user_specific_attributes",
    212: "master_data_set_prototypes",
    213: "outstation_data_set_prototypes",
    214: "master_data_sets",
    215: "outstation_data_sets",
    216: "max_binary_outputs_per_request",
    217: "local_timing_accuracy",
    218: "time_accuracy_duration",
    219: "analog_output_events_supported",
    220: "max_analog_output_index",
    221: "analog_outputs",
    222: "binary_output_events_supported",
    223: "max_binary_output_index",
    224: "binary_outputs",
    225: "frozen_counter_events_supported",
    226: "frozen_counters_supported",
    227: "counter_events_supported",
    228: "max_counter_index",
    229: "counters",
    230: "frozen_analog_inputs_supported",
    231: "analog_input_events_supported",
    232: "max_analog_input_index",
    233: "analog_inputs",
    234: "double_bit_input_events_supported",
    235: "max_double_bit_input_index",
    236: "double_bit_inputs",
    237: "binary_input_events_supported",
    238: "max_binary_input_index",
    239: "binary_inputs",
    240: "max_transmit_fragment_size",
    241: "max_receive_fragment_size",
    242: "software_version",
    243: "hardware_version",
    244: "user_assigned_owner_name",
    245: "user_assigned_location",
    246: "user_assigned_id",
    247: "user_assigned_device_name",
    248: "serial_number",
    249: "subset_and_conformance",
    250: "product_name_and_model",
    252: "manufacturer_name",
    254: "all_attributes_request",
    255: "attribute_list",
}
ATTRIBUTE_NAMES: Final = table(ATTRIBUTES)
#: group 0 variation -> the normalised identity key (docs/protocols/dnp3.md)
IDENTITY_KEYS: Final[dict[int, str]] = {
    252: "vendor",
    250: "product_name",
    242: "firmware",
    243: "hardware",
    248: "serial_number",
    247: "name",
    245: "location",
    196: "application_version",
}

#: group 120 (Secure Authentication) variations
AUTH_VARIATIONS: Final = table({
    1: "challenge",
    2: "reply",
    3: "aggressive_mode_request",
    4: "session_key_status_request",
    5: "session_key_status",
    6: "session_key_change",
    7: "error",
    8: "user_certificate",
    9: "mac",
    10: "user_status_change",
    11: "update_key_change_request",
    12: "update_key_change_reply",
    13: "update_key_change",
    14: "update_key_change_signature",
    15: "update_key_change_confirmation",
})
AUTH_MAC_ALGORITHMS: Final = table({
    1: "sha1_truncated_4", 2: "sha1_truncated_10", 3: "sha256_truncated_8", 4: "sha256_truncated_16",
    5: "sha1_truncated_8", 6: "aes_gmac",
})
AUTH_KEY_STATUS: Final = table({1: "ok", 2: "not_init", 3: "comm_fail", 4: "auth_fail"})
AUTH_ERRORS: Final = table({
    1: "authentication_failed", 2: "unexpected_response", 3: "no_response", 4: "aggressive_mode_not_supported",
    5: "mac_algorithm_not_supported", 6: "key_wrap_algorithm_not_supported", 7: "authorization_failed",
    8: "update_key_change_method_not_permitted", 9: "invalid_signature", 10: "invalid_certification_data",
    11: "unknown_user", 12: "max_session_key_status_requests_exceeded",
})
AUTH_REASONS: Final = table({1: "critical"})

#: CROB control code: operation type (bits 0-3), trip/close code (bits 6-7)
OPERATION_TYPES: Final = table({0: "nul", 1: "pulse_on", 2: "pulse_off", 3: "latch_on", 4: "latch_off"}, 16)
TRIP_CLOSE: Final = ("nul", "close", "trip", "reserved")
#: command status codes (CROB, analog output block, command events)
CONTROL_STATUS: Final = table({
    0: "success", 1: "timeout", 2: "no_select", 3: "format_error", 4: "not_supported", 5: "already_active",
    6: "hardware_error", 7: "local", 8: "too_many_objs", 9: "not_authorized", 10: "automation_inhibit",
    11: "processing_limited", 12: "out_of_range", 13: "downstream_local", 14: "already_complete",
    15: "blocked", 16: "canceled", 17: "blocked_other_master", 18: "downstream_fail",
    126: "reserved", 127: "undefined",
})

#: group 70 file status codes
FILE_STATUS: Final = table({
    0: "success", 1: "permission_denied", 2: "invalid_mode", 3: "file_not_found", 4: "file_locked",
    5: "too_many_open", 6: "invalid_handle", 7: "write_block_size", 8: "comm_lost", 9: "cannot_abort",
    16: "not_opened", 17: "handle_expired", 18: "buffer_overrun", 19: "fatal", 20: "block_sequence",
    255: "undefined",
})
FILE_MODES: Final = table({0: "null", 1: "read", 2: "write", 3: "append"}, 4)
