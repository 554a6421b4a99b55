"""Invoice fields from plain text (a PDF's text layer or a mail body), English and Japanese.

Each field has an ordered tuple of labels, strongest first; the value is read on the label's line after
the label, or on the next lines when a table put it below. Text is NFKC-normalised first, so full-width
digits, ￥, （税込） and ： read like their ASCII forms.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from worker.intake.assemble import Draft
from worker.intake.values import Money, currency_hint, find_dates, find_money, month_first_for

EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
REGISTRATION = re.compile(r"(?<![A-Za-z0-9])T\s?(\d{13})(?!\d)")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
_NUMBER_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_/#.-]*\d[A-Za-z0-9_/#.-]*|\d[A-Za-z0-9_/#.-]*")
_LOOKAHEAD_LINES = 2
_HEAD_LINES = 12


@dataclass(frozen=True)
class Label:
    pattern: re.Pattern[str]
    tier: int = 1  # lower is stronger; within a tier the first hit wins unless the field says otherwise


def _labels(tier: int, *patterns: str) -> tuple[Label, ...]:
    return tuple(Label(re.compile(p, re.I), tier) for p in patterns)


# The label lexicon: EN, JA, DE, FR, NL, ES. Each field's labels strongest first (tier 1 beats tier 2).
NUMBER_LABELS = _labels(
    1,
    r"請求書番号",
    r"請求番号",
    r"請求書\s*no\.?",
    r"invoice\s*(?:no\.?|number|num\.?|#|id)(?=[\s:#.]|$)",
    r"^\s*inv(?:oice)?\s*#",
    r"^\s*inv\.?\s*no\.?(?=[\s:])",
    r"請求\s*no\.?",
    r"rechnungs\s*-?\s*(?:nummer|nr\.?)",
    r"rechnung\s+(?:nr\.?|nummer)",
    r"(?:n°|nº|no\.?|num[ée]ro)\s*(?:de\s+)?(?:la\s+)?facture",
    r"facture\s*(?:n°|nº|no\.?|num[ée]ro)",
    r"factuur\s*-?\s*(?:nummer|nr\.?)",
    r"(?:n°|nº|no\.?|n[úu]mero)\s*(?:de\s+)?factura",
    r"factura\s*(?:n°|nº|no\.?|n[úu]m\.?)",
) + _labels(
    2,
    r"^\s*(?:sales\s+|tax\s+)?(?:invoice|rechnung|facture|factuur|factura)"
    r"(?=\s+[A-Z]*\d[\w/-]*\s*(?:$|for\b|to\b|from\b|dated\b|[-–—]))",
    r"伝票番号",
    r"^\s*(?:no|№|nr|n°|nº)\.?(?=[\s:])",
    r"^\s*document\s*(?:no\.?|number)",
    r"belegnummer",
)
ISSUE_LABELS = _labels(
    1,
    r"請求書発行日",
    r"発行日",
    r"請求日",
    r"発行年月日",
    r"請求年月日",
    r"invoice\s+date",
    r"date\s+of\s+issue",
    r"issue\s+date",
    r"date\s+issued",
    r"issued\s+on",
    r"rechnungsdatum",
    r"ausstellungsdatum",
    r"date\s+(?:de\s+(?:la\s+)?)?facture",
    r"date\s+d['’]\s*[ée]mission",
    r"factuurdatum",
    r"fecha\s+(?:de\s+)?(?:la\s+)?(?:factura|emisi[óo]n|expedici[óo]n)",
    r"^\s*issued\b",
    r"[ée]mise?\s+le",
    r"^\s*ausgestellt(?:\s+am)?\b",
    r"^\s*uitgegeven(?:\s+op)?\b",
) + _labels(2, r"^\s*date\b", r"^\s*dated\b", r"^\s*日付", r"^\s*datum\b", r"^\s*fecha\b")
DUE_LABELS = _labels(
    1,
    r"お支払い?期限",
    r"お支払い?期日",
    r"支払期日",
    r"支払期限",
    r"お振込み?期限",
    r"お振込み?期日",
    r"振込期限",
    r"お支払い?日",
    r"due\s+date",
    r"payment\s+due(?:\s+date)?(?!\s*amount)",
    r"due\s+(?:by|on)",
    r"pay\s+by",
    r"please\s+pay\s+by",
    r"^\s*due\b(?!\s*amount)",
    r"f[äa]llig(?:keits(?:datum)?|\s+am|\s+bis)?",
    r"zahlbar\s+bis",
    r"zahlungsziel(?=.*\d{4})",
    r"date\s+d['’]\s*[ée]ch[ée]ance",
    r"date\s+limite\s+de\s+(?:paiement|r[èe]glement)",
    r"payable\s+(?:by|on|before)",
    r"[ée]ch[ée]ance",
    r"[àa]\s+payer\s+avant\s+le",
    r"vervaldatum",
    r"uiterste\s+betaaldatum",
    r"(?:te\s+)?betalen\s+(?:voor|vóór|uiterlijk)",
    r"fecha\s+de\s+vencimiento",
    r"vencimiento",
)
AMOUNT_LABELS = (
    _labels(0, r"今回(?:ご|御)?請求(?:金)?額", r"今回お支払い?(?:金)?額", r"current\s+(?:amount|charges)\s+due")
    + _labels(
        1,
        r"ご請求金額",
        r"御請求金額",
        r"請求金額",
        r"ご請求額",
        r"御請求額",
        r"請求額",
        r"お支払い?金額",
        r"お振込み?金額",
        r"amount\s+due",
        r"balance\s+due",
        r"total\s+due",
        r"amount\s+payable",
        r"total\s+payable",
        r"total\s+amount\s+due",
        r"please\s+pay",
        r"zu\s+zahlen(?:der)?(?:\s+betrag)?",
        r"zahlbetrag",
        r"rechnungsbetrag",
        r"net\s+[àa]\s+payer",
        r"montant\s+(?:d[ûu]|[àa]\s+payer)",
        r"total\s+[àa]\s+payer",
        r"te\s+betalen(?!\s+(?:voor|vóór|uiterlijk))",
        r"total\s+a\s+pagar",
        r"balance\s+payable",
        r"offener\s+betrag",
        r"restbetrag",
        r"reste\s+[àa]\s+payer",
        r"openstaand\s+bedrag",
        r"ご?請求残高",
        r"importe\s+a\s+pagar",
    )
    + _labels(
        2,
        r"税込合計",
        r"合計金額\s*\(税込\)",
        r"総合計",
        r"総額",
        r"grand\s+total",
        r"invoice\s+total",
        r"total\s*\(incl",
        r"total\s+including",
        r"total\s+amount",
        r"gesamtbetrag",
        r"endbetrag",
        r"gesamtsumme",
        r"summe\s+brutto",
        r"bruttobetrag",
        r"total\s+ttc",
        r"montant\s+ttc",
        r"totaal\s+(?:incl|inclusief)",
        r"totaalbedrag",
        r"importe\s+total",
        r"total\s+factura",
    )
    + _labels(
        3,
        r"合計金額",
        r"合計",
        r"(?<![a-z-])total(?!\s*(?:tax|vat|excl|before|net|quantity|qty|ht\b|hors))",
        r"(?<![a-zäöü])summe",
        r"^\s*(?:amount|betrag|montant|bedrag|importe)\s*:",
        r"(?<![a-z])totaal",
    )
)
# Lines that carry a label word but are a partial sum, or last period's figures, not what is payable.
_NOT_TOTAL = re.compile(
    r"(?i)小計|消費税|税抜|税額|内税|subtotal|sub-total|tax\s+amount|\bvat\b(?!\s*incl)|excl|"
    r"zwischensumme|netto(?!\s*zahl)|mwst|ust\b|\bht\b|hors\s+taxe|\btva\b|sous-total|subtotaal|"
    r"\bbtw\b(?!\s*incl)|excl\.?\s*btw|base\s+imponible|\biva\b|\bgst\b|cgst|sgst|igst"
)
# Amounts that are about earlier invoices or money already received: never today's payable total.
PREVIOUS = re.compile(
    r"(?i)前回|繰越|入金|ご入金|御入金|差引残高|前月|previous\s+balance|balance\s+(?:forward|brought)|"
    r"brought\s+forward|payments?\s+received|amount\s+paid|paid\s+to\s+date|credit\s+applied|"
    r"vorheriger|bereits\s+bezahlt|anzahlung|d[ée]j[àa]\s+(?:pay[ée]|r[ée]gl[ée])|acompte|"
    r"reeds\s+betaald|vorig\s+saldo|ya\s+pagado|anticipo"
)
SUBTOTAL_LABELS = _labels(
    1,
    r"小計",
    r"税抜(?:合計|金額)?",
    r"sub-?\s?total",
    r"total\s+(?:excl|before\s+tax|net|ht\b|hors\s+taxes?)",
    r"net\s+(?:amount|total)",
    r"zwischensumme",
    r"netto(?:betrag|summe)?",
    r"sous-total",
    r"montant\s+ht",
    r"subtotaal",
    r"totaal\s+excl",
    r"base\s+imponible",
)
TAX_LABELS = _labels(
    1,
    r"消費税(?:額)?",
    r"(?<![a-z])tax(?:\s+amount)?\b",
    r"\bvat\b",
    r"\bgst\b",
    r"mwst\.?",
    r"ust\.?",
    r"umsatzsteuer",
    r"\btva\b",
    r"\bbtw\b",
    r"\biva\b",
)
PAID_LABELS = _labels(
    1,
    r"amount\s+paid",
    r"^\s*paid\b",
    r"payments?\s+received",
    r"advance\s+received",
    r"less\s+(?:payment|deposit|advance)",
    r"bereits\s+(?:bezahlt|gezahlt)",
    r"anzahlung",
    r"acompte",
    r"d[ée]j[àa]\s+(?:pay[ée]|r[ée]gl[ée])",
    r"reeds\s+betaald",
    r"aanbetaling",
    r"ご?入金額",
    r"御入金額",
    r"前受金",
)
ADJUSTMENT_LABELS = _labels(
    1,
    r"discount",
    r"rabatt",
    r"skonto",
    r"remise",
    r"korting",
    r"descuento",
    r"値引",
    r"shipping",
    r"freight",
    r"carriage",
    r"delivery\s+charge",
    r"versand(?:kosten)?",
    r"fracht",
    r"frais\s+de\s+port",
    r"verzendkosten",
    r"env[íi]o",
    r"送料",
)
_DISCOUNT = re.compile(r"(?i)discount|rabatt|skonto|remise|korting|descuento|値引")
TERMS_LABELS = _labels(
    1,
    r"支払条件",
    r"お支払条件",
    r"支払い条件",
    r"お支払い方法",
    r"payment\s+terms",
    r"^\s*terms\b",
    r"zahlungsbedingungen",
    r"zahlungsziel",
    r"conditions\s+de\s+(?:paiement|r[èe]glement)",
    r"betalingsvoorwaarden",
    r"betalingstermijn",
    r"condiciones\s+de\s+pago",
    r"forma\s+de\s+pago",
)
CUSTOMER_LABELS = _labels(
    1,
    r"bill(?:ed)?\s+to",
    r"invoice\s+to",
    r"sold\s+to",
    r"^\s*customer(?!\s*(?:id|no\b|no\.|nr|number|num|code|account|acct|ref|#|nummer|numéro|n°))(?:\s+name)?\b",
    r"請求先",
    r"お客様名",
    r"^\s*to\s*:",
    r"rechnungs(?:empf[äa]nger|adresse)",
    r"^\s*kunde\b(?!\s*(?:id|no\b|no\.|nr|number|num|code|account|acct|ref|#|nummer|numéro|n°))",
    r"factur[ée]\s+[àa](?![\w-])",
    r"adresse\s+de\s+facturation",
    r"^\s*client\b(?!\s*(?:id|no\b|no\.|nr|number|num|code|account|acct|ref|#|nummer|numéro|n°))",
    r"factuuradres",
    r"^\s*klant\b(?!\s*(?:id|no\b|no\.|nr|number|num|code|account|acct|ref|#|nummer|numéro|n°))",
    r"gefactureerd\s+aan",
    r"facturar\s+a",
    r"^\s*cliente\b(?!\s*(?:id|no\b|no\.|nr|number|num|code|account|acct|ref|#|nummer|numéro|n°))",
)
# Blocks that name some other party: never the customer the invoice is addressed to.
OTHER_PARTY_LABELS = _labels(
    1,
    r"ship(?:ped)?\s+to",
    r"deliver(?:y|ed)?\s+(?:to|address)",
    r"remit(?:tance)?\s+(?:to|address)",
    r"pay(?:ment)?\s+to",
    r"^\s*(?:from|seller|supplier|vendor)\b",
    r"送付先",
    r"納品先",
    r"振込先",
    r"発行元",
    r"請求元",
    r"lieferadresse",
    r"lieferanschrift",
    r"adresse\s+de\s+livraison",
    r"afleveradres",
    r"leveringsadres",
    r"direcci[óo]n\s+de\s+env[íi]o",
    r"bankverbindung",
    r"coordonn[ée]es\s+bancaires",
)
_HONORIFIC = re.compile(r"^\s*(?P<name>[^\s:].{0,60}?)\s*(?P<honorific>御中|様)(?:\s|$)")
_NOT_CUSTOMER = re.compile(r"各位|お客様|皆様|皆さま|担当者様$")
_SELLER_BLOCK = re.compile(
    r"(?i)登録番号|T\s?\d{13}|^\s*(?:from|seller|supplier|remit\s+to|発行元|請求元)\b|"
    r"(?:株式会社|有限会社|合同会社).*(?<!御中)(?<!様)$"
)


_OTHER_LABEL = re.compile("|".join(f"(?:{label.pattern.pattern})" for label in OTHER_PARTY_LABELS), re.I)


def normalise(text: str) -> str:
    """NFKC (full-width digits and signs to ASCII) with tidy line ends."""
    text = unicodedata.normalize("NFKC", text).replace("\r\n", "\n").replace("\f", "\n")
    return "\n".join(_untable(line).rstrip() for line in text.split("\n"))


_PIPE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_RULE_ROW = re.compile(r"^\s*[+|]?(?:[-=+|:]{3,}\s*)+$")


def _untable(line: str) -> str:
    """A typed table row "| Invoice No | A-1 |" as cells ("Invoice No   A-1"); rule rows vanish."""
    if _RULE_ROW.match(line):
        return ""
    if _PIPE_ROW.match(line):
        return "   ".join(cell.strip() for cell in line.strip().strip("|").split("|"))
    return line


def is_japanese(text: str) -> bool:
    return len(_JAPANESE.findall(text[:4000])) >= 5


@dataclass(frozen=True)
class Hit:
    label: Label
    index: int  # line number of the label
    line: str
    after: str  # the rest of the line after the label
    following: list[str]  # the next non-empty lines, where tables put values
    column: int = 0  # display column where the label starts (its cell in a header row)

    def below(self) -> list[str]:
        """The following lines, or in a header row of several labels just the cell under this one."""
        if not _CELL_GAP.search(self.line):
            return self.following
        return [_cell_at(x, self.column) if _CELL_GAP.search(x) else x for x in self.following]


@functools.cache
def _any_of(labels: tuple[Label, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{label.pattern.pattern})" for label in labels), re.I)


def _segments(lines: list[str], labels: tuple[Label, ...]) -> list[Hit]:
    """Every labelled line, strongest label first."""
    # One combined search per line first: testing each label on every line was most of the reading time.
    combined = _any_of(labels)
    candidates = [(index, line) for index, line in enumerate(lines) if combined.search(line)]
    hits = []
    for label in labels:
        for index, line in candidates:
            m = label.pattern.search(line)
            if m:
                after = line[m.end() :].lstrip(" :.-)\t")
                following = [x for x in lines[index + 1 : index + 1 + 4] if x.strip()][:_LOOKAHEAD_LINES]
                hits.append(Hit(label, index, line, after, following, display_width(line[: m.start()])))
    return hits


def _first(hits: list[Hit], read: Callable[[str], object | None]) -> object | None:
    for hit in hits:
        value = read(hit.after)
        if value is not None:
            return value
        if hit.after.strip():
            continue  # the label's own line had text but no value: do not borrow a later line's
        for candidate in hit.below():
            value = read(candidate)
            if value is not None:
                return value
    return None


def read_number(segment: str) -> str | None:
    for m in _NUMBER_TOKEN.finditer(segment):
        token = m.group(0).rstrip(".-/")
        if not find_dates(token) and len(token) >= 2:
            return token
    return None


def choose_total(
    totals: list[tuple[int, Money]],
    subtotals: list[Money],
    taxes: list[Money],
    adjustments: Decimal = Decimal(0),
    paid: list[Money] | None = None,
) -> tuple[Money | None, bool]:
    """The payable total among labelled candidates (tier, money), in reading order, and whether the
    subtotal + tax (+ discounts and shipping printed between them) agree with it. Agreement decides
    first; then the strongest tier (its first mention; the largest in the weakest tier, where "合計"
    also heads line-item columns)."""
    if not totals:
        return None, False
    tax_sums = {t.amount for t in taxes} | ({sum(t.amount for t in taxes)} if len(taxes) > 1 else set())
    sums = {s.amount + t + a for s in subtotals for t in tax_sums for a in {Decimal(0), adjustments}}
    agreeing = [(tier, m) for tier, m in totals if m.amount in sums]
    # Part paid already: the balance (the agreeing total less what was paid) is what is payable.
    balances = {m.amount - abs(p.amount) for _, m in agreeing for p in paid or ()}
    balance = [(tier, m) for tier, m in totals if m.amount in balances]
    if balance:
        return min(balance, key=lambda item: item[0])[1], True
    if agreeing:
        return min(agreeing, key=lambda item: item[0])[1], True
    tier = min(t for t, _ in totals)
    found = [m for t, m in totals if t == tier]
    return (max(found, key=lambda m: m.amount) if tier == 3 else found[0]), False


def _value_money(text: str, currency: str | None) -> list[Money]:
    """Money after a label: amounts written with their currency first (a date or a count later on the
    line is no amount), bare numbers only when none is."""
    explicit = find_money(text, None)
    return explicit or find_money(text, currency)


def _labelled_money(
    lines: list[str], labels: tuple[Label, ...], currency: str | None, *, previous: bool = False
) -> list[tuple[int, Money]]:
    found = []
    for hit in _segments(lines, labels):
        if not previous and hit.label.tier >= 1 and PREVIOUS.search(hit.line):
            continue  # 前回御請求額, 繰越金額, payments received: not what is payable now
        if hit.label.tier == 3 and _NOT_TOTAL.search(hit.line):
            continue
        moneys = _value_money(hit.after, currency)
        if not moneys and not hit.after.strip():
            moneys = next((m for m in (_value_money(x, currency) for x in hit.below()) if m), [])
        if moneys:
            found.append((hit.index, hit.label.tier, moneys[-1]))
    found.sort(key=lambda item: item[0])
    return [(tier, money) for _, tier, money in found]


def adjustment(label: str, amount: Decimal) -> Decimal:
    """A discount lowers the total however it is printed; shipping and other charges raise it."""
    return -abs(amount) if _DISCOUNT.search(label) else amount


def _read_amount(lines: list[str], currency: str | None) -> tuple[Money | None, bool, bool | None]:
    """The payable amount, whether it was labelled, and whether subtotal + tax agree with it (None
    when the document prints no subtotal and tax to check it against)."""
    totals = _labelled_money(lines, AMOUNT_LABELS, currency)
    subtotals = [m for _, m in _labelled_money(lines, SUBTOTAL_LABELS, currency)]
    totals_re = _any_of(AMOUNT_LABELS)
    tax_lines = [line if not totals_re.search(line) else "" for line in lines]  # "Total incl. VAT" is no tax
    taxes = [m for _, m in _labelled_money(tax_lines, TAX_LABELS, currency)]
    adjust = sum(
        (
            adjustment(hit.line, m[-1].amount)
            for hit in _segments(lines, ADJUSTMENT_LABELS)
            if (m := find_money(hit.after, currency))
        ),
        Decimal(0),
    )
    paid = [m for _, m in _labelled_money(lines, PAID_LABELS, currency, previous=True)]
    money, agrees = choose_total(totals, subtotals, taxes, adjust, paid)
    return money, money is not None, (agrees if subtotals and taxes else None)


_CORP = r"(?:株式会社|有限会社|合同会社|\(株\)|\(有\))"
_CORPORATE = re.compile(rf"{_CORP}\s?[^\s御様]+|[^\s]+?{_CORP}")
_PERSON_HONORIFIC = re.compile(r"(?:様|殿|ご担当者?|御担当者?|担当)\s*$")


_CELL_GAP = re.compile(r"\s{3,}|\t")
# "Account 12345", "Kundenkonto 123", "顧客コード 12": an account number line in a customer block.
ACCOUNT_LINE = re.compile(
    r"(?i)^\s*(?:account|acct|a/c|customer\s+(?:no|id|number|code)|kunden(?:konto|nummer|nr)|compte|client\s+n|"
    r"rekening|klantnummer|debiteur|顧客コード|お客様番号)\b.*\d"
)
# "Attention: Accounts", "z. Hd. Buchhaltung", "à l'attention de …", "t.a.v. …", "c/o": a person or a
# department inside the customer's block, never the customer itself.
CARE_OF = re.compile(
    r"(?i)^\s*(?:attn|attention|z\.\s?hd\.?|zu\s+h[äa]nden|c/o|[àa]\s+l['’]\s*attention|t\.\s?a\.\s?v\.?|"
    r"a\s+la\s+atenci[óo]n|ter\s+attentie)\b"
)
_CELL = re.compile(r"\S+(?:\s{1,2}\S+)*")


def display_width(text: str) -> int:
    """Columns a text takes in a monospaced mail: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _column_of(hit: Hit) -> int:
    m = next((lab.pattern.search(hit.line) for lab in CUSTOMER_LABELS if lab.pattern.search(hit.line)), None)
    return display_width(hit.line[: m.start()]) if m else 0


