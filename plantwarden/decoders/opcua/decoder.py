"""The OPC UA binary (UA TCP, ``opc.tcp``) decoder.

Sans-IO: the sensor feeds the reassembled byte stream of each direction; this class frames UA TCP
chunks (8-byte header: message type, chunk type, size), reassembles MSG chunks per (secure channel,
request id), follows the secure channel's security policy and mode, pairs responses with their
requests by request id, and returns one event per message. See docs/protocols/opcua.md.
"""

from __future__ import annotations

import hashlib
import re
import struct
from typing import Any, ClassVar

from plantwarden.core.events import Event, weird
from plantwarden.decoders.base import Decoder
from plantwarden.decoders.opcua.activity import activity as classify_activity
from plantwarden.decoders.opcua.binary import Malformed, bytestring, string
from plantwarden.decoders.opcua.common import request_only, response_only
from plantwarden.decoders.opcua.constants import (
    MESSAGE_TYPES,
    SERVICE_EVENTS,
    SERVICES,
    policy_name,
    status_name,
)
from plantwarden.decoders.opcua.services import PARSERS, service_type

MAX_CHUNK = 1 << 24  # a chunk header claiming more than 16 MiB is not believed
MAX_MESSAGE = 1 << 24  # bytes of one message reassembled from chunks
MAX_PARTIAL = 16  # messages being reassembled per direction
MAX_PENDING = 1024  # unanswered requests remembered for pairing

_HDR = struct.Struct("<3scI")
_HELLO = struct.Struct("<5I")
_U32x2 = struct.Struct("<II")
_HEADER_RE = re.compile(rb"(?:HEL|ACK|ERR|RHE|OPN|CLO|MSG)[FCA]")
_PARSE_ERRORS = (Malformed, struct.error, IndexError, ValueError, OverflowError)
_TRANSPORT_EVENTS = {b"HEL": "opcua_hello", b"ACK": "opcua_acknowledge", b"ERR": "opcua_error",
                     b"RHE": "opcua_reverse_hello"}


class _Direction:
    __slots__ = ("buf", "seen", "resync", "partial", "hidden_chunks")

    def __init__(self) -> None:
        self.buf = b""  # unconsumed stream bytes
        self.seen = False  # a valid chunk header was seen in this direction
        self.resync = False  # after a gap or a bad header: search for the next chunk header
        #: (secure channel id, request id) -> (chunk bodies, total bytes, chunk sizes)
        self.partial: dict[tuple[int, int], tuple[list[bytes], int, int]] = {}
        self.hidden_chunks = 0  # intermediate chunks of encrypted messages since the last final one


