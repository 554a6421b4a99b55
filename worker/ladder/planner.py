"""The scheduler's planner: the ladder policy, the customer's business calendar and the case's history
decide the one next step (worker.scheduler.Step) for a due case.

One-off templates come first (promise_missed after a broken promise, payment_not_received after
finance found no payment); a case on a payment plan is reminded per instalment; everything else
follows the policy's stages. Send keys are unique per case and stage (and per instalment or per
occurrence for the one-offs), so the unique index on Mail.send_key makes a double send impossible.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from worker.db.models import Case, Instalment, Mail
from worker.domain import CaseState
from worker.ladder import calendar as cal
from worker.ladder import plan
from worker.ladder.policy import Policy, load_policies, policy_for
from worker.scheduler import Step
from worker.settings import Settings


class LadderPlanner:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.policies = load_policies(settings.policies_dir)
        self._history: dict[int, list[tuple[str, datetime]]] = {}
        self._instalments: dict[int, list[Instalment]] = {}

    # --- what the scheduler calls ---------------------------------------------------------------------
    def promise_grace_days(self, policy_name: str) -> int:
        return self._policy(policy_name, None).promise_grace_days

    def prepare(self, session: Session, cases: list[Case]) -> None:
        ids = [c.id for c in cases]
        history: dict[int, list[tuple[str, datetime]]] = defaultdict(list)
        if ids:
            rows = session.execute(
                select(Mail.case_id, Mail.analysis, Mail.stage, Mail.sent_at)
                .where(Mail.case_id.in_(ids), Mail.direction == "out", Mail.status.in_(["sent", "uncertain"]))
                .order_by(Mail.id)
            )
            for case_id, analysis, stage, sent_at in rows:
                if sent_at is not None:
                    history[case_id].append((str((analysis or {}).get("ladder_stage") or stage), sent_at))
        self._history = dict(history)
        plan_ids = [c.id for c in cases if c.state == CaseState.ON_PLAN]
        instalments: dict[int, list[Instalment]] = defaultdict(list)
        if plan_ids:
            for inst in session.scalars(select(Instalment).where(Instalment.case_id.in_(plan_ids))
                                        .order_by(Instalment.seq)):
                instalments[inst.case_id].append(inst)
        self._instalments = dict(instalments)

    def next_step(self, session: Session, case: Case, now: datetime) -> Step:
        customer = case.customer
        policy = self._policy(case.policy or customer.policy, customer.segment)
        tz = ZoneInfo(customer.timezone)
        calendar = cal.calendar_for(customer.country)
        history = self._history.get(case.id, [])
        if case.paused_until is not None and case.paused_until > now:  # e.g. the customer is out of office
            return Step("wait", at=self._send_moment(case.paused_until, tz, calendar, policy))
        if case.next_template:
            return self._one_off(case, policy, tz, calendar, history, now)
        if case.state == CaseState.ON_PLAN:
            return self._instalment(case, policy, tz, calendar, now)
        return self._ladder(case, policy, tz, calendar, history, now)

    # --- the three kinds of step ----------------------------------------------------------------------
    def _one_off(self, case: Case, policy: Policy, tz: ZoneInfo, calendar: cal.BusinessCalendar,
                 history: list[tuple[str, datetime]], now: datetime) -> Step:
        template = case.next_template or ""
        occurrence = sum(1 for name, _ in history if name == template) + 1
        at = self._send_moment(now, tz, calendar, policy)
        return Step("send", at=at, template=template, stage=template,
                    send_key=f"case:{case.id}:{template}:{occurrence}", reason=f"{template.replace('_', ' ')}")

    def _instalment(self, case: Case, policy: Policy, tz: ZoneInfo, calendar: cal.BusinessCalendar,
                    now: datetime) -> Step:
        open_ = [i for i in self._instalments.get(case.id, []) if not i.paid]
        if not open_:
            return Step("stop", reason="every instalment is paid")
        nxt = open_[0]
        grace = timedelta(days=policy.promise_grace_days)
        due_local = datetime.combine(nxt.due_date, time(0), tz)
        if now >= due_local + grace + timedelta(days=1):
            return Step("escalate", reason=f"instalment {nxt.seq} due {nxt.due_date.isoformat()} was missed")
        remind_from = datetime.combine(nxt.due_date - timedelta(days=policy.instalment_notice_days), time(0), tz)
        if now < remind_from:
            return Step("wait", at=self._send_moment(remind_from, tz, calendar, policy))
        key = f"case:{case.id}:instalment_due:{nxt.seq}"
        if any(name == f"instalment_due:{nxt.seq}" for name, _ in self._history.get(case.id, [])):
            return Step("wait", at=due_local + grace + timedelta(days=1))  # reminded; check it was paid after
        return Step("send", at=self._send_moment(now, tz, calendar, policy), template="instalment_due",
                    stage=f"instalment_due:{nxt.seq}", send_key=key,
                    reason=f"instalment {nxt.seq} of {len(self._instalments.get(case.id, []))} is due "
                           f"{nxt.due_date.isoformat()}")

    def _ladder(self, case: Case, policy: Policy, tz: ZoneInfo, calendar: cal.BusinessCalendar,
                history: list[tuple[str, datetime]], now: datetime) -> Step:
        step = plan.next_step(policy, due_date=case.invoice.due_date, tz=tz, calendar=calendar, sent=history,
                              now=now)
        if step.stage is None:
            return Step("stop", reason=step.reason)
        if step.stage.action == "escalate":
            return Step("escalate", reason=step.reason)
        if step.not_before > now:
            return Step("wait", at=step.not_before)
        return Step("send", at=step.not_before, template=step.stage.template, stage=step.stage.name,
                    send_key=f"case:{case.id}:{step.stage.name}", reason=step.reason,
                    cc_account_owner=step.stage.cc_account_owner)

    # --- helpers --------------------------------------------------------------------------------------
    def _policy(self, name: str | None, segment: str | None) -> Policy:
        return policy_for(name, segment, self.policies, default=self.settings.default_policy)

    def _send_moment(self, earliest: datetime, tz: ZoneInfo, calendar: cal.BusinessCalendar,
                     policy: Policy) -> datetime:
        return cal.next_send_moment(earliest, tz, calendar, policy.send_window)
