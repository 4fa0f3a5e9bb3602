"""SBOMs (plantwarden.vulns.sbom): CycloneDX 1.4-1.6 JSON/XML and SPDX 2.3 read, written and read again;
documents made by cyclonedx-python-lib and spdx-tools read by our reader, and what we write checked by
their schema validators and parsers; broken and hostile files give InvalidInput."""

from __future__ import annotations

import json
import warnings
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from plantwarden.core.errors import InvalidInput
from plantwarden.vulns.sbom import (
    CYCLONEDX_VERSIONS,
    Component,
    Sbom,
    load_sbom,
    spdx_expression_syntax,
    write_cyclonedx,
    write_spdx,
)

DATA = Path(__file__).resolve().parent / "data"
FILES = sorted(p.name for p in DATA.iterdir() if p.name.startswith(("cdx-", "spdx-")))
WHEN = datetime(2024, 7, 1, 12, 0, tzinfo=UTC)


def schema(spec: str):  # type: ignore[no-untyped-def]
    from cyclonedx.schema import SchemaVersion

    return {"1.4": SchemaVersion.V1_4, "1.5": SchemaVersion.V1_5, "1.6": SchemaVersion.V1_6}[spec]


def cdx_errors(text: str, fmt: str, spec: str) -> object:
    from cyclonedx.validation.json import JsonStrictValidator
    from cyclonedx.validation.xml import XmlValidator

    validator = JsonStrictValidator(schema(spec)) if fmt == "json" else XmlValidator(schema(spec))
    return validator.validate_str(text)


def spdx_errors(text: str, tmp_path: Path) -> list[str]:
    from spdx_tools.spdx.parser.parse_anything import parse_file
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    path = tmp_path / "written.spdx.json"
    path.write_text(text, encoding="utf-8")
    return [m.validation_message for m in validate_full_spdx_document(parse_file(str(path)))]


def rich_sbom() -> Sbom:
    """Every field, in values each format can hold."""
    subject = Component(name="RTU-7 firmware", version="4.1.0", supplier="Example Automation", type="firmware",
                        bom_ref="rtu-fw", licenses=("LicenseRef-Example-EULA",),
                        spdx_licenses=frozenset({"LicenseRef-Example-EULA"}))
    comps = [
        Component(name="zlib", version="1.2.13", purl="pkg:generic/zlib@1.2.13",
                  cpe="cpe:2.3:a:zlib:zlib:1.2.13:*:*:*:*:*:*:*", supplier="zlib project",
                  hashes=(("SHA-256", "ab" * 32), ("SHA-1", "cd" * 20)), licenses=("Zlib",),
                  spdx_licenses=frozenset({"Zlib"}), bom_ref="zlib", type="library"),
        Component(name="pymodbus", version="3.6.2", purl="pkg:pypi/pymodbus@3.6.2",
                  licenses=("BSD-3-Clause OR MIT",), spdx_licenses=frozenset({"BSD-3-Clause OR MIT"}),
                  bom_ref="pkg:pypi/pymodbus@3.6.2", type="library"),
        Component(name="busybox", version="1.36.1", purl="pkg:generic/busybox@1.36.1", type="application",
                  hashes=(("SHA-512", "ef" * 64),), licenses=("GPL-2.0-only",),
                  spdx_licenses=frozenset({"GPL-2.0-only"}), bom_ref="busybox"),
        Component(name="vendor-hal", version="2", licenses=("Vendor HAL terms, see manual",), bom_ref="hal",
                  type="library", supplier="Example Automation"),
    ]
    return Sbom(format="cyclonedx-json", spec_version="1.6", name=subject.name, version=subject.version,
                supplier=subject.supplier, components=comps, subject=subject)


# ------------------------------------------------------------------------------------- the samples


@pytest.mark.parametrize("name", FILES)
def test_the_samples_are_read(name: str) -> None:
    sbom = load_sbom(DATA / name)
    assert sbom.components and sbom.subject is not None
    assert all(c.name for c in sbom.components)
    assert sbom.source == str(DATA / name)


