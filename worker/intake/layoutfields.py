"""Invoice fields from positioned PDF text: each label's value found by geometry (layout.pair), scored,
and the total chosen by consistency. The reading-order text reader (textfields.read_text) runs first and
keeps any field geometry does not find, so a PDF is never read worse than as plain text.

Why geometry: a two-column header (our details left, the customer right) interleaves in a flat text
stream; a value printed under its label, or a caption under its value, is not on the label's line; a
table's total sits in another column of the same row.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal
from functools import cache
from typing import TypeVar

from worker.intake.assemble import Draft
from worker.intake.layout import (
    Found,
    Page,
    Segment,
    block_below,
    normalised,
    pair,
    row_right_of,
    stacked_labels,
)
from worker.intake.textfields import (
    ACCOUNT_LINE,
    ADJUSTMENT_LABELS,
    AMOUNT_LABELS,
    CARE_OF,
    CUSTOMER_LABELS,
    DUE_LABELS,
    EMAIL,
    ISSUE_LABELS,
    NUMBER_LABELS,
    OTHER_PARTY_LABELS,
    PAID_LABELS,
    PREVIOUS,
    SUBTOTAL_LABELS,
    TAX_LABELS,
    TERMS_LABELS,
    Label,
    adjustment,
    choose_total,
    company_of,
    is_japanese,
    normalise,
    own_party,
    read_number,
    read_text,
)
from worker.intake.values import Money, currency_hint, find_dates, find_money, month_first_for

T = TypeVar("T")
_ALL_LABELS = (
    NUMBER_LABELS
    + ISSUE_LABELS
    + DUE_LABELS
    + AMOUNT_LABELS
    + SUBTOTAL_LABELS
    + TAX_LABELS
    + TERMS_LABELS
    + CUSTOMER_LABELS
    + OTHER_PARTY_LABELS
)
_NOT_TOTAL_CELL = re.compile(
    r"(?i)小計|消費税|税抜|subtotal|sub-total|excl|zwischensumme|netto|\bht\b|sous-total|subtotaal"
)
_NOT_NAME = re.compile(
    r"(?i)^(?:attn|attention|c/o|tel|phone|fax|vat|gst|tax|reg|company\s+no|kvk|siret|ust)\b|^\+?\d[\d\s()-]{5,}$"
)


@cache
def _label_start() -> re.Pattern[str]:
    """A cell that begins with a label (or is one): not a value for another label."""
    parts = [label.pattern.pattern.lstrip("^").removeprefix(r"\s*") for label in _ALL_LABELS]
    return re.compile(r"^\s*(?:" + "|".join(f"(?:{p})" for p in parts) + r")", re.I)


def _is_label(text: str) -> bool:
    m = _label_start().match(text)
    return m is not None and not text[m.end() :].strip(" :.#-()")


def _starts_with_label(text: str) -> bool:
    """A cell opening with a label ("Due date: 1 May") holds that label's value, not a neighbour's."""
    return _label_start().match(text) is not None


@cache
def _patterns(labels: tuple[Label, ...]) -> tuple[tuple[re.Pattern[str], int], ...]:
    return tuple((label.pattern, label.tier) for label in labels)


def _best(found: list[Found[T]]) -> T | None:
    return found[0].value if found else None


_LETTERS = re.compile(r"[^\W\d_]{2,}")


def _money_reader(currency: str | None) -> Callable[[str], Money | None]:
    """A cell that is an amount (words around a number make it a line of text, not a value)."""

    def read(text: str) -> Money | None:
        moneys = find_money(text, currency)
        if not moneys:
            return None
        if _SIGNED.search(text):
            return moneys[-1]
        words = [w for w in _LETTERS.findall(text) if w.upper() not in _CODE_WORDS]
        return None if words else moneys[-1]

    return read


def _amount(pages: list[Page], currency: str | None) -> tuple[Money | None, bool | None]:
    read = _money_reader(currency)

    strong = [label.pattern for label in AMOUNT_LABELS if label.tier <= 1]

    def previous(cell: Segment) -> bool:
        """Last period's figures, and subtotal/tax cells that only share a word with a total label."""
        if PREVIOUS.search(cell.text):
            return True
        return bool(_NOT_TOTAL_CELL.search(cell.text)) and not any(p.search(cell.text) for p in strong)

    totals = [
        _row_total(pages, f, read)
        for f in pair(pages, _patterns(AMOUNT_LABELS), read, _starts_with_label, skip=previous)
    ]
    totals = [f for f in totals if not (_NOT_TOTAL_CELL.search(f.label) and f.how == "same cell")]
    subtotals = pair(pages, _patterns(SUBTOTAL_LABELS), read, _starts_with_label)
    any_total = [label.pattern for label in AMOUNT_LABELS]
    # "Totaal incl. BTW" names the tax but is the total: not a tax amount.
    taxes = pair(
        pages,
        _patterns(TAX_LABELS),
        read,
        _starts_with_label,
        skip=lambda cell: any(p.search(cell.text) for p in any_total),
    )
    # The label's tier again (strongest first), in reading order within a tier.
    ranked = [(_tier(f), f.value) for f in sorted(totals, key=lambda f: (f.cell.page, f.cell.top))]
    adjust = sum(
        (
            adjustment(f.label, f.value.amount)
            for f in pair(pages, _patterns(ADJUSTMENT_LABELS), read, _starts_with_label)
        ),
        Decimal(0),
    )
    paid = [f.value for f in pair(pages, _patterns(PAID_LABELS), read, _starts_with_label)]
    money, agrees = choose_total(ranked, [f.value for f in subtotals], [f.value for f in taxes], adjust, paid)
    if any(f.how == "row sum" and f.value == money for f in totals):
        return money, True  # net | tax | gross in the total's own row add up
    return money, (agrees if subtotals and taxes else None)


