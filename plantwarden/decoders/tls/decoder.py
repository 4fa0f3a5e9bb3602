"""The TLS decoder: record layer per direction, the clear handshake (hellos, certificate), alerts.

Once a direction has sent ChangeCipherSpec (or, in TLS 1.3, once the ServerHello is done) its
records are encrypted: they are walked by their headers only (counted, never buffered). See
docs/protocols/tls.md for every event, field and weird.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from plantwarden.core.events import Event, weird
from plantwarden.decoders.base import Decoder
from plantwarden.decoders.tls import hello
from plantwarden.decoders.tls.certificate import describe
from plantwarden.decoders.tls.constants import (
    ALERT_LEVELS,
    ALERTS,
    CT_ALERT,
    CT_APPDATA,
    CT_CCS,
    CT_HANDSHAKE,
    CT_HEARTBEAT,
    HANDSHAKE_TYPES,
    HS_CERTIFICATE,
    HS_CLIENT_HELLO,
    HS_SERVER_HELLO,
    VERSIONS,
)

#: largest record payload accepted (2^14 plus the TLS 1.2 expansion allowance)
MAX_RECORD = 16384 + 2048
#: handshake bytes held per direction (a long certificate chain); beyond, the message is skipped
MAX_HANDSHAKE = 65536
#: bytes without a record header a flow that never showed a hello may carry before it is declared not TLS
MAX_JUNK = 262144


class TlsDecoder(Decoder):
    """TLS (and SSLv3) over TCP: the originator is the client."""

    name: ClassVar[str] = "tls"
    transport: ClassVar[str] = "tcp"
    default_ports: ClassVar[tuple[int, ...]] = (443, 8443, 4843, 8883, 5671, 636, 993, 995, 465)

    __slots__ = ("_buf", "_skip", "_hs", "_enc", "_lost", "version", "sni", "cipher", "records",
                 "app_records", "app_bytes", "_app_seen", "_tls13", "_junk")

    def __init__(self) -> None:
        super().__init__()
        self._buf: list[bytes] = [b"", b""]
        #: bytes of the current record still to skip (encrypted or oversized), per direction
        self._skip = [0, 0]
        #: handshake bytes not yet a whole message, per direction
        self._hs: list[bytes] = [b"", b""]
        #: the direction sends encrypted records
        self._enc = [False, False]
        #: the direction lost bytes and waits for a record header at a segment start
        self._lost = [False, False]
        self.version: str | None = None
        self.sni: str | None = None
        self.cipher: str | None = None
        self.records = 0
        #: application-data records and bytes, [responder, originator]
        self.app_records = [0, 0]
        self.app_bytes = [0, 0]
        self._app_seen = False
        self._tls13 = False
        #: bytes skipped while looking for a record header
        self._junk = 0

    @classmethod
    def probe(cls, data: bytes, is_orig: bool) -> float:
        """A handshake record (0x16 0x03 0x00-0x04) whose first message is a ClientHello or ServerHello."""
        if len(data) >= 6 and data[0] == CT_HANDSHAKE and data[1] == 3 and data[2] <= 4:
            n = (data[3] << 8) | data[4]
            if 4 <= n <= MAX_RECORD and data[5] in (HS_CLIENT_HELLO, HS_SERVER_HELLO):
                return 0.9
        return -1.0

    def _common(self, f: dict[str, Any]) -> dict[str, Any]:
        f["version"] = f.get("version") or self.version
        f["sni"] = self.sni
        f["cipher"] = self.cipher
        f["encrypted"] = self._app_seen
        return f

    # -- records ----------------------------------------------------------------------------------

    def feed(self, data: bytes, is_orig: bool, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        if self.violated or not data:
            return out
        d = 1 if is_orig else 0
        if self._lost[d]:
            if not _plausible(data, 0):
                self._junk += len(data)
                if not self.confirmed and self._junk > MAX_JUNK:
                    out.append(weird("tls_unsynchronised", ts, frame, is_orig,
                                     f"no TLS record header in {self._junk} bytes"))
                    self.violated = True
                    self._buf = [b"", b""]
                return out
            self._lost[d] = False
        skip = self._skip[d]
        if skip:
            if len(data) <= skip:
                self._skip[d] = skip - len(data)
                return out
            data = data[skip:]
            self._skip[d] = 0
        buf = self._buf[d] + data if self._buf[d] else data
        n = len(buf)
        off = 0
        while n - off >= 5:
            ct, major, ln = buf[off], buf[off + 1], (buf[off + 3] << 8) | buf[off + 4]
            if not (CT_CCS <= ct <= CT_HEARTBEAT) or major != 3 or ln > MAX_RECORD:
                if self.records == 0 and not self._junk and buf[off] & 0x80 and n - off >= 3 and buf[off + 2] == 1:
                    out.append(self._sslv2(is_orig, ts, frame))
                    self.violated = True
                    self._buf = [b"", b""]
                    return out
                if self.records:
                    out.append(weird("tls_bad_record", ts, frame, is_orig, f"record header {buf[off:off + 5].hex()}"))
                # a flow seen mid-way, or lost sync: wait for a segment that starts with a record header
                self._junk += n - off
                self._buf[d] = b""
                self._lost[d] = True
                if not self.confirmed and self._junk > MAX_JUNK:
                    out.append(weird("tls_unsynchronised", ts, frame, is_orig,
                                     f"no TLS record header in {self._junk} bytes"))
                    self.violated = True
                    self._buf = [b"", b""]
                return out
            self.records += 1
            end = off + 5 + ln
            if ct == CT_APPDATA or (self._enc[d] and ct != CT_CCS):
                # encrypted: count and skip without holding the bytes
                if ct == CT_APPDATA:
                    self.app_records[d] += 1
                    self.app_bytes[d] += ln
                    if not self._app_seen:
                        self._app_seen = True
                        out.append(Event("tls_application_data", ts, frame, is_orig, self._common({})))
                if end > n:
                    self._skip[d] = end - n
                    self._buf[d] = b""
                    return out
                off = end
                continue
            if end > n:
                break
            rec = buf[off + 5:end]
            off = end
            if ct == CT_HANDSHAKE:
                self._handshake(rec, d, is_orig, ts, frame, out)
            elif ct == CT_CCS:
                self._enc[d] = True
            elif ct == CT_ALERT:
                self._alert(rec, is_orig, ts, frame, out)
            if self.violated:
                return out
        self._buf[d] = buf[off:] if off < n else b""
        return out

    def _sslv2(self, is_orig: bool, ts: float, frame: int) -> Event:
        self.version = "SSLv2"
        f = self._common({"version": "SSLv2", "weak_offered": ["SSLv2"]})
        return Event("tls_client_hello" if is_orig else "tls_server_hello", ts, frame, is_orig, f)

    # -- handshake --------------------------------------------------------------------------------

    def _handshake(self, rec: bytes, d: int, is_orig: bool, ts: float, frame: int, out: list[Event]) -> None:
        hs = self._hs[d] + rec if self._hs[d] else rec
        off, n = 0, len(hs)
        while n - off >= 4:
            mt = hs[off]
            ln = int.from_bytes(hs[off + 1:off + 4], "big")
            if ln > MAX_HANDSHAKE:
                out.append(weird("tls_oversized_handshake", ts, frame, is_orig, f"{HANDSHAKE_TYPES[mt]} of {ln} bytes"))
                self._hs[d] = b""
                return
            if off + 4 + ln > n:
                break
            self._message(mt, hs[off + 4:off + 4 + ln], is_orig, ts, frame, out)
            off += 4 + ln
            if self._enc[d]:  # TLS 1.3: the rest of the server's flight is encrypted
                self._hs[d] = b""
                return
        self._hs[d] = hs[off:] if off < n else b""

    def _message(self, mt: int, body: bytes, is_orig: bool, ts: float, frame: int, out: list[Event]) -> None:
        if mt == HS_CLIENT_HELLO:
            f: dict[str, Any] = {}
            try:
                hello.client_hello(body, f)
            except hello.HelloError as e:
                self._bad(out, "tls_malformed_hello", ts, frame, is_orig, f"client hello: {e}")
                return
            self.confirmed = True
            self.sni = f["sni"]
            if not is_orig:
                out.append(weird("tls_wrong_direction", ts, frame, is_orig, "client hello from the responder"))
            out.append(Event("tls_client_hello", ts, frame, is_orig, self._common(f)))
        elif mt == HS_SERVER_HELLO:
            f = {}
            try:
                version, _ = hello.server_hello(body, f)
            except hello.HelloError as e:
                self._bad(out, "tls_malformed_hello", ts, frame, is_orig, f"server hello: {e}")
                return
            self.confirmed = True
            self.version = f["version"]
            self.cipher = f["cipher"]
            if version == 0x0304:
                self._tls13 = True
                self._enc[1 if is_orig else 0] = True  # all later server handshake records are encrypted
            out.append(Event("tls_server_hello", ts, frame, is_orig, self._common(f)))
        elif mt == HS_CERTIFICATE and not self._tls13:
            self._certificate(body, is_orig, ts, frame, out)

    def _certificate(self, body: bytes, is_orig: bool, ts: float, frame: int, out: list[Event]) -> None:
        f: dict[str, Any] = {}
        n = len(body)
        if n < 3:
            self._bad(out, "tls_malformed_certificate", ts, frame, is_orig, f"{n} bytes")
            return
        total = int.from_bytes(body[:3], "big")
        off, count = 3, 0
        first: bytes | None = None
        while off + 3 <= min(n, 3 + total):
            ln = int.from_bytes(body[off:off + 3], "big")
            if off + 3 + ln > n:
                break
            if first is None:
                first = body[off + 3:off + 3 + ln]
            count += 1
            off += 3 + ln
        f["chain_length"] = count
        f["role"] = "client" if is_orig else "server"
        problem = describe(first, f) if first else "no certificate"
        weak = []
        if f.get("key_type") in ("rsa", "dsa") and (f.get("key_size") or 0) < 2048:
            weak.append("short_key")
        alg = (f.get("signature_algorithm") or "").lower()
        if "md5" in alg:
            weak.append("md5_signature")
        elif "sha1" in alg:
            weak.append("sha1_signature")
        if f.get("not_after"):
            try:
                if datetime.fromisoformat(f["not_after"]) < datetime.fromtimestamp(ts, UTC):
                    weak.append("expired")
            except (ValueError, OverflowError, OSError):
                pass
        if f.get("self_signed"):
            weak.append("self_signed")
        f["weak"] = weak
        out.append(Event("tls_certificate", ts, frame, is_orig, self._common(f)))
        if problem is not None and first:
            out.append(weird("tls_bad_certificate", ts, frame, is_orig, problem))

    def _alert(self, rec: bytes, is_orig: bool, ts: float, frame: int, out: list[Event]) -> None:
        if len(rec) != 2:  # an encrypted alert (a flow seen after its ChangeCipherSpec)
            out.append(Event("tls_alert", ts, frame, is_orig, self._common({
                "level": None, "level_name": None, "description": None, "description_name": None,
                "encrypted_alert": True})))
            return
        lvl, desc = rec[0], rec[1]
        out.append(Event("tls_alert", ts, frame, is_orig, self._common({
            "level": lvl, "level_name": ALERT_LEVELS[lvl], "description": desc, "description_name": ALERTS[desc],
            "encrypted_alert": False})))

    def _bad(self, out: list[Event], name: str, ts: float, frame: int, is_orig: bool, detail: str) -> None:
        if not self.confirmed and self.records <= 1:
            out.append(weird("tls_protocol_violation", ts, frame, is_orig, detail))
            self.violated = True
            self._buf = [b"", b""]
            return
        out.append(weird(name, ts, frame, is_orig, detail))

    # -- loss and end -----------------------------------------------------------------------------

    def gap(self, nbytes: int, is_orig: bool, ts: float, frame: int) -> list[Event]:
        d = 1 if is_orig else 0
        if self._skip[d] >= nbytes:  # the hole lies inside an encrypted record being skipped
            self._skip[d] -= nbytes
            return []
        self._buf[d] = b""
        self._hs[d] = b""
        self._skip[d] = 0
        self._lost[d] = True
        return []

    def finish(self, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        if self.violated:
            return out
        if self.records and self.confirmed:
            out.append(Event("tls_session_end", ts, frame, None, self._common({
                "app_records_orig": self.app_records[1], "app_records_resp": self.app_records[0],
                "app_bytes_orig": self.app_bytes[1], "app_bytes_resp": self.app_bytes[0],
                "established": self._app_seen or (self._enc[0] and self._enc[1]),
            })))
        for d in (1, 0):
            if self._buf[d] and not self._lost[d]:
                out.append(weird("tls_incomplete_record", ts, frame, d == 1, f"{len(self._buf[d])} bytes"))
            self._buf[d] = b""
        return out


def _plausible(data: bytes, off: int) -> bool:
    """A record header at ``off``: known content type, version 3.x, sane length."""
    return len(data) - off >= 5 and CT_CCS <= data[off] <= CT_HEARTBEAT and data[off + 1] == 3 \
        and data[off + 2] <= 4 and ((data[off + 3] << 8) | data[off + 4]) <= MAX_RECORD


__all__ = ["TlsDecoder", "VERSIONS"]
