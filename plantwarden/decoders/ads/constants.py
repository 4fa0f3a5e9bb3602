"""Beckhoff ADS/AMS code tables: command ids, state flags, ADS states, error codes, index groups,
and the UDP (port 48899) discovery / route services and tags. Unknown numbers render ``unknown-<n>``.
"""

from __future__ import annotations

from typing import Final

from plantwarden.decoders.names import name_of  # noqa: F401  (re-exported to the package)

AMS_TCP_HEADER: Final = 6
AMS_HEADER: Final = 32
#: messages longer than this are decoded from their first bytes and the rest skipped
MAX_BUFFERED: Final = 65536
#: an AMS/TCP length above this is not ADS
MAX_LENGTH: Final = 16 * 1024 * 1024
MAX_PENDING: Final = 1024
#: bytes of payload shown as hex
MAX_HEX: Final = 256

COMMANDS: Final[dict[int, str]] = {
    0: "invalid",
    1: "read_device_info",
    2: "read",
    3: "write",
    4: "read_state",
    5: "write_control",
    6: "add_device_notification",
    7: "delete_device_notification",
    8: "device_notification",
    9: "read_write",
}
EVENTS: Final = tuple(
    (f"ads_{COMMANDS[c]}_request", f"ads_{COMMANDS[c]}_response") if c in COMMANDS
    else ("ads_unknown_command_request", "ads_unknown_command_response") for c in range(16))

#: commands that change the target (``is_write``)
WRITE_COMMANDS: Final = frozenset({3, 5, 9})

STATE_FLAGS: Final[dict[int, str]] = {
    0x0001: "response",
    0x0002: "no_return",
    0x0004: "ads_command",
    0x0008: "system_command",
    0x0010: "high_priority",
    0x0020: "timestamp_added",
    0x0040: "udp",
    0x0080: "init_command",
    0x8000: "broadcast",
}
FLAG_RESPONSE: Final = 0x0001

ADS_STATES: Final[dict[int, str]] = {
    0: "invalid", 1: "idle", 2: "reset", 3: "init", 4: "start", 5: "run", 6: "stop", 7: "save_config",
    8: "load_config", 9: "power_failure", 10: "power_good", 11: "error", 12: "shutdown", 13: "suspend",
    14: "resume", 15: "config", 16: "reconfig", 17: "stopping", 18: "incompatible", 19: "exception",
}

ERRORS: Final[dict[int, str]] = {
    0x000: "no_error", 0x001: "internal_error", 0x002: "no_realtime", 0x003: "allocation_locked_memory_error",
    0x004: "mailbox_full", 0x005: "wrong_receive_hmsg", 0x006: "target_port_not_found",
    0x007: "target_machine_not_found", 0x008: "unknown_command_id", 0x009: "bad_task_id", 0x00A: "no_io",
    0x00B: "unknown_ams_command", 0x00C: "win32_error", 0x00D: "port_not_connected",
    0x00E: "invalid_ams_length", 0x00F: "invalid_ams_net_id", 0x010: "low_installation_level",
    0x011: "no_debug_available", 0x012: "port_disabled", 0x013: "port_already_connected",
    0x014: "ams_sync_win32_error", 0x015: "ams_sync_timeout", 0x016: "ams_sync_ams_error",
    0x017: "ams_sync_no_index_map", 0x018: "invalid_ams_port", 0x019: "no_memory", 0x01A: "tcp_send_error",
    0x01B: "host_unreachable", 0x01C: "invalid_ams_fragment", 0x01D: "tls_send_error",
    0x01E: "access_denied",
    0x500: "router_no_locked_memory", 0x501: "router_resize_memory", 0x502: "router_mailbox_full",
    0x503: "router_debug_mailbox_full", 0x504: "router_unknown_port_type", 0x505: "router_not_initialized",
    0x506: "router_port_already_in_use", 0x507: "router_port_not_registered", 0x508: "router_no_more_queues",
    0x509: "router_invalid_port", 0x50A: "router_not_activated", 0x50B: "router_fragment_box_full",
    0x50C: "router_fragment_timeout", 0x50D: "router_to_be_removed",
    0x700: "device_error", 0x701: "service_not_supported", 0x702: "invalid_index_group",
    0x703: "invalid_index_offset", 0x704: "invalid_access", 0x705: "invalid_size", 0x706: "invalid_data",
    0x707: "not_ready", 0x708: "busy", 0x709: "invalid_context", 0x70A: "no_memory",
    0x70B: "invalid_parameter", 0x70C: "not_found", 0x70D: "syntax_error", 0x70E: "incompatible",
    0x70F: "exists", 0x710: "symbol_not_found", 0x711: "symbol_version_invalid", 0x712: "invalid_state",
    0x713: "transmission_mode_not_supported", 0x714: "notification_handle_invalid", 0x715: "client_unknown",
    0x716: "no_more_handles", 0x717: "invalid_watch_size", 0x718: "not_initialized", 0x719: "timeout",
    0x71A: "no_interface", 0x71B: "invalid_interface", 0x71C: "invalid_class_id",
    0x71D: "invalid_object_id", 0x71E: "pending", 0x71F: "aborted", 0x720: "warning",
    0x721: "invalid_array_index", 0x722: "symbol_not_active", 0x723: "access_denied",
    0x724: "license_not_found", 0x725: "license_expired", 0x726: "license_exceeded",
    0x727: "license_invalid", 0x728: "license_system_id", 0x729: "license_no_time_limit",
    0x72A: "license_future_issue", 0x72B: "license_time_too_long", 0x72C: "exception",
    0x72D: "license_duplicated", 0x72E: "signature_invalid", 0x72F: "certificate_invalid",
    0x740: "client_error", 0x741: "client_invalid_parameter", 0x742: "client_list_empty",
    0x743: "client_variable_in_use", 0x744: "client_duplicate_invoke_id", 0x745: "client_sync_timeout",
    0x746: "client_win32_error", 0x747: "client_timeout_invalid", 0x748: "client_port_not_open",
    0x749: "client_no_ams_address", 0x750: "client_sync_internal", 0x751: "client_add_hash",
    0x752: "client_remove_hash", 0x753: "client_no_more_symbols", 0x754: "client_sync_response_invalid",
    0x755: "client_sync_port_locked",
    0x1000: "rt_internal_error", 0x1001: "rt_bad_timer_period", 0x1002: "rt_invalid_task_pointer",
    0x1003: "rt_invalid_stack_pointer", 0x1004: "rt_priority_exists", 0x1005: "rt_no_more_tcb",
    0x1006: "rt_no_more_semaphores", 0x1007: "rt_no_more_queues", 0x100D: "rt_external_sync_lost",
    0x100E: "rt_external_sync_not_found",
}

