"""`dunmail doctor` against the real services: healthy, and each one stopped or misconfigured."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from worker.db.engine import make_engine
from worker.db.migrate import upgrade
from worker.doctor import _broker, _database, _imap, _secret, _smtp, run_checks
from worker.outbound.localsmtp import LocalSMTPServer
from worker.settings import load_settings

CLOSED_PORT = 9  # discard: nothing listens there on this machine


def _settings(**kw: Any) -> Any:
    return load_settings(secret_key="x" * 32, **kw)


def test_database_ok_then_pending_migrations_then_unreachable(tmp_path: Path) -> None:
    """A migrated database is ok; a fresh one says to run db upgrade; a dead server says it is unreachable."""
    url = f"sqlite:///{tmp_path / 'd.db'}"
    assert _database(_settings(database_url=url), 2).fix == "run `dunmail db upgrade`"
    upgrade(make_engine(url))
    assert _database(_settings(database_url=url), 2).status == "ok"
    dead = _database(_settings(database_url=f"postgresql://postgres@127.0.0.1:{CLOSED_PORT}/x"), 2)
    assert dead.status == "fail" and "DUNMAIL_DATABASE_URL" in dead.fix


@pytest.mark.postgres
def test_database_on_real_postgresql(pg_url: str) -> None:
    """The migrated PostgreSQL test database passes."""
    assert _database(_settings(database_url=pg_url), 2).status == "ok"


@pytest.mark.redis
def test_broker_redis_and_rabbitmq_up_and_down() -> None:
    """Redis and RabbitMQ on this machine answer; a wrong port fails with a fix; memory:// only warns."""
    assert _broker(_settings(broker_url="redis://127.0.0.1:6379/0"), 2).status == "ok"
    assert _broker(_settings(broker_url=f"redis://127.0.0.1:{CLOSED_PORT}/0"), 2).status == "fail"
    assert _broker(_settings(broker_url="amqp://guest:guest@127.0.0.1:5672/"), 5).status == "ok"
    assert _broker(_settings(broker_url="amqp://guest:wrong@127.0.0.1:5672/"), 5).status == "fail"
    assert _broker(_settings(broker_url="memory://"), 2).status == "warn"


def test_smtp_up_and_down() -> None:
    """A listening SMTP server passes; a closed port fails naming what to check."""
    with LocalSMTPServer() as smtp:
        assert _smtp(_settings(smtp_port=smtp.port), 2).status == "ok"
    down = _smtp(_settings(smtp_port=CLOSED_PORT), 2)
    assert down.status == "fail" and "smtp_host" in down.fix


@pytest.mark.imap
def test_imap_login_ok_wrong_password_and_unset(dovecot: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Dovecot with the right password passes; a wrong password fails; no imap_host only warns."""
    base = {"imap_host": "127.0.0.1", "imap_port": dovecot.port, "imap_security": "none",
            "imap_username": dovecot.user}
    monkeypatch.setenv("DUNMAIL_IMAP_PASSWORD", dovecot.password)
    assert _imap(_settings(**base), 5).status == "ok"
    monkeypatch.setenv("DUNMAIL_IMAP_PASSWORD", "wrong")
    wrong = _imap(_settings(**base), 5)
    assert wrong.status == "fail" and "DUNMAIL_IMAP_PASSWORD" in wrong.fix
    assert _imap(_settings(), 2).status == "warn"


def test_missing_secret_and_bad_settings_are_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    """No signing key fails with the command to make one; a bad setting stops the doctor at 'settings'."""
    assert _secret(load_settings(), 1).status == "fail"
    monkeypatch.setenv("DUNMAIL_SMTP_PORT", "nope")
    (only,) = run_checks()
    assert only.name == "settings" and only.status == "fail" and "smtp_port" in only.detail
