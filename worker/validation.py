"""Checks for values that come in at a door (CSV, intake, review forms, an API) before they reach the ledger.

One place, so every door refuses the same things with the same words: a date outside the years an
invoice can have, an identifier too long to be one, text the database cannot hold. Amounts and
currencies are checked in `worker.money` (`check_amount`, `normalise_currency`). Each check raises
ValueError with a message a person can act on; the door turns it into its own row or form error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal

from worker.money import check_amount, normalise_currency

EARLIEST_YEAR = 2000  # no invoice dunmail chases was issued or falls due before this
LATEST_YEAR = 2100  # nor after this: 9999-12-31 is a placeholder, not a due date
MAX_INVOICE_NUMBER = 64  # longer is not an invoice number (UBL/Peppol IDs are far shorter)

_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")  # NUL (PostgreSQL text refuses it) and lone surrogates


def check_date(value: date, field: str) -> date:
    """The date itself, or ValueError when its year is outside 2000–2100."""
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"{field} {value.isoformat()} is outside {EARLIEST_YEAR}–{LATEST_YEAR}: "
                         "give the real date (YYYY-MM-DD)")
    return value


def check_invoice_number(value: str) -> str:
    """The number stripped, or ValueError when it is empty or longer than 64 characters."""
    number = value.strip()
    if not number:
        raise ValueError("invoice number is empty")
    if len(number) > MAX_INVOICE_NUMBER:
        raise ValueError(f"invoice number is {len(number)} characters long; at most {MAX_INVOICE_NUMBER} are "
                         "accepted")
    if _UNSTORABLE.search(number) or not number.isprintable():
        raise ValueError("invoice number holds control characters: give it as printed on the invoice")
    return number


def check_invoice(*, number: str, amount: Decimal, currency: str, due_date: date, issue_date: date | None = None,
                  balance: Decimal | None = None) -> None:
    """Every value of an invoice about to enter the ledger, checked at once; ValueError names the first bad one.

    The one check every door calls (CSV import, intake, an API) before `ledger.upsert_invoice`."""
    check_invoice_number(number)
    normalise_currency(currency)
    check_amount(amount, currency, field="amount")
    if balance is not None:
        check_amount(balance, currency, field="balance")
    check_date(due_date, "due_date")
    if issue_date is not None:
        check_date(issue_date, "issue_date")


def invoice_problem(*, number: str | None, amount: Decimal | None, currency: str | None, due_date: date | None,
                    issue_date: date | None = None) -> str | None:
    """`check_invoice` as a value: the reason an extracted invoice cannot be opened, or None (for intake)."""
    if number is None or amount is None or currency is None or due_date is None:
        return "number, amount, currency and due date are all needed"
    try:
        check_invoice(number=number, amount=amount, currency=currency, due_date=due_date, issue_date=issue_date)
    except ValueError as exc:
        return str(exc)
    return None


def storable(text: str) -> str:
    """Text any database can hold: NULs dropped, lone surrogates (undecodable header bytes) replaced."""
    return _UNSTORABLE.sub(lambda m: "" if m.group(0) == "\x00" else "\ufffd", text)


def storable_json(value: object) -> object:
    """`storable` applied to every string inside a JSON-like value (dicts, lists, tuples)."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, Mapping):
        return {storable(str(k)): storable_json(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return [storable_json(v) for v in value]
    return value
