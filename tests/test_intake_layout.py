"""Layout-aware PDF reading, roles and consistency, mail splitting, and the PDF reader's resource limits."""

from __future__ import annotations

import zlib
from datetime import date
from decimal import Decimal

import pytest

from tests.invoicefactory import intake_mail
from tests.invoicelayouts import OWN_NAMES, Layout, body_invoice, make_pdf
from worker.errors import IntakeError
from worker.inbound.mime import parse_mail
from worker.intake.assemble import MailHints
from worker.intake.classify_doc import DocKind, document_kind
from worker.intake.document import read_document
from worker.intake.extract import extract_invoices
from worker.intake.pdfchild import read_pdf_guarded
from worker.intake.pdftext import PdfLimits, raw_text
from worker.intake.textfields import normalise, read_text
from worker.intake.values import Money, due_from_terms, find_money, month_first_for

HINTS = MailHints(own_names=OWN_NAMES)


def _read(layout: Layout, seed: int = 0) -> tuple[object, object]:
    doc = make_pdf(layout, seed)
    (inv,) = read_document(None, "application/pdf", doc.pdf, hints=HINTS).invoices
    return inv, doc.truth


def _same(inv: object, truth: object) -> None:
    for name in ("number", "customer_name", "customer_email", "amount", "currency", "issue_date", "due_date"):
        assert getattr(inv, name) == getattr(truth, name), name


@pytest.mark.parametrize("locale", ["en-US", "en-GB", "de", "fr", "nl", "ja"])
def test_two_column_header_drawn_row_by_row_reads_the_bill_to_column(locale: str) -> None:
    """Our details left, the customer right, drawn line by line: the customer comes from its own column."""
    inv, truth = _read(Layout(locale, "side_by_side", "inline", "rows", ship_to=True))
    _same(inv, truth)


@pytest.mark.parametrize("meta", ["value_below", "caption_below", "header_row", "label_column"])
def test_values_below_above_and_beside_their_labels(meta: str) -> None:
    """A value under its label, a caption under its value, a header row over a value row: all paired."""
    for locale in ("en-GB", "de", "ja"):
        inv, truth = _read(Layout(locale, "stacked", meta, "table_box"))
        _same(inv, truth)


def test_the_flat_text_stream_took_our_address_for_the_customer() -> None:
    """Regression: PDFium's flat text joins our street and the customer on one line after "Bill To:"."""
    doc = make_pdf(Layout("en-US", "side_by_side", "inline", "rows"), 0)
    assert doc.truth is not None
    flat = read_text(raw_text(doc.pdf), source="pdf").customer_name
    assert flat is not None and flat != doc.truth.customer_name and "Market Street" in flat  # the old reading
    (inv,) = read_document(None, "application/pdf", doc.pdf, hints=HINTS).invoices
    assert inv.customer_name == doc.truth.customer_name


def test_carry_over_seikyusho_takes_this_periods_amount() -> None:
    """前回御請求額 / 御入金額 / 繰越金額 / 今回御請求額 in one row: 今回御請求額 is what is payable."""
    for seed in range(3):
        inv, truth = _read(Layout("ja", "stacked", "inline", "carry_over"), seed)
        _same(inv, truth)


def test_the_total_that_subtotal_plus_tax_agrees_with_wins() -> None:
    """Two 'total' candidates: the one equal to subtotal + tax is chosen, not the first or the largest."""
    text = "INVOICE\nInvoice No: A-1\nTotal hours 1,200.00 USD\nSubtotal $1,000.00\nTax $100.00\nTotal $1,100.00\n"
    draft = read_text(text, source="body")
    assert draft.amount == Decimal("1100.00")


def test_previous_balance_and_payments_are_never_the_total() -> None:
    """'Previous balance' and 'Payments received' carry label words but are last period's figures."""
    text = "INVOICE\nInvoice No: A-2\nPrevious balance due $900.00\nPayments received $900.00\nAmount due $250.00\n"
    assert read_text(text, source="body").amount == Decimal("250.00")


def test_our_own_company_is_never_the_customer() -> None:
    """A bill-to block naming us (settings company_name) is skipped for the next party."""
    text = "INVOICE\nInvoice No: A-3\nBill to: Acme Supplies Ltd\nSold to: Globex Corporation\nAmount due $5.00\n"
    assert read_text(text, source="body", own_names=("Acme Supplies Ltd",)).customer_name == "Globex Corporation"
    assert read_text(text, source="body").customer_name == "Acme Supplies Ltd"


