"""The IEEE C37.118.2 synchrophasor decoder (TCP 4712, UDP 4713).

Sans-IO: TCP gets the reassembled stream of each direction (frames found by SYNC and FRAMESIZE),
UDP one datagram per ``feed``. Every frame's CRC-CCITT is checked; configuration frames are kept per
stream IDCODE so that later data frames of the flow are decoded with them. See
docs/protocols/c37118.md.
"""

from __future__ import annotations

import struct
from binascii import crc_hqx
from typing import Any, ClassVar

from plantwarden.core.events import Event, weird
from plantwarden.decoders.base import Decoder
from plantwarden.decoders.c37118.constants import (
    COMMANDS,
    FRAME_COMMAND,
    FRAME_CONFIG1,
    FRAME_CONFIG2,
    FRAME_CONFIG3,
    FRAME_DATA,
    FRAME_EVENTS,
    FRAME_HEADER,
    FRAME_TYPES,
    HEADER_LEN,
    MIN_FRAME,
    SYNC,
    name_of,
)
from plantwarden.decoders.c37118.frames import PmuConfig, config3, config12, data, header

MAX_STREAMS = 64  # configurations remembered per flow
_ERRORS = (ValueError, IndexError, struct.error)
_HDR = struct.Struct(">BBHHII")  # SYNC, type/version, FRAMESIZE, IDCODE, SOC, FRACSEC


def _plausible(buf: bytes, off: int) -> bool:
    b = buf[off + 1]
    return buf[off] == SYNC and (b >> 4) <= 5 and 0 < (b & 0x0F) <= 3 and \
        ((buf[off + 2] << 8) | buf[off + 3]) >= MIN_FRAME


class _Direction:
    __slots__ = ("buf", "seen", "resync")

    def __init__(self) -> None:
        self.buf = b""
        self.seen = False
        self.resync = False


