"""How much of a mail the parser hands on: bounds that keep a 10 MB subject or a 20,000-part mail cheap.

The raw bytes are always stored whole; these bounds only limit what parsing, classification and the
review pages read. A mail cut by one of them carries a defect naming it (e.g. `subject_truncated`), so a
person looking at it knows the analysis saw only the start.
"""

from __future__ import annotations

from dataclasses import replace

from worker.inbound.message import ParsedMail

MAX_HEADER_CHARS = 16_384  # one header value as read from the mail (RFC 5322 lines are ≤ 998 characters)
MAX_SUBJECT_CHARS = 998  # the decoded subject
MAX_TEXT_CHARS = 100_000  # the body as text: a reply is at its top, what follows is quoted history
MAX_HTML_CHARS = 500_000  # the HTML part, decoded
MAX_PARTS = 200  # MIME parts walked; the rest of the tree is not read
MAX_ATTACHMENTS = 50


def bound_header(name: str, value: str, defects: list[str]) -> str:
    """A raw header value cut to MAX_HEADER_CHARS (a defect says so)."""
    if len(value) <= MAX_HEADER_CHARS:
        return value
    defects.append(f"header_truncated:{name}")
    return value[:MAX_HEADER_CHARS]


def bound_parsed(parsed: ParsedMail) -> ParsedMail:
    """The parsed mail with subject, text, HTML and attachments cut to their bounds."""
    cut: list[str] = []
    subject, text, html, attachments = parsed.subject, parsed.text, parsed.html, parsed.attachments
    if len(subject) > MAX_SUBJECT_CHARS:
        subject = subject[:MAX_SUBJECT_CHARS]
        cut.append("subject_truncated")
    if len(text) > MAX_TEXT_CHARS:
        text = text[:MAX_TEXT_CHARS]
        cut.append("text_truncated")
    if html is not None and len(html) > MAX_HTML_CHARS:
        html = html[:MAX_HTML_CHARS]
        cut.append("html_truncated")
    if len(attachments) > MAX_ATTACHMENTS:
        attachments = attachments[:MAX_ATTACHMENTS]
        cut.append("attachments_truncated")
    if not cut:
        return parsed
    return replace(parsed, subject=subject, text=text, html=html, attachments=attachments,
                   defects=tuple(dict.fromkeys((*parsed.defects, *cut))))
