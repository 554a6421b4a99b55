"""The mail around an invoice: the forwarded header block (who the invoice was first sent to), the part
of the body that is the original mail, and whether the mail is a newsletter.

Forward blocks come from Gmail ("---------- Forwarded message ---------"), Outlook ("From: / Sent: /
To:", Japanese "差出人: / 送信日時: / 宛先:"), Thunderbird ("-------- 転送メッセージ --------"), Apple Mail
("Begin forwarded message:") and parse_mail's rendering of an attached message/rfc822.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from worker.inbound.message import ParsedMail
from worker.intake.textfields import EMAIL
from worker.intake.values import first_date

_MARKER = re.compile(
    r"(?im)^[ \t>]*(?:-{2,}\s*(?:forwarded message|original message|"
    r"転送メッセージ|元のメッセージ|転送済みメッセージ)\s*-*|"
    r"begin forwarded message:|転送されたメッセージ:?)[ \t]*$"
)
_HEADER_LINE = re.compile(
    r"(?im)^[ \t>]*\*?(?P<name>from|to|cc|date|sent|subject|差出人|送信者|宛先|送信日時|日付|件名)\*?"
    r"\s*[:：]\s*(?P<value>.*)$"
)
_TO_NAMES = frozenset({"to", "宛先"})
_DATE_NAMES = frozenset({"date", "sent", "送信日時", "日付"})
_NEWSLETTER = re.compile(
    r"(?i)unsubscribe|配信停止|配信解除|メールマガジン|メルマガ|newsletter|view (?:it )?in (?:your )?browser"
)
_FWD_SUBJECT = re.compile(r"(?i)^\s*(?:(?:fwd?|fw|転送|re)\s*[:：]\s*)+")


@dataclass(frozen=True)
class Forward:
    """The first forwarded header block of a body."""

    to: tuple[str, ...]  # addresses on the original To line(s), lower case
    sender: str | None
    original_date_text: str | None
    body_start: int  # where the original mail's text begins in the body

    @property
    def original_date(self) -> date | None:
        return first_date(self.original_date_text or "")


def find_forward(text: str) -> Forward | None:
    """The forwarded header block: after a marker line, or a run of header lines holding From and To."""
    marker = _MARKER.search(text)
    start = marker.end() if marker else 0
    headers: dict[str, str] = {}
    end = start
    for m in _HEADER_LINE.finditer(text, start):
        gap = text[end : m.start()]
        if headers and gap.strip():
            break  # the header block is over
        if not headers and not marker and m.group("name").lower() not in ("from", "差出人", "送信者"):
            continue  # without a marker, a block must start with From/差出人 (as Outlook writes it)
        if not headers and gap.count("\n") > 3 and marker:
            break
        headers.setdefault(m.group("name").lower(), m.group("value").strip())
        end = m.end()
    if not any(name in headers for name in _TO_NAMES) or not ({"from", "差出人", "送信者"} & headers.keys()):
        return None
    to_values = " ".join(headers.get(name, "") for name in _TO_NAMES)
    sender_match = EMAIL.search(headers.get("from") or headers.get("差出人") or headers.get("送信者") or "")
    date_text = next((headers[name] for name in _DATE_NAMES if name in headers), None)
    return Forward(
        to=tuple(dict.fromkeys(addr.lower() for addr in EMAIL.findall(to_values))),
        sender=sender_match.group(0).lower() if sender_match else None,
        original_date_text=date_text,
        body_start=end,
    )


def is_newsletter(mail: ParsedMail) -> bool:
    """Bulk mail: a List-Unsubscribe or List-Id header, Precedence bulk/list, or unsubscribe wording."""
    if mail.header("List-Unsubscribe") or mail.header("List-Id"):
        return True
    if (mail.header("Precedence") or "").strip().lower() in ("bulk", "list"):
        return True
    return bool(_NEWSLETTER.search(mail.text[-3000:]))


def bare_subject(subject: str) -> str:
    return _FWD_SUBJECT.sub("", subject).strip()
