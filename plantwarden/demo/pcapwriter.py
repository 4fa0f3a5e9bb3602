"""Write classic pcap files of Ethernet/IPv4/TCP traffic, with real handshakes and correct checksums.

No sockets and no privileges: every byte is built here. A :class:`TcpConn` keeps the sequence and
acknowledgement numbers of one connection and appends :class:`Packet` records to a shared list; the
caller sorts the list by time and hands it to :func:`write_pcap`, which assigns the IPv4
identification numbers (one counter per host, in capture order) and writes the file.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

PCAP_MAGIC_USEC = 0xA1B2C3D4
LINKTYPE_ETHERNET = 1
ETHERTYPE_IPV4 = 0x0800
IPPROTO_TCP = 6

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def ones_complement_sum(data: bytes) -> int:
    """The 16-bit ones' complement sum of ``data`` (padded with a zero byte when odd)."""
    if len(data) & 1:
        data += b"\x00"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def internet_checksum(data: bytes) -> int:
    """RFC 1071 checksum of ``data``."""
    return ~ones_complement_sum(data) & 0xFFFF


def ip_bytes(addr: str) -> bytes:
    return bytes(int(part) for part in addr.split("."))


def mac_bytes(mac: str) -> bytes:
    return bytes.fromhex(mac.replace(":", ""))


@dataclass(slots=True)
class Host:
    """One station of the simulated network."""

    name: str
    ip: str
    mac: str
    ttl: int = 64
    ip_id: int = 0  # next IPv4 identification number

    @property
    def ip_raw(self) -> bytes:
        return ip_bytes(self.ip)


@dataclass(slots=True)
class Packet:
    """One frame before layer 2/3 headers: the TCP segment and who sends it to whom, when."""

    ts: float
    order: int
    src: Host
    dst: Host
    segment: bytes  # TCP header + payload, checksum already filled in
    label: str | None = None


@dataclass(slots=True)
class Timeline:
    """The packets of a whole capture, in creation order (sorted by time when written)."""

    packets: list[Packet] = field(default_factory=list)

    def add(self, ts: float, src: Host, dst: Host, segment: bytes, label: str | None) -> None:
        self.packets.append(Packet(ts, len(self.packets), src, dst, segment, label))

    def sorted(self) -> list[Packet]:
        return sorted(self.packets, key=lambda p: (p.ts, p.order))


def tcp_segment(
    src: Host, dst: Host, sport: int, dport: int, seq: int, ack: int, flags: int, window: int,
    payload: bytes = b"", options: bytes = b"",
) -> bytes:
    """A TCP header (with ``options``, padded to 32 bits) plus ``payload``, with its checksum."""
    if len(options) % 4:
        options += b"\x00" * (4 - len(options) % 4)
    offset = (20 + len(options)) // 4
    header = struct.pack(
        "!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, offset << 4, flags, window, 0, 0,
    ) + options
    length = len(header) + len(payload)
    pseudo = src.ip_raw + dst.ip_raw + struct.pack("!BBH", 0, IPPROTO_TCP, length)
    checksum = internet_checksum(pseudo + header + payload)
    return header[:16] + struct.pack("!H", checksum) + header[18:] + payload


def frame_bytes(pkt: Packet) -> bytes:
    """Ethernet II + IPv4 (no options, DF set) around ``pkt.segment``; consumes one IP id of the sender."""
    src, dst = pkt.src, pkt.dst
    ident = src.ip_id
    src.ip_id = (src.ip_id + 1) & 0xFFFF
    total = 20 + len(pkt.segment)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, ident, 0x4000, src.ttl, IPPROTO_TCP, 0,
                     src.ip_raw, dst.ip_raw)
    ip = ip[:10] + struct.pack("!H", internet_checksum(ip)) + ip[12:]
    eth = mac_bytes(dst.mac) + mac_bytes(src.mac) + struct.pack("!H", ETHERTYPE_IPV4)
    frame = eth + ip + pkt.segment
    if len(frame) < 60:  # Ethernet minimum frame size (without FCS)
        frame += b"\x00" * (60 - len(frame))
    return frame


