"""HART-IP message bodies: session initiate, token-passing PDU, direct PDU, read audit log.

Each function reads the body ``b[p:end]`` of one message into the event's fields and returns a
problem description for the weird ``hartip_malformed_body`` (empty when none). None raises.
"""

from __future__ import annotations

import struct
from typing import Any, Final

from plantwarden.decoders.hartip.constants import (
    COMMAND_NAMES,
    DEVICE_STATUS_BITS,
    FRAME_TYPES,
    MASTER_TYPES,
    PHYSICAL_LAYERS,
    STATUS_NAMES,
    name_of,
)

_u16 = struct.Struct(">H").unpack_from
_u32 = struct.Struct(">I").unpack_from
_u64 = struct.Struct(">Q").unpack_from
#: packed ASCII (6 bits per character): the 64 characters
_PACKED: Final = "@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_ !\"#$%&'()*+,-./0123456789:;<=>?"


def device_status(v: int) -> list[str]:
    return [name for bit, name in DEVICE_STATUS_BITS if v & bit]


def packed_ascii(raw: bytes) -> str:
    """HART packed ASCII: every 3 octets carry 4 six-bit characters."""
    out = []
    for i in range(0, len(raw) - len(raw) % 3, 3):
        v = int.from_bytes(raw[i:i + 3], "big")
        out.append(_PACKED[v >> 18] + _PACKED[(v >> 12) & 63] + _PACKED[(v >> 6) & 63] + _PACKED[v & 63])
    return "".join(out).rstrip()


def latin1(raw: bytes) -> str:
    return raw.decode("latin-1").replace("\x00", "").strip()


def session_initiate(b: bytes, p: int, end: int, f: dict[str, Any]) -> str:
    if end - p < 5:
        return "session initiate body shorter than 5 octets" if end > p else ""
    f["master_type"] = name_of(MASTER_TYPES, b[p])
    f["inactivity_close_timer"] = _u32(b, p + 1)[0]
    return ""


def read_audit_log(b: bytes, p: int, end: int, f: dict[str, Any], request: bool) -> str:
    if end - p < 2:
        return "audit log body shorter than 2 octets"
    f["start_record"] = b[p]
    f["record_count"] = b[p + 1]
    if request:
        return ""
    if end - p < 22:
        return "audit log response shorter than 22 octets"
    f["power_up_time"] = _u64(b, p + 2)[0]
    f["last_security_change"] = _u64(b, p + 10)[0]
    f["server_status"] = _u16(b, p + 18)[0]
    f["session_record_size"] = _u16(b, p + 20)[0]
    return ""


def direct_pdu(b: bytes, p: int, end: int, f: dict[str, Any], response: bool) -> str:
    """Device status, extended status, then commands: number (2 octets), byte count, [response
    code,] data. ``commands``: list of ``{command, command_name, byte_count[, response_code]}``."""
    if end - p < 2:
        return "direct PDU shorter than 2 octets"
    f["device_status"] = b[p]
    f["device_status_flags"] = device_status(b[p])
    f["extended_device_status"] = b[p + 1]
    q = p + 2
    cmds: list[dict[str, Any]] = []
    while q < end:
        if end - q < 3:
            f["commands"] = cmds
            return "direct PDU command cut short"
        cmd = _u16(b, q)[0]
        bc = b[q + 2]
        item: dict[str, Any] = {"command": cmd, "command_name": COMMAND_NAMES[cmd] if cmd < 256 else f"unknown-{cmd}",
                                "byte_count": bc}
        if response and bc:
            item["response_code"] = b[q + 3] if q + 3 < end else None
        if len(cmds) < 64:
            cmds.append(item)
        q += 3 + bc
    f["commands"] = cmds
    if cmds:
        f["command"], f["command_name"] = cmds[0]["command"], cmds[0]["command_name"]
    return "direct PDU command data cut short" if q > end else ""