def _cell_at(line: str, column: int) -> str:
    """The cell of a text line (cells split by 3+ spaces) that starts nearest to a character column."""
    cells = [(display_width(line[: m.start()]), m.group(0)) for m in _CELL.finditer(line)]
    if not cells:
        return ""
    return min(cells, key=lambda cell: abs(cell[0] - column))[1]


def own_party(name: str, own_names: tuple[str, ...]) -> bool:
    """Whether a name is the sender's own company (settings company_name): never the customer."""
    key = _name_key(name)
    return bool(key) and any(k and (k in key or key in k) for k in map(_name_key, own_names))


def _name_key(name: str) -> str:
    name = re.sub(r"(?i)\b(?:ltd|limited|inc|llc|gmbh|co|corp|corporation|bv|b\.v|sa|sarl|sas|kk)\b\.?", "", name)
    return re.sub(r"[\W_]+|株式会社|有限会社|合同会社", "", unicodedata.normalize("NFKC", name).casefold())


def company_of(line: str) -> str | None:
    """The company in a Japanese addressee line: "株式会社山田商事 経理部 山田様" → "株式会社山田商事"."""
    m = _CORPORATE.search(line)
    return m.group(0).strip() if m else None


def _honorific_customer(lines: list[str], own_names: tuple[str, ...]) -> tuple[str | None, int, int]:
    """A Japanese addressee: …御中 (the company) beats …様 (a person, whose company line is above)."""
    for honorific in ("御中", "様"):
        for index, line in enumerate(lines[:40]):
            # A cell of its own: a two-column header puts our address on the same line.
            cells = [(display_width(line[: c.start()]), _HONORIFIC.match(c.group(0))) for c in _CELL.finditer(line)]
            column, m = next(((start, x) for start, x in cells if x), (0, None))
            if not m or m.group("honorific") != honorific:
                continue
            if _NOT_CUSTOMER.search(m.group(0)):  # "ご担当者様": a person unnamed, but maybe their company
                company = company_of(m.group("name"))
                if company and honorific == "様" and not own_party(company, own_names):
                    return company, index, column
                continue
            name = m.group("name").strip(" :")
            if len(name) < 2 or own_party(name, own_names):
                continue
            if honorific == "様":
                company = company_of(name) or next(
                    (c for c in (company_of(x) for x in reversed(lines[max(0, index - 2) : index])) if c), None
                )
                if company and not own_party(company, own_names):
                    return company, index, column
            return name, index, column
    return None, -1, 0


