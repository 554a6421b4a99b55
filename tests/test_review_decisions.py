"""Every review decision: an event with who and why, the case moved on, the review item closed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.e2e.seed import Seeded, seed
from worker.db.models import Event, Instalment, ReviewItem, utcnow
from worker.domain import Intent, ReviewKind
from worker.review import actions, decisions
from worker.review.decisions import DecisionError

WHO = "user:rev@example.com"


@pytest.fixture
def seeded(session: Session) -> Seeded:
    data = seed(session)
    session.commit()
    return data


def _events(session: Session, case_id: int, kind: str) -> list[Event]:
    return list(session.scalars(select(Event).where(Event.case_id == case_id, Event.kind == kind)))


def _item(session: Session, seeded: Seeded, kind: ReviewKind) -> ReviewItem:
    item = session.get(ReviewItem, seeded.items[kind])
    assert item is not None
    return item


def test_resume_after_rejected_dispute(session: Session, seeded: Seeded) -> None:
    """Rejecting a dispute puts the case back on the ladder now, says who and why, and closes the item."""
    item = _item(session, seeded, ReviewKind.DISPUTE)
    now = datetime(2026, 11, 1, 9, tzinfo=UTC)
    decisions.resume_chasing(session, seeded.dispute.id, actor=WHO, reason="delivery note shows 12", item=item,
                             now=now)
    session.commit()
    assert seeded.dispute.state == "active"
    assert seeded.dispute.next_action_at == now
    change = _events(session, seeded.dispute.id, "state_changed")[-1]
    assert (change.actor, change.reason, change.data["to_state"]) == (WHO, "delivery note shows 12", "active")
    assert item.status == "done" and "delivery note" in (item.resolution or "")


def test_adjust_amount_sets_balance_and_resumes(session: Session, seeded: Seeded) -> None:
    """Adjusting the amount keeps old and new balance in an event and resumes chasing the new one."""
    decisions.adjust_amount(session, seeded.dispute.id, Decimal("110000"), actor=WHO, reason="10 units, not 12",
                            item=_item(session, seeded, ReviewKind.DISPUTE))
    assert seeded.dispute.invoice.balance == Decimal("110000")
    event = _events(session, seeded.dispute.id, "amount_adjusted")[0]
    assert event.data["old_balance"] == "132000.0000" and event.data["new_balance"] == "110000"
    assert seeded.dispute.state == "active"


def test_full_credit_note_closes_the_case(session: Session, seeded: Seeded) -> None:
    """A credit note for the whole balance marks the invoice credited and closes the case."""
    decisions.record_credit_note(session, seeded.dispute.id, Decimal("132000"), actor=WHO, reason="goods returned",
                                 reference="CN-7", item=_item(session, seeded, ReviewKind.DISPUTE))
    assert seeded.dispute.invoice.status == "credited" and seeded.dispute.invoice.balance == 0
    assert seeded.dispute.state == "closed"


def test_partial_credit_note_resumes_for_the_rest(session: Session, seeded: Seeded) -> None:
    """A partial credit note lowers the balance and the ladder chases what is left."""
    decisions.record_credit_note(session, seeded.dispute.id, Decimal("22000"), actor=WHO, reason="2 units")
    assert seeded.dispute.invoice.balance == Decimal("110000") and seeded.dispute.state == "active"


def test_write_off_closes(session: Session, seeded: Seeded) -> None:
    """Writing off closes the case and marks the invoice written off."""
    decisions.write_off(session, seeded.dispute.id, actor=WHO, reason="not worth pursuing")
    assert seeded.dispute.state == "closed" and seeded.dispute.invoice.status == "written_off"
    assert _events(session, seeded.dispute.id, "written_off")[0].actor == WHO


def test_settlement_is_recorded_on_the_case(session: Session, seeded: Seeded) -> None:
    """A settlement keeps its amount and deadline on the case; one above the balance is refused."""
    with pytest.raises(DecisionError):
        decisions.offer_settlement(session, seeded.dispute.id, Decimal("200000"), date(2026, 12, 31), actor=WHO,
                                   reason="x")
    decisions.offer_settlement(session, seeded.dispute.id, Decimal("100000"), date(2026, 12, 31), actor=WHO,
                               reason="settle")
    assert seeded.dispute.settlement_amount == Decimal("100000")
    assert seeded.dispute.settlement_due == date(2026, 12, 31)
    assert seeded.dispute.state == "active"


def test_approve_plan_schedules_the_first_instalment(session: Session, seeded: Seeded) -> None:
    """Approving a plan stores the instalments and wakes the case at the first one's reminder time."""
    plan = actions.instalments("2026-12-01 300\n2027-01-01 300\n2027-02-01 300")
    decisions.approve_plan(session, seeded.plan.id, plan, actor=WHO, reason="agreed by phone",
                           item=_item(session, seeded, ReviewKind.PLAN_REQUEST))
    session.commit()
    rows = session.scalars(select(Instalment).where(Instalment.case_id == seeded.plan.id)
                           .order_by(Instalment.seq)).all()
    assert [(r.seq, r.amount, r.due_date) for r in rows] == [
        (1, Decimal("300"), date(2026, 12, 1)), (2, Decimal("300"), date(2027, 1, 1)),
        (3, Decimal("300"), date(2027, 2, 1))]
    assert seeded.plan.state == "on_plan"
    # the scheduler looks at once; the ladder planner then waits until just before each instalment
    assert seeded.plan.next_action_at is not None and seeded.plan.next_action_at <= utcnow()


def test_plan_must_add_up_to_the_balance(session: Session, seeded: Seeded) -> None:
    """A plan whose instalments do not sum to the balance is refused and nothing changes."""
    with pytest.raises(DecisionError, match="add up"):
        decisions.approve_plan(session, seeded.plan.id, [(Decimal("100"), date(2026, 12, 1))], actor=WHO,
                               reason="x")
    assert seeded.plan.state == "plan_requested"


