"""Beckhoff ADS/AMS decoders: ADS over AMS/TCP (TCP 48898) and the UDP 48899 services (discovery,
add route) plus AMS over UDP. Sans-IO; one event per AMS message. See docs/protocols/ads.md.
"""

from __future__ import annotations

import struct
from typing import Any, ClassVar

from plantwarden.core.events import Event, weird
from plantwarden.decoders.ads.activity import activity as classify_activity
from plantwarden.decoders.ads.constants import (
    AMS_HEADER,
    AMS_PORTS,
    AMS_TCP_HEADER,
    COMMANDS,
    ERRORS,
    EVENTS,
    FLAG_RESPONSE,
    MAX_BUFFERED,
    MAX_LENGTH,
    MAX_PENDING,
    UDP_MAGIC,
    UDP_RESPONSE,
    UDP_SERVICES,
    WRITE_COMMANDS,
    flag_names,
    name_of,
)
from plantwarden.decoders.ads.messages import REQUESTS, RESPONSES, Malformed, net_id, udp_tags
from plantwarden.decoders.base import Decoder

_AMS = struct.Struct("<6sH6sHHHIII")
_unpack_ams = _AMS.unpack_from
_ROUTER_COMMANDS = {0x1000: "port_connect", 0x1001: "port_close", 0x1002: "router_notification",
                    0x1003: "get_local_net_id"}


#: net id bytes -> dotted text, and state flags -> names (a flow repeats the same few values)
_NET_IDS: dict[bytes, str] = {}
_FLAG_NAMES: dict[int, list[str]] = {}


def _net_id(raw: bytes) -> str:
    text = _NET_IDS.get(raw)
    if text is None:
        text = ".".join(map(str, raw))
        if len(_NET_IDS) < 4096:
            _NET_IDS[raw] = text
    return text


def _flags(flags: int) -> list[str]:
    names = _FLAG_NAMES.get(flags)
    if names is None:
        names = _FLAG_NAMES[flags] = flag_names(flags)
    return list(names)


def plausible_ams(buf: bytes, off: int) -> bool:
    """Whether an AMS/TCP header with a sensible AMS header starts at ``off`` (needs 38 bytes)."""
    if len(buf) - off < AMS_TCP_HEADER + AMS_HEADER or buf[off] or buf[off + 1]:
        return False
    length = int.from_bytes(buf[off + 2:off + 6], "little")
    cmd = buf[off + 22] | (buf[off + 23] << 8)
    flags = buf[off + 24] | (buf[off + 25] << 8)
    dlen = int.from_bytes(buf[off + 26:off + 30], "little")
    return AMS_HEADER <= length <= MAX_LENGTH and cmd <= 9 and bool(flags & 0x0004) and dlen + AMS_HEADER == length


