"""One document (a PDF or XML file) to the invoices it holds, or the reason it holds none.

Structured data wins over text: a Factur-X/ZUGFeRD PDF is read from its embedded XML, and the PDF's
text only fills fields the XML left empty (a BASIC WL profile carries no due date, for instance).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import structlog

from worker.domain import ExtractedInvoice
from worker.errors import IntakeError
from worker.intake.assemble import Draft, MailHints, finish
from worker.intake.classify_doc import REASONS, DocKind, document_kind
from worker.intake.einvoice import NotAnInvoice, NotEInvoice, read_einvoice
from worker.intake.layout import Page
from worker.intake.layoutfields import read_layout
from worker.intake.pdfchild import read_pdf_guarded
from worker.intake.pdftext import PdfContent, PdfLimits
from worker.intake.textfields import read_text

log = structlog.get_logger(__name__)

_FILLABLE = (
    "number",
    "customer_name",
    "customer_email",
    "amount",
    "currency",
    "issue_date",
    "due_date",
    "registration_number",
)


@dataclass(frozen=True)
class DocOutcome:
    invoices: tuple[ExtractedInvoice, ...] = ()
    not_invoice: str | None = None  # why this document is not an invoice (credit note, quote …)


def sniff(name: str | None, content_type: str, data: bytes) -> str | None:
    """'pdf', 'xml' or None (not a document we read), from magic bytes first, then type and name."""
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if head.startswith(b"<?xml") or (
        head.startswith(b"<") and (b"Invoice" in head or b"CrossIndustry" in head)
    ):
        return "xml"
    lowered = (name or "").lower()
    if content_type == "application/pdf" or lowered.endswith(".pdf"):
        return "pdf"
    if content_type in ("application/xml", "text/xml") or lowered.endswith(".xml"):
        return "xml"
    return None


def _fill_from_text(structured: Draft, text: str) -> None:
    """Fill fields the embedded XML left empty from the PDF's own text, saying which."""
    if not text.strip():
        return
    textual = read_text(text, source="pdf")
    filled = []
    for f in fields(Draft):
        if f.name in _FILLABLE and getattr(structured, f.name) in (None, "") and getattr(textual, f.name):
            setattr(structured, f.name, getattr(textual, f.name))
            filled.append(f.name)
    if not structured.terms_text:
        structured.terms_text = textual.terms_text
    if filled:
        structured.notes.append("read from the PDF text (not in the XML): " + ", ".join(filled))


def _from_pdf(data: bytes, default_terms_days: int, hints: MailHints, limits: PdfLimits | None) -> DocOutcome:
    content = read_pdf_guarded(data, limits)
    for _name, xml in content.xml:
        try:
            draft = read_einvoice(xml)
        except NotEInvoice:
            continue  # some other XML riding along (an order, metadata): the text decides
        except NotAnInvoice as exc:
            return DocOutcome(not_invoice=str(exc.args[0]))
        except IntakeError as exc:
            log.info("intake_embedded_xml_unreadable", reason=str(exc)[:80])
            continue
        draft.source = "facturx"
        _fill_from_text(draft, content.text)
        return DocOutcome(invoices=(finish(draft, default_terms_days=default_terms_days, hints=hints),))
    batch = _batch_pages(content)
    if batch:
        return _from_batch(batch, default_terms_days, hints)
    kind = document_kind(content.text)
    if kind is not DocKind.INVOICE:
        return DocOutcome(not_invoice=REASONS[kind])
    draft = read_layout(content.layout, content.text, source="pdf", own_names=hints.own_names)
    return DocOutcome(invoices=(finish(draft, default_terms_days=default_terms_days, hints=hints),))


def _batch_pages(content: PdfContent) -> list[tuple[Page | None, str]]:
    """Pages of a batch export (one invoice per page, each titled and numbered differently), else []."""
    texts = content.text.split("\f")
    layouts: list[Page | None] = list(content.layout) if len(content.layout) == len(texts) else [None] * len(texts)
    pages = [(layout, text) for layout, text in zip(layouts, texts, strict=True) if text.strip()]
    if len(pages) < 2:
        return []
    numbers = [read_text(text, source="pdf").number for _, text in pages]
    titled = all(document_kind(text) is DocKind.INVOICE for _, text in pages)
    return pages if titled and None not in numbers and len(set(numbers)) == len(pages) else []


def _from_batch(pages: list[tuple[Page | None, str]], default_terms_days: int, hints: MailHints) -> DocOutcome:
    invoices = []
    for layout, text in pages:
        draft = read_layout((layout,) if layout else (), text, source="pdf", own_names=hints.own_names)
        draft.notes.append("one of several invoices in one PDF (one per page)")
        invoices.append(finish(draft, default_terms_days=default_terms_days, hints=hints))
    return DocOutcome(invoices=tuple(invoices))


def from_text(
    text: str, *, source: str, default_terms_days: int, hints: MailHints | None = None
) -> DocOutcome:
    """A text document (PDF text layer or mail body): its kind first, then its fields."""
    kind = document_kind(text)
    if kind is not DocKind.INVOICE:
        return DocOutcome(not_invoice=REASONS[kind])
    draft = read_text(text, source=source, own_names=hints.own_names if hints else ())
    return DocOutcome(invoices=(finish(draft, default_terms_days=default_terms_days, hints=hints),))


def read_document(
    name: str | None,
    content_type: str,
    data: bytes,
    *,
    default_terms_days: int = 30,
    hints: MailHints | None = None,
    limits: PdfLimits | None = None,
) -> DocOutcome:
    """Invoices in one PDF or XML document. IntakeError when it cannot be read at all (with the reason)."""
    hints = hints or MailHints()
    kind = sniff(name, content_type, data)
    if kind == "pdf":
        return _from_pdf(data, default_terms_days, hints, limits)
    if kind == "xml":
        try:
            draft = read_einvoice(data)
        except NotAnInvoice as exc:
            return DocOutcome(not_invoice=str(exc.args[0]))
        return DocOutcome(invoices=(finish(draft, default_terms_days=default_terms_days, hints=hints),))
    raise IntakeError(f"not a PDF or XML document ({content_type})")
