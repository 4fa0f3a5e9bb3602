"""ADS command data per command id, and the UDP discovery/route messages (docs/protocols/ads.md).

Parsers fill the event's fields from ``buf[s:e]`` (the ADS data after the AMS header). Data shorter
than the command needs raises :class:`Malformed`; the fields read so far stay in the event.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from plantwarden.decoders.ads.constants import (
    ADS_STATES,
    ERRORS,
    INDEX_GROUPS,
    MAX_HEX,
    TRANSMISSION_MODES,
    UDP_TAGS,
    name_of,
)
from plantwarden.decoders.names import c_string

Fields = dict[str, Any]
Parser = Callable[[bytes, int, int, Fields], None]

_III = struct.Struct("<III")
_IIII = struct.Struct("<IIII")
_HHI = struct.Struct("<HHI")


class Malformed(Exception):
    """ADS data shorter than its command needs."""


def _need(s: int, e: int, n: int, what: str) -> None:
    if e - s < n:
        raise Malformed(f"{what}: {e - s} bytes, {n} needed")


def text(raw: bytes) -> str:
    """Attacker-controlled text: up to the first NUL, UTF-8 when valid else Latin-1, stripped."""
    return c_string(raw)


def net_id(buf: bytes, off: int) -> str:
    return ".".join(map(str, buf[off:off + 6]))


def _hex(buf: bytes, s: int, e: int, f: Fields) -> None:
    if e > s:
        if e - s > MAX_HEX:
            f["data_truncated"] = True
            e = s + MAX_HEX
        f["data"] = buf[s:e].hex()


def _group(f: Fields, group: int, offset: int) -> None:
    f["index_group"] = group
    f["index_group_name"] = name_of(INDEX_GROUPS, group)
    f["index_offset"] = offset


def _result(buf: bytes, s: int, e: int, f: Fields) -> None:
    _need(s, e, 4, "result")
    r = int.from_bytes(buf[s:s + 4], "little")
    f["result"] = r
    f["result_name"] = name_of(ERRORS, r)


def _state(f: Fields, ads_state: int, device_state: int) -> None:
    f["ads_state"] = ads_state
    f["ads_state_name"] = name_of(ADS_STATES, ads_state)
    f["device_state"] = device_state


# -- requests -----------------------------------------------------------------------------------

def req_none(buf: bytes, s: int, e: int, f: Fields) -> None:
    return None


def req_read(buf: bytes, s: int, e: int, f: Fields) -> None:
    _need(s, e, 12, "read")
    g, o, n = _III.unpack_from(buf, s)
    _group(f, g, o)
    f["length"] = n


def req_write(buf: bytes, s: int, e: int, f: Fields) -> None:
    req_read(buf, s, e, f)
    _hex(buf, s + 12, e, f)


def req_write_control(buf: bytes, s: int, e: int, f: Fields) -> None:
    _need(s, e, 8, "write control")
    a, dev, n = _HHI.unpack_from(buf, s)
    _state(f, a, dev)
    f["length"] = n
    _hex(buf, s + 8, e, f)


def req_add_notification(buf: bytes, s: int, e: int, f: Fields) -> None:
    _need(s, e, 24, "add device notification")
    g, o, n, mode = _IIII.unpack_from(buf, s)
    _group(f, g, o)
    f["length"] = n
    f["transmission_mode"] = name_of(TRANSMISSION_MODES, mode)
    f["max_delay"], f["cycle_time"] = struct.unpack_from("<II", buf, s + 16)


def req_delete_notification(buf: bytes, s: int, e: int, f: Fields) -> None:
    _need(s, e, 4, "delete device notification")
    f["notification_handle"] = int.from_bytes(buf[s:s + 4], "little")


def req_notification(buf: bytes, s: int, e: int, f: Fields) -> None:
    _need(s, e, 8, "device notification")
    f["length"], stamps = struct.unpack_from("<II", buf, s)
    f["stamps"] = stamps
    handles: list[int] = []
    samples = 0
    off = s + 8
    for _ in range(min(stamps, 256)):
        if off + 12 > e:
            break
        n = int.from_bytes(buf[off + 8:off + 12], "little")
        off += 12
        for _ in range(min(n, 1024)):
            if off + 8 > e:
                break
            h, size = struct.unpack_from("<II", buf, off)
            samples += 1
            if len(handles) < 64:
                handles.append(h)
            off += 8 + size
    f["samples"] = samples
    f["notification_handles"] = handles


def req_read_write(buf: bytes, s: int, e: int, f: Fields) -> None:
    _need(s, e, 16, "read/write")
    g, o, rn, wn = _IIII.unpack_from(buf, s)
    _group(f, g, o)
    f["length"] = rn
    f["write_length"] = wn
    if g == 0xF003 and wn:  # get a handle by symbol name: the name is the written data
        f["symbol"] = text(buf[s + 16:min(e, s + 16 + wn, s + 16 + 512)])
    _hex(buf, s + 16, e, f)


# -- responses ----------------------------------------------------------------------------------

def resp_result(buf: bytes, s: int, e: int, f: Fields) -> None:
    _result(buf, s, e, f)


def resp_device_info(buf: bytes, s: int, e: int, f: Fields) -> None:
    _result(buf, s, e, f)
    _need(s, e, 8, "device info")
    major, minor = buf[s + 4], buf[s + 5]
    build = int.from_bytes(buf[s + 6:s + 8], "little")
    identity: Fields = {"firmware": f"{major}.{minor}.{build}"}
    name = text(buf[s + 8:min(e, s + 24)])
    if name:
        identity["product_name"] = name
    f["identity"] = identity


def resp_read(buf: bytes, s: int, e: int, f: Fields) -> None:
    _result(buf, s, e, f)
    _need(s, e, 8, "read response")
    f["length"] = int.from_bytes(buf[s + 4:s + 8], "little")
    _hex(buf, s + 8, e, f)


def resp_read_state(buf: bytes, s: int, e: int, f: Fields) -> None:
    _result(buf, s, e, f)
    _need(s, e, 8, "read state response")
    a, dev = struct.unpack_from("<HH", buf, s + 4)
    _state(f, a, dev)


def resp_add_notification(buf: bytes, s: int, e: int, f: Fields) -> None:
    _result(buf, s, e, f)
    _need(s, e, 8, "add device notification response")
    f["notification_handle"] = int.from_bytes(buf[s + 4:s + 8], "little")


REQUESTS: dict[int, Parser] = {
    1: req_none, 2: req_read, 3: req_write, 4: req_none, 5: req_write_control, 6: req_add_notification,
    7: req_delete_notification, 8: req_notification, 9: req_read_write,
}
RESPONSES: dict[int, Parser] = {
    1: resp_device_info, 2: resp_read, 3: resp_result, 4: resp_read_state, 5: resp_result,
    6: resp_add_notification, 7: resp_result, 9: resp_read,
}


# -- UDP discovery / routes ---------------------------------------------------------------------

def udp_tags(buf: bytes, off: int, count: int, f: Fields, is_response: bool) -> bool:
    """Read ``count`` tags from ``off``; fill ``f`` (never the password). False when cut short."""
    unknown: list[int] = []
    identity: Fields = {}
    n = len(buf)
    for _ in range(min(count, 64)):
        if off + 4 > n:
            return False
        tag, ln = struct.unpack_from("<HH", buf, off)
        off += 4
        val = buf[off:off + ln]
        if off + ln > n:
            return False
        off += ln
        key = UDP_TAGS.get(tag)
        if key is None:
            unknown.append(tag)
        elif key == "password":
            f["password_present"] = True
        elif key in ("host_name", "route_name", "user_name"):
            f[key] = text(val)
            if key == "host_name" and is_response and f[key]:
                identity["name"] = f[key]
        elif key == "net_id" and ln == 6:
            f["route_net_id"] = net_id(val, 0)
        elif key == "status" and ln >= 4:
            r = int.from_bytes(val[:4], "little")
            f["result"] = r
            f["result_name"] = name_of(ERRORS, r)
        elif key == "twincat_version" and ln >= 4:
            f["twincat_version"] = f"{val[0]}.{val[1]}.{int.from_bytes(val[2:4], 'little')}"
            if is_response:
                identity["firmware"] = f["twincat_version"]
        elif key == "os_version" and ln >= 20:
            major, minor, build, platform = struct.unpack_from("<IIII", val, 4)
            f["os_version"] = f"{major}.{minor}.{build}"
            f["os_platform"] = platform
        elif key == "fingerprint":
            f["fingerprint"] = text(val)
        else:
            f[key] = val.hex()
    if unknown:
        f["unknown_tags"] = unknown
    if identity:
        f["identity"] = identity
    return True
