"""What every oracle test needs: the shared captures, tshark's field extraction, Zeek's logs, our records.

Imported by its bare name (tests/oracle has no __init__.py, so pytest puts this folder on sys.path).
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
PCAPS = SHARED / "pcaps"
MANIFEST = PCAPS / "MANIFEST.tsv"
CI = os.environ.get("CI") == "true"


def captures_with(*dissectors: str) -> list[str]:
    """Manifest paths of the captures in which tshark fires any of ``dissectors`` ([] without ../shared)."""
    if not MANIFEST.is_file():
        return []
    with MANIFEST.open(newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    want = set(dissectors)
    return [r["local_path"] for r in rows if want & set(r["tshark_ics_dissectors"].split(","))]


def captures_with_protocols(*protocols: str) -> list[str]:
    """Manifest paths whose tshark protocol hierarchy (``tshark_phs_protocols``) lists any of ``protocols``
    ([] without ../shared). For IT protocols, which ``tshark_ics_dissectors`` does not name."""
    if not MANIFEST.is_file():
        return []
    with MANIFEST.open(newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    want = set(protocols)
    return [r["local_path"] for r in rows if want & set(r["tshark_phs_protocols"].split(","))]


def need_shared(path: Path) -> Path:
    if not path.exists():
        pytest.skip("../shared/pcaps is absent")
    return path


def need_tshark() -> str:
    tshark = shutil.which("tshark")
    if tshark is None:
        if CI:
            pytest.fail("tshark is required when CI=true (make system-deps)")
        pytest.skip("tshark not installed")
    return tshark


def tshark_fields(path: Path, fields: Sequence[str], decode_as: Iterable[str] = (),
                  display_filter: str | None = None) -> list[tuple[int, list[list[str]]]]:
    """tshark's values of ``fields`` per frame: [(frame, [values of field 1, values of field 2, ...])].

    Every occurrence of a field is kept (``occurrence=a``), so a frame with several PDUs lists them all.
    """
    cmd = [need_tshark(), "-n", "-r", str(path)]
    for d in decode_as:
        cmd += ["-d", d]
    if display_filter:
        cmd += ["-Y", display_filter]
    cmd += ["-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,", "-e", "frame.number"]
    for f in fields:
        cmd += ["-e", f]
    res = subprocess.run(cmd, capture_output=True, text=True, check=True)
    out = []
    for line in res.stdout.splitlines():
        cols = (line.split("\t") + [""] * len(fields))[:len(fields) + 1]
        out.append((int(cols[0]), [c.split(",") if c else [] for c in cols[1:]]))
    return out


def read_zeek_log(path: Path, fields: list[str] | None = None) -> list[dict[str, str]]:
    """Rows of a Zeek TSV log; ``fields`` names the columns of a log that zeek-cut left headerless."""
    rows = []
    for line in path.read_text().splitlines():
        if line.startswith("#fields"):
            fields = line.split("\t")[1:]
        if not line or line.startswith("#"):
            continue
        assert fields is not None, f"{path}: no #fields header and no column names given"
        rows.append(dict(zip(fields, line.split("\t"), strict=True)))
    return rows


def records(path: Path, proto: str | None = None) -> list[dict[str, Any]]:
    """Our event-log records of a capture (only those of ``proto`` when given)."""
    from plantwarden.sensor.eventlog import iter_records

    return [r for r in iter_records([path]) if proto is None or r["proto"] == proto]


def compare(record_property: Any, theirs: Counter[Any], ours: Counter[Any],
            expected: tuple[Counter[Any], Counter[Any]] | None = None) -> None:
    """Assert that two multisets of keys agree but for the documented differences, and record the
    figures for docs/protocols.md (scripts/protocol_table.py reads them from the test report)."""
    only_theirs, only_ours = theirs - ours, ours - theirs
    record(record_property, theirs, ours, sum(expected[0].values()) + sum(expected[1].values()) if expected else 0)
    want = expected or (Counter(), Counter())
    assert (only_theirs, only_ours) == want, (
        f"{sum(only_theirs.values())} keys only in the oracle: {sorted(only_theirs)[:20]}; "
        f"{sum(only_ours.values())} only in ours: {sorted(only_ours)[:20]}")


def record(record_property: Any, theirs: Counter[Any], ours: Counter[Any], documented: int) -> None:
    """Record a comparison's figures for docs/protocols.md (for tests that assert in their own way)."""
    record_property("oracle", {"theirs": sum(theirs.values()), "ours": sum(ours.values()),
                               "matched": sum((theirs & ours).values()), "documented": documented})
