"""The RDP decoder (TCP 3389): the X.224 Connection Request (cookie user name, requested security
protocols) and Connection Confirm (selected protocol or failure); everything after is TLS/CredSSP
or RDP-encrypted and is not read.

See docs/protocols/rdp.md for every event, field and weird.
"""

from __future__ import annotations

from typing import Any, ClassVar

from plantwarden.core.events import Event, weird
from plantwarden.decoders.base import Decoder

PROTOCOLS = ((1, "ssl"), (2, "credssp"), (4, "rdstls"), (8, "credssp_ex"))
SELECTED = {0: "rdp", 1: "ssl", 2: "credssp", 4: "rdstls", 8: "credssp_ex"}
FAILURES = {1: "ssl_required_by_server", 2: "ssl_not_allowed_by_server", 3: "ssl_cert_not_on_server",
            4: "inconsistent_flags", 5: "hybrid_required_by_server", 6: "ssl_with_user_auth_required_by_server"}
MAX_TPKT = 4096


def _text(raw: bytes) -> str:
    s = raw[:255].decode("utf-8", "backslashreplace")
    return s if s.isprintable() else "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in s)


def _protocols(mask: int) -> list[str]:
    names = [name for bit, name in PROTOCOLS if mask & bit]
    if mask & ~15:
        names.append(f"unknown-{mask & ~15}")
    return names or ["rdp"]


class RdpDecoder(Decoder):
    """RDP connection setup: the originator is the client."""

    name: ClassVar[str] = "rdp"
    transport: ClassVar[str] = "tcp"
    default_ports: ClassVar[tuple[int, ...]] = (3389,)

    __slots__ = ("_buf", "_done")

    def __init__(self) -> None:
        super().__init__()
        self._buf: list[bytes] = [b"", b""]
        self._done = [False, False]

    @classmethod
    def probe(cls, data: bytes, is_orig: bool) -> float:
        if is_orig and len(data) >= 11 and data[0] == 3 and data[1] == 0 and data[5] == 0xE0 \
                and (b"Cookie: mstshash=" in data[11:60] or len(data) == int.from_bytes(data[2:4], "big") == 19):
            return 0.9
        return -1.0

    def feed(self, data: bytes, is_orig: bool, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        d = 1 if is_orig else 0
        if self.violated or self._done[d] or not data:
            return out
        buf = self._buf[d] + data if self._buf[d] else data
        if len(buf) < 4:
            self._buf[d] = buf
            return out
        ln = int.from_bytes(buf[2:4], "big")
        if buf[0] != 3 or buf[1] != 0 or not 11 <= ln <= MAX_TPKT:
            self._stop(d, out, ts, frame, is_orig, f"not a TPKT/X.224 header: {buf[:4].hex()}")
            return out
        if len(buf) < ln:
            self._buf[d] = buf
            return out
        self._buf[d] = b""
        self._done[d] = True
        pdu = buf[4:ln]
        code = pdu[1] & 0xF0
        if is_orig and code == 0xE0:
            out.append(Event("rdp_connection_request", ts, frame, True, self._request(pdu[7:])))
            self.confirmed = True
        elif not is_orig and code == 0xD0:
            out.append(Event("rdp_connection_confirm", ts, frame, False, self._confirm(pdu[7:])))
            self.confirmed = True
        else:
            self._done[d] = False
            self._stop(d, out, ts, frame, is_orig, f"X.224 code 0x{code:02x} where a connection "
                       f"{'request' if is_orig else 'confirm'} was expected")
        return out

    def _stop(self, d: int, out: list[Event], ts: float, frame: int, is_orig: bool, detail: str) -> None:
        if not self.confirmed:
            out.append(weird("rdp_protocol_violation", ts, frame, is_orig, detail))
            self.violated = True
        else:
            out.append(weird("rdp_unexpected_pdu", ts, frame, is_orig, detail))
            self._done[d] = True
        self._buf[d] = b""

    @staticmethod
    def _request(body: bytes) -> dict[str, Any]:
        f: dict[str, Any] = {"cookie": None, "username": None, "routing_token": None, "requested_protocols": None,
                             "requested_protocols_code": None, "credssp_requested": False}
        rest = body
        nl = body.find(b"\r\n")
        if body[:8] == b"Cookie: " and nl >= 0:
            cookie = body[8:nl]
            f["cookie"] = _text(cookie)
            if cookie[:9] == b"mstshash=":
                f["username"] = _text(cookie[9:])  # the user name (often truncated to 9 characters by clients)
            elif cookie[:4] == b"msts":
                f["routing_token"] = _text(cookie)
            rest = body[nl + 2:]
        if len(rest) >= 8 and rest[0] == 1:
            mask = int.from_bytes(rest[4:8], "little")
            f["requested_protocols_code"] = mask
            f["requested_protocols"] = _protocols(mask)
            f["credssp_requested"] = bool(mask & 10)
        return f

    @staticmethod
    def _confirm(body: bytes) -> dict[str, Any]:
        f: dict[str, Any] = {"selected_protocol": None, "failure": None, "weak": []}
        if len(body) >= 8 and body[0] == 2:
            sel = int.from_bytes(body[4:8], "little")
            f["selected_protocol"] = SELECTED.get(sel, f"unknown-{sel}")
        elif len(body) >= 8 and body[0] == 3:
            code = int.from_bytes(body[4:8], "little")
            f["failure"] = FAILURES.get(code, f"unknown-{code}")
        else:
            f["selected_protocol"] = "rdp"  # no negotiation: standard RDP security
        if f["selected_protocol"] == "rdp":
            f["weak"] = ["standard_rdp_security"]
        return f
