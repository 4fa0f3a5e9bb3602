"""Loaders for the SKAB and BATADAL process-data benchmarks into numpy arrays.

The datasets themselves are not bundled (SKAB is GPL-3.0); pass the folder that holds them. Each loader
returns timestamps (``datetime64``), a float feature matrix, the column names and the label vectors.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt

SKAB_GROUPS = ("valve1", "valve2", "other")
SKAB_LABELS = ("anomaly", "changepoint")


@dataclass(frozen=True)
class SkabFile:
    """One SKAB csv: ``name`` like ``"valve1/0"``, ``ts`` datetime64[s], ``X`` (rows × sensors)."""

    name: str
    ts: npt.NDArray[np.datetime64]
    X: npt.NDArray[np.float64]
    columns: tuple[str, ...]
    anomaly: npt.NDArray[np.int8] | None
    changepoint: npt.NDArray[np.int8] | None


@dataclass(frozen=True)
class BatadalTable:
    """One BATADAL csv: ``ts`` datetime64[h], ``X`` (hours × 43 sensors) and optional label columns.

    ``att_flag`` is the ATT_FLAG column as stored in the file (dataset03: all 0; dataset04 official:
    1 / -999; derived full labels: 0 / 1), ``attack_id`` the derived files' attack number (0 = none).
    """

    ts: npt.NDArray[np.datetime64]
    X: npt.NDArray[np.float64]
    columns: tuple[str, ...]
    att_flag: npt.NDArray[np.int64] | None
    attack_id: npt.NDArray[np.int64] | None


def _skab_data_dir(root: Path | str) -> Path:
    root = Path(root)
    for cand in (root / "skab" / "data", root / "data", root):
        if (cand / "valve1").is_dir() or (cand / "anomaly-free").is_dir():
            return cand
    raise FileNotFoundError(f"no SKAB data folder under {root}")


def _read_skab(path: Path, name: str) -> SkabFile:
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    header = [h.strip() for h in rows[0]]
    body = [r for r in rows[1:] if r]
    if header[0] != "datetime":
        raise ValueError(f"{path}: first column is {header[0]!r}, expected 'datetime'")
    ts = np.array([r[0].strip() for r in body], dtype="datetime64[s]")
    values = np.array([[float(v) for v in r[1:]] for r in body], dtype=np.float64).reshape(len(body), -1)
    names = header[1:]
    label_idx = [names.index(lab) for lab in SKAB_LABELS if lab in names]
    feat_idx = [i for i in range(len(names)) if i not in label_idx]
    anomaly = values[:, names.index("anomaly")].astype(np.int8) if "anomaly" in names else None
    changepoint = values[:, names.index("changepoint")].astype(np.int8) if "changepoint" in names else None
    return SkabFile(
        name=name,
        ts=ts,
        X=values[:, feat_idx],
        columns=tuple(names[i] for i in feat_idx),
        anomaly=anomaly,
        changepoint=changepoint,
    )


def _numeric_key(path: Path) -> tuple[int, str]:
    return (int(path.stem), path.stem) if path.stem.isdigit() else (1 << 30, path.stem)


def load_skab(root: Path | str) -> list[SkabFile]:
    """The 34 labelled SKAB files (valve1, valve2, other; each in numeric order).

    ``root`` is the ``datasets`` folder, the ``skab`` folder or its ``data`` folder. By the benchmark's
    protocol rows 0-399 of each file are the training part and the rest the test part.
    """
    data = _skab_data_dir(root)
    files: list[SkabFile] = []
    for group in SKAB_GROUPS:
        for path in sorted((data / group).glob("*.csv"), key=_numeric_key):
            files.append(_read_skab(path, f"{group}/{path.stem}"))
    return files


def load_skab_free(root: Path | str) -> SkabFile:
    """SKAB's ``anomaly-free/anomaly-free.csv`` (no label columns: ``anomaly``/``changepoint`` are None)."""
    data = _skab_data_dir(root)
    return _read_skab(data / "anomaly-free" / "anomaly-free.csv", "anomaly-free")


def _batadal_dir(root: Path | str) -> Path:
    root = Path(root)
    for cand in (root / "batadal", root):
        if (cand / "official").is_dir():
            return cand
    raise FileNotFoundError(f"no BATADAL folder under {root}")


