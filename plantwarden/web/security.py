"""Who is calling and what they may do: session cookies, API tokens, CSRF and the security headers of
every answer (docs/web.md, "Security")."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from fastapi import HTTPException, Request
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.responses import Response

from plantwarden.auth.roles import allowed
from plantwarden.web.sessions import WebUser, session_user

SESSION_COOKIE = "pw_session"
LOGIN_CSRF_COOKIE = "pw_login_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


class NeedLogin(Exception):
    """Raised for an anonymous page request: the app answers with a redirect to /login."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        h = response.headers
        h.setdefault("Content-Security-Policy", CSP)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "same-origin")
        h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        h.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), usb=(), serial=()")
        if not request.url.path.startswith("/static/"):
            h.setdefault("Cache-Control", "no-store")
        if request.url.scheme == "https":
            h.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


def is_api(request: Request) -> bool:
    return request.url.path == "/api" or request.url.path.startswith("/api/")


def _bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def identify(request: Request) -> WebUser | None:
    """The caller: an API token (``Authorization: Bearer pwt_...``) or a session cookie; None if neither
    is valid. Cached on the request."""
    if hasattr(request.state, "user"):
        cached: WebUser | None = request.state.user
        return cached
    app = request.app.state
    user: WebUser | None = None
    token = _bearer(request)
    if token is not None:
        u = app.store.token_user(token)
        if u is not None and not u.disabled:
            user = WebUser(u.id, u.username, u.role, "token")
    else:
        secret = request.cookies.get(SESSION_COOKIE)
        if secret:
            user = session_user(app.store, secret, float(app.settings()["session_hours"]))
    request.state.user = user
    return user


def same_origin(request: Request) -> bool:
    """An Origin (or, failing it, Referer) header, when sent, names this service."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin:
        return True
    if origin == "null":
        return False
    parts = urlsplit(origin)
    return parts.netloc == request.url.netloc


async def check_csrf(request: Request, user: WebUser) -> None:
    """Unsafe methods from a browser session need the session's CSRF token (header or form field) and
    a same-origin request; API tokens are not sent by browsers on their own and need neither."""
    if request.method not in UNSAFE or user.via != "session":
        return
    if not same_origin(request):
        raise HTTPException(403, "cross-origin request refused")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        ctype = request.headers.get("content-type", "")
        if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            v = form.get(CSRF_FIELD)
            sent = v if isinstance(v, str) else None
    if not sent or user.csrf is None or not hmac.compare_digest(sent.encode(), user.csrf.encode()):
        raise HTTPException(403, "missing or wrong CSRF token: reload the page and try again")


class Need:
    """Dependency: the caller must be signed in and have ``permission`` (plantwarden.auth.roles);
    ``None`` means any signed-in user. Anonymous: 401 on the API, a redirect to /login on pages."""

    def __init__(self, permission: str | None) -> None:
        self.permission = permission

    async def __call__(self, request: Request) -> WebUser:
        user = identify(request)
        if user is None:
            if is_api(request):
                raise HTTPException(401, "sign in or send an API token (Authorization: Bearer pwt_...)",
                                    headers={"WWW-Authenticate": 'Bearer realm="plantwarden"'})
            raise NeedLogin(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        if self.permission is not None and not allowed(user.role, self.permission):
            raise HTTPException(403, f"your role ({user.role}) may not do this ({self.permission})")
        await check_csrf(request, user)
        return user


def need(permission: str | None) -> Any:
    return Need(permission)


def new_login_csrf() -> str:
    return secrets.token_urlsafe(24)


def safe_next(value: str | None) -> str:
    """Where to go after login: a path of this site only (never //host or a scheme)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value
