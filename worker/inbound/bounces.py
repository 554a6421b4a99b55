"""Delivery failures: is this mail a bounce of something we sent, which addresses failed, and for good?

Signals, strongest first:
1. An RFC 3464 delivery-status report (``message/delivery-status``), read per recipient block with the
   stdlib: Final-Recipient (or Original-Recipient), Action, Status, Diagnostic-Code.
2. ``X-Failed-Recipients`` (Exim and others).
3. A bounce-shaped mail without a report: a mailer-daemon/postmaster sender or a "Mail Delivery System"
   name, a bounce subject (English and Japanese carrier forms), failure wording in the text. Recipients
   then come from flufl.bounce (a second opinion that knows many vendors) and from our own reading of the
   text before the returned copy; the last resort is the To of the returned original message, which is
   the failed address whenever we sent to one recipient (dunmail always does).

Choices a reader should know:
- ``permanent`` means the server gave up: Action ``failed`` or a 5.x.x status. ``delayed`` / 4.x.x with
  no ``failed`` recipient is a delay notice (permanent=False): the mail may still arrive.
- A report whose every recipient was ``delivered``/``relayed``/``expanded`` is a success notice, not a
  bounce: None.
- An abuse/spam feedback report (ARF, ``message/feedback-report``) is not a delivery failure: None. The
  classifier then reads it as words, which puts it in front of a person (``other``); see
  :func:`is_feedback_report` for callers that want to tell it apart.
- Recipient addresses are lower-cased, without ``rfc822;`` prefixes or angle brackets.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from email.message import Message
from email.parser import HeaderParser
from typing import Any

import structlog

from worker.inbound.message import ParsedMail

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class BounceReport:
    """A delivery failure: who failed, whether the server gave up, and which of our mails it was."""

    recipients: tuple[str, ...]
    permanent: bool
    original_message_id: str | None
    status: str | None  # RFC 3463 enhanced status, e.g. "5.1.1", when one was given
    diagnostic: str | None  # the remote server's words (Diagnostic-Code or the SMTP reply), trimmed
    reason: str  # which signal decided: "dsn", "x_failed_recipients", "daemon_text", …


@dataclass(frozen=True)
class _Recipient:
    address: str
    action: str  # "failed", "delayed", "delivered", "relayed", "expanded" or ""
    status: str | None
    diagnostic: str | None


_DAEMON_LOCAL = re.compile(
    r"^(?:mailer[-_]?daemon|mail[-_]?daemon|postmaster|post_master|poostmaster|mdaemon|mail[-_]?delivery|"
    r"mailerdaemon|bounces?|mail[-_]?admin|sysadmin|smtp[-_]?daemon)(?:[-+.][^@]*)?@",
    re.IGNORECASE,
)
_DAEMON_NAME = re.compile(
    r"mailer[- ]?daemon|mail delivery (?:system|subsystem|service)|postmaster|mail administrator|"
    r"メール配信システム",
    re.IGNORECASE,
)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver(?:ed|able)|returned (?:mail|to sender)|return(?:ing)? message to sender|failure notice|"
    r"delivery (?:status notification|failure|failed|has failed|report|problem|notification)|"
    r"(?:mail|message) (?:delivery )?(?:failed|failure|could not be delivered|not delivered)|"
    r"failed delivery|failure delivery|delivery status|mail system error|non[- ]?delivery|"
    r"could not send (?:message|mail)|error sending your mail|delivery notification|"
    r"nicht zustellbar|unzustellbar|non remis|non recapitabile|no entregado|"
    r"配信(?:不能|エラー|失敗)|配送(?:不能|エラー|失敗)|送信(?:エラー|失敗)|不達|エラーメール|"
    r"メッセージを配信できません|宛先不明|返送|(?:メール)?エラー通知|(?:送信|配信|配達)(?:が)?できませんでした|"
    r"^【エラー】",
    re.IGNORECASE,
)
_DELAY_WORDS = re.compile(
    r"\bdelay(?:ed)?\b|still being retried|will (?:continue|keep) (?:to )?(?:try|retry)|"
    r"has not (?:yet )?been delivered|not yet been delivered|could not send mail for past|"
    r"\bwarning\b[^\n]{0,40}(?:deliver|send|message)|temporary|遅延|再送を試み",
    re.IGNORECASE,
)
_FAILURE_TEXT = re.compile(
    r"(?:could not|couldn't|can ?not|cannot|unable to|wasn't able to|was not able to|failed to) "
    r"(?:be )?deliver|undeliverable|delivery (?:to the following recipients? )?(?:has )?failed|"
    r"permanent(?:ly)? (?:error|fail)|user unknown|unknown user|no such (?:user|mailbox|address)|"
    r"mailbox (?:unavailable|not found|full|is full)|recipient (?:address )?rejected|"
    r"address (?:not found|rejected)|does not exist|returned to sender|message (?:was )?not delivered|"
    r"not (?:be )?delivered|rejected|delivery (?:failure|problem)|\b5\d\d[ -]5\.\d{1,3}\.\d{1,3}\b|"
    r"(?:^|\s)[45]\.\d{1,3}\.\d{1,3}\b|宛先.{0,10}(?:見つかりません|存在しません|存在しない|不明)|配信でき|送信でき|"
    r"届きませんでした|(?:送信|配信|配達)(?:は|に)?失敗|受信拒否",
    re.IGNORECASE | re.MULTILINE,
)
# Where the returned copy of our own mail begins in a plain-text bounce: nothing after it is about
# the failure (it is our reminder, whose addresses must not be read as failed ones).
_COPY_START = re.compile(
    r"^[ \t>]*(?:-{2,}.*(?:copy of|original message|returned message|undelivered message|"
    r"message headers|forwarded message|below this line).*$|"
    r"(?:message headers follow|original message follows|"
    r"\*\*\* ?the original message|------ this is a copy|"
    r"-+ ?(?:original|returned) (?:message|mail|headers)).*$|"
    r"received:\s*(?:from|by)\s.*$|return-path:\s*.*$)",
    re.IGNORECASE | re.MULTILINE,
)
_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_HEADER_LINE = re.compile(r"[\s>]*(?:message-id|in-reply-to|references|received|from|reply-to)\s*:", re.I)
# Message ids look like addresses; any named as one in the text must never be taken for a recipient.
_MESSAGE_ID_ANY = re.compile(r"(?:message-id|references|in-reply-to)\s*:\s*<?([^<>\s]+@[^<>\s]+?)>?\s*$", re.I | re.M)
_STATUS = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_SMTP_CODE = re.compile(r"(?<![\d.])([45])\d\d(?=[ -])")
_MESSAGE_ID_LINE = re.compile(
    r"^[ \t>]*(?:original-)?message-id:\s*<?([^<>\s]+@[^<>\s]+?)>?\s*$", re.IGNORECASE | re.MULTILINE
)
_RETURNED_TYPES = frozenset(
    {"message/rfc822", "message/global", "text/rfc822-headers", "message/rfc822-headers", "message/global-headers"}
)
_TEXT_DSN_FIELD = re.compile(
    r"^[ \t>]*(final-recipient|original-recipient|action|status|diagnostic-code)[ \t]*:[ \t]*(.*)$",
    re.IGNORECASE | re.MULTILINE,
)
# Amazon SES notifications delivered by SNS e-mail: a JSON body (raw, or wrapped in an SNS envelope).
_SES_MARK = re.compile(r'\\?"(?:notificationType|Type)\\?"\s*:')
_SUCCESS_ACTIONS = frozenset({"delivered", "relayed", "expanded", "deliverable"})
_MAX_DIAGNOSTIC = 500


def detect_bounce(mail: ParsedMail) -> BounceReport | None:
    """A delivery failure report for one of our mails, or None (see the module docstring)."""
    msg = mail.message
    failed_header = _x_failed_recipients(mail)
    daemon = _from_daemon(mail)
    subject = bool(_BOUNCE_SUBJECT.search(mail.subject)) and not _is_human_forward(mail)
    null_sender = (mail.header("Return-Path") or "").strip() == "<>"
    signalled = bool(failed_header or daemon or subject or null_sender or _is_report(msg))
    # Most mail is a person's reply: one header look and one byte search settle it without a MIME walk.
    if not signalled and not _has_report_fields(mail.raw) and not _SES_MARK.search(mail.text[:200]):
        return None
    if is_feedback_report(mail):
        return None
    recipients = list(_dsn_recipients(msg)) or _text_dsn_recipients(mail)
    if recipients:
        return _from_dsn(mail, recipients)
    if _SES_MARK.search(mail.text[:200]):
        return _from_ses(mail)
    if not signalled:
        return None
    head = _failure_part(mail.text)
    worded = bool(_FAILURE_TEXT.search(head)) or bool(_DELAY_WORDS.search(mail.subject))
    flufl_hard, flufl_soft = _flufl(msg)
    if failed_header:
        reason = "x_failed_recipients"
    elif daemon and (subject or worded or flufl_hard or flufl_soft):
        reason = "daemon_text"
    elif subject and (worded or flufl_hard or flufl_soft or _returned_part(msg) is not None):
        reason = "bounce_subject"
    elif _is_report(msg) and (worded or flufl_hard or flufl_soft):
        reason = "report"
    elif null_sender and worded and (flufl_hard or flufl_soft or _returned_part(msg) is not None):
        reason = "null_sender_text"  # sent with the null envelope sender, as bounces are (RFC 5321)
    else:
        return None
    return _from_text(mail, head, failed_header, flufl_hard, flufl_soft, reason)


def _has_report_fields(raw: bytes) -> bool:
    low = raw.lower()  # bytes.lower and `in` are far cheaper than a case-blind regex over the whole mail
    return b"delivery-status" in low or b"final-recipient" in low


def is_feedback_report(mail: ParsedMail) -> bool:
    """True for an abuse/spam feedback report (RFC 5965 ARF): a complaint, not a delivery failure."""
    msg = mail.message
    if msg.get_content_type() == "multipart/report":
        report_type = str(msg.get_param("report-type") or "").lower()
        if report_type == "feedback-report":
            return True
    return any(part.get_content_type() == "message/feedback-report" for part in msg.walk())


# --- RFC 3464 -----------------------------------------------------------------------------------------


def _dsn_recipients(msg: Message) -> Iterator[_Recipient]:
    for part in msg.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        for block in _status_blocks(part):
            recipient = _recipient_of(block)
            if recipient is not None:
                yield recipient


def _status_blocks(part: Message) -> Iterator[Message]:
    payload = part.get_payload()
    if isinstance(payload, list):
        yield from (block for block in payload if isinstance(block, Message))
        return
    # Not split by the parser (encoded, or blank lines missing): split the text ourselves.
    data = part.get_payload(decode=True)
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else str(payload)
    for chunk in re.split(r"\r?\n[ \t]*\r?\n", text):
        if chunk.strip():
            yield HeaderParser().parsestr(chunk.strip() + "\n")


def _recipient_of(block: Message) -> _Recipient | None:
    field = block.get("Final-Recipient") or block.get("Original-Recipient") or block.get("X-Actual-Recipient")
    if not field:
        return None
    address = _address_of(str(field))
    if address is None:
        return None
    status_field = _clean(block.get("Status"))
    status_match = _STATUS.search(status_field or "")
    status = ".".join(status_match.groups()) if status_match else None
    action = (_clean(block.get("Action")) or "").split()[0].lower() if block.get("Action") else ""
    if not action and status:
        action = {"5": "failed", "4": "delayed", "2": "delivered"}[status[0]]
    diagnostic = _clean(block.get("Diagnostic-Code"))
    if diagnostic and ";" in diagnostic[:12]:
        diagnostic = diagnostic.split(";", 1)[1].strip()
    return _Recipient(address, action or "failed", status, _trim(diagnostic))


def _text_dsn_recipients(mail: ParsedMail) -> list[_Recipient]:
    """DSN fields in the text itself: reports whose MIME structure broke, or pasted as plain text."""
    if "recipient" not in mail.text.lower():
        return []
    blocks: list[dict[str, str]] = []
    for match in _TEXT_DSN_FIELD.finditer(mail.text):
        name, value = match.group(1).lower(), match.group(2).strip()
        if name in ("final-recipient", "original-recipient"):
            if blocks and "final-recipient" in blocks[-1] and name == "original-recipient":
                continue
            if not blocks or "action" in blocks[-1] or "status" in blocks[-1] or name in blocks[-1]:
                blocks.append({})
        if blocks:
            blocks[-1].setdefault(name, value)
    out: list[_Recipient] = []
    for fields in blocks:
        if "action" not in fields and "status" not in fields:
            continue
        block = Message()
        for name, value in fields.items():
            block[name] = value
        recipient = _recipient_of(block)
        if recipient is not None:
            out.append(recipient)
    return out


def _from_ses(mail: ParsedMail) -> BounceReport | None:
    """An Amazon SES notification: a Bounce is one; Delivery and Complaint notices are not."""
    note = _ses_notification(mail.text)
    if note is None or note.get("notificationType") != "Bounce":
        return None
    bounce = note.get("bounce") or {}
    rows = [r for r in bounce.get("bouncedRecipients") or [] if isinstance(r, dict)]
    recipients = _unique(str(r.get("emailAddress", "")).lower() for r in rows)
    first = rows[0] if rows else {}
    diagnostic = str(first.get("diagnosticCode") or "") or None
    if diagnostic and ";" in diagnostic[:12]:
        diagnostic = diagnostic.split(";", 1)[1].strip()
    message_id = ((note.get("mail") or {}).get("commonHeaders") or {}).get("messageId")
    return BounceReport(
        recipients=recipients,
        permanent=bounce.get("bounceType") == "Permanent",
        original_message_id=str(message_id).strip("<>") if message_id else None,
        status=str(first.get("status")) if first.get("status") else None,
        diagnostic=_trim(diagnostic),
        reason="ses_notification",
    )


def _ses_notification(text: str) -> dict[str, Any] | None:
    start = text.find("{")
    if start < 0:
        return None
    # strict=False: SNS mail wraps long lines, which leaves raw newlines inside JSON strings.
    decoder = json.JSONDecoder(strict=False)
    try:
        data, _ = decoder.raw_decode(text, start)
        if isinstance(data, dict) and isinstance(data.get("Message"), str):  # the SNS envelope
            data, _ = decoder.raw_decode(data["Message"].strip())
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _from_dsn(mail: ParsedMail, recipients: list[_Recipient]) -> BounceReport | None:
    failed = [r for r in recipients if r.action == "failed"]
    delayed = [r for r in recipients if r.action not in _SUCCESS_ACTIONS and r.action != "failed"]
    chosen = failed or delayed
    if not chosen:
        log.info("dsn_success_notice", message_id=mail.message_id)
        return None
    first = chosen[0]
    return BounceReport(
        recipients=_unique(r.address for r in chosen),
        permanent=bool(failed),
        original_message_id=_original_message_id(mail),
        status=first.status,
        diagnostic=first.diagnostic,
        reason="dsn" if failed else "dsn_delayed",
    )


# --- everything else ----------------------------------------------------------------------------------


def _from_text(
    mail: ParsedMail,
    head: str,
    failed_header: list[str],
    flufl_hard: set[str],
    flufl_soft: set[str],
    reason: str,
) -> BounceReport:
    own = _text_recipients(mail, head)
    ids = {m.lower() for m in _MESSAGE_ID_ANY.findall(mail.text)}
    found = [*failed_header, *sorted(flufl_hard), *sorted(flufl_soft), *own]
    plausible = [a for a in found if a not in ids and not a.startswith("/")]
    ours = _our_addresses(mail)
    # Someone mailing themselves bounces too: drop our side only when another address remains.
    recipients = _unique(a for a in plausible if a not in ours) or _unique(plausible)
    if not recipients:
        recipients = _returned_recipients(mail.message) or _inline_copy_recipients(mail.text)
        reason += "+returned_to"
    status_match = _STATUS.search(head)
    status = ".".join(status_match.groups()) if status_match else None
    delay = bool(_DELAY_WORDS.search(mail.subject)) or bool(
        _DELAY_WORDS.search(head) and not re.search(r"permanent|gave up|given up", head, re.IGNORECASE)
    )
    if status is not None:
        permanent = status.startswith("5")
    elif flufl_hard or flufl_soft:
        permanent = bool(flufl_hard) and not delay
    else:
        code = _SMTP_CODE.search(head)
        permanent = code.group(1) == "5" if code else not delay
    return BounceReport(
        recipients=recipients,
        permanent=permanent,
        original_message_id=_original_message_id(mail),
        status=status,
        diagnostic=_diagnostic_line(head),
        reason=reason,
    )


def _x_failed_recipients(mail: ParsedMail) -> list[str]:
    found: list[str] = []
    for value in mail.message.get_all("X-Failed-Recipients") or []:
        found.extend(a.lower() for a in _ADDRESS.findall(str(value)))
    return found


def _from_daemon(mail: ParsedMail) -> bool:
    if _DAEMON_LOCAL.match(mail.from_addr) or _DAEMON_NAME.search(mail.from_name):
        return True
    if not mail.from_addr:  # some MTAs send bounces with no From at all; the null sender says the rest
        return_path = (mail.header("Return-Path") or "").strip()
        return return_path in ("<>", "") and bool(_BOUNCE_SUBJECT.search(mail.subject))
    return False


def _is_human_forward(mail: ParsedMail) -> bool:
    """'Re: Undeliverable: …' from a person is a reply about a bounce, not a bounce."""
    return bool(re.match(r"^\s*(?:re|aw|sv|回答|返信)\s*[:：]", mail.subject, re.IGNORECASE)) and not (
        _DAEMON_LOCAL.match(mail.from_addr)
    )


def _is_report(msg: Message) -> bool:
    return msg.get_content_type() == "multipart/report"


def _flufl(msg: Message) -> tuple[set[str], set[str]]:
    """flufl.bounce's reading: (permanent, temporary) address sets; empty when it finds nothing."""
    try:
        from flufl.bounce import all_failures

        temporary, permanent = all_failures(msg)
    except Exception as exc:  # a detector tripping on odd mail must not lose the bounce
        log.info("flufl_bounce_failed", error=type(exc).__name__)
        return set(), set()
    return _flufl_set(permanent), _flufl_set(temporary)


