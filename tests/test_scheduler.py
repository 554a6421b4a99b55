"""The tick: only due cases, one step each, dry-run writes nothing, promises and zero balances handled."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from worker import ledger
from worker.db.engine import transaction
from worker.db.models import Case, Customer, Mail, ReviewItem
from worker.domain import CaseState
from worker.scheduler import Step, tick

NOW = datetime(2026, 4, 1, 9, tzinfo=UTC)


class ScriptedPlanner:
    """Sends stage `reminder_1` unless told otherwise; records which cases it was asked about."""

    def __init__(self, step: Step | None = None) -> None:
        self.step = step
        self.asked: list[int] = []

    def prepare(self, session: Session, cases: list[Case]) -> None:
        pass

    def next_step(self, session: Session, case: Case, now: datetime) -> Step:
        self.asked.append(case.id)
        template = case.next_template or "reminder_1"
        return self.step or Step("send", template=template, stage=template, send_key=f"case:{case.id}:{template}")


def _cases(engine: Engine, due: int, later: int = 0) -> list[int]:
    ids = []
    with transaction(engine) as s:
        c = Customer(name="Acme", language="en", timezone="UTC", country="US")
        s.add(c)
        s.flush()
        for n in range(due + later):
            inv, _ = ledger.upsert_invoice(s, customer=c, number=f"I-{n}", amount=Decimal(10), currency="USD",
                                           issue_date=None, due_date=date(2026, 3, 1))
            when = NOW - timedelta(hours=1) if n < due else NOW + timedelta(days=3)
            ids.append(ledger.open_case(s, inv, policy="default", first_action_at=when).id)
    return ids


def _planned(engine: Engine) -> int:
    with transaction(engine) as s:
        return int(s.scalar(select(func.count()).select_from(Mail).where(Mail.status == "pending")) or 0)


def test_only_due_cases_are_planned(engine: Engine) -> None:
    """Cases whose next action lies in the future are not even read."""
    ids = _cases(engine, due=3, later=4)
    planner = ScriptedPlanner()
    report = tick(engine, planner, now=NOW)
    assert sorted(planner.asked) == ids[:3] and len(report.planned) == 3 and _planned(engine) == 3


def test_dry_run_writes_nothing_and_reports_what_it_would_send(engine: Engine) -> None:
    """--dry-run lists the sends and leaves the database untouched."""
    _cases(engine, due=2)
    report = tick(engine, ScriptedPlanner(), now=NOW, dry_run=True)
    assert [p["template"] for p in report.previews] == ["reminder_1", "reminder_1"]
    assert _planned(engine) == 0
    assert len(tick(engine, ScriptedPlanner(), now=NOW).planned) == 2  # still due afterwards


def test_a_queued_mail_is_reenqueued_not_planned_again(engine: Engine) -> None:
    """A case whose reminder is still pending (broker lost it) gets the same mail again, not a second one."""
    _cases(engine, due=1)
    first = tick(engine, ScriptedPlanner(), now=NOW)
    second = tick(engine, ScriptedPlanner(), now=NOW + timedelta(hours=1))
    assert first.planned == second.planned and _planned(engine) == 1


def test_broken_promise_resumes_with_promise_missed(engine: Engine) -> None:
    """When a promised case comes due, it goes back to active and the next mail is 'promise_missed'."""
    (case_id,) = _cases(engine, due=1)
    with transaction(engine) as s:
        case = ledger.get_case(s, case_id)
        case.promised_date = date(2026, 3, 28)
        ledger.transition(s, case, CaseState.PROMISED, actor="customer", reason="will pay",
                          next_action_at=NOW - timedelta(minutes=1))
    tick(engine, ScriptedPlanner(), now=NOW)
    with transaction(engine) as s:
        assert s.get(Case, case_id).state == "active"  # type: ignore[union-attr]
        assert s.scalars(select(Mail.stage)).one() == "promise_missed"


def test_zero_balance_stops_the_case(engine: Engine) -> None:
    """A case whose invoice was paid in full is closed as paid instead of reminded."""
    (case_id,) = _cases(engine, due=1)
    with transaction(engine) as s:
        s.get(Case, case_id).invoice.balance = Decimal(0)  # type: ignore[union-attr]
    report = tick(engine, ScriptedPlanner(), now=NOW)
    assert report.stopped == [case_id] and _planned(engine) == 0


def test_escalation_hands_the_case_to_a_person(engine: Engine) -> None:
    """An escalate step moves the case to escalated and opens an escalation review."""
    (case_id,) = _cases(engine, due=1)
    tick(engine, ScriptedPlanner(Step("escalate", reason="final notice passed")), now=NOW)
    with transaction(engine) as s:
        assert s.get(Case, case_id).state == "escalated"  # type: ignore[union-attr]
        assert s.scalars(select(ReviewItem.kind)).one() == "escalation"


def test_wait_step_reschedules(engine: Engine) -> None:
    """A wait step moves next_action_at to the planner's moment and sends nothing."""
    (case_id,) = _cases(engine, due=1)
    at = NOW + timedelta(days=2)
    tick(engine, ScriptedPlanner(Step("wait", at=at)), now=NOW)
    with transaction(engine) as s:
        assert s.get(Case, case_id).next_action_at == at  # type: ignore[union-attr]
    assert _planned(engine) == 0


def test_a_case_that_cannot_be_planned_goes_to_a_person_and_the_tick_goes_on(engine: Engine) -> None:
    """A customer whose region has no holiday calendar (written before import checked it) does not stop the
    other customers' reminders: that case goes to review once and is looked at again the next day."""
    from worker.ladder.planner import LadderPlanner
    from worker.settings import load_settings

    ids = _cases(engine, due=2)
    with transaction(engine) as s:
        stranded = Customer(name="Brasil Ltda", language="en", timezone="America/Sao_Paulo", country="BR")
        s.add(stranded)
        s.flush()
        inv, _ = ledger.upsert_invoice(s, customer=stranded, number="BR-1", amount=Decimal(10), currency="USD",
                                       issue_date=None, due_date=date(2026, 3, 1))
        blocked_id = ledger.open_case(s, inv, policy="default", first_action_at=NOW - timedelta(hours=1)).id
    planner = LadderPlanner(load_settings())
    report = tick(engine, planner, now=NOW)
    assert report.blocked == [blocked_id] and _planned(engine) == len(ids)
    again = tick(engine, planner, now=NOW + timedelta(hours=2))  # not due again before tomorrow
    assert again.blocked == []
    tick(engine, planner, now=NOW + timedelta(days=1, hours=1))
    with transaction(engine) as s:
        items = s.scalars(select(ReviewItem).where(ReviewItem.case_id == blocked_id)).all()
        assert len(items) == 1 and "BR" in items[0].summary
