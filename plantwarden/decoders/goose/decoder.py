"""IEC 61850 GOOSE (Ethernet type 0x88B8) and Sampled Values (0x88BA, counted only).

Sans-IO, one Ethernet payload per ``feed``: APPID (2), Length (2), Reserved1 (2, bit 15 =
simulation), Reserved2 (2), then the BER ``goosePdu`` ([APPLICATION 1], tag 0x61). Each GOOSE frame
becomes one ``goose_message`` event. Sampled Values are only counted per (direction, APPID) and
reported at ``finish()``. See docs/protocols/goose.md.
"""

from __future__ import annotations

import struct
from typing import Any, ClassVar, Final

from plantwarden.core.events import Event, weird
from plantwarden.decoders.base import Decoder
from plantwarden.decoders.goose.ber import BerError, data_list, text, tlv, utc_time

_HEADER: Final = struct.Struct(">HHHH")
#: goosePdu context tags -> event field, for the scalar members
_STRINGS: Final = {0x80: "gocb_ref", 0x82: "dat_set", 0x83: "go_id"}
_UNSIGNED: Final = {0x81: "time_allowed_to_live", 0x85: "st_num", 0x86: "sq_num", 0x88: "conf_rev",
                    0x8A: "num_dat_set_entries"}
_BOOLS: Final = {0x87: "simulation", 0x89: "nds_com"}
#: control blocks whose state numbers are remembered per flow at most
MAX_TRACKED: Final = 256
_EMPTY: Final[list[Event]] = []


class GooseDecoder(Decoder):
    name: ClassVar[str] = "goose"
    transport: ClassVar[str] = "ether"
    ethertypes: ClassVar[tuple[int, ...]] = (0x88B8,)

    def __init__(self) -> None:
        super().__init__()
        #: gocbRef -> (stNum, sqNum) of its last message
        self._last: dict[str, tuple[int, int]] = {}
        self.messages = 0
        #: the last allData seen and its decoded values (shared by the events that repeat it)
        self._last_raw = b""
        self._last_values: list[Any] = []

    def feed(self, data: bytes, is_orig: bool, ts: float, frame: int) -> list[Event]:
        n = len(data)
        if n < 8:
            return [weird("goose_short_frame", ts, frame, is_orig, f"{n} bytes after the Ethernet type")]
        appid, length, res1, _res2 = _HEADER.unpack_from(data, 0)
        f: dict[str, Any] = {"appid": appid, "length": length, "simulated": bool(res1 & 0x8000)}
        out = [Event("goose_message", ts, frame, is_orig, f)]
        end = min(length, n) if length >= 8 else n
        if length > n or length < 8:
            out.append(weird("goose_bad_length", ts, frame, is_orig, f"length {length}, {n} bytes present"))
        try:
            tag, p, pend = tlv(data, 8, end)
            if tag != 0x61:
                out.append(weird("goose_not_goose_pdu", ts, frame, is_orig, f"APDU tag 0x{tag:02x}"))
                return out
            self._pdu(data, p, pend, f)
        except (BerError, IndexError, ValueError, struct.error) as e:
            out.append(weird("goose_malformed_pdu", ts, frame, is_orig, str(e)))
            return out
        self.messages += 1
        self.confirmed = True
        values = f.get("values")
        nde = f.get("num_dat_set_entries")
        if values is not None and nde is not None and nde != len(values):
            out.append(weird("goose_entry_count_mismatch", ts, frame, is_orig,
                             f"numDatSetEntries {nde}, allData has {len(values)}"))
        ref = f.get("gocb_ref")
        st, sq = f.get("st_num"), f.get("sq_num")
        if ref is not None and st is not None and sq is not None:
            prev = self._last.get(ref)
            if prev is not None:
                pst, psq = prev
                f["state_change"] = st != pst
                if st < pst or (st == pst and sq < psq):
                    out.append(weird("goose_sequence_regression", ts, frame, is_orig,
                                     f"{ref}: stNum/sqNum {pst}/{psq} then {st}/{sq}"))
            if prev is not None or len(self._last) < MAX_TRACKED:
                self._last[ref] = (st, sq)
        return out

    def _pdu(self, b: bytes, p: int, end: int, f: dict[str, Any]) -> None:
        while p < end:
            tag, v, e = tlv(b, p, end)
            p = e
            name = _UNSIGNED.get(tag)
            if name is not None:
                f[name] = int.from_bytes(b[v:e], "big")
            elif tag in _STRINGS:
                f[_STRINGS[tag]] = text(b[v:e])
            elif tag in _BOOLS:
                f[_BOOLS[tag]] = e > v and b[v] != 0
            elif tag == 0x84:
                f["t"] = utc_time(b[v:e])
                if e - v >= 8:
                    f["t_quality"] = b[v + 7]
            elif tag == 0xAB:
                # a publisher repeats the same allData until the next state change: decode it once
                raw = b[v:e]
                if raw != self._last_raw:
                    self._last_values = data_list(b, v, e, [0])
                    self._last_raw = raw
                f["values"] = self._last_values
            elif tag == 0x8C:
                f["security"] = b[v:e].hex()


class SvDecoder(Decoder):
    """IEC 61850-9-2 Sampled Values: counted per (direction, APPID), one summary each at ``finish()``."""

    name: ClassVar[str] = "sv"
    transport: ClassVar[str] = "ether"
    ethertypes: ClassVar[tuple[int, ...]] = (0x88BA,)

    def __init__(self) -> None:
        super().__init__()
        #: (is_orig, APPID) -> [frames, bytes, first ts, last ts, first frame]
        self._counts: dict[tuple[bool, int], list[Any]] = {}

    def feed(self, data: bytes, is_orig: bool, ts: float, frame: int) -> list[Event]:
        if len(data) < 8:
            return [weird("sv_short_frame", ts, frame, is_orig, f"{len(data)} bytes after the Ethernet type")]
        key = (is_orig, data[0] << 8 | data[1])
        st = self._counts.get(key)
        if st is None:
            if len(self._counts) >= MAX_TRACKED:
                return _EMPTY
            self._counts[key] = [1, len(data), ts, ts, frame]
        else:
            st[0] += 1
            st[1] += len(data)
            st[3] = ts
        return _EMPTY

    def finish(self, ts: float, frame: int) -> list[Event]:
        out = [Event("sv_summary", ts, frame, is_orig,
                     {"appid": appid, "frames": c[0], "bytes": c[1], "first_ts": c[2], "last_ts": c[3],
                      "first_frame": c[4]})
               for (is_orig, appid), c in self._counts.items()]
        self._counts.clear()
        return out
