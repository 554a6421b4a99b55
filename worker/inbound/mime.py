"""Raw mail bytes to a ParsedMail: headers decoded, body text chosen, attachments listed, defects noted.

Parsing uses the stdlib parser with the compat32 policy (about 5x faster than policy.default here) and
decodes headers and bodies itself, because that is where Japanese mail breaks the stdlib: charsets
(see charsets.py), RFC 2047 words split inside a character, raw 8-bit headers, RFC 2231 filenames in
Shift_JIS. Broken mail never raises; what was wrong goes into ParsedMail.defects. Only input with no
readable header at all raises MailParseError.
"""

from __future__ import annotations

import binascii
import email
import email.utils
import mimetypes
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email._policybase import Compat32
from email.errors import MessageDefect
from email.message import Message
from email.policy import compat32
from typing import Any

import structlog

from worker.errors import MailParseError
from worker.inbound.charsets import clean_text, decode_bytes
from worker.inbound.htmltext import fix_meta_charset, html_to_text
from worker.inbound.limits import MAX_PARTS, bound_header, bound_parsed
from worker.inbound.message import Attachment, ParsedMail
from worker.validation import storable

log = structlog.get_logger(__name__)

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?]*)\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_NEWLINES = re.compile(r"\r\n?")
_MSG_ID = re.compile(r"<([^<>\s]+)>")
_ADDR = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
_QP_HEADER = re.compile(rb"=([0-9A-Fa-f]{2})")
_B64_JUNK = re.compile(rb"[^A-Za-z0-9+/=]")
_B64_PADDING = re.compile(rb"=+")
_STDLIB_CTES = frozenset({"quoted-printable", "base64", "x-uuencode", "uuencode", "uue", "x-uue"})
_IDENTITY_CTES = frozenset(
    {"7bit", "8bit", "binary", "7-bit", "8-bit", "8bits", "7bits", "none", "plain", "text"}
)
_META_CHARSET = re.compile(rb"""<meta\b[^>]*?charset\s*=\s*["']?([-\w.:]+)""", re.I)
# One plain address, optionally with a display name without quotes or commas: skips the stdlib's
# address parser, which is the slow part of reading headers.
_SIMPLE_ADDR = re.compile(r"\s*(?:([^\s\"<>,;:@()\\][^\"<>,;:@()\\]*?)\s*<|<?)([\w.+=/-]+@[\w.-]+)>?\s*")
_CHARSET_PARAM = re.compile(r"""(?i)\bcharset\s*=\s*["']?([^"';\s]+)""")
_FLOWED = re.compile(r"""(?i)\bformat\s*=\s*["']?flowed""")
_DELSP = re.compile(r"""(?i)\bdelsp\s*=\s*["']?yes""")
_OBS_FIELD = re.compile(rb"(?m)^([!-9;-~]+)[ \t]+:")
_BINARY_MAGIC = (b"\x89PNG", b"%PDF-", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\xd0\xcf\x11\xe0")
_RECEIVED_DATE = re.compile(r";\s*([^;]+)$")
_PLACEHOLDER = re.compile(r"(?i)html|browser|reader|client|view|表示|閲覧|対応|ブラウザ")

_TEXT_TYPES = frozenset({"text/plain", "text/html", "text/enriched", "text/x-web-markdown", "text/markdown"})
_TNEF_TYPES = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})  # Outlook's winmail.dat


# --- headers ----------------------------------------------------------------------------------------------


def _word_bytes(encoding: str, payload: str) -> bytes:
    data = payload.encode("utf-8", "surrogateescape")  # raw 8-bit inside a word: keep its bytes
    if encoding in "qQ":
        return _QP_HEADER.sub(lambda m: bytes.fromhex(m.group(1).decode()), data.replace(b"_", b" "))
    return _b64decode(data)


def _b64decode(data: bytes) -> bytes:
    """Lenient base64: ignores junk characters, repairs padding, decodes padded chunks glued together."""
    out = []
    for chunk in _B64_PADDING.split(_B64_JUNK.sub(b"", data)):
        if len(chunk) % 4 == 1:
            chunk = chunk[:-1]
        try:
            out.append(binascii.a2b_base64(chunk + b"=" * (-len(chunk) % 4)))
        except binascii.Error:
            continue
    return b"".join(out)


