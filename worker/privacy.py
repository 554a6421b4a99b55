"""Personal data of one customer: everything dunmail holds about them (export), and erasure that keeps the
accounting skeleton (erase).

What is whose. A customer's data is its row, its contacts, its invoices and cases, their events and review
items, and its mails: every mail on one of its cases or named by one of their events or review items, plus
unplaced mail sent from one of its contact addresses. A mail that also belongs to another customer's case (one
forwarded intake mail carrying several customers' invoices) is shared: erasure leaves its bytes alone and says so.

Erasure keeps what accounting law asks a business to keep — invoice numbers, amounts, balances, currencies,
dates, case states, instalments and the event skeleton (kinds, times, actors as roles or staff accounts, the
amounts in event data) — and removes what identifies or describes a person: the name (a stable placeholder
instead), registration number, contact addresses, every mail's bytes, subject, addresses and analysis, free text
staff wrote about the customer, and names, addresses and quoted reply text in system-written reasons and review
summaries. It is idempotent, and it records who erased and when (never what).
"""

from __future__ import annotations

import base64
import email
import email.policy
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from email.message import Message
from typing import Any

import structlog
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from worker import ledger
from worker.db.models import Case, Contact, Customer, Event, Instalment, Invoice, Mail, ReviewItem, utcnow
from worker.domain import CaseState
from worker.errors import NotFound, PermanentError
from worker.review.sanitize import bodies

log = structlog.get_logger(__name__)

EXPORT_FORMAT = "dunmail.customer-export/1"
ERASED = "[erased]"
ERASED_ADDRESS = "[erased address]"
ERASED_EVENT = "personal_data_erased"
# Keys of event and review-item data whose values are addresses, names or text taken from a mail.
PERSONAL_KEYS = frozenset({
    "to", "cc", "from", "from_addr", "recipients", "added", "cleared", "new_contact", "contact", "email",
    "notes", "invoices", "problems", "why", "text", "reply_text", "quote", "customer", "customer_name", "name",
})
STAFF_KEYS = frozenset({"assignee", "corrected_by"})  # our own people's accounts: kept, like event actors
_EMAIL = re.compile(r"[^\s<>()\[\],;:\"'“”]+@[^\s<>()\[\],;:\"'“”]+")
_QUOTED = re.compile(r"“[^”]*”|«[^»]*»")  # quoted customer text in system summaries (see inbound/actions.py)


class ErasureRefused(PermanentError):
    """Erasure would break something that is still running; the message says what to do."""


def placeholder(customer_id: int) -> str:
    """The name an erased customer keeps: stable, so pages, logs and reports still tell customers apart."""
    return f"erased customer {customer_id}"


def is_erased(customer: Customer) -> bool:
    return customer.name == placeholder(customer.id)


@dataclass
class Erasure:
    """What an erasure did, in counts and ids (never the data)."""

    customer_id: int
    already_erased: bool
    cases: list[int] = field(default_factory=list)
    contacts_removed: int = 0
    mails_erased: int = 0
    events_scrubbed: int = 0
    reviews_scrubbed: int = 0
    stopped_cases: list[int] = field(default_factory=list)  # open cases no longer chased (--force)
    shared_mails: list[int] = field(default_factory=list)  # kept: they also belong to another customer

    @property
    def changed(self) -> bool:
        return bool(self.contacts_removed or self.mails_erased or self.events_scrubbed or self.reviews_scrubbed
                    or self.stopped_cases) or not self.already_erased

    def as_dict(self) -> dict[str, Any]:
        return {"customer_id": self.customer_id, "already_erased": self.already_erased, "cases": self.cases,
                "contacts_removed": self.contacts_removed, "mails_erased": self.mails_erased,
                "events_scrubbed": self.events_scrubbed, "reviews_scrubbed": self.reviews_scrubbed,
                "stopped_cases": self.stopped_cases, "shared_mails": self.shared_mails}


@dataclass(frozen=True)
class Holdings:
    """The rows that belong to one customer."""

    customer: Customer
    invoices: list[Invoice]
    cases: list[Case]
    events: list[Event]
    reviews: list[ReviewItem]
    mails: list[Mail]
    shared: frozenset[int]  # mail ids that also belong to another customer's case


