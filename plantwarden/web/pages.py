"""The dashboard's pages (docs/web.md, "Pages"): server-rendered with Jinja2 (autoescaped), no inline
script or style, so that the Content-Security-Policy forbids any script but the site's own file."""

from __future__ import annotations

import csv
import dataclasses
import io
import logging
import secrets
import threading
import time
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select

from plantwarden.auth.roles import PERMISSIONS, ROLES, allowed
from plantwarden.core.alerts import STATES
from plantwarden.core.errors import Conflict, InvalidInput, NotFound
from plantwarden.store.models import AuditEntryRow, BaselinePairRow
from plantwarden.web import queries
from plantwarden.web.security import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    identify,
    need,
    new_login_csrf,
    safe_next,
    same_origin,
)
from plantwarden.web.sessions import (
    SETTINGS,
    WebUser,
    change_settings,
    close_session,
    close_user_sessions,
    open_session,
)

router = APIRouter(include_in_schema=False)
Read = Annotated[WebUser, Depends(need("dashboards.read"))]
SEVERITY_COLORS = {"critical": "#8b0000", "high": "#d9480f", "medium": "#e0a800", "low": "#4a7bb7"}

NAV = (("/", "Overview", "dashboards.read"), ("/assets", "Assets", "dashboards.read"),
       ("/map", "Network map", "dashboards.read"), ("/alerts", "Alerts", "dashboards.read"),
       ("/captures", "Captures", "dashboards.read"), ("/vulns", "Vulnerabilities", "dashboards.read"),
       ("/sboms", "SBOMs", "dashboards.read"), ("/suppliers", "Suppliers", "dashboards.read"), ("/baselines", "Baselines", "dashboards.read"),
       ("/process", "Process models", "dashboards.read"),
       ("/audit", "Audit log", "audit.read"), ("/settings", "Settings", "dashboards.read"))


def render(request: Request, template: str, user: WebUser | None, status: int = 200,
           headers: dict[str, str] | None = None, **ctx: Any) -> Response:
    app = request.app.state
    nav = [(href, label) for href, label, perm in NAV if user is not None and allowed(user.role, perm)]
    ctx.update(request=request, user=user, nav=nav, csrf=user.csrf if user else None,
               site_name=app.settings()["site_name"], can=lambda p: user is not None and allowed(user.role, p),
               path=request.url.path)
    key = request.query_params.get("flash", "")
    ctx["ok"], ctx["err"] = app.flashes.take(key, user.id if user else None) if key else ("", "")
    resp: Response = app.templates.TemplateResponse(request, template, ctx, status_code=status, headers=headers)
    return resp


