"""`dunmail demo`: weeks of dunning in a minute, on embedded defaults and a simulated clock.

Invoices are imported from the sample CSV; the scheduler ticks every few simulated hours; reminders
go through the in-process dramatiq broker to a real local SMTP server that keeps every mail as an
.eml file; simulated customers answer some reminders (paid, promise, plan, dispute, out-of-office,
bounce, a question, in English and Japanese) and their replies take the real inbound path: stored
raw → parsed → classified → placed on the case → acted on. Nothing outside this machine is needed.
"""

from __future__ import annotations

import email
import heapq
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from worker import runtime
from worker.db import migrate
from worker.db.engine import transaction
from worker.db.models import Case, Invoice, Mail, ReviewItem
from worker.demo.customers import REPLIES, Reply, reply_mail
from worker.importer import ImportDefaults, import_file
from worker.inbound.store import store_inbound
from worker.outbound.localsmtp import LocalSMTPServer
from worker.services import Services

log = structlog.get_logger(__name__)
HERE = Path(__file__).resolve().parent
START = datetime(2026, 3, 16, 0, 0, tzinfo=UTC)
END = datetime(2026, 6, 30, 0, 0, tzinfo=UTC)
STEP = timedelta(hours=3)
DEMO_SECRET = "demo-only-secret-key-do-not-use-in-production"
DEMO_AUTHSERV_ID = "mx.dunmail.example"  # the demo's pretend receiving server


@dataclass(order=True)
class _Pending:
    at: datetime
    seq: int
    reply: Reply = field(compare=False)
    reminder_raw: bytes = field(compare=False)
    customer_addr: str = field(compare=False)
    customer_name: str = field(compare=False)
    reply_to: str = field(compare=False)


@dataclass
class DemoResult:
    summary: dict[str, Any]
    outbox: Path
    database_url: str


def run_demo(workdir: Path, *, log_format: str = "console") -> DemoResult:
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    outbox = workdir / "outbox"
    with LocalSMTPServer(outdir=outbox) as smtp:
        rt = runtime.start(
            None, log_format=log_format,
            database_url=f"sqlite:///{workdir / 'demo.db'}", broker_url="memory://", smtp_host="127.0.0.1",
            smtp_port=smtp.port, smtp_security="none", secret_key=DEMO_SECRET, log_level="warning",
            intake_address="invoices@dunmail.example", intake_allowed_senders=["@dunmail.example"],
            authserv_id=DEMO_AUTHSERV_ID,
            payment_instructions="Bank: Example Bank · IBAN GB00 EXAM 0000 0000 1234 56 · please quote the invoice "
                                 "number / 振込先: サンプル銀行 本店営業部 普通 1234567",
        )
        migrate.upgrade(rt.engine)
        clock = _Clock(START)
        services = Services.build(rt)
        services.clock = clock.now
        with transaction(rt.engine) as session:
            import_file(session, HERE / "invoices.csv", defaults=ImportDefaults(), now=START)
        _simulate(services, smtp, clock)
    return DemoResult(summary=summarise(rt.engine), outbox=outbox, database_url=rt.settings.database_url)


class _Clock:
    def __init__(self, start: datetime) -> None:
        self.moment = start

    def now(self) -> datetime:
        return self.moment


def _simulate(services: Services, smtp: LocalSMTPServer, clock: _Clock) -> None:
    """Tick through the simulated weeks; deliver through dramatiq's in-process broker; let customers answer."""
    import dramatiq
    from dramatiq.brokers.stub import StubBroker

    from worker import actors

    actors.use_services(services)
    broker = actors.broker
    assert isinstance(broker, StubBroker), "the demo runs on the in-process broker (broker_url = memory://)"
    worker = dramatiq.Worker(broker, worker_threads=2)
    worker.start()
    pending: list[_Pending] = []
    answered: set[str] = set()
    seen = 0
    try:
        _finance_forwards_invoices(services, clock.moment + timedelta(days=2))
        while clock.moment < END:
            report = services.tick(now=clock.moment)
            for mail_id in report.planned:
                actors.deliver_reminder.send(mail_id)
            broker.join(actors.deliver_reminder.queue_name, fail_fast=True)
            worker.join()
            seen = _customers_read_their_mail(services, smtp, clock, seen, pending, answered)
            while pending and pending[0].at <= clock.moment:
                _customer_replies(services, heapq.heappop(pending))
            _finance_decides(services, clock.moment)
            clock.moment += STEP
    finally:
        worker.stop()
        services.close()


