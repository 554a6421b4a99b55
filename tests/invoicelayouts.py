"""A generator of invoice PDFs (and mail-body invoices) in many layouts, with the truth each one states.

A layout is a combination of independent choices, each a way real billing systems print invoices:
  - locale: en-US, en-GB, en-IN, de, fr, nl, ja (labels, date and amount formats, tax names);
  - header: seller and customer side by side drawn row by row (so a flat text stream interleaves them),
    stacked, or the customer on the left and the seller on the right;
  - meta: "label: value" on one line, labels in one column and values in another, the value under its
    label, a caption under its value, or a header row of labels over a row of values;
  - totals: label/value rows, a right-hand totals box inside a line-item table, or (ja) a carry-over
    請求書 row: 前回御請求額 / 御入金額 / 繰越金額 / 今回お買上額 / 消費税 / 今回御請求額;
  - other parties: a ship-to and/or remit-to block beside the bill-to block, a company number and our
    own registration in the seller block;
  - due: a printed date, or payment terms only ("Net 30", 月末締め翌月末払い).

    doc = make_pdf(Layout(locale="de", header="side_by_side", meta="value_below"), seed=3)
    doc.pdf, doc.truth

Each choice is drawn with reportlab as separate text runs at their own positions, as generators do.
"""

from __future__ import annotations

import calendar
import io
import itertools
import random
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from reportlab.pdfgen import canvas

from tests.invoicefactory import JA_FONT

LOCALES = ("en-US", "en-GB", "en-IN", "de", "fr", "nl", "ja")
HEADERS = ("side_by_side", "stacked", "customer_left")
METAS = ("inline", "label_column", "value_below", "caption_below", "header_row")
TOTALS = ("rows", "table_box", "carry_over")


@dataclass(frozen=True)
class Truth:
    number: str
    customer_name: str
    customer_email: str | None
    amount: Decimal
    currency: str
    issue_date: date
    due_date: date


@dataclass(frozen=True)
class Layout:
    locale: str = "en-US"
    header: str = "stacked"
    meta: str = "inline"
    totals: str = "rows"
    ship_to: bool = False
    remit_to: bool = False
    terms_only: bool = False
    title: str | None = None  # a non-invoice title (quote, order …) when set; the truth is then "none"

    @property
    def name(self) -> str:
        extras = "".join(c for c, on in (("S", self.ship_to), ("R", self.remit_to), ("T", self.terms_only)) if on)
        return f"{self.locale}/{self.header}/{self.meta}/{self.totals}/{extras or '-'}"


@dataclass(frozen=True)
class Locale:
    currency: str
    title: str
    labels: dict[str, str]
    tax_rate: Decimal
    customers: tuple[tuple[str, str], ...]  # (name, email)
    seller: tuple[str, ...]  # seller block lines (we are the seller)
    terms: tuple[tuple[str, int | str], ...]  # (wording, days or "eom_next")
    not_invoices: tuple[str, ...]


