"""The ledger's tables. The database is the source of truth; the broker only carries work.

Money is exact on both databases, with an ISO 4217 currency beside it: NUMERIC(18, 4) on PostgreSQL,
and on SQLite (whose NUMERIC is a float) an integer count of 1/10,000 units (ExactMoney). Times are
stored as aware UTC datetimes (UtcDateTime puts the zone back on SQLite, which keeps none).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import UserDefinedType

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime stored in UTC; naive input is refused (it is always a bug here)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database: attach a timezone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


MONEY_SCALE = 4  # decimal places kept: every ISO 4217 minor unit fits (the finest, e.g. CLF, is 4)


class _SqliteMoneyStorage(UserDefinedType[int]):
    """What ExactMoney hands SQLite: the same NUMERIC(18, 4) declaration, but integers passed through as they are
    (SQLite keeps an integer in a NUMERIC column exactly; it is a float it would round)."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return f"NUMERIC(18, {MONEY_SCALE})"


class ExactMoney(TypeDecorator[Decimal]):
    """A Decimal kept exactly to 4 places on both databases: 99999999999999.99 reads back as written.

    PostgreSQL stores NUMERIC(18, 4) as it is. SQLite stores NUMERIC as a float (15–16 significant digits), so
    there the value is written as an integer of 1/10,000 units — at most 10^18, inside a 64-bit integer — and
    read back by scaling. Comparisons and SUM() work on the stored integers, since every bound value is scaled
    the same way."""

    impl = Numeric(18, MONEY_SCALE, asdecimal=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(_SqliteMoneyStorage())
        return dialect.type_descriptor(Numeric(18, MONEY_SCALE, asdecimal=True))

    def process_bind_param(self, value: Decimal | int | None, dialect: Dialect) -> Decimal | int | None:
        if value is None:
            return None
        amount = Decimal(value).quantize(Decimal(1).scaleb(-MONEY_SCALE))
        return int(amount.scaleb(MONEY_SCALE)) if dialect.name == "sqlite" else amount

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            if isinstance(value, int):
                return Decimal(value).scaleb(-MONEY_SCALE)
            # Not an integer: a value in major units that migration 0002 did not convert (it converts them all).
            return Decimal(str(value)).quantize(Decimal(1).scaleb(-MONEY_SCALE))
        return Decimal(value).quantize(Decimal(1).scaleb(-MONEY_SCALE))


Money = ExactMoney()


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime,
        Decimal: Money,
        dict[str, Any]: JSON,
    }


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    language: Mapped[str] = mapped_column(String(8), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    country: Mapped[str] = mapped_column(String(8), default="US")
    account_owner_email: Mapped[str | None] = mapped_column(String(320))
    policy: Mapped[str | None] = mapped_column(String(64))  # ladder policy name; None = segment or default
    segment: Mapped[str | None] = mapped_column(String(64))
    registration_number: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    contacts: Mapped[list[Contact]] = relationship(back_populates="customer", order_by="Contact.id")


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("customer_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    invalid_reason: Mapped[str | None] = mapped_column(Text)  # set when mail to it bounced for good

    customer: Mapped[Customer] = relationship(back_populates="contacts")


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = (UniqueConstraint("issuer", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(64), default="default")
    number: Mapped[str] = mapped_column(String(100))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    amount: Mapped[Decimal]
    balance: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    issue_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, paid, credited, written_off
    source: Mapped[str] = mapped_column(String(16), default="import")  # import, intake, api
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    customer: Mapped[Customer] = relationship()


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    state: Mapped[str] = mapped_column(String(24), default="active", index=True)
    policy: Mapped[str] = mapped_column(String(64), default="default")
    last_stage: Mapped[str | None] = mapped_column(String(64))
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    last_sent_at: Mapped[datetime | None]
    # The scheduler reads only rows whose next_action_at has come: the tick costs O(due), not O(open).
    next_action_at: Mapped[datetime | None] = mapped_column(index=True)
    paused_reason: Mapped[str | None] = mapped_column(Text)
    paused_until: Mapped[datetime | None]
    promised_date: Mapped[date | None] = mapped_column(Date)
    # A one-off template for the next send (promise_missed, payment_not_received), then the ladder again.
    next_template: Mapped[str | None] = mapped_column(String(64))
    # A settlement offered by finance: a reduced amount with its own deadline.
    settlement_amount: Mapped[Decimal | None]
    settlement_due: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    invoice: Mapped[Invoice] = relationship()
    customer: Mapped[Customer] = relationship()


class Event(Base):
    """Append-only trail: who did what to a case, and why."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(48))
    actor: Mapped[str] = mapped_column(String(120))  # "system", "customer", "user:ana@example.com"
    reason: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    mail_id: Mapped[int | None] = mapped_column(ForeignKey("mails.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Mail(Base):
    """The correspondence log: every message in or out, raw bytes kept."""

    __tablename__ = "mails"
    __table_args__ = (
        UniqueConstraint("mailbox", "uidvalidity", "uid"),
        Index("ix_mails_message_id", "message_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    direction: Mapped[str] = mapped_column(String(3))  # out, in
    # Outbound idempotency: "case:<id>:<stage>[:<n>]" — one row per thing we ever intend to send.
    send_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(16))  # out: pending sending sent uncertain failed cancelled covered
    stage: Mapped[str | None] = mapped_column(String(64))  # in: received processed failed
    message_id: Mapped[str | None] = mapped_column(String(998))
    digest: Mapped[str | None] = mapped_column(String(64), index=True)  # sha256 of raw: dedupe without Message-ID
    in_reply_to: Mapped[str | None] = mapped_column(String(998))
    subject: Mapped[str] = mapped_column(Text, default="")
    from_addr: Mapped[str] = mapped_column(String(320), default="")
    to_addrs: Mapped[str] = mapped_column(Text, default="")  # comma-separated
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)
    mailbox: Mapped[str | None] = mapped_column(String(200))
    uidvalidity: Mapped[int | None] = mapped_column(Integer)
    uid: Mapped[int | None] = mapped_column(Integer)
    intent: Mapped[str | None] = mapped_column(String(24))
    confidence: Mapped[float | None]
    analysis: Mapped[dict[str, Any]] = mapped_column(default=dict)  # classification / intake details
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    sent_at: Mapped[datetime | None]

    case: Mapped[Case | None] = relationship()


class ReviewItem(Base):
    """Something a person in finance must decide."""

    __tablename__ = "review_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), index=True)
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)  # open, done
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    mail_id: Mapped[int | None] = mapped_column(ForeignKey("mails.id"))
    summary: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    assignee: Mapped[str | None] = mapped_column(String(320))
    resolution: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    resolved_at: Mapped[datetime | None]


class Instalment(Base):
    __tablename__ = "instalments"
    __table_args__ = (UniqueConstraint("case_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal]
    due_date: Mapped[date] = mapped_column(Date)
    paid: Mapped[bool] = mapped_column(Boolean, default=False)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))  # viewer, reviewer, admin
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReviewSession(Base):
    """A login to the review app, kept server-side: the cookie holds only a random token whose SHA-256 is
    the id here. Logout, a password change and `dunmail user disable` revoke it; so does time."""

    __tablename__ = "review_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the cookie's token
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    address: Mapped[str | None] = mapped_column(String(64))  # client address at login, for the audit


class MailboxCursor(Base):
    """Where the inbox watcher is: per mailbox, the UIDVALIDITY seen and the highest UID stored."""

    __tablename__ = "mailbox_cursors"

    mailbox: Mapped[str] = mapped_column(String(200), primary_key=True)
    uidvalidity: Mapped[int] = mapped_column(Integer)
    last_uid: Mapped[int] = mapped_column(Integer, default=0)


class Lease(Base):
    """A named lock with an expiry: one inbox watcher per mailbox, one scheduler tick at a time."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime]
