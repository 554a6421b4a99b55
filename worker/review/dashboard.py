"""Numbers finance looks at, and small SVG bar charts drawn on the server (no script, no CDN)."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from html import escape

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from worker.db.models import Case, Invoice, Mail

BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")
DSO_WINDOW_DAYS = 90


def bucket(due: date, today: date) -> str:
    late = (today - due).days
    if late <= 0:
        return "current"
    if late <= 30:
        return "1-30"
    if late <= 60:
        return "31-60"
    return "61-90" if late <= 90 else "90+"


@dataclass(frozen=True)
class StageRate:
    stage: str
    sent: int
    replied: int
    paid: int

    def pct(self, n: int) -> float:
        return 100.0 * n / self.sent if self.sent else 0.0


@dataclass(frozen=True)
class Dashboard:
    aging: dict[str, dict[str, Decimal]]  # currency -> bucket -> open amount
    open_amount: dict[str, Decimal]
    states: dict[str, int]
    stages: list[StageRate]
    dso: dict[str, float]  # currency -> days


def build(session: Session, today: date) -> Dashboard:
    open_invoices = session.scalars(select(Invoice).where(Invoice.status == "open", Invoice.balance > 0)).all()
    aging: dict[str, dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(BUCKETS, Decimal("0")))
    for inv in open_invoices:
        if not inv.balance.is_finite():  # stored before the doors checked values: shown nowhere, never a 500
            continue
        aging[inv.currency][bucket(inv.due_date, today)] += inv.balance
    open_amount = {cur: sum(b.values(), Decimal("0")) for cur, b in aging.items()}
    states = dict(session.execute(select(Case.state, func.count()).group_by(Case.state)).all())
    return Dashboard(aging=dict(aging), open_amount=open_amount, states={k: int(v) for k, v in states.items()},
                     stages=stage_rates(session), dso=dso(session, today, open_amount))


def stage_rates(session: Session) -> list[StageRate]:
    """Per ladder stage: reminders sent, how many cases replied after it, how many were paid with it last."""
    sent = session.execute(select(Mail.case_id, Mail.stage, Mail.sent_at).where(
        Mail.direction == "out", Mail.status == "sent", Mail.case_id.is_not(None)))
    replies: dict[int | None, list[datetime]] = defaultdict(list)
    for reply_case, received in session.execute(select(Mail.case_id, Mail.created_at).where(
            Mail.direction == "in", Mail.case_id.is_not(None))):
        replies[reply_case].append(received)
    paid_last: dict[int | None, str | None] = dict(
        session.execute(select(Case.id, Case.last_stage).where(Case.state == "paid")).all())
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for case_id, stage, at in sent:
        row = tally[stage or "?"]
        row[0] += 1
        row[1] += any(at is not None and r >= at for r in replies.get(case_id, []))
        row[2] += paid_last.get(case_id) == stage
    return [StageRate(stage, *counts) for stage, counts in sorted(tally.items())]


def dso(session: Session, today: date, open_amount: dict[str, Decimal]) -> dict[str, float]:
    """Days sales outstanding per currency: open receivables / invoiced in the window × window days."""
    since = today - timedelta(days=DSO_WINDOW_DAYS)
    billed = dict(session.execute(select(Invoice.currency, func.sum(Invoice.amount))
                                  .where(Invoice.issue_date >= since).group_by(Invoice.currency)).all())
    out = {}
    for cur, amount in open_amount.items():
        total = Decimal(billed.get(cur) or 0)
        if total.is_finite() and total > 0:
            out[cur] = round(float(amount / total) * DSO_WINDOW_DAYS, 1)
    return out


def bar_chart(values: list[tuple[str, float]], *, title: str, unit: str = "", width: int = 420) -> str:
    """A horizontal bar chart as inline SVG; labels escaped, so any text is safe in it."""
    bar_h, gap, label_w = 22, 8, 110
    values = [(label, value if math.isfinite(value) else 0.0) for label, value in values]
    height = len(values) * (bar_h + gap) + 30
    top = max((v for _, v in values), default=0) or 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for n, (label, value) in enumerate(values):
        y = 24 + n * (bar_h + gap)
        w = int((width - label_w - 90) * value / top)
        parts.append(f'<text x="0" y="{y + 15}" font-size="13">{escape(label)}</text>'
                     f'<rect x="{label_w}" y="{y}" width="{max(w, 1)}" height="{bar_h}" fill="#2f6fb1"/>'
                     f'<text x="{label_w + w + 6}" y="{y + 15}" font-size="13">{value:,.0f}{escape(unit)}</text>')
    parts.append(f'<text x="0" y="14" font-size="14" font-weight="bold">{escape(title)}</text></svg>')
    return "".join(parts)
