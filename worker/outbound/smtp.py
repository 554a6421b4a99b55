"""Sending mail: a small interface, the real SMTP sender, and a fake for tests.

The real sender keeps one connection open across mails (reconnecting when the server drops it),
honours a rate limit, and tells three outcomes apart — the difference matters for never
double-sending:
  * refused before the message data went out (4xx, drop)  -> SendTransientError: safe to retry
  * refused for good (5xx)                                   -> SendPermanentError: a person looks
  * the connection died while the data was going out        -> SendOutcomeUnknown: never resend blindly
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import ssl
import threading
import time
from dataclasses import dataclass, field
from email.generator import BytesGenerator
from email.message import Message
from email.policy import Compat32, compat32
from io import BytesIO
from typing import Any, Protocol

import structlog

from worker.errors import SendOutcomeUnknown, SendPermanentError, SendTransientError

log = structlog.get_logger(__name__)


class Sender(Protocol):
    def send(self, message: Message, *, sender: str, recipients: list[str], data: bytes | None = None) -> None:
        """Send `message`; `data` is its wire form when the caller already made it (wire_bytes)."""

    def close(self) -> None: ...


@dataclass(frozen=True)
class SMTPConfig:
    host: str
    port: int
    security: str = "none"  # none | starttls | ssl
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0
    rate_per_second: float = 0.0  # 0 = unlimited


class SMTPSender:
    """One reused SMTP connection per sender object (use one per thread)."""

    def __init__(self, config: SMTPConfig, *, reuse: bool = True) -> None:
        self._config = config
        self._reuse = reuse
        self._conn: smtplib.SMTP | None = None
        self._next_slot = 0.0

    def send(self, message: Message, *, sender: str, recipients: list[str], data: bytes | None = None) -> None:
        self._throttle()
        data = wire_bytes(message) if data is None else data
        try:
            conn = self._envelope(sender, recipients)
        except smtplib.SMTPServerDisconnected:
            # The kept-open connection was closed by the server while idle: reconnect once, nothing was sent.
            self._drop()
            conn = self._envelope(sender, recipients)
        try:
            code, resp = conn.data(data)
        except smtplib.SMTPDataError as exc:
            raise _refused(exc.smtp_code, exc.smtp_error, "message") from exc
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self._drop()
            raise SendOutcomeUnknown(f"SMTP connection lost while the message was sent: {exc}") from exc
        if code != 250:  # smtplib.data() returns the reply to the message itself; only sendmail() checks it
            raise _refused(code, resp, "message")
        if not self._reuse:
            self.close()

    def _envelope(self, sender: str, recipients: list[str]) -> smtplib.SMTP:
        """MAIL FROM and RCPT TO on the kept-open connection (opened on first use)."""
        conn = self._conn or self._connect()
        self._conn = conn
        try:
            code, resp = conn.mail(sender, ["SMTPUTF8"] if _needs_smtputf8(sender, recipients) else [])
            if code >= 400:
                conn.rset()
                raise _refused(code, resp, "sender")
            for rcpt in recipients:
                code, resp = conn.rcpt(rcpt)
                if code >= 400:
                    conn.rset()
                    raise _refused(code, resp, f"recipient {rcpt}")
        except smtplib.SMTPServerDisconnected:
            raise
        except OSError as exc:
            self._drop()
            raise SendTransientError(f"SMTP connection lost before sending: {exc}") from exc
        return conn

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._conn.quit()
            self._conn = None

    def _connect(self) -> smtplib.SMTP:
        c = self._config
        try:
            conn: smtplib.SMTP
            if c.security == "ssl":
                conn = smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout, context=ssl.create_default_context())
            else:
                conn = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
                if c.security == "starttls":
                    conn.starttls(context=ssl.create_default_context())
            conn.ehlo_or_helo_if_needed()
            if c.username:
                conn.login(c.username, c.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise SendPermanentError(
                f"SMTP login to {c.host}:{c.port} as {c.username} was refused: check DUNMAIL_SMTP_USERNAME and "
                "DUNMAIL_SMTP_PASSWORD"
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise SendTransientError(f"cannot reach SMTP server {c.host}:{c.port}: {exc}") from exc
        log.debug("smtp_connected", host=c.host, port=c.port)
        return conn

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.close()
        self._conn = None

    def _throttle(self) -> None:
        rate = self._config.rate_per_second
        if rate <= 0:
            return
        now = time.monotonic()
        wait = self._next_slot - now
        if wait > 0:
            time.sleep(wait)
        self._next_slot = max(now, self._next_slot) + 1.0 / rate


class _WirePolicy(Compat32):
    """compat32 with CRLF line ends, and a shortcut for the usual header: a short printable-ASCII value
    needs no encoding or folding, and building a Header object for each one was most of the cost of
    writing a reminder out. Anything else goes through compat32 unchanged."""

    def fold_binary(self, name: str, value: Any) -> bytes:
        if isinstance(value, str) and len(name) + len(value) + 2 <= 78 and _PRINTABLE_ASCII.fullmatch(value):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return bytes(super().fold_binary(name, value))


class _WireGenerator(BytesGenerator):
    """BytesGenerator writing each body in one piece: the stock one writes every line and every line end
    separately (hundreds of calls for a base64 HTML part). Same bytes either way; a test pins it."""

    def _write_lines(self, lines: str) -> None:
        if lines:  # the stdlib's line ends (\r\n, \r, \n) become the policy's; str.replace beats a regex here
            newline = self._NL  # type: ignore[attr-defined]  # the policy's line end, set by Generator.flatten
            self.write(lines.replace("\r\n", "\n").replace("\r", "\n").replace("\n", newline))


_PRINTABLE_ASCII = re.compile(r"[ -~]*")
_WIRE = _WirePolicy(linesep="\r\n")


def wire_bytes(message: Message) -> bytes:
    """The message as it goes over SMTP: CRLF line ends (smtplib sends bytes as they are)."""
    policy = _WIRE if message.policy is compat32 else message.policy.clone(linesep="\r\n")
    out = BytesIO()
    _WireGenerator(out, mangle_from_=False, policy=policy).flatten(message, unixfrom=False)
    return out.getvalue()


def _needs_smtputf8(sender: str, recipients: list[str]) -> bool:
    return not all(a.isascii() for a in [sender, *recipients])


def _refused(code: int, resp: bytes | str, what: str) -> SendTransientError | SendPermanentError:
    text = resp.decode("utf-8", "replace") if isinstance(resp, bytes) else str(resp)
    if 400 <= code < 500:
        return SendTransientError(f"SMTP deferred the {what}: {code} {text}")
    return SendPermanentError(f"SMTP refused the {what}: {code} {text}")


@dataclass
class FakeSender:
    """Records what would have been sent; can be told to fail the next sends."""

    sent: list[tuple[str, list[str], Message]] = field(default_factory=list)
    fail_with: list[Exception] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def send(self, message: Message, *, sender: str, recipients: list[str], data: bytes | None = None) -> None:
        with self._lock:
            if self.fail_with:
                raise self.fail_with.pop(0)
            self.sent.append((sender, list(recipients), message))

    def close(self) -> None:
        pass
