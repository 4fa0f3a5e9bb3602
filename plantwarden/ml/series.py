"""Process values read off the wire, as per-point time series (docs/ml.md, "Process values").

``ValueRecorder`` is a sensor sink (``plantwarden.sensor.pipeline.Sink``). From the decoders' events it
keeps, per point, the values a master read from or wrote to a server, with their capture time:

* Modbus/TCP: holding and input registers (FC 3, 4 responses; FC 6, 16, 23 writes), coils and discrete
  inputs (FC 1, 2 responses; FC 5, 15 writes). A point is ``<server>/unit<u>/<space>/<address>``, the
  space being ``holding``, ``input``, ``coil`` or ``discrete``; values are the raw 16-bit registers or
  bits.
* S7comm: read-variable responses and write-variable jobs. A point is ``<server>/<area>[<db>]/<type>
  <byte>`` (``10.0.0.5/db1/real4``; bits ``x<byte>.<bit>``), the value decoded by the item's transport
  size (bit, word, int, dword, dint, real); arrays give one point per element. An area read as bytes
  (two or more) gives its 16-bit words, ``<server>/<area>[<db>]/w/<byte>``, typed like Modbus registers.

* IEC 60870-5-104: monitoring objects from the controlled station (single and double points, step
  positions, bitstrings, normalised, scaled and short-float measured values, integrated totals) and
  commands with cause activation (single, double, regulating step commands, set-points). A point is
  ``<station>/ca<common address>/ioa<address>``; values flagged invalid (``iv``) are left out.
* DNP3: the points of responses and unsolicited responses (binary and double-bit inputs, binary outputs,
  counters, frozen counters, analog inputs, analog outputs; events as the point they report) and the
  values of analog output commands (g41). A point is ``<outstation>/<kind>/<index>``, ``kind`` the object
  group without its event/status/command suffix (``analog_input``, ``analog_output`` ...).

Where a point is read and written, both land in its series (``source`` says which). The recorder keeps
at most ``max_points`` points and ``max_samples`` samples per point (oldest half dropped when full);
what it could not keep is counted in ``dropped``, never an error.

``guess_types`` says what a Modbus register most likely holds (bool, uint16, int16, or the first word
of a 32-bit float or integer in either word order) from its values, with the reason; the user corrects
it (``PointType``) and ``frame`` then builds a regular grid: one row per ``step`` seconds, each column
the last value of its point at or before that time (nothing before its first sample: NaN), decoded
through its type and scaled (``scale``, ``offset``) into engineering units.
"""

from __future__ import annotations

import math
import os
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt

from plantwarden.core.events import Event
from plantwarden.core.flow import Flow

DType = Literal["bool", "uint16", "int16", "float32_abcd", "float32_cdab", "uint32_abcd", "uint32_cdab",
                "int32_abcd", "int32_cdab", "float", "int"]
DTYPES: Final[tuple[str, ...]] = ("bool", "uint16", "int16", "float32_abcd", "float32_cdab", "uint32_abcd",
                                  "uint32_cdab", "int32_abcd", "int32_cdab", "float", "int")
#: 32-bit types built of this register and the next one
PAIRED: Final = frozenset({"float32_abcd", "float32_cdab", "uint32_abcd", "uint32_cdab", "int32_abcd",
                           "int32_cdab"})

_MODBUS_READS: Final = {
    "modbus_read_holding_registers_response": "holding",
    "modbus_read_input_registers_response": "input",
    "modbus_read_coils_response": "coil",
    "modbus_read_discrete_inputs_response": "discrete",
    "modbus_read_write_multiple_registers_response": "holding",
}
_MODBUS_WRITES: Final = {
    "modbus_write_single_register_request": "holding",
    "modbus_write_multiple_registers_request": "holding",
    "modbus_read_write_multiple_registers_request": "holding",
    "modbus_write_single_coil_request": "coil",
    "modbus_write_multiple_coils_request": "coil",
}
_IEC104_VALUES: Final = frozenset({
    "M_SP_NA_1", "M_SP_TA_1", "M_DP_NA_1", "M_DP_TA_1", "M_ST_NA_1", "M_ST_TA_1", "M_BO_NA_1", "M_BO_TA_1",
    "M_ME_NA_1", "M_ME_TA_1", "M_ME_NB_1", "M_ME_TB_1", "M_ME_NC_1", "M_ME_TC_1", "M_ME_ND_1", "M_IT_NA_1",
    "M_IT_TA_1", "M_SP_TB_1", "M_DP_TB_1", "M_ST_TB_1", "M_BO_TB_1", "M_ME_TD_1", "M_ME_TE_1", "M_ME_TF_1",
    "M_IT_TB_1", "C_SC_NA_1", "C_DC_NA_1", "C_RC_NA_1", "C_SE_NA_1", "C_SE_NB_1", "C_SE_NC_1", "C_BO_NA_1",
    "C_SC_TA_1", "C_DC_TA_1", "C_RC_TA_1", "C_SE_TA_1", "C_SE_TB_1", "C_SE_TC_1", "C_BO_TA_1"})