def test_japanese_person_addressee_gives_the_company_above() -> None:
    """…様 is a person: the 株式会社 line above names the customer company."""
    text = "請求書\n株式会社山田商事\n経理部 山田太郎 様\n請求書番号: 12-3\nご請求金額 ¥10,000\n"
    assert read_text(normalise(text), source="body").customer_name == "株式会社山田商事"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Rs. 1,23,456.00", Money(Decimal("123456.00"), "INR")),
        ("INR 12,34,567.50", Money(Decimal("1234567.50"), "INR")),
        ("1 234,56 €", Money(Decimal("1234.56"), "EUR")),
        (normalise("1\u202f234,56 €"), Money(Decimal("1234.56"), "EUR")),
        (normalise("EUR 12\u2009345,00"), Money(Decimal("12345.00"), "EUR")),
        ("CHF 1'234.50", Money(Decimal("1234.50"), "CHF")),
    ],
)
def test_indian_grouping_and_space_grouping(text: str, expected: Money) -> None:
    """Lakh grouping, thin/narrow no-break spaces and apostrophes group thousands."""
    assert find_money(text) == [expected]


def test_date_order_comes_from_the_documents_own_dates() -> None:
    """A 13/04 elsewhere in the document makes 03/04 day-first even in USD; a 04/13 makes it month-first."""
    assert month_first_for("Date 13/04/2026 Due 03/05/2026", "USD") is False
    assert month_first_for("Date 04/13/2026 Due 05/03/2026", "EUR") is True
    assert month_first_for("Date 03/04/2026", "USD") is True
    assert month_first_for("Date 03/04/2026", "GBP") is False


@pytest.mark.parametrize(
    ("terms", "due"),
    [
        ("Zahlbar innerhalb von 14 Tagen", date(2026, 4, 15)),
        ("Paiement à 30 jours", date(2026, 5, 1)),
        ("Betaling binnen 30 dagen", date(2026, 5, 1)),
        ("月末締め翌月末払い", date(2026, 5, 31)),
    ],
)
def test_due_date_from_terms_in_every_language(terms: str, due: date) -> None:
    """Terms wording in DE/FR/NL/JA gives the due date counted from the issue date."""
    found = due_from_terms(terms, date(2026, 4, 1))
    assert found is not None and found[0] == due


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("Rechnung", DocKind.INVOICE),
        ("Facture", DocKind.INVOICE),
        ("Factuur", DocKind.INVOICE),
        ("Angebot", DocKind.QUOTE),
        ("Devis", DocKind.QUOTE),
        ("Offerte", DocKind.QUOTE),
        ("Gutschrift", DocKind.CREDIT_NOTE),
        ("Avoir", DocKind.CREDIT_NOTE),
        ("Bon de commande", DocKind.ORDER),
        ("Kontoauszug", DocKind.STATEMENT),
        ("Kwitantie", DocKind.RECEIPT),
    ],
)
def test_titles_in_german_french_dutch(title: str, kind: DocKind) -> None:
    """Non-invoices in DE/FR/NL stay not taken; their invoices are recognised."""
    assert document_kind(f"{title}\nNr. 12\n") is kind


def test_generated_non_invoices_are_not_taken() -> None:
    """Quotes, orders, statements, receipts and credit notes in every locale give no invoice."""
    for locale, title in (("de", "Angebot"), ("fr", "Avoir"), ("nl", "Rekeningoverzicht"), ("ja", "領収書")):
        doc = make_pdf(Layout(locale, "stacked", "inline", "rows", title=title), 0)
        outcome = read_document(None, "application/pdf", doc.pdf, hints=HINTS)
        assert outcome.invoices == () and outcome.not_invoice


def test_a_pdf_and_a_body_invoice_in_one_mail_are_both_read() -> None:
    """The PDF attachment and a different invoice typed into the body (under a staff note): two invoices."""
    doc = make_pdf(Layout("en-GB", "stacked", "inline", "rows"), 0)
    text, truth = body_invoice(Layout("de", "stacked", "inline", "rows"), 1)
    raw = intake_mail(
        [("i.pdf", "application/octet-stream", doc.pdf)], body="Please load both.\n\n" + text, original_to=None
    )
    result = extract_invoices(parse_mail(raw), own_names=OWN_NAMES)
    assert truth is not None and doc.truth is not None
    assert sorted(inv.number or "" for inv in result.invoices) == sorted([doc.truth.number, truth.number])