def _customers_read_their_mail(services: Services, smtp: LocalSMTPServer, clock: _Clock, seen: int,
                               pending: list[_Pending], answered: set[str]) -> int:
    messages = smtp.messages
    scripted = {r.invoice: r for r in REPLIES}
    for received in messages[seen:]:
        msg = email.message_from_bytes(received.data)
        template = str(msg.get("X-Dunmail-Stage", ""))
        with transaction(services.rt.engine) as session:
            invoice = _invoice_of(session, str(msg.get("X-Dunmail-Case", "")))
        if invoice is None or invoice.number in answered:
            continue
        reply = scripted.get(invoice.number)
        if reply is None or reply.after_template != template:
            continue
        answered.add(invoice.number)
        addr = parseaddr(str(msg.get("To", "")))[1]
        heapq.heappush(pending, _Pending(clock.moment + timedelta(days=reply.days_later), len(answered), reply,
                                         received.data, addr, invoice.customer.name,
                                         parseaddr(str(msg.get("Reply-To", "")))[1]))
    return len(messages)


def _invoice_of(session: Session, case_header: str) -> Invoice | None:
    if not case_header.isdigit():
        return None
    case = session.get(Case, int(case_header))
    if case is None:
        return None
    _ = case.invoice.customer.name  # load before the session closes
    return case.invoice


def _customer_replies(services: Services, p: _Pending) -> None:
    raw = reply_mail(p.reply, reminder=p.reminder_raw, customer_addr=p.customer_addr,
                     customer_name=p.customer_name, reply_to=p.reply_to, at=p.at)
    with transaction(services.rt.engine) as session:
        mail, _ = store_inbound(session, raw, mailbox="demo-inbox")
    services.process(mail.id)


def _finance_forwards_invoices(services: Services, at: datetime) -> None:
    """Finance forwards two e-invoices (Peppol, JP PINT) and one invoice written in a mail to the intake address."""
    from email.message import EmailMessage
    from email.utils import format_datetime

    for n, (name, attachment, body) in enumerate((
        ("peppol-en.xml", (HERE / "intake" / "peppol-en.xml").read_bytes(), "Please chase this one. Thanks, Sam"),
        ("jp-pint.xml", (HERE / "intake" / "jp-pint.xml").read_bytes(), "よろしくお願いします。田中"),
        (None, None, _BODY_INVOICE),
    )):
        msg = EmailMessage()
        # What our receiving server writes on top of a mail it authenticated (README: Security).
        msg["Authentication-Results"] = (f"{DEMO_AUTHSERV_ID}; spf=pass smtp.mailfrom=dunmail.example; "
                                         "dkim=pass header.d=dunmail.example; dmarc=pass header.from=dunmail.example")
        msg["From"] = "Finance <finance@dunmail.example>"
        msg["To"] = "invoices@dunmail.example"
        msg["Subject"] = "Fwd: Invoice"
        msg["Date"] = format_datetime(at)
        msg["Message-ID"] = f"<intake-{n}@dunmail.example>"
        msg.set_content(body)
        if attachment is not None:
            msg.add_attachment(attachment, maintype="application", subtype="xml", filename=name)
        with transaction(services.rt.engine) as session:
            mail, _ = store_inbound(session, msg.as_bytes(), mailbox="demo-intake")
        services.process(mail.id)
    # Cases opened by intake are looked at from the demo's clock, not the wall clock.
    with transaction(services.rt.engine) as session:
        for case in session.scalars(select(Case).where(Case.next_action_at > at)):
            case.next_action_at = at


