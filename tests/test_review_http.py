"""The review app over HTTP: login required, roles, CSRF, decisions through forms, XSS stays inert."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from starlette.exceptions import StarletteDeprecationWarning

from tests.e2e.seed import PASSWORD, Seeded, seed
from worker.db.models import Case, Instalment, Mail, ReviewItem
from worker.domain import ReviewKind
from worker.review.app import create_app
from worker.review.auth import LoginThrottle
from worker.settings import Settings

with warnings.catch_warnings():
    # Starlette 1.x asks for the httpx2 fork behind TestClient; plain httpx still works for these tests.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient


@pytest.fixture
def seeded(session: Session) -> Seeded:
    data = seed(session)
    session.commit()
    return data


@pytest.fixture
def client(settings: Settings, engine: Engine, seeded: Seeded) -> Iterator[TestClient]:
    app = create_app(settings, secure_cookies=False, engine=engine)
    with TestClient(app, follow_redirects=False) as c:
        yield c


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "page has no CSRF field"
    return match.group(1)


def login(client: TestClient, email: str = "rev@example.com", password: str = PASSWORD) -> str:
    token = _csrf(client.get("/login").text)
    response = client.post("/login", data={"email": email, "password": password, "csrf": token, "next": "/queue"})
    assert response.status_code == 303, response.text
    return _csrf(client.get("/queue").text)


def test_every_page_and_file_needs_login(client: TestClient, seeded: Seeded) -> None:
    """Without a login, pages, the raw mail and decisions all send the visitor to the login form."""
    for path in ["/", "/queue", f"/cases/{seeded.dispute.id}", "/dashboard", f"/mails/{seeded.unplaced_mail.id}.eml",
                 f"/items/{seeded.items[ReviewKind.UNPLACED]}"]:
        response = client.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/login"), path
    assert client.post("/decide", data={"action": "write_off"}).status_code == 303


def test_login_form_is_plain(client: TestClient) -> None:
    """The login page is a plain form with one email field and one password field."""
    html = client.get("/login").text
    assert len(re.findall(r'type="email"', html)) == 1 and len(re.findall(r'type="password"', html)) == 1


def test_wrong_password_is_refused(client: TestClient) -> None:
    """A wrong password gets 401 and no session."""
    token = _csrf(client.get("/login").text)
    response = client.post("/login", data={"email": "rev@example.com", "password": "nope", "csrf": token})
    assert response.status_code == 401
    assert client.get("/queue").status_code == 303


def test_password_guessing_is_throttled(settings: Settings, engine: Engine, seeded: Seeded) -> None:
    """After 5 wrong passwords for an account, even the right one is refused (429, Retry-After) until the
    window has passed; the password is not checked meanwhile. Other accounts are not locked out with it."""
    clock = [1000.0]
    throttle = LoginThrottle(per_account=5, window_seconds=900, clock=lambda: clock[0])
    app = create_app(settings, secure_cookies=False, engine=engine, throttle=throttle)
    with TestClient(app, follow_redirects=False) as c:

        def attempt(email: str, password: str) -> int:
            token = _csrf(c.get("/login").text)
            return c.post("/login", data={"email": email, "password": password, "csrf": token}).status_code

        assert [attempt("rev@example.com", f"guess-{n}") for n in range(5)] == [401] * 5
        token = _csrf(c.get("/login").text)
        refused = c.post("/login", data={"email": "REV@example.com", "password": PASSWORD, "csrf": token})
        assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 901
        assert "Too many failed logins" in refused.text
        assert attempt("view@example.com", PASSWORD) == 303  # another account from the same address logs in
        clock[0] += 901
        assert attempt("rev@example.com", PASSWORD) == 303


def test_one_address_guessing_many_accounts_is_throttled() -> None:
    """Spraying one password over many accounts from one address hits the per-address limit."""
    clock = [0.0]
    throttle = LoginThrottle(per_account=5, per_address=20, window_seconds=900, clock=lambda: clock[0])
    for n in range(20):
        assert throttle.retry_after(f"user{n}@example.com", "203.0.113.9") == 0
        throttle.failed(f"user{n}@example.com", "203.0.113.9")
    assert throttle.retry_after("someone@example.com", "203.0.113.9") > 0
    assert throttle.retry_after("someone@example.com", "198.51.100.7") == 0
    clock[0] += 900
    assert throttle.retry_after("someone@example.com", "203.0.113.9") == 0


def test_made_up_accounts_do_not_fill_the_memory() -> None:
    """Failures for ever new account names are forgotten once they age out, so guessing names costs no memory."""
    clock = [0.0]
    throttle = LoginThrottle(window_seconds=60, clock=lambda: clock[0])
    for n in range(12_000):
        clock[0] = n * 0.01
        throttle.failed(f"user{n}@example.com", f"198.51.100.{n % 250}")
    assert len(throttle) < 10_500  # without the sweep: 12,250 accounts and addresses


def test_login_without_csrf_is_refused(client: TestClient) -> None:
    """Even the login form needs its CSRF token."""
    client.get("/login")
    response = client.post("/login", data={"email": "rev@example.com", "password": PASSWORD})
    assert response.status_code == 403


def test_session_cookie_flags(settings: Settings, engine: Engine, seeded: Seeded) -> None:
    """The session cookie is HttpOnly, SameSite=Lax, and Secure unless turned off for plain HTTP."""
    app = create_app(settings, engine=engine)
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as c:
        token = _csrf(c.get("/login").text)
        response = c.post("/login", data={"email": "rev@example.com", "password": PASSWORD, "csrf": token})
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" in cookie


def test_queue_lists_counts_and_filters(client: TestClient) -> None:
    """The queue shows counts per kind, oldest first, and a kind filter narrows it."""
    login(client)
    html = client.get("/queue").text
    assert "dispute (1)" in html and "plan request (1)" in html
    only = client.get("/queue?kind=dispute").text
    assert "wrong quantity" in only and "3 instalments" not in only
    by_customer = client.get("/queue?customer=acme").text
    assert "3 instalments" in by_customer and "wrong quantity" not in by_customer


def test_case_page_shows_japanese_reply_and_intent(client: TestClient, seeded: Seeded) -> None:
    """The case page shows the reply in Japanese with its intent, confidence and amount, and the reminder."""
    login(client)
    html = client.get(f"/cases/{seeded.dispute.id}").text
    assert "注文数は10個ですが" in html and "dispute" in html and "0.90" in html and "132000 JPY" in html
    assert "A friendly reminder." in html


def test_case_page_shows_why_and_the_two_likeliest_intents(client: TestClient, session: Session,
                                                           seeded: Seeded) -> None:
    """A reply's deciding sentences and its two likeliest intents are on the card, escaped like any text."""
    mail = session.scalars(select(Mail).where(Mail.case_id == seeded.dispute.id, Mail.direction == "in")).one()
    mail.analysis = {**(mail.analysis or {}), "why": ["注文数は10個ですが<b>20個</b>請求されています"],
                     "alternatives": [["dispute", 0.91], ["other", 0.06]]}
    session.commit()
    login(client)
    html = client.get(f"/cases/{seeded.dispute.id}").text
    assert "Why: <q>注文数は10個ですが&lt;b&gt;20個&lt;/b&gt;請求されています</q>" in html
    assert "Likeliest: <span class=\"tag\">dispute</span> 91%" in html and "other</span> 6%" in html


