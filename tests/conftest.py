"""Shared fixtures: databases (SQLite and the real PostgreSQL), settings, the shared corpora path.

`engine` runs a test on both SQLite and PostgreSQL. PostgreSQL gets a private database per pytest
process (so parallel runs never see each other's rows), migrated once, emptied after each test.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from worker.db.engine import make_engine, session_factory
from worker.db.migrate import upgrade
from worker.db.models import Base
from worker.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
SHARED_CORPORA = ROOT.parent / "shared" / "corpora"
PG_ADMIN_URL = os.environ.get("DUNMAIL_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
TEST_SECRET = "test-secret-key-not-for-production"


@pytest.fixture(autouse=True)
def _no_ambient_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read the developer's own config file or DUNMAIL_* variables."""
    for key in list(os.environ):
        if key.startswith("DUNMAIL_") and key != "DUNMAIL_TEST_PG_URL":
            monkeypatch.delenv(key)
    monkeypatch.setenv("DUNMAIL_CONFIG", str(ROOT / "config" / "dunmail.example.toml"))


@pytest.fixture
def shared_corpora() -> Path:
    if not SHARED_CORPORA.is_dir():
        pytest.skip(f"the shared mail corpora are not at {SHARED_CORPORA} (they sit beside the project)")
    return SHARED_CORPORA


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this pytest process; dropped at the end."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"dunmail_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # the server is not there: say so plainly
        pytest.skip(f"PostgreSQL at {PG_ADMIN_URL} is not reachable ({exc.__class__.__name__}); start it")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty_tables(engine: Engine) -> None:
    with engine.begin() as conn:
        names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'dunmail.db'}")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    url = request.getfixturevalue("pg_url")
    engine = make_engine(url)
    yield engine
    _empty_tables(engine)
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Engine:
    """The same test on SQLite and on the real PostgreSQL server."""
    return request.getfixturevalue("sqlite_engine" if request.param == "sqlite" else "pg_engine")  # type: ignore[no-any-return]


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with session_factory(engine)() as s:
        yield s


@pytest.fixture
def settings(engine: Engine, tmp_path: Path) -> Settings:
    return load_settings(
        database_url=engine.url.render_as_string(hide_password=False),
        secret_key=TEST_SECRET,
    )


@pytest.fixture
def dovecot() -> Iterator[object]:
    """A real Dovecot IMAP server on a loopback port with one user and an empty INBOX."""
    import shutil
    import tempfile

    from tests.support.dovecot import Dovecot, available, free_port

    reason = available()
    if reason:
        pytest.skip(reason)
    # Dovecot's mail user (nobody, when running as root) must be able to walk to the maildir.
    root = Path(tempfile.mkdtemp(prefix="dunmail-dovecot-"))
    root.chmod(0o755)
    server = Dovecot(root, free_port()).start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(autouse=True)
def _fresh_structlog() -> Iterator[None]:
    """A CLI test configures logging onto its runner's stream, which closes after it: start each test clean."""
    import structlog

    yield
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()
