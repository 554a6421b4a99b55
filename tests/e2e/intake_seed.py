"""Intake review items made the way production makes them: a forwarded invoice mail stored raw and run
through the inbound pipeline with the intake router. Without our server's DMARC pass on top the
forwarder is not proven, so every invoice it carries waits for a person (an "intake" item)."""

from __future__ import annotations

from sqlalchemy import Engine, select

from tests.invoicefactory import InvoiceSpec, body_text, intake_mail, pdf_invoice
from worker.db.engine import transaction
from worker.db.models import ReviewItem
from worker.domain import Classification, ReviewKind
from worker.inbound.mime import parse_mail
from worker.inbound.process import Pipeline, process_inbound
from worker.inbound.store import store_inbound
from worker.intake.route import make_router
from worker.settings import load_settings

SPEC = InvoiceSpec()  # INV-2026-0042, Globex Corporation, ap@globex.example, USD 12,345.67, due 2026-05-01


def _pipeline() -> Pipeline:
    settings = load_settings(intake_address="invoices@acme.example", intake_allowed_senders=["@acme.example"],
                             authserv_id="mx.acme.example")

    def must_not_classify(mail: object) -> Classification:
        raise AssertionError("an intake mail must not be classified as a reply")

    return Pipeline(parse=parse_mail, classify=must_not_classify, verify_token=lambda t: None, reply_localpart="ar",
                    min_confidence=0.5, promise_grace_days=lambda p: 2, route_other=make_router(settings))


def forward(engine: Engine, raw: bytes) -> int:
    """Store and process one intake mail; the id of the intake review item it left."""
    with transaction(engine) as s:
        mail_id = store_inbound(s, raw, mailbox="intake")[0].id
    assert process_inbound(engine, mail_id, _pipeline()).status == "processed"
    with transaction(engine) as s:
        item = s.scalars(select(ReviewItem).where(ReviewItem.mail_id == mail_id,
                                                  ReviewItem.kind == ReviewKind.INTAKE.value)).one()
        return item.id


def forward_pdf(engine: Engine, spec: InvoiceSpec = SPEC, *, subject: str = "Fwd: Invoice") -> int:
    return forward(engine, intake_mail([("invoice.pdf", "application/pdf", pdf_invoice(spec))], subject=subject))


def forward_body(engine: Engine, spec: InvoiceSpec = SPEC) -> int:
    return forward(engine, intake_mail([], body=body_text(spec)))
