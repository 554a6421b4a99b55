"""dramatiq actors: thin wrappers that bind log context and call one plain function each.

Importing this module sets the global broker: the URL the importing process named with
worker.broker.use_broker_url (from the settings it loaded), else the default settings' broker_url.
Nothing in dunmail imports this module except `dunmail worker` (and the demo).
"""

from __future__ import annotations

import dramatiq
import structlog

from worker import runtime
from worker.broker import build_broker, url_for_actors
from worker.errors import PermanentError
from worker.services import Services
from worker.settings import load_settings

_services: Services | None = None
# The broker must exist before the decorators below run: they bind each actor to it.
broker = build_broker(url_for_actors() or load_settings().broker_url)
dramatiq.set_broker(broker)


def services() -> Services:
    global _services
    if _services is None:
        _services = Services.build(runtime.start())
    return _services


def use_services(svc: Services) -> None:
    """Run the actors over an already-built Services (the demo, tests, `dunmail worker`)."""
    global _services
    _services = svc


# Transient errors retry with exponential backoff (5 s .. 10 min); permanent ones are not retried —
# they were already put in front of a person by the function itself.
@dramatiq.actor(max_retries=8, min_backoff=5_000, max_backoff=600_000, throws=(PermanentError,),
                on_retry_exhausted="give_up_delivery")
def deliver_reminder(mail_id: int) -> None:
    structlog.contextvars.bind_contextvars(mail_id=mail_id)
    try:
        services().deliver(mail_id)
    finally:
        structlog.contextvars.unbind_contextvars("mail_id")


# process_inbound already shunts any mail that breaks a step; what reaches the retries is database trouble.
# When those run out the mail is handed to a person instead of being retried forever.
@dramatiq.actor(max_retries=5, min_backoff=2_000, throws=(PermanentError,), on_retry_exhausted="give_up_mail")
def process_mail(mail_id: int) -> None:
    structlog.contextvars.bind_contextvars(mail_id=mail_id)
    try:
        services().process(mail_id)
    finally:
        structlog.contextvars.unbind_contextvars("mail_id")


@dramatiq.actor(max_retries=0)
def give_up_delivery(message_data: dict[str, object], retry_info: dict[str, object]) -> None:
    """Retries ran out: the reminder stays pending and the next tick re-enqueues it later; say so loudly."""
    args = message_data.get("args")
    mail_id = args[0] if isinstance(args, list) and args else None
    structlog.get_logger(__name__).error("delivery_retries_exhausted", mail_id=mail_id,
                                         retries=retry_info.get("retries"))


@dramatiq.actor(max_retries=0)
def give_up_mail(message_data: dict[str, object], retry_info: dict[str, object]) -> None:
    """Retries ran out on a stored mail: mark it failed and put it in front of a person."""
    args = message_data.get("args")
    mail_id = args[0] if isinstance(args, list) and args and isinstance(args[0], int) else None
    logger = structlog.get_logger(__name__)
    if mail_id is None:
        logger.error("mail_retries_exhausted", mail_id=None)
        return
    shunted = services().give_up_mail(mail_id, f"processing failed {retry_info.get('retries')} times; "
                                               "last error in the worker log (mail_retries_exhausted)")
    logger.error("mail_retries_exhausted", mail_id=mail_id, shunted=shunted)
