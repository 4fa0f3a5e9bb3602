"""Payload readers of IEEE C37.118.2 frames: configuration (CFG-1/2/3), data (with a configuration),
command and header. Each works on ``(buf, start, end)`` of one frame without its CHK and raises
``ValueError``/``IndexError``/``struct.error`` on truncation (the decoder turns that into a weird)."""

from __future__ import annotations

import math
import struct
from typing import Any, Final

from plantwarden.decoders.c37118.constants import DATA_ERRORS, TRIGGER_REASONS, name_of

MAX_TEXT: Final = 4096  # characters of a header frame kept
MAX_PMUS: Final = 1024

_U16: Final = struct.Struct(">H")
_I16: Final = struct.Struct(">h")


def _name(buf: bytes, s: int, n: int) -> str:
    return buf[s:s + n].decode("utf-8", "backslashreplace").rstrip("\x00 ").strip()


class PmuConfig:
    """What a data frame needs of one PMU's configuration (and what the config event reports)."""

    __slots__ = ("station", "idcode", "fmt", "phnmr", "annmr", "dgnmr", "fnom", "data_len", "unpack")

    def __init__(self, station: str, idcode: int, fmt: int, phnmr: int, annmr: int, dgnmr: int,
                 fnom: int) -> None:
        self.station = station
        self.idcode = idcode
        self.fmt = fmt
        self.phnmr = phnmr
        self.annmr = annmr
        self.dgnmr = dgnmr
        self.fnom = fnom
        ph = "ff" if fmt & 2 else "hh"
        fr = "ff" if fmt & 8 else "hh"
        an = "f" if fmt & 4 else "h"
        # STAT, phasors, FREQ, DFREQ, analogs, digitals: one precompiled struct per PMU
        self.unpack = struct.Struct(">H" + ph * phnmr + fr + an * annmr + "H" * dgnmr)
        self.data_len = self.unpack.size


def _finite(x: Any) -> Any:
    """A float from the wire as JSON allows it: NaN and infinities (PMU 'no data') become None."""
    return x if x - x == 0 else None


def _fmt_fields(fmt: int) -> dict[str, str]:
    return {"phasor_format": "float" if fmt & 2 else "integer",
            "phasor_notation": "polar" if fmt & 1 else "rectangular",
            "analog_format": "float" if fmt & 4 else "integer",
            "freq_format": "float" if fmt & 8 else "integer"}


def config12(buf: bytes, s: int, e: int, f: dict[str, Any]) -> list[PmuConfig]:
    """CFG-1 / CFG-2 payload (after the common header)."""
    tb = int.from_bytes(buf[s:s + 4], "big")
    f["time_base"] = tb & 0xFFFFFF
    num = _U16.unpack_from(buf, s + 4)[0]
    f["num_pmu"] = num
    p = s + 6
    pmus: list[PmuConfig] = []
    out: list[dict[str, Any]] = []
    for _ in range(min(num, MAX_PMUS)):
        if p + 26 > e:
            raise ValueError("configuration cut short")
        stn = _name(buf, p, 16)
        idcode, fmt, phnmr, annmr, dgnmr = struct.unpack_from(">5H", buf, p + 16)
        p += 26
        nch = phnmr + annmr + 16 * dgnmr
        names = [_name(buf, p + 16 * i, 16) for i in range(nch)]
        p += 16 * nch
        units = p
        p += 4 * (phnmr + annmr + dgnmr)
        if p + 4 > e:
            raise ValueError("configuration cut short")
        fnom, cfgcnt = struct.unpack_from(">HH", buf, p)
        p += 4
        cfg = PmuConfig(stn, idcode, fmt, phnmr, annmr, dgnmr, fnom & 1)
        pmus.append(cfg)
        d: dict[str, Any] = {"station": stn, "idcode": idcode, "format": fmt, **_fmt_fields(fmt),
                             "phnmr": phnmr, "annmr": annmr, "dgnmr": dgnmr,
                             "phasor_names": names[:phnmr], "analog_names": names[phnmr:phnmr + annmr],
                             "digital_names": names[phnmr + annmr:],
                             "phasor_units": [int.from_bytes(buf[units + 4 * i:units + 4 * i + 4], "big")
                                              for i in range(phnmr)],
                             "nominal_frequency": 50 if fnom & 1 else 60, "config_count": cfgcnt}
        out.append(d)
    f["pmus"] = out
    if p + 2 <= e:
        f["data_rate"] = _I16.unpack_from(buf, p)[0]
    return pmus


