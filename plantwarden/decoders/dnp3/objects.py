"""DNP3 application objects: object headers (group, variation, qualifier, range) and their points.

:func:`parse_objects` walks the object headers of one application fragment and appends one dict
per header (see docs/protocols/dnp3.md, "Objects"). Fixed-size points are decoded a whole header
at a time with ``struct.iter_unpack`` into parallel lists (``indexes``, ``values``, ``flags``,
``times``); commands (CROB, analog output blocks), device attributes, file and authentication
objects get one dict per item. Object data the decoder cannot size stops the walk with a problem
(a weird), keeping what was decoded so far.
"""

from __future__ import annotations

import math
import struct
from typing import Any, Final

from plantwarden.decoders.dnp3 import records
from plantwarden.decoders.dnp3.constants import (
    CONTROL_STATUS,
    GROUP_NAMES,
    MAX_POINTS,
    NO_DATA_REQUESTS,
    OPERATION_TYPES,
    TRIP_CLOSE,
)
from plantwarden.decoders.dnp3.records import ObjectError

# point kinds
BIN, DBL, FV, V, CROB, AOB, SV, TIME, STAT = range(9)
# time columns after the value columns
T_NONE, T_ABS, T_REL, T_INTERVAL = range(4)

_G22 = {1: ("BI", FV, T_NONE), 2: ("BH", FV, T_NONE), 3: ("BI", FV, T_NONE), 4: ("BH", FV, T_NONE),
        5: ("BIIH", FV, T_ABS), 6: ("BHIH", FV, T_ABS), 7: ("BIIH", FV, T_ABS), 8: ("BHIH", FV, T_ABS)}
_G32 = {1: ("Bi", FV, T_NONE), 2: ("Bh", FV, T_NONE), 3: ("BiIH", FV, T_ABS), 4: ("BhIH", FV, T_ABS),
        5: ("Bf", FV, T_NONE), 6: ("Bd", FV, T_NONE), 7: ("BfIH", FV, T_ABS), 8: ("BdIH", FV, T_ABS)}

#: (group, variation) -> (struct format of one point, kind, time columns)
_SPECS: dict[tuple[int, int], tuple[str, int, int]] = {
    (1, 2): ("B", BIN, T_NONE),
    (2, 1): ("B", BIN, T_NONE), (2, 2): ("BIH", BIN, T_ABS), (2, 3): ("BH", BIN, T_REL),
    (3, 2): ("B", DBL, T_NONE),
    (4, 1): ("B", DBL, T_NONE), (4, 2): ("BIH", DBL, T_ABS), (4, 3): ("BH", DBL, T_REL),
    (10, 2): ("B", BIN, T_NONE),
    (11, 1): ("B", BIN, T_NONE), (11, 2): ("BIH", BIN, T_ABS),
    (12, 1): ("BBIIB", CROB, T_NONE), (12, 2): ("BBIIB", CROB, T_NONE),
    (13, 1): ("B", BIN, T_NONE), (13, 2): ("BIH", BIN, T_ABS),
    (20, 1): ("BI", FV, T_NONE), (20, 2): ("BH", FV, T_NONE), (20, 3): ("BI", FV, T_NONE),
    (20, 4): ("BH", FV, T_NONE), (20, 5): ("I", V, T_NONE), (20, 6): ("H", V, T_NONE),
    (20, 7): ("I", V, T_NONE), (20, 8): ("H", V, T_NONE),
    (21, 9): ("I", V, T_NONE), (21, 10): ("H", V, T_NONE), (21, 11): ("I", V, T_NONE),
    (21, 12): ("H", V, T_NONE),
    (30, 1): ("Bi", FV, T_NONE), (30, 2): ("Bh", FV, T_NONE), (30, 3): ("i", V, T_NONE),
    (30, 4): ("h", V, T_NONE), (30, 5): ("Bf", FV, T_NONE), (30, 6): ("Bd", FV, T_NONE),
    (31, 1): ("Bi", FV, T_NONE), (31, 2): ("Bh", FV, T_NONE), (31, 3): ("BiIH", FV, T_ABS),
    (31, 4): ("BhIH", FV, T_ABS), (31, 5): ("i", V, T_NONE), (31, 6): ("h", V, T_NONE),
    (31, 7): ("Bf", FV, T_NONE), (31, 8): ("Bd", FV, T_NONE),
    (34, 1): ("H", V, T_NONE), (34, 2): ("I", V, T_NONE), (34, 3): ("f", V, T_NONE),
    (40, 1): ("Bi", FV, T_NONE), (40, 2): ("Bh", FV, T_NONE), (40, 3): ("Bf", FV, T_NONE),
    (40, 4): ("Bd", FV, T_NONE),
    (41, 1): ("iB", AOB, T_NONE), (41, 2): ("hB", AOB, T_NONE), (41, 3): ("fB", AOB, T_NONE),
    (41, 4): ("dB", AOB, T_NONE),
    (50, 1): ("IH", TIME, T_NONE), (50, 2): ("IHI", TIME, T_INTERVAL), (50, 3): ("IH", TIME, T_NONE),
    (50, 4): ("IHIB", TIME, T_INTERVAL),
    (51, 1): ("IH", TIME, T_NONE), (51, 2): ("IH", TIME, T_NONE),
    (52, 1): ("H", V, T_NONE), (52, 2): ("H", V, T_NONE),
    (101, 1): ("H", V, T_NONE), (101, 2): ("I", V, T_NONE), (101, 3): ("Q", V, T_NONE),
    (102, 1): ("B", V, T_NONE),
    (120, 3): ("IH", V, T_NONE), (120, 4): ("H", V, T_NONE),
    (121, 1): ("BHI", STAT, T_NONE), (122, 1): ("BHI", STAT, T_NONE), (122, 2): ("BHIIH", STAT, T_ABS),
}
for _v in range(1, 9):
    _SPECS[(21, _v)] = _G22[_v]
    _SPECS[(22, _v)] = _G22[_v]
    _SPECS[(23, _v)] = _G22[_v]
    _SPECS[(32, _v)] = _G32[_v]
    _SPECS[(33, _v)] = _G32[_v]
    _SPECS[(42, _v)] = _G32[_v]
    fmt, _k, tk = _G32[_v]
    _SPECS[(43, _v)] = (fmt, SV, tk)

