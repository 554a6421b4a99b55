"""Users, passwords (argon2), roles, server-side login sessions, the CSRF token, login throttling, and the
client address behind a trusted proxy.

Sessions live in the database (`review_sessions`): the cookie carries a random token, the table its
SHA-256, so a copied cookie is worth nothing after logout, a password change or `dunmail user disable`.
The throttle counts an attempt *before* the password is checked (reserve, then verify), so a burst of
concurrent guesses cannot all reach argon2."""

from __future__ import annotations

import enum
import hashlib
import hmac
import ipaddress
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from worker.db.models import ReviewSession, User, utcnow
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
    else:
        revoke_user_sessions(session, user.id)  # a password reset logs every browser out
    user.password_hash = _hasher.hash(password)
    user.role = role.value
    user.active = True
    return user


def disable_user(session: Session, email: str) -> int:
    """`dunmail user disable`: the user can no longer log in, and every open session ends now.
    Returns how many sessions were revoked."""
    user = session.scalars(select(User).where(User.email == email.strip().lower())).one_or_none()
    if user is None:
        raise DecisionError(f"no user {email.strip().lower()!r} (see `dunmail user add`)")
    user.active = False
    return revoke_user_sessions(session, user.id)


# --- server-side sessions ----------------------------------------------------------------------------

def _session_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, user: User, *, lifetime_seconds: float, address: str | None = None,
                 now: datetime | None = None) -> str:
    """A new login session; returns the token for the cookie (only its hash is stored)."""
    at = now or utcnow()
    token = secrets.token_urlsafe(32)
    session.add(ReviewSession(id=_session_id(token), user_id=user.id, created_at=at,
                              expires_at=at + timedelta(seconds=lifetime_seconds), address=(address or "")[:64]))
    return token


def session_user(session: Session, token: str | None, *, now: datetime | None = None) -> User | None:
    """The active user behind a session token, or None when it is unknown, revoked, expired or disabled."""
    if not token:
        return None
    row = session.get(ReviewSession, _session_id(str(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= (now or utcnow()):
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.active else None


def revoke_session(session: Session, token: str | None, *, now: datetime | None = None) -> None:
    if token:
        session.execute(update(ReviewSession).where(ReviewSession.id == _session_id(str(token)),
                                                    ReviewSession.revoked_at.is_(None))
                        .values(revoked_at=now or utcnow()))


def revoke_user_sessions(session: Session, user_id: int, *, now: datetime | None = None) -> int:
    result = session.execute(update(ReviewSession).where(ReviewSession.user_id == user_id,
                                                         ReviewSession.revoked_at.is_(None))
                             .values(revoked_at=now or utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)


# --- the client address ---------------------------------------------------------------------------

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def proxy_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """Parse the `trusted_proxies` setting (addresses or CIDR networks); ValueError names a bad entry."""
    nets = []
    for entry in entries:
        try:
            nets.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(f"trusted_proxies: {entry!r} is not an IP address or network (e.g. 10.0.0.0/8)") from None
    return tuple(nets)


def client_address(peer: str | None, forwarded_for: str | None, trusted: tuple[Network, ...]) -> str:
    """Who is really asking. X-Forwarded-For is believed only when the peer is a configured trusted proxy,
    and then read from the right: the first address that is not itself a trusted proxy is the client
    (entries further left were written by the client and prove nothing)."""
    address = peer or "unknown"
    if not trusted or not forwarded_for or not _is_trusted(address, trusted):
        return address
    for hop in reversed([h.strip() for h in forwarded_for.split(",")][:64]):
        if not _is_trusted(hop, trusted):
            return hop if _is_ip(hop) else address
    return address


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _is_trusted(text: str, trusted: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return False
    return any(ip in net for net in trusted)


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
    the account's count. Kept in memory: one review server process is one counter.

    Reserve, then verify: `reserve` counts the attempt as a failure before the password is checked and
    `succeeded` takes it back, so N concurrent guesses can never all be checked (issue 12: the old
    check → argon2 → record let 100 parallel guesses through a limit of 5)."""

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

    def reserve(self, email: str, address: str) -> float:
        """0 when the attempt may go ahead — it is then already counted as a failure — else the seconds to
        wait (nothing counted). Checking and counting happen under one lock."""
        now = self._clock()
        with self._lock:
            wait = max(self._wait(key, now) for key in self._keys(email, address))
            if wait <= 0:
                self._record(email, address, now)
            return wait

    def failed(self, email: str, address: str) -> None:
        """Count a failure that was not reserved (for callers that check first themselves)."""
        now = self._clock()
        with self._lock:
            self._record(email, address, now)

    def _record(self, email: str, address: str, now: float) -> None:
        for key in self._keys(email, address):
            self._failures.setdefault(key, deque()).append(now)
        if len(self._failures) > _MAX_TRACKED:  # many made-up accounts: forget what has aged out
            for key in [k for k, times in self._failures.items() if times[-1] <= now - self._window]:
                del self._failures[key]

    def __len__(self) -> int:
        """How many accounts and addresses have failures on record."""
        with self._lock:
            return len(self._failures)

    def succeeded(self, email: str, address: str | None = None) -> None:
        """A good login: the account's count is cleared; a reserved attempt from `address` is taken back."""
        with self._lock:
            self._failures.pop(("account", email.strip().lower()), None)
            if address is None:
                return
            times = self._failures.get(("address", address))
            if times:
                times.pop()
                if not times:
                    del self._failures[("address", address)]

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
