"""Sixth held-out set, written after the reader was frozen at f3bf78a (after round 6), never tuned on.

Variations not in the earlier sets: table headers broken over two lines ("Invoice" over "Number")
with the values under them, a partial payment (total, amount paid, balance due: the balance is
payable), the currency code in a cell of its own in the totals row, terms written in the due-date
field ("30 days after invoice date"), a Japanese addressee as one line ending in …様, dotted and
abbreviated dates (2026.04.01, 01 Apr 2026), and mail bodies with the fields in a different order.
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

STYLES = ("two_line_headers", "partial_payment", "code_cell", "terms_in_due", "plain")
LOCALES = ("en-US", "en-GB", "en-IN", "de", "fr", "nl", "ja")


@dataclass(frozen=True)
class Layout6:
    locale: str
    style: str
    title: str | None = None

    @property
    def name(self) -> str:
        return f"H6:{self.locale}/{self.style}"


@dataclass(frozen=True)
class L6:
    title: str
    number: tuple[str, str]  # a label as one line, or split over two
    issue: tuple[str, str]
    due: tuple[str, str]
    bill: str
    sub: str
    tax: str
    total: str
    paid: str
    balance: str
    terms: str
    rate: Decimal
    currency: str
    customer: tuple[str, str]
    seller: tuple[str, ...]
    not_invoices: tuple[str, ...]


L: dict[str, L6] = {
    "en-US": L6(
        "INVOICE",
        ("Invoice", "Number"),
        ("Invoice", "Date"),
        ("Due", "Date"),
        "Bill To",
        "Subtotal",
        "Tax",
        "Total",
        "Amount Paid",
        "Balance Due",
        "30 days after invoice date",
        Decimal("0.08"),
        "USD",
        ("Hooli Inc.", "ap@hooli.example"),
        ("Acme Supplies Ltd", "9 Oak Ave, Portland OR", "ar@acme.example"),
        ("Sales Order", "Credit Memo"),
    ),
    "en-GB": L6(
        "INVOICE",
        ("Invoice", "No."),
        ("Invoice", "Date"),
        ("Due", "Date"),
        "Invoice To",
        "Subtotal",
        "VAT",
        "Total",
        "Paid",
        "Balance Due",
        "30 days from date of invoice",
        Decimal("0.20"),
        "GBP",
        ("Whitmore Joinery Ltd", "office@whitmore.example"),
        ("Acme Supplies Ltd", "11 Station Rd, Bath", "ar@acme.example"),
        ("Quote", "Credit Note"),
    ),
    "en-IN": L6(
        "TAX INVOICE",
        ("Invoice", "No."),
        ("Invoice", "Date"),
        ("Due", "Date"),
        "Bill To",
        "Taxable Value",
        "IGST 18%",
        "Total",
        "Advance Received",
        "Balance Payable",
        "Net 30",
        Decimal("0.18"),
        "INR",
        ("Patel Ceramics Pvt Ltd", "accounts@patelceramics.example"),
        ("Acme Supplies India Pvt Ltd", "GSTIN 33AAACA5555F1Z6", "Chennai", "ar@acme.example"),
        ("Quotation", "Debit Note"),
    ),
    "de": L6(
        "RECHNUNG",
        ("Rechnungs-", "nummer"),
        ("Rechnungs-", "datum"),
        ("Fällig", "am"),
        "Rechnungsempfänger",
        "Nettobetrag",
        "MwSt. 19%",
        "Gesamtbetrag",
        "Bereits bezahlt",
        "Offener Betrag",
        "Zahlbar innerhalb von 30 Tagen",
        Decimal("0.19"),
        "EUR",
        ("Koch Elektro GmbH", "rechnung@koch.example"),
        ("Acme Supplies GmbH", "Ring 7, 30159 Hannover", "ar@acme.example"),
        ("Angebot", "Gutschrift"),
    ),
    "fr": L6(
        "FACTURE",
        ("N° de", "facture"),
        ("Date de", "facture"),
        ("Date", "d'échéance"),
        "Facturé à",
        "Total HT",
        "TVA 20%",
        "Total TTC",
        "Acompte versé",
        "Reste à payer",
        "Paiement à 30 jours",
        Decimal("0.20"),
        "EUR",
        ("Caves Fournier SARL", "compta@fournier.example"),
        ("Acme Fournitures SAS", "4 allée des Tilleuls, Rennes", "ar@acme.example"),
        ("Devis", "Avoir"),
    ),
    "nl": L6(
        "FACTUUR",
        ("Factuur-", "nummer"),
        ("Factuur-", "datum"),
        ("Verval-", "datum"),
        "Factuuradres",
        "Subtotaal",
        "BTW 21%",
        "Totaal",
        "Reeds betaald",
        "Openstaand bedrag",
        "Betaling binnen 30 dagen",
        Decimal("0.21"),
        "EUR",
        ("Mulder Schilderwerken B.V.", "info@mulder.example"),
        ("Acme Supplies B.V.", "Kerkstraat 9, Delft", "ar@acme.example"),
        ("Offerte", "Creditnota"),
    ),
    "ja": L6(
        "請求書",
        ("請求書", "番号"),
        ("請求", "日付"),
        ("お支払", "期限"),
        "",
        "小計",
        "消費税",
        "合計",
        "ご入金額",
        "ご請求残高",
        "請求書発行日から30日以内",
        Decimal("0.10"),
        "JPY",
        ("株式会社はやぶさ商事", "keiri@hayabusa.example"),
        ("株式会社サンプル", "広島市中区6-6", "ar@acme.example"),
        ("御見積書", "領収書"),
    ),
}


def _d(d: date, locale: str, rng: random.Random) -> str:
    pick = rng.random()
    if locale == "ja":
        return d.strftime("%Y.%m.%d") if pick < 0.5 else f"{d.year}年{d.month}月{d.day}日"
    if locale == "en-US":
        return d.strftime("%b %d, %Y")
    if locale in ("en-GB", "en-IN"):
        return d.strftime("%d %b %Y")
    return d.strftime("%d.%m.%Y") if locale == "de" else d.strftime("%d/%m/%Y" if locale == "fr" else "%d-%m-%Y")


def _num(value: Decimal, locale: str) -> str:
    if locale == "ja":
        return f"{int(value):,}"
    whole, _, frac = f"{value.quantize(Decimal('0.01')):f}".partition(".")
    if locale in ("de", "nl"):
        return f"{int(whole):,}".replace(",", ".") + "," + frac
    if locale == "fr":
        return f"{int(whole):,}".replace(",", " ") + "," + frac
    return f"{int(whole):,}.{frac}"


def _cur(value: Decimal, locale: str) -> str:
    n = _num(value, locale)
    return {
        "en-US": "$" + n,
        "en-GB": "£" + n,
        "en-IN": "Rs." + n,
        "de": n + " €",
        "fr": n + " €",
        "nl": "€ " + n,
        "ja": "¥" + n,
    }[locale]


def _facts(layout: Layout6, rng: random.Random) -> tuple[str, date, date, Decimal, Decimal, Decimal]:
    lx = L[layout.locale]
    number = rng.choice(["{n:06d}", "INV{y}-{n:04d}", "{y}/{n:05d}"]).format(y=2026, n=rng.randint(1, 9999))
    issue = date(2026, rng.randint(1, 12), rng.randint(1, 28))
    due = issue + timedelta(days=30) if layout.style == "terms_in_due" else issue + timedelta(days=rng.choice([14, 21]))
    jpy = lx.currency == "JPY"
    sub = Decimal(rng.randint(5000, 900000)) * (10 if jpy else Decimal("0.01"))
    tax = (sub * lx.rate).quantize(Decimal(1) if jpy else Decimal("0.01"), rounding=ROUND_HALF_UP)
    paid = (
        (sub / 4).quantize(Decimal(1) if jpy else Decimal("0.01")) if layout.style == "partial_payment" else Decimal(0)
    )
    return number, issue, due, sub, tax, paid


def render(layout: Layout6, seed: int) -> tuple[bytes, Truth | None]:
    rng = random.Random(f"{layout.name}:{layout.title}:{seed}")
    lx, lc, style = L[layout.locale], layout.locale, layout.style
    number, issue, due, sub, tax, paid = _facts(layout, rng)
    payable = sub + tax - paid
    name, email = lx.customer
    font = JA_FONT if lc == "ja" else "Helvetica"
    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)

    def put(x: float, y: float, s: str, size: float = 9.0, right: bool = False) -> None:
        c.setFont(font, size)
        c.drawString(x - (stringWidth(s, font, size) if right else 0), y, s)

    put(50, 800, layout.title or lx.title, 18)
    for i, row in enumerate(lx.seller):
        put(545, 805 - 10 * i, row, 8, right=True)
    if lc == "ja":
        put(50, 760, f"{name} 経理部 ご担当者様", 11)
        put(50, 746, email, 8)
    else:
        put(50, 760, lx.bill, 8)
        put(50, 748, name, 10)
        put(50, 736, email, 8)
    y = 690.0
    due_value = lx.terms if style == "terms_in_due" else _d(due, lc, rng)
    cells = [(lx.number, number), (lx.issue, _d(issue, lc, rng)), (lx.due, due_value)]
    xs = (50, 200, 350)
    for x, ((top, bottom), value) in zip(xs, cells, strict=True):
        if style == "two_line_headers":
            put(x, y, top, 8)
            put(x, y - 10, bottom, 8)
            put(x, y - 24, value, 9)
        else:
            joined = top + bottom if top.endswith("-") else f"{top}{'' if lc == 'ja' else ' '}{bottom}"
            put(x, y, joined.replace("-", "") if top.endswith("-") else joined, 8)
            put(x, y - 12, value, 9)
    y -= 50
    put(50, y, "品名" if lc == "ja" else "Description", 8)
    put(545, y, "金額" if lc == "ja" else "Amount", 8, right=True)
    y -= 13
    put(50, y, "作業一式" if lc == "ja" else "Services as agreed", 9)
    put(545, y, _cur(sub, lc), 9, right=True)
    y -= 24
    rows = [(lx.sub, sub), (lx.tax, tax), (lx.total, sub + tax)]
    if paid:
        rows += [(lx.paid, -paid), (lx.balance, payable)]
    for label, value in rows:
        put(330, y, label, 9)
        if style == "code_cell":
            put(455, y, lx.currency, 9)
            put(545, y, _num(value, lc), 9, right=True)
        else:
            put(545, y, ("-" if value < 0 else "") + _cur(abs(value), lc), 9, right=True)
        y -= 13
    c.save()
    truth = None if layout.title else Truth(number, name, email, payable, lx.currency, issue, due)
    return buf.getvalue(), truth


def body_invoice(layout: Layout6, seed: int) -> tuple[str, Truth | None]:
    rng = random.Random(f"b6:{layout.name}:{seed}")
    lx, lc = L[layout.locale], layout.locale
    number, issue, due, sub, tax, _paid = _facts(Layout6(lc, "plain"), rng)
    name, email = lx.customer

    def label(pair: tuple[str, str]) -> str:
        top, bottom = pair
        return top[:-1] + bottom if top.endswith("-") else (top + bottom if lc == "ja" else f"{top} {bottom}")

    lines = [
        lx.title,
        f"{lx.total}: {_cur(sub + tax, lc)}",
        f"{label(lx.due)}: {_d(due, lc, rng)}",
        f"{label(lx.number)}: {number}",
        f"{label(lx.issue)}: {_d(issue, lc, rng)}",
    ]
    lines += [f"{name} 御中", email] if lc == "ja" else [f"{lx.bill}: {name}", email]
    return "\n".join(lines) + "\n", Truth(number, name, email, sub + tax, lx.currency, issue, due)


def make_pdf(layout: Layout6, seed: int) -> tuple[bytes, Truth | None]:
    return render(layout, seed)


def subject(layout: Layout6) -> str:
    return L[layout.locale].title


def heldout_layouts() -> list[Layout6]:
    return [Layout6(locale, style) for locale in LOCALES for style in STYLES]


def heldout_non_invoices() -> list[Layout6]:
    return [
        Layout6(locale, STYLES[i % len(STYLES)], title=t)
        for locale in LOCALES
        for i, t in enumerate(L[locale].not_invoices)
    ]
