"""EtherNet/IP and CIP code tables: encapsulation commands and status, CPF item types, CIP services,
classes, general and extended status, device types.

Every table maps a number to a snake_case name; :func:`name_of` renders an unknown number as
``unknown-<n>`` (decimal) so a lookup never fails. Hot-path lookups use precomputed tuples.
"""

from __future__ import annotations

from typing import Final

from plantwarden.decoders.names import name_of  # noqa: F401  (re-exported to the package)

#: the encapsulation header: command, length, session handle, status, sender context (8), options
HEADER_LEN: Final = 24
#: the largest encapsulation data length (the 16-bit length field)
MAX_DATA: Final = 65535
#: requests remembered per flow for naming and decorating responses
MAX_PENDING: Final = 1024
#: I/O connections counted per UDP flow
MAX_IO_CONNECTIONS: Final = 4096
#: bytes of written data rendered as hex in an event
MAX_DATA_HEX: Final = 128
#: CIP messages decoded inside one Multiple_Service_Packet
MAX_EMBEDDED: Final = 256

COMMANDS: Final[dict[int, str]] = {
    0x0000: "nop",
    0x0004: "list_services",
    0x0063: "list_identity",
    0x0064: "list_interfaces",
    0x0065: "register_session",
    0x0066: "unregister_session",
    0x006F: "send_rr_data",
    0x0070: "send_unit_data",
    0x0072: "indicate_status",
    0x0073: "cancel",
    0x00C8: "start_dtls",
}
NOP: Final = 0x0000
LIST_SERVICES: Final = 0x0004
LIST_IDENTITY: Final = 0x0063
LIST_INTERFACES: Final = 0x0064
REGISTER_SESSION: Final = 0x0065
SEND_RR_DATA: Final = 0x006F
SEND_UNIT_DATA: Final = 0x0070
#: commands whose request has no data and whose response carries CPF items
LIST_COMMANDS: Final = frozenset((LIST_SERVICES, LIST_IDENTITY, LIST_INTERFACES))
#: commands with no reply: one event name, not _request/_response
ONE_WAY: Final = frozenset((NOP, 0x0066, 0x0072, 0x0073))

ENCAP_STATUS: Final[dict[int, str]] = {
    0x0000: "success",
    0x0001: "invalid_command",
    0x0002: "insufficient_memory",
    0x0003: "incorrect_data",
    0x0064: "invalid_session_handle",
    0x0065: "invalid_length",
    0x0069: "unsupported_protocol_revision",
    0x006A: "encapsulated_cip_service_not_allowed_on_this_port",
}

CPF_ITEMS: Final[dict[int, str]] = {
    0x0000: "null_address",
    0x000C: "cip_identity",
    0x0086: "cip_security_information",
    0x0087: "enip_capability",
    0x0088: "enip_usage",
    0x00A1: "connected_address",
    0x00B1: "connected_data",
    0x00B2: "unconnected_data",
    0x0100: "list_services_response",
    0x8000: "sockaddr_info_o_t",
    0x8001: "sockaddr_info_t_o",
    0x8002: "sequenced_address",
    0x8003: "unconnected_message_over_udp",
}
ITEM_NULL: Final = 0x0000
ITEM_IDENTITY: Final = 0x000C
ITEM_CONNECTED_ADDRESS: Final = 0x00A1
ITEM_CONNECTED_DATA: Final = 0x00B1
ITEM_UNCONNECTED_DATA: Final = 0x00B2
ITEM_LIST_SERVICES: Final = 0x0100
ITEM_SOCKADDR_O_T: Final = 0x8000
ITEM_SOCKADDR_T_O: Final = 0x8001
ITEM_SEQUENCED_ADDRESS: Final = 0x8002

RESPONSE_BIT: Final = 0x80

