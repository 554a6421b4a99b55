"""The ledger's verbs: customers, invoices, cases, their state changes, events and review items.

Every function takes an open Session and leaves committing to the caller (one transaction per
edge call: an actor, a CLI command, a web request). Every change of a case's state is an Event
with who and why.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from worker.db.models import Case, Contact, Customer, Event, Invoice, Mail, ReviewItem, utcnow
from worker.domain import CaseState, ReviewKind
from worker.errors import NotFound
from worker.validation import check_invoice

log = structlog.get_logger(__name__)

SYSTEM = "system"
CUSTOMER = "customer"

# States a person or a reply may move a case from, to. Anything else is a bug and raises.
ALLOWED: dict[CaseState, frozenset[CaseState]] = {
    CaseState.ACTIVE: frozenset(CaseState) - {CaseState.ACTIVE, CaseState.ON_PLAN},
    CaseState.PROMISED: frozenset(CaseState) - {CaseState.PROMISED, CaseState.ON_PLAN},
    CaseState.PAYMENT_CLAIMED: frozenset(CaseState) - {CaseState.PAYMENT_CLAIMED},
    CaseState.PLAN_REQUESTED: frozenset(CaseState) - {CaseState.PLAN_REQUESTED},
    CaseState.ON_PLAN: frozenset(CaseState) - {CaseState.ON_PLAN},
    CaseState.DISPUTED: frozenset(CaseState) - {CaseState.DISPUTED},
    CaseState.CONTACT_INVALID: frozenset(CaseState) - {CaseState.CONTACT_INVALID},
    CaseState.NEEDS_REVIEW: frozenset(CaseState) - {CaseState.NEEDS_REVIEW},
    CaseState.ESCALATED: frozenset({CaseState.PAID, CaseState.CLOSED, CaseState.ACTIVE, CaseState.DISPUTED,
                                    CaseState.PAYMENT_CLAIMED, CaseState.PLAN_REQUESTED, CaseState.ON_PLAN,
                                    CaseState.NEEDS_REVIEW, CaseState.PROMISED, CaseState.CONTACT_INVALID}),
    CaseState.PAID: frozenset({CaseState.ACTIVE}),  # reopened when a payment is reversed
    CaseState.CLOSED: frozenset({CaseState.ACTIVE}),
}


class _Keep:
    """Marks an argument left out on purpose (None is a real value for next_action_at)."""


KEEP = _Keep()


class TransitionError(ValueError):
    """A state change the ledger does not allow (a bug in the caller)."""


def get_case(session: Session, case_id: int, *, lock: bool = False) -> Case:
    """The case, optionally locked FOR UPDATE (a no-op on SQLite, whose writers are serialised)."""
    stmt = select(Case).where(Case.id == case_id)
    if lock:
        stmt = stmt.with_for_update()
    case = session.scalars(stmt).one_or_none()
    if case is None:
        raise NotFound(f"case {case_id} does not exist (see `dunmail review list`)")
    return case


def record_event(
    session: Session,
    case: Case | None,
    kind: str,
    *,
    actor: str = SYSTEM,
    reason: str = "",
    mail: Mail | None = None,
    **data: Any,
) -> Event:
    if mail is not None and mail.id is None:
        session.flush()
    event = Event(
        case_id=case.id if case else None,
        kind=kind,
        actor=actor,
        reason=reason,
        data=_jsonable(data),
        mail_id=mail.id if mail else None,
        created_at=utcnow(),
    )
    session.add(event)
    return event


def transition(
    session: Session,
    case: Case,
    new_state: CaseState,
    *,
    actor: str,
    reason: str,
    mail: Mail | None = None,
    next_action_at: datetime | _Keep | None = KEEP,
    **data: Any,
) -> Event:
    """Move a case to a new state and record why. `next_action_at` is left alone unless given."""
    old = CaseState(case.state)
    if new_state not in ALLOWED[old]:
        raise TransitionError(f"case {case.id}: {old} -> {new_state} is not allowed")
    case.state = new_state.value
    if not new_state.chases:
        case.next_action_at = None
    if not isinstance(next_action_at, _Keep):
        case.next_action_at = next_action_at
    log.info("case_transition", case_id=case.id, from_state=old.value, to_state=new_state.value, actor=actor)
    return record_event(session, case, "state_changed", actor=actor, reason=reason, mail=mail,
                        from_state=old.value, to_state=new_state.value, **data)


def open_review(
    session: Session,
    kind: ReviewKind,
    *,
    summary: str,
    case: Case | None = None,
    mail: Mail | None = None,
    **data: Any,
) -> ReviewItem:
    """Put something in front of a person. One open item per (kind, case, mail)."""
    if mail is not None and mail.id is None:
        session.flush()
    same_case = ReviewItem.case_id == case.id if case else ReviewItem.case_id.is_(None)
    same_mail = ReviewItem.mail_id == mail.id if mail else ReviewItem.mail_id.is_(None)
    existing = session.scalars(
        select(ReviewItem).where(
            ReviewItem.kind == kind.value, ReviewItem.status == "open", same_case, same_mail
        )
    ).first()
    if existing is not None:
        return existing
    item = ReviewItem(
        kind=kind.value,
        case_id=case.id if case else None,
        mail_id=mail.id if mail else None,
        summary=summary,
        data=_jsonable(data),
        created_at=utcnow(),
    )
    session.add(item)
    session.flush()
    log.info("review_opened", review_id=item.id, kind=kind.value, case_id=item.case_id, mail_id=item.mail_id)
    return item


def close_review(session: Session, item: ReviewItem, *, actor: str, resolution: str) -> None:
    item.status = "done"
    item.resolution = resolution
    item.resolved_at = utcnow()
    if item.case_id is not None:
        record_event(session, get_case(session, item.case_id), "review_closed", actor=actor,
                     reason=resolution, review_id=item.id, review_kind=item.kind)


def find_customer(session: Session, *, email: str | None = None, name: str | None = None,
                  registration_number: str | None = None) -> Customer | None:
    """Match an existing customer by contact email, then registration number, then exact name."""
    if email:
        found = session.scalars(
            select(Customer).join(Contact).where(Contact.email == email.strip().lower())
        ).first()
        if found:
            return found
    if registration_number:
        found = session.scalars(
            select(Customer).where(Customer.registration_number == registration_number)
        ).first()
        if found:
            return found
    if name:
        return session.scalars(select(Customer).where(Customer.name == name.strip())).first()
    return None


def ensure_contact(session: Session, customer: Customer, email: str) -> Contact:
    email = email.strip().lower()
    for contact in customer.contacts:
        if contact.email == email:
            return contact
    contact = Contact(customer=customer, email=email)
    session.add(contact)
    return contact


def active_contacts(customer: Customer) -> list[str]:
    return [c.email for c in customer.contacts if c.invalid_reason is None]


def upsert_invoice(
    session: Session,
    *,
    customer: Customer,
    number: str,
    amount: Decimal,
    currency: str,
    issue_date: date | None,
    due_date: date,
    balance: Decimal | None = None,
    issuer: str = "default",
    source: str = "import",
) -> tuple[Invoice, bool]:
    """Create or update an invoice by (issuer, number). Returns (invoice, created).

    The last guard: values no door should have let through (NaN, 1E+30, year 9999, ZZZ) raise ValueError
    here rather than reach the ledger, where they would stop every tick."""
    check_invoice(number=number, amount=amount, currency=currency, due_date=due_date, issue_date=issue_date,
                  balance=balance)
    invoice = session.scalars(
        select(Invoice).where(Invoice.issuer == issuer, Invoice.number == number)
    ).one_or_none()
    created = invoice is None
    if invoice is None:
        invoice = Invoice(issuer=issuer, number=number, customer=customer, source=source)
        session.add(invoice)
    invoice.customer = customer
    invoice.amount = amount
    invoice.balance = amount if balance is None else balance
    invoice.currency = currency
    invoice.issue_date = issue_date
    invoice.due_date = due_date
    if invoice.balance <= 0 and invoice.status == "open":
        invoice.status = "paid"
    return invoice, created


def open_case(session: Session, invoice: Invoice, *, policy: str, first_action_at: datetime | None,
              actor: str = SYSTEM, reason: str = "invoice imported") -> Case:
    """The case for an invoice (one per invoice), created on first sight."""
    case = session.scalars(select(Case).where(Case.invoice_id == invoice.id)).one_or_none()
    if case is not None:
        return case
    session.flush()
    case = Case(invoice_id=invoice.id, customer_id=invoice.customer_id, state=CaseState.ACTIVE.value,
                policy=policy, next_action_at=first_action_at, created_at=utcnow())
    session.add(case)
    session.flush()
    record_event(session, case, "case_opened", actor=actor, reason=reason, invoice=invoice.number)
    return case


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, Decimal):
            out[key] = format(value, "f")
        elif isinstance(value, date | datetime):
            out[key] = value.isoformat()
        elif isinstance(value, tuple | list):
            out[key] = [format(v, "f") if isinstance(v, Decimal) else v for v in value]
        else:
            out[key] = value
    return out


def approve_payment_plan(
    session: Session, case: Case, instalments: Sequence[tuple[Decimal, date]], *, actor: str, reason: str,
    now: datetime | None = None,
) -> None:
    """Put a case on a plan: instalment rows, state on_plan, and the scheduler looks again at once."""
    from worker.db.models import Instalment

    if not instalments:
        raise ValueError("a payment plan needs at least one instalment")
    for seq, (amount, due) in enumerate(sorted(instalments, key=lambda i: i[1]), start=1):
        session.add(Instalment(case_id=case.id, seq=seq, amount=amount, due_date=due))
    transition(session, case, CaseState.ON_PLAN, actor=actor, reason=reason, next_action_at=now or utcnow(),
               instalments=[[format(a, "f"), d.isoformat()] for a, d in instalments])
