"""Indicators of compromise: the model, the STIX 2.1 and CSV importers, and the matcher the ``ioc.match``
detection asks (docs/iocs.md).

``load_file`` reads a feed; ``IndicatorMatcher`` (``plantwarden.iocs.matcher``) answers whether an
address, name, URL or hash is a known-bad one. The STIX importer imports the ``stix2`` package only
when it runs, so that the detections (which hold a matcher) do not pay for it.
"""

from __future__ import annotations

import os

from plantwarden.iocs.model import KINDS, ImportReport, Indicator, InvalidIndicator, normalize

__all__ = ["FORMATS", "KINDS", "ImportReport", "Indicator", "InvalidIndicator", "load_file", "load_text",
           "normalize"]

#: input formats; "auto" chooses STIX when the text starts with '{' or '[', else CSV
FORMATS = ("auto", "stix", "csv")
#: the largest feed file read (bytes)
MAX_FILE = 256 * 1024 * 1024


def load_text(text: str, source: str, fmt: str = "auto") -> ImportReport:
    """Indicators in ``text``. Raises ``ValueError`` when the whole input is unusable (e.g. broken JSON)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    if fmt == "auto":
        fmt = "stix" if text.lstrip("\ufeff \t\r\n")[:1] in ("{", "[") else "csv"
    if fmt == "stix":
        from plantwarden.iocs.stix import load_stix

        return load_stix(text.lstrip("\ufeff"), source)
    from plantwarden.iocs.csvfile import load_csv

    return load_csv(text.lstrip("\ufeff"), source)


def load_file(path: str | os.PathLike[str], source: str | None = None, fmt: str = "auto") -> ImportReport:
    """Indicators in the file at ``path``; ``source`` defaults to its name. Raises ``OSError`` when it
    cannot be read and ``ValueError`` when it is unusable as a whole (too large, not text, broken JSON)."""
    if os.path.getsize(path) > MAX_FILE:
        raise ValueError(f"larger than {MAX_FILE // (1024 * 1024)} MiB")
    with open(path, "rb") as f:
        data = f.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None
    return load_text(text, source if source is not None else os.path.basename(os.fspath(path)), fmt)
