"""The FTP control-connection decoder (TCP 21): commands and replies, line by line.

See docs/protocols/ftp.md for every event, field and weird.
"""

from __future__ import annotations

from collections import deque
from typing import Any, ClassVar

from plantwarden.core.events import Event, weird
from plantwarden.decoders.base import Decoder

MAX_LINE = 4096
MAX_TEXT = 512
MAX_PENDING = 64
#: commands whose argument is a path
FILE_COMMANDS = frozenset(("RETR", "STOR", "STOU", "APPE", "DELE", "RNFR", "RNTO", "SIZE", "MDTM", "CWD", "MKD",
                           "RMD", "XMKD", "XRMD", "XCWD", "LIST", "NLST", "MLSD", "MLST", "SITE"))


def text(raw: bytes, limit: int = MAX_TEXT) -> str:
    s = raw[:limit].decode("utf-8", "backslashreplace")
    return s if s.isprintable() else "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in s)


def _host_port(nums: list[str]) -> tuple[str, int] | None:
    """h1,h2,h3,h4,p1,p2 (PORT, 227) -> (address, port)."""
    try:
        v = [int(x) for x in nums]
    except ValueError:
        return None
    if len(v) != 6 or any(not 0 <= x <= 255 for x in v):
        return None
    return f"{v[0]}.{v[1]}.{v[2]}.{v[3]}", v[4] * 256 + v[5]


