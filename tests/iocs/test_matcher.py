"""The matcher: addresses, networks, names with subdomains, URLs, hashes, validity; immutable."""

from __future__ import annotations

import pytest

from plantwarden.iocs.matcher import EMPTY, IndicatorMatcher
from plantwarden.iocs.model import Indicator

SHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def ind(kind, value, **kw):
    return Indicator(kind, value, "feed", **kw)


M = IndicatorMatcher([
    ind("ip", "198.51.100.7"), ind("cidr", "203.0.113.0/24"), ind("cidr", "203.0.0.0/16"),
    ind("ip", "2001:db8::66"), ind("cidr", "2001:db8:1::/48"),
    ind("domain", "evil.example"), ind("domain", "c2.other.example", valid_from=100.0, valid_until=200.0),
    ind("url", "http://evil.example/drop.exe"), ind("url", "http://evil.example/q?id=1"),
    ind("sha256", SHA),
])


def values(found):
    return [i.value for i in found]


def test_addresses_and_networks_longest_prefix_first():
    assert values(M.match_ip("198.51.100.7")) == ["198.51.100.7"]
    assert values(M.match_ip("203.0.113.9")) == ["203.0.113.0/24", "203.0.0.0/16"]
    assert values(M.match_ip("203.0.1.1")) == ["203.0.0.0/16"]
    assert values(M.match_ip("2001:db8::66")) == ["2001:db8::66"]
    assert values(M.match_ip("2001:db8:1:ffff::1")) == ["2001:db8:1::/48"]
    assert M.match_ip("10.0.0.1") == () and M.match_ip("2001:db8:2::1") == ()
    assert M.match_ip("not-an-address") == () and M.match_ip("") == ()


def test_names_with_and_without_subdomains():
    assert values(M.match_name("evil.example")) == ["evil.example"]
    assert values(M.match_name("WWW.Evil.Example.")) == ["evil.example"]
    assert M.match_name("www.evil.example", subdomains=False) == ()
    assert M.match_name("notevil.example") == () and M.match_name("example") == () and M.match_name("") == ()
    assert M.match_name("evil.example.attacker.test") == ()


def test_validity_is_checked_at_the_traffic_time():
    assert values(M.match_name("c2.other.example", 150.0)) == ["c2.other.example"]
    assert M.match_name("c2.other.example", 99.0) == () and M.match_name("c2.other.example", 200.0) == ()
    assert values(M.match_name("c2.other.example")) == ["c2.other.example"]  # no time: no check


def test_urls_normalised_and_a_query_free_indicator_matches_any_query():
    assert values(M.match_url("HTTP://EVIL.example:80/drop.exe")) == ["http://evil.example/drop.exe"]
    assert values(M.match_url("http://evil.example/drop.exe?x=2")) == ["http://evil.example/drop.exe"]
    assert values(M.match_url("http://evil.example/q?id=1")) == ["http://evil.example/q?id=1"]
    assert M.match_url("http://evil.example/q?id=2") == () and M.match_url("http://evil.example/q") == ()
    assert M.match_url("http://evil.example/a b") == () and M.match_url("garbage") == ()


def test_hashes_any_case():
    assert values(M.match_hash(SHA.upper())) == [SHA] and M.match_hash("00" * 32) == () and M.match_hash("") == ()


def test_what_there_is_to_match_and_immutability():
    assert (M.has_addresses, M.has_names, M.has_urls, M.has_hashes, len(M), bool(M)) == (
        True, True, True, True, 10, True)
    assert not EMPTY and len(EMPTY) == 0 and not (EMPTY.has_addresses or EMPTY.has_names or EMPTY.has_urls
                                                  or EMPTY.has_hashes)
    assert EMPTY.match_ip("10.0.0.1") == () and EMPTY.match_name("a.example") == () and EMPTY.match_url("http://a/") == ()
    only_nets = IndicatorMatcher([ind("cidr", "10.0.0.0/8")])
    assert only_nets.has_addresses and values(only_nets.match_ip("10.1.1.1")) == ["10.0.0.0/8"]
    with pytest.raises(AttributeError):
        M._ips = {}  # type: ignore[misc]
    assert IndicatorMatcher() == EMPTY and IndicatorMatcher([ind("ip", "10.0.0.1")]) != EMPTY
    assert "10 indicators" in repr(M)