def get_customer(session: Session, customer_id: int) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"customer {customer_id} does not exist (the case page and `dunmail log CASE` show "
                       "a case's customer number)")
    return customer


def holdings(session: Session, customer_id: int) -> Holdings:
    """Everything stored about the customer, found through its cases, their mails and its contact addresses."""
    customer = get_customer(session, customer_id)
    invoices = list(session.scalars(select(Invoice).where(Invoice.customer_id == customer.id).order_by(Invoice.id)))
    cases = list(session.scalars(select(Case).where(Case.customer_id == customer.id).order_by(Case.id)))
    case_ids = [c.id for c in cases]
    events = list(session.scalars(select(Event).where(or_(
        Event.case_id.in_(case_ids),
        Event.case_id.is_(None) & (Event.kind == ERASED_EVENT))).order_by(Event.id)))
    events = [e for e in events if e.case_id is not None or (e.data or {}).get("customer_id") == customer.id]
    reviews = list(session.scalars(select(ReviewItem).where(ReviewItem.case_id.in_(case_ids))))
    addresses = [c.email for c in customer.contacts]
    mail_ids = {e.mail_id for e in events if e.mail_id} | {r.mail_id for r in reviews if r.mail_id}
    mails = {m.id: m for m in session.scalars(select(Mail).where(or_(
        Mail.case_id.in_(case_ids), Mail.id.in_(mail_ids),
        Mail.case_id.is_(None) & func.lower(Mail.from_addr).in_(addresses))))}
    reviews += [r for r in session.scalars(select(ReviewItem).where(
        ReviewItem.mail_id.in_(list(mails)), ReviewItem.case_id.is_(None)))]
    return Holdings(customer, invoices, cases, events, sorted(reviews, key=lambda r: r.id),
                    [mails[i] for i in sorted(mails)], _shared(session, customer.id, list(mails)))


def _shared(session: Session, customer_id: int, mail_ids: list[int]) -> frozenset[int]:
    """Of these mails, those that are also on a case of another customer (directly or through an event)."""
    other_cases = select(Case.id).where(Case.customer_id != customer_id)
    direct = session.scalars(select(Mail.id).where(Mail.id.in_(mail_ids), Mail.case_id.in_(other_cases)))
    via_event = session.scalars(select(Event.mail_id).where(Event.mail_id.in_(mail_ids),
                                                            Event.case_id.in_(other_cases)))
    return frozenset(direct) | frozenset(i for i in via_event if i is not None)


def find_customers(session: Session, text: str, *, limit: int = 50) -> list[tuple[Customer, int]]:
    """Customers whose name contains `text` or who have a contact address containing it (case-insensitive),
    with their number of cases: how a request by name or address is turned into a customer number."""
    needle = f"%{text.strip().lower()}%"
    by_contact = select(Contact.customer_id).where(func.lower(Contact.email).like(needle))
    found = list(session.scalars(select(Customer).where(or_(
        func.lower(Customer.name).like(needle), Customer.id.in_(by_contact))).order_by(Customer.id).limit(limit)))
    counts: dict[int, int] = {}
    for customer_id, n in session.execute(select(Case.customer_id, func.count()).where(
            Case.customer_id.in_([c.id for c in found])).group_by(Case.customer_id)):
        counts[customer_id] = int(n)
    return [(c, counts.get(c.id, 0)) for c in found]


# --- export -------------------------------------------------------------------------------------------------

def export_customer(session: Session, customer_id: int, *, now: datetime | None = None) -> dict[str, Any]:
    """One JSON-able document with everything dunmail holds about the customer (a data-subject access request).
    Each mail carries its headers, its decoded text (and HTML) and its raw bytes as base64."""
    h = holdings(session, customer_id)
    instalments = list(session.scalars(select(Instalment).where(
        Instalment.case_id.in_([c.id for c in h.cases])).order_by(Instalment.case_id, Instalment.seq)))
    return {
        "format": EXPORT_FORMAT,
        "exported_at": _value(now or utcnow()),
        "erased": is_erased(h.customer),
        "customer": _row(h.customer),
        "contacts": [_row(c) for c in h.customer.contacts],
        "invoices": [_row(i) for i in h.invoices],
        "cases": [_row(c) for c in h.cases],
        "instalments": [_row(i) for i in instalments],
        "events": [_row(e) for e in h.events],
        "review_items": [_row(r) for r in h.reviews],
        "mails": [_mail(m, shared=m.id in h.shared) for m in h.mails],
    }


