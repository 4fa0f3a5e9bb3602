"""The REST API (docs/web.md, "API"): every route names the permission it needs (``need``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, HTTPException, Query, Request, UploadFile
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from plantwarden.core.alerts import STATES
from plantwarden.core.errors import InvalidInput
from plantwarden.store.models import BaselinePairRow, CaptureJobRow, CommunicationRow
from plantwarden.web import queries
from plantwarden.web.security import need
from plantwarden.web.sessions import WebUser, change_settings, close_user_sessions

router = APIRouter(prefix="/api", tags=["api"])
MAX_BULK = 1000

Read = Annotated[WebUser, Depends(need("dashboards.read"))]


def _store(request: Request, user: WebUser) -> Any:
    """The store acting for the caller: the audit log names them."""
    return request.app.state.store.acting(f"web:{user.username}")


def _read(request: Request) -> Any:
    return request.app.state.store.read()


def parse_when(value: str, what: str) -> float:
    try:
        t = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{what}: not an ISO 8601 time: {value[:64]!r}") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return t.timestamp()


@router.get("/openapi.json")
def openapi(request: Request, user: Read) -> dict[str, Any]:
    """This API's OpenAPI document (signed-in users only)."""
    doc: dict[str, Any] = request.app.openapi()
    return doc


# -- who am I -------------------------------------------------------------------------------------

@router.get("/me")
def me(user: Annotated[WebUser, Depends(need(None))]) -> dict[str, Any]:
    from plantwarden.auth.roles import PERMISSIONS

    return {"username": user.username, "role": user.role, "via": user.via,
            "permissions": sorted(p for p, roles in PERMISSIONS.items() if user.role in roles)}


# -- overview, assets, communications, map ----------------------------------------------------------

@router.get("/overview")
def overview(request: Request, user: Read) -> dict[str, Any]:
    with _read(request) as s:
        return queries.overview(s)


@router.get("/assets")
def assets(request: Request, user: Read, q: str = "", role: str = "", level: str = "", protocol: str = "",
           tag: str = "", sort: str = "ip", order: str = "asc", page: Annotated[int, Query(ge=1)] = 1,
           per_page: Annotated[int, Query(ge=1, le=queries.MAX_PER_PAGE)] = 50) -> dict[str, Any]:
    if level and level != "unknown" and not level.isdigit():
        raise InvalidInput("level: a Purdue level (0-5) or 'unknown'")
    f = queries.AssetFilter(q=q[:200], role=role, level=level, protocol=protocol, tag=tag, sort=sort, order=order)
    with _read(request) as s:
        return queries.assets_page(s, f, page, per_page).document()


@router.get("/assets/{asset_id}")
def asset(request: Request, user: Read, asset_id: int) -> dict[str, Any]:
    with _read(request) as s:
        found = queries.asset_detail(s, asset_id)
    if found is None:
        raise HTTPException(404, f"no asset with id {asset_id}")
    return found


@router.get("/communications")
def communications(request: Request, user: Read, protocol: str = "", host: str = "",
                   page: Annotated[int, Query(ge=1)] = 1,
                   per_page: Annotated[int, Query(ge=1, le=queries.MAX_PER_PAGE)] = 100) -> dict[str, Any]:
    from sqlalchemy import or_

    stmt = select(CommunicationRow)
    if protocol:
        stmt = stmt.where(CommunicationRow.protocol == protocol)
    if host:
        stmt = stmt.where(or_(CommunicationRow.client == host, CommunicationRow.server == host))
    stmt = stmt.order_by(CommunicationRow.id)
    with _read(request) as s:
        total = s.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
        rows = s.scalars(stmt.limit(per_page).offset((page - 1) * per_page))
        items = [queries.communication_item(c) for c in rows]
    return queries.Page(items, int(total), page, per_page).document()


@router.get("/map")
def network_map(request: Request, user: Read, protocol: str = "") -> dict[str, Any]:
    with _read(request) as s:
        nodes, edges, total = queries.map_data(s, protocol)
        return {"assets": total,
                "nodes": [{"id": a.id, "ip": a.ip, "role": a.role, "purdue_level": a.purdue_level} for a in nodes],
                "edges": [{"client": c.client, "server": c.server, "protocol": c.protocol, "flows": c.flows}
                          for c in edges]}


# -- alerts ---------------------------------------------------------------------------------------