def _customer(lines: list[str], own_names: tuple[str, ...] = ()) -> tuple[str | None, str | None]:
    """Customer name and, if printed in the customer's block, their email."""
    name, index, column = _honorific_customer(lines, own_names)
    if name:
        return name, _block_email(lines, index, column)
    for hit in _segments(lines, CUSTOMER_LABELS):
        column = _column_of(hit)
        own_cell = _CELL_GAP.split(hit.after.strip(), maxsplit=1)[0] if hit.after.strip() else ""
        below = [_cell_at(x, column) for x in hit.following]
        block = [own_cell, *below] if own_cell else below
        for candidate in [c for c in block if not CARE_OF.match(c)][:2]:
            name = EMAIL.sub("", candidate).strip(" ,<>:")
            if (
                name
                and not ACCOUNT_LINE.match(name)
                and not own_party(name, own_names)
                and not _OTHER_LABEL.search(name)
                and not (candidate is not own_cell and _any_of(CUSTOMER_LABELS).search(name))
            ):
                return name, _block_email(lines, hit.index, column)
    return None, None


_CONTACT = re.compile(r"(?i)^\s*(?:e-?mail|メール|ご連絡先|連絡先|ご担当者?メール|contact|kontakt|courriel)\s*[:：]?")


def _labelled_contact_email(lines: list[str], own_names: tuple[str, ...]) -> str | None:
    """A labelled contact email on a line of its own (a typed invoice's last lines), not in our block."""
    for index, line in enumerate(lines):
        m = _CONTACT.match(line)
        email = EMAIL.search(line) if m else None
        if email is None:
            continue
        block = lines[max(0, index - 3) : index]
        if not any(own_party(x, own_names) or _SELLER_BLOCK.search(x) for x in block):
            return email.group(0)
    return None


