"""Documents given as a path or as the file's bytes (advisories, OSV records, VEX, SBOMs), read into
bytes or JSON with errors that name the kind of document (``what``) and where it came from."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from plantwarden.core.errors import InvalidInput


def read_bytes(source: str | os.PathLike[str] | bytes | bytearray, what: str,
               accepted: str = "a path or the file's bytes") -> tuple[bytes, str | None]:
    """(the document's bytes, its path or None); ``what`` names it in errors ("the OSV record")."""
    if isinstance(source, bytes | bytearray):
        return bytes(source), None
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            return path.read_bytes(), str(path)
        except OSError as e:
            raise InvalidInput(f"cannot read {what} {str(path)!r}: {e.strerror or e}") from None
    raise InvalidInput(f"{what} must be given as {accepted}, not {type(source).__name__}")


def read_json(source: str | os.PathLike[str] | bytes | bytearray | Mapping[str, Any], what: str) -> tuple[Any, str | None]:
    """(the parsed JSON, its path or None); a dict is taken as already parsed."""
    if isinstance(source, Mapping):
        return dict(source), None
    raw, where = read_bytes(source, what, "a path, JSON bytes or a dict")
    named = f"{what}{' ' + where if where else ''}"
    try:
        return json.loads(raw), where
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InvalidInput(f"{named} is not JSON: {e}") from None
    except RecursionError:
        raise InvalidInput(f"{named} nests JSON too deeply to be read") from None
