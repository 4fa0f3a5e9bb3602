"""Link, network and transport headers: from a captured frame to the transport segment.

``dissect(linktype, data)`` returns a :class:`Segment` or a weird name (a string) when the frame is
not usable; ``None`` for frames that carry nothing for the sensor (non-IP, other transports).
The sensor's hot loop has an inlined copy of the Ethernet/IPv4 case; this module is the general path
and the reference the tests and the fuzzers check.
"""

from __future__ import annotations

import socket
import struct

# link types (https://www.tcpdump.org/linktypes.html)
DLT_NULL = 0
DLT_EN10MB = 1
DLT_RAW_OLD = 12
DLT_RAW_OLD2 = 14
DLT_RAW = 101
DLT_LOOP = 108
DLT_LINUX_SLL = 113
DLT_IPV4 = 228
DLT_IPV6 = 229
DLT_LINUX_SLL2 = 276

VLAN_TPIDS = frozenset((0x8100, 0x88A8, 0x9100))
BSD_AF_INET6 = frozenset((10, 24, 28, 30))
IPV6_EXT = frozenset((0, 43, 60, 51))

_u16 = struct.Struct(">H").unpack_from
_u32le = struct.Struct("<I").unpack_from
_u32be = struct.Struct(">I").unpack_from
_tcp = struct.Struct(">HHIIBB").unpack_from
_udp = struct.Struct(">HHH").unpack_from
ntoa = socket.inet_ntoa


def mac_str(b: bytes) -> str:
    return b.hex(":")


class Segment:
    """The parts of a frame the sensor needs."""

    __slots__ = ("src", "dst", "transport", "sport", "dport", "seq", "ack", "flags", "payload",
                 "missing", "src_mac", "dst_mac", "vlan", "fragment", "key", "rkey", "ethertype")

    def __init__(self) -> None:
        self.src = ""
        self.dst = ""
        self.transport = 0  # 6 TCP, 17 UDP
        self.sport = 0
        self.dport = 0
        self.seq = 0
        self.ack = 0
        self.flags = 0
        self.payload = b""
        self.missing = 0  # payload bytes announced by the headers but cut by the snap length
        self.src_mac: str | None = None
        self.dst_mac: str | None = None
        self.vlan: int | None = None
        self.fragment = False
        self.key = b""  # raw source address, destination address, source and destination port
        self.rkey = b""  # the same for the other direction
        self.ethertype = 0  # for frames that are not IP (transport 0): the Ethernet type


def link_to_network(linktype: int, data: bytes, seg: Segment) -> tuple[int, int] | str | None:
    """Return (ip version, offset of the IP header), a weird name, or None (not IP).

    An Ethernet frame that is not IP returns (0, offset of its payload) with ``seg.ethertype`` set.
    """
    n = len(data)
    if linktype == DLT_EN10MB:
        if n < 14:
            return "truncated_link_header"
        seg.dst_mac = mac_str(data[0:6])
        seg.src_mac = mac_str(data[6:12])
        etype = _u16(data, 12)[0]
        off = 14
        while etype in VLAN_TPIDS:
            if n < off + 4:
                return "truncated_link_header"
            seg.vlan = _u16(data, off)[0] & 0x0FFF
            etype = _u16(data, off + 2)[0]
            off += 4
        if etype == 0x0800:
            return 4, off
        if etype == 0x86DD:
            return 6, off
        seg.ethertype = etype
        return 0, off
    if linktype in (DLT_NULL, DLT_LOOP):
        if n < 4:
            return "truncated_link_header"
        fam = _u32be(data, 0)[0] if linktype == DLT_LOOP else _u32le(data, 0)[0]
        if fam > 0xFFFF:  # written in the other byte order
            fam = _u32be(data, 0)[0] if linktype != DLT_LOOP else _u32le(data, 0)[0]
        if fam == 2:
            return 4, 4
        if fam in BSD_AF_INET6:
            return 6, 4
        return None
    if linktype == DLT_LINUX_SLL:
        if n < 16:
            return "truncated_link_header"
        alen = _u16(data, 4)[0]
        if 0 < alen <= 8:
            seg.src_mac = mac_str(data[6:6 + min(alen, 6)])
        etype = _u16(data, 14)[0]
        return (4, 16) if etype == 0x0800 else (6, 16) if etype == 0x86DD else None
    if linktype == DLT_LINUX_SLL2:
        if n < 20:
            return "truncated_link_header"
        etype = _u16(data, 0)[0]
        alen = data[11]
        if 0 < alen <= 8:
            seg.src_mac = mac_str(data[12:12 + min(alen, 6)])
        return (4, 20) if etype == 0x0800 else (6, 20) if etype == 0x86DD else None
    if linktype in (DLT_RAW, DLT_RAW_OLD, DLT_RAW_OLD2, DLT_IPV4, DLT_IPV6):
        if n < 1:
            return "truncated_link_header"
        v = data[0] >> 4
        return (v, 0) if v in (4, 6) else "bad_ip_version"
    return "unsupported_link_type"


