"""Issue 12, finding 6: login sessions live on the server and can be ended; the throttle counts before it
checks; X-Forwarded-For counts only from trusted proxies; a decision's item and case must belong together."""

from __future__ import annotations

import asyncio
import re
import warnings
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
import structlog
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from starlette.exceptions import StarletteDeprecationWarning
from typer.testing import CliRunner

from tests.e2e.seed import PASSWORD, Seeded, seed
from worker.db.models import Case, ReviewItem, ReviewSession, User, utcnow
from worker.domain import ReviewKind
from worker.review import actions, auth
from worker.review.app import create_app
from worker.review.decisions import DecisionError
from worker.settings import Settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient


@pytest.fixture
def seeded(session: Session) -> Seeded:
    data = seed(session)
    session.commit()
    return data


@pytest.fixture
def client(settings: Settings, engine: Engine, seeded: Seeded) -> Iterator[TestClient]:
    with TestClient(create_app(settings, secure_cookies=False, engine=engine), follow_redirects=False) as c:
        yield c


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "page has no CSRF field"
    return match.group(1)


def _login(c: TestClient, email: str = "rev@example.com") -> str:
    token = _csrf(c.get("/login").text)
    assert c.post("/login", data={"email": email, "password": PASSWORD, "csrf": token}).status_code == 303
    return _csrf(c.get("/queue").text)


def _replay(settings: Settings, engine: Engine, cookie: str) -> int:
    """GET /queue with a copied session cookie in a fresh browser: 200 when the session is still good."""
    with TestClient(create_app(settings, secure_cookies=False, engine=engine), follow_redirects=False) as other:
        other.cookies.set("dunmail_review", cookie)
        return other.get("/queue").status_code


def test_logout_ends_the_session_for_a_copied_cookie(client: TestClient, settings: Settings,
                                                     engine: Engine) -> None:
    """A cookie copied before logout no longer opens any page after logout (it did: client-side sessions)."""
    csrf = _login(client)
    stolen = client.cookies["dunmail_review"]
    assert _replay(settings, engine, stolen) == 200
    assert client.post("/logout", data={"csrf": csrf}).status_code == 303
    assert _replay(settings, engine, stolen) == 303


def test_password_change_ends_every_session(client: TestClient, settings: Settings, engine: Engine,
                                            session: Session) -> None:
    """Resetting a password (`dunmail user add` again) logs every browser of that user out."""
    _login(client)
    stolen = client.cookies["dunmail_review"]
    auth.add_user(session, "rev@example.com", "a brand new password", auth.Role.REVIEWER)
    session.commit()
    assert _replay(settings, engine, stolen) == 303
    assert client.get("/queue").status_code == 303


