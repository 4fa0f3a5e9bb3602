"""The service's security: sign-in, sessions, CSRF, login rate limiting, API tokens, headers, and
attacker-controlled strings shown and exported safely (docs/web.md, "Security")."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from plantwarden.store.service import Store

from .conftest import PASSWORD, csrf_of, login


def test_anonymous_api_is_401_and_pages_redirect_to_login(app: Any) -> None:
    with TestClient(app) as c:
        r = c.get("/api/alerts")
        assert r.status_code == 401 and r.json()["detail"].startswith("sign in")
        assert c.get("/api/openapi.json").status_code == 401
        r = c.get("/alerts?state=new", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login?next=/alerts%3Fstate%3Dnew"


def test_headers_on_every_answer(app: Any, client_for: Any) -> None:
    c = client_for("admin")
    for path in ("/", "/assets", "/api/overview", "/login", "/no-such-page"):
        h = c.get(path).headers
        csp = h["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert h["x-content-type-options"] == "nosniff" and h["x-frame-options"] == "DENY"
        assert h["cache-control"] == "no-store"


def test_session_cookie_flags_and_secure_behind_tls(app: Any) -> None:
    with TestClient(app) as c:
        cookie = login(c, "viewer").headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
    with TestClient(app, base_url="https://testserver") as c:
        r = login(c, "viewer")
        assert "Secure" in r.headers["set-cookie"]
        assert c.get("/").headers["strict-transport-security"].startswith("max-age=")


def test_login_needs_its_form_token_and_refuses_wrong_passwords(app: Any) -> None:
    with TestClient(app) as c:
        r = c.post("/login", data={"username": "admin", "password": PASSWORD, "csrf_token": "forged"},
                   follow_redirects=False)
        assert r.status_code == 403 and "pw_session" not in r.headers.get("set-cookie", "")
        r = login(c, "admin", "wrong password here")
        assert r.status_code == 401 and "Wrong user name or password" in r.text
        r = login(c, "admin")
        assert r.status_code == 303 and r.headers["location"] == "/"


def test_next_only_goes_to_this_site(app: Any) -> None:
    with TestClient(app) as c:
        page = c.get("/login?next=//evil.example/x")
        r = c.post("/login", data={"username": "admin", "password": PASSWORD, "csrf_token": csrf_of(page.text),
                                   "next": "https://evil.example/"}, follow_redirects=False)
        assert r.headers["location"] == "/"


def test_login_rate_limit_per_name(app: Any) -> None:
    with TestClient(app) as c:
        for _ in range(5):
            assert login(c, "analyst", "not the password!").status_code == 401
        r = login(c, "analyst")  # the right password, but locked for now
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
        assert login(c, "viewer").status_code == 303  # another name is not locked
    entries = [e for e in app.state.store.audit_entries() if e.object == "user analyst"]
    assert [e.action for e in entries].count("user.login_failed") == 5


def test_csrf_on_session_changes_but_not_on_tokens(app: Any, client_for: Any) -> None:
    c = client_for("analyst")
    alert_id = c.get("/api/alerts").json()["items"][0]["id"]
    token = c.headers.pop("X-CSRF-Token")
    body = {"ids": [alert_id], "state": "acknowledged"}
    assert c.post("/api/alerts/triage", json=body).status_code == 403
    assert c.post("/api/alerts/triage", json=body, headers={"X-CSRF-Token": "x" * 43}).status_code == 403
    r = c.post("/api/alerts/triage", json=body, headers={"X-CSRF-Token": token, "Origin": "https://evil.example"})
    assert r.status_code == 403 and "cross-origin" in r.json()["detail"]
    assert c.post("/api/alerts/triage", json=body, headers={"X-CSRF-Token": token}).status_code == 200
    # a form without its hidden field
    assert c.post("/alerts/triage", data={"ids": str(alert_id), "state": "resolved"}).status_code == 403
    # an API token: no cookie, no CSRF
    _, secret = app.state.store.create_token("analyst", "automation")
    with TestClient(app) as t:
        r = t.post("/api/alerts/triage", json={"ids": [alert_id], "state": "resolved"},
                   headers={"Authorization": f"Bearer {secret}"})
        assert r.status_code == 200 and r.json()["changed"] == [alert_id]
        assert t.get("/api/me", headers={"Authorization": "Bearer pwt_wrong"}).status_code == 401


def test_logout_and_disabled_users_end_sessions(app: Any, client_for: Any) -> None:
    v = client_for("viewer")
    assert v.get("/api/me").json()["username"] == "viewer"
    admin = client_for("admin")
    assert admin.patch("/api/users/viewer", json={"disabled": True}).status_code == 200
    assert v.get("/api/me").status_code == 401
    assert admin.patch("/api/users/admin", json={"disabled": True}).status_code == 400  # not yourself
    a = client_for("analyst")
    assert a.post("/logout", follow_redirects=False).status_code == 303
    assert a.get("/api/me").status_code == 401


def test_sessions_expire_after_idle_hours(app: Any, client_for: Any) -> None:
    from sqlalchemy import update

    from plantwarden.store.models import WebSessionRow

    c = client_for("auditor")
    assert c.get("/api/me").status_code == 200
    with app.state.store.transaction() as s:
        s.execute(update(WebSessionRow).values(expires_at=time.time() - 1))
    assert c.get("/api/me").status_code == 401


def test_triage_in_bulk_is_audited_per_alert(app: Any, client_for: Any) -> None:
    c = client_for("analyst")
    ids = [a["id"] for a in c.get("/api/alerts?per_page=3").json()["items"]]
    assert len(ids) == 3
    assert c.post("/api/alerts/triage", json={"ids": ids, "state": "suppressed"}).status_code == 400  # no reason
    r = c.post("/api/alerts/triage", json={"ids": ids, "state": "suppressed", "reason": "lab traffic"})
    assert r.json()["changed"] == ids
    states = {a["id"]: a["state"] for a in c.get("/api/alerts?state=suppressed").json()["items"]}
    assert all(states[i] == "suppressed" for i in ids)
    audit = [e for e in app.state.store.audit_entries() if e.action == "alert.state"]
    assert {e.object for e in audit} == {f"alert {i}" for i in ids}
    assert all(e.actor == "web:analyst" and e.after["reason"] == "lab traffic" for e in audit)
    # all or none: one unknown id changes nothing
    r = c.post("/api/alerts/triage", json={"ids": [ids[0], 10 ** 9], "state": "resolved"})
    assert r.status_code == 404
    assert c.get(f"/api/alerts/{ids[0]}").json()["state"] == "suppressed"


def test_settings_change_is_admin_only_checked_and_audited(app: Any, client_for: Any) -> None:
    admin = client_for("admin")
    assert client_for("ot_engineer").put("/api/settings", json={"site_name": "x"}).status_code == 403
    assert admin.put("/api/settings", json={"session_hours": 0}).status_code == 400
    assert admin.put("/api/settings", json={"nope": 1}).status_code == 400
    r = admin.put("/api/settings", json={"site_name": "Line 2 <b>"})
    assert r.json()["site_name"] == "Line 2 <b>"
    assert "Line 2 &lt;b&gt;" in admin.get("/").text
    e = [e for e in app.state.store.audit_entries() if e.action == "settings.change"][-1]
    assert (e.actor, e.before, e.after) == ("web:admin", {"value": "plantwarden"}, {"value": "Line 2 <b>"})


# -- hostile strings --------------------------------------------------------------------------------

HOSTILE = {
    "plc_name": '<script>alert("x")</script>',
    "module_name": '"><img src=x onerror=alert(1)>',
    "vendor": "=HYPERLINK(\"http://evil.example\",\"x\")",
    "model": "+cmd|' /C calc'!A0",
    "firmware": "@SUM(1+1)",
    "serial_number": "-2+3\x1b[31m",
}


def _plant_hostile_facts(db: Path) -> int:
    """Facts with attacker-style values on the first asset (as a decoder would store them)."""
    from sqlalchemy import select

    from plantwarden.store.models import AssetRow, CaptureRow, FactRow

    with Store(db) as store, store.transaction() as s:
        asset = s.scalars(select(AssetRow).order_by(AssetRow.id)).first()
        cap = s.scalars(select(CaptureRow.id)).first()
        assert asset is not None and cap is not None
        for name, value in HOSTILE.items():
            s.add(FactRow(asset_id=asset.id, name=name, value=value, protocol="s7comm", confidence=1.0,
                          capture_id=cap, frame=1, event="s7comm_szl_response", first_seen=1.0, last_seen=1.0,
                          count=1))
        return asset.id


def test_hostile_names_are_escaped_in_pages_and_safe_in_csv(db: Path, client_for: Any) -> None:
    asset_id = _plant_hostile_facts(db)
    c = client_for("auditor")
    for path in (f"/assets/{asset_id}", "/assets", "/map"):
        html = c.get(path).text
        assert "<script>alert" not in html and "<img src=x" not in html, path
    detail = c.get(f"/assets/{asset_id}").text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in detail
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in detail
    api = c.get(f"/api/assets/{asset_id}").json()
    assert {f["name"]: f["value"] for f in api["facts"]}["plc_name"] == HOSTILE["plc_name"]  # data kept as is
    rows = list(csv.reader(io.StringIO(c.get("/assets.csv").content.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    mine = next(r for r in body if r[header.index("name")] == HOSTILE["plc_name"])
    for col in ("vendor", "model", "firmware", "serial"):
        cell = mine[header.index(col)]
        assert cell.startswith("'") and cell[1:2] in "=+@-", (col, cell)
    assert "\x1b" not in c.get("/assets.csv").text
    for r in body:
        for cell in r:
            assert not cell.startswith(("=", "+", "@")) and not (cell.startswith("-") and not _number(cell)), cell


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_errors_are_clear(client_for: Any) -> None:
    c = client_for("viewer")
    assert c.get("/api/assets/999999").json() == {"detail": "no asset with id 999999"}
    assert c.get("/api/alerts?state=bogus").status_code == 400
    assert "per_page" in c.get("/api/assets?per_page=100000").json()["detail"]
    page = c.get("/assets/999999")
    assert page.status_code == 404 and "no asset with id 999999" in page.text


def test_openapi_documents_every_api_route(client_for: Any) -> None:
    doc = client_for("viewer").get("/api/openapi.json").json()
    paths = set(doc["paths"])
    assert {"/api/alerts", "/api/alerts/triage", "/api/assets/{asset_id}", "/api/captures", "/api/audit"} <= paths
    assert not [p for p in paths if not p.startswith("/api/")]
    json.dumps(doc)


@pytest.mark.parametrize("role,ok", [("viewer", False), ("auditor", True), ("admin", True)])
def test_audit_api(client_for: Any, role: str, ok: bool) -> None:
    r = client_for(role).get("/api/audit/verify")
    assert (r.status_code == 200) == ok
    if ok:
        assert r.json()["ok"] is True and r.json()["signatures_checked"] is True


def test_rate_limit_counts_a_name_however_it_is_padded(app: Any) -> None:
    with TestClient(app) as c:
        for name in ("analyst", " analyst", "analyst ", "\tanalyst", "ANALYST"):
            assert login(c, name, "not the password!").status_code == 401
        for name in ("analyst", " analyst "):
            assert login(c, name).status_code == 429


def test_flash_messages_come_from_the_server_only(app: Any, client_for: Any) -> None:
    admin = client_for("admin")
    csrf = admin.headers["X-CSRF-Token"]
    r = admin.post("/users/viewer", data={"csrf_token": csrf, "action": "token"}, follow_redirects=False)
    location = r.headers["location"]
    assert "pwt_" not in location and "token" not in location  # the secret never goes into a URL
    other = client_for("auditor")
    assert "pwt_" not in other.get(location).text  # another user cannot read it
    page = admin.get(location).text
    assert "pwt_" in page
    assert "pwt_" not in admin.get(location).text  # shown once
    forged = admin.get("/settings?ok=Your+password+expired,+call+us&err=x").text
    assert "Your password expired" not in forged