def _row(obj: Any) -> dict[str, Any]:
    return {col.key: _value(getattr(obj, col.key)) for col in obj.__table__.columns if col.key != "raw"}


def _value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {str(k): _value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_value(v) for v in value]
    return value


def _mail(mail: Mail, *, shared: bool) -> dict[str, Any]:
    """A mail with its headers, decoded text and raw bytes. A mail shared with another customer's case (an
    intake forward carrying several invoices) comes without its content, flagged: it holds other people's
    data, so a person extracts this customer's part by hand."""
    if shared:
        return {**_row(mail), "shared_with_other_customers": True, "headers": [], "text": None, "html": None,
                "raw_base64": None}
    text, html = bodies(mail.raw)
    return {**_row(mail), "shared_with_other_customers": False, "headers": _headers(mail.raw), "text": text,
            "html": html, "raw_base64": base64.b64encode(mail.raw).decode("ascii") if mail.raw is not None else None}


def _headers(raw: bytes | None) -> list[list[str]]:
    """[name, decoded value] in order; a header that will not decode is given as written."""
    if not raw:
        return []
    msg: Message = email.message_from_bytes(raw, policy=email.policy.compat32)
    out = []
    for name, value in msg.raw_items():
        try:
            decoded = str(email.policy.default.header_factory(name, str(value)))
        except Exception:  # an export must cover every stored mail, however broken its headers
            decoded = str(value)
        out.append([name, decoded])
    return out


# --- erasure ------------------------------------------------------------------------------------------------

def erase_customer(session: Session, customer_id: int, *, actor: str, force: bool = False,
                   now: datetime | None = None) -> Erasure:
    """Remove the customer's personal data and keep the accounting skeleton (see the module docstring).

    Refused while the customer has open cases, unless `force`: then chasing cases move to contact_invalid
    (there is no address left to send to) and their pending reminders are cancelled."""
    at = now or utcnow()
    # Lock the cases before reading anything: a send or a reply being handled on one of them finishes first,
    # and what it wrote (a sent reminder's bytes, a reply) is then read and erased with the rest.
    session.scalars(select(Case.id).where(Case.customer_id == customer_id).order_by(Case.id).with_for_update()).all()
    h = holdings(session, customer_id)
    customer = h.customer
    open_cases = [c for c in h.cases if CaseState(c.state).is_open]
    if open_cases and not force:
        ids = ", ".join(str(c.id) for c in open_cases)
        raise ErasureRefused(
            f"customer {customer.id} has {len(open_cases)} open case(s) ({ids}): erasing now would leave dunmail "
            "chasing an invoice it can no longer address. Close them first (paid, credited, written off), or "
            "pass --force to erase anyway and stop chasing them.")
    report = Erasure(customer.id, already_erased=is_erased(customer), cases=[c.id for c in h.cases],
                     shared_mails=sorted(h.shared))
    scrub = Scrubber.for_customer(customer, h.mails)
    _erase_customer_row(session, customer, report)
    for mail in h.mails:
        if mail.id not in h.shared and _erase_mail(mail, scrub):
            report.mails_erased += 1
    for event in h.events:
        if _scrub_event(event, scrub):
            report.events_scrubbed += 1
    for item in h.reviews:
        if item.case_id is None and item.mail_id in h.shared:
            continue  # about a mail of several customers, not on one of this customer's cases
        if _scrub_review(item, scrub):
            report.reviews_scrubbed += 1
    for case in h.cases:
        case.paused_reason = scrub.text(case.paused_reason) if case.paused_reason else case.paused_reason
    for case in open_cases:
        _stop_chasing(session, case, h.mails, actor, report)
    if report.changed:
        _record(session, h.cases, customer.id, actor, at, report)
    log.info("customer_erased", customer_id=customer.id, actor=actor, cases=len(h.cases),
             mails=report.mails_erased, already_erased=report.already_erased)
    return report


