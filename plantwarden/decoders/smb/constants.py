"""SMB1 / SMB2 command, dialect, capability and status names ([MS-CIFS], [MS-SMB], [MS-SMB2], [MS-ERREF])."""

from __future__ import annotations

_SMB1: dict[int, str] = {
    0x00: "create_directory", 0x01: "delete_directory", 0x02: "open", 0x03: "create", 0x04: "close",
    0x05: "flush", 0x06: "delete", 0x07: "rename", 0x08: "query_information", 0x09: "set_information",
    0x0A: "read", 0x0B: "write", 0x0C: "lock_byte_range", 0x0D: "unlock_byte_range", 0x0E: "create_temporary",
    0x0F: "create_new", 0x10: "check_directory", 0x11: "process_exit", 0x12: "seek", 0x13: "lock_and_read",
    0x14: "write_and_unlock", 0x1A: "read_raw", 0x1D: "write_raw", 0x22: "set_information2",
    0x23: "query_information2", 0x24: "locking_andx", 0x25: "transaction", 0x26: "transaction_secondary",
    0x27: "ioctl", 0x2B: "echo", 0x2C: "write_and_close", 0x2D: "open_andx", 0x2E: "read_andx",
    0x2F: "write_andx", 0x31: "close_and_tree_disconnect", 0x32: "transaction2", 0x33: "transaction2_secondary",
    0x34: "find_close2", 0x70: "tree_connect", 0x71: "tree_disconnect", 0x72: "negotiate",
    0x73: "session_setup_andx", 0x74: "logoff_andx", 0x75: "tree_connect_andx", 0x80: "query_information_disk",
    0x81: "search", 0x82: "find", 0x83: "find_unique", 0x84: "find_close", 0xA0: "nt_transact",
    0xA1: "nt_transact_secondary", 0xA2: "nt_create_andx", 0xA4: "nt_cancel", 0xA5: "nt_rename",
    0xC0: "open_print_file", 0xC1: "write_print_file", 0xC2: "close_print_file",
}
SMB1_COMMANDS: tuple[str, ...] = tuple(_SMB1.get(i, f"unknown-{i}") for i in range(256))

_SMB2: dict[int, str] = {
    0: "negotiate", 1: "session_setup", 2: "logoff", 3: "tree_connect", 4: "tree_disconnect", 5: "create",
    6: "close", 7: "flush", 8: "read", 9: "write", 10: "lock", 11: "ioctl", 12: "cancel", 13: "echo",
    14: "query_directory", 15: "change_notify", 16: "query_info", 17: "set_info", 18: "oplock_break",
    19: "server_to_client_notification",
}


def smb2_command(code: int) -> str:
    return _SMB2.get(code) or f"unknown-{code}"


_DIALECTS: dict[int, str] = {0x0202: "2.0.2", 0x0210: "2.1", 0x02FF: "2.???", 0x0300: "3.0", 0x0302: "3.0.2",
                             0x0311: "3.1.1"}


def dialect_name(code: int) -> str:
    return _DIALECTS.get(code) or f"unknown-{code}"


#: SMB2 capability bits
SMB2_CAPS: tuple[tuple[int, str], ...] = (
    (0x01, "dfs"), (0x02, "leasing"), (0x04, "large_mtu"), (0x08, "multi_channel"),
    (0x10, "persistent_handles"), (0x20, "directory_leasing"), (0x40, "encryption"), (0x80, "notifications"),
)
#: SMB1 capability bits (negotiate response)
SMB1_CAPS: tuple[tuple[int, str], ...] = (
    (0x1, "raw_mode"), (0x2, "mpx_mode"), (0x4, "unicode"), (0x8, "large_files"), (0x10, "nt_smbs"),
    (0x20, "rpc_remote_apis"), (0x40, "nt_status"), (0x80, "level_ii_oplocks"), (0x100, "lock_and_read"),
    (0x200, "nt_find"), (0x1000, "dfs"), (0x2000, "infolevel_passthru"), (0x4000, "large_readx"),
    (0x8000, "large_writex"), (0x10000, "lwio"), (0x800000, "unix"), (0x20000000, "dynamic_reauth"),
    (0x40000000, "persistent_handles"), (0x80000000, "extended_security"),
)