class FtpDecoder(Decoder):
    """FTP control connection: the originator is the client."""

    name: ClassVar[str] = "ftp"
    transport: ClassVar[str] = "tcp"
    default_ports: ClassVar[tuple[int, ...]] = (21,)

    __slots__ = ("_buf", "_pending", "_multi", "_tls", "user", "commands", "replies")

    def __init__(self) -> None:
        super().__init__()
        self._buf: list[bytes] = [b"", b""]
        self._pending: deque[str] = deque()
        #: a multi-line reply being read: (code, first line text, line count)
        self._multi: tuple[int, str, int] | None = None
        self._tls = False
        self.user: str | None = None
        self.commands = 0
        self.replies = 0

    @classmethod
    def probe(cls, data: bytes, is_orig: bool) -> float:
        if not is_orig and data[:4] in (b"220 ", b"220-") and b"FTP" in data[:200].upper():
            return 0.8
        if is_orig and data[:5].upper() == b"USER " and data.endswith(b"\n") and len(data) < 128:
            return 0.6
        return -1.0

    def feed(self, data: bytes, is_orig: bool, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        if self.violated or self._tls or not data:
            return out
        d = 1 if is_orig else 0
        buf = self._buf[d] + data if self._buf[d] else data
        start = 0
        while True:
            nl = buf.find(b"\n", start)
            if nl < 0:
                break
            line = buf[start:nl].rstrip(b"\r")
            start = nl + 1
            if is_orig:
                self._command(line, ts, frame, out)
            else:
                self._reply(line, ts, frame, out)
            if self.violated or self._tls:
                self._buf = [b"", b""]
                return out
        rest = buf[start:]
        if len(rest) > MAX_LINE:
            out.append(weird("ftp_line_too_long", ts, frame, is_orig, f"{len(rest)} bytes without a line end"))
            rest = b""
        self._buf[d] = rest
        return out

    def _violation(self, ts: float, frame: int, is_orig: bool, line: bytes, out: list[Event]) -> None:
        out.append(weird("ftp_protocol_violation", ts, frame, is_orig, text(line, 80)))
        self.violated = True

    def _command(self, line: bytes, ts: float, frame: int, out: list[Event]) -> None:
        if not line:
            return
        verb, _, arg_raw = line.partition(b" ")
        if not (2 <= len(verb) <= 6 and verb.isalpha()):
            if not self.confirmed:
                self._violation(ts, frame, True, line, out)
                return
            out.append(weird("ftp_bad_command", ts, frame, True, text(line, 80)))
            return
        self.confirmed = True
        self.commands += 1
        cmd = verb.decode().upper()
        f: dict[str, Any] = {"command": cmd, "arg": None, "user": self.user, "credentials_in_clear": False}
        if cmd == "PASS":
            f["credentials_in_clear"] = bool(arg_raw)  # the password itself is never kept
            f["password_given"] = bool(arg_raw)
        else:
            arg = text(arg_raw, 2048) if arg_raw else None
            f["arg"] = arg
            if cmd == "USER":
                self.user = arg
                f["user"] = arg
            elif cmd in FILE_COMMANDS and arg is not None:
                f["filename"] = arg
            elif cmd == "PORT" and arg is not None:
                hp = _host_port(arg.split(","))
                if hp is not None:
                    f["data_address"], f["data_port"] = hp
            elif cmd == "EPRT" and arg is not None and len(arg) > 4:
                parts = arg.split(arg[0])
                if len(parts) >= 4 and parts[3].isdigit():
                    f["data_address"], f["data_port"] = parts[2], int(parts[3])
        if len(self._pending) >= MAX_PENDING:
            self._pending.popleft()
        self._pending.append(cmd)
        out.append(Event("ftp_command", ts, frame, True, f))

    def _reply(self, line: bytes, ts: float, frame: int, out: list[Event]) -> None:
        multi = self._multi
        if multi is not None:
            code, first, count = multi
            if line[:3] == str(code).encode() and line[3:4] == b" ":
                self._multi = None
                self._emit(code, first, count + 1, ts, frame, out)
            else:
                self._multi = (code, first, count + 1)
            return
        if len(line) < 3 or not line[:3].isdigit() or line[3:4] not in (b" ", b"-", b""):
            if not self.confirmed:
                self._violation(ts, frame, False, line, out)
                return
            out.append(weird("ftp_bad_reply", ts, frame, False, text(line, 80)))
            return
        self.confirmed = True
        code = int(line[:3])
        msg = text(line[4:])
        if line[3:4] == b"-":
            self._multi = (code, msg, 1)
            return
        self._emit(code, msg, 1, ts, frame, out)

    def _emit(self, code: int, msg: str, lines: int, ts: float, frame: int, out: list[Event]) -> None:
        self.replies += 1
        cmd = None
        if code >= 200 or code < 100:
            if self._pending and not (code == 220 and not self.commands):
                cmd = self._pending.popleft()
        elif self._pending:
            cmd = self._pending[0]
        f: dict[str, Any] = {"reply_code": code, "reply_msg": msg, "lines": lines, "command": cmd, "user": self.user}
        if code == 220 and cmd is None:
            f["identity"] = {"product_name": msg}
        elif code == 227:
            i, j = msg.find("("), msg.find(")")
            hp = _host_port(msg[i + 1:j].split(",")) if 0 <= i < j else None
            if hp is None:
                nums = [p for p in msg.replace(")", ",").replace("(", ",").split(",")[-7:] if p.strip().isdigit()]
                hp = _host_port([n.strip() for n in nums[-6:]])
            if hp is not None:
                f["data_address"], f["data_port"] = hp
        elif code == 229:
            i = msg.find("(|||")
            if i >= 0:
                p = msg[i + 4:msg.find("|", i + 4)]
                if p.isdigit():
                    f["data_port"] = int(p)
        elif code == 234 and cmd == "AUTH":
            self._tls = True  # the control connection continues in TLS: nothing more to read
            f["encrypted"] = True
        elif code == 230:
            f["logged_in"] = True
        elif code == 530:
            f["logged_in"] = False
        out.append(Event("ftp_reply", ts, frame, False, f))

    def gap(self, nbytes: int, is_orig: bool, ts: float, frame: int) -> list[Event]:
        d = 1 if is_orig else 0
        self._buf[d] = b""
        if not is_orig:
            self._multi = None
        self._pending.clear()
        return []

    def finish(self, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        if self.violated:
            return out
        for d in (1, 0):
            if self._buf[d] and not self._tls:
                out.append(weird("ftp_incomplete_line", ts, frame, d == 1, f"{len(self._buf[d])} bytes"))
            self._buf[d] = b""
        return out
