"""The dramatiq broker named by settings.broker_url. Only this module and worker.actors import dramatiq."""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.stub import StubBroker

from worker.errors import ConfigError


def build_broker(url: str) -> dramatiq.Broker:
    """memory:// (in-process, one machine), redis://…, or amqp://… (RabbitMQ)."""
    if url.startswith("memory://"):
        broker: dramatiq.Broker = StubBroker()
        broker.emit_after("process_boot")
        return broker
    if url.startswith(("redis://", "rediss://", "unix://")):
        from dramatiq.brokers.redis import RedisBroker

        return RedisBroker(url=url)
    if url.startswith(("amqp://", "amqps://")):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        return RabbitmqBroker(url=url)
    raise ConfigError(f"broker_url {url!r}: use memory://, redis://host:6379/0 or amqp://user:pass@host:5672/")


_url_for_actors: str | None = None


def use_broker_url(url: str) -> None:
    """Name the broker worker.actors binds to; call it before that module is first imported.

    The actors' decorators bind to the broker that exists when they run, so the process that loaded
    its settings (`dunmail worker --config FILE`) names it here first; without this the module read
    the default settings again and a file's broker_url was ignored."""
    global _url_for_actors
    _url_for_actors = url


def url_for_actors() -> str | None:
    return _url_for_actors


EPOCH_KEY = "dunmail:broker-epoch"


def broker_was_reset(broker: dramatiq.Broker) -> bool:
    """True when the broker's store is new since this was last asked (first call, a Redis restart without
    persistence, a FLUSHALL): every queued message may be gone, so pending sends must be enqueued again.

    Redis only: a key dunmail writes there vanishes with the queues. The in-process broker lives and dies with
    the process (nothing to re-send), and RabbitMQ keeps durable queues, so both answer False."""
    client = getattr(broker, "client", None)
    if client is None or not hasattr(client, "set"):
        return False
    return bool(client.set(EPOCH_KEY, "1", nx=True))
