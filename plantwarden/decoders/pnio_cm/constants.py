"""PROFINET IO context management (DCE/RPC connectionless, UDP 34964): names of codes.

Numbers from the DCE 1.1 RPC specification (connectionless PDUs) and IEC 61158-6-10. Every table is
looked up with a fallback: an unknown code renders as ``unknown-<n>``.
"""

from __future__ import annotations

from typing import Final

PORT: Final = 34964
HEADER_LEN: Final = 80

PACKET_TYPES: Final = {
    0: "request", 1: "ping", 2: "response", 3: "fault", 4: "working", 5: "nocall", 6: "reject", 7: "ack",
    8: "cl_cancel", 9: "fack", 10: "cancel_ack",
}
#: flags1 bits, lowest first (the names ICSNPP's profinet_io_cm.log uses)
FLAGS1: Final = ((0x01, "reserved_for_impl_1"), (0x02, "last_fragment"), (0x04, "fragment"),
                 (0x08, "no_fack"), (0x10, "maybe"), (0x20, "idempotent"), (0x40, "broadcast"),
                 (0x80, "reserved_for_impl_2"))
FLAG_LAST_FRAG: Final = 0x02
FLAG_FRAG: Final = 0x04

OPERATIONS: Final = {0: "connect", 1: "release", 2: "read", 3: "write", 4: "control", 5: "read_implicit"}

#: the PNIO interface UUIDs share everything but the first field: DEA0000x-6C97-11D1-8271-00A02442DF7D
IFACE_TAIL: Final = bytes.fromhex("827100a02442df7d")
INTERFACES: Final = {1: "device", 2: "controller", 3: "supervisor", 4: "parameter_server"}
#: a PNIO object UUID: DEA00000-6C97-11D1-8271-<instance><device id><vendor id>
OBJECT_HEAD: Final = 0xDEA00000

# -- PNIO status (ErrorCode, ErrorDecode, ErrorCode1, ErrorCode2) ------------------------------------------
ERROR_CODES: Final = {
    0x81: "pnio", 0xCF: "rta_error", 0xDA: "alarm_ack", 0xDB: "iod_connect_res", 0xDC: "iod_release_res",
    0xDD: "iod_control_res", 0xDE: "iod_read_res", 0xDF: "iod_write_res",
}
ERROR_DECODES: Final = {0x80: "pniorw", 0x81: "pnio", 0x82: "manufacturer_specific"}
#: ErrorCode1 when ErrorDecode is PNIORW: error class (high nibble) and code (low nibble)
PNIORW_CODES: Final = {
    0xA0: "application_read_error", 0xA1: "application_write_error", 0xA2: "application_module_failure",
    0xA7: "application_busy", 0xA8: "application_version_conflict", 0xA9: "application_feature_not_supported",
    0xB0: "access_invalid_index", 0xB1: "access_write_length_error", 0xB2: "access_invalid_slot_subslot",
    0xB3: "access_type_conflict", 0xB4: "access_invalid_area_api", 0xB5: "access_state_conflict",
    0xB6: "access_denied", 0xB7: "access_invalid_range", 0xB8: "access_invalid_parameter",
    0xB9: "access_invalid_type", 0xBA: "access_backup", 0xC0: "resource_read_constrain_conflict",
    0xC1: "resource_write_constrain_conflict", 0xC2: "resource_busy", 0xC3: "resource_unavailable",
}

