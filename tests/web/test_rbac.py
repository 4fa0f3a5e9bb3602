"""Every route of the service called as every role and as nobody (docs/web.md, "Roles"): the answer
is what the permission table says, and a route without a permission is a test failure."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute

from plantwarden.auth.roles import PERMISSIONS, ROLES, allowed
from plantwarden.web.security import Need

#: routes anyone may call
PUBLIC = {("GET", "/login"), ("POST", "/login")}
#: path parameters: values that exist in the demo database or harmlessly do not
PARAMS = {"asset_id": "1", "alert_id": "1", "job_id": "999999", "window_id": "999999", "token_id": "999999", "finding_id": "999999", "sbom_id": "999999",
          "clause_id": "999999", "model_id": "999999", "username": "no-such-user"}


def _permission(route: APIRoute) -> tuple[bool, str | None]:
    """(guarded, permission) from the route's dependencies."""
    for dep in route.dependant.dependencies:
        call = dep.call
        if isinstance(call, Need):
            return True, call.permission
        for sub in dep.dependencies:
            if isinstance(sub.call, Need):
                return True, sub.call.permission
    return False, None


def _flat(routes: Any) -> list[Any]:
    """The routes of the app, through included routers (FastAPI >= 0.16x wraps them)."""
    out: list[Any] = []
    for r in routes:
        inner = getattr(r, "original_router", None)
        out.extend(_flat(inner.routes) if inner is not None else [r])
    return out


def _routes(app: Any) -> list[tuple[str, str, APIRoute]]:
    out = []
    for r in _flat(app.routes):
        if isinstance(r, APIRoute):
            for m in sorted(r.methods - {"HEAD"}):
                out.append((m, r.path, r))
    return out


def _call(client: Any, method: str, path: str) -> Any:
    url = path
    for k, v in PARAMS.items():
        url = url.replace("{" + k + "}", v)
    kwargs: dict[str, Any] = {"follow_redirects": False}
    if method in ("POST", "PUT", "PATCH", "DELETE"):
        if path.startswith("/api/"):
            kwargs["json"] = {}  # valid JSON, invalid body: an allowed caller gets 4xx, nothing changes
        else:
            kwargs["data"] = {}
    return client.request(method, url, **kwargs)


def test_every_route_is_guarded_or_public(app: Any) -> None:
    routes = _routes(app)
    assert len(routes) > 40
    for method, path, route in routes:
        guarded, perm = _permission(route)
        if (method, path) in PUBLIC:
            assert not guarded, (method, path)
            continue
        assert guarded, f"{method} {path} checks no role"
        assert perm is None or perm in PERMISSIONS, (method, path, perm)


def test_matrix(app: Any, client_for: Any) -> None:
    clients = {role: client_for(role) for role in ROLES}
    anonymous = client_for(None)
    checked = 0
    for method, path, route in _routes(app):
        if (method, path) in PUBLIC or (method, path) == ("POST", "/logout"):
            continue
        _, perm = _permission(route)
        r = _call(anonymous, method, path)
        if path.startswith("/api/"):
            assert r.status_code == 401, (method, path, r.status_code)
            assert r.headers.get("www-authenticate", "").startswith("Bearer")
        else:
            assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), (method, path)
        for role, c in clients.items():
            r = _call(c, method, path)
            may = perm is None or allowed(role, perm)
            if may:
                assert r.status_code not in (401, 403), (role, method, path, r.status_code, r.text[:300])
                if method == "GET" and "{" not in path or path in ("/assets/{asset_id}", "/alerts/{alert_id}",
                                                                  "/api/assets/{asset_id}", "/api/alerts/{alert_id}"):
                    assert r.status_code == 200, (role, method, path, r.status_code, r.text[:300])
            else:
                assert r.status_code == 403, (role, method, path, r.status_code)
            checked += 1
    assert checked >= 40 * len(ROLES)


@pytest.mark.parametrize("role", ROLES)
def test_navigation_shows_what_the_role_may_open(client_for: Any, role: str) -> None:
    html = client_for(role).get("/").text
    assert ('href="/audit"' in html) == allowed(role, "audit.read")
    alerts = client_for(role).get("/alerts").text
    assert ('name="ids"' in alerts) == allowed(role, "alerts.triage")
    caps = client_for(role).get("/captures").text
    assert ('type="file"' in caps) == allowed(role, "captures.upload")
    assert 'href="/sboms"' in html
    sboms = client_for(role).get("/sboms").text
    assert ('type="file"' in sboms) == allowed(role, "findings.edit")
    suppliers = client_for(role).get("/suppliers").text
    assert ('id="supplier-add"' in suppliers) == allowed(role, "suppliers.edit")
