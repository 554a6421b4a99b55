"""Processing a stored reply: placed on the right case, acted on per intent, or put before a person."""

from __future__ import annotations

import email
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from email.utils import getaddresses, parseaddr

import pytest
from sqlalchemy import Engine, select

from worker import ledger
from worker.db.engine import transaction
from worker.db.models import Case, Contact, Customer, Mail, ReviewItem
from worker.domain import CaseState, Classification, Intent
from worker.errors import MailParseError
from worker.inbound.message import ParsedMail
from worker.inbound.process import Pipeline, process_inbound
from worker.inbound.store import store_inbound
from worker.outbound.deliver import deliver
from worker.outbound.smtp import FakeSender


def simple_parse(raw: bytes) -> ParsedMail:
    """Just enough parsing for these tests (the real parser has its own tests)."""
    if not raw.strip():
        raise MailParseError("empty message")
    msg = email.message_from_bytes(raw)
    tos = tuple(a.lower() for _, a in getaddresses(msg.get_all("To", [])))
    return ParsedMail(raw=raw, message=msg, message_id=(msg["Message-ID"] or "").strip("<>") or None,
                      in_reply_to=(msg["In-Reply-To"] or "").strip("<>") or None, references=(),
                      subject=msg["Subject"] or "", from_addr=parseaddr(msg["From"] or "")[1].lower(), from_name="",
                      to=tos, cc=(), date=None, text=msg.get_payload(), html=None)


def fixed(intent: Intent, confidence: float = 0.9, **kw: object) -> Pipeline:
    result = Classification(intent=intent, confidence=confidence, language="en", reply_text="...", **kw)  # type: ignore[arg-type]
    return Pipeline(parse=simple_parse, classify=lambda m: result,
                    verify_token=lambda t: int(t[4:]) if t.startswith("good") else None,
                    reply_localpart="ar", min_confidence=0.55, promise_grace_days=lambda policy: 2)


def _case(engine: Engine) -> int:
    with transaction(engine) as s:
        c = Customer(name="Acme", language="en", timezone="UTC", country="US")
        s.add(c)
        ledger.ensure_contact(s, c, "ap@acme.example")
        s.flush()
        inv, _ = ledger.upsert_invoice(s, customer=c, number="INV-77", amount=Decimal(100), currency="USD",
                                       issue_date=None, due_date=date(2026, 3, 31))
        return ledger.open_case(s, inv, policy="default", first_action_at=datetime(2026, 4, 1, tzinfo=UTC)).id


def _reply(engine: Engine, *, to: str = "ar@dunmail.example", subject: str = "Re: reminder",
           sender: str = "ap@acme.example", mid: str = "r1@acme.example", auth: str | None = None) -> int:
    extra = f"Authentication-Results: {auth}\r\n" if auth else ""
    raw = (f"{extra}From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{mid}>\r\n\r\n"
           "hello\r\n").encode()
    with transaction(engine) as s:
        return store_inbound(s, raw, mailbox="test")[0].id


def _state(engine: Engine, case_id: int) -> str:
    with transaction(engine) as s:
        return s.get(Case, case_id).state  # type: ignore[union-attr]


def _reviews(engine: Engine) -> list[str]:
    with transaction(engine) as s:
        return sorted(s.scalars(select(ReviewItem.kind)))


@pytest.mark.parametrize(("intent", "state", "review"), [
    (Intent.PAID, "payment_claimed", ["payment_claim"]),
    (Intent.DISPUTE, "disputed", ["dispute"]),
    (Intent.PAYMENT_PLAN, "plan_requested", ["plan_request"]),
    (Intent.OTHER, "needs_review", ["unclear"]),
])
def test_intent_moves_the_case_and_queues_review(engine: Engine, intent: Intent, state: str,
                                                 review: list[str]) -> None:
    """A reply placed by its signed token moves the case per the intent table and opens the right review."""
    case_id = _case(engine)
    result = process_inbound(engine, _reply(engine, to=f"ar+good{case_id}@dunmail.example"), fixed(intent))
    assert (result.status, result.case_id) == ("processed", case_id)
    assert _state(engine, case_id) == state
    assert _reviews(engine) == review


def test_promise_sets_date_and_wakes_after_grace(engine: Engine) -> None:
    """promise_to_pay → promised; the case wakes at promised date + grace to check the promise."""
    case_id = _case(engine)
    process_inbound(engine, _reply(engine, to=f"ar+good{case_id}@dunmail.example"),
                    fixed(Intent.PROMISE_TO_PAY, promised_date=date(2026, 4, 10)))
    with transaction(engine) as s:
        case = s.get(Case, case_id)
        assert case is not None
        assert (case.state, case.promised_date) == ("promised", date(2026, 4, 10))
        assert case.next_action_at == datetime(2026, 4, 12, tzinfo=UTC)


def test_low_confidence_goes_to_a_person(engine: Engine) -> None:
    """A guess below the threshold does not pause on the machine's word: it becomes needs_review."""
    case_id = _case(engine)
    process_inbound(engine, _reply(engine, to=f"ar+good{case_id}@dunmail.example"), fixed(Intent.PAID, 0.3))
    assert _state(engine, case_id) == "needs_review" and _reviews(engine) == ["unclear"]


