"""HART-IP and HART code tables: message types and ids, status and response codes, command numbers.

Every table maps a number to a snake_case name; :func:`name_of` renders an unknown number as
``unknown-<n>``. Event names are precomputed per (message id, message type).
"""

from __future__ import annotations

from typing import Final

from plantwarden.decoders.names import name_of  # noqa: F401  (re-exported to the package)

PORT: Final = 5094
HEADER_LEN: Final = 8
#: never keep more than this many unparsed octets per direction (a message is at most 65535)
MAX_BUFFER: Final = 65536 + HEADER_LEN
#: requests remembered per flow for pairing
MAX_PENDING: Final = 1024
#: octets a resynchronising TCP direction may skip before the flow is declared not HART-IP
MAX_JUNK: Final = 65536
VERSIONS: Final = frozenset({1, 2})

MESSAGE_TYPES: Final[dict[int, str]] = {0: "request", 1: "response", 2: "publish", 3: "error", 15: "nak"}
MESSAGE_IDS: Final[dict[int, str]] = {
    0: "session_initiate",
    1: "session_close",
    2: "keep_alive",
    3: "token_passing_pdu",
    4: "direct_pdu",
    5: "read_audit_log",
}
#: header status (responses) and HART response codes (the common, command-independent meanings)
STATUS: Final[dict[int, str]] = {
    0: "success",
    1: "undefined",
    2: "invalid_selection",
    3: "passed_parameter_too_large",
    4: "passed_parameter_too_small",
    5: "too_few_data_bytes",
    6: "device_specific_command_error",
    7: "in_write_protect_mode",
    8: "set_to_nearest_possible_value",
    9: "lower_range_value_too_high",
    10: "lower_range_value_too_low",
    11: "upper_range_value_too_high",
    12: "upper_range_value_too_low",
    13: "upper_and_lower_range_values_out_of_limits",
    14: "span_too_small",
    15: "all_sessions_in_use",
    16: "access_restricted",
    32: "busy",
    33: "delayed_response_initiated",
    34: "delayed_response_running",
    35: "delayed_response_dead",
    36: "delayed_response_conflict",
    64: "command_not_implemented",
}
MASTER_TYPES: Final[dict[int, str]] = {0: "secondary", 1: "primary"}
#: delimiter frame types (bits 0-2)
FRAME_TYPES: Final[dict[int, str]] = {1: "back", 2: "stx", 6: "ack"}
PHYSICAL_LAYERS: Final = ("asynchronous", "synchronous", "unknown-2", "unknown-3")
#: device status bits (the second octet of a field device's answer), most significant first
DEVICE_STATUS_BITS: Final = (
    (0x80, "device_malfunction"),
    (0x40, "configuration_changed"),
    (0x20, "cold_start"),
    (0x10, "more_status_available"),
    (0x08, "loop_current_fixed"),
    (0x04, "loop_current_saturated"),
    (0x02, "non_primary_variable_out_of_limits"),
    (0x01, "primary_variable_out_of_limits"),
)

