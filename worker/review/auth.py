"""Users, passwords (argon2), roles, the CSRF token tied to a login session, and login throttling."""

from __future__ import annotations

import enum
import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable

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


_MAX_TRACKED = 10_000  # accounts and addresses with recent failures kept before old ones are swept


class LoginThrottle:
    """Failed logins counted per account and per client address over a sliding window. Once either
    reaches its limit, further attempts are refused without checking the password until the oldest
    failure leaves the window, so guessing a password costs hours, not minutes. A good login clears
    the account's count. Kept in memory: one review server process is one counter."""

    def __init__(self, *, per_account: int = 5, per_address: int = 20, window_seconds: float = 900.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._limits = {"account": per_account, "address": per_address}
        self._window = window_seconds
        self._clock = clock
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, email: str, address: str) -> float:
        """Seconds until this account may try again from this address; 0 when it may try now."""
        now = self._clock()
        with self._lock:
            waits = [self._wait(key, now) for key in self._keys(email, address)]
        return max(waits)

    def failed(self, email: str, address: str) -> None:
        now = self._clock()
        with self._lock:
            for key in self._keys(email, address):
                self._failures.setdefault(key, deque()).append(now)
            if len(self._failures) > _MAX_TRACKED:  # many made-up accounts: forget what has aged out
                for key in [k for k, times in self._failures.items() if times[-1] <= now - self._window]:
                    del self._failures[key]

    def __len__(self) -> int:
        """How many accounts and addresses have failures on record."""
        with self._lock:
            return len(self._failures)

    def succeeded(self, email: str) -> None:
        with self._lock:
            self._failures.pop(("account", email.strip().lower()), None)

    def _keys(self, email: str, address: str) -> tuple[tuple[str, str], ...]:
        return (("account", email.strip().lower()), ("address", address))

    def _wait(self, key: tuple[str, str], now: float) -> float:
        times = self._failures.get(key)
        if not times:
            return 0.0
        while times and times[0] <= now - self._window:
            times.popleft()
        if not times:
            del self._failures[key]
            return 0.0
        if len(times) < self._limits[key[0]]:
            return 0.0
        return times[0] + self._window - now
