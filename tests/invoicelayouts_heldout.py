"""Held-out invoice layouts, written after the reader was frozen (commit 3901ce2) and never tuned on.

Other arrangements and other wording than tests/invoicelayouts.py: meta in a ruled grid, labels
right-aligned against their values, our details in a footer, totals under the line items' amount
column, invoices over two or three pages with carried-forward subtotals, a big "amount due" banner,
letter-style addressee blocks without a label (DE, NL), two tax lines (CGST + SGST), other label
synonyms and date/amount spellings per locale, and differently worded mail-body invoices.
"""

from __future__ import annotations

import calendar
import io
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

from tests.invoicefactory import JA_FONT
from tests.invoicelayouts import Truth

STYLES = ("grid", "right_labels", "footer_seller", "totals_in_column", "multi_page", "banner")
LOCALES = ("en-US", "en-GB", "en-IN", "de", "fr", "nl", "ja")


@dataclass(frozen=True)
class HeldLayout:
    locale: str
    style: str
    window_address: bool = False  # the customer as a letter address, no label
    title: str | None = None  # a non-invoice title

    @property
    def name(self) -> str:
        return f"H:{self.locale}/{self.style}/{'W' if self.window_address else '-'}"


@dataclass(frozen=True)
class Words:
    title: str
    number: str
    issue: str
    due: str
    bill: str
    sub: str
    taxes: tuple[tuple[str, Decimal], ...]
    total: str
    carried: str
    amount_due: str
    currency: str
    customers: tuple[tuple[str, str], ...]
    seller: tuple[str, ...]
    not_invoices: tuple[str, ...]


WORDS: dict[str, Words] = {
    "en-US": Words(
        "Invoice",
        "Invoice #",
        "Date",
        "Payment Due",
        "Invoice To",
        "Subtotal",
        (("Tax", Decimal("0.0725")),),
        "Balance Due",
        "Carried forward",
        "AMOUNT DUE",
        "USD",
        (("Stark Industries Inc.", "ap@stark.example"), ("Wayne Enterprises LLC", "payables@wayne.example")),
        ("Acme Supplies Ltd", "500 Harbor Blvd, Oakland CA", "accounts@acme.example", "Tax ID 98-7654321"),
        ("Proforma Invoice", "Estimate", "Credit Memo", "Remittance Advice"),
    ),
    "en-GB": Words(
        "Invoice",
        "Invoice Number",
        "Date of issue",
        "Due by",
        "Billed To",
        "Net",
        (("VAT (20%)", Decimal("0.20")),),
        "Total (GBP)",
        "Carried forward",
        "AMOUNT DUE",
        "GBP",
        (("Northwind Traders Ltd", "accounts@northwind.example"), ("Fenwick & Daughters", "ap@fenwick.example")),
        ("Acme Supplies Ltd", "2 Canal Wharf, Manchester", "accounts@acme.example", "VAT No. GB 987 6543 21"),
        ("Pro-forma Invoice", "Delivery Note", "Credit Note", "Statement"),
    ),
    "en-IN": Words(
        "Tax Invoice",
        "Invoice No.",
        "Dated",
        "Due Date",
        "Buyer (Bill to)",
        "Taxable Value",
        (("CGST 9%", Decimal("0.09")), ("SGST 9%", Decimal("0.09"))),
        "Grand Total",
        "Carried forward",
        "AMOUNT DUE",
        "INR",
        (
            ("Kapoor Agro Industries Pvt Ltd", "accounts@kapoor-agro.example"),
            ("Nair Logistics", "finance@nairlogistics.example"),
        ),
        ("Acme Supplies India Pvt Ltd", "GSTIN 29AAACA9999K1Z2", "Whitefield, Bengaluru", "accounts@acme.example"),
        ("Proforma Invoice", "Delivery Challan", "Credit Note", "Purchase Order"),
    ),
    "de": Words(
        "Rechnung",
        "Rechnungs-Nr.",
        "Datum",
        "Zahlbar bis",
        "Kunde",
        "Nettobetrag",
        (("zzgl. 19 % USt.", Decimal("0.19")),),
        "Rechnungsbetrag",
        "Übertrag",
        "ZU ZAHLEN",
        "EUR",
        (
            ("Bäckerei Hofmann GmbH", "buchhaltung@hofmann.example"),
            ("Krause Elektrotechnik KG", "rechnung@krause.example"),
        ),
        (
            "Acme Supplies GmbH",
            "Hafenweg 3, 20457 Hamburg",
            "accounts@acme.example",
            "USt-IdNr. DE987654321",
            "IBAN DE89 3704 0044 0532 0130 00",
        ),
        ("Auftragsbestätigung", "Lieferschein", "Kostenvoranschlag", "Gutschrift"),
    ),
    "fr": Words(
        "Facture",
        "Facture n°",
        "Date",
        "Échéance",
        "Client",
        "Total HT",
        (("TVA (20 %)", Decimal("0.20")),),
        "Net à payer",
        "Report",
        "MONTANT DÛ",
        "EUR",
        (("Garage Moreau SARL", "compta@moreau.example"), ("Éditions Lambert SA", "factures@lambert.example")),
        ("Acme Fournitures SAS", "8 quai des Chartrons, Bordeaux", "accounts@acme.example", "SIRET 987 654 321 00019"),
        ("Devis", "Bon de livraison", "Avoir", "Bon de commande"),
    ),
    "nl": Words(
        "Factuur",
        "Factuurnr.",
        "Datum",
        "Te betalen vóór",
        "Klant",
        "Subtotaal excl. btw",
        (("Btw 21%", Decimal("0.21")),),
        "Totaal te betalen",
        "Transport",
        "TE BETALEN",
        "EUR",
        (
            ("De Vries Techniek B.V.", "crediteuren@devries.example"),
            ("Jansen Transport B.V.", "facturen@jansen.example"),
        ),
        (
            "Acme Supplies B.V.",
            "Coolsingel 10, Rotterdam",
            "accounts@acme.example",
            "KvK 87654321",
            "BTW NL001234567B01",
        ),
        ("Offerte", "Pakbon", "Creditfactuur", "Orderbevestiging"),
    ),
    "ja": Words(
        "御請求書",
        "請求番号",
        "請求日",
        "お振込期限",
        "",
        "小計",
        (("消費税", Decimal("0.10")),),
        "合計金額(税込)",
        "繰越",
        "今回御請求額",
        "JPY",
        (("株式会社青葉システム", "keiri@aoba-sys.example"), ("有限会社北斗商会", "info@hokuto.example")),
        ("株式会社サンプル", "大阪府大阪市北区1-2-3", "登録番号 T9876543210987", "accounts@acme.example"),
        ("御見積書", "納品書", "注文請書", "領収証"),
    ),
}