class AdsDecoder(Decoder):
    """ADS over AMS/TCP. Request or response is read from the AMS state flags."""

    name: ClassVar[str] = "ads"
    transport: ClassVar[str] = "tcp"
    default_ports: ClassVar[tuple[int, ...]] = (48898,)
    activity = staticmethod(classify_activity)

    def __init__(self) -> None:
        super().__init__()
        self._buf: list[bytes] = [b"", b""]  # [1] originator -> responder
        self._skip = [0, 0]  # bytes of an oversized message still to be skipped
        self._resync = [False, False]
        #: invoke id -> command id of outstanding requests
        self._pending: dict[int, int] = {}
        self.messages = 0

    @classmethod
    def probe(cls, data: bytes, is_orig: bool) -> float:
        return 0.9 if plausible_ams(data, 0) else -1.0

    def feed(self, data: bytes, is_orig: bool, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        if self.violated or not data:
            return out
        d = 1 if is_orig else 0
        if self._skip[d]:
            if len(data) <= self._skip[d]:
                self._skip[d] -= len(data)
                return out
            data = data[self._skip[d]:]
            self._skip[d] = 0
        buf = self._buf[d] + data if self._buf[d] else data
        n = len(buf)
        off = 0
        while n - off >= AMS_TCP_HEADER:
            if self._resync[d]:
                j = off
                while j + AMS_TCP_HEADER + AMS_HEADER <= n and not plausible_ams(buf, j):
                    j += 1
                if j + AMS_TCP_HEADER + AMS_HEADER > n:
                    off = max(off, n - AMS_TCP_HEADER - AMS_HEADER + 1)
                    break
                if j != off:
                    out.append(weird("ads_resync", ts, frame, is_orig, f"skipped {j - off} bytes"))
                off = j
                self._resync[d] = False
            reserved = buf[off] | (buf[off + 1] << 8)
            length = int.from_bytes(buf[off + 2:off + 6], "little")
            router = reserved in _ROUTER_COMMANDS
            if (reserved and not router) or length > MAX_LENGTH or (not router and length < AMS_HEADER):
                if not self.confirmed:
                    out.append(weird("ads_protocol_violation", ts, frame, is_orig,
                                     f"AMS/TCP reserved 0x{reserved:04x}, length {length}"))
                    self.violated = True
                    self._buf = [b"", b""]
                    return out
                out.append(weird("ads_bad_header", ts, frame, is_orig, f"reserved 0x{reserved:04x}, length {length}"))
                self._resync[d] = True
                off += 1
                continue
            end = off + AMS_TCP_HEADER + length
            if router:
                if end > n:
                    break
                self.confirmed = True
                out.append(Event("ads_router_message", ts, frame, is_orig, {
                    "ams_tcp_command": reserved, "ams_tcp_command_name": _ROUTER_COMMANDS[reserved],
                    "data": buf[off + 6:min(end, off + 6 + 64)].hex()}))
                off = end
                continue
            if end > n:
                if length > MAX_BUFFERED and n - off >= AMS_TCP_HEADER + AMS_HEADER + 64:
                    # too big to hold: decode what is here, skip the rest
                    self._ams(buf, off + AMS_TCP_HEADER, n, is_orig, ts, frame, out, truncated=True)
                    self._skip[d] = end - n
                    off = n
                break
            self._ams(buf, off + AMS_TCP_HEADER, end, is_orig, ts, frame, out)
            off = end
        self._buf[d] = buf[off:] if off < n else b""
        return out

    def gap(self, nbytes: int, is_orig: bool, ts: float, frame: int) -> list[Event]:
        d = 1 if is_orig else 0
        self._buf[d] = b""
        self._skip[d] = 0
        self._resync[d] = True
        return []

    # -- one AMS message --------------------------------------------------------------------------

    def _ams(self, buf: bytes, s: int, e: int, is_orig: bool, ts: float, frame: int, out: list[Event],
             truncated: bool = False) -> None:
        if e - s < AMS_HEADER:
            out.append(weird("ads_short_ams_header", ts, frame, is_orig, f"{e - s} bytes"))
            return
        self.messages += 1
        self.confirmed = True
        tnet, tport, snet, sport, cmd, flags, dlen, err, invoke = _unpack_ams(buf, s)
        is_resp = bool(flags & FLAG_RESPONSE)
        f: dict[str, Any] = {
            "direction": "response" if is_resp else "request",
            "target_net_id": _net_id(tnet), "target_port": tport,
            "target_port_name": name_of(AMS_PORTS, tport),
            "source_net_id": _net_id(snet), "source_port": sport,
            "command_id": cmd, "command": name_of(COMMANDS, cmd), "is_write": cmd in WRITE_COMMANDS,
            "state_flags": flags, "state_flag_names": _flags(flags),
            "data_length": dlen, "error_code": err, "error": name_of(ERRORS, err), "invoke_id": invoke,
        }
        if truncated:
            f["truncated"] = True
        names = EVENTS[cmd] if cmd < 16 else ("ads_unknown_command_request", "ads_unknown_command_response")
        out.append(Event(names[1] if is_resp else names[0], ts, frame, is_orig, f))
        d = s + AMS_HEADER
        de = min(e, d + dlen)
        if is_resp:
            req = self._pending.pop(invoke, None)
            if req is not None and req != cmd:
                out.append(weird("ads_response_command_mismatch", ts, frame, is_orig,
                                 f"invoke id {invoke}: request {req}, response {cmd}"))
            parser = RESPONSES.get(cmd)
            if err or de == d:
                return  # an AMS-level error answer carries no ADS data
        else:
            if cmd != 8 and not flags & 0x0002:
                if len(self._pending) >= MAX_PENDING:
                    self._pending.clear()
                self._pending[invoke] = cmd
            parser = REQUESTS.get(cmd)
        if parser is None:
            return
        try:
            parser(buf, d, de, f)
        except Malformed as exc:
            if not truncated:
                out.append(weird("ads_malformed_data", ts, frame, is_orig, f"{f['command']}: {exc}"))
        if not truncated and e - s != AMS_HEADER + dlen:
            out.append(weird("ads_length_mismatch", ts, frame, is_orig,
                             f"AMS data length {dlen}, message has {e - s - AMS_HEADER}"))


class AdsUdpDecoder(AdsDecoder):
    """UDP 48899: the TwinCAT discovery / route services (magic ``03 66 14 71``), or AMS over UDP."""

    transport: ClassVar[str] = "udp"
    default_ports: ClassVar[tuple[int, ...]] = (48899,)

    @classmethod
    def probe(cls, data: bytes, is_orig: bool) -> float:
        return 0.9 if data[:4] == UDP_MAGIC and len(data) >= 24 else -1.0

    def feed(self, data: bytes, is_orig: bool, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        if self.violated or not data:
            return out
        if data[:4] != UDP_MAGIC:
            if len(data) >= AMS_HEADER and plausible_ams(b"\x00\x00" + (len(data)).to_bytes(4, "little") + data, 0):
                self._ams(data, 0, len(data), is_orig, ts, frame, out)
            elif not self.confirmed:
                out.append(weird("ads_protocol_violation", ts, frame, is_orig, f"no ADS magic: {data[:8].hex()}"))
                self.violated = True
            else:
                out.append(weird("ads_bad_header", ts, frame, is_orig, f"{len(data)} bytes: {data[:8].hex()}"))
            return out
        if len(data) < 24:
            out.append(weird("ads_udp_truncated", ts, frame, is_orig, f"{len(data)} bytes"))
            return out
        self.confirmed = True
        invoke, service = struct.unpack_from("<II", data, 4)
        is_resp = bool(service & UDP_RESPONSE)
        sid = service & 0x7FFFFFFF
        sname = name_of(UDP_SERVICES, sid)
        f: dict[str, Any] = {
            "direction": "response" if is_resp else "request", "invoke_id": invoke, "service_id": sid,
            "service": sname, "ams_net_id": net_id(data, 12), "ams_port": data[18] | (data[19] << 8),
            "tag_count": int.from_bytes(data[20:24], "little"),
        }
        ev = f"ads_{sname}_{f['direction']}" if sid in UDP_SERVICES else f"ads_udp_unknown_{f['direction']}"
        out.append(Event(ev, ts, frame, is_orig, f))
        if not udp_tags(data, 24, f["tag_count"], f, is_resp):
            out.append(weird("ads_udp_truncated", ts, frame, is_orig, f"{sname}: tags cut short"))
        return out
