"""CSV lists: type,value[,description] rows; bad rows are counted, never fatal."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from plantwarden.iocs.csvfile import load_csv


def test_rows_header_comments_and_descriptions():
    text = ("type,value,description\n"
            "# a comment\n"
            "\n"
            "IP, 198.51.100.7 ,C2 server\n"
            "cidr,203.0.113.0/24\n"
            'domain,evil.example,"dropper, stage 2"\n'
            "url,http://evil.example/x?y=1,\n"
            "md5,D41D8CD98F00B204E9800998ECF8427E,empty file\n"
            "sha1,da39a3ee5e6b4b0d3255bfef95601890afd80709\n"
            "sha256,e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855,a,b\n")
    r = load_csv(text, "list.csv")
    assert [(i.kind, i.value, i.description) for i in r.indicators] == [
        ("ip", "198.51.100.7", "C2 server"), ("cidr", "203.0.113.0/24", ""),
        ("domain", "evil.example", "dropper, stage 2"), ("url", "http://evil.example/x?y=1", ""),
        ("md5", "d41d8cd98f00b204e9800998ecf8427e", "empty file"),
        ("sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709", ""),
        ("sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "a,b")]
    assert not r.skipped and all(i.source == "list.csv" and i.valid_from is None for i in r.indicators)


def test_bad_rows_are_counted_by_reason():
    text = ("hostname,evil.example\n"
            "ip\n"
            "ip,999.1.1.1\n"
            "domain,\x1b]0;pwned\x07.example\n"
            "md5,abc\n"
            "ip,10.0.0.1\n"
            'url,"http://x.example/\n'  # an unbalanced quote swallows the rest of the file
            "ip,10.0.0.2\n")
    r = load_csv(text, "s")
    assert [i.value for i in r.indicators] == ["10.0.0.1"]
    assert r.skipped["unknown type 'hostname' (known: ip, cidr, domain, url, md5, sha1, sha256)"] == 1
    assert r.skipped["row without a value (type,value[,description])"] == 1
    assert r.skipped["invalid value: not an IP address or network"] == 1
    assert sum(r.skipped.values()) == 6


def test_oversized_fields_and_nul_bytes():
    r = load_csv("domain,a.example," + "d" * 200_000 + "\nip,10.0.0.3\x00\n", "s")
    assert [i.value for i in r.indicators] == ["10.0.0.3"] and sum(r.skipped.values()) == 1


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_any_text_gives_a_report(text):
    r = load_csv(text, "s")
    assert all(i.value for i in r.indicators)
