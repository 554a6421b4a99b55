"""Forwarded invoices → cases. Mail addressed to the intake address is read here instead of classified.

Only forwards from configured internal senders whose From our own mail server authenticated (DMARC pass
in its Authentication-Results, see worker/inbound/trust.py) open cases; others are kept and their
invoices queued for review. A new address for a customer dunmail already knows is never added from a
mail: the case is opened with the known contacts and a person confirms the address (review item).
Each extracted invoice with every essential field and enough confidence opens (or updates) a case;
anything less goes to the review queue pre-filled with what was found, the original mail attached.
The same invoice forwarded twice updates nothing and says so. Non-invoices are logged with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from worker import ledger
from worker.db.models import Case, Customer, Invoice, Mail, utcnow
from worker.domain import ExtractedInvoice, ReviewKind
from worker.inbound.authresults import read_auth_results
from worker.inbound.message import ParsedMail
from worker.inbound.trust import Trust, judge_forwarder
from worker.settings import Settings
from worker.validation import invoice_problem

log = structlog.get_logger(__name__)

MIN_CONFIDENCE = 0.6
ESSENTIAL = ("number", "customer_email", "amount", "currency")


@dataclass(frozen=True)
class IntakeOutcome:
    opened: list[str]
    duplicates: list[str]
    to_review: list[str]
    skipped: list[tuple[str, str]]


def is_intake(mail: ParsedMail, intake_address: str | None) -> bool:
    if not intake_address:
        return False
    wanted = intake_address.lower()
    delivered = [(mail.header(h) or "").strip("<> ").lower() for h in ("Delivered-To", "X-Original-To")]
    return wanted in mail.to or wanted in mail.cc or wanted in delivered


def sender_allowed(sender: str, allowed: list[str]) -> bool:
    sender = sender.lower()
    for entry in allowed:
        entry = entry.strip().lower()
        if entry.startswith("@") and sender.endswith(entry):
            return True
        if entry == sender:
            return True
    return False


def make_router(settings: Settings) -> Callable[[Session, Mail, ParsedMail], bool]:
    """The inbound pipeline's hook: returns True when the mail was an intake mail (and handled)."""

    def route(session: Session, mail: Mail, parsed: ParsedMail) -> bool:
        if not is_intake(parsed, settings.intake_address):
            return False
        mail.analysis = {"route": "intake"}
        trust = forwarder_trust(parsed, settings)
        if trust.basis == "not_allowed":
            ledger.open_review(session, ReviewKind.INTAKE, mail=mail,
                               summary=f"invoice forwarded by {parsed.from_addr or 'an unknown sender'}, who is not "
                                       "an allowed intake sender: confirm before anything is opened")
            log.warning("intake_sender_refused", mail_id=mail.id)
            return True
        if not trust.acts:
            log.warning("intake_sender_unauthenticated", mail_id=mail.id, trust=trust.basis)
        outcome = intake_mail(session, mail, parsed, settings=settings, trust=trust)
        mail.analysis = {"route": "intake", "opened": outcome.opened, "duplicates": outcome.duplicates,
                         "to_review": outcome.to_review, "skipped": [list(s) for s in outcome.skipped],
                         "trusted": trust.acts, "trust": trust.basis}
        return True

    return route


def forwarder_trust(parsed: ParsedMail, settings: Settings) -> Trust:
    """The trust rule for intake: an allowed sender with our server's DMARC pass for its From domain."""
    auth = read_auth_results(parsed.message.get_all("Authentication-Results") or [], settings.authserv_id)
    domain = parsed.from_addr.rpartition("@")[2]
    return judge_forwarder(parsed.from_addr, allowed=sender_allowed(parsed.from_addr, settings.intake_allowed_senders),
                           dmarc=auth.dmarc_for(domain) if domain else None)


