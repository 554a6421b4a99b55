"""parse_mail: Japanese charset traps, RFC 2047/2231 headers, HTML-only mail, attachments, broken mail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.mailfactory import (
    attachment,
    encode_iso2022jp_cp932,
    encoded_word,
    mail,
    multipart,
    part,
    text_mail,
)
from worker.errors import MailParseError
from worker.inbound.charsets import (
    _JIS_TO_CP932_CHARS,
    _decode_iso2022jp_slow,
    decode_bytes,
    decode_iso2022jp,
    jis_pair_to_sjis,
)
from worker.inbound.htmltext import fix_meta_charset, html_to_text, may_have_quote_container, split_html_quote
from worker.inbound.mime import canonical_boundaries, parse_mail

CP932_TRAPS = "①②㈱～髙﨑－∥￢ 請求書 ｱｲｳ"  # NEC row 13, wave dash, IBM extensions, half-width kana


def _clean(text: str) -> bool:
    return "\ufffd" not in text and "\x1b" not in text


# --- Japanese bodies -------------------------------------------------------------------------------------


def test_iso2022jp_body_keeps_cp932_extensions() -> None:
    """ISO-2022-JP written by a Windows mailer (NEC row 13, IBM kanji, ESC ( I kana) decodes exactly."""
    parsed = parse_mail(text_mail(f"お支払いについて {CP932_TRAPS}", charset="iso-2022-jp", cte="7bit"))
    assert parsed.text == f"お支払いについて {CP932_TRAPS}"
    assert parsed.defects == ()


@pytest.mark.parametrize(
    "label", ["ISO-2022-JP", "iso-2022-jp-1", "ISO-2022-JP-2", "iso-2022-jp-ext", "cp50220"]
)
def test_iso2022jp_variant_labels(label: str) -> None:
    """Every ISO-2022-JP variant label goes through the CP932-aware decoder."""
    raw = text_mail(encode_iso2022jp_cp932("㈱山田商事 ①"), charset=label, cte="7bit")
    assert parse_mail(raw).text == "㈱山田商事 ①"


def test_iso2022jp_fast_path_matches_cp932_arithmetic_for_every_cell() -> None:
    """The C-speed path (Python's iso2022_jp plus a six-character remap) gives what CP932 gives, per cell."""
    for j1 in range(0x21, 0x7F):
        for j2 in range(0x21, 0x7F):
            data = b"\x1b$B" + bytes((j1, j2)) + b"\x1b(B"
            try:
                fast = data.decode("iso2022_jp").translate(_JIS_TO_CP932_CHARS)
            except UnicodeDecodeError:
                continue
            assert fast == jis_pair_to_sjis(j1, j2).decode("cp932"), (hex(j1), hex(j2))


def test_iso2022jp_without_final_reset_and_with_jis_roman() -> None:
    """A missing final ESC ( B and JIS-Roman ESC ( J (read as ASCII) do not garble the text."""
    data = b"\x1b$B$3$s$K$A$O\x1b(J a\\b~ \x1b$B-!"
    text, bad = decode_iso2022jp(data)
    assert text == "こんにちは a\\b~ ①"
    assert bad == 0


def test_shift_jis_label_is_read_as_cp932() -> None:
    """A body labelled Shift_JIS with ①, ～ and 髙 comes out right (the stdlib codec gets them wrong)."""
    parsed = parse_mail(text_mail("①～髙島屋 お振込み済みです", charset="Shift_JIS", cte="base64"))
    assert parsed.text == "①～髙島屋 お振込み済みです"


def test_euc_jp_with_nec_row_13() -> None:
    """EUC-JP bodies decode, including NEC row 13 (cp51932) that strict EUC-JP rejects."""
    euc = "お支払い".encode("euc_jp") + b" \xad\xa1"  # ① at JIS 0x2D21
    parsed = parse_mail(text_mail(euc, charset="EUC-JP"))
    assert parsed.text == "お支払い ①"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("お支払いは3月末になります".encode(), "お支払いは3月末になります"),
        ("お支払いは3月末になります①".encode("cp932"), "お支払いは3月末になります①"),
        ("お支払いは3月末になります".encode("euc_jp"), "お支払いは3月末になります"),
        ("よろしくお願いします☆♪".encode("cp932") + b"\xf0\x40", "よろしくお願いします☆♪\ue000"),
        (
            "Payment sent, merci beaucoup. Café ‘Soleil’".encode("cp1252"),
            "Payment sent, merci beaucoup. Café ‘Soleil’",
        ),
        (encode_iso2022jp_cp932("未払いの件"), "未払いの件"),
    ],
    ids=["utf-8", "cp932", "euc-jp", "cp932-symbols-gaiji", "cp1252", "iso-2022-jp"],
)
def test_undeclared_charset_is_sniffed(body: bytes, expected: str) -> None:
    """With no charset label the body is read as UTF-8, CP932, EUC-JP, ISO-2022-JP or Latin-1 by its bytes."""
    raw = mail([], part("text/plain", body))
    assert parse_mail(raw).text == expected


