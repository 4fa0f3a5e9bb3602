"""Reading CSAF 2.0 advisories (plantwarden.vulns.csaf) and deciding on small made-up documents."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any

import pytest

from plantwarden.core.errors import InvalidInput
from plantwarden.vulns.csaf import STATUS_KEYS, load_advisory
from plantwarden.vulns.decide import decide
from plantwarden.vulns.versions import Unparsed, VersionRange

CSAF = Path(__file__).resolve().parents[3] / "shared" / "advisories" / "csaf"


def need_csaf() -> Path:
    if not (CSAF / "MANIFEST.tsv").is_file():
        pytest.skip("../shared/advisories/csaf is not beside the project")
    return CSAF


def minimal(**extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "document": {
            "category": "csaf_security_advisory",
            "csaf_version": "2.0",
            "title": "Example PLC",
            "publisher": {"category": "coordinator", "name": "Example CERT", "namespace": "https://example.org"},
            "tracking": {"id": "EX-2024-001", "initial_release_date": "2024-01-02T00:00:00Z",
                         "current_release_date": "2024-01-03T00:00:00Z"},
        },
    }
    doc.update(extra)
    return doc


def tree() -> dict[str, Any]:
    return {
        "branches": [{"category": "vendor", "name": "Example", "branches": [
            {"category": "product_name", "name": "PLC 100", "branches": [
                {"category": "product_version_range", "name": "<V3.2",
                 "product": {"product_id": "P1", "name": "Example PLC 100 <V3.2",
                             "product_identification_helper": {"cpe": "cpe:2.3:h:example:plc_100:-:*:*:*:*:*:*:*",
                                                               "model_numbers": ["PLC-100"], "skus": ["6ES7-1"],
                                                               "serial_numbers": ["S*"],
                                                               "purl": "pkg:generic/plc100"}}},
                {"category": "product_version", "name": "V3.2",
                 "product": {"product_id": "P2", "name": "Example PLC 100 V3.2"}},
                {"category": "product_version_range", "name": "No version",
                 "product": {"product_id": "P3", "name": "Example PLC 100 (no version)"}},
            ]},
            {"category": "product_family", "name": "Cameras", "branches": [
                {"category": "product_name", "name": "CAM 7", "product": {"product_id": "HW", "name": "Example CAM 7"}},
                {"category": "product_name", "name": "Cam firmware", "branches": [
                    {"category": "product_version", "name": "1.0", "product": {"product_id": "FW1", "name": "fw 1.0"}},
                    {"category": "product_version", "name": "2.0", "product": {"product_id": "FW2", "name": "fw 2.0"}},
                ]},
            ]},
        ]}],
        "full_product_names": [{"product_id": "F1", "name": "Example Gateway"}],
        "relationships": [
            {"category": "installed_on", "product_reference": "FW1", "relates_to_product_reference": "HW",
             "full_product_name": {"product_id": "R1", "name": "fw 1.0 installed on CAM 7"}},
            {"category": "installed_on", "product_reference": "FW2", "relates_to_product_reference": "HW",
             "full_product_name": {"product_id": "R2", "name": "fw 2.0 installed on CAM 7"}},
        ],
    }


def vulns() -> list[dict[str, Any]]:
    return [
        {"cve": "CVE-2024-0001", "title": "Hard-coded key", "cwe": {"id": "CWE-321", "name": "Hard-coded key"},
         "scores": [{"products": ["P1"], "cvss_v3": {"version": "3.1", "baseScore": 9.8, "baseSeverity": "CRITICAL",
                                                       "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}],
         "notes": [{"category": "summary", "text": "A key is hard-coded."}],
         "product_status": {"known_affected": ["P1", "P3", "F1", "R1"], "fixed": ["P2", "R2"],
                            "under_investigation": ["HW"]},
         "remediations": [{"category": "vendor_fix", "details": "Update to V3.2", "product_ids": ["P1"],
                           "url": "https://example.org/fix"}]},
        {"cve": "CVE-2024-0002", "product_status": {"known_not_affected": ["P1"]}},
    ]


def test_loads_every_shared_advisory_quickly() -> None:
    files = sorted(need_csaf().glob("cisagov/*/*.json"))
    assert len(files) == 311
    start = time.perf_counter()
    advisories = [load_advisory(f) for f in files]
    assert time.perf_counter() - start < 3.0
    leaves = 0
    for a in advisories:
        assert a.csaf_version == "2.0" and a.tracking_id.startswith("ICS")
        assert a.products and a.vulnerabilities
        for vuln in a.vulnerabilities:
            assert set(vuln.product_status) == set(STATUS_KEYS)
            for ids in vuln.product_status.values():
                assert all(pid in a.products for pid in ids), (a.tracking_id, ids)
        assert a.affected_products() <= set(a.products)
        leaves += sum(1 for p in a.products.values() if p.leaf != "relationship")
    assert leaves == 2123


def test_known_advisory_structure() -> None:
    a = load_advisory(need_csaf() / "cisagov/2023/icsa-23-243-04.json")
    assert (a.tracking_id, a.title, a.publisher) == ("ICSA-23-243-04", "Digi RealPort Protocol", "CISA")
    assert len(a.products) == 23
    assert a.affected_products() == {f"CSAFPID-{i:04d}" for i in range(1, 22)}
    linux = a.products["CSAFPID-0002"]
    assert (linux.vendor, linux.product, linux.version_text) == ("Digi International, Inc.", "Digi RealPort for Linux",
                                                                 "<= 1.9-40")
    assert isinstance(linux.range, VersionRange) and linux.range.contains("1.9-40") is True
    vuln = a.vulnerabilities[0]
    assert vuln.cve == "CVE-2023-4299" and vuln.cwe == "CWE-836"
    assert vuln.cvss_v3 is not None and vuln.cvss_v3.base_score == 9.0 and vuln.cvss_v3.base_severity == "CRITICAL"
    assert vuln.product_status["known_not_affected"] == ["CSAFPID-0022", "CSAFPID-0023"]
    assert {r.category for r in vuln.remediations} == {"mitigation", "vendor_fix"}
    assert vuln.summary and "replay" in vuln.summary


def test_relationships_are_products_with_both_parts() -> None:
    a = load_advisory(need_csaf() / "cisagov/2024/icsa-24-235-03.json")
    rel = a.products["CSAFPID-0309"]
    assert rel.leaf == "relationship" and rel.relationship is not None
    assert (rel.relationship.category, rel.relationship.product_reference,
            rel.relationship.relates_to_product_reference) == ("installed_on", "CSAFPID-0044", "CSAFPID-0001")
    assert rel.version_text == "MX-V4.1.4.11" and rel.vendor == "Mobotix"
    camera = a.products["CSAFPID-0001"]
    assert camera.leaf == "product_name" and camera.range is None and camera.product == "P3 D24M"
    assert len(a.relationships_of("CSAFPID-0001")) == 44  # the 44 P3 firmware versions
    assert "CSAFPID-0309" in a.affected_products() and "CSAFPID-0109" not in a.affected_products()


def test_unparsed_range_is_kept_with_its_reason() -> None:
    a = load_advisory(need_csaf() / "cisagov/2020/icsa-20-343-08.json")
    p = a.products["CSAFPID-0001"]
    assert isinstance(p.range, Unparsed) and p.range.text == "No version"


def test_path_bytes_and_dict_give_the_same_advisory(tmp_path: Path) -> None:
    doc = minimal(product_tree=tree(), vulnerabilities=vulns())
    path = tmp_path / "ex.json"
    path.write_text(json.dumps(doc))
    loaded = [load_advisory(path), load_advisory(str(path)), load_advisory(path.read_bytes()), load_advisory(doc)]
    assert {a.tracking_id for a in loaded} == {"EX-2024-001"}
    assert all(a.products == loaded[0].products for a in loaded)
    assert loaded[0].source == str(path) and loaded[3].source is None


def test_flattened_products_and_vulnerabilities() -> None:
    a = load_advisory(minimal(product_tree=tree(), vulnerabilities=vulns()))
    assert set(a.products) == {"P1", "P2", "P3", "HW", "FW1", "FW2", "F1", "R1", "R2"}
    p1 = a.products["P1"]
    assert (p1.vendor, p1.product, p1.version_text, p1.leaf) == ("Example", "PLC 100", "<V3.2", "product_version_range")
    assert p1.cpe and p1.model_numbers == ("PLC-100",) and p1.skus == ("6ES7-1",) and p1.serial_numbers == ("S*",)
    assert p1.purl == "pkg:generic/plc100" and p1.name == "Example PLC 100 <V3.2"
    assert a.products["FW1"].product == "Cameras Cam firmware"
    assert a.products["F1"].leaf == "full_product_name" and a.products["F1"].range is None
    r1 = a.products["R1"]
    assert r1.version_text == "1.0" and r1.relationship and r1.relationship.relates_to_product_reference == "HW"
    assert a.affected_products() == {"P1", "P3", "F1", "R1"}
    assert a.statuses_of("P1") == {"known_affected", "known_not_affected"}
    v0 = a.vulnerabilities[0]
    assert v0.cvss_v3 and v0.cvss_v3.vector and v0.cvss_v3.base_score == 9.8
    assert v0.remediations[0].product_ids == ("P1",) and v0.remediations[0].url == "https://example.org/fix"
    assert v0.product_status["first_fixed"] == [] and v0.summary == "A key is hard-coded."
    assert a.vulnerabilities[1].cvss_v3 is None and a.vulnerabilities[1].title is None


@pytest.mark.parametrize(("product_id", "version", "verdict", "in_reason"), [
    ("P1", "V3.1", "affected", "in range"),
    ("P1", "V3.2", "not_affected", "outside"),  # affected for one CVE, not for the other: the range decides
    ("P1", "R3.1", "unknown", "cannot be compared"),
    ("P1", None, "unknown", "no version"),
    ("P2", "V3.2", "not_affected", "fixed"),
    ("P3", "1.0", "unknown", "cannot be read"),
    ("F1", "9.9", "affected", "all versions"),
    ("R1", "1.0", "affected", "in range"),
    ("R2", "2.0", "not_affected", "fixed"),
    ("HW", "1.0", "unknown", "under investigation"),
    ("FW1", "1.0", "affected", "installed on"),
    ("FW2", "2.0", "not_affected", "relationships"),
    ("NOPE", "1.0", "unknown", "defines no product"),
])
def test_decide_on_a_small_document(product_id: str, version: str | None, verdict: str, in_reason: str) -> None:
    a = load_advisory(minimal(product_tree=tree(), vulnerabilities=vulns()))
    d = decide(a, product_id, version)
    assert d.verdict == verdict and in_reason in d.reason, d


def test_decide_through_a_hardware_leaf() -> None:
    doc = minimal(product_tree=tree(), vulnerabilities=vulns())
    doc["vulnerabilities"][0]["product_status"].pop("under_investigation")
    a = load_advisory(doc)
    assert decide(a, "HW", "1.0").verdict == "affected"
    assert decide(a, "HW", "2.0").verdict == "not_affected"
    assert decide(a, "HW", "3.0").verdict == "not_affected"


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: d.pop("document"), "'document' is missing"),
    (lambda d: d["document"].pop("category"), "document.category"),
    (lambda d: d["document"]["tracking"].pop("id"), "document.tracking.id"),
    (lambda d: d["document"].update(tracking="EX-1"), "document.tracking.id"),
    (lambda d: d["document"].pop("title"), "document.title"),
    (lambda d: d["document"].update(publisher="CERT"), "document.publisher"),
    (lambda d: d["document"].pop("csaf_version"), "document.csaf_version"),
    (lambda d: d["document"].update(csaf_version="1.2"), "only CSAF 2.0"),
    (lambda d: d.update(product_tree=[]), "product_tree"),
    (lambda d: d.update(vulnerabilities={}), "vulnerabilities"),
])
def test_malformed_documents_are_invalid_input(mutate: Any, message: str) -> None:
    doc = copy.deepcopy(minimal())
    mutate(doc)
    with pytest.raises(InvalidInput, match=message):
        load_advisory(doc)


def test_every_missing_field_is_named() -> None:
    with pytest.raises(InvalidInput) as err:
        load_advisory({"document": {"csaf_version": "2.0"}})
    for name in ("document.category", "document.title", "document.publisher", "document.tracking.id"):
        assert name in str(err.value)


@pytest.mark.parametrize("source", [b"not json", b"\xff\xfe", b"[1, 2]", b"null", 42, None])
def test_sources_that_are_not_csaf(source: Any) -> None:
    with pytest.raises(InvalidInput):
        load_advisory(source)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot read"):
        load_advisory(tmp_path / "absent.json")


def test_odd_types_inside_are_skipped_not_crashed_on() -> None:
    odd_tree = {
        "branches": ["not a branch", {"category": "vendor", "name": 7, "branches": "nope"},
                     {"category": "vendor", "name": "V", "branches": [
                         {"category": "product_version", "name": "1.0", "product": {"name": "no id"}},
                         {"category": "product_version", "name": 3, "product": {"product_id": "X"}},
                         {"category": "product_version", "name": "2.0", "product": "string"},
                     ]}],
        "full_product_names": [None, {"name": "no id"}],
        "relationships": [{"category": "installed_on"}, "x"],
    }
    odd_vulns = [5, {"cve": 12, "scores": "x", "product_status": {"known_affected": ["X", 3, None]},
                     "remediations": [None, {"category": 1}], "notes": "x", "cwe": []}]
    a = load_advisory(minimal(product_tree=odd_tree, vulnerabilities=odd_vulns))
    assert set(a.products) == {"X"}
    x = a.products["X"]
    assert x.version_text is None and isinstance(x.range, Unparsed)  # a version leaf whose name is no text
    (vuln,) = a.vulnerabilities
    assert vuln.cve is None and vuln.product_status["known_affected"] == ["X"]
    assert decide(a, "X", "1.0").verdict == "unknown"