def _decode_raw_str(value: str) -> tuple[str, tuple[str, ...]]:
    """Text that the parser read as ASCII + surrogates (raw 8-bit) or that carries ISO-2022-JP escapes."""
    if value.isascii() and "\x1b" not in value:
        return value, ()
    try:
        data = value.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:  # already real text (e.g. decoded earlier): only clean it
        return clean_text(value)[0], ()
    decoded = decode_bytes(data)
    return decoded.text, decoded.defects


def decode_header_text(value: str) -> tuple[str, tuple[str, ...]]:
    """A raw header value to text: unfolded, RFC 2047 words decoded (adjacent words of one charset are
    joined first, since mailers split multi-byte characters across words), raw 8-bit sniffed."""
    if "\n" in value:
        value = _FOLD.sub("", value)
    if value.isascii() and "=?" not in value and "\x1b" not in value:
        return value.strip(), ()
    pieces: list[str] = []
    defects: list[str] = []
    pending: bytearray = bytearray()
    pending_charset: str | None = None
    pos = 0

    def flush() -> None:
        nonlocal pending_charset
        if pending_charset is not None:
            decoded = decode_bytes(bytes(pending), pending_charset)
            pieces.append(decoded.text)
            defects.extend(decoded.defects)
            pending.clear()
            pending_charset = None

    for m in _ENCODED_WORD.finditer(value):
        between = value[pos : m.start()]
        pos = m.end()
        charset = m.group(1).split("*", 1)[0]  # RFC 2231 adds a language: =?utf-8*ja?B?…?=
        if between and not (between.isspace() and pending_charset is not None):
            flush()
            text, found = _decode_raw_str(between)
            pieces.append(text)
            defects.extend(found)
        elif pending_charset is not None and charset.lower() != pending_charset.lower():
            flush()
        pending += _word_bytes(m.group(2), m.group(3))
        pending_charset = charset
    flush()
    if pos < len(value):
        text, found = _decode_raw_str(value[pos:])
        pieces.append(text)
        defects.extend(found)
    text = clean_text("".join(pieces).replace("\t", " "))[0]
    return text.strip(), tuple(defects)


class ObsoleteHeaderSyntaxDefect(MessageDefect):
    """Header names followed by white space before the colon (RFC 822 obs-syntax), repaired."""


class _RawHeadersCompat32(Compat32):
    """compat32 that writes headers back as they came instead of re-folding them (10x cheaper, and the
    bytes of a forwarded message stay closer to the original)."""

    def fold_binary(self, name: str, value: str) -> bytes:
        return f"{name}: {value}{self.linesep}".encode("ascii", "surrogateescape")


_RAW_HEADERS = _RawHeadersCompat32(mangle_from_=False)


class _DecodingCompat32(Compat32):
    """compat32, except that reading a header gives decoded text (what ParsedMail.header promises)."""

    def header_fetch_parse(self, name: str, value: str) -> str:
        return decode_header_text(value)[0]


DECODING_POLICY = _DecodingCompat32()


class _Headers:
    """First raw value of each header (and all values where a header may repeat), read once."""

    def __init__(self, msg: Message, defects: list[str] | None = None) -> None:
        self.first: dict[str, str] = {}
        self.all: dict[str, list[str]] = {}
        for name, raw_value in msg.raw_items():
            key = name.lower()
            value = bound_header(key, raw_value, defects if defects is not None else [])
            self.first.setdefault(key, value)
            self.all.setdefault(key, []).append(value)

    def text(self, name: str, defects: list[str]) -> str:
        raw = self.first.get(name)
        if raw is None:
            return ""
        text, found = decode_header_text(raw)
        defects.extend(f"{name}:{d}" for d in found)
        return text


def _ids(value: str | None) -> list[str]:
    if not value:
        return []
    value = storable(value)  # 8-bit bytes arrive as lone surrogates, which no database query can carry
    found = _MSG_ID.findall(value)
    if found:
        return found
    return [tok.strip("<>,") for tok in value.split() if "@" in tok] or (
        [value.strip("<> \t\r\n")] if value.strip("<> \t\r\n") else []
    )


