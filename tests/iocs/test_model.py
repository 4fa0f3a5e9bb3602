"""Normalisation of indicator values: what the matcher compares, and what is refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plantwarden.iocs.model import KINDS, Indicator, InvalidIndicator, normalize


@pytest.mark.parametrize(("kind", "raw", "expected"), [
    ("ip", " 10.0.0.1 ", ("ip", "10.0.0.1")),
    ("ip", "2001:DB8:0:0::1", ("ip", "2001:db8::1")),
    ("ip", "10.0.0.0/8", ("cidr", "10.0.0.0/8")),
    ("cidr", "10.1.2.3/8", ("cidr", "10.0.0.0/8")),
    ("cidr", "10.1.2.3/32", ("ip", "10.1.2.3")),
    ("cidr", "2001:db8::/32", ("cidr", "2001:db8::/32")),
    ("domain", "Evil.Example.", ("domain", "evil.example")),
    ("domain", "*.evil.example", ("domain", "evil.example")),
    ("domain", "bücher.example", ("domain", "xn--bcher-kva.example")),
    ("domain", "_dmarc.evil-1.example", ("domain", "_dmarc.evil-1.example")),
    ("url", "HTTP://Evil.Example:80", ("url", "http://evil.example/")),
    ("url", "https://evil.example:8443/a/b?x=1#frag", ("url", "https://evil.example:8443/a/b?x=1")),
    ("url", "http://evil.example/päth", ("url", "http://evil.example/p%C3%A4th")),
    ("url", "http://[2001:DB8::1]:8080/x", ("url", "http://[2001:db8::1]:8080/x")),
    ("url", "http://198.51.100.7/x", ("url", "http://198.51.100.7/x")),
    ("md5", "D41D8CD98F00B204E9800998ECF8427E", ("md5", "d41d8cd98f00b204e9800998ecf8427e")),
    ("sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709", ("sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709")),
    ("sha256", "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
     ("sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")),
])
def test_values_are_normalised(kind, raw, expected):
    assert normalize(kind, raw) == expected


@pytest.mark.parametrize(("kind", "raw", "reason"), [
    ("ip", "10.0.0.256", "not an IP"),
    ("ip", "", "empty"),
    ("cidr", "10.0.0.0/33", "not an IP"),
    ("domain", "bad..example", "not a domain"),
    ("domain", "evil.example\x1b[31m", "not a domain"),
    ("domain", "a" * 64 + ".example", "not a domain"),
    ("domain", ("a" * 60 + ".") * 5, "longer than 253"),
    ("url", "evil.example/x", "without scheme"),
    ("url", "http://evil.example/a b", "white space"),
    ("url", "http://evil.example/\r\nSet-Cookie: x", "white space"),
    ("url", "http://evil.example:99999/", "not a URL"),
    ("md5", "xyz", "32 hex"),
    ("sha256", "ab" * 31, "64 hex"),
    ("sha1", "g" * 40, "40 hex"),
    ("ftp-site", "x", "unknown indicator type"),
    ("url", "http://e.example/" + "a" * 3000, "longer than"),
])
def test_invalid_values_are_refused_with_a_reason(kind, raw, reason):
    with pytest.raises(InvalidIndicator, match=reason):
        normalize(kind, raw)


def test_validity_window_is_half_open():
    ind = Indicator("ip", "10.0.0.1", valid_from=100.0, valid_until=200.0)
    assert [ind.valid_at(t) for t in (99.9, 100.0, 199.9, 200.0)] == [False, True, True, False]
    assert Indicator("ip", "10.0.0.1").valid_at(0.0)


@given(st.sampled_from(KINDS), st.text(max_size=300))
def test_normalize_never_fails_other_than_invalid_indicator(kind, raw):
    try:
        k, v = normalize(kind, raw)
    except InvalidIndicator:
        return
    assert k in KINDS and v == v.strip() and normalize(k, v) == (k, v)  # normal form is a fixed point