def test_cyclonedx_json_sample_fields() -> None:
    sbom = load_sbom(DATA / "cdx-1.5-plc.json")
    assert (sbom.format, sbom.spec_version, sbom.name, sbom.version, sbom.supplier) == (
        "cyclonedx-json", "1.5", "PLC-100 firmware", "V3.2.1", "Example Automation")
    by_name = {c.name: c for c in sbom.components}
    assert list(by_name) == ["zlib", "pymodbus", "pyserial", "sdk-server"]  # nested after its parent
    zlib = by_name["zlib"]
    assert zlib.hashes == (("SHA-256", "c3e5e9fdd5004dcb542feda5ee4f0ff0744628baf8ed2dd5d66f8ca1197cb1a1"),)
    assert (zlib.supplier, zlib.licenses, zlib.spdx_licenses) == ("zlib project", ("Zlib",), frozenset({"Zlib"}))
    assert by_name["pyserial"].licenses == ("BSD-3-Clause", "Vendor patch terms")
    assert by_name["pyserial"].spdx_licenses == frozenset({"BSD-3-Clause"})
    assert by_name["sdk-server"].group == "org.eclipse.milo"


def test_spdx_json_and_tag_value_samples_say_the_same() -> None:
    tv, js = load_sbom(DATA / "spdx-2.3-gateway.spdx"), load_sbom(DATA / "spdx-2.3-gateway.spdx.json")
    assert (tv.format, js.format) == ("spdx-tag-value", "spdx-json")
    assert tv.components == js.components and tv.subject == js.subject
    assert tv.subject is not None and tv.subject.licenses == ("Example Automation EULA",)  # the LicenseRef's name
    assert tv.subject.spdx_licenses == frozenset()  # a free name now, not an SPDX id
    assert tv.supplier == "Example Automation"  # without the e-mail address
    busybox = tv.components[0]
    assert busybox.licenses == ("GPL-2.0-only",)  # the concluded license, the declared one being NOASSERTION
    assert busybox.hashes == (("SHA-256", "faeeb244c35a348a334f4a59e44626ee870fb07b6884d68c10ae8bc19f83a694"),)


# ------------------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("spec", CYCLONEDX_VERSIONS)
def test_cyclonedx_round_trip_and_schema(fmt: str, spec: str) -> None:
    sbom = rich_sbom()
    text = write_cyclonedx(sbom, fmt, spec, timestamp=WHEN)  # type: ignore[arg-type]
    assert not cdx_errors(text, fmt, spec)
    again = load_sbom(text.encode())
    assert (again.format, again.spec_version) == (f"cyclonedx-{fmt}", spec)
    assert again.subject == sbom.subject
    assert again.components == sbom.components
    assert (again.name, again.version, again.supplier) == (sbom.name, sbom.version, sbom.supplier)
    # and once more: what we wrote from what we read is the same text
    assert write_cyclonedx(again, fmt, spec, timestamp=WHEN,  # type: ignore[arg-type]
                           serial_number=_serial(text, fmt)) == text


def _serial(text: str, fmt: str) -> str:
    if fmt == "json":
        return str(json.loads(text)["serialNumber"])
    return text.split('serialNumber="', 1)[1].split('"', 1)[0]


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("spec", CYCLONEDX_VERSIONS)
def test_every_sample_written_as_cyclonedx_is_valid_and_read_back(name: str, fmt: str, spec: str) -> None:
    sbom = load_sbom(DATA / name)
    text = write_cyclonedx(sbom, fmt, spec)  # type: ignore[arg-type]
    assert not cdx_errors(text, fmt, spec)
    again = load_sbom(text.encode())
    if name.startswith("cdx-"):
        assert again.components == sbom.components and again.subject == sbom.subject
    else:  # SPDX -> CycloneDX: a package without a purpose becomes a library; the rest is kept
        assert [replace(c, type=None) for c in again.components] == [replace(c, type=None) for c in sbom.components]


