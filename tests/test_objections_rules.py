"""Objection deadlines in Chinese working days (2026 schedule), filings and decisions."""

from __future__ import annotations

from datetime import date

import pytest

from xinyong.domain import objections as rules
from xinyong.domain.repair import DECIDE_DAYS, REPLY_DAYS
from xinyong.domain.workdays import WorkCalendar
from xinyong.errors import InvalidInput, ProcedureError

CAL = WorkCalendar()


@pytest.mark.parametrize(
    ("accepted", "platform_due", "source_due", "extended_due"),
    [
        # Wednesday 30 September: National Day week 1-7 October (and the 8th is worked).
        # The extension counts the adjusted Saturday 10 October: 10, 12, 13 October.
        (date(2026, 9, 30), date(2026, 10, 8), date(2026, 10, 9), date(2026, 10, 13)),
        # Friday 13 February: the Saturday 14th is an adjusted workday (调休), then Spring Festival.
        (date(2026, 2, 13), date(2026, 2, 14), date(2026, 2, 24), date(2026, 2, 27)),
        # Friday 25 September is the Mid-Autumn Festival; Sunday 20 September was worked.
        (date(2026, 9, 19), date(2026, 9, 20), date(2026, 9, 21), date(2026, 9, 24)),
    ],
)
def test_objection_deadlines_across_holidays(
    accepted: date, platform_due: date, source_due: date, extended_due: date
) -> None:
    assert rules.platform_deadline(CAL, accepted).due == platform_due
    forwarded = rules.source_deadline(CAL, accepted).due
    assert forwarded == source_due
    assert rules.extended_deadline(CAL, forwarded).due == extended_due  # type: ignore[arg-type]


def test_repair_deadlines_across_national_day() -> None:
    # Applied Monday 28 September 2026: the unit's 3 working days skip Golden Week (8 Oct is worked,
    # 9 Oct Friday, 10 Oct the adjusted Saturday); the platform's 10 reach 16 October.
    assert CAL.add_working_days(date(2026, 9, 28), DECIDE_DAYS).due == date(2026, 10, 8)
    assert CAL.add_working_days(date(2026, 9, 28), REPLY_DAYS).due == date(2026, 10, 16)


def test_deadline_into_a_year_without_official_schedule_is_flagged() -> None:
    deadline = rules.platform_deadline(CAL, date(2026, 12, 31))
    assert deadline.due is None and deadline.unknown_year == 2027


def test_filing_reports_every_problem_at_once() -> None:
    with pytest.raises(InvalidInput) as exc:
        rules.check_filing(rules.Filing("person", "x", "because", "  "))
    assert [p.rule for p in exc.value.problems] == [
        "objection.target_kind",
        "objection.grounds",
        "objection.statement",
    ]
    assert all(p.message_zh for p in exc.value.problems)


def test_wrongly_listed_is_for_list_entries() -> None:
    with pytest.raises(InvalidInput) as exc:
        rules.check_filing(rules.Filing("record", "r1", "wrongly_listed", "not on any list"))
    assert exc.value.rule == "objection.grounds_target"
    assert (
        rules.check_filing(rules.Filing("list_entry", "e1", "wrongly_listed", "paid"))
        is rules.Grounds.WRONGLY_LISTED
    )


def test_decisions() -> None:
    assert (
        rules.check_decision(rules.State.SOURCE_REVIEW, "record", "corrected", "fixed")
        is rules.Outcome.CORRECTED
    )
    with pytest.raises(InvalidInput):
        rules.check_decision(rules.State.SOURCE_REVIEW, "record", "removed_from_list", "x")
    with pytest.raises(InvalidInput) as exc:
        rules.check_decision(rules.State.SOURCE_REVIEW, "record", "rejected", " ")
    assert exc.value.rule == "objection.reason_required"
    with pytest.raises(ProcedureError):
        rules.check_decision(rules.State.DECIDED, "record", "rejected", "again")
    assert rules.ends_publicity(rules.Outcome.PUBLICITY_STOPPED) and not rules.ends_publicity(
        rules.Outcome.REJECTED
    )