#: DNP3 object groups whose points are process values, by the kind of point they are
_DNP3_KINDS: Final = {1: "binary_input", 2: "binary_input", 3: "double_bit_input", 4: "double_bit_input",
                      10: "binary_output", 11: "binary_output", 20: "counter", 22: "counter",
                      21: "frozen_counter", 23: "frozen_counter", 30: "analog_input", 32: "analog_input",
                      31: "frozen_analog_input", 33: "frozen_analog_input", 40: "analog_output",
                      42: "analog_output"}
_DNP3_EVENTS: Final = frozenset({"dnp3_response", "dnp3_unsolicited_response", "dnp3_operate_request",
                                 "dnp3_direct_operate_request", "dnp3_direct_operate_no_ack_request"})
#: the field with the first address, where it is not ``address`` (FC 23 reads and writes two ranges)
_ADDRESS_FIELD: Final = {"modbus_read_write_multiple_registers_request": "write_address",
                         "modbus_read_write_multiple_registers_response": "read_address"}
#: every event name the recorder takes values from
VALUE_EVENTS: Final = frozenset({*_MODBUS_READS, *_MODBUS_WRITES, "s7comm_read_var_response",
                                 "s7comm_write_var_request", *_DNP3_EVENTS,
                                 *(f"iec104_{t.lower()}" for t in _IEC104_VALUES)})
_S7_SIZES: Final = {"bit": 1, "byte": 1, "char": 1, "word": 2, "int": 2, "dword": 4, "dint": 4, "real": 4}
_S7_AREAS: Final = {"inputs": "i", "outputs": "q", "flags": "m", "db": "db", "di": "di", "peripheral": "p"}