#: (group << 8 | variation) -> spec, the hot lookup
SPECS: Final = {g << 8 | v: s for (g, v), s in _SPECS.items()}
#: bit-packed objects: (group << 8 | variation) -> bits per point
PACKED: Final = {1 << 8 | 1: 1, 10 << 8 | 1: 1, 12 << 8 | 3: 1, 80 << 8 | 1: 1, 3 << 8 | 1: 2}
#: objects with no data at all
EMPTY_GROUPS: Final = frozenset({60})
#: octet strings and virtual terminal objects: the variation is the size of one object
SIZED_BY_VARIATION: Final = frozenset({110, 111, 112, 113})

_IDX_FMT: Final = ("", "B", "H", "I")  # prefix codes 1-3: index of 1, 2, 4 bytes
_SIZE_FMT: Final = {4: struct.Struct("<B"), 5: struct.Struct("<H"), 6: struct.Struct("<I")}
_RANGE: Final = {0: struct.Struct("<BB"), 1: struct.Struct("<HH"), 2: struct.Struct("<II"),
                 3: struct.Struct("<BB"), 4: struct.Struct("<HH"), 5: struct.Struct("<II")}
_COUNT: Final = {7: struct.Struct("<B"), 8: struct.Struct("<H"), 9: struct.Struct("<I"), 0xB: struct.Struct("<B")}
_STRUCTS: dict[tuple[str, str], struct.Struct] = {}


def _struct(idx: str, fmt: str) -> struct.Struct:
    s = _STRUCTS.get((idx, fmt))
    if s is None:
        s = _STRUCTS[(idx, fmt)] = struct.Struct("<" + idx + fmt)
    return s


def _finite(vals: list[Any]) -> list[Any]:
    """JSON has no NaN or infinity: such floats become the strings ``nan``, ``inf``, ``-inf``."""
    isfinite = math.isfinite
    return [v if isfinite(v) else str(v) for v in vals]