def _flufl_set(values: Iterable[bytes | str]) -> set[str]:
    found: set[str] = set()
    for value in values:
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        address = _address_of(text)
        if address is not None:
            found.add(address)
    return found


def _failure_part(text: str) -> str:
    """The bounce's own words: the text before the returned copy of our mail begins."""
    match = _COPY_START.search(text, 40)
    return text[: match.start()] if match else text[:4000]


def _text_recipients(mail: ParsedMail, head: str) -> list[str]:
    """Addresses the failure text names, minus ours, the daemon's and message ids."""
    # The bounce's own To is our address; Delivered-To/X-Original-To may name the failed one, so not those.
    own = " ".join(str(v) for v in mail.message.get_all("To") or [])
    ignore = {mail.from_addr, *(a.lower() for a in _ADDRESS.findall(own))}
    found: list[str] = []
    for line in head.splitlines():
        if _HEADER_LINE.match(line):
            continue
        for match in _ADDRESS.finditer(line):
            address = match.group(0).lower().strip(".")
            before = line[max(0, match.start() - 8) : match.start()].lower()
            if address in ignore or _DAEMON_LOCAL.match(address) or "://" in before or "=" in before[-1:]:
                continue
            found.append(address)
    return found


def _returned_part(msg: Message) -> Message | None:
    for part in msg.walk():
        if part.get_content_type() in _RETURNED_TYPES:
            return part
    return None


