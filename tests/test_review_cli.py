"""`dunmail user add` and `dunmail review list|show|decide|feedback`: the same decisions from a script."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.e2e.seed import Seeded, seed
from worker.cli import _register, app
from worker.db.migrate import alembic_config
from worker.db.models import Case, User
from worker.domain import ReviewKind
from worker.review import auth


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, engine: Engine) -> Iterator[None]:
    """The CLI reads the same DUNMAIL_* settings as the server; its logging set-up is undone after."""
    if engine.dialect.name == "sqlite":  # built by create_all: tell Alembic it is current, as `db upgrade` would
        from alembic import command

        command.stamp(alembic_config(engine.url.render_as_string(hide_password=False)), "head")
    monkeypatch.setenv("DUNMAIL_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("DUNMAIL_SECRET_KEY", "cli-test-secret")
    _register()
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


@pytest.fixture
def seeded(session: Session) -> Seeded:
    data = seed(session)
    session.commit()
    return data


def test_user_add_reads_password_from_stdin(session: Session) -> None:
    """`user add` hashes the password read from stdin (argon2) with the role given; it can then log in."""
    result = CliRunner().invoke(app, ["user", "add", "Boss@Example.com", "--role", "admin"],
                                input="a long enough secret\n")
    assert result.exit_code == 0, result.output
    user = session.scalars(select(User).where(User.email == "boss@example.com")).one()
    assert user.role == "admin" and user.password_hash.startswith("$argon2")
    assert "a long enough secret" not in user.password_hash
    assert auth.authenticate(session, "boss@example.com", "a long enough secret") is not None
    assert auth.authenticate(session, "boss@example.com", "wrong") is None


def test_user_add_refuses_short_password() -> None:
    """A short password is refused with a clear message and exit code 2."""
    result = CliRunner().invoke(app, ["user", "add", "x@example.com", "--role", "viewer"], input="short\n")
    assert result.exit_code == 2 and "10 characters" in result.output


def test_list_json_and_decide(session: Session, seeded: Seeded) -> None:
    """`review list --json` gives one item per line; `review decide` confirms a payment as the web does."""
    result = CliRunner().invoke(app, ["review", "list", "--json", "--kind", "payment_claim"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert [r["item"] for r in rows] == [seeded.items[ReviewKind.PAYMENT_CLAIM]]
    result = CliRunner().invoke(app, ["review", "decide", "confirm_paid", "--item", str(rows[0]["item"]),
                                      "--reason", "on statement", "--by", "ana@example.com"])
    assert result.exit_code == 0, result.output
    session.expire_all()
    assert session.get(Case, seeded.claim.id).state == "paid"  # type: ignore[union-attr]


def test_decide_error_is_reported(seeded: Seeded) -> None:
    """A decision that does not fit exits 2 with the reason, not a traceback."""
    result = CliRunner().invoke(app, ["review", "decide", "approve_plan", "--case", str(seeded.plan.id),
                                      "--set", "instalments=2026-12-01 5", "--reason", "x", "--by", "a@b.example"])
    assert result.exit_code == 2 and "add up" in result.output


def test_show_and_feedback(seeded: Seeded, tmp_path: Path) -> None:
    """`review show` prints the timeline; `review feedback` writes corrected labels as JSONL."""
    result = CliRunner().invoke(app, ["review", "show", str(seeded.dispute.id)])
    assert result.exit_code == 0 and "state_changed" in result.output and "dispute" in result.output
    CliRunner().invoke(app, ["review", "decide", "reclassify", "--item", str(seeded.items[ReviewKind.UNPLACED]),
                             "--set", "intent=promise_to_pay", "--reason", "misread", "--by", "a@b.example"])
    out = tmp_path / "feedback.jsonl"
    result = CliRunner().invoke(app, ["review", "feedback", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["machine_intent"], r["intent"]) for r in rows] == [("other", "promise_to_pay")]
