"""Sending one planned reminder, exactly once.

A reminder exists first as a `Mail` row (direction out, status pending) with a unique send_key
(`case:<id>:<stage>`), written by the scheduler. Delivering it:

  1. lock the case; still pending and the case still chases?  -> compose, store the bytes,
     mark it `sending`, commit  (else mark it cancelled: a reply paused the case meanwhile)
  2. lock the case again, re-check its state, hand the mail to SMTP while holding the lock,
     mark it `sent`, advance the case, commit

A pause that arrives during step 2 waits on the row lock and applies after the send. A crash
between 1 and 2's commit leaves the row `sending`: the scheduler's sweep marks it `uncertain` and
puts it in front of a person — it is never resent blindly. Transient SMTP errors put the row back
to `pending` and are raised for the actor to retry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.message import Message
from typing import NamedTuple

import structlog
from sqlalchemy import Engine, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from worker import ledger, metrics
from worker.db.engine import transaction
from worker.db.models import Case, Mail, utcnow
from worker.domain import CaseState, ReviewKind
from worker.errors import SendOutcomeUnknown, SendPermanentError, SendTransientError
from worker.outbound.smtp import Sender, wire_bytes

log = structlog.get_logger(__name__)

# Builds the message for a planned mail; returns (message, envelope sender, recipients).
Composer = Callable[[Session, Case, Mail], tuple[Message, str, list[str]]]

# States a planned mail may still go out in. Instalment and promise reminders go out while on a plan
# or a promise; everything else needs the case to be on the ladder.
SENDABLE = {CaseState.ACTIVE, CaseState.ON_PLAN, CaseState.PROMISED}


@dataclass(frozen=True)
class Outcome:
    mail_id: int
    status: str  # sent, cancelled, skipped, failed, uncertain, retry
    detail: str = ""


def deliver(engine: Engine, mail_id: int, *, sender: Sender, compose: Composer,
            now: Callable[[], datetime] = utcnow) -> Outcome:
    prepared = _prepare(engine, mail_id, compose, now)
    if isinstance(prepared, Outcome):
        return prepared
    return _send(engine, mail_id, prepared, sender, now)


def _readable(subject: str) -> str:
    """The subject as a person reads it in the log (RFC 2047 words decoded); as written if they are broken."""
    try:
        return str(make_header(decode_header(subject))) or subject
    except (HeaderParseError, UnicodeDecodeError, LookupError):
        return subject


class _Prepared(NamedTuple):
    message: Message
    raw: bytes
    envelope_from: str
    recipients: list[str]


def _prepare(engine: Engine, mail_id: int, compose: Composer,
             now: Callable[[], datetime]) -> Outcome | _Prepared:
    with transaction(engine) as session:
        mail = session.get(Mail, mail_id)
        if mail is None or mail.case_id is None:
            return Outcome(mail_id, "skipped", "no such planned mail")
        case = ledger.get_case(session, mail.case_id, lock=True)
        session.refresh(mail)
        if mail.status != "pending":
            return Outcome(mail_id, "skipped", f"already {mail.status}")
        if CaseState(case.state) not in SENDABLE:
            _cancel(session, case, mail, f"case is {case.state}")
            return Outcome(mail_id, "cancelled", case.state)
        try:
            with session.begin_nested():  # a compose that breaks leaves nothing half-written behind
                message, envelope_from, recipients = compose(session, case, mail)
                raw = wire_bytes(message)  # exactly what goes over the wire: the log keeps it, the sender gets it
        except Exception as exc:  # a value or template that cannot be rendered: retrying renders it the same
            if isinstance(exc, OperationalError):
                raise
            why = f"could not be composed: {type(exc).__name__}: {str(exc)[:300]}"
            _failed(session, case, mail, why, kind="compose")
            return Outcome(mail_id, "failed", why)
        mail.raw = raw
        mail.subject = _readable(str(message["Subject"] or ""))
        mail.to_addrs = ", ".join(recipients)
        mail.from_addr = envelope_from
        mail.message_id = str(message["Message-ID"] or "").strip("<>") or None
        mail.status = "sending"
        mail.sent_at = now()  # when sending began; the sweep measures 'stuck' from here
    return _Prepared(message, raw, envelope_from, recipients)


def _send(engine: Engine, mail_id: int, prepared: _Prepared, sender: Sender, now: Callable[[], datetime]) -> Outcome:
    deferred: SendTransientError | None = None
    with transaction(engine) as session:
        mail = session.get(Mail, mail_id)
        assert mail is not None and mail.case_id is not None
        case = ledger.get_case(session, mail.case_id, lock=True)
        session.refresh(mail)
        if CaseState(case.state) not in SENDABLE:
            _cancel(session, case, mail, f"case became {case.state} before the send")
            return Outcome(mail_id, "cancelled", case.state)
        try:
            sender.send(prepared.message, sender=prepared.envelope_from, recipients=prepared.recipients,
                        data=prepared.raw)
        except SendTransientError as exc:
            # Nothing went out: back to pending (committed), then raise so the actor retries later.
            mail.status, mail.error = "pending", str(exc)
            log.warning("send_deferred", case_id=case.id, mail_id=mail.id, error=str(exc))
            deferred = exc
        except SendOutcomeUnknown as exc:
            _uncertain(session, case, mail, str(exc))
            return Outcome(mail_id, "uncertain", str(exc))
        except SendPermanentError as exc:
            _failed(session, case, mail, str(exc))
            return Outcome(mail_id, "failed", str(exc))
        else:
            _sent(session, case, mail, now())
    if deferred is not None:
        raise deferred
    return Outcome(mail_id, "sent")


def _sent(session: Session, case: Case, mail: Mail, at: datetime) -> None:
    mail.status, mail.sent_at, mail.error = "sent", at, None
    case.reminders_sent += 1
    case.last_stage = mail.stage
    case.last_sent_at = at
    if case.next_template == mail.stage:
        case.next_template = None
    case.next_action_at = at  # the scheduler works out the following step on its next pass
    ledger.record_event(session, case, "reminder_sent", mail=mail, stage=mail.stage, to=mail.to_addrs)
    for covered in _covered(session, mail):  # a consolidated notice carried these cases' reminders too
        other = ledger.get_case(session, covered.case_id, lock=True) if covered.case_id else None
        covered.status, covered.sent_at, covered.message_id = "sent", at, mail.message_id
        if other is not None:
            other.reminders_sent += 1
            other.last_stage, other.last_sent_at, other.next_action_at = covered.stage, at, at
            ledger.record_event(session, other, "reminder_sent", mail=mail, stage=covered.stage,
                                reason="in a consolidated notice")
    metrics.REMINDERS_SENT.labels(stage=mail.stage or "").inc()
    metrics.QUEUE_LATENCY.observe(max(0.0, (at - mail.created_at).total_seconds()))
    log.info("reminder_sent", case_id=case.id, mail_id=mail.id, stage=mail.stage, message_id=mail.message_id)


def _covered(session: Session, carrier: Mail) -> list[Mail]:
    ids = (carrier.analysis or {}).get("covers") or []
    return list(session.scalars(select(Mail).where(Mail.id.in_(ids), Mail.status == "covered"))) if ids else []


def _cancel(session: Session, case: Case, mail: Mail, why: str) -> None:
    mail.status = "cancelled"
    for covered in _covered(session, mail):  # the other cases still need their reminder: on their own now
        covered.status = "pending"
    ledger.record_event(session, case, "reminder_cancelled", mail=mail, reason=why, stage=mail.stage)
    log.info("reminder_cancelled", case_id=case.id, mail_id=mail.id, stage=mail.stage, why=why)


def _uncertain(session: Session, case: Case, mail: Mail, why: str) -> None:
    mail.status, mail.error = "uncertain", why
    for covered in _covered(session, mail):
        covered.status, covered.error = "uncertain", f"carried by mail {mail.id}: {why}"
    metrics.SEND_FAILURES.labels(outcome="uncertain").inc()
    case.next_action_at = None  # hold the ladder until a person has looked
    ledger.record_event(session, case, "send_uncertain", mail=mail, reason=why, stage=mail.stage)
    ledger.open_review(session, ReviewKind.SEND_UNCERTAIN, case=case, mail=mail,
                       summary=f"'{mail.stage}' may or may not have reached the customer: {why}")
    log.error("send_uncertain", case_id=case.id, mail_id=mail.id, stage=mail.stage)


def _failed(session: Session, case: Case, mail: Mail, why: str, *, kind: str = "refused") -> None:
    """Refused by the server (kind refused) or impossible to compose (kind compose): a person looks, the ladder
    holds; the mail is never retried by itself."""
    mail.status, mail.error = "failed", why
    for covered in _covered(session, mail):
        covered.status, covered.error = "pending", None  # refused as a whole: each goes out on its own
    metrics.SEND_FAILURES.labels(outcome=kind).inc()
    case.next_action_at = None
    ledger.record_event(session, case, "send_failed", mail=mail, reason=why, stage=mail.stage)
    summary = (f"the mail server refused '{mail.stage}': {why}" if kind == "refused"
               else f"'{mail.stage}' {why}; correct the invoice or template, then resume the case")
    ledger.open_review(session, ReviewKind.SEND_FAILED, case=case, mail=mail, summary=summary)
    log.error("send_failed", case_id=case.id, mail_id=mail.id, stage=mail.stage, kind=kind)


def sweep_stuck_sends(session: Session, *, now: datetime, older_than: timedelta) -> list[int]:
    """Mails left `sending` by a crash: mark uncertain and ask a person. Returns their ids."""
    stuck = session.scalars(
        select(Mail).where(Mail.direction == "out", Mail.status == "sending", Mail.sent_at < now - older_than)
    ).all()
    for mail in stuck:
        assert mail.case_id is not None
        case = ledger.get_case(session, mail.case_id, lock=True)
        _uncertain(session, case, mail, "the worker stopped while this mail was being sent")
    return [m.id for m in stuck]


def pending_send_ids(session: Session, limit: int = 10_000) -> list[int]:
    """Planned reminders not yet handed to SMTP, oldest first: what to enqueue again when the broker lost its
    queues. Enqueuing one twice is harmless: delivery sends a mail only from `pending`, under the case lock."""
    return list(session.scalars(select(Mail.id).where(Mail.direction == "out", Mail.status == "pending")
                                .order_by(Mail.id).limit(limit)))
