"""Issue 12, finding 2: intake trusts our server's authentication, not From:.

A spoofed allowed sender opens no case (its invoices wait for a person), and no mail ever adds a new
address to a customer dunmail already knows — the address goes to a person to confirm.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Engine, select

from tests.invoicefactory import InvoiceSpec, intake_mail, pdf_invoice
from worker import ledger
from worker.db.engine import transaction
from worker.db.models import Case, Contact, Customer, Invoice, ReviewItem
from worker.domain import Classification
from worker.inbound.mime import parse_mail
from worker.inbound.process import Pipeline, process_inbound
from worker.inbound.store import store_inbound
from worker.intake.route import make_router
from worker.settings import load_settings

OURS = "mx.acme.example"
PASS = f"{OURS}; spf=pass smtp.mailfrom=acme.example; dmarc=pass header.from=acme.example"


def _feed(engine: Engine, raw: bytes, *, auth: tuple[str, ...] = (PASS,), authserv_id: str | None = OURS) -> None:
    settings = load_settings(intake_address="invoices@acme.example", intake_allowed_senders=["@acme.example"],
                             authserv_id=authserv_id)

    def must_not_classify(mail: object) -> Classification:
        raise AssertionError("an intake mail must not be classified as a reply")

    pipeline = Pipeline(parse=parse_mail, classify=must_not_classify, verify_token=lambda t: None,
                        reply_localpart="ar", min_confidence=0.5, promise_grace_days=lambda p: 2,
                        route_other=make_router(settings))
    raw = b"".join(f"Authentication-Results: {a}\r\n".encode() for a in auth) + raw
    with transaction(engine) as s:
        mail_id = store_inbound(s, raw, mailbox="intake")[0].id
    assert process_inbound(engine, mail_id, pipeline).status == "processed"


def _pdf_forward() -> bytes:
    return intake_mail([("inv.pdf", "application/pdf", pdf_invoice())])


def _state(engine: Engine) -> tuple[list[str], list[str], list[str]]:
    with transaction(engine) as s:
        return (sorted(s.scalars(select(Invoice.number))), sorted(s.scalars(select(Contact.email))),
                [i.summary for i in s.scalars(select(ReviewItem).order_by(ReviewItem.id))])


def test_allowed_sender_without_dmarc_pass_opens_nothing(engine: Engine) -> None:
    """From: finance@acme.example with no authentication from our server: the invoice waits in review."""
    _feed(engine, _pdf_forward(), auth=())
    invoices, contacts, reviews = _state(engine)
    assert invoices == [] and contacts == []
    assert len(reviews) == 1 and "INV-2026-0042: not opened" in reviews[0] and "no DMARC result" in reviews[0]


def test_allowed_sender_with_dmarc_fail_opens_nothing(engine: Engine) -> None:
    """Our server recorded dmarc=fail for acme.example: a spoofed forward, held for a person."""
    _feed(engine, _pdf_forward(), auth=(f"{OURS}; dmarc=fail header.from=acme.example",))
    invoices, _, reviews = _state(engine)
    assert invoices == [] and "DMARC fail" in reviews[0]


def test_a_pass_under_someone_elses_authserv_id_is_not_ours(engine: Engine) -> None:
    """A header the sender wrote (another authserv-id) does not authenticate the forward."""
    _feed(engine, _pdf_forward(), auth=(PASS.replace(OURS, "mx.attacker.example"),))
    assert _state(engine)[0] == []


def test_no_authserv_id_configured_opens_nothing(engine: Engine) -> None:
    """Without DUNMAIL_AUTHSERV_ID no header is believed, so intake only queues for review."""
    _feed(engine, _pdf_forward(), authserv_id=None)
    assert _state(engine)[0] == []


def test_authenticated_allowed_sender_opens_the_case(engine: Engine) -> None:
    """The honest path: allowed sender with our server's DMARC pass opens the case and its new customer."""
    _feed(engine, _pdf_forward())
    invoices, contacts, reviews = _state(engine)
    assert invoices == ["INV-2026-0042"] and contacts == ["ap@globex.example"] and reviews == []


def test_new_address_for_an_existing_customer_is_never_added_from_a_mail(engine: Engine) -> None:
    """An (authenticated) forward naming a known customer with a new address: the case opens with the known
    contacts, the new address is not added, and a person is asked to confirm it."""
    with transaction(engine) as s:
        customer = Customer(name="Globex Corporation", language="en", timezone="UTC", country="US")
        s.add(customer)
        ledger.ensure_contact(s, customer, "ap@globex.example")
    spec = InvoiceSpec(customer_email="attacker@evil.example")
    _feed(engine, intake_mail([("inv.pdf", "application/pdf", pdf_invoice(spec))], original_to=None))
    invoices, contacts, reviews = _state(engine)
    assert invoices == ["INV-2026-0042"]
    assert contacts == ["ap@globex.example"]
    assert any("attacker@evil.example" in r and "not a known contact" in r for r in reviews), reviews
    with transaction(engine) as s:
        case = s.scalars(select(Case)).one()
        assert ledger.active_contacts(case.customer) == ["ap@globex.example"]
        item = s.scalars(select(ReviewItem)).one()
        assert (item.case_id, item.data["new_contact"]) == (case.id, "attacker@evil.example")
        assert s.scalars(select(Invoice.amount)).one() == Decimal("12345.67")
