"""BSAP decoders: BSAP over IP (UDP 1234) and serial BSAP carried in UDP (UDP 1235).

BSAP/IP datagram: a 14-byte header (header length 14, message count, message type, the sender's
sequence number and the last one it received, all little-endian) and that many messages, each with
its length (u32, itself included), a header size byte, the application sequence number (u32), then
for a request the destination function, node status and the function's data (RDB: function code
...), for a response the response status, element count and elements.

Serial BSAP: DLE STX, address (bit 7: global message), message serial number, [global: destination
and source address, control byte], destination function, sequence (u16), source function, node status,
data, DLE ETX, CRC-16 (little-endian; reflected polynomial 0x8408, initial 0xFFFF, over the bytes
after DLE STX up to and including ETX, DLE stuffing removed). DLE (0x10) inside a frame is doubled.

See docs/protocols/bsap.md.
"""

from __future__ import annotations

import struct
from collections import OrderedDict
from typing import Any, ClassVar, Final

from plantwarden.core.events import Event, weird
from plantwarden.decoders.base import Decoder
from plantwarden.decoders.bsap.activity import activity as classify_activity
from plantwarden.decoders.bsap.constants import (
    APP_NAMES,
    APP_RDB,
    IP_HEADER_LEN,
    IP_MESSAGE_TYPES,
    LINK_FUNCTIONS,
    LINK_NAMES,
    ip_message_type_name,
)
from plantwarden.decoders.bsap.rdb import Request, parse_request, parse_response

_IP_HDR: Final = struct.Struct("<HHHII")
_U32: Final = struct.Struct("<I")
MAX_PENDING: Final = 64
MAX_MESSAGES: Final = 64
_REQUEST_TYPES: Final = frozenset({0x0006, 0x0084, 0x0086})
_RESPONSE_TYPES: Final = frozenset({0x0001, 0x0005})
DLE: Final = 0x10
STX: Final = 0x02
ETX: Final = 0x03


def _crc_table() -> tuple[int, ...]:
    out = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x8408 if c & 1 else c >> 1
        out.append(c)
    return tuple(out)


_CRC: Final = _crc_table()


def crc16(data: bytes) -> int:
    """BSAP's CRC-16: reflected polynomial 0x8408 (CCITT), initial value 0xFFFF, no final xor."""
    c = 0xFFFF
    for b in data:
        c = (c >> 8) ^ _CRC[(c ^ b) & 0xFF]
    return c


class _BsapBase(Decoder):
    name: ClassVar[str] = "bsap"
    transport: ClassVar[str] = "udp"
    activity = staticmethod(classify_activity)

    def __init__(self) -> None:
        super().__init__()
        #: sequence number -> (application function, the request) of requests not yet answered
        self._pending: OrderedDict[int, tuple[int, Request | None]] = OrderedDict()

    def _remember(self, seq: int, app: int, req: Request | None) -> None:
        pending = self._pending
        pending[seq] = (app, req)
        if len(pending) > MAX_PENDING:
            pending.popitem(last=False)

    def _violation(self, out: list[Event], ts: float, frame: int, is_orig: bool, detail: str) -> list[Event]:
        if self.confirmed:
            out.append(weird("bsap_malformed", ts, frame, is_orig, detail))
        else:
            out.append(weird("bsap_protocol_violation", ts, frame, is_orig, detail))
            self.violated = True
        return out

    def finish(self, ts: float, frame: int) -> list[Event]:
        self._pending.clear()
        return []


