"""Historian exports (CSV, Parquet) read into a ``Frame`` through a tag mapping (docs/ml.md, "Historian").

A mapping (YAML or JSON, or the same as a dict) says which column holds the time and what each tag
column is::

    timestamp:
      column: DATETIME            # default: the first column
      format: "%d/%m/%y %H"       # strptime format; default ISO 8601, or numbers as epoch seconds
      unit: s                     # numbers are epoch s | ms | us | ns (default s)
      timezone: "+01:00"          # for times written without an offset (default UTC)
    tags:
      L_T1: {name: tank1_level, unit: m, asset: 10.0.0.5, point: "10.0.0.5/unit1/holding/0"}
      S_PU1: {name: pump1_on, dtype: bool}
      F_PU1: {scale: 0.001, offset: 0}
    include_unmapped: false       # also read the columns the mapping does not name (default false)

Only the columns named under ``tags`` are read unless ``include_unmapped``; a mapped column the file does
not have is an error (``InvalidInput``), as is a file that is neither CSV nor Parquet. Within the file,
a row whose time cannot be read is skipped and counted; a cell that is no number (empty, "NaN", text) is
NaN and counted; nothing else is dropped. CSV: the delimiter is found among ``, ; TAB |``, a decimal
comma is accepted when the delimiter is not a comma, cells are at most 1 MiB. Parquet: numeric, boolean,
timestamp and string columns (pyarrow).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import yaml

from plantwarden.core.errors import InvalidInput
from plantwarden.ml.series import DTYPES, Frame, PointType

_MAX_CELL = 1 << 20
_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}
_NUMBER = re.compile(r"^\s*[-+]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][-+]?\d+)?\s*$")
_TRUE = frozenset({"true", "on", "yes", "open", "running"})
_FALSE = frozenset({"false", "off", "no", "closed", "stopped"})


@dataclass(frozen=True, slots=True)
class Tag:
    column: str
    name: str
    type: PointType
    asset: str = ""
    point: str = ""


@dataclass(frozen=True, slots=True)
class Mapping_:
    time_column: str | None
    time_format: str | None
    time_unit: float
    tz: timezone
    tags: tuple[Tag, ...]
    include_unmapped: bool


@dataclass(slots=True)
class Report:
    """What reading one export did: rows read and skipped, cells that were no number, columns left out."""

    rows: int = 0
    skipped_rows: int = 0
    bad_cells: Counter[str] = field(default_factory=Counter)
    unmapped: tuple[str, ...] = ()
    reasons: Counter[str] = field(default_factory=Counter)


def _tz(text: Any) -> timezone:
    if text in (None, "", "UTC", "utc", "Z"):
        return UTC
    m = re.fullmatch(r"([+-])(\d{2}):?(\d{2})", str(text).strip())
    if not m:
        raise InvalidInput(f"timezone {str(text)[:40]!r}: write it as UTC or an offset such as +01:00")
    delta = timedelta(hours=int(m.group(2)), minutes=int(m.group(3)))
    return timezone(-delta if m.group(1) == "-" else delta)


def load_mapping(source: str | os.PathLike[str] | Mapping[str, Any] | None) -> Mapping_:
    """A tag mapping from a YAML/JSON file, its text, or a dict (see the module's doc); None reads every
    column with the first one as the time."""
    if source is None:
        data: Any = {"include_unmapped": True}
    elif isinstance(source, Mapping):
        data = source
    else:
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise InvalidInput(f"tag mapping {path.name}: cannot be read ({e.__class__.__name__})") from None
        try:
            data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
        except (ValueError, yaml.YAMLError) as e:
            raise InvalidInput(f"tag mapping {path.name}: not valid YAML/JSON ({str(e).splitlines()[0][:120]})") \
                from None
    if not isinstance(data, Mapping):
        raise InvalidInput("tag mapping: expected a mapping with 'timestamp' and 'tags'")
    ts = data.get("timestamp") or {}
    if isinstance(ts, str):
        ts = {"column": ts}
    if not isinstance(ts, Mapping):
        raise InvalidInput("tag mapping: 'timestamp' must be a column name or a mapping")
    unit = str(ts.get("unit", "s"))
    if unit not in _UNITS:
        raise InvalidInput(f"tag mapping: timestamp unit {unit[:20]!r} is not one of {', '.join(_UNITS)}")
    tags_in = data.get("tags") or {}
    if not isinstance(tags_in, Mapping):
        raise InvalidInput("tag mapping: 'tags' must map column names to tag settings")
    tags = []
    for col, spec in tags_in.items():
        spec = spec or {}
        if not isinstance(spec, Mapping):
            raise InvalidInput(f"tag mapping: tag {str(col)[:60]!r} must be a mapping")
        dtype = str(spec.get("dtype", "float"))
        if dtype not in DTYPES:
            raise InvalidInput(f"tag mapping: tag {str(col)[:60]!r}: dtype {dtype[:20]!r} is not one of "
                               f"{', '.join(DTYPES)}")
        try:
            scale, offset = float(spec.get("scale", 1.0)), float(spec.get("offset", 0.0))
        except (TypeError, ValueError):
            raise InvalidInput(f"tag mapping: tag {str(col)[:60]!r}: scale and offset must be numbers") from None
        if not (math.isfinite(scale) and math.isfinite(offset)):
            raise InvalidInput(f"tag mapping: tag {str(col)[:60]!r}: scale and offset must be finite")
        name = str(spec.get("name") or col)
        tags.append(Tag(str(col), name, PointType(dtype, str(spec.get("unit", "")), scale, offset, name),
                        str(spec.get("asset", "")), str(spec.get("point", ""))))
    fmt = ts.get("format")
    return Mapping_(str(ts["column"]) if ts.get("column") is not None else None,
                    str(fmt) if fmt else None, _UNITS[unit], _tz(ts.get("timezone")), tuple(tags),
                    bool(data.get("include_unmapped", False)))


# ------------------------------------------------------------------------------------------ values


def _cell(text: str, decimal_comma: bool) -> float:
    t = text.strip()
    if not t:
        return math.nan
    low = t.lower()
    if low in _TRUE:
        return 1.0
    if low in _FALSE:
        return 0.0
    if decimal_comma and "," in t and _NUMBER.match(t):
        t = t.replace(",", ".")
    try:
        v = float(t)
    except ValueError:
        return math.nan
    return v if math.isfinite(v) else math.nan


def _time(text: str, m: Mapping_) -> float | None:
    t = text.strip()
    if not t or len(t) > 64:
        return None
    if m.time_format:
        try:
            d = datetime.strptime(t, m.time_format)
        except ValueError:
            return None
    else:
        if _NUMBER.match(t) and "," not in t:
            v = float(t) * m.time_unit
            return v if math.isfinite(v) else None
        try:
            d = datetime.fromisoformat(t)
        except ValueError:
            return None
    if d.tzinfo is None:
        d = d.replace(tzinfo=m.tz)
    return d.timestamp()


# ------------------------------------------------------------------------------------------ reading


def read_historian(source: str | os.PathLike[str] | bytes, mapping: Mapping_ | None = None) -> tuple[Frame, Report]:
    """An export's mapped tags as a ``Frame`` (rows in time order), and what reading it did."""
    mapping = mapping or load_mapping(None)
    if isinstance(source, (bytes, bytearray)):
        raw = bytes(source)
        what = "the upload"
    else:
        path = Path(source)
        what = path.name
        try:
            raw = path.read_bytes()
        except OSError as e:
            raise InvalidInput(f"{what}: cannot be read ({e.strerror or e.__class__.__name__})") from None
    if raw[:4] == b"PAR1":
        return _parquet(raw, mapping, what)
    return _csv(raw, mapping, what)


def _columns(header: list[str], m: Mapping_, what: str) -> tuple[int, list[tuple[int, Tag]], tuple[str, ...]]:
    index = {h: i for i, h in enumerate(header)}
    if m.time_column is None:
        if not header:
            raise InvalidInput(f"{what}: no columns")
        tcol = 0
    elif m.time_column in index:
        tcol = index[m.time_column]
    else:
        raise InvalidInput(f"{what}: no time column {m.time_column[:60]!r}")
    missing = [t.column for t in m.tags if t.column not in index]
    if missing:
        shown = ", ".join(repr(c[:60]) for c in missing[:5])
        raise InvalidInput(f"{what}: the mapping names columns the file does not have: {shown}")
    chosen = [(index[t.column], t) for t in m.tags]
    named = {t.column for t in m.tags}
    rest = [h for i, h in enumerate(header) if i != tcol and h not in named]
    if m.include_unmapped:
        chosen += [(index[h], Tag(h, h, PointType("float", name=h))) for h in rest]
        rest = []
    return tcol, chosen, tuple(rest)


def _finish(ts: list[float], cols: list[list[float]], tags: list[Tag], report: Report) -> tuple[Frame, Report]:
    t = np.asarray(ts, dtype=np.float64)
    v = np.asarray(cols, dtype=np.float64).T if cols else np.zeros((len(t), 0))
    if v.ndim != 2:
        v = v.reshape(len(t), len(tags))
    order = np.argsort(t, kind="stable")
    t, v = t[order], v[order]
    for j, tag in enumerate(tags):
        pt = tag.type
        col = v[:, j]
        if pt.dtype == "bool":
            col = np.where(np.isnan(col), np.nan, (col != 0).astype(np.float64))
        v[:, j] = col * pt.scale + pt.offset
    frame = Frame(t, v, tuple(tag.name for tag in tags), tuple(tag.type.unit for tag in tags))
    return frame, report


def _csv(raw: bytes, m: Mapping_, what: str) -> tuple[Frame, Report]:
    if b"\x00" in raw[:4096]:
        raise InvalidInput(f"{what}: neither CSV text nor Parquet (binary data)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    head = text[:65536]
    counts = {d: head.split("\n", 1)[0].count(d) for d in (",", ";", "\t", "|")}
    delim = max(counts, key=lambda d: counts[d])
    if counts[delim] == 0 and not m.tags:
        raise InvalidInput(f"{what}: not a CSV file (no delimiter in its first line)")
    csv.field_size_limit(_MAX_CELL)
    reader = csv.reader(io.StringIO(text.replace("\x00", "")), delimiter=delim)
    report = Report()
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InvalidInput(f"{what}: empty file") from None
    except csv.Error as e:
        raise InvalidInput(f"{what}: not a CSV file ({e})") from None
    tcol, chosen, rest = _columns(header, m, what)
    report.unmapped = rest
    decimal_comma = delim != ","
    ts: list[float] = []
    cols: list[list[float]] = [[] for _ in chosen]
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error:
            report.skipped_rows += 1
            report.reasons["malformed row"] += 1
            continue
        if not row or all(not c.strip() for c in row):
            continue
        t = _time(row[tcol], m) if tcol < len(row) else None
        if t is None:
            report.skipped_rows += 1
            report.reasons["time not readable"] += 1
            continue
        ts.append(t)
        for j, (i, tag) in enumerate(chosen):
            v = _cell(row[i], decimal_comma) if i < len(row) else math.nan
            if math.isnan(v):
                report.bad_cells[tag.name] += 1
            cols[j].append(v)
        report.rows += 1
    return _finish(ts, cols, [t for _i, t in chosen], report)


def _parquet(raw: bytes, m: Mapping_, what: str) -> tuple[Frame, Report]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        raise InvalidInput(f"{what}: reading Parquet needs pyarrow") from None
    try:
        table = pq.read_table(pa.BufferReader(raw))
    except (pa.ArrowException, OSError, ValueError) as e:
        raise InvalidInput(f"{what}: not a readable Parquet file ({str(e).splitlines()[0][:160]})") from None
    header = [str(n) for n in table.column_names]
    tcol, chosen, rest = _columns(header, m, what)
    report = Report(unmapped=rest)
    tarr = table.column(tcol)
    ts = _parquet_times(tarr, m, pa)
    ok = ~np.isnan(ts)
    report.skipped_rows = int((~ok).sum())
    if report.skipped_rows:
        report.reasons["time not readable"] += report.skipped_rows
    cols: list[list[float]] = []
    for i, tag in chosen:
        v = _parquet_values(table.column(i), pa)[ok]
        report.bad_cells[tag.name] += int(np.isnan(v).sum())
        cols.append(v.tolist())
    report.rows = int(ok.sum())
    report.bad_cells = +report.bad_cells
    return _finish(ts[ok].tolist(), cols, [t for _i, t in chosen], report)


def _parquet_times(col: Any, m: Mapping_, pa: Any) -> npt.NDArray[np.float64]:
    typ = col.type
    if pa.types.is_timestamp(typ):
        unit = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}[typ.unit]
        ints = col.cast(pa.int64()).to_numpy(zero_copy_only=False)
        nulls = col.is_null().to_numpy(zero_copy_only=False)
        out = ints.astype(np.float64) * unit
        if typ.tz is None:  # naive: the mapping's timezone
            off = m.tz.utcoffset(None)
            out -= off.total_seconds() if off else 0.0
        return np.where(nulls, np.nan, out)
    if pa.types.is_integer(typ) or pa.types.is_floating(typ):
        v = col.cast(pa.float64()).to_numpy(zero_copy_only=False)
        return np.where(np.isfinite(v), v * m.time_unit, np.nan)
    values = col.to_pylist()
    return np.asarray([(_time(str(x), m) if x is not None else None) or math.nan for x in values], dtype=np.float64)


def _parquet_values(col: Any, pa: Any) -> npt.NDArray[np.float64]:
    typ = col.type
    if pa.types.is_boolean(typ) or pa.types.is_integer(typ) or pa.types.is_floating(typ) \
            or pa.types.is_decimal(typ):
        v = col.cast(pa.float64()).to_numpy(zero_copy_only=False)
        return np.where(np.isfinite(v), v, np.nan)
    return np.asarray([_cell(str(x), True) if x is not None else math.nan for x in col.to_pylist()],
                      dtype=np.float64)