def _month_end(year: int, month: int) -> date:
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return date(year, month, calendar.monthrange(year, month)[1])


_MONTHS = {
    "de": [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ],
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    "nl": [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ],
}


def say_date(d: date, locale: str, rng: random.Random) -> str:
    pick = rng.random()
    if locale == "en-US":
        return d.strftime("%b %d, %Y").replace(" 0", " ") if pick < 0.5 else d.isoformat()
    if locale == "en-GB":
        return d.strftime("%d %b %Y") if pick < 0.5 else d.strftime("%d.%m.%Y")
    if locale == "en-IN":
        return d.strftime("%d-%b-%Y")
    if locale in _MONTHS:
        sep = ". " if locale == "de" else " "
        return f"{d.day}{sep}{_MONTHS[locale][d.month - 1]} {d.year}" if pick < 0.6 else d.strftime("%d.%m.%Y")
    return d.strftime("%Y/%m/%d") if pick < 0.5 else f"{d.year}年{d.month:02d}月{d.day:02d}日"


def _fmt(value: Decimal, sep: str, point: str, decimals: int = 2) -> str:
    q = value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    whole, _, frac = f"{q:f}".partition(".")
    return f"{int(whole):,}".replace(",", sep) + (point + frac if decimals else "")


def _lakh(value: Decimal) -> str:
    whole, _, frac = f"{value.quantize(Decimal('0.01')):f}".partition(".")
    head, tail = whole[:-3], whole[-3:]
    groups = []
    while len(head) > 2:
        groups.insert(0, head[-2:])
        head = head[:-2]
    return ",".join([g for g in [head, *groups] if g] + [tail]) + "." + frac


def say_money(value: Decimal, locale: str) -> str:
    if locale == "en-US":
        return "$ " + _fmt(value, ",", ".")
    if locale == "en-GB":
        return "£" + _fmt(value, ",", ".")
    if locale == "en-IN":
        return "INR " + _lakh(value)
    if locale == "de":
        return _fmt(value, ".", ",") + " EUR"
    if locale == "fr":
        return _fmt(value, "\u00a0", ",") + "\u00a0€"
    if locale == "nl":
        return "EUR " + _fmt(value, ".", ",")
    return _fmt(value, ",", ".", 0) + "円"


@dataclass
class _Facts:
    number: str
    customer: tuple[str, str]
    issue: date
    due: date
    lines: list[tuple[str, Decimal]]
    sub: Decimal
    taxes: list[tuple[str, Decimal]]
    total: Decimal


