"""`dunmail doctor`: check every part dunmail needs and say, for each, what is wrong and how to fix it."""

from __future__ import annotations

import contextlib
import imaplib
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from worker.db.engine import make_engine
from worker.db.migrate import pending_migrations
from worker.errors import DunmailError
from worker.inbound.oauth import token_source
from worker.settings import Settings, load_settings


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # ok, warn, fail
    detail: str
    fix: str = ""


def run_checks(config: Path | None = None, *, timeout: float = 5.0) -> list[Check]:
    try:
        settings = load_settings(config)
    except DunmailError as exc:
        return [Check("settings", "fail", str(exc), "fix the named key in the settings file or environment")]
    checks = [Check("settings", "ok", f"loaded ({config or 'DUNMAIL_CONFIG / defaults'})")]
    for probe in PROBES:
        try:
            checks.append(probe(settings, timeout))
        except Exception as exc:  # a probe must report, never crash the doctor
            checks.append(Check(probe.__name__.strip("_"), "fail", f"{type(exc).__name__}: {exc}"))
    return checks


def _secret(s: Settings, timeout: float) -> Check:
    if s.secret_key is None or len(s.secret_key.get_secret_value()) < 16:
        return Check("secret key", "fail", "DUNMAIL_SECRET_KEY is unset or shorter than 16 characters",
                     "export DUNMAIL_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')")
    return Check("secret key", "ok", "set")


def _database(s: Settings, timeout: float) -> Check:
    safe_url = s.database_url.split("@")[-1]
    try:
        engine = make_engine(s.database_url)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        missing = pending_migrations(engine)
        engine.dispose()
    except Exception as exc:
        return Check("database", "fail", f"cannot use {safe_url}: {type(exc).__name__}: {str(exc)[:200]}",
                     "check DUNMAIL_DATABASE_URL and that the server is running and reachable")
    if missing:
        return Check("database", "fail", f"{len(missing)} migration(s) not applied", "run `dunmail db upgrade`")
    return Check("database", "ok", f"{safe_url}, schema current")


def _broker(s: Settings, timeout: float) -> Check:
    url = s.broker_url
    if url.startswith("memory://"):
        return Check("broker", "warn", "in-process broker: fine on one machine, not shared between hosts",
                     "set DUNMAIL_BROKER_URL=redis://host:6379/0 to run workers on several hosts")
    if url.startswith(("redis://", "rediss://", "unix://")):
        import redis

        try:
            redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout).ping()
        except redis.RedisError as exc:
            return Check("broker", "fail", f"Redis does not answer: {exc}", "start Redis or fix DUNMAIL_BROKER_URL")
        return Check("broker", "ok", f"Redis at {url.split('@')[-1]}")
    if url.startswith(("amqp://", "amqps://")):
        import pika

        try:
            params = pika.URLParameters(url)
            params.socket_timeout = timeout
            params.blocked_connection_timeout = timeout
            pika.BlockingConnection(params).close()
        except Exception as exc:
            return Check("broker", "fail", f"RabbitMQ does not answer: {exc}",
                         "start RabbitMQ or fix DUNMAIL_BROKER_URL (user, password, vhost)")
        return Check("broker", "ok", f"RabbitMQ at {url.split('@')[-1]}")
    return Check("broker", "fail", f"unknown broker URL scheme in {url!r}", "use memory://, redis:// or amqp://")


def _smtp(s: Settings, timeout: float) -> Check:
    where = f"{s.smtp_host}:{s.smtp_port}"
    conn: smtplib.SMTP | None = None
    try:
        conn = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=timeout) if s.smtp_security == "ssl" else \
            smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=timeout)
        if s.smtp_security == "starttls":
            conn.starttls()
        conn.ehlo()
        if s.smtp_username:
            conn.login(s.smtp_username, s.smtp_password.get_secret_value() if s.smtp_password else "")
        conn.quit()
        conn = None
    except smtplib.SMTPAuthenticationError:
        return Check("smtp", "fail", f"{where} refused the login of {s.smtp_username}",
                     "check DUNMAIL_SMTP_USERNAME and DUNMAIL_SMTP_PASSWORD")
    except (OSError, smtplib.SMTPException) as exc:
        return Check("smtp", "fail", f"cannot talk to {where}: {exc}",
                     "check smtp_host/smtp_port/smtp_security and that the server is reachable")
    finally:
        if conn is not None:
            conn.close()
    return Check("smtp", "ok", f"{where} ({s.smtp_security}{', login ok' if s.smtp_username else ''})")


def _imap(s: Settings, timeout: float) -> Check:
    if not s.imap_host:
        return Check("imap", "warn", "no inbox configured: replies will not be read",
                     "set imap_host, imap_username and DUNMAIL_IMAP_PASSWORD (or XOAUTH2)")
    where = f"{s.imap_host}:{s.imap_port}"
    conn: imaplib.IMAP4 | None = None
    try:
        conn = imaplib.IMAP4_SSL(s.imap_host, s.imap_port, timeout=timeout) if s.imap_security == "ssl" else \
            imaplib.IMAP4(s.imap_host, s.imap_port, timeout=timeout)
        if s.imap_security == "starttls":
            conn.starttls()
        if s.imap_auth == "xoauth2":
            tokens = token_source(s)
            token = tokens.token() if tokens else s.imap_oauth_token.get_secret_value() if s.imap_oauth_token else ""
            auth = f"user={s.imap_username}\x01auth=Bearer {token}\x01\x01".encode()
            conn.authenticate("XOAUTH2", lambda _: auth)
        else:
            conn.login(s.imap_username or "", s.imap_password.get_secret_value() if s.imap_password else "")
        typ, _ = conn.select(s.imap_folder, readonly=True)
    except imaplib.IMAP4.error as exc:
        return Check("imap", "fail", f"{where} refused: {exc}",
                     "check imap_username and DUNMAIL_IMAP_PASSWORD / DUNMAIL_IMAP_OAUTH_TOKEN")
    except OSError as exc:
        return Check("imap", "fail", f"cannot reach {where}: {exc}", "check imap_host/imap_port/imap_security")
    except DunmailError as exc:  # the OAuth token endpoint refused or could not be reached
        return Check("imap", "fail", str(exc), "check imap_oauth_token_url, imap_oauth_client_id and the secrets")
    finally:
        if conn is not None:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                conn.logout()
    if typ != "OK":
        return Check("imap", "fail", f"folder {s.imap_folder!r} does not exist", "fix imap_folder")
    return Check("imap", "ok", f"{where}, folder {s.imap_folder} readable")


def _templates(s: Settings, timeout: float) -> Check:
    from worker.outbound.compose import Composer

    Composer(s.templates_dir)  # compiles every template of every language; raises naming the broken one
    return Check("templates", "ok", f"all templates in {s.templates_dir} compile")


def _policies(s: Settings, timeout: float) -> Check:
    from worker.ladder.policy import load_policies

    policies = load_policies(s.policies_dir)
    if s.default_policy not in policies:
        return Check("policies", "fail", f"default_policy {s.default_policy!r} is not in {s.policies_dir}",
                     f"use one of: {', '.join(sorted(policies))}")
    return Check("policies", "ok", f"{len(policies)} ladder polic{'y' if len(policies) == 1 else 'ies'}: "
                                   + ", ".join(sorted(policies)))


PROBES: tuple[Callable[[Settings, float], Check], ...] = (_secret, _database, _broker, _smtp, _imap, _templates,
                                                          _policies)