def token_passing(b: bytes, p: int, end: int, f: dict[str, Any]) -> str:
    """A HART token-passing frame: [preambles] delimiter, address, [expansion], command, byte count,
    data (with response code and device status in answers), check byte."""
    start = p
    while p < end and b[p] == 0xFF:
        p += 1
    if p > start:
        f["preambles"] = p - start
    if p >= end:
        return "token-passing PDU without delimiter"
    d = b[p]
    ftype = d & 7
    f["delimiter"] = d
    f["frame_type"] = name_of(FRAME_TYPES, ftype)
    f["physical_layer"] = PHYSICAL_LAYERS[(d >> 3) & 3]
    expansion = (d >> 5) & 3
    q = p + 1
    if d & 0x80:
        if end - q < 5:
            return "unique address cut short"
        a = b[q:q + 5]
        f["address_type"] = "unique"
        f["unique_address"] = a.hex()
        f["expanded_device_type"] = ((a[0] & 0x3F) << 8) | a[1]
        f["device_id"] = (a[2] << 16) | (a[3] << 8) | a[4]
        q += 5
    else:
        if end - q < 1:
            return "polling address cut short"
        a = b[q:q + 1]
        f["address_type"] = "polling"
        f["polling_address"] = a[0] & 0x3F
        q += 1
    f["primary_master"] = bool(a[0] & 0x80)
    f["burst_mode"] = bool(a[0] & 0x40)
    q += expansion
    if end - q < 2:
        return "command and byte count missing"
    cmd, bc = b[q], b[q + 1]
    f["command"] = cmd
    f["command_name"] = COMMAND_NAMES[cmd]
    f["pdu_byte_count"] = bc
    s = q + 2
    e = s + bc
    if e > end:
        return f"command {cmd}: {bc} data octets announced, {end - s} present"
    if e < end:
        f["check_byte"] = b[e]
        x = 0
        for v in b[p:e]:
            x ^= v
        f["check_byte_ok"] = x == b[e]
    answer = ftype in (1, 6)
    if answer:
        if bc < 2:
            return f"command {cmd}: answer without response code and device status"
        rc = b[s]
        f["response_code"] = rc
        f["response"] = "communication_error" if rc & 0x80 else STATUS_NAMES[rc]
        f["device_status"] = b[s + 1]
        f["device_status_flags"] = device_status(b[s + 1])
        s += 2
    if cmd == 31 and e - s >= 2:
        f["extended_command"] = _u16(b, s)[0]
    elif answer and not b[s - 2] & 0x80:
        _answer_data(b, s, e, cmd, f)
    return ""


def _answer_data(b: bytes, s: int, e: int, cmd: int, f: dict[str, Any]) -> None:
    """Command 0 (identity), 13 (tag, descriptor, date), 20 (long tag), 12 (message)."""
    n = e - s
    if cmd in (0, 11, 21) and n >= 12 and b[s] == 254:
        univ = b[s + 4]
        f["universal_revision"] = univ
        f["device_revision"] = b[s + 5]
        f["software_revision"] = b[s + 6]
        f["hardware_revision"] = b[s + 7] >> 3
        f["physical_signaling"] = b[s + 7] & 7
        dev_id = (b[s + 9] << 16) | (b[s + 10] << 8) | b[s + 11]
        f["device_id"] = dev_id
        if univ >= 7 and n >= 19:
            manufacturer = _u16(b, s + 17)[0]
            dtype = _u16(b, s + 1)[0]
        else:
            manufacturer = b[s + 1]
            dtype = b[s + 2]
        f["manufacturer_id"] = manufacturer
        f["expanded_device_type"] = dtype
        if n >= 16:
            f["configuration_change_counter"] = _u16(b, s + 14)[0]
        f["identity"] = {
            "vendor_id": manufacturer, "device_type": dtype, "revision": f["device_revision"],
            "firmware": f["software_revision"], "hardware": f["hardware_revision"], "serial_number": dev_id,
        }
    elif cmd == 13 and n >= 21:
        f["tag"] = packed_ascii(b[s:s + 6])
        f["descriptor"] = packed_ascii(b[s + 6:s + 18])
        day, month, year = b[s + 18], b[s + 19], b[s + 20]
        f["date"] = f"{1900 + year:04d}-{month:02d}-{day:02d}"
    elif cmd == 20 and n >= 32:
        tag = latin1(b[s:s + 32])
        f["long_tag"] = tag
        if tag:
            f["identity"] = {"name": tag}
    elif cmd == 12 and n >= 24:
        f["message"] = packed_ascii(b[s:s + 24])