def _addresses(values: list[str], defects: list[str], name: str) -> list[tuple[str, str]]:
    """(display name, lower-cased address) pairs; names decoded after splitting so commas in
    encoded words cannot split an address."""
    found: list[tuple[str, str]] = []
    for raw in values:
        value = _FOLD.sub("", raw)
        if not value.isascii() or "\x1b" in value:
            value, bad = _decode_raw_str(value)
            defects.extend(f"{name}:{d}" for d in bad)
        simple = _SIMPLE_ADDR.fullmatch(value)
        pairs = [(simple.group(1) or "", simple.group(2))] if simple else email.utils.getaddresses([value])
        good = [(n, a) for n, a in pairs if "@" in a]
        if not good and "@" in value:
            good = [("", a) for a in _ADDR.findall(value)]
            defects.append(f"{name}:unparseable_address")
        for display, addr in good:
            found.append(
                (decode_header_text(display)[0] if display else "", addr.strip().strip("<>").lower())
            )
    return found


def _parse_date(headers: _Headers, defects: list[str]) -> datetime | None:
    raw = headers.first.get("date")
    when = _to_datetime(decode_header_text(raw)[0]) if raw else None
    if raw and when is None:
        defects.append("date:unparseable")
    if when is None:  # fall back on when our side received it: the newest Received header's stamp
        when = _received_stamp(headers.first.get("received"))
        if when is not None:
            defects.append("date:from_received")
    if when is not None and when.tzinfo is None:
        # A zone-less Date: the sender's first hop (the oldest Received) most likely shares its zone,
        # which matters for resolving "by Friday" in the sender's time.
        hops = headers.all.get("received", [])
        first_hop = _received_stamp(hops[-1]) if hops else None
        if first_hop is not None and first_hop.tzinfo is not None:
            defects.append("date:no_timezone_took_first_hop_zone")
            when = when.replace(tzinfo=first_hop.tzinfo)
        else:
            defects.append("date:no_timezone_assumed_utc")
            when = when.replace(tzinfo=UTC)
    return when


def _received_stamp(received: str | None) -> datetime | None:
    stamp = _RECEIVED_DATE.search(_FOLD.sub("", received).strip()) if received else None
    return _to_datetime(stamp.group(1)) if stamp else None


def _to_datetime(value: str) -> datetime | None:
    try:
        when = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if not 1970 <= when.year <= 2200:
        return None
    return when


# --- body --------------------------------------------------------------------------------------------------


@dataclass
class _Body:
    texts: list[str] = field(default_factory=list)
    html: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    want_text: bool = True  # False: the caller only needs html and attachments from this subtree
    tnef_texts: list[str] = field(default_factory=list)  # the text inside winmail.dat: used when nothing else is
    parts: int = 0  # MIME parts walked so far (bounded by MAX_PARTS)


def _raw_header(part: Message, name: str) -> str | None:
    for key, value in part.raw_items():
        if key.lower() == name:
            return value
    return None


def _payload_bytes(part: Message, body: _Body) -> bytes:
    """The part's body with its transfer encoding undone, leniently (misspelt and broken encodings)."""
    if part.is_multipart():
        return b""
    # The stdlib undoes the encodings it recognises and returns the raw bytes for any other label.
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return b""
    stdlib_cte = str(part.get("content-transfer-encoding", "")).lower()
    if stdlib_cte in _STDLIB_CTES:
        return data
    cte = stdlib_cte.strip().strip("\"';").strip().lower()
    if not cte or cte in _IDENTITY_CTES:
        return data
    if "base64" in cte or cte == "base-64":
        return _b64decode(data)
    if "quoted" in cte or cte == "qp":
        return binascii.a2b_qp(data)
    body.defects.append(f"unknown_transfer_encoding:{cte:.30}")
    return data


