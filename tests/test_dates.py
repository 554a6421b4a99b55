"""Promised dates in English and Japanese, resolved against fixed reference dates."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from worker.classify.dates import find_dates, fold_width, resolve_date

WED = date(2026, 3, 4)  # a Wednesday
JST = timezone(timedelta(hours=9))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("by Friday", date(2026, 3, 6)),
        ("next Friday", date(2026, 3, 13)),
        ("Friday next week", date(2026, 3, 13)),
        ("this Friday", date(2026, 3, 6)),
        ("on the 15th", date(2026, 3, 15)),
        ("by the 15th", date(2026, 3, 15)),
        ("end of the month", date(2026, 3, 31)),
        ("end of next month", date(2026, 4, 30)),
        ("end of next week", date(2026, 3, 13)),
        ("this week", date(2026, 3, 6)),
        ("March 10", date(2026, 3, 10)),
        ("Mar. 10th, 2027", date(2027, 3, 10)),
        ("10 March 2026", date(2026, 3, 10)),
        ("tomorrow", date(2026, 3, 5)),
        ("today", date(2026, 3, 4)),
        ("within 5 days", date(2026, 3, 9)),
        ("within 5 business days", date(2026, 3, 11)),
        ("in two weeks", date(2026, 3, 18)),
        ("early next week", date(2026, 3, 11)),
        ("2026-03-20", date(2026, 3, 20)),
    ],
)
def test_english_phrases_resolve_against_a_wednesday(text: str, expected: date) -> None:
    """Each English phrase resolves to the documented date when said on Wednesday 4 March 2026."""
    assert resolve_date(f"We will pay {text}.", WED) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("月末", date(2026, 3, 31)),
        ("今月末", date(2026, 3, 31)),
        ("来月末", date(2026, 4, 30)),
        ("来週金曜日", date(2026, 3, 13)),
        ("来週の月曜日", date(2026, 3, 9)),
        ("今週中", date(2026, 3, 6)),
        ("本日中", date(2026, 3, 4)),
        ("明日", date(2026, 3, 5)),
        ("3月10日", date(2026, 3, 10)),
        ("３月１０日", date(2026, 3, 10)),
        ("令和8年7月15日", date(2026, 7, 15)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("2026/3/10", date(2026, 3, 10)),
        ("10日までに", date(2026, 3, 10)),
        ("月曜日に", date(2026, 3, 9)),
        ("来月10日", date(2026, 4, 10)),
        ("来月上旬", date(2026, 4, 10)),
        ("4月中旬", date(2026, 4, 20)),
        ("5日以内", date(2026, 3, 9)),
        ("週明け", date(2026, 3, 11)),
    ],
)
def test_japanese_phrases_resolve_against_a_wednesday(text: str, expected: date) -> None:
    """Each Japanese phrase (full-width digits and era years included) resolves to the documented date."""
    assert resolve_date(f"{text}にお支払いいたします。", WED) == expected


def test_bare_weekday_said_on_that_weekday_means_a_week_later() -> None:
    """'Friday' written on a Friday is the following Friday: people say 'today' for today."""
    assert resolve_date("Friday", date(2026, 3, 6)) == date(2026, 3, 13)


def test_weekend_reference_next_week_is_the_coming_week() -> None:
    """On a Saturday, 'next Friday' and 来週金曜日 both mean the Friday six days later."""
    saturday = date(2026, 3, 7)
    assert resolve_date("next Friday", saturday) == date(2026, 3, 13)
    assert resolve_date("来週金曜日", saturday) == date(2026, 3, 13)


def test_this_week_on_a_weekend_rolls_to_next_friday() -> None:
    """今週中 said on a Sunday has no working day left this week: the next Friday."""
    assert resolve_date("今週中", date(2026, 3, 8)) == date(2026, 3, 13)


def test_business_days_skip_the_weekend() -> None:
    """Three business days from a Thursday land on Tuesday."""
    assert resolve_date("within 3 business days", date(2026, 3, 5)) == date(2026, 3, 10)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("by the 5th", date(2027, 1, 5)),
        ("January 10", date(2027, 1, 10)),
        ("1月10日", date(2027, 1, 10)),
        ("来月末", date(2027, 1, 31)),
        ("end of next month", date(2027, 1, 31)),
        ("next Friday", date(2026, 12, 25)),
    ],
)
def test_year_rolls_over_in_december(text: str, expected: date) -> None:
    """Dates without a year (or month) said in late December land in the next year when they must."""
    assert resolve_date(text, date(2026, 12, 20)) == expected


def test_past_preference_reads_a_payment_date_backwards() -> None:
    """'paid on the 3rd' on the 4th is yesterday with prefer=past, next month's 3rd with prefer=future."""
    assert resolve_date("paid on the 3rd", WED, prefer="past") == date(2026, 3, 3)
    assert resolve_date("paid on the 3rd", WED) == date(2026, 4, 3)


