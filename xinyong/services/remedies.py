"""Queues over objection and repair cases: operators' deadlines page, a unit's inbox, a subject's cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from xinyong.domain.actor import Actor
from xinyong.domain.enums import Role
from xinyong.domain.permissions import require
from xinyong.services import remedy_store as rs
from xinyong.services.platform import Platform

# Who must act next, by state: the platform (operators) or the deciding unit.
PLATFORM_STATES = frozenset({"platform_check", "submitted"})


@dataclass(frozen=True)
class QueueRow:
    case: rs.Case
    responsible: str  # operators | unit:<code>
    due_on: date | None
    due_unknown: int | None  # the deadline ran into a year without an official schedule
    overdue: bool
    working_days_left: int | None


def responsible(case: rs.Case) -> str:
    return "operators" if case.state in PLATFORM_STATES else f"unit:{case.unit_code}"


def queue(
    platform: Platform, actor: Actor, today: date | None = None, *, open_only: bool = True
) -> list[QueueRow]:
    """Every case with its due date, overdue first, then by due date (operators, auditors)."""
    require(actor, "remedies.queue")
    with platform.store.read() as conn:
        cases = rs.load_open_cases(conn) if open_only else rs.load_cases(conn)
    return _rows(platform, cases, today or platform.today(), open_only)


def unit_inbox(platform: Platform, actor: Actor, today: date | None = None) -> list[QueueRow]:
    """Open cases a source unit must decide."""
    require(actor, "remedies.read")
    with platform.store.read() as conn:
        cases = rs.load_open_cases(conn, unit_code=actor.unit or "-")
    return [
        r for r in _rows(platform, cases, today or platform.today(), True) if r.responsible != "operators"
    ]


def subject_cases(platform: Platform, actor: Actor, today: date | None = None) -> list[QueueRow]:
    """A subject's own cases, open and closed."""
    require(actor, "remedies.read")
    if actor.role is not Role.SUBJECT:
        return []
    with platform.store.read() as conn:
        cases = rs.load_cases(conn, subject_id=actor.subject_id)
    return _rows(platform, cases, today or platform.today(), False)


def _rows(platform: Platform, cases: list[rs.Case], today: date, open_only: bool) -> list[QueueRow]:
    cal = rs.calendar(platform)
    out = []
    for c in cases:
        if open_only and not c.open:
            continue
        due = c.last.due_on if c.open else None
        left = None
        if due is not None and cal.official(today.year) and cal.official(due.year):
            left = (
                cal.working_days_between(today, due)
                if due >= today
                else -cal.working_days_between(due, today)
            )
        unknown = c.last.due_unknown if c.open else None
        out.append(QueueRow(c, responsible(c), due, unknown, c.overdue(today), left))
    out.sort(key=lambda r: (not r.overdue, r.due_unknown is None, r.due_on or date.max, r.case.id))
    return out