_NAMED_ADDRESS = (
    re.compile(r"\b(?:for|to)\s+(?P<name>[^\s<>:,][^<>:]{1,60}?)\s*<(?P<email>[^<>\s]+@[^<>\s]+)>"),
    re.compile(r"(?:^|:\s*)(?P<name>[^\s<>:,][^<>:]{1,60}?)\s*<(?P<email>[^<>\s]+@[^<>\s]+)>"),
)


def _addressed(lines: list[str], own_names: tuple[str, ...]) -> tuple[str | None, str | None]:
    """A 'Name <address>' pair in a typed invoice (the mail convention), when no block names the customer."""
    for pattern in _NAMED_ADDRESS:  # "… for Name <address>" first, then a line that is one
        for line in lines:
            m = pattern.search(line)
            if m and not own_party(m.group("name"), own_names):
                return m.group("name").strip(), m.group("email")
    return None, None


def _block_email(lines: list[str], index: int, column: int | None = None) -> str | None:
    """The first email in the customer's block (its own column when the header has two)."""
    for offset, line in enumerate(lines[index : index + 5]):
        if column is not None and _CELL_GAP.search(line):
            line = _cell_at(line, column)
        if offset and _SELLER_BLOCK.search(line):
            return None  # the issuer's block has begun: its address is not the customer's
        m = EMAIL.search(line)
        if m:
            return m.group(0)
    return None


