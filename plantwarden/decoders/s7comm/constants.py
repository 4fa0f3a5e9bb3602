"""S7comm code tables: number -> name. Unknown codes render as ``unknown-<n>`` (see :func:`name_of`).

Names are lower-case snake case so that they can be used as event-name parts and enum values.
"""

from __future__ import annotations

from typing import Final

from plantwarden.decoders.names import name_of  # noqa: F401  (re-exported to the package)

PROTO_S7COMM: Final = 0x32
PROTO_S7COMM_PLUS: Final = 0x72

# ROSCTR (remote operating service control)
ROSCTR_JOB: Final = 1
ROSCTR_ACK: Final = 2
ROSCTR_ACK_DATA: Final = 3
ROSCTR_USERDATA: Final = 7

ROSCTR_NAMES: Final[dict[int, str]] = {1: "job", 2: "ack", 3: "ack_data", 7: "userdata"}

# Job / ack_data parameter function codes -> name used in event names
FUNCTION_NAMES: Final[dict[int, str]] = {
    0x00: "cpu_services",
    0xF0: "setup_communication",
    0x04: "read_var",
    0x05: "write_var",
    0x1A: "request_download",
    0x1B: "download_block",
    0x1C: "download_ended",
    0x1D: "start_upload",
    0x1E: "upload",
    0x1F: "end_upload",
    0x28: "plc_control",
    0x29: "plc_stop",
}

ERROR_CLASS_NAMES: Final[dict[int, str]] = {
    0x00: "no_error",
    0x81: "application_relationship",
    0x82: "object_definition",
    0x83: "no_resources",
    0x84: "service_processing",
    0x85: "supplies",
    0x87: "access",
}

# Item variable specification syntax ids
SYNTAX_IDS: Final[dict[int, str]] = {
    0x10: "s7any",
    0x13: "pbc_r_id",
    0x15: "alarm_lockfree",
    0x16: "alarm_ind",
    0x19: "alarm_ack",
    0x1A: "alarm_queryreq",
    0x1C: "notify_ind",
    0x82: "nck",
    0x83: "nck_metric",
    0x84: "nck_inch",
    0xA2: "driveesany",
    0xB0: "dbread",
    0xB2: "s1200sym",
}

# Memory areas of an S7ANY address
AREA_NAMES: Final[dict[int, str]] = {
    0x03: "system_info_200",
    0x05: "system_flags_200",
    0x06: "analog_inputs_200",
    0x07: "analog_outputs_200",
    0x1C: "counter",
    0x1D: "timer",
    0x1E: "iec_counter_200",
    0x1F: "iec_timer_200",
    0x80: "peripheral",
    0x81: "inputs",
    0x82: "outputs",
    0x83: "flags",
    0x84: "db",
    0x85: "di",
    0x86: "local",
    0x87: "previous_local",
}

# Transport size in an S7ANY item (the type of the variable)
TRANSPORT_SIZES: Final[dict[int, str]] = {
    0x01: "bit", 0x02: "byte", 0x03: "char", 0x04: "word", 0x05: "int", 0x06: "dword", 0x07: "dint",
    0x08: "real", 0x09: "date", 0x0A: "tod", 0x0B: "time", 0x0C: "s5time", 0x0F: "date_and_time",
    0x1C: "counter", 0x1D: "timer", 0x1E: "iec_timer", 0x1F: "iec_counter", 0x20: "hs_counter",
}

# Transport size in a data item; the length of 0x03, 0x04 and 0x05 is given in bits
DATA_TRANSPORT_SIZES: Final[dict[int, str]] = {
    0x00: "null", 0x03: "bit", 0x04: "byte_word_dword", 0x05: "integer", 0x06: "dinteger", 0x07: "real",
    0x09: "octet_string",
}
DATA_LENGTH_IN_BITS: Final = frozenset({0x03, 0x04, 0x05})

RETURN_CODES: Final[dict[int, str]] = {
    0x00: "reserved",
    0x01: "hardware_fault",
    0x03: "access_denied",
    0x05: "invalid_address",
    0x06: "data_type_not_supported",
    0x07: "data_type_inconsistent",
    0x0A: "object_does_not_exist",
    0xFF: "success",
}

# Block type (two ASCII characters in file names such as "_0A00001P")
BLOCK_TYPES: Final[dict[str, str]] = {
    "08": "OB", "0A": "DB", "0B": "SDB", "0C": "FC", "0D": "SFC", "0E": "FB", "0F": "SFB",
}
# Block type as a number (block functions of userdata)
BLOCK_TYPE_CODES: Final[dict[int, str]] = {0x08: "OB", 0x0A: "DB", 0x0B: "SDB", 0x0C: "FC", 0x0D: "SFC",
                                           0x0E: "FB", 0x0F: "SFB"}
FILESYSTEMS: Final[dict[str, str]] = {"P": "passive", "A": "active", "B": "both"}