def bits(value: int, table: tuple[tuple[int, str], ...]) -> list[str]:
    return [name for bit, name in table if value & bit]


_STATUS: dict[int, str] = {
    0x00000000: "STATUS_SUCCESS", 0x00000103: "STATUS_PENDING", 0x80000005: "STATUS_BUFFER_OVERFLOW",
    0x80000006: "STATUS_NO_MORE_FILES", 0xC0000001: "STATUS_UNSUCCESSFUL", 0xC0000002: "STATUS_NOT_IMPLEMENTED",
    0xC000000D: "STATUS_INVALID_PARAMETER", 0xC000000F: "STATUS_NO_SUCH_FILE",
    0xC0000016: "STATUS_MORE_PROCESSING_REQUIRED", 0xC0000022: "STATUS_ACCESS_DENIED",
    0xC0000034: "STATUS_OBJECT_NAME_NOT_FOUND", 0xC0000035: "STATUS_OBJECT_NAME_COLLISION",
    0xC000003A: "STATUS_OBJECT_PATH_NOT_FOUND", 0xC0000043: "STATUS_SHARING_VIOLATION",
    0xC0000064: "STATUS_NO_SUCH_USER", 0xC000006A: "STATUS_WRONG_PASSWORD", 0xC000006D: "STATUS_LOGON_FAILURE",
    0xC000006E: "STATUS_ACCOUNT_RESTRICTION", 0xC000006F: "STATUS_INVALID_LOGON_HOURS",
    0xC0000070: "STATUS_INVALID_WORKSTATION", 0xC0000071: "STATUS_PASSWORD_EXPIRED",
    0xC0000072: "STATUS_ACCOUNT_DISABLED", 0xC000009A: "STATUS_INSUFFICIENT_RESOURCES",
    0xC00000BB: "STATUS_NOT_SUPPORTED", 0xC00000CC: "STATUS_BAD_NETWORK_NAME",
    0xC000015B: "STATUS_LOGON_TYPE_NOT_GRANTED", 0xC0000193: "STATUS_ACCOUNT_EXPIRED",
    0xC0000203: "STATUS_USER_SESSION_DELETED", 0xC0000224: "STATUS_PASSWORD_MUST_CHANGE",
    0xC0000234: "STATUS_ACCOUNT_LOCKED_OUT", 0xC0000205: "STATUS_INSUFF_SERVER_RESOURCES",
    0xC000019C: "STATUS_FS_DRIVER_REQUIRED", 0xC0000225: "STATUS_NOT_FOUND",
}


def status_name(code: int) -> str:
    return _STATUS.get(code) or f"unknown-{code}"


SHARE_TYPES: dict[int, str] = {1: "disk", 2: "pipe", 3: "print"}

#: NTLMSSP message types and target-info (AV pair) ids that carry names
NTLM_TYPES: dict[int, str] = {1: "negotiate", 2: "challenge", 3: "authenticate"}
AV_NAMES: dict[int, str] = {1: "netbios_computer", 2: "netbios_domain", 3: "dns_computer", 4: "dns_domain",
                            5: "dns_tree"}
NBSS_TYPES: dict[int, str] = {0x00: "session_message", 0x81: "session_request", 0x82: "positive_response",
                              0x83: "negative_response", 0x84: "retarget_response", 0x85: "keepalive"}
NBSS_ERRORS: dict[int, str] = {0x80: "not_listening_on_called_name", 0x81: "not_listening_for_calling_name",
                               0x82: "called_name_not_present", 0x83: "insufficient_resources",
                               0x8F: "unspecified_error"}
