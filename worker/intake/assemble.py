"""Turn what a reader found into an ExtractedInvoice: infer a missing due date, say what was guessed,
and score confidence. Every source (UBL, CII, Factur-X, PDF text, mail body) finishes here, so the
rules for "how sure are we" live in one table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from worker.domain import ExtractedInvoice
from worker.intake.values import due_from_terms

# Where each source starts: structured data is what the issuer's system wrote; text is read by us.
BASE_CONFIDENCE = {"ubl": 1.0, "cii": 1.0, "facturx": 1.0, "pdf": 0.9, "body": 0.85}
# What each doubt costs. A missing essential field caps confidence below the review threshold instead.
PENALTY = {
    "currency_guessed": 0.15,
    "customer_email_guessed": 0.1,
    "customer_email_from_mail": 0.05,
    "date_order_ambiguous": 0.1,
    "due_from_terms": 0.0,
    "due_from_default": 0.05,
    "issue_from_mail": 0.05,
    "amount_unlabelled": 0.2,
    "totals_disagree": 0.35,
}
ESSENTIAL = ("number", "amount", "currency", "customer_email")
MISSING_CAP = 0.4


@dataclass
class Draft:
    """Fields found so far, plus notes on doubts (keys of PENALTY) and free notes for the reviewer."""

    source: str
    number: str | None = None
    customer_name: str | None = None
    customer_email: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    issue_date: date | None = None
    due_date: date | None = None
    registration_number: str | None = None
    language: str | None = None
    terms_text: str = ""  # payment-terms wording, read only when no due date is given
    doubts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _infer_due(
    draft: Draft, default_terms_days: int, fallback_issue: date | None
) -> tuple[date | None, bool]:
    if draft.due_date is not None:
        return draft.due_date, False
    start = draft.issue_date
    if start is None and fallback_issue is not None:
        start = fallback_issue
        draft.doubts.append("issue_from_mail")
        draft.notes.append("issue date not found: payment terms counted from the mail's date")
    if start is None:
        draft.notes.append("no due date and no issue date to count payment terms from")
        return None, False
    terms = due_from_terms(draft.terms_text, start) if draft.terms_text else None
    if terms is not None:
        due, wording = terms
        draft.doubts.append("due_from_terms")
        draft.notes.append(f"due date inferred from payment terms '{wording.strip()}'")
        return due, True
    draft.doubts.append("due_from_default")
    draft.notes.append(f"no due date or payment terms: default terms of {default_terms_days} days applied")
    return start + timedelta(days=default_terms_days), True


def _confidence(draft: Draft) -> float:
    score = BASE_CONFIDENCE.get(draft.source, 0.8) - sum(PENALTY[d] for d in dict.fromkeys(draft.doubts))
    missing = [name for name in ESSENTIAL if getattr(draft, name) in (None, "")]
    if missing:
        draft.notes.append("missing " + ", ".join(missing))
        score = min(score, MISSING_CAP - 0.05 * (len(missing) - 1))
    if draft.amount is not None and draft.amount <= 0:
        draft.notes.append("amount payable is not positive")
        score = min(score, MISSING_CAP)
    return round(max(score, 0.0), 3)


@dataclass(frozen=True)
class MailHints:
    """What the mail around a document says, used only where the document itself is silent."""

    customer_email: str | None = None
    customer_email_from: str = ""  # where the address came from, for the reviewer
    issue_date: date | None = None  # the original mail's date
    own_domain: str | None = None  # the forwarder's company: never the customer's address
    own_names: tuple[str, ...] = ()  # our company's names (settings company_name): never the customer


def finish(draft: Draft, *, default_terms_days: int, hints: MailHints | None = None) -> ExtractedInvoice:
    """The ExtractedInvoice for a draft: due date inferred when missing, confidence scored, notes kept."""
    hints = hints or MailHints()
    own = hints.own_domain
    if own and draft.customer_email and draft.customer_email.lower().endswith("@" + own):
        draft.notes.append(f"ignored {draft.customer_email}: it is the sender's own company's address")
        draft.customer_email = None
    if not draft.customer_email and hints.customer_email:
        draft.customer_email = hints.customer_email
        draft.doubts.append("customer_email_from_mail")
        draft.notes.append(f"customer email taken from {hints.customer_email_from or 'the mail'}")
    fallback_issue = hints.issue_date
    due, inferred = _infer_due(draft, default_terms_days, fallback_issue)
    confidence = _confidence(draft)
    return ExtractedInvoice(
        number=draft.number,
        customer_name=draft.customer_name,
        customer_email=draft.customer_email.lower() if draft.customer_email else None,
        amount=draft.amount,
        currency=draft.currency,
        issue_date=draft.issue_date,
        due_date=due,
        registration_number=draft.registration_number,
        language=draft.language,
        source=draft.source,
        confidence=confidence,
        due_date_inferred=inferred,
        notes=tuple(dict.fromkeys(draft.notes)),
    )
