"""Forwarded mails to invoices: attachments of every format, several per mail, invoices in the body (text and
HTML, English and Japanese), the customer's address from the forwarded header block, duplicates, and mail
that holds no invoice."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from structlog.testing import capture_logs

from tests.invoicefactory import (
    EUR_SPEC,
    JA_SPEC,
    JP_PINT,
    XXE_UBL,
    InvoiceSpec,
    body_text,
    cii_xml,
    encrypted_pdf,
    facturx_pdf,
    html_body_mail,
    intake_mail,
    pdf_invoice,
    ubl_xml,
)
from tests.mailfactory import attachment, mail, multipart, part
from worker.inbound.mime import parse_mail
from worker.intake.extract import IntakeResult, extract_invoices

EN_NO_EMAIL = replace(InvoiceSpec(), customer_email=None)
JA_NO_EMAIL = replace(JA_SPEC, customer_email=None)
PDF = "application/pdf"


def extract(raw: bytes, **kwargs: object) -> IntakeResult:
    return extract_invoices(parse_mail(raw), **kwargs)  # type: ignore[arg-type]


def test_forwarded_pdf_takes_the_customer_address_from_the_forward_block() -> None:
    """A PDF with no customer email: the forwarded To: line supplies it, with a note and enough confidence."""
    result = extract(
        intake_mail([("inv.pdf", PDF, pdf_invoice(EN_NO_EMAIL))], original_to="AP@Globex.example")
    )
    (inv,) = result.invoices
    assert inv.customer_email == "ap@globex.example"
    assert inv.confidence >= 0.6
    assert any("forwarded" in note for note in inv.notes)


def test_japanese_outlook_forward_block() -> None:
    """差出人 / 送信日時 / 宛先 / 件名 (Outlook in Japanese) names the customer too."""
    raw = intake_mail(
        [("請求書.pdf", PDF, pdf_invoice(JA_NO_EMAIL))],
        japanese=True,
        original_to="keiri@yamada-shoji.example",
    )
    (inv,) = extract(raw).invoices
    assert (inv.customer_email, inv.amount, inv.currency) == (
        "keiri@yamada-shoji.example",
        Decimal(1234500),
        "JPY",
    )


def test_the_forwarders_own_domain_is_never_the_customer() -> None:
    """A forward block addressed to a colleague in the sender's own domain names no customer."""
    raw = intake_mail([("inv.pdf", PDF, pdf_invoice(EN_NO_EMAIL))], original_to="boss@acme.example")
    (inv,) = extract(raw).invoices
    assert inv.customer_email is None
    assert inv.confidence < 0.6


def test_intake_copied_on_the_original_mail_uses_its_recipients() -> None:
    """No forward block: the invoice mail itself went to the customer with the intake address in Cc."""
    entity = multipart(
        "mixed",
        [
            part("text/plain", "Please find our invoice attached."),
            attachment('filename="inv.pdf"', PDF, pdf_invoice(EN_NO_EMAIL)),
        ],
    )
    raw = mail(
        [
            ("From", "billing@acme.example"),
            ("To", "ap@globex.example"),
            ("Cc", "invoices@dunmail.example"),
            ("Subject", "Invoice INV-2026-0042"),
        ],
        entity,
    )
    (inv,) = extract(raw, exclude_addresses=["invoices@dunmail.example"]).invoices
    assert inv.customer_email == "ap@globex.example"


def test_several_invoices_in_one_mail_every_format() -> None:
    """PDF (EN), PDF (JA), UBL, JP PINT, CII and Factur-X attachments in one mail: six invoices."""
    docs = [
        ("a.pdf", PDF, pdf_invoice(replace(InvoiceSpec(), number="A-1"))),
        ("b.pdf", PDF, pdf_invoice(replace(JA_SPEC, number="B-2"))),
        ("c.xml", "application/xml", ubl_xml(replace(InvoiceSpec(), number="C-3"))),
        ("d.xml", "text/xml", ubl_xml(replace(JA_SPEC, number="D-4"), customization=JP_PINT)),
        ("e.xml", "application/octet-stream", cii_xml(replace(EUR_SPEC, number="E-5"))),
        ("f.pdf", PDF, facturx_pdf(replace(EUR_SPEC, number="F-6"))),
    ]
    result = extract(intake_mail(docs))
    assert sorted(inv.number or "" for inv in result.invoices) == ["A-1", "B-2", "C-3", "D-4", "E-5", "F-6"]
    assert {inv.source for inv in result.invoices} == {"pdf", "ubl", "cii", "facturx"}
    assert result.problems == [] and result.skipped == []


