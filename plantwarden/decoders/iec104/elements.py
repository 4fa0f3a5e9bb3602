"""IEC 60870-5-101/104 information elements: one reader per type id.

``ELEMENTS[type_id]`` is ``(size, reader)``: the element size in bytes (without the 3-byte
information object address) and a function ``reader(buf, off, obj)`` that puts the element's value
fields into the object dict ``obj``. The caller guarantees ``size`` bytes at ``off``; readers never
loop over bytes and never raise on any byte values. File segments (F_SG_NA_1) have a variable size
(``size`` is the fixed part; the caller reads the segment length).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from typing import Any, Final

from plantwarden.decoders.iec104.constants import (
    COI_NAMES,
    DPI_NAMES,
    FRZ_NAMES,
    KPA_NAMES,
    QOI_TEXT,
    QPA_NAMES,
    QRP_NAMES,
    QU_NAMES,
    RCS_NAMES,
    RQT_NAMES,
    name_of,
)

Obj = dict[str, Any]
Reader = Callable[[bytes, int, Obj], None]

_h = struct.Struct("<h").unpack_from
_H = struct.Struct("<H").unpack_from
_i = struct.Struct("<i").unpack_from
_I = struct.Struct("<I").unpack_from
_f = struct.Struct("<f").unpack_from


def _flags(b: int, bits: tuple[tuple[int, str], ...]) -> tuple[str, ...]:
    return tuple(n for m, n in bits if b & m)


_Q = ((0x10, "bl"), (0x20, "sb"), (0x40, "nt"), (0x80, "iv"))
#: quality flags of SIQ/DIQ (value in the low bits), QDS (bit 0 = overflow), QDP/SEP (bit 3 =
#: elapsed time invalid) and BCR (carry, counter adjusted, invalid), indexed by the byte
SIQ_Q: Final = tuple(_flags(b, _Q) for b in range(256))
QDS_Q: Final = tuple(_flags(b, ((0x01, "ov"), *_Q)) for b in range(256))
QDP_Q: Final = tuple(_flags(b, ((0x08, "ei"), *_Q)) for b in range(256))
BCR_Q: Final = tuple(_flags(b, ((0x20, "cy"), (0x40, "ca"), (0x80, "iv"))) for b in range(256))
QU_TEXT: Final = tuple(name_of(QU_NAMES, q) for q in range(32))


def cp56(buf: bytes, off: int) -> str:
    """CP56Time2a as ISO text ``YYYY-MM-DDTHH:MM:SS.mmm`` (the station's clock; no validation, so
    nonsense dates render as they are). The 7-bit year is read as Wireshark does: 0-69 are
    2000-2069, 70-127 are 1970-2027."""
    ms = buf[off] | buf[off + 1] << 8
    y = buf[off + 6] & 0x7F
    return (f"{(1900 if y >= 70 else 2000) + y:04d}-{buf[off + 5] & 0x0F:02d}-{buf[off + 4] & 0x1F:02d}"
            f"T{buf[off + 3] & 0x1F:02d}:{buf[off + 2] & 0x3F:02d}:{ms // 1000:02d}.{ms % 1000:03d}")


def cp24(buf: bytes, off: int) -> str:
    """CP24Time2a (minutes and milliseconds of the hour) as ``MM:SS.mmm``."""
    ms = buf[off] | buf[off + 1] << 8
    return f"{buf[off + 2] & 0x3F:02d}:{ms // 1000:02d}.{ms % 1000:03d}"


def _time56(buf: bytes, off: int, obj: Obj) -> None:
    obj["time"] = cp56(buf, off)
    obj["time_invalid"] = bool(buf[off + 2] & 0x80)
    obj["summer_time"] = bool(buf[off + 3] & 0x80)


def _time24(buf: bytes, off: int, obj: Obj) -> None:
    obj["time"] = cp24(buf, off)
    obj["time_invalid"] = bool(buf[off + 2] & 0x80)


def _float(buf: bytes, off: int) -> float | None:
    v: float = _f(buf, off)[0]
    return v if math.isfinite(v) else None


# -- monitoring ------------------------------------------------------------------------------------

def _sp(buf: bytes, off: int, obj: Obj) -> None:
    b = buf[off]
    obj["value"] = b & 1
    obj["quality"] = SIQ_Q[b]


def _dp(buf: bytes, off: int, obj: Obj) -> None:
    b = buf[off]
    obj["value"] = b & 3
    obj["state"] = DPI_NAMES[b & 3]
    obj["quality"] = SIQ_Q[b]


def _st(buf: bytes, off: int, obj: Obj) -> None:
    v = buf[off]
    obj["value"] = (v & 0x7F) - 128 if v & 0x40 else v & 0x7F
    obj["transient"] = bool(v & 0x80)
    obj["quality"] = QDS_Q[buf[off + 1]]


def _bo(buf: bytes, off: int, obj: Obj) -> None:
    obj["value"] = _I(buf, off)[0]
    obj["quality"] = QDS_Q[buf[off + 4]]


def _nva(buf: bytes, off: int, obj: Obj) -> None:
    obj["value"] = _h(buf, off)[0] / 32768.0
    obj["quality"] = QDS_Q[buf[off + 2]]


def _sva(buf: bytes, off: int, obj: Obj) -> None:
    obj["value"] = _h(buf, off)[0]
    obj["quality"] = QDS_Q[buf[off + 2]]


def _r32(buf: bytes, off: int, obj: Obj) -> None:
    obj["value"] = _float(buf, off)
    obj["quality"] = QDS_Q[buf[off + 4]]


def _it(buf: bytes, off: int, obj: Obj) -> None:
    obj["value"] = _i(buf, off)[0]
    q = buf[off + 4]
    obj["sequence"] = q & 0x1F
    obj["quality"] = BCR_Q[q]


def _ep_a(buf: bytes, off: int, obj: Obj) -> None:  # SEP + CP16 elapsed time
    b = buf[off]
    obj["value"] = b & 3
    obj["state"] = DPI_NAMES[b & 3]
    obj["quality"] = QDP_Q[b]
    obj["elapsed_ms"] = _H(buf, off + 1)[0]


def _ep_bc(buf: bytes, off: int, obj: Obj) -> None:  # SPE or OCI + QDP + CP16
    obj["value"] = buf[off]
    obj["quality"] = QDP_Q[buf[off + 1]]
    obj["elapsed_ms"] = _H(buf, off + 2)[0]


def _ps(buf: bytes, off: int, obj: Obj) -> None:  # SCD + QDS
    obj["value"] = _H(buf, off)[0]
    obj["changed"] = _H(buf, off + 2)[0]
    obj["quality"] = QDS_Q[buf[off + 4]]


def _nva_nq(buf: bytes, off: int, obj: Obj) -> None:
    obj["value"] = _h(buf, off)[0] / 32768.0


# -- commands --------------------------------------------------------------------------------------

def _cmd_common(b: int, obj: Obj) -> None:
    obj["select"] = bool(b & 0x80)
    q = (b >> 2) & 0x1F
    obj["qualifier"] = q
    obj["qualifier_name"] = QU_TEXT[q]


def _sc(buf: bytes, off: int, obj: Obj) -> None:
    b = buf[off]
    obj["value"] = b & 1
    _cmd_common(b, obj)


def _dc(buf: bytes, off: int, obj: Obj) -> None:
    b = buf[off]
    obj["value"] = b & 3
    obj["state"] = DPI_NAMES[b & 3]
    _cmd_common(b, obj)


def _rc(buf: bytes, off: int, obj: Obj) -> None:
    b = buf[off]
    obj["value"] = b & 3
    obj["state"] = RCS_NAMES[b & 3]
    _cmd_common(b, obj)


def _qos(b: int, obj: Obj) -> None:
    obj["select"] = bool(b & 0x80)
    obj["qualifier"] = b & 0x7F


def _se_a(buf: bytes, off: int, obj: Obj) -> None:
    obj["value"] = _h(buf, off)[0] / 32768.0
    _qos(buf[off + 2], obj)


def _se_b(buf: bytes, off: int, obj: Obj) -> None:
    obj["value"] = _h(buf, off)[0]
    _qos(buf[off + 2], obj)


def _se_c(buf: bytes, off: int, obj: Obj) -> None:
    obj["value"] = _float(buf, off)
    _qos(buf[off + 4], obj)


def _bo_cmd(buf: bytes, off: int, obj: Obj) -> None:
    obj["value"] = _I(buf, off)[0]


# -- system ----------------------------------------------------------------------------------------

def _ei(buf: bytes, off: int, obj: Obj) -> None:
    b = buf[off]
    obj["value"] = b & 0x7F
    obj["value_name"] = name_of(COI_NAMES, b & 0x7F)
    obj["parameters_changed"] = bool(b & 0x80)


def _ic(buf: bytes, off: int, obj: Obj) -> None:
    b = buf[off]
    obj["value"] = b
    obj["value_name"] = QOI_TEXT[b]


def _ci(buf: bytes, off: int, obj: Obj) -> None:
    b = buf[off]
    obj["value"] = b
    obj["value_name"] = name_of(RQT_NAMES, b & 0x3F)
    obj["freeze"] = FRZ_NAMES[b >> 6]


def _rd(buf: bytes, off: int, obj: Obj) -> None:
    return None


def _cs(buf: bytes, off: int, obj: Obj) -> None:
    _time56(buf, off, obj)


def _ts(buf: bytes, off: int, obj: Obj) -> None:
    obj["value"] = _H(buf, off)[0]


def _rp(buf: bytes, off: int, obj: Obj) -> None:
    b = buf[off]
    obj["value"] = b
    obj["value_name"] = name_of(QRP_NAMES, b)


def _cd(buf: bytes, off: int, obj: Obj) -> None:
    obj["value"] = _H(buf, off)[0]  # delay in ms


# -- parameters ------------------------------------------------------------------------------------

def _qpm(b: int, obj: Obj) -> None:
    obj["kind"] = name_of(KPA_NAMES, b & 0x3F)
    obj["local_change"] = bool(b & 0x40)
    obj["in_operation"] = not b & 0x80


def _pa(buf: bytes, off: int, obj: Obj) -> None:
    obj["value"] = _h(buf, off)[0] / 32768.0
    _qpm(buf[off + 2], obj)


def _pb(buf: bytes, off: int, obj: Obj) -> None:
    obj["value"] = _h(buf, off)[0]
    _qpm(buf[off + 2], obj)


def _pc(buf: bytes, off: int, obj: Obj) -> None:
    obj["value"] = _float(buf, off)
    _qpm(buf[off + 4], obj)


def _ac(buf: bytes, off: int, obj: Obj) -> None:
    b = buf[off]
    obj["value"] = b
    obj["value_name"] = name_of(QPA_NAMES, b)


# -- file transfer ---------------------------------------------------------------------------------

def _lof(buf: bytes, off: int) -> int:
    return buf[off] | buf[off + 1] << 8 | buf[off + 2] << 16


def _fr(buf: bytes, off: int, obj: Obj) -> None:  # NOF LOF FRQ
    obj["file"] = _H(buf, off)[0]
    obj["length"] = _lof(buf, off + 2)
    obj["qualifier"] = buf[off + 5]


def _sr(buf: bytes, off: int, obj: Obj) -> None:  # NOF NOS LOF SRQ
    obj["file"] = _H(buf, off)[0]
    obj["section"] = buf[off + 2]
    obj["length"] = _lof(buf, off + 3)
    obj["qualifier"] = buf[off + 6]


def _sc_f(buf: bytes, off: int, obj: Obj) -> None:  # NOF NOS SCQ / AFQ
    obj["file"] = _H(buf, off)[0]
    obj["section"] = buf[off + 2]
    obj["qualifier"] = buf[off + 3]


def _ls(buf: bytes, off: int, obj: Obj) -> None:  # NOF NOS LSQ CHS
    _sc_f(buf, off, obj)
    obj["checksum"] = buf[off + 4]


def _sg(buf: bytes, off: int, obj: Obj) -> None:  # NOF NOS LOS (segment follows)
    obj["file"] = _H(buf, off)[0]
    obj["section"] = buf[off + 2]
    obj["length"] = buf[off + 3]


def _dr(buf: bytes, off: int, obj: Obj) -> None:  # NOF LOF SOF CP56
    obj["file"] = _H(buf, off)[0]
    obj["length"] = _lof(buf, off + 2)
    obj["status"] = buf[off + 5]
    _time56(buf, off + 6, obj)


def _sc_nb(buf: bytes, off: int, obj: Obj) -> None:  # NOF, range start and stop (CP56 each)
    obj["file"] = _H(buf, off)[0]
    obj["range_start"] = cp56(buf, off + 2)
    obj["range_stop"] = cp56(buf, off + 9)


def _with24(size: int, read: Reader) -> tuple[int, Reader]:
    def reader(buf: bytes, off: int, obj: Obj) -> None:
        read(buf, off, obj)
        _time24(buf, off + size, obj)
    return size + 3, reader


def _with56(size: int, read: Reader) -> tuple[int, Reader]:
    def reader(buf: bytes, off: int, obj: Obj) -> None:
        read(buf, off, obj)
        _time56(buf, off + size, obj)
    return size + 7, reader


#: type id -> (element size without the IOA, reader)
ELEMENTS: Final[dict[int, tuple[int, Reader]]] = {
    1: (1, _sp), 2: _with24(1, _sp), 3: (1, _dp), 4: _with24(1, _dp), 5: (2, _st), 6: _with24(2, _st),
    7: (5, _bo), 8: _with24(5, _bo), 9: (3, _nva), 10: _with24(3, _nva), 11: (3, _sva), 12: _with24(3, _sva),
    13: (5, _r32), 14: _with24(5, _r32), 15: (5, _it), 16: _with24(5, _it), 17: _with24(3, _ep_a),
    18: _with24(4, _ep_bc), 19: _with24(4, _ep_bc), 20: (5, _ps), 21: (2, _nva_nq),
    30: _with56(1, _sp), 31: _with56(1, _dp), 32: _with56(2, _st), 33: _with56(5, _bo), 34: _with56(3, _nva),
    35: _with56(3, _sva), 36: _with56(5, _r32), 37: _with56(5, _it), 38: _with56(3, _ep_a),
    39: _with56(4, _ep_bc), 40: _with56(4, _ep_bc),
    45: (1, _sc), 46: (1, _dc), 47: (1, _rc), 48: (3, _se_a), 49: (3, _se_b), 50: (5, _se_c), 51: (4, _bo_cmd),
    58: _with56(1, _sc), 59: _with56(1, _dc), 60: _with56(1, _rc), 61: _with56(3, _se_a),
    62: _with56(3, _se_b), 63: _with56(5, _se_c), 64: _with56(4, _bo_cmd),
    70: (1, _ei),
    100: (1, _ic), 101: (1, _ci), 102: (0, _rd), 103: (7, _cs), 104: (2, _ts), 105: (1, _rp), 106: (2, _cd),
    107: _with56(2, _ts),
    110: (3, _pa), 111: (3, _pb), 112: (5, _pc), 113: (1, _ac),
    120: (6, _fr), 121: (7, _sr), 122: (4, _sc_f), 123: (5, _ls), 124: (4, _sc_f), 125: (4, _sg),
    126: (13, _dr), 127: (16, _sc_nb),
}
#: F_SG_NA_1: the segment's length is the last byte of the fixed part
SEGMENT_TYPE: Final = 125
