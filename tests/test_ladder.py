"""The ladder: policies from TOML, business days and send windows per time zone, catch-up, gaps, limits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from worker.errors import ConfigError
from worker.ladder.calendar import BusinessCalendar, calendar_for, next_send_moment, parse_region
from worker.ladder.plan import next_step
from worker.ladder.policy import load_policies, load_policy

POLICIES = load_policies(Path(__file__).resolve().parents[1] / "config" / "policies")
DEFAULT = POLICIES["default"]
TOKYO, NY, LONDON = ZoneInfo("Asia/Tokyo"), ZoneInfo("America/New_York"), ZoneInfo("Europe/London")


def test_golden_week_moves_a_reminder_to_the_next_business_day() -> None:
    """Due 2026-05-03 in Japan: reminder_1 (+1 day, 4 May, a holiday) goes out on 7 May at 09:00 JST."""
    step = next_step(DEFAULT, due_date=date(2026, 5, 3), tz=TOKYO, calendar=BusinessCalendar("JP"),
                     sent=[("courtesy", datetime(2026, 4, 30, 0, tzinfo=UTC))],
                     now=datetime(2026, 5, 4, 0, tzinfo=UTC))
    assert step.stage is not None and step.stage.name == "reminder_1"
    assert step.not_before == datetime(2026, 5, 7, 9, tzinfo=TOKYO).astimezone(UTC)


def test_japanese_new_year_closing_is_not_a_business_day() -> None:
    """31 Dec – 3 Jan are closed in Japan although only 1 Jan is a public holiday."""
    jp = BusinessCalendar("JP")
    assert jp.next_business_day(date(2026, 12, 31)) == date(2027, 1, 4)
    assert BusinessCalendar("US").is_business_day(date(2026, 12, 31))


def test_thanksgiving_and_uk_bank_holiday() -> None:
    """US Thanksgiving (26 Nov 2026) and the UK late-summer bank holiday (31 Aug 2026) are skipped."""
    window = DEFAULT.send_window
    us = next_send_moment(datetime(2026, 11, 26, 15, tzinfo=UTC), NY, BusinessCalendar("US"), window)
    assert us.astimezone(NY) == datetime(2026, 11, 27, 9, tzinfo=NY)
    uk = next_send_moment(datetime(2026, 8, 31, 8, tzinfo=UTC), LONDON, BusinessCalendar("GB"), window)
    assert uk.astimezone(LONDON) == datetime(2026, 9, 1, 9, tzinfo=LONDON)


def test_after_the_window_moves_to_tomorrow_morning_in_the_customers_zone() -> None:
    """17:30 in New York is past the window: 09:00 New York time the next business day (Friday → Monday)."""
    friday_evening = datetime(2026, 3, 6, 17, 30, tzinfo=NY)
    moment = next_send_moment(friday_evening, NY, BusinessCalendar("US"), DEFAULT.send_window)
    assert moment.astimezone(NY) == datetime(2026, 3, 9, 9, tzinfo=NY)


def test_dst_spring_forward_keeps_nine_oclock_local() -> None:
    """Across the US spring-forward weekend (8 Mar 2026) the send stays at 09:00 local (13:00 UTC, not 14:00)."""
    moment = next_send_moment(datetime(2026, 3, 7, 12, tzinfo=UTC), NY, BusinessCalendar("US"), DEFAULT.send_window)
    assert moment == datetime(2026, 3, 9, 13, tzinfo=UTC)


def test_dst_fall_back_in_london_keeps_nine_oclock_local() -> None:
    """Across the UK fall-back weekend (25 Oct 2026) the send stays at 09:00 local (09:00 UTC, not 08:00)."""
    moment = next_send_moment(datetime(2026, 10, 24, 12, tzinfo=UTC), LONDON, BusinessCalendar("GB"),
                              DEFAULT.send_window)
    assert moment == datetime(2026, 10, 26, 9, tzinfo=UTC)


def test_the_end_of_the_window_is_outside_it() -> None:
    """17:00 sharp is past a 09:00–17:00 window: the send moves to the next business morning."""
    moment = next_send_moment(datetime(2026, 3, 4, 17, tzinfo=LONDON), LONDON, BusinessCalendar("GB"),
                              DEFAULT.send_window)
    assert moment.astimezone(LONDON) == datetime(2026, 3, 5, 9, tzinfo=LONDON)


def test_catch_up_after_downtime_sends_one_step_the_right_one() -> None:
    """Nothing sent and 25 days overdue: reminder_3 (the stage for today), not three mails in a burst."""
    step = next_step(DEFAULT, due_date=date(2026, 3, 2), tz=LONDON, calendar=BusinessCalendar("GB"), sent=[],
                     now=datetime(2026, 3, 27, 10, tzinfo=UTC))
    assert step.stage is not None and step.stage.name == "reminder_3"
    assert "caught up past" in step.reason and step.stage.cc_account_owner


def test_never_escalates_before_a_final_notice() -> None:
    """Everything overdue, escalation included: the final notice goes out first."""
    step = next_step(DEFAULT, due_date=date(2026, 1, 2), tz=LONDON, calendar=BusinessCalendar("GB"),
                     sent=[("reminder_1", datetime(2026, 1, 5, 9, tzinfo=UTC))],
                     now=datetime(2026, 3, 27, 10, tzinfo=UTC))
    assert step.stage is not None and step.stage.name == "final_notice"


def test_minimum_gap_between_reminders() -> None:
    """reminder_2's date has come but reminder_1 went out 3 days ago: wait until 7 days have passed."""
    sent_at = datetime(2026, 3, 9, 9, tzinfo=UTC)
    step = next_step(DEFAULT, due_date=date(2026, 3, 1), tz=LONDON, calendar=BusinessCalendar("GB"),
                     sent=[("reminder_1", sent_at)], now=sent_at + timedelta(days=3))
    assert step.stage is not None and step.stage.name == "reminder_2"
    assert step.not_before >= sent_at + timedelta(days=7)


