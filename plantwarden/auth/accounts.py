"""User accounts and API tokens in the store (docs/accounts.md).

Passwords are hashed with argon2id (argon2-cffi's defaults, rehashed at login when they change); API
tokens are random 256-bit secrets shown once, stored as their SHA-256. Nothing secret is ever written to
the audit log.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from plantwarden.auth.roles import ROLES
from plantwarden.core.errors import Conflict, InvalidInput, NotFound
from plantwarden.store.models import ApiTokenRow, UserRow

USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.@-]{0,63}$")
MIN_PASSWORD = 12
TOKEN_PREFIX = "pwt_"
_hasher = PasswordHasher()
#: verified against when the user does not exist, so that a wrong name costs as much as a wrong password
_DUMMY = _hasher.hash("not a password of anyone")


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    role: str
    disabled: bool
    created_at: float


def _user(r: UserRow) -> User:
    return User(r.id, r.username, r.role, r.disabled, r.created_at)


def check_username(name: str) -> str:
    if not USERNAME.match(name):
        raise InvalidInput(f"not a user name: {name!r} (lower-case letters, digits, '_', '.', '@', '-', at most 64)")
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidInput(f"not a role: {role!r} (one of {', '.join(ROLES)})")
    return role


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD} characters")
    return password


def generate_password() -> str:
    return secrets.token_urlsafe(18)


def add_user(s: Session, username: str, role: str, password: str, at: float) -> User:
    check_username(username)
    check_role(role)
    check_password(password)
    if s.scalars(select(UserRow.id).where(UserRow.username == username)).first() is not None:
        raise Conflict(f"user {username!r} exists")
    row = UserRow(username=username, role=role, password_hash=_hasher.hash(password), disabled=False,
                  created_at=at, updated_at=at)
    s.add(row)
    s.flush()
    return _user(row)


def _row(s: Session, username: str) -> UserRow:
    row = s.scalars(select(UserRow).where(UserRow.username == username)).first()
    if row is None:
        raise NotFound(f"no user {username!r}")
    return row


def set_role(s: Session, username: str, role: str, at: float) -> tuple[User, str]:
    row = _row(s, username)
    before = row.role
    row.role, row.updated_at = check_role(role), at
    return _user(row), before


def set_password(s: Session, username: str, password: str, at: float) -> User:
    row = _row(s, username)
    row.password_hash, row.updated_at = _hasher.hash(check_password(password)), at
    return _user(row)


def set_disabled(s: Session, username: str, disabled: bool, at: float) -> User:
    row = _row(s, username)
    row.disabled, row.updated_at = disabled, at
    if disabled:
        for t in s.scalars(select(ApiTokenRow).where(ApiTokenRow.user_id == row.id, ApiTokenRow.revoked.is_(False))):
            t.revoked = True
    return _user(row)


def list_users(s: Session) -> list[User]:
    return [_user(r) for r in s.scalars(select(UserRow).order_by(UserRow.username))]


def authenticate(s: Session, username: str, password: str, at: float) -> User | None:
    """The user when the name and password match and the account is enabled, else None."""
    row = s.scalars(select(UserRow).where(UserRow.username == username)).first()
    if row is None:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_DUMMY, password)
        return None
    try:
        _hasher.verify(row.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if row.disabled:
        return None
    if _hasher.check_needs_rehash(row.password_hash):
        row.password_hash, row.updated_at = _hasher.hash(password), at
    return _user(row)


def _token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(s: Session, username: str, name: str, at: float) -> tuple[int, str]:
    """A new API token for ``username``: (id, the secret, shown once)."""
    row = _row(s, username)
    if row.disabled:
        raise InvalidInput(f"user {username!r} is disabled")
    if not name or len(name) > 128:
        raise InvalidInput("a token needs a name of 1 to 128 characters")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    t = ApiTokenRow(user_id=row.id, name=name, token_hash=_token_hash(secret), created_at=at, last_used=None,
                    revoked=False)
    s.add(t)
    s.flush()
    return t.id, secret


def token_user(s: Session, secret: str, at: float) -> User | None:
    """The enabled user an unrevoked token belongs to, or None."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    digest = _token_hash(secret)
    t = s.scalars(select(ApiTokenRow).where(ApiTokenRow.token_hash == digest)).first()
    if t is None or t.revoked or not hmac.compare_digest(t.token_hash, digest):
        return None
    u = s.get(UserRow, t.user_id)
    if u is None or u.disabled:
        return None
    t.last_used = at
    return _user(u)


def revoke_token(s: Session, token_id: int) -> tuple[int, str]:
    t = s.get(ApiTokenRow, token_id)
    if t is None:
        raise NotFound(f"no API token {token_id}")
    t.revoked = True
    return t.id, t.name
