"""Second held-out set, written after the reader was frozen again at ea004e1 (after round 2), never tuned on.

New arrangements and wording again: a bordered meta table with a customer number and a PO number
beside the invoice number, a sender line above the address window (DIN 5008) with the letterhead at
the top right, VAT broken down by rate (7 % + 19 %, 8 % 軽減 + 10 %), discounts and shipping between
subtotal and total, a balance-forward invoice (previous balance, payments, new charges), a Japanese
carry-over block with its labels in a column, payment terms instead of a due date in new wording, and
mail bodies written as billing-system notifications, pipe tables and 【請求書】 notes.
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

STYLES = ("meta_table", "sender_line", "vat_breakdown", "discount_shipping", "balance_forward", "terms_only")
LOCALES = ("en-US", "en-GB", "en-IN", "de", "fr", "nl", "ja")


@dataclass(frozen=True)
class Layout2:
    locale: str
    style: str
    title: str | None = None

    @property
    def name(self) -> str:
        return f"H2:{self.locale}/{self.style}"


@dataclass(frozen=True)
class Lex:
    title: str
    number: str
    issue: str
    due: str
    customer_no: str
    po: str
    bill: str
    sub: str
    rates: tuple[tuple[str, Decimal], ...]
    discount: str
    shipping: str
    total: str
    previous: str
    payments: str
    new_charges: str
    terms: tuple[str, int]  # wording, days (or -1: end of next month)
    currency: str
    customers: tuple[tuple[str, str], ...]
    seller: tuple[str, ...]
    not_invoices: tuple[str, ...]


LEX: dict[str, Lex] = {
    "en-US": Lex(
        "INVOICE",
        "Invoice Number",
        "Invoice Date",
        "Due Date",
        "Customer ID",
        "PO Number",
        "Bill To",
        "Subtotal",
        (("Sales Tax 6%", Decimal("0.06")),),
        "Discount",
        "Shipping",
        "Total Amount Due",
        "Previous Balance",
        "Payments Received",
        "New Charges",
        ("Terms: Net 30", 30),
        "USD",
        (("Cyberdyne Systems Corp.", "ap@cyberdyne.example"), ("Soylent Foods Inc.", "invoices@soylent.example")),
        ("Acme Supplies Ltd", "77 Pine St, Seattle WA", "ar@acme.example"),
        ("Sales Quote", "Packing List", "Credit Memo", "Statement of Account"),
    ),
    "en-GB": Lex(
        "Sales Invoice",
        "Invoice No.",
        "Invoice Date",
        "Payment Due",
        "Account No.",
        "Your Order No.",
        "Invoice To",
        "Subtotal",
        (("VAT 20%", Decimal("0.20")),),
        "Discount",
        "Carriage",
        "Total Due",
        "Balance brought forward",
        "Payments received",
        "New charges",
        ("Payment terms: 30 days from invoice date", 30),
        "GBP",
        (("Harrow & Finch Ltd", "accounts@harrowfinch.example"), ("Blackwood Estates", "finance@blackwood.example")),
        ("Acme Supplies Ltd", "14 Mill Lane, Bristol", "ar@acme.example", "Company Reg. 09876543"),
        ("Quotation", "Delivery Note", "Credit Note", "Statement"),
    ),
    "en-IN": Lex(
        "TAX INVOICE",
        "Invoice No.",
        "Invoice Date",
        "Due Date",
        "Customer Code",
        "Buyer's Order No.",
        "Bill To",
        "Taxable Amount",
        (("CGST @ 9%", Decimal("0.09")), ("SGST @ 9%", Decimal("0.09"))),
        "Discount",
        "Freight",
        "Total Invoice Value",
        "Previous Balance",
        "Payments Received",
        "Current Charges",
        ("Payment within 30 days", 30),
        "INR",
        (("Mehta Pharma Pvt Ltd", "accounts@mehtapharma.example"), ("Iyer Constructions", "ap@iyercon.example")),
        ("Acme Supplies India Pvt Ltd", "GSTIN 07AAACA1111B1Z9", "Okhla, New Delhi", "ar@acme.example"),
        ("Proforma Invoice", "Delivery Challan", "Credit Note", "Quotation"),
    ),
    "de": Lex(
        "Rechnung",
        "Rechnungsnummer",
        "Rechnungsdatum",
        "Fälligkeitsdatum",
        "Kundennummer",
        "Bestellnummer",
        "Rechnungsempfänger",
        "Summe netto",
        (("MwSt. 7 %", Decimal("0.07")), ("MwSt. 19 %", Decimal("0.19"))),
        "Rabatt",
        "Versandkosten",
        "Gesamtbetrag",
        "Vorheriger Saldo",
        "Zahlungseingang",
        "Neue Posten",
        ("Zahlbar innerhalb von 14 Tagen ohne Abzug", 14),
        "EUR",
        (
            ("Weber Holzbau GmbH", "rechnungen@weber-holzbau.example"),
            ("Fischer Optik OHG", "buchhaltung@fischer.example"),
        ),
        ("Acme Supplies GmbH", "Königstraße 20, 70173 Stuttgart", "ar@acme.example", "USt-IdNr. DE111222333"),
        ("Proforma-Rechnung", "Lieferschein", "Gutschrift", "Angebot"),
    ),
    "fr": Lex(
        "FACTURE",
        "Numéro de facture",
        "Date d'émission",
        "Date d'échéance",
        "N° client",
        "Votre commande",
        "Facturé à",
        "Total HT",
        (("TVA 5,5 %", Decimal("0.055")), ("TVA 20 %", Decimal("0.20"))),
        "Remise",
        "Frais de port",
        "Total TTC",
        "Solde précédent",
        "Règlements reçus",
        "Nouvelles opérations",
        ("Paiement à 30 jours", 30),
        "EUR",
        (("Fromagerie Girard SAS", "compta@girard.example"), ("Atelier Roux SARL", "factures@roux.example")),
        ("Acme Fournitures SAS", "3 place Bellecour, Lyon", "ar@acme.example", "SIREN 123 456 789"),
        ("Devis", "Bon de livraison", "Avoir", "Facture pro forma"),
    ),
    "nl": Lex(
        "FACTUUR",
        "Factuurnummer",
        "Factuurdatum",
        "Vervaldatum",
        "Klantnummer",
        "Uw referentie",
        "Factuuradres",
        "Subtotaal",
        (("BTW 9%", Decimal("0.09")), ("BTW 21%", Decimal("0.21"))),
        "Korting",
        "Verzendkosten",
        "Totaal incl. BTW",
        "Vorig saldo",
        "Ontvangen betalingen",
        "Nieuwe kosten",
        ("Betaling binnen 14 dagen", 14),
        "EUR",
        (("Visser Installaties B.V.", "administratie@visser.example"), ("Smit & Zn. V.O.F.", "facturen@smit.example")),
        ("Acme Supplies B.V.", "Oudegracht 5, Utrecht", "ar@acme.example", "KvK 11223344"),
        ("Offerte", "Pakbon", "Creditnota", "Proforma factuur"),
    ),
    "ja": Lex(
        "請求書",
        "請求書番号",
        "発行日",
        "お支払期限",
        "お客様番号",
        "ご注文番号",
        "",
        "小計",
        (("消費税(8%軽減)", Decimal("0.08")), ("消費税(10%)", Decimal("0.10"))),
        "値引",
        "送料",
        "ご請求金額",
        "前回御請求額",
        "御入金額",
        "今回御買上額",
        ("月末締め翌月末払い", -1),
        "JPY",
        (("株式会社さくら物産", "keiri@sakura-bussan.example"), ("合同会社ひかり工房", "office@hikari.example")),
        ("株式会社サンプル", "福岡県福岡市中央区1-1", "登録番号 T5555555555555", "ar@acme.example"),
        ("御見積書", "納品書", "領収書", "発注書"),
    ),
}


def _month_end(year: int, month: int) -> date:
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return date(year, month, calendar.monthrange(year, month)[1])


def date_text(d: date, locale: str, rng: random.Random) -> str:
    pick = rng.random()
    return {
        "en-US": d.strftime("%m/%d/%Y") if pick < 0.5 else d.strftime("%B %d, %Y"),
        "en-GB": d.strftime("%d/%m/%Y") if pick < 0.5 else d.strftime("%d %B %Y"),
        "en-IN": d.strftime("%d.%m.%Y") if pick < 0.5 else d.strftime("%d %b %Y"),
        "de": d.strftime("%d.%m.%Y"),
        "fr": d.strftime("%d/%m/%Y"),
        "nl": d.strftime("%d-%m-%Y"),
        "ja": f"{d.year}年{d.month}月{d.day}日" if pick < 0.5 else f"令和{d.year - 2018}年{d.month}月{d.day}日",
    }[locale]


def _group(value: Decimal, sep: str, point: str, decimals: int = 2) -> str:
    q = value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    sign = "-" if q < 0 else ""
    whole, _, frac = f"{abs(q):f}".partition(".")
    return sign + f"{int(whole):,}".replace(",", sep) + (point + frac if decimals else "")


def _indian(value: Decimal) -> str:
    sign = "-" if value < 0 else ""
    whole, _, frac = f"{abs(value).quantize(Decimal('0.01')):f}".partition(".")
    head, tail = whole[:-3], whole[-3:]
    groups: list[str] = []
    while len(head) > 2:
        groups.insert(0, head[-2:])
        head = head[:-2]
    return sign + ",".join([g for g in [head, *groups] if g] + [tail]) + "." + frac


def amount_text(value: Decimal, locale: str) -> str:
    return {
        "en-US": "$" + _group(value, ",", "."),
        "en-GB": "£" + _group(value, ",", "."),
        "en-IN": "Rs. " + _indian(value),
        "de": _group(value, ".", ",") + " €",
        "fr": _group(value, " ", ",") + " €",
        "nl": "€ " + _group(value, ".", ","),
        "ja": "¥" + _group(value, ",", ".", 0),
    }[locale]


@dataclass
class _Facts:
    number: str
    customer_no: str
    po: str
    customer: tuple[str, str]
    issue: date
    due: date
    items: list[tuple[str, Decimal, int]]  # text, net, rate index
    sub: Decimal
    discount: Decimal
    shipping: Decimal
    taxes: list[tuple[str, Decimal]]
    previous: Decimal
    payments: Decimal
    total: Decimal


def _facts(layout: Layout2, rng: random.Random) -> _Facts:
    lex = LEX[layout.locale]
    jpy = lex.currency == "JPY"
    unit = Decimal(1) if jpy else Decimal("0.01")
    number = rng.choice(["{n:07d}", "INV{n:06d}", "{y}-{n:05d}", "RG{y}{n:04d}"]).format(
        y=2026, n=rng.randint(1, 999999) % 100000
    )
    issue = date(2026, rng.randint(1, 12), rng.randint(1, 28))
    _wording, days = lex.terms
    due = _month_end(issue.year, issue.month + 1) if days < 0 else issue + timedelta(days=days)
    items = []
    for i in range(rng.randint(2, 5)):
        raw = Decimal(rng.randint(1000, 250000))
        net = raw * 10 if jpy else raw / 100
        items.append((("品名" if jpy else "Position ") + str(i + 1), net, i % len(lex.rates)))
    sub = sum((n for _, n, _ in items), Decimal(0))
    discount = shipping = Decimal(0)
    if layout.style == "discount_shipping":
        discount = (sub * Decimal("0.05")).quantize(unit)
        shipping = Decimal(1500) if jpy else Decimal("24.90")
    rate_base = [Decimal(0)] * len(lex.rates)
    for _, net, r in items:
        rate_base[r] += net
    if layout.style == "discount_shipping":  # discount and shipping taxed at the first rate
        rate_base[0] += shipping - discount
    taxes = [
        (label, (base * rate).quantize(unit, rounding=ROUND_HALF_UP))
        for (label, rate), base in zip(lex.rates, rate_base, strict=True)
        if base
    ]
    previous = payments = Decimal(0)
    if layout.style == "balance_forward":
        previous = (sub * Decimal("0.4")).quantize(unit)
        payments = previous
    total = sub - discount + shipping + sum((t for _, t in taxes), Decimal(0)) + previous - payments
    return _Facts(
        number,
        f"K{rng.randint(1000, 99999)}",
        f"PO-{rng.randint(10000, 99999)}",
        rng.choice(lex.customers),
        issue,
        due,
        items,
        sub,
        discount,
        shipping,
        taxes,
        previous,
        payments,
        total,
    )


class _Pdf:
    def __init__(self, font: str) -> None:
        self.buf = io.BytesIO()
        self.c = canvas.Canvas(self.buf, invariant=1)
        self.font = font

    def put(self, x: float, y: float, s: str, size: float = 9.0, right: bool = False) -> None:
        self.c.setFont(self.font, size)
        self.c.drawString(x - (stringWidth(s, self.font, size) if right else 0), y, s)

    def bytes(self) -> bytes:
        self.c.save()
        return self.buf.getvalue()


def render(layout: Layout2, seed: int) -> tuple[bytes, Truth | None]:
    rng = random.Random(f"{layout.name}:{layout.title}:{seed}")
    lex, lc = LEX[layout.locale], layout.locale
    f = _facts(layout, rng)
    p = _Pdf(JA_FONT if lc == "ja" else "Helvetica")
    style = layout.style
    name, email = f.customer
    # letterhead top right, title left
    p.put(545, 810, lex.seller[0], 14, right=True)
    for i, row in enumerate(lex.seller[1:]):
        p.put(545, 795 - 10 * i, row, 7.5, right=True)
    p.put(50, 760, layout.title or lex.title, 18)
    y = 730.0
    if style == "sender_line":  # DIN 5008: our address in one small line above the window
        p.put(50, y, " · ".join(lex.seller[:2]), 6)
        y -= 14
        rows = [name, "Lindenallee 8" if lc != "ja" else "東京都港区2-2", email]
        if lc == "ja":
            rows[0] = f"{name} 御中"
    elif lc == "ja":
        rows = [f"{name} 御中", "ご担当 佐藤 様", email]
    else:
        rows = [lex.bill + ":", name, email]
    for i, row in enumerate(rows):
        p.put(50, y - 12 * i, row, 10 if i == (0 if style == "sender_line" or lc == "ja" else 1) else 9)
    # meta
    due_text = date_text(f.due, lc, rng)
    meta = [
        (lex.number, f.number),
        (lex.issue, date_text(f.issue, lc, rng)),
        (lex.customer_no, f.customer_no),
        (lex.po, f.po),
    ]
    if style != "terms_only":
        meta.insert(2, (lex.due, due_text))
    if style == "meta_table":
        y = 660.0
        xs = [50 + 100 * i for i in range(len(meta))]
        for x, (label, value) in zip(xs, meta, strict=True):
            p.c.rect(x, y - 16, 98, 30)
            p.put(x + 3, y + 4, label, 7)
            p.put(x + 3, y - 10, value, 9)
        y -= 40
    else:
        y = 700.0
        for label, value in meta:
            p.put(340, y, label, 8.5)
            p.put(545, y, value, 8.5, right=True)
            y -= 12
        y = min(y, 650.0) - 10
    # items
    p.put(50, y, "品名" if lc == "ja" else "Description", 8)
    p.put(545, y, "金額" if lc == "ja" else "Net", 8, right=True)
    y -= 14
    for text, net, _ in f.items:
        p.put(50, y, text)
        p.put(545, y, amount_text(net, lc), right=True)
        y -= 12
    y -= 10
    rows2: list[tuple[str, Decimal]] = []
    if style == "balance_forward":
        rows2 = [
            (lex.previous, f.previous),
            (lex.payments, -f.payments),
            (lex.new_charges, f.total - f.previous + f.payments),
        ]
        rows2 += [(lex.sub, f.sub), *f.taxes, (lex.total, f.total)]
        if lc == "ja":  # labels in a column, the carry-over block
            rows2 = [
                (lex.previous, f.previous),
                (lex.payments, f.payments),
                ("差引繰越額", Decimal(0)),
                (lex.new_charges, f.sub),
                *f.taxes,
                ("今回御請求額", f.total),
            ]
    else:
        rows2 = [(lex.sub, f.sub)]
        if f.discount:
            rows2.append((lex.discount, -f.discount))
        if f.shipping:
            rows2.append((lex.shipping, f.shipping))
        rows2 += [*f.taxes, (lex.total, f.total)]
    for label, value in rows2:
        p.put(330, y, label, 9)
        p.put(545, y, amount_text(value, lc), 9, right=True)
        y -= 13
    if style == "terms_only" or rng.random() < 0.3:
        p.put(50, y - 14, lex.terms[0], 8)
    p.put(
        50,
        70,
        "IBAN DE02 1203 0000 0000 2020 51 · BIC BYLADEM1001" if lc != "ja" else "振込先: さくら銀行 本店 普通 7654321",
        7,
    )
    truth = None if layout.title else Truth(f.number, name, email, f.total, lex.currency, f.issue, f.due)
    return p.bytes(), truth


def body_invoice(layout: Layout2, seed: int) -> tuple[str, Truth | None]:
    """Body invoices as billing systems and people send them: a notification, a pipe table, 【請求書】."""
    rng = random.Random(f"b2:{layout.name}:{seed}")
    lex, lc = LEX[layout.locale], layout.locale
    f = _facts(Layout2(lc, "meta_table"), rng)
    name, email = f.customer
    issue, due = date_text(f.issue, lc, rng), date_text(f.due, lc, rng)
    total = amount_text(f.total, lc)
    if lc == "ja":
        text = (
            f"{name} 御中\n\n【{lex.title}】\n{lex.number}：{f.number}\n{lex.issue}：{issue}\n"
            f"{lex.total}：{total}-(税込)\n{lex.due}：{due}\nメール：{email}\n"
        )
    elif rng.random() < 0.5:
        text = (
            f"{lex.title}\n| {lex.number} | {f.number} |\n| {lex.issue} | {issue} |\n| {lex.due} | {due} |\n"
            f"| {lex.bill or 'Customer'} | {name} |\n| E-mail | {email} |\n| {lex.total} | {total} |\n"
        )
    else:
        text = (
            f"{lex.title} {f.number}\n\n{lex.bill or 'Customer'}: {name} <{email}>\n{lex.issue}: {issue}\n"
            f"{lex.sub}: {amount_text(f.sub, lc)}\n"
            + "".join(f"{t}: {amount_text(v, lc)}\n" for t, v in f.taxes)
            + f"{lex.total}: {total}\n{lex.due}: {due}\n"
        )
    return text, Truth(f.number, name, email, f.total, lex.currency, f.issue, f.due)


def make_pdf(layout: Layout2, seed: int) -> tuple[bytes, Truth | None]:
    return render(layout, seed)


def subject(layout: Layout2) -> str:
    return LEX[layout.locale].title


def heldout_layouts() -> list[Layout2]:
    return [Layout2(locale, style) for locale in LOCALES for style in STYLES]


def heldout_non_invoices() -> list[Layout2]:
    return [
        Layout2(locale, STYLES[i % len(STYLES)], title=t)
        for locale in LOCALES
        for i, t in enumerate(LEX[locale].not_invoices)
    ]