def _facts(layout: HeldLayout, rng: random.Random) -> _Facts:
    w = WORDS[layout.locale]
    number = rng.choice(["{p}{n:05d}", "{y}/{n:04d}", "{p}-{y}-{n:03d}", "No{n:06d}"]).format(
        p=rng.choice(["INV", "R", "F", "FV", "S"]), y=2026, n=rng.randint(1, 99999)
    )
    issue = date(2026, rng.randint(1, 12), rng.randint(1, 28))
    due = (
        _month_end(issue.year, issue.month + 1)
        if layout.locale == "ja"
        else issue + timedelta(days=rng.choice([7, 14, 21, 30, 60]))
    )
    jpy = w.currency == "JPY"
    count = rng.randint(18, 40) if layout.style == "multi_page" else rng.randint(2, 6)
    lines = []
    for i in range(count):
        cents = Decimal(rng.randint(2000, 400000))
        value = (cents * 10) if jpy else cents / 100
        lines.append((f"Service line {i + 1}" if not jpy else f"作業費 {i + 1}", value))
    sub = sum((v for _, v in lines), Decimal(0))
    taxes = [
        (label, (sub * rate).quantize(Decimal(1) if jpy else Decimal("0.01"), rounding=ROUND_HALF_UP))
        for label, rate in w.taxes
    ]
    return _Facts(
        number, rng.choice(w.customers), issue, due, lines, sub, taxes, sub + sum((t for _, t in taxes), Decimal(0))
    )


class _Canvas:
    def __init__(self, font: str) -> None:
        self.buf = io.BytesIO()
        self.pdf = canvas.Canvas(self.buf, invariant=1)
        self.font = font

    def text(self, x: float, y: float, s: str, size: float = 9.0, right: bool = False) -> None:
        self.pdf.setFont(self.font, size)
        if right:
            x -= stringWidth(s, self.font, size)
        self.pdf.drawString(x, y, s)

    def box(self, x: float, y: float, w: float, h: float) -> None:
        self.pdf.rect(x, y, w, h)

    def done(self) -> bytes:
        self.pdf.save()
        return self.buf.getvalue()


def _customer_block(c: _Canvas, layout: HeldLayout, f: _Facts, x: float, y: float) -> None:
    w = WORDS[layout.locale]
    name, email = f.customer
    rows: list[str] = []
    if layout.locale == "ja":
        rows = [f"{name} 御中", "経理ご担当者様", email]
    elif layout.window_address:
        rows = [name, "Industriestraße 12" if layout.locale == "de" else "Stationsplein 4", "12345 Stadt", email]
    else:
        rows = [f"{w.bill}:", name, "Attn: Accounts", email]
    for i, row in enumerate(rows):
        c.text(x, y - 12 * i, row, 10 if i == 0 and layout.window_address else 9)


def _meta(f: _Facts, layout: HeldLayout, rng: random.Random) -> list[tuple[str, str]]:
    w = WORDS[layout.locale]
    return [
        (w.number, f.number),
        (w.issue, say_date(f.issue, layout.locale, rng)),
        (w.due, say_date(f.due, layout.locale, rng)),
    ]


def _seller_top(c: _Canvas, layout: HeldLayout, x: float, y: float) -> None:
    for i, row in enumerate(WORDS[layout.locale].seller):
        c.text(x, y - 11 * i, row, 8)


def _items(c: _Canvas, f: _Facts, layout: HeldLayout, y: float, rows: list[tuple[str, Decimal]]) -> float:
    for text, value in rows:
        c.text(60, y, text)
        c.text(540, y, say_money(value, layout.locale), right=True)
        y -= 13
    return y


def _totals(c: _Canvas, f: _Facts, layout: HeldLayout, y: float, label_x: float) -> float:
    w = WORDS[layout.locale]
    rows = [(w.sub, f.sub), *f.taxes, (w.total, f.total)]
    for label, value in rows:
        c.text(label_x, y, label, 9)
        c.text(540, y, say_money(value, layout.locale), 9, right=True)
        y -= 14
    return y


