"""A page of a forwarded invoice PDF as a PNG, for the reviewer who confirms what intake read.

PDFium runs on mail from outside, so it runs here as intake runs it: in a child process
(`python -m worker.review.pagepng`) capped in address space and wall-clock time, refusing PDFs over the
intake byte and page limits before any work. The picture is bounded too: at most MAX_SIDE pixels on
its long side and MAX_PIXELS in all, whatever size the PDF claims its page is. The PNG is encoded
here with zlib (no imaging library needed); the PDF itself is never sent to the browser.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from worker.errors import IntakeError

DPI = 144
MAX_SIDE = 1800  # pixels on the long side of a rendered page
MAX_PIXELS = 2_400_000  # a 1800 x 1333 landscape page, an A4 portrait at 144 dpi is 1191 x 1684
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_PAGES, _RENDER = "pages", "render"
_MAX_FIND = 20  # invoice numbers looked up per PDF


@dataclass(frozen=True)
class RenderLimits:
    max_bytes: int = 20 * 1024 * 1024
    max_pages: int = 50
    memory_mb: int = 1024
    seconds: float = 10.0


def scale_for(width_pt: float, height_pt: float) -> float:
    """PDF points to pixels at DPI, shrunk so the picture stays within MAX_SIDE and MAX_PIXELS."""
    if width_pt <= 0 or height_pt <= 0:
        raise IntakeError("the PDF page has no size")
    scale = DPI / 72
    scale = min(scale, MAX_SIDE / max(width_pt, height_pt))
    if width_pt * height_pt * scale * scale > MAX_PIXELS:
        scale = (MAX_PIXELS / (width_pt * height_pt)) ** 0.5
    return scale


def encode_png(rgb: bytes, width: int, height: int, stride: int) -> bytes:
    """Truecolour 8-bit PNG from RGB rows `stride` bytes apart (filter 0 on every row)."""
    row = width * 3
    raw = b"".join(b"\x00" + rgb[y * stride: y * stride + row] for y in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return _PNG_MAGIC + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")


@dataclass(frozen=True)
class PdfPages:
    count: int
    found: dict[str, int]  # invoice number → the first page (1-based) whose text holds it


def _find(doc: object, pages: int, numbers: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index in range(pages):
        page = doc[index]  # type: ignore[index]
        try:
            textpage = page.get_textpage()
            text = textpage.get_text_range()
            textpage.close()
        finally:
            page.close()
        for number in numbers:
            if number not in found and number in text:
                found[number] = index + 1
    return found


def _render_here(data: bytes, mode: str, page_no: int, max_pages: int, numbers: list[str]) -> bytes:
    """In the child: the page count and where each number is (JSON), or page `page_no` (1-based) as PNG."""
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError:
        raise IntakeError("the PDF is damaged, encrypted or not a PDF: open the raw mail instead") from None
    try:
        pages = len(doc)
        if pages > max_pages:
            raise IntakeError(f"the PDF has {pages} pages, over the {max_pages}-page limit")
        if mode == _PAGES:
            return json.dumps({"count": pages, "found": _find(doc, pages, numbers)}).encode()
        if not 1 <= page_no <= pages:
            raise IntakeError(f"the PDF has no page {page_no} (it has {pages})")
        page = doc[page_no - 1]
        try:
            width, height = page.get_size()
            bitmap = page.render(scale=scale_for(width, height), rev_byteorder=True, may_draw_forms=False)
            if bitmap.n_channels != 3:
                raise IntakeError("the page rendered in an unexpected pixel format")
            return encode_png(bytes(bitmap.buffer), bitmap.width, bitmap.height, bitmap.stride)
        finally:
            page.close()
    finally:
        doc.close()


def _cap_memory(megabytes: int) -> None:
    import resource

    limit = megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def main() -> None:
    """`python -m worker.review.pagepng MEMORY_MB MODE PAGE MAX_PAGES [NUMBER…]`: PDF on stdin, answer on
    stdout; exit 2 with the reason on stderr when the PDF cannot be shown."""
    memory_mb, mode, page_no, max_pages = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    numbers = sys.argv[5:]
    _cap_memory(memory_mb)
    data = sys.stdin.buffer.read()
    try:
        out = _render_here(data, mode, page_no, max_pages, numbers)
    except IntakeError as exc:
        sys.stderr.write(str(exc))
        raise SystemExit(2) from None
    except MemoryError:
        sys.stderr.write(f"the page needs more than the {memory_mb} MB memory limit to draw")
        raise SystemExit(2) from None
    sys.stdout.buffer.write(out)


def _child(data: bytes, mode: str, page_no: int, limits: RenderLimits, numbers: Sequence[str] = ()) -> bytes:
    if len(data) > limits.max_bytes:
        raise IntakeError(f"the PDF is {len(data)} bytes, over the {limits.max_bytes}-byte limit")
    if b"%PDF-" not in data[:1024]:
        raise IntakeError("the attachment is not a PDF")
    command = [sys.executable, "-m", "worker.review.pagepng", str(limits.memory_mb), mode, str(page_no),
               str(limits.max_pages), *numbers]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    try:
        done = subprocess.run(command, input=data, capture_output=True, timeout=limits.seconds, env=env,
                              check=False)
    except subprocess.TimeoutExpired:
        raise IntakeError(f"the page took longer than {limits.seconds:g} s to draw: open the raw mail") from None
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        known = done.returncode == 2 and reason
        raise IntakeError(reason[-1][:300] if known else
                          f"the page could not be drawn (over the {limits.memory_mb} MB memory limit?)")
    return done.stdout


def pdf_pages(data: bytes, limits: RenderLimits, numbers: Sequence[str] = ()) -> PdfPages:
    """How many pages the PDF has and on which page each invoice number first appears (IntakeError when
    the PDF cannot be shown)."""
    wanted = [n for n in dict.fromkeys(numbers) if n and not n.startswith("-") and len(n) <= 64][:_MAX_FIND]
    answer = json.loads(_child(data, _PAGES, 0, limits, wanted))
    return PdfPages(count=int(answer["count"]), found={str(k): int(v) for k, v in answer["found"].items()})


def render_page(data: bytes, page_no: int, limits: RenderLimits) -> bytes:
    """Page `page_no` (1-based) of the PDF as PNG bytes (IntakeError when it cannot be drawn)."""
    png = _child(data, _RENDER, page_no, limits)
    if not png.startswith(_PNG_MAGIC):
        raise IntakeError("the page could not be drawn")
    return png


if __name__ == "__main__":
    main()