@pytest.mark.parametrize(
    ("label", "body", "expected"),
    [
        ("utf-8", "請求書の件、承知しました".encode("cp932"), "請求書の件、承知しました"),
        ("iso-8859-1", "Zahlung überwiesen — danke".encode(), "Zahlung überwiesen — danke"),
        ("us-ascii", encode_iso2022jp_cp932("入金済みです"), "入金済みです"),
        ("iso-2022-jp", "入金済みです".encode(), "入金済みです"),
        ("iso-2022-jp", "入金済みです①".encode("cp932"), "入金済みです①"),
        ("iso-8859-1", "入金済みです、ご確認ください".encode("cp932"), "入金済みです、ご確認ください"),
        ("x-unknown-charset", "入金済み".encode(), "入金済み"),
    ],
)
def test_wrong_charset_label_is_survived(label: str, body: bytes, expected: str) -> None:
    """A label that does not fit the bytes is overruled by the bytes, and the mislabel is a defect."""
    parsed = parse_mail(text_mail(body, charset=label))
    assert parsed.text == expected
    assert parsed.defects, "the wrong label should be recorded"


def test_undecodable_bytes_are_dropped_not_replaced() -> None:
    """A UTF-8 body with a stray invalid byte keeps the rest and never shows U+FFFD."""
    body = "お支払いは済みました".encode() + b"\xff" + b" thanks"
    parsed = parse_mail(text_mail(body, charset="utf-8"))
    assert parsed.text == "お支払いは済みました thanks"
    assert any(d.startswith("undecodable_bytes_dropped") for d in parsed.defects)


def test_decode_bytes_reports_the_codec_used() -> None:
    """decode_bytes says which codec it used, so callers can log charset trouble."""
    assert decode_bytes("①".encode("cp932"), "shift_jis").charset == "cp932"
    assert decode_bytes(b"plain", None).charset == "ascii"


# --- headers ---------------------------------------------------------------------------------------------


def test_rfc2047_subject_in_iso2022jp_with_cp932_extensions() -> None:
    """An ISO-2022-JP B-encoded subject containing ①㈱ decodes exactly, and header() agrees."""
    subject = encoded_word("Re: ㈱テスト ご請求① の件", "ISO-2022-JP")
    parsed = parse_mail(text_mail("x", headers=[("Subject", subject)]))
    assert parsed.subject == "Re: ㈱テスト ご請求① の件"
    assert parsed.header("Subject") == "Re: ㈱テスト ご請求① の件"


