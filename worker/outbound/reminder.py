"""From a planned reminder (a pending Mail row) to the MIME message: the ledger's facts, the template,
the signed reply address, threading to the case's earlier reminders, and who is copied.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from email.message import Message
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from worker import ledger
from worker.db.models import Case, Instalment, Invoice, Mail, utcnow
from worker.errors import PermanentError
from worker.ladder.policy import load_policies, policy_for
from worker.outbound.compose import Composer, InvoiceLine, ReminderContext
from worker.outbound.mimebuild import build_reminder, make_message_id
from worker.outbound.tokens import reply_address
from worker.settings import Settings


class NoContact(PermanentError):
    """The customer has no valid email address left; a person must fix the contact."""


class ReminderComposer:
    """Built once per process: templates are compiled at start (a broken one fails here, not at send time)."""

    def __init__(self, settings: Settings, composer: Composer | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.settings = settings
        self.clock = clock
        self.composer = composer or Composer(settings.templates_dir)
        self._secret = settings.secret_bytes()
        self._policies = load_policies(settings.policies_dir)

    def compose(self, session: Session, case: Case, mail: Mail) -> tuple[Message, str, list[str]]:
        s = self.settings
        customer = case.customer
        to = ledger.active_contacts(customer)
        if not to:
            raise NoContact(f"customer {customer.name} has no valid email address")
        template = mail.stage or "reminder_1"
        invoices = self._invoices(session, case, template)
        today = self.clock().astimezone(ZoneInfo(case.customer.timezone)).date()
        ctx = self.context(case, invoices, template, today, session)
        rendered = self.composer.render(template, ctx)
        earlier = list(session.scalars(
            select(Mail.message_id).where(Mail.case_id == case.id, Mail.direction == "out", Mail.status == "sent",
                                          Mail.message_id.is_not(None)).order_by(Mail.id)
        ))
        stage_key = (mail.send_key or template).split(":", 2)[-1]
        message = build_reminder(
            rendered,
            from_addr=s.from_address,
            from_name=s.from_name,
            to=to,
            cc=self._cc(case, mail),
            reply_to=reply_address(case.id, self._secret, mailbox_local=s.reply_localpart,
                                   domain=s.reply_domain_name),
            message_id=make_message_id(case.id, stage_key, s.message_id_domain, secret=self._secret),
            in_reply_to=earlier[-1] if earlier else None,
            references=[e for e in earlier if e],
            case_id=case.id,
            stage=template,
            extra_headers={},
        )
        return message, s.from_address, to + self._cc(case, mail)

    def context(self, case: Case, invoices: list[Invoice], template: str, today: date,
                session: Session) -> ReminderContext:
        s = self.settings
        lines = [InvoiceLine(number=i.number, amount=i.amount, currency=i.currency, issue_date=i.issue_date,
                             due_date=i.due_date, balance=i.balance, days_overdue=max(0, (today - i.due_date).days))
                 for i in invoices]
        instalment = None
        if template == "instalment_due":
            upcoming = session.scalars(select(Instalment).where(Instalment.case_id == case.id,
                                                                Instalment.paid.is_(False))
                                       .order_by(Instalment.seq)).first()
            total = session.scalars(select(Instalment.seq).where(Instalment.case_id == case.id)).all()
            if upcoming is not None:
                instalment = (upcoming.seq, len(total), upcoming.amount, case.invoice.currency, upcoming.due_date)
        policy = policy_for(case.policy, case.customer.segment, self._policies, default=s.default_policy)
        deadline = today + timedelta(days=policy.final_notice_deadline_days) if template == "final_notice" else None
        return ReminderContext(
            customer_name=case.customer.name,
            customer_language=case.customer.language,
            sender_company=s.company_name,
            sender_name=s.from_name,
            sender_email=s.from_address,
            invoices=lines,
            payment_instructions=s.payment_instructions,
            deadline=deadline,
            promised_date=case.promised_date,
            instalment=instalment,
            stage_number=case.reminders_sent + 1,
        )

    def _invoices(self, session: Session, case: Case, template: str) -> list[Invoice]:
        if template != "consolidated":
            return [case.invoice]
        return list(session.scalars(
            select(Invoice).join(Case, Case.invoice_id == Invoice.id)
            .where(Invoice.customer_id == case.customer_id, Invoice.balance > 0, Invoice.status == "open",
                   Case.state.in_(["active", "promised"]))
            .order_by(Invoice.due_date)
        ))

    def _cc(self, case: Case, mail: Mail) -> list[str]:
        owner = case.customer.account_owner_email
        wants = bool((mail.analysis or {}).get("cc_account_owner"))
        return [owner] if owner and wants else []