#: services common to all classes (CIP Vol. 1, Appendix A)
COMMON_SERVICES: Final[dict[int, str]] = {
    0x01: "get_attribute_all",
    0x02: "set_attribute_all",
    0x03: "get_attribute_list",
    0x04: "set_attribute_list",
    0x05: "reset",
    0x06: "start",
    0x07: "stop",
    0x08: "create",
    0x09: "delete",
    0x0A: "multiple_service_packet",
    0x0D: "apply_attributes",
    0x0E: "get_attribute_single",
    0x10: "set_attribute_single",
    0x11: "find_next_object_instance",
    0x14: "error_response",
    0x15: "restore",
    0x16: "save",
    0x17: "nop",
    0x18: "get_member",
    0x19: "set_member",
    0x1A: "insert_member",
    0x1B: "remove_member",
    0x1C: "group_sync",
    0x1D: "get_connection_point_member_list",
}
MULTIPLE_SERVICE_PACKET: Final = 0x0A
GET_ATTRIBUTE_ALL: Final = 0x01
GET_ATTRIBUTE_LIST: Final = 0x03
GET_ATTRIBUTE_SINGLE: Final = 0x0E

CLASS_IDENTITY: Final = 0x01
CLASS_CONNECTION_MANAGER: Final = 0x06
CLASS_SYMBOL: Final = 0x6B
CLASS_TEMPLATE: Final = 0x6C

#: Connection Manager (class 0x06) services
FORWARD_CLOSE: Final = 0x4E
UNCONNECTED_SEND: Final = 0x52
FORWARD_OPEN: Final = 0x54
LARGE_FORWARD_OPEN: Final = 0x5B
CONNECTION_MANAGER_SERVICES: Final[dict[int, str]] = {
    FORWARD_CLOSE: "forward_close",
    UNCONNECTED_SEND: "unconnected_send",
    FORWARD_OPEN: "forward_open",
    0x56: "get_connection_data",
    0x57: "search_connection_data",
    0x5A: "get_connection_owner",
    LARGE_FORWARD_OPEN: "large_forward_open",
}

#: Rockwell Logix tag services: requests addressed by a symbolic segment (a tag name) or to the
#: Symbol object (0x6B)
READ_TAG: Final = 0x4C
WRITE_TAG: Final = 0x4D
READ_MODIFY_WRITE_TAG: Final = 0x4E
READ_TAG_FRAGMENTED: Final = 0x52
WRITE_TAG_FRAGMENTED: Final = 0x53
TAG_SERVICES: Final[dict[int, str]] = {
    READ_TAG: "read_tag",
    WRITE_TAG: "write_tag",
    READ_MODIFY_WRITE_TAG: "read_modify_write_tag",
    READ_TAG_FRAGMENTED: "read_tag_fragmented",
    WRITE_TAG_FRAGMENTED: "write_tag_fragmented",
    0x55: "get_instance_attribute_list",
}

#: object-specific services (0x4B-0x63) of other classes
CLASS_SERVICES: Final[dict[int, dict[int, str]]] = {
    CLASS_IDENTITY: {0x4B: "flash_leds"},
    CLASS_CONNECTION_MANAGER: CONNECTION_MANAGER_SERVICES,
    0x37: {  # File object
        0x4B: "initiate_upload", 0x4C: "initiate_download", 0x4D: "initiate_partial_read",
        0x4E: "initiate_partial_write", 0x4F: "upload_transfer", 0x50: "download_transfer",
        0x51: "clear_file",
    },
    0x67: {0x4B: "execute_pccc"},  # PCCC object (Rockwell)
    CLASS_SYMBOL: TAG_SERVICES,
    CLASS_TEMPLATE: {0x4C: "read_template"},
    0xF5: {0x4C: "get_and_clear"},  # TCP/IP interface (Ethernet Link uses it too)
    0xF6: {0x4C: "get_and_clear"},
}

