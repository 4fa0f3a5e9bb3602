"""Streaming readers for pcap and pcapng capture files.

The format is detected by the magic number, never by the file name. Records are yielded as
``(ts, linktype, data, orig_len)`` tuples; ``data`` is the captured bytes (``len(data) < orig_len``
when the frame was cut by the snap length). The reader never raises on a damaged file: it reports a
named anomaly through ``on_weird(name, frame, detail)`` and stops at the first record it cannot
trust. Only a file that is not a capture at all raises :class:`NotACaptureError`.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from typing import BinaryIO

from plantwarden.core.errors import NotACaptureError

Record = tuple[float, int, bytes, int]
WeirdCallback = Callable[[str, int, str], None]
ProgressCallback = Callable[[int], None]

CHUNK = 1 << 20
#: a record longer than this is taken as corruption, not as a packet
MAX_RECORD = 1 << 18

PCAP_MAGICS = {
    b"\xd4\xc3\xb2\xa1": ("<", 1e-6),  # little-endian, microseconds
    b"\xa1\xb2\xc3\xd4": (">", 1e-6),
    b"\x4d\x3c\xb2\xa1": ("<", 1e-9),  # nanoseconds
    b"\xa1\xb2\x3c\x4d": (">", 1e-9),
}
PCAPNG_SHB = b"\x0a\x0d\x0d\x0a"


def _noop_weird(name: str, frame: int, detail: str) -> None:
    return None


class _Chunks:
    """A growing window over a binary file, read in large chunks."""

    __slots__ = ("f", "buf", "off", "consumed", "eof", "progress")

    def __init__(self, f: BinaryIO, head: bytes, progress: ProgressCallback | None) -> None:
        self.f = f
        self.buf = head
        self.off = 0
        self.consumed = len(head)  # bytes read from the file so far
        self.eof = False
        self.progress = progress

    def need(self, n: int) -> bool:
        """Make sure ``n`` bytes are available at ``off``; False at end of file."""
        while len(self.buf) - self.off < n:
            if self.eof:
                return False
            more = self.f.read(max(CHUNK, n))
            if not more:
                self.eof = True
                return False
            self.buf = self.buf[self.off:] + more
            self.off = 0
            self.consumed += len(more)
            if self.progress is not None:
                self.progress(len(more))
        return True

    def remaining(self) -> int:
        return len(self.buf) - self.off


def detect_format(head: bytes) -> str:
    """``"pcap"`` or ``"pcapng"`` from the first bytes of a file; raises NotACaptureError."""
    if head[:4] in PCAP_MAGICS:
        return "pcap"
    if head[:4] == PCAPNG_SHB:
        return "pcapng"
    raise NotACaptureError(
        "not a pcap or pcapng capture (unknown magic number "
        f"{head[:4].hex() or 'in an empty file'}); give a file written by tcpdump, Wireshark or dumpcap"
    )


def read_capture(
    f: BinaryIO, on_weird: WeirdCallback = _noop_weird, progress: ProgressCallback | None = None
) -> Iterator[Record]:
    """Yield the records of an open capture file (pcap or pcapng, detected by magic number)."""
    head = f.read(4)
    if progress is not None:
        progress(len(head))
    fmt = detect_format(head)
    chunks = _Chunks(f, head, progress)
    if fmt == "pcap":
        return _read_pcap(chunks, on_weird)
    return _read_pcapng(chunks, on_weird)


def _read_pcap(c: _Chunks, on_weird: WeirdCallback) -> Iterator[Record]:
    if not c.need(24):
        on_weird("truncated_capture_header", 0, "the pcap global header is cut short")
        return
    endian, unit = PCAP_MAGICS[c.buf[c.off:c.off + 4]]
    _vmaj, _vmin, _zone, _sig, snaplen, linktype = struct.unpack_from(endian + "HHiIII", c.buf, c.off + 4)
    linktype &= 0x0FFFFFFF  # the upper bits may carry FCS information
    c.off += 24
    hdr = struct.Struct(endian + "IIII")
    unpack = hdr.unpack_from
    frame = 0
    limit = max(MAX_RECORD, snaplen if snaplen < (1 << 24) else 0)
    while True:
        buf = c.buf
        off = c.off
        end = len(buf)
        # fast inner loop over the records fully inside the current chunk
        while off + 16 <= end:
            sec, frac, incl, orig = unpack(buf, off)
            if off + 16 + incl > end:
                break
            if incl > limit:
                c.off = off
                on_weird("bad_record_length", frame + 1, f"record header claims {incl} bytes at offset "
                         f"{c.consumed - c.remaining()}; the rest of the file is unreadable")
                return
            frame += 1
            yield sec + frac * unit, linktype, buf[off + 16:off + 16 + incl], orig
            off += 16 + incl
        c.off = off
        if not c.need(16):
            if c.remaining():
                on_weird("truncated_capture_file", frame + 1, "the file ends inside a record header")
            return
        incl = unpack(c.buf, c.off)[2]
        if incl > limit:
            on_weird("bad_record_length", frame + 1, f"record header claims {incl} bytes; "
                     "the rest of the file is unreadable")
            return
        if not c.need(16 + incl):
            on_weird("truncated_capture_file", frame + 1,
                     f"the file ends inside a record ({c.remaining() - 16} of {incl} bytes present)")
            return


class _Interface:
    __slots__ = ("linktype", "unit", "offset")

    def __init__(self, linktype: int, unit: float, offset: int) -> None:
        self.linktype = linktype
        self.unit = unit
        self.offset = offset


def _parse_idb(body: bytes, endian: str) -> _Interface:
    linktype, _reserved, _snaplen = struct.unpack_from(endian + "HHI", body, 0)
    unit = 1e-6
    offset = 0
    pos = 8
    while pos + 4 <= len(body):
        code, length = struct.unpack_from(endian + "HH", body, pos)
        pos += 4
        if code == 0:
            break
        val = body[pos:pos + length]
        if code == 9 and length >= 1:  # if_tsresol
            r = val[0]
            unit = 2.0 ** -(r & 0x7F) if r & 0x80 else 10.0 ** -r
        elif code == 14 and length == 8:  # if_tsoffset
            offset = struct.unpack(endian + "q", val)[0]
        pos += (length + 3) & ~3
    return _Interface(linktype, unit, offset)


def _read_pcapng(c: _Chunks, on_weird: WeirdCallback) -> Iterator[Record]:
    endian = "<"
    ifaces: list[_Interface] = []
    frame = 0
    last_ts = 0.0
    while True:
        if not c.need(12):
            if c.remaining():
                on_weird("truncated_capture_file", frame + 1, "the file ends inside a block header")
            return
        btype_raw = c.buf[c.off:c.off + 4]
        if btype_raw == PCAPNG_SHB:
            bom = c.buf[c.off + 8:c.off + 12]
            if bom == b"\x4d\x3c\x2b\x1a":
                endian = "<"
            elif bom == b"\x1a\x2b\x3c\x4d":
                endian = ">"
            else:
                on_weird("bad_pcapng_section", frame + 1, "section header with an unknown byte-order magic")
                return
            ifaces = []
        btype, blen = struct.unpack_from(endian + "II", c.buf, c.off)
        if blen < 12 or blen % 4 or blen > MAX_RECORD + 64:
            on_weird("bad_block_length", frame + 1, f"block type {btype:#x} claims {blen} bytes; "
                     "the rest of the file is unreadable")
            return
        if not c.need(blen):
            on_weird("truncated_capture_file", frame + 1,
                     f"the file ends inside a block ({c.remaining()} of {blen} bytes present)")
            return
        body = c.buf[c.off + 8:c.off + blen - 4]
        c.off += blen
        if btype == 6:  # enhanced packet block
            if len(body) < 20:
                on_weird("bad_packet_block", frame + 1, "enhanced packet block too short")
                continue
            iid, hi, lo, incl, orig = struct.unpack_from(endian + "IIIII", body, 0)
            frame += 1
            if iid >= len(ifaces) or incl > len(body) - 20:
                on_weird("bad_packet_block", frame, f"packet on unknown interface {iid} or bad length")
                continue
            ifc = ifaces[iid]
            last_ts = ((hi << 32) | lo) * ifc.unit + ifc.offset
            yield last_ts, ifc.linktype, body[20:20 + incl], orig
        elif btype == 3:  # simple packet block: interface 0, no timestamp
            if len(body) < 4:
                on_weird("bad_packet_block", frame + 1, "simple packet block too short")
                continue
            orig = struct.unpack_from(endian + "I", body, 0)[0]
            frame += 1
            if not ifaces:
                on_weird("bad_packet_block", frame, "simple packet block before any interface")
                continue
            yield last_ts, ifaces[0].linktype, body[4:4 + min(orig, len(body) - 4)], orig
        elif btype == 2:  # obsolete packet block
            if len(body) < 20:
                on_weird("bad_packet_block", frame + 1, "packet block too short")
                continue
            iid, _drops, hi, lo, incl, orig = struct.unpack_from(endian + "HHIIII", body, 0)
            frame += 1
            if iid >= len(ifaces) or incl > len(body) - 20:
                on_weird("bad_packet_block", frame, f"packet on unknown interface {iid} or bad length")
                continue
            ifc = ifaces[iid]
            last_ts = ((hi << 32) | lo) * ifc.unit + ifc.offset
            yield last_ts, ifc.linktype, body[20:20 + incl], orig
        elif btype == 1:  # interface description block
            if len(body) < 8:
                on_weird("bad_interface_block", frame + 1, "interface description block too short")
                continue
            ifaces.append(_parse_idb(body, endian))
        # other blocks (name resolution, statistics, custom, ...) carry no packets
