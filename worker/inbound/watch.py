"""Watching the shared inbox: fetch new mail, store it raw, hand it on, mark it, wait, repeat.

One watcher per mailbox across all hosts (a lease in the database). Each pass:
  1. read UIDVALIDITY; when it changed, start the cursor again from UID 0 — the store dedupes by
     Message-ID and digest, so nothing is processed twice and nothing is lost;
  2. fetch the UIDs above the cursor, store each raw mail and advance the cursor in one commit;
  3. only then hand the new mail ids on (enqueue processing) and mark them processed on the server.
A crash after 2 loses nothing: the rows are there with status `received`, and the processing sweep
finds them. Connection drops reconnect with exponential backoff.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import structlog
from sqlalchemy import Engine

from worker import leases, metrics
from worker.db.engine import transaction
from worker.db.models import MailboxCursor
from worker.errors import MailboxTransientError
from worker.inbound.mailbox import Mailbox
from worker.inbound.store import store_batch

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class SyncReport:
    stored: list[int]  # ids of new Mail rows
    seen: int  # UIDs fetched this pass
    uidvalidity_changed: bool = False


def sync_once(engine: Engine, mailbox: Mailbox, *, batch: int = 200) -> SyncReport:
    validity = mailbox.uidvalidity()
    with transaction(engine) as session:
        cursor = session.get(MailboxCursor, mailbox.name)
        changed = cursor is not None and cursor.uidvalidity != validity
        if cursor is None or changed:
            if changed:
                log.warning("uidvalidity_changed", mailbox=mailbox.name, old=cursor.uidvalidity if cursor else None,
                            new=validity)
            cursor = cursor or MailboxCursor(mailbox=mailbox.name, uidvalidity=validity, last_uid=0)
            cursor.uidvalidity, cursor.last_uid = validity, 0
            session.add(cursor)
        last_uid = cursor.last_uid
    uids = mailbox.uids_after(last_uid)
    stored: list[int] = []
    for start in range(0, len(uids), batch):
        chunk = uids[start:start + batch]
        with transaction(engine) as session:
            new = store_batch(session, list(mailbox.fetch_raw(chunk)), mailbox=mailbox.name, uidvalidity=validity)
            for mail in new:
                stored.append(mail.id)
                log.info("mail_stored", mail_id=mail.id, mailbox=mailbox.name, uid=mail.uid, message_id=mail.message_id)
            cur = session.get(MailboxCursor, mailbox.name)
            assert cur is not None
            cur.last_uid = max(cur.last_uid, *chunk)
        mailbox.mark_processed(chunk)
    return SyncReport(stored=stored, seen=len(uids), uidvalidity_changed=changed)


@dataclass(frozen=True)
class WatchOptions:
    holder: str  # who we are, for the lease: host:pid
    wait_seconds: float = 25 * 60.0  # IDLE renewal (≤ 29 min) or the poll interval
    lease_ttl: timedelta = timedelta(minutes=2)
    max_backoff: float = 60.0


def watch(
    engine: Engine,
    mailbox: Mailbox,
    *,
    options: WatchOptions,
    on_stored: Callable[[list[int]], None],
    stop: threading.Event,
) -> None:
    """Run until `stop` is set. Transient mailbox errors reconnect with backoff; others propagate."""
    lease = f"inbox:{mailbox.name}"
    backoff = 1.0
    connected = False
    while not stop.is_set():
        if not leases.acquire(engine, lease, options.holder, options.lease_ttl):
            log.info("watcher_standby", mailbox=mailbox.name)  # another host is watching this mailbox
            stop.wait(options.lease_ttl.total_seconds() / 2)
            continue
        try:
            if not connected:
                mailbox.connect()
                connected = True
                log.info("mailbox_connected", mailbox=mailbox.name)
            report = sync_once(engine, mailbox)
            if report.stored:
                on_stored(report.stored)
            backoff = 1.0
            if stop.is_set():
                break
            # Wake at least every half-lease to renew it, and within the IDLE renewal interval.
            mailbox.wait_for_change(min(options.wait_seconds, options.lease_ttl.total_seconds() / 2), stop)
        except MailboxTransientError as exc:
            connected = False
            metrics.IMAP_RECONNECTS.inc()
            mailbox.close()
            log.warning("mailbox_reconnect", mailbox=mailbox.name, error=str(exc), backoff_s=backoff)
            stop.wait(backoff)
            backoff = min(backoff * 2, options.max_backoff)
    mailbox.close()
    leases.release(engine, lease, options.holder)
