"""Promised dates in a customer's own words (English and Japanese), resolved against the reply's Date.

Pure and fast: compiled regexes over the text, no parsing library (dateparser costs ~10 ms a sentence and
misses Japanese relative and era forms). Full-width digits and letters are folded to ASCII first with a
length-preserving table, so spans point into the caller's text.

Choices, so a reader knows what a phrase becomes (``today`` is the reference's own calendar date, in the
reference's timezone, so a JST mail written at 08:00 is not read as the day before):
- A bare weekday ("Friday", "by Friday", 金曜日, 月曜日に) is the next such day after today; said on a
  Friday, "Friday" is a week later (people say "today" for today). "this Friday" / 今週金曜日 is the one in
  the current week, or the next when it has passed.
- "next Friday" / 来週金曜日 is the Friday of next week (weeks start on Monday) — unambiguous in Japanese,
  and the more common English reading; "on Tuesday, next Friday" is 10 days ahead, not 3.
- A vague span resolves to its last working day, so the ladder never chases before the customer's own
  window has closed: "this week" / 今週中 → Friday, "next week" / 来週中 → Friday of next week,
  "early next week" / 週明け → Wednesday of next week, "end of the week" / 今週末 → Friday,
  上旬 → the 10th, 中旬 → the 20th, 下旬 / 月末 / "end of the month" → the last day, "next month" /
  来月中 → the last day of next month, 年内 / 年末 → 31 December, 年度末 → 31 March.
- A date without a year, and a day without a month ("by the 15th", 10日までに), is the first such date
  on or after today by default (``prefer="future"``; year and month roll over); ``prefer="past"`` picks
  the last one on or before today (what "we paid on the 3rd" means) and ``prefer="nearest"`` the closer.
- "3/10": Japanese text is month/day; English is month/day (US) unless ``day_first=True`` is passed, or
  the same text settles it (another numeric date with a part above 12, "10 March" spelled day-first,
  a £ or € amount); a part above 12 always decides. "10.3." with dots is always day-first.
- "within 5 days", "in two weeks", 3日以内, 2週間後 count calendar days; "within 5 business days" /
  5営業日以内 skips Saturdays and Sundays (not public holidays).
"""

from __future__ import annotations

import calendar
import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

Prefer = Literal["future", "past", "nearest"]

# Full-width ASCII (！ to ～) and the ideographic space folded to ASCII, one character for one.
_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def lower_keeping_length(text: str) -> str:
    """text.lower(), but characters whose lower case is longer ('İ') stay as they are: spans keep matching."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(ch if len(ch.lower()) != 1 else ch.lower() for ch in text)


def fold_width(text: str) -> str:
    """Full-width digits, letters and punctuation as ASCII; same length, so spans still match the input."""
    return text.translate(_FOLD)


@dataclass(frozen=True)
class FoundDate:
    """One date phrase found in text: where it is, what it says, and the date it resolves to."""

    start: int
    end: int
    text: str
    value: date
    kind: str  # the name of the form that matched, e.g. "weekday_next", "ja_month_day"
    deadline: bool  # "by …", "…までに": a latest date rather than a day named for the act


@dataclass(frozen=True)
class _Context:
    today: date
    prefer: Prefer
    day_first: bool
    japanese: bool


Resolver = Callable[[re.Match[str], _Context], date | None]

# --- words -----------------------------------------------------------------------------------------

WEEKDAYS_EN = {
    "monday": 0,
    "mon": 0,
    "tuesday": 1,
    "tue": 1,
    "tues": 1,
    "wednesday": 2,
    "wed": 2,
    "thursday": 3,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "friday": 4,
    "fri": 4,
    "saturday": 5,
    "sat": 5,
    "sunday": 6,
    "sun": 6,
}
WEEKDAYS_JA = {"月": 0, "火": 1, "水": 2, "木": 3, "金": 4, "土": 5, "日": 6}
MONTHS_EN = {
    "january": 1,
    "jan": 1,
    "february": 2,
    "feb": 2,
    "march": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "may": 5,
    "june": 6,
    "jun": 6,
    "july": 7,
    "jul": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "sep": 9,
    "sept": 9,
    "october": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
}
NUMBERS_EN = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fourteen": 14,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty-five": 45,
    "sixty": 60,
    "ninety": 90,
    "a couple of": 2,
    "couple of": 2,
    "a few": 3,
    "few": 3,
}
KANJI_NUMBERS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
ERAS = {"令和": 2018, "平成": 1988, "昭和": 1925, "R": 2018, "H": 1988}

_WD_EN = (
    r"(?P<wd>mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?|fri(?:day)?|"
    r"sat(?:urday)?|sun(?:day)?)"
)
_MON_EN = (
    r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_ORD = r"(?:st|nd|rd|th)"
_NUM_EN = (
    r"(?P<n>\d{1,3}|" + "|".join(sorted((re.escape(k) for k in NUMBERS_EN), key=len, reverse=True)) + ")"
)
_WD_JA = r"(?P<wd>[月火水木金土日])(?:曜日?|曜)"
_NUM_JA = r"(?P<n>\d{1,3}|[一二三四五六七八九十]{1,3})"

# --- calendar helpers -------------------------------------------------------------------------------


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _add_months(d: date, months: int) -> tuple[int, int]:
    index = d.year * 12 + d.month - 1 + months
    return index // 12, index % 12 + 1


def _week_start(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _choose(candidates: list[date], ctx: _Context) -> date | None:
    """Pick among the readings of a partial date (no year, or no month) by the context's preference."""
    valid = sorted(c for c in candidates if c is not None)
    if not valid:
        return None
    if ctx.prefer == "future":
        return next((c for c in valid if c >= ctx.today), valid[-1])
    if ctx.prefer == "past":
        return next((c for c in reversed(valid) if c <= ctx.today), valid[0])
    return min(valid, key=lambda c: (abs((c - ctx.today).days), c < ctx.today))