def test_raw_eml_download(client: TestClient, seeded: Seeded) -> None:
    """The raw mail downloads as message/rfc822 byte for byte."""
    login(client)
    response = client.get(f"/mails/{seeded.unplaced_mail.id}.eml")
    assert response.headers["content-type"].startswith("message/rfc822")
    assert response.content == seeded.unplaced_mail.raw


def test_reviewer_approves_plan_through_the_form(client: TestClient, session: Session, seeded: Seeded) -> None:
    """A reviewer's form post approves a plan: instalments stored, case on_plan, item closed."""
    token = login(client)
    response = client.post("/decide", data={
        "csrf": token, "action": "approve_plan", "item_id": seeded.items[ReviewKind.PLAN_REQUEST],
        "case_id": seeded.plan.id, "instalments": "2026-12-01 300\n2027-01-01 300\n2027-02-01 300",
        "reason": "agreed"})
    assert response.status_code == 303 and response.headers["location"].startswith("/queue")
    session.expire_all()
    assert session.get(Case, seeded.plan.id).state == "on_plan"  # type: ignore[union-attr]
    assert len(session.query(Instalment).filter_by(case_id=seeded.plan.id).all()) == 3
    assert session.get(ReviewItem, seeded.items[ReviewKind.PLAN_REQUEST]).status == "done"  # type: ignore[union-attr]