def test_decline_plan_resumes(session: Session, seeded: Seeded) -> None:
    """Declining a plan records why and resumes the ladder."""
    decisions.decline_plan(session, seeded.plan.id, actor=WHO, reason="too long",
                           item=_item(session, seeded, ReviewKind.PLAN_REQUEST))
    assert seeded.plan.state == "active" and _events(session, seeded.plan.id, "plan_declined")


def test_confirm_paid_closes_invoice(session: Session, seeded: Seeded) -> None:
    """Confirming a claimed payment zeroes the balance, marks it paid and the case paid."""
    decisions.confirm_paid(session, seeded.claim.id, actor=WHO, reason="seen on statement",
                           item=_item(session, seeded, ReviewKind.PAYMENT_CLAIM))
    assert seeded.claim.invoice.balance == 0 and seeded.claim.invoice.status == "paid"
    assert seeded.claim.state == "paid"


def test_not_received_resumes_with_its_own_template(session: Session, seeded: Seeded) -> None:
    """'Not received' resumes now with the payment_not_received template for the next send."""
    now = datetime(2026, 11, 2, tzinfo=UTC)
    decisions.payment_not_received(session, seeded.claim.id, actor=WHO, reason="nothing on statement", now=now)
    assert seeded.claim.state == "active" and seeded.claim.next_template == "payment_not_received"
    assert seeded.claim.next_action_at == now


def test_fix_contact_with_new_address(session: Session, seeded: Seeded) -> None:
    """A new address for a bounced customer is added and the case resumes; no address is refused."""
    with pytest.raises(DecisionError):
        decisions.fix_contact(session, seeded.bounce.id, actor=WHO, reason="x")
    decisions.fix_contact(session, seeded.bounce.id, actor=WHO, reason="new AP inbox", new_email="AP@cedar.example",
                          item=_item(session, seeded, ReviewKind.BOUNCE))
    emails = {c.email: c.invalid_reason for c in seeded.bounce.customer.contacts}
    assert emails == {"old@cedar.example": "550 5.1.1 user unknown", "ap@cedar.example": None}
    assert seeded.bounce.state == "active"


def test_fix_contact_by_clearing_the_mark(session: Session, seeded: Seeded) -> None:
    """Clearing the bounce mark on a contact the reviewer vouches for makes it usable again."""
    decisions.fix_contact(session, seeded.bounce.id, actor=WHO, reason="mailbox restored",
                          clear=["old@cedar.example"])
    assert seeded.bounce.customer.contacts[0].invalid_reason is None


def test_attach_unplaced_reply(session: Session, seeded: Seeded) -> None:
    """An unplaced reply attached to a case joins its timeline with an event saying who placed it."""
    decisions.attach_mail(session, seeded.unplaced_mail.id, seeded.claim.id, actor=WHO, reason="same sender domain",
                          item=_item(session, seeded, ReviewKind.UNPLACED))
    assert seeded.unplaced_mail.case_id == seeded.claim.id
    assert _events(session, seeded.claim.id, "mail_attached")[0].mail_id == seeded.unplaced_mail.id


def test_reclassify_keeps_feedback(session: Session, seeded: Seeded) -> None:
    """A corrected intent is stored on the mail beside the machine's and exported as feedback."""
    decisions.reclassify(session, seeded.unplaced_mail.id, Intent.PROMISE_TO_PAY, actor=WHO, reason="misread")
    session.commit()
    assert seeded.unplaced_mail.intent == "promise_to_pay"
    rows = decisions.feedback_rows(session)
    assert [(r["machine_intent"], r["intent"]) for r in rows] == [("other", "promise_to_pay")]
    assert "Which invoice" in rows[0]["reply_text"]


def test_pause_and_resume_by_hand(session: Session, seeded: Seeded) -> None:
    """Any case can be paused (stops chasing) and resumed by a person."""
    decisions.pause(session, seeded.claim.id, actor=WHO, reason="customer called")
    assert seeded.claim.state == "needs_review" and seeded.claim.next_action_at is None
    decisions.resume_chasing(session, seeded.claim.id, actor=WHO, reason="call done")
    assert seeded.claim.state == "active" and seeded.claim.next_action_at is not None


def test_assign_note_and_done(session: Session, seeded: Seeded) -> None:
    """Assigning, noting and marking done are each kept in the trail; done twice is refused."""
    item = _item(session, seeded, ReviewKind.PAYMENT_CLAIM)
    decisions.assign(session, item, "Ana@Example.com", actor=WHO)
    decisions.add_note(session, seeded.claim.id, "rang them", actor=WHO)
    decisions.mark_done(session, item, actor=WHO, reason="handled elsewhere")
    assert item.assignee == "ana@example.com" and item.status == "done"
    assert _events(session, seeded.claim.id, "note")[0].reason == "rang them"
    with pytest.raises(DecisionError):
        decisions.mark_done(session, item, actor=WHO, reason="again")


def test_a_decision_needs_a_reason(session: Session, seeded: Seeded) -> None:
    """A decision without a reason is refused: the trail must say why."""
    with pytest.raises(DecisionError, match="why"):
        decisions.write_off(session, seeded.dispute.id, actor=WHO, reason="  ")


def test_instalment_lines_parse_both_orders() -> None:
    """Instalments read as 'date amount' or 'amount date', separated by lines or semicolons."""
    assert actions.instalments("2026-12-01 300; 300 2027-01-01") == [
        (Decimal("300"), date(2026, 12, 1)), (Decimal("300"), date(2027, 1, 1))]
    with pytest.raises(DecisionError):
        actions.instalments("next month 300")