def dissect(linktype: int, data: bytes, orig_len: int) -> Segment | str | None:
    seg = Segment()
    net = link_to_network(linktype, data, seg)
    if net is None or isinstance(net, str):
        return net
    ver, off = net
    n = len(data)
    if ver == 0:  # a layer-2 protocol (GOOSE, PROFINET, LLDP ...): addressed by MAC
        seg.src = seg.src_mac or ""
        seg.dst = seg.dst_mac or ""
        seg.payload = data[off:]
        et = data[off - 2:off]
        seg.key = data[6:12] + data[0:6] + et
        seg.rkey = data[0:6] + data[6:12] + et
        return seg
    if ver == 4:
        if n < off + 20:
            return "truncated_ip_header"
        vihl = data[off]
        if vihl >> 4 != 4:
            return "bad_ip_version"
        ihl = (vihl & 0x0F) * 4
        if ihl < 20:
            return "bad_ip_header_length"
        total = _u16(data, off + 2)[0]
        if total == 0:  # segmentation offload on the capturing host: the frame tells the length
            total = max(orig_len - off, n - off)
        if total < ihl:
            return "bad_ip_total_length"
        frag = _u16(data, off + 6)[0]
        proto = data[off + 9]
        if n < off + 20:
            return "truncated_ip_header"
        sraw, draw = data[off + 12:off + 16], data[off + 16:off + 20]
        seg.src = ntoa(sraw)
        seg.dst = ntoa(draw)
        if frag & 0x3FFF:
            seg.fragment = True
            if frag & 0x1FFF:  # not the first fragment: no transport header here
                seg.transport = proto
                return seg
        l4 = off + ihl
        end = off + total
        if n < l4:
            return "truncated_ip_header"
    elif ver == 6:
        if n < off + 40:
            return "truncated_ip_header"
        if data[off] >> 4 != 6:
            return "bad_ip_version"
        plen = _u16(data, off + 4)[0]
        proto = data[off + 6]
        sraw, draw = data[off + 8:off + 24], data[off + 24:off + 40]
        seg.src = socket.inet_ntop(socket.AF_INET6, sraw)
        seg.dst = socket.inet_ntop(socket.AF_INET6, draw)
        l4 = off + 40
        end = l4 + plen
        while proto in IPV6_EXT or proto == 44:
            if n < l4 + 8:
                return "truncated_ip_header"
            nxt = data[l4]
            if proto == 44:
                seg.fragment = True
                if _u16(data, l4 + 2)[0] & 0xFFF8:
                    seg.transport = nxt
                    return seg
                l4 += 8
            elif proto == 51:
                l4 += (data[l4 + 1] + 2) * 4
            else:
                l4 += (data[l4 + 1] + 1) * 8
            proto = nxt
    else:
        return "bad_ip_version"
    seg.transport = proto
    if proto == 6:
        if n < l4 + 20:
            return "truncated_tcp_header"
        sport, dport, seq, ack, doff, flags = _tcp(data, l4)
        hl = (doff >> 4) * 4
        if hl < 20:
            return "bad_tcp_header_length"
        seg.sport, seg.dport, seg.seq, seg.ack, seg.flags = sport, dport, seq, ack, flags
        start = l4 + hl
    elif proto == 17:
        if n < l4 + 8:
            return "truncated_udp_header"
        sport, dport, ulen = _udp(data, l4)
        seg.sport, seg.dport = sport, dport
        start = l4 + 8
        if ulen >= 8:
            end = min(end, l4 + ulen)
    else:
        return seg
    ports = data[l4:l4 + 4]
    seg.key = sraw + draw + ports
    seg.rkey = draw + sraw + ports[2:] + ports[:2]
    wire_end = end
    if end > n:  # cut by the snap length (or a lying length field)
        end = n
    if start > end:
        start = end
    seg.payload = data[start:end]
    seg.missing = wire_end - end if orig_len > n else 0
    return seg
