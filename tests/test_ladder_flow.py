"""The ladder end to end through the scheduler: ticking day by day sends each stage once, on business days,
in order, with the minimum gap, then escalates; a promise pauses it and a broken promise resumes it."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from worker import ledger
from worker.db.engine import transaction
from worker.db.models import Case, Customer, Mail
from worker.domain import CaseState
from worker.ladder.calendar import BusinessCalendar
from worker.ladder.planner import LadderPlanner
from worker.outbound.deliver import deliver
from worker.outbound.smtp import FakeSender
from worker.scheduler import tick
from worker.settings import load_settings

TOKYO = ZoneInfo("Asia/Tokyo")


def _compose(session: Session, case: Case, mail: Mail) -> tuple[EmailMessage, str, list[str]]:
    msg = EmailMessage()
    msg["Subject"], msg["From"], msg["To"] = f"{mail.stage}", "billing@dunmail.example", "keiri@kita.example"
    msg["Message-ID"] = f"<{mail.send_key}@dunmail.example>"
    msg.set_content("x")
    return msg, "billing@dunmail.example", ["keiri@kita.example"]


def _case(engine: Engine, due: date, first_look: datetime = datetime(2026, 3, 1, tzinfo=UTC)) -> int:
    with transaction(engine) as s:
        c = Customer(name="北山商事", language="ja", timezone="Asia/Tokyo", country="JP")
        s.add(c)
        ledger.ensure_contact(s, c, "keiri@kita.example")
        s.flush()
        inv, _ = ledger.upsert_invoice(s, customer=c, number="JP-1", amount=Decimal(110000), currency="JPY",
                                       issue_date=None, due_date=due)
        return ledger.open_case(s, inv, policy="default", first_action_at=first_look).id


def _run(engine: Engine, start: datetime, days: int, sender: FakeSender) -> list[tuple[str, datetime]]:
    planner = LadderPlanner(load_settings())
    sent: list[tuple[str, datetime]] = []
    now = start
    for _ in range(days * 4):  # four ticks a day
        report = tick(engine, planner, now=now)
        for mail_id in report.planned:
            moment = now
            if deliver(engine, mail_id, sender=sender, compose=_compose, now=lambda m=moment: m).status == "sent":
                sent.append((str(sender.sent[-1][2]["Subject"]), now))
        now += timedelta(hours=6)
    return sent


def test_the_whole_ladder_in_tokyo(engine: Engine) -> None:
    """Due 30 April 2026 (Golden Week follows): courtesy, reminders 1–3 and the final notice go out once each,
    on Japanese business days in the window, at least 7 days apart, then the case escalates."""
    case_id = _case(engine, date(2026, 4, 30))
    sent = _run(engine, datetime(2026, 4, 1, tzinfo=UTC), 70, FakeSender())
    assert [s for s, _ in sent] == ["courtesy", "reminder_1", "reminder_2", "reminder_3", "final_notice"]
    jp = BusinessCalendar("JP")
    for _, at in sent:
        local = at.astimezone(TOKYO)
        assert jp.is_business_day(local.date()) and 9 <= local.hour < 17
    gaps = [b - a for (_, a), (_, b) in itertools.pairwise(sent)]
    assert min(gaps) >= timedelta(days=7)
    # 7 days after the courtesy note is 4 May, in Golden Week: the next business day is 7 May
    assert sent[1][1].astimezone(TOKYO).date() == date(2026, 5, 7)
    with transaction(engine) as s:
        assert s.get(Case, case_id).state == CaseState.ESCALATED  # type: ignore[union-attr]
        assert len(s.scalars(select(Mail).where(Mail.status == "sent")).all()) == 5


def test_promise_pauses_then_a_broken_promise_resumes(engine: Engine) -> None:
    """A promise after reminder_1 stops the ladder until the date + grace; then 'promise_missed' goes out once."""
    case_id = _case(engine, date(2026, 3, 2))
    sender = FakeSender()
    first = _run(engine, datetime(2026, 3, 3, tzinfo=UTC), 2, sender)
    assert [s for s, _ in first] == ["reminder_1"]
    with transaction(engine) as s:
        case = ledger.get_case(s, case_id)
        case.promised_date = date(2026, 3, 20)
        ledger.transition(s, case, CaseState.PROMISED, actor="customer", reason="will pay by the 20th",
                          next_action_at=datetime(2026, 3, 22, tzinfo=UTC))
    later = _run(engine, datetime(2026, 3, 5, tzinfo=UTC), 20, sender)
    assert [s for s, _ in later] == ["promise_missed"]
    assert later[0][1] >= datetime(2026, 3, 22, tzinfo=UTC)


def test_consolidated_notice_carries_a_customers_due_reminders(engine: Engine) -> None:
    """With consolidation on, three invoices of one customer due together go as ONE mail listing all three;
    each case still records its stage once, and the next stage again goes as one notice."""
    from worker.db.models import Invoice

    with transaction(engine) as s:
        c = Customer(name="Acme", language="en", timezone="Europe/London", country="GB")
        s.add(c)
        ledger.ensure_contact(s, c, "ap@acme.example")
        s.flush()
        for n in range(3):
            inv, _ = ledger.upsert_invoice(s, customer=c, number=f"A-{n}", amount=Decimal(100), currency="GBP",
                                           issue_date=None, due_date=date(2026, 3, 2))
            ledger.open_case(s, inv, policy="default", first_action_at=datetime(2026, 3, 1, tzinfo=UTC))
    planner = LadderPlanner(load_settings())
    sender = FakeSender()
    now = datetime(2026, 3, 3, 10, tzinfo=UTC)
    for _ in range(2):
        for mail_id in tick(engine, planner, now=now, consolidate=True).planned:
            deliver(engine, mail_id, sender=sender, compose=_compose, now=lambda n=now: n)
        now += timedelta(days=10)  # reminder_2 is due 10 days after the due date
    assert [str(m["Subject"]) for _, _, m in sender.sent] == ["consolidated", "consolidated"]
    with transaction(engine) as s:
        assert {c.reminders_sent for c in s.scalars(select(Case))} == {2}
        statuses = sorted(s.scalars(select(Mail.status)))
        assert statuses == ["sent"] * 6  # two carriers + four covered, each (case, stage) exactly once
        assert len(s.scalars(select(Invoice)).all()) == 3


def test_a_cancelled_consolidated_notice_releases_the_other_reminders(engine: Engine) -> None:
    """If the carrying case is disputed before the notice goes out, the other cases' reminders are not lost:
    they go out on their own at the next tick."""
    with transaction(engine) as s:
        c = Customer(name="Acme", language="en", timezone="Europe/London", country="GB")
        s.add(c)
        ledger.ensure_contact(s, c, "ap@acme.example")
        s.flush()
        ids = []
        for n in range(3):
            inv, _ = ledger.upsert_invoice(s, customer=c, number=f"B-{n}", amount=Decimal(100), currency="GBP",
                                           issue_date=None, due_date=date(2026, 3, 2))
            ids.append(ledger.open_case(s, inv, policy="default",
                                        first_action_at=datetime(2026, 3, 1, tzinfo=UTC)).id)
    planner = LadderPlanner(load_settings())
    now = datetime(2026, 3, 3, 10, tzinfo=UTC)
    (carrier,) = tick(engine, planner, now=now, consolidate=True).planned
    with transaction(engine) as s:
        owner = s.get(Mail, carrier).case_id  # type: ignore[union-attr]
        ledger.transition(s, ledger.get_case(s, owner), CaseState.DISPUTED, actor="customer", reason="broken")
    sender = FakeSender()
    assert deliver(engine, carrier, sender=sender, compose=_compose).status == "cancelled"
    later = now + timedelta(minutes=20)
    for mail_id in tick(engine, planner, now=later, consolidate=True).planned:
        deliver(engine, mail_id, sender=sender, compose=_compose, now=lambda: later)
    assert sorted(str(m["Subject"]) for _, _, m in sender.sent) == ["reminder_1", "reminder_1"]


def test_instalments_are_reminded_as_many_days_ahead_as_the_policy_says(engine: Engine, tmp_path: Path) -> None:
    """instalment_notice_days in the policy sets how early each instalment is reminded (default 3)."""
    from worker.db.models import Instalment

    policy = (Path(__file__).resolve().parents[1] / "config" / "policies" / "default.toml").read_text()
    (tmp_path / "default.toml").write_text(policy.replace("instalment_notice_days = 3", "instalment_notice_days = 7"))
    case_id = _case(engine, due=date(2026, 3, 31))
    with transaction(engine) as s:
        case = s.get(Case, case_id)
        assert case is not None
        ledger.transition(s, case, CaseState.PLAN_REQUESTED, actor=ledger.SYSTEM, reason="asked for a plan")
        ledger.transition(s, case, CaseState.ON_PLAN, actor=ledger.SYSTEM, reason="plan approved")
        s.add(Instalment(case_id=case_id, seq=1, amount=Decimal(500), due_date=date(2026, 6, 15)))
    for policies_dir, notice_day in ((tmp_path, date(2026, 6, 8)), (None, date(2026, 6, 12))):
        settings = load_settings(**({"policies_dir": policies_dir} if policies_dir else {}))
        planner = LadderPlanner(settings)
        with transaction(engine) as s:
            case = s.get(Case, case_id)
            assert case is not None
            planner.prepare(s, [case])
            step = planner.next_step(s, case, datetime(2026, 6, 1, tzinfo=UTC))
        assert step.kind == "wait" and step.at is not None
        assert step.at.astimezone(TOKYO).date() == notice_day  # 8 June (Mon) / 12 June (Fri): business days
