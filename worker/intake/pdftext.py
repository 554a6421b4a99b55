"""PDF bytes to text and embedded e-invoice XML, with pypdfium2 (fast, BSD/Apache licensed).

The embedded XML of a Factur-X/ZUGFeRD PDF is read from the same open document (pypdfium2's
attachment API) rather than with factur-x's own reader: that one re-parses the whole PDF with pypdf
(several times slower) and checks the XML with lxml's default parser, while ours goes through the
safe parser in einvoice.py. Anything that cannot be read raises IntakeError with a reason a person
can act on; nothing here crashes on hostile input.
"""

from __future__ import annotations

import ctypes
import threading
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import structlog

from worker.errors import IntakeError
from worker.intake.layout import Page, Segment, build_page, make_segment, page_text

log = structlog.get_logger(__name__)

# PDFium is not thread-safe; one lock keeps a threaded worker correct at no cost to a single thread.
_PDFIUM_LOCK = threading.Lock()

# Names Factur-X, ZUGFeRD 1/2, XRechnung and Order-X give their embedded XML; any other *.xml is tried last.
EINVOICE_NAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml", "zugferd_invoice.xml")
_MIN_TEXT_CHARS = 20  # fewer letters than this on every page: a scan, not a text PDF


@dataclass(frozen=True)
class PdfLimits:
    """Refuse PDFs bigger than this before PDFium spends time on them (a person reads those); read the
    rest in a child process capped at memory_mb of address space and `seconds` of wall time."""

    max_bytes: int = 20 * 1024 * 1024
    max_pages: int = 50
    memory_mb: int = 1024
    seconds: float = 10.0
    isolate: bool = True  # False: read in this process (the child itself, the benchmark's comparison)


@dataclass(frozen=True)
class PdfContent:
    text: str  # pages joined with form feeds, each page's lines in reading order (layout.page_text)
    pages: int
    xml: tuple[tuple[str, bytes], ...] = ()  # embedded XML files (name, bytes), e-invoice names first
    layout: tuple[Page, ...] = ()  # positioned text of every page, for label → value by geometry


def _open(data: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
            raise IntakeError("PDF is encrypted with a password: cannot read it") from exc
        raise IntakeError("PDF is damaged or not a PDF: cannot open it") from exc


def _embedded_xml(doc: pdfium.PdfDocument, max_bytes: int) -> list[tuple[str, bytes]]:
    found: list[tuple[str, bytes]] = []
    for i in range(doc.count_attachments()):
        attachment = doc.get_attachment(i)
        name = attachment.get_name() or ""
        if not name.lower().endswith(".xml"):
            continue
        try:
            data = bytes(attachment.get_data())
        except pdfium.PdfiumError:
            log.info("pdf_attachment_unreadable", name_suffix=".xml")
            continue
        if len(data) <= max_bytes:
            found.append((name, data))
    # Known e-invoice names first, so a Factur-X file wins over any other XML riding along.
    found.sort(key=lambda item: item[0].lower() not in EINVOICE_NAMES)
    return found


def page_segments(textpage: pdfium.PdfTextPage, height: float, index: int) -> list[Segment]:
    """Text runs with their boxes, top-down coordinates: characters joined while they sit on one line
    close together; a line break, a wide gap or a jump back starts a new run. One PDFium call per
    character (loose boxes: CID fonts report flat tight boxes); PDFium's own text rectangles merge
    runs of different columns for some fonts, so they are not used."""
    count = pdfium_c.FPDFText_CountChars(textpage.raw)
    text = textpage.get_text_range(0, count) if count > 0 else ""
    if len(text) != count:  # a character outside the BMP shifted the indices: read them one by one
        text = "".join(chr(pdfium_c.FPDFText_GetUnicode(textpage.raw, i) or 32) for i in range(count))
    box = pdfium_c.FS_RECTF()
    get_box = pdfium_c.FPDFText_GetLooseCharBox
    raw, ref = textpage.raw, ctypes.byref(box)
    segments: list[Segment] = []
    chars: list[str] = []
    left = top = right = bottom = 0.0

    def flush() -> None:
        if chars:
            seg = make_segment("".join(chars), left, bottom, right, top, height, index)
            if seg is not None:
                segments.append(seg)
            chars.clear()

    for i, ch in enumerate(text):
        if ch in "\r\n\x02":
            flush()
            continue
        if not get_box(raw, i, ref):
            continue
        if ch.isspace():
            if chars:
                chars.append(" ")
            continue
        h = max(top - bottom, box.top - box.bottom, 1.0)
        if chars and (
            abs(box.bottom - bottom) > 0.5 * h or box.left - right > 0.8 * h or box.left < right - 0.5 * h
        ):
            flush()
        if not chars:
            left, top, right, bottom = box.left, box.top, box.right, box.bottom
        else:
            right, top, bottom = max(right, box.right), max(top, box.top), min(bottom, box.bottom)
        chars.append(ch)
    flush()
    return segments


def _layouts(doc: pdfium.PdfDocument, pages: int) -> list[Page]:
    layouts = []
    for index in range(pages):
        page = doc[index]
        try:
            width, height = page.get_size()
            textpage = page.get_textpage()
            try:
                layouts.append(build_page(page_segments(textpage, height, index), width, height))
            finally:
                textpage.close()
        finally:
            page.close()
    return layouts


def _page_texts(doc: pdfium.PdfDocument, pages: int) -> list[str]:
    texts = []
    for index in range(pages):
        page = doc[index]
        try:
            textpage = page.get_textpage()
            texts.append(textpage.get_text_range())
            textpage.close()
        finally:
            page.close()
    return texts


def read_pdf(data: bytes, limits: PdfLimits | None = None) -> PdfContent:
    """Text and embedded XML of a PDF. IntakeError for encrypted, damaged, too big or image-only PDFs."""
    limits = limits or PdfLimits()
    if len(data) > limits.max_bytes:
        raise IntakeError(f"PDF is {len(data)} bytes, over the {limits.max_bytes}-byte limit")
    if b"%PDF-" not in data[:1024]:
        raise IntakeError("not a PDF (no %PDF- header)")
    with _PDFIUM_LOCK:
        doc = _open(data)
        try:
            pages = len(doc)
            if pages > limits.max_pages:
                raise IntakeError(f"PDF has {pages} pages, over the {limits.max_pages}-page limit")
            xml = _embedded_xml(doc, limits.max_bytes)
            layouts = _layouts(doc, pages)
        except pdfium.PdfiumError as exc:
            raise IntakeError("PDF is damaged: a page cannot be read") from exc
        finally:
            doc.close()
    text = "\f".join(page_text(page) for page in layouts)
    if not xml and sum(ch.isalnum() for ch in text) < _MIN_TEXT_CHARS:
        raise IntakeError("PDF has no text layer (a scan or image only): needs a person or OCR")
    return PdfContent(text=text, pages=pages, xml=tuple(xml), layout=tuple(layouts))


def raw_text(data: bytes) -> str:
    """Plain pypdfium2 text of every page, no checks: the benchmark's baseline."""
    with _PDFIUM_LOCK:
        doc = pdfium.PdfDocument(data)
        try:
            return "\f".join(_page_texts(doc, len(doc)))
        finally:
            doc.close()
