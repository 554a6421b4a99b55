"""A delivery worker killed with SIGKILL mid-batch, then restarted: each (case, stage) reaches SMTP at most
once, and every planned reminder ends either received or marked uncertain for a person — none is lost
and none is resent blindly."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from email import message_from_bytes
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from worker import ledger
from worker.db.engine import transaction
from worker.db.models import Customer, Mail, utcnow
from worker.outbound import localsmtp
from worker.outbound.deliver import sweep_stuck_sends
from worker.outbound.localsmtp import LocalSMTPServer

ROOT = Path(__file__).resolve().parents[1]
PLANNED = 40


def _plan(engine: Engine) -> None:
    with transaction(engine) as s:
        c = Customer(name="Acme", language="en", timezone="UTC", country="US")
        s.add(c)
        s.flush()
        for n in range(PLANNED):
            inv, _ = ledger.upsert_invoice(s, customer=c, number=f"K-{n}", amount=Decimal(10), currency="USD",
                                           issue_date=None, due_date=date(2026, 3, 1))
            case = ledger.open_case(s, inv, policy="default", first_action_at=None)
            s.add(Mail(case_id=case.id, direction="out", status="pending", send_key=f"case:{case.id}:reminder_1",
                       stage="reminder_1"))


def _run_worker(url: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "tests.support.send_worker", url, str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.mark.slow
def test_sigkill_mid_batch_then_restart_sends_each_once(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Given 40 planned reminders and a slow SMTP server, when the worker is SIGKILLed mid-batch and
    restarted, then no send key is received twice and received + uncertain cover all 40."""
    original = localsmtp._Recorder.handle_DATA

    async def slow(self, server, session, envelope):  # type: ignore[no-untyped-def]
        await asyncio.sleep(0.05)  # wide enough a window to be killed in the middle of a send
        return await original(self, server, session, envelope)

    monkeypatch.setattr(localsmtp._Recorder, "handle_DATA", slow)
    _plan(engine)
    url = engine.url.render_as_string(hide_password=False)
    with LocalSMTPServer() as smtp:
        first = _run_worker(url, smtp.port)
        deadline = time.monotonic() + 60
        while len(smtp.messages) < 10 and time.monotonic() < deadline:
            time.sleep(0.01)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        killed_at = len(smtp.messages)
        assert 10 <= killed_at < PLANNED, "the worker was not killed mid-batch"
        with transaction(engine) as s:  # what the scheduler's sweep does after the timeout
            sweep_stuck_sends(s, now=utcnow() + timedelta(hours=1), older_than=timedelta(minutes=10))
        second = _run_worker(url, smtp.port)
        assert second.wait(timeout=120) == 0
        received = Counter(message_from_bytes(m.data)["X-Dunmail-Send-Key"] for m in smtp.messages)
    with transaction(engine) as s:
        statuses = {k: v for k, v in s.execute(select(Mail.send_key, Mail.status))}
    assert max(received.values()) == 1, "a reminder reached the SMTP server twice"
    uncertain = {k for k, v in statuses.items() if v == "uncertain"}
    assert set(received) | uncertain == set(statuses), "a planned reminder was lost"
    assert all(v in ("sent", "uncertain") for v in statuses.values())
    assert len(uncertain) <= 1  # only the one in flight at the kill can be in doubt
