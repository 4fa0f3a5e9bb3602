"""SBOMs, OSV records and VEX in the store and on the command line (plantwarden.store.sbom,
plantwarden.cli.sbom): import, match, apply, export, every write audited."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from plantwarden.cli.main import main
from plantwarden.core.errors import InvalidInput, NotFound
from plantwarden.store import sbom as stored
from plantwarden.store.service import Store
from plantwarden.vulns.sbom import load_sbom

DATA = Path(__file__).resolve().parent / "data"
SERIAL = "urn:uuid:0b8c2f5e-4a57-4c1e-9d3e-6a1f2c3d4e5f"  # cdx-1.5-plc.json's


def osv(osv_id: str, purl: str, introduced: str, fixed: str, aliases: list[str]) -> dict[str, Any]:
    return {"schema_version": "1.6.0", "id": osv_id, "modified": "2024-04-01T00:00:00Z", "aliases": aliases,
            "summary": f"{osv_id} summary",
            "affected": [{"package": {"purl": purl},
                          "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": introduced},
                                                                      {"fixed": fixed}]}]}]}


ZLIB = osv("OSV-ZLIB-9", "pkg:generic/zlib", "1.2.0", "1.2.12", ["CVE-2022-37434"])
PYMODBUS = osv("PYSEC-2099-11", "pkg:pypi/pymodbus", "3.0.0", "3.6.3", ["CVE-2099-1111"])
LODASH = osv("GHSA-1111-2222-3333", "pkg:npm/lodash", "0", "4.17.21", ["CVE-2099-2222"])


def cdx_vex(*vulns: dict[str, Any], components: list[dict[str, Any]] | None = None) -> bytes:
    return json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
                       "serialNumber": "urn:uuid:9d1c6f8e-1111-4222-8333-944455556666",
                       "components": components or [], "vulnerabilities": list(vulns)}).encode()


def csaf_doc(category: str, tracking: str, status: dict[str, list[str]], **vuln: Any) -> bytes:
    """A CSAF document about a Schneider Electric Modicon M340, identified by a CPE."""
    return json.dumps({
        "document": {"category": category, "csaf_version": "2.0", "title": f"test {tracking}",
                     "publisher": {"category": "vendor", "name": "Test PSIRT", "namespace": "https://example.org"},
                     "tracking": {"id": tracking, "current_release_date": "2024-01-01T00:00:00Z",
                                  "initial_release_date": "2024-01-01T00:00:00Z", "status": "final", "version": "1",
                                  "revision_history": [{"date": "2024-01-01T00:00:00Z", "number": "1",
                                                        "summary": "x"}]}},
        "product_tree": {"branches": [{"category": "vendor", "name": "Schneider Electric", "branches": [
            {"category": "product_name", "name": "Modicon M340", "branches": [
                {"category": "product_version_range", "name": "vers:all/<V3.50",
                 "product": {"product_id": "P1", "name": "Modicon M340 <V3.50",
                             "product_identification_helper": {
                                 "cpe": "cpe:2.3:o:schneider-electric:modicon_m340_firmware:*:*:*:*:*:*:*:*"}}}]}]}]},
        "vulnerabilities": [{"cve": "CVE-2099-0001", "product_status": status, **vuln}],
    }).encode()


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "pw.db", actor="tester")


def actions(store: Store) -> list[str]:
    return [e.action for e in store.audit_entries()]


def test_sbom_import_list_show_export_and_delete(store: Store) -> None:
    data = (DATA / "cdx-1.5-plc.json").read_bytes()
    res = stored.import_sbom(store, data, "cdx-1.5-plc.json", asset="10.0.0.5", product="PLC-100")
    assert res.created and res.components == 4
    again = stored.import_sbom(store, data, "copy.json", asset="10.0.0.5", product="PLC-100")
    assert not again.created and again.sbom_id == res.sbom_id  # the same file for the same asset and product
    other = stored.import_sbom(store, data, "cdx-1.5-plc.json", asset="10.0.0.6")
    assert other.created and other.sbom_id != res.sbom_id
    [first, second] = stored.list_sboms(store)
    assert (first["name"], first["format"], first["spec"], first["asset"], first["product"], first["components"],
            first["imported_by"]) == ("PLC-100 firmware", "cyclonedx-json", "1.5", "10.0.0.5", "PLC-100", 4, "tester")
    doc = stored.sbom_document(store, res.sbom_id)
    assert [c["name"] for c in doc["component_list"]] == ["zlib", "pymodbus", "pyserial", "sdk-server"]
    assert doc["subject_component"]["name"] == "PLC-100 firmware"
    # what is stored is what was read: exported and read again, it is the same SBOM
    original = load_sbom(data)
    for fmt, spec in (("cyclonedx-json", "1.5"), ("cyclonedx-xml", "1.4"), ("cyclonedx-xml", "1.6")):
        back = load_sbom(stored.export_sbom(store, res.sbom_id, fmt, spec).encode())
        assert back.components == original.components and back.subject == original.subject
    spdx = load_sbom(stored.export_sbom(store, res.sbom_id, "spdx-json").encode())
    assert [c.purl for c in spdx.components] == [c.purl for c in original.components]
    with pytest.raises(InvalidInput):
        stored.export_sbom(store, res.sbom_id, "spdx-json", "1.6")
    with pytest.raises(NotFound):
        stored.sbom_document(store, 999)
    stored.delete_sbom(store, other.sbom_id)
    assert [d["id"] for d in stored.list_sboms(store)] == [res.sbom_id]
    assert actions(store).count("sbom.import") == 2 and "sbom.delete" in actions(store)
    with pytest.raises(InvalidInput, match="not an IP address"):
        stored.import_sbom(store, data, "x.json", asset="plc-1")
    with pytest.raises(InvalidInput, match="DTD or entities"):
        stored.import_sbom(store, b"<!DOCTYPE bom [<!ENTITY a 'x'>]><bom/>", "evil.xml")


def test_osv_matching_and_vex_on_component_findings(store: Store) -> None:
    stored.import_sbom(store, (DATA / "cdx-1.5-plc.json").read_bytes(), "plc.json", product="PLC-100")
    stored.import_sbom(store, (DATA / "cdx-1.6-hmi.xml").read_bytes(), "hmi.xml", product="HMI")
    res = stored.import_osv(store, [("zlib.json", json.dumps(ZLIB).encode()),
                                    ("two.json", json.dumps([PYMODBUS, LODASH]).encode()),
                                    ("bad.json", b'{"affected": []}'), ("junk.json", b"\x00")])
    assert sorted(res.new) == ["GHSA-1111-2222-3333", "OSV-ZLIB-9", "PYSEC-2099-11"]
    assert [s for s, _ in res.invalid] == ["bad.json", "junk.json"]
    assert res.matched is not None and len(res.matched.new) == 3
    found = {f["osv_id"]: f for f in stored.component_findings(store)}
    assert {k: (f["component"], f["state"]) for k, f in found.items()} == {
        "OSV-ZLIB-9": ("zlib", "open"), "PYSEC-2099-11": ("pymodbus", "open"), "GHSA-1111-2222-3333": ("lodash", "open")}
    assert found["OSV-ZLIB-9"]["fixed_in"] == ["1.2.12"] and found["OSV-ZLIB-9"]["cves"] == ["CVE-2022-37434"]
    # importing the same records again changes nothing
    assert stored.import_osv(store, [("zlib.json", json.dumps(ZLIB).encode())]).unchanged == ["OSV-ZLIB-9"]

    vex = cdx_vex(
        {"id": "CVE-2022-37434", "analysis": {"state": "not_affected", "justification": "code_not_reachable",
                                              "detail": "inflateGetHeader is never called"},
         "affects": [{"ref": "pkg:generic/zlib@1.2.11"}]},
        {"id": "PYSEC-2099-11", "analysis": {"state": "resolved"}, "recommendation": "firmware V3.3",
         "affects": [{"ref": "pkg:pypi/pymodbus@3.5.0"}]},
        {"id": "CVE-2099-2222", "analysis": {"state": "in_triage"}, "affects": [{"ref": "pkg:npm/lodash"}]},
    )
    applied = stored.import_vex(store, vex, "vendor-vex.json")
    assert applied.statements == 3 and len(applied.component_findings) == 3 and applied.findings == []
    found = {f["osv_id"]: f for f in stored.component_findings(store)}
    z = found["OSV-ZLIB-9"]
    assert (z["state"], z["justification"]) == ("not_affected", "code_not_reachable")
    assert z["reason"].startswith("VEX not_affected (code_not_reachable): inflateGetHeader is never called")
    assert found["PYSEC-2099-11"]["state"] == "fixed" and "action: firmware V3.3" in found["PYSEC-2099-11"]["reason"]
    assert found["GHSA-1111-2222-3333"]["state"] == "under_investigation"
    assert [f["osv_id"] for f in stored.component_findings(store, state="not_affected")] == ["OSV-ZLIB-9"]
    assert actions(store).count("component_finding.vex") == 3
    # the same document again: stored once, nothing changes
    again = stored.import_vex(store, vex, "vendor-vex.json")
    assert again.document == applied.document and again.component_findings == []
    # a later SBOM's findings get the stored VEX at once
    third = stored.import_sbom(store, (DATA / "cdx-1.5-plc.json").read_bytes(), "plc.json", asset="10.0.0.9")
    assert third.matched is not None and len(third.matched.decided_by_vex) == 2
    assert len(stored.component_findings(store, state="not_affected")) == 2
    # an OSV record that no longer affects the version: the finding is fixed, and reopened when it does again
    stored.import_osv(store, [("zlib2.json", json.dumps(dict(ZLIB, modified="2024-05-01T00:00:00Z", affected=[
        {"package": {"purl": "pkg:generic/zlib"}, "versions": ["1.0"]}])).encode())])
    assert {f["state"] for f in stored.component_findings(store) if f["osv_id"] == "OSV-ZLIB-9"} == {"fixed"}
    stored.import_osv(store, [("zlib3.json", json.dumps(dict(ZLIB, modified="2024-06-01T00:00:00Z")).encode())])
    assert {f["reason"] for f in stored.component_findings(store) if f["osv_id"] == "OSV-ZLIB-9"} == {"matched again"}
    with pytest.raises(InvalidInput):
        stored.component_findings(store, state="closed")
    with pytest.raises(InvalidInput, match="no VEX statement"):
        stored.import_vex(store, (DATA / "cdx-1.5-plc.json").read_bytes(), "an-sbom.json")
    long_id = stored.import_osv(store, [("long.json", json.dumps(dict(ZLIB, id="X" * 300)).encode())])
    assert long_id.new == [] and "longer than 200" in long_id.invalid[0][1]


def test_vex_about_the_product_decides_its_components(store: Store) -> None:
    sbom = json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "metadata": {"component": {
        "type": "firmware", "name": "RTU-7", "version": "4.1.0", "purl": "pkg:generic/grid/rtu-7@4.1.0"}},
        "components": [{"type": "library", "name": "zlib", "version": "1.2.11", "purl": "pkg:generic/zlib@1.2.11"}]})
    stored.import_sbom(store, sbom.encode(), "rtu.json")
    stored.import_osv(store, [("z.json", json.dumps(ZLIB).encode())])
    vex = cdx_vex({"id": "CVE-2022-37434", "analysis": {"state": "not_affected",
                                                        "justification": "code_not_present"},
                   "affects": [{"ref": "rtu"}]},
                  components=[{"type": "firmware", "bom-ref": "rtu", "name": "RTU-7", "version": "4.1.0",
                               "purl": "pkg:generic/grid/rtu-7@4.1.0"}])
    stored.import_vex(store, vex, "rtu-vex.json")
    [f] = stored.component_findings(store)
    assert (f["state"], f["justification"]) == ("not_affected", "code_not_present")


def test_vex_on_csaf_findings(store: Store) -> None:
    store.enter_asset("10.9.9.9", vendor="Schneider Electric", model="Modicon M340", firmware="V3.10")
    store.import_advisories([("adv.json", csaf_doc("csaf_security_advisory", "TEST-ADV", {"known_affected": ["P1"]}))])
    store.match_advisories()
    [f] = store.findings()
    assert f["status"] == "open"
    # the vendor's VEX names the product by CPE: not affected, with its justification and impact
    vex = csaf_doc("csaf_vex", "TEST-VEX", {"known_not_affected": ["P1"]},
                   flags=[{"label": "vulnerable_code_cannot_be_controlled_by_adversary", "product_ids": ["P1"]}],
                   threats=[{"category": "impact", "details": "the service is disabled in this firmware",
                             "product_ids": ["P1"]}])
    res = stored.import_vex(store, vex, "vendor-vex.json")
    assert res.findings == [f["id"]]
    [f] = store.findings()
    assert f["status"] == "mitigated"
    assert f["status_reason"] == ("VEX not_affected (vulnerable_code_cannot_be_controlled_by_adversary): the service "
                                  "is disabled in this firmware [TEST-VEX]")
    entry = [e for e in store.audit_entries() if e.action == "finding.vex"][-1]
    assert entry.before == {"status": "open", "reason": None} and entry.actor == "tester"
    # matching again keeps the VEX decision
    store.match_advisories()
    assert store.findings()[0]["status"] == "mitigated"
    # a later statement that it is affected opens it again, with that statement as the reason
    stored.import_vex(store, csaf_doc("csaf_vex", "TEST-VEX", {"known_affected": ["P1"]}), "vex-2.json")
    [f] = store.findings()
    assert f["status"] == "open" and f["status_reason"] == "VEX affected [TEST-VEX]"
    # a person's decision is not overridden by an affected statement
    store.set_finding_status(f["id"], "mitigated", "port 502 closed on the firewall")
    stored.apply_stored_vex(store)  # oldest first: not_affected, then affected (the last word)
    assert store.findings()[0]["status_reason"] == "port 502 closed on the firewall"


def test_stored_vex_decides_findings_that_matching_finds_later(store: Store) -> None:
    """The vendor's VEX came first; the device is entered afterwards: its new finding is mitigated by the
    stored statement as it is found, with no plantwarden vex apply."""
    store.import_advisories([("adv.json", csaf_doc("csaf_security_advisory", "TEST-ADV", {"known_affected": ["P1"]}))])
    vex = csaf_doc("csaf_vex", "TEST-VEX", {"known_not_affected": ["P1"]},
                   flags=[{"label": "component_not_present", "product_ids": ["P1"]}])
    assert stored.import_vex(store, vex, "vendor-vex.json").findings == []  # no finding yet
    store.enter_asset("10.9.9.8", vendor="Schneider Electric", model="Modicon M340", firmware="V3.10")
    store.match_advisories()
    [f] = store.findings()
    assert f["status"] == "mitigated" and f["status_reason"].startswith("VEX not_affected (component_not_present)")


def test_cli(tmp_path: Path) -> None:
    db = str(tmp_path / "pw.db")
    r = CliRunner()

    def run(*args: str, ok: bool = True) -> Any:
        res = r.invoke(main, [*args, "--db", db])
        assert (res.exit_code == 0) is ok, res.output
        return res

    assert "sbom 1: 4 components" in run("sbom", "import", str(DATA / "cdx-1.5-plc.json"), "--asset", "10.0.0.5",
                                         "--product", "PLC-100").output
    run("sbom", "import", str(DATA / "spdx-2.3-gateway.spdx"), "--name", "gateway \x1b[31m")
    listing = run("sbom", "list").output
    assert "PLC-100 firmware" in listing and "\x1b" not in listing and "\\x1b[31m" in listing
    assert [d["format"] for d in json.loads(run("sbom", "list", "--format", "json").output)] == [
        "cyclonedx-json", "spdx-tag-value"]
    osv_dir = tmp_path / "osv"
    osv_dir.mkdir()
    (osv_dir / "zlib.json").write_text(json.dumps(ZLIB))
    (osv_dir / "pymodbus.json").write_text(json.dumps(PYMODBUS))
    out = run("osv", "import", str(osv_dir)).output
    assert "2 new" in out and "components: 2 new" in out
    assert "2 new" not in run("osv", "match").output
    vex = tmp_path / "vex.json"
    vex.write_bytes(cdx_vex({"id": "CVE-2022-37434", "analysis": {"state": "not_affected",
                                                                   "justification": "code_not_reachable"},
                             "affects": [{"ref": "pkg:generic/zlib@1.2.11"}]}))
    assert "1 component findings changed" in run("vex", "import", str(vex)).output
    assert "1 statements" in run("vex", "apply").output
    listed = json.loads(run("vex", "list", "--format", "json").output)
    assert [d["source"].rsplit("/", 1)[-1] for d in listed] == ["vex.json"]
    assert " cyclonedx " in run("vex", "list").output  # the table (which may cut a long source path)
    findings = json.loads(run("sbom", "findings", "--format", "json", "--state", "not_affected").output)
    assert [f["component"] for f in findings["component_findings"]] == ["zlib"]
    assert "not_affected" in run("sbom", "findings", "--sbom", "1").output
    shown = run("sbom", "show", "1").output
    assert "pyserial" in shown and "OSV-ZLIB-9" in shown
    assert json.loads(run("sbom", "show", "1", "--format", "json").output)["asset"] == "10.0.0.5"
    # export to stdout (ASCII only) and to a file, read back
    xml = run("sbom", "export", "1", "--format", "cyclonedx-xml", "--spec", "1.5").output
    assert load_sbom(xml.encode()).spec_version == "1.5"
    target = tmp_path / "out.spdx.json"
    run("sbom", "export", "2", "--format", "spdx-json", "--output", str(target))
    assert load_sbom(target).components[0].name == "busybox"
    stdout_json = run("sbom", "export", "2", "--format", "cyclonedx-json").output
    assert stdout_json.isascii() and load_sbom(stdout_json.encode()).name == "Edge Gateway firmware"
    assert "SPDX's" in run("sbom", "export", "1", "--format", "cyclonedx-json", "--spec", "2.3", ok=False).output
    run("sbom", "export", "1", "--format", "spdx-json", "--spec", "1.4", ok=False)
    assert "no SBOM with id 9" in run("sbom", "show", "9", ok=False).output
    bad = tmp_path / "bad.json"
    bad.write_text('{"bomFormat": "CycloneDX", "specVersion": "1.2"}')
    assert "CycloneDX 1.2" in run("sbom", "import", str(bad), ok=False).output
    run("sbom", "delete", "2")
    assert len(json.loads(run("sbom", "list", "--format", "json").output)) == 1


def test_sboms_api(store: Store) -> None:
    from fastapi.testclient import TestClient

    from plantwarden.web.app import create_app

    res = stored.import_sbom(store, (DATA / "cdx-1.6-hmi.xml").read_bytes(), "hmi.xml", product="HMI")
    stored.import_osv(store, [("l.json", json.dumps(LODASH).encode())])
    store.add_user("ana", "analyst", "a-long-test-password-1")
    headers = {"Authorization": f"Bearer {store.create_token('ana', 't')[1]}"}
    app = create_app(store, start_jobs=False)
    with TestClient(app) as c:
        assert c.get("/api/sboms").status_code == 401
        [doc] = c.get("/api/sboms", headers=headers).json()["sboms"]
        assert (doc["id"], doc["product"], doc["format"], doc["components"]) == (res.sbom_id, "HMI", "cyclonedx-xml", 2)
        one = c.get(f"/api/sboms/{res.sbom_id}", headers=headers).json()
        assert [x["name"] for x in one["component_list"]] == ["openssl", "lodash"]
        assert [f["osv_id"] for f in one["findings"]] == ["GHSA-1111-2222-3333"]
        assert c.get("/api/sboms/999", headers=headers).status_code == 404
