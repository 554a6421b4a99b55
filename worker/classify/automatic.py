"""Bounces and automatic replies, decided before any reading of words (DESIGN.md).

The detectors are worker.inbound.bounces and worker.inbound.autoreply (which also reads out-of-office
texts that carry no header, with guards against a person's own words); this module turns their reports
into one Automatic value for the classifier.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from worker.inbound.autoreply import detect_auto_reply
from worker.inbound.bounces import detect_bounce
from worker.inbound.message import ParsedMail


@dataclass(frozen=True)
class Automatic:
    """What the header-level detectors found: a bounce or an automatic reply, with its details."""

    kind: str  # "bounce" or "auto_reply"
    recipients: tuple[str, ...] = ()
    permanent: bool | None = None
    original_message_id: str | None = None
    return_date: date | None = None
    confidence: float = 0.95
    reason: str = ""
    words_only: bool = False  # read from the words alone (no header, no subject): a person's clear intent wins


def detect_automatic(mail: ParsedMail, *, reply: str | None = None) -> Automatic | None:
    """A bounce or an automatic reply, or None for a person's own words (`reply`: the extracted new text)."""
    bounce = detect_bounce(mail)
    if bounce is not None:
        return Automatic("bounce", recipients=bounce.recipients, permanent=bounce.permanent,
                         original_message_id=bounce.original_message_id, reason="detect_bounce")
    auto = detect_auto_reply(mail, reply=reply)
    if auto is not None:
        return Automatic("auto_reply", return_date=auto.return_date,
                         reason=f"detect_auto_reply:{auto.kind}:{auto.reason}", words_only=auto.reason == "text")
    return None
