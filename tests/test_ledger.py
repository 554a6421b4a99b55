"""The ledger's verbs on SQLite and PostgreSQL: invoices upsert, one case per invoice, transitions are events."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from worker import ledger
from worker.db.models import Customer, Event, ReviewItem
from worker.domain import CaseState, ReviewKind


def _customer(session: Session) -> Customer:
    c = Customer(name="Kita Foods ㈱", language="ja", timezone="Asia/Tokyo", country="JP")
    session.add(c)
    ledger.ensure_contact(session, c, "Keiri@Kita.example")
    session.flush()
    return c


def test_upsert_updates_instead_of_duplicating(session: Session) -> None:
    """The same invoice number twice updates the one row; JPY amounts keep no minor unit."""
    c = _customer(session)
    inv, created = ledger.upsert_invoice(session, customer=c, number="INV-1", amount=Decimal("1234500"),
                                         currency="JPY", issue_date=date(2026, 3, 1), due_date=date(2026, 3, 31))
    session.flush()
    again, created_again = ledger.upsert_invoice(session, customer=c, number="INV-1", amount=Decimal("1000"),
                                                 currency="JPY", issue_date=None, due_date=date(2026, 4, 30))
    session.commit()
    assert created and not created_again and inv.id == again.id
    assert again.amount == Decimal("1000") and again.due_date == date(2026, 4, 30)


def test_one_case_per_invoice_and_transitions_are_events(session: Session) -> None:
    """Opening a case twice returns the same case; a transition records from/to, actor and reason."""
    c = _customer(session)
    inv, _ = ledger.upsert_invoice(session, customer=c, number="INV-2", amount=Decimal("10.50"),
                                   currency="USD", issue_date=None, due_date=date(2026, 3, 31))
    when = datetime(2026, 4, 1, 9, tzinfo=UTC)
    case = ledger.open_case(session, inv, policy="default", first_action_at=when)
    assert ledger.open_case(session, inv, policy="default", first_action_at=None).id == case.id
    ledger.transition(session, case, CaseState.DISPUTED, actor="customer", reason="goods damaged")
    session.commit()
    assert case.next_action_at is None  # a paused case is not on the scheduler's list
    kinds = [(e.kind, e.data.get("to_state")) for e in session.scalars(select(Event).order_by(Event.id))]
    assert kinds == [("case_opened", None), ("state_changed", "disputed")]
    assert session.get(type(case), case.id).next_action_at is None  # type: ignore[union-attr]


def test_forbidden_transition_raises(session: Session) -> None:
    """A paid case cannot jump to disputed: that is a caller bug, not a silent no-op."""
    c = _customer(session)
    inv, _ = ledger.upsert_invoice(session, customer=c, number="INV-3", amount=Decimal(1), currency="EUR",
                                   issue_date=None, due_date=date(2026, 3, 31))
    case = ledger.open_case(session, inv, policy="default", first_action_at=None)
    ledger.transition(session, case, CaseState.PAID, actor="user:a@x", reason="bank match")
    with pytest.raises(ledger.TransitionError):
        ledger.transition(session, case, CaseState.DISPUTED, actor="customer", reason="late dispute")


def test_review_items_are_not_duplicated(session: Session) -> None:
    """Opening the same kind of review for the same case twice keeps one open item."""
    c = _customer(session)
    inv, _ = ledger.upsert_invoice(session, customer=c, number="INV-4", amount=Decimal(1), currency="EUR",
                                   issue_date=None, due_date=date(2026, 3, 31))
    case = ledger.open_case(session, inv, policy="default", first_action_at=None)
    a = ledger.open_review(session, ReviewKind.DISPUTE, summary="wrong amount", case=case)
    b = ledger.open_review(session, ReviewKind.DISPUTE, summary="wrong amount again", case=case)
    session.commit()
    assert a.id == b.id
    assert len(session.scalars(select(ReviewItem)).all()) == 1


def test_customer_is_found_by_contact_email_case_insensitively(session: Session) -> None:
    """Contacts are stored lower-case, so a differently-cased address finds the customer."""
    c = _customer(session)
    session.commit()
    assert ledger.find_customer(session, email="KEIRI@kita.example") is c
    assert ledger.find_customer(session, email="nobody@kita.example") is None
