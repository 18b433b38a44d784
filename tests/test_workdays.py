"""Working-day counting against the State Council's 2026 schedule (国办发明电〔2025〕7号)."""

from __future__ import annotations

from datetime import date

import pytest

from xinyong.domain.workdays import WorkCalendar, YearSchedule
from xinyong.errors import ConfigurationError, InvalidInput

CAL = WorkCalendar()


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 1, 2), False),  # New Year holiday (substituted)
        (date(2026, 1, 4), True),  # Sunday worked for New Year
        (date(2026, 2, 14), True),  # Saturday worked for Spring Festival
        (date(2026, 2, 17), False),  # Spring Festival
        (date(2026, 2, 23), False),  # Monday off for Spring Festival
        (date(2026, 2, 28), True),  # Saturday worked
        (date(2026, 9, 20), True),  # Sunday worked for National Day
        (date(2026, 10, 7), False),  # National Day week
        (date(2026, 10, 10), True),  # Saturday worked
        (date(2026, 10, 11), False),  # plain Sunday
        (date(2026, 11, 27), True),  # plain Friday
    ],
)
def test_2026_schedule(day: date, working: bool) -> None:
    assert CAL.is_working_day(day) is working


def test_national_day_deadline_skips_the_golden_week() -> None:
    # Objection accepted on Wednesday 30 September 2026: the source unit's 2 working days
    # skip 1–7 October and end on Friday 9 October (Saturday 10 October is also a workday).
    assert CAL.add_working_days(date(2026, 9, 30), 2).due == date(2026, 10, 9)
    assert CAL.add_working_days(date(2026, 9, 30), 3).due == date(2026, 10, 10)


def test_spring_festival_deadline_counts_the_adjusted_saturday() -> None:
    # Friday 13 February 2026 + 1 working day = Saturday 14 February (调休上班).
    assert CAL.add_working_days(date(2026, 2, 13), 1).due == date(2026, 2, 14)
    # + 2 working days jumps the whole festival to Tuesday 24 February.
    assert CAL.add_working_days(date(2026, 2, 13), 2).due == date(2026, 2, 24)


def test_start_day_not_counted_and_zero_days() -> None:
    assert CAL.add_working_days(date(2026, 11, 27), 1).due == date(2026, 11, 30)
    assert CAL.add_working_days(date(2026, 11, 27), 0).due == date(2026, 11, 27)


def test_year_without_official_schedule_is_flagged_not_guessed() -> None:
    deadline = CAL.add_working_days(date(2026, 12, 24), 10)
    assert deadline.due is None and deadline.unknown_year == 2027 and not deadline.known
    with pytest.raises(ConfigurationError) as err:
        CAL.is_working_day(date(2027, 3, 1))
    assert err.value.rule == "calendar.year_unknown"


def test_loaded_schedule_makes_a_year_official() -> None:
    schedule = YearSchedule(2027, frozenset({date(2027, 1, 1)}), frozenset({date(2027, 1, 2)}), "test notice")
    cal = WorkCalendar.from_schedules([schedule])
    assert cal.is_working_day(date(2027, 1, 2))  # a Saturday, worked
    assert not cal.is_working_day(date(2027, 1, 1))
    assert cal.add_working_days(date(2026, 12, 31), 1).due == date(2027, 1, 2)


@pytest.mark.parametrize(
    ("holidays", "workdays", "rule"),
    [
        ({date(2026, 1, 1)}, set(), "calendar.schedule_year"),
        (set(), {date(2027, 1, 4)}, "calendar.workday_not_weekend"),
        ({date(2027, 1, 2)}, {date(2027, 1, 2)}, "calendar.holiday_and_workday"),
    ],
)
def test_malformed_schedule_is_refused(holidays: set[date], workdays: set[date], rule: str) -> None:
    with pytest.raises(InvalidInput) as err:
        YearSchedule(2027, frozenset(holidays), frozenset(workdays), "bad")
    assert err.value.rule == rule


def test_agrees_with_the_holidays_package_over_2025_and_2026() -> None:
    import holidays as hol

    cn = hol.country_holidays("CN", years=[2025, 2026])
    day = date(2025, 1, 1)
    while day.year < 2027:
        assert CAL.is_working_day(day) == cn.is_working_day(day), day
        day = date.fromordinal(day.toordinal() + 1)


def test_working_days_between() -> None:
    assert CAL.working_days_between(date(2026, 9, 30), date(2026, 10, 9)) == 2
    assert CAL.working_days_between(date(2026, 10, 9), date(2026, 10, 9)) == 0