def test_an_unsure_reply_reaches_a_person_with_its_two_likeliest_intents_and_why(engine: Engine) -> None:
    """Below the threshold the review item names the two likeliest intents and the deciding sentence, and the
    mail's stored analysis keeps both for the case page."""
    case_id = _case(engine)
    pipeline = fixed(Intent.PAID, 0.52, alternatives=((Intent.PAID, 0.52), (Intent.PROMISE_TO_PAY, 0.4)),
                     why=("the transfer is being set up",))
    mail_id = _reply(engine, to=f"ar+good{case_id}@dunmail.example")
    process_inbound(engine, mail_id, pipeline)
    with transaction(engine) as s:
        item = s.scalars(select(ReviewItem)).one()
        assert "paid 52%, promise_to_pay 40%" in item.summary and "the transfer is being set up" in item.summary
        analysis = s.get(Mail, mail_id).analysis  # type: ignore[union-attr]
        assert analysis["alternatives"] == [["paid", 0.52], ["promise_to_pay", 0.4]]
        assert analysis["why"] == ["the transfer is being set up"]


def test_forged_token_never_pauses_silently(engine: Engine) -> None:
    """A token that does not verify: even though the sender matches the case, a person decides."""
    case_id = _case(engine)
    process_inbound(engine, _reply(engine, to="ar+forged123@dunmail.example"), fixed(Intent.PAID))
    assert _state(engine, case_id) == "needs_review"


def test_placed_by_invoice_number_then_sender(engine: Engine) -> None:
    """Without a token, the invoice number in the subject places the reply; else the sender's address."""
    case_id = _case(engine)
    r1 = process_inbound(engine, _reply(engine, subject="Re: INV-77", sender="x@other.example"),
                         fixed(Intent.DISPUTE))
    assert r1.case_id == case_id
    case2 = _case_for_new_customer(engine)
    r2 = process_inbound(engine, _reply(engine, sender="keiri@kita.example", mid="r2@x"), fixed(Intent.PAID))
    assert r2.case_id == case2


def _case_for_new_customer(engine: Engine) -> int:
    with transaction(engine) as s:
        c = Customer(name="Kita", language="ja", timezone="Asia/Tokyo", country="JP")
        s.add(c)
        ledger.ensure_contact(s, c, "keiri@kita.example")
        s.flush()
        inv, _ = ledger.upsert_invoice(s, customer=c, number="KT-1", amount=Decimal(5000), currency="JPY",
                                       issue_date=None, due_date=date(2026, 3, 31))
        return ledger.open_case(s, inv, policy="default", first_action_at=None).id


def test_unplaced_reply_goes_to_review_unattached(engine: Engine) -> None:
    """A reply matching no case is kept and queued as unplaced."""
    _case(engine)
    result = process_inbound(engine, _reply(engine, sender="stranger@nowhere.example"), fixed(Intent.PAID))
    assert result.case_id is None and _reviews(engine) == ["unplaced"]


def test_bounce_flags_contacts_and_case(engine: Engine) -> None:
    """A permanent bounce from the failed address's mail server (authenticated by ours) naming a reminder we
    sent marks the failed contact invalid and the case contact_invalid."""
    case_id = _case(engine)
    with transaction(engine) as s:
        s.add(Mail(case_id=case_id, direction="out", status="sent", send_key=f"case:{case_id}:reminder_1",
                   stage="reminder_1", message_id="r.ourkeyedid@dunmail.example"))
    pipeline = replace(fixed(Intent.BOUNCE, bounce_recipients=("ap@acme.example",), bounce_permanent=True,
                             original_message_id="r.ourkeyedid@dunmail.example"), authserv_id="mx.ours.example")
    process_inbound(engine, _reply(engine, sender="mailer-daemon@mx.acme.example",
                                   auth="mx.ours.example; spf=pass smtp.helo=mx.acme.example"), pipeline)
    assert _state(engine, case_id) == "contact_invalid"
    with transaction(engine) as s:
        assert s.scalars(select(Contact.invalid_reason)).one() is not None


def test_unparseable_mail_is_kept_and_reviewed(engine: Engine) -> None:
    """A mail the parser rejects stays stored (raw) with status failed and a parse_failed review."""
    with transaction(engine) as s:
        mail_id = store_inbound(s, b"   ", mailbox="test")[0].id
    assert process_inbound(engine, mail_id, fixed(Intent.OTHER)).status == "failed"
    assert _reviews(engine) == ["parse_failed"]
    with transaction(engine) as s:
        assert s.get(Mail, mail_id).raw == b"   "  # type: ignore[union-attr]


def test_processing_twice_does_nothing_the_second_time(engine: Engine) -> None:
    """Processing is idempotent per stored mail."""
    case_id = _case(engine)
    mail_id = _reply(engine, to=f"ar+good{case_id}@dunmail.example")
    assert process_inbound(engine, mail_id, fixed(Intent.DISPUTE)).status == "processed"
    assert process_inbound(engine, mail_id, fixed(Intent.PAID)).status == "skipped"
    assert _state(engine, case_id) == "disputed"


def test_reply_cancels_a_reminder_queued_but_not_sent(engine: Engine) -> None:
    """A dispute processed between planning and sending: the planned reminder is cancelled, not sent."""
    case_id = _case(engine)
    with transaction(engine) as s:
        planned = Mail(case_id=case_id, direction="out", status="pending", send_key=f"case:{case_id}:reminder_1",
                       stage="reminder_1")
        s.add(planned)
        s.flush()
        planned_id = planned.id
    process_inbound(engine, _reply(engine, to=f"ar+good{case_id}@dunmail.example"), fixed(Intent.DISPUTE))
    sender = FakeSender()
    outcome = deliver(engine, planned_id, sender=sender, compose=lambda *a: pytest.fail("must not compose"))
    assert outcome.status == "cancelled" and sender.sent == []
    assert _state(engine, case_id) == CaseState.DISPUTED.value
