"""Login sessions, login rate limiting and settings of the web service (docs/web.md).

A session is a random 256-bit secret in an HttpOnly cookie, kept in the store only as its SHA-256,
with its own CSRF token; it ends at logout, after ``session_hours`` without use, or when the user is
disabled or loses the account. Failed logins are limited per user name and per client address.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select

from plantwarden.core.errors import InvalidInput
from plantwarden.store.models import SettingRow, UserRow, WebSessionRow
from plantwarden.store.service import Store

#: setting -> (default, check); the settings page and ``PUT /api/settings`` change them (admin only)
SETTINGS: dict[str, tuple[Any, str]] = {
    "site_name": ("plantwarden", "text"),
    "session_hours": (8, "hours"),
    "login_attempts": (5, "count"),
    "login_window_minutes": (15, "minutes"),
}


@dataclass(frozen=True, slots=True)
class WebUser:
    """Who is calling: the account, and how (``session`` with its CSRF token, or ``token``)."""

    id: int
    username: str
    role: str
    via: str
    csrf: str | None = None
    session_id: int | None = None


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def check_setting(key: str, value: Any) -> Any:
    if key not in SETTINGS:
        raise InvalidInput(f"unknown setting {key!r}; known: {', '.join(SETTINGS)}")
    kind = SETTINGS[key][1]
    if kind == "text":
        if not isinstance(value, str) or not value.strip() or len(value) > 80:
            raise InvalidInput(f"{key}: a text of 1 to 80 characters")
        return value.strip()
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{key}: a whole number") from None
    limits = {"hours": (1, 24 * 14), "count": (1, 100), "minutes": (1, 24 * 60)}[kind]
    if not limits[0] <= n <= limits[1]:
        raise InvalidInput(f"{key}: between {limits[0]} and {limits[1]}")
    return n


def settings(store: Store) -> dict[str, Any]:
    out = {k: d for k, (d, _) in SETTINGS.items()}
    with store.read() as s:
        for row in s.scalars(select(SettingRow)):
            if row.key in out:
                out[row.key] = row.value
    return out


def change_settings(store: Store, changes: dict[str, Any]) -> dict[str, Any]:
    """Check and store changed settings, one audit entry each; returns the settings as they are now."""
    checked = {k: check_setting(k, v) for k, v in changes.items()}
    now = time.time()
    with store.transaction() as s:
        for key, value in checked.items():
            row = s.get(SettingRow, key)
            before = row.value if row is not None else SETTINGS[key][0]
            if before == value:
                continue
            if row is None:
                s.add(SettingRow(key=key, value=value, updated_at=now, updated_by=store.actor))
            else:
                row.value, row.updated_at, row.updated_by = value, now, store.actor
            store.record(s, "settings.change", f"setting {key}", {"value": before}, {"value": value})
    return settings(store)


# -- sessions -------------------------------------------------------------------------------------

def open_session(store: Store, user_id: int, hours: float, address: str | None) -> tuple[str, str]:
    """A new session for the user: (cookie secret, CSRF token)."""
    secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = time.time()
    with store.transaction() as s:
        s.execute(delete(WebSessionRow).where(WebSessionRow.expires_at < now))
        s.add(WebSessionRow(token_hash=_hash(secret), user_id=user_id, csrf=csrf, created_at=now, last_seen=now,
                            expires_at=now + hours * 3600, address=(address or "")[:64] or None))
    return secret, csrf


def session_user(store: Store, secret: str, hours: float) -> WebUser | None:
    """The signed-in user of a session cookie, None when it is unknown, expired or the user disabled.
    Each use extends the session (``hours`` without use end it); writes at most once a minute."""
    if not secret or len(secret) > 128:
        return None
    now = time.time()
    with store.read() as s:
        row = s.execute(select(WebSessionRow, UserRow).join(UserRow, UserRow.id == WebSessionRow.user_id)
                        .where(WebSessionRow.token_hash == _hash(secret))).first()
        if row is None:
            return None
        sess, user = row
        if sess.expires_at < now or user.disabled:
            return None
        found = WebUser(user.id, user.username, user.role, "session", sess.csrf, sess.id)
        stale = now - sess.last_seen > 60
    if stale:
        with store.transaction() as s:
            row2 = s.get(WebSessionRow, found.session_id)
            if row2 is not None:
                row2.last_seen, row2.expires_at = now, now + hours * 3600
    return found


def close_session(store: Store, secret: str) -> None:
    with store.transaction() as s:
        s.execute(delete(WebSessionRow).where(WebSessionRow.token_hash == _hash(secret)))


def close_user_sessions(store: Store, username: str) -> int:
    """End every session of a user (after a password change, a role change or disabling)."""
    with store.transaction() as s:
        uid = s.scalars(select(UserRow.id).where(UserRow.username == username)).first()
        if uid is None:
            return 0
        res = s.execute(delete(WebSessionRow).where(WebSessionRow.user_id == uid))
        return int(getattr(res, "rowcount", 0) or 0)


# -- login rate limiting --------------------------------------------------------------------------

class LoginLimiter:
    """Failed logins per user name and per client address in a sliding window (in this process's
    memory: one service process per store). ``attempts`` failures within ``window`` seconds lock the
    name (or, at four times as many, the address) until the oldest failure leaves the window."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fails: dict[str, deque[float]] = {}

    def _prune(self, key: str, window: float, now: float) -> deque[float]:
        q = self._fails.setdefault(key, deque())
        while q and q[0] <= now - window:
            q.popleft()
        return q

    def retry_after(self, username: str, address: str, attempts: int, window: float,
                    now: float | None = None) -> float:
        """Seconds until a login may be tried again (0: now)."""
        now = time.time() if now is None else now
        with self._lock:
            wait = 0.0
            for key, limit in ((f"u:{username.lower()}", attempts), (f"a:{address}", attempts * 4)):
                q = self._prune(key, window, now)
                if len(q) >= limit:
                    wait = max(wait, q[len(q) - limit] + window - now)
            return wait

    def failed(self, username: str, address: str, now: float | None = None) -> None:
        now = time.time() if now is None else now
        with self._lock:
            for key in (f"u:{username.lower()}", f"a:{address}"):
                q = self._fails.setdefault(key, deque())
                q.append(now)
                if len(q) > 1000:
                    q.popleft()
            if len(self._fails) > 100_000:  # an address spraying names: forget the oldest keys
                for k in list(self._fails)[:50_000]:
                    del self._fails[k]

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._fails.pop(f"u:{username.lower()}", None)
