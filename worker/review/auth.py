"""Users, passwords (argon2), roles, and the CSRF token tied to a login session."""

from __future__ import annotations

import enum
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from worker.db.models import User, utcnow
from worker.review.decisions import DecisionError

_hasher = PasswordHasher()
# Verified when the email is unknown, so a wrong address costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("dunmail-no-such-user")


class Role(enum.StrEnum):
    VIEWER = "viewer"  # reads everything, decides nothing
    REVIEWER = "reviewer"  # decides
    ADMIN = "admin"  # decides; may manage users from the CLI

    @property
    def can_decide(self) -> bool:
        return self in (Role.REVIEWER, Role.ADMIN)


def add_user(session: Session, email: str, password: str, role: Role) -> User:
    """Create a user or reset an existing one's password and role."""
    email = email.strip().lower()
    if "@" not in email:
        raise DecisionError(f"{email!r} is not a mail address")
    if len(password) < 10:
        raise DecisionError("a password needs at least 10 characters")
    user = session.scalars(select(User).where(User.email == email)).one_or_none()
    if user is None:
        user = User(email=email, created_at=utcnow(), password_hash="", role=role.value)
        session.add(user)
    user.password_hash = _hasher.hash(password)
    user.role = role.value
    user.active = True
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    user = session.scalars(select(User).where(User.email == email.strip().lower())).one_or_none()
    if user is None or not user.active:
        _verify(_DUMMY_HASH, password)
        return None
    return user if _verify(user.password_hash, password) else None


def current_role(session: Session, email: str) -> Role | None:
    """The role of an active user, or None when the user is gone or deactivated."""
    user = session.scalars(select(User).where(User.email == email)).one_or_none()
    return Role(user.role) if user is not None and user.active else None


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_ok(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))