@router.get("/alerts")
def alerts(request: Request, user: Read, state: str = "open", severity: str = "", detection: str = "",
           host: str = "", q: str = "", page: Annotated[int, Query(ge=1)] = 1,
           per_page: Annotated[int, Query(ge=1, le=queries.MAX_PER_PAGE)] = 50) -> dict[str, Any]:
    if state not in ("", "open", *STATES):
        raise InvalidInput(f"state: one of open, {', '.join(STATES)} (or empty for all)")
    f = queries.AlertFilter(state=state, severity=severity, detection=detection, host=host, q=q[:200])
    with _read(request) as s:
        return queries.alerts_page(s, f, page, per_page).document()


@router.get("/alerts/{alert_id}")
def alert(request: Request, user: Read, alert_id: int) -> dict[str, Any]:
    with _read(request) as s:
        found = queries.alert_detail(s, alert_id)
    if found is None:
        raise HTTPException(404, f"no alert with id {alert_id}")
    return found


class Triage(BaseModel):
    ids: list[int] = Field(min_length=1, max_length=MAX_BULK)
    state: str = Field(description="acknowledged, resolved, suppressed (needs a reason) or new (reopen)")
    reason: str | None = Field(default=None, max_length=2000)


TRIAGE_STATES = ("new", "acknowledged", "resolved", "suppressed")


@router.post("/alerts/triage")
def triage(request: Request, body: Triage,
           user: Annotated[WebUser, Depends(need("alerts.triage"))]) -> dict[str, Any]:
    if body.state not in TRIAGE_STATES:
        raise InvalidInput(f"state: one of {', '.join(TRIAGE_STATES)}")
    changed = _store(request, user).set_alert_states(body.ids, body.state, body.reason)
    return {"changed": changed, "state": body.state}


# -- captures and their analysis ------------------------------------------------------------------

@router.get("/captures")
def captures(request: Request, user: Read) -> dict[str, Any]:
    with _read(request) as s:
        return {"captures": queries.captures(s), "jobs": queries.jobs(s)}


@router.post("/captures", status_code=202)
def upload(request: Request, file: Annotated[UploadFile, File(description="a pcap or pcapng file")],
           user: Annotated[WebUser, Depends(need("captures.upload"))]) -> dict[str, Any]:
    from plantwarden.web.jobs import save_upload

    name = file.filename or "upload.pcap"
    path, size = save_upload(file.file, request.app.state.uploads, name)
    job_id = request.app.state.jobs.submit(_store(request, user), path, name, size)
    return {"job": job_id, "name": name, "size": size}


@router.get("/jobs/{job_id}")
def job(request: Request, user: Read, job_id: int) -> dict[str, Any]:
    with _read(request) as s:
        row = s.get(CaptureJobRow, job_id)
        if row is None:
            raise HTTPException(404, f"no job with id {job_id}")
        return queries.job_item(row)


# -- baselines and change windows -----------------------------------------------------------------

@router.get("/baseline")
def baseline(request: Request, user: Read, page: Annotated[int, Query(ge=1)] = 1,
             per_page: Annotated[int, Query(ge=1, le=queries.MAX_PER_PAGE)] = 100) -> dict[str, Any]:
    stmt = select(BaselinePairRow).order_by(BaselinePairRow.client, BaselinePairRow.server, BaselinePairRow.protocol)
    with _read(request) as s:
        total = s.scalar(select(func.count()).select_from(BaselinePairRow)) or 0
        items = [{"client": p.client, "server": p.server, "protocol": p.protocol, "requests": p.requests,
                  "functions": dict(p.functions or {}), "first_seen": p.first_seen, "last_seen": p.last_seen}
                 for p in s.scalars(stmt.limit(per_page).offset((page - 1) * per_page))]
    return queries.Page(items, int(total), page, per_page).document()


class BaselineRemoval(BaseModel):
    client: str | None = Field(default=None, max_length=64)
    server: str | None = Field(default=None, max_length=64)
    protocol: str | None = Field(default=None, max_length=64)


@router.post("/baseline/remove")
def baseline_remove(request: Request, body: BaselineRemoval,
                    user: Annotated[WebUser, Depends(need("baselines.edit"))]) -> dict[str, Any]:
    if not (body.client or body.server or body.protocol):
        raise InvalidInput("say what to remove: client, server and/or protocol")
    n = _store(request, user).remove_from_baseline(body.client or None, body.server or None, body.protocol or None)
    return {"removed": n}


