"""Seventh held-out set, written after the reader was frozen at c694636 (after round 7), never tuned on.

Variations not in the earlier sets: an account line above the customer's name, a currency symbol in
its own column left of the amounts, Swiss francs with apostrophe grouping (CHF 1'234.50), "Issued:"
and "Date limite de paiement" labels, an invoice number labelled only "No." at the top right, a
Japanese amount box written "金額 ¥… (税込)", and one-sentence notification bodies.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

from tests.invoicefactory import JA_FONT
from tests.invoicelayouts import Truth

STYLES = ("account_line", "symbol_column", "no_label_top", "issued_label", "boxed_amount")
LOCALES = ("en-US", "en-GB", "en-IN", "de", "fr", "nl", "ja")


@dataclass(frozen=True)
class Layout7:
    locale: str
    style: str
    title: str | None = None

    @property
    def name(self) -> str:
        return f"H7:{self.locale}/{self.style}"


@dataclass(frozen=True)
class V:
    title: str
    number: str
    issue: str
    issued: str
    due: str
    customer_label: str
    account: str
    sub: str
    tax: str
    total: str
    amount_box: str
    rate: Decimal
    currency: str
    symbol: str
    customer: tuple[str, str]
    seller: tuple[str, ...]
    not_invoices: tuple[str, ...]


VOC: dict[str, V] = {
    "en-US": V(
        "Invoice",
        "Invoice No.",
        "Invoice Date",
        "Issued",
        "Payment Due",
        "Customer",
        "Account",
        "Subtotal",
        "Sales Tax",
        "Total Due",
        "Amount",
        Decimal("0.0625"),
        "USD",
        "$",
        ("Initrode Corp.", "payables@initrode.example"),
        ("Acme Supplies Ltd", "8 Canal St, Boston MA", "ar@acme.example"),
        ("Quotation", "Packing Slip"),
    ),
    "en-GB": V(
        "Invoice",
        "Invoice No.",
        "Invoice Date",
        "Issued",
        "Due Date",
        "Customer",
        "Account",
        "Net Total",
        "VAT 20%",
        "Invoice Total",
        "Amount",
        Decimal("0.20"),
        "GBP",
        "£",
        ("Greenleaf Nurseries Ltd", "accounts@greenleaf.example"),
        ("Acme Supplies Ltd", "6 Bridge St, Chester", "ar@acme.example"),
        ("Quotation", "Credit Note"),
    ),
    "en-IN": V(
        "TAX INVOICE",
        "Invoice #",
        "Invoice Date",
        "Issued",
        "Due Date",
        "Customer",
        "Account",
        "Taxable Value",
        "GST 18%",
        "Total Payable",
        "Amount",
        Decimal("0.18"),
        "INR",
        "Rs.",
        ("Joshi Foods Pvt Ltd", "accounts@joshifoods.example"),
        ("Acme Supplies India Pvt Ltd", "GSTIN 32AAACA6666G1Z7", "Kochi", "ar@acme.example"),
        ("Proforma Invoice", "Purchase Order"),
    ),
    "de": V(
        "Rechnung",
        "Rechnungsnummer",
        "Rechnungsdatum",
        "Ausgestellt",
        "Zahlbar bis",
        "Kunde",
        "Kundenkonto",
        "Nettobetrag",
        "MwSt. 8,1 %",
        "Rechnungsbetrag",
        "Betrag",
        Decimal("0.081"),
        "CHF",
        "CHF",
        ("Keller Uhren AG", "buchhaltung@keller-uhren.example"),
        ("Acme Supplies AG", "Bahnhofstrasse 1, 8001 Zürich", "ar@acme.example", "CHE-123.456.789 MWST"),
        ("Offerte", "Lieferschein"),
    ),
    "fr": V(
        "Facture",
        "Facture n°",
        "Date de facture",
        "Émise le",
        "Date limite de paiement",
        "Client",
        "Compte",
        "Total HT",
        "TVA 20 %",
        "Total TTC",
        "Montant",
        Decimal("0.20"),
        "EUR",
        "€",
        ("Librairie Petit SARL", "compta@librairie-petit.example"),
        ("Acme Fournitures SAS", "9 place du Marché, Dijon", "ar@acme.example"),
        ("Devis", "Avoir"),
    ),
    "nl": V(
        "Factuur",
        "Factuur nr.",
        "Factuurdatum",
        "Uitgegeven",
        "Uiterste betaaldatum",
        "Klant",
        "Rekening",
        "Subtotaal",
        "BTW 21%",
        "Totaal",
        "Bedrag",
        Decimal("0.21"),
        "EUR",
        "€",
        ("Bos Fietsen B.V.", "administratie@bosfietsen.example"),
        ("Acme Supplies B.V.", "Lange Gracht 4, Zwolle", "ar@acme.example"),
        ("Offerte", "Pakbon"),
    ),
    "ja": V(
        "ご請求書",
        "No.",
        "発行日",
        "発行日",
        "お支払期限",
        "",
        "顧客コード",
        "小計",
        "消費税",
        "合計",
        "金額",
        Decimal("0.10"),
        "JPY",
        "¥",
        ("株式会社ひばり印刷", "keiri@hibari-print.example"),
        ("株式会社サンプル", "京都市下京区7-7", "ar@acme.example"),
        ("御見積書", "発注書"),
    ),
}


def _date(d: date, locale: str) -> str:
    return {
        "en-US": d.strftime("%m/%d/%Y"),
        "en-GB": d.strftime("%d %b %Y"),
        "en-IN": d.strftime("%d-%b-%Y"),
        "de": d.strftime("%d.%m.%Y"),
        "fr": d.strftime("%d/%m/%Y"),
        "nl": d.strftime("%d-%m-%Y"),
        "ja": f"{d.year}年{d.month:02d}月{d.day:02d}日",
    }[locale]


def _n(value: Decimal, locale: str) -> str:
    if locale == "ja":
        return f"{int(value):,}"
    whole, _, frac = f"{value.quantize(Decimal('0.01')):f}".partition(".")
    if locale == "de":  # Swiss: apostrophe grouping, decimal point
        return f"{int(whole):,}".replace(",", "'") + "." + frac
    if locale == "nl":
        return f"{int(whole):,}".replace(",", ".") + "," + frac
    if locale == "fr":
        return f"{int(whole):,}".replace(",", " ") + "," + frac
    return f"{int(whole):,}.{frac}"


def _m(value: Decimal, locale: str) -> str:
    s = VOC[locale].symbol
    return (
        f"{_n(value, locale)} {s}"
        if locale == "fr"
        else f"{s} {_n(value, locale)}"
        if len(s) > 1
        else s + _n(value, locale)
    )


def _facts(layout: Layout7, rng: random.Random) -> tuple[str, date, date, Decimal, Decimal]:
    v = VOC[layout.locale]
    number = rng.choice(["{n:06d}", "F{y}-{n:04d}", "{y}.{n:04d}"]).format(y=2026, n=rng.randint(1, 9999))
    issue = date(2026, rng.randint(1, 12), rng.randint(1, 28))
    due = issue + timedelta(days=rng.choice([10, 20, 30]))
    jpy = v.currency == "JPY"
    sub = Decimal(rng.randint(2000, 700000)) * (10 if jpy else Decimal("0.01"))
    tax = (sub * v.rate).quantize(Decimal(1) if jpy else Decimal("0.01"), rounding=ROUND_HALF_UP)
    return number, issue, due, sub, tax


def render(layout: Layout7, seed: int) -> tuple[bytes, Truth | None]:
    rng = random.Random(f"{layout.name}:{layout.title}:{seed}")
    v, lc, style = VOC[layout.locale], layout.locale, layout.style
    number, issue, due, sub, tax = _facts(layout, rng)
    total = sub + tax
    name, email = v.customer
    font = JA_FONT if lc == "ja" else "Helvetica"
    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)

    def put(x: float, y: float, s: str, size: float = 9.0, right: bool = False) -> None:
        c.setFont(font, size)
        c.drawString(x - (stringWidth(s, font, size) if right else 0), y, s)

    put(50, 805, layout.title or v.title, 18)
    for i, row in enumerate(v.seller):
        put(50, 780 - 10 * i, row, 8)
    if style == "no_label_top" or lc == "ja":
        put(545, 805, f"No. {number}", 10, right=True)
    y = 720.0
    if lc == "ja":
        put(330, y, f"{name} 御中", 11)
        put(330, y - 13, email, 8)
    else:
        put(330, y, v.customer_label + ":", 8)
        if style == "account_line":
            put(330, y - 12, f"{v.account} {rng.randint(10000, 99999)}", 8)
            y -= 12
        put(330, y - 12, name, 10)
        put(330, y - 24, email, 8)
    y = 650.0
    meta = [] if (style == "no_label_top" or lc == "ja") else [(v.number, number)]
    meta += [(v.issued if style == "issued_label" else v.issue, _date(issue, lc)), (v.due, _date(due, lc))]
    for label, value in meta:
        put(50, y, f"{label}: {value}", 9)
        y -= 13
    if style == "boxed_amount":
        c.rect(330, 620, 215, 30)
        put(336, 630, f"{v.amount_box} {_m(total, lc)}" + (" (税込)" if lc == "ja" else ""), 11)
    y = 590.0
    rows = [("Item" if lc != "ja" else "品名", sub), (v.sub, sub), (v.tax, tax), (v.total, total)]
    for i, (label, value) in enumerate(rows):
        put(50 if i == 0 else 330, y, label, 9)
        if style == "symbol_column":
            put(455, y, v.symbol, 9)
            put(545, y, _n(value, lc), 9, right=True)
        else:
            put(545, y, _m(value, lc), 9, right=True)
        y -= 14 if i else 24
    c.save()
    truth = None if layout.title else Truth(number, name, email, total, v.currency, issue, due)
    return buf.getvalue(), truth


def body_invoice(layout: Layout7, seed: int) -> tuple[str, Truth | None]:
    rng = random.Random(f"b7:{layout.name}:{seed}")
    v, lc = VOC[layout.locale], layout.locale
    number, issue, due, sub, tax = _facts(Layout7(lc, "account_line"), rng)
    name, email = v.customer
    total = sub + tax
    if lc == "ja":
        text = (
            f"{name} 御中\n\n{v.title}\n{v.number} {number}\n{v.issue}：{_date(issue, lc)}\n"
            f"ご請求金額：{_m(total, lc)}\n{v.due}：{_date(due, lc)}\n{email}\n"
        )
    elif lc.startswith("en"):
        text = (
            f"{v.title} {number} for {name} <{email}>\nInvoice date: {_date(issue, lc)}\n"
            f"Amount due: {_m(total, lc)}, payable by {_date(due, lc)}.\n"
        )
    else:
        text = (
            f"{v.title}\n{v.number}: {number}\n{v.issue}: {_date(issue, lc)}\n{v.customer_label}: {name}\n"
            f"E-mail: {email}\n{v.total}: {_m(total, lc)}\n{v.due}: {_date(due, lc)}\n"
        )
    return text, Truth(number, name, email, total, v.currency, issue, due)


def make_pdf(layout: Layout7, seed: int) -> tuple[bytes, Truth | None]:
    return render(layout, seed)


def subject(layout: Layout7) -> str:
    return VOC[layout.locale].title


def heldout_layouts() -> list[Layout7]:
    return [Layout7(locale, style) for locale in LOCALES for style in STYLES]


def heldout_non_invoices() -> list[Layout7]:
    return [
        Layout7(locale, STYLES[i % len(STYLES)], title=t)
        for locale in LOCALES
        for i, t in enumerate(VOC[locale].not_invoices)
    ]