def _month_day(month: int, day: int, ctx: _Context) -> date | None:
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    years = (ctx.today.year - 1, ctx.today.year, ctx.today.year + 1)
    return _choose([d for y in years if (d := _safe_date(y, month, day)) is not None], ctx)


def _day_only(day: int, ctx: _Context) -> date | None:
    if not 1 <= day <= 31:
        return None
    months = (_add_months(ctx.today, k) for k in (-1, 0, 1, 2))
    return _choose([d for y, m in months if (d := _safe_date(y, m, day)) is not None], ctx)


def _next_weekday(today: date, weekday: int) -> date:
    """The next such weekday strictly after today."""
    return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def _add_business_days(d: date, n: int) -> date:
    while n > 0:
        d += timedelta(days=1)
        if d.weekday() < 5:
            n -= 1
    return d


def _friday_of(week_start: date) -> date:
    return week_start + timedelta(days=4)


def _int(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    if text in NUMBERS_EN:
        return NUMBERS_EN[text]
    return _kanji_int(text)


def _kanji_int(text: str) -> int | None:
    if not text or any(ch not in KANJI_NUMBERS for ch in text):
        return None
    if "十" not in text:
        return KANJI_NUMBERS[text] if len(text) == 1 else None
    tens, _, ones = text.partition("十")
    return (KANJI_NUMBERS.get(tens, 0) if tens else 1) * 10 + (KANJI_NUMBERS.get(ones, 0) if ones else 0)


def _year(text: str | None, ctx: _Context) -> int | None:
    if text is None:
        return None
    y = int(text)
    return y + 2000 if y < 100 else y


# --- resolvers: one small function per form ----------------------------------------------------------


def _today(m: re.Match[str], ctx: _Context) -> date:
    return ctx.today


def _tomorrow(m: re.Match[str], ctx: _Context) -> date:
    return ctx.today + timedelta(days=1)


def _day_after_tomorrow(m: re.Match[str], ctx: _Context) -> date:
    return ctx.today + timedelta(days=2)


def _weekday_bare(m: re.Match[str], ctx: _Context) -> date:
    return _next_weekday(ctx.today, _weekday(m))


def _weekday_week(m: re.Match[str], ctx: _Context) -> date:
    """British "Friday week": a week after the coming Friday."""
    return _next_weekday(ctx.today, _weekday(m)) + timedelta(days=7)


def _after_golden_week(m: re.Match[str], ctx: _Context) -> date:
    """GW明け: the first Japanese business day after 5 May (a substitute holiday on the 6th counts), this
    year or, past it, the next."""
    import holidays  # only here: most replies never name Golden Week

    year = ctx.today.year + (ctx.today > date(ctx.today.year, 5, 6))
    japan = holidays.country_holidays("JP", years=year)
    day = date(year, 5, 6)
    while day.weekday() >= 5 or day in japan:
        day += timedelta(days=1)
    return day


def _first_day_next_week(m: re.Match[str], ctx: _Context) -> date:
    return _week_start(ctx.today) + timedelta(days=7)


def _weekday_this(m: re.Match[str], ctx: _Context) -> date:
    candidate = _week_start(ctx.today) + timedelta(days=_weekday(m))
    return candidate if candidate >= ctx.today else _next_weekday(ctx.today, _weekday(m))


def _weekday_next(m: re.Match[str], ctx: _Context) -> date:
    return _week_start(ctx.today) + timedelta(days=7 + _weekday(m))


def _weekday_after_next(m: re.Match[str], ctx: _Context) -> date:
    return _week_start(ctx.today) + timedelta(days=14 + _weekday(m))


def _weekday(m: re.Match[str]) -> int:
    wd = (m.group("wd") or m.group("wd2")).lower() if "wd2" in m.re.groupindex else m.group("wd").lower()
    return WEEKDAYS_JA[wd] if wd in WEEKDAYS_JA else WEEKDAYS_EN[wd]


def _this_week(m: re.Match[str], ctx: _Context) -> date:
    friday = _friday_of(_week_start(ctx.today))
    return friday if friday >= ctx.today else friday + timedelta(days=7)


def _next_week(m: re.Match[str], ctx: _Context) -> date:
    return _friday_of(_week_start(ctx.today) + timedelta(days=7))


def _early_next_week(m: re.Match[str], ctx: _Context) -> date:
    return _week_start(ctx.today) + timedelta(days=9)


def _week_after_next(m: re.Match[str], ctx: _Context) -> date:
    return _friday_of(_week_start(ctx.today) + timedelta(days=14))


def _this_month_end(m: re.Match[str], ctx: _Context) -> date:
    return _month_end(ctx.today.year, ctx.today.month)


def _next_month_end(m: re.Match[str], ctx: _Context) -> date:
    return _month_end(*_add_months(ctx.today, 1))


def _month_after_next_end(m: re.Match[str], ctx: _Context) -> date:
    return _month_end(*_add_months(ctx.today, 2))


def _early_next_month(m: re.Match[str], ctx: _Context) -> date:
    y, mo = _add_months(ctx.today, 1)
    return date(y, mo, 10)


def _en_day_of_rel_month(m: re.Match[str], ctx: _Context) -> date | None:
    """"the 5th of next month", "the 20th of this month"."""
    y, mo = _add_months(ctx.today, 1) if m.group("rel") in ("next", "following", "coming") else (
        ctx.today.year, ctx.today.month)
    return _safe_date(y, mo, int(m.group("d")))


def _en_last_of_month(m: re.Match[str], ctx: _Context) -> date | None:
    """"the last week / working day / Thursday of the month (of April, of next month)": a day of that month."""
    if m.group("mon"):
        month = MONTHS_EN[m.group("mon").lower().rstrip(".")]
        y, mo = (ctx.today.year + (month < ctx.today.month), month)
    elif m.group("next"):
        y, mo = _add_months(ctx.today, 1)
    else:
        y, mo = ctx.today.year, ctx.today.month
    last = _month_end(y, mo)
    what = m.group("what")
    if what in ("week", "day"):
        return last
    if what.startswith(("working", "business", "banking")):
        return last - timedelta(days=max(0, last.weekday() - 4))
    weekday = _weekday_index(what)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _weekday_index(name: str) -> int:
    return WEEKDAYS_EN[name[:3]] if name[:3] in WEEKDAYS_EN else WEEKDAYS_EN[name]


def _year_end(m: re.Match[str], ctx: _Context) -> date:
    return date(ctx.today.year, 12, 31)


def _fiscal_year_end(m: re.Match[str], ctx: _Context) -> date:
    return date(ctx.today.year + (ctx.today.month > 3), 3, 31)


def _within(m: re.Match[str], ctx: _Context) -> date | None:
    n = _int(m.group("n").lower())
    if n is None or n > 366:
        return None
    unit = m.group("unit").lower()
    if unit.startswith(("business", "working", "bank", "営業")):
        return _add_business_days(ctx.today, n)
    if unit.startswith(("week", "週")):
        return ctx.today + timedelta(weeks=n)
    if unit.startswith("fortnight"):
        return ctx.today + timedelta(weeks=2 * n)
    if unit.startswith(("month", "ヶ月", "か月", "カ月", "ヵ月", "ケ月")):
        y, mo = _add_months(ctx.today, n)
        return _safe_date(y, mo, ctx.today.day) or _month_end(y, mo)
    return ctx.today + timedelta(days=n)


def _en_month_day(m: re.Match[str], ctx: _Context) -> date | None:
    month = MONTHS_EN[m.group("mon").lower().rstrip(".")]
    day = int(m.group("d"))
    year = _year(m.group("y"), ctx)
    return _safe_date(year, month, day) if year else _month_day(month, day, ctx)


def _en_ordinal_day(m: re.Match[str], ctx: _Context) -> date | None:
    day = int(m.group("d"))
    wd = m.groupdict().get("wd")
    if wd:  # "Monday the 12th": the month in which the 12th is a Monday, nearest first
        want = WEEKDAYS_EN[wd.lower()]
        for k in (0, 1, 2, -1, 3, 4, 5, 6):
            y, mo = _add_months(ctx.today, k)
            d = _safe_date(y, mo, day)
            if d is not None and d.weekday() == want and (k >= 0 or ctx.prefer != "future"):
                return d
    return _day_only(day, ctx)


def _numeric(m: re.Match[str], ctx: _Context) -> date | None:
    a, b = int(m.group("a")), int(m.group("b"))
    year = _year(m.group("y"), ctx)
    month, day = (b, a) if _is_day_first(a, b, ctx) else (a, b)
    return _safe_date(year, month, day) if year else _month_day(month, day, ctx)


def _is_day_first(a: int, b: int, ctx: _Context) -> bool:
    if a > 12 >= b:
        return True
    if b > 12 >= a:
        return False
    return ctx.day_first and not ctx.japanese


def _dotted(m: re.Match[str], ctx: _Context) -> date | None:
    day, month = int(m.group("a")), int(m.group("b"))
    year = _year(m.group("y"), ctx)
    return _safe_date(year, month, day) if year else _month_day(month, day, ctx)


def _iso(m: re.Match[str], ctx: _Context) -> date | None:
    return _safe_date(int(m.group("y")), int(m.group("mo")), int(m.group("d")))


def _ja_full(m: re.Match[str], ctx: _Context) -> date | None:
    era = m.group("era")
    y = 1 if m.group("y") == "元" else int(m.group("y"))
    year = ERAS[era.upper()] + y if era else (y + 2000 if y < 100 else y)
    return _safe_date(year, int(m.group("mo")), int(m.group("d")))


def _ja_month_day(m: re.Match[str], ctx: _Context) -> date | None:
    month, day = _int(m.group("mo")), _int(m.group("d"))
    if month is None or day is None:
        return None
    rel = m.group("rel")
    if rel:
        y, mo = _add_months(ctx.today, {"今月": 0, "来月": 1, "再来月": 2}[rel])
        return _safe_date(y, mo, day)
    return _month_day(month, day, ctx)


def _ja_rel_month_day(m: re.Match[str], ctx: _Context) -> date | None:
    y, mo = _add_months(ctx.today, {"今月": 0, "本月": 0, "来月": 1, "翌月": 1, "再来月": 2}[m.group("rel")])
    day = _int(m.group("d"))
    return _safe_date(y, mo, day) if day is not None else None


def _ja_day_only(m: re.Match[str], ctx: _Context) -> date | None:
    day = _int(m.group("d"))
    return _day_only(day, ctx) if day is not None else None


def _ja_part_of_month(m: re.Match[str], ctx: _Context) -> date | None:
    rel, mo_text, part = m.group("rel"), m.group("mo"), m.group("part")
    if rel:
        y, mo = _add_months(ctx.today, {"今月": 0, "本月": 0, "来月": 1, "翌月": 1, "再来月": 2}[rel])
    else:
        mo_num = _int(mo_text) if mo_text else None
        if mo_num is None or not 1 <= mo_num <= 12:
            return None
        end = _month_day(
            mo_num, 1, _Context(ctx.today.replace(day=1), ctx.prefer, ctx.day_first, ctx.japanese)
        )
        if end is None:
            return None
        y, mo = end.year, end.month
    if part in ("上旬", "初旬", "初め", "はじめ", "頭"):
        return date(y, mo, 10)
    if part == "中旬":
        return date(y, mo, 20)
    return _month_end(y, mo)


def _en_end_of_month_named(m: re.Match[str], ctx: _Context) -> date | None:
    month = MONTHS_EN[m.group("mon").lower().rstrip(".")]
    first = _month_day(month, 1, _Context(ctx.today.replace(day=1), ctx.prefer, ctx.day_first, ctx.japanese))
    return _month_end(first.year, first.month) if first else None


# --- the forms, in the order they are tried at one position (longest first) ----------------------------

_FORMS: tuple[tuple[str, str, Resolver], ...] = (
    # Japanese, absolute
    (
        "ja_full",
        r"(?P<era>令和|平成|昭和)?\s?(?P<y>\d{1,4}|元)\s?年\s?(?P<mo>\d{1,2})\s?月\s?(?P<d>\d{1,2})\s?日",
        _ja_full,
    ),
    (
        "era_short",
        r"(?<![A-Za-z])(?P<era>[rh])(?P<y>\d{1,2})[./](?P<mo>\d{1,2})[./](?P<d>\d{1,2})(?!\d)",
        _ja_full,
    ),
    ("iso", r"(?<!\d)(?P<y>20\d{2})[-/.年](?P<mo>\d{1,2})[-/.月](?P<d>\d{1,2})(?!\d)日?", _iso),
    (
        "ja_month_day",
        r"(?P<rel>今月|来月|再来月)?(?P<mo>\d{1,2}|[一二三四五六七八九十]{1,2})\s?月\s?"
        r"(?P<d>\d{1,2}|[一二三四五六七八九十]{1,3})\s?日",
        _ja_month_day,
    ),
    (
        "ja_part_of_month",
        r"(?:(?P<rel>今月|本月|来月|翌月|再来月)|(?P<mo>\d{1,2})\s?月)\s?の?"
        r"(?P<part>上旬|初旬|中旬|下旬|末日?|初め|はじめ|頭)",
        _ja_part_of_month,
    ),
    (
        "ja_rel_month_day",
        r"(?P<rel>今月|本月|来月|翌月|再来月)\s?の?\s?(?P<d>\d{1,2}|[一二三四五六七八九十]{1,3})\s?日",
        _ja_rel_month_day,
    ),
    ("ja_month_end_next2", r"再来月(?:末|中|いっぱい)", _month_after_next_end),
    ("ja_month_end_next", r"(?:来月|翌月)(?:末|中|いっぱい|の末)?", _next_month_end),
    ("ja_month_end", r"(?:今月|本月|当月)(?:末日?|中|いっぱい|内)|月末(?:日)?|月内", _this_month_end),
    ("ja_year_end", r"年内|年末|今年中|本年中", _year_end),
    ("ja_fiscal_year_end", r"(?:今)?年度末|年度内", _fiscal_year_end),
    ("ja_weekday_next2", r"再来週\s?の?\s?" + _WD_JA, _weekday_after_next),
    ("ja_weekday_next", r"来週\s?の?\s?" + _WD_JA, _weekday_next),
    ("ja_weekday_this", r"今週\s?の?\s?" + _WD_JA, _weekday_this),
    ("ja_weekday", _WD_JA, _weekday_bare),
    ("ja_early_next_week", r"週明け|来週(?:の)?(?:初め|はじめ|頭|前半)", _early_next_week),
    ("ja_week_after_next", r"再来週(?:中|末|いっぱい)?", _week_after_next),
    ("ja_next_week", r"来週(?:中|末|いっぱい)?", _next_week),
    ("ja_this_week", r"今週(?:中|末|いっぱい)", _this_week),
    (
        "ja_within",
        _NUM_JA + r"\s?(?P<unit>営業日|日|週間|ヶ月|か月|カ月|ヵ月|ケ月)\s?"
        r"(?:以内|後|のうち|ほど|程|くらい|ぐらい|程度)",
        _within,
    ),
    ("ja_day_after_tomorrow", r"明後日|あさって", _day_after_tomorrow),
    ("ja_tomorrow", r"明日|あした|あす", _tomorrow),
    ("ja_every_month_day", r"毎月\s?(?P<d>\d{1,2})\s?日", _ja_day_only),
    ("ja_after_golden_week", r"(?:GW|gw|ゴールデン\s?ウ[ィイ]ーク)\s?明け", _after_golden_week),
    ("ja_today", r"本日|今日|きょう", _today),
    (
        "ja_day_only",
        r"(?<![月\d年/])(?P<d>\d{1,2}|[一二三四五六七八九十]{1,3})\s?日(?=\s?(?:[(（][月火水木金土日][)）]\s?)?"
        r"(?:まで|迄|に|頃|ごろ|付|から|の間|以降|の?お?支払|払い|の?お?振(?:り)?込))",
        _ja_day_only,
    ),
    # English, absolute
    (
        "en_month_day",
        r"\b" + _MON_EN + r"\s+(?:the\s+)?(?P<d>\d{1,2})" + _ORD + r"?\b(?:,?\s+(?P<y>20\d{2})\b)?",
        _en_month_day,
    ),
    (
        "en_day_month",
        r"\b(?P<d>\d{1,2})" + _ORD + r"?(?:\s+|-)(?:of\s+)?" + _MON_EN + r"(?:(?:,?\s+|-)(?P<y>20\d{2})\b)?",
        _en_month_day,
    ),
    (
        "numeric",
        r"(?<![\d/.,$¥€£-])(?P<a>\d{1,2})/(?P<b>\d{1,2})(?:/(?P<y>20\d{2}|\d{2}))?(?![\d/%])",
        _numeric,
    ),
    # 30.11.2026 and the German 30.11. (a trailing dot, no year); "3.5" without the dot is no date
    ("dotted", r"(?<![\d.,$¥€£])(?P<a>\d{1,2})\.(?P<b>\d{1,2})\.(?:(?P<y>20\d{2})(?![\d,])|(?![\d,]))", _dotted),
    ("en_ordinal_day", r"(?:\b" + _WD_EN + r",?\s+)?\bthe\s+(?P<d>\d{1,2})" + _ORD + r"\b", _en_ordinal_day),
    (
        "en_bare_ordinal",
        r"(?:(?<=\bby )|(?<=\bon )|(?<=until ))(?P<d>\d{1,2})" + _ORD + r"\b",
        _en_ordinal_day,
    ),
    # English, relative
    (
        "en_day_of_rel_month",
        r"\b(?:the\s+)?(?P<d>\d{1,2})" + _ORD + r"?\s+of\s+(?:the\s+)?(?P<rel>next|this|following|coming)\s+month\b",
        _en_day_of_rel_month,
    ),
    (
        "en_last_of_month",
        r"\b(?:the\s+)?last\s+(?P<what>week|working\s+day|business\s+day|banking\s+day|day|"
        r"(?:mon|tues|wednes|thurs|fri)day)\s+of\s+(?:(?:the|this)\s+month|(?P<next>next)\s+month|" + _MON_EN + r")",
        _en_last_of_month,
    ),
    ("en_end_of_named_month", r"\b(?:the\s+)?end\s+of\s+" + _MON_EN + r"(?!\w)", _en_end_of_month_named),
    (
        "en_next_month_end",
        r"\b(?:the\s+)?end\s+of\s+(?:the\s+)?next\s+month\b|\bnext\s+month(?:'s)?(?:\s+end)?\b",
        _next_month_end,
    ),
    (
        "en_month_end",
        r"\b(?:the\s+)?end\s+of\s+(?:the|this)\s+month\b|\bend[\s-]+of[\s-]+(?:the[\s-]+)?month\b|\bmonth[- ]end\b|"
        r"\beom\b|\bthis\s+month\b",
        _this_month_end,
    ),
    (
        "en_early_next_month",
        r"\b(?:early|beginning of|start of|first week of)\s+(?:the\s+)?next\s+month\b",
        _early_next_month,
    ),
    # "year-end" names a day, not "the year-end accounts / closing / audit"
    (
        "en_year_end",
        r"\b(?:the\s+)?end\s+of\s+(?:the|this)\s+year\b|"
        r"\byear[- ]end\b(?!\s+(?:accounts?|closing|close|audit|rush|stock))",
        _year_end,
    ),
    ("en_weekday_week", r"\b" + _WD_EN + r"\s+week\b(?!\s*(?:of|after|before|from|ago))", _weekday_week),
    (
        "en_weekday_day",  # "Thursday 12th", "Tuesday 18" (not "Tuesday 18:00", not "Friday 22nd May")
        r"\b" + _WD_EN + r",?\s+(?:the\s+)?(?P<d>\d{1,2})" + _ORD + r"?\b(?![:.]\d|\s*(?:of\s+)?" + _MON_EN + r")",
        _en_ordinal_day,
    ),
    ("en_first_day_next_week", r"\b(?:the\s+)?first\s+(?:day|thing)\s+(?:of\s+)?next\s+week\b", _first_day_next_week),
    (
        "en_cob_tomorrow",
        r"\b(?:close\s+of\s+business|end\s+of\s+(?:the\s+)?day|cob|eod)\s+tomorrow\b",
        _tomorrow,
    ),
    (
        "en_weekday_next",
        r"\bnext\s+" + _WD_EN + r"\b|\b" + _WD_EN.replace("wd>", "wd2>") + r"\s+next\s+week\b",
        _weekday_next,
    ),
    ("en_weekday_this", r"\b(?:this|this coming|coming)\s+" + _WD_EN + r"\b", _weekday_this),
    ("en_weekday", r"\b" + _WD_EN + r"\b(?!\s+(?:the\s+)?\d)", _weekday_bare),
    (
        "en_early_next_week",
        r"\b(?:early|beginning of|start of|first thing)\s+(?:the\s+)?next\s+week\b",
        _early_next_week,
    ),
    ("en_week_after_next", r"\bweek\s+after\s+next\b", _week_after_next),
    (
        "en_next_week",
        r"\b(?:the\s+)?(?:end\s+of\s+|middle\s+of\s+|mid[- ]|later\s+)?(?:the\s+)?next\s+w(?:ee)?k\b",
        _next_week,
    ),
    (
        "en_this_week",
        r"\b(?:the\s+)?(?:end\s+of\s+(?:the|this)\s+w(?:ee)?k|this\s+w(?:ee)?k|later\s+this\s+w(?:ee)?k)\b",
        _this_week,
    ),
    (
        "en_within",
        r"\b(?:within|in|inside of|in the next|within the next|over the next)\s+"
        + _NUM_EN
        + r"\s+(?P<unit>(?:business|working|bank)\s+days?|days?|weeks?|fortnights?|months?)\b",
        _within,
    ),
    ("en_day_after_tomorrow", r"\bday\s+after\s+tomorrow\b", _day_after_tomorrow),
    ("en_tomorrow", r"\btomorrow\b|\btmrw\b|\b2moro\b|\btmr\b", _tomorrow),
    (
        "en_today",
        r"\btoday\b|\btonight\b|\bthis\s+(?:evening|afternoon)\b|\bend\s+of\s+(?:the\s+)?day\b|\beod\b|\bcob\b|"
        r"\bclose\s+of\s+business\b",
        _today,
    ),
)


_COMPILED: tuple[tuple[str, re.Pattern[str], Resolver], ...] = tuple(
    # text is lower-cased once before matching: IGNORECASE made every form two to three times slower
    (name, re.compile(pattern), resolve)
    for name, pattern, resolve in _FORMS
)
_DEADLINE_EN = re.compile(
    r"\b(?:by|before|until|till|no later than|not later than|latest|within|in)\s+(?:the\s+)?$", re.IGNORECASE
)
_DEADLINE_JA = re.compile(r"^\s?(?:まで|迄|中|以内|いっぱい)")
_DAY_FIRST_HINTS = re.compile(
    r"[£€]|\bEUR\b|\bGBP\b|\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MON_EN, re.IGNORECASE
)
_MONTH_FIRST_HINTS = re.compile(_MON_EN + r"\s+\d{1,2}\b", re.IGNORECASE)
_NUMERIC_PAIR = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})(?![\d])")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HINT = re.compile(
    r"\d|[月火水木金土日週年末今明本翌来内]|あ[すさし]|きょう|mon|tue|wed|thu|fri|sat|sun|jan|feb|mar|apr|may|jun|jul|aug|"
    r"sep|oct|nov|dec|today|tonight|evening|afternoon|tomorrow|tmrw|2moro|tmr|week|wk|month|eod|cob|eom|close|end|year|next|last|"
    r"days?\b|fortnight|明け",
    re.IGNORECASE,
)