def write_pcap(path: Path, packets: Iterable[Packet], snaplen: int = 65535) -> int:
    """Write ``packets`` (already in capture order) as a classic microsecond pcap; return the count."""
    count = 0
    with open(path, "wb") as fh:
        fh.write(struct.pack("<IHHiIII", PCAP_MAGIC_USEC, 2, 4, 0, 0, snaplen, LINKTYPE_ETHERNET))
        for pkt in packets:
            frame = frame_bytes(pkt)
            usec_total = round(pkt.ts * 1_000_000)
            sec, usec = divmod(usec_total, 1_000_000)
            fh.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
            fh.write(frame)
            count += 1
    return count


class TcpConn:
    """One TCP connection between a client and a server; every method appends packets to a timeline.

    Data segments carry PSH|ACK. A side that answers piggybacks its acknowledgement on the answer;
    :meth:`ack` sends a bare acknowledgement when nothing else would.
    """

    def __init__(
        self, timeline: Timeline, client: Host, server: Host, cport: int, sport: int,
        client_isn: int, server_isn: int, client_win: int = 64240, server_win: int = 8192,
    ) -> None:
        self.tl = timeline
        self.client, self.server = client, server
        self.cport, self.sport = cport, sport
        self.cseq = client_isn  # next sequence number the client sends
        self.sseq = server_isn
        self.cwin, self.swin = client_win, server_win
        self.c_acked = client_isn  # highest client byte the server has acknowledged
        self.s_acked = server_isn

    def _emit(self, ts: float, from_client: bool, flags: int, payload: bytes, label: str | None,
              options: bytes = b"") -> None:
        if from_client:
            seg = tcp_segment(self.client, self.server, self.cport, self.sport, self.cseq,
                              self.sseq if flags & ACK else 0, flags, self.cwin, payload, options)
            self.tl.add(ts, self.client, self.server, seg, label)
            if flags & ACK:
                self.s_acked = self.sseq
            self.cseq += len(payload) + (1 if flags & (SYN | FIN) else 0)
        else:
            seg = tcp_segment(self.server, self.client, self.sport, self.cport, self.sseq,
                              self.cseq if flags & ACK else 0, flags, self.swin, payload, options)
            self.tl.add(ts, self.server, self.client, seg, label)
            if flags & ACK:
                self.c_acked = self.cseq
            self.sseq += len(payload) + (1 if flags & (SYN | FIN) else 0)

    def open(self, ts: float, rtt: float, label: str | None = None) -> float:
        """Three-way handshake starting at ``ts``; returns the time of the final ACK."""
        mss = struct.pack("!BBH", 2, 4, 1460)
        self._emit(ts, True, SYN, b"", label, mss + b"\x01\x01\x04\x02")  # MSS, NOP, NOP, SACK-permitted
        self._emit(ts + rtt / 2, False, SYN | ACK, b"", label, mss)
        self._emit(ts + rtt, True, ACK, b"", label)
        return ts + rtt

    def refused(self, ts: float, rtt: float, label: str | None = None) -> float:
        """A SYN answered by RST|ACK (nothing listens on the port)."""
        self._emit(ts, True, SYN, b"", label, struct.pack("!BBH", 2, 4, 1460))
        seg = tcp_segment(self.server, self.client, self.sport, self.cport, 0, self.cseq, RST | ACK, 0)
        self.tl.add(ts + rtt / 2, self.server, self.client, seg, label)
        return ts + rtt / 2

    def send(self, ts: float, from_client: bool, payload: bytes, label: str | None = None) -> None:
        self._emit(ts, from_client, PSH | ACK, payload, label)

    def ack(self, ts: float, from_client: bool, label: str | None = None) -> None:
        self._emit(ts, from_client, ACK, b"", label)

    def pending_ack(self, from_client: bool) -> bool:
        """Whether ``from_client``'s side has received data it has not yet acknowledged."""
        return self.s_acked != self.sseq if from_client else self.c_acked != self.cseq

    def close(self, ts: float, rtt: float, label: str | None = None) -> float:
        """The client closes: FIN|ACK, FIN|ACK, ACK. Returns the time of the last packet."""
        self._emit(ts, True, FIN | ACK, b"", label)
        self._emit(ts + rtt / 2, False, FIN | ACK, b"", label)
        self._emit(ts + rtt, True, ACK, b"", label)
        return ts + rtt