def test_rfc2047_words_split_inside_a_character_are_joined() -> None:
    """A UTF-8 character split across two adjacent encoded words (illegal, common) is put back together."""
    data = "支払い".encode()
    import base64

    w1 = "=?UTF-8?B?" + base64.b64encode(data[:4]).decode() + "?="
    w2 = "=?UTF-8?B?" + base64.b64encode(data[4:]).decode() + "?="
    parsed = parse_mail(text_mail("x", headers=[("Subject", f"Re: {w1}\r\n {w2} INV-7")]))
    assert parsed.subject == "Re: 支払い INV-7"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (encoded_word("①請求書", "shift_jis"), "①請求書"),
        (encoded_word("Überweisung erfolgt", "iso-8859-1", "Q"), "Überweisung erfolgt"),
        ("=?utf-8?q?Payment_sent?= for =?utf-8?b?44GK?=", "Payment sent for お"),
        ("=?utf-8?b?44GK5pSv5omV44GE?", "=?utf-8?b?44GK5pSv5omV44GE?"),  # unterminated: left as written
        ("=?utf-8?b?44GK5pSv5omV44G?=", "お支払"),  # bad base64 length: what decodes is kept
        ("=?utf-8*ja?b?44GK?=", "お"),  # RFC 2231 language suffix
    ],
)
def test_rfc2047_forms(header: str, expected: str) -> None:
    """Encoded words in Shift_JIS, Q encoding, mixed with plain text, and broken ones decode cleanly."""
    parsed = parse_mail(text_mail("x", headers=[("Subject", header)]))
    assert parsed.subject == expected
    assert _clean(parsed.subject)


@pytest.mark.parametrize("encoding", ["utf-8", "cp932", "iso-2022-jp"])
def test_raw_8bit_and_unencoded_iso2022jp_headers(encoding: str) -> None:
    """Subjects and display names written raw (8-bit UTF-8/CP932 or bare ISO-2022-JP escapes) decode."""
    subject = (
        encode_iso2022jp_cp932("お支払い①") if encoding == "iso-2022-jp" else "お支払い①".encode(encoding)
    )
    name = encode_iso2022jp_cp932("山田") if encoding == "iso-2022-jp" else "山田".encode(encoding)
    raw = text_mail("x", headers=[("Subject", subject), ("From", name + b" <Yamada@Example.JP>")])
    parsed = parse_mail(raw)
    assert parsed.subject == "お支払い①"
    assert (parsed.from_name, parsed.from_addr) == ("山田", "yamada@example.jp")


def test_addresses_ids_and_recipients() -> None:
    """Addresses are lower-cased, names decoded; ids lose angle brackets; To includes Delivered-To."""
    raw = text_mail(
        "x",
        headers=[
            ("From", f'"{encoded_word("佐藤, 経理部")}" <Sato@Example.co.JP>'),
            ("To", "Invoices <Invoices@Dunmail.TEST>, other@x.test"),
            ("Cc", "a@B.test"),
            ("Delivered-To", "reply+tok123@dunmail.test"),
            ("Message-ID", " <abc@mail.example.com> "),
            ("In-Reply-To", "<rem-1@dunmail.test> (reminder)"),
            ("References", "<a@x>\r\n <b@y> <rem-1@dunmail.test>"),
        ],
    )
    parsed = parse_mail(raw)
    assert (parsed.from_name, parsed.from_addr) == ("佐藤, 経理部", "sato@example.co.jp")
    assert parsed.to == ("invoices@dunmail.test", "other@x.test", "reply+tok123@dunmail.test")
    assert parsed.cc == ("a@b.test",)
    assert parsed.message_id == "abc@mail.example.com"
    assert parsed.in_reply_to == "rem-1@dunmail.test"
    assert parsed.references == ("a@x", "b@y", "rem-1@dunmail.test")


