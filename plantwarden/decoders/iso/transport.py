"""ISO transport over TCP: RFC 1006 TPKT framing and ISO 8073 COTP (class 0), as S7comm and MMS use it.

:class:`IsoTransportDecoder` frames TPKTs in each direction's stream, reassembles COTP data fragments
until the EOT flag, reports connection TPDUs (CR, CC, DR, DC) as ``<prefix>_cotp_*`` events and hands
each complete transport service data unit to the subclass's ``_payload``. A subclass names its
protocol (``prefix``: event and weird names) and decodes what ISO transport carries.

Trouble, with the subclass's prefix: ``<prefix>_protocol_violation`` when the flow's first bytes are not
a TPKT (the decoder stops), ``<prefix>_resync`` (bytes skipped to the next plausible TPKT after a gap
or a bad header), ``<prefix>_tpkt_bad_length``, ``<prefix>_cotp_bad_length``,
``<prefix>_cotp_reassembly_overflow``.
"""

from __future__ import annotations

from typing import Any, ClassVar, Final

from plantwarden.core.events import Event, weird
from plantwarden.decoders.base import Decoder

# COTP TPDU codes (high nibble of the type byte)
COTP_CR: Final = 0xE0
COTP_CC: Final = 0xD0
COTP_DR: Final = 0x80
COTP_DC: Final = 0xC0
COTP_DT: Final = 0xF0
COTP_ED: Final = 0x10
COTP_AK: Final = 0x60
COTP_EA: Final = 0x20
COTP_RJ: Final = 0x50
COTP_ER: Final = 0x70
COTP_KNOWN: Final = frozenset({COTP_CR, COTP_CC, COTP_DR, COTP_DC, COTP_DT, COTP_ED, COTP_AK, COTP_EA,
                               COTP_RJ, COTP_ER})
COTP_NAMES: Final[dict[int, str]] = {COTP_CR: "connect_request", COTP_CC: "connect_confirm",
                                     COTP_DR: "disconnect_request", COTP_DC: "disconnect_confirm",
                                     COTP_DT: "data", COTP_ED: "expedited_data", COTP_AK: "data_ack",
                                     COTP_EA: "expedited_data_ack", COTP_RJ: "reject", COTP_ER: "tpdu_error"}
#: the connection TPDUs reported as events
_CONNECTION_TPDUS = (COTP_CR, COTP_CC, COTP_DR, COTP_DC)
#: a TPKT is at most 65535 bytes: a direction never needs to hold more
MAX_BUFFER: Final = 65536 + 4


def plausible_tpkt(buf: bytes, off: int) -> bool:
    """Whether a TPKT header with a sensible COTP header starts at ``off`` (used to resync)."""
    if buf[off] != 3 or buf[off + 1] != 0:
        return False
    length = (buf[off + 2] << 8) | buf[off + 3]
    if length < 7:
        return False
    if off + 6 > len(buf):
        return True
    return buf[off + 4] + 5 <= length and (buf[off + 5] & 0xF0) in COTP_KNOWN


def first_tpdu(data: bytes) -> tuple[int, int] | None:
    """(COTP type, offset of the COTP payload) of a flow's first bytes when they start with a
    plausible TPKT + COTP header, else None. For the subclasses' ``probe``."""
    if len(data) < 6 or data[0] != 3 or data[1] != 0:
        return None
    length = (data[2] << 8) | data[3]
    li = data[4]
    ctype = data[5] & 0xF0
    if length < 7 or ctype not in COTP_KNOWN or li + 5 > length:
        return None
    return ctype, 5 + li


class IsoDirection:
    """One direction's transport state; subclasses add their own slots."""

    __slots__ = ("buf", "frag", "resync")

    def __init__(self) -> None:
        self.buf = b""  # unconsumed stream bytes
        self.frag = bytearray()  # COTP DT fragments without EOT
        self.resync = False  # after a gap or a bad header: search for the next plausible TPKT

    def reset(self) -> None:
        """Forget partial data (after a gap): the next TPKT is looked for."""
        self.buf = b""
        self.frag.clear()
        self.resync = True


