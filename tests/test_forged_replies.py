"""Issue 12, finding 1: a forged reply never changes a case by itself.

Each forgery below is processed through the real parser and the real trust rule; each must leave the
case's schedule, promise and contacts as they were (at most held in needs_review) and open a review item
that says why the mail was not trusted. The honest paths — the signed token, an aligned DMARC pass
from a known contact, a real bounce of a reminder we sent — still act.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.utils import format_datetime

import pytest
from sqlalchemy import Engine, select

from tests.mailfactory import mail as build_mail
from tests.mailfactory import multipart, part
from worker import ledger
from worker.classify.classifier import classify
from worker.db.engine import transaction
from worker.db.models import Case, Contact, Customer, Mail, ReviewItem
from worker.domain import CaseState, Classification, Intent
from worker.inbound.message import ParsedMail
from worker.inbound.mime import parse_mail
from worker.inbound.process import Classifier, Pipeline, process_inbound
from worker.inbound.store import store_inbound
from worker.outbound.mimebuild import make_message_id
from worker.outbound.tokens import reply_address, verify_reply_token

SECRET = b"forgery-tests-secret-key-0123456789"
OURS = "mx.dunmail.example"
CONTACT = "ap@acme.example"
NEXT_ACTION = datetime(2026, 4, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Snapshot:
    state: str
    next_action_at: datetime | None
    paused_until: datetime | None
    promised_date: date | None
    invalid_contacts: tuple[str, ...]


def fixed(intent: Intent, **kw: object) -> Classifier:
    result = Classification(intent=intent, confidence=0.95, language="en", reply_text="...", **kw)  # type: ignore[arg-type]
    return lambda m: result


def pipeline(classifier: Classifier, authserv_id: str | None = OURS) -> Pipeline:
    return Pipeline(parse=parse_mail, classify=classifier, verify_token=lambda t: verify_reply_token(t, SECRET),
                    reply_localpart="ar", min_confidence=0.55, promise_grace_days=lambda policy: 2,
                    authserv_id=authserv_id, promise_horizon_days=60)


@dataclass(frozen=True)
class World:
    case_id: int
    reminder_id: str  # the Message-ID of the reminder we really sent (without brackets)


@pytest.fixture
def world(engine: Engine) -> World:
    with transaction(engine) as s:
        c = Customer(name="Acme", language="en", timezone="UTC", country="US")
        s.add(c)
        ledger.ensure_contact(s, c, CONTACT)
        s.flush()
        inv, _ = ledger.upsert_invoice(s, customer=c, number="INV-77", amount=Decimal(100), currency="USD",
                                       issue_date=None, due_date=date(2026, 3, 31))
        case = ledger.open_case(s, inv, policy="default", first_action_at=NEXT_ACTION)
        mid = make_message_id(case.id, "reminder_1", "dunmail.example", secret=SECRET).strip("<>")
        s.add(Mail(case_id=case.id, direction="out", status="sent", send_key=f"case:{case.id}:reminder_1",
                   stage="reminder_1", message_id=mid, to_addrs=CONTACT))
        return World(case.id, mid)


def reply(*, sender: str = CONTACT, to: str = "ar@dunmail.example", subject: str = "Re: payment reminder",
          auth: tuple[str, ...] = (), in_reply_to: str | None = None, extra: tuple[tuple[str, str], ...] = (),
          body: str = "We paid this last week.") -> bytes:
    headers = [*(("Authentication-Results", a) for a in auth), ("From", sender), ("To", to),
               ("Subject", subject), ("Message-ID", f"<{abs(hash((sender, subject, auth, body)))}@x.example>"),
               *extra]
    if not any(name == "Date" for name, _ in extra):
        headers.append(("Date", format_datetime(datetime.now(UTC))))
    if in_reply_to:
        headers.append(("In-Reply-To", f"<{in_reply_to}>"))
    return build_mail(headers, part("text/plain", body))


def run(engine: Engine, raw: bytes, classifier: Classifier, authserv_id: str | None = OURS) -> int:
    with transaction(engine) as s:
        mail_id = store_inbound(s, raw, mailbox="test")[0].id
    assert process_inbound(engine, mail_id, pipeline(classifier, authserv_id)).status == "processed"
    return mail_id


def snapshot(engine: Engine, case_id: int) -> Snapshot:
    with transaction(engine) as s:
        case = s.get(Case, case_id)
        assert case is not None
        invalid = tuple(sorted(s.scalars(select(Contact.email).where(Contact.invalid_reason.is_not(None)))))
        return Snapshot(case.state, case.next_action_at, case.paused_until, case.promised_date, invalid)


def reviews_for(engine: Engine, mail_id: int) -> list[ReviewItem]:
    with transaction(engine) as s:
        items = list(s.scalars(select(ReviewItem).where(ReviewItem.mail_id == mail_id, ReviewItem.status == "open")))
        s.expunge_all()
        return items


def assert_no_change_without_review(engine: Engine, world: World, before: Snapshot, mail_id: int,
                                    why: str) -> None:
    after = snapshot(engine, world.case_id)
    assert after.state in (before.state, "needs_review"), after  # at most held
    held = after.state == "needs_review"
    assert after.next_action_at == before.next_action_at or (held and after.next_action_at is None), after
    assert (after.paused_until, after.promised_date) == (before.paused_until, before.promised_date)
    assert after.invalid_contacts == before.invalid_contacts
    items = reviews_for(engine, mail_id)
    assert items, "a forged mail must always be put in front of a person"
    assert any(why in item.summary for item in items), [i.summary for i in items]


AR_PASS = f"{OURS}; spf=pass smtp.mailfrom=acme.example; dkim=pass header.d=acme.example; " \
          "dmarc=pass (p=reject) header.from=acme.example"


# --- the forgeries ---------------------------------------------------------------------------------

def test_unrelated_sender_quoting_an_invoice_number(engine: Engine, world: World) -> None:
    """1. A stranger writes 'INV-77 is paid': placed by the number, but not a contact → held, reviewed."""
    before = snapshot(engine, world.case_id)
    mail_id = run(engine, reply(sender="mallory@evil.example", subject="Re: INV-77 paid"), fixed(Intent.PAID))
    assert_no_change_without_review(engine, world, before, mail_id, "not a contact")


def test_forged_in_reply_to_with_the_old_guessable_id(engine: Engine, world: World) -> None:
    """2. In-Reply-To <reminder.{case}.{stage}@…> (the old guessable form) threads to nothing now; the
    stranger's dispute is unplaced and reviewed, the case untouched."""
    before = snapshot(engine, world.case_id)
    guess = f"reminder.{world.case_id}.reminder_1@dunmail.example"
    mail_id = run(engine, reply(sender="mallory@evil.example", in_reply_to=guess), fixed(Intent.DISPUTE))
    assert snapshot(engine, world.case_id) == before
    assert [i.kind for i in reviews_for(engine, mail_id)] == ["unplaced"]