def render(layout: HeldLayout, seed: int) -> tuple[bytes, Truth | None]:
    rng = random.Random(f"{layout.name}:{layout.title}:{seed}")
    w = WORDS[layout.locale]
    f = _facts(layout, rng)
    c = _Canvas(JA_FONT if layout.locale == "ja" else "Helvetica")
    title = layout.title or w.title
    style = layout.style
    c.text(330 if style == "grid" else 50, 805, title, 20)
    meta = _meta(f, layout, rng)
    if style != "footer_seller":
        _seller_top(c, layout, 330 if style != "grid" else 50, 780)
    _customer_block(c, layout, f, 50 if style != "grid" else 330, 730 if style != "grid" else 780)
    y = 650.0
    if style == "grid":
        for i, (label, value) in enumerate(meta):
            x = 50 + 165 * i
            c.box(x, y - 8, 160, 30)
            c.text(x + 4, y + 12, label, 7)
            c.text(x + 4, y - 2, value, 10)
        y -= 40
    elif style == "right_labels":
        for label, value in meta:
            c.text(420, y, label + ":", 9, right=True)
            c.text(430, y, value)
            y -= 13
    elif style == "banner":
        c.box(380, y - 40, 170, 50)
        c.text(390, y - 5, w.amount_due, 8)
        c.text(390, y - 28, say_money(f.total, layout.locale), 16)
        for i, (label, value) in enumerate(meta):
            c.text(50, y - 13 * i, f"{label}  {value}")
        y -= 60
    else:
        for label, value in meta:
            c.text(330, y, label)
            c.text(450, y, value)
            y -= 13
    y -= 20
    if style == "multi_page":
        per_page = 14
        chunks = [f.lines[i : i + per_page] for i in range(0, len(f.lines), per_page)]
        running = Decimal(0)
        for n, chunk in enumerate(chunks):
            y = _items(c, f, layout, y, chunk)
            running += sum((v for _, v in chunk), Decimal(0))
            if n < len(chunks) - 1:
                c.text(300, y - 6, w.carried, 9)
                c.text(540, y - 6, say_money(running, layout.locale), 9, right=True)
                c.text(50, 40, f"{n + 1}/{len(chunks)}", 7)
                c.pdf.showPage()
                y = 800.0
                c.text(300, y, w.carried, 9)
                c.text(540, y, say_money(running, layout.locale), 9, right=True)
                y -= 20
        _totals(c, f, layout, y - 10, 330)
    else:
        y = _items(c, f, layout, y, f.lines)
        _totals(c, f, layout, y - 10, 380 if style == "totals_in_column" else 60)
    if style == "footer_seller":
        for i, row in enumerate(w.seller):
            c.text(50 + 130 * (i % 4), 60 - 10 * (i // 4), row, 7)
    truth = None if layout.title else Truth(f.number, f.customer[0], f.customer[1], f.total, w.currency, f.issue, f.due)
    return c.done(), truth


def make_pdf(layout: HeldLayout, seed: int) -> tuple[bytes, Truth | None]:
    return render(layout, seed)


def body_invoice(layout: HeldLayout, seed: int) -> tuple[str, Truth | None]:
    """An invoice typed by a person into a mail, worded differently from the PDF layouts."""
    rng = random.Random(f"body:{layout.name}:{seed}")
    w = WORDS[layout.locale]
    f = _facts(HeldLayout(layout.locale, "grid"), rng)
    lc = layout.locale
    name, email = f.customer
    issue, due = say_date(f.issue, lc, rng), say_date(f.due, lc, rng)
    if lc == "ja":
        text = (
            f"{name} 御中\n\nいつもお世話になっております。\n下記の通りご請求申し上げます。\n\n{w.title}\n"
            f"{w.number}：{f.number}\n{w.issue}：{issue}\n小計：{say_money(f.sub, lc)}\n"
            f"消費税：{say_money(f.taxes[0][1], lc)}\nご請求金額：{say_money(f.total, lc)}\n"
            f"{w.due}：{due}\nご連絡先：{email}\n"
        )
    else:
        lines = [
            w.title.upper(),
            "",
            f"{w.number}: {f.number}",
            f"{w.issue}: {issue}",
            "",
            f"{w.bill or 'Customer'}: {name}" if lc not in ("de", "nl") else f"Kunde: {name}",
            f"E-mail: {email}",
            "",
        ]
        lines += [f"{text}: {say_money(v, lc)}" for text, v in f.lines[:3]] if len(f.lines) <= 3 else []
        lines += [
            f"{w.sub}: {say_money(f.sub, lc)}",
            *[f"{t}: {say_money(v, lc)}" for t, v in f.taxes],
            f"{w.total}: {say_money(f.total, lc)}",
            f"{w.due}: {due}",
        ]
        text = "\n".join(lines) + "\n"
    return text, Truth(f.number, name, email, f.total, w.currency, f.issue, f.due)


def subject(layout: HeldLayout) -> str:
    return WORDS[layout.locale].title


def heldout_layouts() -> list[HeldLayout]:
    out = []
    for locale in LOCALES:
        for i, style in enumerate(STYLES):
            window = locale in ("de", "nl") and i % 2 == 0
            out.append(HeldLayout(locale, style, window_address=window))
    return out


def heldout_non_invoices() -> list[HeldLayout]:
    return [
        HeldLayout(locale, STYLES[i % len(STYLES)], title=title)
        for locale in LOCALES
        for i, title in enumerate(WORDS[locale].not_invoices)
    ]
