"""The SBOM pages of the dashboard (docs/web.md, "Pages"): the list, one SBOM with its components,
OSV findings and VEX, and the upload form; hostile files and names, roles and CSRF."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from .conftest import csrf_of

DATA = Path(__file__).resolve().parents[1] / "vulns" / "data"
PLC = DATA / "cdx-1.5-plc.json"
HMI = DATA / "cdx-1.6-hmi.xml"


def osv(osv_id: str, purl: str, introduced: str, fixed: str, aliases: list[str]) -> dict[str, Any]:
    return {"schema_version": "1.6.0", "id": osv_id, "modified": "2024-04-01T00:00:00Z", "aliases": aliases,
            "summary": f"{osv_id} summary",
            "affected": [{"package": {"purl": purl},
                          "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": introduced}, {"fixed": fixed}]}]}]}


ZLIB = osv("OSV-ZLIB-9", "pkg:generic/zlib", "1.2.0", "1.2.12", ["CVE-2022-37434"])
PYMODBUS = osv("PYSEC-2099-11", "pkg:pypi/pymodbus", "3.0.0", "3.6.3", ["CVE-2099-1111"])
VEX = json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
                  "serialNumber": "urn:uuid:9d1c6f8e-1111-4222-8333-944455556666", "components": [],
                  "vulnerabilities": [{"id": "PYSEC-2099-11",
                                       "analysis": {"state": "not_affected", "justification": "code_not_reachable",
                                                    "detail": "the serial client is never started"},
                                       "affects": [{"ref": "pkg:pypi/pymodbus@3.5.0"}]}]}).encode()


def first_asset(client: Any) -> tuple[int, str]:
    a = client.get("/api/assets").json()["items"][0]
    return int(a["id"]), str(a["ip"])


def sbom_ids(app: Any) -> list[int]:
    from plantwarden.store.sbom import list_sboms

    return [int(d["id"]) for d in list_sboms(app.state.store)]


def flash(page: Any) -> str:
    m = re.search(r'<p class="flash (?:ok|err)" role="(?:status|alert)">(.*?)</p>', page.text, re.S)
    assert m, f"no flash message on {page.url}"
    return m.group(1)


def upload(client: Any, filename: str, data: bytes, **fields: str) -> Any:
    return client.post("/sboms", files={"file": (filename, data, "application/octet-stream")}, data=fields,
                       follow_redirects=False)


def test_list_and_detail_show_components_findings_and_vex(app: Any, client_for: Any) -> None:
    from plantwarden.store import sbom

    c = client_for("viewer")
    asset_id, ip = first_asset(c)
    store = app.state.store.acting("tester")
    res = sbom.import_sbom(store, PLC.read_bytes(), "cdx-1.5-plc.json", asset=ip, product="PLC-100")
    sbom.import_osv(store, [("zlib.json", json.dumps(ZLIB).encode()), ("pymodbus.json", json.dumps(PYMODBUS).encode())])
    sbom.import_vex(store, VEX, "vendor-vex.json")

    listing = c.get("/sboms")
    assert listing.status_code == 200
    row = re.search(rf'<tr>\s*<td><a href="/sboms/{res.sbom_id}">.*?</tr>', listing.text, re.S)
    assert row, listing.text
    cells = [" ".join(re.sub(r"<[^>]+>", " ", x).split()) for x in re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)]
    # id, name, version, format, asset, product, components, open findings (of all), imported, by
    assert cells[:8] == [str(res.sbom_id), "PLC-100 firmware Example Automation", "V3.2.1", "cyclonedx-json 1.5",
                         ip, "PLC-100", "4", "1 of 2"], cells
    assert cells[9] == "tester"
    assert f'href="/assets/{asset_id}"' in row.group(0)
    assert 'href="/sboms"' in listing.text  # in the navigation

    page = c.get(f"/sboms/{res.sbom_id}")
    assert page.status_code == 200
    html = page.text
    for text in ("zlib", "1.2.11", "pkg:generic/zlib@1.2.11", "zlib project", "Zlib", "c3e5e9fdd5004dcb5",
                 "pyserial", "BSD-3-Clause", "org.eclipse.milo", "pkg:maven/org.eclipse.milo/sdk-server@0.6.8",
                 "5f2b1c3a4d6e7f8091a2b3c4d5e6f708192a3b4c", "Example Automation", "PLC-100"):
        assert text in html, text
    findings = html.split('id="component-findings"')[1].split("</table>")[0]
    zlib = re.search(r"<tr>\s*<td>\d+</td><td>zlib 1.2.11</td>.*?</tr>", findings, re.S)
    assert zlib and "OSV-ZLIB-9" in zlib.group(0) and "CVE-2022-37434" in zlib.group(0)
    assert '<span class="bad">open</span>' in zlib.group(0) and "<td>1.2.12</td>" in zlib.group(0)
    pym = re.search(r"<tr>\s*<td>\d+</td><td>pymodbus 3.5.0</td>.*?</tr>", findings, re.S)
    assert pym and "not_affected" in pym.group(0) and "code_not_reachable" in pym.group(0)
    assert "the serial client is never started" in pym.group(0) and "3.6.3" in pym.group(0)
    vex = html.split('id="vex"')[1].split("</table>")[0]
    assert "vendor-vex.json" in vex and "urn:uuid:9d1c6f8e" in vex and "decided findings of this SBOM" in vex
    assert f'href="/assets/{asset_id}"' in html

    # the asset's page links to its SBOM; another asset's does not
    assert f'href="/sboms/{res.sbom_id}"' in c.get(f"/assets/{asset_id}").text
    other = next(a["id"] for a in c.get("/api/assets").json()["items"] if a["ip"] != ip)
    assert "/sboms/" not in c.get(f"/assets/{other}").text
    assert c.get("/sboms/999999").status_code == 404


def test_vex_not_about_this_sbom_is_not_listed(app: Any, client_for: Any) -> None:
    from plantwarden.store import sbom

    store = app.state.store.acting("tester")
    res = sbom.import_sbom(store, HMI.read_bytes(), "hmi.xml", product="HMI")
    sbom.import_vex(store, VEX, "vendor-vex.json")  # speaks of pymodbus only, which the HMI does not have
    page = client_for("viewer").get(f"/sboms/{res.sbom_id}").text
    assert "vendor-vex.json" not in page and "no stored VEX document speaks of this SBOM" in page


def test_upload_through_the_form(app: Any, client_for: Any) -> None:
    c = client_for("ot_engineer")
    form = c.get("/sboms").text
    assert 'action="/sboms"' in form and 'type="file"' in form and 'name="csrf_token"' in form
    before = sbom_ids(app)
    r = upload(c, "hmi.xml", HMI.read_bytes(), product="HMI panel")
    assert r.status_code == 303 and r.headers["location"].startswith("/sboms?flash="), r.text
    page = c.get(r.headers["location"])
    assert "components imported from hmi.xml" in flash(page)
    [new] = sorted(set(sbom_ids(app)) - set(before))
    assert f'href="/sboms/{new}"' in page.text and "HMI panel" in page.text and "cyclonedx-xml" in page.text
    entries = [(e.action, e.actor, e.object) for e in app.state.store.audit_entries()]
    assert ("sbom.import", "web:ot-engineer", f"sbom {new}") in entries
    # the same file for the same product again: nothing new
    again = c.get(upload(c, "copy.xml", HMI.read_bytes(), product="HMI panel").headers["location"])
    assert "imported before" in flash(again) and sorted(sbom_ids(app)) == sorted([*before, new])
    # with an asset address and a name of its own
    r = upload(c, "plc.json", PLC.read_bytes(), asset="10.9.8.7", name="line 2 PLC")
    assert r.status_code == 303
    listing = c.get("/sboms").text
    assert "line 2 PLC" in listing and "10.9.8.7" in listing


BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE bom [<!ENTITY a "aaaaaaaaaa">'
                  b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
                  b'<bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components><component type="library">'
                  b"<name>&c;</name></component></components></bom>")
XXE = (b'<?xml version="1.0"?><!DOCTYPE bom [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
       b'<bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components><component type="library"><name>&x;</name>'
       b"</component></components></bom>")


@pytest.mark.parametrize(("name", "data", "fields", "says"), [
    ("cut.xml", HMI.read_bytes()[: len(HMI.read_bytes()) // 2], {}, "XML"),
    ("laughs.xml", BILLION_LAUGHS, {}, "DTD"),
    ("xxe.xml", XXE, {}, "DTD"),
    ("deep.json", b'{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": ' + b"[" * 100_000
     + b"]" * 100_000 + b"}", {}, "deep"),
    ("deep.xml", b'<bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components>'
     + b'<component type="library"><name>x</name><components>' * 50_000
     + b"</components></component>" * 50_000 + b"</components></bom>", {}, "deep"),
    ("garbage.bin", bytes(range(256)) * 4, {}, "SBOM"),
    ("latin1.spdx", b"SPDXVersion: SPDX-2.3\nPackageName: \xff\xfe\n", {}, ""),
    ("empty.json", b"", {}, "empty"),
    ("cut.json", PLC.read_bytes()[:300], {}, "JSON"),
    ("encoding.xml", b'<?xml version="1.0" encoding="x-nope"?><bom/>', {}, "unknown encoding"),
    ("plc.json", PLC.read_bytes(), {"asset": "not-an-ip"}, "not an IP address"),
])
def test_broken_or_hostile_files_give_a_flash_error(app: Any, client_for: Any, name: str, data: bytes,
                                                    fields: dict[str, str], says: str) -> None:
    c = client_for("admin")
    before = sbom_ids(app)
    r = upload(c, name, data, **fields)
    assert r.status_code == 303, (r.status_code, r.text[:500])
    page = c.get(r.headers["location"])
    assert page.status_code == 200 and 'class="flash err"' in page.text
    message = flash(page)
    assert message.startswith(name) and says.lower() in message.lower(), message
    assert "root:" not in page.text  # nothing of /etc/passwd
    assert sbom_ids(app) == before


def test_upload_over_the_limit_is_refused(app: Any, client_for: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from plantwarden.web import pages

    monkeypatch.setattr(pages, "MAX_SBOM_UPLOAD", 1024 ** 2)
    c = client_for("admin")
    page = c.get(upload(c, "big.json", b" " * (1024 ** 2 + 1)).headers["location"])
    assert "larger than 1 MiB" in flash(page) and sbom_ids(app) == []


HOSTILE = "<script>alert(1)</script>"


def test_hostile_names_are_escaped(app: Any, client_for: Any) -> None:
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
           "metadata": {"component": {"type": "firmware", "name": HOSTILE, "version": '"><img src=x>'}},
           "components": [{"type": "library", "name": HOSTILE, "version": "1.0", "supplier": {"name": HOSTILE},
                           "purl": "pkg:generic/evil@1.0?x=%3Cscript%3E", "licenses": [{"license": {"name": HOSTILE}}],
                           "hashes": [{"alg": "SHA-256", "content": "a" * 64}]}]}
    c = client_for("admin")
    r = upload(c, "<img src=x onerror=alert(1)>.json", json.dumps(doc).encode(), product=HOSTILE)
    assert r.status_code == 303
    listing = c.get("/sboms").text
    [sid] = sbom_ids(app)
    page = c.get(f"/sboms/{sid}").text
    for html in (listing, page):
        assert HOSTILE not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 4  # name, supplier, license, product
    assert "&lt;img src=x onerror=alert(1)&gt;.json" in page  # the file's name, as its source


def test_roles_and_csrf(app: Any, client_for: Any) -> None:
    viewer = client_for("viewer")
    page = viewer.get("/sboms")
    assert page.status_code == 200 and 'type="file"' not in page.text
    for role in ("viewer", "auditor", "analyst"):
        assert upload(client_for(role), "plc.json", PLC.read_bytes()).status_code == 403, role
    eng = client_for("ot_engineer")
    token = eng.headers.pop("X-CSRF-Token")
    assert upload(eng, "plc.json", PLC.read_bytes()).status_code == 403  # no token
    r = eng.post("/sboms", files={"file": ("plc.json", PLC.read_bytes())}, data={"csrf_token": "x" * 43},
                 follow_redirects=False)
    assert r.status_code == 403
    r = eng.post("/sboms", files={"file": ("plc.json", PLC.read_bytes())}, data={"csrf_token": token},
                 headers={"Origin": "https://evil.example"}, follow_redirects=False)
    assert r.status_code == 403
    assert sbom_ids(app) == []
    # the form's own field, as a browser sends it
    form_token = csrf_of(eng.get("/sboms").text)
    r = eng.post("/sboms", files={"file": ("plc.json", PLC.read_bytes())}, data={"csrf_token": form_token},
                 follow_redirects=False)
    assert r.status_code == 303 and len(sbom_ids(app)) == 1


@pytest.mark.parametrize("sample", sorted(p.name for p in DATA.iterdir() if p.is_file()))
def test_every_cut_of_the_samples_is_a_message_or_an_sbom(app: Any, client_for: Any, sample: str) -> None:
    """Truncated at many places, each sample file is imported or refused with a message, never a 500."""
    data = (DATA / sample).read_bytes()
    c = client_for("admin")
    for cut in sorted({1, 2, 7, *range(13, len(data), max(1, len(data) // 23))}):
        r = upload(c, f"cut-{cut}-{sample}", data[:cut])
        assert r.status_code == 303, (sample, cut, r.status_code, r.text[:300])
        kind = re.search(r'class="flash (ok|err)"', c.get(r.headers["location"]).text)
        assert kind, (sample, cut)


def test_an_unexpected_reader_error_is_a_message_and_logged(app: Any, client_for: Any,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    import plantwarden.vulns.sbom as reader

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise LookupError("unknown encoding: x-nope")

    monkeypatch.setattr(reader, "load_sbom", broken)
    c = client_for("admin")
    with caplog.at_level("ERROR", logger="plantwarden.web.pages"):
        r = upload(c, "odd.xml", PLC.read_bytes())
    assert r.status_code == 303
    assert flash(c.get(r.headers["location"])) == "odd.xml: cannot be read as an SBOM (an unexpected error, logged by the service)"
    assert "odd.xml" in caplog.text and "LookupError" in caplog.text
    assert sbom_ids(app) == []