def test_a_covering_note_beside_a_pdf_is_no_invoice() -> None:
    """'Please load this one' above an attached PDF adds nothing: one invoice, the PDF's."""
    doc = make_pdf(Layout("en-US", "stacked", "inline", "rows"), 0)
    raw = intake_mail(
        [("i.pdf", "application/pdf", doc.pdf)], body="Please load this one, total $50.00.\n", original_to=None
    )
    result = extract_invoices(parse_mail(raw), own_names=OWN_NAMES)
    assert [inv.number for inv in result.invoices] == [doc.truth.number if doc.truth else None]


def test_two_invoices_typed_in_one_body() -> None:
    """Two titled invoices one after the other in a body are two invoices."""
    a, ta = body_invoice(Layout("en-US", "stacked", "inline", "rows"), 0)
    b, tb = body_invoice(Layout("en-GB", "stacked", "inline", "rows"), 1)
    raw = intake_mail([], body="Two for you.\n\n" + a + "\n" + b, original_to=None)
    result = extract_invoices(parse_mail(raw), own_names=OWN_NAMES)
    assert ta is not None and tb is not None
    assert sorted(inv.number or "" for inv in result.invoices) == sorted([ta.number, tb.number])


# --- resource limits (issue 12 finding 5) -------------------------------------------------------------------


def inflating_pdf(megabytes: int) -> bytes:
    """A ~300 KB PDF whose one content stream inflates to `megabytes` MB of blanks after a line of text."""
    comp = zlib.compressobj(9)
    chunk = b" " * (1 << 20)
    stream = comp.compress(b"BT /F1 12 Tf 50 800 Td (Invoice INV-9 amount due 100.00 USD) Tj ET\n")
    stream += b"".join(comp.compress(chunk) for _ in range(megabytes)) + comp.flush()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return inflating_pdf(300)


def test_a_pdf_over_the_memory_limit_is_refused_with_the_reason(bomb: bytes) -> None:
    """A 300 KB PDF inflating to 300 MB under a 256 MB cap: IntakeError naming the memory limit."""
    assert len(bomb) < 400_000
    with pytest.raises(IntakeError, match="256 MB memory limit"):
        read_pdf_guarded(bomb, PdfLimits(memory_mb=256))


def test_a_pdf_over_the_time_limit_is_refused_and_the_next_one_reads(bomb: bytes) -> None:
    """A read running past `seconds` is killed with the reason; the next PDF gets a fresh reader."""
    with pytest.raises(IntakeError, match=r"longer than 0\.05 s"):
        read_pdf_guarded(bomb, PdfLimits(memory_mb=2048, seconds=0.05))
    doc = make_pdf(Layout(), 0)
    assert read_pdf_guarded(doc.pdf).pages == 1


def test_over_limit_pdf_in_a_mail_is_a_problem_for_review(bomb: bytes) -> None:
    """Through the mail path the PDF is listed as a problem with the reason; the body is still tried."""
    raw = intake_mail([("big.pdf", "application/pdf", bomb)])
    result = extract_invoices(parse_mail(raw), limits=PdfLimits(memory_mb=256))
    assert result.invoices == []
    ((what, why),) = result.problems
    assert what == "big.pdf" and "memory limit" in why


def test_letter_style_addressee_block_without_a_bill_to_label() -> None:
    """A window-envelope address (no "Bill to") is the customer; our block with its VAT number is not."""
    from tests.invoicelayouts import _pdf

    cells = [
        (50, 800, "Rechnung", 16),
        (330, 800, "Acme Supplies GmbH", 9),
        (330, 787, "Hauptstraße 5, Berlin", 9),
        (330, 774, "USt-IdNr. DE123456789", 9),
        (50, 740, "Müller Maschinenbau GmbH", 10),
        (50, 727, "Werkstraße 7", 10),
        (50, 714, "70173 Stuttgart", 10),
        (50, 701, "buchhaltung@mueller-mb.example", 10),
        (330, 660, "Rechnungsnummer: RE-7", 9),
        (330, 647, "Rechnungsdatum: 02.03.2026", 9),
        (330, 634, "Fällig am: 16.03.2026", 9),
        (50, 600, "Gesamtbetrag", 9),
        (250, 600, "1.190,00 €", 9),
    ]
    (inv,) = read_document(None, "application/pdf", _pdf(cells, "Helvetica"), hints=HINTS).invoices
    assert (inv.customer_name, inv.customer_email) == ("Müller Maschinenbau GmbH", "buchhaltung@mueller-mb.example")
    assert (inv.number, inv.amount, inv.due_date) == ("RE-7", Decimal("1190.00"), date(2026, 3, 16))