_EN_LABELS = {
    "number": "Invoice No.",
    "issue": "Invoice Date",
    "due": "Due Date",
    "bill": "Bill To",
    "ship": "Ship To",
    "remit": "Remit To",
    "sub": "Subtotal",
    "tax": "Tax",
    "total": "Total Due",
    "terms": "Payment Terms",
    "item": "Description",
    "qty": "Qty",
    "price": "Unit Price",
    "line": "Amount",
}
LOCALE_DATA: dict[str, Locale] = {
    "en-US": Locale(
        "USD",
        "INVOICE",
        {**_EN_LABELS, "tax": "Sales Tax (8%)"},
        Decimal("0.08"),
        (
            ("Globex Corporation", "ap@globex.example"),
            ("Initech LLC", "payables@initech.example"),
            ("Umbrella Health Inc.", "invoices@umbrella.example"),
        ),
        ("Acme Supplies Ltd", "12 Market Street, Springfield", "billing@acme.example", "EIN 12-3456789"),
        (("Net 30", 30), ("Net 45", 45), ("Payment due within 15 days", 15)),
        ("QUOTATION", "PURCHASE ORDER", "STATEMENT OF ACCOUNT", "RECEIPT", "CREDIT NOTE"),
    ),
    "en-GB": Locale(
        "GBP",
        "Invoice",
        {**_EN_LABELS, "tax": "VAT @ 20%", "total": "Amount Due"},
        Decimal("0.20"),
        (("Wessex Logistics Ltd", "accounts@wessex.example"), ("Pemberton & Hale LLP", "finance@pemberton.example")),
        (
            "Acme Supplies Ltd",
            "Unit 4, Riverside Park, Leeds",
            "billing@acme.example",
            "Company No. 08123456",
            "VAT Reg. GB 123 4567 89",
        ),
        (("30 days net", 30), ("Payment within 14 days", 14)),
        ("Quotation", "Purchase Order", "Statement of Account", "Receipt", "Credit Note"),
    ),
    "en-IN": Locale(
        "INR",
        "TAX INVOICE",
        {**_EN_LABELS, "tax": "IGST 18%", "total": "Total Amount Payable", "number": "Invoice No"},
        Decimal("0.18"),
        (
            ("Sharma Textiles Pvt Ltd", "accounts@sharmatextiles.example"),
            ("Rao Engineering Works", "billing@raoeng.example"),
        ),
        ("Acme Supplies India Pvt Ltd", "GSTIN 27AAACA1234F1Z5", "Andheri East, Mumbai", "billing@acme.example"),
        (("Net 30", 30), ("Payment within 15 days", 15)),
        ("QUOTATION", "PURCHASE ORDER", "RECEIPT", "CREDIT NOTE"),
    ),
    "de": Locale(
        "EUR",
        "Rechnung",
        {
            "number": "Rechnungsnummer",
            "issue": "Rechnungsdatum",
            "due": "Fällig am",
            "bill": "Rechnungsempfänger",
            "ship": "Lieferadresse",
            "remit": "Bankverbindung",
            "sub": "Zwischensumme",
            "tax": "MwSt. 19 %",
            "total": "Gesamtbetrag",
            "terms": "Zahlungsbedingungen",
            "item": "Beschreibung",
            "qty": "Menge",
            "price": "Einzelpreis",
            "line": "Betrag",
        },
        Decimal("0.19"),
        (
            ("Müller Maschinenbau GmbH", "buchhaltung@mueller-mb.example"),
            ("Schneider & Söhne KG", "rechnungen@schneider.example"),
        ),
        (
            "Acme Supplies GmbH",
            "Hauptstraße 5, 10115 Berlin",
            "billing@acme.example",
            "USt-IdNr. DE123456789",
            "HRB 12345",
        ),
        (("Zahlbar innerhalb von 14 Tagen", 14), ("Zahlbar innerhalb 30 Tagen netto", 30)),
        ("Angebot", "Bestellung", "Kontoauszug", "Quittung", "Gutschrift"),
    ),
    "fr": Locale(
        "EUR",
        "Facture",
        {
            "number": "N° de facture",
            "issue": "Date de facture",
            "due": "Date d'échéance",
            "bill": "Facturé à",
            "ship": "Adresse de livraison",
            "remit": "Coordonnées bancaires",
            "sub": "Total HT",
            "tax": "TVA 20 %",
            "total": "Total TTC",
            "terms": "Conditions de paiement",
            "item": "Désignation",
            "qty": "Qté",
            "price": "Prix unitaire",
            "line": "Montant",
        },
        Decimal("0.20"),
        (("Société Durand SARL", "compta@durand.example"), ("Boulangeries Lefèvre SAS", "factures@lefevre.example")),
        ("Acme Fournitures SAS", "12 rue de la Paix, 75002 Paris", "billing@acme.example", "SIRET 123 456 789 00012"),
        (("Paiement à 30 jours", 30), ("Paiement à 45 jours", 45)),
        ("Devis", "Bon de commande", "Relevé de compte", "Reçu", "Avoir"),
    ),
    "nl": Locale(
        "EUR",
        "Factuur",
        {
            "number": "Factuurnummer",
            "issue": "Factuurdatum",
            "due": "Vervaldatum",
            "bill": "Factuuradres",
            "ship": "Afleveradres",
            "remit": "Betalen aan",
            "sub": "Subtotaal",
            "tax": "BTW 21%",
            "total": "Totaal incl. BTW",
            "terms": "Betalingsvoorwaarden",
            "item": "Omschrijving",
            "qty": "Aantal",
            "price": "Prijs",
            "line": "Bedrag",
        },
        Decimal("0.21"),
        (
            ("Van Dijk Installatietechniek B.V.", "administratie@vandijk.example"),
            ("Bakker Bouw B.V.", "facturen@bakkerbouw.example"),
        ),
        ("Acme Supplies B.V.", "Keizersgracht 1, Amsterdam", "billing@acme.example", "KvK 12345678"),
        (("Betaling binnen 30 dagen", 30), ("Betaling binnen 14 dagen", 14)),
        ("Offerte", "Inkooporder", "Rekeningoverzicht", "Kwitantie", "Creditnota"),
    ),
    "ja": Locale(
        "JPY",
        "請 求 書",
        {
            "number": "請求書番号",
            "issue": "発行日",
            "due": "お支払期限",
            "bill": "請求先",
            "ship": "納品先",
            "remit": "お振込先",
            "sub": "小計",
            "tax": "消費税(10%)",
            "total": "ご請求金額(税込)",
            "terms": "お支払条件",
            "item": "品名",
            "qty": "数量",
            "price": "単価",
            "line": "金額",
        },
        Decimal("0.10"),
        (
            ("株式会社山田商事", "keiri@yamada-shoji.example"),
            ("有限会社田中製作所", "tanaka@tanaka-ss.example"),
            ("合同会社みどり企画", "info@midori.example"),
        ),
        ("株式会社サンプル", "〒100-0001 東京都千代田区1-1", "登録番号 T1234567890123", "billing@acme.example"),
        (("月末締め翌月末払い", "eom_next"), ("請求書発行日から30日以内", 30)),
        ("御見積書", "注文書", "領収書", "納品書"),
    ),
}
OWN_NAMES = (
    "Acme Supplies Ltd",
    "Acme Supplies GmbH",
    "Acme Fournitures SAS",
    "Acme Supplies B.V.",
    "Acme Supplies India Pvt Ltd",
    "株式会社サンプル",
)