@dataclass(slots=True)
class Point:
    """One process value of one server, with what was seen of it."""

    key: str
    server: str
    protocol: str
    space: str
    address: int
    raw: bool = True  # 16-bit words whose type is guessed (Modbus registers, S7 byte arrays)
    step: int = 1  # address units from one word to the next (Modbus 1, S7 bytes 2)
    samples_ts: list[float] = field(default_factory=list)
    samples_v: list[float] = field(default_factory=list)
    reads: int = 0
    writes: int = 0
    writers: set[str] = field(default_factory=set)
    last_writer: str | None = None

    def add(self, ts: float, value: float, limit: int) -> bool:
        """Append a sample; False when the oldest half had to go to make room."""
        dropped = False
        if len(self.samples_ts) >= limit:
            half = limit // 2
            del self.samples_ts[:half]
            del self.samples_v[:half]
            dropped = True
        self.samples_ts.append(ts)
        self.samples_v.append(value)
        return dropped

    def arrays(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        ts = np.asarray(self.samples_ts, dtype=np.float64)
        v = np.asarray(self.samples_v, dtype=np.float64)
        order = np.argsort(ts, kind="stable")  # several flows interleave: keep capture time order
        return ts[order], v[order]


def _int(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


class ValueRecorder:
    """A sensor sink that keeps per-point series of the process values seen (see the module's doc)."""

    def __init__(self, max_points: int = 20_000, max_samples: int = 200_000, track: bool = False,
                 wanted: frozenset[str] | None = None) -> None:
        self.track = track
        #: only these point keys are kept (None: all); a scorer needs just its model's points
        self.wanted = wanted
        self._prefixes = frozenset(k.rsplit("/", 1)[0] for k in wanted) if wanted is not None else None
        #: with ``track``, the keys of the points each event added a sample to (the caller clears it)
        self.touched: list[str] = []
        self.max_points = max_points
        self.max_samples = max(2, max_samples)
        self.points: dict[str, Point] = {}
        self.dropped: dict[str, int] = {"points": 0, "samples": 0, "values": 0}

    # ------------------------------------------------------------------ sink

    def on_flow_end(self, capture: str, flow: Flow) -> None:
        return None

    def on_event(self, capture: str, flow: Flow | None, ev: Event) -> None:
        if flow is None or ev.is_weird:
            return
        name = ev.name
        if name.startswith("modbus_"):
            self._modbus(flow, ev)
        elif name in ("s7comm_read_var_response", "s7comm_write_var_request"):
            self._s7(flow, ev)
        elif name.startswith("iec104_"):
            self._iec104(flow, ev)
        elif name in _DNP3_EVENTS:
            self._dnp3(flow, ev)

    # ------------------------------------------------------------------ protocols

    def _point(self, server: str, protocol: str, space: str, address: int, key: str, raw: bool = True,
               step: int = 1) -> Point | None:
        p = self.points.get(key)
        if p is None:
            if self.wanted is not None and key not in self.wanted:
                return None
            if len(self.points) >= self.max_points:
                self.dropped["points"] += 1
                return None
            p = self.points[key] = Point(key, server, protocol, space, address, raw, step)
        return p

    def _sample(self, p: Point, ts: float, value: float, write: bool, client: str) -> None:
        if write:
            p.writes += 1
            p.last_writer = client
            if len(p.writers) < 64:
                p.writers.add(client)
        else:
            p.reads += 1
        if p.add(ts, value, self.max_samples):
            self.dropped["samples"] += self.max_samples // 2
        if self.track:
            self.touched.append(p.key)

    def _modbus(self, flow: Flow, ev: Event) -> None:
        f = ev.fields
        read_space = _MODBUS_READS.get(ev.name)
        write_space = _MODBUS_WRITES.get(ev.name)
        space = read_space or write_space
        if space is None or f.get("exception_code") is not None:
            return
        unit = _int(f.get("unit_id"))
        addr = _int(f.get(_ADDRESS_FIELD.get(ev.name, "address")))
        values = f.get("values")
        if unit is None or addr is None or not isinstance(values, list):
            return
        server, client = flow.resp_addr, flow.orig_addr
        prefix = f"{server}/unit{unit}/{space}"
        wanted = self.wanted
        if self._prefixes is not None and prefix not in self._prefixes:
            return
        bits = space in ("coil", "discrete")
        for i, v in enumerate(values):
            iv = _int(v)
            if iv is None or addr + i > 0xFFFF or not (0 <= iv <= 0xFFFF):
                self.dropped["values"] += 1
                continue
            a = addr + i
            key = f"{prefix}/{a}"
            if wanted is not None and key not in wanted:
                continue
            p = self._point(server, "modbus", space, a, key)
            if p is not None:
                self._sample(p, ev.ts, float(1 if (bits and iv) else iv), write_space is not None, client)

    def _s7(self, flow: Flow, ev: Event) -> None:
        items = ev.fields.get("items")
        if not isinstance(items, list):
            return
        write = ev.name == "s7comm_write_var_request"
        server, client = flow.resp_addr, flow.orig_addr
        for it in items:
            if not isinstance(it, Mapping):
                continue
            if not write and it.get("return_code") not in (None, "success"):
                continue
            tsize, area, hexv = it.get("transport_size"), it.get("area"), it.get("value")
            byte_addr = _int(it.get("byte_address"))
            if not isinstance(tsize, str) or tsize not in _S7_SIZES or not isinstance(hexv, str) \
                    or byte_addr is None or not isinstance(area, str) or area not in _S7_AREAS:
                continue
            try:
                raw = bytes.fromhex(hexv)
            except ValueError:
                self.dropped["values"] += 1
                continue
            where = _S7_AREAS[str(area)]
            db = _int(it.get("db_number"))
            if where in ("db", "di") and db is not None:
                where = f"{where}{db}"
            if tsize in ("byte", "char") and len(raw) >= 2:  # an area read as bytes: its 16-bit words
                for off in range(0, len(raw) - 1, 2):
                    a = byte_addr + off
                    p = self._point(server, "s7comm", f"{where}/w", a, f"{server}/{where}/w/{a}", True, 2)
                    if p is not None:
                        self._sample(p, ev.ts, float(int.from_bytes(raw[off:off + 2], "big")), write, client)
                continue
            for offset, value in _s7_values(tsize, raw):
                if tsize == "bit":
                    bit = (_int(it.get("bit_address")) or 0)
                    key = f"{server}/{where}/x{byte_addr}.{bit}"
                    address = byte_addr * 8 + bit
                else:
                    key = f"{server}/{where}/{tsize}{byte_addr + offset}"
                    address = byte_addr + offset
                p = self._point(server, "s7comm", f"{where}/{tsize}", address, key, False)
                if p is not None:
                    self._sample(p, ev.ts, value, write, client)


    def _iec104(self, flow: Flow, ev: Event) -> None:
        f = ev.fields
        tname, objects, ca = f.get("type_name"), f.get("objects"), _int(f.get("common_address"))
        if not isinstance(tname, str) or tname not in _IEC104_VALUES or not isinstance(objects, list) or ca is None \
                or f.get("negative"):
            return
        command = str(tname).startswith("C_")
        if command and f.get("cause") != 6:  # only activations write; confirmations echo them
            return
        server, client = flow.resp_addr, flow.orig_addr
        for obj in objects:
            if not isinstance(obj, Mapping):
                continue
            ioa, value, quality = _int(obj.get("ioa")), obj.get("value"), obj.get("quality") or ()
            if ioa is None or isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not math.isfinite(value) or (isinstance(quality, list) and "iv" in quality):
                self.dropped["values"] += 1
                continue
            p = self._point(server, "iec104", f"ca{ca}", ioa, f"{server}/ca{ca}/ioa{ioa}", False)
            if p is not None:
                self._sample(p, ev.ts, float(value), command, client)

    def _dnp3(self, flow: Flow, ev: Event) -> None:
        objects = ev.fields.get("objects")
        if not isinstance(objects, list):
            return
        request = ev.name.endswith("_request")
        server, client = flow.resp_addr, flow.orig_addr
        for obj in objects:
            if not isinstance(obj, Mapping):
                continue
            group = _int(obj.get("group"))
            if request:
                if group != 41 or not isinstance(obj.get("commands"), list):
                    continue
                pairs = [(_int(c.get("index")), c.get("value")) for c in obj["commands"] if isinstance(c, Mapping)]
                kind = "analog_output"
            else:
                kind = _DNP3_KINDS.get(group or -1, "")
                idx, vals = obj.get("indexes"), obj.get("values")
                if not kind or not isinstance(idx, list) or not isinstance(vals, list):
                    continue
                pairs = [(_int(i), v) for i, v in zip(idx, vals, strict=False)]
            for index, value in pairs:
                if index is None or isinstance(value, bool) or not isinstance(value, (int, float)) \
                        or not math.isfinite(value):
                    self.dropped["values"] += 1
                    continue
                p = self._point(server, "dnp3", kind, index, f"{server}/{kind}/{index}", False)
                if p is not None:
                    self._sample(p, ev.ts, float(value), request, client)


def record(path: str | os.PathLike[str]) -> dict[str, Point]:
    """The process values of one capture file (a ``ValueRecorder`` behind the sensor)."""
    from plantwarden.sensor.pipeline import Sensor

    rec = ValueRecorder()
    Sensor(sinks=[rec]).process_file(path)
    return rec.points


def _s7_values(tsize: str, raw: bytes) -> Iterable[tuple[int, float]]:
    """(byte offset, value) of each element of an S7 data item."""
    if tsize == "bit":
        if raw:
            yield 0, float(raw[0] & 1)
        return
    size = _S7_SIZES[tsize]
    fmt = {"byte": ">B", "char": ">B", "word": ">H", "int": ">h", "dword": ">I", "dint": ">i", "real": ">f"}[tsize]
    for off in range(0, len(raw) - size + 1, size):
        (v,) = struct.unpack_from(fmt, raw, off)
        fv = float(v)
        if math.isfinite(fv):
            yield off, fv


# ------------------------------------------------------------------------------------------- types


@dataclass(frozen=True, slots=True)
class TypeGuess:
    key: str
    dtype: str
    reason: str


@dataclass(frozen=True, slots=True)
class PointType:
    """How to read a point: its data type (``DTYPES``), unit, and a linear scale into engineering units."""

    dtype: str = "uint16"
    unit: str = ""
    scale: float = 1.0
    offset: float = 0.0
    name: str = ""


def _plausible_floats(hi: npt.NDArray[np.float64], lo: npt.NDArray[np.float64]) -> float:
    """The share of (hi, lo) word pairs that read as an ordinary float32 (0, or 1e-4 <= |x| <= 1e7)."""
    with np.errstate(invalid="ignore"):
        words = (np.clip(hi, 0, 0xFFFF).astype(np.uint32) << 16) | np.clip(lo, 0, 0xFFFF).astype(np.uint32)
        f = words.view(np.float32).astype(np.float64)
    ok = np.isfinite(f) & ((f == 0) | ((np.abs(f) >= 1e-4) & (np.abs(f) <= 1e7)))
    return float(ok.mean()) if len(f) else 0.0


def _aligned(a: Point, b: Point) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]] | None:
    """The two registers' values sampled together (same timestamps: read by one request)."""
    ta, va = a.arrays()
    tb, vb = b.arrays()
    common, ia, ib = np.intersect1d(ta, tb, return_indices=True)
    if len(common) < 3:
        return None
    return va[ia], vb[ib]