def _param(part: Message, key: str, header: str) -> str | None:
    """A Content-Type/Disposition parameter decoded: RFC 2231 in any charset, RFC 2047 words, raw 8-bit."""
    source = part
    raw = _raw_header(part, header)
    if raw is None or key not in raw.lower():
        return None
    if key == "charset" and "*" not in raw:  # the common case, without the stdlib's parameter parser
        m = _CHARSET_PARAM.search(raw)
        if m:
            return m.group(1)
    if not raw.isascii():  # raw 8-bit: decode the header first, then let the stdlib split parameters
        source = Message()
        source[header] = _decode_raw_str(raw)[0]
    value = source.get_param(key, header=header)
    if value is None:
        return None
    if isinstance(value, tuple):
        charset, _lang, text = value
        try:
            data = text.encode("latin-1", "surrogateescape")  # the stdlib unquoted %XX into Latin-1
        except UnicodeEncodeError:
            return clean_text(text)[0]  # already text (the header was raw 8-bit and decoded above)
        return decode_bytes(data, charset or None).text
    return decode_header_text(value)[0]


def _filename(part: Message) -> str | None:
    name = _param(part, "filename", "content-disposition") or _param(part, "name", "content-type")
    return (name.strip() or None) if name else None


def _decode_text(part: Message, body: _Body, data: bytes, *, html: bool) -> str:
    charset = _param(part, "charset", "content-type")
    if not charset and html:
        meta = _META_CHARSET.search(data[:4096])
        charset = meta.group(1).decode("ascii", "replace") if meta else None
    decoded = decode_bytes(data, charset)
    body.defects.extend(decoded.defects)
    text = decoded.text
    text = _NEWLINES.sub("\n", text) if "\r" in text else text
    content_type = _raw_header(part, "content-type") or ""
    if not html and _FLOWED.search(content_type):
        text = unflow(text, delsp=bool(_DELSP.search(content_type)))
    return text


def unflow(text: str, *, delsp: bool) -> str:
    """RFC 3676 format=flowed to plain lines: soft line breaks joined (so a sentence, or a Japanese
    phrase under delsp=yes, is one line again), quote depth kept as "> " marks."""
    out: list[str] = []
    pending: str | None = None
    pending_depth = 0
    for raw in text.split("\n"):
        stripped = raw.lstrip(">")
        depth = len(raw) - len(stripped)
        if stripped.startswith(" "):  # space-stuffing
            stripped = stripped[1:]
        if pending is not None and depth != pending_depth:
            out.append(_quoted(pending_depth, pending))
            pending = None
        flowed = stripped.endswith(" ") and stripped != "-- "
        piece = stripped[:-1] if flowed and delsp else stripped
        pending = piece if pending is None else pending + piece
        pending_depth = depth
        if not flowed:
            out.append(_quoted(depth, pending))
            pending = None
    if pending is not None:
        out.append(_quoted(pending_depth, pending))
    return "\n".join(out)


def _quoted(depth: int, line: str) -> str:
    return "> " * depth + line if depth else line


def _attach(part: Message, body: _Body, data: bytes | None = None, filename: str | None = None) -> None:
    payload = _payload_bytes(part, body) if data is None else data
    attachment = Attachment(
        filename=filename or _filename(part),
        content_type=part.get_content_type(),
        size=len(payload),
        payload=payload,
    )
    body.attachments.append(attachment)
    if attachment.content_type in _TNEF_TYPES or (attachment.filename or "").lower() == "winmail.dat":
        _unpack_tnef(payload, body)


def _unpack_tnef(data: bytes, body: _Body) -> None:
    """Outlook's winmail.dat (TNEF): the files inside become attachments of their own — a remittance advice
    sent from Outlook in rich text arrives this way — and winmail.dat itself is kept as it came."""
    from tnefparse import TNEF  # only for the rare mail that carries one

    try:
        tnef = TNEF(data, do_checksum=False)
        for inner in tnef.attachments:
            payload = inner.data if isinstance(inner.data, bytes) else b""
            name = _tnef_name(inner, tnef.codepage)
            body.attachments.append(Attachment(filename=name, content_type=_guess_type(name), size=len(payload),
                                               payload=payload))
        text = tnef.body.decode(tnef.codepage or "cp1252", "replace") if isinstance(tnef.body, bytes) else tnef.body
    except Exception as exc:  # a broken winmail.dat is kept as it is, and said so
        body.defects.append(f"tnef_unreadable:{type(exc).__name__}")
        return
    if isinstance(text, str) and text.strip():
        body.tnef_texts.append(text.rstrip("\x00"))


