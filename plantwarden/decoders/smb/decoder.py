"""The SMB decoder (TCP 445 direct, TCP 139 behind the NetBIOS session service).

Negotiation, session setup (NTLMSSP names, never hashes) and tree connects become events; every other
message is only counted by command, in one ``smb_summary`` at the end of the flow. Large messages
(reads and writes) are counted from their header and skipped without being buffered.
See docs/protocols/smb.md for every event, field and weird.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, ClassVar

from plantwarden.core.events import Event, weird
from plantwarden.decoders.base import Decoder
from plantwarden.decoders.smb import messages as M
from plantwarden.decoders.smb.constants import NBSS_ERRORS, SMB1_COMMANDS, smb2_command, status_name

#: a message larger than this is counted from its header and skipped, not buffered
MAX_HOLD = 65536
MAX_PENDING = 64
MAX_SHARES = 32
MAGICS = (b"\xffSMB", b"\xfeSMB", b"\xfdSMB", b"\xfcSMB")
NBSS = frozenset((0x00, 0x81, 0x82, 0x83, 0x84, 0x85))
_NEGOTIATE, _SESSION, _TREE = "negotiate", "session_setup", "tree_connect"
#: SMB1 and SMB2 commands decoded field by field -> the event stem
SMB1_EVENTS = {0x72: _NEGOTIATE, 0x73: _SESSION, 0x75: _TREE}
SMB2_EVENTS = {0: _NEGOTIATE, 1: _SESSION, 3: _TREE}


def netbios_name(raw: bytes) -> str | None:
    """A first-level encoded NetBIOS name (RFC 1001) -> "NAME<xx>"."""
    if len(raw) < 33 or raw[0] != 32:
        return None
    enc = raw[1:33]
    out = bytes(((enc[i] - 65) & 15) << 4 | ((enc[i + 1] - 65) & 15) for i in range(0, 32, 2))
    return M.safe(out[:15].decode("latin-1").rstrip(" ")) + f"<{out[15]:02x}>"


class SmbDecoder(Decoder):
    """SMB1/SMB2/SMB3 over TCP: the originator is the client."""

    name: ClassVar[str] = "smb"
    transport: ClassVar[str] = "tcp"
    default_ports: ClassVar[tuple[int, ...]] = (139, 445)

    __slots__ = ("_buf", "_skip", "_resync", "_pending", "_dialects", "commands", "versions", "messages",
                 "encrypted", "user", "domain", "shares", "weak")

    def __init__(self) -> None:
        super().__init__()
        self._buf: list[bytes] = [b"", b""]
        self._skip = [0, 0]
        #: after a gap or a bad frame: wait for a segment that starts with a frame
        self._resync = [False, False]
        #: request message id -> tree path (paired with the response)
        self._pending: dict[tuple[int, int], str | None] = {}
        self._dialects: list[str] | None = None
        self.commands: Counter[str] = Counter()
        self.versions: set[str] = set()
        self.messages = 0
        self.encrypted = 0
        self.user: str | None = None
        self.domain: str | None = None
        self.shares: list[str] = []
        self.weak: set[str] = set()

    @classmethod
    def probe(cls, data: bytes, is_orig: bool) -> float:
        if len(data) >= 8 and data[0] == 0 and data[4:8] in MAGICS:
            return 0.9
        if is_orig and len(data) >= 72 and data[:4] == b"\x81\x00\x00\x44" and data[4] == 32:
            return 0.8
        return -1.0

    def feed(self, data: bytes, is_orig: bool, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        if self.violated or not data:
            return out
        d = 1 if is_orig else 0
        if self._skip[d]:
            n = min(self._skip[d], len(data))
            self._skip[d] -= n
            data = data[n:]
            if not data:
                return out
        if self._resync[d]:
            if not (len(data) >= 8 and data[0] == 0 and data[4:8] in MAGICS):
                return out
            self._resync[d] = False
        buf = self._buf[d] + data if self._buf[d] else data
        pos, n = 0, len(buf)
        while n - pos >= 4:
            t = buf[pos]
            ln = int.from_bytes(buf[pos + 1:pos + 4], "big")
            if t not in NBSS or (t == 0 and n - pos >= 8 and buf[pos + 4:pos + 8] not in MAGICS):
                self._bad_frame(out, ts, frame, is_orig, f"NetBIOS type {t}, length {ln}, {buf[pos + 4:pos + 8]!r}")
                self._buf[d] = b""
                return out
            if t == 0 and ln > MAX_HOLD:
                if n - pos < 4 + 64:
                    break
                self._count(buf[pos + 4:pos + 4 + 64], is_orig)
                self._skip[d] = 4 + ln - (n - pos)
                pos = n
                break
            if n - pos < 4 + ln:
                break
            body = buf[pos + 4:pos + 4 + ln]
            pos += 4 + ln
            if t == 0:
                self.confirmed = True
                self._message(body, is_orig, ts, frame, out)
            else:
                self._session(t, body, is_orig, ts, frame, out)
        self._buf[d] = buf[pos:] if pos < n else b""
        return out

    def _bad_frame(self, out: list[Event], ts: float, frame: int, is_orig: bool, detail: str) -> None:
        if not self.confirmed:
            out.append(weird("smb_protocol_violation", ts, frame, is_orig, detail))
            self.violated = True
        else:
            out.append(weird("smb_bad_frame", ts, frame, is_orig, detail))
            self._resync[1 if is_orig else 0] = True

    def _session(self, t: int, body: bytes, is_orig: bool, ts: float, frame: int, out: list[Event]) -> None:
        """NetBIOS session service packets other than session messages (TCP 139)."""
        if t == 0x81:
            called = netbios_name(body)
            at = body.find(b"\x00", 33) + 1 if called else 0
            calling = netbios_name(body[at:]) if called else None
            if called is None or calling is None:
                out.append(weird("smb_malformed_session_request", ts, frame, is_orig, f"{len(body)} bytes"))
                return
            self.confirmed = True
            f: dict[str, Any] = {"called_name": called, "calling_name": calling,
                                 "identity": {"name": calling.partition("<")[0]}}
            out.append(Event("smb_session_request", ts, frame, is_orig, f))
        elif t == 0x83:
            code = body[0] if body else -1
            f = {"error": NBSS_ERRORS.get(code) or f"unknown-{code}"}
            out.append(Event("smb_session_refused", ts, frame, is_orig, f))

    def _count(self, msg: bytes, is_orig: bool) -> tuple[int, str] | None:
        """Count one message; return (version, command name) of SMB1/SMB2 ones."""
        self.messages += 1
        magic = msg[:4]
        if magic == b"\xffSMB" and len(msg) >= 32:
            self.versions.add("SMB1")
            if msg[4] != 0x72 or msg[9] & 0x80:  # a client's SMB1 negotiate may only be asking for SMB2
                self.weak.add("smb1")
            name = SMB1_COMMANDS[msg[4]]
            self.commands[name] += 1
            return 1, name
        if magic == b"\xfeSMB" and len(msg) >= 64:
            self.versions.add("SMB2")
            name = smb2_command(M.u16(msg, 12))
            self.commands[name] += 1
            return 2, name
        if magic == b"\xfdSMB":
            self.encrypted += 1
            self.commands["encrypted"] += 1
        elif magic == b"\xfcSMB":
            self.commands["compressed"] += 1
        else:
            self.commands["malformed"] += 1
        return None

    def _message(self, msg: bytes, is_orig: bool, ts: float, frame: int, out: list[Event]) -> None:
        while True:
            kind = self._count(msg, is_orig)
            if kind is None:
                if msg[:4] not in (b"\xfdSMB", b"\xfcSMB"):
                    out.append(weird("smb_malformed_header", ts, frame, is_orig, f"{len(msg)} bytes"))
                return
            if kind[0] == 1:
                self._smb1(msg, ts, frame, out)
                return
            nxt = M.u32(msg, 20)
            self._smb2(msg[:nxt] if nxt else msg, ts, frame, out)
            if not nxt or nxt >= len(msg):
                return
            msg = msg[nxt:]  # a compounded request or response

    def _smb1(self, msg: bytes, ts: float, frame: int, out: list[Event]) -> None:
        cmd = msg[4]
        stem = SMB1_EVENTS.get(cmd)
        if stem is None:
            return
        is_resp = bool(msg[9] & 0x80)
        flags2 = M.u16(msg, 10)
        uni = bool(flags2 & 0x8000)
        if flags2 & 0x4000:
            status = status_name(M.u32(msg, 5))
        else:
            status = "STATUS_SUCCESS" if msg[5] == 0 else f"dos-{msg[5]}-{M.u16(msg, 7)}"
        key = (1, M.u16(msg, 30) | M.u16(msg, 26) << 16)
        f: dict[str, Any] = {"version": "SMB1"}
        if len(msg) < 35:
            out.append(weird("smb_truncated_message", ts, frame, not is_resp, f"{stem}: {len(msg)} bytes"))
            return
        if is_resp:
            f["status"] = status
            if stem == _NEGOTIATE:
                f.update(M.smb1_negotiate_response(msg, self._dialects, uni))
            elif stem == _SESSION:
                f.update(M.smb1_session_setup_response(msg, uni))
            else:
                f.update(M.smb1_tree_connect_response(msg))
                f["path"] = self._pending.pop(key, None)
            self._emit(stem, f, False, ts, frame, out)
            return
        if stem == _NEGOTIATE:
            f.update(M.smb1_negotiate_request(msg))
            self._dialects = f["dialects"]
        elif stem == _SESSION:
            fields, andx, andx_off = M.smb1_session_setup_request(msg, uni)
            f.update(fields)
            self._emit(stem, f, True, ts, frame, out)
            if andx == 0x75 and 32 < andx_off < len(msg):  # a tree connect chained to the session setup
                g = {"version": "SMB1", **M.smb1_tree_connect_request(msg, andx_off, uni)}
                self._remember(key, g.get("path"))
                self._emit(_TREE, g, True, ts, frame, out)
            return
        else:
            f.update(M.smb1_tree_connect_request(msg, 32, uni))
            self._remember(key, f.get("path"))
        self._emit(stem, f, True, ts, frame, out)

    def _smb2(self, msg: bytes, ts: float, frame: int, out: list[Event]) -> None:
        cmd = M.u16(msg, 12)
        stem = SMB2_EVENTS.get(cmd)
        if stem is None:
            return
        is_resp = bool(M.u32(msg, 16) & 1)
        key = (2, int.from_bytes(msg[24:32], "little"))
        f: dict[str, Any] = {"version": "SMB2"}
        if is_resp:
            f["status"] = status_name(M.u32(msg, 8))
            if stem == _NEGOTIATE:
                f.update(M.smb2_negotiate_response(msg))
            elif stem == _SESSION:
                f.update(M.smb2_session_setup_response(msg))
            else:
                f.update(M.smb2_tree_connect_response(msg))
                f["path"] = self._pending.pop(key, None)
        elif stem == _NEGOTIATE:
            f.update(M.smb2_negotiate_request(msg))
        elif stem == _SESSION:
            f.update(M.smb2_session_setup_request(msg))
        else:
            f.update(M.smb2_tree_connect_request(msg))
            self._remember(key, f["path"])
        self._emit(stem, f, not is_resp, ts, frame, out)

    def _remember(self, key: tuple[int, int], path: str | None) -> None:
        if len(self._pending) >= MAX_PENDING:
            self._pending.pop(next(iter(self._pending)))
        self._pending[key] = path

    def _emit(self, stem: str, f: dict[str, Any], is_orig: bool, ts: float, frame: int, out: list[Event]) -> None:
        weak: list[str] = []
        ident: dict[str, str] = {}
        if stem == _NEGOTIATE and not is_orig:
            if f["version"] == "SMB1":
                weak.append("smb1")
            if f.get("signing_required") is False:
                weak.append("signing_not_required")
                self.weak.add("signing_not_required")
            if f.get("server_name"):
                ident["name"] = f["server_name"]
            f["weak"] = weak
        elif stem == _SESSION:
            if f.get("ntlmssp") == "authenticate" or (is_orig and f.get("user") is not None):
                self.user, self.domain = f.get("user"), f.get("domain")
                if f.get("ntlm_version") == "v1":
                    weak.append("ntlmv1")
                if f.get("anonymous"):
                    weak.append("anonymous_login")
                if f.get("plaintext_password"):
                    weak.append("plaintext_password")
            if f.get("guest"):
                weak.append("guest_login")
            if f.get("null_session"):
                weak.append("anonymous_login")
            self.weak.update(weak)
            f["weak"] = weak
            name = f.get("netbios_computer") or f.get("dns_computer") or (f.get("workstation") if is_orig else None)
            if name:
                ident["name"] = name
            for src, dst in (("native_os", "product_name"), ("native_lanman", "application_version"),
                             ("os_version", "firmware")):
                if f.get(src):
                    ident[dst] = f[src]
        elif stem == _TREE and is_orig and f.get("path") and len(self.shares) < MAX_SHARES \
                and f["path"] not in self.shares:
            self.shares.append(f["path"])
        if ident:
            f["identity"] = ident
        suffix = "_request" if is_orig else "_response"
        out.append(Event("smb_" + stem + suffix, ts, frame, is_orig, f))

    def gap(self, nbytes: int, is_orig: bool, ts: float, frame: int) -> list[Event]:
        d = 1 if is_orig else 0
        self._buf[d] = b""
        if self._skip[d] >= nbytes:
            self._skip[d] -= nbytes  # the gap fell inside a skipped message: boundaries still known
        else:
            self._skip[d] = 0
            self._resync[d] = True
        return []

    def finish(self, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        if self.violated:
            return out
        for d in (1, 0):
            if self._buf[d]:
                out.append(weird("smb_incomplete_message", ts, frame, d == 1, f"{len(self._buf[d])} bytes"))
                self._buf[d] = b""
        if self.messages:
            f: dict[str, Any] = {"versions": sorted(self.versions), "messages": self.messages,
                                 "commands": dict(sorted(self.commands.items())), "encrypted": self.encrypted,
                                 "user": self.user, "domain": self.domain, "shares": list(self.shares),
                                 "weak": sorted(self.weak)}
            out.append(Event("smb_summary", ts, frame, True, f))
        return out