def guess_types(points: Mapping[str, Point]) -> dict[str, TypeGuess]:
    """A data type for every point, with why (see the module's doc). Pairs are looked for among
    Modbus registers with consecutive addresses of one server and unit read in the same responses."""
    out: dict[str, TypeGuess] = {}
    by_addr = {(p.server, p.key.rsplit("/", 1)[0], p.address): p for p in points.values() if p.raw}
    for key, p in sorted(points.items(), key=lambda kv: (kv[1].server, kv[1].space, kv[1].address)):
        if key in out:
            continue
        _ts, v = p.arrays()
        if not p.raw:
            out[key] = TypeGuess(key, "float", "decoded from the S7 item's transport size")
            continue
        if p.space in ("coil", "discrete"):
            out[key] = TypeGuess(key, "bool", "a coil or discrete input")
            continue
        nxt = by_addr.get((p.server, key.rsplit("/", 1)[0], p.address + p.step))
        if nxt is not None and nxt.key not in out and len(v) >= 3:
            pair = _aligned(p, nxt)
            if pair is not None:
                hi, lo = pair
                abcd, cdab = _plausible_floats(hi, lo), _plausible_floats(lo, hi)
                varied = len(np.unique(lo)) > 2 or len(np.unique(hi)) > 2
                if varied and max(abcd, cdab) >= 0.99 and np.any(hi >= 0x3000) | np.any(lo >= 0x3000):
                    dtype = "float32_abcd" if abcd >= cdab else "float32_cdab"
                    out[key] = TypeGuess(key, dtype, f"with the next register, {max(abcd, cdab):.0%} of the "
                                                     f"pairs read as ordinary 32-bit floats "
                                                     f"({'high word first' if dtype.endswith('abcd') else 'low word first'})")
                    out[nxt.key] = TypeGuess(nxt.key, dtype + ":low", f"the second word of {key}")
                    continue
        if len(v) and np.all((v == 0) | (v == 1)) and len(np.unique(v)) == 2:
            out[key] = TypeGuess(key, "bool", "only 0 and 1 seen")
        elif len(v) and np.any(v >= 0x8000) and np.all((v >= 0xC000) | (v < 0x4000)):
            out[key] = TypeGuess(key, "int16", "values near 0 and near 65535: a signed register around zero")
        else:
            out[key] = TypeGuess(key, "uint16", "an unsigned 16-bit register")
    return out


