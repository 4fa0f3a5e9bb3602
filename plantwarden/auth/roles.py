"""Roles and what each may do (docs/accounts.md). Every route and command that changes something asks
:func:`allowed` with one of :data:`PERMISSIONS`."""

from __future__ import annotations

from typing import Final

VIEWER: Final = "viewer"
AUDITOR: Final = "auditor"
ANALYST: Final = "analyst"
OT_ENGINEER: Final = "ot_engineer"
ADMIN: Final = "admin"
ROLES: Final = (VIEWER, AUDITOR, ANALYST, OT_ENGINEER, ADMIN)

#: permission -> the roles that have it
PERMISSIONS: Final[dict[str, frozenset[str]]] = {
    "dashboards.read": frozenset(ROLES),
    "audit.read": frozenset({AUDITOR, ADMIN}),
    "reports.run": frozenset({AUDITOR, ANALYST, OT_ENGINEER, ADMIN}),
    "alerts.triage": frozenset({ANALYST, OT_ENGINEER, ADMIN}),
    "alerts.note": frozenset({ANALYST, OT_ENGINEER, ADMIN}),
    "assets.edit": frozenset({OT_ENGINEER, ADMIN}),
    "tags.edit": frozenset({OT_ENGINEER, ADMIN}),
    "baselines.edit": frozenset({OT_ENGINEER, ADMIN}),
    "windows.edit": frozenset({OT_ENGINEER, ADMIN}),
    "zones.edit": frozenset({OT_ENGINEER, ADMIN}),
    "captures.upload": frozenset({OT_ENGINEER, ADMIN}),
    "findings.edit": frozenset({OT_ENGINEER, ADMIN}),
    "suppliers.edit": frozenset({OT_ENGINEER, ADMIN}),
    "users.admin": frozenset({ADMIN}),
    "tokens.admin": frozenset({ADMIN}),
    "settings.edit": frozenset({ADMIN}),
}


def allowed(role: str, permission: str) -> bool:
    """Whether ``role`` has ``permission``; an unknown permission is allowed to nobody."""
    return role in PERMISSIONS.get(permission, frozenset())
