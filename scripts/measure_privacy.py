"""Time `customer export` and `customer erase` for one customer with many cases and mails.

    .venv/bin/python scripts/measure_privacy.py                      # SQLite in a temp folder
    .venv/bin/python scripts/measure_privacy.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres

With --pg, a scratch database is created on that server, migrated, measured and dropped.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

from worker import ledger, privacy
from worker.db.engine import make_engine, transaction
from worker.db.migrate import upgrade
from worker.db.models import Base, Customer, Mail


def _raw(n: int) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "Measure Person <m@measure.example>", "ar@x.example", f"Re: {n}"
    msg.set_content(("I will pay next week, thank you. " * 150) + str(n))
    return msg.as_bytes()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg", default="", help="admin URL of a PostgreSQL server (default: SQLite)")
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--mails-per-case", type=int, default=10)
    args = parser.parse_args()
    if not args.pg:
        engine = make_engine(f"sqlite:///{Path(tempfile.mkdtemp()) / 'measure.db'}")
        Base.metadata.create_all(engine)
        measure(engine, args.cases, args.mails_per_case)
        return
    admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
    name = f"dunmail_measure_{time.time_ns()}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        engine = make_engine(args.pg.rsplit("/", 1)[0] + f"/{name}")
        upgrade(engine)
        measure(engine, args.cases, args.mails_per_case)
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def measure(engine: Engine, cases: int, mails_per_case: int) -> None:
    now = datetime(2026, 4, 1, tzinfo=UTC)
    with transaction(engine) as s:
        customer = Customer(name=f"Measure Person {time.time_ns()}")
        s.add(customer)
        ledger.ensure_contact(s, customer, f"m{time.time_ns()}@measure.example")
        for c in range(cases):
            inv, _ = ledger.upsert_invoice(s, customer=customer, number=f"M-{time.time_ns()}-{c}",
                                           amount=Decimal("100.00"), currency="EUR", issue_date=None,
                                           due_date=date(2026, 2, 1), balance=Decimal(0))
            case = ledger.open_case(s, inv, policy="default", first_action_at=None)
            case.state = "paid"
            for m in range(mails_per_case):
                mail = Mail(case_id=case.id, direction="in", status="received", from_addr="m@measure.example",
                            raw=_raw(m), analysis={"reply_text": "I will pay"})
                s.add(mail)
                s.flush()
                ledger.record_event(s, case, "reply_received", actor="customer", mail=mail, reason="a reply")
        s.flush()
        customer_id = customer.id
    mails = cases * mails_per_case
    started = time.perf_counter()
    with transaction(engine) as s:
        size = len(json.dumps(privacy.export_customer(s, customer_id), ensure_ascii=False))
    exported = time.perf_counter() - started
    started = time.perf_counter()
    with transaction(engine) as s:
        report = privacy.erase_customer(s, customer_id, actor="user:measure@example.com", now=now)
    erased = time.perf_counter() - started
    print(f"{engine.dialect.name}: {cases} cases, {mails} mails: export {exported:.2f} s "
          f"({size / 1e6:.1f} MB of JSON), erase {erased:.2f} s ({report.mails_erased} mails, "
          f"{report.events_scrubbed} events scrubbed)")


if __name__ == "__main__":
    main()