def intake_mail(session: Session, mail: Mail, parsed: ParsedMail, *, settings: Settings,
                trust: Trust) -> IntakeOutcome:
    """Open a case per complete invoice — only when `trust` says the forwarder is proven; else all to review."""
    from worker.intake.extract import extract_invoices
    from worker.intake.pdftext import PdfLimits

    ours = [a for a in (settings.intake_address, settings.from_address, parsed.from_addr) if a]
    limits = PdfLimits(max_bytes=int(settings.intake_max_pdf_mb * 1024 * 1024), max_pages=settings.intake_max_pdf_pages,
                       memory_mb=settings.intake_pdf_memory_mb, seconds=settings.intake_pdf_seconds)
    result = extract_invoices(parsed, default_terms_days=settings.intake_default_terms_days, exclude_addresses=ours,
                              limits=limits, own_names=(settings.company_name,))
    opened: list[str] = []
    duplicates: list[str] = []
    to_review: list[str] = []
    doubtful: list[dict[str, object]] = []
    for inv in result.invoices:
        label = inv.number or "(no number)"
        missing = [k for k in ESSENTIAL if getattr(inv, k) in (None, "")]
        refused = None if missing else invoice_problem(number=inv.number, amount=inv.amount, currency=inv.currency,
                                                       due_date=inv.due_date, issue_date=inv.issue_date)
        if missing or refused or inv.confidence < MIN_CONFIDENCE or inv.due_date is None:
            doubt = _doubt(inv, missing)
            doubtful.append({**doubt, "why": f"{label[:64]}: {refused}"} if refused else doubt)
            to_review.append(label)
        elif not trust.acts:
            doubtful.append({**_doubt(inv, missing), "why": f"{label}: not opened, {trust.why}"})
            to_review.append(label)
        elif _open(session, inv, settings, mail):
            opened.append(label)
        else:
            duplicates.append(label)
    skipped = [(str(what), str(why)) for what, why in result.skipped]
    # One review item per forwarded mail, pre-filled with everything a person must confirm or fix.
    reasons = [str(d["why"]) for d in doubtful]
    reasons += [f"could not read {what}: {why}" for what, why in result.problems]
    if not result.invoices and not result.problems and not skipped:
        reasons.append("the forwarded mail holds no invoice dunmail could read")
    if reasons:
        ledger.open_review(session, ReviewKind.INTAKE, mail=mail, summary="; ".join(reasons)[:2000],
                           invoices=doubtful, problems=[list(p) for p in result.problems])
    if result.problems:
        log.warning("intake_unreadable", mail_id=mail.id, count=len(result.problems))
    if skipped and not result.invoices:
        log.info("intake_no_invoice", mail_id=mail.id, reasons=[why for _, why in skipped][:5])
    log.info("intake_done", mail_id=mail.id, opened=len(opened), duplicates=len(duplicates),
             to_review=len(to_review), skipped=len(skipped))
    return IntakeOutcome(opened, duplicates, to_review, skipped)


def _open(session: Session, inv: ExtractedInvoice, settings: Settings, mail: Mail) -> bool:
    """Open the case; False when this invoice is already known (a second forward changes nothing)."""
    return open_invoice(session, inv, settings, mail) is not None


def open_invoice(session: Session, inv: ExtractedInvoice, settings: Settings, mail: Mail, *,
                 confirmed_by: str | None = None) -> Case | None:
    """The case for an extracted invoice, or None when the invoice is already known.

    `confirmed_by` is the person who confirmed the fields in the review app: only then is an address the
    mail names added to a customer dunmail already knows; without it the address waits for a person."""
    assert inv.number and inv.customer_email and inv.amount is not None and inv.currency and inv.due_date
    if session.scalars(select(Invoice.id).where(Invoice.issuer == "default", Invoice.number == inv.number)).first():
        log.info("intake_duplicate", invoice=inv.number, mail_id=mail.id)
        return None
    customer = ledger.find_customer(session, email=inv.customer_email, name=inv.customer_name,
                                    registration_number=None)
    unconfirmed: str | None = None
    if customer is None:
        customer = Customer(name=inv.customer_name or inv.customer_email, language=inv.language or "en",
                            timezone="Asia/Tokyo" if inv.language == "ja" else settings.default_timezone,
                            country="JP" if inv.language == "ja" else settings.default_country)
        session.add(customer)
        ledger.ensure_contact(session, customer, inv.customer_email)
    elif inv.customer_email.strip().lower() not in {c.email for c in customer.contacts}:
        if confirmed_by is not None:
            ledger.ensure_contact(session, customer, inv.customer_email)  # a person vouched for it
        else:
            unconfirmed = inv.customer_email.strip().lower()  # never added from a mail: a person confirms it
    session.flush()
    invoice, _ = ledger.upsert_invoice(session, customer=customer, number=inv.number, amount=inv.amount,
                                       currency=inv.currency, issue_date=inv.issue_date, due_date=inv.due_date,
                                       source="intake")
    session.flush()
    how = f"confirmed by {confirmed_by}" if confirmed_by else "forwarded to intake"
    case = ledger.open_case(session, invoice, policy=customer.policy or settings.default_policy,
                            first_action_at=utcnow(), actor=confirmed_by or ledger.SYSTEM,
                            reason=f"invoice {inv.number} {how}")
    ledger.record_event(session, case, "intake", mail=mail, source=inv.source,
                        due_date_inferred=inv.due_date_inferred, notes=list(inv.notes))
    if unconfirmed is not None:
        ledger.open_review(session, ReviewKind.INTAKE, case=case, mail=mail, new_contact=unconfirmed,
                           summary=f"invoice {inv.number} names {unconfirmed}, not a known contact of "
                                   f"{customer.name}: reminders go to the known contacts; add it with "
                                   "'fix contact' only once confirmed")
        log.warning("intake_new_contact_held", case_id=case.id, mail_id=mail.id)
    return case


def _doubt(inv: ExtractedInvoice, missing: list[str]) -> dict[str, object]:
    if missing:
        why = f"{inv.number or '?'}: missing {', '.join(missing)}"
    elif inv.due_date is None:
        why = f"{inv.number}: no due date"
    else:
        why = f"{inv.number}: low confidence ({inv.confidence:.2f})"
    return {"why": why, "extracted": inv.contract(), "source": inv.source, "notes": list(inv.notes),
            "language": inv.language, "confidence": round(inv.confidence, 3)}  # for the confirm step