def test_forged_in_reply_to_from_the_customers_address(engine: Engine, world: World) -> None:
    """3. A guessed thread id plus the customer's From, no DMARC pass: the sender is not proven → held."""
    before = snapshot(engine, world.case_id)
    guess = f"reminder.{world.case_id}.reminder_1@dunmail.example"
    mail_id = run(engine, reply(in_reply_to=guess), fixed(Intent.DISPUTE))
    assert_no_change_without_review(engine, world, before, mail_id, "no DMARC result")


def test_real_thread_id_alone_is_not_proof(engine: Engine, world: World) -> None:
    """4. Even our real Message-ID (it travels to everyone the customer forwards to) with a stranger's From
    only places the mail; it does not act."""
    before = snapshot(engine, world.case_id)
    mail_id = run(engine, reply(sender="mallory@evil.example", in_reply_to=world.reminder_id), fixed(Intent.PAID))
    assert_no_change_without_review(engine, world, before, mail_id, "thread headers")


def test_dmarc_fail_from_the_customers_address(engine: Engine, world: World) -> None:
    """5. Our server says dmarc=fail for the customer's domain: never acted on, even with the token."""
    before = snapshot(engine, world.case_id)
    token_to = reply_address(world.case_id, SECRET, domain="dunmail.example")
    ar = f"{OURS}; spf=fail smtp.mailfrom=acme.example; dmarc=fail (p=none) header.from=acme.example"
    mail_id = run(engine, reply(to=token_to, auth=(ar,)), fixed(Intent.PAID))
    assert_no_change_without_review(engine, world, before, mail_id, "dmarc=fail")