CLASSES: Final[dict[int, str]] = {
    0x01: "identity",
    0x02: "message_router",
    0x03: "devicenet",
    0x04: "assembly",
    0x05: "connection",
    0x06: "connection_manager",
    0x07: "register",
    0x08: "discrete_input_point",
    0x09: "discrete_output_point",
    0x0A: "analog_input_point",
    0x0B: "analog_output_point",
    0x0E: "presence_sensing",
    0x0F: "parameter",
    0x10: "parameter_group",
    0x12: "group",
    0x1D: "discrete_input_group",
    0x1E: "discrete_output_group",
    0x1F: "discrete_group",
    0x20: "analog_input_group",
    0x21: "analog_output_group",
    0x22: "analog_group",
    0x23: "position_sensor",
    0x24: "position_controller_supervisor",
    0x25: "position_controller",
    0x26: "block_sequencer",
    0x27: "command_block",
    0x28: "motor_data",
    0x29: "control_supervisor",
    0x2A: "ac_dc_drive",
    0x2B: "acknowledge_handler",
    0x2C: "overload",
    0x2D: "softstart",
    0x2E: "selection",
    0x37: "file",
    0x39: "safety_supervisor",
    0x3A: "safety_validator",
    0x41: "event_log",
    0x42: "motion_device_axis",
    0x43: "time_sync",
    0x44: "modbus",
    0x45: "originator_connection_list",
    0x46: "modbus_serial_link",
    0x47: "device_level_ring",
    0x48: "qos",
    0x4D: "target_connection_list",
    0x4E: "base_energy",
    0x4F: "electrical_energy",
    0x50: "non_electrical_energy",
    0x51: "base_switch",
    0x52: "snmp",
    0x53: "power_management",
    0x54: "rstp_bridge",
    0x55: "rstp_port",
    0x56: "prp_hsr_protocol",
    0x57: "prp_hsr_nodes_table",
    0x5D: "cip_security",
    0x5E: "enip_security",
    0x5F: "certificate_management",
    0x67: "pccc",
    0x6B: "symbol",
    0x6C: "template",
    0xF0: "controlnet",
    0xF1: "controlnet_keeper",
    0xF2: "controlnet_scheduling",
    0xF3: "connection_configuration",
    0xF4: "port",
    0xF5: "tcp_ip_interface",
    0xF6: "ethernet_link",
    0xF7: "componet",
    0xF8: "componet_repeater",
    0xF9: "hart_master_port",
    0x109: "lldp_management",
    0x10A: "lldp_data_table",
}

GENERAL_STATUS: Final[dict[int, str]] = {
    0x00: "success",
    0x01: "connection_failure",
    0x02: "resource_unavailable",
    0x03: "invalid_parameter_value",
    0x04: "path_segment_error",
    0x05: "path_destination_unknown",
    0x06: "partial_transfer",
    0x07: "connection_lost",
    0x08: "service_not_supported",
    0x09: "invalid_attribute_value",
    0x0A: "attribute_list_error",
    0x0B: "already_in_requested_mode",
    0x0C: "object_state_conflict",
    0x0D: "object_already_exists",
    0x0E: "attribute_not_settable",
    0x0F: "privilege_violation",
    0x10: "device_state_conflict",
    0x11: "reply_data_too_large",
    0x12: "fragmentation_of_a_primitive_value",
    0x13: "not_enough_data",
    0x14: "attribute_not_supported",
    0x15: "too_much_data",
    0x16: "object_does_not_exist",
    0x17: "service_fragmentation_sequence_not_in_progress",
    0x18: "no_stored_attribute_data",
    0x19: "store_operation_failure",
    0x1A: "routing_failure_request_too_large",
    0x1B: "routing_failure_response_too_large",
    0x1C: "missing_attribute_list_entry_data",
    0x1D: "invalid_attribute_value_list",
    0x1E: "embedded_service_error",
    0x1F: "vendor_specific_error",
    0x20: "invalid_parameter",
    0x21: "write_once_value_already_written",
    0x22: "invalid_reply_received",
    0x23: "buffer_overflow",
    0x24: "invalid_message_format",
    0x25: "key_failure_in_path",
    0x26: "path_size_invalid",
    0x27: "unexpected_attribute_in_list",
    0x28: "invalid_member_id",
    0x29: "member_not_settable",
    0x2A: "group_2_only_server_general_failure",
    0x2B: "unknown_modbus_error",
    0x2C: "attribute_not_gettable",
}
STATUS_CONNECTION_FAILURE: Final = 0x01

