"""What a reviewer can decide. Plain functions: the web app and the CLI call the same ones.

Each decision records an Event with who (`user:<email>`) and why, moves the case on through
ledger.transition, and closes the review item it answers. None of them commits: the caller's one
transaction does (one per web request or CLI command).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from worker import ledger
from worker.db.models import Case, Contact, Mail, ReviewItem, utcnow
from worker.domain import CaseState, Intent
from worker.errors import NotFound

log = structlog.get_logger(__name__)

NOT_RECEIVED_TEMPLATE = "payment_not_received"


class DecisionError(ValueError):
    """A decision that does not fit the item or case (shown to the reviewer, nothing changed)."""


def actor_for(email: str) -> str:
    return f"user:{email}"


def get_item(session: Session, item_id: int) -> ReviewItem:
    item = session.get(ReviewItem, item_id)
    if item is None:
        raise NotFound(f"review item {item_id} does not exist (see `dunmail review list`)")
    return item


def _close(session: Session, item: ReviewItem | None, actor: str, resolution: str) -> None:
    if item is not None and item.status == "open":
        ledger.close_review(session, item, actor=actor, resolution=resolution)


def _case(session: Session, case_id: int) -> Case:
    return ledger.get_case(session, case_id, lock=True)


def _resume(session: Session, case: Case, actor: str, reason: str, now: datetime, **data: Any) -> None:
    """Back on the ladder at once: the scheduler decides what is due from next_action_at."""
    case.paused_reason = None
    case.paused_until = None
    ledger.transition(session, case, CaseState.ACTIVE, actor=actor, reason=reason, next_action_at=now, **data)


def _require_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise DecisionError("say why: every decision keeps its reason in the case's trail")
    return reason


# --- disputes ---------------------------------------------------------------------------------------

def resume_chasing(session: Session, case_id: int, *, actor: str, reason: str,
                   item: ReviewItem | None = None, now: datetime | None = None) -> Case:
    """Dispute rejected, plan declined, contact fixed, or a manual resume: the ladder goes on."""
    case = _case(session, case_id)
    _resume(session, case, actor, _require_reason(reason), now or utcnow(), decision="resume")
    _close(session, item, actor, f"resumed: {reason}")
    return case


def adjust_amount(session: Session, case_id: int, new_balance: Decimal, *, actor: str, reason: str,
                  item: ReviewItem | None = None, now: datetime | None = None) -> Case:
    """The customer was right about the amount: a new balance, then chasing resumes for that."""
    if new_balance <= 0:
        raise DecisionError("a new balance must be above zero (record a credit note or write off instead)")
    case = _case(session, case_id)
    old = case.invoice.balance
    case.invoice.balance = new_balance
    ledger.record_event(session, case, "amount_adjusted", actor=actor, reason=_require_reason(reason),
                        old_balance=old, new_balance=new_balance, currency=case.invoice.currency)
    _resume(session, case, actor, reason, now or utcnow(), decision="adjust_amount")
    _close(session, item, actor, f"amount adjusted to {new_balance}: {reason}")
    return case


def record_credit_note(session: Session, case_id: int, amount: Decimal, *, actor: str, reason: str,
                       reference: str = "", item: ReviewItem | None = None,
                       now: datetime | None = None) -> Case:
    """A credit note lowers the balance; a fully credited invoice closes the case."""
    if amount <= 0:
        raise DecisionError("a credit note's amount must be above zero")
    case = _case(session, case_id)
    invoice = case.invoice
    invoice.balance = max(Decimal("0"), invoice.balance - amount)
    ledger.record_event(session, case, "credit_note", actor=actor, reason=_require_reason(reason),
                        amount=amount, reference=reference, balance=invoice.balance)
    if invoice.balance == 0:
        invoice.status = "credited"
        ledger.transition(session, case, CaseState.CLOSED, actor=actor, reason=reason, decision="credit_note")
    else:
        _resume(session, case, actor, reason, now or utcnow(), decision="credit_note")
    _close(session, item, actor, f"credit note {amount}: {reason}")
    return case


def write_off(session: Session, case_id: int, *, actor: str, reason: str,
              item: ReviewItem | None = None) -> Case:
    case = _case(session, case_id)
    ledger.record_event(session, case, "written_off", actor=actor, reason=_require_reason(reason),
                        amount=case.invoice.balance, currency=case.invoice.currency)
    case.invoice.status = "written_off"
    ledger.transition(session, case, CaseState.CLOSED, actor=actor, reason=reason, decision="write_off")
    _close(session, item, actor, f"written off: {reason}")
    return case


def offer_settlement(session: Session, case_id: int, amount: Decimal, due: date, *, actor: str, reason: str,
                     item: ReviewItem | None = None, now: datetime | None = None) -> Case:
    """A reduced amount with its own deadline; the ladder mentions it until then."""
    case = _case(session, case_id)
    if not Decimal("0") < amount < case.invoice.balance:
        raise DecisionError(f"a settlement must be above zero and below the balance {case.invoice.balance}")
    case.settlement_amount = amount
    case.settlement_due = due
    ledger.record_event(session, case, "settlement_offered", actor=actor, reason=_require_reason(reason),
                        amount=amount, due=due, currency=case.invoice.currency)
    _resume(session, case, actor, reason, now or utcnow(), decision="offer_settlement")
    _close(session, item, actor, f"settlement {amount} by {due.isoformat()}: {reason}")
    return case


# --- payment plans ----------------------------------------------------------------------------------

def approve_plan(session: Session, case_id: int, instalments: Sequence[tuple[Decimal, date]], *, actor: str,
                 reason: str, item: ReviewItem | None = None) -> Case:
    """Instalment rows, case on_plan; the scheduler looks at once and reminds before each instalment."""
    if not instalments:
        raise DecisionError("a plan needs at least one instalment")
    case = _case(session, case_id)
    total = sum((a for a, _ in instalments), Decimal("0"))
    if any(a <= 0 for a, _ in instalments):
        raise DecisionError("every instalment must be above zero")
    if total != case.invoice.balance:
        raise DecisionError(f"the instalments add up to {total}, the balance is {case.invoice.balance}")
    ledger.approve_payment_plan(session, case, instalments, actor=actor, reason=_require_reason(reason))
    _close(session, item, actor, f"plan approved, {len(instalments)} instalments: {reason}")
    return case


def decline_plan(session: Session, case_id: int, *, actor: str, reason: str,
                 item: ReviewItem | None = None, now: datetime | None = None) -> Case:
    case = _case(session, case_id)
    ledger.record_event(session, case, "plan_declined", actor=actor, reason=_require_reason(reason))
    _resume(session, case, actor, reason, now or utcnow(), decision="decline_plan")
    _close(session, item, actor, f"plan declined: {reason}")
    return case


# --- payment claims ---------------------------------------------------------------------------------

def confirm_paid(session: Session, case_id: int, *, actor: str, reason: str,
                 item: ReviewItem | None = None) -> Case:
    case = _case(session, case_id)
    paid = case.invoice.balance
    case.invoice.balance = Decimal("0")
    case.invoice.status = "paid"
    ledger.transition(session, case, CaseState.PAID, actor=actor, reason=_require_reason(reason),
                      decision="confirm_paid", amount=paid)
    _close(session, item, actor, f"payment confirmed: {reason}")
    return case


def payment_not_received(session: Session, case_id: int, *, actor: str, reason: str,
                         item: ReviewItem | None = None, now: datetime | None = None) -> Case:
    """Resume with a one-off reminder that says the payment has not arrived."""
    case = _case(session, case_id)
    case.next_template = NOT_RECEIVED_TEMPLATE
    _resume(session, case, actor, _require_reason(reason), now or utcnow(), decision="not_received")
    _close(session, item, actor, f"payment not received: {reason}")
    return case


# --- bounces, unplaced and misread replies ----------------------------------------------------------

def fix_contact(session: Session, case_id: int, *, actor: str, reason: str, new_email: str = "",
                clear: Sequence[str] = (), item: ReviewItem | None = None, now: datetime | None = None) -> Case:
    """Clear the bounce mark on contacts the reviewer vouches for and/or add a new address, then resume."""
    case = _case(session, case_id)
    customer = case.customer
    cleared = [c.email for c in customer.contacts if c.email in set(clear) and c.invalid_reason]
    for contact in customer.contacts:
        if contact.email in cleared:
            contact.invalid_reason = None
    added = ""
    if new_email.strip():
        if "@" not in new_email:
            raise DecisionError(f"{new_email!r} is not a mail address")
        contact = ledger.ensure_contact(session, customer, new_email)
        contact.invalid_reason = None
        added = contact.email
    if not cleared and not added:
        raise DecisionError("give a new address or pick a contact to clear")
    session.flush()
    if not ledger.active_contacts(customer):
        raise DecisionError("the customer still has no working address")
    ledger.record_event(session, case, "contact_fixed", actor=actor, reason=_require_reason(reason),
                        added=added, cleared=cleared)
    _resume(session, case, actor, reason, now or utcnow(), decision="fix_contact")
    _close(session, item, actor, f"contact fixed: {reason}")
    return case


def attach_mail(session: Session, mail_id: int, case_id: int, *, actor: str, reason: str,
                item: ReviewItem | None = None) -> Case:
    """Tie an unplaced reply to its case; the reviewer then decides on the case itself."""
    mail = session.get(Mail, mail_id)
    if mail is None:
        raise NotFound(f"mail {mail_id} does not exist")
    case = _case(session, case_id)
    mail.case_id = case.id
    ledger.record_event(session, case, "mail_attached", actor=actor, reason=_require_reason(reason), mail=mail)
    _close(session, item, actor, f"attached to case {case.id}: {reason}")
    return case


def reclassify(session: Session, mail_id: int, intent: Intent, *, actor: str, reason: str,
               item: ReviewItem | None = None) -> Mail:
    """Keep the corrected label beside the machine's: `feedback_rows` exports it for the corpus."""
    mail = session.get(Mail, mail_id)
    if mail is None:
        raise NotFound(f"mail {mail_id} does not exist")
    analysis = dict(mail.analysis or {})
    analysis["corrected_intent"] = intent.value
    analysis["corrected_by"] = actor
    analysis["corrected_at"] = utcnow().isoformat()
    analysis["machine_intent"] = analysis.get("machine_intent", mail.intent)
    mail.analysis = analysis  # a new dict, so the JSON column sees the change
    case = ledger.get_case(session, mail.case_id) if mail.case_id else None
    ledger.record_event(session, case, "reclassified", actor=actor, reason=_require_reason(reason), mail=mail,
                        old_intent=mail.intent, new_intent=intent.value)
    mail.intent = intent.value
    _close(session, item, actor, f"reclassified as {intent.value}: {reason}")
    return mail