def _returned_headers(msg: Message) -> Message | None:
    part = _returned_part(msg)
    if part is None:
        return None
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        return payload[0]
    data = part.get_payload(decode=True)
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else str(payload)
    return HeaderParser().parsestr(text)


def _returned_recipients(msg: Message) -> tuple[str, ...]:
    headers = _returned_headers(msg)
    if headers is None:
        return ()
    return _unique(a.lower() for a in _ADDRESS.findall(str(headers.get("To") or "")))


def _our_addresses(mail: ParsedMail) -> set[str]:
    """The sender side of the failed mail (the bounce's To, the returned copy's From): never a recipient."""
    values = [str(v) for v in mail.message.get_all("To") or []]
    headers = _returned_headers(mail.message)
    if headers is not None:
        values += [str(headers.get("From") or ""), str(headers.get("Return-Path") or "")]
    start = _COPY_START.search(mail.text, 40)
    if start is not None:
        line = re.search(r"^[ \t>]*from:[ \t]*(.+)$", mail.text[start.start() :], re.IGNORECASE | re.MULTILINE)
        values += [line.group(1)] if line else []
    return {a.lower() for value in values for a in _ADDRESS.findall(value)}


def _inline_copy_recipients(text: str) -> tuple[str, ...]:
    """The To of our mail when the bounce quotes it inline as text after the failure report."""
    start = _COPY_START.search(text, 40)
    if start is None:
        return ()
    to_line = re.search(r"^[ \t>]*to:[ \t]*(.+)$", text[start.start() :], re.IGNORECASE | re.MULTILINE)
    return _unique(a.lower() for a in _ADDRESS.findall(to_line.group(1))) if to_line else ()


