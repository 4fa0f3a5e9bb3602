"""PROFINET real-time (Ethernet type 0x8892) numbers: frame id ranges and DCP names.

Numbers from IEC 61158-6-10 / IEC 61784-2 (PROFINET IO). Every table is looked up with a fallback:
an unknown code renders as ``unknown-<n>``.
"""

from __future__ import annotations

from typing import Final

ETHERTYPE: Final = 0x8892

# -- frame ids ---------------------------------------------------------------------------------------
FRAME_DCP_HELLO: Final = 0xFEFC
FRAME_DCP_GET_SET: Final = 0xFEFD
FRAME_DCP_IDENTIFY_REQ: Final = 0xFEFE
FRAME_DCP_IDENTIFY_RES: Final = 0xFEFF

PTCP_NAMES: Final = {
    0x0020: "ptcp_rtsync_fu", 0x0021: "ptcp_rtsync_fu", 0x0080: "ptcp_rtsync", 0x0081: "ptcp_rtsync",
    0xFF00: "ptcp_announce", 0xFF01: "ptcp_announce", 0xFF20: "ptcp_follow_up", 0xFF21: "ptcp_follow_up",
    0xFF40: "ptcp_delay_req", 0xFF41: "ptcp_delay_res_fu", 0xFF42: "ptcp_delay_fu_res",
    0xFF43: "ptcp_delay_res",
}


def frame_class(fid: int) -> str:
    """The traffic class of a frame id (DCP ids are not asked here)."""
    if 0xC000 <= fid <= 0xFBFF:
        return "rt_class_1"
    if 0x8000 <= fid <= 0xBFFF:
        return "rt_class_2"
    if 0x0100 <= fid <= 0x7FFF:
        return "rt_class_3"
    if fid == 0xFC01:
        return "alarm_high"
    if fid == 0xFE01:
        return "alarm_low"
    name = PTCP_NAMES.get(fid)
    if name is not None:
        return name
    if 0xFF80 <= fid <= 0xFF8F:
        return "fragment"
    return "reserved"


# -- DCP -------------------------------------------------------------------------------------------
SERVICES: Final = {3: "get", 4: "set", 5: "identify", 6: "hello"}
SERVICE_TYPES: Final = {0: "request", 1: "response_success", 5: "response_unsupported"}

OPT_IP: Final = 1
OPT_DEVICE: Final = 2
OPT_DHCP: Final = 3
OPT_CONTROL: Final = 5
OPT_INITIATIVE: Final = 6
OPT_ALL: Final = 255

OPTIONS: Final = {1: "ip", 2: "device", 3: "dhcp", 4: "lldp", 5: "control", 6: "device_initiative",
                  7: "nme", 255: "all"}
SUBOPTIONS: Final = {
    (1, 1): "mac_address", (1, 2): "ip_parameter", (1, 3): "full_ip_suite",
    (2, 1): "type_of_station", (2, 2): "name_of_station", (2, 3): "device_id", (2, 4): "device_role",
    (2, 5): "device_options", (2, 6): "alias_name", (2, 7): "device_instance", (2, 8): "oem_device_id",
    (2, 9): "standard_gateway", (2, 10): "rsi_properties",
    (3, 12): "host_name", (3, 43): "vendor_specific", (3, 54): "server_identifier",
    (3, 55): "parameter_request_list", (3, 60): "class_identifier", (3, 61): "client_identifier",
    (3, 81): "fqdn", (3, 97): "uuid_client_identifier", (3, 255): "control_dhcp",
    (5, 1): "start_transaction", (5, 2): "end_transaction", (5, 3): "signal", (5, 4): "response",
    (5, 5): "reset_factory_settings", (5, 6): "reset_to_factory",
    (6, 1): "device_initiative",
    (255, 255): "all",
}


def block_name(opt: int, sub: int) -> str:
    name = SUBOPTIONS.get((opt, sub))
    if name is not None:
        return f"{OPTIONS[opt]}/{name}"
    oname = OPTIONS.get(opt)
    if oname is None:
        oname = "manufacturer_specific" if 0x80 <= opt <= 0xFE else f"unknown-{opt}"
    return f"{oname}/unknown-{sub}"


#: every (option, suboption) pair as an int key (opt << 8 | sub) -> "option/suboption"
BLOCK_NAMES: Final = {o << 8 | s: block_name(o, s) for o, s in SUBOPTIONS}

BLOCK_ERRORS: Final = {
    0: "ok", 1: "option_unsupported", 2: "suboption_unsupported", 3: "suboption_not_set",
    4: "resource_error", 5: "set_not_possible", 6: "in_operation",
}
IP_BLOCK_INFO: Final = {0: "ip_not_set", 1: "ip_set", 2: "ip_set_by_dhcp"}
DEVICE_ROLES: Final = ((0x01, "io_device"), (0x02, "io_controller"), (0x04, "io_multidevice"),
                       (0x08, "io_supervisor"))
#: what a set request changes, by block (the actions an attacker uses: rename, re-address, reset)
SET_ACTIONS: Final = {
    (1, 2): "set_ip", (1, 3): "set_ip", (2, 2): "set_name", (2, 6): "set_alias",
    (5, 3): "signal", (5, 5): "reset_factory_settings", (5, 6): "reset_to_factory",
    (3, 255): "set_dhcp", (3, 61): "set_dhcp",
}