def test_subtotal_words_containing_total_are_not_the_total() -> None:
    """'Subtotaal', 'Zwischensumme' hold the words 'totaal'/'summe': never the payable total, and the
    total's value far right on its row is still its value."""
    from tests.invoicelayouts import _pdf

    cells = [
        (50, 800, "Factuur", 16),
        (50, 770, "Factuurnummer: F-1", 9),
        (50, 757, "Factuurdatum: 01-03-2026", 9),
        (50, 744, "Vervaldatum: 31-03-2026", 9),
        (50, 720, "Klant:", 9),
        (50, 708, "Bakker Bouw B.V.", 9),
        (50, 696, "facturen@bakkerbouw.example", 9),
        (60, 650, "Werk 3", 9),
        (480, 650, "EUR 100,00", 9),
        (60, 630, "Subtotaal excl. btw", 9),
        (480, 630, "EUR 100,00", 9),
        (60, 616, "Btw 21%", 9),
        (480, 616, "EUR 21,00", 9),
        (60, 602, "Totaal te betalen", 9),
        (480, 602, "EUR 121,00", 9),
    ]
    (inv,) = read_document(None, "application/pdf", _pdf(cells, "Helvetica"), hints=HINTS).invoices
    assert inv.amount == Decimal("121.00")


def test_a_number_inside_a_line_of_text_is_no_amount_value() -> None:
    """'Service line 3' above a label is text, not the amount 3."""
    from worker.intake.layoutfields import _money_reader

    read = _money_reader("EUR")
    assert read("Service line 3") is None
    assert read("1.234,00") == Money(Decimal("1234.00"), "EUR")
    assert read("EUR 5,00 incl. btw") == Money(Decimal("5.00"), "EUR")


def test_japanese_addressee_email_from_its_own_column() -> None:
    """Two columns in a typed 請求書: the email under …御中 is the customer's, not our 登録番号 line's."""
    text = normalise(
        "御請求書\n株式会社サンプル   有限会社北斗商会 御中\n大阪府大阪市北区1-2-3   経理ご担当者様\n"
        "登録番号 T9876543210987   info@hokuto.example\n請求番号: S-1\nご請求金額 ¥1,000\n"
    )
    draft = read_text(text, source="body")
    assert (draft.customer_name, draft.customer_email) == ("有限会社北斗商会", "info@hokuto.example")


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("Remittance Advice", DocKind.RECEIPT),
        ("Statement", DocKind.STATEMENT),
        ("Delivery Challan", DocKind.DELIVERY_NOTE),
        ("Orderbevestiging", DocKind.ORDER),
        ("Order Confirmation", DocKind.ORDER),
    ],
)
def test_more_non_invoice_titles(title: str, kind: DocKind) -> None:
    """Payment advices, bare statements, delivery challans and order confirmations are not invoices."""
    assert document_kind(f"{title}\nNo. 12\n") is kind


def test_a_pipe_table_typed_into_a_mail() -> None:
    """'| Invoice Number | A-1 |' rows read like label/value cells; the pipes are no part of a name."""
    text = (
        "INVOICE\n| Invoice Number | A-77 |\n|---|---|\n| Invoice Date | 03/14/2026 |\n| Due Date | 04/13/2026 |\n"
        "| Bill To | Soylent Foods Inc. |\n| Total Amount Due | $1,250.00 |\n"
    )
    draft = read_text(text, source="body")
    assert (draft.number, draft.customer_name, draft.amount) == ("A-77", "Soylent Foods Inc.", Decimal("1250.00"))
    assert (draft.issue_date, draft.due_date) == (date(2026, 3, 14), date(2026, 4, 13))


def test_a_notification_titled_with_its_number() -> None:
    """'INVOICE RG2026001' on the title line: the number needs no other label."""
    text = "INVOICE RG2026001\n\nBill To: Cyberdyne Systems Corp. <ap@cyberdyne.example>\nTotal Amount Due: $12.00\n"
    draft = read_text(text, source="body")
    assert (draft.number, draft.customer_name, draft.customer_email) == (
        "RG2026001",
        "Cyberdyne Systems Corp.",
        "ap@cyberdyne.example",
    )