def _tnef_name(inner: Any, codepage: str | None) -> str | None:
    try:
        name = inner.long_filename()
    except UnicodeDecodeError:  # tnefparse reads short names as UTF-8; Outlook wrote them in its code page
        raw = getattr(inner, "_name", b"")
        name = decode_bytes(raw, codepage).text if isinstance(raw, bytes) else str(raw)
    return str(name).strip("\x00").strip() or None


def _guess_type(filename: str | None) -> str:
    return (mimetypes.guess_type(filename)[0] if filename else None) or "application/octet-stream"


def _is_attachment(part: Message) -> bool:
    raw = _raw_header(part, "content-disposition") or ""
    disposition = raw.split(";", 1)[0].strip().lower()
    if disposition == "attachment":
        return True
    if disposition == "inline" or (
        "name" not in raw.lower() and "name" not in (_raw_header(part, "content-type") or "")
    ):
        return False
    return _filename(part) is not None


def _leaf(part: Message, body: _Body) -> None:
    ctype = part.get_content_type()
    if ctype not in _TEXT_TYPES or _is_attachment(part):
        _attach(part, body)
        return
    data = _payload_bytes(part, body)
    if _looks_binary(data):  # e.g. an image mislabelled text/plain: text of it would be noise
        body.defects.append("binary_data_in_text_part")
        _attach(part, body, data=data)
        return
    if ctype == "text/html":
        html = _decode_text(part, body, data, html=True)
        if body.html is None:
            body.html = fix_meta_charset(html)
        if body.want_text:
            body.texts.append(html_to_text(html))
    else:
        body.texts.append(_decode_text(part, body, data, html=False))


def _looks_binary(data: bytes) -> bool:
    head = data[:1024]
    return b"\x00" in head or head.startswith(_BINARY_MAGIC)


def _may_be_placeholder(plain: str) -> bool:
    stripped = plain.strip()
    return not stripped or (len(stripped) < 200 and bool(_PLACEHOLDER.search(stripped)))


def _is_placeholder(plain: str, rich: str) -> bool:
    """A text/plain alternative that says nothing the HTML does not: empty, or 'view this in HTML'."""
    if not plain.strip():
        return True
    return _may_be_placeholder(plain) and len(rich) > 2 * len(plain.strip())


def _alternative(part: Message, body: _Body) -> None:
    children = [c for c in part.get_payload() if isinstance(c, Message)]
    plain = next((c for c in children if c.get_content_type() == "text/plain"), None)
    rich = next(
        (
            c
            for c in reversed(children)
            if c is not plain
            and (c.get_content_type() == "text/html" or c.get_content_maintype() == "multipart")
        ),
        None,
    )
    plain_text = ""
    if plain is not None:
        plain_text = _decode_text(plain, body, _payload_bytes(plain, body), html=False)
    # HTML to text is the dearest step: skip it when the plain part is plainly good enough.
    rich_body = _Body(want_text=plain is None or _may_be_placeholder(plain_text))
    if rich is not None:
        _walk(rich, rich_body)
        body.defects.extend(rich_body.defects)
    rich_text = "\n".join(t for t in rich_body.texts if t)
    if plain is not None and not (rich is not None and _is_placeholder(plain_text, rich_text)):
        body.texts.append(plain_text)
    else:
        body.texts.extend(rich_body.texts)
    if body.html is None:
        body.html = rich_body.html
    body.attachments.extend(rich_body.attachments)
    for child in children:  # calendar invites and the like ride along as alternatives
        if child is not plain and child is not rich and child.get_content_type() not in _TEXT_TYPES:
            _attach(child, body)


def _related(part: Message, body: _Body) -> None:
    children = [c for c in part.get_payload() if isinstance(c, Message)]
    start = part.get_param("start") or ""
    root = next(
        (c for c in children if isinstance(start, str) and start and c.get("content-id") == start), None
    )
    root = root or (children[0] if children else None)
    for child in children:
        if child is root:
            _walk(child, body)
        else:
            _attach(child, body)


