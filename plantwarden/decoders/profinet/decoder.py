"""The PROFINET real-time decoder (Ethernet type 0x8892): DCP events, RT/alarm/PTCP summaries.

Sans-IO, one Ethernet payload per ``feed`` (the frame id first). DCP frames (0xFEFC-0xFEFF) become one
event each. Everything else on 0x8892 - cyclic I/O (0x0100-0xFBFF), alarms (0xFC01, 0xFE01), PTCP
time sync and fragments - is only counted per (direction, frame id) on the hot path and reported at
``finish()`` as one ``profinet_rt_summary`` event per frame id and direction. See
docs/protocols/profinet.md.
"""

from __future__ import annotations

from typing import Any, ClassVar, Final

from plantwarden.core.events import Event, weird
from plantwarden.decoders.base import Decoder
from plantwarden.decoders.profinet import dcp
from plantwarden.decoders.profinet.constants import ETHERTYPE, frame_class

#: frame ids counted per flow at most (a flow is one source/destination MAC pair)
MAX_COUNTED_IDS: Final = 1024
_EMPTY: Final[list[Event]] = []


class ProfinetDecoder(Decoder):
    name: ClassVar[str] = "profinet"
    transport: ClassVar[str] = "ether"
    ethertypes: ClassVar[tuple[int, ...]] = (ETHERTYPE,)

    def __init__(self) -> None:
        super().__init__()
        #: (is_orig, frame id) -> [frames, bytes, first ts, last ts, last payload, first frame]
        self._rt: dict[tuple[bool, int], list[Any]] = {}
        self._overflow = 0
        self.dcp_frames = 0

    def feed(self, data: bytes, is_orig: bool, ts: float, frame: int) -> list[Event]:
        n = len(data)
        if n < 2:
            return [weird("profinet_short_frame", ts, frame, is_orig, f"{n} bytes after the Ethernet type")]
        fid = data[0] << 8 | data[1]
        if not 0xFEFC <= fid <= 0xFEFF:
            key = (is_orig, fid)
            st = self._rt.get(key)
            if st is None:
                if len(self._rt) >= MAX_COUNTED_IDS:
                    self._overflow += 1
                    return _EMPTY if self._overflow > 1 else [weird(
                        "profinet_too_many_frame_ids", ts, frame, is_orig,
                        f"more than {MAX_COUNTED_IDS} frame ids in one flow; the rest are not summarised")]
                self._rt[key] = [1, n, ts, ts, data, frame]
                return _EMPTY
            st[0] += 1
            st[1] += n
            st[3] = ts
            st[4] = data
            return _EMPTY
        self.dcp_frames += 1
        self.confirmed = True
        ev, fields, problem = dcp.parse(data, fid)
        if ev == "profinet_dcp_identify_response" or ev == "profinet_dcp_hello":
            ident = dcp.identity(fields)
            if ident is not None:
                fields["identity"] = ident
        out = [Event(ev, ts, frame, is_orig, fields)]
        if problem is not None:
            out.append(weird(problem, ts, frame, is_orig, f"frame id 0x{fid:04x}, {n} bytes"))
        return out

    def finish(self, ts: float, frame: int) -> list[Event]:
        out: list[Event] = []
        for (is_orig, fid), (count, nbytes, first_ts, last_ts, last, first_frame) in self._rt.items():
            cls = frame_class(fid)
            f: dict[str, Any] = {
                "frame_id": fid, "frame_class": cls, "frames": count, "bytes": nbytes,
                "first_ts": first_ts, "last_ts": last_ts, "first_frame": first_frame,
            }
            if cls.startswith("rt_class") and len(last) >= 6:
                # the APDU status closes the C_SDU: cycle counter (2), data status (1), transfer status (1)
                ds = last[-2]
                f["cycle_counter"] = last[-4] << 8 | last[-3]
                f["data_status"] = ds
                f["data_valid"] = bool(ds & 0x04)
                f["provider_run"] = bool(ds & 0x10)
                f["station_problem"] = not ds & 0x20
            out.append(Event("profinet_rt_summary", ts, frame, is_orig, f))
        self._rt.clear()
        return out
