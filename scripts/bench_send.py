#!/usr/bin/env python3
"""Benchmark: compose + send reminders to a loopback SMTP server from one process (goal ≥ 1,000 mails/s),
and the ratio of one reused SMTP connection to one connection per mail.

The SMTP server (aiosmtpd, discarding what it gets) runs in its own process so it does not share the
sender's GIL. Three measurements in one run:
  * compose+send, reused connection: render the template (compiled once), build the MIME message with
    a signed reply address and threading headers, hand it to SMTP over one kept-open connection;
  * the same with a new SMTP connection per mail (the baseline for the reuse ratio);
  * the full delivery path: the same plus the two database transactions per mail that make a send
    exactly-once (SQLite), through worker.outbound.deliver.

    .venv/bin/python scripts/bench_send.py [--mails 2000]
"""

from __future__ import annotations

import argparse
import logging
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import structlog  # noqa: E402

from worker import ledger  # noqa: E402
from worker.db.engine import make_engine, transaction  # noqa: E402
from worker.db.models import Base, Customer, Mail  # noqa: E402
from worker.outbound.compose import Composer, preview_context  # noqa: E402
from worker.outbound.deliver import deliver  # noqa: E402
from worker.outbound.mimebuild import build_reminder, make_message_id  # noqa: E402
from worker.outbound.reminder import ReminderComposer  # noqa: E402
from worker.outbound.smtp import SMTPConfig, SMTPSender  # noqa: E402
from worker.outbound.tokens import reply_address  # noqa: E402
from worker.settings import load_settings  # noqa: E402

SINK = """
import sys, time
from aiosmtpd.controller import Controller
class Sink:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"
c = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]))
c.start()
print("ready", flush=True)
sys.stdin.read()
c.stop()
"""
SECRET = b"bench-secret-key-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def compose_and_send(composer: Composer, port: int, n: int, reuse: bool) -> float:
    sender = SMTPSender(SMTPConfig("127.0.0.1", port), reuse=reuse)
    contexts = [preview_context("ja"), preview_context("en")]
    start = time.perf_counter()
    for k in range(n):
        ctx = contexts[k % 2]
        ctx = replace(ctx, invoices=[replace(ctx.invoices[0], number=f"INV-{k:06d}")])
        rendered = composer.render("reminder_2", ctx)
        msg = build_reminder(rendered, from_addr="billing@dunmail.example", from_name="Accounts Receivable",
                             to=[f"ap{k}@customer.example"], cc=[],
                             reply_to=reply_address(k + 1, SECRET, domain="dunmail.example"),
                             message_id=make_message_id(k + 1, "reminder_2", "dunmail.example"),
                             in_reply_to=make_message_id(k + 1, "reminder_1", "dunmail.example"),
                             references=[make_message_id(k + 1, "reminder_1", "dunmail.example")],
                             case_id=k + 1, stage="reminder_2", extra_headers={})
        sender.send(msg, sender="billing@dunmail.example", recipients=[f"ap{k}@customer.example"])
    elapsed = time.perf_counter() - start
    sender.close()
    return n / elapsed


def full_path(port: int, n: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'b.db'}")
        Base.metadata.create_all(engine)
        ids = []
        with transaction(engine) as s:
            for k in range(n):
                c = Customer(name="Northwind Traders", language="en", timezone="Europe/London", country="GB")
                s.add(c)
                ledger.ensure_contact(s, c, f"ap{k}@customer.example")
                s.flush()
                inv, _ = ledger.upsert_invoice(s, customer=c, number=f"INV-{k:06d}", amount=Decimal("1234.50"),
                                               currency="GBP", issue_date=date(2026, 3, 1), due_date=date(2026, 3, 31))
                case = ledger.open_case(s, inv, policy="default", first_action_at=None)
                m = Mail(case_id=case.id, direction="out", status="pending", send_key=f"case:{case.id}:reminder_2",
                         stage="reminder_2")
                s.add(m)
                s.flush()
                ids.append(m.id)
        reminders = ReminderComposer(load_settings(secret_key=SECRET.decode()))
        sender = SMTPSender(SMTPConfig("127.0.0.1", port))
        start = time.perf_counter()
        for mail_id in ids:
            assert deliver(engine, mail_id, sender=sender, compose=reminders.compose).status == "sent"
        elapsed = time.perf_counter() - start
        sender.close()
        engine.dispose()
    return n / elapsed


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mails", type=int, default=2000)
    args = ap.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    composer = Composer(ROOT / "mail_templates")
    port = free_port()
    sink = subprocess.Popen([sys.executable, "-c", SINK, str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    try:
        assert sink.stdout is not None and sink.stdout.readline().strip() == "ready"
        reused = compose_and_send(composer, port, args.mails, reuse=True)
        fresh = compose_and_send(composer, port, max(200, args.mails // 4), reuse=False)
        delivered = full_path(port, max(200, args.mails // 4))
    finally:
        if sink.stdin:
            sink.stdin.close()
        sink.wait(timeout=10)
    print(f"compose+send, one reused SMTP connection: {reused:,.0f} mails/s (goal ≥ 1,000)")
    print(f"compose+send, a new connection per mail:  {fresh:,.0f} mails/s")
    print(f"ratio reused / per-mail = {reused / fresh:.2f}")
    print(f"full exactly-once delivery path (SQLite, two transactions a mail): {delivered:,.0f} mails/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
