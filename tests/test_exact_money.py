"""Money is exact on both databases (issue 12, finding 7): SQLite's NUMERIC is a float, so amounts are kept
there as integers of 1/10,000 units (ExactMoney, migration 0002); PostgreSQL's NUMERIC is exact already."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, func, select, text

from worker import ledger
from worker.db.engine import make_engine, transaction
from worker.db.migrate import alembic_config, upgrade
from worker.db.models import Case, Customer, Instalment, Invoice

LARGEST = Decimal("99999999999999.99")  # 14 integer digits: the most the ledger keeps (worker.money.MAX_AMOUNT)


def _invoice(engine: Engine, number: str, amount: Decimal, currency: str) -> int:
    with transaction(engine) as s:
        customer = Customer(name="Acme")
        s.add(customer)
        s.flush()
        invoice, _ = ledger.upsert_invoice(s, customer=customer, number=number, amount=amount, currency=currency,
                                           issue_date=None, due_date=date(2026, 4, 30))
        case = ledger.open_case(s, invoice, policy="default", first_action_at=datetime(2026, 5, 1, tzinfo=UTC))
        case.settlement_amount = amount - Decimal("0.01")
        s.add(Instalment(case_id=case.id, seq=1, amount=amount, due_date=date(2026, 6, 1)))
        return invoice.id


@pytest.mark.parametrize(("amount", "currency"), [
    (LARGEST, "USD"), (Decimal("99999999999999"), "JPY"), (Decimal("1234500"), "JPY"), (Decimal("0.01"), "EUR"),
    (Decimal("12345678901234.56"), "GBP"),
])
def test_amounts_read_back_exactly(engine: Engine, amount: Decimal, currency: str) -> None:
    """Amount, balance, settlement and instalment read back equal to the Decimal written, to the last digit
    (on SQLite a float column gave 99999999999999.984375)."""
    invoice_id = _invoice(engine, "X-1", amount, currency)
    with transaction(engine) as s:
        invoice = s.get(Invoice, invoice_id)
        assert invoice is not None
        case = s.scalars(select(Case).where(Case.invoice_id == invoice_id)).one()
        instalment = s.scalars(select(Instalment).where(Instalment.case_id == case.id)).one()
        assert (invoice.amount, invoice.balance, instalment.amount) == (amount, amount, amount)
        assert case.settlement_amount == amount - Decimal("0.01")


def test_sums_and_comparisons_stay_exact(engine: Engine) -> None:
    """SUM() over large amounts and a comparison against a bound amount are exact in SQL too."""
    _invoice(engine, "S-1", LARGEST - Decimal(1), "USD")
    _invoice(engine, "S-2", Decimal("0.01"), "USD")
    with transaction(engine) as s:
        total = s.scalar(select(func.sum(Invoice.amount)))
        over = list(s.scalars(select(Invoice.number).where(Invoice.balance >= LARGEST - Decimal(1))))
        under = list(s.scalars(select(Invoice.number).where(Invoice.balance < Decimal("0.02"))))
    assert total == LARGEST - Decimal(1) + Decimal("0.01")
    assert over == ["S-1"] and under == ["S-2"]


def test_migration_0002_converts_stored_sqlite_floats(tmp_path: Path) -> None:
    """A SQLite ledger written by the float-column code (at revision 0001) keeps, after `db upgrade`, the
    values that code showed (four places), and new writes are exact; downgrading gives the floats back."""
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO customers (id, name, language, timezone, country, created_at) "
                          "VALUES (1, 'Acme', 'en', 'UTC', 'US', '2026-01-01 00:00:00')"))
        for n, amount in enumerate((1234.5, 100, 0.1, None)):
            conn.execute(text(
                "INSERT INTO invoices (id, issuer, number, customer_id, amount, balance, currency, due_date, "
                "status, source, created_at, updated_at) VALUES (:id, 'default', :num, 1, :amount, :balance, "
                "'USD', '2026-04-30', 'open', 'import', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"),
                {"id": n + 1, "num": f"OLD-{n}", "amount": amount if amount is not None else 7.25,
                 "balance": amount if amount is not None else 0})
    upgrade(engine)
    with transaction(engine) as s:
        got = {i.number: (i.amount, i.balance) for i in s.scalars(select(Invoice))}
        assert got == {"OLD-0": (Decimal("1234.5"), Decimal("1234.5")), "OLD-1": (Decimal(100), Decimal(100)),
                       "OLD-2": (Decimal("0.1"), Decimal("0.1")), "OLD-3": (Decimal("7.25"), Decimal(0))}
        invoice = s.scalars(select(Invoice).where(Invoice.number == "OLD-0")).one()
        invoice.balance = LARGEST
    with transaction(engine) as s:
        assert s.scalars(select(Invoice.balance).where(Invoice.number == "OLD-0")).one() == LARGEST
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
    with engine.begin() as conn:
        amounts = dict(conn.execute(text("SELECT number, amount FROM invoices")).all())
    assert amounts["OLD-0"] == pytest.approx(1234.5) and amounts["OLD-2"] == pytest.approx(0.1)
    engine.dispose()
