"""Invoice fields from plain text (a PDF's text layer or a mail body), English and Japanese.

Each field has an ordered tuple of labels, strongest first; the value is read on the label's line after
the label, or on the next lines when a table put it below. Text is NFKC-normalised first, so full-width
digits, ￥, （税込） and ： read like their ASCII forms.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from worker.intake.assemble import Draft
from worker.intake.values import Money, currency_hint, find_dates, find_money

EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
REGISTRATION = re.compile(r"(?<![A-Za-z0-9])T\s?(\d{13})(?!\d)")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
_NUMBER_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_/#.-]*\d[A-Za-z0-9_/#.-]*|\d[A-Za-z0-9_/#.-]*")
_LOOKAHEAD_LINES = 2
_HEAD_LINES = 12


@dataclass(frozen=True)
class Label:
    pattern: re.Pattern[str]
    tier: int = 1  # lower is stronger; within a tier the first hit wins unless the field says otherwise


def _labels(tier: int, *patterns: str) -> tuple[Label, ...]:
    return tuple(Label(re.compile(p, re.I), tier) for p in patterns)


NUMBER_LABELS = _labels(
    1,
    r"請求書番号",
    r"請求番号",
    r"請求書\s*no\.?",
    r"invoice\s*(?:no\.?|number|num\.?|#|id)(?=[\s:#.]|$)",
    r"^\s*inv(?:oice)?\s*#",
) + _labels(2, r"伝票番号", r"^\s*(?:no|№)\.?(?=[\s:])", r"^\s*document\s*(?:no\.?|number)")
ISSUE_LABELS = _labels(
    1,
    r"請求書発行日",
    r"発行日",
    r"請求日",
    r"発行年月日",
    r"請求年月日",
    r"invoice\s+date",
    r"date\s+of\s+issue",
    r"issue\s+date",
    r"date\s+issued",
    r"issued\s+on",
) + _labels(2, r"^\s*date\b", r"^\s*日付")
DUE_LABELS = _labels(
    1,
    r"お支払い?期限",
    r"お支払い?期日",
    r"支払期日",
    r"支払期限",
    r"お振込み?期限",
    r"お振込み?期日",
    r"振込期限",
    r"お支払い?日",
    r"due\s+date",
    r"payment\s+due(?:\s+date)?(?!\s*amount)",
    r"due\s+(?:by|on)",
    r"pay\s+by",
    r"please\s+pay\s+by",
    r"^\s*due\b(?!\s*amount)",
)
AMOUNT_LABELS = (
    _labels(
        1,
        r"ご請求金額",
        r"御請求金額",
        r"請求金額",
        r"ご請求額",
        r"請求額",
        r"お支払い?金額",
        r"お振込み?金額",
        r"amount\s+due",
        r"balance\s+due",
        r"total\s+due",
        r"amount\s+payable",
        r"total\s+payable",
        r"total\s+amount\s+due",
        r"please\s+pay",
    )
    + _labels(
        2,
        r"税込合計",
        r"合計金額\s*\(税込\)",
        r"総合計",
        r"総額",
        r"grand\s+total",
        r"invoice\s+total",
        r"total\s*\(incl",
        r"total\s+including",
    )
    + _labels(3, r"合計金額", r"合計", r"(?<![a-z-])total(?!\s*(?:tax|vat|excl|before|net|quantity|qty))")
)
# Lines that carry a label word but are a partial sum, not what is payable.
_NOT_TOTAL = re.compile(
    r"(?i)小計|消費税|税抜|税額|内税|subtotal|sub-total|tax\s+amount|\bvat\b(?!\s*incl)|excl"
)
TERMS_LABELS = _labels(
    1, r"支払条件", r"お支払条件", r"支払い条件", r"お支払い方法", r"payment\s+terms", r"^\s*terms\b"
)
CUSTOMER_LABELS = _labels(
    1,
    r"bill(?:ed)?\s+to",
    r"invoice\s+to",
    r"sold\s+to",
    r"^\s*customer(?:\s+name)?\b",
    r"請求先",
    r"お客様名",
    r"^\s*to\s*:",
)
_HONORIFIC = re.compile(r"^\s*(?P<name>[^\s:].{0,60}?)\s*(?P<honorific>御中|様)(?:\s|$)")
_NOT_CUSTOMER = re.compile(r"各位|お客様|皆様|皆さま|担当者様$")
_SELLER_BLOCK = re.compile(
    r"(?i)登録番号|T\s?\d{13}|^\s*(?:from|seller|supplier|remit\s+to|発行元|請求元)\b|"
    r"(?:株式会社|有限会社|合同会社).*(?<!御中)(?<!様)$"
)


def normalise(text: str) -> str:
    """NFKC (full-width digits and signs to ASCII) with tidy line ends."""
    text = unicodedata.normalize("NFKC", text).replace("\r\n", "\n").replace("\f", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n"))


def is_japanese(text: str) -> bool:
    return len(_JAPANESE.findall(text[:4000])) >= 5


@dataclass(frozen=True)
class Hit:
    label: Label
    index: int  # line number of the label
    line: str
    after: str  # the rest of the line after the label
    following: list[str]  # the next non-empty lines, where tables put values


@functools.cache
def _any_of(labels: tuple[Label, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{label.pattern.pattern})" for label in labels), re.I)


def _segments(lines: list[str], labels: tuple[Label, ...]) -> list[Hit]:
    """Every labelled line, strongest label first."""
    # One combined search per line first: testing each label on every line was most of the reading time.
    combined = _any_of(labels)
    candidates = [(index, line) for index, line in enumerate(lines) if combined.search(line)]
    hits = []
    for label in labels:
        for index, line in candidates:
            m = label.pattern.search(line)
            if m:
                after = line[m.end() :].lstrip(" :.-)\t")
                following = [x for x in lines[index + 1 : index + 1 + 4] if x.strip()][:_LOOKAHEAD_LINES]
                hits.append(Hit(label, index, line, after, following))
    return hits


def _first(hits: list[Hit], read: Callable[[str], object | None]) -> object | None:
    for hit in hits:
        value = read(hit.after)
        if value is not None:
            return value
        if hit.after.strip():
            continue  # the label's own line had text but no value: do not borrow a later line's
        for candidate in hit.following:
            value = read(candidate)
            if value is not None:
                return value
    return None


def _number(segment: str) -> str | None:
    for m in _NUMBER_TOKEN.finditer(segment):
        token = m.group(0).rstrip(".-/")
        if not find_dates(token) and len(token) >= 2:
            return token
    return None


def _read_amount(lines: list[str], currency: str | None) -> tuple[Money | None, bool]:
    """The payable amount (first of the strongest tier, largest in the weakest), and if it was labelled."""
    by_tier: dict[int, list[Money]] = {}
    for hit in _segments(lines, AMOUNT_LABELS):
        if hit.label.tier == 3 and _NOT_TOTAL.search(hit.line):
            continue
        moneys = find_money(hit.after, currency)
        if not moneys and not hit.after.strip():
            moneys = next((m for m in (find_money(x, currency) for x in hit.following) if m), [])
        if moneys:
            by_tier.setdefault(hit.label.tier, []).append(moneys[-1])
    if by_tier:
        tier = min(by_tier)
        found = by_tier[tier]
        return (max(found, key=lambda m: m.amount) if tier == 3 else found[0]), True
    return None, False


def _customer(lines: list[str]) -> tuple[str | None, str | None]:
    """Customer name and, if printed in the customer's block, their email."""
    # 御中 (to a company) is surer than 様, which also ends words such as 仕様: try it first.
    for honorific in ("御中", "様"):
        for index, line in enumerate(lines[:40]):
            m = _HONORIFIC.match(line)
            if (
                m
                and m.group("honorific") == honorific
                and not _NOT_CUSTOMER.search(line)
                and len(m.group("name")) >= 2
            ):
                return m.group("name").strip(" :"), _block_email(lines, index)
    for hit in _segments(lines, CUSTOMER_LABELS):
        name = EMAIL.sub("", hit.after).strip(" ,<>:")
        index = hit.index
        if not name and hit.following:
            name = EMAIL.sub("", hit.following[0]).strip(" ,<>:")
        if name:
            return name, _block_email(lines, index)
    return None, None


