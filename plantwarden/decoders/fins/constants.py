"""Omron FINS code tables: command codes (MRC/SRC), end codes, memory areas, FINS/TCP commands.

Every table maps a number to a snake_case name; :func:`name_of` renders an unknown number as
``unknown-<n>`` so a lookup never fails. Names follow Omron's FINS command reference.
"""

from __future__ import annotations

from typing import Final

from plantwarden.decoders.names import name_of  # noqa: F401  (re-exported to the package)

#: FINS header: ICF RSV GCT DNA DA1 DA2 SNA SA1 SA2 SID, then MRC SRC
HEADER_LEN: Final = 10
#: ICF bits
ICF_GATEWAY: Final = 0x80
ICF_RESPONSE: Final = 0x40
ICF_NO_RESPONSE: Final = 0x01
ICF_RESERVED: Final = 0x3E

#: FINS/TCP: "FINS", length (counts the bytes after it), command, error code
TCP_MAGIC: Final = b"FINS"
TCP_HEADER_LEN: Final = 16
#: the largest FINS/TCP length accepted (a FINS frame is at most ~2 KB; be generous)
MAX_TCP_LENGTH: Final = 65536
#: never keep more than this many unparsed bytes per direction
MAX_BUFFER: Final = MAX_TCP_LENGTH + TCP_HEADER_LEN
#: never remember more than this many outstanding commands per flow
MAX_PENDING: Final = 256

TCP_COMMANDS: Final[dict[int, str]] = {
    0: "node_address_request",
    1: "node_address_response",
    2: "frame_send",
    3: "frame_send_error_notification",
    6: "connection_confirmation",
}
TCP_FRAME_SEND: Final = 2

TCP_ERRORS: Final[dict[int, str]] = {
    0x00: "normal",
    0x01: "header_not_fins",
    0x02: "data_length_too_long",
    0x03: "command_not_supported",
    0x20: "all_connections_in_use",
    0x21: "node_already_connected",
    0x22: "node_address_protected",
    0x23: "client_node_address_out_of_range",
    0x24: "same_node_address_in_use",
    0x25: "all_node_addresses_in_use",
}

#: command code (MRC << 8 | SRC) -> name
COMMANDS: Final[dict[int, str]] = {
    0x0101: "memory_area_read",
    0x0102: "memory_area_write",
    0x0103: "memory_area_fill",
    0x0104: "multiple_memory_area_read",
    0x0105: "memory_area_transfer",
    0x0201: "parameter_area_read",
    0x0202: "parameter_area_write",
    0x0203: "parameter_area_clear",
    0x0220: "data_link_table_read",
    0x0221: "data_link_table_write",
    0x0304: "program_area_protect",
    0x0305: "program_area_protect_clear",
    0x0306: "program_area_read",
    0x0307: "program_area_write",
    0x0308: "program_area_clear",
    0x0401: "run",
    0x0402: "stop",
    0x0501: "controller_data_read",
    0x0502: "connection_data_read",
    0x0601: "controller_status_read",
    0x0602: "network_status_read",
    0x0603: "data_link_status_read",
    0x0620: "cycle_time_read",
    0x0701: "clock_read",
    0x0702: "clock_write",
    0x0801: "internode_echo_test",
    0x0802: "broadcast_test_results_read",
    0x0803: "broadcast_test_data_send",
    0x0920: "message_read",
    0x0C01: "access_right_acquire",
    0x0C02: "access_right_forced_acquire",
    0x0C03: "access_right_release",
    0x2101: "error_clear",
    0x2102: "error_log_read",
    0x2103: "error_log_clear",
    0x2140: "fins_write_access_log_read",
    0x2141: "fins_write_access_log_clear",
    0x2201: "file_name_read",
    0x2202: "single_file_read",
    0x2203: "single_file_write",
    0x2204: "file_memory_format",
    0x2205: "file_delete",
    0x2206: "volume_label_create_delete",
    0x2207: "file_copy",
    0x2208: "file_name_change",
    0x2209: "file_data_check",
    0x220A: "memory_area_file_transfer",
    0x220B: "parameter_area_file_transfer",
    0x220C: "program_area_file_transfer",
    0x2215: "directory_create_delete",
    0x2301: "forced_set_reset",
    0x2302: "forced_set_reset_cancel",
}

#: commands an OT engineer treats as changes to the controller (``writes`` field)
WRITE_COMMANDS: Final = frozenset({
    0x0102, 0x0103, 0x0105, 0x0202, 0x0203, 0x0221, 0x0304, 0x0305, 0x0307, 0x0308, 0x0401, 0x0402,
    0x0702, 0x0C02, 0x2101, 0x2103, 0x2141, 0x2203, 0x2204, 0x2205, 0x2206, 0x2207, 0x2208, 0x220A,
    0x220B, 0x220C, 0x2215, 0x2301, 0x2302,
})

