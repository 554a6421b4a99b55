"""`dunmail worker` as a real process on the Redis broker: its tick plans due reminders, its dramatiq actors
deliver them to a real SMTP server, once each; a broker that lost its queue loses nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import redis
from sqlalchemy import select

from worker import ledger
from worker.db.engine import make_engine, transaction
from worker.db.migrate import upgrade
from worker.db.models import Customer, Mail
from worker.outbound.localsmtp import LocalSMTPServer

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = "redis://127.0.0.1:6379/14"


@pytest.fixture
def redis_db() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis at {REDIS_URL} is not reachable ({exc}); start it")
    client.flushdb()
    return client


def _all_day_policy(tmp_path: Path) -> Path:
    """The default ladder with a send window open around the clock, so the test need not wait for 09:00."""
    policies = tmp_path / "policies"
    policies.mkdir()
    text = (ROOT / "config" / "policies" / "default.toml").read_text()
    (policies / "default.toml").write_text(text.replace('start = "09:00"', 'start = "00:00"')
                                           .replace('end = "17:00"', 'end = "23:59"'))
    return policies


@pytest.mark.redis
@pytest.mark.slow
def test_worker_process_delivers_due_reminders_over_redis(tmp_path: Path, redis_db: redis.Redis) -> None:
    """Given three overdue invoices, a worker process on the Redis broker plans (tick) and delivers (actors)
    one reminder each, through real SMTP, and marks them sent."""
    db_url = f"sqlite:///{tmp_path / 'w.db'}"
    engine = make_engine(db_url)
    upgrade(engine)
    with transaction(engine) as s:
        for n in range(3):
            c = Customer(name=f"Customer {n}", language="en", timezone="UTC", country="US")
            s.add(c)
            ledger.ensure_contact(s, c, f"ap{n}@customer.example")
            s.flush()
            inv, _ = ledger.upsert_invoice(s, customer=c, number=f"R-{n}", amount=Decimal(100), currency="USD",
                                           issue_date=None, due_date=date(2026, 1, 5))
            ledger.open_case(s, inv, policy="default", first_action_at=datetime(2026, 1, 1, tzinfo=UTC))
    with LocalSMTPServer() as smtp:
        env = {**os.environ, "DUNMAIL_DATABASE_URL": db_url, "DUNMAIL_BROKER_URL": REDIS_URL,
               "DUNMAIL_SMTP_PORT": str(smtp.port), "DUNMAIL_SECRET_KEY": "w" * 32,
               "DUNMAIL_TICK_INTERVAL_SECONDS": "1", "DUNMAIL_POLICIES_DIR": str(_all_day_policy(tmp_path)),
               "DUNMAIL_LOG_FORMAT": "json", "DUNMAIL_CONFIG": str(ROOT / "config" / "dunmail.example.toml")}
        redis_db.flushdb()
        proc = subprocess.Popen([sys.executable, "-m", "worker", "worker", "--threads", "2", "--no-inbox",
                                 "--health-port", "0"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 90
            while len(smtp.messages) < 3 and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=60)
        received = [m.rcpt_tos for m in smtp.messages]
    assert sorted(received) == [("ap0@customer.example",), ("ap1@customer.example",), ("ap2@customer.example",)], \
        err.decode()[-2000:]
    with transaction(engine) as s:
        assert sorted(s.scalars(select(Mail.status).where(Mail.direction == "out"))) == ["sent"] * 3


@pytest.mark.redis
@pytest.mark.slow
def test_worker_takes_its_broker_from_the_config_file_it_is_given(tmp_path: Path, redis_db: redis.Redis) -> None:
    """`dunmail worker --config FILE` uses that file's broker_url (before, the actors bound to the default
    settings' in-process broker): the reminder goes out and the Redis broker was the one used."""
    db_url = f"sqlite:///{tmp_path / 'c.db'}"
    engine = make_engine(db_url)
    upgrade(engine)
    with transaction(engine) as s:
        c = Customer(name="Customer C", language="en", timezone="UTC", country="US")
        s.add(c)
        ledger.ensure_contact(s, c, "ap@customer.example")
        s.flush()
        inv, _ = ledger.upsert_invoice(s, customer=c, number="C-1", amount=Decimal(100), currency="USD",
                                       issue_date=None, due_date=date(2026, 1, 5))
        ledger.open_case(s, inv, policy="default", first_action_at=datetime(2026, 1, 1, tzinfo=UTC))
    with LocalSMTPServer() as smtp:
        config = tmp_path / "site.toml"
        config.write_text(f'database_url = "{db_url}"\nbroker_url = "{REDIS_URL}"\nsmtp_port = {smtp.port}\n'
                          f'tick_interval_seconds = 1\npolicies_dir = "{_all_day_policy(tmp_path)}"\n'
                          'log_format = "json"\n')
        env = {k: v for k, v in os.environ.items() if not k.startswith("DUNMAIL_")}
        env["DUNMAIL_SECRET_KEY"] = "c" * 32
        redis_db.flushdb()
        proc = subprocess.Popen([sys.executable, "-m", "worker", "worker", "--threads", "1", "--no-inbox",
                                 "--health-port", "0", "--config", str(config)], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 90
            while not smtp.messages and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=60)
        assert [m.rcpt_tos for m in smtp.messages] == [("ap@customer.example",)], err.decode()[-2000:]
    assert redis_db.exists("dunmail:broker-epoch"), "the worker did not use the Redis broker of its config file"