class IsoTransportDecoder(Decoder):
    """TPKT + COTP framing for a protocol carried over ISO transport on TCP."""

    transport: ClassVar[str] = "tcp"
    #: the protocol's name in event and weird names
    prefix: ClassVar[str] = ""
    #: bytes of COTP fragments kept per direction before the weird ``<prefix>_cotp_reassembly_overflow``
    max_reassembly: ClassVar[int] = 65536
    direction_class: ClassVar[type[IsoDirection]] = IsoDirection

    def __init__(self) -> None:
        super().__init__()
        self._dirs = (self.direction_class(), self.direction_class())  # [0] responder, [1] originator
        self._seen_tpkt = False  # a valid TPKT was seen in either direction
        p = self.prefix
        self._cotp_events = {c: f"{p}_cotp_{COTP_NAMES[c]}" for c in _CONNECTION_TPDUS}

    def _payload(self, pl: bytes, d: Any, is_orig: bool, ts: float, frame: int, out: list[Event]) -> None:
        """One complete COTP data unit (TSDU) of direction ``d``; may set ``violated``."""
        raise NotImplementedError

    # -- framing ---------------------------------------------------------------------------------

    def feed(self, data: bytes, is_orig: bool, ts: float, frame: int) -> list[Event]:
        d = self._dirs[is_orig]
        buf = d.buf + data if d.buf else data
        out: list[Event] = []
        off = 0
        n = len(buf)
        p = self.prefix
        while off + 4 <= n:
            if d.resync or buf[off] != 3 or buf[off + 1] != 0:
                if not self._seen_tpkt and not d.resync:  # after a gap, look for the next TPKT instead
                    return self._violation(out, ts, frame, is_orig, "not a TPKT header")
                start = off
                while off + 4 <= n and not plausible_tpkt(buf, off):
                    off += 1
                if off != start:
                    out.append(weird(p + "_resync", ts, frame, is_orig, f"skipped {off - start} bytes"))
                if off + 4 > n:
                    break
                d.resync = False
            length = (buf[off + 2] << 8) | buf[off + 3]
            if length < 7:
                if not self._seen_tpkt:
                    return self._violation(out, ts, frame, is_orig, f"TPKT length {length}")
                out.append(weird(p + "_tpkt_bad_length", ts, frame, is_orig, str(length)))
                d.resync = True
                off += 1
                continue
            end = off + length
            if end > n:
                break
            self._seen_tpkt = True
            self._cotp(buf, off + 4, end, d, is_orig, ts, frame, out)
            if self.violated:
                d.buf = b""
                return out
            off = end
        d.buf = buf[off:] if off < n else b""
        if len(d.buf) > MAX_BUFFER:  # cannot happen with a sane length field, but stay bounded
            d.reset()
        return out

    def gap(self, nbytes: int, is_orig: bool, ts: float, frame: int) -> list[Event]:
        self._dirs[is_orig].reset()
        return []

    def _violation(self, out: list[Event], ts: float, frame: int, is_orig: bool, why: str) -> list[Event]:
        out.append(weird(self.prefix + "_protocol_violation", ts, frame, is_orig, why))
        self.violated = True
        for d in self._dirs:
            d.buf = b""
            d.frag.clear()
        return out

    def _cotp(self, buf: bytes, off: int, end: int, d: IsoDirection, is_orig: bool, ts: float, frame: int,
              out: list[Event]) -> None:
        li = buf[off]
        ctype = buf[off + 1] & 0xF0
        if li < 2 or off + 1 + li > end:
            out.append(weird(self.prefix + "_cotp_bad_length", ts, frame, is_orig, f"li={li}"))
            return
        if ctype == COTP_DT:
            payload = buf[off + 1 + li:end]
            if not buf[off + 2] & 0x80:  # no EOT: more fragments follow
                if len(d.frag) + len(payload) > self.max_reassembly:
                    d.frag.clear()
                    out.append(weird(self.prefix + "_cotp_reassembly_overflow", ts, frame, is_orig, ""))
                else:
                    d.frag += payload
                return
            if d.frag:
                payload = bytes(d.frag) + payload
                d.frag.clear()
            if payload:
                self._payload(payload, d, is_orig, ts, frame, out)
            return
        name = self._cotp_events.get(ctype)
        if name is not None:
            out.append(Event(name, ts, frame, is_orig, connection_fields(buf, off, li, ctype)))


def connection_fields(buf: bytes, off: int, li: int, ctype: int) -> dict[str, Any]:
    """The fields of a connection TPDU whose length indicator is at ``off``."""
    f: dict[str, Any] = {"cotp_type": ctype >> 4}
    if li < 3:
        return f
    f["dst_ref"] = (buf[off + 2] << 8) | buf[off + 3]
    if li >= 5:
        f["src_ref"] = (buf[off + 4] << 8) | buf[off + 5]
    if ctype in (COTP_CR, COTP_CC) and li >= 6:
        f["class"] = buf[off + 6] >> 4
        p = off + 7
        pend = off + 1 + li
        while p + 2 <= pend:
            code = buf[p]
            plen = buf[p + 1]
            val = buf[p + 2:min(p + 2 + plen, pend)]
            if code == 0xC0 and val:
                f["tpdu_size"] = 1 << val[0] if val[0] < 32 else val[0]
            elif code == 0xC1:
                f["src_tsap"] = val.hex()
            elif code == 0xC2:
                f["dst_tsap"] = val.hex()
            p += 2 + plen
    elif ctype == COTP_DR and li >= 6:
        f["reason"] = buf[off + 6]
    return f
