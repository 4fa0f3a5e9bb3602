"""Historian exports through a tag mapping (plantwarden.ml.historian): BATADAL's own CSV, the same data
as Parquet, European CSVs, and broken input."""

from __future__ import annotations

import csv
import math
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from plantwarden.core.errors import InvalidInput
from plantwarden.ml.historian import load_mapping, read_historian

SHARED = Path(__file__).resolve().parents[3] / "shared"
BATADAL03 = SHARED / "datasets" / "batadal" / "official" / "BATADAL_dataset03.csv"

MAPPING = """
timestamp: {column: DATETIME, format: "%d/%m/%y %H"}
tags:
  L_T1: {name: tank1_level, unit: m}
  S_PU1: {name: pump1_on, dtype: bool}
  F_PU1: {name: pump1_flow, unit: m3/s, scale: 0.001}
"""


def need_batadal() -> Path:
    if not BATADAL03.is_file():
        pytest.skip("../shared/datasets/batadal is not beside the project")
    return BATADAL03


def _plain_rows() -> list[dict[str, str]]:
    with BATADAL03.open(newline="") as fh:
        return [{k.strip(): v for k, v in row.items()} for row in csv.DictReader(fh)]


@pytest.mark.shared
def test_batadal_dataset03_through_a_mapping(tmp_path: Path) -> None:
    need_batadal()
    (tmp_path / "map.yaml").write_text(MAPPING)
    m = load_mapping(tmp_path / "map.yaml")
    f, report = read_historian(BATADAL03, m)
    rows = _plain_rows()
    assert report.rows == len(rows) == len(f.ts) and report.skipped_rows == 0
    assert f.columns == ("tank1_level", "pump1_on", "pump1_flow") and f.units == ("m", "", "m3/s")
    assert "L_T2" in report.unmapped and "DATETIME" not in report.unmapped
    first = datetime.strptime(rows[0]["DATETIME"], "%d/%m/%y %H").replace(tzinfo=UTC).timestamp()
    assert f.ts[0] == first and np.all(np.diff(f.ts) == 3600.0)
    assert np.allclose(f.values[:, 0], [float(r["L_T1"]) for r in rows])
    assert set(np.unique(f.values[:, 1])) <= {0.0, 1.0}
    assert np.allclose(f.values[:, 2], [float(r["F_PU1"]) * 0.001 for r in rows])


@pytest.mark.shared
def test_the_same_data_as_parquet_reads_identically(tmp_path: Path) -> None:
    need_batadal()
    rows = _plain_rows()
    stamps = [datetime.strptime(r["DATETIME"], "%d/%m/%y %H").replace(tzinfo=UTC) for r in rows]
    table = pa.table({"DATETIME": pa.array(stamps, pa.timestamp("ms", tz="UTC")),
                      "L_T1": pa.array([float(r["L_T1"]) for r in rows]),
                      "S_PU1": pa.array([r["S_PU1"] == "1" for r in rows]),
                      "F_PU1": pa.array([float(r["F_PU1"]) for r in rows], pa.float32())})
    pq.write_table(table, tmp_path / "b.parquet")
    mapping = load_mapping({"timestamp": {"column": "DATETIME"}, "tags": {
        "L_T1": {"name": "tank1_level", "unit": "m"}, "S_PU1": {"name": "pump1_on", "dtype": "bool"},
        "F_PU1": {"name": "pump1_flow", "unit": "m3/s", "scale": 0.001}}})
    fp, rp = read_historian(tmp_path / "b.parquet", mapping)
    (tmp_path / "map.yaml").write_text(MAPPING)
    fc, _ = read_historian(BATADAL03, load_mapping(tmp_path / "map.yaml"))
    assert rp.rows == len(rows) and fp.columns == fc.columns
    assert np.array_equal(fp.ts, fc.ts)
    assert np.allclose(fp.values, fc.values, rtol=1e-6)  # F_PU1 went through float32


