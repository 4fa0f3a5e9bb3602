"""DHCP decoder fed byte literals: the four-message exchange, BOOTP, options, identity, trouble."""

from __future__ import annotations

import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from plantwarden.core.events import Event
from plantwarden.decoders.dhcp import DhcpDecoder

MAC = bytes.fromhex("0800061a2b3c")


def ip(s: str) -> bytes:
    return bytes(int(x) for x in s.split("."))


def opt(code: int, value: bytes) -> bytes:
    return bytes([code, len(value)]) + value


def bootp(op: int, xid: int, yiaddr: str = "0.0.0.0", options: bytes | None = b"", flags: int = 0) -> bytes:
    head = struct.pack(">BBBBIHH", op, 1, 6, 0, xid, 3, flags) + ip("0.0.0.0") + ip(yiaddr) + ip("0.0.0.0") \
        + ip("0.0.0.0") + MAC + bytes(10) + bytes(64) + bytes(128)
    if options is None:
        return head + bytes(64)
    return head + b"\x63\x82\x53\x63" + options + b"\xff"


DISCOVER = bootp(1, 0xABCD, options=opt(53, b"\x01") + opt(12, b"hmi-07") + opt(60, b"MSFT 5.0")
                 + opt(61, b"\x01" + MAC) + opt(55, bytes([1, 3, 6, 15])) + opt(50, ip("10.0.0.50")), flags=0x8000)
OFFER = bootp(2, 0xABCD, "10.0.0.50", opt(53, b"\x02") + opt(54, ip("10.0.0.1")) + opt(51, struct.pack(">I", 86400))
              + opt(1, ip("255.255.255.0")) + opt(3, ip("10.0.0.1")) + opt(6, ip("10.0.0.2") + ip("10.0.0.3"))
              + opt(15, b"plant.local"))


def one(data: bytes, is_orig: bool = True, d: DhcpDecoder | None = None) -> Event:
    evs = (d or DhcpDecoder()).feed(data, is_orig, 1.0, 1)
    assert len(evs) == 1, [e.fields for e in evs]
    return evs[0]


def test_discover_with_client_identity() -> None:
    ev = one(DISCOVER)
    f = ev.fields
    assert ev.name == "dhcp_discover"
    assert (f["op"], f["from_client"], f["xid"], f["client_mac"], f["broadcast"], f["secs"]) == (
        "request", True, 0xABCD, "08:00:06:1a:2b:3c", True, 3)
    assert (f["hostname"], f["vendor_class_id"], f["client_id"], f["param_request_list"], f["requested_ip"]) == (
        "hmi-07", "MSFT 5.0", "08:00:06:1a:2b:3c", [1, 3, 6, 15], "10.0.0.50")
    assert f["identity"] == {"name": "hmi-07", "vendor": "MSFT 5.0"}


def test_offer_lease_facts_no_identity() -> None:
    ev = one(OFFER, False)
    f = ev.fields
    assert ev.name == "dhcp_offer" and not f["from_client"]
    assert (f["assigned_ip"], f["server_id"], f["lease_time"], f["subnet_mask"], f["router"], f["dns_servers"],
            f["domain_name"]) == ("10.0.0.50", "10.0.0.1", 86400, "255.255.255.0", ["10.0.0.1"],
                                  ["10.0.0.2", "10.0.0.3"], "plant.local")
    assert "identity" not in f


def test_message_type_names() -> None:
    names = [one(bootp(1 if t in (1, 3, 4, 7, 8) else 2, t, options=opt(53, bytes([t])))).name for t in range(1, 9)]
    assert names == ["dhcp_discover", "dhcp_offer", "dhcp_request", "dhcp_decline", "dhcp_ack", "dhcp_nak",
                     "dhcp_release", "dhcp_inform"]
    ev = one(bootp(1, 1, options=opt(53, b"\x63")))
    assert ev.name == "dhcp_unknown" and ev.fields["message_type"] == "unknown-99"


def test_plain_bootp() -> None:
    d = DhcpDecoder()
    assert one(bootp(1, 5, options=None), True, d).name == "dhcp_bootp_request"
    ev = one(bootp(2, 5, "192.168.1.9", options=None), False, d)
    assert ev.name == "dhcp_bootp_reply" and ev.fields["assigned_ip"] == "192.168.1.9"


def test_hostname_escaped_and_fqdn() -> None:
    f = one(bootp(1, 1, options=opt(53, b"\x03") + opt(12, b"bad\x1bname") + opt(81, b"\x00\x00\x00plc.plant"))).fields
    assert f["hostname"] == "bad\\x1bname" and f["client_fqdn"] == "plc.plant"


def test_malformed_option_and_violation() -> None:
    d = DhcpDecoder()
    data = bootp(1, 1, options=opt(53, b"\x01"))[:-1] + b"\x0c\x10ab"
    evs = d.feed(data, True, 1.0, 1)
    assert evs[0].name == "dhcp_discover" and evs[1].fields["name"] == "dhcp_malformed_option"
    assert d.feed(b"\x01\x02", True, 2.0, 2)[0].fields["name"] == "dhcp_malformed"
    d = DhcpDecoder()
    (ev,) = d.feed(b"\x05" * 300, True, 1.0, 1)
    assert ev.fields["name"] == "dhcp_protocol_violation" and d.violated


def test_probe() -> None:
    assert DhcpDecoder.probe(DISCOVER, True) > 0.5
    assert DhcpDecoder.probe(bootp(1, 1, options=None), True) < 0


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400), st.booleans())
def test_never_raises(data: bytes, prefix: bool) -> None:
    d = DhcpDecoder()
    out = d.feed((DISCOVER[:240] + data) if prefix else data, True, 1.0, 1)
    assert isinstance(out, list) and all(isinstance(e, Event) for e in out)
    assert isinstance(d.gap(3, True, 1.0, 2), list) and isinstance(d.finish(2.0, 3), list)