class OpcuaDecoder(Decoder):
    name: ClassVar[str] = "opcua"
    transport: ClassVar[str] = "tcp"
    default_ports: ClassVar[tuple[int, ...]] = (4840,)
    activity = staticmethod(classify_activity)

    def __init__(self) -> None:
        super().__init__()
        self._dirs = (_Direction(), _Direction())  # [0] responder, [1] originator
        self._pending: dict[int, tuple[str, Any]] = {}
        self._policy: str | None = None  # short security policy name, once an OPN was seen
        self._mode: str | None = None  # security mode, once known

    @classmethod
    def probe(cls, data: bytes, is_orig: bool) -> float:
        if len(data) < 8:
            return -1.0
        mtype = data[:3]
        ct = data[3]
        size = int.from_bytes(data[4:8], "little")
        if mtype not in MESSAGE_TYPES or ct not in b"FCA" or size < 8 or size > MAX_CHUNK:
            return -1.0
        if mtype == b"HEL":
            # version, five sizes and a URL: 32 bytes at least, the URL must be opc.tcp
            return 0.95 if size >= 32 and data[32:39] in (b"opc.tcp", b"") and ct == 70 else 0.6
        if mtype == b"RHE" or mtype == b"ACK":
            return 0.8 if size >= 28 else 0.2
        if mtype == b"OPN":
            return 0.9 if b"opcfoundation.org/UA/SecurityPolicy#" in data[:96] else 0.5
        return 0.6 if size >= 24 else 0.2

    # -- stream framing --------------------------------------------------------------------------

    def feed(self, data: bytes, is_orig: bool, ts: float, frame: int) -> list[Event]:
        d = self._dirs[is_orig]
        buf = d.buf + data if d.buf else data
        out: list[Event] = []
        off = 0
        n = len(buf)
        while off + 8 <= n:
            if d.resync:
                m = _HEADER_RE.search(buf, off)
                if m is None:
                    off = max(off, n - 7)  # keep a possible header start
                    break
                if m.start() != off:
                    out.append(weird("opcua_resync", ts, frame, is_orig, f"skipped {m.start() - off} bytes"))
                off = m.start()
                d.resync = False
            mtype, ct, size = _HDR.unpack_from(buf, off)
            if mtype not in MESSAGE_TYPES or ct not in b"FCA" or size < 8 or size > MAX_CHUNK:
                if not d.seen and not self._dirs[not is_orig].seen:
                    out.append(weird("opcua_protocol_violation", ts, frame, is_orig,
                                     f"not a UA TCP header: {buf[off:off + 8].hex()}"))
                    self.violated = True
                    d.buf = b""
                    return out
                out.append(weird("opcua_bad_header", ts, frame, is_orig, buf[off:off + 8].hex()))
                d.resync = True
                off += 1
                continue
            end = off + size
            if end > n:
                break
            d.seen = True
            try:
                self._chunk(buf, off, end, mtype, ct, d, is_orig, ts, frame, out)
            except _PARSE_ERRORS as exc:
                out.append(weird("opcua_malformed_message", ts, frame, is_orig,
                                 f"{mtype.decode()}: {type(exc).__name__}: {exc}"))
            off = end
        d.buf = buf[off:] if off < n else b""
        return out

    def gap(self, nbytes: int, is_orig: bool, ts: float, frame: int) -> list[Event]:
        d = self._dirs[is_orig]
        d.buf = b""
        d.partial.clear()
        d.hidden_chunks = 0
        d.resync = True
        return []

    def finish(self, ts: float, frame: int) -> list[Event]:
        return []

    # -- chunks ----------------------------------------------------------------------------------

    def _fields(self, mtype: bytes, ct: bytes, size: int) -> dict[str, Any]:
        return {"message_type": mtype.decode(), "chunk_type": ct.decode(), "message_size": size,
                "service": None, "security_policy": self._policy, "security_mode": self._mode}

    def _chunk(self, buf: bytes, off: int, end: int, mtype: bytes, ct: bytes, d: _Direction, is_orig: bool,
               ts: float, frame: int, out: list[Event]) -> None:
        if mtype == b"MSG" or mtype == b"CLO":
            self._secured(buf, off, end, mtype, ct, d, is_orig, ts, frame, out)
            return
        f = self._fields(mtype, ct, end - off)
        p = off + 8
        if mtype == b"OPN":
            self._open(buf, p, end, f, ct, is_orig, ts, frame, out)
            return
        body = buf[p:end]
        if mtype == b"HEL" or mtype == b"ACK":
            (f["protocol_version"], f["receive_buffer_size"], f["send_buffer_size"], f["max_message_size"],
             f["max_chunk_count"]) = _HELLO.unpack_from(body, 0)
            if mtype == b"HEL":
                f["endpoint_url"], _ = string(body, 20)
        elif mtype == b"ERR":
            code = int.from_bytes(body[:4], "little")
            f["error_code"] = code
            f["error"] = status_name(code)
            f["reason"], _ = string(body, 4)
        else:  # RHE
            f["server_uri"], q = string(body, 0)
            f["endpoint_url"], _ = string(body, q)
        out.append(Event(_TRANSPORT_EVENTS[mtype], ts, frame, is_orig, f))

    def _open(self, buf: bytes, p: int, end: int, f: dict[str, Any], ct: bytes, is_orig: bool, ts: float,
              frame: int, out: list[Event]) -> None:
        body = buf[p:end]
        f["secure_channel_id"] = int.from_bytes(body[:4], "little")
        uri, q = string(body, 4)
        cert, q = bytestring(body, q)
        _, q = bytestring(body, q)  # receiver certificate thumbprint
        policy = policy_name(uri)
        if policy is not None:
            self._policy = policy
            if policy == "None":
                self._mode = "none"
        f["security_policy"] = self._policy
        f["security_policy_uri"] = uri
        f["service"] = "open_secure_channel"
        if cert:
            f["sender_certificate_size"] = len(cert)
            f["sender_certificate_sha1"] = hashlib.sha1(cert).hexdigest()
        name = "opcua_open_secure_channel_request" if is_orig else "opcua_open_secure_channel_response"
        if policy != "None" or ct != b"F":  # asymmetrically encrypted (or an abort): nothing more to read
            f["security_mode"] = self._mode
            f["encrypted"] = policy != "None"
            out.append(Event(name, ts, frame, is_orig, f))
            return
        f["sequence_number"], f["request_id"] = _U32x2.unpack_from(body, q)
        self._service(body[q + 8:], f, is_orig, ts, frame, out)
        if f.get("requested_security_mode"):
            self._mode = f["requested_security_mode"]
        f["security_mode"] = self._mode

    def _secured(self, buf: bytes, off: int, end: int, mtype: bytes, ct: bytes, d: _Direction, is_orig: bool,
                 ts: float, frame: int, out: list[Event]) -> None:
        size = end - off
        if size < 16:
            out.append(weird("opcua_short_message", ts, frame, is_orig, f"{mtype.decode()} of {size} bytes"))
            return
        channel, token = _U32x2.unpack_from(buf, off + 8)
        if self._policy not in (None, "None") and self._mode in (None, "sign_and_encrypt") and size >= 28:
            # Sign leaves the sequence header and body readable; SignAndEncrypt does not
            tid = service_type(buf, off + 24)[0] if buf[off + 24] in (0, 1, 2) else None
            self._mode = "sign" if tid in SERVICES else "sign_and_encrypt"
        hidden = self._mode == "sign_and_encrypt" or size < 24
        if hidden:
            if ct == b"C":
                d.hidden_chunks += 1
                return
            f = self._fields(mtype, ct, size)
            f["secure_channel_id"] = channel
            f["token_id"] = token
            f["chunk_count"] = d.hidden_chunks + 1
            d.hidden_chunks = 0
            f["encrypted"] = True
            if mtype == b"CLO":
                f["service"] = "close_secure_channel"
                name = "opcua_close_secure_channel_request"
            else:
                name = "opcua_abort" if ct == b"A" else "opcua_encrypted_message"
            out.append(Event(name, ts, frame, is_orig, f))
            return
        seq, rid = _U32x2.unpack_from(buf, off + 16)
        key = (channel, rid)
        body = buf[off + 24:end]
        if ct == b"C":
            part = d.partial.get(key)
            if part is None:
                if len(d.partial) >= MAX_PARTIAL:
                    d.partial.clear()
                    out.append(weird("opcua_too_many_partial_messages", ts, frame, is_orig, str(MAX_PARTIAL)))
                part = ([], 0, 0)
            chunks, total, wire = part
            if total + len(body) > MAX_MESSAGE:
                d.partial.pop(key, None)
                out.append(weird("opcua_chunk_reassembly_overflow", ts, frame, is_orig, f"request id {rid}"))
                return
            chunks.append(body)
            d.partial[key] = (chunks, total + len(body), wire + size)
            return
        part = d.partial.pop(key, None)
        f = self._fields(mtype, ct, size)
        f["secure_channel_id"] = channel
        f["token_id"] = token
        f["sequence_number"] = seq
        f["request_id"] = rid
        f["chunk_count"] = 1
        if part is not None:
            f["chunk_count"] = len(part[0]) + 1
            f["message_size"] = part[2] + size
        if ct == b"A":
            code = int.from_bytes(body[:4], "little")
            f["error_code"] = code
            f["error"] = status_name(code)
            f["reason"], _ = string(body, 4)
            self._pending.pop(rid, None)
            out.append(Event("opcua_abort", ts, frame, is_orig, f))
            return
        if part is not None:
            part[0].append(body)
            body = b"".join(part[0])
        self._service(body, f, is_orig, ts, frame, out)

    # -- services --------------------------------------------------------------------------------

    def _service(self, body: bytes, f: dict[str, Any], is_orig: bool, ts: float, frame: int,
                 out: list[Event]) -> None:
        try:
            tid, o = service_type(body, 0)
        except _PARSE_ERRORS:
            tid, o = None, 0
        info = SERVICES.get(tid) if tid is not None else None
        if tid is None or info is None:
            f["service"] = f"unknown-{tid}" if tid is not None else "unknown"
            f["service_type_id"] = tid
            out.append(Event("opcua_unknown_service", ts, frame, is_orig, f))
            return
        name, kind = info
        f["service"] = name
        f["service_type_id"] = tid
        ev = Event(SERVICE_EVENTS[tid], ts, frame, is_orig, f)
        out.append(ev)
        ctx = None
        rid = f.get("request_id")
        if kind != "request" and rid is not None:
            pend = self._pending.pop(rid, None)
            if pend is not None:
                if kind == "fault":
                    f["request_service"] = pend[0]
                elif pend[0] == name:
                    ctx = pend[1]
        parser = PARSERS.get(tid) or (request_only if kind == "request" else response_only)
        result = None
        try:
            result = parser(body, o, f, ctx)
        except _PARSE_ERRORS as exc:
            out.append(weird("opcua_malformed_body", ts, frame, is_orig, f"{name}: {type(exc).__name__}: {exc}"))
        if kind == "request" and rid is not None:
            if len(self._pending) >= MAX_PENDING:
                self._pending.clear()
            self._pending[rid] = (name, result)
