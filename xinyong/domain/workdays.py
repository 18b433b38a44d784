"""Chinese working days (工作日): official holidays and adjusted weekend workdays (调休).

Deadlines in the credit rules are counted in working days (e.g. objections: the platform
checks within 1 working day, the source unit decides within 2; repair: reply within 10,
decide within 3; court list deletion within 3). A working day is a Monday-to-Friday that is
not an official holiday, or a weekend day the State Council's schedule turns into a workday.

The schedule of a year is official only once the State Council publishes it (usually in
November of the year before). The `holidays` package's ``CN`` calendar carries the published
schedules, including the adjusted workdays; for a year it knows only from fixed rules (no
adjusted workdays yet) the schedule is *not* official. Operators load a year's published
schedule as a ``YearSchedule``; a count that runs into a year with no official schedule is
flagged (``Deadline.due is None``), never silently computed.

Counting follows the usual rule of Chinese law that the day an event happens is not counted
(《民法典》第二百零一条): ``add_working_days(d, 1)`` is the first working day after ``d``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

import holidays

from xinyong.errors import ConfigurationError, InvalidInput


@dataclass(frozen=True)
class YearSchedule:
    """One year's official schedule (国务院办公厅关于某年部分节假日安排的通知)."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]  # weekend days worked (调休上班)
    source: str  # the notice, e.g. "国办发明电〔2025〕7号"

    def __post_init__(self) -> None:
        stray = sorted(d for d in self.holidays | self.workdays if d.year != self.year)
        if stray:
            raise InvalidInput(
                f"schedule for {self.year} lists days of another year: {stray[0].isoformat()}",
                message_zh=f"{self.year}年节假日安排中含有其他年份的日期：{stray[0].isoformat()}",
                rule="calendar.schedule_year",
            )
        weekday_workdays = sorted(d for d in self.workdays if d.weekday() < 5)
        if weekday_workdays:
            raise InvalidInput(
                f"adjusted workday {weekday_workdays[0].isoformat()} is not a weekend day",
                message_zh=f"调休上班日 {weekday_workdays[0].isoformat()} 不是周末",
                rule="calendar.workday_not_weekend",
            )
        both = sorted(self.holidays & self.workdays)
        if both:
            raise InvalidInput(
                f"{both[0].isoformat()} is listed both as a holiday and as a workday",
                message_zh=f"{both[0].isoformat()} 同时被列为假日和上班日",
                rule="calendar.holiday_and_workday",
            )


@dataclass(frozen=True)
class Deadline:
    """The due date of a count of working days, or why it cannot be computed yet."""

    start: date
    working_days: int
    due: date | None
    unknown_year: int | None = None  # the year without an official schedule the count ran into

    @property
    def known(self) -> bool:
        return self.due is not None


@cache
def _package_year(year: int) -> YearSchedule | None:
    """The `holidays` package's CN schedule for a year, if it is the published (official) one."""
    cn = holidays.country_holidays("CN", years=year)
    workdays = frozenset(d for d in cn.weekend_workdays if d.year == year)
    if not workdays:
        return None  # only rule-based holidays: the State Council has not published this year
    return YearSchedule(year, frozenset(d for d in cn if d.year == year), workdays, "holidays.CN")


@dataclass
class WorkCalendar:
    """Working days from the official schedules; loaded schedules override the package's."""

    schedules: Mapping[int, YearSchedule] = field(default_factory=dict)

    @classmethod
    def from_schedules(cls, schedules: Iterable[YearSchedule]) -> WorkCalendar:
        return cls({s.year: s for s in schedules})

    def schedule(self, year: int) -> YearSchedule | None:
        return self.schedules.get(year) or _package_year(year)

    def official(self, year: int) -> bool:
        return self.schedule(year) is not None

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` is a working day; raises if its year has no official schedule."""
        schedule = self.schedule(day.year)
        if schedule is None:
            raise ConfigurationError(
                f"no official holiday schedule for {day.year}: load it with `xinyong calendar load`",
                message_zh=f"尚无{day.year}年官方节假日安排，请先导入",
                rule="calendar.year_unknown",
            )
        if day in schedule.workdays:
            return True
        return day.weekday() < 5 and day not in schedule.holidays

    def add_working_days(self, start: date, count: int) -> Deadline:
        """The ``count``-th working day after ``start`` (``start`` itself not counted)."""
        if count < 0:
            raise InvalidInput(
                "a deadline counts a non-negative number of working days",
                message_zh="期限的工作日数不能为负",
                rule="calendar.negative",
            )
        day, left = start, count
        while left:
            day += timedelta(days=1)
            if not self.official(day.year):
                return Deadline(start, count, None, day.year)
            left -= self.is_working_day(day)
        return Deadline(start, count, day)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 when end <= start)."""
        total, day = 0, start
        while day < end:
            day += timedelta(days=1)
            total += self.is_working_day(day)
        return total

    def next_working_day(self, day: date) -> date:
        """``day`` itself if it is a working day, else the first one after it."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day
