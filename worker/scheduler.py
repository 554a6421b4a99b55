"""The scheduler's tick: find the cases whose next action has come, and plan one step for each.

Cost grows with the number of due cases, not open ones: only rows with next_action_at <= now are
read (an index), a batch at a time, locked with SKIP LOCKED so several workers can tick at once.
For each due case the planner says what to do now — send a stage, wait until a moment, escalate,
or stop. A send becomes a pending outbound Mail row (unique per case+stage) and the case is
re-checked after an in-flight timeout; delivery (worker.outbound.deliver) sends it exactly once.
Everything is derived from the database again on every tick: losing the broker loses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

import structlog
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, selectinload

from worker import ledger
from worker.db.engine import session_factory
from worker.db.models import Case, Mail
from worker.domain import CaseState, ReviewKind
from worker.errors import ConfigError
from worker.outbound.deliver import sweep_stuck_sends

log = structlog.get_logger(__name__)

IN_FLIGHT = timedelta(minutes=15)  # when to look again at a case whose mail is queued
BLOCKED_RETRY = timedelta(days=1)  # when to look again at a case that could not be planned


@dataclass(frozen=True)
class Step:
    kind: str  # send, wait, escalate, stop
    at: datetime | None = None  # for wait: when to look again; for send: the aligned send moment
    template: str | None = None
    stage: str | None = None  # the ladder stage name (history key)
    send_key: str | None = None
    reason: str = ""
    cc_account_owner: bool = False  # loop the customer's account owner in on this mail


class Planner(Protocol):
    def prepare(self, session: Session, cases: list[Case]) -> None:
        """Bulk-load what next_step needs for these cases (one query per batch, not per case)."""

    def next_step(self, session: Session, case: Case, now: datetime) -> Step: ...


@dataclass
class TickReport:
    planned: list[int] = field(default_factory=list)  # outbound Mail ids to deliver
    waiting: int = 0
    escalated: list[int] = field(default_factory=list)
    stopped: list[int] = field(default_factory=list)
    uncertain: list[int] = field(default_factory=list)
    blocked: list[int] = field(default_factory=list)  # cases that cannot be planned until a person fixes them
    previews: list[dict[str, object]] = field(default_factory=list)  # for --dry-run


def due_cases(session: Session, now: datetime, limit: int) -> list[Case]:
    """The due cases, locked (SKIP LOCKED: another worker's batch is left to it), with invoice and customer."""
    stmt = (
        select(Case)
        .where(Case.next_action_at <= now)
        .order_by(Case.next_action_at)
        .limit(limit)
        .with_for_update(of=Case, skip_locked=True)
    )
    cases = list(session.scalars(stmt))
    if cases:  # load invoices and customers in two queries instead of two per case
        ids = [c.id for c in cases]
        session.scalars(select(Case).where(Case.id.in_(ids)).options(selectinload(Case.invoice),
                                                                     selectinload(Case.customer))).all()
    return cases


def _queued_mails(session: Session, case_ids: list[int]) -> dict[int, Mail]:
    rows = session.scalars(
        select(Mail).where(Mail.case_id.in_(case_ids), Mail.direction == "out",
                           Mail.status.in_(["pending", "sending", "covered"]))
    )
    return {m.case_id: m for m in rows if m.case_id is not None}


MAX_BROKEN_PER_TICK = 20  # cases that fail to plan in one tick before the rest waits for the next tick


class _CaseFailed(Exception):
    def __init__(self, case_id: int, reason: str) -> None:
        super().__init__(reason)
        self.case_id, self.reason = case_id, reason


def tick(engine: Engine, planner: Planner, *, now: datetime, batch: int = 500, dry_run: bool = False,
         stuck_after: timedelta = timedelta(minutes=10), consolidate: bool = False) -> TickReport:
    """One scheduling pass. With dry_run nothing is written; the report lists what would be sent.

    A case that fails to plan (any exception: a value no door should have let in, a planner bug) does not
    stop the tick: the batch is rolled back, that case is set aside — in its own transaction, with one review
    item, looked at again daily — and the batch is planned again without it."""
    broken: dict[int, str] = {}
    blocked: list[int] = []
    while True:
        try:
            report = _tick_once(engine, planner, now=now, batch=batch, dry_run=dry_run, stuck_after=stuck_after,
                                consolidate=consolidate, broken=broken)
        except _CaseFailed as failed:
            broken[failed.case_id] = failed.reason
            if not dry_run:
                _set_aside(engine, failed.case_id, failed.reason, now)
                blocked.append(failed.case_id)
            if len(broken) >= MAX_BROKEN_PER_TICK:
                log.error("tick_gave_up", broken=len(broken))
                return TickReport(blocked=blocked)
            continue
        report.blocked[:0] = blocked
        return report


def _tick_once(engine: Engine, planner: Planner, *, now: datetime, batch: int, dry_run: bool,
               stuck_after: timedelta, consolidate: bool, broken: dict[int, str]) -> TickReport:
    report = TickReport()
    with session_factory(engine)() as session:
        if not dry_run:
            report.uncertain = sweep_stuck_sends(session, now=now, older_than=stuck_after)
        cases = [c for c in due_cases(session, now, batch) if c.id not in broken]
        ids = [c.id for c in cases]
        queued = _queued_mails(session, ids) if cases else {}
        batch_state = _Batch(used_keys=_used_send_keys(session, ids) if cases else set())
        planner.prepare(session, cases)
        with session.no_autoflush:  # one flush for the batch, not one before every query
            for case in cases:
                structlog.contextvars.bind_contextvars(case_id=case.id)
                try:
                    _plan_case(session, case, planner, now, report, dry_run, queued.get(case.id), batch_state)
                except ConfigError as exc:  # this case's data or policy, not the tick: the others go on
                    _blocked(session, case, exc, now, report)
                except Exception as exc:  # anything else may have half-changed the session: start the batch again
                    log.error("case_plan_failed", case_id=case.id, error=type(exc).__name__)
                    session.rollback()
                    raise _CaseFailed(case.id, f"{type(exc).__name__}: {str(exc)[:300]}") from exc
                finally:
                    structlog.contextvars.unbind_contextvars("case_id")
        session.flush()
        carriers = _consolidate(batch_state.new_mails) if consolidate else batch_state.new_mails
        report.planned.extend(m.id for m in carriers)
        for mail in batch_state.new_mails:
            log.info("reminder_planned", case_id=mail.case_id, mail_id=mail.id, template=mail.stage)
        if dry_run:
            session.rollback()
        else:
            session.commit()
    return report


def _set_aside(engine: Engine, case_id: int, reason: str, now: datetime) -> None:
    """A case that broke the tick: one review item (not one per tick), and no look again until tomorrow."""
    with session_factory(engine).begin() as session:
        case = session.get(Case, case_id, with_for_update=True)
        if case is None:
            return
        ledger.open_review(session, ReviewKind.ESCALATION, case=case,
                           summary=f"Reminders cannot be planned for this case ({reason}). Correct its invoice "
                                   "or customer; dunmail tries again daily.")
        ledger.record_event(session, case, "planning_failed", actor=ledger.SYSTEM, reason=reason)
        case.next_action_at = now + BLOCKED_RETRY


LADDER_TEMPLATES = frozenset({"courtesy", "reminder_1", "reminder_2", "reminder_3", "final_notice"})


def _consolidate(mails: list[Mail]) -> list[Mail]:
    """One notice per customer: when a customer has several ladder reminders in this batch, the first carries
    them all (template 'consolidated') and the others wait as 'covered' — each keeps its own send key, so a
    (case, stage) is still sent at most once, and delivery settles them together (worker.outbound.deliver)."""
    by_customer: dict[int, list[Mail]] = {}
    carriers: list[Mail] = []
    for mail in mails:
        customer_id = mail.case.customer_id if mail.case is not None else None
        if customer_id is None or mail.stage not in LADDER_TEMPLATES:
            carriers.append(mail)
        else:
            by_customer.setdefault(customer_id, []).append(mail)
    for group in by_customer.values():
        carrier, covered = group[0], group[1:]
        carriers.append(carrier)
        if covered:
            carrier.stage = "consolidated"
            carrier.analysis = {**carrier.analysis, "covers": [m.id for m in covered]}
            for mail in covered:
                mail.status = "covered"
                mail.analysis = {**mail.analysis, "carried_by": carrier.id}
    return carriers


@dataclass
class _Batch:
    used_keys: set[str]  # send keys already planned for these cases (any status): never twice
    new_mails: list[Mail] = field(default_factory=list)


def _used_send_keys(session: Session, case_ids: list[int]) -> set[str]:
    return set(session.scalars(select(Mail.send_key).where(Mail.case_id.in_(case_ids), Mail.send_key.is_not(None))))


def _plan_case(session: Session, case: Case, planner: Planner, now: datetime, report: TickReport,
               dry_run: bool, queued: Mail | None, batch: _Batch) -> None:
    if queued is not None:  # already planned: make sure it is (re-)enqueued, look again later
        if queued.status == "pending":
            report.planned.append(queued.id)
        case.next_action_at = now + IN_FLIGHT
        return
    if case.invoice.balance <= 0 and CaseState(case.state).is_open:
        ledger.transition(session, case, CaseState.PAID, actor=ledger.SYSTEM, reason="balance is zero")
        report.stopped.append(case.id)
        return
    if case.state == CaseState.PROMISED and case.promised_date is not None:
        case.next_template = "promise_missed"
        ledger.transition(session, case, CaseState.ACTIVE, actor=ledger.SYSTEM,
                          reason=f"promised payment by {case.promised_date.isoformat()} has not arrived")
    step = planner.next_step(session, case, now)
    if step.kind == "wait":
        case.next_action_at = step.at
        report.waiting += 1
    elif step.kind == "send":
        _plan_send(session, case, step, now, report, dry_run, batch)
    elif step.kind == "escalate":
        ledger.transition(session, case, CaseState.ESCALATED, actor=ledger.SYSTEM, reason=step.reason)
        ledger.open_review(session, ReviewKind.ESCALATION, case=case, summary=step.reason)
        report.escalated.append(case.id)
    elif step.kind == "stop":
        case.next_action_at = None
        report.stopped.append(case.id)
    else:
        raise ValueError(f"planner returned an unknown step kind {step.kind!r}")


def _blocked(session: Session, case: Case, exc: ConfigError, now: datetime, report: TickReport) -> None:
    """A case whose reminders cannot be planned (a customer region without a calendar, say) goes in front of a
    person once, and is looked at again daily instead of failing every tick."""
    log.error("case_cannot_be_planned", case_id=case.id, error=str(exc))
    ledger.open_review(session, ReviewKind.ESCALATION, case=case,
                       summary=f"Reminders cannot be planned: {exc}. Correct the customer (or policy); "
                               "dunmail tries again daily.")
    case.next_action_at = now + BLOCKED_RETRY
    report.blocked.append(case.id)


def _plan_send(session: Session, case: Case, step: Step, now: datetime, report: TickReport, dry_run: bool,
               batch: _Batch) -> None:
    assert step.send_key and step.template and step.stage
    if step.at is not None and step.at > now:
        case.next_action_at = step.at
        report.waiting += 1
        return
    if step.send_key in batch.used_keys:
        # Planned before (and sent, cancelled or failed): never twice. The planner should have known.
        log.warning("send_key_reused", send_key=step.send_key)
        case.next_action_at = None
        return
    batch.used_keys.add(step.send_key)
    mail = Mail(case_id=case.id, direction="out", status="pending", send_key=step.send_key, stage=step.template,
                analysis={"ladder_stage": step.stage, "reason": step.reason, "cc_account_owner": step.cc_account_owner},
                created_at=now)
    session.add(mail)
    batch.new_mails.append(mail)
    case.next_action_at = now + IN_FLIGHT
    if dry_run:
        report.previews.append({"case_id": case.id, "invoice": case.invoice.number, "customer": case.customer.name,
                                "template": step.template, "stage": step.stage, "reason": step.reason})
