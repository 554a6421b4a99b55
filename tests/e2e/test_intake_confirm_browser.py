"""The confirm step in real headless Chromium: a reviewer opens an intake item, sees the invoice's page
drawn as an image beside the fields, types a bad amount (refused on the page), corrects it and confirms,
which opens the case with the corrected amount."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from tests.e2e.intake_seed import SPEC, forward_pdf
from tests.e2e.seed import Seeded
from tests.e2e.test_review_browser import SHOTS, _login, page, seeded_db, server  # noqa: F401 (fixtures)
from worker.db.models import Case, Event, Invoice, ReviewItem

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (scripts/install_browser.sh)")


def test_confirm_intake_with_the_page_image(page: sync_api.Page, seeded_db: Seeded,  # noqa: F811
                                            sqlite_engine: Engine) -> None:
    """The page image loads (naturalWidth > 0); a bad amount is refused in place; the corrected one opens the case."""
    item_id = forward_pdf(sqlite_engine)
    _login(page)
    page.goto(f"/items/{item_id}")
    image = page.locator("#page-image")
    sync_api.expect(image).to_be_visible(timeout=20_000)
    page.wait_for_function("() => { const i = document.getElementById('page-image');"
                           " return i !== null && i.complete && i.naturalWidth > 0; }", timeout=20_000)
    assert image.evaluate("i => i.naturalWidth") > 500
    form = page.locator("form.confirm-form")
    sync_api.expect(form.locator("input[name=number]")).to_have_value(SPEC.number, timeout=20_000)
    sync_api.expect(form.locator("input[name=amount]")).to_have_value(SPEC.amount_value, timeout=20_000)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "intake-confirm.png"), full_page=True)

    form.locator("input[name=amount]").fill("12,34x")
    form.locator("button").click()
    sync_api.expect(page.locator("p.error[role=alert]")).to_contain_text("Amount", timeout=20_000)
    sync_api.expect(page.locator("form.confirm-form input[name=amount]")).to_have_value("12,34x", timeout=20_000)
    with Session(sqlite_engine) as s:
        assert s.scalars(select(Invoice).where(Invoice.number == SPEC.number)).first() is None

    # the refused form's page draws the picture again: let it arrive before confirming, since a picture
    # response still in flight writes back the cookie session it started with (without the flash message)
    page.wait_for_function("() => { const i = document.getElementById('page-image');"
                           " return i === null || (i.complete && i.naturalWidth > 0); }", timeout=20_000)
    form = page.locator("form.confirm-form")
    form.locator("input[name=amount]").fill("12000.50")
    form.locator("button").click()
    page.wait_for_url("**/cases/*")
    sync_api.expect(page.locator(".message")).to_contain_text("invoice confirmed", timeout=20_000)
    sync_api.expect(page.locator("#case-state")).to_have_text("active", timeout=20_000)

    with Session(sqlite_engine) as s:
        invoice = s.scalars(select(Invoice).where(Invoice.number == SPEC.number)).one()
        assert invoice.amount == Decimal("12000.50")
        case = s.scalars(select(Case).where(Case.invoice_id == invoice.id)).one()
        event = s.scalars(select(Event).where(Event.case_id == case.id, Event.kind == "intake_confirmed")).one()
        assert event.actor == "user:rev@example.com" and event.data["corrected"] == ["amount"]
        item = s.get(ReviewItem, item_id)
        assert item is not None and item.status == "done"
