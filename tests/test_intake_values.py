"""Single values in invoice text: money, dates (Japanese eras, full-width digits), payment terms, titles."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from worker.intake.classify_doc import DocKind, document_kind
from worker.intake.textfields import normalise, read_text
from worker.intake.values import Money, due_from_terms, find_dates, find_money


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("¥1,234,500", Money(Decimal("1234500"), "JPY")),
        ("1,234,500円", Money(Decimal("1234500"), "JPY")),
        ("JPY 1,234,500.00", Money(Decimal("1234500"), "JPY")),
        ("$12,345.67", Money(Decimal("12345.67"), "USD")),
        ("US$ 99.90", Money(Decimal("99.90"), "USD")),
        ("EUR 1.234,50", Money(Decimal("1234.50"), "EUR")),
        ("€1.234,50", Money(Decimal("1234.50"), "EUR")),
        ("1.234,50 €", Money(Decimal("1234.50"), "EUR")),
        ("£2,000.05", Money(Decimal("2000.05"), "GBP")),
        ("USD 1,000", Money(Decimal("1000"), "USD")),
        ("▲¥5,000", Money(Decimal("-5000"), "JPY")),
    ],
)
def test_money_in_every_written_form(text: str, expected: Money) -> None:
    """Signs before or after, codes, European decimal commas, JPY without a minor unit, ▲ negatives."""
    assert find_money(text) == [expected]


def test_full_width_money_reads_after_normalising() -> None:
    """Full-width digits and the full-width yen sign read like ASCII once NFKC-normalised."""
    assert find_money(normalise("￥１，２３４，５００")) == [Money(Decimal("1234500"), "JPY")]


def test_percentages_and_bare_numbers_are_not_money() -> None:
    """A tax rate is not an amount; a bare number counts only when the document's currency is known."""
    assert find_money("消費税 10%") == []
    assert find_money("100,000") == []
    assert find_money("100,000", "JPY") == [Money(Decimal("100000"), "JPY")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026年4月30日", date(2026, 4, 30)),
        ("令和8年4月30日", date(2026, 4, 30)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("平成31年4月30日", date(2019, 4, 30)),
        ("R8.4.30", date(2026, 4, 30)),
        ("2026/04/30", date(2026, 4, 30)),
        ("2026-04-30", date(2026, 4, 30)),
        ("April 30, 2026", date(2026, 4, 30)),
        ("30 April 2026", date(2026, 4, 30)),
        ("30-Apr-2026", date(2026, 4, 30)),
        ("30/04/2026", date(2026, 4, 30)),
    ],
)
def test_dates_in_english_and_japanese_forms(text: str, expected: date) -> None:
    """Western, Japanese-era and numeric dates all read to the same day."""
    assert [d for _, d in find_dates(text)] == [expected]


def test_full_width_japanese_date() -> None:
    """２０２６年４月３０日 (full-width digits) reads after normalising."""
    assert [d for _, d in find_dates(normalise("２０２６年４月３０日"))] == [date(2026, 4, 30)]


def test_ambiguous_numeric_date_order_follows_the_hint() -> None:
    """05/04/2026 is 5 April day-first and 4 May month-first; 04/30/2026 is unambiguous either way."""
    assert find_dates("05/04/2026")[0][1] == date(2026, 4, 5)
    assert find_dates("05/04/2026", month_first=True)[0][1] == date(2026, 5, 4)
    assert find_dates("04/30/2026")[0][1] == date(2026, 4, 30)


def test_impossible_dates_are_ignored() -> None:
    """2026年2月30日 is no date at all, rather than a wrong one."""
    assert find_dates("2026年2月30日") == []


@pytest.mark.parametrize(
    ("terms", "due"),
    [
        ("Net 30", date(2026, 5, 15)),
        ("Payment within 45 days", date(2026, 5, 30)),
        ("月末締め翌月末払い", date(2026, 5, 31)),
        ("月末締め翌々月10日払い", date(2026, 6, 10)),
        ("請求日から14日以内", date(2026, 4, 29)),
        ("End of the following month", date(2026, 5, 31)),
    ],
)
def test_payment_terms_give_a_due_date(terms: str, due: date) -> None:
    """Terms count from the issue date (15 April 2026 here)."""
    found = due_from_terms(terms, date(2026, 4, 15))
    assert found is not None
    assert found[0] == due


def test_no_terms_wording_gives_nothing() -> None:
    """Ordinary words are not payment terms."""
    assert due_from_terms("Thank you for your business", date(2026, 4, 15)) is None


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("請　求　書\n株式会社山田 御中", DocKind.INVOICE),
        ("納品書兼請求書\n株式会社山田 御中", DocKind.INVOICE),
        ("INVOICE\nAcme Ltd", DocKind.INVOICE),
        ("御見積書\n株式会社山田 御中", DocKind.QUOTE),
        ("Quotation\nAcme Ltd", DocKind.QUOTE),
        ("ESTIMATE #12\nAcme", DocKind.QUOTE),
        ("領 収 書\n株式会社山田 様", DocKind.RECEIPT),
        ("Receipt\nThank you for your payment", DocKind.RECEIPT),
        ("クレジットノート\n返金額 ¥5,000", DocKind.CREDIT_NOTE),
        ("貸方票\n", DocKind.CREDIT_NOTE),
        ("CREDIT NOTE\nAcme", DocKind.CREDIT_NOTE),
        ("納品書\n株式会社山田 御中", DocKind.DELIVERY_NOTE),
        ("Acme Ltd\nInvoice No.: 12\nAmount due: $5", DocKind.INVOICE),
        ("Hello, lunch on Friday?", DocKind.UNKNOWN),
    ],
)
def test_document_kind_from_its_title(text: str, kind: DocKind) -> None:
    """Titles decide (spaced-out Japanese titles too); combined 納品書兼請求書 is an invoice."""
    assert document_kind(text) is kind


