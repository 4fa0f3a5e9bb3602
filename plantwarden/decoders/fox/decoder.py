"""Niagara Fox (Tridium) decoder: the clear-text Fox protocol on TCP 1911.

A message is a header line ``fox <type> <id> <reply-to> <channel> <command>\\n`` (e.g. ``fox a 1 -1
fox hello``), blocks ``{`` ... ``}`` of ``key=type:value`` lines, and ``;;\\n``. Values of type ``b``
(blob) and ``o`` (object) are length-prefixed: ``b:44[<44 bytes>]``, ``o:bog 61[<61 bytes>]``.
See docs/protocols/fox.md.
"""

from __future__ import annotations

from typing import Any, ClassVar, Final

from plantwarden.core.events import Event, weird
from plantwarden.decoders.base import Decoder

MAX_MESSAGE: Final = 65536
MAX_HEADER: Final = 256
MAX_PAIRS: Final = 256
MAX_TEXT: Final = 1024
MAX_BLOB_HEX: Final = 256
END: Final = b";;\n"
#: keys whose values are secrets (authentication): logged as "<redacted>"
SECRET_KEYS: Final = frozenset({"password", "passwd", "response", "secret", "token", "credentials", "cnonce"})
EVENTS: Final = {"hello": "fox_hello", "challenge": "fox_challenge", "authenticate": "fox_authenticate"}


class _Incomplete(Exception):
    """More bytes are needed (internal to the parser, never leaves the decoder)."""


class _Bad(Exception):
    """The bytes are not a Fox message (internal to the parser, never leaves the decoder)."""


def _value(vtype: str, raw: str) -> Any:
    if vtype == "i":
        try:
            return int(raw)
        except ValueError:
            return raw[:MAX_TEXT]
    if vtype == "z":
        return raw == "true"
    return raw[:MAX_TEXT]


def parse(buf: bytes, off: int) -> tuple[dict[str, Any], int]:
    """One Fox message at ``buf[off:]``: (fields, offset after it). Raises _Incomplete or _Bad."""
    nl = buf.find(b"\n", off, off + MAX_HEADER)
    if nl < 0:
        if len(buf) - off >= MAX_HEADER:
            raise _Bad("header line too long")
        raise _Incomplete
    words = buf[off:nl].decode("latin-1").split()
    if len(words) < 6 or words[0] != "fox":
        raise _Bad("not a fox header line")
    f: dict[str, Any] = {"message_type": words[1], "request_id": words[2], "reply_to": words[3],
                         "channel": words[4], "command": " ".join(words[5:])[:MAX_TEXT]}
    for k in ("request_id", "reply_to"):
        try:
            f[k] = int(f[k])
        except ValueError:
            raise _Bad(f"{k} {f[k]!r}") from None
    pairs: dict[str, Any] = {}
    p = nl + 1
    n = len(buf)
    depth = 0
    while True:
        if p - off > MAX_MESSAGE:
            raise _Bad("message longer than 64 KiB")
        if n - p < 3:
            raise _Incomplete
        if buf.startswith(END, p):
            p += 3
            break
        e = buf.find(b"\n", p)
        if e < 0:
            if n - p > MAX_MESSAGE:
                raise _Bad("line longer than 64 KiB")
            raise _Incomplete
        line = buf[p:e]
        if line == b"{":
            depth += 1
            p = e + 1
            continue
        if line in (b"}", b"};;"):
            depth -= 1
            if line == b"};;":  # the block's end and the message's on one line
                p = e + 1
                break
            p = e + 1
            continue
        eq = line.find(b"=")
        colon = line.find(b":", eq + 1)
        if eq <= 0 or colon < 0:
            raise _Bad(f"not a key=type:value line: {line[:40]!r}")
        key = line[:eq].decode("latin-1")[:MAX_TEXT]
        vtype = line[eq + 1:colon].decode("latin-1")
        if vtype in ("b", "o"):  # length-prefixed: <prefix> <len>[bytes]
            lb = buf.find(b"[", p + colon + 1, e + 1)
            if lb < 0:
                raise _Bad(f"{key}: no [ after the length")
            prefix = buf[p + colon + 1:lb].decode("latin-1").split()
            try:
                size = int(prefix[-1]) if prefix else -1
            except ValueError:
                size = -1
            if size < 0 or size > MAX_MESSAGE:
                raise _Bad(f"{key}: length {prefix!r}")
            start = lb + 1
            if n < start + size + 2:
                raise _Incomplete
            if buf[start + size] != 0x5D or buf[start + size + 1] != 0x0A:  # "]\n"
                raise _Bad(f"{key}: no ] after {size} bytes")
            raw = buf[start:start + size]
            if vtype == "b":
                value: Any = raw[:MAX_BLOB_HEX].hex()
            else:
                value = raw.decode("utf-8", "replace")[:MAX_TEXT]
            p = start + size + 2
        else:
            value = _value(vtype, line[colon + 1:].decode("utf-8", "replace"))
            p = e + 1
        if key.lower() in SECRET_KEYS:
            value = "<redacted>"
        if len(pairs) < MAX_PAIRS:
            pairs[key] = value
    f["pairs"] = pairs
    return f, p