def render_error(request: Request, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    try:
        user = identify(request)
    except Exception:  # noqa: BLE001 - an error page must render even when the store fails
        user = None
    return render(request, "error.html", user, status=status, headers=headers, status_code=status, message=message)


class Flashes:
    """Messages for the page after a redirect, kept on the server: the URL carries only a random key
    (a secret shown once, such as a new API token, never lands in a URL, a log or the history), and
    only the user it was made for sees it, once. At most ``limit`` are kept, for ``ttl`` seconds."""

    def __init__(self, ttl: float = 300.0, limit: int = 10_000) -> None:
        self.ttl, self.limit = ttl, limit
        self._items: dict[str, tuple[int, float, str, str]] = {}
        self._lock = threading.Lock()

    def put(self, user_id: int, ok: str, err: str) -> str:
        key = secrets.token_urlsafe(16)
        now = time.time()
        with self._lock:
            if len(self._items) >= self.limit:
                for k in [k for k, v in self._items.items() if v[1] < now] or list(self._items)[: self.limit // 2]:
                    self._items.pop(k, None)
            self._items[key] = (user_id, now + self.ttl, ok, err)
        return key

    def take(self, key: str, user_id: int | None) -> tuple[str, str]:
        with self._lock:
            item = self._items.get(key)
            if item is None or item[0] != user_id or item[1] < time.time():
                return "", ""
            del self._items[key]
        return item[2], item[3]


def back(request: Request, user: WebUser, path: str, ok: str = "", err: str = "", **params: str) -> RedirectResponse:
    """Redirect (303) to ``path`` with ``params`` and a flash message for ``user``."""
    if ok or err:
        params["flash"] = request.app.state.flashes.put(user.id, ok, err)
    q = urlencode({k: v for k, v in params.items() if v})
    return RedirectResponse(f"{path}?{q}" if q else path, status_code=303)


def _store(request: Request, user: WebUser) -> Any:
    return request.app.state.store.acting(f"web:{user.username}")


# -- login ----------------------------------------------------------------------------------------

def _cookie_args(request: Request) -> dict[str, Any]:
    secure = bool(request.app.state.secure_cookies or request.url.scheme == "https")
    return {"httponly": True, "samesite": "strict", "secure": secure, "path": "/"}


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    if identify(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    token = new_login_csrf()
    resp = render(request, "login.html", None, login_csrf=token, next=safe_next(next), error="")
    resp.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, **_cookie_args(request))
    return resp


@router.post("/login")
def login(request: Request, username: Annotated[str, Form(max_length=256)],
          password: Annotated[str, Form(max_length=1024)], csrf_token: Annotated[str, Form(max_length=256)] = "",
          next: Annotated[str, Form(max_length=2000)] = "/") -> Response:
    import hmac

    app = request.app.state
    address = request.client.host if request.client else "?"
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    username = username.strip()  # one name for the limiter and the check: " admin" is "admin"

    def again(message: str, status: int, headers: dict[str, str] | None = None) -> Response:
        token = new_login_csrf()
        resp = render(request, "login.html", None, status=status, headers=headers, login_csrf=token,
                      next=safe_next(next), error=message, username=username)
        resp.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, **_cookie_args(request))
        return resp

    if not same_origin(request) or not cookie or not hmac.compare_digest(cookie.encode(), csrf_token.encode()):
        return again("The form expired: please sign in again.", 403)
    conf = app.settings()
    wait = app.limiter.retry_after(username, address, int(conf["login_attempts"]),
                                   60.0 * float(conf["login_window_minutes"]))
    if wait > 0:
        return again(f"Too many failed sign-ins: try again in {int(wait) + 1} seconds.", 429,
                     {"Retry-After": str(int(wait) + 1)})
    u = app.store.acting(f"web:{address}").authenticate(username, password)
    if u is None:
        app.limiter.failed(username, address)
        return again("Wrong user name or password.", 401)
    app.limiter.succeeded(username)
    secret, _csrf = open_session(app.store, u.id, float(conf["session_hours"]), address)
    resp = RedirectResponse(safe_next(next), status_code=303)
    resp.set_cookie(SESSION_COOKIE, secret, **_cookie_args(request))
    resp.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return resp


@router.post("/logout")
def logout(request: Request, user: Annotated[WebUser, Depends(need(None))]) -> Response:
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        close_session(request.app.state.store, secret)
        store = _store(request, user)
        with store.transaction() as s:
            store.record(s, "user.logout", f"user {user.username}")
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


# -- overview -------------------------------------------------------------------------------------

@router.get("/")
def overview(request: Request, user: Read) -> Response:
    from plantwarden.web.svg import stacked_bars

    def plots() -> tuple[str, str]:
        # both plots count alerts and flows by when they began: triage does not change them
        alerts_plot = stacked_bars(queries.alerts_over_time(s), order=list(SEVERITY_COLORS), colors=SEVERITY_COLORS,
                                   title="Alerts over time (first seen), by severity")
        traffic = queries.traffic_over_time(s)
        top = sorted(traffic, key=lambda p: -sum(n for _, n in traffic[p]))[:8]
        traffic_plot = stacked_bars({p: traffic[p] for p in top}, order=top, colors={},
                                    title="Traffic over time: flows of the busiest protocols, by when they began")
        return alerts_plot, traffic_plot

    cache = request.app.state.cache
    with request.app.state.store.read() as s:
        data = cache.get(s, ("overview",), lambda: queries.overview(s))
        alerts_plot, traffic_plot = cache.get(s, ("overview-plots",), plots, triage=False)
    return render(request, "overview.html", user, data=data, alerts_plot=alerts_plot, traffic_plot=traffic_plot,
                  severity_colors=SEVERITY_COLORS)


# -- assets ---------------------------------------------------------------------------------------

def _asset_filter(request: Request) -> queries.AssetFilter:
    p = request.query_params
    level = p.get("level", "")
    if level and level != "unknown" and not level.isdigit():
        level = ""
    return queries.AssetFilter(q=p.get("q", "")[:200], role=p.get("role", ""), level=level,
                               protocol=p.get("protocol", ""), tag=p.get("tag", ""), sort=p.get("sort", "ip"),
                               order="desc" if p.get("order") == "desc" else "asc")


@router.get("/assets")
def assets(request: Request, user: Read, page: Annotated[int, Query(ge=1)] = 1) -> Response:
    f = _asset_filter(request)
    with request.app.state.store.read() as s:
        result = queries.assets_page(s, f, page, 50)
        roles = queries.asset_roles(s)
        protos = queries.protocols(s)
    params = {k: v for k, v in request.query_params.items() if k not in ("page", "flash")}
    return render(request, "assets.html", user, result=result, f=f, roles=roles, protocols=protos,
                  query=urlencode(params))


@router.get("/assets.csv")
def assets_csv(request: Request, user: Annotated[WebUser, Depends(need("reports.run"))]) -> Response:
    f = _asset_filter(request)
    cols = ("ip", "mac", "name", "vendor", "model", "firmware", "serial", "role", "purdue_level", "protocols",
            "tags", "open_alerts", "first_seen", "last_seen")
    rows: list[list[Any]] = []
    with request.app.state.store.read() as s:
        page = 1
        while True:
            res = queries.assets_page(s, f, page, queries.MAX_PER_PAGE)
            for a in res.items:
                rows.append([";".join(a[c]) if isinstance(a[c], list) else a[c] for c in cols])
            if page >= res.pages:
                break
            page += 1
    return csv_response("assets.csv", cols, rows)


@router.get("/assets/{asset_id}")
def asset(request: Request, user: Read, asset_id: int) -> Response:
    with request.app.state.store.read() as s:
        found = queries.asset_detail(s, asset_id)
        sboms = queries.asset_sboms(s, found["ip"]) if found is not None else []
    if found is None:
        raise HTTPException(404, f"no asset with id {asset_id}")
    return render(request, "asset.html", user, a=found, sboms=sboms)


# -- map ------------------------------------------------------------------------------------------

@router.get("/map")
def network_map(request: Request, user: Read, protocol: str = "") -> Response:
    from plantwarden.web.svg import MapEdge, MapNode, network_map

    def layout() -> tuple[list[MapNode], list[MapEdge], list[str], int]:
        """Everything but the alert marks: triage does not change it."""
        zone_of = zone_lookup(request)
        rows, links, total = queries.map_data(s, protocol)
        names = queries.asset_names(s, [a.id for a in rows])
        by_ip = {a.ip: a.id for a in rows}
        nodes = [MapNode(a.id, names.get(a.id) or a.ip, a.ip, a.role, a.purdue_level, zone_of(a.ip),
                         f"/assets/{a.id}", 0) for a in rows]
        edges = [MapEdge(by_ip[c.client], by_ip[c.server], c.protocol, c.flows) for c in links]
        return nodes, edges, queries.protocols(s), total

    def drawn() -> tuple[str, list[str], int, int, int]:
        nodes, edges, protos, total = cache.get(s, ("map-layout", protocol, id(model)), layout, triage=False)
        alerts = queries.open_alert_counts(s, [n.ip for n in nodes])
        marked = [dataclasses.replace(n, alerts=alerts.get(n.ip, 0)) for n in nodes]
        return network_map(marked, edges), protos, len(nodes), len(edges), total

    model = request.app.state.zone_model
    cache = request.app.state.cache
    with request.app.state.store.read() as s:
        svg, protos, n_nodes, n_edges, total = cache.get(s, ("map", protocol, id(model)), drawn)
    return render(request, "map.html", user, svg=svg, protocol=protocol, protocols=protos, nodes=n_nodes,
                  edges=n_edges, total=total, zones=model is not None)


def zone_lookup(request: Request) -> Any:
    model = getattr(request.app.state, "zone_model", None)
    if model is None:
        return lambda ip: None
    from plantwarden.store.tags import tag_members
    from plantwarden.zones.check import place
    from plantwarden.zones.tags import with_tags

    model = with_tags(model, tag_members(request.app.state.store.tags()))
    cache: dict[str, str | None] = {}

    def zone(ip: str) -> str | None:
        if ip not in cache:
            z = place(model, ip, None)
            cache[ip] = z.name if z is not None else None
        return cache[ip]

    return zone


# -- alerts ---------------------------------------------------------------------------------------

def _alert_filter(request: Request) -> queries.AlertFilter:
    p = request.query_params
    state = p.get("state", "open")
    if state not in ("", "open", *STATES):
        state = "open"
    return queries.AlertFilter(state=state, severity=p.get("severity", ""), detection=p.get("detection", ""),
                               host=p.get("host", "")[:64], q=p.get("q", "")[:200])


@router.get("/alerts")
def alerts(request: Request, user: Read, page: Annotated[int, Query(ge=1)] = 1) -> Response:
    f = _alert_filter(request)
    with request.app.state.store.read() as s:
        result = queries.alerts_page(s, f, page, 50)
        detections = queries.detections_present(s)
        ids = {ip for a in result.items for ip in (a["src"], a["dst"]) if ip}
        from plantwarden.store.models import AssetRow

        asset_ids = {ip: i for i, ip in s.execute(select(AssetRow.id, AssetRow.ip).where(AssetRow.ip.in_(ids)))}
    params = {k: v for k, v in request.query_params.items() if k not in ("page", "flash")}
    return render(request, "alerts.html", user, result=result, f=f, states=STATES, detections=detections,
                  severities=queries.SEVERITIES, query=urlencode(params), asset_ids=asset_ids)


@router.get("/alerts.csv")
def alerts_csv(request: Request, user: Annotated[WebUser, Depends(need("reports.run"))]) -> Response:
    f = _alert_filter(request)
    cols = ("id", "severity", "state", "detection", "technique", "title", "src", "dst", "count", "first_seen",
            "last_seen", "state_reason")
    rows: list[list[Any]] = []
    with request.app.state.store.read() as s:
        res = queries.alerts_page(s, f, 1, queries.MAX_PER_PAGE)
        pages = min(res.pages, 200)  # at most 100,000 rows per export
        for page in range(1, pages + 1):
            if page > 1:
                res = queries.alerts_page(s, f, page, queries.MAX_PER_PAGE)
            rows.extend([a[c] for c in cols] for a in res.items)
    return csv_response("alerts.csv", cols, rows)


@router.get("/alerts/{alert_id}")
def alert(request: Request, user: Read, alert_id: int) -> Response:
    with request.app.state.store.read() as s:
        found = queries.alert_detail(s, alert_id)
    if found is None:
        raise HTTPException(404, f"no alert with id {alert_id}")
    chart = _process_chart(found)
    found["evidence"] = [_without_series(e) for e in found.get("evidence") or []]  # drawn, not listed
    return render(request, "alert.html", user, a=found, chart=chart)


def _without_series(e: Any) -> Any:
    if isinstance(e, dict) and isinstance(e.get("details"), dict) and "series" in e["details"]:
        return {**e, "details": {k: v for k, v in e["details"].items() if k != "series"}}
    return e


def _process_chart(found: dict[str, Any]) -> Any:
    """The chart of a process anomaly (its last evidence with a series), as markup: built escaped."""
    from markupsafe import Markup

    from plantwarden.ml.plots import anomaly_chart

    for e in reversed(list(found.get("evidence") or [])):
        details = e.get("details") if isinstance(e, dict) else None
        series = details.get("series") if isinstance(details, dict) else None
        if isinstance(series, dict):
            return Markup(anomaly_chart(series, title=f"alert {found.get('id')}: {found.get('title')}"))  # noqa: S704
    return None


@router.post("/alerts/triage")
async def triage(request: Request, user: Annotated[WebUser, Depends(need("alerts.triage"))]) -> Response:
    form = await request.form()
    ids: list[int] = []
    for v in form.getlist("ids"):
        if isinstance(v, str) and v.isdigit():
            ids.append(int(v))
    action = str(form.get("state", ""))
    reason = str(form.get("reason", "")).strip()[:2000] or None
    ret = str(form.get("back", "/alerts"))
    ret = safe_next(ret)
    if not ids:
        return back(request, user, ret.split("?")[0], err="select at least one alert", **_kept(ret))
    if action not in ("new", "acknowledged", "resolved", "suppressed"):
        return back(request, user, ret.split("?")[0], err="choose what to do with the selected alerts", **_kept(ret))
    if len(ids) > 1000:
        return back(request, user, ret.split("?")[0], err="at most 1000 alerts at a time", **_kept(ret))
    try:
        changed = _store(request, user).set_alert_states(ids, action, reason)
    except InvalidInput as exc:
        return back(request, user, ret.split("?")[0], err=str(exc), **_kept(ret))
    return back(request, user, ret.split("?")[0], ok=f"{len(changed)} alert(s) now {action}", **_kept(ret))


def _kept(url: str) -> dict[str, str]:
    from urllib.parse import parse_qsl, urlsplit

    return {k: v for k, v in parse_qsl(urlsplit(url).query) if k != "flash"}


# -- captures -------------------------------------------------------------------------------------

@router.get("/captures")
def captures(request: Request, user: Read) -> Response:
    with request.app.state.store.read() as s:
        caps = queries.captures(s)
        jobs = queries.jobs(s)
    return render(request, "captures.html", user, captures=caps, jobs=jobs)


@router.post("/captures")
def upload(request: Request, file: UploadFile,
           user: Annotated[WebUser, Depends(need("captures.upload"))]) -> Response:
    from plantwarden.web.jobs import save_upload

    name = file.filename or "upload.pcap"
    try:
        path, size = save_upload(file.file, request.app.state.uploads, name)
    except InvalidInput as exc:
        return back(request, user, "/captures", err=f"{name[:100]}: {exc}")
    job = request.app.state.jobs.submit(_store(request, user), path, name, size)
    return back(request, user, "/captures", ok=f"upload accepted: job {job}")


# -- vulnerabilities and suppliers (docs/vulns.md, docs/suppliers.md) -------------------------------

@router.get("/vulns")
def vulns(request: Request, user: Read, status: str = "", priority: str = "", asset: str = "") -> Response:
    items = request.app.state.store.findings(status or None, asset[:64] or None)
    if priority:
        items = [f for f in items if f["priority"] == priority]
    with request.app.state.store.read() as s:
        from plantwarden.store.models import AssetRow

        ids = {ip: i for i, ip in s.execute(select(AssetRow.id, AssetRow.ip))} if len(items) < 5000 else {}
    return render(request, "vulns.html", user, items=items[:1000], total=len(items), state=status,
                  priority=priority, asset=asset, asset_ids=ids)


@router.post("/vulns/{finding_id}/status")
def vuln_status(request: Request, finding_id: int, user: Annotated[WebUser, Depends(need("findings.edit"))],
                status: Annotated[str, Form(max_length=16)], reason: Annotated[str, Form(max_length=2000)] = "",
                until: Annotated[str, Form(max_length=64)] = "") -> Response:
    from plantwarden.web.api import parse_when

    try:
        t = parse_when(until, "until") if until.strip() else None
        _store(request, user).set_finding_status(finding_id, status, reason or None, t)
    except InvalidInput as exc:
        return back(request, user, "/vulns", err=str(exc))
    return back(request, user, "/vulns", ok=f"finding {finding_id} now {status}")


@router.post("/vulns/match")
def vuln_match(request: Request, user: Annotated[WebUser, Depends(need("findings.edit"))]) -> Response:
    res = _store(request, user).match_advisories()
    return back(request, user, "/vulns", ok=f"matched {res.advisories} advisories to {res.assets} assets: "
                f"{len(res.new)} new, {len(res.fixed)} fixed, {len(res.reopened)} reopened; {res.open} open")


@router.get("/suppliers")
def suppliers(request: Request, user: Read, questionnaire: str = "default") -> Response:
    store = request.app.state.store
    reports, _ = store.supplier_report(False)
    with store.read() as s:
        notes = queries.supplier_notes(s)
        names = queries.questionnaire_names(s)
    try:
        q = store.questionnaire(questionnaire[:64])
    except (NotFound, InvalidInput):
        q = store.questionnaire("default")
    return render(request, "suppliers.html", user, reports=reports, notes=notes, questionnaire=q,
                  questionnaires=names, answers=("yes", "partial", "no", "n/a"))


# -- supplier editing (as plantwarden suppliers add|update|assess|clause|clause-done) ------------------

SupplierEdit = Annotated[WebUser, Depends(need("suppliers.edit"))]
_SUPPLIER_ERRORS = (InvalidInput, Conflict, NotFound)


def _hosts(text: str) -> list[str]:
    """Addresses or networks typed in one field, separated by spaces, commas or new lines."""
    return text.replace(",", " ").split()


def _text(form: Any, key: str, limit: int) -> str | None:
    """A text field of a form, None when it was not sent; InvalidInput when longer than ``limit``."""
    v = form.get(key)
    if v is None:
        return None
    if not isinstance(v, str):
        raise InvalidInput(f"{key}: text expected")
    if len(v) > limit:
        raise InvalidInput(f"{key}: at most {limit} characters")
    return v.strip()


@router.post("/suppliers")
def supplier_add(request: Request, user: SupplierEdit, name: Annotated[str, Form(max_length=200)],
                 vendor: Annotated[str, Form(max_length=200)] = "", contact: Annotated[str, Form(max_length=500)] = "",
                 notes: Annotated[str, Form(max_length=4000)] = "",
                 remote_hosts: Annotated[str, Form(max_length=20000)] = "") -> Response:
    try:
        _store(request, user).add_supplier(name.strip(), vendor.strip() or None, contact.strip() or None,
                                           notes.strip() or None, _hosts(remote_hosts))
    except _SUPPLIER_ERRORS as exc:
        return back(request, user, "/suppliers", err=str(exc))
    return back(request, user, "/suppliers", ok=f"supplier {name.strip()} added")


@router.post("/suppliers/update")
async def supplier_update(request: Request, user: SupplierEdit) -> Response:
    """Only the fields the form sends change (an empty one is cleared), as ``suppliers update``."""
    form = await request.form()
    try:
        name = _text(form, "name", 200) or ""
        if not name:
            raise InvalidInput("say which supplier to update")
        contact, notes = _text(form, "contact", 500), _text(form, "notes", 4000)
        hosts = _text(form, "remote_hosts", 20000)
        _store(request, user).update_supplier(name, contact, notes, None if hosts is None else _hosts(hosts))
    except _SUPPLIER_ERRORS as exc:
        return back(request, user, "/suppliers", err=str(exc))
    return back(request, user, "/suppliers", ok=f"supplier {name} updated")


@router.post("/suppliers/assess")
async def supplier_assess(request: Request, user: SupplierEdit) -> Response:
    """An assessment: one field ``answer:<question id>`` per question (yes, partial, no, n/a)."""
    form = await request.form()
    qname = "default"
    try:
        name = _text(form, "name", 200) or ""
        qname = _text(form, "questionnaire", 64) or "default"
        assessor = _text(form, "assessor", 200) or user.username
        if not name:
            raise InvalidInput("say which supplier was assessed")
        answers: dict[str, Any] = {}
        for key in form:
            if key.startswith("answer:") and len(answers) < 500:
                answers[key[len("answer:"):][:64]] = _text(form, key, 16) or ""
        score, risk, review = _store(request, user).assess_supplier(name, answers, qname, assessor)
    except _SUPPLIER_ERRORS as exc:
        return back(request, user, "/suppliers", err=str(exc), questionnaire=qname if qname != "default" else "")
    return back(request, user, "/suppliers", ok=f"supplier {name}: score {score:.0f}/100, risk {risk}; next review "
                f"{time.strftime('%Y-%m-%d', time.gmtime(review))}")


@router.post("/suppliers/clauses")
def supplier_clause(request: Request, user: SupplierEdit, name: Annotated[str, Form(max_length=200)],
                    clause: Annotated[str, Form(max_length=4000)], due: Annotated[str, Form(max_length=64)]) -> Response:
    from plantwarden.web.api import parse_when

    try:
        t = parse_when(due, "due")
        cid = _store(request, user).add_clause(name.strip(), clause, t)
    except _SUPPLIER_ERRORS as exc:
        return back(request, user, "/suppliers", err=str(exc))
    return back(request, user, "/suppliers", ok=f"clause {cid} of {name.strip()} due "
                f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime(t))} UTC")


