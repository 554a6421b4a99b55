"""Reading single values out of invoice text: money, dates, payment terms. English and Japanese.

Text is NFKC-normalised first by the caller (full-width digits, ￥, （）and ： become ASCII forms).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

# ISO 4217 codes with no minor unit: an amount "1,234" there is never "1.234".
ZERO_DECIMAL = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "HUF", "TWD", "XOF", "XAF"})

# Currency signs and words, longest first so "US$" wins over "$".
_SIGNS: tuple[tuple[str, str], ...] = (
    ("US$", "USD"),
    ("A$", "AUD"),
    ("C$", "CAD"),
    ("S$", "SGD"),
    ("NZ$", "NZD"),
    ("HK$", "HKD"),
    ("¥", "JPY"),
    ("円", "JPY"),
    ("€", "EUR"),
    ("£", "GBP"),
    ("$", "USD"),
    ("₩", "KRW"),
    ("₹", "INR"),
    ("Rs.", "INR"),
    ("CHF", "CHF"),
    ("ユーロ", "EUR"),
    ("ドル", "USD"),
    ("元", "CNY"),
)
_CODES = (
    "JPY",
    "USD",
    "EUR",
    "GBP",
    "AUD",
    "CAD",
    "SGD",
    "NZD",
    "HKD",
    "CHF",
    "CNY",
    "KRW",
    "SEK",
    "NOK",
    "DKK",
    "PLN",
    "CZK",
    "INR",
    "THB",
    "TWD",
)
_SIGN_RE = "|".join(re.escape(sign) for sign, _ in _SIGNS)
_CODE_RE = "|".join(_CODES)
# Indian lakh grouping (1,23,456.00), space or apostrophe grouping with decimals (1 234,56; 1'234.50;
# thin and narrow no-break spaces are plain spaces after NFKC), comma/dot grouping, bare numbers.
_NUMBER = (
    r"\d{1,2}(?:,\d{2})+,\d{3}(?:\.\d{1,2})?"
    r"|\d{1,3}(?:[ '\u2009\u202f\u00a0]\d{3})+[.,]\d{1,2}(?!\d)"
    r"|\d{1,3}(?:[,.]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
)
# A money mention: optional minus, currency before and/or after the number.
MONEY = re.compile(
    rf"(?P<neg>[-−▲△])?\s*(?P<pre>{_SIGN_RE}|\b(?:{_CODE_RE})\b)?\s*(?P<neg2>[-−])?\s*(?P<num>{_NUMBER})"
    rf"(?!\d)(?![.,]\d)\s*(?P<post>{_SIGN_RE}|\b(?:{_CODE_RE})\b)?(?!\s*[%％])"
)
_SIGN_TO_CODE = dict(_SIGNS)


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str | None  # None when the text gave no sign or code


def _currency(token: str | None) -> str | None:
    if not token:
        return None
    return _SIGN_TO_CODE.get(token, token if token in _CODES else None)


def parse_number(num: str, currency: str | None) -> Decimal | None:
    """'1,234.50', '1.234,50', '1,234' → Decimal. A lone separator before exactly 3 digits groups thousands"""
    last_dot, last_comma = num.rfind("."), num.rfind(",")
    both = last_dot >= 0 and last_comma >= 0
    lone_fraction = num.count(".") + num.count(",") == 1 and len(num) - max(last_dot, last_comma) - 1 != 3
    # Otherwise "1.234" / "1,234,567": grouping only.
    decimal_at = max(last_dot, last_comma) if both or lone_fraction else -1
    whole = num if decimal_at < 0 else num[:decimal_at]
    frac = "" if decimal_at < 0 else num[decimal_at + 1 :]
    digits = re.sub(r"[.,' \u2009\u202f\u00a0]", "", whole)
    try:
        value = Decimal(f"{digits}.{frac}" if frac else digits)
    except InvalidOperation:
        return None
    if value.is_finite() and value.adjusted() >= 14:  # rounding it would overflow; the checks call it too large
        return value
    if currency in ZERO_DECIMAL and value == value.to_integral_value():
        value = value.quantize(Decimal(1))
    return value


def find_money(text: str, default_currency: str | None = None) -> list[Money]:
    """Every money mention in text, in order. Bare numbers count only when a default currency is given."""
    found = []
    for m in MONEY.finditer(text):
        currency = _currency(m.group("pre")) or _currency(m.group("post"))
        if currency is None and default_currency is None:
            continue
        value = parse_number(m.group("num"), currency or default_currency)
        if value is None:
            continue
        if m.group("neg") or m.group("neg2"):
            value = -value
        found.append(Money(value, currency or default_currency))
    return found


def currency_hint(text: str) -> str | None:
    """The currency a document speaks most, from signs and codes anywhere in it."""
    counts: dict[str, int] = {}
    for m in MONEY.finditer(text):
        code = _currency(m.group("pre")) or _currency(m.group("post"))
        if code:
            counts[code] = counts.get(code, 0) + 1
    return max(counts, key=lambda c: counts[c]) if counts else None


# --- dates --------------------------------------------------------------------------------------------------

_ERAS = {"令和": 2018, "平成": 1988, "昭和": 1925, "R": 2018, "H": 1988}
_MONTH_NAMES: tuple[tuple[str, ...], ...] = (
    ("jan", "january", "januar", "janvier", "januari", "enero", "jänner"),
    ("feb", "february", "februar", "février", "fevrier", "februari", "febrero"),
    ("mar", "march", "märz", "maerz", "mars", "maart", "marzo", "mrt"),
    ("apr", "april", "avril", "abril"),
    ("may", "mai", "mei", "mayo"),
    ("jun", "june", "juni", "juin", "junio"),
    ("jul", "july", "juli", "juillet", "julio"),
    ("aug", "august", "août", "aout", "augustus", "agosto"),
    ("sep", "sept", "september", "septembre", "septiembre", "setiembre"),
    ("oct", "october", "oktober", "octobre", "octubre", "okt"),
    ("nov", "november", "novembre", "noviembre"),
    ("dec", "december", "dezember", "décembre", "decembre", "diciembre", "dez", "dic"),
)
_MONTHS = {name: i for i, names in enumerate(_MONTH_NAMES, start=1) for name in names}
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))

_DATE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "era",
        re.compile(
            r"(?P<era>令和|平成|昭和)\s*(?P<y>\d{1,2}|元)\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日"
        ),
    ),
    ("era", re.compile(r"\b(?P<era>[RH])\s?(?P<y>\d{1,2})[./](?P<m>\d{1,2})[./](?P<d>\d{1,2})\b")),
    ("ymd", re.compile(r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日")),
    ("ymd", re.compile(r"\b(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})\b")),
    (
        "mdy",
        re.compile(rf"(?i)\b(?P<mon>{_MONTH_RE})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})\b"),
    ),
    (
        "dmy",
        re.compile(
            rf"(?i)\b(?P<d>\d{{1,2}})(?:st|nd|rd|th|er|\.)?[\s-]+(?:de\s+)?(?P<mon>{_MONTH_RE})\.?[\s-]+"
            rf"(?:de\s+)?(?P<y>\d{{4}})\b"
        ),
    ),
    ("num", re.compile(r"\b(?P<a>\d{1,2})[/.-](?P<b>\d{1,2})[/.-](?P<y>\d{4})\b")),
)


def _make(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _from_match(kind: str, m: re.Match[str], month_first: bool) -> date | None:
    if kind == "era":
        year = 1 if m.group("y") == "元" else int(m.group("y"))
        return _make(_ERAS[m.group("era")] + year, int(m.group("m")), int(m.group("d")))
    if kind == "ymd":
        return _make(int(m.group("y")), int(m.group("m")), int(m.group("d")))
    if kind in ("mdy", "dmy"):
        return _make(int(m.group("y")), _MONTHS[m.group("mon").lower()], int(m.group("d")))
    a, b = int(m.group("a")), int(m.group("b"))
    if a > 12 or (not month_first and b <= 12):
        return _make(int(m.group("y")), b, a)
    return _make(int(m.group("y")), a, b)


def find_dates(text: str, *, month_first: bool = False) -> list[tuple[int, date]]:
    """Every date in text as (position, date), in order. 03/04/2026 is day-first unless month_first."""
    found: dict[int, date] = {}
    taken: list[tuple[int, int]] = []
    for kind, pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            if any(start <= m.start() < end for start, end in taken):
                continue
            value = _from_match(kind, m, month_first)
            if value is not None:
                found[m.start()] = value
                taken.append(m.span())
    return sorted(found.items())


_NUMERIC_DATE = re.compile(r"\b(?P<a>\d{1,2})[/.-](?P<b>\d{1,2})[/.-]\d{4}\b")


def month_first_for(text: str, currency: str | None) -> bool:
    """Whether 03/04/2026 is March 4th in this document: its own unambiguous dates decide (a 13/04 is
    day-first, a 04/13 month-first); only when none decides does the currency (USD: US custom)."""
    votes = 0
    for m in _NUMERIC_DATE.finditer(text):
        a, b = int(m.group("a")), int(m.group("b"))
        if a > 12 >= b:
            votes -= 1
        elif b > 12 >= a:
            votes += 1
    if votes:
        return votes > 0
    return currency == "USD"


def first_date(text: str, *, month_first: bool = False) -> date | None:
    dates = find_dates(text, month_first=month_first)
    return dates[0][1] if dates else None


# --- payment terms ------------------------------------------------------------------------------------------


def _month_end(year: int, month: int) -> date:
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return date(year, month, calendar.monthrange(year, month)[1])


def _month_day(year: int, month: int, day: int) -> date:
    end = _month_end(year, month)
    return end.replace(day=min(day, end.day))


_NEXT = {"当": 0, "翌": 1, "翌々": 2, "翌翌": 2}
_TERMS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)\bnet\s*(\d{1,3})\b"), "days"),
    (re.compile(r"(?i)\b(?:within|in)\s+(\d{1,3})\s+days\b"), "days"),
    (re.compile(r"(?i)\b(\d{1,3})\s+days\s+(?:net|from|after|of)\b"), "days"),
    (
        re.compile(r"(?:請求日|発行日|請求書発行日|受領日)?(?:から|より|後)\s*(\d{1,3})\s*日(?:以内|後)"),
        "days",
    ),
    (re.compile(r"(\d{1,3})\s*日以内"), "days"),
    (re.compile(r"(?i)\binnerhalb\s+(?:von\s+)?(\d{1,3})\s+tag(?:en|e)?\b"), "days"),
    (re.compile(r"(?i)\b(\d{1,3})\s+tage?n?\s+netto\b"), "days"),
    (re.compile(r"(?i)(?:\b[àa]|\bsous|\bdans\s+les)\s+(\d{1,3})\s+jours\b"), "days"),
    (re.compile(r"(?i)\bbinnen\s+(\d{1,3})\s+dagen\b"), "days"),
    (re.compile(r"(?i)\b(?:a|en)\s+(\d{1,3})\s+d[íi]as\b"), "days"),
    (
        re.compile(
            r"(?:末日?|月末|\d{1,2}日)?締め?\s*(当|翌々|翌翌|翌)月\s*(末日?|\d{1,2}日)\s*(?:払|支払|振込|迄|まで)"
        ),
        "month",
    ),
    (re.compile(r"(当|翌々|翌翌|翌)月\s*(末日?|\d{1,2}日)\s*(?:払|支払|振込|お支払|迄|まで)"), "month"),
    (re.compile(r"(?i)\bend of (?:the )?(following|next) month\b"), "eom_next"),
    (re.compile(r"(?i)\b(\d{1,3})\s+days\s+end of month\b|\beom\s*\+?\s*(\d{1,3})\b"), "eom_days"),
)


def due_from_terms(text: str, issue: date) -> tuple[date, str] | None:
    """Due date from payment-terms wording ('Net 30', '月末締め翌月末払い'), and the wording it read."""
    for pattern, kind in _TERMS:
        m = pattern.search(text)
        if not m:
            continue
        if kind == "days":
            return issue + timedelta(days=int(m.group(1))), m.group(0)
        if kind == "eom_next":
            return _month_end(issue.year, issue.month + 1), m.group(0)
        if kind == "eom_days":
            days = int(m.group(1) or m.group(2))
            return _month_end(issue.year, issue.month) + timedelta(days=days), m.group(0)
        months, day = _NEXT[m.group(1)], m.group(2)
        if day.startswith("末"):
            return _month_end(issue.year, issue.month + months), m.group(0)
        return _month_day(issue.year, issue.month + months, int(day.rstrip("日"))), m.group(0)
    return None
