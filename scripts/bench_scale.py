#!/usr/bin/env python3
"""Benchmark: scale-out. K real `dunmail worker` processes on PostgreSQL + Redis, one SIGKILLed mid-run.

Two phases in one run, each on its own scratch PostgreSQL database and Redis database (both removed
afterwards, also on Ctrl-C):

  1. baseline: ONE `dunmail worker` sends the first reminder of --baseline-cases open cases;
  2. scale-out: --workers `dunmail worker` processes (default 3) send the first reminder of --cases open
     cases (default 100,000); when --kill-at of them are sent, the worker holding the scheduler lease is
     killed with SIGKILL (no shutdown of any kind) and the others carry on.

Every case is due at once (its next action is an hour ago, its invoice five days overdue, so the ladder's
first due stage is `reminder_1`); the ladder policy used here has a 00:00–23:59 send window and customers
live in a time zone where today is a business day, so nothing waits for the morning. The workers are the
real CLI (`.venv/bin/dunmail worker`) with their settings in the environment; reminders go to an SMTP
sink on 127.0.0.1 (its own process) that records the Message-ID of every mail it accepts.

Checked after each phase, from the database and from the sink:
  * lost: a case without exactly one first reminder `sent` (or `uncertain`, see below) — must be 0;
  * duplicates: a Message-ID (one per send key: HMAC of case and stage) accepted twice by the sink, a case
    with two `reminder_sent` events or two sent mails — must be 0;
  * a mail `sent` in the database that the sink never received, or a received one the database does not
    know — must be 0;
  * `uncertain`: a send the kill interrupted between "sending" and "sent". It is counted separately and goes
    to a person by design (never resent blindly); whether the sink got it is reported too.
Messages the killed worker had fetched from Redis come back when Redis's maintenance sees its heartbeat is
gone (≥ 60 s); if some are still pending after --straggler-wait, a one-shot `dunmail tick --now` 16 minutes
ahead (past the tick's 15-minute in-flight window, which re-enqueues a pending send) delivers them, and the
report says how many needed it. Throughput is reminders sent per second (first to last send in the
database) up to the 99 % mark, for K workers against one; also the K-worker rate before the kill and
first to last send.

    .venv/bin/python scripts/bench_scale.py [--cases 100000] [--baseline-cases 20000] [--workers 3]
                                            [--threads 4] [--kill-at 0.4] [--timeout 1200]

Only 127.0.0.1 is contacted (PostgreSQL 5432, trust auth; Redis 6379; the sink on a free port).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, create_engine, text  # noqa: E402

from worker.db.engine import make_engine  # noqa: E402
from worker.db.migrate import upgrade  # noqa: E402

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
REDIS_BASE = "redis://127.0.0.1:6379"
REDIS_DBS = range(2, 13)  # the test suite uses 13 and 14; 0 and 1 are left to people
CLAIM_KEY = "dunmail:bench-scale:claim"
DUNMAIL = ROOT / ".venv" / "bin" / "dunmail"
SECRET = "bench-scale-secret-0123456789abcdef"
COUNTRY = "US"
CANDIDATE_ZONES = ("UTC", "America/New_York", "America/Los_Angeles", "Asia/Tokyo", "Asia/Kolkata",
                   "Europe/Berlin", "Pacific/Auckland", "Pacific/Honolulu")

# The SMTP sink: a minimal asyncio responder (its own process, so it does not share a GIL with anything)
# that appends the Message-ID of every accepted mail to a file, one a line, flushed when stdin closes.
SINK = r"""
import asyncio, re, sys
MID = re.compile(rb"(?im)^message-id:[ \t]*<?([^>\r\n]+)>?")
out = open(sys.argv[2], "wb")
class Sink(asyncio.Protocol):
    def connection_made(self, transport):
        self.t, self.buf, self.in_data = transport, b"", False
        transport.write(b"220 sink ESMTP\r\n")
    def data_received(self, chunk):
        self.buf += chunk
        while True:
            if self.in_data:
                end = self.buf.find(b"\r\n.\r\n")
                if end < 0:
                    return
                body, self.buf, self.in_data = self.buf[:end], self.buf[end + 5:], False
                head = body.split(b"\r\n\r\n", 1)[0]
                m = MID.search(head)
                out.write((m.group(1).strip() if m else b"-") + b"\n")
                self.t.write(b"250 OK\r\n")
                continue
            end = self.buf.find(b"\r\n")
            if end < 0:
                return
            verb, self.buf = self.buf[:4].upper(), self.buf[end + 2:]
            if verb == b"EHLO":
                self.t.write(b"250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
            elif verb == b"DATA":
                self.in_data = True
                self.t.write(b"354 go ahead\r\n")
            elif verb == b"QUIT":
                self.t.write(b"221 bye\r\n")
                self.t.close()
                return
            else:
                self.t.write(b"250 OK\r\n")
async def main():
    server = await asyncio.get_running_loop().create_server(Sink, "127.0.0.1", int(sys.argv[1]))
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    server.close()
    out.close()
asyncio.run(main())
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def say(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


# --- where every case is due at once --------------------------------------------------------------------
def write_policy(directory: Path) -> None:
    """The default ladder, with a send window covering the whole day (the benchmark must not wait for 09:00)."""
    source = (ROOT / "config" / "policies" / "default.toml").read_text(encoding="utf-8")
    head, _, rest = source.partition("[send_window]")
    tail = rest.split("[[stages]]", 1)[1]
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "default.toml").write_text(
        head + '[send_window]\nstart = "00:00"\nend = "23:59"\n\n[[stages]]' + tail, encoding="utf-8")


def business_zone(run_for: timedelta) -> str:
    """A time zone where it is a business day (for COUNTRY's calendar) now and until the run is over."""
    from worker.ladder.calendar import calendar_for

    calendar = calendar_for(COUNTRY)
    now = datetime.now(UTC)
    for name in CANDIDATE_ZONES:
        tz = ZoneInfo(name)
        start, end = now.astimezone(tz), (now + run_for).astimezone(tz)
        if start.date() == end.date() and start.time() >= dtime(0, 5) and calendar.is_business_day(start.date()):
            return name
    raise SystemExit(f"no time zone among {', '.join(CANDIDATE_ZONES)} has a business day for the next {run_for}")


# --- private database and Redis db -----------------------------------------------------------------------
@dataclass
class Scratch:
    admin: Engine
    names: list[str] = field(default_factory=list)
    redis_dbs: list[int] = field(default_factory=list)

    def database(self) -> str:
        name = f"dunmail_bench_scale_{uuid.uuid4().hex[:8]}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self.names.append(name)
        url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        return url

    def redis_db(self) -> int:
        """An empty Redis database, claimed with a marker key so a second benchmark picks another."""
        import redis

        for index in REDIS_DBS:
            client = redis.Redis.from_url(f"{REDIS_BASE}/{index}")
            if client.dbsize() == 0 and client.set(CLAIM_KEY, str(os.getpid()), nx=True):
                self.redis_dbs.append(index)
                return index
        raise SystemExit(f"no empty Redis database among {REDIS_DBS.start}..{REDIS_DBS.stop - 1}")

    def drop(self) -> None:
        import redis

        for index in self.redis_dbs:
            client = redis.Redis.from_url(f"{REDIS_BASE}/{index}")
            if client.get(CLAIM_KEY) == str(os.getpid()).encode():
                client.flushdb()
        with self.admin.connect() as conn:
            for name in self.names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


def load(url: str, n: int, zone: str) -> None:
    """n customers with one contact, one overdue invoice and one case each, all due an hour ago (bulk SQL)."""
    now = datetime.now(UTC)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("""
            INSERT INTO customers (id, name, language, timezone, country, created_at)
            SELECT g, 'Customer ' || g, 'en', :tz, :country, now() FROM generate_series(1, :n) g"""),
                     {"n": n, "tz": zone, "country": COUNTRY})
        conn.execute(text("""
            INSERT INTO contacts (id, customer_id, email)
            SELECT g, g, 'ap' || g || '@customer.example' FROM generate_series(1, :n) g"""), {"n": n})
        conn.execute(text("""
            INSERT INTO invoices (id, issuer, number, customer_id, amount, balance, currency, issue_date, due_date,
                                  status, source, created_at, updated_at)
            SELECT g, 'default', 'INV-' || g, g, 100 + g % 900, 100 + g % 900, 'USD', :issued, :due, 'open',
                   'import', now(), now()
            FROM generate_series(1, :n) g"""),
                     {"n": n, "issued": (now - timedelta(days=35)).date(), "due": (now - timedelta(days=5)).date()})
        conn.execute(text("""
            INSERT INTO cases (id, invoice_id, customer_id, state, policy, reminders_sent, next_action_at,
                               created_at, updated_at)
            SELECT g, g, g, 'active', 'default', 0, :at, now(), now() FROM generate_series(1, :n) g"""),
                     {"n": n, "at": now - timedelta(hours=1)})
        for table in ("customers", "contacts", "invoices", "cases"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), :n)"), {"n": n})
        conn.execute(text("ANALYZE"))
    engine.dispose()


