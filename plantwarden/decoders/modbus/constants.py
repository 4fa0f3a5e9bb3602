"""Modbus/TCP code tables: function codes, exception codes, sub-functions, object ids.

Every table maps a number to a snake_case name; :func:`name_of` renders an unknown number as
``unknown-<n>`` so a lookup never fails. Event names are precomputed per function code so the hot
path does a single tuple index.
"""

from __future__ import annotations

from typing import Final

from plantwarden.decoders.names import name_of  # noqa: F401  (re-exported to the package)

#: MBAP header: transaction id, protocol id, length, unit id (7 bytes), then the function code.
MBAP_LEN: Final = 7
#: the MBAP length field counts the unit id and the PDU; the PDU is at most 253 bytes.
MIN_LENGTH: Final = 2
MAX_LENGTH: Final = 254
#: longer ADUs exist in the wild (Schneider UMAS sends 255); a synchronised stream accepts lengths up
#: to this with the weird ``modbus_oversized_adu``, as Wireshark and Zeek decode them too
MAX_ACCEPTED_LENGTH: Final = 2048
#: the largest ADU (MBAP + PDU)
MAX_ADU: Final = 6 + MAX_LENGTH
#: never keep more than this many unparsed bytes per direction
MAX_BUFFER: Final = 4096
#: never remember more than this many outstanding requests per flow
MAX_PENDING: Final = 1024

EXCEPTION_BIT: Final = 0x80

FUNCTIONS: Final[dict[int, str]] = {
    1: "read_coils",
    2: "read_discrete_inputs",
    3: "read_holding_registers",
    4: "read_input_registers",
    5: "write_single_coil",
    6: "write_single_register",
    7: "read_exception_status",
    8: "diagnostics",
    11: "get_comm_event_counter",
    12: "get_comm_event_log",
    15: "write_multiple_coils",
    16: "write_multiple_registers",
    17: "report_server_id",
    20: "read_file_record",
    21: "write_file_record",
    22: "mask_write_register",
    23: "read_write_multiple_registers",
    24: "read_fifo_queue",
    43: "encapsulated_interface_transport",
    90: "umas",
}

#: function code 90 is Schneider Electric's UMAS (vendor specific, carried inside Modbus)
UMAS_FC: Final = 90
MEI_FC: Final = 43
DIAG_FC: Final = 8

EXCEPTIONS: Final[dict[int, str]] = {
    1: "illegal_function",
    2: "illegal_data_address",
    3: "illegal_data_value",
    4: "server_device_failure",
    5: "acknowledge",
    6: "server_device_busy",
    7: "negative_acknowledge",
    8: "memory_parity_error",
    10: "gateway_path_unavailable",
    11: "gateway_target_device_failed_to_respond",
}

DIAGNOSTIC_SUBFUNCTIONS: Final[dict[int, str]] = {
    0: "return_query_data",
    1: "restart_communications_option",
    2: "return_diagnostic_register",
    3: "change_ascii_input_delimiter",
    4: "force_listen_only_mode",
    10: "clear_counters_and_diagnostic_register",
    11: "return_bus_message_count",
    12: "return_bus_communication_error_count",
    13: "return_bus_exception_error_count",
    14: "return_server_message_count",
    15: "return_server_no_response_count",
    16: "return_server_nak_count",
    17: "return_server_busy_count",
    18: "return_bus_character_overrun_count",
    19: "return_iop_overrun_count",
    20: "clear_overrun_counter_and_flag",
    21: "get_clear_modbus_plus_statistics",
}

#: MEI types of function 43
MEI_TYPES: Final[dict[int, str]] = {
    13: "canopen_general_reference",
    14: "read_device_identification",
}
MEI_CANOPEN: Final = 13
MEI_DEVICE_ID: Final = 14

READ_DEVICE_ID_CODES: Final[dict[int, str]] = {
    1: "basic",
    2: "regular",
    3: "extended",
    4: "individual",
}

CONFORMITY_LEVELS: Final[dict[int, str]] = {
    0x01: "basic_stream",
    0x02: "regular_stream",
    0x03: "extended_stream",
    0x81: "basic_stream_and_individual",
    0x82: "regular_stream_and_individual",
    0x83: "extended_stream_and_individual",
}

#: device identification objects 0x00-0x06 -> keys of the ``identity`` field
DEVICE_ID_OBJECTS: Final[dict[int, str]] = {
    0x00: "vendor",
    0x01: "product_code",
    0x02: "revision",
    0x03: "vendor_url",
    0x04: "product_name",
    0x05: "model",
    0x06: "user_application_name",
}

#: Schneider UMAS sub-function codes (the third byte of a function-90 request PDU), from public
#: research on the protocol.
UMAS_FUNCTIONS: Final[dict[int, str]] = {
    0x01: "init_comm",
    0x02: "read_id",
    0x03: "read_project_info",
    0x04: "read_plc_info",
    0x06: "read_card_info",
    0x0A: "repeat",
    0x10: "take_plc_reservation",
    0x11: "release_plc_reservation",
    0x12: "keep_alive",
    0x20: "read_memory_block",
    0x22: "read_variables",
    0x23: "write_variables",
    0x24: "read_coils_registers",
    0x25: "write_coils_registers",
    0x26: "enable_disable_data_dictionary",
    0x30: "initialize_upload",
    0x31: "upload_block",
    0x32: "end_strategy_upload",
    0x33: "initialize_download",
    0x34: "download_block",
    0x35: "end_strategy_download",
    0x39: "read_ethernet_master_data",
    0x40: "start_plc",
    0x41: "stop_plc",
    0x50: "monitor_plc",
    0x58: "check_plc",
    0x70: "read_io_object",
    0x71: "write_io_object",
    0x73: "get_status_module",
}
UMAS_STATUS: Final[dict[int, str]] = {0xFE: "ok", 0xFD: "error"}


def _event_names(suffix: str) -> tuple[str, ...]:
    return tuple(
        f"modbus_{FUNCTIONS[fc]}_{suffix}" if fc in FUNCTIONS else f"modbus_unknown_function_{suffix}"
        for fc in range(128)
    )


#: event names indexed by function code (0-127, without the exception bit)
REQUEST_EVENTS: Final = _event_names("request")
RESPONSE_EVENTS: Final = _event_names("response")
EXCEPTION_EVENTS: Final = _event_names("exception")
FUNCTION_NAMES: Final = tuple(name_of(FUNCTIONS, fc) for fc in range(128))
EXCEPTION_NAMES: Final = tuple(name_of(EXCEPTIONS, c) for c in range(256))

#: event names of function 43 by MEI type (other MEI types keep the generic name)
MEI_EVENTS: Final[dict[int, tuple[str, str, str]]] = {
    mei: (f"modbus_{n}_request", f"modbus_{n}_response", f"modbus_{n}_exception") for mei, n in MEI_TYPES.items()
}

#: function codes (without the exception bit) a resynchronising parser accepts
PLAUSIBLE_FUNCTIONS: Final = frozenset(FUNCTIONS)

#: bit lists of every byte value, least significant bit first (coil/discrete-input order)
BITS: Final = tuple(tuple((b >> i) & 1 for i in range(8)) for b in range(256))