def _original_message_id(mail: ParsedMail) -> str | None:
    headers = _returned_headers(mail.message)
    if headers is not None and headers.get("Message-ID"):
        found = re.search(r"<?([^<>\s]+@[^<>\s]+?)>?\s*$", str(headers.get("Message-ID")).strip())
        if found:
            return found.group(1)
    # A plain-text bounce quoting our headers inline; never the bounce's own id (that is not in .text).
    match = _MESSAGE_ID_LINE.search(mail.text)
    return match.group(1) if match else None


def _diagnostic_line(head: str) -> str | None:
    for line in head.splitlines():
        if _STATUS.search(line) or _SMTP_CODE.search(line):
            return _trim(line.strip())
    return None


# --- small helpers ------------------------------------------------------------------------------------


def _address_of(field: str) -> str | None:
    value = field.split(";", 1)[1] if ";" in field else field
    match = _ADDRESS.search(value)
    return match.group(0).lower() if match else None


def _clean(value: object) -> str | None:
    if value is None:
        return None
    return re.sub(r"\s+", " ", str(value)).strip() or None


def _trim(value: str | None) -> str | None:
    if value is None:
        return None
    return value if len(value) <= _MAX_DIAGNOSTIC else value[: _MAX_DIAGNOSTIC - 1] + "…"


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))
