"""Whether a reply may change its case by itself. The one place this rule lives (README: "Security").

Finding which case a mail is about (correlate.py) is not the same as believing it: a thread header,
an invoice number or a From address can be written by anyone. So a reply acts automatically only on
evidence a stranger cannot produce:

    placed by                      acts by itself when                                      otherwise
    -----------------------------  -------------------------------------------------------  ---------------------
    the signed reply token         always — unless our server recorded dmarc=fail for From  hold + review
    thread / invoice no. / sender  From is a known contact of the case's customer AND our    hold + review
                                   server's Authentication-Results say dmarc=pass for the
                                   From domain (header.from)
    a bounce (DSN)                 it names the Message-ID of a mail we sent on this case    review; contact kept
                                   AND our server authenticated it (SPF, DKIM or DMARC pass)
                                   as coming from the failed recipient's domain or our own
    a token that does not verify   never                                                    hold + review

Forwarded invoices (intake) follow the same rule: a forward from an allowed sender opens cases only
with our server's DMARC pass for the From domain (`judge_forwarder`); otherwise its invoices wait in
review. Intake never adds a new address to an existing customer without a person confirming it.

"hold + review" means: a case on the ladder goes to needs_review (no further reminder until a person
decides; a case already paused keeps its state) and a review item says why the mail was not trusted.
An unverified out-of-office postpones nothing and an unverified bounce invalidates no contact; both
still open a review item. `judge` is side-effect free; `gather` only reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import getaddresses

from sqlalchemy import select
from sqlalchemy.orm import Session

from worker.db.models import Case, Contact, Mail
from worker.domain import Classification, Intent
from worker.inbound.authresults import AuthResults
from worker.inbound.correlate import Placement
from worker.inbound.message import ParsedMail

MAILER_DAEMONS = frozenset({"mailer-daemon", "mailerdaemon", "mail-daemon", "postmaster"})
_PLACED_BY = {"thread": "thread headers (In-Reply-To/References)", "invoice": "an invoice number",
              "sender": "the sender's address", "bounce_recipient": "a failed recipient named in a bounce",
              "token": "the signed reply token"}


@dataclass(frozen=True)
class Evidence:
    """What is known about one placed reply, gathered before anything changes."""

    method: str  # how it was placed: token, thread, invoice, sender, bounce_recipient
    forged_token: bool
    intent: Intent
    from_addr: str
    sender_is_contact: bool  # From is a contact of the case's customer
    dmarc: str | None  # our server's DMARC verdict for the From domain, None when it gave none
    dsn_of_our_mail: bool  # a bounce naming the Message-ID of a mail we sent on this case
    from_mailer_daemon: bool  # From is MAILER-DAEMON/postmaster, or Return-Path is the null sender <>
    # our server authenticated the bounce as sent from a failed recipient's domain or from our own: a Message-ID
    # travels wherever a reminder is forwarded, and a From or Return-Path is written by the sender
    bounce_authenticated: bool = False

    @property
    def from_domain(self) -> str:
        return self.from_addr.rpartition("@")[2]


@dataclass(frozen=True)
class Trust:
    acts: bool  # True: the intent table applies; False: hold (or note) and a review item
    basis: str  # short code for the analysis record: token, dmarc_contact, our_dsn, or why not
    why: str  # one sentence for the review item and the event trail


def judge(e: Evidence) -> Trust:
    """The trust rule (see the module docstring): first matching line wins."""
    domain = e.from_domain or "(no domain)"
    if e.forged_token:
        return Trust(False, "forged_token", "it carried a reply token that does not verify")
    if e.dmarc == "fail":
        return Trust(False, "dmarc_fail", f"our mail server recorded dmarc=fail for {domain}: the From "
                                          "address may be forged")
    if e.method == "token":
        return Trust(True, "token", "placed by the signed reply token")
    if e.intent == Intent.BOUNCE:
        if e.dsn_of_our_mail and e.from_mailer_daemon and e.bounce_authenticated:
            return Trust(True, "our_dsn", "a delivery report for a reminder we sent, authenticated by our mail "
                                          "server as coming from the failed address's domain")
        if not e.dsn_of_our_mail:
            missing = "does not name the Message-ID of a reminder we sent"
        elif not e.from_mailer_daemon:
            missing = "does not come from a mailer-daemon"
        else:
            missing = ("is not authenticated by our mail server as coming from the failed recipient's domain "
                       "or ours, so anyone who saw a reminder could have written it")
        return Trust(False, "bounce_unverified", f"the bounce {missing}")
    if e.sender_is_contact and e.dmarc == "pass":
        return Trust(True, "dmarc_contact", f"a known contact, DMARC pass for {domain}")
    placed = _PLACED_BY.get(e.method, e.method)
    if not e.sender_is_contact:
        return Trust(False, "not_a_contact", f"placed only by {placed}, and {e.from_addr or 'the sender'} is "
                                             "not a contact of this customer")
    verdict = "no DMARC result" if e.dmarc is None else f"DMARC {e.dmarc}"
    return Trust(False, "no_dmarc_pass", f"placed by {placed}; {e.from_addr} is a contact but our mail server "
                                         f"gave {verdict} for {domain}, so the From address is not proven")


def judge_forwarder(from_addr: str, *, allowed: bool, dmarc: str | None) -> Trust:
    """May a mail to the intake address open cases by itself? Allowed sender AND aligned DMARC pass."""
    domain = from_addr.rpartition("@")[2] or "(no domain)"
    if not allowed:
        return Trust(False, "not_allowed", f"{from_addr or 'an unknown sender'} is not an allowed intake sender")
    if dmarc != "pass":
        verdict = "no DMARC result" if dmarc is None else f"DMARC {dmarc}"
        return Trust(False, "no_dmarc_pass", f"{from_addr} is an allowed sender, but our mail server gave {verdict} "
                                             f"for {domain}, so the From address is not proven")
    return Trust(True, "dmarc_forwarder", f"an allowed sender, DMARC pass for {domain}")


def gather(session: Session, case: Case, mail: ParsedMail, result: Classification, placement: Placement,
           auth: AuthResults, *, own_domains: tuple[str, ...] = ()) -> Evidence:
    """Collect the evidence for `judge` (reads only). `own_domains`: where our own mail comes from."""
    sender = mail.from_addr.lower()
    contact = session.scalars(select(Contact.id).where(Contact.customer_id == case.customer_id,
                                                       Contact.email == sender)).first() if sender else None
    return Evidence(
        method=placement.method,
        forged_token=placement.forged_token,
        intent=result.intent,
        from_addr=sender,
        sender_is_contact=contact is not None,
        dmarc=auth.dmarc_for(sender.rpartition("@")[2]) if "@" in sender and _one_author(mail) else None,
        dsn_of_our_mail=_names_our_mail(session, case.id, result.original_message_id),
        from_mailer_daemon=_from_mailer_daemon(mail),
        bounce_authenticated=result.intent == Intent.BOUNCE and any(
            auth.passes_for(domain) for domain in _bounce_domains(result, own_domains)),
    )


def _bounce_domains(result: Classification, own_domains: tuple[str, ...]) -> set[str]:
    """The domains a genuine bounce comes from: the failed recipients' (their server reports) and ours."""
    failed = {r.rpartition("@")[2].lower() for r in result.bounce_recipients if "@" in r}
    return {d for d in failed | {d.lower() for d in own_domains} if d}


def _one_author(mail: ParsedMail) -> bool:
    """DMARC speaks for one From address; a mail with several authors (or none readable) proves none."""
    values = [str(v) for v in mail.message.get_all("From") or []]
    if len(values) != 1:
        return False
    try:
        return len([a for _, a in getaddresses(values) if a]) == 1
    except Exception:  # a From header the stdlib cannot read proves nothing either
        return False


def _names_our_mail(session: Session, case_id: int, message_id: str | None) -> bool:
    mid = (message_id or "").strip().strip("<>")
    if not mid:
        return False
    return session.scalars(select(Mail.id).where(Mail.direction == "out", Mail.case_id == case_id,
                                                 Mail.message_id == mid)).first() is not None


def _from_mailer_daemon(mail: ParsedMail) -> bool:
    if mail.from_addr.partition("@")[0].lower() in MAILER_DAEMONS:
        return True
    return (mail.header("Return-Path") or "").strip() == "<>"
