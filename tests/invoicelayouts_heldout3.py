"""Third held-out set, written after the reader was frozen at c23e3d1 (after round 3), never tuned on.

Again other arrangements and wording: dotted leaders between label and value, bilingual labels
("Rechnungsnummer / Invoice No."), a totals row inside the line-item table (net | tax | gross in
columns of one row), totals in a box in the footer, a Japanese invoice with the amount in a box at
the top ("ご請求金額 ¥X-") and a seal area, and mail bodies written as short prose-like notes.
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

STYLES = ("leaders", "bilingual", "table_total_row", "footer_box", "amount_box_top")
LOCALES = ("en-US", "en-GB", "en-IN", "de", "fr", "nl", "ja")


@dataclass(frozen=True)
class Layout3:
    locale: str
    style: str
    title: str | None = None

    @property
    def name(self) -> str:
        return f"H3:{self.locale}/{self.style}"


@dataclass(frozen=True)
class Lang:
    title: str
    number: str
    issue: str
    due: str
    bill: str
    net: str
    tax: str
    gross: str
    total: str
    rate: Decimal
    currency: str
    customers: tuple[tuple[str, str], ...]
    seller: tuple[str, ...]
    not_invoices: tuple[str, ...]


LANGS: dict[str, Lang] = {
    "en-US": Lang(
        "Invoice",
        "Invoice No.",
        "Date Issued",
        "Due Date",
        "Bill To",
        "Net",
        "Tax",
        "Gross",
        "Total Due",
        Decimal("0.0875"),
        "USD",
        (("Massive Dynamic Inc.", "ap@massive.example"),),
        ("Acme Supplies Ltd", "1 Main St, Austin TX", "ar@acme.example"),
        ("Estimate", "Purchase Order"),
    ),
    "en-GB": Lang(
        "Invoice",
        "Invoice Number",
        "Invoice Date",
        "Due Date",
        "Invoice To",
        "Net",
        "VAT",
        "Gross",
        "Amount Due",
        Decimal("0.20"),
        "GBP",
        (("Oakridge Surveyors Ltd", "accounts@oakridge.example"),),
        ("Acme Supplies Ltd", "9 High St, York", "ar@acme.example", "VAT Reg. GB 555 4444 33"),
        ("Quotation", "Credit Note"),
    ),
    "en-IN": Lang(
        "Tax Invoice",
        "Invoice No.",
        "Invoice Date",
        "Due Date",
        "Bill To",
        "Taxable Value",
        "IGST 18%",
        "Total",
        "Total Amount Payable",
        Decimal("0.18"),
        "INR",
        (("Reddy Solar Pvt Ltd", "accounts@reddysolar.example"),),
        ("Acme Supplies India Pvt Ltd", "GSTIN 36AAACA2222C1Z3", "Hyderabad", "ar@acme.example"),
        ("Proforma Invoice", "Delivery Challan"),
    ),
    "de": Lang(
        "Rechnung",
        "Rechnungsnummer",
        "Rechnungsdatum",
        "Fällig am",
        "Rechnungsempfänger",
        "Netto",
        "USt. 19 %",
        "Brutto",
        "Zu zahlender Betrag",
        Decimal("0.19"),
        "EUR",
        (("Zimmermann Logistik GmbH", "rechnung@zimmermann.example"),),
        ("Acme Supplies GmbH", "Marktplatz 1, 80331 München", "ar@acme.example", "USt-IdNr. DE444555666"),
        ("Angebot", "Gutschrift"),
    ),
    "fr": Lang(
        "Facture",
        "N° de facture",
        "Date de facture",
        "Date d'échéance",
        "Facturé à",
        "HT",
        "TVA",
        "TTC",
        "Net à payer",
        Decimal("0.20"),
        "EUR",
        (("Vignobles Perrin SA", "compta@perrin.example"),),
        ("Acme Fournitures SAS", "2 cours Mirabeau, Aix", "ar@acme.example", "SIRET 555 666 777 00011"),
        ("Devis", "Avoir"),
    ),
    "nl": Lang(
        "Factuur",
        "Factuurnummer",
        "Factuurdatum",
        "Vervaldatum",
        "Factuuradres",
        "Excl. btw",
        "Btw",
        "Incl. btw",
        "Te betalen",
        Decimal("0.21"),
        "EUR",
        (("Meijer Groenvoorziening B.V.", "fin@meijer.example"),),
        ("Acme Supplies B.V.", "Markt 3, Haarlem", "ar@acme.example", "KvK 99887766"),
        ("Offerte", "Creditnota"),
    ),
    "ja": Lang(
        "請求書",
        "請求書番号",
        "請求日",
        "お支払期限",
        "",
        "税抜金額",
        "消費税(10%)",
        "税込金額",
        "ご請求金額",
        Decimal("0.10"),
        "JPY",
        (("株式会社みなと運輸", "keiri@minato-unyu.example"),),
        ("株式会社サンプル", "名古屋市中区3-3-3", "登録番号 T7777777777777", "ar@acme.example"),
        ("御見積書", "納品書"),
    ),
}
BILINGUAL = {"de": "Invoice No.", "fr": "Invoice No.", "nl": "Invoice No.", "ja": "Invoice No."}


def _date(d: date, locale: str) -> str:
    return {
        "en-US": d.strftime("%m/%d/%Y"),
        "en-GB": d.strftime("%d/%m/%Y"),
        "en-IN": d.strftime("%d/%m/%Y"),
        "de": d.strftime("%d.%m.%Y"),
        "fr": d.strftime("%d/%m/%Y"),
        "nl": d.strftime("%d-%m-%Y"),
        "ja": f"{d.year}年{d.month}月{d.day}日",
    }[locale]


def _num(value: Decimal, locale: str) -> str:
    jpy = locale == "ja"
    q = value.quantize(Decimal(1) if jpy else Decimal("0.01"), rounding=ROUND_HALF_UP)
    whole, _, frac = f"{q:f}".partition(".")
    if locale in ("de", "nl"):
        return f"{int(whole):,}".replace(",", ".") + "," + frac
    if locale == "fr":
        return f"{int(whole):,}".replace(",", "\u00a0") + "," + frac
    if locale == "en-IN" and len(whole) > 3:
        head, tail, groups = whole[:-3], whole[-3:], []
        while len(head) > 2:
            groups.insert(0, head[-2:])
            head = head[:-2]
        return ",".join([g for g in [head, *groups] if g] + [tail]) + "." + frac
    return f"{int(whole):,}" + ("" if jpy else "." + frac)


def _money(value: Decimal, locale: str) -> str:
    n = _num(value, locale)
    return {
        "en-US": "$" + n,
        "en-GB": "£" + n,
        "en-IN": "₹ " + n if False else "INR " + n,
        "de": n + " €",
        "fr": n + " €",
        "nl": "€ " + n,
        "ja": "¥" + n,
    }[locale]


def _facts(
    layout: Layout3, rng: random.Random
) -> tuple[str, tuple[str, str], date, date, list[Decimal], Decimal, Decimal, Decimal]:
    lang = LANGS[layout.locale]
    number = rng.choice(["{n:06d}", "INV/{y}/{n:04d}", "{y}{n:05d}", "A-{n:05d}"]).format(
        y=2026, n=rng.randint(1, 9999)
    )
    issue = date(2026, rng.randint(1, 12), rng.randint(1, 28))
    due = issue + timedelta(days=rng.choice([10, 14, 30, 45]))
    jpy = lang.currency == "JPY"
    items = [Decimal(rng.randint(500, 300000)) * (10 if jpy else Decimal("0.01")) for _ in range(rng.randint(2, 5))]
    net = sum(items, Decimal(0))
    tax = (net * lang.rate).quantize(Decimal(1) if jpy else Decimal("0.01"), rounding=ROUND_HALF_UP)
    return number, lang.customers[0], issue, due, items, net, tax, net + tax


def render(layout: Layout3, seed: int) -> tuple[bytes, Truth | None]:
    rng = random.Random(f"{layout.name}:{layout.title}:{seed}")
    lang, lc, style = LANGS[layout.locale], layout.locale, layout.style
    number, (name, email), issue, due, items, net, tax, total = _facts(layout, rng)
    font = JA_FONT if lc == "ja" else "Helvetica"
    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)

    def put(x: float, y: float, s: str, size: float = 9.0, right: bool = False) -> None:
        c.setFont(font, size)
        c.drawString(x - (stringWidth(s, font, size) if right else 0), y, s)

    title = layout.title or lang.title
    put(297 - stringWidth(title, font, 18) / 2, 800, title, 18)
    for i, row in enumerate(lang.seller):
        put(545, 770 - 11 * i, row, 8, right=True)
    if lc == "ja":
        put(50, 770, f"{name} 御中", 12)
        put(50, 754, "TEL 052-000-0000", 8)
        put(50, 742, email, 8)
        c.rect(470, 690, 60, 40)
        put(475, 720, "印", 8)
    else:
        put(50, 770, lang.bill + ":", 8)
        put(50, 757, name, 10)
        put(50, 744, "Attn: Finance", 9)
        put(50, 731, email, 9)
    meta = [(lang.number, number), (lang.issue, _date(issue, lc)), (lang.due, _date(due, lc))]
    y = 690.0
    if style == "amount_box_top":
        c.rect(50, y - 10, 250, 34)
        put(56, y + 8, lang.total, 8)
        put(56, y - 4, _money(total, lc) + ("-" if lc == "ja" else ""), 14)
        y -= 40
    for label, value in meta:
        if style == "leaders":
            put(300, y, label + " " + "." * 24, 9)
            put(545, y, value, 9, right=True)
        elif style == "bilingual" and lc in BILINGUAL and label == lang.number:
            put(300, y, f"{label} / {BILINGUAL[lc]}", 9)
            put(545, y, value, 9, right=True)
        else:
            put(300, y, label, 9)
            put(545, y, value, 9, right=True)
        y -= 13
    y -= 20
    heads = ("Pos", lang.net, lang.tax, lang.gross)
    cols = (50, 330, 430, 545)
    for x, head in zip(cols, heads, strict=True):
        put(x, y, head, 8, right=x > 50)
    y -= 13
    for i, value in enumerate(items):
        line_tax = (value * lang.rate).quantize(Decimal(1) if lc == "ja" else Decimal("0.01"), rounding=ROUND_HALF_UP)
        for x, text in zip(
            cols, (str(i + 1), _num(value, lc), _num(line_tax, lc), _num(value + line_tax, lc)), strict=True
        ):
            put(x, y, text, 9, right=x > 50)
        y -= 12
    # the line taxes may differ from the rounded total tax by a unit: the printed totals row is the truth
    if style == "table_total_row":
        y -= 4
        for x, text in zip(cols, (lang.total, _money(net, lc), _money(tax, lc), _money(total, lc)), strict=True):
            put(x, y, text, 9, right=x > 50)
        y -= 20
    elif style == "footer_box":
        c.rect(330, 90, 215, 58)
        for i, (label, value) in enumerate(((lang.net, net), (lang.tax, tax), (lang.total, total))):
            put(336, 134 - 16 * i, label, 9)
            put(540, 134 - 16 * i, _money(value, lc), 9, right=True)
    else:
        y -= 6
        for label, value in ((lang.net, net), (lang.tax, tax), (lang.total, total)):
            put(330, y, label, 9)
            put(545, y, _money(value, lc), 9, right=True)
            y -= 13
    c.save()
    truth = None if layout.title else Truth(number, name, email, total, lang.currency, issue, due)
    return buf.getvalue(), truth


def body_invoice(layout: Layout3, seed: int) -> tuple[str, Truth | None]:
    rng = random.Random(f"b3:{layout.name}:{seed}")
    lang, lc = LANGS[layout.locale], layout.locale
    number, (name, email), issue, due, _items, _net, _tax, total = _facts(layout, rng)
    if lc == "ja":
        text = (
            f"{name} 御中\n\n請求書をお送りします。\n\n{lang.title}\n{lang.number}：{number}\n"
            f"{lang.issue}：{_date(issue, lc)}\n{lang.total}：{_money(total, lc)}\n"
            f"{lang.due}：{_date(due, lc)}\nメール：{email}\n"
        )
    else:
        text = (
            f"{lang.title}\n{lang.number} {number}\n{lang.issue} {_date(issue, lc)}\n"
            f"{lang.bill or 'Customer'}: {name}, {email}\n{lang.total} {_money(total, lc)}\n"
            f"{lang.due} {_date(due, lc)}\n"
        )
    return text, Truth(number, name, email, total, lang.currency, issue, due)


def make_pdf(layout: Layout3, seed: int) -> tuple[bytes, Truth | None]:
    return render(layout, seed)


def subject(layout: Layout3) -> str:
    return LANGS[layout.locale].title


def heldout_layouts() -> list[Layout3]:
    return [Layout3(locale, style) for locale in LOCALES for style in STYLES]


def heldout_non_invoices() -> list[Layout3]:
    return [
        Layout3(locale, STYLES[i % len(STYLES)], title=t)
        for locale in LOCALES
        for i, t in enumerate(LANGS[locale].not_invoices)
    ]
