"""Bounces and automatic replies, decided before any reading of words (DESIGN.md).

The detectors are worker.inbound.bounces and worker.inbound.autoreply; this module turns their reports
into one Automatic value for the classifier, and keeps the word-level out-of-office check the
classifier applies after its intent rules found nothing a person said.
"""

from __future__ import annotations

import re
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


# An out-of-office or ticket acknowledgement in the words themselves. Read only after the intent rules
# found nothing a person said (a customer's "I was out of the office, we paid yesterday" is paid).
_AUTO_TEXT = re.compile(
    r"\bout of (?:the )?office\b|\b(?:i am|i'm|i will be|i'll be)\s+(?:currently\s+)?(?:away|travel+ing|on "
    r"(?:annual |parental |maternity |paternity |sick )?(?:leave|vacation|holiday))|\blimited access to "
    r"(?:e-?mail|my e-?mail)|\bchecking (?:e-?mail|my e-?mail) (?:only )?(?:occasionally|intermittently)|"
    r"\bautomated (?:response|reply|message|acknowledg)|\bautomatic (?:reply|response)|\bauto-?reply\b|"
    r"\bthis is an automat|\bdo not reply to this (?:e-?mail|message)|\b(?:ticket|case|reference) "
    r"(?:number|no\.?|#)\s*(?:is\s*)?#?\w*\d|\bwill (?:reply|respond) (?:when|once) i(?:'m| am) back|"
    r"\buntil\s+\w+\s+\d{1,2}\b.{0,40}\b(?:return|back)\b|"
    r"自動(?:返信|応答|送信)|このメールは自動|返信はご遠慮|不在(?:にしております|のため|です|となります|をいたします)|"
    r"休暇(?:を(?:取得|頂|いただ)|中|のため)|出張(?:中|のため)(?:につき)?.{0,20}(?:返信|ご連絡|確認)|"
    r"(?:お問い合わせ|メール)を受け付けました|受付番号",
    re.IGNORECASE,
)


def auto_reply_text(text: str) -> bool:
    """True when the words themselves read as an out-of-office or an automatic acknowledgement."""
    return _AUTO_TEXT.search(text[:1500]) is not None


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