def _block_email(lines: list[str], index: int) -> str | None:
    for offset, line in enumerate(lines[index : index + 5]):
        if offset and _SELLER_BLOCK.search(line):
            return None  # the issuer's block has begun: its address is not the customer's
        m = EMAIL.search(line)
        if m:
            return m.group(0)
    return None


def _registration(text: str) -> str | None:
    labelled = re.search(r"登録番号\s*[:]?\s*T\s?(\d{13})", text)
    m = labelled or REGISTRATION.search(text)
    return f"T{m.group(1)}" if m else None


def _dates(lines: list[str], labels: tuple[Label, ...], month_first: bool) -> date | None:
    def read(segment: str) -> date | None:
        return next((d for _, d in find_dates(segment, month_first=month_first)), None)

    found = _first(_segments(lines, labels), read)
    return found if isinstance(found, date) else None


def read_text(text: str, *, source: str) -> Draft:
    """Every invoice field the text states, as a Draft for assemble.finish."""
    text = normalise(text)
    lines = text.split("\n")
    draft = Draft(source=source, language="ja" if is_japanese(text) else "en")
    currency = currency_hint(text)
    month_first = currency == "USD"
    number = _first(_segments(lines, NUMBER_LABELS), _number)
    draft.number = str(number) if number else None
    money, labelled = _read_amount(lines, currency or ("JPY" if draft.language == "ja" else None))
    if money is not None:
        draft.amount, draft.currency = money.amount, money.currency
        if currency is None:
            draft.doubts.append("currency_guessed")
            draft.notes.append(f"currency {money.currency} assumed from the document's language")
    if not labelled:
        draft.notes.append("no labelled total found")
    draft.issue_date = _dates(lines, ISSUE_LABELS, month_first)
    draft.due_date = _dates(lines, DUE_LABELS, month_first)
    if draft.issue_date is None:
        draft.issue_date = _unlabelled_issue_date(lines, draft.due_date, month_first)
        if draft.issue_date is not None:
            draft.notes.append("issue date read from an unlabelled date at the top")
    if _ambiguous_numeric_dates(text):
        draft.doubts.append("date_order_ambiguous")
        draft.notes.append(
            "dates like 03/04/2026 read " + ("month first (USD)" if month_first else "day first")
        )
    draft.customer_name, draft.customer_email = _customer(lines)
    draft.registration_number = _registration(text)
    draft.terms_text = "\n".join(
        " ".join([hit.after, *hit.following]) for hit in _segments(lines, TERMS_LABELS)
    ) or _terms_anywhere(text)
    return draft


def _unlabelled_issue_date(lines: list[str], due: date | None, month_first: bool) -> date | None:
    """Japanese invoices often print the issue date alone at the top right: the first date up there."""
    for line in lines[:_HEAD_LINES]:
        for _, found in find_dates(line, month_first=month_first):
            if found != due:
                return found
    return None


_AMBIGUOUS = re.compile(r"\b(?P<a>0?[1-9]|1[0-2])[/.-](?P<b>0?[1-9]|1[0-2])[/.-]\d{4}\b")


def _ambiguous_numeric_dates(text: str) -> bool:
    return any(m.group("a").lstrip("0") != m.group("b").lstrip("0") for m in _AMBIGUOUS.finditer(text))


_TERMS_WORDING = re.compile(
    r"(?i)net\s*\d{1,3}|締め|翌月|翌々月|\d{1,3}\s*日以内|within\s+\d{1,3}\s+days|end of (?:the )?"
    r"(?:following|next) month"
)


def _terms_anywhere(text: str) -> str:
    """Lines with payment-terms wording anywhere, for documents that state terms without a label."""
    return "\n".join(line for line in text.split("\n") if _TERMS_WORDING.search(line))