def test_dates_are_timezone_aware() -> None:
    """Date keeps its offset; a zone-less date is taken as UTC with a defect; a bad one falls back."""
    jst = parse_mail(text_mail("x", headers=[("Date", "Thu, 5 Mar 2026 10:02:00 +0900")])).date
    assert jst == datetime(2026, 3, 5, 10, 2, tzinfo=timezone(timedelta(hours=9)))
    naive = parse_mail(text_mail("x", headers=[("Date", "Thu, 5 Mar 2026 10:02:00")]))
    assert naive.date == datetime(2026, 3, 5, 10, 2, tzinfo=UTC)
    assert "date:no_timezone_assumed_utc" in naive.defects
    japanese = parse_mail(
        text_mail(
            "x",
            headers=[
                ("Received", "from mx by us; Thu, 5 Mar 2026 01:02:05 +0000"),
                ("Received", "from pc by mail.example.jp; Thu, 5 Mar 2026 10:02:01 +0900"),
                ("Date", "Thu, 5 Mar 2026 10:02:00"),
            ],
        )
    )
    assert japanese.date == datetime(2026, 3, 5, 10, 2, tzinfo=timezone(timedelta(hours=9)))
    assert "date:no_timezone_took_first_hop_zone" in japanese.defects
    bad = parse_mail(
        text_mail(
            "x",
            headers=[
                ("Received", "from a by b; Fri, 6 Mar 2026 01:00:00 +0000"),
                ("Date", "next tuesday at noonish"),
            ],
        )
    )
    assert bad.date == datetime(2026, 3, 6, 1, 0, tzinfo=UTC)
    assert "date:unparseable" in bad.defects


# --- structure -------------------------------------------------------------------------------------------


def test_alternative_prefers_plain_text_and_keeps_html() -> None:
    """multipart/alternative gives the text/plain part as text, and the HTML part as html."""
    entity = multipart(
        "alternative",
        [
            part("text/plain", "We paid today.", charset="utf-8"),
            part("text/html", "<p>We paid <b>today</b>.</p>"),
        ],
    )
    parsed = parse_mail(mail([], entity))
    assert parsed.text == "We paid today."
    assert parsed.html == "<p>We paid <b>today</b>.</p>"


def test_alternative_with_placeholder_plain_uses_html() -> None:
    """A text/plain alternative that only says 'view in HTML' is replaced by the HTML's text."""
    html = (
        "<html><body><p>お世話になっております。</p>"
        "<p>本日お振込みいたしました。確認をお願いします。</p></body></html>"
    )
    entity = multipart(
        "alternative",
        [
            part("text/plain", "このメールはHTML形式です。", charset="utf-8"),
            part("text/html", html, charset="utf-8"),
        ],
    )
    parsed = parse_mail(mail([], entity))
    assert "本日お振込みいたしました" in parsed.text


def test_html_only_mail_in_iso2022jp_with_stale_meta() -> None:
    """HTML-only ISO-2022-JP mail becomes text; the html field's meta charset now says utf-8."""
    html = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-2022-jp">'
        "<style>p{color:red}</style></head><body><div>①の請求書、支払い済みです。</div>"
        "<div>よろしくお願いします。</div></body></html>"
    )
    parsed = parse_mail(text_mail(html, charset="iso-2022-jp", cte="7bit", content_type="text/html"))
    assert parsed.text == "①の請求書、支払い済みです。\nよろしくお願いします。"
    assert parsed.html is not None and "charset=utf-8" in parsed.html and "iso-2022-jp" not in parsed.html


def test_html_without_charset_parameter_uses_meta() -> None:
    """An HTML part with no charset parameter is decoded by its <meta charset>."""
    html = '<meta charset="shift_jis"><p>髙橋です。入金しました。</p>'.encode("cp932")
    parsed = parse_mail(mail([], part("text/html", html)))
    assert parsed.text == "髙橋です。入金しました。"