# -- blocks --------------------------------------------------------------------------------------------
_REQUEST_BLOCKS: Final = {
    0x0001: "alarm_notification_high", 0x0002: "alarm_notification_low", 0x0008: "iod_write_req_header",
    0x0009: "iod_read_req_header", 0x0010: "diagnosis_data", 0x0012: "expected_identification_data",
    0x0013: "real_identification_data", 0x0014: "substitute_value", 0x0015: "record_input_data_object",
    0x0016: "record_output_data_object", 0x0018: "ar_data", 0x0019: "log_book_data", 0x001A: "api_data",
    0x001B: "srl_data", 0x0020: "im0", 0x0021: "im1", 0x0022: "im2", 0x0023: "im3", 0x0024: "im4",
    0x0030: "im0_filter_data_submodule", 0x0031: "im0_filter_data_module", 0x0032: "im0_filter_data_device",
    0x0101: "ar_block_req", 0x0102: "iocr_block_req", 0x0103: "alarm_cr_block_req",
    0x0104: "expected_submodule_block_req", 0x0105: "prm_server_block_req", 0x0106: "mcr_block_req",
    0x0107: "ar_rpc_block_req", 0x0108: "ar_vendor_block_req", 0x0109: "ir_info_block",
    0x010A: "sr_info_block", 0x010B: "ar_fsu_block", 0x010C: "rs_info_block",
    0x0110: "iod_control_req_prm_end", 0x0111: "iod_control_req_plug_prm_end",
    0x0112: "iox_control_req_application_ready", 0x0113: "iox_control_req_plug_application_ready",
    0x0114: "iod_release_req", 0x0116: "iox_control_req_ready_for_companion",
    0x0117: "iox_control_req_ready_for_rt_class_3", 0x0118: "iod_control_req_prm_begin",
    0x0119: "submodule_list_block",
    0x0200: "pd_port_data_check", 0x0201: "pdev_data", 0x0202: "pd_port_data_adjust", 0x0203: "pd_sync_data",
    0x0204: "isochronous_mode_data", 0x0205: "pd_ir_data", 0x0206: "pd_ir_global_data",
    0x0207: "pd_ir_frame_data", 0x0208: "pd_ir_begin_end_data", 0x0209: "adjust_domain_boundary",
    0x020A: "check_peers", 0x020B: "check_line_delay", 0x020C: "check_mau_type", 0x020E: "adjust_mau_type",
    0x020F: "pd_port_data_real", 0x0210: "adjust_multicast_boundary", 0x0211: "pd_interface_mrp_data_adjust",
    0x0212: "pd_interface_mrp_data_real", 0x0213: "pd_interface_mrp_data_check",
    0x0214: "pd_port_mrp_data_adjust", 0x0215: "pd_port_mrp_data_real", 0x0216: "mrp_manager_params",
    0x0217: "mrp_client_params", 0x0219: "mrp_ring_state_data", 0x021B: "adjust_link_state",
    0x021C: "check_link_state", 0x021E: "check_sync_difference", 0x021F: "check_mau_type_difference",
    0x0220: "pd_port_fo_data_real", 0x0222: "pd_port_fo_data_adjust", 0x0223: "pd_port_fo_data_check",
    0x0224: "adjust_peer_to_peer_boundary", 0x0225: "adjust_dcp_boundary", 0x0226: "adjust_preamble_length",
    0x0228: "fiber_optic_diagnosis_info", 0x022A: "pd_ir_subframe_data", 0x022B: "subframe_block",
    0x0230: "pd_nc_data_check", 0x0231: "mrp_instance_data_adjust", 0x0232: "mrp_instance_data_real",
    0x0233: "mrp_instance_data_check", 0x0240: "pd_interface_data_real", 0x0250: "pd_interface_adjust",
    0x0251: "pd_port_statistic", 0x0400: "multiple_block_header", 0x0401: "co_container_content",
    0x0500: "record_data_read_query", 0x0600: "fs_hello", 0x0601: "fs_parameter",
    0x0608: "pd_interface_fsu_data_adjust", 0x0609: "ar_fsu_data_adjust", 0x0700: "auto_configuration",
}
_RESPONSE_BLOCKS: Final = {
    0x8001: "alarm_ack_high", 0x8002: "alarm_ack_low", 0x8008: "iod_write_res_header",
    0x8009: "iod_read_res_header", 0x8101: "ar_block_res", 0x8102: "iocr_block_res",
    0x8103: "alarm_cr_block_res", 0x8104: "module_diff_block", 0x8105: "prm_server_block_res",
    0x8106: "ar_server_block_res", 0x8107: "ar_rpc_block_res", 0x8108: "ar_vendor_block_res",
    0x8110: "iod_control_res_prm_end", 0x8111: "iod_control_res_plug_prm_end",
    0x8112: "iox_control_res_application_ready", 0x8113: "iox_control_res_plug_application_ready",
    0x8114: "iod_release_res", 0x8116: "iox_control_res_ready_for_companion",
    0x8117: "iox_control_res_ready_for_rt_class_3", 0x8118: "iod_control_res_prm_begin",
}
BLOCK_TYPES: Final = {**_REQUEST_BLOCKS, **_RESPONSE_BLOCKS}
CONTROL_BLOCKS: Final = frozenset({0x0110, 0x0111, 0x0112, 0x0113, 0x0114, 0x0116, 0x0117, 0x0118,
                                   0x8110, 0x8111, 0x8112, 0x8113, 0x8114, 0x8116, 0x8117, 0x8118})

