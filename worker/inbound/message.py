"""The parsed form of one mail, as every inbound and intake step sees it. Imports nothing of ours.

`worker.inbound.mime.parse_mail(raw: bytes) -> ParsedMail` builds it; nothing else should.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message


@dataclass(frozen=True)
class Attachment:
    filename: str | None
    content_type: str  # lower case, e.g. "application/pdf"
    size: int
    payload: bytes = field(repr=False)


@dataclass(frozen=True)
class ParsedMail:
    raw: bytes = field(repr=False)
    message: Message = field(repr=False)  # the stdlib object, for header-level checks (bounces, DSNs)
    message_id: str | None  # without angle brackets
    in_reply_to: str | None  # without angle brackets
    references: tuple[str, ...]  # without angle brackets, oldest first
    subject: str  # decoded
    from_addr: str  # lower-cased address, "" when missing or unparseable
    from_name: str
    to: tuple[str, ...]  # lower-cased addresses (To + Delivered-To/X-Original-To when present)
    cc: tuple[str, ...]
    date: datetime | None  # timezone-aware when the header had an offset
    text: str  # the whole body as text (text/plain, or HTML turned into text); never U+FFFD
    html: str | None  # the HTML part, decoded, when there was one
    attachments: tuple[Attachment, ...] = ()
    defects: tuple[str, ...] = ()  # what was wrong with the mail but survived

    def header(self, name: str) -> str | None:
        """A decoded header value (first occurrence), or None."""
        value = self.message.get(name)
        return None if value is None else str(value)
