"""The DHCP (and BOOTP) decoder over UDP 67: one datagram, one message, one event.

The sensor claims only the server port 67, so a flow's originator is the client side (port 68)
whichever way the datagram goes; a relay (67 to 67) makes the first sender the originator. The
client is therefore told by the BOOTP op code (1 = from the client), never by ``is_orig``.
See docs/protocols/dhcp.md for every event, field and weird.
"""

from __future__ import annotations

from typing import Any, ClassVar

from plantwarden.core.events import Event, weird
from plantwarden.decoders.base import Decoder

MAGIC = b"\x63\x82\x53\x63"
MESSAGE_TYPES = {
    1: "discover", 2: "offer", 3: "request", 4: "decline", 5: "ack", 6: "nak", 7: "release", 8: "inform",
    9: "force_renew", 10: "lease_query", 11: "lease_unassigned", 12: "lease_unknown", 13: "lease_active",
}
MAX_TEXT = 255


def _ip(b: bytes) -> str:
    return f"{b[0]}.{b[1]}.{b[2]}.{b[3]}"


def _ips(b: bytes) -> list[str]:
    return [_ip(b[i:i + 4]) for i in range(0, len(b) - 3, 4)]


def _text(raw: bytes) -> str:
    s = raw[:MAX_TEXT].rstrip(b"\0").decode("utf-8", "backslashreplace")
    return s if s.isprintable() else "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in s)


def _mac(b: bytes) -> str:
    return ":".join(f"{x:02x}" for x in b)


class DhcpDecoder(Decoder):
    """DHCPv4 / BOOTP on UDP 67 (and 68 through the flow of port 67)."""

    name: ClassVar[str] = "dhcp"
    transport: ClassVar[str] = "udp"
    default_ports: ClassVar[tuple[int, ...]] = (67,)

    __slots__ = ("messages",)

    def __init__(self) -> None:
        super().__init__()
        self.messages = 0

    @classmethod
    def probe(cls, data: bytes, is_orig: bool) -> float:
        if len(data) >= 240 and data[0] in (1, 2) and data[236:240] == MAGIC:
            return 0.9
        return -1.0

    def feed(self, data: bytes, is_orig: bool, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        if self.violated:
            return out
        n = len(data)
        if n < 236 or data[0] not in (1, 2):
            detail = f"{n} bytes, op {data[0] if n else None}"
            if not self.confirmed:
                out.append(weird("dhcp_protocol_violation", ts, frame, is_orig, detail))
                self.violated = True
            else:
                out.append(weird("dhcp_malformed", ts, frame, is_orig, detail))
            return out
        self.confirmed = True
        self.messages += 1
        op, htype, hlen = data[0], data[1], data[2]
        from_client = op == 1
        chaddr = data[28:28 + min(hlen, 16)]
        f: dict[str, Any] = {
            "op": "request" if from_client else "reply", "from_client": from_client,
            "xid": int.from_bytes(data[4:8], "big"), "hops": data[3], "secs": int.from_bytes(data[8:10], "big"),
            "broadcast": bool(data[10] & 0x80),
            "client_mac": _mac(chaddr) if htype == 1 and hlen == 6 else chaddr.hex(),
            "ciaddr": _ip(data[12:16]), "yiaddr": _ip(data[16:20]), "siaddr": _ip(data[20:24]),
            "giaddr": _ip(data[24:28]),
            "message_type": None, "message_type_code": None, "requested_ip": None, "assigned_ip": None,
            "server_id": None, "lease_time": None, "subnet_mask": None, "router": None, "dns_servers": None,
            "domain_name": None, "hostname": None, "vendor_class_id": None, "client_id": None,
            "param_request_list": None, "client_fqdn": None,
        }
        problems: list[str] = []
        if n >= 240 and data[236:240] == MAGIC:
            self._options(data, 240, f, problems)
        mt = f["message_type_code"]
        if mt is None:
            event = "dhcp_bootp_request" if from_client else "dhcp_bootp_reply"
        else:
            event = "dhcp_" + MESSAGE_TYPES.get(mt, "unknown")
        if not from_client and f["yiaddr"] != "0.0.0.0":
            f["assigned_ip"] = f["yiaddr"]
        if from_client and (f["hostname"] or f["vendor_class_id"]):
            ident: dict[str, Any] = {}
            if f["hostname"]:
                ident["name"] = f["hostname"]
            if f["vendor_class_id"]:
                ident["vendor"] = f["vendor_class_id"]
            f["identity"] = ident
        out.append(Event(event, ts, frame, is_orig, f))
        for p in problems:
            out.append(weird("dhcp_malformed_option", ts, frame, is_orig, f"xid {f['xid']:#x}: {p}"))
        return out

    @staticmethod
    def _options(data: bytes, off: int, f: dict[str, Any], problems: list[str]) -> None:
        n = len(data)
        while off < n:
            code = data[off]
            if code == 0:
                off += 1
                continue
            if code == 255:
                return
            if off + 2 > n:
                problems.append(f"option {code} without length")
                return
            ln = data[off + 1]
            v = data[off + 2:off + 2 + ln]
            if len(v) < ln:
                problems.append(f"option {code} runs past the message")
                return
            off += 2 + ln
            if code == 53 and ln == 1:
                f["message_type_code"] = v[0]
                f["message_type"] = MESSAGE_TYPES.get(v[0], f"unknown-{v[0]}")
            elif code == 50 and ln == 4:
                f["requested_ip"] = _ip(v)
            elif code == 54 and ln == 4:
                f["server_id"] = _ip(v)
            elif code == 51 and ln == 4:
                f["lease_time"] = int.from_bytes(v, "big")
            elif code == 1 and ln == 4:
                f["subnet_mask"] = _ip(v)
            elif code == 3:
                f["router"] = _ips(v)
            elif code == 6:
                f["dns_servers"] = _ips(v)
            elif code == 15:
                f["domain_name"] = _text(v)
            elif code == 12:
                f["hostname"] = _text(v)
            elif code == 60:
                f["vendor_class_id"] = _text(v)
            elif code == 61:
                f["client_id"] = (_mac(v[1:]) if v[:1] == b"\x01" and ln == 7 else v.hex())
            elif code == 55:
                f["param_request_list"] = list(v)
            elif code == 81 and ln >= 3:
                f["client_fqdn"] = _text(v[3:])
            elif code in (53, 50, 54, 51, 1):
                problems.append(f"option {code} of length {ln}")
        problems.append("no end option")