#: end code (main code & 0x7F) << 8 | (sub code & 0x3F) -> name
END_CODES: Final[dict[int, str]] = {
    0x0000: "normal_completion",
    0x0001: "service_canceled",
    0x0101: "local_node_not_in_network",
    0x0102: "token_timeout",
    0x0103: "retries_failed",
    0x0104: "too_many_send_frames",
    0x0105: "node_address_range_error",
    0x0106: "node_address_duplication",
    0x0201: "destination_node_not_in_network",
    0x0202: "unit_missing",
    0x0203: "third_node_missing",
    0x0204: "destination_node_busy",
    0x0205: "response_timeout",
    0x0301: "communications_controller_error",
    0x0302: "cpu_unit_error",
    0x0303: "controller_error",
    0x0304: "unit_number_error",
    0x0401: "undefined_command",
    0x0402: "not_supported_by_model_version",
    0x0501: "destination_address_setting_error",
    0x0502: "no_routing_tables",
    0x0503: "routing_table_error",
    0x0504: "too_many_relays",
    0x1001: "command_too_long",
    0x1002: "command_too_short",
    0x1003: "elements_data_dont_match",
    0x1004: "command_format_error",
    0x1005: "header_error",
    0x1101: "area_classification_missing",
    0x1102: "access_size_error",
    0x1103: "address_range_error",
    0x1104: "address_range_exceeded",
    0x1106: "program_missing",
    0x1109: "relational_error",
    0x110A: "duplicate_data_access",
    0x110B: "response_too_long",
    0x110C: "parameter_error",
    0x2002: "protected",
    0x2003: "table_missing",
    0x2004: "data_missing",
    0x2005: "program_missing",
    0x2006: "file_missing",
    0x2007: "data_mismatch",
    0x2101: "read_only",
    0x2102: "protected_data_link_table",
    0x2103: "cannot_register",
    0x2105: "program_missing",
    0x2106: "file_missing",
    0x2107: "file_name_already_exists",
    0x2108: "cannot_change",
    0x2201: "not_possible_during_execution",
    0x2202: "not_possible_while_running",
    0x2203: "wrong_plc_mode_program",
    0x2204: "wrong_plc_mode_debug",
    0x2205: "wrong_plc_mode_monitor",
    0x2206: "wrong_plc_mode_run",
    0x2207: "specified_node_not_polling_node",
    0x2208: "step_cannot_be_executed",
    0x2301: "file_device_missing",
    0x2302: "memory_missing",
    0x2303: "clock_missing",
    0x2401: "table_missing",
    0x2502: "memory_error",
    0x2503: "io_setting_error",
    0x2504: "too_many_io_points",
    0x2505: "cpu_bus_error",
    0x2506: "io_duplication",
    0x2507: "io_bus_error",
    0x2509: "sysmac_bus2_error",
    0x250A: "cpu_bus_unit_error",
    0x250D: "sysmac_bus_number_duplication",
    0x250F: "memory_error",
    0x2510: "sysmac_bus_terminator_missing",
    0x2601: "no_protection",
    0x2602: "incorrect_password",
    0x2604: "protected",
    0x2605: "service_already_executing",
    0x2606: "service_stopped",
    0x2607: "no_execution_right",
    0x2608: "settings_not_complete",
    0x2609: "necessary_items_not_set",
    0x260A: "number_already_defined",
    0x260B: "error_will_not_clear",
    0x3001: "no_access_right",
    0x4001: "service_aborted",
}

#: memory area codes (CS/CJ/CP series; the CV-mode codes 0x00/0x80 for CIO too)
MEMORY_AREAS: Final[dict[int, str]] = {
    0x00: "cio_bit_cv", 0x80: "cio_word_cv",
    0x01: "tim_cnt_flag_cv", 0x81: "tim_cnt_pv_cv",
    0x02: "dm_bit", 0x82: "dm_word",
    0x06: "task_flag_bit", 0x46: "task_flag_status",
    0x07: "clock_pulses_bit",
    0x09: "tim_cnt_completion_flag", 0x89: "tim_cnt_pv",
    0x30: "cio_bit", 0x31: "wr_bit", 0x32: "hr_bit", 0x33: "ar_bit",
    0x70: "cio_bit_forced", 0x71: "wr_bit_forced", 0x72: "hr_bit_forced",
    0xB0: "cio_word", 0xB1: "wr_word", 0xB2: "hr_word", 0xB3: "ar_word",
    0xF0: "cio_word_forced", 0xF1: "wr_word_forced", 0xF2: "hr_word_forced",
    0x98: "em_current_bank_word", 0xBC: "index_register", 0x9C: "data_register",
    **{0x20 + b: f"em_bank{b}_bit" for b in range(16)},
    **{0xA0 + b: f"em_bank{b}_word" for b in range(16)},
    **{0x50 + b: f"em_bank{b + 16}_bit" for b in range(9)},
    **{0xD0 + b: f"em_bank{b + 16}_word" for b in range(9)},
}

#: operating mode (run command data, controller status)
MODES: Final[dict[int, str]] = {0x00: "program", 0x01: "debug", 0x02: "monitor", 0x04: "run"}
RUN_STATUS: Final[dict[int, str]] = {0x00: "stop", 0x01: "run", 0x80: "standby"}
FORCED_SPECS: Final[dict[int, str]] = {0x0000: "force_reset", 0x0001: "force_set", 0x8000: "release_forced_reset",
                                       0x8001: "release_forced_set", 0xFFFF: "release"}


#: event names per command code: (request event, response event)
EVENTS: Final[dict[int, tuple[str, str]]] = {
    c: (f"fins_{n}_request", f"fins_{n}_response") for c, n in COMMANDS.items()
}
UNKNOWN_EVENTS: Final = ("fins_unknown_command_request", "fins_unknown_command_response")
