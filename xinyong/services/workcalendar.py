"""Working-day schedules loaded by operators (`xinyong calendar load FILE`) and the calendar built
from them.

A schedule file (YAML or JSON) carries one year's State Council notice::

    year: 2027
    source: 国办发明电〔2026〕N号
    holidays: [2027-01-01, 2027-02-06..2027-02-13, …]   # a day or an inclusive range a..b
    workdays: [2027-02-14, …]                           # adjusted weekend workdays (调休上班)

Loaded schedules override the ``holidays`` package's; a year with neither stays unknown, and any
deadline that runs into it is flagged (``Deadline.due is None``), never guessed.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import delete, insert, select

from xinyong.domain.actor import Actor
from xinyong.domain.permissions import require
from xinyong.domain.workdays import WorkCalendar, YearSchedule
from xinyong.errors import InvalidInput, Problem
from xinyong.services import events
from xinyong.store import Store
from xinyong.store.tables import calendar_schedules


def parse_schedule(data: Any, where: str) -> YearSchedule:
    """A YearSchedule from parsed YAML/JSON, or InvalidInput naming every problem."""
    problems: list[Problem] = []
    if not isinstance(data, dict):
        raise InvalidInput(
            f"{where}: a schedule is a mapping with year, source, holidays, workdays",
            message_zh="节假日安排文件格式错误",
            rule="calendar.file",
        )
    year = data.get("year")
    year = int(year) if isinstance(year, str) and year.isdigit() else year
    if not isinstance(year, int):
        problems.append(
            Problem("calendar.year", "year must be a whole number", {"file": where, "field": "year"})
        )
    source = str(data.get("source") or "").strip()
    if not source:
        problems.append(
            Problem(
                "calendar.source",
                "name the State Council notice (source)",
                {"file": where, "field": "source"},
                "须注明国务院办公厅通知文号",
            )
        )
    days = {key: _days(data.get(key) or [], where, key, problems) for key in ("holidays", "workdays")}
    if problems:
        raise InvalidInput(
            f"{where}: the schedule has {len(problems)} problem(s)",
            message_zh="节假日安排文件有误",
            problems=problems,
            rule=problems[0].rule,
        )
    assert isinstance(year, int)  # checked above
    return YearSchedule(year, frozenset(days["holidays"]), frozenset(days["workdays"]), source)


def _days(raw: Any, where: str, key: str, problems: list[Problem]) -> set[date]:
    out: set[date] = set()
    if not isinstance(raw, list):
        problems.append(Problem("calendar.days", f"{key} must be a list", {"file": where, "field": key}))
        return out
    for item in raw:
        try:
            first, _, last = str(item).partition("..")
            start = date.fromisoformat(first.strip())
            end = date.fromisoformat(last.strip()) if last else start
        except ValueError:
            problems.append(
                Problem(
                    "calendar.date",
                    f"{item!r} is not a date or a range a..b",
                    {"file": where, "field": key},
                    value=str(item),
                )
            )
            continue
        while start <= end:
            out.add(start)
            start += timedelta(days=1)
    return out


def read_file(path: Path) -> YearSchedule:
    """Read a schedule file; every value is read as text (a malformed date is reported, not raised)."""
    try:
        data = yaml.load(
            path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader
        )  # BaseLoader: str, list, dict only
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InvalidInput(
            f"{path.name}: cannot read the schedule: {exc}",
            message_zh="无法读取节假日安排文件",
            rule="calendar.file",
        ) from None
    return parse_schedule(data, path.name)


def load(store: Store, actor: Actor, schedule: YearSchedule) -> None:
    """Store (or replace) one year's official schedule."""
    require(actor, "calendar.load")
    with store.write() as conn:
        conn.execute(delete(calendar_schedules).where(calendar_schedules.c.year == schedule.year))
        conn.execute(
            insert(calendar_schedules).values(
                year=schedule.year,
                source=schedule.source,
                holidays=sorted(d.isoformat() for d in schedule.holidays),
                workdays=sorted(d.isoformat() for d in schedule.workdays),
                loaded_at=events.now(),
                loaded_by=actor.label(),
            )
        )
        events.append(
            conn,
            actor,
            "calendar:load",
            "calendar",
            str(schedule.year),
            {
                "source": schedule.source,
                "holidays": len(schedule.holidays),
                "workdays": len(schedule.workdays),
            },
        )


def stored(store: Store) -> list[YearSchedule]:
    with store.read() as conn:
        rows = conn.execute(select(calendar_schedules).order_by(calendar_schedules.c.year)).all()
    return [
        YearSchedule(
            r.year,
            frozenset(date.fromisoformat(d) for d in r.holidays),
            frozenset(date.fromisoformat(d) for d in r.workdays),
            r.source,
        )
        for r in rows
    ]


def calendar(store: Store) -> WorkCalendar:
    """The working-day calendar: loaded schedules first, then the package's official years."""
    return WorkCalendar.from_schedules(stored(store))
