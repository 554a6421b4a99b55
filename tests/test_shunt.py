"""A mail never stops the inbox (issue 12, finding 3): Mailman's shunt rule on the real inbound path.

Whatever a mail does to a step, it stays stored raw, is marked failed with the reason, gets a review
item, and the next mail goes through; review pages show it raw instead of failing; a duplicate is a
duplicate only when its bytes match too.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from starlette.exceptions import StarletteDeprecationWarning
from typer.testing import CliRunner

from tests.conftest import TEST_SECRET
from tests.support.crashers import CRASHERS
from worker import ledger
from worker.classify.classifier import classify
from worker.db.engine import transaction
from worker.db.models import Case, Customer, Mail, ReviewItem
from worker.domain import CaseState
from worker.inbound import process as process_module
from worker.inbound.mime import parse_mail
from worker.inbound.process import Pipeline, process_inbound
from worker.inbound.store import store_batch, store_inbound
from worker.outbound.tokens import make_reply_token, verify_reply_token
from worker.review.app import create_app
from worker.review.auth import Role, add_user
from worker.settings import Settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

SECRET = TEST_SECRET.encode()


def real_pipeline() -> Pipeline:
    """The production parser and classifier, with the test secret for reply tokens."""
    return Pipeline(parse=parse_mail, classify=classify, verify_token=lambda t: verify_reply_token(t, SECRET),
                    reply_localpart="ar", min_confidence=0.55, promise_grace_days=lambda policy: 2)


def open_case(engine: Engine, number: str = "INV-77", email: str = "ap@acme.example") -> int:
    with transaction(engine) as s:
        customer = Customer(name="Acme", language="en", timezone="UTC", country="US")
        s.add(customer)
        ledger.ensure_contact(s, customer, email)
        s.flush()
        invoice, _ = ledger.upsert_invoice(s, customer=customer, number=number, amount=Decimal(100), currency="USD",
                                           issue_date=None, due_date=date(2026, 3, 31))
        return ledger.open_case(s, invoice, policy="default", first_action_at=datetime(2026, 4, 1, tzinfo=UTC)).id


def store(engine: Engine, raw: bytes) -> int:
    with transaction(engine) as s:
        return store_inbound(s, raw, mailbox="test")[0].id


def good_reply(case_id: int, n: int = 1) -> bytes:
    token = make_reply_token(case_id, SECRET)
    return (f"From: ap@acme.example\r\nTo: ar+{token}@dunmail.example\r\nSubject: Re: INV-77\r\n"
            f"Message-ID: <good-{n}@acme.example>\r\n\r\nThere is an error on this invoice, we dispute it.\r\n"
            ).encode()


def mail_row(engine: Engine, mail_id: int) -> Mail:
    with transaction(engine) as s:
        mail = s.get(Mail, mail_id)
        assert mail is not None
        return mail


def reviews_for(engine: Engine, mail_id: int) -> list[str]:
    with transaction(engine) as s:
        return list(s.scalars(select(ReviewItem.kind).where(ReviewItem.mail_id == mail_id)))


@pytest.mark.parametrize("name", sorted(CRASHERS))
def test_a_crasher_ends_processed_or_in_review_and_the_next_mail_goes_through(engine: Engine, name: str) -> None:
    """Each mail that once escaped the inbound path now ends processed or failed-with-review, its raw bytes
    untouched, and a good reply stored after it is processed normally."""
    case_id = open_case(engine)
    raw = CRASHERS[name]
    bad = store(engine, raw)
    result = process_inbound(engine, bad, real_pipeline())
    row = mail_row(engine, bad)
    assert row.raw == raw
    assert result.status == row.status and row.status in {"processed", "failed"}
    if row.status == "failed":
        assert row.error and reviews_for(engine, bad) == ["parse_failed"]
    good = process_inbound(engine, store(engine, good_reply(case_id)), real_pipeline())
    assert (good.status, good.case_id) == ("processed", case_id)


def test_nested_parentheses_are_shunted_with_the_step_and_reason(engine: Engine) -> None:
    """The 5,000-parenthesis From: makes the address parser recurse past the limit: the mail is marked failed
    'at parse: RecursionError' and a parse_failed review item points at it."""
    mail_id = store(engine, CRASHERS["nested_parentheses"])
    result = process_inbound(engine, mail_id, real_pipeline())
    assert result.status == "failed" and result.error is not None
    assert "RecursionError" in result.error and mail_row(engine, mail_id).error == result.error
    assert reviews_for(engine, mail_id) == ["parse_failed"]


def test_eight_bit_in_reply_to_is_stored_readably(engine: Engine) -> None:
    """8-bit bytes in In-Reply-To no longer make the database refuse the row: the mail is processed and the
    header kept with the undecodable bytes replaced."""
    mail_id = store(engine, CRASHERS["eight_bit_in_reply_to"])
    assert process_inbound(engine, mail_id, real_pipeline()).status == "processed"
    in_reply_to = mail_row(engine, mail_id).in_reply_to
    assert in_reply_to is not None and "\ufffd" in in_reply_to and in_reply_to.endswith("@dunmail.example")


def test_any_exception_in_a_step_rolls_the_step_back_and_shunts(engine: Engine,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A step that changes the case and then raises (any exception, here LookupError) leaves the case as it was:
    the savepoint is rolled back, the mail is failed 'at act', and a person gets it."""
    case_id = open_case(engine)

    def act_then_fail(ctx: process_module.ActContext, **_: object) -> str:
        ledger.transition(ctx.session, ctx.case, CaseState.DISPUTED, actor=ledger.SYSTEM, reason="half done")
        ctx.session.flush()
        raise LookupError("unknown encoding: rot13")

    monkeypatch.setattr(process_module, "act_on_reply", act_then_fail)
    mail_id = store(engine, good_reply(case_id))
    result = process_inbound(engine, mail_id, real_pipeline())
    assert result.status == "failed" and result.error is not None and result.error.startswith("failed at act: Lookup")
    with transaction(engine) as s:
        case = s.get(Case, case_id)
        assert case is not None and case.state == "active"
        mail = s.get(Mail, mail_id)
        assert mail is not None and mail.case_id is None and mail.status == "failed"
    assert reviews_for(engine, mail_id) == ["parse_failed"]