#: reserved index groups (symbol access, I/O images, sum commands)
INDEX_GROUPS: Final[dict[int, str]] = {
    0x4020: "plc_memory", 0x4021: "plc_memory_bits", 0x4025: "plc_memory_size",
    0x4030: "plc_retain", 0x4031: "plc_retain_bits", 0x4035: "plc_retain_size",
    0x4040: "plc_data", 0x4045: "plc_data_size",
    0xF003: "symbol_handle_by_name", 0xF004: "symbol_value_by_name", 0xF005: "symbol_value_by_handle",
    0xF006: "symbol_release_handle", 0xF007: "symbol_info_by_name", 0xF008: "symbol_version",
    0xF009: "symbol_info_by_name_ex", 0xF00A: "symbol_download", 0xF00B: "symbol_upload",
    0xF00C: "symbol_upload_info", 0xF00D: "symbol_download2", 0xF00E: "symbol_datatype_upload",
    0xF00F: "symbol_upload_info2", 0xF010: "symbol_note",
    0xF020: "io_image_input_bytes", 0xF021: "io_image_input_bits", 0xF025: "io_image_input_size",
    0xF030: "io_image_output_bytes", 0xF031: "io_image_output_bits", 0xF035: "io_image_output_size",
    0xF040: "io_image_clear_inputs", 0xF050: "io_image_clear_outputs", 0xF060: "io_image_rw_io_bytes",
    0xF080: "sum_read", 0xF081: "sum_write", 0xF082: "sum_read_write", 0xF083: "sum_read_ex",
    0xF084: "sum_read_ex2", 0xF085: "sum_add_device_notification", 0xF086: "sum_delete_device_notification",
    0xF100: "device_data",
}

TRANSMISSION_MODES: Final[dict[int, str]] = {
    0: "no_transmission", 1: "client_cycle", 2: "client_on_change", 3: "server_cycle", 4: "server_on_change",
    5: "server_cycle_2", 6: "server_on_change_2", 7: "client_1_request",
}

#: well-known AMS ports
AMS_PORTS: Final[dict[int, str]] = {
    100: "logger", 110: "event_logger", 300: "io", 301: "additional_task_1", 302: "additional_task_2",
    500: "nc", 700: "ncsaf_task", 800: "plc_runtime_1_tc2", 801: "plc_runtime_1", 811: "plc_runtime_2",
    821: "plc_runtime_3", 831: "plc_runtime_4", 851: "plc_runtime_1_tc3", 852: "plc_runtime_2_tc3",
    853: "plc_runtime_3_tc3", 854: "plc_runtime_4_tc3", 900: "camshaft_controller", 10000: "system_service",
    14000: "scope",
}

# -- UDP 48899: discovery and routes ------------------------------------------------------------

UDP_MAGIC: Final = b"\x03\x66\x14\x71"
UDP_RESPONSE: Final = 0x80000000
UDP_SERVICES: Final[dict[int, str]] = {
    1: "discovery",
    2: "search",
    3: "port_connect",
    4: "port_close",
    5: "router_notification",
    6: "add_route",
    7: "delete_route",
}
UDP_TAGS: Final[dict[int, str]] = {
    1: "status",
    2: "password",
    3: "twincat_version",
    4: "os_version",
    5: "host_name",
    7: "net_id",
    9: "options",
    12: "route_name",
    13: "user_name",
    18: "fingerprint",
}


def flag_names(flags: int) -> list[str]:
    """The names of the set state flags, lowest bit first (unknown bits as ``unknown-<bit value>``)."""
    return [STATE_FLAGS.get(1 << b, f"unknown-{1 << b}") for b in range(16) if flags & (1 << b)]
