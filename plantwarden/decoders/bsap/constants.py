"""BSAP (Bristol Synchronous/Asynchronous Protocol, Emerson/Bristol Babcock) code tables.

Names are lower-case identifiers; a code missing from a table renders as ``unknown-<n>``. The
application function codes and RDB function codes follow Emerson's BSAP Application Programmer's
Reference (D4052), as also listed by cisagov's ICSNPP BSAP plugin; the BSAP/IP message types are the
values seen on the wire between OpenBSI and ControlWave (ICSNPP names them the same way).
See docs/protocols/bsap.md.
"""

from __future__ import annotations

from typing import Final

#: BSAP/IP datagram header: header length (14), message count, message type, sequence, acknowledged
IP_HEADER_LEN: Final = 14
IP_MESSAGE_TYPES: Final[dict[int, str]] = {
    0x0000: "poll",
    0x0001: "response",  # ICSNPP: RESPONSECNT
    0x0005: "response",
    0x0006: "request",
    0x0084: "request",
    0x0086: "request",
}
#: the names ICSNPP's bsap_ip_header.log gives the same codes (for the oracle and the doc)
ICSNPP_IP_MESSAGE_TYPES: Final[dict[int, str]] = {
    0x0000: "POLL", 0x0001: "RESPONSECNT", 0x0005: "RESPONSE", 0x0006: "REQUEST", 0x0084: "REQUEST",
    0x0086: "REQUEST",
}

#: application ("task") function codes: DFUN / SFUN of a message
APP_FUNCTIONS: Final[dict[int, str]] = {
    0x00: "illegal",
    0x03: "pei_pc",  # on-line PEI (portable engineer's interface / HMI) messages for a PC
    0x40: "pei_rtu",
    0x48: "diag",
    0x50: "transmitter_req_3508",
    0x51: "transmitter_resp_3508",
    0x60: "cbo",
    0x68: "flash_download",
    0x6A: "flash_config",
    0x70: "cmd_handler_req",
    0x71: "cmd_handler_resp",
    0x78: "download_req_msg_frames",
    0x88: "ts_nrt_msg",
    0x89: "req_ts_nrt_msg",
    **{0x98 + i: f"ps_passthru_tsk{i + 1}" for i in range(8)},
    0xA0: "rdb",
    0xA1: "rdb_extension",
    0xA2: "rbe_firm",
    0xA3: "rbe_mngr",
    0xA8: "alarm_ack",
    0xA9: "alarm_init",
    0xAA: "alarm_report",
    0xB0: "p2p_master",
    0xB1: "p2p_slave",
    0xBF: "tunnel_request",
    0xC0: "ip_processing_task",
    **{0xC1 + i: f"ps_passthru_com{i + 1}" for i in range(11)},
}
APP_RDB: Final = 0xA0
APP_RDB_EXT: Final = 0xA1

#: serial link-level function codes (in the DFUN position of a serial message)
LINK_FUNCTIONS: Final[dict[int, str]] = {
    0x81: "dial_up_ack",
    0x83: "ack",  # message discarded
    0x85: "poll",
    0x86: "down_transmit_ack",
    0x87: "ack_no_data",
    0x8A: "up_ack_with_poll",
    0x8B: "up_ack_master",
    0x95: "nak_no_data",
}

#: remote database access (RDB) function codes; bit 7 set = write
RDB_FUNCTIONS: Final[dict[int, str]] = {
    0x00: "read_signal_by_address",
    0x02: "read_logical_by_address",
    0x04: "read_signal_by_name",
    0x06: "read_logical_by_name",
    0x0C: "read_signal_by_list_start",
    0x0D: "read_signal_by_list_continue",
    0x0E: "read_logical_by_list_start",
    0x0F: "read_logical_by_list_continue",
    0x80: "write_signal_by_address",
    0x84: "write_signal_by_name",
    0x8C: "write_signal_by_list_start",
    0x8D: "write_signal_by_list_continue",
}
RDB_BY_NAME: Final = frozenset({0x04, 0x06, 0x84})
RDB_BY_ADDRESS: Final = frozenset({0x00, 0x02, 0x80})

#: write descriptor byte before each written value
WRITE_CODES: Final[dict[int, str]] = {0x09: "logical_on", 0x0A: "logical_off", 0x0B: "analog"}


def _table(names: dict[int, str], size: int) -> tuple[str, ...]:
    return tuple(names.get(i, f"unknown-{i}") for i in range(size))


APP_NAMES: Final = _table(APP_FUNCTIONS, 256)
LINK_NAMES: Final = _table(LINK_FUNCTIONS, 256)
RDB_NAMES: Final = _table(RDB_FUNCTIONS, 256)
WRITE_NAMES: Final = _table(WRITE_CODES, 256)


def ip_message_type_name(code: int) -> str:
    return IP_MESSAGE_TYPES.get(code, f"unknown-{code}")
