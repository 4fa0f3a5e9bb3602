"""The VNC decoder (RFB, RFC 6143; TCP 5900-5910): the handshake message by message, then only counts.

See docs/protocols/vnc.md for every event, field and weird.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, ClassVar

from plantwarden.core.events import Event, weird
from plantwarden.decoders.base import Decoder
from plantwarden.decoders.vnc.constants import (
    CLIENT_MESSAGES,
    NONE,
    SECURITY_NAMES,
    SERVER_MESSAGES,
    VNC_AUTH,
    WEAK_SECURITY,
    encoding_name,
)

MAX_NAME = 4096
MAX_REASON = 1024
MAX_HOLD = 65536
MAX_ENCODINGS = 32
# handshake stages of each side
VERSION, SECURITY, AWAIT_CHOICE, CHALLENGE, RESULT, INIT, MESSAGES, DONE = range(8)


def text(raw: bytes, limit: int = 256) -> str:
    s = raw[:limit].decode("utf-8", "backslashreplace")
    return s if s.isprintable() else "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in s)


def _version(line: bytes) -> tuple[int, int] | None:
    """b"RFB 003.008\\n" -> (3, 8)."""
    if len(line) != 12 or line[:4] != b"RFB " or line[7:8] != b"." or line[11:12] != b"\n":
        return None
    major, minor = line[4:7], line[8:11]
    if not (major.isdigit() and minor.isdigit()):
        return None
    return int(major), int(minor)


def _effective(v: tuple[int, int]) -> int:
    """The protocol minor version a side speaks: 3, 7 or 8 (unknown ones act as 3.3; 3.889 is Apple's 3.8)."""
    if v[0] != 3:
        return 8 if v[0] > 3 else 3
    return 8 if v[1] >= 8 else 7 if v[1] == 7 else 3


class VncDecoder(Decoder):
    """RFB: the originator is the client (the viewer)."""

    name: ClassVar[str] = "vnc"
    transport: ClassVar[str] = "tcp"
    default_ports: ClassVar[tuple[int, ...]] = tuple(range(5900, 5911))

    __slots__ = ("_buf", "_stage", "_skip", "_minor", "_sec", "_rects", "_bpp", "authenticated", "client_counts",
                 "server_counts", "rectangles", "encodings", "lost", "weak")

    def __init__(self) -> None:
        super().__init__()
        self._buf: list[bytes] = [b"", b""]  # index 1: client
        self._stage = [VERSION, VERSION]
        self._skip = [0, 0]
        self._minor: list[int | None] = [None, None]
        self._sec: int | None = None
        self._rects = 0
        self._bpp = 4
        self.authenticated: bool | None = None
        self.client_counts: Counter[str] = Counter()
        self.server_counts: Counter[str] = Counter()
        self.rectangles = 0
        self.encodings: list[str] | None = None
        #: the server's messages could not be followed (an encoding whose length is not self-evident)
        self.lost = False
        self.weak: set[str] = set()

    @classmethod
    def probe(cls, data: bytes, is_orig: bool) -> float:
        return 0.95 if _version(data[:12]) is not None else -1.0

    @property
    def _proto(self) -> int:
        """The negotiated minor version: the lower of the two sides (the server's until the client spoke)."""
        s, c = self._minor[0], self._minor[1]
        return min(x for x in (s, c, 8) if x is not None)

    def feed(self, data: bytes, is_orig: bool, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        d = 1 if is_orig else 0
        if self.violated or self._stage[d] == DONE or not data:
            return out
        if self._skip[d]:
            n = min(self._skip[d], len(data))
            self._skip[d] -= n
            data = data[n:]
        buf = self._buf[d] + data if self._buf[d] else data
        pos = (self._client if is_orig else self._server)(buf, ts, frame, out)
        rest = buf[pos:] if self._stage[d] != DONE else b""
        if len(rest) > MAX_HOLD:
            out.append(weird("vnc_message_too_long", ts, frame, is_orig, f"{len(rest)} bytes held"))
            self._stage[d] = DONE
            rest = b""
        self._buf[d] = rest
        return out

    # -- the viewer -----------------------------------------------------------------------------

    def _client(self, b: bytes, ts: float, frame: int, out: list[Event]) -> int:
        pos, n = 0, len(b)
        while True:
            st = self._stage[1]
            if st == VERSION:
                if n - pos < 12:
                    return pos
                if not self._version_line(b[pos:pos + 12], True, ts, frame, out):
                    return n
                pos += 12
                self._stage[1] = SECURITY
            elif st == SECURITY:
                if self._proto == 3:  # the server chose: wait for its word
                    if self._sec is None:
                        return pos
                    self._stage[1] = CHALLENGE if self._sec == VNC_AUTH else INIT if self._sec == NONE else DONE
                    continue
                if n - pos < 1:
                    return pos
                t = b[pos]
                pos += 1
                self._sec = t
                weak = [WEAK_SECURITY[t]] if t in WEAK_SECURITY else []
                self.weak.update(weak)
                out.append(Event("vnc_security_selected", ts, frame, True,
                                 {"security_type": SECURITY_NAMES[t], "security_type_code": t, "weak": weak}))
                self._stage[1] = CHALLENGE if t == VNC_AUTH else INIT if t == NONE else DONE
            elif st == CHALLENGE:  # the 16-byte DES response to the challenge: skipped, never kept
                if n - pos < 16:
                    return pos
                pos += 16
                self._stage[1] = INIT
            elif st == INIT:
                if n - pos < 1:
                    return pos
                out.append(Event("vnc_client_init", ts, frame, True, {"shared": b[pos] != 0}))
                pos += 1
                self._stage[1] = MESSAGES
            elif st == MESSAGES:
                return self._client_messages(b, pos, ts, frame, out)
            else:
                return n

    def _client_messages(self, b: bytes, pos: int, ts: float, frame: int, out: list[Event]) -> int:
        n = len(b)
        counts = self.client_counts
        while pos < n:
            t = b[pos]
            if t == 4:
                size = 8
            elif t == 5:
                size = 6
            elif t == 3:
                size = 10
            elif t == 0:
                size = 20
                if n - pos >= 20:
                    self._bpp = max(1, b[pos + 4] // 8)
            elif t == 2:
                if n - pos < 4:
                    return pos
                k = int.from_bytes(b[pos + 2:pos + 4], "big")
                size = 4 + 4 * k
                if n - pos >= size and self.encodings is None:
                    self.encodings = [encoding_name(int.from_bytes(b[pos + 4 + 4 * i:pos + 8 + 4 * i], "big",
                                                                   signed=True)) for i in range(min(k, MAX_ENCODINGS))]
            elif t == 6:
                if n - pos < 8:
                    return pos
                size = 8 + int.from_bytes(b[pos + 4:pos + 8], "big")  # the clipboard text is never kept
            else:
                out.append(weird("vnc_unknown_client_message", ts, frame, True, f"type {t}"))
                self._stage[1] = DONE
                return n
            if size > n - pos:
                if size > MAX_HOLD:  # a long cut text: counted now, the rest skipped
                    counts[CLIENT_MESSAGES[t]] += 1
                    self._skip[1] = size - (n - pos)
                    return n
                return pos
            counts[CLIENT_MESSAGES[t]] += 1
            pos += size
        return pos

    # -- the server -----------------------------------------------------------------------------

    def _server(self, b: bytes, ts: float, frame: int, out: list[Event]) -> int:
        pos, n = 0, len(b)
        while True:
            st = self._stage[0]
            if st == VERSION:
                if n - pos < 12:
                    return pos
                if not self._version_line(b[pos:pos + 12], False, ts, frame, out):
                    return n
                pos += 12
                self._stage[0] = SECURITY
            elif st == SECURITY:
                got = self._security_types(b, pos, ts, frame, out)
                if got == pos:
                    return pos
                pos = got
            elif st == AWAIT_CHOICE:
                if self._sec is None:
                    return pos  # the viewer's choice was not seen yet
                t = self._sec
                self._stage[0] = (CHALLENGE if t == VNC_AUTH else (RESULT if self._proto == 8 else INIT)
                                  if t == NONE else DONE)
            elif st == CHALLENGE:
                if n - pos < 16:
                    return pos
                pos += 16
                self._stage[0] = RESULT
            elif st == RESULT:
                if n - pos < 4:
                    return pos
                code = int.from_bytes(b[pos:pos + 4], "big")
                reason = None
                size = 4
                if code != 0 and self._proto == 8:
                    if n - pos < 8:
                        return pos
                    rlen = int.from_bytes(b[pos + 4:pos + 8], "big")
                    if rlen <= MAX_REASON and n - pos < 8 + rlen:
                        return pos
                    reason = text(b[pos + 8:pos + 8 + min(rlen, MAX_REASON)])
                    size = 8 + rlen
                pos += size
                self.authenticated = code == 0
                out.append(Event("vnc_auth_result", ts, frame, False,
                                 {"success": code == 0, "result_code": code, "reason": reason,
                                  "security_type": SECURITY_NAMES[self._sec] if self._sec is not None else None}))
                if code != 0:
                    self._stage = [DONE, DONE]
                    return n
                self._stage[0] = INIT
            elif st == INIT:
                if n - pos < 24:
                    return pos
                nlen = int.from_bytes(b[pos + 20:pos + 24], "big")
                if nlen > MAX_NAME:
                    out.append(weird("vnc_bad_server_init", ts, frame, False, f"name of {nlen} bytes"))
                    self._stage[0] = DONE
                    return n
                if n - pos < 24 + nlen:
                    return pos
                self._server_init(b[pos:pos + 24 + nlen], ts, frame, out)
                pos += 24 + nlen
                self._stage[0] = MESSAGES
            elif st == MESSAGES:
                return self._server_messages(b, pos, ts, frame, out)
            else:
                return n

    def _version_line(self, line: bytes, is_orig: bool, ts: float, frame: int, out: list[Event]) -> bool:
        v = _version(line)
        d = 1 if is_orig else 0
        if v is None:
            if not self.confirmed:
                out.append(weird("vnc_protocol_violation", ts, frame, is_orig, text(line, 40)))
                self.violated = True
            else:
                out.append(weird("vnc_bad_version", ts, frame, is_orig, text(line, 40)))
                self._stage[d] = DONE
            return False
        self.confirmed = True
        self._minor[d] = _effective(v)
        f = {"role": "client" if is_orig else "server", "version": f"{v[0]}.{v[1]}",
             "banner": text(line[:11])}
        out.append(Event("vnc_version", ts, frame, is_orig, f))
        return True

    def _security_types(self, b: bytes, pos: int, ts: float, frame: int, out: list[Event]) -> int:
        n = len(b)
        types: list[int]
        if self._proto == 3:
            if n - pos < 4:
                return pos
            t = int.from_bytes(b[pos:pos + 4], "big")
            size, types = 4, ([t] if t else [])
        else:
            if n - pos < 1 or n - pos < 1 + b[pos]:
                return pos
            k = b[pos]
            size, types = 1 + k, list(b[pos + 1:pos + 1 + k])
        reason = None
        if not types:  # the server refuses the connection: a reason string follows
            if n - pos < size + 4:
                return pos
            rlen = int.from_bytes(b[pos + size:pos + size + 4], "big")
            if rlen <= MAX_REASON and n - pos < size + 4 + rlen:
                return pos
            reason = text(b[pos + size + 4:pos + size + 4 + min(rlen, MAX_REASON)])
            size += 4 + rlen
        weak = sorted({WEAK_SECURITY[t] for t in types if t in WEAK_SECURITY})
        if self._proto == 3:  # the server's word is the choice
            self.weak.update(weak)
        f: dict[str, Any] = {"security_types": [SECURITY_NAMES[t & 255] if t < 256 else f"unknown-{t}" for t in types],
                             "security_type_codes": types, "reason": reason, "weak": weak}
        out.append(Event("vnc_security_types", ts, frame, False, f))
        if not types:
            self._stage = [DONE, DONE]
            return n
        if self._proto == 3:
            self._sec = types[0] if types[0] < 256 else 0
            self._stage[0] = CHALLENGE if self._sec == VNC_AUTH else INIT if self._sec == NONE else DONE
        else:
            self._stage[0] = AWAIT_CHOICE
        return pos + size

    def _server_init(self, m: bytes, ts: float, frame: int, out: list[Event]) -> None:
        bpp = m[4]
        self._bpp = max(1, bpp // 8)
        name = text(m[24:], MAX_NAME)
        f: dict[str, Any] = {
            "width": int.from_bytes(m[0:2], "big"), "height": int.from_bytes(m[2:4], "big"),
            "bits_per_pixel": bpp, "depth": m[5], "big_endian": m[6] != 0, "true_colour": m[7] != 0,
            "red_max": int.from_bytes(m[8:10], "big"), "green_max": int.from_bytes(m[10:12], "big"),
            "blue_max": int.from_bytes(m[12:14], "big"), "red_shift": m[14], "green_shift": m[15],
            "blue_shift": m[16], "name": name,
        }
        if name:
            f["identity"] = {"name": name}
        out.append(Event("vnc_server_init", ts, frame, False, f))

    def _server_messages(self, b: bytes, pos: int, ts: float, frame: int, out: list[Event]) -> int:
        n = len(b)
        counts = self.server_counts
        while pos < n:
            if self._rects:
                if n - pos < 12:
                    return pos
                w = int.from_bytes(b[pos + 4:pos + 6], "big")
                h = int.from_bytes(b[pos + 6:pos + 8], "big")
                enc = int.from_bytes(b[pos + 8:pos + 12], "big", signed=True)
                size = self._rect_size(b, pos + 12, w, h, enc)
                if size == -2:
                    return pos  # the length word is not there yet
                if size < 0:
                    self.lost = True
                    self._stage[0] = DONE
                    return n
                self.rectangles += 1
                self._rects = 0 if enc == -224 else self._rects - 1
                total = 12 + size
                if total > n - pos:
                    self._skip[0] = total - (n - pos)
                    return n
                pos += total
                continue
            t = b[pos]
            if t == 0:
                if n - pos < 4:
                    return pos
                counts["framebuffer_update"] += 1
                self._rects = int.from_bytes(b[pos + 2:pos + 4], "big")
                pos += 4
                continue
            if t == 1:
                if n - pos < 6:
                    return pos
                size = 6 + 6 * int.from_bytes(b[pos + 4:pos + 6], "big")
            elif t == 2:
                size = 1
            elif t == 3:
                if n - pos < 8:
                    return pos
                size = 8 + int.from_bytes(b[pos + 4:pos + 8], "big")
            else:
                out.append(weird("vnc_unknown_server_message", ts, frame, False, f"type {t}"))
                self.lost = True
                self._stage[0] = DONE
                return n
            counts[SERVER_MESSAGES[t]] += 1
            if size > n - pos:
                self._skip[0] = size - (n - pos)
                return n
            pos += size
        return pos

    def _rect_size(self, b: bytes, at: int, w: int, h: int, enc: int) -> int:
        """Bytes after a rectangle header: -2 when a length word is still missing, -1 when unknown."""
        bpp = self._bpp
        if enc == 0:
            return w * h * bpp
        if enc == 1:
            return 4
        if enc in (-223, -224, -232):
            return 0
        if enc == -239:
            return w * h * bpp + ((w + 7) // 8) * h
        if enc == -240:
            return 6 + 2 * ((w + 7) // 8) * h if w and h else 0
        if enc in (2, 6, 16, -308, -307):
            if len(b) < at + 4:
                return -2
            word = int.from_bytes(b[at:at + 4], "big")
            if enc == 2:
                return 4 + bpp + word * (bpp + 8)
            if enc == -308:
                return 4 + 16 * b[at]
            return 4 + word
        return -1

    def gap(self, nbytes: int, is_orig: bool, ts: float, frame: int) -> list[Event]:
        d = 1 if is_orig else 0
        self._buf[d] = b""
        if self._skip[d] >= nbytes:
            self._skip[d] -= nbytes
        else:
            self._skip[d] = 0
            if not is_orig:
                self.lost = self.lost or self._stage[0] == MESSAGES
            self._stage[d] = DONE  # message boundaries are lost
        return []

    def finish(self, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        if self.violated:
            return out
        if self.client_counts or self.server_counts or MESSAGES in self._stage:
            f: dict[str, Any] = {
                "security_type": SECURITY_NAMES[self._sec] if self._sec is not None else None,
                "authenticated": self.authenticated,
                "client_messages": dict(sorted(self.client_counts.items())),
                "server_messages": dict(sorted(self.server_counts.items())),
                "rectangles": self.rectangles, "encodings": self.encodings or [],
                "server_counting_stopped": self.lost, "weak": sorted(self.weak),
            }
            out.append(Event("vnc_summary", ts, frame, True, f))
        self._buf = [b"", b""]
        return out
