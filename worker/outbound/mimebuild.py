"""The reminder as a MIME message: text and HTML alternatives, threading, the signed reply address,
RFC 3834 Auto-Submitted, and Japanese subjects and names encoded so they decode back exactly.

Customer data never reaches a header unchecked: CR/LF and other control characters are removed from
every value that came from the ledger, so no header can be injected.
"""

from __future__ import annotations

import re
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate

from worker.outbound.compose import Rendered

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def clean_header(value: str) -> str:
    """One line, no control characters: customer data can never start a new header."""
    return _CONTROL.sub(" ", value).strip()


def make_message_id(case_id: int, stage: str, domain: str) -> str:
    """Deterministic per (case, stage): a retried send reuses it, and replies thread to it."""
    safe_stage = re.sub(r"[^A-Za-z0-9_.-]", "-", stage)
    return f"<reminder.{case_id}.{safe_stage}@{domain}>"


def build_reminder(
    rendered: Rendered,
    *,
    from_addr: str,
    from_name: str,
    to: list[str],
    cc: list[str],
    reply_to: str,
    message_id: str,
    in_reply_to: str | None,
    references: list[str],
    case_id: int,
    stage: str,
    extra_headers: dict[str, str],
) -> EmailMessage:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = Address(display_name=clean_header(from_name), addr_spec=clean_header(from_addr))
    msg["To"] = ", ".join(clean_header(a) for a in to)
    if cc:
        msg["Cc"] = ", ".join(clean_header(a) for a in cc)
    msg["Reply-To"] = clean_header(reply_to)
    msg["Subject"] = clean_header(rendered.subject)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = _angle(in_reply_to)
    if references:
        msg["References"] = " ".join(_angle(r) for r in references)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: vacation responders should not answer
    msg["X-Auto-Response-Suppress"] = "OOF, AutoReply"  # asks Exchange not to send out-of-office replies
    msg["X-Dunmail-Case"] = str(case_id)
    msg["X-Dunmail-Stage"] = clean_header(stage)
    for name, value in extra_headers.items():
        msg[clean_header(name)] = clean_header(value)
    msg.set_content(rendered.text, charset="utf-8")
    msg.add_alternative(rendered.html, subtype="html", charset="utf-8")
    return msg


def _angle(message_id: str) -> str:
    return message_id if message_id.startswith("<") else f"<{message_id}>"
