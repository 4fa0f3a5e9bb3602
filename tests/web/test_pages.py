"""What the pages show (docs/web.md, "Pages"), checked on the demo plant."""

from __future__ import annotations

import re
from typing import Any

from plantwarden.zones.model import load_model

MODEL = """
zones:
  - {name: cell-1, purdue_level: 1, sl_t: 3, members: {cidrs: [10.10.10.0/24]}}
  - {name: ops, purdue_level: 2, sl_t: 2, members: {cidrs: [10.10.20.0/24]}}
conduits:
  - {zones: [cell-1, ops], protocols: [modbus, s7comm]}
"""


def test_map_groups_by_zone_and_links_every_asset(app: Any, client_for: Any) -> None:
    c = client_for("viewer")
    html = c.get("/map").text
    assert "no zone" in html and "cell-1" not in html
    app.state.zone_model = load_model(MODEL)
    html = c.get("/map").text
    assert "cell-1" in html and "ops" in html
    ids = {a["id"] for a in c.get("/api/assets?per_page=500").json()["items"]}
    assert {int(i) for i in re.findall(r'href="/assets/(\d+)"', html)} == ids
    only = c.get("/map?protocol=s7comm").text
    assert "s7comm" in only


def test_asset_detail_shows_facts_with_their_sources(client_for: Any) -> None:
    c = client_for("viewer")
    items = c.get("/api/assets?q=PLC2").json()["items"]
    assert [a["name"] for a in items] == ["PLC2-MIXER"]
    html = c.get(f"/assets/{items[0]['id']}").text
    assert "PLC2-MIXER" in html and "s7comm" in html and "frame" in html
    assert 'id="communications"' in html


def test_filters_search_and_paging(client_for: Any) -> None:
    c = client_for("viewer")
    plcs = c.get("/api/assets?role=plc").json()
    assert plcs["total"] == 2 and {a["role"] for a in plcs["items"]} == {"plc"}
    assert c.get("/api/assets?level=1").json()["total"] == 2
    assert c.get("/api/assets?q=%25").json()["total"] == 0  # LIKE wildcards are literal
    page = c.get("/api/alerts?state=&per_page=2&page=2").json()
    assert page["page"] == 2 and len(page["items"]) == 2 and page["pages"] == -(-page["total"] // 2)
    high = c.get("/api/alerts?severity=high").json()
    assert high["total"] > 0 and {a["severity"] for a in high["items"]} == {"high"}
    host = high["items"][0]["src"]
    for a in c.get(f"/api/alerts?host={host}&state=").json()["items"]:
        assert host in (a["src"], a["dst"])


def test_triage_form_in_bulk_and_its_messages(client_for: Any) -> None:
    c = client_for("analyst")
    ids = [str(a["id"]) for a in c.get("/api/alerts?per_page=2").json()["items"]]
    csrf = c.headers["X-CSRF-Token"]
    r = c.post("/alerts/triage", data={"csrf_token": csrf, "ids": ids, "state": "resolved", "back": "/alerts"})
    assert "2 alert(s) now resolved" in r.text
    r = c.post("/alerts/triage", data={"csrf_token": csrf, "ids": ids[:1], "state": "suppressed", "back": "/alerts"})
    assert "suppressing an alert needs a reason" in r.text
    r = c.post("/alerts/triage", data={"csrf_token": csrf, "state": "resolved", "back": "//evil.example/"},
               follow_redirects=False)
    assert r.headers["location"].startswith("/?") or r.headers["location"].startswith("/alerts")


def test_windows_and_baseline_pages(client_for: Any) -> None:
    c = client_for("ot_engineer")
    csrf = c.headers["X-CSRF-Token"]
    r = c.post("/windows", data={"csrf_token": csrf, "start": "2026-01-01T00:00Z", "end": "2026-01-01T02:00Z",
                                 "assets": "10.10.10.11", "person": "<b>Ana</b>", "note": "WO-1"})
    assert "change window 1 added" in r.text and "&lt;b&gt;Ana&lt;/b&gt;" in r.text
    r = c.post("/windows", data={"csrf_token": csrf, "start": "tomorrow", "end": "2026-01-01T02:00Z"})
    assert "not an ISO 8601 time" in r.text
    assert c.get("/api/windows").json()["windows"][0]["assets"] == ["10.10.10.11"]
    r = c.post("/windows/1/delete", data={"csrf_token": csrf})
    assert "change window 1 removed" in r.text
    assert client_for("analyst").post("/windows/1/delete", data={}).status_code == 403


def test_admin_manages_users_from_the_settings_page(app: Any, client_for: Any) -> None:
    c = client_for("admin")
    csrf = c.headers["X-CSRF-Token"]
    r = c.post("/users", data={"csrf_token": csrf, "username": "night-shift", "role": "analyst"})
    m = re.search(r"user night-shift added as analyst; password: (\S+) \(shown once\)", r.text)
    assert m
    assert app.state.store.authenticate("night-shift", m.group(1)) is not None
    r = c.post("/users/night-shift", data={"csrf_token": csrf, "action": "token"})
    assert re.search(r"token \d+ for night-shift: pwt_", r.text)
    r = c.post("/users/admin", data={"csrf_token": csrf, "action": "disable"})
    assert "you cannot disable yourself" in r.text
    r = c.post("/users", data={"csrf_token": csrf, "username": "night-shift", "role": "analyst"})
    assert "exists" in r.text
    audit = c.get("/audit?action=user.add").text
    assert "night-shift" in audit and "web:admin" in audit


def test_cached_overview_and_map_follow_changes(client_for: Any) -> None:
    c = client_for("analyst")

    def open_alerts() -> int:
        html = c.get("/").text
        m = re.search(r"<h2>Open alerts</h2>\s*<p class=\"big\">(\d+)</p>", html)
        assert m, html
        return int(m.group(1))

    before = open_alerts()
    assert open_alerts() == before  # from the cache
    assert "alerting" in c.get("/map").text
    ids = [a["id"] for a in c.get("/api/alerts?per_page=500").json()["items"]]
    assert len(ids) == before
    c.post("/api/alerts/triage", json={"ids": ids[:2], "state": "resolved"})
    assert open_alerts() == before - 2
    c.post("/api/alerts/triage", json={"ids": ids[2:], "state": "acknowledged"})
    assert open_alerts() == before - 2  # acknowledged alerts are still open
    c.post("/api/alerts/triage", json={"ids": ids, "state": "resolved"})
    assert open_alerts() == 0
    assert "alerting" not in c.get("/map").text