def parse_objects(data: bytes, off: int, fc: int, is_response: bool, objects: list[dict[str, Any]],
                  identity: dict[str, Any]) -> None:
    """Append the object headers of ``data[off:]`` to ``objects``; raise ObjectError where the walk stops."""
    end = len(data)
    with_data = is_response or fc not in NO_DATA_REQUESTS
    left = MAX_POINTS  # points listed per fragment; more are walked and counted, not listed
    while off < end:
        if end - off < 3:
            raise ObjectError("dnp3_truncated_object", f"{end - off} bytes where an object header starts")
        g = data[off]
        v = data[off + 1]
        q = data[off + 2]
        off += 3
        pc = (q >> 4) & 7
        rc = q & 0xF
        obj: dict[str, Any] = {"group": g, "variation": v, "group_name": GROUP_NAMES[g], "qualifier": q,
                               "prefix_code": pc, "range_code": rc, "range": None, "count": 0}
        objects.append(obj)
        start: int | None = None
        rs = _RANGE.get(rc)
        if rs is not None:
            if end - off < rs.size:
                raise ObjectError("dnp3_truncated_object", f"group {g} variation {v}: range cut short")
            start, stop = rs.unpack_from(data, off)
            off += rs.size
            obj["range"] = [start, stop]
            if stop < start:
                raise ObjectError("dnp3_bad_range", f"group {g} variation {v}: stop {stop} < start {start}")
            n = stop - start + 1
        elif rc == 6:
            n = 0
        else:
            cs = _COUNT.get(rc)
            if cs is None:
                raise ObjectError("dnp3_bad_qualifier", f"group {g} variation {v}: qualifier 0x{q:02x}")
            if end - off < cs.size:
                raise ObjectError("dnp3_truncated_object", f"group {g} variation {v}: count cut short")
            n = cs.unpack_from(data, off)[0]
            off += cs.size
            if rc != 0xB:
                start = 0  # points of a count without index prefix are numbered from 0
        obj["count"] = n
        if pc == 7:
            raise ObjectError("dnp3_bad_qualifier", f"group {g} variation {v}: prefix code 7")
        if n == 0 or g in EMPTY_GROUPS:
            continue
        if pc and pc < 4:
            start = None
        m = min(n, left)
        left -= m
        if pc >= 4:  # size-prefixed objects (file, authentication ...) carry data in any message
            off = records.size_prefixed(obj, data, off, end, n, m, _SIZE_FMT[pc])
            continue
        if not with_data or (g == 0 and v >= 254 and not is_response):
            if pc:  # a request naming points by index: the indexes follow
                st = _struct(_IDX_FMT[pc], "")
                off = _rows(obj, data, off, end, n, m, st, g, v, index_only=True)
            continue
        key = g << 8 | v
        spec = SPECS.get(key)
        if spec is not None:
            off = _fixed(obj, data, off, end, n, m, spec, _IDX_FMT[pc] if pc else "", start)
        elif key in PACKED:
            if pc:
                raise ObjectError("dnp3_bad_qualifier", f"group {g} variation {v}: packed points with prefix {pc}")
            off = _packed(obj, data, off, end, n, m, PACKED[key], start)
        elif g == 0:
            off = records.attributes(obj, data, off, end, n, m, _IDX_FMT[pc] if pc else "", start, v, identity)
        elif g in SIZED_BY_VARIATION:
            if v == 0:
                raise ObjectError("dnp3_bad_object_size", f"group {g} variation 0 (size 0) with {n} objects")
            st = _struct(_IDX_FMT[pc] if pc else "", f"{v}s")
            off = _rows(obj, data, off, end, n, m, st, g, v, index_only=False, start=start)
        else:
            raise ObjectError("dnp3_unknown_object", f"group {g} variation {v}: object size unknown")


def _rows(obj: dict[str, Any], data: bytes, off: int, end: int, n: int, m: int, st: struct.Struct, g: int, v: int,
          index_only: bool, start: int | None = None) -> int:
    """Index-only items (requests) or octet strings: one struct row per item."""
    size = st.size
    if end - off < size * n:
        raise ObjectError("dnp3_truncated_object", f"group {g} variation {v}: {n} objects need {size * n} bytes, {end - off} left")
    rows = list(st.iter_unpack(data[off:off + size * m])) if size else [()] * m
    if index_only:
        obj["indexes"] = [r[0] for r in rows]
    else:
        if start is not None:
            obj["indexes"] = list(range(start, start + m))
        elif len(st.format) > 2:
            obj["indexes"] = [r[0] for r in rows]
        obj["values"] = [r[-1].hex() if r else "" for r in rows]
    return off + size * n


