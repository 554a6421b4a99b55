"""The next rung of the ladder for one case: a pure function of the policy, the dates and the history.

Rules, in order:
  * max_reminders sent already → escalate;
  * the ladder never goes back: only stages after the last one sent are candidates;
  * catch-up after downtime sends ONE step, the latest stage whose date has come (earlier missed ones
    are skipped, never sent in a burst) — except that a case is never escalated before a notice: if
    the latest due stage is an escalation and the mail stage before it was not sent, that mail goes first;
  * never sooner than min_days_between after the last reminder;
  * always on a business day inside the send window, in the customer's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from worker.ladder.calendar import BusinessCalendar, next_send_moment
from worker.ladder.policy import Policy, Stage

ESCALATE = Stage(name="escalation", offset_days=0, template=None, action="escalate")


@dataclass(frozen=True)
class NextStep:
    stage: Stage | None  # None: the ladder has nothing more to do
    not_before: datetime  # UTC; aligned to a business day and the send window
    reason: str


def stage_date(stage: Stage, due: date) -> date:
    return due + timedelta(days=stage.offset_days)


def next_step(policy: Policy, *, due_date: date, tz: ZoneInfo, calendar: BusinessCalendar,
              sent: list[tuple[str, datetime]], now: datetime) -> NextStep:
    last_sent = max((at for _, at in sent), default=None)
    if len(sent) >= policy.max_reminders:
        return NextStep(_escalation(policy), now, f"{len(sent)} reminders sent (the most this policy allows)")
    names = [s.name for s in policy.stages]
    done = [names.index(n) for n, _ in sent if n in names]
    remaining = list(policy.stages[max(done, default=-1) + 1:])
    if not remaining:
        return NextStep(None, now, "every stage of the ladder has been sent")
    today = now.astimezone(tz).date()
    due_now = [s for s in remaining if stage_date(s, due_date) <= today]
    stage = _catch_up(policy, due_now, {n for n, _ in sent}) if due_now else remaining[0]
    earliest = datetime.combine(stage_date(stage, due_date), policy.send_window.start, tz)
    if last_sent is not None:
        earliest = max(earliest, last_sent + timedelta(days=policy.min_days_between))
    earliest = max(earliest, now)
    reason = f"{stage.name}: due {due_date.isoformat()}, {stage.offset_days:+d} days"
    if len(due_now) > 1:
        reason += f" (caught up past {', '.join(s.name for s in due_now if s is not stage)})"
    if stage.action == "escalate":
        return NextStep(stage, earliest, reason)
    return NextStep(stage, next_send_moment(earliest, tz, calendar, policy.send_window), reason)


def _catch_up(policy: Policy, due_now: list[Stage], sent_names: set[str]) -> Stage:
    latest = due_now[-1]
    if latest.action != "escalate":
        return latest
    before = [s for s in policy.stages[: policy.stages.index(latest)] if s.action == "send"]
    if before and before[-1].name not in sent_names:
        return before[-1]  # the final notice goes out before anyone escalates
    return latest


def _escalation(policy: Policy) -> Stage:
    return next((s for s in policy.stages if s.action == "escalate"), ESCALATE)
