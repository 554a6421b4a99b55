"""Documents to invoices: text PDFs (English, Japanese), UBL / Peppol / JP PINT, CII, Factur-X; non-invoices;
and hostile or broken input (encrypted, damaged, image-only, oversized PDFs; malformed XML, XXE)."""

from __future__ import annotations

import contextlib
import io
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.invoicefactory import (
    BILLION_LAUGHS,
    EUR_SPEC,
    JA_SPEC,
    JP_PINT,
    XXE_UBL,
    InvoiceSpec,
    batch_pdf,
    cii_xml,
    encrypted_pdf,
    facturx_pdf,
    image_only_pdf,
    invoice_lines,
    many_pages_pdf,
    pdf_invoice,
    ubl_xml,
)
from worker.domain import ExtractedInvoice
from worker.errors import IntakeError
from worker.intake.document import DocOutcome, read_document
from worker.intake.pdftext import PdfLimits, read_pdf


def _one(outcome: DocOutcome) -> ExtractedInvoice:
    assert outcome.not_invoice is None
    assert len(outcome.invoices) == 1
    return outcome.invoices[0]


def _expected(spec: InvoiceSpec) -> dict[str, object]:
    return {
        "number": spec.number,
        "customer_name": spec.customer_name,
        "customer_email": spec.customer_email,
        "amount": spec.amount_value,
        "currency": spec.currency,
        "issue_date": spec.issue.isoformat(),
        "due_date": spec.due.isoformat() if spec.due else None,
    }


def read(data: bytes, name: str | None = None) -> DocOutcome:
    return read_document(name, "application/octet-stream", data)


@pytest.mark.parametrize("spec", [InvoiceSpec(), JA_SPEC, EUR_SPEC], ids=["en-usd", "ja-jpy", "en-eur"])
def test_text_pdf_invoice(spec: InvoiceSpec) -> None:
    """Every contract field is read from a text PDF, in English and Japanese (CID font), with confidence."""
    inv = _one(read(pdf_invoice(spec)))
    assert inv.contract() == _expected(spec)
    assert inv.source == "pdf"
    assert inv.language == spec.language
    assert inv.registration_number == spec.registration
    assert inv.confidence >= 0.8
    assert not inv.due_date_inferred


def test_japanese_cid_font_text_round_trips_through_pypdfium2() -> None:
    """reportlab's HeiseiKakuGo-W5 CID font is extracted back as Unicode Japanese."""
    text = read_pdf(pdf_invoice(JA_SPEC)).text
    assert "ご請求金額（税込）" in text
    assert "株式会社山田商事 御中" in text


def test_japanese_pdf_with_reiwa_dates() -> None:
    """令和8年 dates read as 2026."""
    inv = _one(read(pdf_invoice(JA_SPEC, era=True)))
    assert (inv.issue_date, inv.due_date) == (date(2026, 4, 15), date(2026, 5, 31))


def test_missing_due_date_follows_written_terms() -> None:
    """月末締め翌月末払い with an April issue date means 31 May, marked as inferred with a note."""
    inv = _one(read(pdf_invoice(replace(JA_SPEC, due=None, terms="月末締め翌月末払い"))))
    assert inv.due_date == date(2026, 5, 31)
    assert inv.due_date_inferred
    assert any("月末締め翌月末払" in note for note in inv.notes)


def test_net_terms_in_english() -> None:
    """'Net 45' from 1 April is 16 May."""
    inv = _one(read(pdf_invoice(replace(InvoiceSpec(), due=None, terms="Net 45"))))
    assert (inv.due_date, inv.due_date_inferred) == (date(2026, 5, 16), True)


def test_no_due_date_and_no_terms_use_the_default() -> None:
    """With neither, the configured default applies (passed in), and the note says so."""
    outcome = read_document(None, "", pdf_invoice(replace(InvoiceSpec(), due=None)), default_terms_days=14)
    inv = _one(outcome)
    assert (inv.due_date, inv.due_date_inferred) == (date(2026, 4, 15), True)
    assert any("default terms of 14 days" in note for note in inv.notes)


def test_missing_essential_field_means_low_confidence() -> None:
    """No customer email anywhere: confidence falls below the review threshold, and the note names it."""
    inv = _one(read(pdf_invoice(replace(InvoiceSpec(), customer_email=None))))
    assert inv.customer_email is None
    assert inv.confidence < 0.6
    assert any("customer_email" in note for note in inv.notes)


