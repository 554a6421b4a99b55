"""`dunmail customer export|erase`: a data-subject access request gets everything; erasure removes names,
addresses and mail while invoices, amounts, dates, states and the event skeleton stay, and dunmail keeps working."""

from __future__ import annotations

import base64
import json
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path

import pytest
import structlog
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from structlog.testing import capture_logs
from typer.testing import CliRunner

from tests.e2e.seed import PASSWORD, users
from worker import ledger, privacy
from worker.db.engine import transaction
from worker.db.migrate import alembic_config
from worker.db.models import Case, Contact, Customer, Event, Invoice, Mail, ReviewItem
from worker.domain import CaseState, ReviewKind
from worker.settings import Settings

NOW = datetime(2026, 4, 1, 9, tzinfo=UTC)
NAME = "Hans Müller"
EMAIL = "hans@mueller.example"
REG = "HRB 98765"
BODY = "Ich habe gestern bezahlt, meine Frau hat überwiesen."  # what the customer wrote
NOTE = "Rang him: his wife handles the payments"  # what a reviewer wrote about him
JA_NAME = "山田太郎"
JA_BODY = "来週の金曜日までにお支払いします。"


@dataclass
class World:
    customer: int
    paid_case: int
    active_case: int
    other_customer: int
    other_case: int
    reply: int
    unplaced: int
    shared: int


def _raw(sender: str, to: str, subject: str, text: str, charset: str = "utf-8") -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg["Message-ID"] = f"<{abs(hash((sender, subject)))}@example.test>"
    msg.set_content(text, charset=charset)
    return msg.as_bytes()


def _customer(s: Session, name: str, email: str, number: str, amount: str, currency: str) -> tuple[Customer, Case]:
    customer = Customer(name=name, language="en", timezone="UTC", country="DE", registration_number=REG
                        if name == NAME else None)
    s.add(customer)
    ledger.ensure_contact(s, customer, email)
    invoice, _ = ledger.upsert_invoice(s, customer=customer, number=number, amount=Decimal(amount),
                                       currency=currency, issue_date=date(2026, 1, 15), due_date=date(2026, 2, 15))
    case = ledger.open_case(s, invoice, policy="default", first_action_at=NOW - timedelta(hours=1))
    return customer, case


def build(engine: Engine) -> World:
    """Hans Müller: a paid case with a reminder, his reply, a reviewer's note and a closed review item; an active
    case due now; an unplaced mail from his address; an intake mail shared with another customer's case."""
    with transaction(engine) as s:
        users(s)
        hans, paid = _customer(s, NAME, EMAIL, "INV-7001", "1234.56", "EUR")
        other, other_case = _customer(s, "Other GmbH", "ap@other.example", "INV-8001", "99.00", "EUR")
        inv2, _ = ledger.upsert_invoice(s, customer=hans, number="INV-7002", amount=Decimal("10.00"), currency="EUR",
                                        issue_date=date(2026, 1, 20), due_date=date(2026, 2, 20))
        active = ledger.open_case(s, inv2, policy="default", first_action_at=NOW - timedelta(hours=1))
        reminder = Mail(case_id=paid.id, direction="out", status="sent", stage="reminder_1", to_addrs=EMAIL,
                        subject=f"Invoice INV-7001 for {NAME}", from_addr="ar@dunmail.example",
                        send_key=f"case:{paid.id}:reminder_1", sent_at=NOW - timedelta(days=9),
                        raw=_raw("ar@dunmail.example", EMAIL, "Invoice INV-7001", f"Dear {NAME}, please pay."))
        reply = Mail(case_id=paid.id, direction="in", status="received", stage="processed", from_addr=EMAIL,
                     to_addrs="ar@dunmail.example", subject=f"Re: Invoice INV-7001 ({NAME})", intent="paid",
                     confidence=0.93, raw=_raw(f"{NAME} <{EMAIL}>", "ar@dunmail.example", "Re: Invoice", BODY),
                     analysis={"reply_text": BODY, "language": "de", "why": [BODY]})
        unplaced = Mail(direction="in", status="received", stage="processed", from_addr=EMAIL.upper(),
                        to_addrs="ar@dunmail.example", subject="Frage", intent="other", confidence=0.5,
                        raw=_raw(EMAIL, "ar@dunmail.example", "Frage", "Welche Rechnung ist das?"))
        shared = Mail(direction="in", status="received", stage="processed", from_addr="finance@dunmail.example",
                      to_addrs="intake@dunmail.example", subject="Invoices",
                      raw=_raw("finance@dunmail.example", "intake@dunmail.example", "Invoices", "two invoices"))
        s.add_all([reminder, reply, unplaced, shared])
        s.flush()
        ledger.record_event(s, paid, "reminder_sent", mail=reminder, stage="reminder_1", to=EMAIL)
        ledger.record_event(s, paid, "intake", mail=shared, source="mail", notes=[f"buyer {NAME}"])
        ledger.record_event(s, other_case, "intake", mail=shared, source="mail", notes=["buyer Other GmbH"])
        ledger.transition(s, paid, CaseState.PAYMENT_CLAIMED, actor=ledger.CUSTOMER, mail=reply,
                          reason=f"customer says it has paid; it says: \u201c{BODY[:40]}\u201d", intent="paid")
        item = ledger.open_review(s, ReviewKind.PAYMENT_CLAIM, case=paid, mail=reply,
                                  summary=f"{NAME} ({EMAIL}) says paid: \u201c{BODY}\u201d", intent="paid")
        ledger.record_event(s, paid, "note", actor="user:rev@example.com", reason=NOTE)
        ledger.record_event(s, paid, "assigned", actor="user:rev@example.com", review_id=item.id,
                            assignee="ana@example.com")
        ledger.record_event(s, paid, "contact_fixed", actor="user:rev@example.com", reason=f"new address of {NAME}",
                            added=["hans.privat@mueller.example"], cleared=[])
        ledger.close_review(s, item, actor="user:rev@example.com", resolution=f"paid: bank shows {NAME}")
        paid.invoice.balance, paid.invoice.status = Decimal(0), "paid"
        ledger.transition(s, paid, CaseState.PAID, actor="user:rev@example.com", reason=f"{NAME} paid in full")
        ledger.open_review(s, ReviewKind.UNPLACED, mail=unplaced, summary=f"reply from {EMAIL} matches no case")
        return World(hans.id, paid.id, active.id, other.id, other_case.id, reply.id, unplaced.id, shared.id)