_BODY_INVOICE = """FYI — please chase.

---------- Forwarded message ---------
From: Accounts Receivable <billing@dunmail.example>
Date: Mon, Mar 9, 2026 at 9:00 AM
Subject: Invoice INV-2026-0160
To: Lamna Healthcare <payables@lamna.example>

INVOICE
Invoice No.: INV-2026-0160
Invoice date: 9 March 2026
Bill to: Lamna Healthcare Company
Due date: 8 April 2026
Total due: USD 2,480.00
"""


def _finance_decides(services: Services, now: datetime) -> None:
    """What the finance team does in the review queue (here on a timer): approve plan requests after a day,
    and record the instalments as the bank statement shows them paid."""
    from decimal import ROUND_DOWN, Decimal

    from worker import ledger
    from worker.db.models import Instalment
    from worker.domain import CaseState, ReviewKind

    with transaction(services.rt.engine) as session:
        for item in session.scalars(select(ReviewItem).where(ReviewItem.kind == ReviewKind.PLAN_REQUEST.value,
                                                             ReviewItem.status == "open")):
            reply = session.get(Mail, item.mail_id) if item.mail_id else None
            asked_at = reply.sent_at if reply is not None else None  # the reply's Date: on the demo's clock
            if item.case_id is None or asked_at is None or (now - asked_at) < timedelta(days=1):
                continue
            case = ledger.get_case(session, item.case_id, lock=True)
            third = (case.invoice.balance / 3).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
            first_due = (now + timedelta(days=14)).date()
            plan = [(third, first_due), (third, first_due + timedelta(days=30)),
                    (case.invoice.balance - 2 * third, first_due + timedelta(days=60))]
            ledger.approve_payment_plan(session, case, plan, actor="user:finance@dunmail.example",
                                        reason="three monthly instalments agreed", now=now)
            ledger.close_review(session, item, actor="user:finance@dunmail.example", resolution="plan approved")
        for inst in session.scalars(select(Instalment).where(Instalment.paid.is_(False))):
            if inst.due_date <= now.date():
                inst.paid = True
                case = ledger.get_case(session, inst.case_id, lock=True)
                case.invoice.balance -= inst.amount
                ledger.record_event(session, case, "instalment_paid", actor="user:finance@dunmail.example",
                                    reason=f"instalment {inst.seq} matched on the bank statement")
                if case.state == CaseState.ON_PLAN:
                    case.next_action_at = now


def summarise(engine: Any) -> dict[str, Any]:
    """The demo's outcome: per case what was sent, what came back, what dunmail understood, the state now."""
    with transaction(engine) as session:
        cases = session.scalars(select(Case).order_by(Case.id)).all()
        out = []
        for case in cases:
            mails = session.scalars(select(Mail).where(Mail.case_id == case.id).order_by(Mail.id)).all()
            out.append({
                "invoice": case.invoice.number,
                "customer": case.customer.name,
                "language": case.customer.language,
                "state": case.state,
                "reminders_sent": sum(1 for m in mails if m.direction == "out" and m.status == "sent"),
                "stages": [m.stage for m in mails if m.direction == "out" and m.status == "sent"],
                "replies": [{"intent": m.intent, "promised_date": (m.analysis or {}).get("promised_date"),
                             "confidence": m.confidence}
                            for m in mails if m.direction == "in"],
            })
        queue = []
        for item in session.scalars(select(ReviewItem).where(ReviewItem.status == "open").order_by(ReviewItem.id)):
            owner = session.get(Case, item.case_id) if item.case_id else None
            queue.append({"kind": item.kind, "invoice": owner.invoice.number if owner else None,
                          "summary": item.summary})
        unprocessed = session.scalars(select(Mail.id).where(Mail.direction == "in",
                                                            Mail.status == "received")).all()
    return {"cases": out, "review_queue": queue, "unprocessed_mails": len(unprocessed)}