@pytest.mark.parametrize(
    ("kwargs", "spec"),
    [
        ({}, InvoiceSpec()),
        ({"email_in": "contact", "due_in": "PaymentMeans"}, EUR_SPEC),
        ({"customization": JP_PINT}, JA_SPEC),
        ({"customization": JP_PINT, "email_in": "contact"}, JA_SPEC),
    ],
    ids=["peppol-en", "ubl-contact-email", "jp-pint", "jp-pint-contact"],
)
def test_ubl_peppol_and_jp_pint(kwargs: dict[str, str], spec: InvoiceSpec) -> None:
    """UBL 2.1 reads fully: EndpointID schemeID=EM or Contact/ElectronicMail, PayableAmount, T number."""
    inv = _one(read(ubl_xml(spec, **kwargs)))  # type: ignore[arg-type]
    assert inv.contract() == _expected(spec)
    assert (inv.source, inv.confidence) == ("ubl", 1.0)
    assert inv.registration_number == spec.registration
    assert inv.language == spec.language


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "sNaN"])
def test_a_ubl_total_that_is_no_number_gives_no_amount(value: str) -> None:
    """A PayableAmount of NaN or Infinity is read as no amount (the invoice then goes to a person), never as
    a value that would later break arithmetic."""
    outcome = read(ubl_xml(replace(InvoiceSpec(), amount_value=value)))
    assert outcome.invoices, "the invoice is still read, only without its amount"
    assert all(inv.amount is None for inv in outcome.invoices)


def test_ubl_payment_terms_note_when_no_due_date() -> None:
    """A UBL invoice with only PaymentTerms/Note gets its due date from the terms."""
    inv = _one(read(ubl_xml(replace(InvoiceSpec(), terms="Net 30"), due_in="terms")))
    assert (inv.due_date, inv.due_date_inferred) == (date(2026, 5, 1), True)


def test_ubl_credit_note_is_not_an_invoice() -> None:
    """A UBL CreditNote gives no invoice and a reason."""
    outcome = read(ubl_xml(root="CreditNote"))
    assert outcome.invoices == ()
    assert "credit note" in (outcome.not_invoice or "")


@pytest.mark.parametrize("spec", [EUR_SPEC, JA_SPEC], ids=["en", "ja"])
def test_cii_invoice(spec: InvoiceSpec) -> None:
    """CII (D16B): ID, TypeCode 380, DuePayableAmount, due date in format 102, buyer URIID schemeID=EM."""
    inv = _one(read(cii_xml(spec), "invoice.xml"))
    assert inv.contract() == _expected(spec)
    assert inv.source == "cii"
    assert inv.registration_number == spec.registration


def test_cii_type_381_is_a_credit_note() -> None:
    """TypeCode 381 is a credit note, not an invoice."""
    outcome = read(cii_xml(type_code="381"))
    assert outcome.invoices == ()
    assert "credit note" in (outcome.not_invoice or "")


@pytest.mark.parametrize("spec", [EUR_SPEC, JA_SPEC], ids=["en", "ja"])
def test_facturx_pdf_reads_the_embedded_xml(spec: InvoiceSpec) -> None:
    """A Factur-X PDF is read from its XML, not its text: source facturx, full confidence."""
    inv = _one(read(facturx_pdf(spec)))
    assert inv.contract() == _expected(spec)
    assert (inv.source, inv.confidence) == ("facturx", 1.0)


def test_structured_data_wins_over_the_printed_text() -> None:
    """When the printed PDF disagrees with its embedded XML, the XML's amount is taken."""
    printed = replace(EUR_SPEC, amount="9.999,00", amount_value="9999.00")
    inv = _one(read(facturx_pdf(EUR_SPEC, visible=printed)))
    assert inv.amount == Decimal("1234.50")


def test_facturx_gaps_are_filled_from_the_pdf_text() -> None:
    """An embedded XML without a due date borrows the printed one, and says so."""
    inv = _one(read(facturx_pdf(EUR_SPEC, xml=cii_xml(EUR_SPEC, with_due=False))))
    assert inv.due_date == date(2026, 5, 1)
    assert not inv.due_date_inferred
    assert any("due_date" in note for note in inv.notes)


def test_facturx_credit_note_is_not_an_invoice() -> None:
    """A Factur-X PDF whose XML is a credit note (381) gives no invoice, even though the text says INVOICE."""
    outcome = read(facturx_pdf(EUR_SPEC, xml=cii_xml(EUR_SPEC, type_code="381")))
    assert outcome.invoices == ()
    assert "credit note" in (outcome.not_invoice or "")


@pytest.mark.parametrize(
    ("spec", "title", "reason"),
    [
        (JA_SPEC, "御見積書", "quote"),
        (InvoiceSpec(), "QUOTATION", "quote"),
        (InvoiceSpec(), "ESTIMATE", "quote"),
        (JA_SPEC, "領収書", "receipt"),
        (InvoiceSpec(), "RECEIPT", "receipt"),
        (JA_SPEC, "納品書", "delivery note"),
        (JA_SPEC, "クレジットノート", "credit note"),
        (JA_SPEC, "貸方票", "credit note"),
        (InvoiceSpec(), "CREDIT NOTE", "credit note"),
    ],
)
def test_non_invoice_pdfs(spec: InvoiceSpec, title: str, reason: str) -> None:
    """Quotes, receipts, delivery notes and credit notes give no invoice and say what they are."""
    outcome = read(pdf_invoice(spec, title=title))
    assert outcome.invoices == ()
    assert reason in (outcome.not_invoice or "")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (encrypted_pdf(), "encrypted"),
        (b"%PDF-1.7\n1 0 obj garbage\n%%EOF", "damaged"),
        (image_only_pdf(), "no text layer"),
        (pdf_invoice()[:400], "damaged"),
    ],
    ids=["encrypted", "corrupt", "image-only", "truncated"],
)
def test_unreadable_pdfs_raise_intake_error_with_a_reason(data: bytes, reason: str) -> None:
    """Encrypted, damaged and scanned PDFs are refused with a reason a person can act on."""
    with pytest.raises(IntakeError, match=reason):
        read(data)


