"""A PDF page as positioned text: segments (text runs with boxes) → lines → reading-order text, and
label → value pairing by geometry (right of the label, below it in the same column, or above it when a
caption sits under its value).

Segments come from PDFium's text rectangles (one per text run on a line, see pdftext.page_segments):
far fewer calls than one per character, so a page reads in well under a millisecond. Coordinates are
top-down (y grows down the page) in PDF points.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import pairwise
from typing import Generic, TypeVar

T = TypeVar("T")

_SAME_LINE = 0.5  # centres closer than this share of the smaller height put two segments on one line
_MERGE_GAP = 0.35  # a horizontal gap below this many heights joins two segments into one cell
_BELOW_LINES = 3.2  # how far below a label (in line heights) its value may sit
_ABOVE_LINES = 1.8  # a caption under its value: the value sits at most this far above


@dataclass(frozen=True, slots=True)
class Segment:
    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    page: int = 0

    @property
    def height(self) -> float:
        return max(self.bottom - self.top, 1.0)

    def overlaps_x(self, other: Segment, slack: float = 4.0) -> bool:
        return self.x0 - slack < other.x1 and other.x0 - slack < self.x1


@dataclass(frozen=True, slots=True)
class Line:
    cells: tuple[Segment, ...]

    @property
    def top(self) -> float:
        return min(c.top for c in self.cells)

    @property
    def text(self) -> str:
        return "   ".join(c.text for c in self.cells)


@dataclass(frozen=True)
class Page:
    width: float
    height: float
    lines: tuple[Line, ...]
    stacked: tuple[Segment, ...] = ()  # labels broken over two lines ("Invoice" over "Number"), joined

    @property
    def cells(self) -> Iterable[Segment]:
        for line in self.lines:
            yield from line.cells


def make_segment(
    text: str, left: float, bottom: float, right: float, top: float, page_height: float, page: int
) -> Segment | None:
    """A Segment from a PDFium rectangle (bottom-up coordinates); None for whitespace."""
    # PDFium writes U+FFFE for a hyphen at the end of a line (its word-break marker): a hyphen it is.
    text = text.replace("\r", " ").replace("\n", " ").replace("\x00", "").replace("\ufffe", "-").strip()
    if not text:
        return None
    return Segment(text, left, page_height - top, right, page_height - bottom, page)


def _merge(cells: list[Segment]) -> list[Segment]:
    merged: list[Segment] = []
    for cell in sorted(cells, key=lambda c: c.x0):
        if merged:
            prev = merged[-1]
            if cell.x0 - prev.x1 < _MERGE_GAP * min(prev.height, cell.height) and cell.x0 >= prev.x0:
                merged[-1] = Segment(
                    prev.text + " " + cell.text if cell.x0 - prev.x1 > 1 else prev.text + cell.text,
                    prev.x0,
                    min(prev.top, cell.top),
                    max(prev.x1, cell.x1),
                    max(prev.bottom, cell.bottom),
                    prev.page,
                )
                continue
        merged.append(cell)
    return merged


def build_page(segments: list[Segment], width: float, height: float) -> Page:
    """Group segments into lines (vertical centres close together), each line's cells left to right,
    lines top down. Centres, not box overlap: a tall title's box spans two lines of small print beside
    it, which are still two lines."""
    rows: list[list[Segment]] = []
    for seg in sorted(segments, key=lambda s: (s.top + s.bottom) / 2):
        if rows:
            row = rows[-1]
            centre = sum((c.top + c.bottom) / 2 for c in row) / len(row)
            if abs((seg.top + seg.bottom) / 2 - centre) <= _SAME_LINE * min(seg.height, row[0].height):
                row.append(seg)
                continue
        rows.append([seg])
    return Page(width, height, tuple(Line(tuple(_merge(row))) for row in rows))


def normalised(page: Page) -> Page:
    """The same page with NFKC text (full-width digits and signs as ASCII), as the field readers want."""

    def norm(c: Segment) -> Segment:
        return Segment(unicodedata.normalize("NFKC", c.text), c.x0, c.top, c.x1, c.bottom, c.page)

    return Page(page.width, page.height, tuple(Line(tuple(norm(c) for c in line.cells)) for line in page.lines))


_DIGIT = re.compile(r"\d")


def _join(upper: str, lower: str) -> str:
    if upper.endswith("-"):
        return upper[:-1] + lower
    if ord(upper[-1]) > 0x2E80 and ord(lower[0]) > 0x2E80:  # CJK: no space between the halves
        return upper + lower
    return upper + " " + lower


def stacked_labels(page: Page, is_label: Callable[[str], bool]) -> Page:
    """The page with its two-line labels: two short text cells one right under the other, left-aligned,
    no digits, that together (not the upper alone) make a label ("Invoice" over "Number"); the value
    sits under the lower half."""
    joined = []
    lines = page.lines
    for upper_line, lower_line in pairwise(lines):
        for upper in upper_line.cells:
            if _DIGIT.search(upper.text) or len(upper.text) > 20:
                continue
            for lower in lower_line.cells:
                gap = lower.top - upper.bottom
                if abs(lower.x0 - upper.x0) >= 3 or not -1 <= gap < 0.6 * upper.height or _DIGIT.search(lower.text):
                    continue
                text = _join(upper.text, lower.text)
                if is_label(text) and not is_label(upper.text):
                    top, x1 = upper.top, max(upper.x1, lower.x1)
                    joined.append(Segment(text, min(upper.x0, lower.x0), top, x1, lower.bottom, upper.page))
    return Page(page.width, page.height, page.lines, tuple(joined))


def page_text(page: Page) -> str:
    """Reading-order text: lines top down, cells left to right, wide gaps kept as three spaces."""
    return "\n".join(line.text for line in page.lines)


# --- label → value ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Found(Generic[T]):
    value: T
    score: float  # higher is surer
    label: str
    cell: Segment  # where the value was read
    how: str  # "same cell", "right", "below", "above", "row sum"
    label_cell: Segment | None = None  # the label's own cell


def _neighbours(page: Page, label: Segment) -> list[tuple[str, float, Segment]]:
    """Cells that may hold a label's value, with a position score: right > below > above."""
    found: list[tuple[str, float, Segment]] = []
    h = label.height
    for cell in page.cells:
        if cell is label:
            continue
        same_line = min(cell.bottom, label.bottom) - max(cell.top, label.top) >= _SAME_LINE * min(h, cell.height)
        if same_line and cell.x0 >= label.x1 - 1:
            found.append(("right", 0.9 - 0.3 * (cell.x0 - label.x1) / page.width, cell))
        elif cell.top >= label.bottom - 1 and cell.top - label.bottom < _BELOW_LINES * h and label.overlaps_x(cell):
            found.append(("below", 0.8 - 0.1 * (cell.top - label.bottom) / h, cell))
        elif cell.bottom <= label.top + 1 and label.top - cell.bottom < _ABOVE_LINES * h and label.overlaps_x(cell):
            found.append(("above", 0.5 - 0.1 * (label.top - cell.bottom) / h, cell))
    found.sort(key=lambda item: -item[1])
    return found


