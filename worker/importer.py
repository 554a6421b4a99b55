"""`dunmail import invoices.csv`: invoices and customers from a CSV, idempotent by invoice number.

Accepts UTF-8 (with or without the BOM Excel writes) and CP932 (Excel on Japanese Windows), comma
or semicolon separated. Bad rows are reported by row number and reason; the good rows still go in.
Re-importing updates rows, never duplicates them; a balance of zero stops the chase.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import structlog
from sqlalchemy.orm import Session

from worker import ledger
from worker.db.models import Customer, utcnow
from worker.domain import CaseState
from worker.errors import ConfigError, ImportRowError
from worker.ladder.calendar import normalise_region
from worker.money import check_amount, normalise_currency, parse_amount
from worker.validation import check_invoice

log = structlog.get_logger(__name__)

REQUIRED = ("invoice_number", "customer_name", "customer_email", "amount", "currency", "due_date")
OPTIONAL = ("issue_date", "language", "timezone", "country", "balance", "account_owner_email", "policy",
            "segment")
ALIASES = {"invoice": "invoice_number", "number": "invoice_number", "email": "customer_email",
           "customer": "customer_name", "total": "amount", "due": "due_date", "tz": "timezone",
           "lang": "language"}
_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")


@dataclass(frozen=True)
class InvoiceRow:
    number: str
    customer_name: str
    emails: tuple[str, ...]
    amount: Decimal
    balance: Decimal | None
    currency: str
    issue_date: date | None
    due_date: date
    language: str | None
    timezone: str | None
    country: str | None
    account_owner_email: str | None
    policy: str | None
    segment: str | None


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    stopped: int = 0  # cases closed because the balance is now zero
    errors: list[ImportRowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def decode_csv(data: bytes) -> str:
    """UTF-8 (BOM or not) first; CP932 (a superset of Shift_JIS) for Japanese Excel exports."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp932")
    except UnicodeDecodeError:
        raise ImportRowError(0, "the file is neither UTF-8 nor CP932/Shift_JIS; save it as CSV UTF-8") from None


