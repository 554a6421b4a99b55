"""Forwarded invoices through the real inbound path: intake mail opens cases, once; doubtful or foreign
ones wait for a person; and the same works end to end through a real IMAP server."""

from __future__ import annotations

import threading
import time
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from imap_tools import MailBoxUnencrypted
from sqlalchemy import Engine, select

from tests.invoicefactory import JA_SPEC, InvoiceSpec, encrypted_pdf, intake_mail, many_pages_pdf, pdf_invoice, ubl_xml
from worker.db.engine import transaction
from worker.db.models import Case, Invoice, Mail, ReviewItem
from worker.domain import Classification
from worker.inbound.mailbox import IMAPConfig, IMAPMailbox
from worker.inbound.mime import parse_mail
from worker.inbound.process import Pipeline, process_inbound
from worker.inbound.store import store_inbound
from worker.inbound.watch import WatchOptions, watch
from worker.intake.route import make_router
from worker.settings import load_settings

OURS = "mx.acme.example"
AUTHENTICATED = f"Authentication-Results: {OURS}; dkim=pass header.d=acme.example; dmarc=pass header.from=acme.example"


def _pipeline(**settings_changes: object) -> Pipeline:
    settings = load_settings(intake_address="invoices@acme.example", intake_allowed_senders=["@acme.example"],
                             **{"authserv_id": OURS, **settings_changes})

    def must_not_classify(mail: object) -> Classification:
        raise AssertionError("an intake mail must not be classified as a reply")

    return Pipeline(parse=parse_mail, classify=must_not_classify, verify_token=lambda t: None, reply_localpart="ar",
                    min_confidence=0.5, promise_grace_days=lambda p: 2, route_other=make_router(settings))


def _feed(engine: Engine, raw: bytes, *, authenticated: bool = True, **settings_changes: object) -> int:
    """Store and process one intake mail; `authenticated` puts our server's DMARC pass on top of it."""
    raw = AUTHENTICATED.encode() + b"\r\n" + raw if authenticated else raw
    with transaction(engine) as s:
        mail_id = store_inbound(s, raw, mailbox="intake")[0].id
    assert process_inbound(engine, mail_id, _pipeline(**settings_changes)).status == "processed"
    return mail_id


def _invoices(engine: Engine) -> dict[str, tuple[Decimal, str, date]]:
    with transaction(engine) as s:
        return {i.number: (i.amount, i.currency, i.due_date) for i in s.scalars(select(Invoice))}


def test_forwarded_pdf_and_ubl_open_cases_once(engine: Engine) -> None:
    """A forward carrying an English PDF and a Japanese UBL opens two cases; forwarding it again opens none."""
    raw = intake_mail([("inv.pdf", "application/pdf", pdf_invoice()),
                       ("jp.xml", "application/xml", ubl_xml(JA_SPEC))])
    _feed(engine, raw)
    got = _invoices(engine)
    assert got["INV-2026-0042"] == (Decimal("12345.67"), "USD", date(2026, 5, 1))
    assert got["2026-0412"] == (Decimal("1234500"), "JPY", date(2026, 5, 31))
    _feed(engine, raw.replace(b"<fwd-1@acme.example>", b"<fwd-2@acme.example>"))
    with transaction(engine) as s:
        assert len(s.scalars(select(Case)).all()) == 2
        second = s.scalars(select(Mail).order_by(Mail.id.desc())).first()
        assert second is not None and sorted(second.analysis["duplicates"]) == ["2026-0412", "INV-2026-0042"]


def test_sender_outside_the_company_is_held_for_review(engine: Engine) -> None:
    """An invoice 'forwarded' from outside the allowed senders opens nothing and is queued."""
    _feed(engine, intake_mail([("inv.pdf", "application/pdf", pdf_invoice())], sender="x@evil.example"))
    assert _invoices(engine) == {}
    with transaction(engine) as s:
        assert s.scalars(select(ReviewItem.kind)).all() == ["intake"]


def test_unreadable_and_incomplete_go_to_review_with_reasons(engine: Engine) -> None:
    """An encrypted PDF and an invoice without a customer address open nothing; one review says why."""
    no_email = InvoiceSpec(number="INV-9", customer_email=None)
    _feed(engine, intake_mail([("locked.pdf", "application/pdf", encrypted_pdf()),
                               ("inv.pdf", "application/pdf", pdf_invoice(no_email))], original_to=None))
    assert _invoices(engine) == {}
    with transaction(engine) as s:
        (item,) = s.scalars(select(ReviewItem)).all()
    assert item.kind == "intake" and "locked.pdf" in item.summary and "INV-9" in item.summary


def test_pdf_limits_are_settings(engine: Engine) -> None:
    """A PDF longer than intake_max_pdf_pages is not read: it goes to review saying why, and opens nothing."""
    _feed(engine, intake_mail([("long.pdf", "application/pdf", many_pages_pdf(3))]), intake_max_pdf_pages=2)
    assert _invoices(engine) == {}
    with transaction(engine) as s:
        (item,) = s.scalars(select(ReviewItem)).all()
    assert item.kind == "intake" and "long.pdf" in item.summary and "page" in item.summary


def test_pdf_over_the_memory_cap_goes_to_review_and_the_next_mail_opens(engine: Engine) -> None:
    """A 300 KB PDF inflating to 300 MB under intake_pdf_memory_mb=256: review item with the reason,
    nothing opened; the next forwarded invoice still opens its case (the reader restarted)."""
    from tests.test_intake_layout import inflating_pdf

    _feed(engine, intake_mail([("bomb.pdf", "application/pdf", inflating_pdf(300))]), intake_pdf_memory_mb=256)
    assert _invoices(engine) == {}
    with transaction(engine) as s:
        (item,) = s.scalars(select(ReviewItem)).all()
    assert item.kind == "intake" and "bomb.pdf" in item.summary and "256 MB memory limit" in item.summary
    raw = intake_mail([("inv.pdf", "application/pdf", pdf_invoice())]).replace(b"<fwd-1@", b"<fwd-9@")
    _feed(engine, raw, intake_pdf_memory_mb=256)
    assert "INV-2026-0042" in _invoices(engine)


@pytest.mark.imap
def test_intake_through_a_real_imap_server(sqlite_engine: Engine, dovecot: Any) -> None:
    """A forward appended to the intake mailbox is fetched over IMAP, stored raw and becomes a case."""
    box = IMAPMailbox(IMAPConfig(host="127.0.0.1", port=dovecot.port, username=dovecot.user,
                                 password=dovecot.password, security="none"))
    stop = threading.Event()
    done: list[int] = []
    pipeline = _pipeline()

    def on_stored(ids: list[int]) -> None:
        done.extend(process_inbound(sqlite_engine, i, pipeline).mail_id for i in ids)
        stop.set()

    thread = threading.Thread(target=watch, args=(sqlite_engine, box), kwargs={
        "options": WatchOptions(holder="t", wait_seconds=20), "on_stored": on_stored, "stop": stop})
    thread.start()
    time.sleep(0.5)
    with MailBoxUnencrypted("127.0.0.1", dovecot.port).login(dovecot.user, dovecot.password) as mb:
        mb.append(AUTHENTICATED.encode() + b"\r\n" + intake_mail([("inv.pdf", "application/pdf", pdf_invoice())]),
                  "INBOX")
    thread.join(timeout=30)
    stop.set()
    assert done and "INV-2026-0042" in _invoices(sqlite_engine)
