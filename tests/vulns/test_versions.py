"""Version and range semantics of plantwarden.vulns.versions: ordering, boundaries, reported text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plantwarden.core.errors import InvalidInput
from plantwarden.vulns.versions import (
    Unparsed,
    Version,
    VersionRange,
    parse_range,
    parse_version,
    version_or_none,
)


def v(text: str) -> Version:
    return parse_version(text)


def rng(text: str) -> VersionRange:
    r = parse_range(text)
    assert isinstance(r, VersionRange), r
    return r


# ---------------------------------------------------------------------------------------- versions


@pytest.mark.parametrize(("a", "b"), [
    ("V3.2", "3.2"), ("v1.0", "1.0.0"), ("1.0", "1"), ("V 4.02", "V4.02"), ("Version v1.0", "1.0"),
    ("FW 01", "1"), ("FW11", "11"), ("firmware_05", "5"), ("V1.6 Upd6", "V1.6 Update 6"),
    ("7.3 Upd 11", "7.3 Update 11"), ("V4.5 SP6 Hotfix 8", "V4.5 SP6 HF8"), ("3.1 Service Pack 1", "3.1 SP1"),
    ("15.1 HF001", "15.1 HF1"), ("2021-02-08", "20210208"), ("2021/2/8", "2021-02-08"),
    ("7.52 build 344", "7.52 Build 344"), ("14.4u1", "14.4 Update 1"), ("V3.17 P013", "V3.17 Patch 13"),
])
def test_spellings_of_one_version_are_equal(a: str, b: str) -> None:
    assert v(a) == v(b)
    assert hash(v(a)) == hash(v(b))


@pytest.mark.parametrize("chain", [
    ["V4.2", "V4.2 SP1", "V4.2 SP1 HF3", "V4.2 SP2", "V4.3"],
    ["1.0 dev1", "1.0 alpha", "1.0 beta2", "1.0 rc1", "1.0", "1.0 HF1", "1.0 SP1", "1.0.1"],
    ["V4.7", "V4.7 HF28", "V4.7 HF29", "V4.7 SP9", "V4.7 SP10 HF4", "V4.7 SP10 HF5", "V4.8"],
    ["3.1 Build 4022.2", "3.1 Build 4022.4", "3.1 Build 4024.0"],
    ["R511.5", "R511.5_TCU4", "R511.5_TCU4_HF3", "R511.5_TCU4_HF4", "R520.2"],
    ["15.2(6)E0a", "15.2(7)E3", "15.2(7)E4", "15.3(1)"],
    ["V2020", "V2020 SP1", "V2020 SP1 Update 1", "V2020 SP2"],
    ["2020 R2", "2020 R2 P01", "2020 R2 SP1"],
    ["1.9", "1.10", "1.100"],
    ["2020-12-31", "2021-01-01", "20210208"],
])
def test_orderings(chain: list[str]) -> None:
    parsed = [v(t) for t in chain]
    assert parsed == sorted(parsed)
    assert len(set(parsed)) == len(parsed)


@pytest.mark.parametrize(("text", "prefix", "release"), [
    ("A17", "a", (17,)), ("R2.1", "r", (2, 1)), ("B.06.18", "b", (6, 18)), ("MX-V4.0.1.15", "mx", (4, 0, 1, 15)),
    ("UN30 1.76", "un30", (1, 76)), ("GATE-E1", "gate-e", (1,)), ("R15A", "r", (15,)),
])
def test_letter_first_versions_keep_their_prefix(text: str, prefix: str, release: tuple[int, ...]) -> None:
    parsed = v(text)
    assert (parsed.prefix, parsed.release) == (prefix, release)
    assert not parsed.comparable(v("1.0"))


def test_dates_are_their_own_kind() -> None:
    d = v("2019-05-01")
    assert d.is_date and d.release == (2019, 5, 1)
    assert not d.comparable(v("2019.5"))
    assert not v("20191301").is_date  # no month 13: a number


def test_wildcards() -> None:
    w = v("4.2.x")
    assert w.wildcard and w.release == (4, 2)
    assert v("R15x").wildcard
    assert v("5.1.0-x").release == (5, 1, 0)


@pytest.mark.parametrize("text", [
    "", "   ", "No version", "CODESYS Control for PFC200", "1783-SAD4T0SBK9", "comcode 150047415",
    "production_date_December_2020", "the_first_5_digits_of_serial_number_21092", "2018 SP3 Version 3.4.430.460",
    "3.3 SP1 3.x", "04088-9000-0001", "4.5 | SP6", "8.2 Advanced Reports", "1.0 (", "-",
])
def test_text_that_is_no_version(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_version(text)
    assert version_or_none(text) is None


def test_non_text_is_rejected_clearly() -> None:
    with pytest.raises(InvalidInput, match="must be text"):
        parse_version(3.2)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="must be text"):
        parse_range(None)  # type: ignore[arg-type]
    assert version_or_none(None) is None


releases = st.lists(st.integers(0, 300), min_size=1, max_size=5)


def dotted(nums: list[int]) -> str:
    return ".".join(map(str, nums))


def stripped(nums: list[int]) -> tuple[int, ...]:
    while len(nums) > 1 and nums[-1] == 0:
        nums = nums[:-1]
    return tuple(nums)


@given(releases, releases)
def test_release_order_is_numeric(a: list[int], b: list[int]) -> None:
    va, vb = v(dotted(a)), v(dotted(b))
    assert (va < vb) == (stripped(a) < stripped(b))
    assert (va == vb) == (stripped(a) == stripped(b))
    assert v("V" + dotted(a)) == va


@given(releases, st.sampled_from(["SP", "HF", "Update ", "Patch ", "build ", "Rev"]), st.integers(1, 40))
def test_qualifiers_sort_between_a_release_and_the_next(nums: list[int], word: str, n: int) -> None:
    base = v(dotted(nums))
    qualified = v(f"{dotted(nums)} {word}{n}")
    bumped = v(dotted([*nums[:-1], nums[-1] + 1]))
    assert base < qualified < bumped
    assert v(f"{dotted(nums)} rc{n}") < base


@given(st.lists(st.builds(lambda r, q: f"{dotted(r)}{q}", releases,
                          st.sampled_from(["", " SP1", " SP2 HF1", " HF3", " rc1", " Update 2", "a"])),
                min_size=3, max_size=8))
def test_order_is_total_and_consistent(texts: list[str]) -> None:
    parsed = [v(t) for t in texts]
    ordered = sorted(parsed)
    for x, y in zip(ordered, ordered[1:], strict=False):
        assert x <= y and not y < x
    for x in parsed:
        assert (x < x) is False and x == x


# ------------------------------------------------------------------------------------------ ranges


@pytest.mark.parametrize(("text", "version", "expected"), [
    ("<V3.2", "V3.1.9", True), ("<V3.2", "3.2", False), ("<V3.2", "V3.2.0", False),
    ("<= 1.52", "1.52", True), ("<= 1.52", "1.53", False), ("> 8.0.4", "8.0.4", False), ("> 8.0.4", "8.0.5", True),
    (">= 2.0 | <= 2.5", "2.0", True), (">= 2.0 | <= 2.5", "2.5", True), (">= 2.0 | <= 2.5", "2.6", False),
    (">= 2.0 | <= 2.5", "1.9", False), ("=> 5.0 | <= 5.0.5.31", "5.0.5.31", True),
    ("All versions", "whatever 7", True), ("All versions < V2.0", "V1.9", True), ("All versions < V2.0", "V2.0", False),
    ("All versions >= V1.0 < V2.0", "V1.0", True), ("All versions >= V1.0 < V2.0", "V0.9", False),
    ("All versions >V1.1 and <V2.0.1", "V1.1", False), (">=V10.0.0<V10.0.2", "V10.0.1", True),
    ("vers:all/*", "anything", True), ("*", "1.0", True),
    ("vers:all/<V7.2", "V7.1.99", True), ("vers:all/<=V7.2", "V7.2", True),
    ("vers:all/>=V11.5.1|<V11.6.2", "V11.6.1", True), ("vers:all/>=V11.5.1|<V11.6.2", "V11.6.2", False),
    ("vers:generic/>=1.0|<2.0|!=1.5", "1.5", False), ("vers:generic/>=1.0|<2.0|!=1.5", "1.6", True),
    ("vers:generic/1.0|2.0", "2.0", True), ("vers:generic/1.0|2.0", "1.5", False),
    ("vers:generic/<1.0|>=2.0|<3.0|>=4.0", "3.5", False), ("vers:generic/<1.0|>=2.0|<3.0|>=4.0", "4.1", True),
    ("vers:generic/<V1.0%20SP1", "V1.0", True), ("vers:generic/<V1.0%20SP1", "V1.0 SP1", False),
    ("V1.0|V1.1", "1.1", True), ("V1.0|V1.1", "1.2", False),
    ("V1.1, V1.2, and V1.3", "V1.3", True), ("V1.1, V1.2, and V1.3", "V1.4", False),
    ("prior to 2.3", "2.2", True), ("prior to 2.3", "2.3", False), ("earlier than V5", "V5", False),
    ("before 2021-06-16", "2021-06-15", True), ("2.4 and prior", "2.4", True), ("2.4 and earlier", "2.5", False),
    ("2.4 or earlier", "1.0", True), ("up to 3.1", "3.1", True), ("up to 3.1", "3.1.1", False),
    ("3.0 and later", "3.0", True), ("3.0 and later", "2.9", False),
    ("from 2.0 to 2.4", "2.4", True), ("2.0 through 2.4", "2.0", True), ("V1.81.01 - V1.81.03", "V1.81.04", False),
    ("Versions 2.00 to 6.11", "6.11", True), ("20-33", "33.011", True), ("20-33", "34.011", False),
    ("20-33", "19.999", False), ("2.0.3 (including) and 2.0.6 (excluding)", "2.0.6", False),
    ("2.0.3 (including) and 2.0.6 (excluding)", "2.0.3", True),
    ("11.3.x", "11.3.7", True), ("11.3.x", "11.4", False), (">= 3.x | <= 3.2.2", "3.0.1", True),
    (">= 4.6.0 | =< 4.6.20304.x", "4.6.20304.99", True), (">= 4.6.0 | =< 4.6.20304.x", "4.6.20305", False),
    ("< 14.4u1 (14.x series)", "14.3", True), ("< 14.4u1 (14.x series)", "13.9", False),
    ("4.1.1.7662 (and possibly prior versions)", "4.0", True), ("<= 2.0 (Build 683.003)", "2.0 Build 683.004", False),
    ("<= 2.0 (Build 683.003)", "2.0 Build 683.003", True), ("< 12.4 (firmware 1.46)", "12.3", True),
    ("2.7", "2.7.0", True), ("2.7", "2.70", False), ("< 20210208", "2021-02-07", True),
])
def test_range_contains(text: str, version: str, expected: bool) -> None:
    assert rng(text).contains(version) is expected


@pytest.mark.parametrize(("text", "version"), [
    ("< R9.90", "9.85"),  # the bound has the letter prefix R, the version none
    ("< B.06.18", "A.06.17"),
    ("< 20210208", "1.2"),  # a date against a version number
    ("<V3.2", "no version at all"),
    ("<V3.2", "3.x"),  # a wildcard is not a version a device runs
    ("CP401 | CP451", "R3.09"),
])
def test_range_cannot_place(text: str, version: str) -> None:
    assert rng(text).contains(version) is None


def test_component_and_note() -> None:
    bios = rng("BIOS < V22")
    assert bios.component == "BIOS" and bios.contains("V21") is True and bios.contains("V22") is False
    abb = rng("1SAP551100R0001 (revision index B1 with BSP <= UN30 1.76)")
    assert abb.component == "1SAP551100R0001 (revision index B1 with BSP)"
    assert abb.contains("UN30 1.76") is True and abb.contains("UN30 v2.31") is False
    noted = rng("8.2 (all editions)")
    assert noted.note == "all editions" and noted.contains("8.2")
    cape = rng("CAPE 14 installations installed from material dated earlier than 2021-06-16")
    assert cape.component == "CAPE 14 installations installed from material dated"
    assert cape.contains("2021-06-16") is False


@pytest.mark.parametrize(("text", "reason"), [
    ("No version", "not a version"),
    ("Versions including affected IPv6 stack", "not a version"),
    ("All versions only when running on ROX II < V2.15.1", "qualified"),
    ("BIOS only when patched < V22", "condition"),
    ("6.02 (excluding Version 5.83 Version 5.92 and all subsequent minor releases)", "changes the range"),
    ("<=8.1 | >= 8.1.10", "upward and a downward"),
    (">= 1.0 | >= 2.4", "two lower bounds"),
    ("<= 1.0 | < 2.0", "two upper bounds"),
    (">= 4.5.0 | =< 3.5.20304.x", "above upper bound"),
    ("<=VDS R7.50 | <=FCN/FCJ Simulator R4.20", "different components"),
    (">= 5.0.0 | CVE-2019-18340", "different kinds or prefixes"),
    ("V5.00.204, V5.00.260, and", "truncated"),
    ("1783-SAD4T0SBK9", "catalog"),
    ("<=the_first_5_digits_of_serial_number_21092", "not a version"),
    ("vers:all/>=1.0|>=2.0", "do not alternate"),
    ("vers:all", "vers:<scheme>"),
    ("vers:all/<1.x", "wildcard"),
    ("2.6 to 2.1", "not an interval"),
    ("CODESYS Control for PFC200", "text before the version"),
    ("", "empty"),
    ("< ", "without a version"),
])
def test_unparsed_ranges_say_why(text: str, reason: str) -> None:
    r = parse_range(text)
    assert isinstance(r, Unparsed), r
    assert reason in r.reason and r.text == text
    assert r.contains("1.0") is None


@given(releases, releases, st.sampled_from(["<", "<=", ">", ">="]))
def test_single_bound_agrees_with_the_order(bound: list[int], ver: list[int], op: str) -> None:
    b, x = v(dotted(bound)), v(dotted(ver))
    expected = {"<": x < b, "<=": x <= b, ">": x > b, ">=": x >= b}[op]
    for text in (f"{op} {dotted(bound)}", f"{op}V{dotted(bound)}", f"vers:all/{op}{dotted(bound)}",
                 f"All versions {op} V{dotted(bound)}"):
        assert rng(text).contains(dotted(ver)) is expected, text


@given(releases, releases, releases)
def test_interval_agrees_with_the_order(lo: list[int], hi: list[int], ver: list[int]) -> None:
    a, b, x = v(dotted(lo)), v(dotted(hi)), v(dotted(ver))
    text = f">= {dotted(lo)} | <= {dotted(hi)}"
    r = parse_range(text)
    if a > b:
        assert isinstance(r, Unparsed)
        return
    assert isinstance(r, VersionRange)
    assert r.contains(dotted(ver)) is (a <= x <= b)
    assert rng(f"vers:all/>={dotted(lo)}|<={dotted(hi)}").contains(x) is (a <= x <= b)


def test_parse_range_is_cached_and_hashable() -> None:
    assert parse_range("< V3.2") is parse_range("< V3.2")
    assert len({v("1.0"), v("1.0.0"), v("V1")}) == 1