def test_spdx_round_trip_and_validation(tmp_path: Path) -> None:
    sbom = rich_sbom()
    text = write_spdx(sbom, created=WHEN, namespace="https://plantwarden.invalid/spdx/test")
    assert spdx_errors(text, tmp_path) == []
    again = load_sbom(text.encode())
    assert (again.format, again.spec_version) == ("spdx-json", "2.3")
    # SPDX ids replace bom-refs; a free license name becomes a LicenseRef named by it (read back as the name)
    ids = [c.bom_ref for c in again.components]
    assert all(i and i.startswith("SPDXRef-") for i in ids) and len(set(ids)) == len(ids)
    assert [replace(c, bom_ref=None) for c in again.components] == [replace(c, bom_ref=None)
                                                                     for c in sbom.components]
    assert again.subject is not None and again.subject.name == "RTU-7 firmware"
    # read -> write -> read once more gives the same again, bom-refs included
    third = load_sbom(write_spdx(again).encode())
    assert third.components == again.components and third.subject == again.subject


@pytest.mark.parametrize("name", FILES)
def test_every_sample_written_as_spdx_is_valid(name: str, tmp_path: Path) -> None:
    sbom = load_sbom(DATA / name)
    text = write_spdx(sbom)
    assert spdx_errors(text, tmp_path) == []
    again = load_sbom(text.encode())
    assert [(c.name, c.version, c.purl, c.cpe, c.hashes) for c in again.components] == [
        (c.name, c.version, c.purl, c.cpe, c.hashes) for c in sbom.components]


def test_spdx_json_sample_round_trip_is_exact() -> None:
    sbom = load_sbom(DATA / "spdx-2.3-gateway.spdx.json")
    again = load_sbom(write_spdx(sbom).encode())
    assert again.components == sbom.components and again.subject == sbom.subject


def test_hashes_and_types_the_spec_version_lacks_are_left_out() -> None:
    c = Component(name="model", version="1", type="machine-learning-model",
                  hashes=(("Streebog-256", "aa" * 32), ("SHA-256", "bb" * 32)))
    sbom = Sbom(format="cyclonedx-json", spec_version="1.6", name="x", version=None, supplier=None, components=[c])
    old = json.loads(write_cyclonedx(sbom, "json", "1.4"))["components"][0]
    assert old["type"] == "library" and old["hashes"] == [{"alg": "SHA-256", "content": "bb" * 32}]
    new = json.loads(write_cyclonedx(sbom, "json", "1.6"))["components"][0]
    assert new["type"] == "machine-learning-model" and len(new["hashes"]) == 2


def test_duplicate_bom_refs_are_made_unique() -> None:
    comps = [Component(name="a", bom_ref="x"), Component(name="b", bom_ref="x")]
    sbom = Sbom(format="cyclonedx-json", spec_version="1.6", name="s", version=None, supplier=None,
                components=comps)
    text = write_cyclonedx(sbom, "json", "1.6")
    assert not cdx_errors(text, "json", "1.6")
    assert [c["bom-ref"] for c in json.loads(text)["components"]] == ["x", "x-2"]


def test_a_nameless_sbom_is_written_too(tmp_path: Path) -> None:
    sbom = Sbom(format="spdx-json", spec_version="2.3", name="", version=None, supplier=None,
                components=[Component(name="lib")])
    assert spdx_errors(write_spdx(sbom), tmp_path) == []
    assert not cdx_errors(write_cyclonedx(sbom, "xml", "1.5"), "xml", "1.5")


@pytest.mark.parametrize("text,ok", [
    ("MIT", True), ("MIT OR Apache-2.0", True), ("(MIT AND BSD-3-Clause) OR GPL-2.0-or-later", True),
    ("GPL-2.0-only WITH Classpath-exception-2.0", True), ("LicenseRef-x AND MIT", True), ("GPL-2.0+", True),
    ("MIT OR", False), ("(MIT", False), ("Vendor terms", False), ("AND", False), ("", False), ("MIT WITH", False),
    ("(" * 200 + "MIT" + ")" * 200, False),
])
def test_spdx_expression_syntax(text: str, ok: bool) -> None:
    assert spdx_expression_syntax(text) is ok


# --------------------------------------------------------------- documents of the reference libraries