@pytest.mark.redis
@pytest.mark.slow
def test_worker_resends_pending_rows_soon_after_redis_lost_them(tmp_path: Path, redis_db: redis.Redis) -> None:
    """Given a reminder planned and enqueued (pending, its case not due again for 15 minutes) whose message Redis
    lost (flushed), a worker process sends it within seconds — not after the in-flight window — exactly once."""
    db_url = f"sqlite:///{tmp_path / 'w.db'}"
    engine = make_engine(db_url)
    upgrade(engine)
    now = datetime.now(UTC)
    with transaction(engine) as s:
        c = Customer(name="Customer L", language="en", timezone="UTC", country="US")
        s.add(c)
        ledger.ensure_contact(s, c, "lost@customer.example")
        s.flush()
        inv, _ = ledger.upsert_invoice(s, customer=c, number="L-1", amount=Decimal(100), currency="USD",
                                       issue_date=None, due_date=date(2026, 1, 5))
        case = ledger.open_case(s, inv, policy="default", first_action_at=now + timedelta(minutes=15))
        s.add(Mail(case_id=case.id, direction="out", status="pending", send_key=f"case:{case.id}:reminder_1",
                   stage="reminder_1", analysis={"ladder_stage": "reminder_1"}, created_at=now))
    redis_db.flushdb()  # the queued message is gone
    with LocalSMTPServer() as smtp:
        env = {**os.environ, "DUNMAIL_DATABASE_URL": db_url, "DUNMAIL_BROKER_URL": REDIS_URL,
               "DUNMAIL_SMTP_PORT": str(smtp.port), "DUNMAIL_SECRET_KEY": "w" * 32,
               "DUNMAIL_TICK_INTERVAL_SECONDS": "1", "DUNMAIL_LOG_FORMAT": "json",
               "DUNMAIL_CONFIG": str(ROOT / "config" / "dunmail.example.toml")}
        proc = subprocess.Popen([sys.executable, "-m", "worker", "worker", "--threads", "2", "--no-inbox",
                                 "--health-port", "0"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        started = time.monotonic()
        try:
            while not smtp.messages and time.monotonic() - started < 60:
                time.sleep(0.2)
            waited = time.monotonic() - started
            time.sleep(2)  # a second message for the same mail, were there one, would arrive now
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=60)
        received = [m.rcpt_tos for m in smtp.messages]
    assert received == [("lost@customer.example",)], err.decode()[-2000:]
    assert waited < 60
    with transaction(engine) as s:
        assert list(s.scalars(select(Mail.status).where(Mail.direction == "out"))) == ["sent"]