def test_same_invoice_twice_in_one_mail_is_kept_once_structured_first() -> None:
    """A PDF and the same invoice's UBL XML: the UBL copy is kept, the PDF listed as a duplicate."""
    result = extract(
        intake_mail([("inv.pdf", PDF, pdf_invoice()), ("inv.xml", "application/xml", ubl_xml())])
    )
    (inv,) = result.invoices
    assert inv.source == "ubl"
    assert result.skipped == [("INV-2026-0042 (pdf)", "same invoice as the ubl copy")]


def test_invoice_and_quote_in_one_mail() -> None:
    """The invoice is read; the quote beside it is skipped with its reason."""
    result = extract(
        intake_mail(
            [
                ("inv.pdf", PDF, pdf_invoice()),
                ("q.pdf", PDF, pdf_invoice(replace(JA_SPEC, number="Q-1"), title="御見積書")),
            ]
        )
    )
    assert [inv.number for inv in result.invoices] == ["INV-2026-0042"]
    assert result.skipped == [("q.pdf", "a quote or estimate, not an invoice")]


def test_invoice_in_an_english_body() -> None:
    """No attachment: the forwarded body is the invoice; the forward block names the customer's address."""
    (inv,) = extract(intake_mail([], body=body_text(EN_NO_EMAIL))).invoices
    assert inv.contract() == {
        "number": "INV-2026-0042",
        "customer_name": "Globex Corporation",
        "customer_email": "ap@globex.example",
        "amount": "12345.67",
        "currency": "USD",
        "issue_date": "2026-04-01",
        "due_date": "2026-05-01",
    }
    assert inv.source == "body"


def test_invoice_in_a_japanese_body() -> None:
    """A 請求書 written in the body of a Japanese forward."""
    raw = intake_mail(
        [],
        body=body_text(JA_NO_EMAIL),
        japanese=True,
        original_to="keiri@yamada-shoji.example",
        subject="転送: 請求書送付のご案内",
    )
    (inv,) = extract(raw).invoices
    assert (inv.number, inv.amount, inv.due_date) == ("2026-0412", Decimal(1234500), date(2026, 5, 31))
    assert (inv.customer_name, inv.customer_email, inv.language) == (
        "株式会社山田商事",
        "keiri@yamada-shoji.example",
        "ja",
    )
    assert inv.registration_number == "T1234567890123"


def test_invoice_in_an_html_body() -> None:
    """An HTML-only forward: the table turns into text and reads like any body."""
    (inv,) = extract(html_body_mail(EN_NO_EMAIL)).invoices
    assert (inv.number, inv.amount, inv.customer_email) == (
        "INV-2026-0042",
        Decimal("12345.67"),
        "ap@globex.example",
    )


def test_body_without_due_date_counts_terms_from_the_issue_date() -> None:
    """Body invoice with 'Net 30' and no due date: due 30 days after the printed issue date."""
    spec = replace(EN_NO_EMAIL, due=None, terms="Net 30")
    (inv,) = extract(intake_mail([], body=body_text(spec))).invoices
    assert (inv.due_date, inv.due_date_inferred) == (date(2026, 5, 1), True)


def test_quote_in_the_body_is_not_an_invoice() -> None:
    """A forwarded 見積書 in the body: no invoice, with the reason."""
    raw = intake_mail([], body=body_text(JA_NO_EMAIL, title="御見積書"), japanese=True)
    result = extract(raw)
    assert result.invoices == []
    assert result.skipped == [("body", "a quote or estimate, not an invoice")]


def test_newsletter_is_not_an_invoice() -> None:
    """A newsletter (List-Unsubscribe) that mentions invoices gives none."""
    raw = intake_mail(
        [],
        body="INVOICE tips of the month!\nTotal due dates explained.\n",
        original_to=None,
        extra_headers=(("List-Unsubscribe", "<mailto:leave@news.example>"),),
    )
    result = extract(raw)
    assert result.invoices == []
    assert result.skipped == [("body", "a newsletter or bulk mail, not an invoice")]


def test_unreadable_attachments_are_problems_not_skips() -> None:
    """An encrypted PDF, an XXE XML and a zip are problems with reasons; nothing is skipped silently."""
    docs = [
        ("locked.pdf", PDF, encrypted_pdf()),
        ("evil.xml", "application/xml", XXE_UBL),
        ("invoices.zip", "application/zip", b"PK\x03\x04zip"),
    ]
    result = extract(intake_mail(docs))
    assert result.invoices == [] and result.skipped == []
    reasons = dict(result.problems)
    assert "encrypted" in reasons["locked.pdf"]
    assert "DTD" in reasons["evil.xml"]
    assert "archive" in reasons["invoices.zip"]