_CODE_WORDS = frozenset({"EUR", "USD", "GBP", "JPY", "INR", "CHF", "RS", "AUD", "CAD", "SGD", "INCL", "TTC"})
_SIGNED = re.compile(r"[$€£¥₹]|\b(?:EUR|USD|GBP|JPY|INR|CHF|Rs)\b|円")


def _row_total(pages: list[Page], found: Found[Money], read: Callable[[str], Money | None]) -> Found[Money]:
    """A total label heading a table row of several amounts (net | tax | gross): the amount the others
    add up to, else the rightmost; the nearest cell is the net."""
    if found.how != "right" or found.label_cell is None:
        return found
    page = pages[found.label_cell.page] if found.label_cell.page < len(pages) else pages[0]
    row: list[tuple[Segment, Money]] = []
    for cell in row_right_of(page, found.label_cell):  # the run of amounts right of the label, no other label
        money = read(cell.text)
        if money is None:
            break
        row.append((cell, money))
    if len(row) < 2:
        return found
    amounts = [m.amount for _, m in row]
    total = sum(amounts)
    for cell, money in row:
        if money.amount * 2 == total:  # the others sum to this one: the row proves itself
            return replace(found, value=money, cell=cell, how="row sum")
    cell, money = row[-1]
    return replace(found, value=money, cell=cell)


def _tier(found: Found[Money]) -> int:
    for label in AMOUNT_LABELS:
        if label.pattern.fullmatch(found.label) or label.pattern.search(found.label):
            return label.tier
    return 3


def _date_reader(month_first: bool) -> Callable[[str], date | None]:
    def read(text: str) -> date | None:
        dates = find_dates(text, month_first=month_first)
        return dates[0][1] if dates else None

    return read


def _customer(pages: list[Page], own_names: tuple[str, ...]) -> tuple[str | None, str | None, str]:
    """Name and email from the bill-to block (the first one not ours); how it was found, for notes."""
    other = re.compile("|".join(f"(?:{label.pattern.pattern})" for label in OTHER_PARTY_LABELS), re.I)
    for page in pages:
        for cell in page.cells:
            m = next((lab.pattern.search(cell.text) for lab in CUSTOMER_LABELS if lab.pattern.search(cell.text)), None)
            if m is None or other.search(cell.text):
                continue
            rest = cell.text[m.end() :].strip(" :.-)]\t")
            block = [c.text for c in block_below(page, cell)]
            lines = ([rest] if rest else []) + block
            name = next(
                (
                    line
                    for line in (EMAIL.sub("", x).strip(" ,<>:") for x in lines)
                    if line
                    and not _NOT_NAME.search(line)
                    and not CARE_OF.match(line)
                    and not ACCOUNT_LINE.match(line)
                    and not _is_label(line)
                    and not other.search(line)
                ),
                None,
            )
            if name is None or own_party(name, own_names):
                continue
            email = next((e.group(0) for e in (EMAIL.search(x) for x in lines) if e), None)
            return company_of(name) or name, email, "the bill-to block"
    return None, None, ""


_SELLER_MARK = re.compile(
    r"(?i)\bT\s?\d{13}\b|登録番号|ust-?id|\bvat\s*(?:reg|no|number|id)|gstin|siret|siren|\bkvk\b|"
    r"company\s+(?:no|number|reg)|\biban\b|\bbic\b|\bswift\b|\bhrb\b|\bein\b|\babn\b|btw-?nr"
)
_COMPANY_WORD = re.compile(
    r"(?i)\b(?:gmbh|ag|kg|ohg|ug|ltd|limited|llp|plc|inc|llc|corp|corporation|co\.|b\.v\.|bv|n\.v\.|"
    r"sarl|sas|sa|srl|s\.l\.|pvt)\b|株式会社|有限会社|合同会社|\(株\)"
)
_CARE_OF = CARE_OF


