"""Confirm, don't guess: an intake item shows the invoice's page as a PNG beside the fields intake read;
a reviewer corrects and confirms, which opens the case, and every correction is kept as labelled data."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import structlog
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from starlette.exceptions import StarletteDeprecationWarning
from typer.testing import CliRunner

from tests.e2e.intake_seed import SPEC, forward_body, forward_pdf
from tests.e2e.seed import seed
from tests.test_review_http import login
from worker import ledger
from worker.cli import _register, app
from worker.db.migrate import alembic_config
from worker.db.models import Case, Customer, Event, Invoice, ReviewItem
from worker.review.app import create_app
from worker.review.intakeconfirm import correction_rows
from worker.review.pagepng import MAX_PIXELS, MAX_SIDE, scale_for
from worker.settings import Settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def client(settings: Settings, engine: Engine, session: Session) -> Iterator[TestClient]:
    seed(session)
    session.commit()
    with TestClient(create_app(settings, secure_cookies=False, engine=engine), follow_redirects=False) as c:
        yield c


def _form(csrf: str, **changes: str) -> dict[str, str]:
    values = {"csrf": csrf, "invoice": "0", "number": SPEC.number, "customer_name": SPEC.customer_name,
              "customer_email": "ap@globex.example", "amount": SPEC.amount_value, "currency": SPEC.currency,
              "issue_date": SPEC.issue.isoformat(), "due_date": "2026-05-01"}
    return {**values, **changes}


def test_page_and_png_need_a_login(client: TestClient, engine: Engine) -> None:
    """Without a login the item page, its page picture and the confirm form all go to the login page."""
    item_id = forward_pdf(engine)
    for response in (client.get(f"/items/{item_id}"), client.get(f"/items/{item_id}/page/1.png"),
                     client.post(f"/items/{item_id}/confirm", data=_form("x"))):
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
        assert not response.content.startswith(PNG)


def test_item_shows_the_page_picture_beside_the_fields(client: TestClient, engine: Engine) -> None:
    """The page has the PNG of page 1 and every field intake read, editable, with the CSRF token."""
    item_id = forward_pdf(engine)
    login(client)
    html = client.get(f"/items/{item_id}").text
    assert f'src="/items/{item_id}/page/1.png?doc=0"' in html
    assert "page 1 of 1" in html
    form = html[html.index(f'action="/items/{item_id}/confirm"'):]
    for name, value in [("number", SPEC.number), ("customer_email", "ap@globex.example"),
                        ("amount", SPEC.amount_value), ("currency", "USD"), ("due_date", "2026-05-01")]:
        assert re.search(rf'name="{name}" value="{re.escape(value)}"', form), name
    assert re.search(r'name="csrf" value="[^"]+"', form)


def test_png_route_serves_a_png_never_the_pdf(client: TestClient, engine: Engine) -> None:
    """The picture is image/png with a PNG signature, nosniff and bounded pixels; a page the PDF lacks is 404."""
    item_id = forward_pdf(engine)
    login(client)
    response = client.get(f"/items/{item_id}/page/1.png")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.content.startswith(PNG) and b"%PDF-" not in response.content
    width, height = int.from_bytes(response.content[16:20]), int.from_bytes(response.content[20:24])
    assert 0 < max(width, height) <= MAX_SIDE and width * height <= MAX_PIXELS
    assert client.get(f"/items/{item_id}/page/2.png").status_code == 404
    assert client.get(f"/items/{item_id}/page/1.png?doc=1").status_code == 404


def test_confirm_opens_the_case_with_the_corrected_values(client: TestClient, engine: Engine) -> None:
    """Confirming with a corrected amount and due date opens the case with those values, closes the item
    and keeps machine vs confirmed value per corrected field, with who confirmed."""
    item_id = forward_pdf(engine)
    csrf = login(client)
    response = client.post(f"/items/{item_id}/confirm",
                           data=_form(csrf, amount="12,000.50", due_date="2026-05-15"))
    assert response.status_code == 303 and response.headers["location"].startswith("/cases/")
    with Session(engine) as s:
        invoice = s.scalars(select(Invoice).where(Invoice.number == SPEC.number)).one()
        assert (invoice.amount, invoice.currency, invoice.due_date) == (Decimal("12000.50"), "USD", date(2026, 5, 15))
        case = s.scalars(select(Case).where(Case.invoice_id == invoice.id)).one()
        assert f"/cases/{case.id}" == response.headers["location"]
        item = s.get(ReviewItem, item_id)
        assert item is not None and item.status == "done" and "rev@example.com" in (item.resolution or "")
        event = s.scalars(select(Event).where(Event.case_id == case.id, Event.kind == "intake_confirmed")).one()
        assert event.actor == "user:rev@example.com"
        assert event.data["corrected"] == ["amount", "due_date"]
        assert event.data["machine"]["amount"] == SPEC.amount_value
        assert event.data["confirmed"]["amount"] == "12000.50"
        rows = correction_rows(s)
    assert [r["corrected"] for r in rows] == [["amount", "due_date"]]
    assert rows[0]["machine"]["due_date"] == "2026-05-01" and rows[0]["confirmed"]["due_date"] == "2026-05-15"


@pytest.mark.parametrize("amount", ["1e500000", "NaN", "-5", "12,34x", "0"])
def test_a_bad_amount_is_refused_and_the_item_stays_open(client: TestClient, engine: Engine, amount: str) -> None:
    """A refused amount comes back on the page (400) with what was typed and why; no invoice, item open."""
    item_id = forward_pdf(engine)
    csrf = login(client)
    response = client.post(f"/items/{item_id}/confirm", data=_form(csrf, amount=amount, customer_name="Globex Ltd"))
    assert response.status_code == 400
    assert 'role="alert"' in response.text and "Amount" in response.text
    assert 'aria-invalid="true"' in response.text
    assert 'value="Globex Ltd"' in response.text  # what the person typed is not lost
    with Session(engine) as s:
        assert s.scalars(select(Invoice).where(Invoice.number == SPEC.number)).first() is None
        item = s.get(ReviewItem, item_id)
        assert item is not None and item.status == "open" and not item.data["invoices"][0].get("confirmed")


def test_confirm_needs_csrf_and_a_reviewer(client: TestClient, engine: Engine) -> None:
    """A viewer sees no form and is refused; a post without the CSRF token is refused; nothing opens."""
    item_id = forward_pdf(engine)
    csrf = login(client)
    assert client.post(f"/items/{item_id}/confirm", data=_form("wrong")).status_code == 403
    client.post("/logout", data={"csrf": csrf})
    viewer_csrf = login(client, "view@example.com")
    assert "/confirm" not in client.get(f"/items/{item_id}").text
    assert client.post(f"/items/{item_id}/confirm", data=_form(viewer_csrf)).status_code == 403
    with Session(engine) as s:
        assert s.scalars(select(Invoice).where(Invoice.number == SPEC.number)).first() is None


def test_only_a_confirmation_adds_the_mails_address_to_a_known_customer(client: TestClient, engine: Engine) -> None:
    """Intake on its own never adds an address from a mail to a customer it knows; a person confirming does."""
    with Session(engine) as s:
        customer = Customer(name=SPEC.customer_name, language="en")
        s.add(customer)
        ledger.ensure_contact(s, customer, "billing@globex.example")
        s.commit()
    item_id = forward_pdf(engine)
    csrf = login(client)
    assert client.post(f"/items/{item_id}/confirm", data=_form(csrf, customer_email="AP@globex.example")
                       ).status_code == 303
    with Session(engine) as s:
        customer = s.scalars(select(Customer).where(Customer.name == SPEC.customer_name)).one()
        assert sorted(c.email for c in customer.contacts) == ["ap@globex.example", "billing@globex.example"]
        held = select(ReviewItem).where(ReviewItem.kind == "intake", ReviewItem.status == "open")
        assert s.scalars(held).all() == []  # no "confirm this address" item: the person just did


def test_a_second_confirm_of_the_same_invoice_is_refused(client: TestClient, engine: Engine) -> None:
    """An invoice number that already has a case is refused on the page, not opened twice."""
    first, second = forward_pdf(engine), forward_pdf(engine, subject="Fwd: Invoice (again)")
    csrf = login(client)
    assert client.post(f"/items/{first}/confirm", data=_form(csrf)).status_code == 303
    again = client.post(f"/items/{second}/confirm", data=_form(csrf))
    assert again.status_code == 400 and "already has a case" in again.text
    with Session(engine) as s:
        assert len(s.scalars(select(Invoice)).all()) == 5  # the four seeded and this one


def test_body_invoice_shows_the_mail_text_instead_of_a_picture(client: TestClient, engine: Engine) -> None:
    """An invoice typed into the mail has no page to draw: the page shows the mail's text and no image."""
    item_id = forward_body(engine)
    login(client)
    html = client.get(f"/items/{item_id}").text
    assert 'id="mail-text"' in html and SPEC.number in html and "<img" not in html
    assert client.get(f"/items/{item_id}/page/1.png").status_code == 404


