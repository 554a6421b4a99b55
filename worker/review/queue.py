"""What the queue shows: open review items with filters, counts per kind, and SLA age."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from worker.db.models import Case, Customer, Event, Invoice, Mail, ReviewItem, utcnow
from worker.domain import ReviewKind

# How long an item may wait before it is late, per kind (hours). Money-moving kinds first.
SLA_HOURS: dict[ReviewKind, int] = {
    ReviewKind.DISPUTE: 48, ReviewKind.PLAN_REQUEST: 48, ReviewKind.PAYMENT_CLAIM: 24,
    ReviewKind.BOUNCE: 24, ReviewKind.UNPLACED: 24, ReviewKind.UNCLEAR: 24, ReviewKind.INTAKE: 24,
    ReviewKind.SEND_UNCERTAIN: 4, ReviewKind.SEND_FAILED: 24, ReviewKind.ESCALATION: 72,
    ReviewKind.PARSE_FAILED: 24,
}
SORTS: dict[str, Any] = {"oldest": ReviewItem.created_at.asc(), "newest": ReviewItem.created_at.desc(),
         "amount": Invoice.balance.desc(), "customer": Customer.name.asc()}


@dataclass(frozen=True)
class Filters:
    kind: str = ""
    min_age_hours: int | None = None
    min_amount: Decimal | None = None
    customer: str = ""
    assignee: str = ""  # "" any, "-" unassigned, else an email
    sort: str = "oldest"


@dataclass(frozen=True)
class Row:
    item: ReviewItem
    case: Case | None
    customer: str
    amount: Decimal | None
    currency: str
    age: timedelta
    late: bool

    @property
    def age_text(self) -> str:
        hours = int(self.age.total_seconds() // 3600)
        return f"{hours // 24}d {hours % 24}h" if hours >= 24 else f"{hours}h"


def _base(filters: Filters, now: datetime) -> Select[ReviewItem, Case, Invoice, Customer]:
    stmt = (select(ReviewItem, Case, Invoice, Customer)
            .outerjoin(Case, Case.id == ReviewItem.case_id)
            .outerjoin(Invoice, Invoice.id == Case.invoice_id)
            .outerjoin(Customer, Customer.id == Case.customer_id)
            .where(ReviewItem.status == "open"))
    if filters.kind:
        stmt = stmt.where(ReviewItem.kind == ReviewKind(filters.kind).value)
    if filters.min_age_hours is not None:
        stmt = stmt.where(ReviewItem.created_at <= now - timedelta(hours=filters.min_age_hours))
    if filters.min_amount is not None:
        stmt = stmt.where(Invoice.balance >= filters.min_amount)
    if filters.customer:
        stmt = stmt.where(func.lower(Customer.name).contains(filters.customer.lower()))
    if filters.assignee == "-":
        stmt = stmt.where(ReviewItem.assignee.is_(None))
    elif filters.assignee:
        stmt = stmt.where(ReviewItem.assignee == filters.assignee.lower())
    return stmt.order_by(SORTS.get(filters.sort, SORTS["oldest"]), ReviewItem.id)


def rows(session: Session, filters: Filters, *, now: datetime | None = None, limit: int = 500) -> list[Row]:
    now = now or utcnow()
    out = []
    for item, case, invoice, customer in session.execute(_base(filters, now).limit(limit)):
        age = now - item.created_at
        out.append(Row(item=item, case=case, customer=customer.name if customer else _sender(session, item),
                       amount=invoice.balance if invoice else None, currency=invoice.currency if invoice else "",
                       age=age, late=age > timedelta(hours=SLA_HOURS[ReviewKind(item.kind)])))
    return out


def _sender(session: Session, item: ReviewItem) -> str:
    mail = session.get(Mail, item.mail_id) if item.mail_id else None
    return f"({mail.from_addr})" if mail else "(no case)"


def counts(session: Session) -> dict[ReviewKind, int]:
    """Open items per kind, every kind present (zero when none)."""
    found = dict(session.execute(select(ReviewItem.kind, func.count()).where(ReviewItem.status == "open")
                                 .group_by(ReviewItem.kind)).all())
    return {kind: int(found.get(kind.value, 0)) for kind in ReviewKind}


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    event: Event | None
    mail: Mail | None


def timeline(session: Session, case_id: int) -> list[TimelineEntry]:
    """Every event and mail of a case in time order (mails once, even when an event points at them)."""
    events = session.scalars(select(Event).where(Event.case_id == case_id)).all()
    mails = session.scalars(select(Mail).where(Mail.case_id == case_id)).all()
    entries = [TimelineEntry(e.created_at, e, None) for e in events]
    entries += [TimelineEntry(m.sent_at or m.created_at, None, m) for m in mails]
    return sorted(entries, key=lambda t: (t.at, 0 if t.mail else 1))
