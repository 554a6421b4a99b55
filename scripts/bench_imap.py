#!/usr/bin/env python3
"""Benchmark: IMAP ingest (fetch + store raw, idempotent) against a raw imap-tools bulk fetch.

Starts a private Dovecot on loopback, fills its maildir with N realistic replies (written straight
into the maildir, which Dovecot indexes on first SELECT), then measures in the same run:
  * raw:    imap-tools `fetch(mark_seen=False, bulk=200)` of every message (bytes only) — the baseline
  * ingest: dunmail's `sync_once` — UID SEARCH, UID FETCH BODY.PEEK[], store raw in SQLite with the
            (mailbox, UIDVALIDITY, UID) and Message-ID dedupe, advance the cursor, flag \\Seen
and reports messages/s and the ratio (goal ≥ 0.5). With --memory it also runs ingest in separate
processes for 10k and 100k messages and compares peak RSS (goal ratio ≤ 1.2).

    .venv/bin/python scripts/bench_imap.py [--count 10000] [--memory]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from imap_tools import MailBoxUnencrypted  # noqa: E402

from tests.support.dovecot import Dovecot, _owner, free_port  # noqa: E402


def reply(n: int) -> bytes:
    body = (f"Hello,\n\nWe paid invoice INV-{n:05d} yesterday by bank transfer.\n\nRegards,\nAP team\n\n"
            f"> Dear customer, this is a reminder that invoice INV-{n:05d} is overdue.\n") * 8
    return (f"From: ap{n % 500}@customer{n % 97}.example\r\nTo: ar+tok{n}@dunmail.example\r\n"
            f"Subject: Re: Payment reminder INV-{n:05d}\r\nMessage-ID: <r{n}.{os.getpid()}@customer.example>\r\n"
            f"Date: Mon, 23 Nov 2026 10:00:00 +0900\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}").replace("\n", "\r\n").encode()


def fill_maildir(server: Dovecot, count: int) -> None:
    _, uid, gid = _owner()
    new = server.root / "mail" / server.user / "new"
    for sub in ("new", "cur", "tmp"):
        (new.parent / sub).mkdir(parents=True, exist_ok=True)
    for n in range(count):
        (new / f"{1700000000 + n}.M{n}P1.bench").write_bytes(reply(n))
    os.chown(new.parent, uid, gid)
    for path in new.parent.rglob("*"):  # iterate: a list of 100k paths would itself cost ~30 MiB
        os.chown(path, uid, gid)


def start(count: int) -> Dovecot:
    root = Path(tempfile.mkdtemp(prefix="dunmail-bench-imap-"))
    root.chmod(0o755)
    server = Dovecot(root, free_port())
    server.start()
    fill_maildir(server, count)
    with MailBoxUnencrypted("127.0.0.1", server.port).login(server.user, server.password) as mb:
        mb.folder.status("INBOX")  # let Dovecot index the maildir before anything is timed
    return server


def raw_fetch(server: Dovecot) -> tuple[int, float]:
    t = time.perf_counter()
    with MailBoxUnencrypted("127.0.0.1", server.port).login(server.user, server.password) as mb:
        n = sum(1 for _ in mb.fetch(mark_seen=False, bulk=200))
    return n, time.perf_counter() - t


def ingest(server: Dovecot, db: Path) -> tuple[int, float]:
    from worker.db.engine import make_engine
    from worker.db.models import Base
    from worker.inbound.mailbox import IMAPConfig, IMAPMailbox
    from worker.inbound.watch import sync_once

    engine = make_engine(f"sqlite:///{db}")
    Base.metadata.create_all(engine)
    box = IMAPMailbox(IMAPConfig(host="127.0.0.1", port=server.port, username=server.user,
                                 password=server.password, security="none"))
    t = time.perf_counter()
    box.connect()
    report = sync_once(engine, box)
    box.close()
    return len(report.stored), time.perf_counter() - t


def memory_child(port: int, user: str, password: str) -> None:
    """Ingest everything from an already-filled Dovecot and print this process's peak RSS in KiB."""
    import logging

    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    server = Dovecot(Path("/nonexistent"), port, user=user, password=password)
    with tempfile.TemporaryDirectory() as tmp:
        ingest(server, Path(tmp) / "d.db")
    print(peak_kib())


def peak_kib() -> int:
    """This process's own peak RSS. Not ru_maxrss: Linux carries that over fork+exec from the parent."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def peak_rss(count: int) -> int:
    """Fill a Dovecot in this process, ingest it in a fresh one: the child's peak is ingest's alone."""
    server = start(count)
    try:
        out = subprocess.run([sys.executable, __file__, "--memory-child", str(server.port), server.user,
                              server.password], capture_output=True, text=True, check=True)
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)
    return int(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--memory", action="store_true", help="also compare peak RSS for 10k and 100k messages")
    ap.add_argument("--memory-child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.memory_child:
        port, user, password = args.memory_child
        memory_child(int(port), user, password)
        return 0
    import logging

    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    server = start(args.count)
    try:
        n_raw, t_raw = raw_fetch(server)
        with tempfile.TemporaryDirectory() as tmp:
            n_in, t_in = ingest(server, Path(tmp) / "d.db")
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)
    print(f"raw imap-tools bulk fetch: {n_raw:,} msgs in {t_raw:.2f} s = {n_raw / t_raw:,.0f} msg/s")
    print(f"dunmail ingest (store raw): {n_in:,} msgs in {t_in:.2f} s = {n_in / t_in:,.0f} msg/s")
    print(f"ratio ingest/raw = {(n_in / t_in) / (n_raw / t_raw):.2f} (goal ≥ 0.5)")
    if args.memory:
        peaks = {}
        for count in (10_000, 100_000):
            peaks[count] = peak_rss(count)
            print(f"peak RSS ingesting {count:,}: {peaks[count] / 1024:.0f} MiB")
        print(f"memory ratio 100k/10k = {peaks[100_000] / peaks[10_000]:.2f} (goal ≤ 1.2)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