def _close(engine: Engine, case_id: int) -> None:
    with transaction(engine) as s:
        case = ledger.get_case(s, case_id)
        case.invoice.balance, case.invoice.status = Decimal(0), "paid"
        ledger.transition(s, case, CaseState.PAID, actor="user:rev@example.com", reason="paid")


def _export(engine: Engine, customer_id: int) -> dict[str, object]:
    with transaction(engine) as s:
        return privacy.export_customer(s, customer_id, now=NOW)


def _erase(engine: Engine, customer_id: int, *, force: bool = False) -> privacy.Erasure:
    with transaction(engine) as s:
        return privacy.erase_customer(s, customer_id, actor="user:dpo@example.com", force=force, now=NOW)


@pytest.fixture
def world(engine: Engine) -> World:
    return build(engine)


# --- export ------------------------------------------------------------------------------------------------

def test_export_holds_everything_about_the_customer_and_nothing_of_others(engine: Engine, world: World) -> None:
    """The export has the customer row, contacts, both invoices and cases, their events and review items, and
    every mail of theirs — the unplaced one from their address too — with headers, decoded text and the raw
    bytes (base64, identical to what is stored); the other customer's rows are not in it."""
    doc = _export(engine, world.customer)
    assert doc["format"] == privacy.EXPORT_FORMAT and doc["erased"] is False
    assert doc["customer"]["name"] == NAME and doc["customer"]["registration_number"] == REG  # type: ignore[index]
    assert [c["email"] for c in doc["contacts"]] == [EMAIL]  # type: ignore[attr-defined]
    assert sorted(i["number"] for i in doc["invoices"]) == ["INV-7001", "INV-7002"]  # type: ignore[attr-defined]
    assert {c["id"] for c in doc["cases"]} == {world.paid_case, world.active_case}  # type: ignore[attr-defined]
    assert {e["case_id"] for e in doc["events"]} <= {world.paid_case, world.active_case}  # type: ignore[attr-defined]
    assert any(e["reason"] == NOTE for e in doc["events"])  # type: ignore[attr-defined]
    kinds = {r["kind"] for r in doc["review_items"]}  # type: ignore[attr-defined]
    assert kinds == {"payment_claim", "unplaced"}
    mails = {m["id"]: m for m in doc["mails"]}  # type: ignore[attr-defined]
    assert world.unplaced in mails and world.shared in mails and len(mails) == 4
    shared = mails[world.shared]  # an intake forward that also carries another customer's invoice
    assert shared["shared_with_other_customers"] is True and shared["raw_base64"] is None and shared["text"] is None
    assert mails[world.reply]["shared_with_other_customers"] is False
    reply = mails[world.reply]
    assert BODY in reply["text"] and ["From", f"{NAME} <{EMAIL}>"] in reply["headers"]
    with transaction(engine) as s:
        stored = s.get(Mail, world.reply)
        assert stored is not None and base64.b64decode(reply["raw_base64"]) == stored.raw
    assert "Other GmbH" not in json.dumps([doc["customer"], doc["cases"], doc["events"]], ensure_ascii=False)
    assert doc["invoices"][0]["amount"] == "1234.5600"  # type: ignore[index]