@pytest.mark.parametrize("label", ["Customer ID", "Customer No.", "Customer Code", "Kunde Nr.", "Client n°"])
def test_customer_number_labels_are_no_customer_names(label: str) -> None:
    """'Customer ID: K123' is an account number; the bill-to block names the customer."""
    text = f"INVOICE\nInvoice No: A-4\n{label}: K12345\nBill to: Globex Corporation\nAmount due $5.00\n"
    assert read_text(text, source="body").customer_name == "Globex Corporation"


def test_two_body_invoices_under_qualified_titles() -> None:
    """'Sales Invoice' and 'INVOICE 2026-7' title lines each start an invoice of their own."""
    a = "Sales Invoice\nInvoice No.: S-1\nBill To: Globex Corporation\nTotal Due: £10.00\nPayment Due: 01/05/2026\n"
    b = "INVOICE 2026-7\nBill To: Initech LLC\nTotal Amount Due: $20.00\nDue Date: 05/01/2026\n"
    raw = intake_mail([], body="Two for you.\n\n" + a + "\n" + b, original_to=None)
    result = extract_invoices(parse_mail(raw), own_names=OWN_NAMES)
    assert sorted(inv.number or "" for inv in result.invoices) == ["2026-7", "S-1"]


def test_a_totals_row_of_net_tax_gross_gives_the_gross() -> None:
    """'Total Due | 100.00 | 19.00 | 119.00' in table columns: the amount the others add up to."""
    from tests.invoicelayouts import _pdf

    cells = [
        (50, 800, "INVOICE", 16),
        (300, 770, "Invoice No.", 9),
        (545, 770, "A-9", 9),
        (300, 757, "Due Date", 9),
        (545, 757, "05/01/2026", 9),
        (50, 770, "Bill To:", 8),
        (50, 757, "Massive Dynamic Inc.", 10),
        (50, 744, "ap@massive.example", 9),
        (50, 700, "1", 9),
        (330, 700, "100.00", 9),
        (430, 700, "19.00", 9),
        (520, 700, "119.00", 9),
        (50, 680, "Total Due", 9),
        (330, 680, "$100.00", 9),
        (430, 680, "$19.00", 9),
        (520, 680, "$119.00", 9),
    ]
    (inv,) = read_document(None, "application/pdf", _pdf(cells, "Helvetica"), hints=HINTS).invoices
    assert inv.amount == Decimal("119.00")


def test_facture_a_label_is_not_a_number_prefix() -> None:
    """'N° de facture A-05581' holds 'facture A': not the 'Facturé à' customer label."""
    text = "Facture\nN° de facture A-05581\nFacturé à: Vignobles Perrin SA\nNet à payer 10,00 €\n"
    draft = read_text(text, source="body")
    assert (draft.number, draft.customer_name) == ("A-05581", "Vignobles Perrin SA")


def test_a_forward_quoted_with_angle_brackets() -> None:
    """A billing mail forwarded as '> ' quoted text reads like the plain one (no '>' in the customer)."""
    text, truth = body_invoice(Layout("ja", "stacked", "inline", "rows"), 0)
    quoted = "".join("> " + line + "\n" for line in text.splitlines())
    raw = intake_mail([], body="please load\n\n" + quoted, original_to=None)
    (inv,) = extract_invoices(parse_mail(raw), own_names=OWN_NAMES).invoices
    assert truth is not None and (inv.customer_name, inv.number) == (truth.customer_name, truth.number)


def test_a_title_sharing_its_line_with_the_letterhead() -> None:
    """'PURCHASE ORDER   Acme Supplies India Pvt Ltd' is a purchase order, not an invoice."""
    assert document_kind("PURCHASE ORDER   Acme Supplies India Pvt Ltd\nInvoice No.: 12\n") is DocKind.ORDER


def test_a_total_that_subtotal_and_tax_do_not_add_up_to_goes_to_a_person() -> None:
    """Subtotal 100 + tax 19 printed, total 150 read: a doubt that keeps the invoice out of a case."""
    from worker.intake.assemble import finish
    from worker.intake.route import MIN_CONFIDENCE

    text = "INVOICE\nInvoice No: B-1\nBill to: Globex Corporation\nSubtotal $100.00\nTax $19.00\nAmount due $150.00\n"
    draft = read_text(text, source="body")
    assert "totals_disagree" in draft.doubts
    assert finish(draft, default_terms_days=30).confidence < MIN_CONFIDENCE
    agreeing = text.replace("$150.00", "$119.00")
    assert "totals_disagree" not in read_text(agreeing, source="body").doubts


