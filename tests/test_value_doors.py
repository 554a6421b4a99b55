"""A value never stops the tick (issue 12, finding 4): every door refuses what the ledger cannot chase, with a
clear error; a case that still fails to plan or compose is set aside for a person and the rest goes on."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from tests.invoicefactory import InvoiceSpec, intake_mail, ubl_xml
from worker import ledger
from worker.db.engine import transaction
from worker.db.models import Case, Customer, Event, Invoice, Mail, ReviewItem
from worker.domain import Classification
from worker.importer import ImportDefaults, import_file
from worker.inbound.mime import parse_mail
from worker.inbound.process import Pipeline, process_inbound
from worker.inbound.store import store_inbound
from worker.intake.route import make_router
from worker.ladder.planner import LadderPlanner
from worker.money import check_amount, parse_amount, parse_form_amount
from worker.outbound.deliver import deliver
from worker.outbound.smtp import FakeSender
from worker.review import actions, dashboard
from worker.review.decisions import DecisionError
from worker.scheduler import Step, tick
from worker.settings import load_settings
from worker.validation import check_date, check_invoice_number

NOW = datetime(2026, 4, 1, 9, tzinfo=UTC)
HEADER = "invoice_number,customer_name,customer_email,amount,currency,issue_date,due_date"


# --- the shared checks ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "words"), [
    ("NaN", "holds no amount"), ("Infinity", "holds no amount"), ("1E+30", "exponent notation"),
    ("1e500000", "exponent notation"), ("100000000000000", "too large"), ("-5", "negative"),
    ("9" * 5000, "characters long"),
])
def test_amount_text_is_refused_with_a_reason(text: str, words: str) -> None:
    """The amount reader and its check refuse NaN, Infinity, exponent forms, 10^14 and more, negatives and
    absurdly long text, each with a message saying what is wrong."""
    with pytest.raises(ValueError, match=words):
        check_amount(parse_amount(text, "USD"), "USD")


def test_decimal_values_that_are_not_amounts_are_refused() -> None:
    """Decimals built elsewhere (an e-invoice, an API) are checked the same way: NaN, Infinity and 1E+30 are
    refused, 99,999,999,999,999.99 (the most the ledger keeps) is accepted."""
    for bad in ("NaN", "Infinity", "-Infinity", "1E+30", "1e500000"):
        with pytest.raises(ValueError):
            check_amount(Decimal(bad), "USD")
    assert check_amount(Decimal("99999999999999.99"), "USD") == Decimal("99999999999999.99")
    assert check_amount(Decimal("1234.5"), "JPY") == Decimal("1235")


def test_a_huge_exponent_is_refused_fast() -> None:
    """'1e500000' typed into a form is refused without ever being expanded: well under a millisecond each."""
    start = time.perf_counter()
    for _ in range(1000):
        with pytest.raises(ValueError):
            parse_form_amount("1e500000")
        with pytest.raises(ValueError):
            check_amount(Decimal("1e500000"))
    assert time.perf_counter() - start < 1.0


def test_dates_outside_2000_to_2100_and_long_numbers_are_refused() -> None:
    """9999-12-31 and 1999-12-31 are refused with the field named; 2000-01-01 and 2100-12-31 pass; invoice
    numbers over 64 characters or with control characters are refused."""
    for bad in (date(9999, 12, 31), date(1999, 12, 31), date(1, 1, 1)):
        with pytest.raises(ValueError, match=r"due_date .* is outside 2000–2100"):
            check_date(bad, "due_date")
    assert check_date(date(2000, 1, 1), "due_date") == date(2000, 1, 1)
    assert check_date(date(2100, 12, 31), "due_date") == date(2100, 12, 31)
    with pytest.raises(ValueError, match="5000 characters long; at most 64"):
        check_invoice_number("X" * 5000)
    with pytest.raises(ValueError, match="control characters"):
        check_invoice_number("INV\x00-1")
    assert check_invoice_number(" INV-1 ") == "INV-1"


def test_the_ledger_refuses_what_a_door_let_through(session: Session) -> None:
    """upsert_invoice is the last guard: a NaN amount or a 9999 due date raises before anything is written."""
    customer = Customer(name="Acme")
    session.add(customer)
    with pytest.raises(ValueError, match="not a number"):
        ledger.upsert_invoice(session, customer=customer, number="N-1", amount=Decimal("NaN"), currency="USD",
                              issue_date=None, due_date=date(2026, 4, 30))
    with pytest.raises(ValueError, match="outside 2000–2100"):
        ledger.upsert_invoice(session, customer=customer, number="N-2", amount=Decimal(10), currency="USD",
                              issue_date=None, due_date=date(9999, 12, 31))
    assert session.scalar(select(func.count()).select_from(Invoice)) == 0


# --- the doors --------------------------------------------------------------------------------------------

def test_csv_rows_with_impossible_values_get_row_errors(session: Session, tmp_path: Path) -> None:
    """Each impossible value is a row error naming the row and the reason; the good row still goes in."""
    long_number = "N" * 5000
    lines = [HEADER + ",balance",
             "OK-1,Acme,ap@acme.example,100.00,USD,2026-03-01,2026-03-31",
             "BAD-2,Acme,ap@acme.example,100.00,USD,2026-03-01,9999-12-31",
             "BAD-3,Acme,ap@acme.example,NaN,USD,2026-03-01,2026-03-31",
             "BAD-4,Acme,ap@acme.example,Infinity,USD,2026-03-01,2026-03-31",
             "BAD-5,Acme,ap@acme.example,1E+30,USD,2026-03-01,2026-03-31",
             "BAD-6,Acme,ap@acme.example,100,ZZZ,2026-03-01,2026-03-31",
             f"{long_number},Acme,ap@acme.example,100,USD,2026-03-01,2026-03-31",
             "BAD-8,Acme,ap@acme.example,100,USD,1999-03-01,2026-03-31",
             # 27 digits: more than Decimal's 28-digit context holds once rounded to cents (found by a probe)
             "BAD-9,Acme,ap@acme.example,100000000000000000000000000,USD,2026-03-01,2026-03-31",
             "BAD-10,Acme,ap@acme.example,100,USD,2026-03-01,2026-03-31,100000000000000000000000000"]
    path = tmp_path / "odd.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_file(session, path, defaults=ImportDefaults(), now=NOW)
    session.commit()
    reasons = {e.row: e.reason for e in report.errors}
    assert report.created == 1 and set(reasons) == {3, 4, 5, 6, 7, 8, 9, 10, 11}
    assert "too large" in reasons[10] and "balance" in reasons[11] and "too large" in reasons[11]
    assert "outside 2000–2100" in reasons[3] and "issue_date" in reasons[9]
    assert "no amount" in reasons[4] and "no amount" in reasons[5] and "exponent" in reasons[6]
    assert "ISO 4217" in reasons[7] and "at most 64" in reasons[8]
    assert list(session.scalars(select(Invoice.number))) == ["OK-1"]


def _intake_pipeline() -> Pipeline:
    settings = load_settings(intake_address="invoices@acme.example", intake_allowed_senders=["@acme.example"])

    def not_a_reply(mail: object) -> Classification:
        raise AssertionError("an intake mail is not classified as a reply")

    return Pipeline(parse=parse_mail, classify=not_a_reply, verify_token=lambda t: None, reply_localpart="ar",
                    min_confidence=0.5, promise_grace_days=lambda p: 2, route_other=make_router(settings))


@pytest.mark.parametrize(("spec", "words"), [
    (InvoiceSpec(number="UBL-9999", due=date(9999, 12, 31)), "outside 2000–2100"),
    (InvoiceSpec(number="UBL-HUGE", amount_value="1E+30"), "too large"),
    # yen are rounded to whole units: 1E+30 overflowed that rounding and was shunted as an internal error
    (InvoiceSpec(number="UBL-HUGE-JPY", amount_value="1E+30", currency="JPY", sign="¥"), "too large"),
    (InvoiceSpec(number="UBL-ZZZ", currency="ZZZ"), "ISO 4217"),
    (InvoiceSpec(number="U" * 5000), "at most 64"),
])
def test_intake_puts_impossible_invoices_in_front_of_a_person(engine: Engine, spec: InvoiceSpec,
                                                              words: str) -> None:
    """A forwarded UBL with an impossible value opens no case: the mail is processed and its intake review
    item says why."""
    raw = intake_mail([("inv.xml", "application/xml", ubl_xml(spec))])
    with transaction(engine) as s:
        mail_id = store_inbound(s, raw, mailbox="intake")[0].id
    result = process_inbound(engine, mail_id, _intake_pipeline())
    with transaction(engine) as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 0
        summaries = list(s.scalars(select(ReviewItem.summary)))
    assert len(summaries) == 1, (result, summaries)
    assert result.status == "processed" and words in summaries[0]


@pytest.mark.parametrize("amount", ["NaN", "Infinity"])
def test_a_ubl_amount_that_is_not_a_number_reaches_a_person(engine: Engine, amount: str) -> None:
    """NaN or Infinity as a UBL total opens no case and leaves exactly one review item. (The intake reader
    itself still raises on NaN; the shunt puts that mail in front of a person instead of stopping the inbox.)"""
    raw = intake_mail([("inv.xml", "application/xml", ubl_xml(InvoiceSpec(number="UBL-NAN",
                                                                          amount_value=amount)))])
    with transaction(engine) as s:
        mail_id = store_inbound(s, raw, mailbox="intake")[0].id
    result = process_inbound(engine, mail_id, _intake_pipeline())
    with transaction(engine) as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 0
        kinds = list(s.scalars(select(ReviewItem.kind).where(ReviewItem.mail_id == mail_id)))
    assert result.status in {"processed", "failed"} and len(kinds) == 1 and kinds[0] in {"intake", "parse_failed"}


@pytest.mark.parametrize(("action", "fields", "words"), [
    ("adjust_amount", {"amount": "1e500000"}, "not an amount"),
    ("adjust_amount", {"amount": "NaN"}, "not an amount"),
    ("credit_note", {"amount": "Infinity"}, "not an amount"),
    ("adjust_amount", {"amount": "100000000000000"}, "too large"),
    ("offer_settlement", {"amount": "5", "due": "9999-12-31"}, "outside 2000–2100"),
    ("approve_plan", {"instalments": "2026-05-01 1E+30"}, "not an amount"),
    ("attach", {"mail_id": "9" * 5000, "case_id": "1"}, "give the number"),
])
def test_review_form_values_are_refused_with_a_message(session: Session, action: str, fields: dict[str, str],
                                                       words: str) -> None:
    """Decisions read their amounts, dates and ids through the shared checks: a DecisionError to show on the
    form, never an exception the page turns into a 500."""
    with pytest.raises(DecisionError, match=words):
        actions.apply(session, action, {"reason": "because", **fields}, actor="user:rev@example.com", case_id=1)


# --- the tick ---------------------------------------------------------------------------------------------

def _case(session: Session, number: str, due: date) -> int:
    customer = Customer(name=f"Customer {number}", language="en", timezone="UTC", country="US")
    session.add(customer)
    ledger.ensure_contact(session, customer, f"{number.lower()}@customer.example")
    session.flush()
    invoice, _ = ledger.upsert_invoice(session, customer=customer, number=number, amount=Decimal(100),
                                       currency="USD", issue_date=None, due_date=due)
    return ledger.open_case(session, invoice, policy="default", first_action_at=NOW - timedelta(hours=1)).id


def _poison(engine: Engine, case_id: int, **values: object) -> None:
    """Write a value straight into the table, as data stored before the doors checked it would be."""
    with transaction(engine) as s:
        invoice_id = s.scalars(select(Case.invoice_id).where(Case.id == case_id)).one()
        s.execute(update(Invoice).where(Invoice.id == invoice_id).values(**values))


class ExplodingPlanner:
    """Plans a send for every case, except that it raises for the cases it is told to."""

    def __init__(self, explode: set[int]) -> None:
        self.explode = explode

    def prepare(self, session: Session, cases: list[Case]) -> None:
        pass

    def next_step(self, session: Session, case: Case, now: datetime) -> Step:
        if case.id in self.explode:
            raise OverflowError("date value out of range")
        return Step("send", template="reminder_1", stage="reminder_1", send_key=f"case:{case.id}:reminder_1")


def test_a_case_that_fails_to_plan_is_set_aside_once_and_the_rest_is_planned(engine: Engine) -> None:
    """Two of five due cases make the planner raise: the other three are planned in the same tick, each broken
    case gets one review item and a planning_failed event, and a second tick neither re-reads them nor adds
    items."""
    with transaction(engine) as s:
        ids = [_case(s, f"T-{n}", date(2026, 3, 1)) for n in range(5)]
    broken = {ids[1], ids[3]}
    report = tick(engine, ExplodingPlanner(broken), now=NOW)
    assert sorted(report.blocked) == sorted(broken) and len(report.planned) == 3
    again = tick(engine, ExplodingPlanner(broken), now=NOW + timedelta(hours=1))
    assert again.blocked == []
    with transaction(engine) as s:
        items = list(s.scalars(select(ReviewItem.case_id).where(ReviewItem.kind == "escalation")))
        events = list(s.scalars(select(Event.case_id).where(Event.kind == "planning_failed")))
        planned = set(s.scalars(select(Mail.case_id).where(Mail.status == "pending")))
    assert sorted(items) == sorted(broken) and sorted(events) == sorted(broken)
    assert planned == set(ids) - broken


def test_a_stored_9999_due_date_does_not_stop_the_real_ladder(engine: Engine) -> None:
    """With the real ladder planner, an invoice stored with due date 9999-12-31 (before the doors checked it)
    no longer stops the tick: the other due case is planned."""
    with transaction(engine) as s:
        good = _case(s, "G-1", date(2026, 3, 1))
        bad = _case(s, "B-1", date(2026, 3, 1))
    _poison(engine, bad, due_date=date(9999, 12, 31))
    report = tick(engine, LadderPlanner(load_settings()), now=datetime(2026, 4, 1, 14, tzinfo=UTC))
    with transaction(engine) as s:
        planned = set(s.scalars(select(Mail.case_id).where(Mail.direction == "out")))
        good_case = s.get(Case, good)
        assert good_case is not None and good_case.next_action_at is not None
    assert bad not in planned
    assert good in planned or report.waiting >= 1


def test_a_mail_that_cannot_be_composed_fails_once_into_review(engine: Engine) -> None:
    """A compose that raises (a value the template cannot render) marks that mail failed with the reason and
    opens one send_failed review item; the next planned mail is delivered normally."""
    with transaction(engine) as s:
        first, second = _case(s, "C-1", date(2026, 3, 1)), _case(s, "C-2", date(2026, 3, 1))
    report = tick(engine, ExplodingPlanner(set()), now=NOW)

    def compose(session: Session, case: Case, mail: Mail) -> tuple[EmailMessage, str, list[str]]:
        if case.id == first:
            raise OverflowError("cannot format 1E+30")
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "ar@dunmail.example", "ap@x.example", "Reminder"
        msg["Message-ID"] = f"<c{case.id}@dunmail.example>"
        msg.set_content("Please pay.")
        return msg, "ar@dunmail.example", ["ap@x.example"]

    sender = FakeSender()
    outcomes = {o.mail_id: o for o in (deliver(engine, m, sender=sender, compose=compose, now=lambda: NOW)
                                      for m in report.planned)}
    with transaction(engine) as s:
        mails = {m.case_id: m for m in s.scalars(select(Mail).where(Mail.direction == "out"))}
        items = list(s.scalars(select(ReviewItem.case_id).where(ReviewItem.kind == "send_failed")))
        first_case = s.get(Case, first)
        assert first_case is not None and first_case.next_action_at is None
    assert mails[first].status == "failed" and "OverflowError" in (mails[first].error or "")
    assert outcomes[mails[first].id].status == "failed" and mails[second].status == "sent"
    assert items == [first] and len(sender.sent) == 1


def test_dashboard_survives_an_odd_stored_value(engine: Engine) -> None:
    """A due date of 9999-12-31 stored before the doors checked values does not break the dashboard figures,
    and its charts draw for an infinite value too."""
    with transaction(engine) as s:
        case_id = _case(s, "D-1", date(2026, 3, 1))
    _poison(engine, case_id, due_date=date(9999, 12, 31))
    with transaction(engine) as s:
        board = dashboard.build(s, date(2026, 4, 1))
    assert board.open_amount == {"USD": Decimal("100.00")}
    svg = dashboard.bar_chart([("a", float("inf")), ("b", float("nan")), ("c", 5.0)], title="t")
    assert svg.count("<rect") == 3
