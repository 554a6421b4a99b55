"""One table from a decision's name to the function that makes it, read from plain form fields.

The web form and `dunmail review decide` both send {name: text} fields; parsing lives here once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from worker.domain import Intent
from worker.money import parse_form_amount
from worker.review import decisions as d
from worker.review.decisions import DecisionError
from worker.validation import check_date

Fields = Mapping[str, str]


def _money(fields: Fields, key: str) -> Decimal:
    """An amount from a form field, through the same checks as every door (no NaN, no 1e500000, no 1E+30)."""
    try:
        return parse_form_amount(fields.get(key, ""), field=key)
    except ValueError as exc:
        raise DecisionError(str(exc)) from None


def _date(fields: Fields, key: str) -> date:
    text = fields.get(key, "").strip()
    try:
        value = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        value = None
    if value is None:
        raise DecisionError(f"{key}: give a date as YYYY-MM-DD")
    try:
        return check_date(value, key)
    except ValueError as exc:
        raise DecisionError(str(exc)) from None


def instalments(text: str) -> list[tuple[Decimal, date]]:
    """Lines of 'YYYY-MM-DD AMOUNT' (or 'AMOUNT YYYY-MM-DD'), one instalment each."""
    out = []
    for line in text.replace(";", "\n").splitlines():
        parts = line.replace(",", " ").split()
        if not parts:
            continue
        if len(parts) != 2:
            raise DecisionError(f"instalment {line.strip()!r}: write 'YYYY-MM-DD AMOUNT'")
        first, second = parts if "-" in parts[0] else parts[::-1]
        out.append((_money({"amount": second}, "amount"), _date({"due": first}, "due")))
    return out


def _id(fields: Fields, key: str, default: int | None) -> int:
    text = fields.get(key, "").strip()
    if not text and default is not None:
        return default
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise DecisionError(f"{key}: give the number shown on the page")
    return int(text)


def _case_id(item_case: int | None) -> int:
    if item_case is None:
        raise DecisionError("this item has no case: attach its mail to a case first")
    return item_case


Action = Callable[[Session, d.ReviewItem | None, int | None, Fields, str], object]


def _r(fields: Fields) -> str:
    return fields.get("reason", "")


ACTIONS: dict[str, Action] = {
    "resume": lambda s, i, c, f, a: d.resume_chasing(s, _case_id(c), actor=a, reason=_r(f), item=i),
    "adjust_amount": lambda s, i, c, f, a: d.adjust_amount(
        s, _case_id(c), _money(f, "amount"), actor=a, reason=_r(f), item=i),
    "credit_note": lambda s, i, c, f, a: d.record_credit_note(
        s, _case_id(c), _money(f, "amount"), actor=a, reason=_r(f), reference=f.get("reference", ""), item=i),
    "write_off": lambda s, i, c, f, a: d.write_off(s, _case_id(c), actor=a, reason=_r(f), item=i),
    "offer_settlement": lambda s, i, c, f, a: d.offer_settlement(
        s, _case_id(c), _money(f, "amount"), _date(f, "due"), actor=a, reason=_r(f), item=i),
    "approve_plan": lambda s, i, c, f, a: d.approve_plan(
        s, _case_id(c), instalments(f.get("instalments", "")), actor=a, reason=_r(f), item=i),
    "decline_plan": lambda s, i, c, f, a: d.decline_plan(s, _case_id(c), actor=a, reason=_r(f), item=i),
    "confirm_paid": lambda s, i, c, f, a: d.confirm_paid(s, _case_id(c), actor=a, reason=_r(f), item=i),
    "not_received": lambda s, i, c, f, a: d.payment_not_received(s, _case_id(c), actor=a, reason=_r(f), item=i),
    "fix_contact": lambda s, i, c, f, a: d.fix_contact(
        s, _case_id(c), actor=a, reason=_r(f), new_email=f.get("email", ""),
        clear=[e for e in f.get("clear", "").split(",") if e], item=i),
    "attach": lambda s, i, c, f, a: d.attach_mail(
        s, _id(f, "mail_id", i.mail_id if i else None), _id(f, "case_id", None),
        actor=a, reason=_r(f), item=i),
    "reclassify": lambda s, i, c, f, a: d.reclassify(
        s, _id(f, "mail_id", i.mail_id if i else None), _intent(f), actor=a, reason=_r(f),
        item=i),
    "pause": lambda s, i, c, f, a: d.pause(s, _case_id(c), actor=a, reason=_r(f), item=i),
    "done": lambda s, i, c, f, a: d.mark_done(s, _item(i), actor=a, reason=_r(f)),
    "assign": lambda s, i, c, f, a: d.assign(s, _item(i), f.get("assignee"), actor=a),
    "note": lambda s, i, c, f, a: d.add_note(s, _case_id(c), f.get("text", ""), actor=a),
}


def _intent(fields: Fields) -> Intent:
    try:
        return Intent(fields.get("intent", ""))
    except ValueError:
        raise DecisionError(f"intent must be one of {', '.join(i.value for i in Intent)}") from None


def _item(item: d.ReviewItem | None) -> d.ReviewItem:
    if item is None:
        raise DecisionError("this decision needs a review item")
    return item


def apply(session: Session, action: str, fields: Fields, *, actor: str, item_id: int | None = None,
          case_id: int | None = None) -> None:
    """Make one decision on an item (its case is implied) or directly on a case."""
    if action not in ACTIONS:
        raise DecisionError(f"unknown decision {action!r}; one of: {', '.join(ACTIONS)}")
    item = d.get_item(session, item_id) if item_id is not None else None
    if item is not None and case_id is None:
        case_id = item.case_id
    if item is not None and action != "attach" and item.case_id != case_id:
        # A decision closes the item it answers: it must be about the case it changes (issue 12).
        where = f"case {item.case_id}" if item.case_id is not None else "no case"
        raise DecisionError(f"review item {item.id} belongs to {where}, not case {case_id}: "
                            "decide on the item from its own case page")
    ACTIONS[action](session, item, case_id, fields, actor)
