"""CEF: header and extension escaping (hostile strings cannot forge fields or lines), severity, fields."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plantwarden.outputs.cef import MAX_VALUE, cef_message, cef_severity, escape_extension, escape_header

from .alertdocs import HOSTILE, doc, ioc_doc


def parse_cef(line: str) -> tuple[list[str], dict[str, str]]:
    """A strict reader of what the CEF spec says: 7 header fields split on unescaped pipes, then
    key=value pairs whose values run to the next unescaped ' key='."""
    assert "\n" not in line and "\r" not in line
    fields, cur, i = [], [], 0
    while len(fields) < 7:
        c = line[i]
        if c == "\\":
            nxt = line[i + 1]
            cur.append({"n": "\n", "r": "\r"}.get(nxt, nxt))
            i += 2
            continue
        if c == "|":
            fields.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    ext = line[i:]
    keys = list(re.finditer(r"(?:^| )([A-Za-z0-9_]+)=", ext))
    out = {}
    for k, m in enumerate(keys):
        # a key's '=' is never escaped; an escaped one inside a value is preceded by an odd run of '\'
        end = keys[k + 1].start() if k + 1 < len(keys) else len(ext)
        raw = ext[m.end():end]
        out[m.group(1)] = re.sub(r"\\(.)", lambda x: {"n": "\n", "r": "\r"}.get(x.group(1), x.group(1)), raw)
    return fields, out


def test_fields_severity_and_extensions():
    fields, ext = parse_cef(cef_message(doc()))
    assert fields == ["CEF:0", "plantwarden", "plantwarden", fields[3], "ics.plc_stop",
                      "S7 PLC stop: 10.0.0.5 -> 10.0.0.9 (1)", "8"]
    assert ext == {"externalId": "1", "start": "1700000000250", "end": "1700000060500", "cnt": "3",
                   "src": "10.0.0.5", "dst": "10.0.0.9", "cs1Label": "technique", "cs1": "T0858",
                   "cs2Label": "technique_name", "cs2": "Change Operating Mode", "cs3Label": "state", "cs3": "new",
                   "cs4Label": "key", "cs4": "10.0.0.5->10.0.0.9", "cat": "Execution,Inhibit Response Function",
                   "msg": "S7 PLC stop: 10.0.0.5 -> 10.0.0.9 (1)"}
    assert [cef_severity(s) for s in ("low", "medium", "high", "critical", "odd")] == [3, 5, 8, 10, 5]


def test_ipv6_and_non_ip_endpoints_and_indicators():
    _, ext = parse_cef(cef_message(doc(src="2001:db8::1", dst="aa:bb:cc:dd:ee:ff")))
    assert ext["c6a2"] == "2001:db8::1" and ext["c6a2Label"] == "source_ipv6" and "src" not in ext
    assert "dst" not in ext and "c6a3" not in ext
    _, ext = parse_cef(cef_message(ioc_doc()))
    assert (ext["cs5Label"], ext["cs5"], ext["cs6Label"], ext["cs6"]) == (
        "indicator", "domain:evil.example", "indicator_source", "intel")


def test_hostile_strings_cannot_forge_fields_or_lines():
    d = doc(detection=HOSTILE, title=HOSTILE, key=HOSTILE + " cs1=T0000", state=HOSTILE)
    line = cef_message(d)
    fields, ext = parse_cef(line)
    assert len(fields) == 7 and fields[4] == HOSTILE and fields[5] == HOSTILE and fields[6] == "8"
    assert ext["cs4"] == HOSTILE + " cs1=T0000" and ext["cs1"] == "T0858" and ext["cs3"] == HOSTILE
    assert ext["msg"] == HOSTILE


def test_escaping_rules():
    assert escape_header("a|b\\c\nd=e") == "a\\|b\\\\c\\nd=e"
    assert escape_extension("a|b\\c\r\nd=e") == "a|b\\\\c\\r\\nd\\=e"
    assert escape_extension(None) == "" and escape_header(None) == ""
    assert len(escape_extension("x" * 5000)) == MAX_VALUE


@given(st.text(max_size=80), st.text(max_size=80))
def test_any_title_and_key_round_trip(title, key):
    fields, ext = parse_cef(cef_message(doc(title=title, key=key or "k")))
    assert fields[5] == title and ext["cs4"] == (key or "k")[:MAX_VALUE]


@pytest.mark.parametrize("missing", ["first_seen", "src", "tactics", "evidence", "technique_name"])
def test_missing_values_are_left_out(missing):
    d = doc()
    d[missing] = None
    fields, ext = parse_cef(cef_message(d))
    assert len(fields) == 7 and "" not in ext.values()