def test_attachments_with_rfc2231_and_rfc2047_names() -> None:
    """Attachments keep name, type, size and payload; RFC 2231 (Shift_JIS, continuations) and RFC 2047
    names decode."""
    pdf = b"%PDF-1.4 fake"
    sjis_name = "".join(f"%{b:02X}" for b in "請求書①.pdf".encode("cp932"))
    entity = multipart(
        "mixed",
        [
            part("text/plain", "Remittance attached.", charset="utf-8"),
            attachment(f"filename*=shift_jis''{sjis_name}", "application/pdf", pdf),
            attachment(
                "filename*0*=utf-8''%E9%A0%98%E5%8F%8E; filename*1*=%E6%9B%B8.txt", "text/plain", b"r"
            ),
            attachment(f'filename="{encoded_word("振込明細.csv", "iso-2022-jp")}"', "text/csv", b"a,b\n"),
        ],
    )
    parsed = parse_mail(mail([], entity))
    assert parsed.text == "Remittance attached."
    got = [(a.filename, a.content_type, a.size) for a in parsed.attachments]
    assert got == [
        ("請求書①.pdf", "application/pdf", len(pdf)),
        ("領収書.txt", "text/plain", 1),
        ("振込明細.csv", "text/csv", 4),
    ]
    assert parsed.attachments[0].payload == pdf


def test_raw_8bit_filename() -> None:
    """A filename written as raw UTF-8 bytes in the header decodes."""
    entity = multipart(
        "mixed",
        [
            part("text/plain", "x"),
            part(
                "application/pdf",
                b"%PDF",
                cte="base64",
                headers=[("Content-Disposition", 'attachment; filename="請求書.pdf"'.encode())],
            ),
        ],
    )
    assert parse_mail(mail([], entity)).attachments[0].filename == "請求書.pdf"


def test_message_rfc822_is_an_attachment_and_its_text_is_kept() -> None:
    """A forwarded message/rfc822 part is an attachment, its text follows a forwarded marker, and its own
    attachments are listed too."""
    inner = mail(
        [("Subject", encoded_word("請求書 INV-9", "iso-2022-jp")), ("From", "billing@supplier.test")],
        multipart(
            "mixed",
            [
                part("text/plain", "ご請求金額は10,000円です。", charset="iso-2022-jp", cte="7bit"),
                attachment('filename="INV-9.pdf"', "application/pdf", b"%PDF-1.7"),
            ],
        ),
    )
    entity = multipart(
        "mixed", [part("text/plain", "FYI, see below."), part("message/rfc822", inner, cte="")]
    )
    parsed = parse_mail(mail([], entity))
    names = [(a.filename, a.content_type) for a in parsed.attachments]
    assert names == [("請求書 INV-9.eml", "message/rfc822"), ("INV-9.pdf", "application/pdf")]
    assert parsed.text.startswith("FYI, see below.\n\n---------- Forwarded message ---------")
    assert "ご請求金額は10,000円です。" in parsed.text


def test_truncated_multipart_keeps_text() -> None:
    """A multipart whose closing boundary never came still gives its text, with a defect."""
    entity = multipart("mixed", [part("text/plain", "We will pay on Friday.")], close=False)
    parsed = parse_mail(mail([], entity[: len(entity) - 2]))
    assert parsed.text == "We will pay on Friday."
    assert parsed.defects


@pytest.mark.parametrize("cte", ["base64;", "Base64 ", '"base64"', "BASE-64"])
def test_misspelt_transfer_encoding(cte: str) -> None:
    """Transfer-encoding labels with stray punctuation or case still decode."""
    import base64

    body = base64.b64encode("入金しました".encode())
    raw = mail(
        [], part("text/plain", body, charset="utf-8", cte="", headers=[("Content-Transfer-Encoding", cte)])
    )
    assert parse_mail(raw).text == "入金しました"


def test_base64_with_broken_padding_and_junk() -> None:
    """Base64 bodies with junk characters and missing padding decode what they can."""
    raw = mail(
        [],
        part(
            "text/plain",
            b"5YWl6YeR!!\r\n44GX44G+44GX44Gf",
            charset="utf-8",
            cte="",
            headers=[("Content-Transfer-Encoding", "base64")],
        ),
    )
    assert parse_mail(raw).text == "入金しました"