def test_discount_and_shipping_between_subtotal_and_total_agree() -> None:
    """Subtotal - discount + shipping + tax = total counts as agreeing (however the discount is signed)."""
    for discount in ("$10.00", "-$10.00"):
        text = (
            "INVOICE\nInvoice No: B-2\nSubtotal $100.00\nDiscount " + discount + "\nShipping $5.00\n"
            "Tax $19.00\nTotal Amount Due $114.00\n"
        )
        draft = read_text(text, source="body")
        assert draft.amount == Decimal("114.00") and "totals_disagree" not in draft.doubts


def test_decimal_comma_tax_rates_are_no_money() -> None:
    """'TVA 5,5 %' is a rate: neither 5,5 nor 5 is an amount."""
    assert find_money("TVA 5,5 %", "EUR") == []
    assert find_money("TVA 5,5 %   12,00 €", "EUR") == [Money(Decimal("12.00"), "EUR")]


def test_a_total_naming_the_tax_is_no_tax_line() -> None:
    """'Totaal incl. BTW' carries the tax's name; taking it as a tax would make correct sums disagree."""
    text = (
        "FACTUUR\nFactuurnummer: N-1\nSubtotaal € 100,00\nBTW 9% € 4,50\nBTW 21% € 10,50\nTotaal incl. BTW € 115,00\n"
    )
    draft = read_text(text, source="body")
    assert draft.amount == Decimal("115.00") and "totals_disagree" not in draft.doubts


def test_registration_number_check_digit() -> None:
    """T + 13 digits whose first digit checks the rest; a mismatch is noted for the reviewer."""
    from worker.intake.textfields import registration_check_digit_ok

    assert registration_check_digit_ok("T9234567890123")
    assert not registration_check_digit_ok("T1234567890123")
    assert not registration_check_digit_ok("T92345678901")
    notes = read_text("請求書\n登録番号 T1234567890123\n請求書番号: 1-2\n", source="body").notes
    assert any("check digit" in note for note in notes)


def test_generated_layouts_stay_read_whole_invoice_exact() -> None:
    """Regression guard over every generated layout family (one seed): whole-invoice exact F1 stays
    ≥ 0.95 per set and no non-invoice opens a case (scripts/eval_intake.py gives the full report)."""
    import importlib

    ev = importlib.import_module("scripts.eval_intake")
    for name in ("train", "heldout", "heldout2", "heldout3", "heldout5", "heldout6"):
        source, layouts, non_invoices = ev._sets(name)[name]()
        report = ev.evaluate(list(ev.cases(source, layouts, non_invoices, 1)), 0)
        assert report["f1"]["all"] >= 0.95, (name, report["f1"]["all"])
        assert report["counts"]["kind:non_invoice"][1] == 0, name


@pytest.mark.parametrize(
    "care_of",
    ["Attention: Accounts Payable", "z. Hd. Buchhaltung", "A l'attention de la comptabilité", "t.a.v. administratie"],
)
def test_an_attention_line_above_the_company_is_no_customer_name(care_of: str) -> None:
    """'z. Hd. …', 'à l'attention de …', 't.a.v. …' name a person or department in the block."""
    text = (
        f"Rechnung\nRechnungsnummer: R-1\nRechnungsadresse:\n{care_of}\nBraun Dachtechnik GmbH\nGesamtbetrag 10,00 €\n"
    )
    assert read_text(text, source="body").customer_name == "Braun Dachtechnik GmbH"


def test_dutch_betalen_voor_is_the_due_date_and_a_bare_amount_line_the_total() -> None:
    """'Betalen voor: 06-11-2026' is the due date; 'Amount: 12.00 USD' in a typed mail is what is due."""
    draft = read_text("Factuur\nFactuurnummer: F-1\nBetalen voor: 06-11-2026\nTotaal € 5,00\n", source="body")
    assert draft.due_date == date(2026, 11, 6) and draft.amount == Decimal("5.00")
    assert read_text("INVOICE\nInvoice No: A-1\nAmount: 12.00 USD\n", source="body").amount == Decimal("12.00")