def _column_blocks(page: Page) -> list[list[Segment]]:
    """Cells in the top half grouped into address-like blocks: each under the one above, left-aligned."""
    blocks: list[list[Segment]] = []
    for line in page.lines:
        for cell in line.cells:
            if cell.top > page.height * 0.5:
                return blocks
            for block in blocks:
                last = block[-1]
                similar = 0.7 < cell.height / last.height < 1.45  # a title above is no address line
                if similar and abs(cell.x0 - last.x0) < 12 and 0 <= cell.top - last.bottom < 1.9 * last.height:
                    block.append(cell)
                    break
            else:
                blocks.append([cell])
    return blocks


def _unlabelled_customer(pages: list[Page], own_names: tuple[str, ...]) -> tuple[str | None, str | None]:
    """The addressee block of a letter-style invoice (no "Bill to"): a block in the top half that is not
    ours (no registration or bank line, not our name), named like a company or holding an email."""
    if not pages:
        return None, None
    page = pages[0]
    best: tuple[float, str, str | None] | None = None
    for block in _column_blocks(page):
        texts = [c.text for c in block]
        if len(texts) < 2 or any(_SELLER_MARK.search(t) or own_party(t, own_names) for t in texts):
            continue
        names = [t for t in texts if not _CARE_OF.match(t) and not EMAIL.search(t) and not _starts_with_label(t)]
        if not names or _starts_with_label(texts[0]):
            continue
        email = next((e.group(0) for e in (EMAIL.search(t) for t in texts) if e), None)
        score = (1.0 if email else 0.0) + (1.0 if _COMPANY_WORD.search(names[0]) else 0.0)
        score += 0.3 if block[0].x0 < page.width / 2 else 0.0
        if score >= 1.0 and (best is None or score > best[0]):
            best = (score, company_of(names[0]) or names[0], email)
    return (best[1], best[2]) if best else (None, None)


def _addressee_email(pages: list[Page], name: str) -> str | None:
    """The email printed in the block of the …御中/…様 addressee cell (its own column)."""
    for page in pages:
        for cell in page.cells:
            if name in cell.text and ("御中" in cell.text or "様" in cell.text):
                for below in block_below(page, cell, max_lines=4):
                    if (
                        _starts_with_label(below.text)
                        or _SELLER_MARK.search(below.text)
                        or _COMPANY_WORD.search(below.text)
                    ):
                        return None  # the block is over: what follows is another party's
                    m = EMAIL.search(below.text)
                    if m:
                        return m.group(0)
                return None
    return None


def read_layout(pages: tuple[Page, ...], text: str, *, source: str, own_names: tuple[str, ...] = ()) -> Draft:
    """Every field of a PDF invoice: geometry first, the reading-order text where geometry is silent."""
    if not pages:
        return read_text(text, source=source, own_names=own_names)
    norm = [stacked_labels(normalised(p), _is_label) for p in pages]
    flat = normalise(text)
    stated = currency_hint(flat)
    currency = stated or ("JPY" if is_japanese(flat) else None)
    month_first = month_first_for(flat, currency)
    number = _best(pair(norm, _patterns(NUMBER_LABELS), read_number, _starts_with_label))
    dates = _date_reader(month_first)
    issue = _best(pair(norm, _patterns(ISSUE_LABELS), dates, _starts_with_label))
    due = _best(pair(norm, _patterns(DUE_LABELS), dates, _starts_with_label))
    money, agrees = _amount(norm, currency)
    # The reading-order text reads only what geometry did not find (and the rest: terms, customer …).
    found = {"number": number, "issue": issue, "due": due, "amount": money}
    skip = frozenset(name for name, value in found.items() if value is not None)
    draft = read_text(text, source=source, own_names=own_names, skip=skip)
    if number:
        draft.number = number
    if issue is not None:
        draft.issue_date = issue
    if due is not None:
        draft.due_date = due
    if draft.issue_date is not None and draft.due_date is not None and draft.due_date < draft.issue_date:
        draft.notes.append("the due date read is before the issue date")
        draft.doubts.append("totals_disagree")
    if money is not None:
        draft.amount, draft.currency = money.amount, money.currency or draft.currency
        if stated is None:
            draft.doubts.append("currency_guessed")
            draft.notes.append(f"currency {money.currency} assumed from the document's language")
        if agrees is False:  # a field set that does not add up is not guessed into a case
            draft.doubts.append("totals_disagree")
            draft.notes.append("subtotal + tax do not add up to the total read: confirm the amount")
    name, email, how = _customer(norm, own_names)
    if name is None and draft.customer_name is None:
        name, email = _unlabelled_customer(norm, own_names)
        how = "the addressee block (no bill-to label)"
    if name and not (draft.language == "ja" and draft.customer_name and "御中" in flat):
        draft.customer_name = name
        draft.notes.append(f"customer read from {how}")
    if email:
        draft.customer_email = email
    elif draft.language == "ja" and draft.customer_name:
        draft.customer_email = _addressee_email(norm, draft.customer_name) or draft.customer_email
    return draft