def test_render_scale_bounds_any_page_size() -> None:
    """However large a page claims to be, its picture stays within MAX_SIDE and MAX_PIXELS."""
    for width, height in [(595, 842), (14400, 14400), (14400, 10), (3, 3)]:
        scale = scale_for(width, height)
        assert max(width, height) * scale <= MAX_SIDE + 1e-6
        assert width * height * scale * scale <= MAX_PIXELS * (1 + 1e-9)


def test_export_corrections_writes_labels_and_the_mail(client: TestClient, engine: Engine, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """`dunmail intake export-corrections` writes one labelled row per confirmed invoice beside its raw mail."""
    item_id = forward_pdf(engine)
    csrf = login(client)
    assert client.post(f"/items/{item_id}/confirm", data=_form(csrf, customer_name="Globex Corp.")).status_code == 303
    if engine.dialect.name == "sqlite":  # built by create_all: tell Alembic it is current, as `db upgrade` would
        from alembic import command

        command.stamp(alembic_config(engine.url.render_as_string(hide_password=False)), "head")
    monkeypatch.setenv("DUNMAIL_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("DUNMAIL_SECRET_KEY", "cli-test-secret")
    _register()
    saved = structlog.get_config()
    try:
        result = CliRunner().invoke(app, ["intake", "export-corrections", "--out", str(tmp_path / "out")])
    finally:
        structlog.configure(**saved)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in (tmp_path / "out" / "labels.jsonl").read_text().splitlines()]
    assert len(rows) == 1 and rows[0]["corrected"] == ["customer_name"]
    assert rows[0]["machine"]["customer_name"] == SPEC.customer_name
    assert rows[0]["confirmed"]["customer_name"] == "Globex Corp."
    assert (tmp_path / "out" / rows[0]["file"]).read_bytes().startswith(b"From:")


def test_a_pdf_over_the_page_limit_is_not_drawn_but_can_be_typed(client: TestClient, engine: Engine) -> None:
    """A PDF over intake's page limit is drawn for no one (a reason instead of a picture, the PNG route 404s);
    the item still offers an empty form, so a person can type the invoice from the raw mail."""
    from tests.e2e.intake_seed import forward
    from tests.invoicefactory import intake_mail, many_pages_pdf

    item_id = forward(engine, intake_mail([("long.pdf", "application/pdf", many_pages_pdf(51))]))
    login(client)
    html = client.get(f"/items/{item_id}").text
    assert "cannot be shown" in html and "51 pages, over the 50-page limit" in html and "<img" not in html
    assert re.search(r'name="number" value=""', html)
    assert client.get(f"/items/{item_id}/page/1.png").status_code == 404


def test_a_batch_pdf_shows_each_invoice_on_its_own_page(client: TestClient, engine: Engine) -> None:
    """Three invoices, one per page: the page opens on the first one still to confirm, each invoice links to
    the page its number is on, and once the first is confirmed the page opens on the second."""
    from dataclasses import replace

    from tests.e2e.intake_seed import forward
    from tests.invoicefactory import batch_pdf, intake_mail

    specs = [replace(SPEC, number=f"INV-B-{n}", amount=f"{n}00.00", amount_value=f"{n}00.00") for n in (1, 2, 3)]
    item_id = forward(engine, intake_mail([("batch.pdf", "application/pdf", batch_pdf(specs))]))
    csrf = login(client)
    html = client.get(f"/items/{item_id}").text
    assert "page 1 of 3" in html and f'src="/items/{item_id}/page/1.png?doc=0"' in html
    assert [int(p) for p in re.findall(r"Its number is on <a [^>]+>page (\d)</a>", html)] == [1, 2, 3]
    first = re.search(r'name="invoice" value="(\d)">\s*(?:<[^>]+>\s*)*?<label>Invoice number\s*<input name="number" '
                      r'value="INV-B-1"', html)
    assert first, "the first form is for INV-B-1"
    values = {"number": "INV-B-1", "amount": "100.00", "invoice": first.group(1)}
    assert client.post(f"/items/{item_id}/confirm", data=_form(csrf, **values)).status_code == 303
    html = client.get(f"/items/{item_id}").text
    assert "page 2 of 3" in html and f'src="/items/{item_id}/page/2.png?doc=0"' in html
    assert client.get(f"/items/{item_id}/page/3.png").content.startswith(PNG)
    with Session(engine) as s:
        item = s.get(ReviewItem, item_id)
        assert item is not None and item.status == "open"  # two invoices still to confirm


def test_a_confirm_that_loses_a_race_says_so(client: TestClient, engine: Engine,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """When the database refuses the new invoice (another person's confirm won the unique number), the page
    says so and the item stays open, instead of a server error."""
    from sqlalchemy.exc import IntegrityError

    import worker.review.intakeconfirm as intakeconfirm

    def lost(*args: object, **kwargs: object) -> None:
        raise IntegrityError("INSERT INTO invoices", {}, Exception("duplicate key (issuer, number)"))

    item_id = forward_pdf(engine)
    csrf = login(client)
    monkeypatch.setattr(intakeconfirm, "open_invoice", lost)
    response = client.post(f"/items/{item_id}/confirm", data=_form(csrf))
    assert response.status_code == 303 and response.headers["location"] == f"/items/{item_id}"
    assert "opened meanwhile by someone else" in client.get(f"/items/{item_id}").text
    with Session(engine) as s:
        item = s.get(ReviewItem, item_id)
        assert item is not None and item.status == "open"