def _cdx_library_bom():  # type: ignore[no-untyped-def]
    from cyclonedx.model import HashAlgorithm, HashType
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component as LibComponent
    from cyclonedx.model.component import ComponentType
    from cyclonedx.model.contact import OrganizationalEntity
    from cyclonedx.model.license import DisjunctiveLicense, LicenseExpression
    from packageurl import PackageURL

    bom = Bom()
    bom.metadata.component = LibComponent(name="Substation gateway", version="7.0", type=ComponentType.FIRMWARE,
                                          bom_ref="gw", supplier=OrganizationalEntity(name="Grid Devices"))
    bom.components.add(LibComponent(
        name="openssl", version="3.0.13", type=ComponentType.LIBRARY, bom_ref="openssl",
        purl=PackageURL.from_string("pkg:generic/openssl@3.0.13"),
        supplier=OrganizationalEntity(name="OpenSSL"),
        hashes=[HashType(alg=HashAlgorithm.SHA_256, content="12" * 32)],
        licenses=[DisjunctiveLicense(id="Apache-2.0")]))
    bom.components.add(LibComponent(
        name="libiec61850", version="1.5.1", type=ComponentType.LIBRARY, bom_ref="iec61850",
        licenses=[LicenseExpression("GPL-3.0-only OR LicenseRef-commercial")]))
    bom.components.add(LibComponent(
        name="ui-kit", version="2.1", type=ComponentType.FRAMEWORK, group="com.example", bom_ref="ui",
        purl=PackageURL.from_string("pkg:maven/com.example/ui-kit@2.1"),
        licenses=[DisjunctiveLicense(name="Example commercial licence")]))
    return bom


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("spec", CYCLONEDX_VERSIONS)
def test_cyclonedx_python_lib_documents_are_read(fmt: str, spec: str) -> None:
    from cyclonedx.output import make_outputter
    from cyclonedx.schema import OutputFormat

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the library warns of the incomplete dependency graph
        out = make_outputter(_cdx_library_bom(), OutputFormat.JSON if fmt == "json" else OutputFormat.XML,
                             schema(spec))
        text = out.output_as_string()
    sbom = load_sbom(text.encode())
    assert (sbom.format, sbom.spec_version, sbom.name, sbom.version, sbom.supplier) == (
        f"cyclonedx-{fmt}", spec, "Substation gateway", "7.0", "Grid Devices")
    by = {c.name: c for c in sbom.components}
    assert set(by) == {"openssl", "libiec61850", "ui-kit"}
    assert by["openssl"] == Component(name="openssl", version="3.0.13", purl="pkg:generic/openssl@3.0.13",
                                      supplier="OpenSSL", hashes=(("SHA-256", "12" * 32),), licenses=("Apache-2.0",),
                                      spdx_licenses=frozenset({"Apache-2.0"}), bom_ref="openssl", type="library")
    assert by["libiec61850"].licenses == ("GPL-3.0-only OR LicenseRef-commercial",)
    assert (by["ui-kit"].group, by["ui-kit"].type, by["ui-kit"].licenses) == (
        "com.example", "framework", ("Example commercial licence",))
    assert by["ui-kit"].spdx_licenses == frozenset()


@pytest.mark.parametrize("spec", CYCLONEDX_VERSIONS)
def test_our_cyclonedx_json_is_parsed_by_cyclonedx_python_lib(spec: str) -> None:
    from cyclonedx.model.bom import Bom

    bom = Bom.from_json(json.loads(write_cyclonedx(rich_sbom(), "json", spec)))  # type: ignore[attr-defined]
    names = {c.name: c for c in bom.components}
    assert set(names) == {"zlib", "pymodbus", "busybox", "vendor-hal"}
    assert str(names["zlib"].purl) == "pkg:generic/zlib@1.2.13"
    assert [h.content for h in names["zlib"].hashes] and bom.metadata.component.name == "RTU-7 firmware"


