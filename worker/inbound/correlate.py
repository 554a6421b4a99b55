"""Which case a reply belongs to. In order of trust:

  1. the signed token in the address it was sent to (ar+<token>@…) — unforgeable;
  2. In-Reply-To / References pointing at one of our reminders (or, for a bounce, the original
     Message-ID inside it);
  3. an invoice number of an open case in the subject or text;
  4. the sender's address, when it belongs to exactly one open case.
A token that is present but does not verify is remembered: such a reply is never acted on
automatically, whatever else matched.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from worker.db.models import Case, Contact, Invoice, Mail
from worker.domain import CaseState, Classification
from worker.inbound.message import ParsedMail

OPEN_STATES = [s.value for s in CaseState if s.is_open]


@dataclass(frozen=True)
class Placement:
    case_id: int | None
    method: str  # token, thread, invoice, sender, bounce_recipient, none
    forged_token: bool = False

    @property
    def trusted(self) -> bool:
        return self.case_id is not None and not self.forged_token


def place_reply(
    session: Session,
    mail: ParsedMail,
    result: Classification,
    *,
    reply_localpart: str,
    verify_token: Callable[[str], int | None],
) -> Placement:
    forged = False
    for addr in _recipient_addresses(mail):
        token = _token_in(addr, reply_localpart)
        if token is None:
            continue
        case_id = verify_token(token)
        if case_id is not None and session.get(Case, case_id) is not None:
            return Placement(case_id, "token")
        forged = True
    for finder, method in (
        (lambda: _by_thread(session, mail, result), "thread"),
        (lambda: _by_invoice(session, mail, result), "invoice"),
        (lambda: _by_sender(session, [mail.from_addr]), "sender"),
        (lambda: _by_sender(session, result.bounce_recipients) if result.bounce_recipients else None,
         "bounce_recipient"),
    ):
        case_id = finder()
        if case_id is not None:
            return Placement(case_id, method, forged_token=forged)
    return Placement(None, "none", forged_token=forged)


def _recipient_addresses(mail: ParsedMail) -> list[str]:
    extra = [mail.header(h) or "" for h in ("Delivered-To", "X-Original-To", "Envelope-To")]
    return [*mail.to, *mail.cc, *(a.strip().strip("<>").lower() for a in extra if a)]


def _token_in(address: str, localpart: str) -> str | None:
    local = address.partition("@")[0]
    prefix = f"{localpart.lower()}+"
    return local[len(prefix):] if local.startswith(prefix) and len(local) > len(prefix) else None


def _by_thread(session: Session, mail: ParsedMail, result: Classification) -> int | None:
    ids = [i for i in (mail.in_reply_to, *mail.references, result.original_message_id) if i]
    if not ids:
        return None
    return session.scalars(
        select(Mail.case_id).where(Mail.direction == "out", Mail.message_id.in_(ids), Mail.case_id.is_not(None))
        .order_by(Mail.id.desc())
    ).first()


_INVOICE_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_/\-.#]{2,40}")


def _by_invoice(session: Session, mail: ParsedMail, result: Classification) -> int | None:
    candidates = set(result.invoice_refs)
    candidates.update(t.strip(".#") for t in _INVOICE_TOKEN.findall(mail.subject))
    candidates.discard("")
    if not candidates:
        return None
    rows = session.execute(
        select(Case.id).join(Invoice, Case.invoice_id == Invoice.id)
        .where(Invoice.number.in_(candidates), Case.state.in_(OPEN_STATES))
    ).scalars().all()
    return rows[0] if len(set(rows)) == 1 else None


def _by_sender(session: Session, addresses: Iterable[str]) -> int | None:
    addrs = [a.lower() for a in addresses if a]
    if not addrs:
        return None
    rows = session.execute(
        select(Case.id).join(Contact, Contact.customer_id == Case.customer_id)
        .where(Contact.email.in_(addrs), Case.state.in_(OPEN_STATES))
    ).scalars().all()
    distinct = set(rows)
    return distinct.pop() if len(distinct) == 1 else None
