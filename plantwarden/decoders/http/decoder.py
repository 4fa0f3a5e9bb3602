"""The HTTP/1.x decoder: request and response heads per direction, bodies skipped by
Content-Length or chunked coding without being held, pipelined requests paired in order.

See docs/protocols/http.md for every event, field and weird.
"""

from __future__ import annotations

import binascii
from collections import deque
from typing import Any, ClassVar

from plantwarden.core.events import Event, weird
from plantwarden.decoders.base import Decoder

#: longest head (request/status line plus header fields) held per direction
MAX_HEAD = 65536
MAX_URI = 2048
#: longest header value kept (User-Agent, Server, ...)
MAX_VALUE = 512
#: requests waiting for their response
MAX_PENDING = 64
METHODS = frozenset((b"GET", b"POST", b"HEAD", b"PUT", b"DELETE", b"OPTIONS", b"CONNECT", b"TRACE", b"PATCH",
                     b"PROPFIND", b"PROPPATCH", b"MKCOL", b"COPY", b"MOVE", b"LOCK", b"UNLOCK", b"SEARCH",
                     b"M-SEARCH", b"NOTIFY", b"SUBSCRIBE", b"UNSUBSCRIBE", b"REPORT"))

# direction states
_HEAD, _LENGTH, _CHUNK_SIZE, _CHUNK_DATA, _CHUNK_CRLF, _TRAILER, _CLOSE, _TUNNEL = range(8)


def text(raw: bytes, limit: int = MAX_VALUE) -> str:
    """Attacker-controlled bytes as printable text (cut at ``limit``; odd characters escaped)."""
    s = raw[:limit].decode("utf-8", "backslashreplace")
    return s if s.isprintable() else "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in s)


def _basic_user(value: bytes) -> str | None:
    try:
        raw = binascii.a2b_base64(value.strip())
    except (binascii.Error, ValueError):
        return None
    user, sep, _ = raw.partition(b":")  # the password after the colon is never kept
    return text(user, 255) if sep else None


