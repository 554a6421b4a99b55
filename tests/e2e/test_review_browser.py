"""End to end in real headless Chromium: a reviewer logs in, reads a Japanese dispute, resolves it,
approves a payment plan and sees the instalments; customer script stays inert."""

from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tests.e2e.seed import PASSWORD, Seeded, seed
from worker.db.engine import session_factory
from worker.review.app import create_app
from worker.settings import Settings, load_settings

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (scripts/install_browser.sh)")


@pytest.fixture
def seeded_db(sqlite_engine: Engine) -> Seeded:
    with session_factory(sqlite_engine)() as session:
        data = seed(session)
        session.commit()
    return data


@pytest.fixture
def server(sqlite_engine: Engine, seeded_db: Seeded) -> Iterator[str]:
    """The app on a free loopback port in a thread, served by uvicorn as `dunmail review serve` does."""
    settings: Settings = load_settings(database_url=str(sqlite_engine.url), secret_key="e2e-secret-key")
    app = create_app(settings, secure_cookies=False, engine=sqlite_engine)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    while not srv.started:  # uvicorn sets this once it listens
        if not thread.is_alive():
            pytest.fail("the review server did not start")
        threading.Event().wait(0.02)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join()


@pytest.fixture
def page(server: str) -> Iterator[sync_api.Page]:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.skip(f"{CHROMIUM} is missing: run scripts/install_browser.sh")
    with sync_api.sync_playwright() as pw:
        try:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        except sync_api.Error as exc:
            pytest.skip(f"chromium cannot start here: {exc.message.splitlines()[0]}")
        context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=server)
        pg = context.new_page()
        yield pg
        browser.close()


def _login(page: sync_api.Page) -> None:
    page.goto("/queue")
    page.fill("input[name=email]", "rev@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Log in')")
    page.wait_for_url("**/queue")


def test_dispute_then_plan(page: sync_api.Page, seeded_db: Seeded, sqlite_engine: Engine) -> None:
    """Log in, open the dispute queue, read the Japanese reply, resolve it; approve a plan and see it."""
    _login(page)
    page.click("a:has-text('dispute (1)')")
    sync_api.expect(page.locator("tbody tr")).to_have_count(1)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "queue.png"), full_page=True)
    page.click("a:has-text('wrong quantity')")
    sync_api.expect(page.locator(".mailbody").first).to_be_visible()
    sync_api.expect(page.get_by_text("注文数は10個ですが請求書には12個")).to_be_visible()
    page.screenshot(path=str(SHOTS / "case.png"), full_page=True)
    page.click("summary:has-text('Adjust amount')")
    form = page.locator("details[open] form")
    form.locator("input[name=amount]").fill("110000")
    form.locator("input[name=reason]").fill("10個で合意")
    form.locator("button").click()
    page.wait_for_url("**/queue")
    sync_api.expect(page.locator(".message")).to_have_text("adjust_amount done")
    sync_api.expect(page.get_by_text("wrong quantity")).to_have_count(0)

    page.click("a:has-text('3 instalments')")
    page.click("summary:has-text('Approve plan')")
    form = page.locator("details[open] form")
    form.locator("textarea[name=instalments]").fill("2026-12-01 300\n2027-01-01 300\n2027-02-01 300")
    form.locator("input[name=reason]").fill("agreed by phone")
    form.locator("button").click()
    page.wait_for_url("**/queue")
    sync_api.expect(page.locator(".message")).to_have_text("approve_plan done")
    page.goto(f"/cases/{seeded_db.plan.id}")
    sync_api.expect(page.locator("#case-state")).to_have_text("on_plan")
    sync_api.expect(page.locator("#instalments tbody tr")).to_have_count(3)
    sync_api.expect(page.locator("#instalments")).to_contain_text("2027-02-01")

    with Session(sqlite_engine) as s:
        from worker.db.models import Case

        case = s.get(Case, seeded_db.dispute.id)
        assert case is not None and case.state == "active" and case.invoice.balance == 110000


def test_xss_in_customer_mail_stays_inert(page: sync_api.Page, seeded_db: Seeded) -> None:
    """The plan request's HTML carries script, an onerror image and a javascript: link; none runs."""
    _login(page)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"/cases/{seeded_db.plan.id}")
    page.click("summary:has-text('sanitised')")
    sync_api.expect(page.locator(".mailbody.html")).to_contain_text("Hello")
    page.click(".mailbody.html a:has-text('click')")
    assert page.title() != "pwned" and "pwned" not in page.title()
    assert not dialogs
    assert not any("tracker.example" in url for url in requests)