def _forwarded(part: Message, body: _Body) -> None:
    """message/rfc822: kept as an attachment, and its text added as a forwarded block so it is not lost."""
    inner = part.get_payload(0) if part.is_multipart() else None
    if not isinstance(inner, Message):
        _attach(part, body)
        return
    try:
        data = inner.as_bytes(policy=_RAW_HEADERS)
    except Exception:  # a generator failure must not lose the mail; keep what text there is
        data = inner.as_string().encode("utf-8", "surrogateescape")
        body.defects.append("rfc822_part_not_serialisable")
    headers = _Headers(inner)
    found: list[str] = []
    subject = headers.text("subject", found)
    _attach(part, body, data=data, filename=_filename(part) or f"{subject or 'message'}.eml")
    inner_body = _Body()
    _walk(inner, inner_body)
    lines = ["---------- Forwarded message ---------"]
    for name in ("from", "date", "subject", "to"):
        value = headers.text(name, found)
        if value:
            lines.append(f"{name.capitalize()}: {value}")
    body.texts.append("\n".join(lines) + "\n\n" + "\n".join(t for t in inner_body.texts if t))
    body.attachments.extend(inner_body.attachments)
    body.defects.extend(inner_body.defects)


def _delivery_status(part: Message, body: _Body) -> None:
    blocks = part.get_payload()
    if isinstance(blocks, list):
        rendered = "\n\n".join(
            "\n".join(f"{k}: {_FOLD.sub('', v)}" for k, v in block.raw_items())
            for block in blocks
            if isinstance(block, Message)
        )
        body.texts.append(_decode_raw_str(rendered)[0])
    else:
        _leaf(part, body)


def _walk(part: Message, body: _Body) -> None:
    body.parts += 1
    if body.parts > MAX_PARTS:  # a 20,000-part mail: the start is read, the rest stays in the raw bytes
        if body.parts == MAX_PARTS + 1:
            body.defects.append("parts_truncated")
        return
    ctype = part.get_content_type()
    if ctype in ("message/rfc822", "message/global"):
        _forwarded(part, body)
    elif ctype == "message/delivery-status":
        _delivery_status(part, body)
    elif part.is_multipart():
        if ctype == "multipart/alternative":
            _alternative(part, body)
        elif ctype == "multipart/related":
            _related(part, body)
        else:
            for child in part.get_payload():
                if isinstance(child, Message):
                    _walk(child, body)
    elif part.get_content_maintype() == "multipart":
        body.defects.append("multipart_without_parts")  # no boundary found: read it as plain text
        body.texts.append(_decode_text(part, body, _payload_bytes(part, body), html=False))
    else:
        _leaf(part, body)


def _collect_defects(msg: Message) -> list[str]:
    names: list[str] = []
    for part in msg.walk():
        names.extend(type(d).__name__ for d in part.defects)
    return names


def _decoding_policy(msg: Message) -> None:
    for part in msg.walk():
        part.policy = DECODING_POLICY


def _reparse_obsolete_headers(raw: bytes) -> Message:
    """RFC 822 allowed "Subject  : x" (space before the colon); the stdlib does not. Last try for headers."""
    head, sep, rest = raw.partition(b"\n\n") if b"\r\n\r\n" not in raw else raw.partition(b"\r\n\r\n")
    repaired = _OBS_FIELD.sub(rb"\1:", head)
    if repaired != head:
        msg = email.message_from_bytes(repaired + sep + rest, policy=compat32)
        if msg.keys():
            msg.defects.append(ObsoleteHeaderSyntaxDefect())
            return msg
    raise MailParseError("no headers")


_BOUNDARY_PARAM = re.compile(rb'boundary\s*=\s*(?:"([^"\r\n]{1,200})"|([^\s;"]{1,200}))', re.IGNORECASE)
_MAX_BOUNDARIES = 20


