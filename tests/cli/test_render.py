"""Terminal-safe rendering of wire strings, and the table layout."""

from __future__ import annotations

from plantwarden.cli.render import fmt_ts, human_bytes, safe, table


def test_plain_text_is_unchanged():
    assert safe("CPU 315-2 PN/DP") == "CPU 315-2 PN/DP"
    assert safe("Größe ÄÖÜ 東京") == "Größe ÄÖÜ 東京"
    assert safe(None) == "-" and safe(12) == "12"


def test_controls_ansi_and_bidi_are_escaped():
    hostile = "PLC\x1b[2J\x1b]0;owned\x07\r\n\t\x00\x7f\x9b\u202egnp.exe\u2028"
    out = safe(hostile)
    assert out.isprintable()
    assert "\x1b" not in out and "\x9b" not in out and "\u202e" not in out
    assert out == "PLC\\x1b[2J\\x1b]0;owned\\x07\\r\\n\\t\\x00\\x7f\\x9b\\u202egnp.exe\\u2028"


def test_a_backslash_is_doubled_so_escapes_cannot_be_forged():
    assert safe("a\\x1bb") == "a\\\\x1bb"
    assert safe("a\\x1bb") != safe("a\x1bb")


def test_table_aligns_columns_and_escapes_cells():
    out = table(("ip", "name"), [("10.0.0.1", "x\x1b[31m"), ("10.0.0.200", "y")])
    lines = out.splitlines()
    assert lines[0].startswith("ip          name")
    assert lines[2].index("x") == lines[3].index("y") == lines[0].index("name")
    assert "\x1b" not in out and "x\\x1b[31m" in out


def test_table_cuts_long_cells():
    out = table(("v",), [("a" * 100,)], max_width=10)
    assert out.splitlines()[2] == "a" * 9 + "~"


def test_formats():
    assert fmt_ts(0.5) == "1970-01-01 00:00:00.500000"
    assert fmt_ts(None) == "-"
    assert human_bytes(100) == "100 B" and human_bytes(2048) == "2.0 KiB"
