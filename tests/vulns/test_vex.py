"""VEX (plantwarden.vulns.vex): CycloneDX VEX (JSON and XML) and CSAF VEX statements read from made-up
documents and applied to findings: not_affected with its justification, fixed, under_investigation and
affected decide the findings they are about, with the statement as the reason."""

from __future__ import annotations

import json
from typing import Any

import pytest

from plantwarden.core.errors import InvalidInput
from plantwarden.vulns.vex import VexStatement, apply_vex, load_vex

SERIAL = "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79"


def cdx_vex(spec: str = "1.5") -> dict[str, Any]:
    """A CycloneDX VEX about two components of a PLC's firmware."""
    return {
        "bomFormat": "CycloneDX", "specVersion": spec, "serialNumber": SERIAL, "version": 1,
        "components": [
            {"type": "library", "bom-ref": "zlib", "name": "zlib", "version": "1.2.11",
             "purl": "pkg:generic/zlib@1.2.11"},
            {"type": "library", "bom-ref": "modbus", "name": "pymodbus", "version": "3.5.0",
             "purl": "pkg:pypi/pymodbus@3.5.0"},
            {"type": "library", "bom-ref": "busybox", "name": "busybox", "purl": "pkg:generic/busybox"},
        ],
        "vulnerabilities": [
            {"id": "CVE-2022-37434", "analysis": {"state": "not_affected", "justification": "code_not_reachable",
                                                  "detail": "inflateGetHeader is never called"},
             "affects": [{"ref": "zlib"}]},
            {"id": "CVE-2099-1111", "analysis": {"state": "resolved", "response": ["update"]},
             "recommendation": "Use firmware V3.3", "affects": [{"ref": "modbus"}]},
            {"id": "CVE-2099-3333", "analysis": {"state": "in_triage", "response": "not a list"},
             "affects": [{"ref": "modbus"}]},
            {"id": "GHSA-aaaa-bbbb-cccc", "references": [{"id": "CVE-2099-4444",
                                                          "source": {"name": "NVD"}}],
             "analysis": {"state": "exploitable", "detail": "reachable from the network"},
             "affects": [{"ref": "pkg:npm/lodash@4.17.20"}]},
            {"id": "CVE-2099-5555", "analysis": {"state": "not_affected",
                                                 "justification": "requires_configuration"},
             "affects": [{"ref": "busybox", "versions": [
                 {"range": "vers:generic/>=1.30.0|<1.36.0", "status": "unaffected"},
                 {"version": "1.36.1", "status": "affected"}]}]},
        ],
    }


def cdx_xml(spec: str = "1.6") -> bytes:
    ns = f"http://cyclonedx.org/schema/bom/{spec}"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bom xmlns="{ns}" serialNumber="{SERIAL}" version="1">
  <components>
    <component type="library" bom-ref="zlib"><name>zlib</name><version>1.2.11</version>
      <purl>pkg:generic/zlib@1.2.11</purl></component>
  </components>
  <vulnerabilities>
    <vulnerability bom-ref="v1">
      <id>CVE-2022-37434</id>
      <analysis><state>not_affected</state><justification>code_not_present</justification>
        <detail>built without the gzip header code</detail></analysis>
      <affects><target><ref>zlib</ref></target></affects>
    </vulnerability>
    <vulnerability>
      <id>CVE-2099-7777</id>
      <analysis><state>false_positive</state><responses><response>will_not_fix</response></responses></analysis>
      <affects><target><ref>urn:cdx:{SERIAL[9:]}/1#zlib</ref></target></affects>
    </vulnerability>
  </vulnerabilities>