# ------------------------------------------------------------------------------------------- frames


@dataclass(frozen=True, slots=True)
class Frame:
    """Process values on a time grid: ``values[i, j]`` is column ``j`` at ``ts[i]`` (epoch seconds)."""

    ts: npt.NDArray[np.float64]
    values: npt.NDArray[np.float64]
    columns: tuple[str, ...]
    units: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.values.ndim != 2 or self.values.shape != (len(self.ts), len(self.columns)):
            raise ValueError(f"values {self.values.shape} do not fit {len(self.ts)} rows and "
                             f"{len(self.columns)} columns")


def _decode(dtype: str, hi: npt.NDArray[np.float64], lo: npt.NDArray[np.float64] | None) -> npt.NDArray[np.float64]:
    if dtype in ("float", "int", "uint16", "bool"):
        return hi
    if dtype == "int16":
        return np.where(hi >= 0x8000, hi - 0x10000, hi)
    if lo is None:
        return np.full_like(hi, np.nan)
    a, b = (hi, lo) if dtype.endswith("abcd") else (lo, hi)
    ok = np.isfinite(a) & np.isfinite(b)
    words = ((np.clip(np.where(ok, a, 0), 0, 0xFFFF).astype(np.uint32) << 16)
             | np.clip(np.where(ok, b, 0), 0, 0xFFFF).astype(np.uint32))
    if dtype.startswith("float32"):
        out = words.view(np.float32).astype(np.float64)
    elif dtype.startswith("int32"):
        out = words.view(np.int32).astype(np.float64)
    else:
        out = words.astype(np.float64)
    return np.where(ok, out, np.nan)