def _packed(obj: dict[str, Any], data: bytes, off: int, end: int, n: int, m: int, bits: int,
            start: int | None) -> int:
    nbytes = (n * bits + 7) // 8
    if end - off < nbytes:
        raise ObjectError("dnp3_truncated_object", f"group {obj['group']} variation {obj['variation']}: "
                          f"{n} packed points need {nbytes} bytes, {end - off} left")
    x = int.from_bytes(data[off:off + nbytes], "little")
    mask = (1 << bits) - 1
    if start is not None:
        obj["indexes"] = list(range(start, start + m))
    obj["values"] = [(x >> (i * bits)) & mask for i in range(m)]
    return off + nbytes


def _fixed(obj: dict[str, Any], data: bytes, off: int, end: int, n: int, m: int, spec: tuple[str, int, int],
           idx: str, start: int | None) -> int:
    fmt, kind, tkind = spec
    st = _struct(idx, fmt)
    size = st.size
    if end - off < size * n:
        raise ObjectError("dnp3_truncated_object", f"group {obj['group']} variation {obj['variation']}: "
                          f"{n} objects need {size * n} bytes, {end - off} left")
    cols = list(zip(*st.iter_unpack(data[off:off + size * m]), strict=True))
    if idx:
        indexes = list(cols.pop(0))
    elif start is not None:
        indexes = list(range(start, start + m))
    else:
        indexes = []
    if indexes:
        obj["indexes"] = indexes
    if kind in (BIN, DBL):
        flags = cols[0]
        obj["flags"] = list(flags)
        obj["values"] = [f >> 7 & 1 for f in flags] if kind == BIN else [f >> 6 & 3 for f in flags]
        rest = 1
    elif kind in (FV, STAT):
        obj["flags"] = list(cols[0])
        if kind == STAT:
            obj["associations"] = list(cols[1])
        vals = list(cols[2 if kind == STAT else 1])
        obj["values"] = _finite(vals) if fmt[1] in "fd" else vals
        rest = 3 if kind == STAT else 2
    elif kind == V:
        if obj["group"] == 120:  # variation 3: aggressive mode request, 4: session key status request
            if len(cols) == 2:
                obj["auth"] = [{"variation_name": "aggressive_mode_request", "csq": c, "user": u}
                               for c, u in zip(cols[0], cols[1], strict=True)]
            else:
                obj["auth"] = [{"variation_name": "session_key_status_request", "user": u} for u in cols[0]]
        else:
            vals = list(cols[0])
            obj["values"] = _finite(vals) if fmt == "f" else vals
        rest = 1
    elif kind == SV:
        obj["statuses"] = list(cols[0])
        vals = list(cols[1])
        obj["values"] = _finite(vals) if fmt[1] in "fd" else vals
        rest = 2
    elif kind == TIME:
        obj["values"] = [(lo | hi << 32) / 1000.0 for lo, hi in zip(cols[0], cols[1], strict=True)]
        rest = 2
    elif kind == CROB:
        obj["commands"] = _crobs(indexes, cols)
        rest = 5
    else:  # AOB
        vals = list(cols[0])
        if fmt[0] in "fd":
            vals = _finite(vals)
        obj["commands"] = [
            {"index": indexes[i] if indexes else None, "value": vals[i], "status": s,
             "status_name": CONTROL_STATUS[s & 0x7F]}
            for i, s in enumerate(cols[1])]
        rest = 2
    if tkind == T_ABS:
        obj["times"] = [(lo | hi << 32) / 1000.0 for lo, hi in zip(cols[rest], cols[rest + 1], strict=True)]
    elif tkind == T_REL:
        obj["relative_times_ms"] = list(cols[rest])
    elif tkind == T_INTERVAL:
        obj["intervals_ms"] = list(cols[2])
        if len(cols) > 3:
            obj["interval_units"] = list(cols[3])
    return off + size * n


def _crobs(indexes: list[int], cols: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    out = []
    for i, (code, count, on, off, status) in enumerate(zip(*cols, strict=True)):
        out.append({
            "index": indexes[i] if indexes else None,
            "control_code": code,
            "operation_type": OPERATION_TYPES[code & 0x0F],
            "queue": bool(code & 0x10),
            "clear": bool(code & 0x20),
            "trip_close": TRIP_CLOSE[code >> 6],
            "count": count,
            "on_time": on,
            "off_time": off,
            "status": status,
            "status_name": CONTROL_STATUS[status & 0x7F],
        })
    return out


__all__ = ["ObjectError", "parse_objects"]