def _spdx_library_document():  # type: ignore[no-untyped-def]
    from license_expression import get_spdx_licensing
    from spdx_tools.spdx.model import (
        Actor,
        ActorType,
        Checksum,
        ChecksumAlgorithm,
        CreationInfo,
        Document,
        ExternalPackageRef,
        ExternalPackageRefCategory,
        ExtractedLicensingInfo,
        Package,
        PackagePurpose,
        Relationship,
        RelationshipType,
        SpdxNoAssertion,
    )

    lic = get_spdx_licensing()
    info = CreationInfo(spdx_version="SPDX-2.3", spdx_id="SPDXRef-DOCUMENT", name="rtu-sbom",
                        document_namespace="https://example.invalid/spdx/rtu-1", created=datetime(2024, 2, 3),
                        creators=[Actor(ActorType.TOOL, "test-suite")])
    subject = Package(spdx_id="SPDXRef-rtu", name="RTU firmware", download_location=SpdxNoAssertion(),
                      version="5.2", files_analyzed=False, supplier=Actor(ActorType.ORGANIZATION, "Grid Devices"),
                      license_declared=lic.parse("LicenseRef-grid-eula"),
                      primary_package_purpose=PackagePurpose.FIRMWARE)
    mbedtls = Package(spdx_id="SPDXRef-mbedtls", name="mbedtls", download_location=SpdxNoAssertion(),
                      version="2.28.7", files_analyzed=False, supplier=Actor(ActorType.ORGANIZATION, "Trusted Firmware"),
                      checksums=[Checksum(ChecksumAlgorithm.SHA256, "34" * 32), Checksum(ChecksumAlgorithm.MD5, "56" * 16)],
                      license_declared=lic.parse("Apache-2.0 OR GPL-2.0-or-later"),
                      external_references=[
                          ExternalPackageRef(ExternalPackageRefCategory.PACKAGE_MANAGER, "purl",
                                             "pkg:github/Mbed-TLS/mbedtls@2.28.7"),
                          ExternalPackageRef(ExternalPackageRefCategory.SECURITY, "cpe23Type",
                                             "cpe:2.3:a:arm:mbed_tls:2.28.7:*:*:*:*:*:*:*")],
                      primary_package_purpose=PackagePurpose.LIBRARY)
    return Document(info, packages=[subject, mbedtls],
                    relationships=[Relationship("SPDXRef-DOCUMENT", RelationshipType.DESCRIBES, "SPDXRef-rtu"),
                                   Relationship("SPDXRef-rtu", RelationshipType.CONTAINS, "SPDXRef-mbedtls")],
                    extracted_licensing_info=[ExtractedLicensingInfo("LicenseRef-grid-eula", "Grid EULA text",
                                                                     "Grid Devices EULA")])


@pytest.mark.parametrize("suffix,fmt", [(".spdx.json", "spdx-json"), (".spdx", "spdx-tag-value")])
def test_spdx_tools_documents_are_read(suffix: str, fmt: str, tmp_path: Path) -> None:
    from spdx_tools.spdx.writer.write_anything import write_file

    path = tmp_path / f"rtu{suffix}"
    write_file(_spdx_library_document(), str(path))
    sbom = load_sbom(path)
    assert (sbom.format, sbom.spec_version, sbom.name, sbom.version, sbom.supplier) == (
        fmt, "2.3", "RTU firmware", "5.2", "Grid Devices")
    assert sbom.subject is not None and sbom.subject.licenses == ("Grid Devices EULA",)
    [mbed] = sbom.components
    assert mbed == Component(name="mbedtls", version="2.28.7", purl="pkg:github/Mbed-TLS/mbedtls@2.28.7",
                             cpe="cpe:2.3:a:arm:mbed_tls:2.28.7:*:*:*:*:*:*:*", supplier="Trusted Firmware",
                             hashes=(("SHA-256", "34" * 32), ("MD5", "56" * 16)),
                             licenses=("Apache-2.0 OR GPL-2.0-or-later",),
                             spdx_licenses=frozenset({"Apache-2.0 OR GPL-2.0-or-later"}),
                             bom_ref="SPDXRef-mbedtls", type="library")


def test_our_spdx_is_parsed_by_spdx_tools(tmp_path: Path) -> None:
    from spdx_tools.spdx.parser.parse_anything import parse_file

    path = tmp_path / "ours.spdx.json"
    path.write_text(write_spdx(rich_sbom()), encoding="utf-8")
    doc = parse_file(str(path))
    assert [p.name for p in doc.packages] == ["RTU-7 firmware", "zlib", "pymodbus", "busybox", "vendor-hal"]
    hal = doc.packages[-1]
    infos = {i.license_id: i.license_name for i in doc.extracted_licensing_info}
    assert infos[str(hal.license_declared)] == "Vendor HAL terms, see manual"
    assert infos["LicenseRef-Example-EULA"] == "LicenseRef-Example-EULA"  # used, so defined


