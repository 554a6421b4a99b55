"""One stored inbound mail, start to finish: parse → classify → correlate → act, in one transaction.

Mailman's shunt rule: whatever a mail does to any step (the parser recursing on 5,000 nested
parentheses, a codec lookup on a charset named "base64", a NUL the database refuses), its work is
rolled back to a savepoint, the raw mail stays stored, is marked failed with the reason and put in
front of a person, and the caller goes on with the next mail. Only database trouble (the connection
dropped, the file locked) propagates, so the caller can try the same mail again later. Idempotent: a
mail already processed is left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import structlog
from sqlalchemy import Engine, select
from sqlalchemy.exc import DBAPIError, OperationalError
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
from worker.validation import storable, storable_json

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
    own_domains: tuple[str, ...] = ()  # where our own mail comes from (a bounce from our relay is ours)


@dataclass(frozen=True)
class Processed:
    mail_id: int
    status: str  # processed, failed, skipped
    intent: str | None = None
    case_id: int | None = None
    case_state: str | None = None
    error: str | None = None  # for failed: why, as stored on the mail


def process_inbound(engine: Engine, mail_id: int, pipeline: Pipeline) -> Processed:
    with transaction(engine) as session:
        mail = session.get(Mail, mail_id)
        if mail is None or mail.direction != "in" or mail.status != "received":
            return Processed(mail_id, "skipped")
        structlog.contextvars.bind_contextvars(mail_id=mail.id, message_id=mail.message_id)
        try:
            return _shunted(session, mail, pipeline)
        finally:
            structlog.contextvars.unbind_contextvars("mail_id", "message_id", "case_id")


def is_transient(exc: BaseException) -> bool:
    """Database trouble that says nothing about the mail: the same mail may go through later."""
    return isinstance(exc, OperationalError) or (isinstance(exc, DBAPIError) and exc.connection_invalidated)


def _shunted(session: Session, mail: Mail, p: Pipeline) -> Processed:
    """Run the steps inside a savepoint; anything a step raises rolls them back and shunts the mail."""
    mail_id = mail.id
    progress = _Progress()
    try:
        with session.begin_nested():  # the savepoint's commit flushes: a value the database refuses lands here
            return _process(session, mail, p, progress)
    except Exception as exc:
        if is_transient(exc):
            raise
        log.error("mail_shunted", step=progress.step, error=type(exc).__name__)
        why = f"failed at {progress.step}: {type(exc).__name__}: {str(exc)[:300]}"
        return shunt(session, session.get(Mail, mail_id) or mail, why)


def shunt(session: Session, mail: Mail, why: str) -> Processed:
    """Mark a stored mail failed with the reason and open a review item; the raw bytes stay as they are."""
    why = storable(why)
    mail.status, mail.error = "failed", why
    ledger.open_review(session, ReviewKind.PARSE_FAILED, mail=mail,
                       summary=f"mail could not be processed ({why}); it is stored raw: read it and decide by hand")
    return Processed(mail.id, "failed", error=why)


@dataclass
class _Progress:
    step: str = "parse"


def _process(session: Session, mail: Mail, p: Pipeline, progress: _Progress) -> Processed:
    try:
        parsed = p.parse(mail.raw or b"")
    except MailParseError as exc:
        return _unreadable(session, mail, str(exc))
    progress.step = "describe"
    _describe(mail, parsed)
    progress.step = "route"
    if p.route_other is not None and p.route_other(session, mail, parsed):
        mail.status = "processed"
        return Processed(mail.id, "processed")
    progress.step = "classify"
    result = p.classify(parsed)
    mail.intent, mail.confidence = result.intent.value, float(result.confidence)
    metrics.REPLIES.labels(intent=result.intent.value).inc()
    mail.analysis = {**(mail.analysis or {}), **_analysis(result)}
    progress.step = "correlate"
    placement = place_reply(session, parsed, result, reply_localpart=p.reply_localpart, verify_token=p.verify_token)
    mail.analysis = {**mail.analysis, "placed_by": placement.method, "forged_token": placement.forged_token}
    progress.step = "act"
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
    trust = judge(gather(session, case, parsed, result, placement, auth, own_domains=p.own_domains))
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
    why = storable(why)
    mail.status, mail.error = "failed", why
    ledger.open_review(session, ReviewKind.PARSE_FAILED, mail=mail, summary=f"mail could not be read: {why}")
    log.warning("mail_unreadable", error=why)
    return Processed(mail.id, "failed", error=why)


def _describe(mail: Mail, parsed: ParsedMail) -> None:
    """Header values as the database can hold them (8-bit header bytes arrive as lone surrogates)."""
    mail.subject = storable(parsed.subject[:2000])
    mail.from_addr = storable(parsed.from_addr[:320])
    mail.to_addrs = storable(", ".join(parsed.to)[:4000])
    mail.in_reply_to = storable(parsed.in_reply_to[:998]) if parsed.in_reply_to else None
    if parsed.date is not None:
        mail.sent_at = parsed.date


def _analysis(result: Classification) -> dict[str, object]:
    analysis = {
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
        "why": list(result.why),  # the deciding sentences, shown to the reviewer
        "alternatives": [[intent.value, p] for intent, p in result.alternatives],
    }
    cleaned = storable_json(analysis)
    assert isinstance(cleaned, dict)
    return cleaned


def unprocessed_mail_ids(session: Session, limit: int = 500) -> list[int]:
    """Inbound mail stored but not yet processed (a crash between store and processing): re-enqueue these."""
    return list(session.scalars(
        select(Mail.id).where(Mail.direction == "in", Mail.status == "received").order_by(Mail.id).limit(limit)
    ))