def _group(value: Decimal, sep: str, point: str, decimals: int, indian: bool = False) -> str:
    q = value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    whole, _, frac = f"{q:f}".partition(".")
    if indian and len(whole) > 3:
        head, tail = whole[:-3], whole[-3:]
        parts = []
        while len(head) > 2:
            parts.insert(0, head[-2:])
            head = head[:-2]
        grouped = ",".join([head, *parts, tail]) if head else ",".join([*parts, tail])
    else:
        grouped = f"{int(whole):,}".replace(",", sep)
    return grouped + (point + frac if decimals else "")


def money(value: Decimal, locale: str, rng: random.Random | None = None) -> str:
    """How the locale prints an amount (varied by rng where real invoices vary)."""
    pick = (rng or random.Random(0)).random()
    if locale == "en-US":
        return "$" + _group(value, ",", ".", 2) if pick < 0.7 else "USD " + _group(value, ",", ".", 2)
    if locale == "en-GB":
        return "£" + _group(value, ",", ".", 2)
    if locale == "en-IN":
        return ("Rs. " if pick < 0.5 else "INR ") + _group(value, ",", ".", 2, indian=True)
    if locale == "de":
        return _group(value, ".", ",", 2) + " €" if pick < 0.6 else "EUR " + _group(value, ".", ",", 2)
    if locale == "fr":
        return _group(value, "\u00a0", ",", 2) + " €" if pick < 0.6 else _group(value, ".", ",", 2) + " EUR"
    if locale == "nl":
        return "€ " + _group(value, ".", ",", 2)
    return ("¥" + _group(value, ",", ".", 0)) if pick < 0.6 else _group(value, ",", ".", 0) + "円"


