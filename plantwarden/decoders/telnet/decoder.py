"""The Telnet decoder (TCP 23): option negotiation, the server's banner and the login dialogue.

Negotiation (IAC DO/DONT/WILL/WONT, IAC SB ... IAC SE) is parsed and skipped; what is left of each
direction is text. The server's text is watched for login and password prompts; the client's text after
a prompt, up to CR or LF, is the typed user name (a password is never kept). The server's echo of the
typed characters is ignored: only the client's own bytes are read. See docs/protocols/telnet.md.
"""

from __future__ import annotations

from typing import Any, ClassVar

from plantwarden.core.events import Event, weird
from plantwarden.decoders.base import Decoder
from plantwarden.decoders.telnet.constants import (
    COMMAND_NAMES,
    NEGOTIATION,
    NEW_ENVIRON,
    OLD_ENVIRON,
    OPTION_NAMES,
    PASSWORD_PROMPTS,
    PROTECTING,
    TERMINAL_SPEED,
    TERMINAL_TYPE,
    USER_PROMPTS,
    WINDOW_SIZE,
    X_DISPLAY,
)

#: a subnegotiation longer than this is dropped (terminal types and NAWS are a few bytes)
MAX_SB = 1024
#: server text kept to recognise a prompt
TAIL = 96
#: server text kept as the banner, and the lines of it reported
MAX_BANNER = 1024
BANNER_LINES = 8
#: characters kept of a typed user name
MAX_TYPED = 128
_BLANKS = b" \t\x00"
#: bytes of a first payload that plain text or terminal output does not contain
_BINARY = bytes(b for b in range(32) if b not in (7, 8, 9, 10, 12, 13, 27, 0))


def text(raw: bytes, limit: int = 256) -> str:
    s = raw[:limit].decode("utf-8", "backslashreplace")
    return s if s.isprintable() else "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in s)


def _nul_strip(raw: bytes) -> bytes:
    return raw.replace(b"\x00", b"")