#: extended status of the Connection Manager (general status 0x01)
CONNECTION_MANAGER_EXT_STATUS: Final[dict[int, str]] = {
    0x0100: "connection_in_use_or_duplicate_forward_open",
    0x0103: "transport_class_and_trigger_not_supported",
    0x0106: "ownership_conflict",
    0x0107: "target_connection_not_found",
    0x0108: "invalid_network_connection_parameter",
    0x0109: "invalid_connection_size",
    0x0110: "target_for_connection_not_configured",
    0x0111: "rpi_not_supported",
    0x0112: "rpi_value_not_acceptable",
    0x0113: "out_of_connections",
    0x0114: "vendor_id_or_product_code_mismatch",
    0x0115: "device_type_mismatch",
    0x0116: "revision_mismatch",
    0x0117: "invalid_produced_or_consumed_application_path",
    0x0118: "invalid_or_inconsistent_configuration_application_path",
    0x0119: "non_listen_only_connection_not_opened",
    0x011A: "target_object_out_of_connections",
    0x011B: "rpi_smaller_than_production_inhibit_time",
    0x011C: "transport_class_not_supported",
    0x011D: "production_trigger_not_supported",
    0x011E: "direction_not_supported",
    0x011F: "invalid_o_t_network_connection_fixvar",
    0x0120: "invalid_t_o_network_connection_fixvar",
    0x0121: "invalid_o_t_network_connection_priority",
    0x0122: "invalid_t_o_network_connection_priority",
    0x0123: "invalid_o_t_network_connection_type",
    0x0124: "invalid_t_o_network_connection_type",
    0x0125: "invalid_o_t_network_connection_redundant_owner",
    0x0126: "invalid_configuration_size",
    0x0127: "invalid_o_t_size",
    0x0128: "invalid_t_o_size",
    0x0129: "invalid_configuration_application_path",
    0x012A: "invalid_consuming_application_path",
    0x012B: "invalid_producing_application_path",
    0x012C: "configuration_symbol_does_not_exist",
    0x012D: "consuming_symbol_does_not_exist",
    0x012E: "producing_symbol_does_not_exist",
    0x012F: "inconsistent_application_path_combination",
    0x0130: "inconsistent_consume_data_format",
    0x0131: "inconsistent_produce_data_format",
    0x0132: "null_forward_open_not_supported",
    0x0133: "connection_timeout_multiplier_not_acceptable",
    0x0203: "connection_timed_out",
    0x0204: "unconnected_request_timed_out",
    0x0205: "parameter_error_in_unconnected_request",
    0x0206: "message_too_large_for_unconnected_send",
    0x0207: "unconnected_acknowledge_without_reply",
    0x0301: "no_buffer_memory_available",
    0x0302: "network_bandwidth_not_available",
    0x0303: "no_consumed_connection_id_filter_available",
    0x0304: "not_configured_to_send_scheduled_priority_data",
    0x0305: "schedule_signature_mismatch",
    0x0306: "schedule_signature_validation_not_possible",
    0x0311: "port_not_available",
    0x0312: "link_address_not_valid",
    0x0315: "invalid_segment_in_connection_path",
    0x0316: "error_in_forward_close_connection_path",
    0x0317: "scheduling_not_specified",
    0x0318: "link_address_to_self_invalid",
    0x0319: "secondary_resources_unavailable",
    0x031A: "rack_connection_already_established",
    0x031B: "module_connection_already_established",
    0x031C: "miscellaneous",
    0x031D: "redundant_connection_mismatch",
    0x031E: "no_more_user_configurable_link_consumer_resources",
    0x031F: "no_user_configurable_link_consumer_resources_configured",
    0x0800: "network_link_offline",
    0x0810: "no_target_application_data_available",
    0x0811: "no_originator_application_data_available",
    0x0812: "node_address_changed_since_network_was_scheduled",
    0x0813: "not_configured_for_off_subnet_multicast",
    0x0814: "invalid_produce_consume_data_format",
}