def print_date(d: date, locale: str, rng: random.Random | None = None) -> str:
    pick = (rng or random.Random(0)).random()
    if locale == "en-US":
        return d.strftime("%m/%d/%Y") if pick < 0.6 else d.strftime("%B %d, %Y")
    if locale == "en-GB":
        return d.strftime("%d/%m/%Y") if pick < 0.6 else f"{d.day} {d.strftime('%B %Y')}"
    if locale == "en-IN":
        return d.strftime("%d-%m-%Y") if pick < 0.5 else d.strftime("%d/%m/%Y")
    if locale == "de":
        return d.strftime("%d.%m.%Y")
    if locale in ("fr",):
        return d.strftime("%d/%m/%Y")
    if locale == "nl":
        return d.strftime("%d-%m-%Y")
    return f"{d.year}年{d.month}月{d.day}日" if pick < 0.6 else f"令和{d.year - 2018}年{d.month}月{d.day}日"


def _month_end(year: int, month: int) -> date:
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return date(year, month, calendar.monthrange(year, month)[1])


@dataclass
class Doc:
    layout: Layout
    truth: Truth | None  # None: not an invoice
    pdf: bytes = b""
    cells: list[tuple[float, float, str, float]] = field(default_factory=list)  # x, y, text, size


@dataclass
class _Facts:
    loc: Locale
    number: str
    customer: tuple[str, str]
    issue: date
    due: date
    terms: str
    items: list[tuple[str, int, Decimal]]
    sub: Decimal
    tax: Decimal
    total: Decimal
    previous: Decimal = Decimal(0)
    paid: Decimal = Decimal(0)


def _facts(layout: Layout, rng: random.Random) -> _Facts:
    loc = LOCALE_DATA[layout.locale]
    number = rng.choice(["INV-{y}-{n:04d}", "{n:06d}", "F{y}{n:05d}", "{y}-{n:04d}", "RE-{n:05d}"]).format(
        y=2026, n=rng.randint(1, 9999)
    )
    issue = date(2026, rng.randint(1, 11), rng.randint(1, 28))
    wording, days = rng.choice(loc.terms)
    due = _month_end(issue.year, issue.month + 1) if days == "eom_next" else issue + timedelta(days=int(days))
    decimals = 0 if loc.currency == "JPY" else 2
    scale = Decimal(1000) if loc.currency == "JPY" else Decimal(10) if loc.currency == "INR" else Decimal(1)
    items = []
    for i in range(rng.randint(1, 4)):
        price = (Decimal(rng.randint(500, 90000)) / 100 * scale).quantize(Decimal(1).scaleb(-decimals))
        items.append((f"Item {i + 1}" if layout.locale != "ja" else f"品目{i + 1}", rng.randint(1, 9), price))
    sub = sum((q * p for _, q, p in items), Decimal(0))
    tax = (sub * loc.tax_rate).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    previous = (sub * Decimal("0.7")).quantize(Decimal(1)) if layout.totals == "carry_over" else Decimal(0)
    paid = previous if layout.totals == "carry_over" and rng.random() < 0.5 else previous - previous // 3
    return _Facts(
        loc,
        number,
        rng.choice(loc.customers),
        issue,
        due,
        wording,
        items,
        sub,
        tax,
        sub + tax + (previous - paid),
        previous,
        paid,
    )


