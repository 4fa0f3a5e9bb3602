"""The web service: the REST API under /api/ and the dashboard's pages (docs/web.md).

``create_app`` builds it over one store; ``plantwarden serve`` runs it with uvicorn. The service keeps
no state of its own beyond the store but the login limiter's counters.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from plantwarden.core.errors import Conflict, InvalidInput, NotFound
from plantwarden.store.service import Store
from plantwarden.web.jobs import Jobs
from plantwarden.web.security import NeedLogin, SecurityHeaders, is_api
from plantwarden.web.sessions import LoginLimiter, settings

HERE = Path(__file__).parent


def default_uploads(target: str) -> Path:
    """Uploads beside a database file; under the user's data folder for a database URL."""
    if "://" not in target:
        return Path(target).resolve().parent / "uploads"
    import hashlib

    base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "plantwarden"
    return base / f"uploads-{hashlib.sha256(target.encode()).hexdigest()[:12]}"


def fmt_ts(value: Any) -> str:
    if value is None:
        return ""
    try:
        return dt.datetime.fromtimestamp(float(value), dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    except (OverflowError, OSError, ValueError):
        return "?"


def fmt_bytes(n: Any) -> str:
    v = float(n or 0)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if v < 1024 or unit == "GiB":
            return f"{v:.0f} {unit}" if unit == "B" else f"{v:.1f} {unit}"
        v /= 1024
    return f"{v:.1f} GiB"


def create_app(store: Store | str, uploads: Path | None = None, secure_cookies: bool = False,
               start_jobs: bool = True) -> FastAPI:
    """The service over ``store`` (a Store, or a path or URL to open one)."""
    if not isinstance(store, Store):
        store = Store(store, actor="web")
    the_store = store
    jobs = Jobs(the_store)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if start_jobs:
            jobs.start()
        try:
            yield
        finally:
            jobs.stop()
            the_store.audit_checkpoint()  # "a checkpoint ... at shutdown" (docs/audit.md)

    app = FastAPI(title="plantwarden", version=_version(), lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None,
                  description="REST API of plantwarden (docs/web.md). Authenticate with a session cookie "
                              "(the dashboard) or `Authorization: Bearer pwt_...` (plantwarden user token).")
    app.state.store = the_store
    app.state.jobs = jobs
    app.state.uploads = uploads or default_uploads(the_store.target)
    app.state.secure_cookies = secure_cookies
    app.state.limiter = LoginLimiter()
    from plantwarden.web.pages import Flashes

    app.state.flashes = Flashes()
    from plantwarden.web.queries import DataCache

    app.state.cache = DataCache()
    app.state.settings = lambda: settings(the_store)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters["ts"] = fmt_ts
    templates.env.filters["bytes"] = fmt_bytes
    app.state.templates = templates
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.exception_handler(NeedLogin)
    async def _login(request: Request, exc: NeedLogin) -> Response:
        from urllib.parse import quote

        return RedirectResponse(f"/login?next={quote(exc.next_path, safe='/')}", status_code=303)

    def _error(request: Request, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        if is_api(request):
            return JSONResponse({"detail": message}, status_code=status, headers=headers)
        from plantwarden.web.pages import render_error

        return render_error(request, status, message, headers)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        return _error(request, exc.status_code, str(exc.detail), dict(exc.headers or {}))

    @app.exception_handler(404)
    async def _nf(request: Request, exc: Exception) -> Response:
        return _error(request, 404, str(getattr(exc, "detail", "not found")))

    @app.exception_handler(InvalidInput)
    async def _invalid(request: Request, exc: InvalidInput) -> Response:
        return _error(request, 400, str(exc))

    @app.exception_handler(NotFound)
    async def _notfound(request: Request, exc: NotFound) -> Response:
        return _error(request, 404, str(exc))

    @app.exception_handler(Conflict)
    async def _conflict(request: Request, exc: Conflict) -> Response:
        return _error(request, 409, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        parts = []
        for e in exc.errors()[:5]:
            loc = ".".join(str(x) for x in e.get("loc", ()) if x not in ("body", "query", "path"))
            parts.append(f"{loc}: {e.get('msg', 'invalid')}" if loc else str(e.get("msg", "invalid")))
        return _error(request, 422, "; ".join(parts) or "invalid request")

    from plantwarden.web import api, pages

    app.include_router(api.router)
    app.include_router(pages.router)
    return app


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("plantwarden")
    except PackageNotFoundError:  # pragma: no cover
        return "0"
