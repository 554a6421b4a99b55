#!/usr/bin/env python3
"""Benchmark: compose + send reminders to a loopback SMTP server from one process (goal ≥ 1,000 mails/s),
and the ratio of one reused SMTP connection to one connection per mail.

The SMTP server (aiosmtpd, discarding what it gets) runs in its own process so it does not share the
sender's GIL. Measurements in one run:
  * the server's own ceiling: the same finished message bytes sent again and again (nothing composed);
  * compose+send, reused connection: render the template (compiled once), build the MIME message with
    a signed reply address and threading headers, hand it to SMTP over one kept-open connection — from
    one thread, and from --threads threads with a connection each (how `dunmail worker` sends: each
    dramatiq thread keeps its own connection; default 4, the worker's default);
  * the same with a new SMTP connection per mail (the baseline for the reuse ratio);
  * the full delivery path: the same plus the two database transactions per mail that make a send
    exactly-once (SQLite), through worker.outbound.deliver, one thread.

    .venv/bin/python scripts/bench_send.py [--mails 4000] [--threads 4]
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
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
from worker.outbound.smtp import SMTPConfig, SMTPSender, wire_bytes  # noqa: E402
from worker.outbound.tokens import reply_address  # noqa: E402
from worker.settings import load_settings  # noqa: E402

AIOSMTPD_SINK = """
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
# A minimal SMTP responder that takes DATA in blocks (aiosmtpd reads it line by line, ~200 lines a reminder):
# with it the figure is dunmail's own cost rather than the test server's.
MINIMAL_SINK = """
import asyncio, sys
class Sink(asyncio.Protocol):
    def connection_made(self, transport):
        self.t, self.buf, self.in_data = transport, b"", False
        transport.write(b"220 sink ESMTP\\r\\n")
    def data_received(self, chunk):
        self.buf += chunk
        while True:
            if self.in_data:
                end = self.buf.find(b"\\r\\n.\\r\\n")
                if end < 0:
                    return
                self.buf, self.in_data = self.buf[end + 5:], False
                self.t.write(b"250 OK\\r\\n")
                continue
            end = self.buf.find(b"\\r\\n")
            if end < 0:
                return
            verb, self.buf = self.buf[:4].upper(), self.buf[end + 2:]
            if verb == b"EHLO":
                self.t.write(b"250-sink\\r\\n250 8BITMIME\\r\\n")
            elif verb == b"DATA":
                self.in_data = True
                self.t.write(b"354 go ahead\\r\\n")
            elif verb == b"QUIT":
                self.t.write(b"221 bye\\r\\n")
                self.t.close()
                return
            else:
                self.t.write(b"250 OK\\r\\n")
async def main():
    server = await asyncio.get_running_loop().create_server(Sink, "127.0.0.1", int(sys.argv[1]))
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    server.close()
asyncio.run(main())
"""
SECRET = b"bench-secret-key-0123456789abcdef"


def _mid(case_id: int, stage: str) -> str:
    return make_message_id(case_id, stage, "dunmail.example", secret=SECRET)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def compose_and_send(composer: Composer, port: int, n: int, reuse: bool, threads: int = 1) -> float:
    """Mails per second, n mails split over `threads` threads, each with its own SMTP sender."""
    start = time.perf_counter()
    workers = [threading.Thread(target=_compose_and_send_range, args=(composer, port, range(t, n, threads), reuse))
               for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return n / (time.perf_counter() - start)


def _compose_and_send_range(composer: Composer, port: int, numbers: range, reuse: bool) -> None:
    sender = SMTPSender(SMTPConfig("127.0.0.1", port), reuse=reuse)
    contexts = [preview_context("ja"), preview_context("en")]
    for k in numbers:
        ctx = contexts[k % 2]
        # every mail its own number and sum, so no formatting is served from a cache it would not hit
        line = ctx.invoices[0]
        ctx = replace(ctx, invoices=[replace(line, number=f"INV-{k:06d}", balance=line.balance + k)])
        rendered = composer.render("reminder_2", ctx)
        msg = build_reminder(rendered, from_addr="billing@dunmail.example", from_name="Accounts Receivable",
                             to=[f"ap{k}@customer.example"], cc=[],
                             reply_to=reply_address(k + 1, SECRET, domain="dunmail.example"),
                             message_id=_mid(k + 1, "reminder_2"), in_reply_to=_mid(k + 1, "reminder_1"),
                             references=[_mid(k + 1, "reminder_1")],
                             case_id=k + 1, stage="reminder_2", extra_headers={})
        sender.send(msg, sender="billing@dunmail.example", recipients=[f"ap{k}@customer.example"])
    sender.close()


def server_ceiling(composer: Composer, port: int, n: int, threads: int) -> float:
    """The sink's own limit: one finished reminder's bytes sent n times, nothing composed."""
    rendered = composer.render("reminder_2", preview_context("ja"))
    msg = build_reminder(rendered, from_addr="billing@dunmail.example", from_name="Accounts Receivable",
                         to=["ap@customer.example"], cc=[], reply_to="ar@dunmail.example",
                         message_id=_mid(1, "reminder_2"), in_reply_to=None,
                         references=[], case_id=1, stage="reminder_2", extra_headers={})
    data = wire_bytes(msg)

    def send_range(count: int) -> None:
        conn = smtplib.SMTP("127.0.0.1", port)
        for _ in range(count):
            conn.sendmail("billing@dunmail.example", ["ap@customer.example"], data)
        conn.quit()

    start = time.perf_counter()
    workers = [threading.Thread(target=send_range, args=(n // threads,)) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return (n // threads * threads) / (time.perf_counter() - start)


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
    ap.add_argument("--mails", type=int, default=4000)
    ap.add_argument("--threads", type=int, default=4, help="sending threads, each with its own connection")
    args = ap.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    composer = Composer(ROOT / "mail_templates")
    n, mails = args.threads, args.mails
    for name, code in (("aiosmtpd", AIOSMTPD_SINK), ("minimal SMTP responder", MINIMAL_SINK)):
        with sink(code) as port:
            ceiling_1 = server_ceiling(composer, port, mails, threads=1)
            ceiling_n = server_ceiling(composer, port, mails, threads=n)
            reused_1 = compose_and_send(composer, port, mails, reuse=True)
            reused_n = compose_and_send(composer, port, mails, reuse=True, threads=n)
            print(f"[{name}] server ceiling (same bytes resent), 1 / {n} connections: "
                  f"{ceiling_1:,.0f} / {ceiling_n:,.0f} mails/s")
            print(f"[{name}] compose+send, {n} threads with a reused connection each: {reused_n:,.0f} mails/s "
                  f"(goal ≥ 1,000; {reused_n / ceiling_n:.2f} of the ceiling)")
            print(f"[{name}] compose+send, 1 thread, one reused connection: {reused_1:,.0f} mails/s")
            if name == "aiosmtpd":
                fresh = compose_and_send(composer, port, max(200, mails // 4), reuse=False)
                delivered = full_path(port, max(200, mails // 4))
                print(f"[{name}] compose+send, 1 thread, a new connection per mail: {fresh:,.0f} mails/s; "
                      f"ratio reused / per-mail = {reused_1 / fresh:.2f}")
                print(f"[{name}] full exactly-once delivery path (SQLite, two transactions a mail, 1 thread): "
                      f"{delivered:,.0f} mails/s")
    return 0


@contextlib.contextmanager
def sink(code: str) -> Iterator[int]:
    """An SMTP server in its own process (so it does not share the sender's GIL); yields its port."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", code, str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        yield port
    finally:
        if proc.stdin:
            proc.stdin.close()
        proc.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