class _Page:
    def __init__(self, font: str) -> None:
        self.font = font
        self.cells: list[tuple[float, float, str, float]] = []

    def put(self, x: float, y: float, text: str, size: float = 9.5, right: bool = False) -> None:
        if right:
            from reportlab.pdfbase.pdfmetrics import stringWidth

            x -= stringWidth(text, self.font, size)
        self.cells.append((x, y, text, size))


def _render(layout: Layout, f: _Facts, rng: random.Random) -> list[tuple[float, float, str, float]]:
    loc, lab, lc = f.loc, f.loc.labels, layout.locale
    page = _Page(JA_FONT if lc == "ja" else "Helvetica")
    title = layout.title or loc.title
    page.put(50 if rng.random() < 0.5 else 250, 800, title, 18)
    # header: seller (us) and the customer, maybe other parties
    seller = list(loc.seller)
    name, email = f.customer
    bill = [
        lab["bill"] + ":",
        name + (" 御中" if lc == "ja" and rng.random() < 0.5 else ""),
        "経理部 ご担当者様" if lc == "ja" else "Attn: Accounts Payable",
        email,
    ]
    if lc == "ja" and "御中" not in bill[1]:
        bill[2] = "経理部 山田 太郎 様"
    blocks = [bill]
    if layout.ship_to:
        blocks.append([lab["ship"] + ":", "Warehouse 3" if lc != "ja" else "第三倉庫", "Port Road 9"])
    y0 = 760.0
    if layout.header == "stacked":
        y = y0
        for line in seller:
            page.put(50, y, line)
            y -= 13
        y -= 10
        for i, block in enumerate(blocks):
            for j, line in enumerate(block):
                page.put(50 + 200 * i, y - 13 * j, line)
        y_after = y - 13 * max(len(b) for b in blocks) - 15
    else:
        left_x, right_x = (50, 330) if layout.header == "side_by_side" else (330, 50)
        rows = max(len(seller), len(bill))
        for j in range(rows):  # drawn row by row: a flat text stream interleaves the two columns
            if j < len(seller):
                page.put(left_x, y0 - 13 * j, seller[j])
            if j < len(bill):
                page.put(right_x, y0 - 13 * j, bill[j])
        y_after = y0 - 13 * rows - 15
        for i, block in enumerate(blocks[1:]):
            for j, line in enumerate(block):
                page.put(330 + 120 * i if layout.header == "side_by_side" else 50, y_after - 13 * j, line)
        if len(blocks) > 1:
            y_after -= 13 * 3 + 10
    # meta
    meta = [(lab["number"], f.number), (lab["issue"], print_date(f.issue, lc, rng))]
    if layout.terms_only:
        meta.append((lab["terms"], f.terms))
    else:
        meta.append((lab["due"], print_date(f.due, lc, rng)))
    y = y_after
    if layout.meta == "inline":
        for label, value in meta:
            page.put(330, y, f"{label}: {value}")
            y -= 14
    elif layout.meta == "label_column":
        for label, value in meta:
            page.put(330, y, label)
            page.put(440, y, value)
            y -= 14
    elif layout.meta == "value_below":
        for i, (label, value) in enumerate(meta):
            page.put(50 + 170 * i, y, label, 8)
            page.put(50 + 170 * i, y - 12, value, 10)
        y -= 26
    elif layout.meta == "caption_below":
        for i, (label, value) in enumerate(meta):
            page.put(50 + 170 * i, y, value, 11)
            page.put(50 + 170 * i, y - 11, label, 7)
        y -= 26
    else:  # header_row: labels in a row, values in the row below, like a table
        xs = [50, 200, 330, 460]
        for i, (label, _) in enumerate(meta):
            page.put(xs[i], y, label, 8)
        for i, (_, value) in enumerate(meta):
            page.put(xs[i], y - 13, value)
        y -= 30
    y -= 14
    # line items
    for x, head in ((50, lab["item"]), (300, lab["qty"]), (380, lab["price"]), (540, lab["line"])):
        page.put(x, y, head, 9, right=x == 540)
    y -= 14
    for item, qty, price in f.items:
        page.put(50, y, item)
        page.put(300, y, str(qty))
        page.put(380, y, money(price, lc, rng))
        page.put(540, y, money(qty * price, lc, rng), right=True)
        y -= 13
    y -= 10
    if layout.totals == "carry_over" and lc == "ja":
        heads = ["前回御請求額", "御入金額", "繰越金額", "今回お買上額", "消費税額", "今回御請求額"]
        values = [f.previous, f.paid, f.previous - f.paid, f.sub, f.tax, f.total]
        for i, (head, value) in enumerate(zip(heads, values, strict=True)):
            page.put(50 + 85 * i, y, head, 8)
            page.put(50 + 85 * i, y - 13, _group(value, ",", ".", 0), 9)
        y -= 30
    else:
        total = f.sub + f.tax
        rows = [(lab["sub"], f.sub), (lab["tax"], f.tax), (lab["total"], total)]
        for label, value in rows:
            if layout.totals == "table_box":
                page.put(380, y, label)
                page.put(540, y, money(value, lc, rng), right=True)
            else:
                page.put(50, y, label)
                page.put(250, y, money(value, lc, rng))
            y -= 14
    if layout.terms_only is False and rng.random() < 0.5:
        page.put(50, y - 10, f"{lab['terms']}: {f.terms}", 8)
    if layout.remit_to:
        page.put(50, 90, lab["remit"] + ":", 8)
        page.put(50, 79, loc.seller[0] + (" · IBAN DE12 3456 7890 1234 5678 90" if lc != "ja" else " 普通 1234567"), 8)
    page.put(50, 60, "Thank you for your business." if lc != "ja" else "毎度ありがとうございます。", 8)
    return page.cells


