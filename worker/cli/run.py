"""Running dunmail: tick (one synchronous pass), worker (dramatiq + periodic tick + inbox), inbox watch."""

from __future__ import annotations

import os
import signal
import socket
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import structlog
import typer
from rich.table import Table

from worker import leases, runtime
from worker.cli import app
from worker.cli.core import ConfigOption, console, fail
from worker.db import migrate
from worker.db.models import utcnow
from worker.errors import DunmailError
from worker.inbound.process import Processed
from worker.outbound.deliver import Outcome
from worker.services import Services

log = structlog.get_logger(__name__)
inbox_app = typer.Typer(no_args_is_help=True, help="The shared inbox customers reply to.")
app.add_typer(inbox_app, name="inbox")


def _parse_now(value: str | None) -> datetime:
    if value is None:
        return utcnow()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise fail(f"--now {value!r} is not an ISO 8601 time such as 2026-04-01T09:00:00+09:00") from None
    if moment.tzinfo is None:
        raise fail("--now needs a UTC offset, e.g. 2026-04-01T09:00:00+09:00")
    return moment


@app.command("tick")
def tick_command(
    now: Annotated[str | None, typer.Option(help="act as if it were this moment (ISO 8601 with offset)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="only show what would be sent")] = False,
    config: ConfigOption = None,
) -> None:
    """Run one scheduling pass synchronously (no broker) and send what is due."""
    moment = _parse_now(now)
    try:
        rt = runtime.start(config)
        migrate.upgrade(rt.engine)
        services = Services.build(rt)
        report = services.tick(now=moment, dry_run=dry_run)
        if dry_run:
            table = Table("case", "invoice", "customer", "would send", "why")
            for p in report.previews:
                table.add_row(str(p["case_id"]), str(p["invoice"]), str(p["customer"]), str(p["template"]),
                              str(p["reason"]))
            console.print(table)
            console.print(f"dry run at {moment.isoformat()}: {len(report.previews)} reminder(s) would be sent")
            return
        outcomes = [_deliver_one(services, mail_id, moment) for mail_id in report.planned]
        services.close()
    except DunmailError as exc:
        raise fail(str(exc)) from None
    sent = [o for o in outcomes if o.status == "sent"]
    for o in outcomes:
        console.print(f"mail {o.mail_id}: {o.status} {o.detail}".rstrip())
    console.print(f"tick at {moment.isoformat()}: {len(sent)} sent, {report.waiting} waiting, "
                  f"{len(report.escalated)} escalated, {len(report.stopped)} stopped, "
                  f"{len(report.uncertain)} uncertain"
                  + (f", {len(report.blocked)} blocked (see the review queue)" if report.blocked else ""))


def _deliver_one(services: Services, mail_id: int, moment: datetime) -> Outcome:
    """One send of a synchronous tick; a failure is reported for this mail and the tick goes on with the next."""
    try:
        return services.deliver(mail_id, now=lambda: moment)
    except Exception as exc:  # transient (the mail stays pending for the next tick) or a bug: say which mail
        log.warning("tick_send_failed", mail_id=mail_id, error=type(exc).__name__)
        return Outcome(mail_id, "retry", f"{type(exc).__name__}: {exc}")


@app.command("worker")
def worker_command(
    threads: Annotated[int, typer.Option(help="dramatiq worker threads")] = 4,
    inbox: Annotated[bool, typer.Option(help="also watch the IMAP inbox (when imap_host is set)")] = True,
    health_port: HealthPort = 9464,
    config: ConfigOption = None,
) -> None:
    """Run dramatiq workers, the periodic scheduler tick and (optionally) the inbox watcher until stopped."""
    try:
        rt = runtime.start(config)
        migrate.upgrade(rt.engine)
    except DunmailError as exc:
        raise fail(str(exc)) from None
    from dramatiq import Worker

    from worker.broker import use_broker_url

    use_broker_url(rt.settings.broker_url)  # before the actors bind to a broker
    from worker import actors

    services = Services.build(rt)
    actors.use_services(services)
    _serve_health(health_port, rt, "worker")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    worker = Worker(actors.broker, worker_threads=threads)
    worker.start()
    threads_: list[threading.Thread] = [threading.Thread(target=_tick_loop, args=(services, stop), daemon=True)]
    if inbox and rt.settings.imap_host:
        threads_.append(threading.Thread(target=_inbox_loop, args=(services, stop, True), daemon=True))
    for t in threads_:
        t.start()
    log.info("worker_started", threads=threads, broker=rt.settings.broker_url.split("@")[-1])
    stop.wait()
    log.info("worker_stopping")
    for t in threads_:
        t.join(timeout=30)
    worker.stop()
    services.close()


HealthPort = Annotated[int, typer.Option(help="serve /healthz and /metrics on this port (0: off)")]


def _serve_health(port: int, rt: runtime.Runtime, role: str) -> None:
    if port:
        from worker.metrics import serve_health

        serve_health(port, rt.engine, role=role)
        log.info("health_listening", port=port, role=role)


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _tick_loop(services: Services, stop: threading.Event) -> None:
    """Every tick_interval: (one host at a time) plan due reminders and enqueue them; re-enqueue stragglers."""
    from worker import actors

    s = services.rt.settings
    holder = holder_name()
    while not stop.is_set():
        try:
            if leases.acquire(services.rt.engine, "scheduler", holder, timedelta(seconds=s.tick_interval_seconds * 3)):
                report = services.tick(now=utcnow())
                for mail_id in report.planned:
                    actors.deliver_reminder.send(mail_id)
                requeue_lost_sends(services, actors.broker, actors.deliver_reminder.send)
                for mail_id in services.unprocessed():
                    actors.process_mail.send(mail_id)
        except Exception:  # the loop must outlive one bad pass; the next tick derives everything again
            log.exception("tick_failed")
        stop.wait(s.tick_interval_seconds)


def requeue_lost_sends(services: Services, broker: object, send: Callable[[int], object]) -> list[int]:
    """When the broker's queues are new (Redis restarted empty, flushed), enqueue every pending send again now
    instead of waiting out the tick's 15-minute in-flight window. Never a double send: delivery sends a mail only
    from `pending`, under the case lock, so a second message for the same mail is skipped."""
    from worker.broker import broker_was_reset

    if not broker_was_reset(broker):  # type: ignore[arg-type]
        return []
    ids = services.pending_sends()
    for mail_id in ids:
        send(mail_id)
    log.warning("broker_reset_requeued", sends=len(ids))
    return ids


def _inbox_loop(services: Services, stop: threading.Event, via_broker: bool) -> None:
    from worker.inbound.mailbox import IMAPConfig, IMAPMailbox
    from worker.inbound.oauth import token_source
    from worker.inbound.watch import WatchOptions, watch

    s = services.rt.settings
    if not s.imap_host or not s.imap_username:
        raise DunmailError("imap_host and imap_username must be set to watch the inbox")
    mailbox = IMAPMailbox(IMAPConfig(
        host=s.imap_host, port=s.imap_port, username=s.imap_username,
        password=s.imap_password.get_secret_value() if s.imap_password else None,
        oauth_token=s.imap_oauth_token.get_secret_value() if s.imap_auth == "xoauth2" and s.imap_oauth_token else None,
        tokens=token_source(s),
        security=s.imap_security, folder=s.imap_folder, processed_folder=s.imap_processed_folder,
        poll_seconds=s.imap_poll_seconds))

    def on_stored(ids: list[int]) -> None:
        if via_broker:
            from worker import actors

            for mail_id in ids:
                actors.process_mail.send(mail_id)
        else:
            for mail_id in ids:
                services.process_or_defer(mail_id)

    # IDLE is renewed every imap_idle_renew_seconds; without IDLE the mailbox polls every imap_poll_seconds.
    options = WatchOptions(holder=holder_name(), wait_seconds=s.imap_idle_renew_seconds)
    watch(services.rt.engine, mailbox, options=options, on_stored=on_stored, stop=stop)


@inbox_app.command("watch")
def inbox_watch(health_port: HealthPort = 0, config: ConfigOption = None) -> None:
    """Watch the IMAP inbox (IDLE, or polling) and process each reply as it arrives, until stopped."""
    try:
        rt = runtime.start(config)
        migrate.upgrade(rt.engine)
        _serve_health(health_port, rt, "inbox")
        services = Services.build(rt)
        for mail_id in services.unprocessed():  # anything stored but not processed before a crash
            services.process_or_defer(mail_id)
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        _inbox_loop(services, stop, via_broker=False)
    except DunmailError as exc:
        raise fail(str(exc)) from None


def _outcome(result: Processed | None) -> str:
    if result is None:
        return "already stored"
    if result.status == "failed":
        return f"not processed ({result.error}); kept raw and put in the review queue"
    return f"{result.intent} → case {result.case_id} ({result.case_state})"


@inbox_app.command("process")
def inbox_process(
    files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, help=".eml files to feed in")],
    config: ConfigOption = None,
) -> None:
    """Feed .eml files through the same inbound path as mail from the inbox (store raw, then process)."""
    from worker.db.engine import transaction
    from worker.inbound.store import store_inbound

    try:
        rt = runtime.start(config)
        migrate.upgrade(rt.engine)
        services = Services.build(rt)
        for path in files:
            with transaction(rt.engine) as session:
                mail, new = store_inbound(session, path.read_bytes(), mailbox=f"file:{path.parent}")
            result = services.process(mail.id) if new else None
            console.print(f"{path.name}: " + _outcome(result), markup=False)
    except DunmailError as exc:
        raise fail(str(exc)) from None
