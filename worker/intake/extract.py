"""A forwarded mail to the invoices it carries: every PDF/XML attachment, else the body.

The mail around the documents fills what they leave out: the forwarded header block's To line (or,
when the intake address was only copied on the original mail, that mail's own recipients) names the
customer's address, and the original mail's date stands in for a missing issue date. The same invoice
twice in one mail (a Factur-X PDF and its XML, or a PDF and the body) is kept once, structured data
first, and the other copy is listed in `skipped`.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from itertools import pairwise

import structlog

from worker.domain import ExtractedInvoice
from worker.errors import IntakeError
from worker.inbound.message import Attachment, ParsedMail
from worker.intake.assemble import MailHints
from worker.intake.body import Forward, bare_subject, find_forward, is_newsletter
from worker.intake.classify_doc import DocKind, document_kind
from worker.intake.document import DocOutcome, from_text, read_document, sniff
from worker.intake.pdftext import PdfLimits

log = structlog.get_logger(__name__)

# Structured sources first: they win when the same invoice number turns up twice.
SOURCE_RANK = {"ubl": 0, "cii": 0, "facturx": 1, "pdf": 2, "body": 3}
_ARCHIVES = (
    "application/zip",
    "application/x-zip-compressed",
    "application/x-7z-compressed",
    "application/x-rar",
)
_MIN_BODY_CHARS = 20
_MAX_BODY_CHARS = 200_000
_TITLE_ONLY = re.compile(
    r"(?i)^[\W_]*(?:[a-z]+\s+)?(?:invoice|rechnung|facture|factuur|factura|請\s*求\s*書|御請求書)"
    r"(?:\s+(?:no\.?|nr\.?|#|n°)?\s*[a-z]*\d[\w/.-]*(?:\s+(?:for|to)\s+\S.*)?)?[\W_]*$"
)


@dataclass
class IntakeResult:
    invoices: list[ExtractedInvoice] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (what, why it is not an invoice)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (what, why it could not be read)


def _domain(address: str) -> str:
    return address.rpartition("@")[2].lower()


def _customer_address(
    mail: ParsedMail, forward: Forward | None, exclude: Collection[str]
) -> tuple[str | None, str]:
    """The customer's address from the forwarded To line, else from the mail's own To/Cc (intake in Cc)."""
    internal = _domain(mail.from_addr) if mail.from_addr else None
    excluded = {a.lower() for a in exclude}

    def external(addresses: tuple[str, ...]) -> str | None:
        return next((a for a in addresses if a not in excluded and _domain(a) != internal), None)

    if forward is not None:
        return external(forward.to), "the forwarded mail's To: line"
    return external(mail.to + mail.cc), "the mail's own recipients"


def _label(attachment: Attachment, index: int) -> str:
    return attachment.filename or f"attachment {index + 1} ({attachment.content_type})"


def _read_attachments(
    mail: ParsedMail, result: IntakeResult, *, terms: int, hints: MailHints, limits: PdfLimits | None
) -> tuple[int, int]:
    """Read every PDF/XML attachment into result: how many documents there were, how many unreadable."""
    documents = unreadable = 0
    for index, attachment in enumerate(mail.attachments):
        what = _label(attachment, index)
        if attachment.content_type in _ARCHIVES or what.lower().endswith((".zip", ".7z", ".rar")):
            result.problems.append((what, "archive attachments are not opened: forward the invoice itself"))
            continue
        if sniff(attachment.filename, attachment.content_type, attachment.payload) is None:
            continue  # logos, signatures, the forwarded .eml itself (its parts are listed separately)
        documents += 1
        try:
            outcome = read_document(
                attachment.filename,
                attachment.content_type,
                attachment.payload,
                default_terms_days=terms,
                hints=hints,
                limits=limits,
            )
        except IntakeError as exc:
            result.problems.append((what, str(exc)))
            unreadable += 1
            continue
        _collect(result, what, outcome)
    return documents, unreadable


def _collect(result: IntakeResult, what: str, outcome: DocOutcome) -> None:
    if outcome.not_invoice:
        result.skipped.append((what, outcome.not_invoice))
    result.invoices.extend(outcome.invoices)


_QUOTE = re.compile(r"(?m)^[ \t]*(?:>[ \t]?)+")


def _body_text(mail: ParsedMail, forward: Forward | None) -> str:
    text = mail.text[forward.body_start :] if forward else mail.text
    # A bound first (a 10 MB body is not an invoice), then "> " quoting off: the invoice is the quoted text.
    return _QUOTE.sub("", text[:_MAX_BODY_CHARS])


def _title_starts(text: str) -> list[int]:
    """Where each invoice starts in a body holding several (each under its own title line)."""
    starts, offset = [], 0
    for line in text.split("\n"):
        stripped = line.strip()
        titled = _TITLE_ONLY.match(stripped) and document_kind(stripped[:40]) is DocKind.INVOICE
        if 0 < len(stripped) <= 120 and titled:
            starts.append(offset)
        offset += len(line) + 1
    return starts


def _split_body(text: str) -> list[str]:
    """One text per invoice: a body with two invoice titles, each followed by its own number, is two."""
    starts = _title_starts(text)
    if len(starts) < 2:
        return [text]
    # A letter's opening (addressee, greeting) belongs to the invoice after it: each cut moves back to
    # just after the last line with a figure (amount, date) of the invoice before.
    cuts = [_after_last_figure(text, start, end) for start, end in pairwise(starts)]
    bounds = [0, *cuts, len(text)]
    return [text[a:b] for a, b in pairwise(bounds)]


def _after_last_figure(text: str, start: int, end: int) -> int:
    last = text.rfind("\n", start, end)
    cut = end
    while last > start:
        previous = text.rfind("\n", start, last)
        if re.search(r"\d|@", text[previous + 1 : last]):  # a figure or an address: the invoice before
            return last + 1
        cut, last = previous + 1, previous
    return cut


def _read_body(
    mail: ParsedMail, forward: Forward | None, *, terms: int, hints: MailHints, beside_documents: bool = False
) -> DocOutcome:
    """The invoices typed into the body. Beside readable attachments the body must title itself an
    invoice (the subject does not count): a covering note ("please load this one") is no invoice."""
    if is_newsletter(mail):
        return DocOutcome(not_invoice="a newsletter or bulk mail, not an invoice")
    text = _body_text(mail, forward)
    if len(text.strip()) < _MIN_BODY_CHARS:
        return DocOutcome(not_invoice="no invoice attached and no text in the body")
    # A body without a title of its own is named by the subject ("請求書送付のご案内", "Quotation Q-12").
    if document_kind(text) is DocKind.UNKNOWN:
        if beside_documents:
            return DocOutcome(not_invoice="the body is a covering note")
        text = bare_subject(mail.subject) + "\n" + text
    invoices: list[ExtractedInvoice] = []
    not_invoice = None
    for chunk in _split_body(text):
        outcome = from_text(chunk, source="body", default_terms_days=terms, hints=hints)
        invoices += [inv for inv in outcome.invoices if inv.amount is not None or inv.number is not None]
        not_invoice = not_invoice or outcome.not_invoice
    if beside_documents:  # only a complete, numbered invoice counts beside attachments
        invoices = [inv for inv in invoices if inv.number and inv.amount is not None]
    if not invoices:
        return DocOutcome(not_invoice=not_invoice or "no invoice in the mail body")
    return DocOutcome(invoices=tuple(invoices))


def _dedupe(result: IntakeResult) -> None:
    kept: dict[str, ExtractedInvoice] = {}
    unnumbered: list[ExtractedInvoice] = []
    for inv in sorted(result.invoices, key=lambda i: SOURCE_RANK.get(i.source, 9)):
        if inv.number is None:
            unnumbered.append(inv)
        elif inv.number in kept:
            result.skipped.append(
                (f"{inv.number} ({inv.source})", f"same invoice as the {kept[inv.number].source} copy")
            )
        else:
            kept[inv.number] = inv
    result.invoices = [*kept.values(), *unnumbered]


def extract_invoices(
    mail: ParsedMail,
    *,
    default_terms_days: int = 30,
    exclude_addresses: Collection[str] = (),
    limits: PdfLimits | None = None,
    own_names: Collection[str] = (),
) -> IntakeResult:
    """Invoices in a forwarded mail, what was not an invoice (and why), and what could not be read.

    exclude_addresses: addresses that are never the customer (the intake address itself);
    own_names: our own company's names (settings company_name), never the customer."""
    forward = find_forward(mail.text)
    email, where = _customer_address(mail, forward, exclude_addresses)
    issue = forward.original_date if forward else None
    hints = MailHints(
        own_domain=_domain(mail.from_addr) if mail.from_addr else None,
        customer_email=email,
        customer_email_from=where,
        issue_date=issue or (mail.date.date() if mail.date else None),
        own_names=tuple(own_names),
    )
    result = IntakeResult()
    documents, unreadable = _read_attachments(
        mail, result, terms=default_terms_days, hints=hints, limits=limits
    )
    if documents == unreadable:  # no document spoke (none, or none readable): the body may be the invoice
        body = _read_body(mail, forward, terms=default_terms_days, hints=hints)
        result.invoices.extend(body.invoices)
        if body.not_invoice and not unreadable:  # beside an unreadable document, it only hides the problem
            result.skipped.append(("body", body.not_invoice))
    else:  # a PDF and an invoice typed into the body: both count, the same number only once (dedupe)
        result.invoices.extend(
            _read_body(mail, forward, terms=default_terms_days, hints=hints, beside_documents=True).invoices
        )
    _dedupe(result)
    log.info(
        "intake_extracted",
        invoices=len(result.invoices),
        skipped=len(result.skipped),
        problems=len(result.problems),
        sources=sorted({i.source for i in result.invoices}),
    )
    return result