def test_pass_written_by_the_sender_under_another_authserv_id(engine: Engine, world: World) -> None:
    """6. An Authentication-Results header with someone else's authserv-id is the sender's own words."""
    before = snapshot(engine, world.case_id)
    forged = AR_PASS.replace(OURS, "mx.evil.example")
    mail_id = run(engine, reply(subject="Re: INV-77", auth=(forged,)), fixed(Intent.PAID))
    assert_no_change_without_review(engine, world, before, mail_id, "no DMARC result")


def test_pass_with_our_id_below_our_servers_header_is_ignored(engine: Engine, world: World) -> None:
    """7. The sender pasted a pass with our id; our server's own (topmost) header found no DMARC pass."""
    before = snapshot(engine, world.case_id)
    ours = f"{OURS}; spf=softfail smtp.mailfrom=acme.example; dmarc=none header.from=acme.example"
    mail_id = run(engine, reply(subject="Re: INV-77", auth=(ours, AR_PASS)), fixed(Intent.PAID))
    assert_no_change_without_review(engine, world, before, mail_id, "DMARC none")


def test_no_authserv_id_configured_trusts_no_header(engine: Engine, world: World) -> None:
    """8. Unset authserv_id: even a perfect-looking pass is not evidence."""
    before = snapshot(engine, world.case_id)
    mail_id = run(engine, reply(subject="Re: INV-77", auth=(AR_PASS,)), fixed(Intent.PAID), authserv_id=None)
    assert_no_change_without_review(engine, world, before, mail_id, "no DMARC result")


def test_dmarc_pass_for_another_domain_is_not_aligned(engine: Engine, world: World) -> None:
    """9. A DMARC pass for evil.example says nothing about a From at acme.example."""
    before = snapshot(engine, world.case_id)
    other = f"{OURS}; dmarc=pass header.from=evil.example"
    mail_id = run(engine, reply(subject="Re: INV-77", auth=(other,)), fixed(Intent.DISPUTE))
    assert_no_change_without_review(engine, world, before, mail_id, "no DMARC result")


def test_stranger_with_its_own_dmarc_pass(engine: Engine, world: World) -> None:
    """10. An authenticated stranger is still a stranger to this customer."""
    before = snapshot(engine, world.case_id)
    own = f"{OURS}; dmarc=pass header.from=evil.example"
    mail_id = run(engine, reply(sender="mallory@evil.example", subject="Re: INV-77", auth=(own,)),
                  fixed(Intent.PAYMENT_PLAN))
    assert_no_change_without_review(engine, world, before, mail_id, "not a contact")


def test_promise_to_2099_goes_to_a_person_even_with_the_token(engine: Engine, world: World) -> None:
    """11. A promise far past the 60-day horizon is not accepted, whoever sent it."""
    before = snapshot(engine, world.case_id)
    token_to = reply_address(world.case_id, SECRET, domain="dunmail.example")
    mail_id = run(engine, reply(to=token_to), fixed(Intent.PROMISE_TO_PAY, promised_date=date(2099, 1, 1)))
    assert_no_change_without_review(engine, world, before, mail_id, "more than 60 days")


def test_forged_date_header_does_not_stretch_the_horizon(engine: Engine, world: World) -> None:
    """12. A Date header in 2098 does not make a 2099 promise 'near': the horizon counts from receipt."""
    before = snapshot(engine, world.case_id)
    token_to = reply_address(world.case_id, SECRET, domain="dunmail.example")
    raw = reply(to=token_to, extra=(("Date", "Thu, 01 Dec 2098 10:00:00 +0000"),))
    mail_id = run(engine, raw, fixed(Intent.PROMISE_TO_PAY, promised_date=date(2099, 1, 15)))
    assert_no_change_without_review(engine, world, before, mail_id, "more than 60 days")


def test_forged_out_of_office_does_not_postpone(engine: Engine, world: World) -> None:
    """13. An out-of-office from a stranger with a return date: nothing postponed, a person is told."""
    before = snapshot(engine, world.case_id)
    back = (datetime.now(UTC) + timedelta(days=20)).date()
    mail_id = run(engine, reply(sender="mallory@evil.example", subject="Out of office: INV-77"),
                  fixed(Intent.AUTO_REPLY, return_date=back))
    assert_no_change_without_review(engine, world, before, mail_id, "nothing postponed")
    assert snapshot(engine, world.case_id).state == "active"  # the ladder goes on