#: HART universal commands (0-22, 38, 48) and common practice commands
COMMANDS: Final[dict[int, str]] = {
    0: "read_unique_identifier",
    1: "read_primary_variable",
    2: "read_loop_current_and_percent_of_range",
    3: "read_dynamic_variables_and_loop_current",
    6: "write_polling_address",
    7: "read_loop_configuration",
    8: "read_dynamic_variable_classifications",
    9: "read_device_variables_with_status",
    11: "read_unique_identifier_associated_with_tag",
    12: "read_message",
    13: "read_tag_descriptor_date",
    14: "read_primary_variable_transducer_information",
    15: "read_device_information",
    16: "read_final_assembly_number",
    17: "write_message",
    18: "write_tag_descriptor_date",
    19: "write_final_assembly_number",
    20: "read_long_tag",
    21: "read_unique_identifier_associated_with_long_tag",
    22: "write_long_tag",
    31: "extended_command",
    33: "read_device_variables",
    34: "write_primary_variable_damping_value",
    35: "write_primary_variable_range_values",
    36: "set_primary_variable_upper_range_value",
    37: "set_primary_variable_lower_range_value",
    38: "reset_configuration_changed_flag",
    39: "eeprom_control",
    40: "enter_exit_fixed_current_mode",
    41: "perform_self_test",
    42: "perform_device_reset",
    43: "set_primary_variable_zero",
    44: "write_primary_variable_units",
    45: "trim_loop_current_zero",
    46: "trim_loop_current_gain",
    47: "write_primary_variable_transfer_function",
    48: "read_additional_device_status",
    49: "write_primary_variable_transducer_serial_number",
    50: "read_dynamic_variable_assignments",
    51: "write_dynamic_variable_assignments",
    52: "set_device_variable_zero",
    53: "write_device_variable_units",
    54: "read_device_variable_information",
    55: "write_device_variable_damping_value",
    56: "write_device_variable_transducer_serial_number",
    57: "read_unit_tag_descriptor_date",
    58: "write_unit_tag_descriptor_date",
    59: "write_number_of_response_preambles",
    60: "read_analog_channel_and_percent_of_range",
    62: "read_analog_channels",
    63: "read_analog_channel_information",
    64: "write_analog_channel_additional_damping_value",
    65: "write_analog_channel_range_values",
    66: "enter_exit_fixed_analog_channel_mode",
    67: "trim_analog_channel_zero",
    68: "trim_analog_channel_gain",
    69: "write_analog_channel_transfer_function",
    70: "read_analog_channel_endpoint_values",
    71: "lock_device",
    72: "squawk",
    73: "find_device",
    74: "read_io_system_capabilities",
    75: "poll_sub_device",
    76: "read_lock_device_state",
    77: "send_command_to_sub_device",
    78: "read_aggregated_commands",
    79: "write_device_variable",
    80: "read_device_variable_trim_points",
    81: "read_device_variable_trim_guidelines",
    82: "write_device_variable_trim_point",
    83: "reset_device_variable_trim",
    84: "read_sub_device_identity_summary",
    85: "read_io_channel_statistics",
    86: "read_sub_device_statistics",
    87: "write_io_system_master_mode",
    88: "write_io_system_retry_count",
    89: "set_real_time_clock",
    90: "read_real_time_clock",
    91: "read_trend_configuration",
    92: "write_trend_configuration",
    93: "read_trend",
    94: "read_io_system_client_side_communication_statistics",
    95: "read_device_communication_statistics",
    96: "read_synchronous_action",
    97: "configure_synchronous_action",
    98: "read_command_action",
    99: "configure_command_action",
    101: "read_sub_device_to_burst_message_map",
    102: "map_sub_device_to_burst_message",
    103: "write_burst_period",
    104: "write_burst_trigger",
    105: "read_burst_mode_configuration",
    106: "flush_delayed_responses",
    107: "write_burst_device_variables",
    108: "write_burst_mode_command_number",
    109: "burst_mode_control",
}


COMMAND_NAMES: Final = tuple(name_of(COMMANDS, c) for c in range(256))
STATUS_NAMES: Final = tuple(name_of(STATUS, c) for c in range(256))
TYPE_NAMES: Final = tuple(name_of(MESSAGE_TYPES, c) for c in range(256))
ID_NAMES: Final = tuple(name_of(MESSAGE_IDS, c) for c in range(256))
#: event names of the known (message id, message type) pairs
EVENTS: Final[dict[tuple[int, int], str]] = {
    (i, t): f"hartip_{n}_{tn}" for i, n in MESSAGE_IDS.items() for t, tn in MESSAGE_TYPES.items()
}


def event_name(mid: int, mtype: int) -> str:
    name = EVENTS.get((mid, mtype))
    if name is not None:
        return name
    return f"hartip_{MESSAGE_IDS.get(mid, 'unknown_message')}_{MESSAGE_TYPES.get(mtype, 'unknown_type')}"