@router.get("/windows")
def windows(request: Request, user: Read) -> dict[str, Any]:
    from plantwarden.baseline.windows import window_document

    return {"windows": [window_document(w) for w in request.app.state.store.windows()]}


class WindowIn(BaseModel):
    start: str = Field(description="ISO 8601; UTC when no offset is given")
    end: str
    assets: list[str] = Field(default_factory=list, max_length=1000)
    hosts: list[str] = Field(default_factory=list, max_length=1000)
    person: str | None = Field(default=None, max_length=200)
    note: str | None = Field(default=None, max_length=2000)


def make_window(body: WindowIn) -> Any:
    from plantwarden.baseline.windows import ChangeWindow
    start, end = parse_when(body.start, "start"), parse_when(body.end, "end")
    if end < start:
        raise InvalidInput("the window ends before it starts")
    return ChangeWindow(start, end, _ips(body.assets, "assets"), _ips(body.hosts, "hosts"), body.person or None,
                        body.note or None)


def _ips(values: list[str], what: str) -> list[str]:
    import ipaddress

    out = []
    for v in values:
        if not v.strip():
            continue
        try:
            out.append(str(ipaddress.ip_address(v.strip())))
        except ValueError:
            raise InvalidInput(f"{what}: not an IP address: {v[:64]!r}") from None
    return out


@router.post("/windows", status_code=201)
def window_add(request: Request, body: WindowIn,
               user: Annotated[WebUser, Depends(need("windows.edit"))]) -> dict[str, Any]:
    from plantwarden.baseline.windows import window_document

    store = _store(request, user)
    w = store.add_window(make_window(body))
    approved = store.approve_in_window(w)
    return {"window": window_document(w), "approved_alerts": approved}


@router.delete("/windows/{window_id}")
def window_remove(request: Request, window_id: int,
                  user: Annotated[WebUser, Depends(need("windows.edit"))]) -> dict[str, Any]:
    from plantwarden.baseline.windows import window_document

    return {"removed": window_document(_store(request, user).remove_window(window_id))}


# -- tags -----------------------------------------------------------------------------------------

class TagIn(BaseModel):
    tag: str = Field(min_length=1, max_length=64)
    addresses: list[str] = Field(min_length=1, max_length=10000)
    note: str | None = Field(default=None, max_length=2000)


@router.post("/tags")
def tag_add(request: Request, body: TagIn, user: Annotated[WebUser, Depends(need("tags.edit"))]) -> dict[str, Any]:
    return {"added": _store(request, user).add_tags(body.tag, body.addresses, body.note)}


class TagOut(BaseModel):
    tag: str = Field(min_length=1, max_length=64)
    addresses: list[str] = Field(default_factory=list, max_length=10000)


@router.post("/tags/remove")
def tag_remove(request: Request, body: TagOut,
               user: Annotated[WebUser, Depends(need("tags.edit"))]) -> dict[str, Any]:
    return {"removed": _store(request, user).remove_tags(body.tag, body.addresses)}


# -- the audit log --------------------------------------------------------------------------------

@router.get("/audit")
def audit(request: Request, user: Annotated[WebUser, Depends(need("audit.read"))],
          limit: Annotated[int, Query(ge=1, le=5000)] = 200, action: str = "") -> dict[str, Any]:
    from plantwarden.web.pages import audit_rows

    return {"entries": audit_rows(request.app.state.store, limit, action)}


@router.get("/audit/verify")
def audit_verify(request: Request, user: Annotated[WebUser, Depends(need("audit.read"))]) -> dict[str, Any]:
    from plantwarden.web.pages import verify_audit

    return verify_audit(request.app.state.store)


# -- accounts, tokens and settings (admin) --------------------------------------------------------

def _user_doc(u: Any) -> dict[str, Any]:
    return {"username": u.username, "role": u.role, "disabled": u.disabled, "created_at": u.created_at}


@router.get("/users")
def users(request: Request, user: Annotated[WebUser, Depends(need("users.admin"))]) -> dict[str, Any]:
    return {"users": [_user_doc(u) for u in request.app.state.store.users()]}


class UserIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    role: str
    password: str = Field(min_length=1, max_length=1024)