def test_pdf_limits() -> None:
    """Too many pages or too many bytes is refused before any text is read."""
    with pytest.raises(IntakeError, match="page limit"):
        read_pdf(many_pages_pdf(6), PdfLimits(max_pages=5))
    with pytest.raises(IntakeError, match="byte limit"):
        read_pdf(pdf_invoice(), PdfLimits(max_bytes=100))


def test_xxe_is_refused_and_never_resolved() -> None:
    """An external entity pointing at /etc/passwd is refused; nothing of the file appears anywhere."""
    with pytest.raises(IntakeError, match="DTD") as info:
        read(XXE_UBL, "evil.xml")
    assert "root:" not in str(info.value)


def test_entity_expansion_bomb_is_refused() -> None:
    """A billion-laughs document is refused, not expanded."""
    with pytest.raises(IntakeError, match="DTD"):
        read(BILLION_LAUGHS, "bomb.xml")


@pytest.mark.parametrize(
    "data",
    [
        b"<?xml version='1.0'?><Invoice><ID>1</Invoice>",
        b"<?xml version='1.0'?>",
        b"<?xml version='1.0'?>\x00\xff",
    ],
)
def test_malformed_xml(data: bytes) -> None:
    """Broken XML is an IntakeError, not a crash."""
    with pytest.raises(IntakeError, match="XML"):
        read(data, "broken.xml")


def test_other_xml_is_not_an_invoice() -> None:
    """Well-formed XML that is neither UBL nor CII gives a reason, not an invoice."""
    outcome = read(b"<?xml version='1.0'?><Order xmlns='urn:x'><ID>1</ID></Order>", "order.xml")
    assert outcome.invoices == ()
    assert "not a UBL or CII invoice" in (outcome.not_invoice or "")


def test_neither_pdf_nor_xml() -> None:
    """A Word file is not read; the reason names its type."""
    with pytest.raises(IntakeError, match="not a PDF or XML"):
        read_document("a.docx", "application/msword", b"\xd0\xcf\x11\xe0 binary")


def test_owner_password_only_pdf_is_read() -> None:
    """Encryption that only restricts printing or copying (empty user password) does not stop reading."""
    from reportlab.lib import pdfencrypt

    from tests.invoicefactory import _draw, invoice_lines

    data = _draw(
        invoice_lines(InvoiceSpec()), "Helvetica", encrypt=pdfencrypt.StandardEncryption("", "owner")
    )
    assert _one(read(data)).number == "INV-2026-0042"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    prefix=st.sampled_from([b"%PDF-1.7\n", b"<?xml version='1.0'?>", b"<Invoice>", b""]),
    junk=st.binary(max_size=600),
)
def test_any_bytes_give_an_outcome_or_intake_error(prefix: bytes, junk: bytes) -> None:
    """Whatever the bytes, reading gives an outcome or an IntakeError: never another exception."""
    with contextlib.suppress(IntakeError):
        read(prefix + junk, "x.pdf" if prefix.startswith(b"%") else "x.xml")


@settings(max_examples=60, deadline=None)
@given(cut=st.integers(min_value=1, max_value=4000))
def test_truncated_real_pdfs_never_crash(cut: int) -> None:
    """A real invoice PDF cut anywhere reads or fails with a reason."""
    data = _JA_PDF[:cut]
    with contextlib.suppress(IntakeError):
        read(data)


_JA_PDF = pdf_invoice(JA_SPEC)


def test_batch_pdf_with_one_invoice_per_page() -> None:
    """A batch export of three invoices, one per page, gives three invoices."""
    specs = [replace(JA_SPEC, number=f"2026-{n}") for n in (1, 2, 3)]
    outcome = read(batch_pdf(specs))
    assert [inv.number for inv in outcome.invoices] == ["2026-1", "2026-2", "2026-3"]
    assert all(inv.amount == Decimal(1234500) for inv in outcome.invoices)


def test_an_invoice_over_two_pages_stays_one_invoice() -> None:
    """A long invoice whose second page has no number of its own is one invoice, not two."""
    outcome = read(_two_page_invoice())
    assert [inv.number for inv in outcome.invoices] == ["INV-2026-0042"]


def _two_page_invoice() -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, invariant=1)
    y = 800.0
    for label, value in invoice_lines(InvoiceSpec())[:-1]:
        pdf.drawString(50, y, f"{label} {value}")
        y -= 22
    pdf.showPage()
    pdf.drawString(50, 800, "INVOICE (continued)")
    pdf.drawString(50, 780, "Amount due $12,345.67")
    pdf.showPage()
    pdf.save()
    return buf.getvalue()