# PI services (PLC control)
PI_SERVICES: Final[dict[str, str]] = {
    "_INSE": "activate_block",
    "_DELE": "delete_block",
    "P_PROGRAM": "program_invocation",
    "_GARB": "compress_memory",
    "_MODU": "copy_ram_to_rom",
    "_N_LOGIN_": "login",
    "_N_LOGOUT": "logout",
    "_N_CANCEL": "cancel_alarm",
    "_N_DASAVE": "save_data",
    "_N_DIGIOF": "digitizing_off",
    "_N_DIGION": "digitizing_on",
    "_N_DZERO_": "set_all_d_numbers_invalid",
    "_N_ENDDIG": "end_digitizing",
    "_N_F_COPY": "copy_file",
    "_N_F_DELE": "delete_file",
    "_N_F_OPEN": "open_file",
    "_N_F_CLOS": "close_file",
    "_N_F_PROR": "protect_file",
    "_N_F_PROT": "assign_protection",
    "_N_F_RENA": "rename_file",
    "_N_FINDBL": "find_block",
    "_N_SETUFR": "activate_frames",
    "_N_SELECT": "select_program",
}

# Userdata
USERDATA_TYPES: Final[dict[int, str]] = {0x0: "push", 0x4: "request", 0x8: "response", 0x3: "nc_push",
                                         0x7: "nc_request", 0xB: "nc_response"}
USERDATA_GROUPS: Final[dict[int, str]] = {
    0x0: "mode_transition",
    0x1: "programmer_commands",
    0x2: "cyclic_data",
    0x3: "block_functions",
    0x4: "cpu_functions",
    0x5: "security",
    0x6: "pbc_bsend_brecv",
    0x7: "time_functions",
    0xF: "nc_programming",
}
USERDATA_SUBFUNCTIONS: Final[dict[int, dict[int, str]]] = {
    0x1: {0x01: "request_diag_data_type1", 0x02: "vartab", 0x0C: "erase", 0x0E: "read_diag_data",
          0x0F: "remove_diag_data", 0x10: "forces", 0x13: "request_diag_data_type2"},
    0x2: {0x01: "memory", 0x04: "unsubscribe", 0x05: "memory2"},
    0x3: {0x01: "list_blocks", 0x02: "list_blocks_of_type", 0x03: "get_block_info"},
    0x4: {0x01: "read_szl", 0x02: "message_service", 0x03: "diagnostic_message", 0x05: "alarm8_indication",
          0x06: "notify_indication", 0x07: "alarm8_lock", 0x08: "alarm8_unlock", 0x09: "scan_indication",
          0x0B: "alarm_ack", 0x0C: "alarm_ack_indication", 0x0D: "alarm_lock_indication",
          0x0E: "alarm_unlock_indication", 0x11: "alarmsq_indication", 0x12: "alarms_indication",
          0x13: "alarm_query", 0x16: "notify8_indication"},
    0x5: {0x01: "plc_password", 0x02: "clean_session"},
    0x6: {0x01: "bsend_brecv"},
    0x7: {0x01: "read_clock", 0x02: "set_clock", 0x03: "read_clock_following", 0x04: "set_clock2"},
}
CPU_MODES: Final[dict[int, str]] = {0: "stop", 1: "warm_restart", 2: "run", 3: "hot_restart", 4: "hold",
                                    6: "cold_restart", 9: "run_redundant", 11: "link_up", 12: "update"}

SZL_NAMES: Final[dict[int, str]] = {
    0x0000: "szl_list", 0x0011: "module_identification", 0x0012: "cpu_characteristics",
    0x0013: "user_memory_areas", 0x0014: "system_areas", 0x0015: "block_types", 0x0017: "block_list",
    0x0019: "led_status", 0x001C: "component_identification", 0x0022: "interrupt_status",
    0x0025: "process_image_partitions", 0x0031: "communication_capability", 0x0032: "communication_status",
    0x0037: "ethernet_details", 0x0074: "led_status_74", 0x0091: "module_status", 0x0092: "rack_status",
    0x0094: "rack_status_94", 0x0096: "module_status_96", 0x00A0: "diagnostic_buffer",
    0x00B1: "module_diagnostic_b1", 0x00B2: "module_diagnostic_b2", 0x00B3: "module_diagnostic_b3",
    0x00B4: "diagnostic_data_dp_slave", 0x0131: "communication_capability", 0x0132: "communication_status",
    0x0424: "cpu_mode", 0x0111: "module_identification", 0x011C: "component_identification",
}

# S7comm-plus
PLUS_OPCODES: Final[dict[int, str]] = {0x31: "request", 0x32: "response", 0x33: "notification",
                                       0x02: "response2"}
PLUS_FUNCTIONS: Final[dict[int, str]] = {
    0x04BB: "explore", 0x04CA: "create_object", 0x04D4: "delete_object", 0x04F2: "set_variable",
    0x04FC: "get_variable", 0x0506: "add_link", 0x051D: "remove_link", 0x0524: "get_link",
    0x0542: "set_multi_variables", 0x054C: "get_multi_variables", 0x0556: "begin_sequence",
    0x0560: "end_sequence", 0x056B: "invoke", 0x0586: "get_var_substreamed",
}


def clean_str(raw: bytes) -> str:
    """Attacker-controlled wire text -> a safe display string: NULs and padding stripped, never fails."""
    return raw.lstrip(b"\x00 ").split(b"\x00", 1)[0].decode("latin-1").translate(_CONTROL).strip()


_CONTROL: Final = {c: None for c in range(32)} | {127: None}
