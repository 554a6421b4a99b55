"""The watched mailbox behind a small interface: the real IMAP one, and a fake beside it.

imap-tools carries the connection, login (password or XOAUTH2) and IDLE. Raw bytes, flags and
moves go through plain UID commands because of pitfalls measured with imap-tools 1.16:
  * MailMessage keeps no raw bytes and `.text` drops characters it cannot decode;
  * `flag()` always EXPUNGEs, deleting anything anyone marked \\Deleted in the folder;
  * `move()` reads MOVE support from the capabilities seen before login (Dovecot adds MOVE after
    login), falling back to COPY + \\Deleted + a folder-wide EXPUNGE;
  * `idle.poll()` returns [] on a dead connection — so after every wait we talk to the server
    (NOOP/SEARCH), which raises on a dead socket and lets the watcher reconnect.
"""

from __future__ import annotations

import contextlib
import imaplib
import re
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from imap_tools import BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted

from worker.errors import ConfigError, MailboxTransientError
from worker.inbound.oauth import TokenSource

_UID = re.compile(rb"UID (\d+)")


class Mailbox(Protocol):
    name: str

    def connect(self) -> None: ...

    def uidvalidity(self) -> int: ...

    def uids_after(self, last_uid: int) -> list[int]: ...

    def fetch_raw(self, uids: list[int]) -> Iterator[tuple[int, bytes]]: ...

    def mark_processed(self, uids: list[int]) -> None: ...

    def wait_for_change(self, timeout: float, stop: threading.Event | None = None) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class IMAPConfig:
    host: str
    port: int
    username: str
    password: str | None = None
    oauth_token: str | None = None  # a fixed XOAUTH2 access token
    tokens: TokenSource | None = None  # or XOAUTH2 tokens renewed before they expire
    security: str = "ssl"  # ssl | starttls | none
    folder: str = "INBOX"
    processed_folder: str | None = None
    timeout: float = 60.0
    poll_seconds: float = 60.0  # between checks when the server has no IDLE


