"""exact money on SQLite: amounts as integers of 1/10,000 units

SQLite keeps NUMERIC(18, 4) as a float, so 99999999999999.99 read back as 99999999999999.984375.
From this revision the model (worker.db.models.ExactMoney) writes an integer count of 1/10,000 units
there; this migration converts the stored values the same way. The declared column type stays
NUMERIC(18, 4) (SQLite keeps an integer in it exactly), so no table is rebuilt. PostgreSQL's NUMERIC
is exact already: nothing changes there.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 15:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY_COLUMNS = (("invoices", "amount"), ("invoices", "balance"), ("cases", "settlement_amount"),
                 ("instalments", "amount"))


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, column in MONEY_COLUMNS:
        # printf('%.4f') is how the old code read these floats back (four places), so each amount keeps the
        # value the application showed; the point is dropped to make the integer of 1/10,000 units.
        op.execute(f"UPDATE {table} SET {column} = CAST(REPLACE(printf('%.4f', {column}), '.', '') AS INTEGER) "
                   f"WHERE {column} IS NOT NULL")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, column in MONEY_COLUMNS:
        op.execute(f"UPDATE {table} SET {column} = {column} / 10000.0 WHERE {column} IS NOT NULL")