def registration_check_digit_ok(number: str) -> bool:
    """A 適格請求書発行事業者 登録番号 (T + 13-digit corporate number): the first digit checks the other
    twelve, 9 - (Σ digit × (1 at odd, 2 at even positions from the right) mod 9)."""
    digits = number.removeprefix("T")
    if len(digits) != 13 or not digits.isdigit():
        return False
    total = sum(int(ch) * (1 if n % 2 else 2) for n, ch in enumerate(reversed(digits[1:]), 1))
    return 9 - total % 9 == int(digits[0])


def _registration(text: str) -> str | None:
    labelled = re.search(r"登録番号\s*[:]?\s*T\s?(\d{13})", text)
    m = labelled or REGISTRATION.search(text)
    return f"T{m.group(1)}" if m else None


def _dates(lines: list[str], labels: tuple[Label, ...], month_first: bool) -> date | None:
    def read(segment: str) -> date | None:
        return next((d for _, d in find_dates(segment, month_first=month_first)), None)

    found = _first(_segments(lines, labels), read)
    return found if isinstance(found, date) else None


def read_text(text: str, *, source: str, own_names: tuple[str, ...] = (), skip: frozenset[str] = frozenset()) -> Draft:
    """Every invoice field the text states, as a Draft for assemble.finish. `skip`: fields the caller
    already read another way ("number", "amount", "issue", "due"), not read again here."""
    text = normalise(text)
    lines = text.split("\n")
    draft = Draft(source=source, language="ja" if is_japanese(text) else "en")
    currency = currency_hint(text)
    month_first = month_first_for(text, currency)
    if "number" not in skip:
        number = _first(_segments(lines, NUMBER_LABELS), read_number)
        draft.number = str(number) if number else None
    if "amount" not in skip:
        money, labelled, agrees = _read_amount(lines, currency or ("JPY" if draft.language == "ja" else None))
        if money is not None:
            draft.amount, draft.currency = money.amount, money.currency
            if agrees is False:
                draft.doubts.append("totals_disagree")
                draft.notes.append("subtotal + tax do not add up to the total read: confirm the amount")
            if currency is None:
                draft.doubts.append("currency_guessed")
                draft.notes.append(f"currency {money.currency} assumed from the document's language")
        if not labelled:
            draft.notes.append("no labelled total found")
    if "issue" not in skip:
        draft.issue_date = _dates(lines, ISSUE_LABELS, month_first)
    if "due" not in skip:
        draft.due_date = _dates(lines, DUE_LABELS, month_first)
    if draft.issue_date is None and "issue" not in skip:
        draft.issue_date = _unlabelled_issue_date(lines, draft.due_date, month_first)
        if draft.issue_date is not None:
            draft.notes.append("issue date read from an unlabelled date at the top")
    if _ambiguous_numeric_dates(text):
        draft.doubts.append("date_order_ambiguous")
        draft.notes.append("dates like 03/04/2026 read " + ("month first (USD)" if month_first else "day first"))
    draft.customer_name, draft.customer_email = _customer(lines, own_names)
    if draft.customer_name is None:
        draft.customer_name, email = _addressed(lines, own_names)
        draft.customer_email = draft.customer_email or email
    if draft.customer_email is None:
        draft.customer_email = _labelled_contact_email(lines, own_names)
    draft.registration_number = _registration(text)
    if draft.registration_number and not registration_check_digit_ok(draft.registration_number):
        draft.notes.append(
            f"登録番号 {draft.registration_number}: the check digit does not match (misread or mistyped?)"
        )
    draft.terms_text = "\n".join(
        " ".join([hit.after, *hit.following]) for hit in _segments(lines, TERMS_LABELS)
    ) or _terms_anywhere(text)
    return draft