def test_slash_dates_are_month_first_by_default_and_in_japanese() -> None:
    """'3/10' is 10 March in English by default and in Japanese text."""
    assert resolve_date("on 3/10", WED) == date(2026, 3, 10)
    assert resolve_date("3/10にお支払いします", WED) == date(2026, 3, 10)


def test_slash_dates_follow_the_day_first_setting_and_context() -> None:
    """day_first=True, a part above 12 elsewhere in the text, or a € amount make '3/10' 3 October."""
    assert resolve_date("on 3/10", WED, day_first=True) == date(2026, 10, 3)
    assert resolve_date("We paid 25/2, the rest on 3/10", WED)
    assert find_dates("We paid 25/2, the rest on 3/10", WED)[1].value == date(2026, 10, 3)
    assert resolve_date("€500 on 3/10", WED) == date(2026, 10, 3)


def test_reference_datetime_uses_its_own_timezone_day() -> None:
    """A JST mail sent at 08:00 on the 5th (23:00 UTC on the 4th) resolves 'tomorrow' to the 6th."""
    sent = datetime(2026, 3, 5, 8, 0, tzinfo=JST)
    assert resolve_date("明日", sent) == date(2026, 3, 6)


def test_find_dates_gives_spans_in_the_original_text() -> None:
    """Spans point into the caller's text, full-width characters included, and deadlines are marked."""
    text = "請求書は３月１０日に受領、来週金曜日までにお振込みします"
    found = find_dates(text, WED)
    assert [text[f.start : f.end] for f in found] == ["３月１０日", "来週金曜日"]
    assert [f.deadline for f in found] == [False, True]
    assert found[1].kind == "ja_weekday_next"


def test_overlaps_keep_the_longest_phrase() -> None:
    """'next Friday' is one date, not also 'Friday'."""
    assert [f.text for f in find_dates("We pay next Friday", WED)] == ["next Friday"]


def test_invalid_and_absent_dates_give_nothing() -> None:
    """31 February is no date; text without a date phrase gives an empty list."""
    assert find_dates("2026/2/31", WED) == []
    assert find_dates("We will pay as soon as possible.", WED) == []
    assert resolve_date("", WED) is None


def test_amounts_and_versions_are_not_dates() -> None:
    """'$12.50', '1,234.50' and a fraction like 50/100 are not read as dates."""
    assert find_dates("We paid $12.50 and 1,234.50 yen, 50/100 done", WED) == []


def test_fold_width_keeps_length() -> None:
    """Folding full-width characters never changes the string's length, so spans stay valid."""
    text = "ＡＢＣ１２３　テスト"
    assert len(fold_width(text)) == len(text)
    assert fold_width(text).startswith("ABC123 ")


@pytest.mark.parametrize(("text", "today", "expected"), [
    ("we will make the payment in ten days", date(2026, 1, 30), date(2026, 2, 9)),
    ("we'll pay in a fortnight", date(2026, 1, 14), date(2026, 1, 28)),
    ("paying it 2moro first thing", date(2026, 8, 20), date(2026, 8, 21)),
    ("it'll be in our end-of-month payment run", date(2026, 7, 15), date(2026, 7, 31)),
    ("次回の支払日(毎月10日)でのお支払いとなります", date(2026, 3, 31), date(2026, 4, 10)),
    ("GW明けのお支払いでもよろしいでしょうか", date(2026, 4, 22), date(2026, 5, 7)),  # 6 May 2026 is a holiday
    ("二週間ほどお時間をいただけますでしょうか", date(2026, 5, 13), date(2026, 5, 27)),
])
def test_dates_written_in_a_hurry(text: str, today: date, expected: date) -> None:
    """Spans in words (ten days, a fortnight), 2moro, end-of-month, 毎月N日, GW明け and …ほど read as the day."""
    assert [f.value for f in find_dates(text, today)] == [expected]
