"""The reminder as a MIME message: text and HTML alternatives, threading, the signed reply address,
RFC 3834 Auto-Submitted, and Japanese subjects and names encoded so they decode back exactly.

Customer data never reaches a header unchecked: CR/LF and other control characters are removed from
every value that came from the ledger, so no header can be injected.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import re
import secrets
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.utils import formataddr, formatdate

from worker.outbound.compose import Rendered

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_WORD_BYTES = 45  # "=?utf-8?b?" + base64 of 45 bytes (60 characters) + "?=" = 72 ≤ 75 (RFC 2047)


def clean_header(value: str) -> str:
    """One line, no control characters: customer data can never start a new header."""
    return _CONTROL.sub(" ", value).strip()


def make_message_id(case_id: int, stage: str, domain: str, *, secret: bytes) -> str:
    """Deterministic per (case, stage) — a retried send reuses it, and replies thread to it — and
    unguessable: the left part is a keyed HMAC, so nobody without the signing key can name the
    Message-ID of a reminder they have not seen (issue 12: `<reminder.{case}.{stage}@…>` could be forged)."""
    mac = hmac.new(secret, f"message-id:{case_id}:{stage}".encode(), hashlib.sha256).digest()[:20]
    return f"<r.{base64.b32encode(mac).decode().lower()}@{clean_header(domain)}>"


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
) -> Message:
    # compat32 MIME classes with explicit RFC 2047 encoding: the modern policy re-parses every header
    # it is given and cost more than rendering the template (≈9 ms a mail, measured in bench_send).
    # The boundary is chosen here: left to the generator, it is searched for in the whole body.
    msg = MIMEMultipart("alternative", boundary=f"=_dunmail_{secrets.token_hex(12)}")
    msg["From"] = _from_header(from_name, from_addr)
    msg["To"] = ", ".join(clean_header(a) for a in to)
    if cc:
        msg["Cc"] = ", ".join(clean_header(a) for a in cc)
    msg["Reply-To"] = clean_header(reply_to)
    msg["Subject"] = _encoded(clean_header(rendered.subject))
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = clean_header(message_id)
    if in_reply_to:
        msg["In-Reply-To"] = _angle(clean_header(in_reply_to))
    if references:
        msg["References"] = " ".join(_angle(clean_header(r)) for r in references)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: vacation responders should not answer
    msg["X-Auto-Response-Suppress"] = "OOF, AutoReply"  # asks Exchange not to send out-of-office replies
    msg["X-Dunmail-Case"] = str(case_id)
    msg["X-Dunmail-Stage"] = clean_header(stage)
    for name, value in extra_headers.items():
        msg[clean_header(name)] = _encoded(clean_header(value))
    msg.attach(_utf8_part(rendered.text, "plain"))
    msg.attach(_utf8_part(rendered.html, "html"))
    return msg


def _utf8_part(text: str, subtype: str) -> MIMENonMultipart:
    """A UTF-8 text part in base64 (RFC 2045: lines of 76), encoded in one call of the C codec — MIMEText's
    encoder, like base64.encodebytes, calls it once per 57 bytes. The boundary cannot occur in it: base64
    lines never hold '_'."""
    part = MIMENonMultipart("text", subtype, charset="utf-8")
    del part["MIME-Version"]  # once, at the top of the message
    part["Content-Transfer-Encoding"] = "base64"
    encoded = binascii.b2a_base64(text.encode("utf-8"), newline=False).decode("ascii")
    part.set_payload("".join(encoded[i:i + 76] + "\n" for i in range(0, len(encoded), 76)))
    return part


@functools.lru_cache(maxsize=64)
def _from_header(name: str, address: str) -> str:
    """The same few senders on every mail: encoded once."""
    return formataddr((str(Header(clean_header(name), "utf-8")), clean_header(address)))


def _encoded(value: str) -> str:
    """RFC 2047 encoded words (UTF-8, base64) for anything not plain ASCII; Japanese subjects decode back
    exactly. Each word holds whole characters and stays within 75 characters; email.header.Header does
    the same but measures every character in both encodings first, which cost more than the whole
    rest of the message."""
    if value.isascii():
        return value
    words: list[str] = []
    chunk: list[str] = []
    size = 0
    for ch in value:
        width = len(ch.encode("utf-8"))
        if size + width > _WORD_BYTES:
            words.append("".join(chunk))
            chunk, size = [], 0
        chunk.append(ch)
        size += width
    words.append("".join(chunk))
    return " ".join(f"=?utf-8?b?{binascii.b2a_base64(w.encode('utf-8'), newline=False).decode('ascii')}?="
                    for w in words)


def _angle(message_id: str) -> str:
    return message_id if message_id.startswith("<") else f"<{message_id}>"