def test_user_disable_command_ends_sessions_and_logins(client: TestClient, settings: Settings, engine: Engine,
                                                       session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """`dunmail user disable EMAIL` stops the user at once: open sessions end and the password stops working."""
    from alembic import command

    from worker.cli import _register, app
    from worker.db.migrate import alembic_config

    _login(client)
    if engine.dialect.name == "sqlite":  # built by create_all: tell Alembic it is current
        command.stamp(alembic_config(engine.url.render_as_string(hide_password=False)), "heads")
    monkeypatch.setenv("DUNMAIL_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("DUNMAIL_SECRET_KEY", "cli-test-secret")
    _register()
    saved = structlog.get_config()
    try:
        result = CliRunner().invoke(app, ["user", "disable", "REV@example.com"])
    finally:
        structlog.configure(**saved)
    assert result.exit_code == 0, result.output
    assert "1 open session(s) ended" in result.output
    assert client.get("/queue").status_code == 303
    token = _csrf(client.get("/login").text)
    assert client.post("/login", data={"email": "rev@example.com", "password": PASSWORD,
                                       "csrf": token}).status_code == 401
    missing = CliRunner().invoke(app, ["user", "disable", "nobody@example.com"])
    assert missing.exit_code != 0 and "no user" in missing.output


def test_only_a_hash_of_the_token_is_stored_and_sessions_expire(session: Session, seeded: Seeded) -> None:
    """The table keeps the token's SHA-256, not the token; a session past its lifetime finds no user."""
    user = session.scalars(select(User).where(User.email == "rev@example.com")).one()
    now = utcnow()
    token = auth.open_session(session, user, lifetime_seconds=60, now=now)
    session.flush()
    (row,) = session.scalars(select(ReviewSession)).all()
    assert row.id != token and len(row.id) == 64
    assert auth.session_user(session, token, now=now + timedelta(seconds=59)) is user
    assert auth.session_user(session, token, now=now + timedelta(seconds=61)) is None
    assert auth.session_user(session, token + "x", now=now) is None


def test_concurrent_guesses_cannot_all_be_checked(settings: Settings, engine: Engine, seeded: Seeded,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """100 simultaneous logins for one account (limit 5): at most 5 reach argon2, the rest get 429 — and the
    right password sent last among them does not get in (it did: check → argon2 → record)."""
    checked: list[str] = []
    real_verify = auth._verify

    def counting_verify(hashed: str, password: str) -> bool:
        checked.append(password)
        return real_verify(hashed, password)

    monkeypatch.setattr(auth, "_verify", counting_verify)
    app = create_app(settings, secure_cookies=False, engine=engine)

    async def burst() -> list[int]:
        transport = httpx.ASGITransport(app=app, client=("203.0.113.50", 4000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            csrf = _csrf((await c.get("/login")).text)
            passwords = [f"guess-{n}" for n in range(99)] + [PASSWORD]
            responses = await asyncio.gather(*(
                c.post("/login", data={"email": "rev@example.com", "password": p, "csrf": csrf})
                for p in passwords))
            return [r.status_code for r in responses]

    codes = asyncio.run(burst())
    assert len(checked) <= 5, len(checked)
    assert codes.count(429) >= 95 and 303 not in codes[5:]


def test_forged_forwarded_for_does_not_escape_the_address_limit(settings: Settings, engine: Engine,
                                                                seeded: Seeded) -> None:
    """With no trusted proxy configured, a client rotating X-Forwarded-For is still one address: after 20
    failures over different accounts it is throttled."""
    with TestClient(create_app(settings, secure_cookies=False, engine=engine), follow_redirects=False) as c:
        token = _csrf(c.get("/login").text)
        codes = [c.post("/login", data={"email": f"u{n}@example.com", "password": "x", "csrf": token},
                        headers={"X-Forwarded-For": f"198.51.100.{n}"}).status_code for n in range(21)]
    assert codes[:20] == [401] * 20 and codes[20] == 429


def test_client_address_believes_only_trusted_proxies() -> None:
    """X-Forwarded-For is read only from a trusted peer, from the right, skipping our own proxies."""
    proxies = auth.proxy_networks(["10.0.0.0/8", "::1"])
    assert auth.client_address("127.0.0.1", "198.51.100.7", ()) == "127.0.0.1"  # loopback is not trusted by default
    assert auth.client_address("203.0.113.9", "198.51.100.7", proxies) == "203.0.113.9"  # untrusted peer
    assert auth.client_address("10.0.0.5", "1.2.3.4, 198.51.100.7", proxies) == "198.51.100.7"  # left part forged
    assert auth.client_address("10.0.0.5", "198.51.100.7, 10.0.0.9", proxies) == "198.51.100.7"  # two proxies
    assert auth.client_address("10.0.0.5", "not-an-ip", proxies) == "10.0.0.5"
    with pytest.raises(ValueError, match="trusted_proxies"):
        auth.proxy_networks(["example.com"])


def test_trusted_proxy_header_is_used_for_the_throttle(settings: Settings, engine: Engine, seeded: Seeded) -> None:
    """Behind a configured proxy, two clients are two addresses: locking one out does not lock out the other."""
    app = create_app(settings.model_copy(update={"trusted_proxies": ["10.0.0.0/8"]}), secure_cookies=False,
                     engine=engine)

    async def run() -> tuple[list[int], int]:
        transport = httpx.ASGITransport(app=app, client=("10.0.0.5", 4000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            csrf = _csrf((await c.get("/login")).text)

            async def attempt(email: str, password: str, xff: str) -> int:
                r = await c.post("/login", data={"email": email, "password": password, "csrf": csrf},
                                 headers={"X-Forwarded-For": xff})
                return r.status_code
            spray = [await attempt(f"u{n}@example.com", "x", "198.51.100.7") for n in range(21)]
            return spray, await attempt("rev@example.com", PASSWORD, "198.51.100.8")

    spray, other = asyncio.run(run())
    assert spray[-1] == 429 and other == 303


def test_decision_item_must_belong_to_its_case(session: Session, seeded: Seeded) -> None:
    """An item of one case cannot be closed by a decision on another case; nothing changes."""
    item_id = seeded.items[ReviewKind.DISPUTE]
    other = seeded.plan.id
    state_before = session.get(Case, other).state  # type: ignore[union-attr]
    with pytest.raises(DecisionError, match="belongs to case"):
        actions.apply(session, "resume", {"reason": "x"}, actor="user:rev@example.com", item_id=item_id,
                      case_id=other)
    session.rollback()
    assert session.get(ReviewItem, item_id).status == "open"  # type: ignore[union-attr]
    assert session.get(Case, other).state == state_before  # type: ignore[union-attr]
