"""Plain CSV lists: ``type,value[,description]`` per row (docs/iocs.md, "CSV").

Types: ip, cidr, domain, url, md5, sha1, sha256 (any case). A first row whose first cell is ``type``
is a header; empty rows and rows whose first cell starts with ``#`` are comments. Every other row
either becomes an indicator or is counted as skipped with its reason.
"""

from __future__ import annotations

import csv
import io

from plantwarden.iocs.model import (
    KINDS,
    MAX_DESCRIPTION,
    ImportReport,
    Indicator,
    InvalidIndicator,
    normalize,
)

#: a cell larger than this makes the row skipped (the csv module's own limit is 128 KiB)
MAX_CELL = 64 * 1024


def load_csv(text: str, source: str) -> ImportReport:
    report = ImportReport()
    reader = csv.reader(io.StringIO(text.replace("\x00", "")))
    first = True
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error:
            report.skip("unreadable CSV row (unbalanced quotes or an oversized field)")
            continue
        if first:
            first = False
            if row and row[0].strip().lower() == "type":
                continue
        if not row or not any(c.strip() for c in row) or row[0].lstrip().startswith("#"):
            continue
        if len(row) < 2:
            report.skip("row without a value (type,value[,description])")
            continue
        kind = row[0].strip().lower()
        if kind not in KINDS:
            report.skip(f"unknown type {kind[:40]!r} (known: {', '.join(KINDS)})")
            continue
        if any(len(c) > MAX_CELL for c in row):
            report.skip("oversized field")
            continue
        try:
            kind, value = normalize(kind, row[1])
        except InvalidIndicator as exc:
            report.skip(f"invalid value: {exc}")
            continue
        description = ",".join(row[2:]).strip()[:MAX_DESCRIPTION]
        report.indicators.append(Indicator(kind, value, source, description))
    return report