def test_binary_in_text_part_becomes_an_attachment() -> None:
    """An image mislabelled text/plain is not turned into garbage text."""
    entity = multipart(
        "mixed", [part("text/plain", "see image"), part("text/plain", b"\x89PNG\r\n\x1a\n\x00\x00")]
    )
    parsed = parse_mail(mail([], entity))
    assert parsed.text == "see image"
    assert len(parsed.attachments) == 1


def test_line_endings_are_normalised() -> None:
    """Text uses \\n only, whatever the mail used."""
    assert "\r" not in parse_mail(text_mail("a\r\nb\rc")).text


@pytest.mark.parametrize("raw", [b"", b"\r\n\r\n", b"no headers here, just words\r\n"])
def test_unreadable_mail_raises(raw: bytes) -> None:
    """Input with no header at all raises MailParseError (the caller keeps it raw for review)."""
    with pytest.raises(MailParseError):
        parse_mail(raw)


def test_obsolete_header_syntax_is_repaired() -> None:
    """'Subject  : x' (RFC 822 white space before the colon) is still read as headers."""
    parsed = parse_mail(b"From  : A <a@x.test>\r\nSubject : paid\r\n\r\nbody\r\n")
    assert (parsed.from_addr, parsed.subject, parsed.text) == ("a@x.test", "paid", "body")


# --- never crashes -----------------------------------------------------------------------------------------

_SEED = text_mail(
    "お支払いは3月末です。\r\n\r\n> 請求書\r\n",
    charset="iso-2022-jp",
    cte="7bit",
    headers=[
        ("Subject", encoded_word("ご請求①", "iso-2022-jp")),
        ("From", f"{encoded_word('山田')} <y@x.jp>"),
    ],
) + mail(
    [],
    multipart(
        "alternative",
        [part("text/plain", "Paid ①", charset="shift_jis", cte="base64"), part("text/html", "<p>Paid</p>")],
    ),
    defaults=False,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cut=st.integers(min_value=0, max_value=len(_SEED)), noise=st.binary(max_size=40), at=st.integers(0, 400)
)
def test_damaged_mail_never_crashes(cut: int, noise: bytes, at: int) -> None:
    """Truncated mail with random bytes spliced in parses or raises MailParseError, and its text and
    subject are never left with U+FFFD or ESC."""
    raw = _SEED[:cut]
    raw = raw[:at] + noise + raw[at:]
    try:
        parsed = parse_mail(raw)
    except MailParseError:
        return
    assert _clean(parsed.text) and _clean(parsed.subject) and _clean(parsed.from_name)
    assert not any(d.startswith("mime_walk_failed") for d in parsed.defects)


@settings(max_examples=300, deadline=None)
@given(
    data=st.binary(max_size=300),
    label=st.sampled_from(
        [None, "utf-8", "shift_jis", "iso-2022-jp", "euc-jp", "us-ascii", "iso-8859-1", "x-bogus", "utf-16"]
    ),
)
def test_decode_bytes_is_total(data: bytes, label: str | None) -> None:
    """Any bytes under any label decode to text without U+FFFD or ESC."""
    assert _clean(decode_bytes(data, label).text)


def test_every_cp932_character_survives_iso2022jp() -> None:
    """Every double-byte CP932 character written as CP50221-style ISO-2022-JP decodes back to itself,
    through the fast path (codec + error handler) and the slow path (escape-by-escape) alike."""
    chars = []
    for lead in [*range(0x81, 0xA0), *range(0xE0, 0xF0), *range(0xFA, 0xFD)]:
        for trail in [*range(0x40, 0x7F), *range(0x80, 0xFD)]:
            try:
                chars.append(bytes((lead, trail)).decode("cp932"))
            except UnicodeDecodeError:
                continue
    text = "".join(chars)
    encoded = encode_iso2022jp_cp932(text)
    assert decode_iso2022jp(encoded) == (text, 0)
    assert _decode_iso2022jp_slow(encoded) == (text, 0)


