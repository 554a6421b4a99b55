"""Customer HTML made safe to show: nh3 keeps a small set of tags, no script, no remote loads.

Remote images are blocked by default (they tell the sender the mail was read, and can leak the
reviewer's address): their src attribute is kept only when the reviewer asks to load them. The
page's Content-Security-Policy forbids script and remote images too, so a sanitiser miss still cannot run or call out.
"""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

import nh3
import structlog

from worker.validation import storable

log = structlog.get_logger(__name__)

TAGS = {"a", "b", "blockquote", "br", "div", "em", "h1", "h2", "h3", "h4", "hr", "i", "img", "li", "ol", "p",
        "pre", "span", "strong", "table", "tbody", "td", "th", "thead", "tr", "u", "ul"}
ATTRIBUTES = {"a": {"href", "title"}, "img": {"alt", "title"}, "td": {"colspan", "rowspan"},
              "th": {"colspan", "rowspan"}}


def clean_html(html: str, *, allow_images: bool = False) -> str:
    attributes = {k: set(v) for k, v in ATTRIBUTES.items()}
    if allow_images:
        attributes["img"].add("src")
    return nh3.clean(html, tags=TAGS, attributes=attributes, url_schemes={"http", "https", "mailto"},
                     link_rel="noopener noreferrer nofollow")


RAW_VIEW_LIMIT = 200_000  # characters of a mail shown as raw text when it cannot be read part by part


def bodies(raw: bytes | None) -> tuple[str, str]:
    """(plain text, raw HTML) of a stored mail; either may be empty. Never raises: a mail the parser
    chokes on (a NUL in a charset, a header nested past the recursion limit, …) is shown as its raw text,
    which the page escapes like any other text."""
    if not raw:
        return "", ""
    try:
        return _bodies(raw)
    except Exception as exc:  # the page must render for every stored mail; a person reads it raw
        log.warning("mail_shown_raw", error=type(exc).__name__)
        return raw_text(raw), ""


def raw_text(raw: bytes) -> str:
    """The stored bytes as text for a person to read (undecodable bytes and NULs replaced)."""
    return storable(raw[: RAW_VIEW_LIMIT * 4].decode("utf-8", "replace")[:RAW_VIEW_LIMIT])


def _bodies(raw: bytes) -> tuple[str, str]:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    text, html = "", ""
    for kind in ("plain", "html"):
        part = msg.get_body(preferencelist=(kind,))
        if part is None:
            continue
        try:
            content = part.get_content()
        except Exception:  # an odd charset label (base64, rot13, a NUL in it): the bytes as UTF-8
            payload = part.get_payload(decode=True)
            content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
        if kind == "plain":  # a page shows at most RAW_VIEW_LIMIT characters of a body; the .eml has it all
            text = storable(str(content)[:RAW_VIEW_LIMIT])
        else:
            html = storable(str(content)[:RAW_VIEW_LIMIT * 5])
    return text, html