DEVICE_TYPES: Final[dict[int, str]] = {
    0x00: "generic_device_deprecated",
    0x02: "ac_drive",
    0x03: "motor_overload",
    0x04: "limit_switch",
    0x05: "inductive_proximity_switch",
    0x06: "photoelectric_sensor",
    0x07: "general_purpose_discrete_io",
    0x09: "resolver",
    0x0C: "communications_adapter",
    0x0E: "programmable_logic_controller",
    0x10: "position_controller",
    0x13: "dc_drive",
    0x15: "contactor",
    0x16: "motor_starter",
    0x17: "soft_start",
    0x18: "human_machine_interface",
    0x1A: "mass_flow_controller",
    0x1B: "pneumatic_valve",
    0x1C: "vacuum_pressure_gauge",
    0x1D: "process_control_value",
    0x1E: "residual_gas_analyzer",
    0x1F: "dc_power_generator",
    0x20: "rf_power_generator",
    0x21: "turbomolecular_vacuum_pump",
    0x22: "encoder",
    0x23: "safety_discrete_io_device",
    0x24: "fluid_flow_controller",
    0x25: "cip_motion_drive",
    0x26: "componet_repeater",
    0x27: "mass_flow_controller_enhanced",
    0x28: "cip_modbus_device",
    0x29: "cip_modbus_translator",
    0x2A: "safety_analog_io_device",
    0x2B: "generic_device_keyable",
    0x2C: "managed_ethernet_switch",
    0x2D: "cip_motion_safety_drive_device",
    0x2E: "safety_drive_device",
    0x2F: "cip_motion_encoder",
    0x30: "cip_motion_converter",
    0x31: "cip_motion_io",
    0x32: "controlnet_physical_layer_component",
    0x33: "circuit_breaker",
    0x34: "hart_device",
    0x35: "cip_hart_translator",
    0xC8: "embedded_component",
}

#: CIP elementary data type codes (used by the Logix tag services)
DATA_TYPES: Final[dict[int, str]] = {
    0xC1: "bool", 0xC2: "sint", 0xC3: "int", 0xC4: "dint", 0xC5: "lint", 0xC6: "usint",
    0xC7: "uint", 0xC8: "udint", 0xC9: "ulint", 0xCA: "real", 0xCB: "lreal", 0xCC: "stime",
    0xCD: "date", 0xCE: "time_of_day", 0xCF: "date_and_time", 0xD0: "string", 0xD1: "byte",
    0xD2: "word", 0xD3: "dword", 0xD4: "lword", 0xD5: "string2", 0xD6: "ftime", 0xD7: "ltime",
    0xD8: "itime", 0xD9: "stringn", 0xDA: "short_string", 0xDB: "time", 0xDC: "epath",
    0xDD: "engunit", 0xDE: "stringi", 0x2A0: "struct",
}

#: transport class trigger (Forward_Open), bits 4-6
TRIGGERS: Final[dict[int, str]] = {0: "cyclic", 1: "change_of_state", 2: "application_object"}
#: network connection parameter: connection type (bits 13-14 of the 16-bit form)
CONNECTION_TYPES: Final[dict[int, str]] = {0: "null", 1: "multicast", 2: "point_to_point", 3: "reserved"}
PRIORITIES: Final[dict[int, str]] = {0: "low", 1: "high", 2: "scheduled", 3: "urgent"}


COMMAND_NAMES: Final = {c: n for c, n in COMMANDS.items()}
STATUS_NAMES: Final = tuple(name_of(GENERAL_STATUS, s) for s in range(256))
COMMON_SERVICE_NAMES: Final = tuple(name_of(COMMON_SERVICES, s) for s in range(128))