def low_word_key(key: str) -> str | None:
    """The point holding the second word of a 32-bit value that starts at ``key``: the next register
    (Modbus) or the next 16-bit word (S7 ``.../w/<byte>``, two bytes on); None for a key without an address."""
    base, _, addr = key.rpartition("/")
    if not addr.isdigit():
        return None
    return f"{base}/{int(addr) + (2 if base.endswith('/w') else 1)}"


def _last_on_grid(ts: npt.NDArray[np.float64], v: npt.NDArray[np.float64],
                  grid: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    idx = np.searchsorted(ts, grid, side="right") - 1
    out = np.full(len(grid), np.nan)
    ok = idx >= 0
    out[ok] = v[idx[ok]]
    return out


def frame(points: Mapping[str, Point], step: float, types: Mapping[str, PointType] | None = None,
          keys: Sequence[str] | None = None, start: float | None = None, end: float | None = None) -> Frame:
    """The chosen points (all but second words of pairs, by default) on a grid of ``step`` seconds."""
    if not (step > 0 and math.isfinite(step)):
        raise ValueError("step must be a positive number of seconds")
    types = dict(types or {})
    guesses = guess_types(points) if any(k not in types for k in (keys or points)) else {}
    for k, g in guesses.items():
        if k not in types and not g.dtype.endswith(":low"):
            types[k] = PointType(dtype=g.dtype)
    chosen = list(keys) if keys is not None else [k for k in sorted(points)
                                                  if not guesses.get(k, TypeGuess(k, "", "")).dtype.endswith(":low")]
    if not chosen:
        return Frame(np.zeros(0), np.zeros((0, 0)), ())
    arrays = {k: points[k].arrays() for k in chosen}
    lo_t = min(float(a[0][0]) for a in arrays.values() if len(a[0])) if start is None else start
    hi_t = max(float(a[0][-1]) for a in arrays.values() if len(a[0])) if end is None else end
    n = int(math.floor((hi_t - lo_t) / step)) + 1
    if n > 50_000_000:
        raise ValueError(f"{n} rows: choose a larger step")
    grid = lo_t + step * np.arange(max(n, 0), dtype=np.float64)
    cols = []
    units = []
    for k in chosen:
        t = types.get(k, PointType())
        ts, v = arrays[k]
        hi = _last_on_grid(ts, v, grid)
        lo = None
        if t.dtype in PAIRED:
            nk = low_word_key(k)
            if nk is not None and nk in points:
                lo = _last_on_grid(*points[nk].arrays(), grid)
        cols.append(_decode(t.dtype, hi, lo) * t.scale + t.offset)
        units.append(t.unit)
    names = tuple(types[k].name if k in types and types[k].name else k for k in chosen)
    return Frame(grid, np.column_stack(cols) if cols else np.zeros((len(grid), 0)), names, tuple(units))
