"""What a classified reply does to its case: a table from intent to transition (DESIGN.md).

    paid            -> payment_claimed  (paused; never marked paid on the customer's word)  + review
    promise_to_pay  -> promised until the date + grace, then a 'promise missed' reminder
    payment_plan    -> plan_requested  (paused)                                              + review
    dispute         -> disputed        (paused)                                              + review
    auto_reply      -> ladder continues, next reminder not before the return date
    bounce          -> contact_invalid (permanent failures; a delay is only noted)          + review
    other           -> needs_review                                                          + review
Low confidence, an unverifiable token, or a reply on a closed case goes to a person instead.
Every action is an event tied to the mail that caused it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from worker import ledger
from worker.db.models import Case, Contact, Mail
from worker.domain import CaseState, Classification, Intent, ReviewKind

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class ActContext:
    session: Session
    case: Case
    mail: Mail
    result: Classification
    promise_grace_days: int


def _pause(state: CaseState, review: ReviewKind | None, what: str) -> Callable[[ActContext], str]:
    def act(ctx: ActContext) -> str:
        _move(ctx, state, what)
        if review is not None:
            ledger.open_review(ctx.session, review, case=ctx.case, mail=ctx.mail, summary=what,
                               intent=ctx.result.intent.value, confidence=ctx.result.confidence)
        return state.value

    return act


def _promise(ctx: ActContext) -> str:
    promised = ctx.result.promised_date
    if promised is None:  # "we will pay soon": a person decides how long to wait
        return _pause(CaseState.NEEDS_REVIEW, ReviewKind.UNCLEAR, "promise to pay without a date")(ctx)
    ctx.case.promised_date = promised
    resume = datetime.combine(promised + timedelta(days=ctx.promise_grace_days), time(0), UTC)
    _move(ctx, CaseState.PROMISED, f"customer promised to pay by {promised.isoformat()}", next_action_at=resume,
          promised_date=promised)
    return CaseState.PROMISED.value


def _auto_reply(ctx: ActContext) -> str:
    back = ctx.result.return_date
    if back is not None:
        not_before = datetime.combine(back, time(0), UTC)
        if ctx.case.next_action_at is None or ctx.case.next_action_at < not_before:
            ctx.case.next_action_at = not_before
        ctx.case.paused_until = not_before
    ledger.record_event(ctx.session, ctx.case, "auto_reply", actor=ledger.CUSTOMER, mail=ctx.mail,
                        reason="automatic reply; the ladder continues", return_date=back)
    return ctx.case.state


def _bounce(ctx: ActContext) -> str:
    if ctx.result.bounce_permanent is False:
        ledger.record_event(ctx.session, ctx.case, "delivery_delayed", mail=ctx.mail,
                            reason="the receiving server is still trying",
                            recipients=list(ctx.result.bounce_recipients))
        return ctx.case.state
    failed = set(ctx.result.bounce_recipients)
    for contact in ctx.session.scalars(select(Contact).where(Contact.customer_id == ctx.case.customer_id)):
        if contact.email in failed or not failed:
            contact.invalid_reason = f"bounced (mail {ctx.mail.id})"
    return _pause(CaseState.CONTACT_INVALID, ReviewKind.BOUNCE, "reminder bounced: fix the contact")(ctx)


ACTIONS: dict[Intent, Callable[[ActContext], str]] = {
    Intent.PAID: _pause(CaseState.PAYMENT_CLAIMED, ReviewKind.PAYMENT_CLAIM, "customer says it has paid"),
    Intent.PROMISE_TO_PAY: _promise,
    Intent.PAYMENT_PLAN: _pause(CaseState.PLAN_REQUESTED, ReviewKind.PLAN_REQUEST, "customer asks for a payment plan"),
    Intent.DISPUTE: _pause(CaseState.DISPUTED, ReviewKind.DISPUTE, "customer disputes the invoice"),
    Intent.AUTO_REPLY: _auto_reply,
    Intent.BOUNCE: _bounce,
    Intent.OTHER: _pause(CaseState.NEEDS_REVIEW, ReviewKind.UNCLEAR, "reply needs a person"),
}


def act_on_reply(ctx: ActContext, *, trusted: bool, min_confidence: float) -> str:
    """Apply the reply to its case; returns the case state after it."""
    intent = ctx.result.intent
    if not CaseState(ctx.case.state).is_open:
        ledger.record_event(ctx.session, ctx.case, "reply_on_closed_case", actor=ledger.CUSTOMER, mail=ctx.mail,
                            intent=intent.value)
        ledger.open_review(ctx.session, ReviewKind.UNCLEAR, case=ctx.case, mail=ctx.mail,
                           summary=f"reply ({intent.value}) on a {ctx.case.state} case")
        return ctx.case.state
    if not trusted:
        return _pause(CaseState.NEEDS_REVIEW, ReviewKind.UNCLEAR,
                      "reply carried a reply token that does not verify")(ctx)
    if ctx.result.confidence < min_confidence and intent not in (Intent.AUTO_REPLY, Intent.BOUNCE):
        return _pause(CaseState.NEEDS_REVIEW, ReviewKind.UNCLEAR,
                      f"unsure what the reply means (best guess {intent.value}, "
                      f"confidence {ctx.result.confidence:.2f})")(ctx)
    return ACTIONS[intent](ctx)


def _move(ctx: ActContext, state: CaseState, why: str, **kwargs: object) -> None:
    data = {"intent": ctx.result.intent.value, "confidence": round(ctx.result.confidence, 3)}
    if CaseState(ctx.case.state) == state:
        ledger.record_event(ctx.session, ctx.case, "reply_received", actor=ledger.CUSTOMER, reason=why,
                            mail=ctx.mail, **data)
        if "next_action_at" in kwargs:
            ctx.case.next_action_at = kwargs["next_action_at"]  # type: ignore[assignment]
        return
    ledger.transition(ctx.session, ctx.case, state, actor=ledger.CUSTOMER, reason=why, mail=ctx.mail,
                      **data, **kwargs)  # type: ignore[arg-type]