def test_database_trouble_is_not_blamed_on_the_mail(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """An OperationalError (connection lost, file locked) propagates so the caller retries; the mail stays
    `received` with no review item."""
    def locked(_: object) -> object:
        raise OperationalError("SELECT 1", {}, Exception("database is locked"))

    mail_id = store(engine, good_reply(open_case(engine)))
    pipeline = Pipeline(parse=locked, classify=classify, verify_token=lambda t: None,  # type: ignore[arg-type]
                        reply_localpart="ar", min_confidence=0.55, promise_grace_days=lambda policy: 2)
    with pytest.raises(OperationalError):
        process_inbound(engine, mail_id, pipeline)
    assert mail_row(engine, mail_id).status == "received" and reviews_for(engine, mail_id) == []


def test_a_duplicate_needs_the_same_message_id_and_the_same_bytes(engine: Engine) -> None:
    """The same bytes twice are one row; a reused Message-ID with other bytes is a new row, marked as reused."""
    first = good_reply(1)
    with transaction(engine) as s:
        a, new_a = store_inbound(s, first, mailbox="test")
        b, new_b = store_inbound(s, first, mailbox="test")
        c, new_c = store_inbound(s, first.replace(b"dispute it", b"paid it"), mailbox="test")
        assert (new_a, new_b, new_c) == (True, False, True)
        assert a.id == b.id != c.id
        assert a.analysis == {} and c.analysis == {"reused_message_id": True}


def test_batch_store_keeps_reused_message_ids_with_other_bytes(engine: Engine) -> None:
    """From the IMAP watcher's batch path too: a reused Message-ID with other bytes is stored, an exact copy
    (same bytes, other UID) is not."""
    first = good_reply(1)
    other = first.replace(b"dispute it", b"paid it")
    with transaction(engine) as s:
        stored = store_batch(s, [(1, first), (2, first), (3, other)], mailbox="INBOX", uidvalidity=9)
        assert [m.uid for m in stored] == [1, 3]
        again = store_batch(s, [(4, other), (5, other.replace(b"paid", b"settled"))], mailbox="INBOX",
                            uidvalidity=9)
        assert [m.uid for m in again] == [5]
        flags = [m.analysis for m in s.scalars(select(Mail).order_by(Mail.uid))]
    assert flags == [{}, {"reused_message_id": True}, {"reused_message_id": True}]


def test_a_reused_message_id_is_processed_and_marked(engine: Engine) -> None:
    """The second mail under a reused Message-ID is processed like any reply and keeps its mark."""
    case_id = open_case(engine)
    store(engine, good_reply(case_id))
    second = store(engine, good_reply(case_id).replace(b"we dispute it", b"is it paid?"))
    result = process_inbound(engine, second, real_pipeline())
    assert (result.status, result.case_id) == ("processed", case_id)
    assert mail_row(engine, second).analysis.get("reused_message_id") is True


@pytest.fixture
def reviewer_client(settings: Settings, engine: Engine, session: Session) -> Iterator[TestClient]:
    add_user(session, "rev@example.com", "correct horse battery", Role.REVIEWER)
    session.commit()
    with TestClient(create_app(settings, secure_cookies=False, engine=engine), follow_redirects=False) as client:
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
        assert token
        client.post("/login", data={"email": "rev@example.com", "password": "correct horse battery",
                                    "csrf": token.group(1), "next": "/queue"})
        yield client


def test_case_and_item_pages_show_every_crasher_instead_of_failing(engine: Engine,
                                                                   reviewer_client: TestClient) -> None:
    """Each crasher attached to a case (as a person would attach it) renders on the case page and on its
    review item's page with status 200; the body is shown as escaped text."""
    case_id = open_case(engine)
    for raw in CRASHERS.values():
        mail_id = store(engine, raw)
        process_inbound(engine, mail_id, real_pipeline())
        with transaction(engine) as s:
            mail = s.get(Mail, mail_id)
            assert mail is not None
            mail.case_id = case_id
    page = reviewer_client.get(f"/cases/{case_id}")
    assert page.status_code == 200
    assert page.text.count("We paid invoice INV-77 yesterday.") >= len(CRASHERS) - 1
    with transaction(engine) as s:
        items = list(s.scalars(select(ReviewItem.id).where(ReviewItem.kind == "parse_failed")))
    assert items, "at least one crasher should have been shunted"
    for item_id in items:
        assert reviewer_client.get(f"/items/{item_id}").status_code == 200, item_id


def test_inbox_process_goes_on_after_a_crasher(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`dunmail inbox process` fed a crasher then a good mail: exit 0, the crasher reported as kept raw and in
    review, the good mail processed."""
    from worker.cli import _register, app

    _register()

    db = tmp_path / "cli.db"
    monkeypatch.setenv("DUNMAIL_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("DUNMAIL_SECRET_KEY", TEST_SECRET)
    bad, good = tmp_path / "bad.eml", tmp_path / "good.eml"
    bad.write_bytes(CRASHERS["nested_parentheses"])
    good.write_bytes(good_reply(1, n=2))
    result = CliRunner().invoke(app, ["inbox", "process", str(bad), str(good)])
    assert result.exit_code == 0, result.output
    assert "bad.eml: not processed (failed at parse: RecursionError" in result.output
    assert "kept raw and put in the review queue" in result.output
    assert "good.eml: " in result.output and "not processed" not in result.output.split("good.eml: ")[1]


def test_the_worker_hands_a_mail_to_a_person_when_retries_run_out(settings: Settings, engine: Engine,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Under `dunmail worker`, a mail whose processing keeps failing is not retried forever: when the actor's
    retries run out, the mail is marked failed and a review item opened."""
    from dramatiq import Worker

    from worker import actors
    from worker.runtime import Runtime
    from worker.services import Services

    services = Services.build(Runtime(settings=settings, engine=engine))

    def always_locked(mail_id: int) -> object:
        raise OperationalError("SELECT 1", {}, Exception("database is locked"))

    monkeypatch.setattr(services, "process", always_locked)
    monkeypatch.setattr(actors, "_services", services)
    mail_id = store(engine, good_reply(open_case(engine)))
    actors.process_mail.send_with_options(args=(mail_id,), max_retries=0)
    worker = Worker(actors.broker, worker_threads=1, worker_timeout=50)
    worker.start()
    try:
        actors.broker.join(actors.process_mail.queue_name, fail_fast=False)
        worker.join()
    finally:
        worker.stop()
        actors.broker.flush_all()  # type: ignore[attr-defined]  # the stub keeps the dead letter; others join it
    row = mail_row(engine, mail_id)
    assert row.status == "failed" and row.error is not None and "processing failed" in row.error
    assert reviews_for(engine, mail_id) == ["parse_failed"]


def test_a_value_the_database_refuses_at_flush_is_shunted(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """A step that leaves a value the database refuses when the savepoint is flushed (here a NUL in the subject,
    which PostgreSQL refuses) is rolled back and shunted; the transaction stays usable, so the failed mark and
    the review item are committed."""
    real_describe = process_module._describe

    def bad_describe(mail: Mail, parsed: object) -> None:
        real_describe(mail, parsed)  # type: ignore[arg-type]
        mail.subject = "nul \x00 inside"  # what _describe itself now never writes

    monkeypatch.setattr(process_module, "_describe", bad_describe)
    mail_id = store(engine, good_reply(open_case(engine)))
    result = process_inbound(engine, mail_id, real_pipeline())
    row = mail_row(engine, mail_id)
    if engine.dialect.name == "postgresql":
        assert result.status == row.status == "failed" and reviews_for(engine, mail_id) == ["parse_failed"]
        assert row.subject == "" and row.error is not None
    else:  # SQLite stores a NUL as given: the mail goes through
        assert result.status == row.status == "processed"