# ------------------------------------------------------------------------------ broken and hostile input


def cdx(**over: object) -> bytes:
    doc: dict[str, object] = {"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
                              "components": [{"type": "library", "name": "a", "version": "1"}]}
    doc.update(over)
    return json.dumps(doc).encode()


@pytest.mark.parametrize("raw,words", [
    (b"", "empty"),
    (b"   \n", "empty"),
    (cdx()[:-9], "truncated"),
    (b"\xff\xfe{\x00", "not a CycloneDX"),
    (b"[1, 2]", "not a CycloneDX"),
    (b'{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [{"name": "\xff"}]}', "not text in UTF-8"),
    (b'{"hello": 1}', "neither CycloneDX"),
    (cdx(specVersion="1.3"), "CycloneDX 1.3"),
    (cdx(specVersion="2.0"), "CycloneDX 2.0"),
    (cdx(specVersion=None), "without a specVersion"),
    (cdx(components={"a": 1}), "must be a list"),
    (cdx(components=[{"type": "library"}]), "has no name"),
    (cdx(components=[{"name": 5}]), "has no name"),
    (cdx(components=[{"name": "a", "version": 3}]), "must be text"),
    (cdx(components=[{"name": "a", "hashes": [{"alg": "SHA-256"}]}]), "needs an alg and a content"),
    (cdx(components=[{"name": "a", "licenses": [{"license": {}}]}]), "neither a license id"),
    (b'{"spdxVersion": "SPDX-2.2", "SPDXID": "SPDXRef-DOCUMENT"}', "SPDX-2.2"),
    (b'{"spdxVersion": 2.3}', "no valid spdxVersion"),
    (b'{"spdxVersion": "SPDX-2.3", "packages": [{"name": "x"}]}', "has no SPDXID"),
    (b"SPDXVersion: SPDX-2.1\nDataLicense: CC0-1.0\n", "SPDX-2.1"),
    (b"SPDXVersion: SPDX-2.3\nthis is not a tag\n", "is not a 'Tag: value' line"),
    (b"SPDXVersion: SPDX-2.3\nPackageName: a\nPackageComment: <text>never closed\n", "never closed"),
    (b"spdxVersion: SPDX-2.3\n", "YAML"),
    (b"<html><body/></html>", "not a CycloneDX BOM"),
    (b"<bom xmlns='http://cyclonedx.org/schema/bom/1.5'><components>", "not well-formed"),
    (b"<bom xmlns='http://cyclonedx.org/schema/bom/1.2'/>", "CycloneDX 1.2"),
    (b"%PDF-1.7 binary", "not a CycloneDX"),
    (b"[" * 100_000 + b"]" * 100_000, "not a CycloneDX"),
    (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "too deeply"),
])
def test_broken_input_is_invalid_input(raw: bytes, words: str) -> None:
    with pytest.raises(InvalidInput) as e:
        load_sbom(raw)
    assert words in str(e.value)


ENTITY_BOMBS = [
    # billion laughs
    b"<?xml version='1.0'?><!DOCTYPE bom [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>"
    b"<!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;'>]>"
    b"<bom xmlns='http://cyclonedx.org/schema/bom/1.5'><components><component type='library'><name>&c;</name>"
    b"</component></components></bom>",
    # an external entity (a local file)
    b"<?xml version='1.0'?><!DOCTYPE bom [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
    b"<bom xmlns='http://cyclonedx.org/schema/bom/1.5'><components><component type='library'><name>&x;</name>"
    b"</component></components></bom>",
    # a DTD fetched from the network
    b"<?xml version='1.0'?><!DOCTYPE bom SYSTEM 'http://127.0.0.1:9/x.dtd'>"
    b"<bom xmlns='http://cyclonedx.org/schema/bom/1.5'/>",
    # a parameter entity
    b"<?xml version='1.0'?><!DOCTYPE bom [<!ENTITY % p SYSTEM 'http://127.0.0.1:9/p'> %p;]>"
    b"<bom xmlns='http://cyclonedx.org/schema/bom/1.5'/>",
]