def _batadal_time(text: str) -> np.datetime64:
    # The data files write "dd/mm/yy HH".
    return np.datetime64(datetime.strptime(text.strip(), "%d/%m/%y %H"), "h")


def _read_batadal(path: Path) -> BatadalTable:
    with path.open(newline="") as fh:
        rows = [r for r in csv.reader(fh) if r and any(c.strip() for c in r)]
    header = [h.strip() for h in rows[0]]
    body = rows[1:]
    if header[0] != "DATETIME":
        raise ValueError(f"{path}: first column is {header[0]!r}, expected 'DATETIME'")
    ts = np.array([_batadal_time(r[0]) for r in body], dtype="datetime64[h]")
    values = np.array([[float(v) for v in r[1:]] for r in body], dtype=np.float64).reshape(len(body), -1)
    names = header[1:]
    label_cols = [c for c in ("ATT_FLAG", "ATT_FLAG_ORIG", "ATTACK_ID") if c in names]
    feat_idx = [i for i, n in enumerate(names) if n not in label_cols]

    def column(name: str) -> npt.NDArray[np.int64] | None:
        return values[:, names.index(name)].astype(np.int64) if name in names else None

    return BatadalTable(
        ts=ts,
        X=values[:, feat_idx],
        columns=tuple(names[i] for i in feat_idx),
        att_flag=column("ATT_FLAG"),
        attack_id=column("ATTACK_ID"),
    )


def load_batadal(root: Path | str) -> dict[str, BatadalTable]:
    """BATADAL's files; ``root`` is the ``datasets`` folder or the ``batadal`` folder.

    * ``train``: ``official/BATADAL_dataset03.csv`` (8,761 h, no attack, ATT_FLAG all 0)
    * ``train2``: ``official/BATADAL_dataset04.csv`` (4,177 h, ATT_FLAG as released: 1 / -999)
    * ``test``: ``official/BATADAL_test_dataset.csv`` (2,089 h, no label column)
    * ``labels04``: ``labeled_derived/BATADAL_dataset04_fulllabels.csv`` (ATT_FLAG 0/1, ATTACK_ID)
    * ``labels_test``: ``labeled_derived/BATADAL_test_dataset_labeled.csv`` (ATT_FLAG 0/1, ATTACK_ID)

    Header names are stripped of the spaces dataset04 carries.
    """
    base = _batadal_dir(root)
    return {
        "train": _read_batadal(base / "official" / "BATADAL_dataset03.csv"),
        "train2": _read_batadal(base / "official" / "BATADAL_dataset04.csv"),
        "test": _read_batadal(base / "official" / "BATADAL_test_dataset.csv"),
        "labels04": _read_batadal(base / "labeled_derived" / "BATADAL_dataset04_fulllabels.csv"),
        "labels_test": _read_batadal(base / "labeled_derived" / "BATADAL_test_dataset_labeled.csv"),
    }


_ALARM_TIME = re.compile(r"^(\d{1,2})[-/](\d{1,2})[-/](\d{2}|\d{4})\s+(\d{1,2})$")


def _alarm_time(text: str) -> np.datetime64:
    m = _ALARM_TIME.match(text.strip())
    if not m:
        raise ValueError(f"unrecognised alarm time {text!r}")
    day, month, year, hour = (int(g) for g in m.groups())
    if year < 100:
        year += 2000
    return np.datetime64(datetime(year, month, day, hour), "h")


def load_batadal_alarms(path: Path | str, ts: npt.NDArray[np.datetime64]) -> npt.NDArray[np.int8]:
    """A BATADAL team's alarm report (``id, start, end, components`` per line) as a 0/1 vector over ``ts``.

    Each line raises the alarm for every hour from ``start`` to ``end`` inclusive; times are
    ``dd-mm-yyyy HH``, ``dd-mm-yy HH`` or ``dd/mm/yy HH`` as the teams wrote them.
    """
    hours = np.asarray(ts, dtype="datetime64[h]")
    alarms = np.zeros(hours.shape, dtype=np.int8)
    with Path(path).open(newline="") as fh:
        for row in csv.reader(fh):
            if len(row) < 3 or not row[1].strip():
                continue
            start, end = _alarm_time(row[1]), _alarm_time(row[2])
            alarms[(hours >= start) & (hours <= end)] = 1
    return alarms
