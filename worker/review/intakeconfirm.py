"""Confirm, don't guess: a person checks what intake read from a forwarded invoice and opens its case.

An "intake" review item keeps, per invoice it doubted, the fields intake read (`extracted`). The
reviewer sees the invoice's page beside them, corrects any, and confirms; the values go through the
same checks as every door (worker/money.py, worker/validation.py) and the case opens through the
same function intake uses (`worker.intake.route.open_invoice`), this time with the person's name on
it, which is what lets an address from the mail become a contact. Every field the person changed is
kept beside the machine's value on the item and in the case's `intake_confirmed` event: labelled data
for the reader (`correction_rows`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from worker import ledger
from worker.db.models import Case, Mail, ReviewItem
from worker.domain import ExtractedInvoice, ReviewKind
from worker.intake.route import open_invoice
from worker.money import normalise_currency, parse_form_amount
from worker.review.decisions import DecisionError
from worker.settings import Settings
from worker.validation import check_date, check_invoice, check_invoice_number, storable

log = structlog.get_logger(__name__)

FIELDS = ("number", "customer_name", "customer_email", "amount", "currency", "issue_date", "due_date")
LABELS = {"number": "Invoice number", "customer_name": "Customer name", "customer_email": "Customer email",
          "amount": "Amount (total due)", "currency": "Currency", "issue_date": "Issue date",
          "due_date": "Due date"}
MAX_NAME = 200
_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")


class ConfirmError(DecisionError):
    """Values a person typed that the checks refuse: one message per field, nothing changed."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{LABELS.get(k, k)}: {v}" for k, v in problems.items()))


@dataclass(frozen=True)
class Confirmed:
    number: str
    customer_name: str | None
    customer_email: str
    amount: Decimal
    currency: str
    issue_date: date | None
    due_date: date

    def as_form(self) -> dict[str, str]:
        """The values as the form and the extracted contract write them (strings, '' for none)."""
        return {"number": self.number, "customer_name": self.customer_name or "",
                "customer_email": self.customer_email, "amount": format(self.amount, "f"),
                "currency": self.currency, "issue_date": self.issue_date.isoformat() if self.issue_date else "",
                "due_date": self.due_date.isoformat()}


def to_confirm(item: ReviewItem) -> list[dict[str, Any]]:
    """The invoices of an intake item, each with its machine values as form text and whether it is done.
    An item with none (the sender was refused, the PDF could not be read) offers one empty form."""
    invoices = list((item.data or {}).get("invoices") or [])
    rows = []
    for index, doubt in enumerate(invoices):
        extracted = doubt.get("extracted") or {}
        rows.append({"index": index, "why": doubt.get("why", ""), "source": doubt.get("source", ""),
                     "values": {k: "" if extracted.get(k) is None else str(extracted[k]) for k in FIELDS},
                     "confirmed": doubt.get("confirmed"), "case_id": doubt.get("case_id")})
    if not rows:
        rows.append({"index": 0, "why": "nothing was read: type the invoice from its page", "source": "",
                     "values": dict.fromkeys(FIELDS, ""), "confirmed": None, "case_id": None})
    return rows


def _date(text: str, field: str, *, required: bool) -> date | None:
    text = text.strip()
    if not text:
        if required:
            raise ValueError("give a date as YYYY-MM-DD")
        return None
    try:
        value = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        value = None
    if value is None:
        raise ValueError(f"{text[:20]!r} is not a date: write YYYY-MM-DD")
    return check_date(value, field.replace("_", " "))


def read_values(form: dict[str, str]) -> Confirmed:
    """The typed fields through the shared checks; ConfirmError names every field that fails."""
    problems: dict[str, str] = {}
    out: dict[str, Any] = {}

    def take(field: str, check: Any) -> None:
        try:
            out[field] = check(form.get(field, ""))
        except ValueError as exc:
            problems[field] = str(exc)

    take("number", check_invoice_number)
    take("customer_name", _name)
    take("customer_email", _email)
    take("currency", normalise_currency)
    currency = out.get("currency")
    take("amount", lambda t: parse_form_amount(t, currency, allow_zero=False))
    take("issue_date", lambda t: _date(t, "issue_date", required=False))
    take("due_date", lambda t: _date(t, "due_date", required=True))
    if not problems and out["issue_date"] and out["due_date"] < out["issue_date"]:
        problems["due_date"] = "the due date is before the issue date"
    if not problems:
        try:
            check_invoice(number=out["number"], amount=out["amount"], currency=out["currency"],
                          due_date=out["due_date"], issue_date=out["issue_date"])
        except ValueError as exc:
            problems["number"] = str(exc)
    if problems:
        raise ConfirmError(problems)
    return Confirmed(**out)


def _name(text: str) -> str | None:
    name = storable(" ".join(text.split()))
    if len(name) > MAX_NAME:
        raise ValueError(f"at most {MAX_NAME} characters")
    return name or None


