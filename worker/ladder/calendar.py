"""Business days and send moments in the customer's own time zone.

Holidays come from the `holidays` library. Japanese companies also close over the New Year
(12/31 – 1/3 is not a public holiday but nobody pays then), so JP adds those days by default.
A moment outside the send window or on a closed day moves to the next business day's window start.

A customer's region is a country code, optionally with its ISO 3166-2 subdivision: "DE-BY" keeps
Bavaria's holidays, "GB-SCT" Scotland's, "US-CA" California's; plain "GB" means England.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from worker.errors import ConfigError
from worker.ladder.policy import SendWindow

SUPPORTED = ("JP", "US", "GB", "IE", "DE", "FR", "NL", "BE", "ES", "IT", "AT", "CH", "SE", "DK", "FI", "PT", "PL",
             "CA", "AU", "NZ", "SG")
YEAR_END_CLOSING: dict[str, tuple[tuple[int, int], ...]] = {"JP": ((12, 31), (1, 1), (1, 2), (1, 3))}
# Several bank holidays exist only per part of a country (England's August bank holiday is not Scotland's):
# without a subdivision these apply; pass one to BusinessCalendar for customers elsewhere.
DEFAULT_SUBDIVISION = {"GB": "ENG"}


class BusinessCalendar:
    def __init__(self, country: str, subdivision: str | None = None) -> None:
        country = country.upper()
        if country not in SUPPORTED:
            raise ConfigError(f"no holiday calendar for country {country!r}; supported: {', '.join(SUPPORTED)}")
        self.country = country
        self._holidays = _holidays(country, subdivision or DEFAULT_SUBDIVISION.get(country))
        self._closing = YEAR_END_CLOSING.get(country, ())

    def is_business_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self._holidays and (day.month, day.day) not in self._closing

    def next_business_day(self, day: date) -> date:
        """`day` itself when it is a business day, else the next one."""
        while not self.is_business_day(day):
            day += timedelta(days=1)
        return day


@lru_cache(maxsize=64)
def _holidays(country: str, subdivision: str | None) -> holidays.HolidayBase:
    return holidays.country_holidays(country, subdiv=subdivision)


@lru_cache(maxsize=256)
def calendar_for(region: str) -> BusinessCalendar:
    """The calendar of a customer's region ("JP", "DE-BY", …)."""
    return BusinessCalendar(*parse_region(region))


def parse_region(region: str) -> tuple[str, str | None]:
    """'DE-BY' -> ('DE', 'BY'), 'jp' -> ('JP', None); a ConfigError says what is accepted."""
    country, _, subdivision = region.strip().upper().partition("-")
    country = {"UK": "GB"}.get(country, country)  # the usual name for the ISO code GB
    if country not in SUPPORTED:
        raise ConfigError(f"no holiday calendar for country {country!r}; supported: {', '.join(SUPPORTED)}")
    if subdivision and subdivision not in _subdivisions(country):
        known = ", ".join(f"{country}-{code}" for code in _subdivisions(country)) or "none"
        raise ConfigError(f"{region.strip()!r}: {country} has no subdivision {subdivision!r}; known: {known}")
    return country, subdivision or None


def normalise_region(region: str) -> str:
    """The region as stored: 'de-by' -> 'DE-BY', 'uk' -> 'GB'; a ConfigError for an unknown one."""
    country, subdivision = parse_region(region)
    return f"{country}-{subdivision}" if subdivision else country


@lru_cache(maxsize=64)
def _subdivisions(country: str) -> tuple[str, ...]:
    return tuple(holidays.country_holidays(country).subdivisions)


def next_send_moment(earliest: datetime, tz: ZoneInfo, calendar: BusinessCalendar, window: SendWindow) -> datetime:
    """The first moment ≥ earliest on a business day inside the window, in `tz`; returned in UTC."""
    local = earliest.astimezone(tz)
    day = local.date()
    if calendar.is_business_day(day) and window.start <= local.time() < window.end:
        return earliest.astimezone(UTC)
    if not calendar.is_business_day(day) or local.time() >= window.end:
        day += timedelta(days=1)
    day = calendar.next_business_day(day)
    # Build the wall-clock time in the zone: zoneinfo applies the right offset on DST days.
    return datetime.combine(day, window.start, tz).astimezone(UTC)