class HttpDecoder(Decoder):
    """HTTP/1.0 and 1.1 over TCP: the originator sends requests, the responder responses."""

    name: ClassVar[str] = "http"
    transport: ClassVar[str] = "tcp"
    default_ports: ClassVar[tuple[int, ...]] = (80, 8080)

    __slots__ = ("_buf", "_state", "_left", "_pending", "requests", "responses")

    def __init__(self) -> None:
        super().__init__()
        self._buf: list[bytes] = [b"", b""]
        self._state = [_HEAD, _HEAD]
        #: body bytes still to skip in this direction
        self._left = [0, 0]
        #: (method, uri) of requests not yet answered, in order
        self._pending: deque[tuple[str, str]] = deque()
        self.requests = 0
        self.responses = 0

    @classmethod
    def probe(cls, data: bytes, is_orig: bool) -> float:
        """A request line (known method, space, target, ``HTTP/1.x``) or a status line."""
        head = data[:4096]
        complete = b"\n" in head
        line = head.split(b"\n", 1)[0].rstrip(b"\r")
        if not is_orig:
            return 0.8 if line[:7] == b"HTTP/1." and line[8:9] == b" " and line[9:12].isdigit() else -1.0
        parts = line.split(b" ")
        if len(parts) < 2 or parts[0] not in METHODS:
            return -1.0
        if complete:
            return 0.9 if len(parts) >= 3 and parts[-1][:7] == b"HTTP/1." else -1.0
        # the request line continues in the next segment
        return 0.55 if len(parts) == 2 or (len(parts) == 3 and b"HTTP/1."[:len(parts[2])] == parts[2][:7]) else -1.0

    # -- stream -----------------------------------------------------------------------------------

    def feed(self, data: bytes, is_orig: bool, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        if self.violated or not data:
            return out
        d = 1 if is_orig else 0
        st = self._state[d]
        if st in (_TUNNEL, _CLOSE):
            return out
        buf = self._buf[d] + data if self._buf[d] else data
        off, n = 0, len(buf)
        while off < n:
            st = self._state[d]
            if st == _HEAD:
                end = buf.find(b"\r\n\r\n", off)
                if end < 0:
                    bare = buf.find(b"\n\n", off)  # tolerate bare LF line ends
                    if bare < 0:
                        if n - off > MAX_HEAD:
                            self._lost(d, is_orig, ts, frame, out, "http_oversized_head", f"{n - off} bytes")
                            return out
                        break
                    end, sep = bare, 2
                else:
                    sep = 4
                    bare = buf.find(b"\n\n", off, end)
                    if bare >= 0:
                        end, sep = bare, 2
                head = buf[off:end]
                off = end + sep
                if is_orig:
                    self._request(head, d, ts, frame, out)
                else:
                    self._response(head, d, ts, frame, out)
                if self.violated or self._state[d] in (_TUNNEL, _CLOSE):
                    self._buf[d] = b""
                    return out
            elif st == _LENGTH:
                take = min(self._left[d], n - off)
                off += take
                self._left[d] -= take
                if not self._left[d]:
                    self._state[d] = _HEAD
            elif st in (_CHUNK_SIZE, _TRAILER):
                eol = buf.find(b"\n", off)
                if eol < 0:
                    if n - off > 1024:
                        self._lost(d, is_orig, ts, frame, out, "http_bad_chunk", "chunk size line too long")
                        return out
                    break
                line = buf[off:eol].strip()
                off = eol + 1
                if st == _CHUNK_SIZE and self._left[d] == -1 and not line:  # the CRLF after chunk data
                    self._left[d] = 0
                    continue
                if st == _TRAILER:
                    if not line:
                        self._state[d] = _HEAD
                    continue
                try:
                    size = int(line.split(b";", 1)[0], 16)
                except ValueError:
                    self._lost(d, is_orig, ts, frame, out, "http_bad_chunk", f"chunk size {text(line, 40)!r}")
                    return out
                if size == 0:
                    self._state[d] = _TRAILER
                else:
                    self._left[d] = size
                    self._state[d] = _CHUNK_DATA
            elif st == _CHUNK_DATA:
                take = min(self._left[d], n - off)
                off += take
                self._left[d] -= take
                if not self._left[d]:
                    self._state[d] = _CHUNK_SIZE  # the CRLF after the data reads as an empty size line
                    self._left[d] = -1
            else:
                off = n
        self._buf[d] = buf[off:] if off < n and self._state[d] in (_HEAD, _CHUNK_SIZE, _TRAILER) else b""
        return out

    def _lost(self, d: int, is_orig: bool, ts: float, frame: int, out: list[Event], name: str, detail: str) -> None:
        out.append(weird(name, ts, frame, is_orig, detail))
        self._buf[d] = b""
        self._state[d] = _CLOSE  # nothing sensible can follow in this direction

    # -- heads ------------------------------------------------------------------------------------

    @staticmethod
    def _headers(lines: list[bytes]) -> dict[bytes, bytes]:
        h: dict[bytes, bytes] = {}
        for ln in lines:
            name, sep, value = ln.partition(b":")
            if sep:
                key = name.strip().lower()
                if key not in h:
                    h[key] = value.strip()
        return h

    def _request(self, head: bytes, d: int, ts: float, frame: int, out: list[Event]) -> None:
        lines = head.split(b"\n")
        parts = lines[0].rstrip(b"\r").split(b" ")
        if len(parts) < 2 or parts[0] not in METHODS or (len(parts) == 3 and parts[2][:5] != b"HTTP/"):
            if not self.confirmed:
                out.append(weird("http_protocol_violation", ts, frame, True, f"request line {text(lines[0], 80)!r}"))
                self.violated = True
                self._buf = [b"", b""]
                return
            self._lost(d, True, ts, frame, out, "http_bad_request_line", text(lines[0], 80))
            return
        self.confirmed = True
        self.requests += 1
        method = parts[0].decode()
        uri_raw = b" ".join(parts[1:-1]) if len(parts) > 3 else parts[1]
        uri = text(uri_raw, MAX_URI)
        version = parts[-1].decode("ascii", "replace")[5:] if len(parts) >= 3 else "0.9"
        h = self._headers(lines[1:])
        f: dict[str, Any] = {
            "method": method, "uri": uri, "uri_truncated": len(uri_raw) > MAX_URI, "version": version,
            "host": text(h[b"host"], 255) if b"host" in h else None,
            "user_agent": text(h[b"user-agent"]) if b"user-agent" in h else None,
            "content_type": text(h[b"content-type"], 255) if b"content-type" in h else None,
            "content_length": None, "username": None, "auth_scheme": None, "credentials_in_clear": False,
        }
        auth = h.get(b"authorization")
        if auth is not None:
            scheme, _, cred = auth.partition(b" ")
            f["auth_scheme"] = text(scheme, 32)
            if scheme.lower() == b"basic":
                f["username"] = _basic_user(cred)
                f["credentials_in_clear"] = True
            elif scheme.lower() == b"digest":
                i = cred.find(b'username="')
                if i >= 0:
                    f["username"] = text(cred[i + 10:cred.find(b'"', i + 10)], 255)
        out.append(Event("http_request", ts, frame, True, f))
        self._body(h, d, f, out, ts, frame, True, method)
        if len(self._pending) >= MAX_PENDING:
            self._pending.popleft()
        self._pending.append((method, uri))
        if method == "CONNECT":
            self._state[d] = _TUNNEL if self._state[d] == _HEAD else self._state[d]

    def _response(self, head: bytes, d: int, ts: float, frame: int, out: list[Event]) -> None:
        lines = head.split(b"\n")
        line = lines[0].rstrip(b"\r")
        if line[:5] != b"HTTP/" or not line[9:12].isdigit():
            if not self.confirmed:
                out.append(weird("http_protocol_violation", ts, frame, False, f"status line {text(line, 80)!r}"))
                self.violated = True
                self._buf = [b"", b""]
                return
            self._lost(d, False, ts, frame, out, "http_bad_status_line", text(line, 80))
            return
        self.confirmed = True
        self.responses += 1
        code = int(line[9:12])
        method, uri = (None, None)
        if code >= 200 or code == 101:
            if self._pending:
                method, uri = self._pending.popleft()
            else:
                out.append(weird("http_response_without_request", ts, frame, False, f"status {code}"))
        h = self._headers(lines[1:])
        server = text(h[b"server"], 255) if b"server" in h else None
        f: dict[str, Any] = {
            "version": line[5:8].decode("ascii", "replace"), "status_code": code,
            "reason": text(line[13:], 128), "method": method, "uri": uri, "server": server,
            "content_type": text(h[b"content-type"], 255) if b"content-type" in h else None,
            "content_length": None, "location": text(h[b"location"], MAX_URI) if b"location" in h else None,
            "auth_challenge": text(h[b"www-authenticate"], 128) if b"www-authenticate" in h else None,
            "upgrade": text(h[b"upgrade"], 64) if code == 101 and b"upgrade" in h else None,
        }
        if server is not None:
            f["identity"] = {"product_name": server}
        out.append(Event("http_response", ts, frame, False, f))
        if code < 200 or code in (204, 304) or method == "HEAD":
            cl = h.get(b"content-length")  # reported (it describes the resource), no body follows
            f["content_length"] = int(cl) if cl is not None and cl.isdigit() else None
            self._body({}, d, f, out, ts, frame, False, None, none=True)
        else:
            self._body(h, d, f, out, ts, frame, False, None)
        if code == 101 or (method == "CONNECT" and 200 <= code < 300):
            self._state = [_TUNNEL, _TUNNEL]  # the connection now carries another protocol

    def _body(self, h: dict[bytes, bytes], d: int, f: dict[str, Any], out: list[Event], ts: float, frame: int,
              is_orig: bool, method: str | None, none: bool = False) -> None:
        if none:
            self._state[d] = _HEAD
            return
        te = h.get(b"transfer-encoding")
        if te is not None and b"chunked" in te.lower():
            self._state[d] = _CHUNK_SIZE
            self._left[d] = 0
            f["chunked"] = True
            return
        cl = h.get(b"content-length")
        if cl is not None:
            try:
                n = int(cl)
                if n < 0:
                    raise ValueError
            except ValueError:
                out.append(weird("http_bad_content_length", ts, frame, is_orig, text(cl, 40)))
                n = 0
            f["content_length"] = n
            self._left[d] = n
            self._state[d] = _LENGTH if n else _HEAD
            return
        # a request without a length has no body; a response without one runs to the close
        self._state[d] = _HEAD if is_orig else _CLOSE

    # -- loss and end -----------------------------------------------------------------------------

    def gap(self, nbytes: int, is_orig: bool, ts: float, frame: int) -> list[Event]:
        d = 1 if is_orig else 0
        st = self._state[d]
        if st in (_LENGTH, _CHUNK_DATA) and self._left[d] >= nbytes:  # the hole is inside a body
            self._left[d] -= nbytes
            if not self._left[d]:
                self._state[d] = _HEAD if st == _LENGTH else _CHUNK_SIZE
            return []
        self._buf[d] = b""
        if st != _TUNNEL:
            self._state[d] = _CLOSE  # resynchronising on an HTTP head is guesswork: stop this direction
        return [weird("http_content_gap", ts, frame, is_orig, f"{nbytes} bytes")] if st != _TUNNEL else []

    def finish(self, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        if self.violated:
            return out
        if self._pending:
            out.append(weird("http_unanswered_requests", ts, frame, None, str(len(self._pending))))
            self._pending.clear()
        for d in (1, 0):
            if self._buf[d] and self._state[d] == _HEAD:
                out.append(weird("http_incomplete_head", ts, frame, d == 1, f"{len(self._buf[d])} bytes"))
            self._buf[d] = b""
        return out
