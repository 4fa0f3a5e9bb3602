"""How decoders render wire values for the event log: a code's name, and attacker-controlled text."""

from __future__ import annotations

from collections.abc import Mapping


def name_of(table: Mapping[int, str], code: int) -> str:
    """The name of ``code`` in ``table``, or ``unknown-<code>`` (never a failure)."""
    name = table.get(code)
    return name if name is not None else f"unknown-{code}"


def wire_text(raw: bytes) -> str:
    """Bytes read off the wire as text: UTF-8 when they are valid UTF-8, else Latin-1 (which decodes
    anything). The text stays attacker controlled: whoever shows it escapes it."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def c_string(raw: bytes) -> str:
    """A NUL-terminated string field: the text up to the first NUL, without surrounding blanks."""
    return wire_text(raw.split(b"\x00", 1)[0]).strip()