@pytest.mark.parametrize("raw", ENTITY_BOMBS)
def test_xml_with_a_dtd_or_entities_is_refused(raw: bytes) -> None:
    with pytest.raises(InvalidInput, match="DTD or entities, which are refused"):
        load_sbom(raw)


def test_deeply_nested_xml_components_are_refused() -> None:
    depth = 5000
    raw = (b"<bom xmlns='http://cyclonedx.org/schema/bom/1.5'><components>"
           + b"<component type='library'><name>n</name><components>" * depth
           + b"</components></component>" * depth + b"</components></bom>")
    with pytest.raises(InvalidInput, match="too deeply"):
        load_sbom(raw)


def test_deeply_nested_json_components_are_read_without_recursion() -> None:
    comp: dict[str, object] = {"type": "library", "name": "leaf"}
    for k in range(300):
        comp = {"type": "library", "name": f"n{k}", "components": [comp]}
    sbom = load_sbom(cdx(components=[comp]))
    assert len(sbom.components) == 301 and sbom.components[-1].name == "leaf"


def test_huge_strings_are_read_and_written(tmp_path: Path) -> None:
    big = "A" * 5_000_000
    sbom = load_sbom(cdx(components=[{"type": "library", "name": big, "version": "\u202e1\x1b[31m"}]))
    assert sbom.components[0].name == big and sbom.components[0].version == "\u202e1\x1b[31m"
    assert load_sbom(write_cyclonedx(sbom, "json", "1.6").encode()).components == sbom.components
    # XML 1.0 cannot hold an escape character: it is written as U+FFFD, and the file stays readable
    [again] = load_sbom(write_cyclonedx(sbom, "xml", "1.6").encode()).components
    assert again.name == big and again.version == "\u202e1\ufffd[31m"


def test_a_missing_file_is_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot read the SBOM"):
        load_sbom(tmp_path / "nope.json")


def test_wrong_spec_on_writing() -> None:
    with pytest.raises(InvalidInput, match="1.3"):
        write_cyclonedx(rich_sbom(), "json", "1.3")
    with pytest.raises(InvalidInput, match="'yaml'"):
        write_cyclonedx(rich_sbom(), "yaml", "1.6")  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------- fuzzing

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SAMPLES = [(DATA / name).read_bytes() for name in FILES]


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    """A sample cut short, with bytes replaced, or with a span of it repeated."""
    raw = bytearray(draw(st.sampled_from(SAMPLES)))
    for _ in range(draw(st.integers(0, 6))):
        pos = draw(st.integers(0, len(raw) - 1))
        kind = draw(st.sampled_from(["byte", "cut", "dup", "delete"]))
        if kind == "byte":
            raw[pos] = draw(st.sampled_from(b'{}[]<>"\\:,/ \n\x00\xff0a-&;!'))
        elif kind == "cut":
            del raw[pos:]
        elif kind == "dup":
            end = min(len(raw), pos + draw(st.integers(1, 40)))
            raw[pos:pos] = raw[pos:end]
        else:
            del raw[pos:pos + draw(st.integers(1, 20))]
        if not raw:
            break
    return bytes(raw)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged())
def test_damaged_files_are_read_or_refused_never_a_crash(raw: bytes) -> None:
    try:
        sbom = load_sbom(raw)
    except InvalidInput as e:
        assert str(e)
        return
    # what was read can be written in every format and read back
    for fmt in ("json", "xml"):
        load_sbom(write_cyclonedx(sbom, fmt, "1.6").encode())  # type: ignore[arg-type]
    load_sbom(write_spdx(sbom).encode())


@pytest.mark.parametrize("encoding", ["aTF-8", "x" * 300, "utf-32"])
def test_an_xml_declaration_with_an_unknown_or_wrong_encoding_is_invalid_input(encoding: str) -> None:
    """Found by the property test above: a damaged encoding name made the XML parser raise LookupError."""
    raw = (f'<?xml version="1.0" encoding="{encoding}"?>\n'
           '<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1"><components/></bom>\n').encode()
    with pytest.raises(InvalidInput):
        load_sbom(raw)
