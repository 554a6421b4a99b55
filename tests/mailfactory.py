"""Build raw .eml bytes for tests: any charset (CP932-style ISO-2022-JP included), any transfer encoding,
multipart trees, RFC 2047 words. Deliberately low-level so tests can also build broken mail.

    subject = encoded_word("件名", "iso-2022-jp")
    raw = text_mail("お支払い済み", charset="iso-2022-jp", headers=[("Subject", subject)])
    alternative = multipart("alternative", [part("text/plain", b"hi"), part("text/html", b"<p>hi")])
    raw = mail([("Subject", "x")], alternative)
"""

from __future__ import annotations

import base64
import functools
import quopri
from collections.abc import Iterable, Sequence

Headers = Sequence[tuple[str, str | bytes]]


@functools.cache
def _nec_selected() -> dict[str, bytes]:
    """IBM extension characters (0xFA-0xFC in CP932) -> their NEC-selected codes (0xED/0xEE), which
    have JIS cells; CP50221 encoders use these when writing ISO-2022-JP."""
    table: dict[str, bytes] = {}
    for lead in (0xED, 0xEE):
        for trail in range(0x40, 0xFD):
            code = bytes((lead, trail))
            try:
                table.setdefault(code.decode("cp932"), code)
            except UnicodeDecodeError:
                continue
    return table


def _sjis_to_jis(s1: int, s2: int) -> bytes:
    if s1 >= 0xE0:
        s1 -= 0x40
    j1 = (s1 - 0x81) * 2 + 0x21
    if s2 >= 0x9F:
        return bytes((j1 + 1, s2 - 0x7E))
    return bytes((j1, s2 - 0x1F if s2 < 0x7F else s2 - 0x20))


def encode_iso2022jp_cp932(text: str) -> bytes:
    """ISO-2022-JP as Windows mailers write it (CP50221): CP932 characters in JIS cells, ESC ( I kana."""
    out = bytearray()
    mode = b"(B"
    for ch in text:
        if ord(ch) < 0x80:
            want, data = b"(B", ch.encode("ascii")
        else:
            code = _nec_selected().get(ch) or ch.encode("cp932")
            if len(code) == 1:
                want, data = b"(I", bytes((code[0] - 0x80,))
            else:
                want, data = b"$B", _sjis_to_jis(code[0], code[1])
        if want != mode:
            out += b"\x1b" + want
            mode = want
        out += data
    if mode != b"(B":
        out += b"\x1b(B"
    return bytes(out)


def encode_text(text: str, charset: str) -> bytes:
    """Text in a mail charset; ISO-2022-JP the CP932 way, Shift_JIS as CP932 (what mailers really send)."""
    label = charset.lower()
    if label.startswith("iso-2022-jp"):
        return encode_iso2022jp_cp932(text)
    if label in ("shift_jis", "sjis", "windows-31j"):
        return text.encode("cp932")
    if label == "euc-jp":
        return text.encode("euc_jp")
    return text.encode(charset)


def encoded_word(text: str, charset: str = "utf-8", encoding: str = "B") -> str:
    """One RFC 2047 encoded word."""
    data = encode_text(text, charset)
    if encoding.upper() == "B":
        payload = base64.b64encode(data).decode("ascii")
    else:
        payload = "".join(
            chr(b) if (0x30 <= b <= 0x39 or 0x41 <= b <= 0x5A or 0x61 <= b <= 0x7A) else f"={b:02X}"
            for b in data
        )
    return f"=?{charset}?{encoding}?{payload}?="


def transfer_encode(data: bytes, cte: str) -> bytes:
    """Apply a Content-Transfer-Encoding to body bytes (anything unknown is left as is)."""
    if cte == "base64":
        encoded = base64.b64encode(data)
        return b"\r\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76)) + b"\r\n"
    if cte == "quoted-printable":
        return quopri.encodestring(data.replace(b"\r\n", b"\n")).replace(b"\n", b"\r\n")
    return data


def _header_lines(headers: Iterable[tuple[str, str | bytes]]) -> bytes:
    lines = b""
    for name, value in headers:
        raw = value if isinstance(value, bytes) else value.encode("utf-8")
        lines += name.encode("ascii") + b": " + raw + b"\r\n"
    return lines


def part(
    content_type: str,
    body: bytes | str,
    *,
    charset: str | None = None,
    cte: str = "8bit",
    headers: Headers = (),
) -> bytes:
    """One MIME entity (headers, blank line, body). A str body is encoded in charset (default utf-8)."""
    data = encode_text(body, charset or "utf-8") if isinstance(body, str) else body
    ctype = content_type + (f"; charset={charset}" if charset else "")
    head = [("Content-Type", ctype), *(([("Content-Transfer-Encoding", cte)]) if cte else []), *headers]
    return _header_lines(head) + b"\r\n" + transfer_encode(data, cte)


def attachment(filename_param: str, content_type: str, data: bytes) -> bytes:
    """An attachment part; filename_param is the raw parameter text, e.g. 'filename="a.pdf"' or an
    RFC 2231 form like "filename*=UTF-8''%E8%AB%8B.pdf"."""
    return part(
        content_type, data, cte="base64", headers=[("Content-Disposition", f"attachment; {filename_param}")]
    )


def multipart(subtype: str, parts: Sequence[bytes], *, boundary: str = "", close: bool = True) -> bytes:
    """A multipart entity; close=False leaves out the closing boundary (a truncated mail)."""
    boundary = boundary or f"=_b{len(parts)}_{subtype}_{sum(len(p) for p in parts)}"
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + p + b"\r\n" for p in parts)
    if close:
        body += b"--" + boundary.encode() + b"--\r\n"
    head = _header_lines([("Content-Type", f'multipart/{subtype}; boundary="{boundary}"')])
    return head + b"\r\nThis is a multi-part message in MIME format.\r\n\r\n" + body


DEFAULT_HEADERS: tuple[tuple[str, str], ...] = (
    ("From", "Customer <Customer@Example.COM>"),
    ("To", "invoices@dunmail.test"),
    ("Subject", "Re: Invoice INV-1001"),
    ("Date", "Tue, 03 Mar 2026 10:02:00 +0900"),
    ("Message-ID", "<reply-1@example.com>"),
    ("MIME-Version", "1.0"),
)


def mail(headers: Headers = (), entity: bytes = b"", *, defaults: bool = True) -> bytes:
    """A whole mail: top-level headers (defaults for those not given) followed by one MIME entity."""
    given = {name.lower() for name, _ in headers}
    base = [(n, v) for n, v in DEFAULT_HEADERS if n.lower() not in given] if defaults else []
    return _header_lines([*base, *headers]) + entity


def text_mail(
    body: str | bytes,
    *,
    charset: str = "utf-8",
    cte: str = "8bit",
    content_type: str = "text/plain",
    headers: Headers = (),
) -> bytes:
    """A single-part mail with the body in the given charset and transfer encoding."""
    return mail(headers, part(content_type, body, charset=charset, cte=cte))