def _infer_day_first(text: str, setting: bool | None) -> bool:
    """Read day/month order from the text itself; the setting (default month first) decides the rest."""
    for a, b in _NUMERIC_PAIR.findall(text):
        if int(a) > 12 >= int(b):
            return True
        if int(b) > 12 >= int(a):
            return False
    if setting is not None:
        return setting
    if _MONTH_FIRST_HINTS.search(text):
        return False
    return bool(_DAY_FIRST_HINTS.search(text))


def _today_of(reference: datetime | date) -> date:
    return reference.date() if isinstance(reference, datetime) else reference


# Gates: a form is tried only when the text holds a word it cannot match without. Plain substring tests
# (a gate may open too often, never too rarely: it only saves work) instead of a regex pass per form;
# most replies name no date at all.
_DIGIT = re.compile(r"\d")  # any script's digits, as the forms' \d reads them
_WORD_GATES: dict[str, tuple[str, ...]] = {
    "month": ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
    "weekday": ("mon", "tue", "wed", "thu", "fri", "sat", "sun"),
    "month_word": ("month", "eom"),
    "week_word": ("week", "wk"),
    "year_word": ("year",),
    "last": ("last",),
    "relative": ("in", "over"),  # within, inside, in, over
    "today": ("today", "tonight", "evening", "afternoon", "tomorrow", "tmrw", "2moro", "tmr", "eod", "cob", "end",
              "close"),
    "ja_month": ("月",),
    "ja_weekday": ("曜",),
    "ja_week": ("週",),
    "ja_year": ("年",),
    "ja_day": ("日", "あす", "あした", "あさって", "きょう"),
    "ja_within": ("以内", "後", "のうち", "ほど", "程", "くらい", "ぐらい"),
    "ja_week_end_of_holidays": ("明け",),
}
_GATE_OF = {
    "ja_full": "ja_year",
    "era_short": "digit",
    "iso": "digit",
    "ja_month_day": "ja_month",
    "ja_part_of_month": "ja_month",
    "ja_rel_month_day": "ja_month",
    "ja_month_end_next2": "ja_month",
    "ja_month_end_next": "ja_month",
    "ja_month_end": "ja_month",
    "ja_year_end": "ja_year",
    "ja_fiscal_year_end": "ja_year",
    "ja_weekday_next2": "ja_weekday",
    "ja_weekday_next": "ja_weekday",
    "ja_weekday_this": "ja_weekday",
    "ja_weekday": "ja_weekday",
    "ja_early_next_week": "ja_week",
    "ja_week_after_next": "ja_week",
    "ja_next_week": "ja_week",
    "ja_this_week": "ja_week",
    "ja_within": "ja_within",
    "ja_day_after_tomorrow": "ja_day",
    "ja_tomorrow": "ja_day",
    "ja_every_month_day": "ja_day",
    "ja_after_golden_week": "ja_week_end_of_holidays",
    "ja_today": "ja_day",
    "ja_day_only": "ja_day",
    "en_month_day": "month",
    "en_day_month": "month",
    "numeric": "digit",
    "dotted": "digit",
    "en_ordinal_day": "digit",
    "en_bare_ordinal": "digit",
    "en_end_of_named_month": "month",
    "en_day_of_rel_month": "month_word",
    "en_last_of_month": "last",
    "en_next_month_end": "month_word",
    "en_month_end": "month_word",
    "en_early_next_month": "month_word",
    "en_year_end": "year_word",
    "en_weekday_next": "weekday",
    "en_weekday_week": "weekday",
    "en_weekday_day": "weekday",
    "en_first_day_next_week": "week_word",
    "en_cob_tomorrow": "today",
    "en_weekday_this": "weekday",
    "en_weekday": "weekday",
    "en_early_next_week": "week_word",
    "en_week_after_next": "week_word",
    "en_next_week": "week_word",
    "en_this_week": "week_word",
    "en_within": "relative",
    "en_day_after_tomorrow": "today",
    "en_tomorrow": "today",
    "en_today": "today",
}
_GATED: tuple[tuple[str, str, re.Pattern[str], Resolver], ...] = tuple(
    (_GATE_OF[name], name, pattern, resolve) for name, pattern, resolve in _COMPILED
)