def identity(pairs: dict[str, Any]) -> dict[str, str]:
    """The normalised identity keys a hello's pairs reveal about its sender."""
    out: dict[str, str] = {}

    def put(key: str, value: Any) -> None:
        if isinstance(value, str) and value.strip():
            out[key] = value.strip()

    put("name", pairs.get("station.name") or pairs.get("hostName"))
    put("product_name", pairs.get("app.name"))
    put("application_version", pairs.get("app.version"))
    os_text = " ".join(str(pairs[k]) for k in ("os.name", "os.version") if isinstance(pairs.get(k), str))
    put("firmware", os_text)
    put("vendor", pairs.get("brandId"))
    put("serial_number", pairs.get("hostId"))
    return out


class FoxDecoder(Decoder):
    """Niagara Fox over TCP (clear text, 1911)."""

    name: ClassVar[str] = "fox"
    transport: ClassVar[str] = "tcp"
    default_ports: ClassVar[tuple[int, ...]] = (1911,)

    def __init__(self) -> None:
        super().__init__()
        self._buf: list[bytes] = [b"", b""]
        self._resync = [False, False]

    @classmethod
    def probe(cls, data: bytes, is_orig: bool) -> float:
        if not data.startswith(b"fox "):
            return -1.0
        nl = data.find(b"\n", 0, MAX_HEADER)
        words = data[:nl].split() if nl > 0 else []
        return 0.9 if len(words) >= 6 and words[0] == b"fox" else 0.55 if nl < 0 else -1.0

    def feed(self, data: bytes, is_orig: bool, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        if self.violated or not data:
            return out
        d = 1 if is_orig else 0
        buf = self._buf[d] + data if self._buf[d] else data
        off = 0
        n = len(buf)
        while off < n:
            if self._resync[d] and buf.startswith(b"fox ", off):
                self._resync[d] = False
            elif self._resync[d]:
                nxt = buf.find(b"\nfox ", off)  # the next header line
                if nxt < 0:
                    off = max(off, n - 4)
                    break
                nxt += 1
                out.append(weird("fox_resync", ts, frame, is_orig, f"skipped {nxt - off} bytes"))
                off = nxt
                self._resync[d] = False
            try:
                fields, end = parse(buf, off)
            except _Incomplete:
                break
            except _Bad as exc:
                if not self.confirmed:
                    out.append(weird("fox_protocol_violation", ts, frame, is_orig, str(exc)))
                    self.violated = True
                    self._buf = [b"", b""]
                    return out
                out.append(weird("fox_malformed", ts, frame, is_orig, str(exc)))
                self._resync[d] = True
                off += 1
                continue
            off = end
            self.confirmed = True
            name = EVENTS.get(fields["command"], "fox_message")
            if name == "fox_hello":
                ident = identity(fields["pairs"])
                if ident:
                    fields["identity"] = ident
            out.append(Event(name, ts, frame, is_orig, fields))
        rest = buf[off:] if off < n else b""
        if len(rest) > MAX_MESSAGE + MAX_HEADER:
            out.append(weird("fox_message_too_long", ts, frame, is_orig, f"{len(rest)} bytes"))
            rest = b""
            self._resync[d] = True
        self._buf[d] = rest
        return out

    def gap(self, nbytes: int, is_orig: bool, ts: float, frame: int) -> list[Event]:
        d = 1 if is_orig else 0
        self._buf[d] = b""
        self._resync[d] = True
        return []
