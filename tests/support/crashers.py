"""The mails that stopped the inbox (issue 12, finding 3), built here rather than stored as files.

Each is a whole mail a careless or hostile sender could write. `CRASHERS` maps a name to its bytes;
every one must end processed or in review, never raise out of the inbound path or a review page.
"""

from __future__ import annotations


def _mail(*headers: bytes, body: bytes = b"We paid invoice INV-77 yesterday.\r\n") -> bytes:
    return b"".join(h + b"\r\n" for h in headers) + b"\r\n" + body


def nested_parentheses(depth: int = 5000) -> bytes:
    """From: with thousands of nested comments: the stdlib address parser recurses once per level."""
    return _mail(b"From: " + b"(" * depth + b"x" + b")" * depth + b" <ap@acme.example>",
                 b"To: ar@dunmail.example", b"Subject: Re: reminder", b"Message-ID: <nested@acme.example>")


def transfer_codec_words(label: str) -> bytes:
    """Encoded words whose charset is a bytes-to-bytes codec (base64, uu, hex, rot13): not a text encoding."""
    word = f"=?{label}?q?paid?=".encode()
    return _mail(b"From: " + word + b" <ap@acme.example>", b"To: ar@dunmail.example",
                 b"Subject: " + word, f"Message-ID: <codec-{label}@acme.example>".encode(),
                 f'Content-Type: text/plain; charset="{label}"'.encode())


def nul_in_charset() -> bytes:
    """A NUL inside a charset name: codecs.lookup raises ValueError('embedded null character')."""
    return _mail(b"From: =?utf-8\x00?q?Ana?= <ap@acme.example>", b"To: ar@dunmail.example",
                 b"Subject: =?utf-8\x00?q?paid?=", b"Message-ID: <nul@acme.example>",
                 b'Content-Type: text/plain; charset="utf\x008"')


def eight_bit_in_reply_to() -> bytes:
    """Raw 8-bit bytes and an ISO-2022-JP escape in In-Reply-To: they decode to lone surrogates."""
    return _mail(b"From: ap@acme.example", b"To: ar@dunmail.example", b"Subject: Re: reminder",
                 b"Message-ID: <irt8@acme.example>", b"In-Reply-To: <\xff\xfe\x1b$B$\"\x1b(B@dunmail.example>")


def nul_in_message_id() -> bytes:
    """A NUL inside the Message-ID (PostgreSQL text refuses NUL)."""
    return _mail(b"From: ap@acme.example", b"To: ar@dunmail.example", b"Subject: hi",
                 b"Message-ID: <a\x00b@acme.example>")


CRASHERS: dict[str, bytes] = {
    "nested_parentheses": nested_parentheses(),
    **{f"codec_{label}": transfer_codec_words(label) for label in ("base64", "uu", "hex", "rot13")},
    "nul_in_charset": nul_in_charset(),
    "eight_bit_in_reply_to": eight_bit_in_reply_to(),
    "nul_in_message_id": nul_in_message_id(),
}