def test_a_european_csv_with_offsets_bad_rows_and_bad_cells() -> None:
    text = ("Zeit;Füllstand;Pumpe;Kommentar\n"
            "2026-03-01T10:00:00+01:00;12,5;EIN;a\n"
            "2026-03-01T10:00:01+01:00;12,75;off;b\n"
            "not a time;13;on;c\n"
            "2026-03-01T10:00:02+01:00;;on;d\n"
            "2026-03-01T10:00:03+01:00;n/a;1;e\n"
            "2026-03-01 10:00:04;1e400;0;f\n")
    m = load_mapping({"timestamp": {"column": "Zeit", "timezone": "+01:00"},
                      "tags": {"Füllstand": {"name": "level"}, "Pumpe": {"name": "pump", "dtype": "bool"}}})
    f, r = read_historian(text.encode("utf-8"), m)
    assert r.rows == 5 and r.skipped_rows == 1 and r.reasons["time not readable"] == 1
    assert r.unmapped == ("Kommentar",)
    t0 = datetime(2026, 3, 1, 9, 0, 0, tzinfo=UTC).timestamp()
    assert f.ts.tolist() == [t0, t0 + 1, t0 + 2, t0 + 3, t0 + 4]  # the naive last row read at +01:00
    level = f.values[:, 0]
    assert level[:2].tolist() == [12.5, 12.75] and all(math.isnan(x) for x in level[2:])
    assert r.bad_cells["level"] == 3 and r.bad_cells["pump"] == 1  # "EIN" is no word we know
    assert f.values[1:, 1].tolist() == [0.0, 1.0, 1.0, 0.0]


def test_epoch_times_in_milliseconds_and_rows_out_of_order() -> None:
    text = "t,a\n1700000002000,3\n1700000000000,1\n1700000001000,2\n"
    f, r = read_historian(text.encode(), load_mapping({"timestamp": {"column": "t", "unit": "ms"},
                                                        "include_unmapped": True}))
    assert f.ts.tolist() == [1700000000.0, 1700000001.0, 1700000002.0] and f.values[:, 0].tolist() == [1, 2, 3]


@pytest.mark.parametrize("raw, message", [
    (b"", "empty"),
    (b"PAR1\x00\x01garbage", "not a readable Parquet"),
    (b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00", "binary"),
    (b"time,a\n2026-01-01,1\n", "does not have"),
])
def test_broken_files_are_invalid_input(raw: bytes, message: str) -> None:
    m = load_mapping({"timestamp": "time", "tags": {"b": {}}})
    with pytest.raises(InvalidInput, match=message):
        read_historian(raw, m)


def test_a_truncated_parquet_file_is_invalid_input(tmp_path: Path) -> None:
    pq.write_table(pa.table({"t": [1.0, 2.0], "a": [1.0, 2.0]}), tmp_path / "x.parquet")
    raw = (tmp_path / "x.parquet").read_bytes()
    with pytest.raises(InvalidInput, match="Parquet"):
        read_historian(raw[: len(raw) // 2], load_mapping({"timestamp": "t", "include_unmapped": True}))


@pytest.mark.parametrize("spec, message", [
    ({"tags": {"a": {"dtype": "complex128"}}}, "dtype"),
    ({"tags": {"a": {"scale": "lots"}}}, "numbers"),
    ({"tags": {"a": {"scale": float("inf")}}}, "finite"),
    ({"timestamp": {"unit": "fortnights"}}, "unit"),
    ({"timestamp": {"timezone": "Europe/Atlantis"}}, "timezone"),
    ({"tags": ["a", "b"]}, "tags"),
])
def test_bad_mappings_say_what_is_wrong(spec: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        load_mapping(spec)


def test_a_mapping_file_that_is_not_yaml(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text("tags: [unclosed\n")
    with pytest.raises(InvalidInput, match="not valid YAML"):
        load_mapping(tmp_path / "m.yaml")


def test_a_huge_cell_and_nul_bytes_do_not_crash() -> None:
    text = "t,a\n1,2\n2," + "9" * (2 << 20) + "\n3,4\n"
    f, r = read_historian(text.encode(), load_mapping({"timestamp": "t", "include_unmapped": True}))
    assert f.values[:, 0].tolist()[0] == 2.0 and f.values[:, 0].tolist()[-1] == 4.0
    assert r.rows + r.skipped_rows == 3