def test_unreadable_pdf_with_the_invoice_in_the_body_still_reads_the_body() -> None:
    """When the attachment cannot be read, the body is tried; the problem is still reported."""
    result = extract(intake_mail([("scan.pdf", PDF, b"%PDF-1.4 broken")], body=body_text(EN_NO_EMAIL)))
    assert [inv.number for inv in result.invoices] == ["INV-2026-0042"]
    assert [what for what, _ in result.problems] == ["scan.pdf"]


def test_logs_say_counts_not_contents() -> None:
    """The intake_extracted event carries counts and sources, never the customer's address or amounts."""
    with capture_logs() as logs:
        extract(intake_mail([("inv.pdf", PDF, pdf_invoice())]))
    (event,) = [e for e in logs if e["event"] == "intake_extracted"]
    assert (event["invoices"], event["sources"]) == (1, ["pdf"])
    assert "ap@globex.example" not in repr(logs)


def test_an_address_in_the_forwarders_own_domain_is_replaced_by_the_forward_block() -> None:
    """A document whose 'customer' address is the sender company's own gives way to the forwarded To: line."""
    spec = replace(InvoiceSpec(), customer_email="billing@acme.example")
    (inv,) = extract(intake_mail([("inv.pdf", PDF, pdf_invoice(spec))])).invoices
    assert inv.customer_email == "ap@globex.example"
    assert any("own company" in note for note in inv.notes)


def test_forward_as_an_attached_message_with_the_pdf_inside() -> None:
    """A forward as attachment (message/rfc822): the inner PDF is read, the inner To: names the customer."""
    inner = mail(
        [("From", "billing@acme.example"), ("To", "Globex AP <ap@globex.example>"), ("Subject", "Invoice")],
        multipart(
            "mixed",
            [
                part("text/plain", "Invoice attached."),
                attachment('filename="inv.pdf"', PDF, pdf_invoice(EN_NO_EMAIL)),
            ],
        ),
        defaults=False,
    )
    outer = mail(
        [("From", "finance@acme.example"), ("To", "invoices@acme.example"), ("Subject", "Fwd: Invoice")],
        multipart("mixed", [part("text/plain", "FYI"), part("message/rfc822", inner, cte="")]),
        defaults=False,
    )
    (inv,) = extract(outer).invoices
    assert (inv.number, inv.customer_email) == ("INV-2026-0042", "ap@globex.example")


def test_iso_2022_jp_body_invoice() -> None:
    """A body invoice in ISO-2022-JP (as Japanese mailers send it, with a full-width ￥) reads fine."""
    text = (
        "よろしくお願いします。\n\n差出人: 経理 <billing@acme.example>\n宛先: <keiri@yamada-shoji.example>\n"
        "件名: 請求書\n\n" + body_text(JA_NO_EMAIL).replace("¥", "￥")
    )
    raw = mail(
        [("From", "finance@acme.example"), ("To", "invoices@acme.example"), ("Subject", "転送: 請求書")],
        part("text/plain", text, charset="iso-2022-jp", cte="7bit"),
        defaults=False,
    )
    (inv,) = extract(raw).invoices
    assert (inv.amount, inv.customer_email) == (Decimal(1234500), "keiri@yamada-shoji.example")


def test_forward_blocks_of_common_clients() -> None:
    """Outlook (English, underscore rule), Thunderbird in Japanese and Apple Mail blocks give the To line."""
    from worker.intake.body import find_forward

    blocks = [
        "hi\n\n________________________________\nFrom: Billing <billing@acme.example>\n"
        "Sent: Wednesday, April 1, 2026 9:00 AM\nTo: Globex AP <ap@globex.example>\nSubject: Invoice\n\nbody",
        "-------- 転送メッセージ --------\n件名: 請求書\n日付: 2026年4月1日\n差出人: 経理 <b@acme.example>\n"
        "宛先: 山田 <ap@globex.example>\n\n本文",
        "Begin forwarded message:\n\nFrom: Billing <billing@acme.example>\nSubject: Invoice\n"
        "Date: 1 April 2026 at 09:00:00 JST\nTo: ap@globex.example\n\nbody",
    ]
    for block in blocks:
        forward = find_forward(block)
        assert forward is not None
        assert forward.to == ("ap@globex.example",)
        assert forward.original_date is not None
