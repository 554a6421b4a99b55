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
    r"^(?:auto(?:matic)?[- ]?(?:reply|response)|out of (?:the )?office|ooo\b|abwesenheit|absence|"
    r"自動(?:応答|返信)|不在(?:通知|のお知らせ)|休暇)|out of (?:the )?office|自動応答|自動返信",
    re.IGNORECASE,
)


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
                reason=f"detect_auto_reply:{getattr(auto, 'kind', '')}",
            )
        )
    return None


def _fallback_bounce(mail: ParsedMail) -> Automatic | None:
    ctype = mail.message.get_content_type()
    report = (
        ctype == "multipart/report" and "delivery-status" in str(mail.message.get("Content-Type", "")).lower()
    )
    if not (report or _DAEMON.match(mail.from_addr) or _BOUNCE_SUBJECT.search(mail.subject)):
        return None
    recipients: tuple[str, ...] = ()
    permanent: bool | None = None
    try:
        from flufl.bounce import all_failures

        temporary, hard = all_failures(mail.message)
        recipients = tuple(sorted({a.decode("utf-8", "replace").lower() for a in (*hard, *temporary)}))
        permanent = bool(hard) if (hard or temporary) else None
    except Exception:  # a bounce we cannot read is still a bounce; a person sees the raw mail
        recipients = ()
    if not report and not recipients:
        return None
    return Automatic("bounce", recipients=recipients, permanent=permanent, reason="fallback_bounce")


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