def test_max_reminders_escalates_and_a_finished_ladder_stops() -> None:
    """After max_reminders sends the case escalates; after the last stage there is nothing more."""
    now = datetime(2026, 6, 1, tzinfo=UTC)
    many = [(f"x{i}", now - timedelta(days=40 - i)) for i in range(DEFAULT.max_reminders)]
    cal = BusinessCalendar("GB")
    full = next_step(DEFAULT, due_date=date(2026, 3, 1), tz=LONDON, calendar=cal, sent=many, now=now)
    assert full.stage is not None and full.stage.action == "escalate"
    done = next_step(DEFAULT, due_date=date(2026, 3, 1), tz=LONDON, calendar=cal,
                     sent=[("escalation", now - timedelta(days=1))], now=now)
    assert done.stage is None


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)),
       st.sampled_from([("JP", TOKYO), ("US", NY), ("GB", LONDON)]))
def test_a_send_moment_is_always_a_business_day_inside_the_window(earliest: datetime,
                                                                 where: tuple[str, ZoneInfo]) -> None:
    """Property: whatever the starting moment, the send lands on a business day, inside the window, not earlier."""
    country, tz = where
    cal = BusinessCalendar(country)
    moment = next_send_moment(earliest, tz, cal, DEFAULT.send_window).astimezone(tz)
    assert moment >= earliest and cal.is_business_day(moment.date())
    assert DEFAULT.send_window.start <= moment.time() < DEFAULT.send_window.end


@pytest.mark.parametrize(("text", "message"), [
    ('min_days_between = -1\n[[stages]]\nname="a"\noffset_days=1\ntemplate="reminder_1"\n', "min_days_between"),
    ('[[stages]]\nname="a"\noffset_days=1\ntemplate="nope"\n', "stages[0].template"),
    ('[[stages]]\nname="a"\noffset_days="soon"\ntemplate="reminder_1"\n', "stages[0].offset_days"),
    ('loop_in_owner_from_stage = "zzz"\n[[stages]]\nname="a"\noffset_days=1\ntemplate="reminder_1"\n',
     "loop_in_owner_from_stage"),
    ('[send_window]\nstart="18:00"\nend="09:00"\n[[stages]]\nname="a"\noffset_days=1\ntemplate="reminder_1"\n',
     "send_window"),
    ('typo = 1\n[[stages]]\nname="a"\noffset_days=1\ntemplate="reminder_1"\n', "unknown key 'typo'"),
])
def test_bad_policy_names_the_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    """A broken ladder file fails at load, naming the file and the key."""
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=r"bad\.toml") as err:
        load_policy(path)
    assert message in str(err.value)


def test_unknown_country_is_a_config_error() -> None:
    """A customer country without a holiday calendar says which ones exist."""
    with pytest.raises(ConfigError, match="supported"):
        BusinessCalendar("XX")


@pytest.mark.parametrize(("region", "day", "closed"), [
    ("DE-BY", date(2026, 1, 6), True),  # Epiphany: a holiday in Bavaria …
    ("DE", date(2026, 1, 6), False),  # … not nationwide
    ("GB-SCT", date(2026, 1, 2), True),  # 2 January: Scotland's bank holiday …
    ("GB", date(2026, 1, 2), False),  # … England's default calendar works
    ("UK", date(2026, 8, 31), True),  # England's August bank holiday; "UK" is read as GB
    ("GB-SCT", date(2026, 8, 31), False),  # Scotland's is on 3 August
])
def test_a_region_keeps_its_own_holidays(region: str, day: date, closed: bool) -> None:
    """A customer's region may carry its subdivision (ISO 3166-2): Bavaria and Scotland close on their own days."""
    assert calendar_for(region).is_business_day(day) is not closed


def test_an_unknown_subdivision_names_the_known_ones() -> None:
    """A typo in the subdivision is refused with the list to choose from."""
    with pytest.raises(ConfigError, match="DE-BY"):
        parse_region("DE-XX")
    assert parse_region(" de-by ") == ("DE", "BY") and parse_region("jp") == ("JP", None)
