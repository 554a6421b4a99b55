"""What a classified reply does to its case: a table from intent to transition (DESIGN.md).

    paid            -> payment_claimed  (paused; never marked paid on the customer's word)  + review
    promise_to_pay  -> promised until the date + grace, then a 'promise missed' reminder
    payment_plan    -> plan_requested  (paused)                                              + review
    dispute         -> disputed        (paused)                                              + review
    auto_reply      -> ladder continues, next reminder not before the return date
    bounce          -> contact_invalid (permanent failures; a delay is only noted)          + review
    other           -> needs_review                                                          + review
A reply the trust rule (trust.py) does not accept never acts: a human intent holds the case in
needs_review, an out-of-office postpones nothing, a bounce invalidates no contact — and each opens a
review item saying why it was not trusted. Low confidence, a reply on a closed case, and a promised or
return date beyond the horizon (`promise_horizon_days` after the mail's date) go to a person too.
Every action is an event tied to the mail that caused it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from worker import ledger
from worker.db.models import Case, Contact, Mail
from worker.domain import CaseState, Classification, Intent, ReviewKind
from worker.inbound.trust import Trust

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class ActContext:
    session: Session
    case: Case
    mail: Mail
    result: Classification
    promise_grace_days: int
    horizon_days: int = 60
    anchor: datetime | None = None  # the mail's date (never later than its receipt); None = its receipt

    @property
    def latest_date(self) -> date:
        """The last promised or return date accepted without a person."""
        received = self.mail.created_at if self.mail.created_at.tzinfo else self.mail.created_at.replace(tzinfo=UTC)
        anchor = min(self.anchor, received) if self.anchor is not None else received
        return anchor.date() + timedelta(days=self.horizon_days)


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
    if promised > ctx.latest_date:
        return _pause(CaseState.NEEDS_REVIEW, ReviewKind.UNCLEAR,
                      f"promised date {promised.isoformat()} is more than {ctx.horizon_days} days after the mail: "
                      "a person decides")(ctx)
    ctx.case.promised_date = promised
    resume = datetime.combine(promised + timedelta(days=ctx.promise_grace_days), time(0), UTC)
    _move(ctx, CaseState.PROMISED, f"customer promised to pay by {promised.isoformat()}", next_action_at=resume,
          promised_date=promised)
    return CaseState.PROMISED.value


def _auto_reply(ctx: ActContext) -> str:
    back = ctx.result.return_date
    if back is not None and back > ctx.latest_date:
        ledger.record_event(ctx.session, ctx.case, "auto_reply", actor=ledger.CUSTOMER, mail=ctx.mail,
                            reason="automatic reply with a far return date: not postponed", return_date=back)
        ledger.open_review(ctx.session, ReviewKind.UNCLEAR, case=ctx.case, mail=ctx.mail,
                           summary=f"out-of-office says back on {back.isoformat()}, more than {ctx.horizon_days} "
                                   "days after the mail: not postponed; a person decides", return_date=back)
        return ctx.case.state
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


def _unsure(result: Classification) -> str:
    """The review summary of a reply read without enough confidence: the two likeliest intents and why."""
    guesses = ", ".join(f"{i.value} {p:.0%}" for i, p in result.alternatives) or (
        f"{result.intent.value} {result.confidence:.0%}")
    why = f"; it says: \u201c{result.why[0][:160]}\u201d" if result.why else ""
    return f"unsure what the reply means (likeliest {guesses}){why}"


def act_on_reply(ctx: ActContext, *, trust: Trust, min_confidence: float) -> str:
    """Apply the reply to its case; returns the case state after it."""
    intent = ctx.result.intent
    if not CaseState(ctx.case.state).is_open:
        ledger.record_event(ctx.session, ctx.case, "reply_on_closed_case", actor=ledger.CUSTOMER, mail=ctx.mail,
                            intent=intent.value)
        ledger.open_review(ctx.session, ReviewKind.UNCLEAR, case=ctx.case, mail=ctx.mail,
                           summary=f"reply ({intent.value}) on a {ctx.case.state} case")
        return ctx.case.state
    if not trust.acts:
        return _untrusted(ctx, trust)
    if ctx.result.confidence < min_confidence and intent not in (Intent.AUTO_REPLY, Intent.BOUNCE):
        return _pause(CaseState.NEEDS_REVIEW, ReviewKind.UNCLEAR, _unsure(ctx.result))(ctx)
    return ACTIONS[intent](ctx)


def _untrusted(ctx: ActContext, trust: Trust) -> str:
    """Not trusted: nothing the mail asks for happens by itself, and a person is always told why."""
    intent = ctx.result.intent
    data = {"intent": intent.value, "confidence": round(ctx.result.confidence, 3), "untrusted": trust.basis}
    if intent in (Intent.AUTO_REPLY, Intent.BOUNCE):
        what = "out-of-office: nothing postponed" if intent == Intent.AUTO_REPLY \
            else "bounce: no contact marked invalid"
        ledger.record_event(ctx.session, ctx.case, f"{intent.value}_unverified", actor=ledger.CUSTOMER,
                            mail=ctx.mail, reason=f"not trusted: {trust.why}", **data)
        ledger.open_review(ctx.session, ReviewKind.BOUNCE if intent == Intent.BOUNCE else ReviewKind.UNCLEAR,
                           case=ctx.case, mail=ctx.mail, summary=f"unverified {what} — {trust.why}", **data)
        return ctx.case.state
    if CaseState(ctx.case.state).chases:  # hold the next reminder; a paused case keeps its state
        why = f"not acted on (looks like {intent.value}): {trust.why}; chasing held until a person decides"
        _move(ctx, CaseState.NEEDS_REVIEW, why)
    else:
        why = f"not acted on (looks like {intent.value}): {trust.why}; the case stays {ctx.case.state}"
        ledger.record_event(ctx.session, ctx.case, "reply_unverified", actor=ledger.CUSTOMER, mail=ctx.mail,
                            reason=why, **data)
    ledger.open_review(ctx.session, ReviewKind.UNCLEAR, case=ctx.case, mail=ctx.mail, summary=why, **data)
    return ctx.case.state


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