def _email(text: str) -> str:
    email = text.strip().lower()
    if not email:
        raise ValueError("give the address reminders go to")
    if len(email) > 320 or not _EMAIL.match(email):
        raise ValueError(f"{email[:60]!r} is not a mail address")
    return email


def _intake_item(session: Session, item_id: int) -> ReviewItem:
    item = session.get(ReviewItem, item_id)
    if item is None:
        raise DecisionError(f"review item {item_id} does not exist")
    if item.kind != ReviewKind.INTAKE.value or item.case_id is not None:
        raise DecisionError(f"review item {item.id} is not an invoice to confirm")
    if item.status != "open":
        raise DecisionError(f"review item {item.id} is already done")
    return item


def confirm(session: Session, item_id: int, index: int, form: dict[str, str], *, actor: str,
            settings: Settings) -> Case:
    """Open the case for invoice `index` of an intake item with the values a person confirmed.

    The item closes once every invoice on it is confirmed; the case's `intake_confirmed` event says who
    confirmed and keeps machine and confirmed values per field."""
    item = _intake_item(session, item_id)
    data = dict(item.data or {})
    invoices = [dict(d) for d in data.get("invoices") or []]
    if not 0 <= index <= len(invoices) or (index == len(invoices) and invoices):
        raise DecisionError(f"review item {item.id} has no invoice {index + 1}")
    if index == len(invoices):  # nothing was read: the person typed it all
        invoices.append({"why": "typed by a person", "extracted": {}, "source": "review"})
    doubt = invoices[index]
    if doubt.get("confirmed"):
        raise DecisionError(f"invoice {index + 1} of item {item.id} is already confirmed (case {doubt.get('case_id')})")
    values = read_values(form)
    mail = session.get(Mail, item.mail_id) if item.mail_id else None
    if mail is None:
        raise DecisionError(f"review item {item.id} has no forwarded mail to open a case from")
    language = doubt.get("language")
    inv = ExtractedInvoice(number=values.number, customer_name=values.customer_name,
                           customer_email=values.customer_email, amount=values.amount, currency=values.currency,
                           issue_date=values.issue_date, due_date=values.due_date,
                           language=language if isinstance(language, str) else None,
                           source=str(doubt.get("source") or "review"), notes=("confirmed by a person",))
    case = open_invoice(session, inv, settings, mail, confirmed_by=actor)
    if case is None:
        raise ConfirmError({"number": f"invoice {values.number} already has a case: check the number"})
    machine = {k: (doubt.get("extracted") or {}).get(k) for k in FIELDS}
    confirmed = values.as_form()
    corrections = {k: {"machine": machine[k], "confirmed": confirmed[k] or None}
                   for k in FIELDS if (machine[k] or "") != confirmed[k]}
    ledger.record_event(session, case, "intake_confirmed", actor=actor, mail=mail,
                        reason=f"invoice fields confirmed by {actor.removeprefix('user:')}",
                        review_id=item.id, machine=machine, confirmed=confirmed, corrected=sorted(corrections))
    invoices[index] = {**doubt, "confirmed": confirmed, "corrections": corrections, "confirmed_by": actor,
                       "case_id": case.id}
    data["invoices"] = invoices
    item.data = data  # a new dict, so the JSON column sees the change
    if all(d.get("confirmed") for d in invoices):
        cases = ", ".join(str(d["case_id"]) for d in invoices)
        ledger.close_review(session, item, actor=actor, resolution=f"confirmed by {actor}: case {cases}")
    log.info("intake_confirmed", review_id=item.id, case_id=case.id, corrected=len(corrections))
    return case


def correction_rows(session: Session) -> list[dict[str, Any]]:
    """Every invoice a person confirmed, machine values beside confirmed ones: labelled data for intake."""
    items = session.scalars(select(ReviewItem).where(ReviewItem.kind == ReviewKind.INTAKE.value)
                            .order_by(ReviewItem.id))
    rows = []
    for item in items:
        for doubt in (item.data or {}).get("invoices") or []:
            if doubt.get("confirmed"):
                rows.append({"review_id": item.id, "mail_id": item.mail_id, "case_id": doubt.get("case_id"),
                             "source": doubt.get("source"), "machine": doubt.get("extracted") or {},
                             "confirmed": doubt["confirmed"], "corrected": sorted(doubt.get("corrections") or {}),
                             "confirmed_by": doubt.get("confirmed_by")})
    return rows


def pdf_attachments(raw: bytes | None) -> list[tuple[str, bytes]]:
    """(name, bytes) of every PDF in a stored mail, found as intake finds them; [] for a mail that
    cannot be parsed (the page then shows the mail's text)."""
    if not raw:
        return []
    from worker.inbound.mime import parse_mail
    from worker.intake.document import sniff

    try:
        attachments = parse_mail(raw).attachments
    except Exception as exc:  # the review page must render for every stored mail
        log.warning("intake_mail_unparsable", error=type(exc).__name__)
        return []
    return [(a.filename or f"attachment {n + 1}.pdf", a.payload) for n, a in enumerate(attachments)
            if sniff(a.filename, a.content_type, a.payload) == "pdf"]