def _unlabelled_issue_date(lines: list[str], due: date | None, month_first: bool) -> date | None:
    """Japanese invoices often print the issue date alone at the top right: the first date up there."""
    for line in lines[:_HEAD_LINES]:
        for _, found in find_dates(line, month_first=month_first):
            if found != due:
                return found
    return None


_AMBIGUOUS = re.compile(r"\b(?P<a>0?[1-9]|1[0-2])[/.-](?P<b>0?[1-9]|1[0-2])[/.-]\d{4}\b")


def _ambiguous_numeric_dates(text: str) -> bool:
    return any(m.group("a").lstrip("0") != m.group("b").lstrip("0") for m in _AMBIGUOUS.finditer(text))


_TERMS_WORDING = re.compile(
    r"(?i)net\s*\d{1,3}|\d{1,3}\s+days\s+(?:after|from|of)\b|"
    r"締め|翌月|翌々月|\d{1,3}\s*日以内|within\s+\d{1,3}\s+days|end of (?:the )?"
    r"(?:following|next) month|innerhalb\s+(?:von\s+)?\d{1,3}\s+tag|\d{1,3}\s+jours|binnen\s+\d{1,3}\s+dagen|"
    r"\d{1,3}\s+d[íi]as"
)


def _terms_anywhere(text: str) -> str:
    """Lines with payment-terms wording anywhere, for documents that state terms without a label."""
    return "\n".join(line for line in text.split("\n") if _TERMS_WORDING.search(line))