def test_export_decodes_japanese_mail(engine: Engine) -> None:
    """A reply in ISO-2022-JP comes out as readable Japanese text, its encoded From header decoded."""
    with transaction(engine) as s:
        customer, case = _customer(s, JA_NAME, "taro@yamada.example", "INV-JP-9", "5000", "JPY")
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = f"{JA_NAME} <taro@yamada.example>", "ar@dunmail.example", "お支払い"
        msg.set_content(JA_BODY, charset="iso-2022-jp")
        s.add(Mail(case_id=case.id, direction="in", status="received", from_addr="taro@yamada.example",
                   raw=msg.as_bytes()))
        s.flush()
        customer_id = customer.id
    doc = _export(engine, customer_id)
    mail = doc["mails"][0]  # type: ignore[index]
    assert JA_BODY in mail["text"]
    assert ["From", f"{JA_NAME} <taro@yamada.example>"] in mail["headers"]
    assert b"\x1b$B" in base64.b64decode(mail["raw_base64"])  # the body really is ISO-2022-JP on the wire


def test_export_of_unknown_customer_says_so(engine: Engine) -> None:
    """An id that is no customer is a NotFound naming the id, not an empty document."""
    from worker.errors import NotFound

    with pytest.raises(NotFound, match="customer 999"), transaction(engine) as s:
        privacy.export_customer(s, 999)


# --- erase -------------------------------------------------------------------------------------------------

def test_erase_refuses_open_cases_without_force(engine: Engine, world: World) -> None:
    """With an open case the erasure is refused, the error names the case and --force, and nothing changes."""
    before = _export(engine, world.customer)
    with pytest.raises(privacy.ErasureRefused, match=rf"open case\(s\) \({world.active_case}\).*--force"):
        _erase(engine, world.customer)
    assert _export(engine, world.customer) == before


def test_erase_removes_personal_data_and_keeps_the_accounting_skeleton(engine: Engine, world: World) -> None:
    """After erasure no name, registration number, address, mail text or reviewer note of the customer is left
    anywhere in what dunmail holds about them; invoice numbers, amounts, currencies, dates, states, event
    kinds, times and actors are exactly as before; the other customer is untouched."""
    _close(engine, world.active_case)
    before = _export(engine, world.customer)
    other_before = _export(engine, world.other_customer)
    report = _erase(engine, world.customer)
    after = _export(engine, world.customer)
    dump = json.dumps(after, ensure_ascii=False)
    for secret in (NAME, "Müller", EMAIL, "hans.privat", REG, BODY[:20], "Welche Rechnung", "Dear", NOTE, "wife"):
        assert secret.lower() not in dump.lower(), secret
    assert after["customer"]["name"] == f"erased customer {world.customer}"  # type: ignore[index]
    assert after["contacts"] == [] and report.contacts_removed == 1
    assert after["invoices"] == before["invoices"]
    keep = ("id", "state", "policy", "reminders_sent", "last_sent_at", "created_at")
    assert [{k: c[k] for k in keep} for c in after["cases"]] == \
        [{k: c[k] for k in keep} for c in before["cases"]]  # type: ignore[attr-defined]
    skeleton = ("id", "case_id", "kind", "actor", "created_at", "mail_id")
    old = [{k: e[k] for k in skeleton} for e in before["events"]]  # type: ignore[attr-defined]
    assert [{k: e[k] for k in skeleton} for e in after["events"]][:len(old)] == old  # type: ignore[attr-defined]
    assigned = next(e for e in after["events"] if e["kind"] == "assigned")  # type: ignore[attr-defined]
    assert assigned["data"]["assignee"] == "ana@example.com"  # our staff, like actors, are kept
    transitions = [e["data"] for e in after["events"] if e["kind"] == "state_changed"]  # type: ignore[attr-defined]
    assert {"from_state": "active", "to_state": "payment_claimed", "intent": "paid"}.items() <= transitions[0].items()
    for mail in after["mails"]:  # type: ignore[attr-defined]
        if mail["id"] == world.shared:
            continue
        assert mail["raw_base64"] is None and mail["text"] == "" and mail["from_addr"] == ""
        assert mail["digest"] == next(m["digest"] for m in before["mails"] if m["id"] == mail["id"])  # type: ignore[attr-defined]
    assert report.shared_mails == [world.shared] and report.mails_erased == 3
    with transaction(engine) as s:
        kept = s.get(Mail, world.shared)
        assert kept is not None and kept.raw is not None and b"two invoices" in kept.raw
    assert _export(engine, world.other_customer) == other_before