def test_an_invoice_mentioning_a_quote_number_is_still_an_invoice() -> None:
    """'見積書番号' deep in an invoice's body is a reference, not its title."""
    text = "請求書\n" + "\n".join(f"明細 {i}" for i in range(15)) + "\n見積書番号: Q-12"
    assert document_kind(text) is DocKind.INVOICE


def test_subtotal_and_tax_lines_are_not_the_total() -> None:
    """合計 wins over 小計 and 消費税; 'Total' never reads 'Subtotal' or 'Total tax'."""
    ja = read_text("請求書\n小計 ¥100,000\n消費税合計 ¥10,000\n合計 ¥110,000", source="pdf")
    en = read_text("Invoice\nSubtotal $100.00\nTotal tax $10.00\nTotal $110.00", source="pdf")
    assert (ja.amount, ja.currency) == (Decimal("110000"), "JPY")
    assert (en.amount, en.currency) == (Decimal("110.00"), "USD")


def test_value_on_the_line_below_its_label() -> None:
    """Tables often print the value under the label."""
    draft = read_text(
        "INVOICE\nInvoice number\nA-77\nAmount due\n$1,500.00\nDue date\n2026-06-30", source="pdf"
    )
    assert (draft.number, draft.amount, draft.due_date) == ("A-77", Decimal("1500.00"), date(2026, 6, 30))


def test_registration_number_and_customer_from_honorific() -> None:
    """登録番号 T + 13 digits; the 御中 line names the customer."""
    draft = read_text(
        "請求書\n株式会社テスト 御中\n登録番号: T9876543210987\nご請求金額 ¥5,500", source="pdf"
    )
    assert draft.registration_number == "T9876543210987"
    assert draft.customer_name == "株式会社テスト"
    assert draft.language == "ja"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "ACME LTD\nTAX INVOICE\nInvoice #: 10023\nDate: 04/01/2026\nBill To\nGlobex Inc.\n12 Main St\n"
            "ap@globex.example\nSubtotal $1,000.00\nSales Tax $80.00\nBalance Due: USD 1,080.00\n",
            ("10023", "Globex Inc.", "ap@globex.example", Decimal("1080.00"), "USD", date(2026, 4, 1), None),
        ),
        (
            "Invoice\nInvoice Number INV/2026/17\nIssue date 1 April 2026\nDue by 30 April 2026\n"
            "Customer: Smith & Co <billing@smith.example>\nTotal (incl. VAT) £2,400.00\nVAT £400.00\n",
            (
                "INV/2026/17",
                "Smith & Co",
                "billing@smith.example",
                Decimal("2400.00"),
                "GBP",
                date(2026, 4, 1),
                date(2026, 4, 30),
            ),
        ),
        (
            "御請求書\n株式会社ＡＢＣ 御中\n請求日：２０２６年４月１５日\n請求書番号：ＩＮＶ－００１\n"
            "ご請求金額 ￥１，２３４，５００－（税込）\nお支払い期日：2026/05/31（日）\n",
            ("INV-001", "株式会社ABC", None, Decimal("1234500"), "JPY", date(2026, 4, 15), date(2026, 5, 31)),
        ),
        (
            "請求書\n山田商店 様\n発行日 令和8年4月1日\n合計金額 550,000円\n内消費税 50,000円\n"
            "振込期限 令和8年4月30日\n",
            (None, "山田商店", None, Decimal("550000"), "JPY", date(2026, 4, 1), date(2026, 4, 30)),
        ),
        (
            "請求書\n有限会社テスト御中\nNo. 2026-88\n2026年4月1日\n小計 100,000\n消費税 10,000\n"
            "合計 110,000\n",
            ("2026-88", "有限会社テスト", None, Decimal("110000"), "JPY", date(2026, 4, 1), None),
        ),
    ],
    ids=["en-us-balance-due", "en-gb-vat", "ja-full-width", "ja-reiwa-yen-suffix", "ja-unlabelled-date"],
)
def test_invoice_texts_as_billing_tools_print_them(text: str, expected: tuple[object, ...]) -> None:
    """Layouts from common billing tools: '#' numbers, 'Balance Due', full-width Japanese, 円 suffixes,
    an issue date printed without a label, amounts with no currency sign in a Japanese document."""
    d = read_text(text, source="pdf")
    assert (
        d.number,
        d.customer_name,
        d.customer_email,
        d.amount,
        d.currency,
        d.issue_date,
        d.due_date,
    ) == expected


def test_the_issuers_address_below_the_customer_is_not_the_customers() -> None:
    """The customer's block ends where the issuer's (a company line, 登録番号) begins: no address from it."""
    text = "請求書\n株式会社顧客 御中\n株式会社売り手\nseikyu@seller.example\nご請求金額 ¥1,000"
    assert read_text(text, source="pdf").customer_email is None


def test_goshu_wins_over_sama_and_words_ending_in_sama() -> None:
    """仕様 (specification) is not a customer; a 御中 line later on is."""
    text = "請求書\n仕様 変更対応\n株式会社顧客 御中\nご請求金額 ¥1,000"
    assert read_text(text, source="pdf").customer_name == "株式会社顧客"
