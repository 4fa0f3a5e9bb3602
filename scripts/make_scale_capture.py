#!/usr/bin/env python3
"""Build a large capture from a small one by repeating it as new, distinct flows.

    .venv/bin/python scripts/make_scale_capture.py --packets 1000000 --out /tmp/scale-1m.pcap \
        [--src ../shared/pcaps/bench/modbus-200k.pcap]

Copy ``i`` of the source (a classic pcap, Ethernet) is shifted so that it is new traffic, not a
retransmission:

* timestamps: by ``i * (span + 1 s)``, so copies follow each other in time;
* IPv4 addresses: the client side of every TCP connection becomes 10.100.x.y and the server side
  10.200.x.y, with x.y = i + 1 (both sides of the bench original are 127.0.0.1; a source with many
  hosts collapses to one client and one server address per copy, its flows kept apart by ports);
* client ports: shifted by ``7919 * i`` within 1024-65535 (server ports stay, so decoders still pick
  the protocol by port);
* TCP sequence and acknowledgement numbers: shifted by a per-copy, per-direction offset.

The IPv4 and TCP checksums are updated incrementally (RFC 1624), so a checksum that was right stays
right, and one that was never computed (loopback capture with checksum offload, as in the bench file)
stays just as wrong as before. SACK blocks and timestamps options are left as they are. Packets that
are not IPv4/TCP are copied with shifted timestamps only. The output has exactly ``--packets``
packets: the last copy is cut short when needed.
"""

from __future__ import annotations

import argparse
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SRC = Path(__file__).resolve().parents[1] / ".." / "shared" / "pcaps" / "bench" / "modbus-200k.pcap"
SEQ_STEP = (0x9E3779B1, 0x7F4A7C15)  # per-copy sequence offsets of client->server, server->client
PORT_STEP = 7919


@dataclass(slots=True)
class SrcPacket:
    ts: int  # in the file's time unit (micro- or nanoseconds)
    data: bytes
    ip_off: int  # -1 when not IPv4/TCP
    tcp_off: int
    c2s: bool