# --- processes ------------------------------------------------------------------------------------------
@dataclass
class Sink:
    proc: subprocess.Popen[str]
    port: int
    path: Path

    def received(self) -> Counter[str]:
        """Stop the sink (it flushes on stdin EOF) and count the Message-IDs it accepted."""
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        return Counter(line.strip() for line in self.path.read_text().splitlines() if line.strip())


def start_sink(work: Path) -> Sink:
    port = free_port()
    path = work / f"sink-{port}.txt"
    proc = subprocess.Popen([sys.executable, "-c", SINK, str(port), str(path)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != "ready":
        proc.kill()
        raise SystemExit("the SMTP sink did not start")
    return Sink(proc, port, path)


def worker_env(db_url: str, redis_index: int, smtp_port: int, work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUNMAIL_")}
    (work / "bench.toml").write_text("# bench_scale: every setting comes from the environment\n")
    env.update({
        "DUNMAIL_CONFIG": str(work / "bench.toml"),
        "DUNMAIL_DATABASE_URL": db_url,
        "DUNMAIL_BROKER_URL": f"{REDIS_BASE}/{redis_index}",
        "DUNMAIL_SECRET_KEY": SECRET,
        "DUNMAIL_SMTP_HOST": "127.0.0.1",
        "DUNMAIL_SMTP_PORT": str(smtp_port),
        "DUNMAIL_SMTP_SECURITY": "none",
        "DUNMAIL_POLICIES_DIR": str(work / "policies"),
        "DUNMAIL_TICK_INTERVAL_SECONDS": "1",
        "DUNMAIL_TICK_BATCH_SIZE": "1000",
        # a send the kill leaves `sending` goes to review after 30 s instead of 10 minutes
        "DUNMAIL_SEND_UNCERTAIN_AFTER_SECONDS": "30",
        "DUNMAIL_LOG_LEVEL": "warning",
        "DUNMAIL_LOG_FORMAT": "json",
    })
    return env


def start_workers(k: int, threads: int, env: dict[str, str], work: Path, tag: str) -> list[subprocess.Popen[bytes]]:
    procs = []
    for i in range(k):
        log = (work / f"{tag}-worker-{i}.log").open("wb")
        procs.append(subprocess.Popen(
            [str(DUNMAIL), "worker", "--threads", str(threads), "--no-inbox", "--health-port", "0"],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
    return procs


def stop_workers(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 40
    for p in procs:
        with contextlib.suppress(subprocess.TimeoutExpired):
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        if p.poll() is None:
            p.kill()
            p.wait(timeout=10)


# --- watching and checking ------------------------------------------------------------------------------
def status_counts(engine: Engine) -> Counter[str]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT status, count(*) FROM mails WHERE direction = 'out' GROUP BY status"))
        return Counter({str(s): int(c) for s, c in rows})


def scheduler_holder_pid(engine: Engine) -> int | None:
    with engine.connect() as conn:
        holder = conn.execute(text("SELECT holder FROM leases WHERE name = 'scheduler'")).scalar()
    if not holder:
        return None
    return int(str(holder).rsplit(":", 1)[1])


SETTLED = ("sent", "uncertain", "failed", "cancelled")


@dataclass
class Phase:
    workers: int
    cases: int
    killed_pid: int | None = None
    sent_at_kill: int = 0
    kill_after_s: float = 0.0
    wall_s: float = 0.0
    stragglers_ticked: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    checks: dict[str, int] = field(default_factory=dict)
    rate: float = 0.0  # first to last send
    rate_99: float = 0.0  # first send to the 99 % mark
    rate_before_kill: float = 0.0


def run_phase(scratch: Scratch, work: Path, *, k: int, n: int, threads: int, zone: str, kill_at: float | None,
              timeout: float, straggler_wait: float) -> Phase:
    tag = f"k{k}"
    url = scratch.database()
    t0 = time.perf_counter()
    load(url, n, zone)
    say(f"{tag}: loaded {n:,} open cases, all due, in {time.perf_counter() - t0:.1f} s")
    engine = make_engine(url)
    sink = start_sink(work)
    env = worker_env(url, scratch.redis_db(), sink.port, work)
    phase = Phase(workers=k, cases=n)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        start = time.monotonic()
        procs = start_workers(k, threads, env, work, tag)
        say(f"{tag}: started {k} `dunmail worker` process(es), pids {', '.join(str(p.pid) for p in procs)}")
        drained_at: float | None = None
        last_report = 0.0
        while True:
            elapsed = time.monotonic() - start
            if elapsed > timeout:
                say(f"{tag}: timeout after {timeout:.0f} s; checking what is there")
                break
            counts = status_counts(engine)
            sent = counts["sent"]
            settled = sum(counts[s] for s in SETTLED)
            if elapsed - last_report >= 10:
                say(f"{tag}: {elapsed:5.0f} s  " + ", ".join(f"{s} {c:,}" for s, c in sorted(counts.items())))
                last_report = elapsed
            if kill_at is not None and phase.killed_pid is None and sent >= kill_at * n:
                pid = scheduler_holder_pid(engine) or procs[0].pid
                victim = next((p for p in procs if p.pid == pid), procs[0])
                os.kill(victim.pid, signal.SIGKILL)
                phase.killed_pid, phase.sent_at_kill, phase.kill_after_s = victim.pid, sent, elapsed
                say(f"{tag}: SIGKILL to pid {victim.pid} (the scheduler lease holder) with {sent:,} sent")
            if settled >= n:
                break
            alive = [p for p in procs if p.poll() is None]
            if not alive:
                say(f"{tag}: every worker has exited; checking what is there")
                break
            if counts["pending"] + counts["sending"] <= threads * 2 + 1 and settled >= n - threads * 2 - 1:
                drained_at = drained_at or time.monotonic()  # only the killed worker's prefetch is left
                if time.monotonic() - drained_at > straggler_wait:
                    break
            time.sleep(0.5)
        phase.wall_s = time.monotonic() - start
        stop_workers(procs)
        leftover = status_counts(engine)
        if leftover["pending"] or leftover["sending"] or sum(leftover[s] for s in SETTLED) < n:
            phase.stragglers_ticked = leftover["pending"]
            say(f"{tag}: {leftover['pending']} pending, {leftover['sending']} sending after the wait: one "
                "`dunmail tick --now` 16 minutes ahead (past the tick's in-flight window)")
            later = (datetime.now(UTC) + timedelta(minutes=16)).isoformat()
            subprocess.run([str(DUNMAIL), "tick", "--now", later], env=env, check=False, timeout=600,
                           stdout=subprocess.DEVNULL, stderr=(work / f"{tag}-tick.log").open("wb"))
        phase.counts = status_counts(engine)
        phase.checks = check(engine, sink.received())
        phase.rate, phase.rate_99, phase.rate_before_kill = rates(engine, phase)
    finally:
        stop_workers(procs)
        sink.received()
        engine.dispose()
    return phase


def check(engine: Engine, received: Counter[str]) -> dict[str, int]:
    """Lost and duplicated reminders, from the database and from what the SMTP sink accepted."""
    with engine.connect() as conn:
        per_case = conn.execute(text("""
            SELECT c.id,
                   count(m.id) FILTER (WHERE m.status = 'sent') AS sent,
                   count(m.id) FILTER (WHERE m.status = 'uncertain') AS uncertain,
                   count(m.id) AS mails
            FROM cases c LEFT JOIN mails m ON m.case_id = c.id AND m.direction = 'out'
            GROUP BY c.id""")).all()
        events: dict[int, int] = {int(case_id): int(n) for case_id, n in conn.execute(text("""
            SELECT case_id, count(*) FROM events WHERE kind = 'reminder_sent' GROUP BY case_id"""))}
        mails = conn.execute(text("""
            SELECT message_id, status, stage FROM mails WHERE direction = 'out'""")).all()
    by_mid = {str(m.message_id): m.status for m in mails if m.message_id}
    uncertain_ids = [mid for mid, status in by_mid.items() if status == "uncertain"]
    return {
        "cases": len(per_case),
        "lost (no reminder sent or uncertain)": sum(1 for r in per_case if r.sent + r.uncertain == 0),
        "duplicates at SMTP (Message-ID received twice)": sum(1 for c in received.values() if c > 1),
        "duplicates in the database (two sent mails or events)": sum(
            1 for r in per_case if r.sent > 1 or events.get(r.id, 0) > 1),
        "cases with more than one planned mail": sum(1 for r in per_case if int(r.mails) > 1),
        "sent in the database, never received": sum(
            1 for mid, status in by_mid.items() if status == "sent" and mid not in received),
        "received, unknown to the database or not sent": sum(
            1 for mid in received if by_mid.get(mid) not in ("sent", "uncertain")),
        "first stage other than reminder_1": sum(1 for m in mails if m.stage != "reminder_1"),
        "uncertain (to review by design)": len(uncertain_ids),
        "uncertain that the sink did receive": sum(1 for mid in uncertain_ids if mid in received),
        "received in total": sum(received.values()),
        "reminder_sent events in total": sum(events.values()),
    }


def rates(engine: Engine, phase: Phase) -> tuple[float, float, float]:
    """Sends per second: first to last send; first send to the 99 % mark (the tail of stragglers the killed
    worker had fetched is left out); first send to the kill."""
    with engine.connect() as conn:
        times = [t for (t,) in conn.execute(text(
            "SELECT sent_at FROM mails WHERE direction = 'out' AND status = 'sent' ORDER BY sent_at"))]

    def upto(count: int) -> float:
        count = min(count, len(times))
        return (count - 1) / max(1e-9, (times[count - 1] - times[0]).total_seconds()) if count >= 2 else 0.0

    return upto(len(times)), upto(int(phase.cases * 0.99)), upto(phase.sent_at_kill)


def report(phase: Phase) -> bool:
    label = f"K={phase.workers}"
    say(f"{label}: {phase.cases:,} cases, wall {phase.wall_s:.1f} s, mails " +
        ", ".join(f"{s} {c:,}" for s, c in sorted(phase.counts.items())))
    if phase.killed_pid:
        say(f"{label}: killed pid {phase.killed_pid} at {phase.kill_after_s:.1f} s with {phase.sent_at_kill:,} "
            f"sent; {phase.stragglers_ticked} pending mail(s) needed the later tick")
    for name, value in phase.checks.items():
        print(f"    {name}: {value:,}")
    rate = f"{label}: {phase.rate_99:,.0f} reminders/s to the 99 % mark, " + (
        "first to last send: n/a (the later tick's sends carry its simulated time)" if phase.stragglers_ticked
        else f"{phase.rate:,.0f}/s first to last send")
    if phase.rate_before_kill:
        rate += f", {phase.rate_before_kill:,.0f}/s before the kill"
    say(rate)
    c = phase.checks
    return (c["lost (no reminder sent or uncertain)"] == 0 and c["duplicates at SMTP (Message-ID received twice)"] == 0
            and c["duplicates in the database (two sent mails or events)"] == 0
            and c["sent in the database, never received"] == 0
            and c["received, unknown to the database or not sent"] == 0 and c["cases"] == phase.cases)


@contextlib.contextmanager
def interrupt_on_sigterm() -> Iterator[None]:
    def _raise(*_: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, default=100_000, help="open cases, all due, for the K-worker phase")
    ap.add_argument("--baseline-cases", type=int, default=None,
                    help="cases for the one-worker phase (default: --cases, at most 20,000)")
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--threads", type=int, default=4, help="dramatiq threads per worker (the worker's default)")
    ap.add_argument("--kill-at", type=float, default=0.4, help="SIGKILL one worker when this share is sent")
    ap.add_argument("--timeout", type=float, default=1200, help="seconds per phase before checking anyway")
    ap.add_argument("--straggler-wait", type=float, default=90,
                    help="seconds to wait for the killed worker's fetched messages to come back through Redis")
    args = ap.parse_args()
    if not DUNMAIL.exists():
        raise SystemExit(f"{DUNMAIL} is missing: run `make install` first")
    baseline = args.baseline_cases or min(args.cases, 20_000)
    work = Path(tempfile.mkdtemp(prefix="dunmail-bench-scale-"))
    write_policy(work / "policies")
    zone = business_zone(timedelta(seconds=2 * args.timeout + 600))
    say(f"customers in {zone} ({COUNTRY} calendar): a business day now; scratch files in {work}")
    scratch = Scratch(create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT"))
    ok = False
    try:
        with interrupt_on_sigterm():
            one = run_phase(scratch, work, k=1, n=baseline, threads=args.threads, zone=zone, kill_at=None,
                            timeout=args.timeout, straggler_wait=args.straggler_wait)
            ok_one = report(one)
            many = run_phase(scratch, work, k=args.workers, n=args.cases, threads=args.threads, zone=zone,
                             kill_at=args.kill_at, timeout=args.timeout, straggler_wait=args.straggler_wait)
            ok_many = report(many)
            base = max(one.rate_99, 1e-9)
            say(f"throughput K={args.workers} / K=1 (to the 99 % mark): {many.rate_99 / base:.2f} "
                f"({many.rate_99:,.0f} vs {one.rate_99:,.0f} reminders/s); before the kill "
                f"{many.rate_before_kill / base:.2f}; first to last send {many.rate / max(one.rate, 1e-9):.2f}")
            ok = ok_one and ok_many
            say("PASS: 0 lost, 0 duplicates" if ok else "FAIL: see the counts above")
    except KeyboardInterrupt:
        say("interrupted: cleaning up")
    finally:
        scratch.drop()
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
