"""OSV records (plantwarden.vulns.osv): read from hand-made records that follow the OSV schema, and matched
to SBOM components by purl and version (SEMVER, ECOSYSTEM and GIT ranges, listed versions)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from plantwarden.core.errors import InvalidInput
from plantwarden.vulns.osv import load_osv, match_components, parse_purl, semver_key
from plantwarden.vulns.sbom import Component


def record(osv_id: str, *affected: dict[str, Any], **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"schema_version": "1.6.0", "id": osv_id, "modified": "2024-04-01T00:00:00Z",
                           "published": "2024-03-01T00:00:00Z", "affected": list(affected)}
    doc.update(extra)
    return doc


def pkg(ecosystem: str | None = None, name: str | None = None, purl: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if ecosystem:
        out["ecosystem"] = ecosystem
    if name:
        out["name"] = name
    if purl:
        out["purl"] = purl
    return out


def rng(kind: str, *events: dict[str, str], repo: str | None = None) -> dict[str, Any]:
    r: dict[str, Any] = {"type": kind, "events": list(events)}
    if repo:
        r["repo"] = repo
    return r


# a modbus library, fixed in 3.6.3 after being introduced in 3.0.0 (a PEP 440 ecosystem)
PYMODBUS = record(
    "PYSEC-2099-11",
    {"package": pkg("PyPI", "PyModbus"),
     "ranges": [rng("ECOSYSTEM", {"introduced": "3.0.0"}, {"fixed": "3.6.3"})]},
    aliases=["CVE-2099-1111", "GHSA-aaaa-bbbb-cccc"],
    summary="Frames of a length field larger than the buffer crash the server",
    severity=[{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}],
    references=[{"type": "ADVISORY", "url": "https://example.invalid/advisory/11"}],
)
# an npm package, two affected spans, the second one not fixed yet
LODASH = record(
    "GHSA-xxxx-yyyy-zzzz",
    {"package": pkg("npm", "lodash"),
     "ranges": [rng("SEMVER", {"introduced": "0"}, {"fixed": "4.17.21"}, {"introduced": "5.0.0-beta.1"})]},
    aliases=["CVE-2099-2222"],
)
# a firmware library named only by purl, affected up to and including 1.2.12
ZLIB = record(
    "OSV-ZLIB-1",
    {"package": pkg(purl="pkg:generic/zlib"),
     "ranges": [rng("ECOSYSTEM", {"introduced": "1.2.0"}, {"last_affected": "1.2.12"})]},
)
# a Maven artifact, and a Debian package of a distribution
MILO = record("OSV-MILO-1", {"package": pkg("Maven", "org.eclipse.milo:sdk-server"),
                             "ranges": [rng("ECOSYSTEM", {"introduced": "0"}, {"fixed": "0.6.9"})]})
DEB = record("DSA-9999-1", {"package": pkg("Debian:12", "OpenSSL"),
                            "ranges": [rng("ECOSYSTEM", {"introduced": "0"}, {"fixed": "3.0.13"})]})
# a C library known by commits (GIT) and by its listed release versions
GIT = record("OSV-GIT-1", {"package": pkg(purl="pkg:github/example/libplc"),
                           "ranges": [rng("GIT", {"introduced": "9f0e1d2c"}, {"fixed": "a1b2c3d4"},
                                          repo="https://github.com/example/libplc")],
                           "versions": ["2.0.0", "2.0.1"]})
# a limit: only the 1.x line is affected by this record
LIMITED = record("OSV-LIMIT-1", {"package": pkg(purl="pkg:cargo/modbus-core"),
                                 "ranges": [rng("SEMVER", {"introduced": "1.0.0"}, {"limit": "2.0.0"})]})


def comp(purl: str, version: str | None = None, name: str = "c") -> Component:
    return Component(name=name, version=version, purl=purl)


def matched(records: list[dict[str, Any]], components: list[Component]) -> list[tuple[str, str]]:
    advisories = [load_osv(r) for r in records]
    return [(f.component.purl or "", f.osv_id) for f in match_components(advisories, components)]


ALL = [PYMODBUS, LODASH, ZLIB, MILO, DEB, GIT, LIMITED]


@pytest.mark.parametrize("purl,version,expected", [
    # PyPI, PEP 440, name normalised (PyModbus ~ pymodbus)
    ("pkg:pypi/pymodbus@3.5.0", None, ["PYSEC-2099-11"]),
    ("pkg:pypi/py_modbus@3.5.0", None, []),  # another package: '_' is folded only within a name's runs
    ("pkg:pypi/PyModbus@3.6.2", None, ["PYSEC-2099-11"]),
    ("pkg:pypi/pymodbus@3.6.3", None, []),  # the fix
    ("pkg:pypi/pymodbus@3.6.3rc1", None, ["PYSEC-2099-11"]),  # a pre-release of the fix is before it
    ("pkg:pypi/pymodbus@2.5.3", None, []),  # before it was introduced
    ("pkg:pypi/pymodbus", "3.1.0", ["PYSEC-2099-11"]),  # the component's version when the purl has none
    # npm, SemVer with two spans
    ("pkg:npm/lodash@4.17.20", None, ["GHSA-xxxx-yyyy-zzzz"]),
    ("pkg:npm/lodash@4.17.21", None, []),
    ("pkg:npm/lodash@5.0.0-alpha.3", None, []),  # before 5.0.0-beta.1 by SemVer precedence
    ("pkg:npm/lodash@5.0.0-beta.2", None, ["GHSA-xxxx-yyyy-zzzz"]),
    ("pkg:npm/lodash@6.1.0", None, ["GHSA-xxxx-yyyy-zzzz"]),
    ("pkg:npm/LoDash@4.0.0", None, ["GHSA-xxxx-yyyy-zzzz"]),  # npm names without case
    # purl-only package, last_affected
    ("pkg:generic/zlib@1.2.11", None, ["OSV-ZLIB-1"]),
    ("pkg:generic/zlib@1.2.12", None, ["OSV-ZLIB-1"]),
    ("pkg:generic/zlib@1.2.13", None, []),
    ("pkg:generic/zlib@1.1.4", None, []),
    ("pkg:generic/zlib@1.2.11?arch=arm", None, ["OSV-ZLIB-1"]),  # qualifiers are not compared
    # Maven group:artifact -> namespace/name; Maven names are case-sensitive
    ("pkg:maven/org.eclipse.milo/sdk-server@0.6.8", None, ["OSV-MILO-1"]),
    ("pkg:maven/org.eclipse.milo/sdk-server@0.6.9", None, []),
    ("pkg:maven/org.eclipse.milo/SDK-Server@0.6.8", None, []),
    # Debian:12 -> deb/debian
    ("pkg:deb/debian/openssl@3.0.11?distro=bookworm", None, ["DSA-9999-1"]),
    ("pkg:deb/ubuntu/openssl@3.0.11", None, []),
    # GIT: only the listed versions
    ("pkg:github/example/libplc@2.0.1", None, ["OSV-GIT-1"]),
    ("pkg:github/Example/LibPLC@2.0.0", None, ["OSV-GIT-1"]),
    ("pkg:github/example/libplc@2.0.2", None, []),
    # limit
    ("pkg:cargo/modbus-core@1.9.9", None, ["OSV-LIMIT-1"]),
    ("pkg:cargo/modbus-core@2.0.0", None, []),
    # nothing to place: no version, no purl type known, garbage
    ("pkg:pypi/pymodbus", None, []),
    ("pkg:pypi/pymodbus@not a version!", None, []),
])
def test_matching_by_purl_and_version(purl: str, version: str | None, expected: list[str]) -> None:
    assert [osv for _, osv in matched(ALL, [comp(purl, version)])] == expected


def test_a_finding_says_why_and_what_fixes_it() -> None:
    [f] = match_components([load_osv(PYMODBUS)], [comp("pkg:pypi/pymodbus@3.5.0", "3.5.0", "pymodbus")])
    assert f.osv_id == "PYSEC-2099-11" and f.cves == ("CVE-2099-1111",) and f.fixed == ("3.6.3",)
    assert "ECOSYSTEM range >= 3.0.0, < 3.6.3 (fixed)" in f.why and "PEP 440" in f.why
    [g] = match_components([load_osv(LODASH)], [comp("pkg:npm/lodash@6.0.0")])
    assert g.fixed == () and "no fix yet" in g.why


def test_components_without_a_purl_are_not_matched() -> None:
    assert match_components([load_osv(ZLIB)], [Component(name="zlib", version="1.2.11")]) == []
    assert match_components([load_osv(ZLIB)], [Component(name="zlib", version="1.2.11", purl="not a purl")]) == []


def test_withdrawn_records_match_nothing() -> None:
    assert matched([dict(ZLIB, withdrawn="2024-05-01T00:00:00Z")], [comp("pkg:generic/zlib@1.2.11")]) == []


def test_one_finding_per_component_and_record() -> None:
    doubled = record("OSV-2", {"package": pkg(purl="pkg:generic/zlib"), "versions": ["1.2.11"]},
                     {"package": pkg(purl="pkg:generic/zlib"),
                      "ranges": [rng("ECOSYSTEM", {"introduced": "0"})]})
    assert matched([doubled], [comp("pkg:generic/zlib@1.2.11")]) == [("pkg:generic/zlib@1.2.11", "OSV-2")]


def test_the_record_is_read_with_every_field(tmp_path: Path) -> None:
    path = tmp_path / "PYSEC-2099-11.json"
    path.write_text(json.dumps(PYMODBUS))
    adv = load_osv(path)
    assert (adv.id, adv.aliases, adv.cves) == ("PYSEC-2099-11", ("CVE-2099-1111", "GHSA-aaaa-bbbb-cccc"),
                                               ("CVE-2099-1111",))
    assert adv.summary and adv.severity[0].type == "CVSS_V3" and adv.references[0].type == "ADVISORY"
    assert adv.source == str(path) and adv.modified == "2024-04-01T00:00:00Z"
    assert load_osv(path.read_bytes()) == load_osv(PYMODBUS) != adv  # only the source differs
    [a] = adv.affected
    assert (a.ecosystem, a.name, a.ranges[0].events[1].kind) == ("PyPI", "PyModbus", "fixed")


@pytest.mark.parametrize("doc,words", [
    ({"affected": []}, "'id' must be non-empty text"),
    (record("X", {"package": {"ecosystem": "PyPI"}}), "needs an ecosystem and a name, or a purl"),
    (record("X", {"package": pkg("PyPI", "a"), "ranges": [rng("SEMVER", {"fixed": "1"})]}),
     "needs an 'introduced' event"),
    (record("X", {"package": pkg("PyPI", "a"), "ranges": [rng("DATE", {"introduced": "0"})]}), "'DATE'"),
    (record("X", {"package": pkg("PyPI", "a"), "ranges": [rng("GIT", {"introduced": "0"})]}), "needs its repo"),
    (record("X", {"package": pkg("PyPI", "a"),
                  "ranges": [rng("SEMVER", {"introduced": "0", "fixed": "1"})]}), "exactly one of"),
    (record("X", {"package": pkg("PyPI", "a"), "versions": "1.0"}), "must be a list"),
    (record("X", {"package": pkg("PyPI", "a"), "versions": [1]}), "list of text"),
    (record("X", "not an object"), "must be an object"),
    (record("X", severity=[{"type": "CVSS_V3"}]), "'score' must be non-empty text"),
])
def test_broken_records_are_invalid_input(doc: dict[str, Any], words: str) -> None:
    with pytest.raises(InvalidInput) as e:
        load_osv(doc)
    assert words in str(e.value)


@pytest.mark.parametrize("raw,words", [
    (b"", "not JSON"),
    (b'{"id": "X", "affected": [', "not JSON"),
    (b"[]", "a list: load each record by itself"),
    (b'"text"', "not a JSON object"),
    (b"\xff\xfe\x00", "not JSON"),
])
def test_broken_files_are_invalid_input(raw: bytes, words: str) -> None:
    with pytest.raises(InvalidInput, match="OSV record") as e:
        load_osv(raw)
    assert words in str(e.value)


def test_deeply_nested_json_is_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        load_osv(b'{"id": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")


def test_purls_and_semver() -> None:
    assert parse_purl("pkg:pypi/Django_Rest.Framework@3.0") == (("pypi", "", "django-rest-framework"), "3.0")
    assert parse_purl("nonsense") is None
    key = semver_key
    assert key("1.0.0-alpha") < key("1.0.0-alpha.1") < key("1.0.0-beta") < key("1.0.0-rc.1") < key("1.0.0")  # type: ignore[operator]
    assert key("v2") == key("2.0.0") and key("1.0.0+build") == key("1.0.0") and key("x.y") is None


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_json = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
                     max_leaves=12)
_event = st.dictionaries(st.sampled_from(["introduced", "fixed", "last_affected", "limit"]),
                         st.sampled_from(["0", "1.0", "v2", "1.2.3-rc.1", "*", "", "abc"]) | _json, max_size=2)
_range = st.fixed_dictionaries({"type": st.sampled_from(["SEMVER", "ECOSYSTEM", "GIT"]) | _json,
                                "events": st.lists(_event, max_size=4) | _json},
                               optional={"repo": st.text(max_size=5) | _json})
_package = st.fixed_dictionaries({}, optional={"ecosystem": st.sampled_from(["PyPI", "npm", "Debian:12", "Maven"]) | _json,
                                               "name": st.sampled_from(["a", "g:a", "x/y"]) | _json,
                                               "purl": st.sampled_from(["pkg:pypi/a", "pkg:npm/%40s/a", "bad"]) | _json})
_record = st.fixed_dictionaries({"id": st.text(max_size=5) | _json},
                                optional={"affected": st.lists(st.fixed_dictionaries(
                                    {"package": _package}, optional={"ranges": st.lists(_range, max_size=2) | _json,
                                                                     "versions": st.lists(st.text(max_size=4), max_size=2) | _json}),
                                    max_size=2) | _json, "aliases": _json, "severity": _json, "references": _json,
                                          "withdrawn": _json})


@settings(max_examples=500, deadline=None)
@given(_record)
def test_odd_records_are_read_or_refused_never_a_crash(doc: dict[str, Any]) -> None:
    try:
        adv = load_osv(doc)
    except InvalidInput as e:
        assert str(e)
        return
    match_components([adv], [comp("pkg:pypi/a@1.0"), comp("pkg:npm/%40s/a@2.0.0"), comp("pkg:maven/g/a@1.0"),
                              comp("pkg:deb/debian/a@1.0")])