def test_far_return_date_even_with_the_token_is_not_applied(engine: Engine, world: World) -> None:
    """14. An out-of-office 'back in 2030' on the token address postpones nothing; a person decides."""
    before = snapshot(engine, world.case_id)
    token_to = reply_address(world.case_id, SECRET, domain="dunmail.example")
    mail_id = run(engine, reply(to=token_to), fixed(Intent.AUTO_REPLY, return_date=date(2030, 1, 1)))
    assert_no_change_without_review(engine, world, before, mail_id, "more than 60 days")


def _dsn(original_id: str, *, sender: str = "MAILER-DAEMON@mx.acme.example",
         auth: str | None = f"{OURS}; spf=pass smtp.helo=mx.acme.example") -> bytes:
    status = (f"Reporting-MTA: dns; mx.acme.example\r\n\r\nFinal-Recipient: rfc822; {CONTACT}\r\n"
              "Action: failed\r\nStatus: 5.1.1\r\n")
    original = (f"From: billing@dunmail.example\r\nTo: {CONTACT}\r\nSubject: Reminder INV-77\r\n"
                f"Message-ID: <{original_id}>\r\n\r\nInvoice INV-77 is overdue.\r\n").encode()
    entity = multipart("report", [part("text/plain", "Your message could not be delivered."),
                                  part("message/delivery-status", status.encode(), cte=""),
                                  part("message/rfc822", original, cte="")])
    headers = [("Authentication-Results", auth)] if auth else []
    return build_mail([*headers, ("From", sender), ("To", "billing@dunmail.example"), ("Return-Path", "<>"),
                       ("Subject", "Undelivered Mail Returned to Sender"),
                       ("Message-ID", f"<dsn.{abs(hash(original_id))}@mx.acme.example>")], entity)


def test_forged_bounce_with_a_guessed_message_id(engine: Engine, world: World) -> None:
    """15. A DSN-shaped mail naming the old guessable id: the contact stays valid, a person checks."""
    before = snapshot(engine, world.case_id)
    mail_id = run(engine, _dsn(f"reminder.{world.case_id}.reminder_1@dunmail.example"), classify)
    assert_no_change_without_review(engine, world, before, mail_id, "bounce")
    assert [i.kind for i in reviews_for(engine, mail_id)] == ["bounce"]


def test_bounce_naming_our_id_but_not_from_a_mailer_daemon(engine: Engine, world: World) -> None:
    """16. Someone who saw our reminder fakes a bounce from a person's address: not a delivery report."""
    before = snapshot(engine, world.case_id)
    raw = _dsn(world.reminder_id, sender="mallory@evil.example").replace(b"Return-Path: <>\r\n", b"")
    mail_id = run(engine, raw, classify)
    assert_no_change_without_review(engine, world, before, mail_id, "mailer-daemon")


def test_forged_token_is_held(engine: Engine, world: World) -> None:
    """17. A made-up ar+<token> address from the customer's address: held and reviewed."""
    before = snapshot(engine, world.case_id)
    mail_id = run(engine, reply(to="ar+aaaaaaaaaaaaaaaaaaaaaaaaaaaaa@dunmail.example", auth=(AR_PASS,)),
                  fixed(Intent.PAID))
    assert_no_change_without_review(engine, world, before, mail_id, "does not verify")


def test_forged_reply_on_a_paused_case_keeps_its_state(engine: Engine, world: World) -> None:
    """18. A stranger's 'we paid' on a disputed case: the case stays disputed (not even moved to
    needs_review), and a person is told."""
    with transaction(engine) as s:
        case = s.get(Case, world.case_id)
        assert case is not None
        ledger.transition(s, case, CaseState.DISPUTED, actor="test", reason="seeded dispute")
    before = snapshot(engine, world.case_id)
    mail_id = run(engine, reply(sender="mallory@evil.example", subject="Re: INV-77"), fixed(Intent.PAID))
    assert snapshot(engine, world.case_id) == before
    assert any("stays disputed" in i.summary for i in reviews_for(engine, mail_id))