def corrected_mails(session: Session) -> list[Mail]:
    """Every inbound mail whose intent a reviewer corrected, oldest first."""
    mails = session.scalars(select(Mail).where(Mail.direction == "in").order_by(Mail.id))
    return [mail for mail in mails if (mail.analysis or {}).get("corrected_intent")]


def feedback_rows(session: Session) -> list[dict[str, Any]]:
    """Every corrected label, for the classifier's corpus: one JSON-able row per mail."""
    rows = []
    for mail in corrected_mails(session):
        corrected = mail.analysis["corrected_intent"]
        rows.append({
            "mail_id": mail.id,
            "message_id": mail.message_id,
            "machine_intent": mail.analysis.get("machine_intent"),
            "intent": corrected,
            "language": mail.analysis.get("language"),
            "reply_text": mail.analysis.get("reply_text", ""),
            "raw": (mail.raw or b"").decode("utf-8", "replace"),
        })
    return rows


# --- any case, any item -----------------------------------------------------------------------------

def pause(session: Session, case_id: int, *, actor: str, reason: str,
          item: ReviewItem | None = None) -> Case:
    case = _case(session, case_id)
    case.paused_reason = _require_reason(reason)
    ledger.transition(session, case, CaseState.NEEDS_REVIEW, actor=actor, reason=reason, decision="pause")
    _close(session, item, actor, f"paused: {reason}")
    return case


def assign(session: Session, item: ReviewItem, assignee: str | None, *, actor: str) -> None:
    item.assignee = assignee.strip().lower() if assignee and assignee.strip() else None
    if item.case_id is not None:
        ledger.record_event(session, ledger.get_case(session, item.case_id), "assigned", actor=actor,
                            review_id=item.id, assignee=item.assignee)
    log.info("review_assigned", review_id=item.id, actor=actor)


def mark_done(session: Session, item: ReviewItem, *, actor: str, reason: str) -> None:
    if item.status != "open":
        raise DecisionError(f"review item {item.id} is already done")
    ledger.close_review(session, item, actor=actor, resolution=_require_reason(reason))


def add_note(session: Session, case_id: int, text: str, *, actor: str) -> None:
    text = text.strip()
    if not text:
        raise DecisionError("a note needs some text")
    ledger.record_event(session, _case(session, case_id), "note", actor=actor, reason=text)


def contacts_of(case: Case) -> list[Contact]:
    return list(case.customer.contacts)