@router.post("/users", status_code=201)
def user_add(request: Request, body: UserIn,
             user: Annotated[WebUser, Depends(need("users.admin"))]) -> dict[str, Any]:
    return _user_doc(_store(request, user).add_user(body.username, body.role, body.password))


class UserChange(BaseModel):
    role: str | None = None
    disabled: bool | None = None
    password: str | None = Field(default=None, max_length=1024)


@router.patch("/users/{username}")
def user_change(request: Request, username: str, body: UserChange,
                user: Annotated[WebUser, Depends(need("users.admin"))]) -> dict[str, Any]:
    store = _store(request, user)
    if username == user.username and (body.disabled or (body.role is not None and body.role != "admin")):
        raise InvalidInput("you cannot disable yourself or take your own admin role")
    u = None
    if body.role is not None:
        u = store.set_user_role(username, body.role)
    if body.disabled is not None:
        u = store.set_user_disabled(username, body.disabled)
    if body.password is not None:
        u = store.set_user_password(username, body.password)
    if u is None:
        raise InvalidInput("nothing to change: give role, disabled and/or password")
    if body.role is not None or body.disabled or body.password is not None:
        close_user_sessions(store, username)
    return _user_doc(u)


class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=128)


@router.post("/users/{username}/tokens", status_code=201)
def token_add(request: Request, username: str, body: TokenIn,
              user: Annotated[WebUser, Depends(need("tokens.admin"))]) -> dict[str, Any]:
    tid, secret = _store(request, user).create_token(username, body.name)
    return {"id": tid, "token": secret, "note": "shown once: store it now"}


@router.delete("/tokens/{token_id}")
def token_revoke(request: Request, token_id: int,
                 user: Annotated[WebUser, Depends(need("tokens.admin"))]) -> dict[str, Any]:
    _store(request, user).revoke_token(token_id)
    return {"revoked": token_id}


@router.get("/settings")
def settings_get(request: Request, user: Read) -> dict[str, Any]:
    return dict(request.app.state.settings())


@router.put("/settings")
def settings_put(request: Request, body: dict[str, Any],
                 user: Annotated[WebUser, Depends(need("settings.edit"))]) -> dict[str, Any]:
    return change_settings(_store(request, user), body)


# -- vulnerabilities and suppliers (docs/vulns.md, docs/suppliers.md) ---------------------------------

@router.get("/findings")
def findings(request: Request, user: Read, status: str = "", asset: str = "", priority: str = "") -> dict[str, Any]:
    items = request.app.state.store.findings(status or None, asset or None)
    if priority:
        items = [f for f in items if f["priority"] == priority]
    return {"format_version": 1, "findings": items}


class FindingState(BaseModel):
    status: str = Field(description="open, mitigated (needs a reason), accepted (reason and until) or fixed")
    reason: str | None = Field(default=None, max_length=2000)
    until: str | None = Field(default=None, description="ISO 8601 expiry of an accepted risk")


@router.post("/findings/{finding_id}/status")
def finding_status(request: Request, finding_id: int, body: FindingState,
                   user: Annotated[WebUser, Depends(need("findings.edit"))]) -> dict[str, Any]:
    until = parse_when(body.until, "until") if body.until else None
    _store(request, user).set_finding_status(finding_id, body.status, body.reason, until)
    return {"id": finding_id, "status": body.status}


@router.post("/findings/match")
def findings_match(request: Request, user: Annotated[WebUser, Depends(need("findings.edit"))]) -> dict[str, Any]:
    res = _store(request, user).match_advisories()
    return {"advisories": res.advisories, "assets": res.assets, "new": res.new, "updated": res.updated,
            "fixed": res.fixed, "reopened": res.reopened, "open": res.open}


@router.get("/sboms")
def sboms(request: Request, user: Read) -> dict[str, Any]:
    from plantwarden.store import sbom

    return {"format_version": 1, "sboms": sbom.list_sboms(request.app.state.store)}


@router.get("/sboms/{sbom_id}")
def sbom_detail(request: Request, user: Read, sbom_id: int) -> dict[str, Any]:
    from plantwarden.store import sbom

    return {"format_version": 1, **sbom.sbom_document(request.app.state.store, sbom_id)}


@router.get("/suppliers")
def suppliers(request: Request, user: Read) -> dict[str, Any]:
    reports, _ = request.app.state.store.supplier_report(False)
    return {"format_version": 1, "suppliers": [r.document() for r in reports]}
