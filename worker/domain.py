"""Value types shared by every part of dunmail. Imports nothing of ours.

Enums are closed: an unknown value is a bug and raises ValueError.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


class Intent(enum.StrEnum):
    """What a customer's reply means. Precedence among the non-automatic ones is PRECEDENCE."""

    BOUNCE = "bounce"
    AUTO_REPLY = "auto_reply"
    DISPUTE = "dispute"
    PAYMENT_PLAN = "payment_plan"
    PAID = "paid"
    PROMISE_TO_PAY = "promise_to_pay"
    OTHER = "other"


# When a reply says several things, the first of these it says wins (DESIGN.md).
# A reply is acted on when the classifier's calibrated probability reaches this (settings.classify_min_confidence).
DEFAULT_MIN_CONFIDENCE = 0.8

PRECEDENCE: tuple[Intent, ...] = (
    Intent.DISPUTE,
    Intent.PAYMENT_PLAN,
    Intent.PAID,
    Intent.PROMISE_TO_PAY,
    Intent.OTHER,
)


class CaseState(enum.StrEnum):
    ACTIVE = "active"  # on the ladder
    PROMISED = "promised"  # waiting for a promised date + grace
    PAYMENT_CLAIMED = "payment_claimed"  # customer says paid; finance confirms
    PLAN_REQUESTED = "plan_requested"
    ON_PLAN = "on_plan"
    DISPUTED = "disputed"
    CONTACT_INVALID = "contact_invalid"
    NEEDS_REVIEW = "needs_review"
    ESCALATED = "escalated"
    PAID = "paid"
    CLOSED = "closed"

    @property
    def is_open(self) -> bool:
        return self not in (CaseState.PAID, CaseState.CLOSED)

    @property
    def chases(self) -> bool:
        """True when the ladder may send the next reminder in this state."""
        return self in (CaseState.ACTIVE, CaseState.ON_PLAN, CaseState.PROMISED)


class Direction(enum.StrEnum):
    OUTBOUND = "out"
    INBOUND = "in"


class ReviewKind(enum.StrEnum):
    """Why an item waits in the finance review queue."""

    DISPUTE = "dispute"
    PLAN_REQUEST = "plan_request"
    PAYMENT_CLAIM = "payment_claim"
    BOUNCE = "bounce"
    UNPLACED = "unplaced"  # a reply that could not be tied to a case
    UNCLEAR = "unclear"  # a reply that could not be classified confidently (or intent other)
    INTAKE = "intake"  # an intake extraction to confirm
    SEND_UNCERTAIN = "send_uncertain"  # a send whose outcome is unknown
    SEND_FAILED = "send_failed"  # the mail server refused a reminder for good
    ESCALATION = "escalation"  # the ladder ran out: hand the case to a person (legal, agency)
    PARSE_FAILED = "parse_failed"  # a mail that could not be parsed at all


@dataclass(frozen=True)
class Classification:
    """What the classifier made of one inbound mail (the `dunmail classify` contract, plus extras)."""

    intent: Intent
    confidence: float
    language: str
    reply_text: str
    promised_date: date | None = None
    invoice_refs: tuple[str, ...] = ()
    amounts: tuple[tuple[Decimal, str | None], ...] = ()  # (amount, ISO currency or None)
    bounce_recipients: tuple[str, ...] = ()
    bounce_permanent: bool | None = None
    original_message_id: str | None = None  # for bounces: the Message-ID of the mail that failed
    return_date: date | None = None  # for auto-replies: when the person is back
    reasons: tuple[str, ...] = ()  # names of the rules that fired, for the review UI
    why: tuple[str, ...] = ()  # the sentences that decided the intent, for a person
    alternatives: tuple[tuple[Intent, float], ...] = ()  # the top two intents and their probability

    def contract(self, file: str) -> dict[str, object]:
        """The JSON object `dunmail classify --json` prints for one file."""
        return {
            "file": file,
            "intent": self.intent.value,
            "confidence": round(float(self.confidence), 3),
            "promised_date": self.promised_date.isoformat() if self.promised_date else None,
            "language": self.language,
            "reply_text": self.reply_text,
            "invoice_refs": list(self.invoice_refs),
            "bounce_recipients": list(self.bounce_recipients),
            "why": list(self.why),
        }


@dataclass(frozen=True)
class ExtractedInvoice:
    """One invoice read from a forwarded mail (the `dunmail intake parse` contract, plus extras)."""

    number: str | None
    customer_name: str | None
    customer_email: str | None
    amount: Decimal | None  # total payable including tax
    currency: str | None  # ISO 4217
    issue_date: date | None
    due_date: date | None
    registration_number: str | None = None  # JP qualified-invoice number T + 13 digits, VAT id …
    language: str | None = None
    source: str = ""  # "ubl", "cii", "facturx", "pdf", "body"
    confidence: float = 1.0
    due_date_inferred: bool = False  # due date came from payment terms, not the document
    notes: tuple[str, ...] = field(default_factory=tuple)  # what was missing or guessed

    def contract(self) -> dict[str, object]:
        return {
            "number": self.number,
            "customer_name": self.customer_name,
            "customer_email": self.customer_email,
            "amount": format(self.amount, "f") if self.amount is not None else None,
            "currency": self.currency,
            "issue_date": self.issue_date.isoformat() if self.issue_date else None,
            "due_date": self.due_date.isoformat() if self.due_date else None,
        }
