"""Money: Decimal amounts with an ISO 4217 currency; the currency decides the minor unit (JPY has none)."""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import get_currency_precision, list_currencies

# In major units: the ledger's money columns hold 14 integer digits (Numeric(18, 4)), so 99,999,999,999,999.99
# is the largest amount that is kept exactly; 1E+30 or Infinity is refused at the door, not at the tick.
MAX_AMOUNT = Decimal(10) ** 14
MAX_AMOUNT_TEXT = 40  # characters: longer is no amount a person typed ('1e500000' is refused before Decimal)
_EXPONENT = re.compile(r"\d\s*[eE]\s*[+-]?\s*\d")
_SYMBOLS = {"¥": "JPY", "￥": "JPY", "円": "JPY", "$": "USD", "€": "EUR", "£": "GBP"}
_NUMBER = re.compile(r"-?\d[\d,.\s']*")


# ISO 4217 codes that are not money an invoice can be in: no currency, testing, metals, SDR units.
_NOT_MONEY = frozenset({"XXX", "XTS", "XAU", "XAG", "XPD", "XPT", "XDR", "XBA", "XBB", "XBC", "XBD", "XSU", "XUA"})


@lru_cache(maxsize=1)
def _known() -> frozenset[str]:
    return frozenset(list_currencies()) - _NOT_MONEY


def is_currency(code: str) -> bool:
    return code in _known()


def normalise_currency(code: str) -> str:
    """'jpy', ' JPY ' or '¥' → 'JPY'; ValueError for anything that is not ISO 4217."""
    cleaned = unicodedata.normalize("NFKC", code).strip()
    upper = _SYMBOLS.get(cleaned, cleaned.upper())
    if not is_currency(upper):
        raise ValueError(f"{code!r} is not an ISO 4217 currency code (e.g. JPY, USD, EUR)")
    return upper


def minor_units(currency: str) -> int:
    return int(get_currency_precision(currency))


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round to the currency's minor unit (JPY 1234.5 → 1235; USD → cents)."""
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_UP)


def parse_amount(text: str, currency: str | None = None) -> Decimal:
    """Read '1,234,500', '¥1,234,500', '1.234,50' (decimal comma) or '12345.67' into a Decimal.

    A lone separator followed by exactly three digits is a thousands separator ('1,234' = 1234),
    except for a currency with a minor unit where '1.234,50'/'1,234.50' decide by the last one.
    """
    cleaned = unicodedata.normalize("NFKC", text[: MAX_AMOUNT_TEXT * 4]).strip()
    if len(cleaned) > MAX_AMOUNT_TEXT:
        raise ValueError(f"amount {text[:20]!r}… is {len(text)} characters long: write it in digits (e.g. 1234.50)")
    if _EXPONENT.search(cleaned):  # '1E+30' would otherwise read as 1
        raise ValueError(f"{text!r} is in exponent notation: write the amount in digits (e.g. 1234.50)")
    match = _NUMBER.search(cleaned)
    if match is None:
        raise ValueError(f"{text!r} holds no amount (e.g. 1234.50)")
    number = re.sub(r"[\s']", "", match.group(0)).rstrip(".,")
    number = _decimal_point(number, currency)
    try:
        return Decimal(number)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not an amount (e.g. 1234.50)") from None


def _decimal_point(number: str, currency: str | None) -> str:
    last_dot, last_comma = number.rfind("."), number.rfind(",")
    if last_dot >= 0 and last_comma >= 0:  # both: the later one is the decimal point
        if last_comma > last_dot:
            return number.replace(".", "").replace(",", ".")
        return number.replace(",", "")
    sep = "," if last_comma >= 0 else "." if last_dot >= 0 else ""
    if not sep:
        return number
    decimals = len(number) - number.rfind(sep) - 1
    no_minor = currency is not None and is_currency(currency) and minor_units(currency) == 0
    if number.count(sep) > 1 or (decimals == 3 and (sep == "," or no_minor)):
        return number.replace(sep, "")  # thousands separators only
    return number.replace(",", ".") if sep == "," else number


def check_amount(amount: Decimal, currency: str | None = None, *, field: str = "amount",
                 allow_zero: bool = True) -> Decimal:
    """The amount (rounded to the currency's minor unit when one is given), or ValueError when it is NaN or
    infinite, negative (or zero when not allowed), or 10^14 or more in major units (more than the ledger holds)."""
    if not amount.is_finite():
        raise ValueError(f"{field} {amount} is not a number: give it in digits (e.g. 1234.50)")
    if amount.adjusted() >= 14:  # adjusted() only reads the exponent: no arithmetic on 1e500000
        raise ValueError(f"{field} {_short(amount)} is too large: dunmail keeps amounts below {MAX_AMOUNT:,}")
    rounded = quantize(amount, currency) if currency is not None else amount
    if abs(rounded) >= MAX_AMOUNT:
        raise ValueError(f"{field} {_short(amount)} is too large: dunmail keeps amounts below {MAX_AMOUNT:,}")
    if rounded < 0:
        raise ValueError(f"{field} {amount} is negative: enter a credit note as a decision on the case instead")
    if rounded == 0 and not allow_zero:
        raise ValueError(f"{field} must be above zero")
    return rounded


def parse_form_amount(text: str, currency: str | None = None, *, field: str = "amount",
                      allow_zero: bool = True) -> Decimal:
    """An amount typed in a form or given to an API: plain digits with an optional decimal point (commas for
    thousands are dropped), checked by `check_amount`. ValueError with a message to show otherwise."""
    raw = text.strip()
    if len(raw) > MAX_AMOUNT_TEXT:
        raise ValueError(f"{field}: {len(raw)} characters is no amount; write it in digits (e.g. 1234.50)")
    cleaned = raw.replace(",", "").replace("_", "")
    if not re.fullmatch(r"-?\d+(\.\d+)?", cleaned):
        raise ValueError(f"{field}: {raw!r} is not an amount; write it in digits (e.g. 1234.50)")
    return check_amount(Decimal(cleaned), currency, field=field, allow_zero=allow_zero)


def _short(amount: Decimal) -> str:
    return f"{amount:.3E}" if amount.adjusted() > 20 else format(amount, "f")