def canonical_boundaries(raw: bytes) -> bytes:
    """The mail with each multipart boundary renamed to one the parser has seen before, when that is safe.

    The stdlib parser compiles a regex for every boundary it meets, and boundaries are unique per mail,
    so its regex cache never helps: ≈0.2 ms of every multipart mail went to compiling. Renaming them
    `=_b0_=`, `=_b1_=` … lets one compiled pattern serve all mails. A boundary is renamed only when it
    occurs nowhere but in its parameter and at the start of its delimiter lines, and none is part of
    another; else the mail is parsed as written. The stored raw mail is never changed."""
    params = [m.group(1) or m.group(2) for m in _BOUNDARY_PARAM.finditer(raw)]
    found = list(dict.fromkeys(params))
    if not found or len(found) > _MAX_BOUNDARIES:
        return raw
    if any(a != b and a in b for a in found for b in found):
        return raw
    out = raw
    for n, boundary in enumerate(found):
        new = b"=_b%d_=" % n
        delimiters = raw.count(b"\n--" + boundary) + raw.startswith(b"--" + boundary)
        if new in raw or raw.count(boundary) != delimiters + params.count(boundary):
            return raw
        out = out.replace(boundary, new)
    return out


def _read(data: bytes, stripped: bytes) -> tuple[Message, _Headers, _Body, list[str]]:
    try:
        msg = email.message_from_bytes(data, policy=compat32)
    except Exception as exc:  # the stdlib parser is lenient; anything it throws means unreadable
        raise MailParseError(f"unparseable mail: {type(exc).__name__}") from exc
    if not msg.keys():
        msg = _reparse_obsolete_headers(stripped)
    defects = _collect_defects(msg)
    headers = _Headers(msg, defects)
    body = _Body()
    try:
        _walk(msg, body)
    except RecursionError:
        body.defects.append("mime_nesting_too_deep")
    except Exception as exc:  # keep headers and text read so far; the defect puts it before a person
        log.warning("mime_walk_failed", error=type(exc).__name__)
        body.defects.append(f"mime_walk_failed:{type(exc).__name__}")
    defects.extend(body.defects)
    return msg, headers, body, defects


_RENAMED = re.compile(r"=_b\d+_=")


def _shows_renamed(body: _Body) -> bool:
    return any(_RENAMED.search(t) for t in (*body.texts, *body.tnef_texts, body.html or ""))


def parse_mail(raw: bytes) -> ParsedMail:
    """Parse one raw mail. Never raises on broken mail (see defects); MailParseError when no header."""
    stripped = raw.lstrip(b"\r\n")
    if not stripped.strip():
        raise MailParseError("empty mail")
    renamed = canonical_boundaries(stripped)
    msg, headers, body, defects = _read(renamed, stripped)
    if renamed is not stripped and _shows_renamed(body):  # a boundary in text a broken mail shows: as written
        msg, headers, body, defects = _read(stripped, stripped)
    senders = _addresses(headers.all.get("from", []) or headers.all.get("sender", []), defects, "from")
    to = _addresses(
        headers.all.get("to", [])
        + headers.all.get("delivered-to", [])
        + headers.all.get("x-original-to", []),
        defects,
        "to",
    )
    texts = body.texts if any(t.strip() for t in body.texts) else body.tnef_texts
    text, _ = clean_text("\n\n".join(t.strip("\n") for t in texts if t.strip()))
    _decoding_policy(msg)
    return bound_parsed(ParsedMail(
        raw=raw,
        message=msg,
        message_id=next(iter(_ids(headers.first.get("message-id"))), None),
        in_reply_to=next(iter(_ids(headers.first.get("in-reply-to"))), None),
        references=tuple(_ids(" ".join(headers.all.get("references", [])))),
        subject=headers.text("subject", defects),
        from_addr=senders[0][1] if senders else "",
        from_name=senders[0][0] if senders else "",
        to=tuple(dict.fromkeys(addr for _, addr in to)),
        cc=tuple(dict.fromkeys(addr for _, addr in _addresses(headers.all.get("cc", []), defects, "cc"))),
        date=_parse_date(headers, defects),
        text=text,
        html=body.html,
        attachments=tuple(body.attachments),
        defects=tuple(dict.fromkeys(defects)),
    ))
