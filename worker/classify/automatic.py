"""Bounces and automatic replies, decided before any reading of words (DESIGN.md).

The detectors live in worker.inbound.bounces / worker.inbound.autoreply. Until a build ships them this
module falls back to the plain signs — an RFC 3464 report or a mailer-daemon sender for a bounce
(recipients from flufl.bounce), RFC 3834 Auto-Submitted and the common vendor headers or an
out-of-office subject for an automatic reply — so classify() always answers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

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
    words_only: bool = (
        False  # read from the words alone (no header, no subject): a person's clear intent wins
    )


def _load(module: str, name: str) -> Callable[[ParsedMail], Any] | None:
    try:
        imported = __import__(module, fromlist=[name])
    except ImportError:
        return None
    found = getattr(imported, name, None)
    return found if callable(found) else None


_BOUNCE = _load("worker.inbound.bounces", "detect_bounce")
_AUTO = _load("worker.inbound.autoreply", "detect_auto_reply")

_DAEMON = re.compile(r"^(?:mailer-daemon|postmaster|mail-daemon|mailerdaemon)@", re.IGNORECASE)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery (?:status notification|failure|has failed)|returned mail|failure notice|"
    r"mail delivery (?:failed|system)|not delivered|配信不能|配送エラー|エラーメール|送信失敗|宛先不明",
    re.IGNORECASE,
)
_AUTO_SUBJECT = re.compile(
    r"^(?:auto(?:matic)?[- ]?(?:reply|response|antwort)?\s*[:：]|out of (?:the )?office|ooo\b|abwesenheit|"
    r"absence|自動(?:応答|返信)|不在(?:通知|のお知らせ)?|休暇)|out of (?:the )?office|自動応答|自動返信|"
    r"\bautoreply\b|\bauto-reply\b",
    re.IGNORECASE,
)
_BULK = re.compile(r"^\s*(?:bulk|junk|auto_reply)\s*$", re.IGNORECASE)
_BOUNCE_TEXT = re.compile(
    r"could not be delivered|couldn't be delivered|undeliverable|delivery (?:has )?failed|permanent(?:ly)? "
    r"(?:error|failure|fatal)|user unknown|no such user|mailbox (?:unavailable|not found|full)|"
    r"host or domain name not found|address (?:rejected|not found)|\b5\.\d\.\d+\b|"
    r"届きませんでした|配信(?:でき|され)ませんでした|送信(?:でき|され)ませんでした|配送(?:でき|され)ませんでした|"
    r"宛先(?:が)?(?:不明|見つかりません)|存在しません",
    re.IGNORECASE,
)
_ADDRESS = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")

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


def detect_automatic(mail: ParsedMail) -> Automatic | None:
    """A bounce or an automatic reply, or None for a person's own words."""
    bounce = _BOUNCE(mail) if _BOUNCE is not None else _fallback_bounce(mail)
    if bounce is not None:
        return (
            bounce
            if isinstance(bounce, Automatic)
            else Automatic(
                "bounce",
                recipients=tuple(getattr(bounce, "recipients", ()) or ()),
                permanent=getattr(bounce, "permanent", None),
                original_message_id=getattr(bounce, "original_message_id", None),
                reason="detect_bounce",
            )
        )
    auto = _AUTO(mail) if _AUTO is not None else _fallback_auto_reply(mail)
    if auto is not None:
        return (
            auto
            if isinstance(auto, Automatic)
            else Automatic(
                "auto_reply",
                return_date=getattr(auto, "return_date", None),
                reason=f"detect_auto_reply:{getattr(auto, 'kind', '')}:{getattr(auto, 'reason', '')}",
                words_only=getattr(auto, "reason", "") == "text",
            )
        )
    return None


def _fallback_bounce(mail: ParsedMail) -> Automatic | None:
    ctype = mail.message.get_content_type()
    report = (
        ctype == "multipart/report" and "delivery-status" in str(mail.message.get("Content-Type", "")).lower()
    )
    sender = bool(_DAEMON.match(mail.from_addr)) or bool(_BOUNCE_SUBJECT.search(mail.subject))
    if not (report or sender):
        return None
    recipients, permanent = _failed_recipients(mail)
    if not report and not recipients and not _BOUNCE_TEXT.search(mail.text[:4000]):
        return None
    if not recipients:
        recipients = _addresses_in_notice(mail)
    return Automatic("bounce", recipients=recipients, permanent=permanent, reason="fallback_bounce")


def _failed_recipients(mail: ParsedMail) -> tuple[tuple[str, ...], bool | None]:
    try:
        from flufl.bounce import all_failures

        temporary, hard = all_failures(mail.message)
    except Exception:  # a bounce we cannot read is still a bounce; a person sees the raw mail
        return (), None
    found = tuple(sorted({a.decode("utf-8", "replace").lower() for a in (*hard, *temporary)}))
    return found, (bool(hard) if found else None)


def _addresses_in_notice(mail: ParsedMail) -> tuple[str, ...]:
    """Addresses a non-standard notice names, other than its own sender and recipients."""
    own = {mail.from_addr, *mail.to, *mail.cc}
    found = (a.lower().rstrip(".") for a in _ADDRESS.findall(mail.text[:4000]))
    return tuple(dict.fromkeys(a for a in found if a not in own and not _DAEMON.match(a)))[:10]


def _fallback_auto_reply(mail: ParsedMail) -> Automatic | None:
    submitted = (mail.header("Auto-Submitted") or "").strip().lower()
    if submitted and submitted != "no":
        return Automatic("auto_reply", reason="auto_submitted")
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Reply"):
        if mail.header(name):
            return Automatic("auto_reply", reason=name.lower())
    if (
        mail.header("X-MS-Exchange-Inbox-Rules-Loop")
        or mail.header("X-MS-Exchange-Generated-Message-Source")
        or (mail.header("Precedence") or "").strip().lower() == "auto_reply"
    ):
        return Automatic("auto_reply", reason="exchange")
    if _AUTO_SUBJECT.search(mail.subject):
        return Automatic("auto_reply", confidence=0.8, reason="auto_subject")
    return None