class TelnetDecoder(Decoder):
    """Telnet: the originator is the client."""

    name: ClassVar[str] = "telnet"
    transport: ClassVar[str] = "tcp"
    default_ports: ClassVar[tuple[int, ...]] = (23,)

    __slots__ = ("_carry", "_tail", "_banner", "_banner_done", "_expect", "_prompt", "_typed", "user",
                 "negotiations")

    def __init__(self) -> None:
        super().__init__()
        #: an incomplete IAC sequence per direction (index 1: client)
        self._carry: list[bytes] = [b"", b""]
        self._tail = b""
        self._banner = b""
        self._banner_done = False
        #: what the client's next line answers: None, "user" or "password"
        self._expect: str | None = None
        self._prompt = ""
        self._typed = bytearray()
        self.user: str | None = None
        self.negotiations = 0

    @classmethod
    def probe(cls, data: bytes, is_orig: bool) -> float:
        if len(data) >= 3 and data[0] == 255 and 251 <= data[1] <= 254:
            return 0.9
        return -1.0

    # -- the byte stream -------------------------------------------------------------------------

    def feed(self, data: bytes, is_orig: bool, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        if self.violated or not data:
            return out
        d = 1 if is_orig else 0
        buf = self._carry[d] + data if self._carry[d] else data
        self._carry[d] = b""
        if buf.find(b"\xff") < 0:  # the common case after login: plain text
            self._text(buf, is_orig, ts, frame, out)
            return out
        parts: list[bytes] = []
        cmds: list[str] = []
        sub: dict[str, Any] = {}
        i, n = 0, len(buf)
        while i < n:
            j = buf.find(b"\xff", i)
            if j < 0:
                parts.append(buf[i:])
                break
            if j > i:
                parts.append(buf[i:j])
            if j + 1 >= n:
                self._carry[d] = buf[j:]
                break
            c = buf[j + 1]
            if c == 255:
                parts.append(b"\xff")
                i = j + 2
            elif c >= 251:
                if j + 2 >= n:
                    self._carry[d] = buf[j:]
                    break
                cmds.append(NEGOTIATION[c][buf[j + 2]])
                i = j + 3
            elif c == 250:
                end = buf.find(b"\xff\xf0", j + 2)
                if end < 0:
                    if n - j > MAX_SB:
                        out.append(weird("telnet_subnegotiation_too_long", ts, frame, is_orig, f"{n - j} bytes"))
                    else:
                        self._carry[d] = buf[j:]
                    break
                self._subnegotiation(buf[j + 2:end].replace(b"\xff\xff", b"\xff"), cmds, sub)
                i = end + 2
            elif c >= 240:
                cmds.append(COMMAND_NAMES[c])
                i = j + 2
            else:
                if not self.confirmed:
                    out.append(weird("telnet_protocol_violation", ts, frame, is_orig, f"IAC followed by {c}"))
                    self.violated = True
                    return out
                out.append(weird("telnet_bad_command", ts, frame, is_orig, f"IAC followed by {c}"))
                i = j + 2
        if cmds:
            self.confirmed = True
            self.negotiations += len(cmds)
            opts = sorted({c.partition(" ")[2] for c in cmds if " " in c})
            f: dict[str, Any] = {"role": "client" if is_orig else "server", "commands": cmds, "options": opts,
                                 "protection_offered": any(OPTION_NAMES[o] in opts for o in PROTECTING)}
            f.update(sub)
            out.append(Event("telnet_negotiation", ts, frame, is_orig, f))
        if parts:
            self._text(parts[0] if len(parts) == 1 else b"".join(parts), is_orig, ts, frame, out)
        return out

    def _subnegotiation(self, body: bytes, cmds: list[str], sub: dict[str, Any]) -> None:
        if not body:
            return
        opt = body[0]
        cmds.append("SB " + OPTION_NAMES[opt])
        if opt == TERMINAL_TYPE and len(body) > 2 and body[1] == 0:  # IS
            sub["terminal_type"] = text(body[2:], 64)
        elif opt == WINDOW_SIZE and len(body) >= 5:
            sub["window_width"] = int.from_bytes(body[1:3], "big")
            sub["window_height"] = int.from_bytes(body[3:5], "big")
        elif opt == TERMINAL_SPEED and len(body) > 2 and body[1] == 0:
            sub["terminal_speed"] = text(body[2:], 64)
        elif opt == X_DISPLAY and len(body) > 2 and body[1] == 0:
            sub["x_display"] = text(body[2:], 128)
        elif opt in (NEW_ENVIRON, OLD_ENVIRON) and len(body) > 2 and body[1] in (0, 2):  # IS / INFO
            env = _environment(body[2:])
            if env:
                sub["environment"] = env
                if "USER" in env:
                    sub["user"] = env["USER"]
                    self.user = env["USER"]

    # -- text ------------------------------------------------------------------------------------

    def _text(self, raw: bytes, is_orig: bool, ts: float, frame: int, out: list[Event]) -> None:
        if not self.confirmed and not self.violated:
            head = raw[:64]
            odd = sum(head.count(bytes((b,))) for b in set(head) if b in _BINARY)
            odd += head.count(b"\x00") - head.count(b"\r\x00")  # telnet sends NUL only after CR
            if len(head) >= 8 and odd * 4 > len(head):
                out.append(weird("telnet_protocol_violation", ts, frame, is_orig, "binary data, no negotiation"))
                self.violated = True
                return
        if is_orig:
            self._client_text(raw, ts, frame, out)
            return
        tail = (self._tail + raw)[-TAIL:]
        self._tail = tail
        if not self._banner_done:
            self._banner = (self._banner + raw)[:MAX_BANNER]
        last = tail.rpartition(b"\n")[2].rstrip(_BLANKS).lower()
        kind = ("user" if last.endswith(USER_PROMPTS) else
                "password" if last.endswith(PASSWORD_PROMPTS) else None)
        if kind is not None:
            self.confirmed = True
            if not self._banner_done:
                self._emit_banner(ts, frame, out, drop_last=True)
            self._expect = kind
            self._prompt = text(_nul_strip(tail.rpartition(b"\n")[2]).strip(), 64)
            self._typed.clear()

    def _client_text(self, raw: bytes, ts: float, frame: int, out: list[Event]) -> None:
        if not self._banner_done and self._banner:
            self._emit_banner(ts, frame, out, drop_last=False)
        if self._expect is None:
            return
        typed = self._typed
        for b in raw:  # only while a prompt waits for an answer: a few keystrokes
            if b == 13 or b == 10:
                if typed or self._expect == "password":
                    self._answer(ts, frame, out)
                    if self._expect is None:
                        return
            elif b == 8 or b == 127:
                if typed:
                    typed.pop()
            elif b == 21:  # ^U erases the line
                typed.clear()
            elif b and len(typed) < MAX_TYPED:
                typed.append(b)

    def _answer(self, ts: float, frame: int, out: list[Event]) -> None:
        f: dict[str, Any]
        if self._expect == "user":
            self.user = text(bytes(self._typed), MAX_TYPED)
            f = {"user": self.user, "prompt": self._prompt}
            out.append(Event("telnet_login", ts, frame, True, f))
        else:
            f = {"user": self.user, "prompt": self._prompt, "credentials_in_clear": True}
            out.append(Event("telnet_password_sent", ts, frame, True, f))
        self._typed.clear()  # the password is never kept
        self._expect = None

    def _emit_banner(self, ts: float, frame: int, out: list[Event], drop_last: bool) -> None:
        self._banner_done = True
        raw = _nul_strip(self._banner).replace(b"\r", b"\n")
        self._banner = b""
        lines = raw.split(b"\n")
        if drop_last:
            lines = lines[:-1]  # the prompt
        kept = [t for t in (text(ln.strip(), 200) for ln in lines) if t][:BANNER_LINES]
        if not kept:
            return
        f = {"banner": "\n".join(kept), "lines": len(kept), "identity": {"product_name": kept[0]}}
        out.append(Event("telnet_banner", ts, frame, False, f))

    def gap(self, nbytes: int, is_orig: bool, ts: float, frame: int) -> list[Event]:
        self._carry[1 if is_orig else 0] = b""
        if is_orig:
            self._typed.clear()
            self._expect = None
        else:
            self._tail = b""
        return []

    def finish(self, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        if self.violated:
            return out
        if not self._banner_done and self._banner.strip():
            self._emit_banner(ts, frame, out, drop_last=False)
        for d in (1, 0):
            if self._carry[d]:
                out.append(weird("telnet_incomplete_command", ts, frame, d == 1, f"{len(self._carry[d])} bytes"))
                self._carry[d] = b""
        return out


def _environment(body: bytes) -> dict[str, str]:
    """NEW-ENVIRON IS/INFO: VAR|USERVAR name [VALUE value] ... (ESC-escaped bytes kept as they are)."""
    env: dict[str, str] = {}
    name: bytearray | None = None
    value: bytearray | None = None
    cur: bytearray | None = None
    esc = False
    for b in body[:512]:
        if esc:
            if cur is not None:
                cur.append(b)
            esc = False
        elif b in (0, 3):  # VAR, USERVAR
            if name is not None and len(env) < 16:
                env[text(bytes(name), 64)] = text(bytes(value or b""), 128)
            name, value = bytearray(), None
            cur = name
        elif b == 1 and name is not None:  # VALUE
            value = bytearray()
            cur = value
        elif b == 2:  # ESC
            esc = True
        elif cur is not None:
            cur.append(b)
    if name is not None and len(env) < 16:
        env[text(bytes(name), 64)] = text(bytes(value or b""), 128)
    return env