# --- HTML to text ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>One</p><p>Two<br>Three</p>", "One\n\nTwo\nThree"),
        ("<ul><li>a</li><li>b</li></ul><ol><li>x<li>y</ol>", "- a\n- b\n1. x\n2. y"),
        (
            "<p>Before</p><blockquote><p>old</p><blockquote>older</blockquote></blockquote><p>After</p>",
            "Before\n\n> old\n>\n> > older\n\nAfter",
        ),
        ("<script>var a = '<p>no</p>';</script><style>p {}</style><p>yes</p>", "yes"),
        ("<p>A&amp;B &lt;ok&gt; &#x2460; caf&eacute;&nbsp;!</p>", "A&B <ok> ① café !"),
        ("<p>x</p><pre>  keep\n    spaces</pre>", "x\n\n  keep\n    spaces"),
        (
            "<table><tr><td>INV-1</td><td>10,000</td></tr><tr><td>INV-2</td><td>5,000</td></tr></table>",
            "INV-1 10,000\nINV-2 5,000",
        ),
        ('<p>See <a href="https://x.test/i/1">the invoice</a>.</p>', "See the invoice."),
        ("<p>Above</p><hr><p>From: Billing</p>", "Above\n\n" + "_" * 32 + "\n\nFrom: Billing"),
        ("<!--[if mso]><p>hidden</p><![endif]--><p>shown</p>", "shown"),
        ("<div>unclosed <b>tags <i>everywhere", "unclosed tags everywhere"),
        ("<head><title>T</title></head><body>Body</body>", "Body"),
        (
            "<p class=MsoNormal>Hello,<o:p></o:p></p><p class=MsoNormal><o:p>&nbsp;</o:p></p>"
            "<p class=MsoNormal>We paid.<o:p></o:p></p><p class=MsoNormal>John<o:p></o:p></p>",
            "Hello,\n\nWe paid.\nJohn",
        ),
    ],
    ids=[
        "paragraphs",
        "lists",
        "blockquote",
        "script",
        "entities",
        "pre",
        "table",
        "link",
        "hr",
        "conditional",
        "unclosed",
        "head",
        "outlook_msonormal",
    ],
)
def test_html_to_text(html: str, expected: str) -> None:
    """HTML becomes readable text: paragraphs, lists, quotes as "> ", tables, links as their words."""
    assert html_to_text(html) == expected


def test_fix_meta_charset() -> None:
    """A stale meta charset (the HTML is already decoded) is rewritten to utf-8, in both meta forms."""
    html = (
        '<meta charset="ISO-2022-JP"><meta http-equiv="Content-Type" content="text/html; charset=shift_jis">'
    )
    assert fix_meta_charset(html) == (
        '<meta charset="utf-8"><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
    )


def test_split_html_quote_stops_at_client_containers() -> None:
    """The quote container of each client ends the new text: Gmail, Outlook web and desktop, Apple."""
    for container in (
        '<div class="gmail_quote">',
        '<div id="divRplyFwdMsg">',
        "<div style='border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt'>",
        '<blockquote type="cite">',
        '<div class="yahoo_quoted">',
    ):
        text, found = split_html_quote(f"<p>New words</p>{container}<p>old words</p></div>")
        assert (text, found) == ("New words", True), container
        assert may_have_quote_container(f"<p>New words</p>{container}")
    assert split_html_quote("<p>Only new</p>") == ("Only new", False)
    assert not may_have_quote_container("<p>Only new</p>")


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "<p>",
                "</p>",
                "<div class=gmail_quote>",
                "<blockquote>",
                "</blockquote>",
                "<br>",
                "<li>",
                "<ol>",
                "</ul>",
                "<script>",
                "</script>",
                "<pre>",
                "</pre>",
                "<!--",
                "-->",
                "&amp;",
                "&#0;",
                "&bogus;",
                "<",
                ">",
                "text",
                "支払い",
                "\n",
                " ",
                "<a href='x'>",
                "</a>",
                "<td>",
                "<hr>",
                "<head>",
                "<![CDATA[",
                "]]>",
                "<meta charset=x>",
            ]
        ),
        max_size=40,
    )
)
def test_html_to_text_is_total(pieces: list[str]) -> None:
    """Any tag soup converts without an exception, with and without the quote cut."""
    html = "".join(pieces)
    assert isinstance(html_to_text(html), str)
    assert isinstance(split_html_quote(html)[0], str)


