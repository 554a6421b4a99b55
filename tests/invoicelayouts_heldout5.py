"""Fifth held-out set, written after the reader was frozen at b9544d0 (after round 5 and the consistency
rule), never tuned on.

Other variations again: ship-to left and bill-to right, an "Attention:" line above the company, a
service period (two dates) above the invoice date, French typography ("Échéance : …"), discounts in
parentheses, amounts with the code after them ("1,234.56 USD"), ordinal dates ("1st April 2026"),
"Page 1 of 1" and "Original for recipient" lines, full-width Japanese digits (１２３，４５６円), and mail
bodies with "Amount:" lines.
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

STYLES = ("ship_left", "service_period", "paren_discount", "code_after", "page_marks")
LOCALES = ("en-US", "en-GB", "en-IN", "de", "fr", "nl", "ja")


@dataclass(frozen=True)
class Layout5:
    locale: str
    style: str
    title: str | None = None

    @property
    def name(self) -> str:
        return f"H5:{self.locale}/{self.style}"


@dataclass(frozen=True)
class Words5:
    title: str
    number: str
    issue: str
    due: str
    bill: str
    ship: str
    period: str
    sub: str
    discount: str
    tax: str
    total: str
    rate: Decimal
    currency: str
    code: str
    customer: tuple[str, str]
    seller: tuple[str, ...]
    not_invoices: tuple[str, ...]


W: dict[str, Words5] = {
    "en-US": Words5(
        "INVOICE",
        "Invoice #",
        "Invoice Date",
        "Due Date",
        "Bill To",
        "Ship To",
        "Service Period",
        "Subtotal",
        "Discount",
        "Tax (7%)",
        "Amount Due",
        Decimal("0.07"),
        "USD",
        "USD",
        ("Pied Piper Inc.", "billing@piedpiper.example"),
        ("Acme Supplies Ltd", "200 Bay St, San Jose CA", "ar@acme.example"),
        ("Quotation", "Credit Memo"),
    ),
    "en-GB": Words5(
        "Invoice",
        "Invoice No",
        "Invoice Date",
        "Due Date",
        "Invoice To",
        "Deliver To",
        "Period",
        "Sub Total",
        "Discount",
        "VAT @ 20%",
        "Total Due",
        Decimal("0.20"),
        "GBP",
        "GBP",
        ("Ashworth Dental Practice", "practice@ashworth.example"),
        ("Acme Supplies Ltd", "3 Quay Rd, Hull", "ar@acme.example", "Company No. 07777777"),
        ("Estimate", "Statement of Account"),
    ),
    "en-IN": Words5(
        "TAX INVOICE",
        "Invoice No.",
        "Invoice Date",
        "Due Date",
        "Billed To",
        "Shipped To",
        "Period",
        "Sub Total",
        "Discount",
        "GST 18%",
        "Total Amount",
        Decimal("0.18"),
        "INR",
        "INR",
        ("Gupta Retail LLP", "accounts@guptaretail.example"),
        ("Acme Supplies India Pvt Ltd", "GSTIN 24AAACA4444E1Z5", "Ahmedabad", "ar@acme.example"),
        ("Proforma Invoice", "Credit Note"),
    ),
    "de": Words5(
        "Rechnung",
        "Rechnungs-Nr.",
        "Rechnungsdatum",
        "Zahlbar bis",
        "Rechnungsadresse",
        "Lieferadresse",
        "Leistungszeitraum",
        "Zwischensumme",
        "Rabatt",
        "MwSt. 19%",
        "Rechnungsbetrag",
        Decimal("0.19"),
        "EUR",
        "EUR",
        ("Braun Dachtechnik GmbH", "buero@braun-dach.example"),
        ("Acme Supplies GmbH", "Altmarkt 4, 01067 Dresden", "ar@acme.example", "USt-IdNr. DE121212121"),
        ("Angebot", "Lieferschein"),
    ),
    "fr": Words5(
        "Facture",
        "Facture N°",
        "Date",
        "Échéance",
        "Adresse de facturation",
        "Adresse de livraison",
        "Période",
        "Sous-total HT",
        "Remise",
        "TVA 20%",
        "Montant TTC",
        Decimal("0.20"),
        "EUR",
        "EUR",
        ("Transports Mercier SAS", "compta@mercier.example"),
        ("Acme Fournitures SAS", "5 rue du Port, Nantes", "ar@acme.example", "SIRET 321 654 987 00033"),
        ("Devis", "Avoir"),
    ),
    "nl": Words5(
        "Factuur",
        "Factuurnummer",
        "Datum",
        "Betalen voor",
        "Factuuradres",
        "Afleveradres",
        "Periode",
        "Subtotaal",
        "Korting",
        "BTW 21%",
        "Totaal",
        Decimal("0.21"),
        "EUR",
        "EUR",
        ("Kok Interieurbouw B.V.", "administratie@kok.example"),
        ("Acme Supplies B.V.", "Vismarkt 2, Leiden", "ar@acme.example", "KvK 44332211"),
        ("Offerte", "Creditnota"),
    ),
    "ja": Words5(
        "請求書",
        "請求書No.",
        "請求日",
        "お支払期限",
        "",
        "納品先",
        "対象期間",
        "小計",
        "値引",
        "消費税(10%)",
        "御請求金額",
        Decimal("0.10"),
        "JPY",
        "円",
        ("株式会社かもめ食品", "keiri@kamome-foods.example"),
        ("株式会社サンプル", "仙台市青葉区5-5", "登録番号 T2222222222222", "ar@acme.example"),
        ("御見積書", "納品書"),
    ),
}
_FW = str.maketrans("0123456789,", "０１２３４５６７８９，")


def _date(d: date, locale: str, rng: random.Random) -> str:
    pick = rng.random()
    suffix = {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd", 31: "st"}.get(d.day, "th")
    if locale == "en-US":
        return f"{d.strftime('%B')} {d.day}{suffix}, {d.year}" if pick < 0.5 else d.strftime("%m/%d/%Y")
    if locale in ("en-GB", "en-IN"):
        return f"{d.day}{suffix} {d.strftime('%B %Y')}" if pick < 0.5 else d.strftime("%d/%m/%Y")
    if locale == "de":
        return d.strftime("%d.%m.%Y")
    if locale == "fr":
        return d.strftime("%d/%m/%Y")
    if locale == "nl":
        return d.strftime("%d-%m-%Y")
    return f"{d.year}年{d.month}月{d.day}日"


def _money(value: Decimal, locale: str, style: str, negative_paren: bool = False) -> str:
    jpy = locale == "ja"
    q = abs(value).quantize(Decimal(1) if jpy else Decimal("0.01"), rounding=ROUND_HALF_UP)
    whole, _, frac = f"{q:f}".partition(".")
    if locale in ("de", "nl"):
        body = f"{int(whole):,}".replace(",", ".") + "," + frac
    elif locale == "fr":
        body = f"{int(whole):,}".replace(",", "\u00a0") + "," + frac
    elif jpy:
        body = f"{int(whole):,}"
    else:
        body = f"{int(whole):,}.{frac}"
    code = W[locale].code
    if jpy:
        text = body.translate(_FW) + "円" if style == "code_after" else "¥" + body
    elif style == "code_after" or locale in ("de", "fr"):
        text = f"{body} {'€' if locale in ('de', 'fr') and style != 'code_after' else code}"
    else:
        text = {"en-US": "$", "en-GB": "£", "en-IN": "Rs. ", "nl": "€ "}[locale] + body
    if value < 0:
        text = f"({text})" if negative_paren else "-" + text
    return text


def _facts(layout: Layout5, rng: random.Random) -> tuple[str, date, date, list[Decimal], Decimal, Decimal, Decimal]:
    w = W[layout.locale]
    number = rng.choice(["{n:05d}", "IN-{y}-{n:04d}", "{y}{n:06d}", "B{n:06d}"]).format(y=2026, n=rng.randint(1, 9999))
    issue = date(2026, rng.randint(1, 12), rng.randint(1, 28))
    due = issue + timedelta(days=rng.choice([15, 30, 45]))
    jpy = w.currency == "JPY"
    unit = Decimal(1) if jpy else Decimal("0.01")
    items = [Decimal(rng.randint(1000, 150000)) * (10 if jpy else unit) for _ in range(rng.randint(2, 4))]
    sub = sum(items, Decimal(0))
    discount = (sub * Decimal("0.1")).quantize(unit) if layout.style == "paren_discount" else Decimal(0)
    tax = ((sub - discount) * w.rate).quantize(unit, rounding=ROUND_HALF_UP)
    return number, issue, due, items, sub, discount, tax


def render(layout: Layout5, seed: int) -> tuple[bytes, Truth | None]:
    rng = random.Random(f"{layout.name}:{layout.title}:{seed}")
    w, lc, style = W[layout.locale], layout.locale, layout.style
    number, issue, due, items, sub, discount, tax = _facts(layout, rng)
    total = sub - discount + tax
    name, email = w.customer
    font = JA_FONT if lc == "ja" else "Helvetica"
    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)

    def put(x: float, y: float, s: str, size: float = 9.0, right: bool = False) -> None:
        c.setFont(font, size)
        c.drawString(x - (stringWidth(s, font, size) if right else 0), y, s)

    put(50, 800, layout.title or w.title, 18)
    if style == "page_marks":
        put(545, 815, "Page 1 of 1" if lc != "ja" else "1/1", 7, right=True)
        if lc == "en-IN":
            put(545, 805, "ORIGINAL FOR RECIPIENT", 7, right=True)
    for i, row in enumerate(w.seller):
        put(50, 780 - 10 * i, row, 8)
    y = 720.0
    bill_x, ship_x = (330, 50) if style == "ship_left" else (50, 330)
    if lc == "ja":
        put(bill_x, y, f"{name} 御中", 11)
        put(bill_x, y - 13, email, 8)
    else:
        put(bill_x, y, w.bill + ":", 8)
        put(
            bill_x,
            y - 12,
            "Attention: Accounts Payable"
            if lc.startswith("en")
            else "z. Hd. Buchhaltung"
            if lc == "de"
            else "A l'attention de la comptabilité"
            if lc == "fr"
            else "t.a.v. administratie",
            8,
        )
        put(bill_x, y - 24, name, 10)
        put(bill_x, y - 36, email, 8)
    if style == "ship_left" or rng.random() < 0.4:
        put(ship_x, y, w.ship + ":", 8)
        put(ship_x, y - 12, "Werkhalle 2" if lc == "de" else "Dock 4" if lc != "ja" else "第二倉庫", 8)
    y = 650.0
    if style == "service_period":
        start = issue.replace(day=1) - timedelta(days=28)
        put(330, y, f"{w.period}: {_date(start, lc, rng)} – {_date(start + timedelta(days=27), lc, rng)}", 8)
        y -= 14
    sep = " : " if lc == "fr" else ": "
    for label, value in ((w.number, number), (w.issue, _date(issue, lc, rng)), (w.due, _date(due, lc, rng))):
        put(330, y, f"{label}{sep}{value}", 9)
        y -= 13
    y -= 16
    for i, value in enumerate(items):
        put(50, y, f"{i + 1}  " + ("品目" if lc == "ja" else "Article"), 9)
        put(545, y, _money(value, lc, style), 9, right=True)
        y -= 12
    y -= 8
    rows: list[tuple[str, Decimal]] = [(w.sub, sub)]
    if discount:
        rows.append((w.discount, -discount))
    rows += [(w.tax, tax), (w.total, total)]
    for label, value in rows:
        put(350, y, label, 9)
        put(545, y, _money(value, lc, style, negative_paren=True), 9, right=True)
        y -= 13
    c.save()
    truth = None if layout.title else Truth(number, name, email, total, w.currency, issue, due)
    return buf.getvalue(), truth


def body_invoice(layout: Layout5, seed: int) -> tuple[str, Truth | None]:
    rng = random.Random(f"b5:{layout.name}:{seed}")
    w, lc = W[layout.locale], layout.locale
    number, issue, due, _items, sub, _discount, tax = _facts(Layout5(lc, "code_after"), rng)
    total = sub + tax
    name, email = w.customer
    if lc == "ja":
        text = (
            f"{name} 御中\nいつもお世話になっております。\n\n{w.title}\n{w.number}：{number}\n"
            f"{w.issue}：{_date(issue, lc, rng)}\n{w.total}：{_money(total, lc, 'code_after')}（税込）\n"
            f"{w.due}：{_date(due, lc, rng)}\nご担当者メール：{email}\n"
        )
    else:
        amount = "Amount" if lc.startswith("en") else w.total
        text = (
            f"{w.title}\n{w.number}: {number}\n{w.issue}: {_date(issue, lc, rng)}\n{w.bill}: {name}\n"
            f"Email: {email}\n{amount}: {_money(total, lc, 'code_after')}\n{w.due}: {_date(due, lc, rng)}\n"
        )
    return text, Truth(number, name, email, total, w.currency, issue, due)


def make_pdf(layout: Layout5, seed: int) -> tuple[bytes, Truth | None]:
    return render(layout, seed)


def subject(layout: Layout5) -> str:
    return W[layout.locale].title


def heldout_layouts() -> list[Layout5]:
    return [Layout5(locale, style) for locale in LOCALES for style in STYLES]


def heldout_non_invoices() -> list[Layout5]:
    return [
        Layout5(locale, STYLES[i % len(STYLES)], title=t)
        for locale in LOCALES
        for i, t in enumerate(W[locale].not_invoices)
    ]