@dataclass(frozen=True)
class Scrubber:
    """Takes the customer's name, registration number and any address out of text a system wrote."""

    names: tuple[str, ...]
    replacement: str

    @classmethod
    def for_customer(cls, customer: Customer, mails: Iterable[Mail]) -> Scrubber:
        names = {customer.name, customer.registration_number or ""} - {"", placeholder(customer.id)}
        return cls(tuple(sorted((n for n in names if len(n.strip()) >= 2), key=len, reverse=True)),
                   placeholder(customer.id))

    def text(self, value: str) -> str:
        out = _QUOTED.sub(lambda m: m.group(0)[0] + ERASED + m.group(0)[-1], value)
        out = _EMAIL.sub(ERASED_ADDRESS, out)
        for name in self.names:
            out = re.sub(re.escape(name), self.replacement, out, flags=re.IGNORECASE)
        return out

    def data(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: (ERASED if k in PERSONAL_KEYS and v not in (None, "", [], {})
                        else v if k in STAFF_KEYS else self.data(v)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.data(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value


def _erase_customer_row(session: Session, customer: Customer, report: Erasure) -> None:
    customer.name = placeholder(customer.id)
    customer.registration_number = None
    for contact in list(session.scalars(select(Contact).where(Contact.customer_id == customer.id))):
        session.delete(contact)
        report.contacts_removed += 1
    session.flush()
    session.expire(customer, ["contacts"])


def _erase_mail(mail: Mail, scrub: Scrubber) -> bool:
    """Bytes, subject, addresses and analysis go; direction, status, stage, ids, digest, intent and times stay
    (the digest is a one-way hash: it still tells a re-fetched copy from a new mail)."""
    before = (mail.raw, mail.subject, mail.from_addr, mail.to_addrs, mail.analysis, mail.error)
    mail.raw = None
    mail.subject = ERASED
    mail.from_addr = ""
    mail.to_addrs = ""
    mail.analysis = {"erased": True}
    mail.error = scrub.text(mail.error) if mail.error else mail.error
    return before != (mail.raw, mail.subject, mail.from_addr, mail.to_addrs, mail.analysis, mail.error)


def _by_person(actor: str) -> bool:
    return actor.startswith("user:")


def _scrub_event(event: Event, scrub: Scrubber) -> bool:
    """Free text a person wrote goes whole (it may say anything about the customer); text the system wrote
    loses names, addresses and quotes; data keeps amounts, states and kinds."""
    if event.kind == ERASED_EVENT or (event.data or {}).get("erasure"):
        return False
    reason = ERASED if event.reason and _by_person(event.actor) else scrub.text(event.reason or "")
    data = scrub.data(event.data or {})
    changed = (reason, data) != (event.reason, event.data)
    event.reason, event.data = reason, data
    return changed


def _scrub_review(item: ReviewItem, scrub: Scrubber) -> bool:
    summary = scrub.text(item.summary or "")
    data = scrub.data(item.data or {})
    resolution = ERASED if item.resolution else item.resolution
    changed = (summary, data, resolution) != (item.summary, item.data, item.resolution)
    item.summary, item.data, item.resolution = summary, data, resolution
    return changed


def _stop_chasing(session: Session, case: Case, mails: list[Mail], actor: str, report: Erasure) -> None:
    """A forced erasure leaves no address: the ladder stops and what was queued for this case is cancelled."""
    for mail in mails:
        if mail.case_id == case.id and mail.direction == "out" and mail.status == "pending":
            mail.status = "cancelled"
    if CaseState(case.state).chases:
        ledger.transition(session, case, CaseState.CONTACT_INVALID, actor=actor,
                          reason="personal data erased: no address left to send reminders to", erasure=True)
        report.stopped_cases.append(case.id)


def _record(session: Session, cases: list[Case], customer_id: int, actor: str, at: datetime,
            report: Erasure) -> None:
    """One event per case (or one without a case for a customer that has none): who erased and when."""
    targets: list[Case | None] = list(cases) or [None]
    for case in targets:
        event = ledger.record_event(session, case, ERASED_EVENT, actor=actor, reason="personal data erased on request",
                                    customer_id=customer_id, mails_erased=report.mails_erased,
                                    contacts_removed=report.contacts_removed)
        event.created_at = at
    session.flush()