def _pdf(cells: list[tuple[float, float, str, float]], font: str) -> bytes:
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, invariant=1)
    for x, y, text, size in cells:
        pdf.setFont(font, size)
        pdf.drawString(x, y, text)
    pdf.save()
    return buf.getvalue()


def make_pdf(layout: Layout, seed: int) -> Doc:
    rng = random.Random(f"{layout.name}:{seed}")
    if layout.totals == "carry_over" and layout.locale != "ja":
        layout = replace(layout, totals="rows")
    f = _facts(layout, rng)
    cells = _render(layout, f, rng)
    truth = (
        None if layout.title else Truth(f.number, f.customer[0], f.customer[1], f.total, f.loc.currency, f.issue, f.due)
    )
    return Doc(layout, truth, _pdf(cells, JA_FONT if layout.locale == "ja" else "Helvetica"), cells)


def body_invoice(layout: Layout, seed: int) -> tuple[str, Truth | None]:
    """The same invoice typed into a mail body: the cells as lines, label and value on one line."""
    doc = make_pdf(replace(layout, meta="inline", header="stacked"), seed)
    lines: list[str] = []
    last_y = None
    for _x, y, text, _size in sorted(doc.cells, key=lambda c: (-c[1], c[0])):
        if last_y is not None and abs(y - last_y) < 1:
            lines[-1] += "    " + text
        else:
            lines.append(text)
        last_y = y
    return "\n".join(lines) + "\n", doc.truth


def train_layouts() -> list[Layout]:
    """The layouts the reader was developed against (every header x meta x locale, totals and extras varied)."""
    out = []
    for i, (locale, header, meta) in enumerate(itertools.product(LOCALES, HEADERS, METAS)):
        totals = "carry_over" if locale == "ja" and i % 2 else TOTALS[i % 2]
        out.append(Layout(locale, header, meta, totals, ship_to=i % 3 == 0, remit_to=i % 4 == 1, terms_only=i % 5 == 2))
    return out


def non_invoice_layouts() -> list[Layout]:
    return [
        Layout(locale, HEADERS[i % 3], METAS[i % 5], "rows", title=title)
        for locale in LOCALES
        for i, title in enumerate(LOCALE_DATA[locale].not_invoices)
    ]