CONTROL_COMMANDS: Final = ((0x0001, "prm_end"), (0x0002, "application_ready"), (0x0004, "release"),
                           (0x0008, "done"), (0x0010, "ready_for_companion"), (0x0020, "ready_for_rt_class_3"),
                           (0x0040, "prm_begin"))
AR_TYPES: Final = {0x0001: "io_car_single", 0x0006: "io_sar", 0x0010: "io_car_single_rt_class_3",
                   0x0020: "io_car_sr"}
IOCR_TYPES: Final = {1: "input", 2: "output", 3: "multicast_provider", 4: "multicast_consumer"}
SUBMODULE_TYPES: Final = {0: "no_io", 1: "input", 2: "output", 3: "input_output"}

# -- record indices ------------------------------------------------------------------------------------
INDICES: Final = {
    0x8000: "expected_identification_data_subslot", 0x8001: "real_identification_data_subslot",
    0x800A: "diagnosis_channel_subslot", 0x800B: "diagnosis_all_subslot", 0x800C: "diagnosis_subslot",
    0x8010: "maintenance_required_channel_subslot", 0x8011: "maintenance_demanded_channel_subslot",
    0x8012: "maintenance_required_all_subslot", 0x8013: "maintenance_demanded_all_subslot",
    0x801E: "substitute_values", 0x8020: "pd_ir_subframe_data", 0x8027: "pd_port_data_real_extended",
    0x8028: "record_input_data_object_element", 0x8029: "record_output_data_object_element",
    0x802A: "pd_port_data_real", 0x802B: "pd_port_data_check", 0x802C: "pd_ir_data",
    0x802D: "pd_sync_data", 0x802F: "pd_port_data_adjust", 0x8030: "isochronous_mode_data",
    0x8031: "pd_time_data", 0x8050: "pd_interface_mrp_data_real", 0x8051: "pd_interface_mrp_data_check",
    0x8052: "pd_interface_mrp_data_adjust", 0x8053: "pd_port_mrp_data_adjust", 0x8054: "pd_port_mrp_data_real",
    0x8060: "pd_port_fo_data_real", 0x8061: "pd_port_fo_data_check", 0x8062: "pd_port_fo_data_adjust",
    0x8070: "pd_nc_data_check", 0x8071: "pd_interface_adjust", 0x8072: "pd_port_statistic",
    0x8080: "pd_interface_data_real", 0x8090: "pd_interface_fsu_data_adjust", 0x80A0: "profiles_energy",
    0x80B0: "combined_object_container", 0x80C0: "sequence_events",
    0xAFF0: "im0", 0xAFF1: "im1", 0xAFF2: "im2", 0xAFF3: "im3", 0xAFF4: "im4",
    0xC000: "expected_identification_data_slot", 0xC001: "real_identification_data_slot",
    0xC00A: "diagnosis_channel_slot", 0xC00B: "diagnosis_all_slot", 0xC00C: "diagnosis_slot",
    0xE000: "expected_identification_data_ar", 0xE001: "real_identification_data_ar",
    0xE002: "module_diff_block_ar", 0xE00A: "diagnosis_channel_ar", 0xE00B: "diagnosis_all_ar",
    0xE00C: "diagnosis_ar", 0xE030: "isochronous_mode_data_ar", 0xE040: "write_multiple",
    0xE050: "ar_fsu_data_adjust", 0xF000: "real_identification_data_api", 0xF00A: "diagnosis_channel_api",
    0xF00B: "diagnosis_all_api", 0xF00C: "diagnosis_api", 0xF020: "ar_data_api", 0xF80C: "diagnosis_device",
    0xF820: "ar_data", 0xF821: "api_data", 0xF830: "log_book_data", 0xF831: "pdev_data",
    0xF840: "im0_filter_data", 0xF841: "pd_real_data", 0xF842: "pd_expected_data", 0xF850: "auto_configuration",
}
INDEX_WRITE_MULTIPLE: Final = 0xE040


def index_name(index: int) -> str:
    name = INDICES.get(index)
    if name is not None:
        return name
    if index < 0x8000:
        return "user_specific"
    if 0xAFF5 <= index <= 0xAFFF:
        return f"im{index - 0xAFF0}"
    if 0xB000 <= index <= 0xBFFF:
        return "profile_specific"
    return f"unknown-{index}"
