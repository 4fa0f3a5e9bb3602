"""The SSH decoder (TCP 22): the identification banner of each side, then its KEXINIT (algorithm
lists, HASSH fingerprint, weak algorithms); everything after is encrypted and skipped.

See docs/protocols/ssh.md for every event, field and weird.
"""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar

from plantwarden.core.events import Event, weird
from plantwarden.decoders.base import Decoder

MAX_BANNER = 255
#: bytes held per direction before the banner and the KEXINIT (the KEXINIT is rarely over 2 KiB)
MAX_HOLD = 35000
KEXINIT = 20
LISTS = ("kex_algorithms", "host_key_algorithms", "ciphers_c2s", "ciphers_s2c", "macs_c2s", "macs_s2c",
         "compression_c2s", "compression_s2c")
WEAK = frozenset((
    "diffie-hellman-group1-sha1", "diffie-hellman-group-exchange-sha1", "gss-group1-sha1-", "ssh-dss",
    "arcfour", "arcfour128", "arcfour256", "3des-cbc", "des-cbc", "blowfish-cbc", "cast128-cbc", "aes128-cbc",
    "aes192-cbc", "aes256-cbc", "rijndael-cbc@lysator.liu.se", "hmac-md5", "hmac-md5-96", "hmac-sha1-96",
    "hmac-md5-etm@openssh.com", "hmac-md5-96-etm@openssh.com", "none",
))


def text(raw: bytes, limit: int = MAX_BANNER) -> str:
    s = raw[:limit].decode("utf-8", "backslashreplace")
    return s if s.isprintable() else "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in s)


class SshDecoder(Decoder):
    """SSH: the originator is the client."""

    name: ClassVar[str] = "ssh"
    transport: ClassVar[str] = "tcp"
    default_ports: ClassVar[tuple[int, ...]] = (22,)

    __slots__ = ("_buf", "_stage", "versions")

    def __init__(self) -> None:
        super().__init__()
        self._buf: list[bytes] = [b"", b""]
        #: per direction: 0 banner, 1 KEXINIT, 2 done (encrypted or given up)
        self._stage = [0, 0]
        self.versions: list[str | None] = [None, None]

    @classmethod
    def probe(cls, data: bytes, is_orig: bool) -> float:
        return 0.95 if data[:4] == b"SSH-" and data[4:5].isdigit() else -1.0

    def feed(self, data: bytes, is_orig: bool, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        d = 1 if is_orig else 0
        if self.violated or self._stage[d] == 2 or not data:
            return out
        buf = self._buf[d] + data if self._buf[d] else data
        if self._stage[d] == 0:
            buf = self._banner(buf, d, is_orig, ts, frame, out)
            if self._stage[d] != 1:
                self._buf[d] = buf if self._stage[d] == 0 else b""
                return out
        if len(buf) >= 6:
            plen = int.from_bytes(buf[:4], "big")
            if plen > MAX_HOLD or plen < 2:
                out.append(weird("ssh_bad_packet", ts, frame, is_orig, f"packet length {plen}"))
                self._stage[d] = 2
                self._buf[d] = b""
                return out
            if len(buf) >= 4 + plen:
                self._kexinit(buf[5:4 + plen - buf[4]], is_orig, ts, frame, out)
                self._stage[d] = 2
                self._buf[d] = b""
                return out
        self._buf[d] = buf
        return out

    def _banner(self, buf: bytes, d: int, is_orig: bool, ts: float, frame: int, out: list[Event]) -> bytes:
        while True:
            nl = buf.find(b"\n")
            if nl < 0:
                if len(buf) > MAX_HOLD:
                    self._fail(out, ts, frame, is_orig, "no identification line")
                return buf
            line = buf[:nl].rstrip(b"\r")
            buf = buf[nl + 1:]
            if line[:4] != b"SSH-":
                if not is_orig and not self.confirmed and len(line) < 1024:
                    continue  # RFC 4253: a server may send other lines before its banner
                self._fail(out, ts, frame, is_orig, f"line {text(line, 60)!r}")
                return b""
            self.confirmed = True
            ident = text(line)
            rest = ident[4:]
            proto, _, soft = rest.partition("-")
            software, _, comments = soft.partition(" ")
            self.versions[d] = proto
            f: dict[str, Any] = {"banner": ident, "protocol_version": proto, "software": software or None,
                                 "comments": comments or None, "role": "client" if is_orig else "server",
                                 "weak": ["ssh1"] if proto.startswith("1.") and proto != "1.99" else []}
            if software:
                f["identity"] = {"application_version": software + (f" {comments}" if comments else "")}
            out.append(Event("ssh_banner", ts, frame, is_orig, f))
            self._stage[d] = 1 if proto in ("2.0", "1.99") else 2
            return buf

    def _fail(self, out: list[Event], ts: float, frame: int, is_orig: bool, detail: str) -> None:
        if not self.confirmed:
            out.append(weird("ssh_protocol_violation", ts, frame, is_orig, detail))
            self.violated = True
        else:
            out.append(weird("ssh_bad_banner", ts, frame, is_orig, detail))
            self._stage[1 if is_orig else 0] = 2

    def _kexinit(self, payload: bytes, is_orig: bool, ts: float, frame: int, out: list[Event]) -> None:
        if not payload or payload[0] != KEXINIT:
            out.append(weird("ssh_no_kexinit", ts, frame, is_orig, f"message {payload[0] if payload else None}"))
            return
        off = 17  # message type and 16-byte cookie
        f: dict[str, Any] = {"role": "client" if is_orig else "server"}
        for key in LISTS:
            if off + 4 > len(payload):
                out.append(weird("ssh_malformed_kexinit", ts, frame, is_orig, f"truncated at {key}"))
                return
            n = int.from_bytes(payload[off:off + 4], "big")
            raw = payload[off + 4:off + 4 + n]
            if len(raw) < n:
                out.append(weird("ssh_malformed_kexinit", ts, frame, is_orig, f"{key} runs past the packet"))
                return
            f[key] = [text(a, 64) for a in raw.split(b",")] if raw else []
            off += 4 + n
        cs = "c2s" if is_orig else "s2c"
        hassh = ";".join((",".join(f["kex_algorithms"]), ",".join(f["ciphers_" + cs]), ",".join(f["macs_" + cs]),
                          ",".join(f["compression_" + cs])))
        f["hassh_algorithms"] = hassh
        f["hassh"] = hashlib.md5(hassh.encode(), usedforsecurity=False).hexdigest()
        offered = {a for k in LISTS[:6] for a in f[k]}
        f["weak_offered"] = sorted(a for a in offered if a in WEAK or a.startswith("arcfour"))
        out.append(Event("ssh_kexinit", ts, frame, is_orig, f))

    def gap(self, nbytes: int, is_orig: bool, ts: float, frame: int) -> list[Event]:
        d = 1 if is_orig else 0
        self._buf[d] = b""
        self._stage[d] = 2  # a banner or KEXINIT cannot be found again
        return []

    def finish(self, ts: float, frame: int) -> list[Event]:
        self._buf = [b"", b""]
        return []
