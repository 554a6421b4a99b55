"""Amounts and invoice numbers in a reply (and its subject). Pure functions over compiled regexes.

Amounts keep their currency when the text names one (symbol or ISO code, 円 for yen); a separator is
read as a decimal point or a thousands mark by its position ("1.234,50" is continental, "1,234.50" is
not, "1,234" is a thousand and more). Invoice numbers are the ones a customer quotes: a labelled number
("invoice no. 4411", 請求書番号：A-77), a prefixed code (INV-2026-0042) or "#1234".
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from worker.classify.dates import fold_width

SYMBOLS = {
    "¥": "JPY",
    "￥": "JPY",
    "円": "JPY",
    "$": "USD",
    "US$": "USD",
    "€": "EUR",
    "£": "GBP",
    "A$": "AUD",
    "C$": "CAD",
    "S$": "SGD",
    "HK$": "HKD",
}
CODES = (
    "JPY",
    "USD",
    "EUR",
    "GBP",
    "AUD",
    "CAD",
    "CHF",
    "CNY",
    "HKD",
    "SGD",
    "NZD",
    "KRW",
    "SEK",
    "NOK",
    "DKK",
    "INR",
    "TWD",
    "THB",
)

_NUMBER = r"(?P<num>\d{1,3}(?:[,.' ]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)"
_SYMBOL = r"(?P<sym>US\$|HK\$|A\$|C\$|S\$|[¥￥$€£])"
_CODE = r"(?P<code>" + "|".join(CODES) + r")"
_AMOUNT = re.compile(
    r"(?:" + _SYMBOL + r"\s?" + _NUMBER + r")"
    r"|(?:\b" + _CODE + r"\s?" + _NUMBER.replace("num>", "num2>") + r")"
    r"|(?:" + _NUMBER.replace("num>", "num3>") + r"\s?(?:(?P<yen>円)|(?P<code2>" + "|".join(CODES) + r")\b"
    r"|(?P<sym2>[€£])))"
)

# Labelled numbers first: the label says it is an invoice, so the value may be plain digits.
_LABELLED = re.compile(
    r"(?:invoice|inv|bill|ref(?:erence)?|order|po|請求書|請求|ご請求|注文|発注)\s?"
    r"(?:番号|no\.?|num(?:ber)?\.?|#|№|ナンバー)\s?[:：#]?\s?(?P<ref>[A-Za-z0-9][A-Za-z0-9\-/_.]{1,30}[A-Za-z0-9])",
    re.IGNORECASE,
)
_PREFIXED = re.compile(
    r"\b(?P<ref>(?:INV|IN|BILL|SI|AR|RE|INVOICE|JP|NO)[-_/]?\d[\dA-Z\-/]{1,25}\d)\b", re.IGNORECASE
)
_CODE_LIKE = re.compile(r"\b(?P<ref>[A-Z]{2,5}-\d{2,}(?:-\d+)*)\b")
_HASH = re.compile(r"(?<![\w&])#\s?(?P<ref>\d{3,12})\b")


def _to_decimal(num: str) -> Decimal | None:
    """A number written with thousands marks and a decimal point or comma, as a Decimal."""
    cleaned = num.replace("'", "").replace(" ", "")
    last_dot, last_comma = cleaned.rfind("."), cleaned.rfind(",")
    decimal_mark = ""
    if last_dot >= 0 and last_comma >= 0:
        decimal_mark = "." if last_dot > last_comma else ","
    elif last_dot >= 0 or last_comma >= 0:
        mark = "." if last_dot >= 0 else ","
        tail = cleaned.rsplit(mark, 1)[1]
        if cleaned.count(mark) == 1 and len(tail) != 3:  # "12.5", "12,50": decimals; "1,234": thousands
            decimal_mark = mark
    thousands = {".", ","} - {decimal_mark}
    for mark in thousands:
        cleaned = cleaned.replace(mark, "")
    if decimal_mark:
        cleaned = cleaned.replace(decimal_mark, ".")
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        return None


def find_amounts(text: str) -> list[tuple[Decimal, str | None]]:
    """Every money amount named with a currency, in order; the currency as ISO 4217."""
    out: list[tuple[Decimal, str | None]] = []
    for m in _AMOUNT.finditer(fold_width(text)):
        groups = m.groupdict()
        num = groups["num"] or groups["num2"] or groups["num3"]
        value = _to_decimal(num)
        if value is None:
            continue
        currency = _currency(groups)
        if (value, currency) not in out:
            out.append((value, currency))
    return out


def _currency(groups: dict[str, str | None]) -> str | None:
    if groups["yen"]:
        return "JPY"
    code = groups["code"] or groups["code2"]
    if code:
        return code.upper()
    symbol = groups["sym"] or groups["sym2"]
    return SYMBOLS.get(symbol) if symbol else None


def find_invoice_refs(text: str) -> list[str]:
    """Invoice numbers quoted in text (labelled, prefixed codes, '#1234'), each once, in order."""
    folded = fold_width(text)
    refs: list[str] = []
    for pattern in (_LABELLED, _PREFIXED, _CODE_LIKE, _HASH):
        for m in pattern.finditer(folded):
            ref = m.group("ref").strip(".-/_")
            if _plausible(ref) and ref not in refs and not any(ref in r for r in refs):
                refs.append(ref)
    return refs


def _plausible(ref: str) -> bool:
    """A reference has a digit and is not a date or a phone number in disguise."""
    if not any(ch.isdigit() for ch in ref) or len(ref) < 3:
        return False
    return not re.fullmatch(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|\d{2,4}-\d{2,4}-\d{3,4}", ref)
