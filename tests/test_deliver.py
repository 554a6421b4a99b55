"""Delivering planned reminders: exactly once, never into a paused case, unknown outcomes to a person."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage, Message

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from worker import ledger
from worker.db.engine import transaction
from worker.db.models import Case, Customer, Event, Mail, ReviewItem
from worker.domain import CaseState
from worker.errors import SendOutcomeUnknown, SendPermanentError, SendTransientError
from worker.outbound.compose import Rendered
from worker.outbound.deliver import deliver, sweep_stuck_sends
from worker.outbound.localsmtp import LocalSMTPServer
from worker.outbound.mimebuild import build_reminder
from worker.outbound.smtp import FakeSender, SMTPConfig, SMTPSender

NOW = datetime(2026, 4, 1, 9, tzinfo=UTC)


def _compose(session: Session, case: Case, mail: Mail) -> tuple[EmailMessage, str, list[str]]:
    msg = EmailMessage()
    msg["From"] = "billing@dunmail.example"
    msg["To"] = "ap@acme.example"
    msg["Subject"] = f"Reminder {mail.stage} for {case.invoice.number}"
    msg["Message-ID"] = f"<case{case.id}.{mail.stage}@dunmail.example>"
    msg.set_content("Please pay.")
    return msg, "billing@dunmail.example", ["ap@acme.example"]


def _planned(engine: Engine, stage: str = "reminder_1") -> tuple[int, int]:
    with transaction(engine) as s:
        c = Customer(name="Acme", language="en", timezone="UTC", country="US")
        s.add(c)
        ledger.ensure_contact(s, c, "ap@acme.example")
        s.flush()
        inv, _ = ledger.upsert_invoice(s, customer=c, number="INV-9", amount=Decimal(10), currency="USD",
                                       issue_date=None, due_date=date(2026, 3, 1))
        case = ledger.open_case(s, inv, policy="default", first_action_at=None)
        mail = Mail(case_id=case.id, direction="out", status="pending", send_key=f"case:{case.id}:{stage}", stage=stage)
        s.add(mail)
        s.flush()
        return case.id, mail.id


def _mail(engine: Engine, mail_id: int) -> Mail:
    with transaction(engine) as s:
        m = s.get(Mail, mail_id)
        assert m is not None
        return m


def test_sent_once_even_when_delivered_twice(engine: Engine) -> None:
    """A retried actor delivering the same planned mail sends it once; the case records the stage."""
    case_id, mail_id = _planned(engine)
    sender = FakeSender()
    first = deliver(engine, mail_id, sender=sender, compose=_compose, now=lambda: NOW)
    second = deliver(engine, mail_id, sender=sender, compose=_compose, now=lambda: NOW)
    assert (first.status, second.status) == ("sent", "skipped")
    assert len(sender.sent) == 1
    stored = _mail(engine, mail_id)
    assert stored.status == "sent" and stored.raw and b"Reminder reminder_1" in stored.raw
    with transaction(engine) as s:
        case = s.get(Case, case_id)
        assert case is not None and (case.reminders_sent, case.last_stage) == (1, "reminder_1")


def test_transient_failure_returns_to_pending_for_retry(engine: Engine) -> None:
    """A deferral (4xx / drop before data) raises for the actor to retry and leaves the mail pending."""
    _, mail_id = _planned(engine)
    sender = FakeSender(fail_with=[SendTransientError("421 try later")])
    with pytest.raises(SendTransientError):
        deliver(engine, mail_id, sender=sender, compose=_compose)
    assert _mail(engine, mail_id).status == "pending"
    assert deliver(engine, mail_id, sender=sender, compose=_compose).status == "sent"
    assert len(sender.sent) == 1


def test_unknown_outcome_is_never_resent_and_goes_to_review(engine: Engine) -> None:
    """A connection lost during DATA marks the mail uncertain, holds the case, and asks a person."""
    case_id, mail_id = _planned(engine)
    sender = FakeSender(fail_with=[SendOutcomeUnknown("connection reset during DATA")])
    assert deliver(engine, mail_id, sender=sender, compose=_compose).status == "uncertain"
    assert deliver(engine, mail_id, sender=sender, compose=_compose).status == "skipped"
    with transaction(engine) as s:
        assert s.scalars(select(ReviewItem.kind)).all() == ["send_uncertain"]
        assert s.get(Case, case_id).next_action_at is None  # type: ignore[union-attr]


def test_permanent_refusal_fails_and_goes_to_review(engine: Engine) -> None:
    """A 5xx refusal marks the mail failed and opens a send_failed review."""
    _, mail_id = _planned(engine)
    sender = FakeSender(fail_with=[SendPermanentError("550 no such user")])
    assert deliver(engine, mail_id, sender=sender, compose=_compose).status == "failed"
    with transaction(engine) as s:
        assert s.scalars(select(ReviewItem.kind)).all() == ["send_failed"]


def test_paused_case_is_not_sent(engine: Engine) -> None:
    """A case disputed after the mail was planned: delivery cancels it and records why."""
    case_id, mail_id = _planned(engine)
    with transaction(engine) as s:
        ledger.transition(s, ledger.get_case(s, case_id), CaseState.DISPUTED, actor="customer", reason="broken")
    sender = FakeSender()
    assert deliver(engine, mail_id, sender=sender, compose=_compose).status == "cancelled"
    assert sender.sent == []
    with transaction(engine) as s:
        assert "reminder_cancelled" in s.scalars(select(Event.kind)).all()


def test_crash_mid_send_is_swept_to_uncertain(engine: Engine) -> None:
    """A mail left 'sending' by a killed worker becomes uncertain after the timeout, never resent."""
    _, mail_id = _planned(engine)
    with transaction(engine) as s:
        m = s.get(Mail, mail_id)
        assert m is not None
        m.status, m.sent_at = "sending", NOW - timedelta(minutes=30)
    with transaction(engine) as s:
        swept = sweep_stuck_sends(s, now=NOW, older_than=timedelta(minutes=10))
    assert swept == [mail_id] and _mail(engine, mail_id).status == "uncertain"


def test_real_smtp_server_receives_japanese_subject_exactly() -> None:
    """Through a real SMTP server (aiosmtpd), a Japanese subject decodes back to the same text."""
    import email
    from email.header import decode_header, make_header

    with LocalSMTPServer() as server:
        sender = SMTPSender(SMTPConfig("127.0.0.1", server.port))
        msg = EmailMessage()
        msg["Subject"] = "【お支払いのお願い】請求書 JP-2026-0201 ①㈱"
        msg["From"] = "billing@dunmail.example"
        msg["To"] = "keiri@kitayama.example"
        msg.set_content("お世話になっております。")
        sender.send(msg, sender="billing@dunmail.example", recipients=["keiri@kitayama.example"])
        sender.close()
        received = server.messages
    assert len(received) == 1 and received[0].rcpt_tos == ("keiri@kitayama.example",)
    parsed = email.message_from_bytes(received[0].data)
    assert str(make_header(decode_header(parsed["Subject"]))) == "【お支払いのお願い】請求書 JP-2026-0201 ①㈱"


def test_connection_is_reused_across_mails() -> None:
    """Ten mails over one SMTPSender use one SMTP session (one connection), not ten."""
    from worker.outbound import localsmtp

    sessions: list[int] = []
    original = localsmtp._Recorder.handle_DATA

    async def counting(self, server, session, envelope):  # type: ignore[no-untyped-def]
        sessions.append(id(session))
        return await original(self, server, session, envelope)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(localsmtp._Recorder, "handle_DATA", counting)
        with LocalSMTPServer() as server:
            sender = SMTPSender(SMTPConfig("127.0.0.1", server.port))
            for n in range(10):
                msg = EmailMessage()
                msg["Subject"], msg["From"], msg["To"] = f"m{n}", "a@x.example", "b@y.example"
                msg.set_content("x")
                sender.send(msg, sender="a@x.example", recipients=["b@y.example"])
            sender.close()
    assert len(sessions) == 10 and len(set(sessions)) == 1


def test_refusal_after_the_message_data_is_not_taken_for_success() -> None:
    """A server that accepts the envelope but refuses the message (554 after DATA) makes the send fail."""
    from worker.outbound import localsmtp

    async def refuse(self, server, session, envelope):  # type: ignore[no-untyped-def]
        return "554 5.7.1 message rejected as spam"

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(localsmtp._Recorder, "handle_DATA", refuse)
        with LocalSMTPServer() as server:
            sender = SMTPSender(SMTPConfig("127.0.0.1", server.port))
            msg = EmailMessage()
            msg["Subject"], msg["From"], msg["To"] = "x", "a@x.example", "b@y.example"
            msg.set_content("x")
            with pytest.raises(SendPermanentError, match="554"):
                sender.send(msg, sender="a@x.example", recipients=["b@y.example"])
            sender.close()


def test_the_log_keeps_exactly_the_bytes_the_server_received(engine: Engine) -> None:
    """The correspondence log's raw mail is the very byte string that went over SMTP, Japanese subject included,
    and its subject is stored readable, not as encoded words."""

    def compose_ja(session: Session, case: Case, mail: Mail) -> tuple[Message, str, list[str]]:
        rendered = Rendered(subject=f"【再送】お支払いのお願い：請求書 {case.invoice.number}",
                            html="<p>お世話になっております。</p>", text="お世話になっております。\n")
        msg = build_reminder(rendered, from_addr="billing@dunmail.example", from_name="経理部", to=["ap@acme.example"],
                             cc=[], reply_to="ar@dunmail.example", message_id=f"<case{case.id}@dunmail.example>",
                             in_reply_to=None, references=[], case_id=case.id, stage="reminder_2", extra_headers={})
        return msg, "billing@dunmail.example", ["ap@acme.example"]

    _, mail_id = _planned(engine)
    with LocalSMTPServer() as server:
        sender = SMTPSender(SMTPConfig("127.0.0.1", server.port))
        assert deliver(engine, mail_id, sender=sender, compose=compose_ja, now=lambda: NOW).status == "sent"
        sender.close()
        (received,) = server.messages
    stored = _mail(engine, mail_id)
    assert stored.raw == received.data
    assert stored.subject == "【再送】お支払いのお願い：請求書 INV-9"