def read_source(path: Path) -> tuple[bytes, str, int, list[SrcPacket]]:
    """(global header, byte order, time units per second, packets) of a classic pcap."""
    raw = path.read_bytes()
    magic = raw[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        order = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        order = ">"
    else:
        raise SystemExit(f"{path}: not a classic pcap file (pcapng is not supported here)")
    units = 1_000_000_000 if magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d") else 1_000_000
    linktype = struct.unpack_from(order + "I", raw, 20)[0]
    if linktype != 1:
        raise SystemExit(f"{path}: link type {linktype}, only Ethernet (1) is supported")
    rec = struct.Struct(order + "IIII")
    packets: list[SrcPacket] = []
    off = 24
    while off + 16 <= len(raw):
        sec, frac, incl, _orig = rec.unpack_from(raw, off)
        data = raw[off + 16:off + 16 + incl]
        off += 16 + incl
        packets.append(SrcPacket(sec * units + frac, data, -1, -1, True))
    servers = _locate_tcp(packets)
    for pkt in packets:
        if pkt.ip_off >= 0:
            d, i, t = pkt.data, pkt.ip_off, pkt.tcp_off
            src, dst = d[i + 12:i + 16], d[i + 16:i + 20]
            sport, dport = struct.unpack_from("!HH", d, t)
            if (dst, dport) in servers:
                pkt.c2s = True
            elif (src, sport) in servers:
                pkt.c2s = False
            else:
                pkt.c2s = sport > dport  # no SYN seen: the lower port is the server's
    return raw[:24], order, units, packets


def _locate_tcp(packets: list[SrcPacket]) -> set[tuple[bytes, int]]:
    """Fill ip_off/tcp_off of IPv4/TCP packets; return the server endpoints seen in SYNs."""
    servers: set[tuple[bytes, int]] = set()
    for pkt in packets:
        d = pkt.data
        eth = 14
        ethertype = struct.unpack_from("!H", d, 12)[0] if len(d) >= 14 else 0
        if ethertype == 0x8100 and len(d) >= 18:
            ethertype, eth = struct.unpack_from("!H", d, 16)[0], 18
        if ethertype != 0x0800 or len(d) < eth + 20 or d[eth] >> 4 != 4 or d[eth + 9] != 6:
            continue
        tcp = eth + (d[eth] & 0x0F) * 4
        if len(d) < tcp + 20:
            continue
        pkt.ip_off, pkt.tcp_off = eth, tcp
        if d[tcp + 13] & 0x12 == 0x02:  # SYN without ACK
            servers.add((d[eth + 16:eth + 20], struct.unpack_from("!H", d, tcp + 2)[0]))
    return servers


def _wsum(b: bytes) -> int:
    """Sum of the 16-bit words of ``b`` (even length)."""
    return sum(struct.unpack(f"!{len(b) // 2}H", b))


def _adjust(checksum: int, delta: int) -> int:
    """A ones' complement checksum after the covered words' sum changed by ``delta``."""
    return ~(((~checksum & 0xFFFF) + delta) % 65535) & 0xFFFF


def copy_addresses(i: int) -> tuple[bytes, bytes]:
    """(client, server) IPv4 addresses of copy ``i``: 10.100.x.y and 10.200.x.y with x.y = i + 1."""
    n = i + 1
    if n >= 1 << 16:
        raise SystemExit("more than 65535 copies: use a bigger source capture")
    return bytes((10, 100, n >> 8, n & 0xFF)), bytes((10, 200, n >> 8, n & 0xFF))


def shift_port(port: int, i: int) -> int:
    return 1024 + (port - 1024 + PORT_STEP * i) % 64512 if port >= 1024 else port


def build(src: Path, out: Path, total: int) -> dict[str, int]:
    """Write ``total`` packets to ``out``; return counts (packets, copies, source_packets)."""
    header, order, units, packets = read_source(src)
    if not packets:
        raise SystemExit(f"{src}: no packets")
    span = packets[-1].ts - packets[0].ts + units  # one second between copies
    rec = struct.Struct(order + "IIII")
    written = copies = 0
    with open(out, "wb", buffering=1 << 20) as fh:
        fh.write(header)
        while written < total:
            i = copies
            copies += 1
            client, server = copy_addresses(i)
            shift = i * span
            seq_off = ((SEQ_STEP[0] * i) & 0xFFFFFFFF, (SEQ_STEP[1] * i) & 0xFFFFFFFF)
            chunk: list[bytes] = []
            for pkt in packets[: total - written]:
                ts = pkt.ts + shift
                d = pkt.data
                if pkt.ip_off >= 0:
                    d = _rewrite(pkt, client, server, i, seq_off)
                chunk.append(rec.pack(ts // units, ts % units, len(d), len(d)))
                chunk.append(d)
            fh.write(b"".join(chunk))
            written += len(chunk) // 2
    return {"packets": written, "copies": copies, "source_packets": len(packets)}


def _rewrite(pkt: SrcPacket, client: bytes, server: bytes, i: int, seq_off: tuple[int, int]) -> bytes:
    d = bytearray(pkt.data)
    ip, tcp = pkt.ip_off, pkt.tcp_off
    old_addrs = bytes(d[ip + 12:ip + 20])
    new_addrs = client + server if pkt.c2s else server + client
    sport, dport, seq, ack = struct.unpack_from("!HHII", d, tcp)
    if pkt.c2s:
        nsport, ndport = shift_port(sport, i), dport
    else:
        nsport, ndport = sport, shift_port(dport, i)
    own, other = (seq_off[0], seq_off[1]) if pkt.c2s else (seq_off[1], seq_off[0])
    nseq = (seq + own) & 0xFFFFFFFF
    nack = (ack + other) & 0xFFFFFFFF if d[tcp + 13] & 0x10 else ack
    addr_delta = _wsum(new_addrs) - _wsum(old_addrs)
    d[ip + 12:ip + 20] = new_addrs
    ip_ck = struct.unpack_from("!H", d, ip + 10)[0]
    struct.pack_into("!H", d, ip + 10, _adjust(ip_ck, addr_delta))
    delta = addr_delta + nsport - sport + ndport - dport
    delta += (nseq >> 16) + (nseq & 0xFFFF) - (seq >> 16) - (seq & 0xFFFF)
    delta += (nack >> 16) + (nack & 0xFFFF) - (ack >> 16) - (ack & 0xFFFF)
    tcp_ck = struct.unpack_from("!H", d, tcp + 16)[0]
    struct.pack_into("!HHII", d, tcp, nsport, ndport, nseq, nack)
    struct.pack_into("!H", d, tcp + 16, _adjust(tcp_ck, delta))
    return bytes(d)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--src", type=Path, default=DEFAULT_SRC, help="source classic pcap (Ethernet)")
    ap.add_argument("--packets", type=int, required=True, help="exact number of packets to write")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    stats = build(args.src, args.out, args.packets)
    print(f"{args.out}: {stats['packets']} packets, {stats['copies']} copies of {args.src.name}"
          f" ({stats['source_packets']} packets)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
