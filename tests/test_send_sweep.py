"""Sends whose outcome is unknown, and sends the broker lost: `send_uncertain_after_seconds` decides when a
send left `sending` goes to a person (issue 12, finding 7)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select

from tests.conftest import TEST_SECRET
from worker import ledger
from worker.db.engine import transaction
from worker.db.models import Customer, Mail, ReviewItem
from worker.runtime import Runtime
from worker.services import Services
from worker.settings import load_settings

NOW = datetime(2026, 4, 1, 9, tzinfo=UTC)


def _services(engine: Engine, **settings: object) -> Services:
    loaded = load_settings(database_url=engine.url.render_as_string(hide_password=False), secret_key=TEST_SECRET,
                           **settings)
    return Services.build(Runtime(settings=loaded, engine=engine))


def _mail(engine: Engine, status: str, *, sent_at: datetime | None = None, created_at: datetime = NOW) -> int:
    with transaction(engine) as s:
        customer = Customer(name="Acme", language="en", timezone="UTC", country="US")
        s.add(customer)
        ledger.ensure_contact(s, customer, "ap@acme.example")
        s.flush()
        invoice, _ = ledger.upsert_invoice(s, customer=customer, number=f"S-{status}", amount=Decimal(10),
                                           currency="USD", issue_date=None, due_date=date(2026, 3, 1))
        case = ledger.open_case(s, invoice, policy="default", first_action_at=NOW + timedelta(days=30))
        mail = Mail(case_id=case.id, direction="out", status=status, send_key=f"case:{case.id}:reminder_1",
                    stage="reminder_1", sent_at=sent_at, created_at=created_at)
        s.add(mail)
        s.flush()
        return mail.id


@pytest.mark.parametrize(("setting", "uncertain"), [(60, True), (600, False)])
def test_send_uncertain_after_seconds_decides_when_a_stuck_send_goes_to_review(engine: Engine, setting: int,
                                                                              uncertain: bool) -> None:
    """A send left `sending` for two minutes is swept to `uncertain` (with a review item) by the tick when the
    setting is 60 seconds, and left alone when it is 600."""
    mail_id = _mail(engine, "sending", sent_at=NOW - timedelta(minutes=2))
    report = _services(engine, send_uncertain_after_seconds=setting).tick(now=NOW)
    with transaction(engine) as s:
        mail = s.get(Mail, mail_id)
        assert mail is not None
        kinds = list(s.scalars(select(ReviewItem.kind)))
    assert (report.uncertain == [mail_id]) is uncertain
    assert (mail.status, kinds) == (("uncertain", ["send_uncertain"]) if uncertain else ("sending", []))


@pytest.fixture
def redis_broker() -> object:
    import redis
    from dramatiq.brokers.redis import RedisBroker

    client = redis.Redis.from_url("redis://127.0.0.1:6379/13")
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis at 127.0.0.1:6379 is not reachable ({exc}); start it")
    client.flushdb()
    broker = RedisBroker(url="redis://127.0.0.1:6379/13")
    yield broker
    client.flushdb()
    broker.close()


@pytest.mark.redis
def test_pending_sends_are_enqueued_again_as_soon_as_redis_lost_its_queues(engine: Engine,
                                                                           redis_broker: object) -> None:
    """Given pending sends: the tick loop enqueues them again at once when Redis comes back empty (here:
    flushed), once — not on the next pass — and again after the next loss. Sent or sending mails are never
    enqueued again, and delivering a re-enqueued mail twice sends it once."""
    import redis

    from tests.test_deliver import _compose
    from worker.cli.run import requeue_lost_sends
    from worker.outbound.deliver import deliver
    from worker.outbound.smtp import FakeSender

    pending = _mail(engine, "pending")
    _mail(engine, "sent", sent_at=NOW)
    _mail(engine, "sending", sent_at=NOW)
    services = _services(engine)
    sent: list[int] = []
    assert requeue_lost_sends(services, redis_broker, sent.append) == [pending]  # a broker new to this worker
    assert requeue_lost_sends(services, redis_broker, sent.append) == []  # nothing lost since
    redis.Redis.from_url("redis://127.0.0.1:6379/13").flushdb()  # Redis restarted without its data
    assert requeue_lost_sends(services, redis_broker, sent.append) == [pending]
    assert sent == [pending, pending]
    sender = FakeSender()
    outcomes = [deliver(engine, mail_id, sender=sender, compose=_compose, now=lambda: NOW).status for mail_id in sent]
    assert outcomes == ["sent", "skipped"] and len(sender.sent) == 1