class BsapIpDecoder(_BsapBase):
    """BSAP over IP (OpenBSI / ControlWave network BSAP), UDP 1234."""

    default_ports: ClassVar[tuple[int, ...]] = (1234,)

    @classmethod
    def probe(cls, data: bytes, is_orig: bool) -> float:
        if len(data) < IP_HEADER_LEN:
            return -1.0
        hlen, num, mtype, _, _ = _IP_HDR.unpack_from(data)
        if hlen != IP_HEADER_LEN or mtype not in IP_MESSAGE_TYPES or num > MAX_MESSAGES:
            return -1.0
        if num == 0:
            return 0.55 if len(data) == IP_HEADER_LEN else -1.0
        if len(data) < IP_HEADER_LEN + 10:
            return -1.0
        mlen = _U32.unpack_from(data, IP_HEADER_LEN)[0]
        return 0.9 if IP_HEADER_LEN + mlen <= len(data) and mlen >= 11 else -1.0

    def feed(self, data: bytes, is_orig: bool, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        if self.violated:
            return out
        n = len(data)
        if n < IP_HEADER_LEN:
            return self._violation(out, ts, frame, is_orig, f"{n}-byte datagram")
        hlen, num, mtype, seq, ack = _IP_HDR.unpack_from(data)
        if hlen != IP_HEADER_LEN or num > MAX_MESSAGES:
            return self._violation(out, ts, frame, is_orig, f"header length {hlen}, {num} messages")
        head = {"link": "ip", "message_type": mtype, "message_type_name": ip_message_type_name(mtype),
                "num_messages": num, "packet_sequence": seq, "packet_ack": ack}
        if num == 0 or (mtype not in _REQUEST_TYPES and mtype not in _RESPONSE_TYPES):
            if mtype not in IP_MESSAGE_TYPES:
                if not self.confirmed:
                    return self._violation(out, ts, frame, is_orig, f"message type {mtype}")
                out.append(weird("bsap_unknown_message_type", ts, frame, is_orig, f"message type {mtype}"))
            self.confirmed = self.confirmed or (mtype == 0 and n == IP_HEADER_LEN)
            out.append(Event("bsap_poll" if mtype == 0 else "bsap_ip_header", ts, frame, is_orig, head))
            if n > IP_HEADER_LEN and num == 0:
                out.append(weird("bsap_trailing_bytes", ts, frame, is_orig, f"{n - IP_HEADER_LEN} bytes"))
            return out
        off = IP_HEADER_LEN
        request = mtype in _REQUEST_TYPES
        for _ in range(num):
            if off + 10 > n:
                out.append(weird("bsap_truncated_message", ts, frame, is_orig, f"{n - off} bytes left"))
                break
            mlen = _U32.unpack_from(data, off)[0]
            if mlen < 11 or off + mlen > n:
                if not self.confirmed:
                    return self._violation(out, ts, frame, is_orig, f"message length {mlen}")
                out.append(weird("bsap_truncated_message", ts, frame, is_orig, f"length {mlen}, {n - off} bytes left"))
                break
            body = data[off:off + mlen]
            off += mlen
            f = dict(head)
            f["header_size"] = body[4]
            aseq = f["sequence"] = _U32.unpack_from(body, 5)[0]
            if request:
                self._ip_request(body, aseq, f, is_orig, ts, frame, out)
            else:
                self._ip_response(body, aseq, f, is_orig, ts, frame, out)
        else:
            if off != n:
                out.append(weird("bsap_trailing_bytes", ts, frame, is_orig, f"{n - off} bytes"))
        return out

    def _ip_request(self, body: bytes, seq: int, f: dict[str, Any], is_orig: bool, ts: float, frame: int,
                    out: list[Event]) -> None:
        app = body[9]
        f["direction"] = "request"
        f["app_function_code"] = app
        f["app_function"] = APP_NAMES[app]
        f["node_status"] = body[10]
        if app == APP_RDB:
            req = parse_request(body, 11, f)
            if req is None:
                out.append(weird("bsap_truncated_message", ts, frame, is_orig, "RDB request without a function code"))
                return
            self._remember(seq, app, req)
            self.confirmed = True
            out.append(Event("bsap_rdb_request", ts, frame, is_orig, f))
            return
        self._remember(seq, app, None)
        f["data_length"] = len(body) - 11
        out.append(Event("bsap_request", ts, frame, is_orig, f))

    def _ip_response(self, body: bytes, seq: int, f: dict[str, Any], is_orig: bool, ts: float, frame: int,
                     out: list[Event]) -> None:
        f["direction"] = "response"
        f["response_status"] = body[9]
        count = f["element_count"] = body[10]
        app, req = self._pending.pop(seq, (-1, None))
        f["paired"] = app >= 0
        if app in (APP_RDB, -1):
            parse_response(body, 11, count, req, f)
            self.confirmed = self.confirmed or app >= 0
            out.append(Event("bsap_rdb_response", ts, frame, is_orig, f))
            return
        f["app_function_code"] = app
        f["app_function"] = APP_NAMES[app]
        f["data_length"] = len(body) - 11
        out.append(Event("bsap_response", ts, frame, is_orig, f))


class BsapSerialDecoder(_BsapBase):
    """Serial BSAP frames carried in UDP (a serial-to-Ethernet converter), UDP 1235."""

    default_ports: ClassVar[tuple[int, ...]] = (1235,)

    @classmethod
    def probe(cls, data: bytes, is_orig: bool) -> float:
        if len(data) < 9 or data[0] != DLE or data[1] != STX:
            return -1.0
        end = data.find(b"\x10\x03", 2)
        if end < 0 or end + 4 > len(data):
            return -1.0
        crc = data[end + 2] | data[end + 3] << 8
        return 0.9 if crc16(data[2:end].replace(b"\x10\x10", b"\x10") + b"\x03") == crc else -1.0

    def feed(self, data: bytes, is_orig: bool, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        if self.violated:
            return out
        n = len(data)
        off = 0
        while off < n and not self.violated:
            if n - off < 2 or data[off] != DLE or data[off + 1] != STX:
                if off == 0:
                    return self._violation(out, ts, frame, is_orig, f"no DLE STX (0x{data[off]:02x})")
                out.append(weird("bsap_trailing_bytes", ts, frame, is_orig, f"{n - off} bytes"))
                break
            # unstuff up to DLE ETX
            parts = []
            i = off + 2
            end = -1
            while True:
                j = data.find(b"\x10", i)
                if j < 0 or j + 1 >= n:
                    break
                nxt = data[j + 1]
                if nxt == DLE:
                    parts.append(data[i:j + 1])
                    i = j + 2
                elif nxt == ETX:
                    parts.append(data[i:j])
                    end = j
                    break
                else:
                    out.append(weird("bsap_bad_dle", ts, frame, is_orig, f"DLE followed by 0x{nxt:02x}"))
                    parts.append(data[i:j + 1])
                    i = j + 1
            if end < 0 or end + 4 > n:
                if not self.confirmed:
                    return self._violation(out, ts, frame, is_orig, "no DLE ETX and CRC")
                out.append(weird("bsap_truncated_message", ts, frame, is_orig, "no DLE ETX and CRC"))
                break
            body = b"".join(parts)
            crc = data[end + 2] | data[end + 3] << 8
            calc = crc16(body + b"\x03")
            off = end + 4
            self._frame(body, crc, calc, is_orig, ts, frame, out)
        return out

    def _frame(self, body: bytes, crc: int, calc: int, is_orig: bool, ts: float, frame: int,
               out: list[Event]) -> None:
        n = len(body)
        if n < 3:
            out.append(weird("bsap_truncated_message", ts, frame, is_orig, f"{n}-byte frame"))
            return
        addr = body[0]
        glob = addr >= 0x80
        f: dict[str, Any] = {"link": "serial", "address": addr & 0x7F, "global": glob, "message_serial": body[1],
                             "crc": crc, "crc_valid": crc == calc}
        if crc != calc:
            out.append(weird("bsap_bad_crc", ts, frame, is_orig, f"transmitted 0x{crc:04x}, calculated 0x{calc:04x}"))
        hlen = 12 if glob else 7
        fpos = 7 if glob else 2
        if n > fpos and body[fpos] in LINK_FUNCTIONS or n < hlen:
            code = body[fpos] if n > fpos else body[2]
            f["link_function_code"] = code
            f["link_function"] = LINK_NAMES[code]
            f["data"] = body[fpos + 1:fpos + 33].hex()
            self.confirmed = self.confirmed or crc == calc
            out.append(Event("bsap_link", ts, frame, is_orig, f))
            return
        if glob:
            f["destination_address"] = body[2] | body[3] << 8
            f["source_address"] = body[4] | body[5] << 8
            f["control"] = body[6]
        else:
            f["destination_address"] = f["source_address"] = f["control"] = None
        dfun, seq, sfun, nsb = body[fpos], body[fpos + 1] | body[fpos + 2] << 8, body[fpos + 3], body[fpos + 4]
        f["dfun_code"] = dfun
        f["dfun"] = APP_NAMES[dfun]
        f["sequence"] = seq
        f["sfun_code"] = sfun
        f["sfun"] = APP_NAMES[sfun]
        f["node_status"] = nsb
        self.confirmed = self.confirmed or crc == calc
        if dfun == APP_RDB:
            f["direction"] = "request"
            req = parse_request(body, hlen, f)
            self._remember(seq, dfun, req)
            out.append(Event("bsap_rdb_request" if req is not None else "bsap_message", ts, frame, is_orig, f))
            return
        if sfun == APP_RDB:
            f["direction"] = "response"
            left = n - hlen
            f["response_status"] = body[hlen] if left > 0 else None
            count = f["element_count"] = body[hlen + 1] if left >= 2 else 0
            app, req = self._pending.pop(seq, (-1, None))
            f["paired"] = app >= 0
            parse_response(body, hlen + 2, count, req, f)
            out.append(Event("bsap_rdb_response", ts, frame, is_orig, f))
            return
        f["data_length"] = n - hlen
        out.append(Event("bsap_message", ts, frame, is_orig, f))