</bom>
""".encode()


def csaf_vex() -> dict[str, Any]:
    """A CSAF VEX of a vendor about its RTU firmware versions."""
    return {
        "document": {
            "category": "csaf_vex", "csaf_version": "2.0", "title": "RTU-7 and the OpenSSL issues",
            "publisher": {"category": "vendor", "name": "Grid Devices", "namespace": "https://grid.example"},
            "tracking": {"id": "GRID-VEX-2024-01", "status": "final", "version": "1",
                         "initial_release_date": "2024-02-01T00:00:00Z",
                         "current_release_date": "2024-02-01T00:00:00Z",
                         "revision_history": [{"date": "2024-02-01T00:00:00Z", "number": "1", "summary": "first"}]},
        },
        "product_tree": {"branches": [{"category": "vendor", "name": "Grid Devices", "branches": [
            {"category": "product_name", "name": "RTU-7", "branches": [
                {"category": "product_version", "name": "4.1.0", "product": {
                    "product_id": "RTU-410", "name": "Grid Devices RTU-7 4.1.0",
                    "product_identification_helper": {"purl": "pkg:generic/grid/rtu-7@4.1.0",
                                                      "cpe": "cpe:2.3:o:grid:rtu-7_firmware:4.1.0:*:*:*:*:*:*:*"}}},
                {"category": "product_version", "name": "4.2.0", "product": {
                    "product_id": "RTU-420", "name": "Grid Devices RTU-7 4.2.0",
                    "product_identification_helper": {"purl": "pkg:generic/grid/rtu-7@4.2.0"}}},
                {"category": "product_version", "name": "5.0.0", "product": {
                    "product_id": "RTU-500", "name": "Grid Devices RTU-7 5.0.0",
                    "product_identification_helper": {"purl": "pkg:generic/grid/rtu-7@5.0.0"}}},
                {"category": "product_version", "name": "5.1.0", "product": {
                    "product_id": "RTU-510", "name": "Grid Devices RTU-7 5.1.0",
                    "product_identification_helper": {"purl": "pkg:generic/grid/rtu-7@5.1.0"}}},
            ]}]}],
            "product_groups": [{"group_id": "G-4", "product_ids": ["RTU-410", "RTU-420"]}]},
        "vulnerabilities": [{
            "cve": "CVE-2023-0286",
            "product_status": {"known_not_affected": ["RTU-410", "RTU-420"], "fixed": ["RTU-510"],
                               "known_affected": ["RTU-500"]},
            "flags": [{"label": "vulnerable_code_not_in_execute_path", "group_ids": ["G-4"]}],
            "threats": [{"category": "impact", "details": "X.400 addresses are never parsed",
                         "group_ids": ["G-4"]}],
            "remediations": [{"category": "vendor_fix", "details": "Update to 5.1.0", "product_ids": ["RTU-500"]}],
        }, {
            "cve": "CVE-2023-0464",
            "product_status": {"under_investigation": ["RTU-410"]},
        }],
    }


def by(statements: list[VexStatement], vuln: str, product: str | None = None) -> list[VexStatement]:
    return [s for s in statements if s.vulnerability == vuln and (product is None or s.product_id == product)]


# ------------------------------------------------------------------------------------------- reading


@pytest.mark.parametrize("spec", ["1.4", "1.5", "1.6"])
def test_cyclonedx_vex_statements(spec: str) -> None:
    st = load_vex(json.dumps(cdx_vex(spec)).encode())
    [zlib] = by(st, "CVE-2022-37434")
    assert (zlib.status, zlib.justification, zlib.impact_statement) == (
        "not_affected", "code_not_reachable", "inflateGetHeader is never called")
    assert (zlib.purl, zlib.product_id, zlib.document, zlib.format) == ("pkg:generic/zlib@1.2.11", "zlib", SERIAL,
                                                                        "cyclonedx")
    [fixed] = by(st, "CVE-2099-1111")
    assert (fixed.status, fixed.action_statement) == ("fixed", "Use firmware V3.3")
    assert (by(st, "CVE-2099-3333")[0].status, by(st, "CVE-2099-3333")[0].action_statement) == (
        "under_investigation", None)
    [lodash] = by(st, "GHSA-aaaa-bbbb-cccc")
    assert (lodash.status, lodash.purl, lodash.aliases) == ("affected", "pkg:npm/lodash@4.17.20", ("CVE-2099-4444",))
    ranged, one = by(st, "CVE-2099-5555")
    assert (ranged.status, ranged.version_range, ranged.justification) == (
        "not_affected", "vers:generic/>=1.30.0|<1.36.0", "requires_configuration")
    assert (one.status, one.product_version) == ("affected", "1.36.1")
    assert all(s.suppresses == (s.status in ("not_affected", "fixed")) for s in st)


def test_cyclonedx_xml_vex_statements() -> None:
    st = load_vex(cdx_xml())
    [a, b] = st
    assert (a.status, a.justification, a.impact_statement, a.purl) == (
        "not_affected", "code_not_present", "built without the gzip header code", "pkg:generic/zlib@1.2.11")
    # a BOM-Link names the component of the BOM with that serial number
    assert (b.status, b.product_id, b.document, b.purl, b.action_statement) == (
        "not_affected", "zlib", SERIAL, "pkg:generic/zlib@1.2.11", "will_not_fix")


def test_csaf_vex_statements() -> None:
    st = load_vex(json.dumps(csaf_vex()).encode())
    assert {(s.product_id, s.status) for s in by(st, "CVE-2023-0286")} == {
        ("RTU-410", "not_affected"), ("RTU-420", "not_affected"), ("RTU-510", "fixed"), ("RTU-500", "affected")}
    [na] = by(st, "CVE-2023-0286", "RTU-410")
    assert (na.justification, na.impact_statement, na.document, na.format, na.purl, na.product_version) == (
        "vulnerable_code_not_in_execute_path", "X.400 addresses are never parsed", "GRID-VEX-2024-01", "csaf",
        "pkg:generic/grid/rtu-7@4.1.0", "4.1.0")
    assert by(st, "CVE-2023-0286", "RTU-500")[0].action_statement == "Update to 5.1.0"
    assert by(st, "CVE-2023-0464")[0].status == "under_investigation"


@pytest.mark.parametrize("raw,words", [
    (b"", "neither JSON nor XML"),
    (b'{"bomFormat": "CycloneDX", "specVersion": "1.5", "vulnerabilities": [', "neither JSON nor XML"),
    (b"[]", "not an object"),
    (b'{"hello": 1}', "neither CycloneDX"),
    (json.dumps(dict(cdx_vex(), specVersion="1.2")).encode(), "CycloneDX 1.2"),
    (json.dumps(dict(cdx_vex(), vulnerabilities={"id": 1})).encode(), "must be a list"),
    (json.dumps(dict(cdx_vex(), vulnerabilities=[{"analysis": {}}])).encode(), "has no id"),
    (json.dumps(dict(cdx_vex(), vulnerabilities=[{"id": "CVE-1", "analysis": {"state": "maybe"}}])).encode(),
     "unknown analysis state 'maybe'"),
    (json.dumps({"document": {"category": "csaf_vex"}}).encode(), "CSAF"),
    (b"<?xml version='1.0'?><!DOCTYPE bom [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
     b"<bom xmlns='http://cyclonedx.org/schema/bom/1.5'><vulnerabilities><vulnerability><id>&x;</id>"
     b"</vulnerability></vulnerabilities></bom>", "DTD or entities"),
    (b"<bom xmlns='http://cyclonedx.org/schema/bom/1.5'><vulnerabilities>", "not well-formed"),
    (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "neither JSON nor XML"),
])
def test_broken_vex_is_invalid_input(raw: bytes, words: str) -> None:
    with pytest.raises(InvalidInput) as e:
        load_vex(raw)
    assert words in str(e.value)


# ------------------------------------------------------------------------------------------ applying


def finding(cves: tuple[str, ...], purl: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"cves": cves, "purl": purl, **extra}


def test_cyclonedx_vex_applied_to_component_findings() -> None:
    st = load_vex(json.dumps(cdx_vex()).encode())
    findings = [
        finding(("CVE-2022-37434",), "pkg:generic/zlib@1.2.11"),  # not_affected
        finding(("CVE-2022-37434",), "pkg:generic/zlib@1.2.13"),  # another version: no statement
        finding(("cve-2099-1111",), "pkg:pypi/pymodbus@3.5.0"),  # fixed (CVE case does not matter)
        finding(("CVE-2099-3333",), "pkg:pypi/PyModbus@3.5.0"),  # under investigation, name normalised
        finding(("CVE-2099-4444",), "pkg:npm/lodash@4.17.20"),  # affected, by the alias
        finding(("CVE-2099-5555",), "pkg:generic/busybox@1.35.0"),  # in the unaffected range
        finding(("CVE-2099-5555",), "pkg:generic/busybox@1.36.1"),  # the affected version
        finding(("CVE-2099-5555",), "pkg:generic/busybox@1.29.0"),  # neither
        finding(("CVE-2000-0001",), "pkg:generic/zlib@1.2.11"),  # no statement of that CVE
    ]
    res = apply_vex(findings, st)
    assert [r.finding for r in res] == findings
    assert [(r.statement.status if r.statement else None) for r in res] == [
        "not_affected", None, "fixed", "under_investigation", "affected", "not_affected", "affected", None, None]
    assert [r.suppressed for r in res] == [True, False, True, False, False, True, False, False, False]
    assert res[0].statement is not None and res[0].statement.justification == "code_not_reachable"


def test_csaf_vex_applied_by_purl_cpe_and_product_id() -> None:
    st = load_vex(json.dumps(csaf_vex()).encode())
    res = apply_vex([
        finding(("CVE-2023-0286",), "pkg:generic/grid/rtu-7@4.1.0"),
        finding(("CVE-2023-0286",), "pkg:generic/grid/rtu-7@5.0.0"),
        finding(("CVE-2023-0286",), "pkg:generic/grid/rtu-7@5.1.0"),
        finding(("CVE-2023-0286",), "pkg:generic/grid/rtu-7@6.0.0"),
        finding(("CVE-2023-0464",), "pkg:generic/grid/rtu-7@4.1.0"),
        # a device known by its CPE and the firmware version read from the wire
        finding(("CVE-2023-0286",), cpe="cpe:2.3:o:grid:rtu-7_firmware:*:*:*:*:*:*:*:*", version="4.1.0"),
        finding(("CVE-2023-0286",), cpe="cpe:2.3:o:GRID:RTU-7_firmware:*:*:*:*:*:*:*:*", version="4.1.1"),
        # a finding of the same document, by product id
        finding(("CVE-2023-0286",), product_id="RTU-420", advisory="GRID-VEX-2024-01"),
        finding(("CVE-2023-0286",), product_id="RTU-420", advisory="ANOTHER-DOC"),
    ], st)
    assert [(r.statement.status if r.statement else None) for r in res] == [
        "not_affected", "affected", "fixed", None, "under_investigation", "not_affected", None, "not_affected", None]
    assert res[0].statement is not None and res[0].statement.justification == "vulnerable_code_not_in_execute_path"


def test_the_last_statement_wins() -> None:
    older = load_vex(json.dumps(cdx_vex()).encode())
    newer_doc = cdx_vex()
    newer_doc["vulnerabilities"] = [{"id": "CVE-2022-37434", "analysis": {"state": "exploitable"},
                                     "affects": [{"ref": "zlib"}]}]
    newer = load_vex(json.dumps(newer_doc).encode())
    f = finding(("CVE-2022-37434",), "pkg:generic/zlib@1.2.11")
    [r] = apply_vex([f], older + newer)
    assert r.statement is not None and r.statement.status == "affected" and not r.suppressed
    [r] = apply_vex([f], newer + older)
    assert r.suppressed


class _Finding:
    """A finding as an object, not a mapping."""

    def __init__(self) -> None:
        self.cves = ("CVE-2022-37434",)
        self.purl = "pkg:generic/zlib@1.2.11"
        self.product_id = None
        self.advisory = None


def test_findings_may_be_objects() -> None:
    [r] = apply_vex([_Finding()], load_vex(cdx_xml()))
    assert r.suppressed and r.statement is not None and r.statement.justification == "code_not_present"


def test_a_statement_without_a_version_is_about_every_version() -> None:
    st = [VexStatement("CVE-1", "not_affected", purl="pkg:generic/x")]
    assert apply_vex([finding(("CVE-1",), "pkg:generic/x@9")], st)[0].suppressed
    with_version = [VexStatement("CVE-1", "not_affected", purl="pkg:generic/x@1.0")]
    assert not apply_vex([finding(("CVE-1",), "pkg:generic/x")], with_version)[0].suppressed
    assert apply_vex([finding(("CVE-1",), "pkg:generic/x@1.0.0")], with_version)[0].suppressed  # same version


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

VEX_SAMPLES = [json.dumps(cdx_vex()).encode(), cdx_xml(), json.dumps(csaf_vex()).encode()]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(VEX_SAMPLES), st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(
    [b"", b"{", b"}", b"[", b'"', b"<", b">", b"\x00", b"1", b"null", b'"x"', b"&x;"])), max_size=5))
def test_damaged_vex_is_read_or_refused_never_a_crash(raw: bytes, edits: list[tuple[int, bytes]]) -> None:
    data = bytearray(raw)
    for pos, repl in edits:
        pos %= max(len(data), 1)
        data[pos:pos + 1] = repl
    try:
        statements = load_vex(bytes(data))
    except InvalidInput as e:
        assert str(e)
        return
    apply_vex([finding(("CVE-2022-37434",), "pkg:generic/zlib@1.2.11")], statements)
