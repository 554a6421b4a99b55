#!/usr/bin/env python3
"""Benchmark: a customer's reply appended to the IMAP inbox → its case paused. p50 and p95 (goal p95 ≤ 3 s).

A private Dovecot, a watcher in IDLE with the real pipeline (parse → classify → correlate → act)
on SQLite; for each of N open cases a dispute reply is appended over IMAP and the clock runs until
the case's state in the database reads `disputed`.

    .venv/bin/python scripts/bench_reply_latency.py [--replies 40]
"""

from __future__ import annotations

import argparse
import logging
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import structlog  # noqa: E402
from imap_tools import MailBoxUnencrypted  # noqa: E402

from tests.support.dovecot import Dovecot, free_port  # noqa: E402
from worker import ledger  # noqa: E402
from worker.db.engine import make_engine, transaction  # noqa: E402
from worker.db.migrate import upgrade  # noqa: E402
from worker.db.models import Case, Customer  # noqa: E402
from worker.inbound.mailbox import IMAPConfig, IMAPMailbox  # noqa: E402
from worker.inbound.watch import WatchOptions, watch  # noqa: E402
from worker.runtime import Runtime  # noqa: E402
from worker.services import Services  # noqa: E402
from worker.settings import load_settings  # noqa: E402


def dispute(n: int) -> bytes:
    return (f"From: ap@customer{n}.example\r\nTo: ar@dunmail.example\r\nSubject: Re: Payment reminder INV-L{n:04d}\r\n"
            f"Message-ID: <lat{n}.{time.time_ns()}@customer{n}.example>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n"
            "Hello,\r\n\r\nWe will not pay this invoice: the goods arrived damaged and we returned them last week.\r\n"
            "Please issue a credit note.\r\n\r\nRegards,\r\nAP\r\n").encode()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--replies", type=int, default=40)
    args = ap.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    root = Path(tempfile.mkdtemp(prefix="dunmail-bench-latency-"))
    root.chmod(0o755)
    server = Dovecot(root, free_port()).start()
    settings = load_settings(database_url=f"sqlite:///{root / 'd.db'}", secret_key="bench-secret-key-0123456789")
    engine = make_engine(settings.database_url)
    upgrade(engine)
    cases = []
    with transaction(engine) as s:
        for n in range(args.replies):
            c = Customer(name=f"Customer {n}", language="en", timezone="UTC", country="US")
            s.add(c)
            ledger.ensure_contact(s, c, f"ap@customer{n}.example")
            s.flush()
            inv, _ = ledger.upsert_invoice(s, customer=c, number=f"INV-L{n:04d}", amount=Decimal(100), currency="USD",
                                           issue_date=None, due_date=date(2026, 3, 1))
            first = datetime(2026, 4, 1, tzinfo=UTC)
            cases.append(ledger.open_case(s, inv, policy="default", first_action_at=first).id)
    services = Services.build(Runtime(settings=settings, engine=engine))
    box = IMAPMailbox(IMAPConfig(host="127.0.0.1", port=server.port, username=server.user, password=server.password,
                                 security="none"))
    stop = threading.Event()
    thread = threading.Thread(target=watch, args=(engine, box), kwargs={
        "options": WatchOptions(holder="bench", wait_seconds=60),
        "on_stored": lambda ids: [services.process(i) for i in ids], "stop": stop}, daemon=True)
    thread.start()
    time.sleep(1.0)
    latencies = []
    try:
        with MailBoxUnencrypted("127.0.0.1", server.port).login(server.user, server.password) as mb:
            for n, case_id in enumerate(cases):
                mb.append(dispute(n), "INBOX")
                start = time.perf_counter()
                while True:
                    with transaction(engine) as s:
                        if s.get(Case, case_id).state != "active":  # type: ignore[union-attr]
                            break
                    if time.perf_counter() - start > 30:
                        raise SystemExit(f"case {case_id} not paused within 30 s")
                    time.sleep(0.01)
                latencies.append(time.perf_counter() - start)
    finally:
        stop.set()
        thread.join(timeout=10)
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
    latencies.sort()
    p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]
    print(f"reply appended → case paused over IDLE, {len(latencies)} replies: "
          f"p50 {statistics.median(latencies):.2f} s, p95 {p95:.2f} s, max {latencies[-1]:.2f} s (goal p95 ≤ 3 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