def test_erase_records_who_and_when_and_never_the_data(engine: Engine, world: World) -> None:
    """Each case gets one `personal_data_erased` event by the person who erased, at the moment given; the log
    line carries ids and counts only."""
    _close(engine, world.active_case)
    with capture_logs() as logs:
        _erase(engine, world.customer)
    with transaction(engine) as s:
        events = s.scalars(select(Event).where(Event.kind == privacy.ERASED_EVENT)).all()
        assert sorted(e.case_id for e in events) == [world.paid_case, world.active_case]  # type: ignore[type-var]
        assert {(e.actor, e.created_at) for e in events} == {("user:dpo@example.com", NOW)}
        assert all(NAME not in json.dumps(e.data, ensure_ascii=False) and EMAIL not in e.reason for e in events)
    line = json.dumps([entry for entry in logs if entry["event"] == "customer_erased"], ensure_ascii=False)
    assert str(world.customer) in line and NAME not in line and EMAIL not in line


def test_erase_is_idempotent(engine: Engine, world: World) -> None:
    """Erasing again changes nothing and records no second event."""
    _close(engine, world.active_case)
    _erase(engine, world.customer)
    first = _export(engine, world.customer)
    again = _erase(engine, world.customer)
    assert again.already_erased and not again.changed
    assert _export(engine, world.customer) == first


def test_erasure_with_no_cases_is_recorded_once(engine: Engine) -> None:
    """A customer with no case at all still gets its erasure recorded (one event without a case), once."""
    with transaction(engine) as s:
        customer = Customer(name="Lone Person")
        s.add(customer)
        ledger.ensure_contact(s, customer, "lone@person.example")
        s.flush()
        customer_id = customer.id
    _erase(engine, customer_id)
    _erase(engine, customer_id)
    doc = _export(engine, customer_id)
    assert [e["kind"] for e in doc["events"]] == [privacy.ERASED_EVENT] and doc["contacts"] == []  # type: ignore[attr-defined]


# --- dunmail still works for the erased customer's cases -----------------------------------------------------

