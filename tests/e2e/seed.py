"""Seed data for the review tests, written straight through the models and ledger (as the inbound
pipeline would leave it): one case per review kind, with a reminder sent and the customer's reply."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage

from sqlalchemy.orm import Session

from worker import ledger
from worker.db.models import Case, Customer, Mail
from worker.domain import CaseState, ReviewKind
from worker.review import auth

PASSWORD = "correct horse battery"
JA_DISPUTE = "請求金額が違います。注文数は10個ですが請求書には12個と記載されています。ご確認ください。"
XSS_HTML = ('<p>Hello</p><script>document.title="pwned"</script>'
            '<img src="https://tracker.example/pixel.png" onerror="document.title=\'pwned\'">'
            '<a href="javascript:document.title=\'pwned\'">click</a>')


@dataclass
class Seeded:
    dispute: Case
    plan: Case
    claim: Case
    bounce: Case
    unplaced_mail: Mail
    items: dict[ReviewKind, int]


def raw_mail(sender: str, subject: str, text: str, html: str | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "ar@dunmail.example"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{abs(hash((sender, subject, text)))}@customer.example>"
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg.as_bytes()


def users(session: Session) -> None:
    auth.add_user(session, "rev@example.com", PASSWORD, auth.Role.REVIEWER)
    auth.add_user(session, "view@example.com", PASSWORD, auth.Role.VIEWER)


def _case(session: Session, name: str, email: str, number: str, amount: str, currency: str, lang: str,
          state: CaseState, days_late: int) -> Case:
    customer = Customer(name=name, language=lang)
    session.add(customer)
    ledger.ensure_contact(session, customer, email)
    today = date.today()
    invoice, _ = ledger.upsert_invoice(session, customer=customer, number=number, amount=Decimal(amount),
                                       currency=currency, issue_date=today - timedelta(days=days_late + 30),
                                       due_date=today - timedelta(days=days_late))
    case = ledger.open_case(session, invoice, policy="default", first_action_at=None)
    sent_at = datetime.now(UTC) - timedelta(days=3)
    session.add(Mail(case_id=case.id, direction="out", status="sent", stage="first", subject=f"Invoice {number}",
                     from_addr="ar@dunmail.example", to_addrs=email, send_key=f"case:{case.id}:first",
                     raw=raw_mail("ar@dunmail.example", f"Invoice {number}", "A friendly reminder."),
                     sent_at=sent_at, created_at=sent_at))
    case.last_stage, case.reminders_sent, case.last_sent_at = "first", 1, sent_at
    if state is not CaseState.ACTIVE:
        ledger.transition(session, case, state, actor=ledger.CUSTOMER, reason="reply")
    return case


def _reply(session: Session, case: Case | None, sender: str, subject: str, text: str, intent: str,
           html: str | None = None, **analysis: object) -> Mail:
    mail = Mail(case_id=case.id if case else None, direction="in", status="received", stage="processed",
                subject=subject, from_addr=sender, to_addrs="ar@dunmail.example",
                raw=raw_mail(sender, subject, text, html), intent=intent, confidence=0.9,
                analysis={"reply_text": text, **analysis},
                created_at=datetime.now(UTC) - timedelta(days=2))
    session.add(mail)
    session.flush()
    return mail


def seed(session: Session) -> Seeded:
    """Four cases, one per decision family, and one reply that could not be placed."""
    users(session)
    dispute = _case(session, "株式会社サンプル", "keiri@sample.co.jp", "INV-JP-1", "132000", "JPY", "ja",
                    CaseState.DISPUTED, 20)
    plan = _case(session, "Acme Ltd", "ap@acme.example", "INV-100", "900.00", "EUR", "en",
                 CaseState.PLAN_REQUESTED, 45)
    claim = _case(session, "Birch & Co", "pay@birch.example", "INV-200", "250.00", "USD", "en",
                  CaseState.PAYMENT_CLAIMED, 5)
    bounce = _case(session, "Cedar GmbH", "old@cedar.example", "INV-300", "400.00", "EUR", "en",
                   CaseState.CONTACT_INVALID, 95)
    bounce.customer.contacts[0].invalid_reason = "550 5.1.1 user unknown"
    m1 = _reply(session, dispute, "keiri@sample.co.jp", "Re: 請求書 INV-JP-1", JA_DISPUTE, "dispute",
                language="ja", amounts=[["132000", "JPY"]])
    m2 = _reply(session, plan, "ap@acme.example", "Re: Invoice INV-100",
                "Could we pay in three monthly instalments of 300?", "payment_plan", html=XSS_HTML, language="en")
    m3 = _reply(session, claim, "pay@birch.example", "Re: Invoice INV-200", "We paid this on Monday.", "paid",
                language="en")
    m4 = _reply(session, None, "someone@unknown.example", "Question", "Which invoice is this about?", "other",
                language="en")
    items = {
        ReviewKind.DISPUTE: ledger.open_review(session, ReviewKind.DISPUTE, summary="wrong quantity",
                                               case=dispute, mail=m1).id,
        ReviewKind.PLAN_REQUEST: ledger.open_review(session, ReviewKind.PLAN_REQUEST, summary="3 instalments",
                                                    case=plan, mail=m2).id,
        ReviewKind.PAYMENT_CLAIM: ledger.open_review(session, ReviewKind.PAYMENT_CLAIM, summary="says paid",
                                                     case=claim, mail=m3).id,
        ReviewKind.BOUNCE: ledger.open_review(session, ReviewKind.BOUNCE, summary="mailbox unknown",
                                              case=bounce).id,
        ReviewKind.UNPLACED: ledger.open_review(session, ReviewKind.UNPLACED, summary="no case found",
                                                mail=m4).id,
    }
    session.flush()
    return Seeded(dispute, plan, claim, bounce, m4, items)
