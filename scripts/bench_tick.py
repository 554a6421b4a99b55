#!/usr/bin/env python3
"""Benchmark: the scheduler tick with 100k vs 1M open cases and the same number due.

The tick must cost O(due), not O(open): its time with 1M open cases divided by its time with
100k open cases (same number due) should stay ≤ 1.5. Runs on the real PostgreSQL server in a
scratch database it creates and drops. Usage:

    .venv/bin/python scripts/bench_tick.py [--due 1000] [--sizes 100000 1000000] [--planner ladder|wait]

`--planner wait` isolates the scheduler's own database work (every due case just waits);
`--planner ladder` runs the real ladder for each due case.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from worker.db.engine import make_engine
from worker.db.migrate import upgrade
from worker.db.models import Case
from worker.scheduler import Step, tick

ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
NOW = datetime(2026, 4, 1, 9, tzinfo=UTC)


class WaitPlanner:
    def prepare(self, session: Session, cases: list[Case]) -> None:
        pass

    def next_step(self, session: Session, case: Case, now: datetime) -> Step:
        return Step("wait", at=now + timedelta(days=7))


def load(url: str, open_cases: int, due: int) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE events, mails, review_items, instalments, cases, invoices, contacts, customers "
                          "RESTART IDENTITY CASCADE"))
        conn.execute(text("""
            INSERT INTO customers (id, name, language, timezone, country, created_at)
            SELECT g, 'Customer ' || g, 'en', 'UTC', 'US', now() FROM generate_series(1, :n) g"""), {"n": open_cases})
        conn.execute(text("""
            INSERT INTO invoices (id, issuer, number, customer_id, amount, balance, currency, due_date, status,
                                  source, created_at, updated_at)
            SELECT g, 'default', 'INV-' || g, g, 100, 100, 'USD', date '2026-03-01', 'open', 'import', now(), now()
            FROM generate_series(1, :n) g"""), {"n": open_cases})
        # `due` cases are due now; the rest wait in the future (spread over 60 days).
        conn.execute(text("""
            INSERT INTO cases (id, invoice_id, customer_id, state, policy, reminders_sent, next_action_at,
                               created_at, updated_at)
            SELECT g, g, g, 'active', 'default', 0,
                   CASE WHEN g <= :due THEN :now - interval '1 hour'
                        ELSE :now + (1 + g % 86400) * interval '1 minute' END,
                   now(), now()
            FROM generate_series(1, :n) g"""), {"n": open_cases, "due": due, "now": NOW})
        conn.execute(text("ANALYZE"))
    engine.dispose()


def reset_due(url: str, due: int) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM events"))
        conn.execute(text("DELETE FROM mails"))  # every repeat plans the same sends from scratch
        conn.execute(text("UPDATE cases SET next_action_at = :t, state = 'active' WHERE id <= :due"),
                     {"t": NOW - timedelta(hours=1), "due": due})
    engine.dispose()


def measure(url: str, planner: object, due: int, repeats: int) -> float:
    engine = make_engine(url)
    times = []
    for _ in range(repeats):
        reset_due(url, due)
        start = time.perf_counter()
        done = 0
        while True:  # a production tick works through all due cases in batches
            report = tick(engine, planner, now=NOW, batch=500)  # type: ignore[arg-type]
            handled = report.waiting + len(report.planned) + len(report.escalated) + len(report.stopped)
            done += handled
            if handled == 0:
                break
        times.append(time.perf_counter() - start)
        assert done == due, f"tick handled {done} of {due} due cases"
    engine.dispose()
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--due", type=int, default=1000)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--planner", choices=["wait", "ladder"], default="wait")
    args = ap.parse_args()
    import logging

    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    planner: object = WaitPlanner()
    if args.planner == "ladder":
        from worker.ladder.planner import LadderPlanner
        from worker.settings import load_settings

        planner = LadderPlanner(load_settings())
    name = f"dunmail_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = ADMIN.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade(make_engine(url))
        results = {}
        for size in args.sizes:
            t0 = time.perf_counter()
            load(url, size, args.due)
            print(f"loaded {size:,} open cases ({args.due:,} due) in {time.perf_counter() - t0:.1f} s", flush=True)
            results[size] = measure(url, planner, args.due, args.repeats)
            print(f"tick over {args.due:,} due of {size:,} open: {results[size] * 1000:.0f} ms "
                  f"({args.due / results[size]:,.0f} due cases/s)", flush=True)
        small, large = min(results), max(results)
        print(f"ratio {large:,} / {small:,} open = {results[large] / results[small]:.2f} (goal ≤ 1.5)")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return 0


if __name__ == "__main__":
    sys.exit(main())