def test_labels_broken_over_two_lines_and_pdfium_line_end_hyphens() -> None:
    """'Rechnungs-' over 'nummer' (PDFium gives the hyphen as U+FFFE) is one label with its value below."""
    from tests.invoicelayouts import _pdf

    cells = [
        (50, 800, "RECHNUNG", 16),
        (50, 760, "Rechnungsempfänger", 8),
        (50, 748, "Koch Elektro GmbH", 10),
        (50, 736, "rechnung@koch.example", 8),
        (50, 690, "Rechnungs-", 8),
        (50, 680, "nummer", 8),
        (50, 666, "007192", 9),
        (200, 690, "Fällig", 8),
        (200, 680, "am", 8),
        (200, 666, "06.01.2027", 9),
        (330, 620, "Gesamtbetrag", 9),
        (480, 620, "8.403,43 €", 9),
    ]
    (inv,) = read_document(None, "application/pdf", _pdf(cells, "Helvetica"), hints=HINTS).invoices
    assert (inv.number, inv.due_date, inv.amount) == ("007192", date(2027, 1, 6), Decimal("8403.43"))


def test_a_part_paid_invoice_is_due_its_balance() -> None:
    """Total 1,080 agreeing with subtotal + tax, 270 paid, balance due 810: the balance is payable."""
    text = (
        "INVOICE\nInvoice No: P-1\nSubtotal $1,000.00\nTax $80.00\nTotal $1,080.00\nAmount Paid -$270.00\n"
        "Balance Due $810.00\n"
    )
    draft = read_text(text, source="body")
    assert draft.amount == Decimal("810.00") and "totals_disagree" not in draft.doubts


def test_a_header_row_reads_each_value_from_its_own_column() -> None:
    """'Invoice Number   Invoice Date   Due Date' over a row of values: the due date is the third cell,
    and terms written there ('30 days after invoice date') give the due date."""
    text = (
        "INVOICE\nInvoice Number   Invoice Date   Due Date\nA-1   03/05/2026   30 days after invoice date\n"
        "Total $10.00\n"
    )
    draft = read_text(text, source="body")
    assert draft.issue_date == date(2026, 3, 5) and draft.due_date is None
    found = due_from_terms(draft.terms_text, date(2026, 3, 5))
    assert found is not None and found[0] == date(2026, 4, 4)


def test_a_japanese_line_to_the_companys_unnamed_contact_names_the_company() -> None:
    """'株式会社はやぶさ商事 経理部 ご担当者様': the company is the customer."""
    text = "請求書\n株式会社はやぶさ商事 経理部 ご担当者様\n請求書番号: H-1\nご請求金額 ¥1,000\n"
    assert read_text(text, source="body").customer_name == "株式会社はやぶさ商事"


def test_an_account_line_above_the_customer_is_no_name() -> None:
    """'Account 48213' under 'Customer:' is an account number; the next line names the customer."""
    text = "INVOICE\nInvoice No.: A-5\nCustomer:\nAccount 48213\nInitrode Corp.\nTotal Due $5.00\n"
    assert read_text(text, source="body").customer_name == "Initrode Corp."


def test_a_one_sentence_notification() -> None:
    """'Invoice F-1 for Name <address>' … 'Amount due: $12.00, payable by 05/01/2026.': every field, the
    amount being the one written with its currency (not the year of the date after it)."""
    text = (
        "Invoice F2026-3575 for Initrode Corp. <payables@initrode.example>\nInvoice date: 04/01/2026\n"
        "Amount due: $12.00, payable by 05/01/2026.\n"
    )
    draft = read_text(text, source="body")
    assert (draft.number, draft.customer_name, draft.customer_email) == (
        "F2026-3575",
        "Initrode Corp.",
        "payables@initrode.example",
    )
    assert (draft.amount, draft.due_date) == (Decimal("12.00"), date(2026, 5, 1))


@pytest.mark.parametrize(
    ("label", "field"),
    [("Issued", "issue_date"), ("Émise le", "issue_date"), ("Date limite de paiement", "due_date")],
)
def test_more_date_labels(label: str, field: str) -> None:
    """'Issued:', 'Émise le', 'Date limite de paiement' are issue and due labels."""
    draft = read_text(f"INVOICE\nInvoice No.: A-6\n{label}: 2026-04-03\nTotal $1.00\n", source="body")
    assert getattr(draft, field) == date(2026, 4, 3)