class IMAPMailbox:
    def __init__(self, config: IMAPConfig) -> None:
        self.config = config
        self.name = f"{config.username}@{config.host}/{config.folder}"
        self._box: BaseMailBox | None = None
        self._can_idle = False
        self._can_move = False

    # --- connection -------------------------------------------------------------------------
    def connect(self) -> None:
        c = self.config
        try:
            box: BaseMailBox
            if c.security == "ssl":
                box = MailBox(c.host, c.port, timeout=c.timeout, ssl_context=ssl.create_default_context())
            elif c.security == "starttls":
                box = MailBoxStartTls(c.host, c.port, timeout=c.timeout, ssl_context=ssl.create_default_context())
            else:
                box = MailBoxUnencrypted(c.host, c.port, timeout=c.timeout)
            try:
                self._login(box)
            except BaseException:
                with contextlib.suppress(OSError):
                    box.client.shutdown()  # a refused login must not leave the connection open
                raise
        except imaplib.IMAP4.error as exc:
            if b"AUTHENTICATIONFAILED" in str(exc).encode() or "authentication" in str(exc).lower():
                raise ConfigError(f"IMAP login to {c.host} as {c.username} was refused: check DUNMAIL_IMAP_PASSWORD "
                                  "or the XOAUTH2 settings (DUNMAIL_IMAP_OAUTH_TOKEN, or imap_oauth_token_url "
                                  "with its client)") from exc
            raise MailboxTransientError(f"IMAP error from {c.host}: {exc}") from exc
        except (TimeoutError, OSError) as exc:
            raise MailboxTransientError(f"cannot reach IMAP server {c.host}:{c.port}: {exc}") from exc
        self._box = box
        caps = self._capabilities()
        self._can_idle, self._can_move = "IDLE" in caps, "MOVE" in caps

    def _login(self, box: BaseMailBox) -> None:
        c = self.config
        if c.tokens is not None:
            try:
                box.xoauth2(c.username, c.tokens.token(), initial_folder=c.folder)
            except imaplib.IMAP4.error:
                c.tokens.invalidate()  # revoked or expired early: one fresh token, on the same connection
                box.xoauth2(c.username, c.tokens.token(), initial_folder=c.folder)
        elif c.oauth_token:
            box.xoauth2(c.username, c.oauth_token, initial_folder=c.folder)
        else:
            box.login(c.username, c.password or "", initial_folder=c.folder)

    def close(self) -> None:
        if self._box is not None:
            with contextlib.suppress(imaplib.IMAP4.error, OSError):
                self._box.logout()
            self._box = None

    @property
    def can_idle(self) -> bool:
        return self._can_idle

    # --- reading ----------------------------------------------------------------------------
    def uidvalidity(self) -> int:
        status = self._call(lambda b: b.folder.status(self.config.folder, ["UIDVALIDITY"]))
        return int(status["UIDVALIDITY"])

    def uids_after(self, last_uid: int) -> list[int]:
        typ, data = self._call(lambda b: b.client.uid("SEARCH", f"UID {last_uid + 1}:*"))
        if typ != "OK":
            raise MailboxTransientError(f"UID SEARCH failed: {data!r}")
        # "n:*" always matches the highest UID even when it is below n: filter it out.
        return sorted(u for u in (int(x) for x in (data[0] or b"").split()) if u > last_uid)

    def fetch_raw(self, uids: list[int], batch: int = 200) -> Iterator[tuple[int, bytes]]:
        for start in range(0, len(uids), batch):
            chunk = ",".join(str(u) for u in uids[start:start + batch])
            typ, data = self._call(lambda b, chunk=chunk: b.client.uid("FETCH", chunk, "(UID BODY.PEEK[])"))
            if typ != "OK":
                raise MailboxTransientError(f"UID FETCH failed: {data!r}")
            for item in data:
                if isinstance(item, tuple) and len(item) == 2:
                    match = _UID.search(item[0])
                    if match:
                        yield int(match.group(1)), bytes(item[1])

    # --- after processing -------------------------------------------------------------------
    def mark_processed(self, uids: list[int]) -> None:
        if not uids:
            return
        uid_set = ",".join(str(u) for u in uids)
        target = self.config.processed_folder
        if target and self._can_move:
            self._call(lambda b: b.client.uid("MOVE", uid_set, _quote(target)))
        elif target:
            # No MOVE: copy, then mark \Deleted and expunge only these UIDs (UIDPLUS), never the folder.
            self._call(lambda b: b.client.uid("COPY", uid_set, _quote(target)))
            self._call(lambda b: b.client.uid("STORE", uid_set, "+FLAGS.SILENT", r"(\Seen \Deleted)"))
            if "UIDPLUS" in self._capabilities():
                self._call(lambda b: b.client.uid("EXPUNGE", uid_set))
        else:
            self._call(lambda b: b.client.uid("STORE", uid_set, "+FLAGS.SILENT", r"(\Seen)"))

    def wait_for_change(self, timeout: float, stop: threading.Event | None = None) -> None:
        """IDLE up to `timeout` seconds (plain waiting without IDLE); returns early on news or `stop`.

        Raises MailboxTransientError on a dead link: the NOOP afterwards talks to the server.
        """
        box = self._require()
        stop = stop or threading.Event()
        deadline = time.monotonic() + timeout
        if self._can_idle:
            try:
                box.idle.start()
                try:
                    while not stop.is_set() and time.monotonic() < deadline:
                        if box.idle.poll(timeout=min(1.0, max(0.0, deadline - time.monotonic()))):
                            break
                finally:
                    box.idle.stop()
            except (imaplib.IMAP4.abort, OSError) as exc:
                self._box = None
                raise MailboxTransientError(f"IMAP connection lost during IDLE: {exc}") from exc
        else:
            stop.wait(min(timeout, self.config.poll_seconds))
        self._call(lambda b: b.client.noop())

    # --- helpers ----------------------------------------------------------------------------
    def _capabilities(self) -> set[str]:
        typ, data = self._call(lambda b: b.client.capability())
        return {c.upper() for c in b" ".join(d for d in data if d).decode().split()} if typ == "OK" else set()

    def _require(self) -> BaseMailBox:
        if self._box is None:
            raise MailboxTransientError("not connected")
        return self._box

    def _call(self, fn):  # type: ignore[no-untyped-def]
        box = self._require()
        try:
            return fn(box)
        except (imaplib.IMAP4.abort, OSError, EOFError) as exc:
            with contextlib.suppress(OSError):
                box.client.shutdown()  # the link is dead: free the socket now, not at garbage collection
            self._box = None
            raise MailboxTransientError(f"IMAP connection lost: {exc}") from exc
        except imaplib.IMAP4.error as exc:
            raise MailboxTransientError(f"IMAP command failed: {exc}") from exc


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass
class FakeMailbox:
    """An in-memory mailbox for unit tests: append raw mails, change UIDVALIDITY, drop the link."""

    name: str = "fake@test/INBOX"
    validity: int = 1
    messages: dict[int, bytes] = field(default_factory=dict)
    processed: set[int] = field(default_factory=set)
    fail_next: int = 0  # how many following calls raise MailboxTransientError
    connected: bool = False
    _next_uid: int = 1

    def append(self, raw: bytes) -> int:
        uid = self._next_uid
        self._next_uid += 1
        self.messages[uid] = raw
        return uid

    def renumber(self) -> None:
        """What a server does when it rebuilds a folder: new UIDVALIDITY, UIDs from 1 again."""
        self.validity += 1
        self.messages = {i + 1: raw for i, raw in enumerate(self.messages.values())}
        self._next_uid = len(self.messages) + 1
        self.processed = set()

    def _check(self) -> None:
        if self.fail_next > 0:
            self.fail_next -= 1
            self.connected = False
            raise MailboxTransientError("fake connection dropped")
        if not self.connected:
            raise MailboxTransientError("not connected")

    def connect(self) -> None:
        self.connected = True

    def uidvalidity(self) -> int:
        self._check()
        return self.validity

    def uids_after(self, last_uid: int) -> list[int]:
        self._check()
        return sorted(u for u in self.messages if u > last_uid)

    def fetch_raw(self, uids: list[int]) -> Iterator[tuple[int, bytes]]:
        self._check()
        for uid in uids:
            yield uid, self.messages[uid]

    def mark_processed(self, uids: list[int]) -> None:
        self._check()
        self.processed.update(uids)

    def wait_for_change(self, timeout: float, stop: threading.Event | None = None) -> None:
        self._check()

    def close(self) -> None:
        self.connected = False