def pair(
    pages: list[Page],
    labels: Iterable[tuple[re.Pattern[str], int]],
    read: Callable[[str], T | None],
    is_label: Callable[[str], bool],
    skip: Callable[[Segment], bool] = lambda _cell: False,
) -> list[Found[T]]:
    """Every (value, score) the labels point to, best first. A label's own cell wins ("No.: 12"), then the
    nearest readable cell right, below or above that is not itself a label."""
    results: list[Found[T]] = []
    patterns = tuple(labels)
    combined = _combined(patterns)
    for page in pages:
        for cell in (*page.cells, *page.stacked):
            if not combined.search(cell.text) or skip(cell):
                continue
            for pattern, tier in patterns:
                m = pattern.search(cell.text)
                if not m:
                    continue
                tier_bonus = -0.1 * tier
                rest = cell.text[m.end() :].lstrip(" :.-)\t#")
                value = read(rest) if rest else None
                if value is not None:
                    results.append(Found(value, 1.0 + tier_bonus, m.group(0), cell, "same cell", cell))
                    break
                for how, score, other in _neighbours(page, cell):
                    if is_label(other.text) or skip(other):
                        continue
                    value = read(other.text)
                    if value is not None:
                        results.append(Found(value, score + tier_bonus, m.group(0), other, how, cell))
                        break
                break  # a cell is one label: its strongest pattern speaks for it
    results.sort(key=lambda f: -f.score)
    return results


def row_right_of(page: Page, label: Segment) -> list[Segment]:
    """The cells on a label's line to its right, left to right (a table row)."""
    for line in page.lines:
        if label in line.cells:
            return [c for c in line.cells if c.x0 >= label.x1 - 1]
    return []


@functools.lru_cache(maxsize=64)
def _combined(patterns: tuple[tuple[re.Pattern[str], int], ...]) -> re.Pattern[str]:
    """One search per cell first; the labels one by one only on cells that hold any of them."""
    return re.compile("|".join(f"(?:{p.pattern})" for p, _ in patterns), re.I)


def block_below(page: Page, label: Segment, *, max_lines: int = 6) -> list[Segment]:
    """The address block under (or right of) a label: cells in its column, contiguous, top down."""
    block: list[Segment] = []
    bottom = label.bottom
    h = label.height
    for line in page.lines:
        if line.top < label.top - 1:
            continue
        for cell in line.cells:
            if cell is label or cell.top < label.top - 1:
                continue
            right_of = cell.top < label.bottom and cell.x0 >= label.x1 - 1 and cell.x0 - label.x1 < 0.3 * page.width
            column = cell.overlaps_x(label, slack=8.0) or abs(cell.x0 - label.x0) < 12
            if right_of or (column and cell.top >= bottom - 1 and cell.top - bottom < 1.9 * h):
                block.append(cell)
                bottom = max(bottom, cell.bottom)
        if len(block) >= max_lines:
            break
    return block