def read_rows(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number as a spreadsheet shows it, row) pairs; the header is row 1."""
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [_column(h) for h in next(reader)]
    except StopIteration:
        raise ImportRowError(1, "the file is empty; the first row must name the columns") from None
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ImportRowError(1, f"missing column(s) {', '.join(missing)}; required: {', '.join(REQUIRED)}")
    for number, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        yield number, dict(zip(header, (v.strip() for v in values), strict=False))


def _column(name: str) -> str:
    key = unicodedata.normalize("NFKC", name).strip().lower().replace(" ", "_").replace("-", "_")
    return ALIASES.get(key, key)


def parse_row(row_number: int, row: dict[str, str]) -> InvoiceRow:
    def need(key: str) -> str:
        value = row.get(key, "")
        if not value:
            raise ImportRowError(row_number, f"{key} is empty")
        return value

    try:
        currency = normalise_currency(need("currency"))
        # check_amount reads the size before rounding: a 27-digit amount is a row error, not a crash
        amount = check_amount(parse_amount(need("amount"), currency), currency)
        balance = check_amount(parse_amount(row["balance"], currency), currency, field="balance") \
            if row.get("balance") else None
    except ValueError as exc:
        raise ImportRowError(row_number, str(exc)) from None
    emails = tuple(e.strip().lower() for e in re.split(r"[;,\s]+", need("customer_email")) if e.strip())
    bad = [e for e in emails if not _EMAIL.match(e)]
    if bad or not emails:
        raise ImportRowError(row_number, f"customer_email {', '.join(bad) or '(none)'} is not an email address")
    parsed = InvoiceRow(
        number=need("invoice_number"),
        customer_name=need("customer_name"),
        emails=emails,
        amount=amount,
        balance=balance,
        currency=currency,
        issue_date=_date(row_number, "issue_date", row.get("issue_date", "")),
        due_date=_date(row_number, "due_date", need("due_date")),  # type: ignore[arg-type]
        language=_choice(row_number, "language", row.get("language"), ("en", "ja")),
        timezone=_timezone(row_number, row.get("timezone")),
        country=_region(row_number, row.get("country")),
        account_owner_email=(row.get("account_owner_email") or "").lower() or None,
        policy=row.get("policy") or None,
        segment=row.get("segment") or None,
    )
    try:  # the checks every door shares: sane dates, bounded amounts, a real invoice number
        check_invoice(number=parsed.number, amount=parsed.amount, currency=parsed.currency,
                      due_date=parsed.due_date, issue_date=parsed.issue_date, balance=parsed.balance)
    except ValueError as exc:
        raise ImportRowError(row_number, str(exc)) from None
    return parsed


_DATE_FORMS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")


def _date(row_number: int, key: str, value: str) -> date | None:
    value = unicodedata.normalize("NFKC", value).strip()
    if not value:
        return None
    for form in _DATE_FORMS:
        try:
            return datetime.strptime(value, form).date()
        except ValueError:
            continue
    raise ImportRowError(row_number, f"{key} {value!r} is not a date; write it as YYYY-MM-DD (e.g. 2026-04-30)")


def _choice(row_number: int, key: str, value: str | None, allowed: tuple[str, ...]) -> str | None:
    if not value:
        return None
    value = value.strip().lower()
    if value not in allowed:
        raise ImportRowError(row_number, f"{key} {value!r} is not one of {', '.join(allowed)}")
    return value


def _timezone(row_number: int, value: str | None) -> str | None:
    if not value:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ImportRowError(row_number, f"timezone {value!r} is not an IANA name (e.g. Asia/Tokyo)") from None
    return value


def _region(row_number: int, value: str | None) -> str | None:
    """A holiday region: 'JP', or a country with its subdivision, 'DE-BY' (so the tick can always plan)."""
    if not value or not value.strip():
        return None
    try:
        return normalise_region(value)
    except ConfigError as exc:
        raise ImportRowError(row_number, f"country: {exc}") from None


def import_rows(
    session: Session,
    rows: list[InvoiceRow],
    *,
    defaults: ImportDefaults,
    source: str = "import",
    now: datetime | None = None,
) -> ImportReport:
    """Write parsed rows to the ledger; one case per new invoice, due for the scheduler at once."""
    report = ImportReport()
    for row in rows:
        customer = _customer_for(session, row, defaults)
        invoice, created = ledger.upsert_invoice(
            session, customer=customer, number=row.number, amount=row.amount, currency=row.currency,
            issue_date=row.issue_date, due_date=row.due_date, balance=row.balance, source=source,
        )
        session.flush()
        # The scheduler decides the first step; a new case is simply due for a look now.
        case = ledger.open_case(session, invoice, policy=row.policy or customer.policy or defaults.policy,
                                first_action_at=now or utcnow(), reason=f"invoice {row.number} imported")
        if created:
            report.created += 1
        else:
            report.updated += 1
        if invoice.balance <= 0 and CaseState(case.state).is_open:
            ledger.transition(session, case, CaseState.PAID, actor=ledger.SYSTEM,
                              reason="balance is zero in the import")
            report.stopped += 1
    return report


@dataclass(frozen=True)
class ImportDefaults:
    language: str = "en"
    timezone: str = "UTC"
    country: str = "US"
    policy: str = "default"


def _customer_for(session: Session, row: InvoiceRow, defaults: ImportDefaults) -> Customer:
    customer = ledger.find_customer(session, email=row.emails[0], name=row.customer_name)
    if customer is None:
        customer = Customer(name=row.customer_name, language=row.language or defaults.language,
                            timezone=row.timezone or defaults.timezone,
                            country=row.country or defaults.country)
        session.add(customer)
    for attr in ("language", "timezone", "country", "account_owner_email", "policy", "segment"):
        value = getattr(row, attr)
        if value:
            setattr(customer, attr, value)
    for email in row.emails:
        ledger.ensure_contact(session, customer, email)
    session.flush()
    return customer


def import_file(
    session: Session,
    path: Path,
    *,
    defaults: ImportDefaults,
    progress: Callable[[int], None] | None = None,
    now: datetime | None = None,
) -> ImportReport:
    """Parse the whole file first (reporting every bad row), then write the good rows."""
    text = decode_csv(path.read_bytes())
    good: list[InvoiceRow] = []
    errors: list[ImportRowError] = []
    seen: dict[str, int] = {}
    for row_number, row in read_rows(text):
        try:
            parsed = parse_row(row_number, row)
            if parsed.number in seen:
                raise ImportRowError(row_number, f"invoice {parsed.number} already on row {seen[parsed.number]}")
            seen[parsed.number] = row_number
            good.append(parsed)
        except ImportRowError as exc:
            errors.append(exc)
        if progress:
            progress(1)
    report = import_rows(session, good, defaults=defaults, now=now)
    report.errors = errors
    log.info("import_done", file=path.name, created=report.created, updated=report.updated,
             rejected=len(errors))
    return report
