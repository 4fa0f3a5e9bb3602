"""Builders of raw frames and capture files for the sensor's tests (no checksums: the sensor ignores them)."""

from __future__ import annotations

import socket
import struct

MAC_A = bytes.fromhex("001b1b000001")
MAC_B = bytes.fromhex("0080f4000002")


def ipv4(src: str, dst: str, proto: int, payload: bytes, frag: int = 0x4000, total: int | None = None) -> bytes:
    tl = 20 + len(payload) if total is None else total
    return struct.pack(">BBHHHBBH4s4s", 0x45, 0, tl, 1, frag, 64, proto, 0,
                       socket.inet_aton(src), socket.inet_aton(dst)) + payload


def ipv6(src: str, dst: str, proto: int, payload: bytes) -> bytes:
    return struct.pack(">IHBB16s16s", 0x60000000, len(payload), proto, 64,
                       socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, dst)) + payload


def tcp(sport: int, dport: int, seq: int, ack: int = 0, flags: int = 0x18, payload: bytes = b"") -> bytes:
    return struct.pack(">HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags,
                       8192, 0, 0) + payload


def udp(sport: int, dport: int, payload: bytes) -> bytes:
    return struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload


def ether(ip_packet: bytes, etype: int = 0x0800, vlans: tuple[int, ...] = (), src: bytes = MAC_A,
          dst: bytes = MAC_B) -> bytes:
    tags = b"".join(struct.pack(">HH", 0x8100, v) for v in vlans)
    return dst + src + tags + struct.pack(">H", etype) + ip_packet


def pcap(frames: list[tuple[float, bytes]], linktype: int = 1, endian: str = "<", nano: bool = False,
         snaplen: int = 65535, orig_lens: dict[int, int] | None = None) -> bytes:
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    out = [struct.pack(endian + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)]
    for i, (ts, data) in enumerate(frames):
        sec = int(ts)
        frac = round((ts - sec) * (1e9 if nano else 1e6))
        orig = (orig_lens or {}).get(i, len(data))
        out.append(struct.pack(endian + "IIII", sec, frac, len(data), orig) + data)
    return b"".join(out)


def _block(btype: int, body: bytes) -> bytes:
    body += b"\x00" * (-len(body) % 4)
    n = len(body) + 12
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def pcapng(interfaces: list[tuple[int, int | None]], packets: list[tuple[int, int, bytes]],
           simple: list[bytes] = ()) -> bytes:  # type: ignore[assignment]
    """interfaces: (linktype, if_tsresol or None); packets: (interface id, raw timestamp, data)."""
    out = [_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))]
    for lt, res in interfaces:
        opts = b""
        if res is not None:
            opts = struct.pack("<HHB3x", 9, 1, res) + struct.pack("<HH", 0, 0)
        out.append(_block(1, struct.pack("<HHI", lt, 0, 65535) + opts))
    for iid, raw_ts, data in packets:
        out.append(_block(6, struct.pack("<IIIII", iid, raw_ts >> 32, raw_ts & 0xFFFFFFFF, len(data),
                                         len(data)) + data))
    for data in simple:
        out.append(_block(3, struct.pack("<I", len(data)) + data))
    return b"".join(out)