def _matches(folded: str) -> Iterator[tuple[str, re.Match[str], Resolver]]:
    open_gates = {key for key, words in _WORD_GATES.items() if any(word in folded for word in words)}
    if _DIGIT.search(folded):
        open_gates.add("digit")
    for gate, name, pattern, resolve in _GATED:
        if gate not in open_gates:
            continue
        for m in pattern.finditer(folded):
            if m.end() > m.start():
                yield name, m, resolve


@functools.lru_cache(maxsize=256)
def _cached(
    text: str, reference: datetime | date, prefer: Prefer, day_first: bool | None
) -> tuple[FoundDate, ...]:
    return tuple(_find_dates(text, reference, prefer=prefer, day_first=day_first))


def find_dates(
    text: str, reference: datetime | date, *, prefer: Prefer = "future", day_first: bool | None = None
) -> list[FoundDate]:
    """Every date phrase in text, left to right, resolved against reference (see the module docstring).

    Overlapping phrases keep the longest ("next Friday" rather than "Friday"); phrases that name no valid
    date (31 February) are dropped. Recent answers are cached: the classifier asks twice about one reply.
    """
    return list(_cached(text, reference, prefer, day_first))


def _find_dates(
    text: str, reference: datetime | date, *, prefer: Prefer, day_first: bool | None
) -> list[FoundDate]:
    if not _HINT.search(text):
        return []
    folded = lower_keeping_length(fold_width(text))
    ctx = _Context(
        _today_of(reference), prefer, _infer_day_first(folded, day_first), bool(_KANA.search(folded))
    )
    found: list[tuple[int, int, str, re.Match[str], Resolver]] = [
        (m.start(), m.end(), name, m, resolve) for name, m, resolve in _matches(folded)
    ]
    found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
    out: list[FoundDate] = []
    taken_until = -1
    for start, end, name, m, resolve in found:
        if start < taken_until:
            continue
        value = resolve(m, ctx)
        if value is None:
            continue
        deadline = "within" in name or _is_deadline(folded, start, end)
        out.append(FoundDate(start, end, text[start:end], value, name, deadline))
        taken_until = end
    return out


def _is_deadline(folded: str, start: int, end: int) -> bool:
    return bool(
        _DEADLINE_EN.search(folded[max(0, start - 20) : start]) or _DEADLINE_JA.match(folded[end : end + 6])
    )


def resolve_date(
    text: str, reference: datetime | date, *, prefer: Prefer = "future", day_first: bool | None = None
) -> date | None:
    """The first date phrase in text, resolved; None when there is none."""
    found = find_dates(text, reference, prefer=prefer, day_first=day_first)
    return found[0].value if found else None
