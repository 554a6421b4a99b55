"""The plain functions every edge calls (actors, CLI, demo, web), over parts built once per process.

    services = Services.build(runtime)
    services.tick(now=..., enqueue=...)      plan due reminders, hand their ids on
    services.deliver(mail_id)                send one planned reminder, exactly once
    services.process(mail_id)                parse → classify → correlate → act on one stored mail
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

import structlog

from worker.classify.classifier import classify
from worker.db.engine import transaction
from worker.db.models import Mail, utcnow
from worker.inbound.mime import parse_mail
from worker.inbound.process import Pipeline, Processed, process_inbound, shunt, unprocessed_mail_ids
from worker.intake.route import make_router
from worker.ladder.planner import LadderPlanner
from worker.outbound.deliver import Outcome, deliver, pending_send_ids
from worker.outbound.reminder import ReminderComposer
from worker.outbound.smtp import Sender, SMTPConfig, SMTPSender
from worker.outbound.tokens import verify_reply_token
from worker.runtime import Runtime
from worker.scheduler import TickReport, tick

log = structlog.get_logger(__name__)


@dataclass
class Services:
    rt: Runtime
    sender_factory: Callable[[], Sender] | None = None  # tests and the demo pass their own
    clock: Callable[[], datetime] = utcnow  # the demo runs on a simulated clock
    _local: threading.local = field(default_factory=threading.local, repr=False)
    _senders: list[Sender] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def build(cls, rt: Runtime, sender_factory: Callable[[], Sender] | None = None) -> Services:
        return cls(rt=rt, sender_factory=sender_factory)

    # --- parts, built on first use --------------------------------------------------------------
    def sender(self) -> Sender:
        """One SMTP connection per thread, reused across mails."""
        sender: Sender | None = getattr(self._local, "sender", None)
        if sender is None:
            s = self.rt.settings
            sender = self.sender_factory() if self.sender_factory else SMTPSender(SMTPConfig(
                host=s.smtp_host, port=s.smtp_port, security=s.smtp_security, username=s.smtp_username,
                password=s.smtp_password.get_secret_value() if s.smtp_password else None,
                timeout=s.smtp_timeout_seconds, rate_per_second=s.smtp_rate_per_second))
            self._local.sender = sender
            with self._lock:
                self._senders.append(sender)
        return sender

    def close(self) -> None:
        """Close every thread's SMTP connection (at shutdown)."""
        with self._lock:
            senders, self._senders = self._senders, []
        for sender in senders:
            sender.close()

    @cached_property
    def planner(self) -> LadderPlanner:
        return LadderPlanner(self.rt.settings)

    @cached_property
    def reminders(self) -> ReminderComposer:
        """Templates compile here, once per process: a broken one fails at start, not at send time."""
        return ReminderComposer(self.rt.settings, clock=lambda: self.clock())

    @cached_property
    def pipeline(self) -> Pipeline:
        secret = self.rt.settings.secret_bytes()
        planner = self.planner
        return Pipeline(
            parse=parse_mail,
            classify=classify,
            verify_token=lambda token: verify_reply_token(token, secret),
            reply_localpart=self.rt.settings.reply_localpart,
            min_confidence=self.rt.settings.classify_min_confidence,
            promise_grace_days=planner.promise_grace_days,
            route_other=make_router(self.rt.settings),
            authserv_id=self.rt.settings.authserv_id,
            promise_horizon_days=self.rt.settings.promise_horizon_days,
            own_domains=tuple(dict.fromkeys(d for d in (self.rt.settings.from_address.rpartition("@")[2],
                                                        self.rt.settings.reply_domain_name) if d)),
        )

    # --- the verbs -----------------------------------------------------------------------------
    def tick(self, *, now: datetime, dry_run: bool = False) -> TickReport:
        s = self.rt.settings
        return tick(self.rt.engine, self.planner, now=now, batch=s.tick_batch_size, dry_run=dry_run,
                    consolidate=s.consolidate_per_customer,
                    stuck_after=timedelta(seconds=s.send_uncertain_after_seconds))

    def deliver(self, mail_id: int, *, now: Callable[[], datetime] | None = None) -> Outcome:
        return deliver(self.rt.engine, mail_id, sender=self.sender(), compose=self.reminders.compose,
                       now=now or self.clock)

    def process(self, mail_id: int) -> Processed:
        return process_inbound(self.rt.engine, mail_id, self.pipeline)

    def give_up_mail(self, mail_id: int, why: str) -> bool:
        """A mail that could not be processed after every retry goes to a person; True when it was shunted."""
        with transaction(self.rt.engine) as session:
            mail = session.get(Mail, mail_id)
            if mail is None or mail.direction != "in" or mail.status != "received":
                return False
            shunt(session, mail, why)
            return True

    def process_or_defer(self, mail_id: int) -> Processed | None:
        """`process`, for inline loops: database trouble leaves the mail `received` for the next sweep."""
        try:
            return self.process(mail_id)
        except Exception as exc:  # only transient database errors get here; the loop must go on
            log.warning("mail_process_deferred", mail_id=mail_id, error=type(exc).__name__)
            return None

    def pending_sends(self) -> list[int]:
        with transaction(self.rt.engine) as session:
            return pending_send_ids(session)

    def unprocessed(self) -> list[int]:
        with transaction(self.rt.engine) as session:
            return unprocessed_mail_ids(session)
