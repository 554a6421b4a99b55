"""The inbox watcher: raw mail stored before anything else, never twice, nothing lost on drops."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from imap_tools import MailBoxUnencrypted
from sqlalchemy import Engine, func, select

from worker.db.engine import transaction
from worker.db.models import Mail
from worker.errors import MailboxTransientError
from worker.inbound.mailbox import FakeMailbox, IMAPConfig, IMAPMailbox
from worker.inbound.watch import WatchOptions, sync_once, watch


def _mail(n: int, message_id: bool = True) -> bytes:
    mid = f"Message-ID: <reply-{n}@customer.example>\r\n" if message_id else ""
    return (f"From: ap@customer.example\r\nTo: ar@dunmail.example\r\nSubject: Re: invoice {n}\r\n{mid}"
            f"Date: Mon, 23 Nov 2026 10:00:00 +0900\r\n\r\nWe paid invoice {n} yesterday.\r\n").encode()


def _stored(engine: Engine) -> int:
    with transaction(engine) as s:
        return int(s.scalar(select(func.count()).select_from(Mail).where(Mail.direction == "in")) or 0)


def test_each_mail_is_stored_once_across_passes(engine: Engine) -> None:
    """Two passes over the same mailbox store each message once and mark it processed."""
    box = FakeMailbox()
    box.connect()
    for n in range(3):
        box.append(_mail(n))
    first = sync_once(engine, box)
    second = sync_once(engine, box)
    assert len(first.stored) == 3 and second.stored == [] and _stored(engine) == 3
    assert box.processed == {1, 2, 3}
    with transaction(engine) as s:
        raws = s.scalars(select(Mail.raw)).all()
    assert sorted(raws) == sorted(_mail(n) for n in range(3))  # the exact bytes are kept


def test_uidvalidity_change_neither_reprocesses_nor_loses(engine: Engine) -> None:
    """After the server renumbers the folder, old mail is recognised and a new one is picked up."""
    box = FakeMailbox()
    box.connect()
    box.append(_mail(1))
    box.append(_mail(2, message_id=False))
    sync_once(engine, box)
    box.renumber()
    box.append(_mail(3))
    report = sync_once(engine, box)
    assert report.uidvalidity_changed
    assert len(report.stored) == 1 and _stored(engine) == 3


def test_dropped_connection_reconnects_and_loses_nothing(engine: Engine) -> None:
    """The watcher survives drops (backoff, reconnect) and still stores every mail exactly once."""
    box = FakeMailbox()
    for n in range(5):
        box.append(_mail(n))
    box.fail_next = 2
    stop = threading.Event()
    handed: list[int] = []

    def on_stored(ids: list[int]) -> None:
        handed.extend(ids)
        if len(handed) >= 5:
            stop.set()

    opts = WatchOptions(holder="test", wait_seconds=0.01, max_backoff=0.02)
    thread = threading.Thread(target=watch, args=(engine, box),
                              kwargs={"options": opts, "on_stored": on_stored, "stop": stop})
    thread.start()
    thread.join(timeout=20)
    stop.set()
    assert not thread.is_alive()
    assert len(handed) == 5 and _stored(engine) == 5


def test_second_watcher_waits_while_the_first_holds_the_mailbox(engine: Engine) -> None:
    """Only one watcher per mailbox: a second holder does not fetch while the lease is held."""
    from datetime import timedelta

    from worker import leases

    box = FakeMailbox()
    box.append(_mail(1))
    assert leases.acquire(engine, f"inbox:{box.name}", "host-a", timedelta(minutes=5))
    stop = threading.Event()
    opts = WatchOptions(holder="host-b", wait_seconds=0.01, lease_ttl=timedelta(seconds=0.2))
    thread = threading.Thread(target=watch, args=(engine, box),
                              kwargs={"options": opts, "on_stored": lambda ids: None, "stop": stop})
    thread.start()
    time.sleep(0.5)
    stop.set()
    thread.join(timeout=10)
    assert _stored(engine) == 0 and not box.processed


# --- against a real IMAP server -------------------------------------------------------------------

def _imap(server: Any, **kw: Any) -> IMAPMailbox:
    return IMAPMailbox(IMAPConfig(host="127.0.0.1", port=server.port, username=server.user,
                                  password=server.password, security="none", timeout=10, **kw))


def _append(server: Any, raw: bytes) -> None:
    with MailBoxUnencrypted("127.0.0.1", server.port).login(server.user, server.password) as mb:
        mb.append(raw, "INBOX")


@pytest.mark.imap
def test_mail_appended_while_watching_is_stored_promptly(sqlite_engine: Engine, dovecot: Any) -> None:
    """With IDLE, a mail appended during the watch is stored and moved to the processed folder."""
    box = _imap(dovecot, processed_folder="Processed")
    stop = threading.Event()
    got: list[int] = []

    def on_stored(ids: list[int]) -> None:
        got.extend(ids)
        stop.set()

    thread = threading.Thread(target=watch, args=(sqlite_engine, box), kwargs={
        "options": WatchOptions(holder="t", wait_seconds=30), "on_stored": on_stored, "stop": stop})
    thread.start()
    time.sleep(1.0)  # the watcher is now in IDLE
    _append(dovecot, _mail(42))
    thread.join(timeout=20)
    stop.set()
    assert got and _stored(sqlite_engine) == 1
    with MailBoxUnencrypted("127.0.0.1", dovecot.port).login(dovecot.user, dovecot.password) as mb:
        assert mb.folder.status("INBOX")["MESSAGES"] == 0
        assert mb.folder.status("Processed")["MESSAGES"] == 1


@pytest.mark.imap
def test_restart_does_not_reprocess_and_kick_loses_nothing(sqlite_engine: Engine, dovecot: Any) -> None:
    """A second watcher process after a restart stores only new mail; a kicked connection reconnects."""
    for n in range(3):
        _append(dovecot, _mail(n))
    first = _imap(dovecot)
    first.connect()
    assert len(sync_once(sqlite_engine, first).stored) == 3
    first.close()
    # "restart": a brand-new mailbox object; mail left in INBOX (flagged \Seen only) is not stored again
    second = _imap(dovecot)
    second.connect()
    assert sync_once(sqlite_engine, second).stored == []
    dovecot.kick()
    _append(dovecot, _mail(9))
    with pytest.raises(MailboxTransientError):  # the dead link must raise, not look like an empty inbox
        for _ in range(50):  # the kick lands asynchronously
            sync_once(sqlite_engine, second)
            time.sleep(0.1)
    second.connect()
    assert len(sync_once(sqlite_engine, second).stored) == 1
    second.close()
    assert _stored(sqlite_engine) == 4