class C37118Decoder(Decoder):
    name: ClassVar[str] = "c37118"
    transport: ClassVar[str] = "tcp"
    default_ports: ClassVar[tuple[int, ...]] = (4712,)

    def __init__(self) -> None:
        super().__init__()
        self._dirs = (_Direction(), _Direction())
        self._configs: dict[int, tuple[list[PmuConfig], int]] = {}  # IDCODE -> (PMUs, time base)
        self._warned_no_config = False

    @classmethod
    def probe(cls, data: bytes, is_orig: bool) -> float:
        if len(data) < MIN_FRAME or not _plausible(data, 0):
            return -1.0
        size = (data[2] << 8) | data[3]
        if size <= len(data) and crc_hqx(data[:size - 2], 0xFFFF) == (data[size - 2] << 8) | data[size - 1]:
            return 0.95
        return 0.3

    def feed(self, data: bytes, is_orig: bool, ts: float, frame: int) -> list[Event]:
        d = self._dirs[is_orig]
        buf = d.buf + data if d.buf else data
        out: list[Event] = []
        off = 0
        n = len(buf)
        while off + 4 <= n:
            if d.resync or not _plausible(buf, off):
                if not d.seen and not d.resync:
                    out.append(weird("c37118_protocol_violation", ts, frame, is_orig, "no SYNC word"))
                    self.violated = True
                    d.buf = b""
                    return out
                start = off
                off = buf.find(b"\xaa", off + (0 if d.resync else 1))
                while off >= 0 and off + 4 <= n and not _plausible(buf, off):
                    off = buf.find(b"\xaa", off + 1)
                if off < 0:
                    off = n
                if off != start:
                    out.append(weird("c37118_resync", ts, frame, is_orig, f"skipped {off - start} bytes"))
                d.resync = False
                if off + 4 > n:
                    break
            size = (buf[off + 2] << 8) | buf[off + 3]
            end = off + size
            if end > n:
                break
            d.seen = True
            self._frame(buf, off, end, is_orig, ts, frame, out)
            off = end
        d.buf = buf[off:] if off < n else b""
        return out

    def gap(self, nbytes: int, is_orig: bool, ts: float, frame: int) -> list[Event]:
        d = self._dirs[is_orig]
        d.buf = b""
        d.resync = True
        return []

    def finish(self, ts: float, frame: int) -> list[Event]:
        return []

    def _frame(self, buf: bytes, off: int, end: int, is_orig: bool, ts: float, frame: int,
               out: list[Event]) -> None:
        _, tv, size, idcode, soc, fracsec = _HDR.unpack_from(buf, off)
        ftype = tv >> 4
        f: dict[str, Any] = {"frame_type": name_of(FRAME_TYPES, ftype),
                             "version": tv & 0x0F, "frame_size": size, "idcode": idcode, "soc": soc,
                             "fracsec": fracsec & 0xFFFFFF, "time_quality": (fracsec >> 24) & 0x0F}
        if fracsec & 0x10000000:
            f["leap_second_pending"] = True
        crc = (buf[end - 2] << 8) | buf[end - 1]
        if crc_hqx(buf[off:end - 2], 0xFFFF) != crc:
            out.append(weird("c37118_bad_crc", ts, frame, is_orig, f"frame type {ftype}, crc {crc:#06x}"))
            f["crc_ok"] = False
        s = off + HEADER_LEN
        e = end - 2
        ev = Event(FRAME_EVENTS.get(ftype) or f"c37118_unknown_{ftype}", ts, frame, is_orig, f)
        out.append(ev)
        try:
            if ftype == FRAME_DATA:
                cfg = self._configs.get(idcode)
                if cfg is None and len(self._configs) == 1:
                    cfg = next(iter(self._configs.values()))
                if cfg is None:
                    if not self._warned_no_config:
                        self._warned_no_config = True
                        out.append(weird("c37118_data_without_config", ts, frame, is_orig, f"idcode {idcode}"))
                    return
                if cfg[1]:
                    f["timestamp"] = soc + (fracsec & 0xFFFFFF) / cfg[1]
                data(buf, s, e, cfg[0], f)
            elif ftype == FRAME_COMMAND:
                cmd = (buf[s] << 8) | buf[s + 1]
                f["command_code"] = cmd
                f["command"] = COMMANDS.get(cmd) or (f"user-{cmd}" if 0x100 <= cmd < 0x1000 else f"unknown-{cmd}")
                if e > s + 2:
                    f["extended_data"] = buf[s + 2:min(e, s + 258)].hex()
            elif ftype in (FRAME_CONFIG1, FRAME_CONFIG2, FRAME_CONFIG3):
                pmus = config3(buf, s, e, f) if ftype == FRAME_CONFIG3 else config12(buf, s, e, f)
                if pmus:
                    if len(self._configs) >= MAX_STREAMS:
                        self._configs.clear()
                    # a CFG-1 says what the PMU can send; data follows CFG-2 (or CFG-3)
                    if ftype != FRAME_CONFIG1 or idcode not in self._configs:
                        self._configs[idcode] = (pmus, f["time_base"])
                    names = [p.station for p in pmus if p.station]
                    if names:
                        f["identity"] = {"name": ", ".join(names)}
            elif ftype == FRAME_HEADER:
                header(buf, s, e, f)
        except _ERRORS as exc:
            out.append(weird("c37118_malformed_frame", ts, frame, is_orig, f"{type(exc).__name__}: {exc}"))


class C37118UdpDecoder(C37118Decoder):
    """The same frames over UDP: one or more whole frames per datagram."""

    transport: ClassVar[str] = "udp"
    default_ports: ClassVar[tuple[int, ...]] = (4713,)

    def feed(self, data: bytes, is_orig: bool, ts: float, frame: int) -> list[Event]:
        d = self._dirs[is_orig]
        d.buf = b""
        d.resync = False
        out = super().feed(data, is_orig, ts, frame)
        if d.buf:
            out.append(weird("c37118_truncated_datagram", ts, frame, is_orig, f"{len(d.buf)} bytes left"))
            d.buf = b""
        return out