def config3(buf: bytes, s: int, e: int, f: dict[str, Any]) -> list[PmuConfig]:
    """CFG-3 payload: length-prefixed names, scales and PMU location; only a first fragment
    (CONT_IDX 0) describes PMUs."""
    f["cont_idx"] = _U16.unpack_from(buf, s)[0]
    if f["cont_idx"] not in (0, 0xFFFF):
        return []  # a continuation fragment: not reassembled
    tb = int.from_bytes(buf[s + 2:s + 6], "big")
    f["time_base"] = tb & 0xFFFFFF
    num = _U16.unpack_from(buf, s + 6)[0]
    f["num_pmu"] = num
    p = s + 8
    pmus: list[PmuConfig] = []
    out: list[dict[str, Any]] = []
    for _ in range(min(num, MAX_PMUS)):
        n = buf[p]
        stn = _name(buf, p + 1, n)
        p += 1 + n
        idcode = _U16.unpack_from(buf, p)[0]
        gpmuid = buf[p + 2:p + 18].hex()
        fmt, phnmr, annmr, dgnmr = struct.unpack_from(">4H", buf, p + 18)
        p += 26
        names = []
        for _ in range(phnmr + annmr + 16 * dgnmr):
            n = buf[p]
            names.append(_name(buf, p + 1, n))
            p += 1 + n
        p += 8 * phnmr + 8 * annmr + 4 * dgnmr
        lat, lon, elev = struct.unpack_from(">fff", buf, p)
        svc = chr(buf[p + 12])
        p += 13 + 8
        fnom, cfgcnt = struct.unpack_from(">HH", buf, p)
        p += 4
        if p > e:
            raise ValueError("configuration cut short")
        cfg = PmuConfig(stn, idcode, fmt, phnmr, annmr, dgnmr, fnom & 1)
        pmus.append(cfg)
        d: dict[str, Any] = {"station": stn, "idcode": idcode, "global_pmuid": gpmuid, "format": fmt,
                             **_fmt_fields(fmt), "phnmr": phnmr, "annmr": annmr, "dgnmr": dgnmr,
                             "phasor_names": names[:phnmr], "analog_names": names[phnmr:phnmr + annmr],
                             "digital_names": names[phnmr + annmr:], "svc_class": svc,
                             "nominal_frequency": 50 if fnom & 1 else 60, "config_count": cfgcnt}
        for k, v in (("latitude", lat), ("longitude", lon), ("elevation", elev)):
            if math.isfinite(v):
                d[k] = v
        out.append(d)
    f["pmus"] = out
    if p + 2 <= e:
        f["data_rate"] = _I16.unpack_from(buf, p)[0]
    return pmus


def data(buf: bytes, s: int, e: int, pmus: list[PmuConfig], f: dict[str, Any]) -> None:
    """A data frame's payload, read with the configuration of its stream."""
    p = s
    out = []
    for cfg in pmus:
        if p + cfg.data_len > e:
            raise ValueError("data frame shorter than its configuration")
        v = cfg.unpack.unpack_from(buf, p)
        p += cfg.data_len
        stat = v[0]
        d: dict[str, Any] = {
            "stat": stat, "data_error": name_of(DATA_ERRORS, stat >> 14), "pmu_sync": not stat & 0x2000,
            "sorting": "arrival" if stat & 0x1000 else "timestamp", "trigger": bool(stat & 0x0800),
            "config_change": bool(stat & 0x0400), "data_modified": bool(stat & 0x0200),
            "time_quality": (stat >> 6) & 7, "unlocked_time": (stat >> 4) & 3,
        }
        if stat & 0x0800:
            d["trigger_reason"] = name_of(TRIGGER_REASONS, stat & 0xF)
        n = 2 * cfg.phnmr
        if cfg.fmt & 2:
            d["phasors"] = [[_finite(v[1 + i]), _finite(v[2 + i])] for i in range(0, n, 2)]
        else:
            d["phasors"] = [[v[1 + i], v[2 + i]] for i in range(0, n, 2)]
        freq, dfreq = v[1 + n], v[2 + n]
        if cfg.fmt & 8:
            d["frequency"] = _finite(freq)
            d["rocof"] = _finite(dfreq)
        else:
            d["frequency"] = (50 if cfg.fnom else 60) + freq / 1000.0
            d["rocof"] = dfreq / 100.0
        a = 3 + n
        if cfg.annmr:
            d["analogs"] = [_finite(x) for x in v[a:a + cfg.annmr]] if cfg.fmt & 4 else list(v[a:a + cfg.annmr])
        if cfg.dgnmr:
            d["digitals"] = list(v[a + cfg.annmr:])
        out.append(d)
    f["pmus"] = out
    if p != e:
        raise ValueError(f"{e - p} bytes beyond the configured data")


def header(buf: bytes, s: int, e: int, f: dict[str, Any]) -> None:
    f["text"] = buf[s:min(e, s + MAX_TEXT)].decode("utf-8", "backslashreplace")
