"""STIX bundles: simple patterns become indicators, everything else is counted with its reason."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plantwarden.iocs import load_file, load_text
from plantwarden.iocs.stix import load_stix

from .stixdata import SHA256, T, bundle, indicator, sid


def values(report):
    return sorted((i.kind, i.value) for i in report.indicators)


def test_supported_patterns_with_validity_windows_and_sources():
    text = bundle(
        indicator("[ipv4-addr:value = '198.51.100.7' OR ipv4-addr:value = '203.0.113.0/24']", 1,
                  valid_until="2025-01-01T00:00:00Z", name="C2 servers", description="APT C2"),
        indicator("[ipv6-addr:value = '2001:db8::66']", 2),
        indicator("[domain-name:value = 'Evil.Example'] OR [url:value = 'http://evil.example/drop.exe']", 3,
                  name="dropper"),
        indicator(f"[file:hashes.'SHA-256' = '{SHA256}' OR file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']", 4),
        indicator("[file:hashes.'SHA-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709']", 5),
        indicator("[ipv4-addr:value ISSUBSET '192.0.2.0/24']", 6),
        indicator("[network-traffic:dst_ref.value = '192.0.2.99']", 7),
        indicator(f"[x509-certificate:hashes.'SHA-256' = '{SHA256.upper()}']", 8),
        {"type": "malware", "spec_version": "2.1", "id": sid("malware", 9),
         "created": T, "modified": T, "name": "x", "is_family": False},
        {"type": "relationship", "spec_version": "2.1", "id": sid("relationship", 10),
         "created": T, "modified": T, "relationship_type": "indicates",
         "source_ref": sid("indicator", 1),
         "target_ref": sid("malware", 9)},
    )
    r = load_stix(text, "feed-a")
    assert values(r) == sorted([
        ("ip", "198.51.100.7"), ("cidr", "203.0.113.0/24"), ("ip", "2001:db8::66"), ("domain", "evil.example"),
        ("url", "http://evil.example/drop.exe"), ("sha256", SHA256), ("md5", "d41d8cd98f00b204e9800998ecf8427e"),
        ("sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709"), ("cidr", "192.0.2.0/24"), ("ip", "192.0.2.99"),
        ("sha256", SHA256)])
    assert not r.skipped and r.ignored == 2
    c2 = next(i for i in r.indicators if i.value == "198.51.100.7")
    assert (c2.source, c2.description, c2.stix_id) == (
        "feed-a", "APT C2", sid("indicator", 1))
    assert (c2.valid_from, c2.valid_until) == (1704067200.0, 1735689600.0)
    assert next(i for i in r.indicators if i.kind == "domain").description == "dropper"  # the name when no description


@pytest.mark.parametrize(("pattern", "reason"), [
    ("[domain-name:value = 'a.example' AND domain-name:value = 'b.example']", "AND pattern"),
    ("[domain-name:value = 'a.example'] AND [domain-name:value = 'b.example']", "AND pattern"),
    ("[domain-name:value = 'a.example'] FOLLOWEDBY [url:value = 'http://a.example/']", "FOLLOWEDBY"),
    ("[domain-name:value = 'a.example'] WITHIN 60 SECONDS", "qualified pattern"),
    ("[domain-name:value = 'a.example'] REPEATS 5 TIMES", "qualified pattern"),
    ("[domain-name:value NOT = 'a.example']", "negated comparison"),
    ("[domain-name:value LIKE '%.example']", "comparison operator LIKE"),
    ("[domain-name:value MATCHES '^evil']", "comparison operator MATCHES"),
    ("[email-addr:value = 'x@evil.example']", "object path email-addr:value"),
    ("[file:name = 'evil.exe']", "object path file:name"),
    ("[file:hashes.'SHA-512' = '" + "ab" * 64 + "']", "hash algorithm"),
    ("[file:hashes.'SHA-256' = 'aa']", "invalid STIX indicator (property pattern)"),
    ("[domain-name:value = 'bad..example']", "invalid value: not a domain name"),
    ("[ipv4-addr:value = '1.2.3.999']", "invalid"),
])
def test_other_patterns_are_skipped_with_their_reason(pattern, reason):
    r = load_stix(bundle(indicator(pattern, 1), indicator("[domain-name:value = 'ok.example']", 2)), "f")
    assert values(r) == [("domain", "ok.example")]
    assert sum(r.skipped.values()) == 1 and reason in next(iter(r.skipped)), r.skipped


def test_an_or_keeps_its_supported_alternatives():
    r = load_stix(bundle(indicator("[domain-name:value = 'a.example' OR email-addr:value = 'x@a.example']", 1)), "f")
    assert values(r) == [("domain", "a.example")] and r.skipped == {"object path email-addr:value": 1}


def test_bad_objects_cost_only_themselves():
    r = load_stix(bundle(
        indicator("[", 1),  # stix2 refuses the pattern
        indicator("[domain-name:value = 'a.example']", 2, revoked=True),
        indicator("alert tcp any any -> any any", 3, pattern_type="snort"),
        {"type": "indicator", "id": "indicator--nope"},
        "a string", 42, {"no": "type"},
        indicator("[domain-name:value = 'ok.example']", 4),
    ), "f")
    assert values(r) == [("domain", "ok.example")]
    assert sum(r.skipped.values()) == 7
    assert r.skipped["revoked indicator"] == 1 and r.skipped["pattern type 'snort' is not STIX"] == 1
    assert r.skipped["not a STIX object"] == 3


def test_a_single_object_a_list_and_stix_2_0_are_read():
    one = indicator("[domain-name:value = 'one.example']", 1)
    assert values(load_stix(json.dumps(one), "f")) == [("domain", "one.example")]
    assert values(load_stix(json.dumps([one]), "f")) == [("domain", "one.example")]
    v20 = {"type": "indicator", "id": sid("indicator", 5), "created": T,
           "modified": T, "labels": ["malicious-activity"], "pattern": "[ipv4-addr:value = '192.0.2.5']",
           "valid_from": T}
    assert values(load_stix(json.dumps({"type": "bundle", "id": sid("bundle", 1),
                                        "spec_version": "2.0", "objects": [v20]}), "f")) == [("ip", "192.0.2.5")]


@pytest.mark.parametrize(("text", "message"), [
    ("{broken", "not JSON"),
    ("", "not JSON"),
    ('{"objects": []}', "not a STIX bundle"),
    ('{"type": "bundle", "objects": {"a": 1}}', "not a list"),
    ("[" * 100000 + "]" * 100000, "not JSON"),
    ("3", "not a STIX"),
])
def test_unusable_input_is_a_value_error(text, message):
    with pytest.raises(ValueError, match=message):
        load_stix(text, "f")


def test_hostile_strings_are_kept_as_data():
    evil = "\x1b[2J\u202e\x00" + "x" * 5000
    r = load_stix(bundle(indicator("[domain-name:value = 'evil.example']", 1, name=evil, description=evil)), evil)
    [ind] = r.indicators
    assert ind.description == evil[:1024] and ind.source == evil  # the store cuts the source
    quoted = load_stix(bundle(indicator(r"[url:value = 'http://evil.example/it\'s']", 2)), "f")
    assert values(quoted) == [("url", "http://evil.example/it's")]


def test_load_file_detects_the_format_and_names_the_source(tmp_path):
    p = tmp_path / "feed.json"
    p.write_text("\ufeff  " + bundle(indicator("[domain-name:value = 'a.example']", 1)))
    r = load_file(p)
    assert values(r) == [("domain", "a.example")] and r.indicators[0].source == "feed.json"
    q = tmp_path / "list.txt"
    q.write_text("domain,b.example\n")
    assert values(load_file(q, source="s")) == [("domain", "b.example")]
    (tmp_path / "bin").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ValueError, match="not UTF-8"):
        load_file(tmp_path / "bin")
    with pytest.raises(ValueError, match="unknown format"):
        load_text("", "s", fmt="xml")


@settings(max_examples=150, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.sampled_from(
                        ["type", "objects", "pattern", "id", "spec_version", "pattern_type", "valid_from"]), c,
                        max_size=5), max_leaves=20))
def test_any_json_gives_a_report_or_a_value_error(doc):
    try:
        r = load_stix(json.dumps(doc), "f")
    except ValueError:
        return
    assert all(i.kind and i.value for i in r.indicators)