def test_format_flowed_is_joined() -> None:
    """format=flowed soft breaks are joined (delsp=yes joins Japanese without a space), quotes keep depth."""
    body = (
        "お支払いは来週 \r\n金曜日になります。\r\n\r\n>> 請求書を \r\n>> お送りします。\r\n-- \r\nYamada\r\n"
    )
    raw = mail([], part("text/plain; format=flowed; delsp=yes", body, charset="utf-8"))
    assert (
        parse_mail(raw).text == "お支払いは来週金曜日になります。\n\n> > 請求書をお送りします。\n-- \nYamada"
    )
    english = mail(
        [], part('text/plain; format="flowed"', "We will pay \r\n on Friday.\r\n", charset="utf-8")
    )
    assert parse_mail(english).text == "We will pay on Friday."


NESTED = (
    b"From: a@example.com\r\nSubject: parts\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="outer-77"\r\n\r\n'
    b"--outer-77\r\nContent-Type: multipart/alternative; boundary=inner.9\r\n\r\n"
    b"--inner.9\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nWe paid on Monday.\r\n"
    b"--inner.9\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>We paid on Monday.</p>\r\n--inner.9--\r\n"
    b"--outer-77\r\nContent-Type: application/pdf; name=r.pdf\r\nContent-Disposition: attachment; filename=r.pdf\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--outer-77--\r\n"
)


def test_boundaries_are_renamed_for_the_parser_and_the_mail_reads_the_same() -> None:
    """Unique boundaries become =_b0_=, =_b1_= … for the stdlib parser (its compiled patterns are reused),
    and the parsed text, HTML and attachments are what the mail says; the stored raw is untouched."""
    renamed = canonical_boundaries(NESTED)
    assert b"outer-77" not in renamed and b"inner.9" not in renamed and b"--=_b1_=--" in renamed
    parsed = parse_mail(NESTED)
    assert parsed.raw == NESTED
    assert parsed.text == "We paid on Monday." and "<p>We paid on Monday.</p>" in (parsed.html or "")
    assert [a.filename for a in parsed.attachments] == ["r.pdf"]


@pytest.mark.parametrize("raw", [
    NESTED.replace(b"We paid on Monday.\r\n--inner.9\r\nContent-Type: text/html",
                   b"see inner.9 above\r\n--inner.9\r\nContent-Type: text/html"),  # the boundary in the text
    NESTED.replace(b"inner.9", b"outer-77x"),  # one boundary part of another
    b'Subject: broken\r\n\r\nboundary="abc"\r\n\r\n--abc\r\nhello\r\n--abc--\r\n',  # a boundary only in the body
])
def test_a_boundary_that_is_not_only_a_boundary_is_left_as_written(raw: bytes) -> None:
    """Renaming is skipped where it could change what a person reads: a boundary that also occurs in the
    content, or inside another boundary; and a mail whose text would show a renamed one is read as written."""
    parsed = parse_mail(raw)
    assert "=_b" not in parsed.text and "=_b" not in (parsed.html or "")
    if b"Content-Type: multipart" not in raw:
        assert "--abc" in parsed.text
