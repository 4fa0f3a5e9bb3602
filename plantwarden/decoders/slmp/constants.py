"""MELSEC MC protocol / SLMP code tables (binary 3E/4E frames): commands, subcommands, device codes,
end codes. Unknown numbers render ``unknown-<n>``. From Mitsubishi's public SLMP reference.
"""

from __future__ import annotations

from typing import Final

from plantwarden.decoders.names import name_of  # noqa: F401  (re-exported to the package)

SUB_3E_REQ: Final = 0x5000  # sent big-endian on the wire: 50 00
SUB_3E_RESP: Final = 0xD000
SUB_4E_REQ: Final = 0x5400
SUB_4E_RESP: Final = 0xD400
#: bytes before the data-length field ends: 3E 9, 4E 13
HEADER_3E: Final = 9
HEADER_4E: Final = 13
#: the largest request/response data length accepted (an SLMP frame is at most ~8 KB)
MAX_DATA: Final = 16384
MAX_PENDING: Final = 256
MAX_VALUES: Final = 960  # values listed per event (a batch read is at most 960 words / 7168 bits)

COMMANDS: Final[dict[int, str]] = {
    0x0401: "device_read",
    0x1401: "device_write",
    0x0403: "device_read_random",
    0x1402: "device_write_random",
    0x0801: "device_entry_monitor",
    0x0802: "device_execute_monitor",
    0x0406: "device_read_block",
    0x1406: "device_write_block",
    0x0613: "memory_read",
    0x1613: "memory_write",
    0x0601: "extend_unit_read",
    0x1601: "extend_unit_write",
    0x0101: "read_cpu_model",
    0x1001: "remote_run",
    0x1002: "remote_stop",
    0x1003: "remote_pause",
    0x1005: "remote_latch_clear",
    0x1006: "remote_reset",
    0x0619: "loopback_test",
    0x1617: "clear_error",
    0x1630: "remote_password_unlock",
    0x1631: "remote_password_lock",
    0x1810: "file_read_directory",
    0x1811: "file_search_directory",
    0x1820: "file_new",
    0x1822: "file_delete",
    0x1824: "file_copy",
    0x1825: "file_change_state",
    0x1826: "file_change_date",
    0x1827: "file_open",
    0x1828: "file_read",
    0x1829: "file_write",
    0x182A: "file_close",
}
DEVICE_READ: Final = 0x0401
DEVICE_WRITE: Final = 0x1401
READ_RANDOM: Final = 0x0403
WRITE_RANDOM: Final = 0x1402
READ_CPU_MODEL: Final = 0x0101
REMOTE_RUN: Final = 0x1001
PASSWORD_COMMANDS: Final = frozenset({0x1630, 0x1631})
LOOPBACK: Final = 0x0619

#: commands that change the PLC (``is_write``)
WRITE_COMMANDS: Final = frozenset({
    0x1401, 0x1402, 0x1406, 0x1613, 0x1601, 0x1001, 0x1002, 0x1003, 0x1005, 0x1006, 0x1617, 0x1820, 0x1822,
    0x1824, 0x1825, 0x1826, 0x1829,
})

SUBCOMMANDS: Final[dict[int, str]] = {
    0x0000: "word_units",
    0x0001: "bit_units",
    0x0002: "word_units_32bit_device",
    0x0003: "bit_units_32bit_device",
    0x0080: "word_units_extension",
    0x0081: "bit_units_extension",
    0x0082: "word_units_32bit_device_extension",
    0x0083: "bit_units_32bit_device_extension",
}

DEVICES: Final[dict[int, str]] = {
    0x91: "SM", 0xA9: "SD", 0x9C: "X", 0x9D: "Y", 0x90: "M", 0x92: "L", 0x93: "F", 0x94: "V", 0xA0: "B",
    0xA8: "D", 0xB4: "W", 0xC1: "TS", 0xC0: "TC", 0xC2: "TN", 0x51: "LTS", 0x50: "LTC", 0x52: "LTN",
    0xC7: "STS", 0xC6: "STC", 0xC8: "STN", 0x59: "LSTS", 0x58: "LSTC", 0x5A: "LSTN", 0xC4: "CS", 0xC3: "CC",
    0xC5: "CN", 0x55: "LCS", 0x54: "LCC", 0x56: "LCN", 0xA1: "SB", 0xB5: "SW", 0x98: "S", 0xA2: "DX",
    0xA3: "DY", 0xCC: "Z", 0x62: "LZ", 0xAF: "R", 0xB0: "ZR", 0x2C: "RD", 0xAB: "G", 0x2E: "HG",
}
#: devices addressed in hexadecimal (X, Y, B, W, SB, SW, DX, DY)
HEX_DEVICES: Final = frozenset({0x9C, 0x9D, 0xA0, 0xB4, 0xA1, 0xB5, 0xA2, 0xA3})

END_CODES: Final[dict[int, str]] = {
    0x0000: "normal_completion",
    0xC050: "ascii_not_convertible",
    0xC051: "points_out_of_range",
    0xC052: "points_out_of_range",
    0xC053: "points_out_of_range",
    0xC054: "points_out_of_range",
    0xC055: "file_data_error",
    0xC056: "device_out_of_range",
    0xC058: "request_data_length_mismatch",
    0xC059: "command_not_supported",
    0xC05B: "device_not_accessible",
    0xC05C: "request_content_error",
    0xC05D: "monitor_not_registered",
    0xC05F: "request_not_executable",
    0xC060: "request_content_error",
    0xC061: "request_data_length_mismatch",
    0xC06F: "communication_data_code_mismatch",
    0xC070: "device_extension_not_allowed",
    0xC0B5: "unsupported_data",
    0xC200: "remote_password_mismatch",
    0xC201: "locked_by_remote_password",
    0xC204: "unlocked_by_another_device",
    0x4000: "cpu_error",
    0x4001: "cpu_not_executable_in_this_state",
    0x4010: "cpu_running",
    0x4013: "cpu_not_stopped",
    0x4030: "device_not_supported",
    0x4031: "device_out_of_range",
    0x4080: "data_error",
    0x40C0: "file_error",
    0x4C00: "cpu_busy",
}

# -- MELSOFT engineering frames (GX Works; subheader 0x57 / 0xD7) and UDP 5560 discovery ------------
MELSOFT_REQ: Final = 0x57
MELSOFT_RESP: Final = 0xD7
MELSOFT_HEADER: Final = 21
MELSOFT_MAGIC: Final = b"\x00\x00\x00\x11\x11"
#: the MELSOFT command whose answer carries the CPU model name (observed in GX Works traffic)
MELSOFT_READ_MODEL: Final = 0x0121
DISCOVERY_REQ: Final = 0x5A
DISCOVERY_RESP: Final = 0xDA


def NAME_OF_SUBCOMMAND(command: int, sub: int) -> str:  # noqa: N802 - a table lookup
    """Subcommand names are shared by the device-access commands; others are numbers."""
    if (command >> 8) & 0x0F in (0x04, 0x08) or command in (0x0401, 0x1401, 0x0403, 0x1402, 0x0406, 0x1406):
        return name_of(SUBCOMMANDS, sub)
    return f"unknown-{sub}" if sub else "none"


EVENTS: Final[dict[int, tuple[str, str]]] = {
    c: (f"slmp_{n}_request", f"slmp_{n}_response") for c, n in COMMANDS.items()
}
UNKNOWN_EVENTS: Final = ("slmp_unknown_command_request", "slmp_unknown_command_response")
