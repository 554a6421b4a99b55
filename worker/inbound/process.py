"""One stored inbound mail, start to finish: parse → classify → correlate → act, in one transaction.

Anything that breaks here leaves the raw mail stored and a review item in front of a person; the
mail is never dropped. Idempotent: a mail already processed is left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import structlog
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from worker import ledger, metrics
from worker.db.engine import transaction
from worker.db.models import Mail
from worker.domain import Classification, ReviewKind
from worker.errors import MailParseError
from worker.inbound.actions import ActContext, act_on_reply
from worker.inbound.authresults import read_auth_results
from worker.inbound.correlate import place_reply
from worker.inbound.message import ParsedMail
from worker.inbound.trust import gather, judge

log = structlog.get_logger(__name__)

Parser = Callable[[bytes], ParsedMail]
Classifier = Callable[[ParsedMail], Classification]


@dataclass(frozen=True)
class Pipeline:
    """The pieces processing needs; built once per worker from settings (see `default_pipeline`)."""

    parse: Parser
    classify: Classifier
    verify_token: Callable[[str], int | None]
    reply_localpart: str
    min_confidence: float
    promise_grace_days: Callable[[str], int]  # policy name -> grace days
    route_other: Callable[[Session, Mail, ParsedMail], bool] | None = None  # e.g. invoice intake; True = handled
    authserv_id: str | None = None  # our receiving server's Authentication-Results id; None = trust no header
    promise_horizon_days: int = 60  # promised / return dates further out than this go to a person


@dataclass(frozen=True)
class Processed:
    mail_id: int
    status: str  # processed, failed, skipped
    intent: str | None = None
    case_id: int | None = None
    case_state: str | None = None


def process_inbound(engine: Engine, mail_id: int, pipeline: Pipeline) -> Processed:
    with transaction(engine) as session:
        mail = session.get(Mail, mail_id)
        if mail is None or mail.direction != "in" or mail.status != "received":
            return Processed(mail_id, "skipped")
        structlog.contextvars.bind_contextvars(mail_id=mail.id, message_id=mail.message_id)
        try:
            return _process(session, mail, pipeline)
        finally:
            structlog.contextvars.unbind_contextvars("mail_id", "message_id", "case_id")


def _process(session: Session, mail: Mail, p: Pipeline) -> Processed:
    try:
        parsed = p.parse(mail.raw or b"")
    except MailParseError as exc:
        return _unreadable(session, mail, str(exc))
    _describe(mail, parsed)
    if p.route_other is not None and p.route_other(session, mail, parsed):
        mail.status = "processed"
        return Processed(mail.id, "processed")
    result = p.classify(parsed)
    mail.intent, mail.confidence = result.intent.value, float(result.confidence)
    metrics.REPLIES.labels(intent=result.intent.value).inc()
    mail.analysis = _analysis(result)
    placement = place_reply(session, parsed, result, reply_localpart=p.reply_localpart, verify_token=p.verify_token)
    mail.analysis = {**mail.analysis, "placed_by": placement.method, "forged_token": placement.forged_token}
    mail.status = "processed"
    if placement.case_id is None:
        ledger.open_review(session, ReviewKind.UNPLACED, mail=mail,
                           summary=f"reply from {parsed.from_addr or 'unknown sender'} matches no case "
                                   f"(looks like {result.intent.value})")
        log.info("reply_unplaced", intent=result.intent.value)
        return Processed(mail.id, "processed", result.intent.value)
    case = ledger.get_case(session, placement.case_id, lock=True)
    structlog.contextvars.bind_contextvars(case_id=case.id)
    mail.case_id = case.id
    auth = read_auth_results(parsed.message.get_all("Authentication-Results") or [], p.authserv_id)
    trust = judge(gather(session, case, parsed, result, placement, auth))
    mail.analysis = {**mail.analysis, "auth": auth.summary(), "trusted": trust.acts, "trust": trust.basis}
    state = act_on_reply(
        ActContext(session, case, mail, result, p.promise_grace_days(case.policy),
                   horizon_days=p.promise_horizon_days, anchor=parsed.date if _aware(parsed) else None),
        trust=trust, min_confidence=p.min_confidence,
    )
    log.info("reply_processed", intent=result.intent.value, confidence=round(result.confidence, 3),
             placed_by=placement.method, trust=trust.basis, case_state=state)
    return Processed(mail.id, "processed", result.intent.value, case.id, state)


def _aware(parsed: ParsedMail) -> bool:
    return parsed.date is not None and parsed.date.tzinfo is not None


def _unreadable(session: Session, mail: Mail, why: str) -> Processed:
    mail.status, mail.error = "failed", why
    ledger.open_review(session, ReviewKind.PARSE_FAILED, mail=mail, summary=f"mail could not be read: {why}")
    log.warning("mail_unreadable", error=why)
    return Processed(mail.id, "failed")


def _describe(mail: Mail, parsed: ParsedMail) -> None:
    mail.subject = parsed.subject[:2000]
    mail.from_addr = parsed.from_addr[:320]
    mail.to_addrs = ", ".join(parsed.to)[:4000]
    mail.in_reply_to = parsed.in_reply_to
    if parsed.date is not None:
        mail.sent_at = parsed.date


def _analysis(result: Classification) -> dict[str, object]:
    return {
        "intent": result.intent.value,
        "confidence": round(float(result.confidence), 3),
        "language": result.language,
        "reply_text": result.reply_text,
        "promised_date": result.promised_date.isoformat() if result.promised_date else None,
        "invoice_refs": list(result.invoice_refs),
        "amounts": [[format(a, "f"), c] for a, c in result.amounts],
        "bounce_recipients": list(result.bounce_recipients),
        "bounce_permanent": result.bounce_permanent,
        "return_date": result.return_date.isoformat() if result.return_date else None,
        "reasons": list(result.reasons),
    }


def unprocessed_mail_ids(session: Session, limit: int = 500) -> list[int]:
    """Inbound mail stored but not yet processed (a crash between store and processing): re-enqueue these."""
    return list(session.scalars(
        select(Mail.id).where(Mail.direction == "in", Mail.status == "received").order_by(Mail.id).limit(limit)
    ))