@router.post("/suppliers/clauses/{clause_id}/done")
def supplier_clause_done(request: Request, clause_id: int, user: SupplierEdit,
                         note: Annotated[str, Form(max_length=2000)] = "") -> Response:
    try:
        _store(request, user).clause_done(clause_id, note.strip() or None)
    except _SUPPLIER_ERRORS as exc:
        return back(request, user, "/suppliers", err=str(exc))
    return back(request, user, "/suppliers", ok=f"clause {clause_id} met")


# -- SBOMs (docs/vulns.md, "SBOM, VEX and OSV") -----------------------------------------------------

#: the largest SBOM the upload form takes (the file is read whole and parsed in the service)
MAX_SBOM_UPLOAD = 64 * 1024 ** 2
#: components and findings listed on an SBOM's page at most
SBOM_ROWS = 5000


@router.get("/sboms")
def sboms(request: Request, user: Read) -> Response:
    with request.app.state.store.read() as s:
        items = queries.sboms(s)
    return render(request, "sboms.html", user, items=items, limit_mib=MAX_SBOM_UPLOAD // 1024 ** 2)


@router.get("/sboms/{sbom_id}")
def sbom_page(request: Request, user: Read, sbom_id: int) -> Response:
    from plantwarden.store.models import AssetRow
    from plantwarden.store.sbom import sbom_document

    store = request.app.state.store
    try:
        doc = sbom_document(store, sbom_id)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    with store.read() as s:
        vex = queries.sbom_vex(s, sbom_id)
        asset_id = s.scalar(select(AssetRow.id).where(AssetRow.ip == doc["asset"])) if doc["asset"] else None
    open_states = queries.OPEN_COMPONENT_STATES
    return render(request, "sbom.html", user, d=doc, vex=vex, asset_id=asset_id, limit=SBOM_ROWS,
                  open_findings=sum(1 for f in doc["findings"] if f["state"] in open_states))


def _read_limited(src: Any, limit: int) -> bytes:
    """The upload's bytes; InvalidInput when there are more than ``limit``."""
    chunks, size = [], 0
    while chunk := src.read(1 << 20):
        size += len(chunk)
        if size > limit:
            raise InvalidInput(f"larger than {limit // 1024 ** 2} MiB: not read as an SBOM")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post("/sboms")
def sbom_upload(request: Request, file: UploadFile, user: Annotated[WebUser, Depends(need("findings.edit"))],
                asset: Annotated[str, Form(max_length=64)] = "", product: Annotated[str, Form(max_length=500)] = "",
                name: Annotated[str, Form(max_length=500)] = "") -> Response:
    from plantwarden.store.sbom import import_sbom

    fname = (file.filename or "upload.sbom").replace("\\", "/").rsplit("/", 1)[-1][:200] or "upload.sbom"
    try:
        data = _read_limited(file.file, MAX_SBOM_UPLOAD)
        res = import_sbom(_store(request, user), data, fname, asset.strip() or None, product.strip() or None,
                          name.strip() or None)
    except InvalidInput as exc:
        return back(request, user, "/sboms", err=f"{fname[:100]}: {str(exc)[:500]}")
    except (ValueError, LookupError, RecursionError, TypeError):
        # a file the reader should have refused with InvalidInput: still a message, not a 500, and logged
        logging.getLogger(__name__).exception("SBOM upload %r could not be read", fname)
        return back(request, user, "/sboms", err=f"{fname[:100]}: cannot be read as an SBOM (an unexpected error, "
                    "logged by the service)")
    if not res.created:
        return back(request, user, "/sboms", ok=f"sbom {res.sbom_id}: the same file was imported before for this "
                    "asset and product; unchanged")
    line = f"sbom {res.sbom_id}: {res.components} components imported from {fname[:100]}"
    if res.matched is not None:
        m = res.matched
        line += (f"; matched {m.advisories} OSV records: {len(m.new)} new findings"
                 + (f", {len(m.decided_by_vex)} decided by stored VEX" if m.decided_by_vex else ""))
    return back(request, user, "/sboms", ok=line)


# -- process models -------------------------------------------------------------------------------

MAX_MODEL_UPLOAD = 64 * 1024 ** 2


@router.get("/process")
def process_models(request: Request, user: Read) -> Response:
    from plantwarden.store import process as stored

    store = request.app.state.store
    models = stored.list_models(store)
    active = None
    if any(m["active"] for m in models):
        try:
            model = stored.active_model(store)
        except ValueError:
            model = None
        if model is not None:
            active = {"points": list(model.points), "types": model.types,
                      "rules": [r.describe() for r in model.rules.rules] if model.rules is not None else []}
    return render(request, "process.html", user, models=models, active=active,
                  limit_mib=MAX_MODEL_UPLOAD // 1024 ** 2)


@router.post("/process")
def process_upload(request: Request, file: UploadFile, user: Annotated[WebUser, Depends(need("baselines.edit"))],
                   name: Annotated[str, Form(max_length=200)] = "", activate: Annotated[str, Form(max_length=8)] = ""
                   ) -> Response:
    from plantwarden.store.process import add_model

    fname = (file.filename or "model.npz").replace("\\", "/").rsplit("/", 1)[-1][:200] or "model.npz"
    try:
        data = _read_limited(file.file, MAX_MODEL_UPLOAD)
        m = add_model(_store(request, user), data, name.strip() or fname, activate=bool(activate))
    except InvalidInput as exc:
        return back(request, user, "/process", err=f"{fname[:100]}: {str(exc)[:500]}")
    state = "the active one" if m["active"] else "kept, not active"
    return back(request, user, "/process", ok=f"process model {m['id']} ({m['kind']}, {len(m['points'])} points): "
                f"{state}")


@router.post("/process/deactivate")
def process_deactivate(request: Request, user: Annotated[WebUser, Depends(need("baselines.edit"))]) -> Response:
    from plantwarden.store.process import deactivate

    deactivate(_store(request, user))
    return back(request, user, "/process", ok="no process model is active")


def _process_by_id(request: Request, user: WebUser, model_id: int, action: str, done: str) -> Response:
    from plantwarden.core.errors import NotFound
    from plantwarden.store import process as stored

    try:
        getattr(stored, action)(_store(request, user), model_id)
    except NotFound as exc:
        return back(request, user, "/process", err=str(exc))
    return back(request, user, "/process", ok=f"process model {model_id} {done}")


@router.post("/process/{model_id}/activate")
def process_activate(request: Request, model_id: int,
                     user: Annotated[WebUser, Depends(need("baselines.edit"))]) -> Response:
    return _process_by_id(request, user, model_id, "activate", "is the active one")


@router.post("/process/{model_id}/remove")
def process_remove(request: Request, model_id: int,
                   user: Annotated[WebUser, Depends(need("baselines.edit"))]) -> Response:
    return _process_by_id(request, user, model_id, "remove", "removed")


# -- baselines and change windows -----------------------------------------------------------------

@router.get("/baselines")
def baselines(request: Request, user: Read, page: Annotated[int, Query(ge=1)] = 1) -> Response:
    with request.app.state.store.read() as s:
        total = s.scalar(select(func.count()).select_from(BaselinePairRow)) or 0
        pairs = list(s.scalars(select(BaselinePairRow).order_by(BaselinePairRow.client, BaselinePairRow.server,
                                                                BaselinePairRow.protocol)
                               .limit(100).offset((page - 1) * 100)))
    windows = request.app.state.store.windows()
    return render(request, "baselines.html", user, pairs=pairs, total=total, page=page,
                  pages=max(1, -(-int(total) // 100)), windows=windows, now=time.time())


@router.post("/baselines/remove")
def baseline_remove(request: Request, user: Annotated[WebUser, Depends(need("baselines.edit"))],
                    client: Annotated[str, Form(max_length=64)] = "", server: Annotated[str, Form(max_length=64)] = "",
                    protocol: Annotated[str, Form(max_length=64)] = "") -> Response:
    if not (client or server or protocol):
        return back(request, user, "/baselines", err="say what to remove")
    n = _store(request, user).remove_from_baseline(client or None, server or None, protocol or None)
    return back(request, user, "/baselines", ok=f"{n} baseline pair(s) removed")


@router.post("/windows")
def window_add(request: Request, user: Annotated[WebUser, Depends(need("windows.edit"))],
               start: Annotated[str, Form(max_length=64)], end: Annotated[str, Form(max_length=64)],
               assets: Annotated[str, Form(max_length=20000)] = "", hosts: Annotated[str, Form(max_length=20000)] = "",
               person: Annotated[str, Form(max_length=200)] = "", note: Annotated[str, Form(max_length=2000)] = ""
               ) -> Response:
    from plantwarden.web.api import WindowIn, make_window

    try:
        w = make_window(WindowIn(start=start, end=end, assets=assets.replace(",", " ").split(),
                                 hosts=hosts.replace(",", " ").split(), person=person or None, note=note or None))
    except InvalidInput as exc:
        return back(request, user, "/baselines", err=str(exc))
    store = _store(request, user)
    added = store.add_window(w)
    approved = store.approve_in_window(added)
    return back(request, user, "/baselines", ok=f"change window {added.id} added; {len(approved)} stored alert(s) approved")


@router.post("/windows/{window_id}/delete")
def window_remove(request: Request, window_id: int,
                  user: Annotated[WebUser, Depends(need("windows.edit"))]) -> Response:
    _store(request, user).remove_window(window_id)
    return back(request, user, "/baselines", ok=f"change window {window_id} removed")


# -- audit ----------------------------------------------------------------------------------------

def audit_rows(store: Any, limit: int = 200, action: str = "") -> list[dict[str, Any]]:
    q = select(AuditEntryRow).order_by(AuditEntryRow.seq.desc()).limit(limit)
    if action:
        q = q.where(AuditEntryRow.action == action)
    with store.read() as s:
        return [{"seq": r.seq, "at": r.at, "actor": r.actor, "action": r.action, "object": r.object,
                 "before": r.before, "after": r.after, "hash": r.hash} for r in s.scalars(q)]


def verify_audit(store: Any) -> dict[str, Any]:
    from plantwarden.audit.log import load_public_key, public_path

    path = public_path(store.audit_key_path())
    try:
        key = load_public_key(path)
    except (OSError, ValueError):
        key = None
    v = store.audit_verify(key)
    return {"ok": not v.problems, "entries": v.entries, "checkpoints": v.checkpoints, "sealed_to": v.sealed_to,
            "unsealed": v.unsealed, "signatures_checked": key is not None,
            "problems": [{"seq": seq, "problem": msg} for seq, msg in v.problems]}


@router.get("/audit")
def audit(request: Request, user: Annotated[WebUser, Depends(need("audit.read"))], action: str = "",
          verify: str = "") -> Response:
    import json

    rows = audit_rows(request.app.state.store, 500, action)
    for r in rows:
        r["before_json"] = json.dumps(r["before"], sort_keys=True) if r["before"] is not None else ""
        r["after_json"] = json.dumps(r["after"], sort_keys=True) if r["after"] is not None else ""
    check = verify_audit(request.app.state.store) if verify else None
    return render(request, "audit.html", user, rows=rows, action=action, check=check)


# -- settings, users and tokens -------------------------------------------------------------------

@router.get("/settings")
def settings_page(request: Request, user: Read) -> Response:
    store = request.app.state.store
    users = store.users() if allowed(user.role, "users.admin") else []
    return render(request, "settings.html", user, settings=request.app.state.settings(), spec=SETTINGS,
                  users=users, roles=ROLES, permissions=PERMISSIONS)


@router.post("/settings")
async def settings_save(request: Request, user: Annotated[WebUser, Depends(need("settings.edit"))]) -> Response:
    form = await request.form()
    changes = {k: str(form[k]) for k in SETTINGS if k in form}
    try:
        change_settings(_store(request, user), changes)
    except InvalidInput as exc:
        return back(request, user, "/settings", err=str(exc))
    return back(request, user, "/settings", ok="settings saved")


@router.post("/users")
def user_add(request: Request, user: Annotated[WebUser, Depends(need("users.admin"))],
             username: Annotated[str, Form(max_length=64)], role: Annotated[str, Form(max_length=32)],
             password: Annotated[str, Form(max_length=1024)] = "") -> Response:
    from plantwarden.auth.accounts import generate_password

    pw = password or generate_password()
    try:
        _store(request, user).add_user(username.strip(), role, pw)
    except (InvalidInput, Conflict) as exc:
        return back(request, user, "/settings", err=str(exc))
    shown = "" if password else f"; password: {pw} (shown once)"
    return back(request, user, "/settings", ok=f"user {username.strip()} added as {role}{shown}")


@router.post("/users/{username}")
def user_change(request: Request, username: str, user: Annotated[WebUser, Depends(need("users.admin"))],
                action: Annotated[str, Form(max_length=32)], role: Annotated[str, Form(max_length=32)] = "",
                password: Annotated[str, Form(max_length=1024)] = "") -> Response:
    store = _store(request, user)
    if username == user.username and action in ("disable", "role") and not (action == "role" and role == "admin"):
        return back(request, user, "/settings", err="you cannot disable yourself or take your own admin role")
    try:
        if action == "role":
            store.set_user_role(username, role)
        elif action == "disable":
            store.set_user_disabled(username, True)
        elif action == "enable":
            store.set_user_disabled(username, False)
        elif action == "password":
            store.set_user_password(username, password)
        elif action == "token":
            tid, secret = store.create_token(username, f"web {time.strftime('%Y-%m-%d')} {secrets.token_hex(2)}")
            return back(request, user, "/settings", ok=f"token {tid} for {username}: {secret} (shown once: store it now)")
        else:
            return back(request, user, "/settings", err="unknown action")
    except (InvalidInput, Conflict) as exc:
        return back(request, user, "/settings", err=str(exc))
    if action in ("role", "disable", "password"):
        close_user_sessions(store, username)
    return back(request, user, "/settings", ok=f"user {username}: {action} done")


# -- CSV ------------------------------------------------------------------------------------------

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def csv_cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will not run: text starting like a formula gets a leading quote
    (OWASP's advice); control characters other than tab and newline are shown as U+FFFD."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value) if isinstance(value, float) else str(value)
    text = "".join(c if c in "\t\n" or c >= " " else "\ufffd" for c in str(value))
    if text.startswith(FORMULA_PREFIXES):
        text = "'" + text
    return text


def csv_response(name: str, columns: Any, rows: list[list[Any]]) -> Response:
    buf = io.StringIO()
    w = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([csv_cell(v) for v in r])
    return Response(buf.getvalue().encode("utf-8-sig"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