def test_bad_decision_is_shown_not_applied(client: TestClient, session: Session, seeded: Seeded) -> None:
    """A decision that does not fit comes back as an error on the case page and changes nothing."""
    token = login(client)
    response = client.post("/decide", data={"csrf": token, "action": "approve_plan", "case_id": seeded.plan.id,
                                            "instalments": "2026-12-01 1", "reason": "x"})
    page = client.get(response.headers["location"]).text
    assert "the instalments add up to 1" in page  # the reason, on the case page
    assert "the instalments add up to" not in client.get(response.headers["location"]).text  # shown once
    session.expire_all()
    assert session.get(Case, seeded.plan.id).state == "plan_requested"  # type: ignore[union-attr]


def test_a_message_in_a_link_is_not_shown(client: TestClient, seeded: Seeded) -> None:
    """Notes after a decision travel in the signed session: a crafted link cannot put words on the page."""
    login(client)
    page = client.get(f"/cases/{seeded.plan.id}?e=Call+0800+FRAUD+to+pay&m=Call+0800+FRAUD").text
    assert "FRAUD" not in page


def test_decision_without_csrf_is_refused(client: TestClient, session: Session, seeded: Seeded) -> None:
    """A decision posted without (or with a wrong) CSRF token is refused and nothing changes."""
    login(client)
    for token in (None, "forged"):
        data = {"action": "write_off", "case_id": str(seeded.dispute.id), "reason": "x"}
        if token:
            data["csrf"] = token
        assert client.post("/decide", data=data).status_code == 403
    session.expire_all()
    assert session.get(Case, seeded.dispute.id).state == "disputed"  # type: ignore[union-attr]


def test_viewer_cannot_decide(client: TestClient, session: Session, seeded: Seeded) -> None:
    """A viewer reads the case but sees no decision forms, and a forged post is refused."""
    token = login(client, "view@example.com")
    html = client.get(f"/cases/{seeded.dispute.id}").text
    assert "注文数" in html and 'name="action"' not in html
    response = client.post("/decide", data={"csrf": token, "action": "write_off", "case_id": seeded.dispute.id,
                                            "reason": "x"})
    assert response.status_code == 403
    session.expire_all()
    assert session.get(Case, seeded.dispute.id).state == "disputed"  # type: ignore[union-attr]


def test_customer_html_cannot_run_script(client: TestClient, seeded: Seeded) -> None:
    """Customer HTML keeps no script, handler, javascript: link or remote image; the CSP forbids script."""
    login(client)
    response = client.get(f"/cases/{seeded.plan.id}")
    html = response.text
    assert "<p>Hello</p>" in html
    assert "<script>document" not in html and "onerror" not in html and "javascript:" not in html
    assert "tracker.example" not in html
    csp = response.headers["content-security-policy"]
    assert "script-src 'none'" in csp and "https:" not in csp
    with_images = client.get(f"/cases/{seeded.plan.id}?images=1")
    assert "tracker.example/pixel.png" in with_images.text and "onerror" not in with_images.text


def test_note_and_dashboard(client: TestClient, seeded: Seeded) -> None:
    """A note shows in the timeline; the dashboard shows aging buckets by currency with SVG charts."""
    token = login(client)
    client.post("/decide", data={"csrf": token, "action": "note", "case_id": seeded.claim.id, "text": "rang <b>"})
    assert "rang &lt;b&gt;" in client.get(f"/cases/{seeded.claim.id}").text
    html = client.get("/dashboard").text
    assert "<svg" in html and "JPY" in html and "90+" in html and "DSO" in html


def test_login_next_stays_on_site(client: TestClient) -> None:
    """After login the app only redirects to its own paths, never to another site."""
    token = _csrf(client.get("/login").text)
    response = client.post("/login", data={"email": "rev@example.com", "password": PASSWORD, "csrf": token,
                                           "next": "//evil.example/"})
    assert response.headers["location"] == "/queue"


def test_demoted_or_deactivated_user_loses_rights_at_once(client: TestClient, session: Session,
                                                         seeded: Seeded) -> None:
    """A role lowered while logged in stops decisions on the next request; a deactivated user is logged out."""
    from worker.db.models import User

    token = login(client)
    user = session.query(User).filter_by(email="rev@example.com").one()
    user.role = "viewer"
    session.commit()
    response = client.post("/decide", data={"csrf": token, "action": "write_off", "case_id": seeded.dispute.id,
                                            "reason": "x"})
    assert response.status_code == 403
    user.active = False
    session.commit()
    assert client.get("/queue").status_code == 303


def test_health_answers_without_login_and_shows_no_data(client: TestClient) -> None:
    """/healthz is for probes: 200 with the database up, no login needed, nothing about customers."""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "role": "review", "database": "ok"}