def test_forced_erasure_stops_chasing_and_the_tick_goes_on(engine: Engine, settings: Settings, world: World) -> None:
    """--force on an open, due case moves it to contact_invalid (no address left), so the real tick plans nothing
    for it and does not fail, while the other customer's due case is still planned."""
    from worker.runtime import Runtime
    from worker.services import Services

    report = _erase(engine, world.customer, force=True)
    assert report.stopped_cases == [world.active_case]
    services = Services.build(Runtime(settings=settings, engine=engine))
    tick = services.tick(now=NOW)
    with transaction(engine) as s:
        case = ledger.get_case(s, world.active_case)
        assert case.state == CaseState.CONTACT_INVALID and case.next_action_at is None
        planned = s.scalars(select(Mail).where(Mail.id.in_(tick.planned))).all()
        assert [m.case_id for m in planned] == [world.other_case]
        assert s.scalars(select(ReviewItem).where(ReviewItem.case_id == world.active_case,
                                                  ReviewItem.kind == "send_failed")).all() == []


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, engine: Engine) -> Iterator[None]:
    """The CLI on the test database (SQLite built by create_all is stamped current, as `db upgrade` would)."""
    from worker.cli import _register

    if engine.dialect.name == "sqlite":
        from alembic import command

        command.stamp(alembic_config(engine.url.render_as_string(hide_password=False)), "head")
    monkeypatch.setenv("DUNMAIL_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("DUNMAIL_SECRET_KEY", "cli-test-secret")
    _register()
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


def test_cli_erase_needs_yes_then_log_still_prints(engine: Engine, world: World, cli_env: None,
                                                   tmp_path: Path) -> None:
    """`customer erase` without --yes refuses and changes nothing; with --yes --force it erases; `dunmail log
    CASE` then prints the case under the placeholder; `customer export --out` writes the erased document."""
    from worker.cli import app

    runner = CliRunner()
    refused = runner.invoke(app, ["customer", "erase", str(world.customer), "--by", "dpo@example.com"])
    assert refused.exit_code == 2 and "--yes" in refused.output
    with transaction(engine) as s:
        assert s.get(Customer, world.customer).name == NAME  # type: ignore[union-attr]
    no_force = runner.invoke(app, ["customer", "erase", str(world.customer), "--by", "dpo@example.com", "--yes"])
    assert no_force.exit_code == 2 and "open case" in no_force.output
    done = runner.invoke(app, ["customer", "erase", str(world.customer), "--by", "dpo@example.com", "--yes",
                               "--force"])
    assert done.exit_code == 0, done.output
    assert "erased" in done.output and str(world.shared) in done.output
    log = runner.invoke(app, ["log", str(world.paid_case)])
    assert log.exit_code == 0, log.output
    assert f"erased customer {world.customer}" in log.output and NAME not in log.output
    assert "INV-7001" in log.output and "erased on request" in log.output
    out = tmp_path / "export.json"
    exported = runner.invoke(app, ["customer", "export", str(world.customer), "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["erased"] is True and EMAIL not in out.read_text(encoding="utf-8")


def test_review_pages_still_work_for_erased_cases(engine: Engine, settings: Settings, world: World) -> None:
    """The queue, both case pages and the unplaced reply's item page render (200) after erasure, show the
    placeholder and none of the erased data (an open item's summary included); an erased mail's .eml
    download is a 404, not a 500."""
    with warnings.catch_warnings():
        from starlette.exceptions import StarletteDeprecationWarning

        warnings.simplefilter("ignore", StarletteDeprecationWarning)
        from starlette.testclient import TestClient
    from tests.test_review_http import login
    from worker.review.app import create_app

    with transaction(engine) as s:
        ledger.open_review(s, ReviewKind.UNCLEAR, case=ledger.get_case(s, world.active_case),
                           summary=f"{NAME} wrote \u201c{BODY}\u201d")
    _erase(engine, world.customer, force=True)
    with transaction(engine) as s:
        item = s.scalars(select(ReviewItem).where(ReviewItem.mail_id == world.unplaced)).one().id  # its own page
    app = create_app(settings, secure_cookies=False, engine=engine)
    with TestClient(app, follow_redirects=False) as client:
        login(client, password=PASSWORD)
        for path in ("/queue", f"/cases/{world.paid_case}", f"/cases/{world.active_case}", f"/items/{item}",
                     "/dashboard"):
            page = client.get(path)
            assert page.status_code == 200, path
            assert NAME not in page.text and EMAIL not in page.text and BODY[:20] not in page.text, path
        assert f"erased customer {world.customer}" in client.get(f"/cases/{world.paid_case}").text
        assert client.get(f"/mails/{world.reply}.eml").status_code == 404


def test_erasure_keeps_invoice_rows_and_contacts_table_clean(engine: Engine, world: World) -> None:
    """The invoice rows are the same rows (numbers, amounts, balances, dates) and no contact row of the customer
    is left, so a later mail from the old address is not tied to them."""
    _close(engine, world.active_case)
    with transaction(engine) as s:
        before = [(i.id, i.number, i.amount, i.balance, i.currency, i.issue_date, i.due_date, i.status)
                  for i in s.scalars(select(Invoice).where(Invoice.customer_id == world.customer).order_by(Invoice.id))]
    _erase(engine, world.customer)
    with transaction(engine) as s:
        after = [(i.id, i.number, i.amount, i.balance, i.currency, i.issue_date, i.due_date, i.status)
                 for i in s.scalars(select(Invoice).where(Invoice.customer_id == world.customer).order_by(Invoice.id))]
        assert after == before and before[0][2] == Decimal("1234.56")
        assert s.scalars(select(Contact).where(Contact.customer_id == world.customer)).all() == []
        assert ledger.find_customer(s, email=EMAIL) is None and ledger.find_customer(s, name=NAME) is None


def test_find_turns_a_name_or_address_into_a_customer_number(engine: Engine, world: World, cli_env: None) -> None:
    """`customer find` matches part of a name or of a contact address, case-insensitively, and prints the
    customer number with its case count; after erasure the old name and address find nothing."""
    from worker.cli import app

    with transaction(engine) as s:
        assert [(c.id, n) for c, n in privacy.find_customers(s, "müller")] == [(world.customer, 2)]
        assert [c.id for c, _ in privacy.find_customers(s, "HANS@MUELLER")] == [world.customer]
    printed = CliRunner().invoke(app, ["customer", "find", "mueller.example"])
    assert printed.exit_code == 0 and NAME in printed.output and str(world.customer) in printed.output
    structlog.reset_defaults()  # the CLI logged onto the runner's stream, which is closed now
    _erase(engine, world.customer, force=True)
    with transaction(engine) as s:
        assert privacy.find_customers(s, "müller") == [] and privacy.find_customers(s, EMAIL) == []
    assert CliRunner().invoke(app, ["customer", "find", "mueller"]).exit_code == 1


def test_erased_replies_leave_the_classifier_feedback(engine: Engine, world: World) -> None:
    """A reply a reviewer relabelled is exported as classifier feedback until its customer is erased; then it
    is not (its bytes are gone, and so is its label)."""
    from worker.domain import Intent
    from worker.review import decisions

    with transaction(engine) as s:
        decisions.reclassify(s, world.reply, Intent.PROMISE_TO_PAY, actor="user:rev@example.com", reason="promise")
        assert [m.id for m in decisions.corrected_mails(s)] == [world.reply]
    _erase(engine, world.customer, force=True)
    with transaction(engine) as s:
        assert decisions.corrected_mails(s) == []


def test_erase_waits_for_a_send_holding_the_case(pg_engine: Engine) -> None:
    """On PostgreSQL the erasure takes each case's row lock before reading, as delivery does before SMTP: a
    reminder being sent while the erasure starts is committed first and then erased with the rest (read
    before the lock, its bytes and address would survive)."""
    import threading
    import time

    world = build(pg_engine)
    _close(pg_engine, world.active_case)
    done: list[privacy.Erasure] = []
    with transaction(pg_engine) as holder:
        case = ledger.get_case(holder, world.paid_case, lock=True)  # a delivery in progress on this case
        late = Mail(case_id=case.id, direction="out", status="sent", stage="reminder_2", to_addrs=EMAIL,
                    subject="Invoice INV-7001", send_key=f"case:{case.id}:reminder_2",
                    raw=_raw("ar@dunmail.example", EMAIL, "Invoice INV-7001", f"Dear {NAME}, second notice."))
        holder.add(late)
        holder.flush()
        late_id = late.id
        worker = threading.Thread(target=lambda: done.append(_erase(pg_engine, world.customer)))
        worker.start()
        time.sleep(0.5)
        assert not done, "the erasure did not wait for the case's lock"
    worker.join(timeout=10)
    assert done and done[0].mails_erased == 4
    with transaction(pg_engine) as s:
        mail = s.get(Mail, late_id)
        assert mail is not None and mail.raw is None and mail.to_addrs == ""


def test_export_covers_mail_that_breaks_the_parser(engine: Engine, world: World) -> None:
    """Every known crasher (5,000 nested parentheses, a NUL in a charset, base64-labelled encoded words, …)
    on the customer's case is exported: the document serialises, the raw bytes round-trip, and each mail has
    a header list and text (its raw text when it cannot be read part by part)."""
    from tests.support.crashers import CRASHERS

    ids = []
    with transaction(engine) as s:
        for raw in CRASHERS.values():
            mail = Mail(case_id=world.paid_case, direction="in", status="failed", from_addr=EMAIL, raw=raw)
            s.add(mail)
            s.flush()
            ids.append(mail.id)
    doc = json.loads(json.dumps(_export(engine, world.customer), ensure_ascii=False))
    mails = {m["id"]: m for m in doc["mails"]}
    for mail_id, raw in zip(ids, CRASHERS.values(), strict=True):
        assert base64.b64decode(mails[mail_id]["raw_base64"]) == raw
        assert mails[mail_id]["headers"] and mails[mail_id]["text"] is not None