def test_a_second_author_in_from_voids_the_dmarc_pass(engine: Engine, world: World) -> None:
    """19. 'From: ap@acme.example, mallory@evil.example' with a pass for acme.example: DMARC vouches for one
    author, so a mail with two proves nothing."""
    before = snapshot(engine, world.case_id)
    mail_id = run(engine, reply(sender=f"{CONTACT}, mallory@evil.example", subject="Re: INV-77", auth=(AR_PASS,)),
                  fixed(Intent.PAID))
    assert_no_change_without_review(engine, world, before, mail_id, "no DMARC result")


# --- the honest paths still act ----------------------------------------------------------------------

def test_token_reply_acts(engine: Engine, world: World) -> None:
    """The signed token places and acts: a dispute pauses the case with a dispute review."""
    token_to = reply_address(world.case_id, SECRET, domain="dunmail.example")
    mail_id = run(engine, reply(to=token_to), fixed(Intent.DISPUTE))
    assert snapshot(engine, world.case_id).state == "disputed"
    assert [i.kind for i in reviews_for(engine, mail_id)] == ["dispute"]


def test_known_contact_with_aligned_dmarc_pass_acts(engine: Engine, world: World) -> None:
    """A known contact, placed by invoice number, with our server's aligned DMARC pass: acted on."""
    mail_id = run(engine, reply(subject="Re: INV-77", auth=(AR_PASS,)),
                  fixed(Intent.PROMISE_TO_PAY, promised_date=(datetime.now(UTC) + timedelta(days=10)).date()))
    assert snapshot(engine, world.case_id).state == "promised"
    assert reviews_for(engine, mail_id) == []
    with transaction(engine) as s:
        analysis = s.get(Mail, mail_id).analysis  # type: ignore[union-attr]
    assert (analysis["trusted"], analysis["trust"]) == (True, "dmarc_contact")


def test_known_contact_on_a_real_thread_with_dmarc_pass_acts(engine: Engine, world: World) -> None:
    """Threading by In-Reply-To to our real reminder still places the reply; with DMARC pass it acts."""
    run(engine, reply(in_reply_to=world.reminder_id, auth=(AR_PASS,)), fixed(Intent.PAID))
    assert snapshot(engine, world.case_id).state == "payment_claimed"


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@anything.example", "postmaster@evil.example"])
def test_bounce_naming_our_id_without_authentication_changes_nothing(engine: Engine, world: World,
                                                                     sender: str) -> None:
    """17b. A stranger who saw one reminder writes a DSN naming its Message-ID, from a mailer-daemon address
    and with Return-Path <>, but our server authenticated it for no failed recipient's domain (nor ours): the
    contact stays valid, the case keeps its state, a person checks (found by an outside probe)."""
    before = snapshot(engine, world.case_id)
    mail_id = run(engine, _dsn(world.reminder_id, sender=sender, auth=f"{OURS}; spf=pass smtp.helo=evil.example"),
                  classify)
    assert_no_change_without_review(engine, world, before, mail_id, "bounce")


def test_real_bounce_of_our_reminder_acts(engine: Engine, world: World) -> None:
    """A real DSN from the failed address's mail server (our server saw SPF pass for mx.acme.example) naming our
    unguessable Message-ID marks the contact invalid."""
    run(engine, _dsn(world.reminder_id), classify)
    after = snapshot(engine, world.case_id)
    assert (after.state, after.invalid_contacts) == ("contact_invalid", (CONTACT,))


def test_token_out_of_office_within_the_horizon_postpones(engine: Engine, world: World) -> None:
    """An out-of-office on the token address with a near return date still postpones the next reminder."""
    token_to = reply_address(world.case_id, SECRET, domain="dunmail.example")
    back = (datetime.now(UTC) + timedelta(days=20)).date()
    run(engine, reply(to=token_to), fixed(Intent.AUTO_REPLY, return_date=back))
    after = snapshot(engine, world.case_id)
    assert after.paused_until is not None and after.paused_until.date() == back
    assert after.state == "active"


def test_parsed_mail_is_used(engine: Engine, world: World) -> None:
    """The tests above run the real parser: a sanity check that headers arrive as the trust rule reads them."""
    parsed: ParsedMail = parse_mail(reply(auth=(AR_PASS,), in_reply_to=world.reminder_id))
    assert parsed.in_reply_to == world.reminder_id
    assert parsed.message.get_all("Authentication-Results") == [AR_PASS]
