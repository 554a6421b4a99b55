"""Fourth held-out set, written after the reader was frozen at b8faeaf (after round 4), never tuned on.

Other arrangements again: a left sidebar holding every meta field (label above value), upper-case
labels over their values, the totals on page 2 of 2, a VAT-exempt invoice with no tax line (reverse
charge), Indian invoices with the amount also in words, a Japanese header table (請求日 | 請求番号 |
お支払期限) with the amount in a box, and mail bodies forwarded with "> " quoting.
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

STYLES = ("sidebar", "caps_labels", "two_pages", "vat_exempt", "header_table")
LOCALES = ("en-US", "en-GB", "en-IN", "de", "fr", "nl", "ja")


@dataclass(frozen=True)
class Layout4:
    locale: str
    style: str
    title: str | None = None

    @property
    def name(self) -> str:
        return f"H4:{self.locale}/{self.style}"


@dataclass(frozen=True)
class Terms:
    title: str
    number: str
    issue: str
    due: str
    bill: str
    sub: str
    tax: str
    total: str
    exempt: str
    rate: Decimal
    currency: str
    customer: tuple[str, str]
    seller: tuple[str, ...]
    not_invoices: tuple[str, ...]


TERMS: dict[str, Terms] = {
    "en-US": Terms(
        "INVOICE",
        "Invoice No.",
        "Invoice Date",
        "Due Date",
        "Bill To",
        "Subtotal",
        "Sales Tax",
        "Total",
        "Tax exempt",
        Decimal("0.05"),
        "USD",
        ("Vandelay Industries", "ap@vandelay.example"),
        ("Acme Supplies Ltd", "4 Elm Rd, Denver CO", "ar@acme.example"),
        ("Quote", "Receipt"),
    ),
    "en-GB": Terms(
        "INVOICE",
        "Invoice No.",
        "Date",
        "Payment Due",
        "Invoice To",
        "Subtotal",
        "VAT 20%",
        "Total Due",
        "Reverse charge: customer to account for VAT",
        Decimal("0.20"),
        "GBP",
        ("Kestrel Media Ltd", "accounts@kestrel.example"),
        ("Acme Supplies Ltd", "5 Dock St, Cardiff", "ar@acme.example", "VAT Reg. GB 222 3333 44"),
        ("Pro Forma Invoice", "Statement"),
    ),
    "en-IN": Terms(
        "TAX INVOICE",
        "Invoice No.",
        "Invoice Date",
        "Due Date",
        "Bill To",
        "Taxable Value",
        "IGST 18%",
        "Invoice Total",
        "Export under LUT, no IGST",
        Decimal("0.18"),
        "INR",
        ("Bose Instruments Pvt Ltd", "accounts@bose-instr.example"),
        ("Acme Supplies India Pvt Ltd", "GSTIN 19AAACA3333D1Z4", "Salt Lake, Kolkata", "ar@acme.example"),
        ("Quotation", "Purchase Order"),
    ),
    "de": Terms(
        "RECHNUNG",
        "Rechnungsnummer",
        "Rechnungsdatum",
        "Zahlbar bis",
        "Rechnungsempfänger",
        "Nettobetrag",
        "USt. 19 %",
        "Gesamtbetrag",
        "Steuerschuldnerschaft des Leistungsempfängers",
        Decimal("0.19"),
        "EUR",
        ("Lorenz Metallbau GmbH", "buchhaltung@lorenz-metall.example"),
        ("Acme Supplies GmbH", "Domplatz 2, 50667 Köln", "ar@acme.example", "USt-IdNr. DE777888999"),
        ("Angebot", "Lieferschein"),
    ),
    "fr": Terms(
        "FACTURE",
        "Facture n°",
        "Date de facture",
        "Date d'échéance",
        "Facturé à",
        "Total HT",
        "TVA 20 %",
        "Total TTC",
        "Autoliquidation",
        Decimal("0.20"),
        "EUR",
        ("Menuiserie Blanc SARL", "compta@blanc.example"),
        ("Acme Fournitures SAS", "7 rue Nationale, Lille", "ar@acme.example", "SIRET 444 555 666 00022"),
        ("Devis", "Bon de commande"),
    ),
    "nl": Terms(
        "FACTUUR",
        "Factuurnummer",
        "Factuurdatum",
        "Vervaldatum",
        "Factuuradres",
        "Subtotaal",
        "Btw 21%",
        "Totaal",
        "Btw verlegd",
        Decimal("0.21"),
        "EUR",
        ("Hendriks Bouwadvies B.V.", "fin@hendriks.example"),
        ("Acme Supplies B.V.", "Grote Markt 8, Groningen", "ar@acme.example", "KvK 55667788"),
        ("Offerte", "Pakbon"),
    ),
    "ja": Terms(
        "請求書",
        "請求番号",
        "請求日",
        "お支払期限",
        "",
        "小計",
        "消費税(10%)",
        "ご請求金額",
        "非課税",
        Decimal("0.10"),
        "JPY",
        ("株式会社つばさ電機", "keiri@tsubasa-denki.example"),
        ("株式会社サンプル", "札幌市中央区4-4", "登録番号 T3333333333333", "ar@acme.example"),
        ("御見積書", "領収書"),
    ),
}


def _date(d: date, locale: str, rng: random.Random) -> str:
    pick = rng.random()
    if locale == "en-US":
        return d.strftime("%m/%d/%Y") if pick < 0.5 else d.isoformat()
    if locale == "en-GB":
        return d.strftime("%d/%m/%Y")
    if locale == "en-IN":
        return d.strftime("%d-%m-%Y")
    if locale == "de":
        return d.strftime("%d.%m.%Y")
    if locale == "fr":
        return d.strftime("%d/%m/%Y")
    if locale == "nl":
        return d.strftime("%d-%m-%Y")
    return f"{d.year}年{d.month}月{d.day}日"


def _amount(value: Decimal, locale: str) -> str:
    if locale == "ja":
        return f"¥{int(value):,}"
    whole, _, frac = f"{value.quantize(Decimal('0.01')):f}".partition(".")
    if locale in ("de", "nl"):
        body = f"{int(whole):,}".replace(",", ".") + "," + frac
        return body + " €" if locale == "de" else "€ " + body
    if locale == "fr":
        return f"{int(whole):,}".replace(",", " ") + "," + frac + " €"
    if locale == "en-IN":
        head, tail, groups = whole[:-3], whole[-3:], []
        while len(head) > 2:
            groups.insert(0, head[-2:])
            head = head[:-2]
        return "INR " + ",".join([g for g in [head, *groups] if g] + [tail]) + "." + frac
    return ("$" if locale == "en-US" else "£") + f"{int(whole):,}.{frac}"


def _facts(layout: Layout4, rng: random.Random) -> tuple[str, date, date, list[Decimal], Decimal, Decimal]:
    t = TERMS[layout.locale]
    number = rng.choice(["INV-{y}/{n:04d}", "#{n:05d}", "{n:08d}", "{y}-{n:06d}"]).format(
        y=2026, n=rng.randint(1, 9999)
    )
    issue = date(2026, rng.randint(1, 12), rng.randint(1, 28))
    due = issue + timedelta(days=rng.choice([14, 30, 60]))
    jpy = t.currency == "JPY"
    count = rng.randint(25, 40) if layout.style == "two_pages" else rng.randint(2, 5)
    items = [Decimal(rng.randint(800, 200000)) * (10 if jpy else Decimal("0.01")) for _ in range(count)]
    sub = sum(items, Decimal(0))
    tax = (
        Decimal(0)
        if layout.style == "vat_exempt"
        else (sub * t.rate).quantize(Decimal(1) if jpy else Decimal("0.01"), rounding=ROUND_HALF_UP)
    )
    return number, issue, due, items, sub, tax


def render(layout: Layout4, seed: int) -> tuple[bytes, Truth | None]:
    rng = random.Random(f"{layout.name}:{layout.title}:{seed}")
    t, lc, style = TERMS[layout.locale], layout.locale, layout.style
    number, issue, due, items, sub, tax = _facts(layout, rng)
    total = sub + tax
    name, email = t.customer
    font = JA_FONT if lc == "ja" else "Helvetica"
    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)

    def put(x: float, y: float, s: str, size: float = 9.0, right: bool = False) -> None:
        c.setFont(font, size)
        c.drawString(x - (stringWidth(s, font, size) if right else 0), y, s)

    meta = [(t.number, number), (t.issue, _date(issue, lc, rng)), (t.due, _date(due, lc, rng))]
    main_x = 200 if style == "sidebar" else 50
    put(main_x, 800, layout.title or t.title, 20)
    for i, row in enumerate(t.seller):
        put(545, 800 - 11 * i, row, 8, right=True)
    y = 745.0
    if lc == "ja":
        put(main_x, y, f"{name} 御中", 12)
        put(main_x, y - 14, email, 8)
    else:
        put(main_x, y, t.bill.upper() if style == "caps_labels" else t.bill, 8)
        put(main_x, y - 13, name, 10)
        put(main_x, y - 26, email, 9)
    y = 690.0
    if style == "sidebar":
        sy = 745.0
        for label, value in meta:
            put(40, sy, label, 7)
            put(40, sy - 11, value, 9)
            sy -= 32
    elif style == "header_table":
        xs = (50, 200, 350)
        for x, (label, value) in zip(xs, meta, strict=True):
            c.rect(x, y - 18, 148, 32)
            put(x + 4, y + 4, label, 8)
            put(x + 4, y - 12, value, 9)
        y -= 40
        c.rect(50, y - 14, 250, 26)
        put(56, y - 4, t.total, 10)
        put(294, y - 4, _amount(total, lc), 12, right=True)
        y -= 30
    else:
        for i, (label, value) in enumerate(meta):
            x = 50 + 170 * i
            put(x, y, label.upper() if style == "caps_labels" else label, 7)
            put(x, y - 12, value, 10)
        y -= 34
    y -= 10
    for i, value in enumerate(items):
        put(main_x, y, f"{i + 1}. " + ("部品" if lc == "ja" else "Item"), 9)
        put(545, y, _amount(value, lc), 9, right=True)
        y -= 12
        if style == "two_pages" and i == 19:
            put(50, 40, "1/2", 7)
            c.showPage()
            y = 800.0
    y -= 8
    rows = [(t.sub, sub)] + ([] if style == "vat_exempt" else [(t.tax, tax)]) + [(t.total, total)]
    for label, value in rows:
        put(350, y, label.upper() if style == "caps_labels" else label, 9)
        put(545, y, _amount(value, lc), 9, right=True)
        y -= 13
    if style == "vat_exempt":
        put(50, y - 10, t.exempt, 8)
    if lc == "en-IN":
        put(50, y - 24, "Amount in words: Indian Rupees as per the total above only", 8)
    if style == "two_pages":
        put(50, 40, "2/2", 7)
    c.save()
    truth = None if layout.title else Truth(number, name, email, total, t.currency, issue, due)
    return buf.getvalue(), truth


def body_invoice(layout: Layout4, seed: int) -> tuple[str, Truth | None]:
    """The billing system's mail, forwarded with '> ' quoting."""
    rng = random.Random(f"b4:{layout.name}:{seed}")
    t, lc = TERMS[layout.locale], layout.locale
    number, issue, due, _items, sub, tax = _facts(Layout4(lc, "caps_labels"), rng)
    total = sub + tax
    name, email = t.customer
    if lc == "ja":
        lines = [
            f"{name} 御中",
            "",
            t.title,
            f"{t.number}: {number}",
            f"{t.issue}: {_date(issue, lc, rng)}",
            f"{t.sub}: {_amount(sub, lc)}",
            f"{t.tax}: {_amount(tax, lc)}",
            f"{t.total}: {_amount(total, lc)}",
            f"{t.due}: {_date(due, lc, rng)}",
            f"メール: {email}",
        ]
    else:
        lines = [
            t.title,
            f"{t.number}: {number}",
            f"{t.issue}: {_date(issue, lc, rng)}",
            f"{t.bill}: {name}",
            f"E-mail: {email}",
            f"{t.sub}: {_amount(sub, lc)}",
            f"{t.tax}: {_amount(tax, lc)}",
            f"{t.total}: {_amount(total, lc)}",
            f"{t.due}: {_date(due, lc, rng)}",
        ]
    return "\n".join("> " + line if line else ">" for line in lines) + "\n", Truth(
        number, name, email, total, t.currency, issue, due
    )


def make_pdf(layout: Layout4, seed: int) -> tuple[bytes, Truth | None]:
    return render(layout, seed)


def subject(layout: Layout4) -> str:
    return TERMS[layout.locale].title


def heldout_layouts() -> list[Layout4]:
    return [Layout4(locale, style) for locale in LOCALES for style in STYLES]


def heldout_non_invoices() -> list[Layout4]:
    return [
        Layout4(locale, STYLES[i % len(STYLES)], title=title)
        for locale in LOCALES
        for i, title in enumerate(TERMS[locale].not_invoices)
    ]
