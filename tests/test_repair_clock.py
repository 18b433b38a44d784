"""A simulated clock over a synthetic city: hundreds of objections and repair applications, filed and
handled day by day through the services, with the daily job run every calendar day.

Two windows of 2026 are played: Spring Festival (with its adjusted Saturdays) and autumn through the
year's end (Mid-Autumn, National Day, and deadlines that run into 2027, a year without an official
schedule). Most parties act within their deadline, some late, some take the extension. At the end:

* none lost: every filing is in the store, with its full history in order;
* every deadline is the right number of working days after its step and falls on a working day;
* every late step was flagged overdue by the job the day after its deadline, and no case was ever
  flagged while it was within its deadline;
* cases still open are within their deadline, flagged overdue, or flagged as having a deadline in a
  year without a schedule.
"""

from __future__ import annotations

import dataclasses
import random
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from xinyong.domain.actor import Actor
from xinyong.domain.enums import Role
from xinyong.domain.objections import outcomes_for
from xinyong.domain.workdays import WorkCalendar
from xinyong.errors import Conflict
from xinyong.services import objections, remedy_jobs, remedy_store, repair
from xinyong.services.demo import load_city
from xinyong.services.notify import MemorySender
from xinyong.services.platform import Platform
from xinyong.services.remedy_store import Attachment
from xinyong.store.tables import records
from xinyong.synth import generate_city

CAL = WorkCalendar()
SEED = 20261001
WINDOWS = [(date(2026, 2, 2), date(2026, 3, 6)), (date(2026, 9, 7), date(2026, 12, 31))]
LATE_RATE = 0.08
EXTEND_RATE = 0.1
OPERATOR = Actor.operator("sim")
# Working days between a step and its deadline, by step (repair "forward": the unit's 3; extension: +3).
DAYS = {
    ("objection", "accept"): 1,
    ("objection", "forward"): 2,
    ("repair", "apply"): 10,
    ("repair", "forward"): 3,
}


@dataclasses.dataclass
class World:
    platform: Platform
    rng: random.Random
    penalties: list[Any]
    recent: list[Any]  # decided within the last two years: candidates for repair
    filed: dict[str, str] = dataclasses.field(default_factory=dict)  # case id -> kind
    plan: dict[tuple[str, int], date] = dataclasses.field(default_factory=dict)  # (case, step count) -> day
    flagged: dict[date, set[str]] = dataclasses.field(default_factory=dict)
    unknown: dict[date, int] = dataclasses.field(default_factory=dict)


@pytest.fixture
def world(platform: Platform, tmp_path: Path) -> World:
    city = tmp_path / "city"
    generate_city(city, subjects=300, records=3000, seed=SEED)
    load_city(platform, city)
    platform.notifier = MemorySender()  # type: ignore[attr-defined]
    with platform.store.read() as conn:
        rows = conn.execute(
            select(records.c.id, records.c.subject_id, records.c.unit_code, records.c.decision_date)
            .where(
                records.c.item_code.in_(("administrative_penalty", "market_regulation_penalty")),
                records.c.status == "current",
                records.c.tier != "minor",
            )
            .order_by(records.c.id)
        ).all()
    recent = [r for r in rows if r.decision_date and r.decision_date >= date(2024, 9, 1)]
    return World(platform, random.Random(SEED), list(rows), recent)


def subject(row: Any) -> Actor:
    return Actor(role=Role.SUBJECT, subject_id=row.subject_id, user="sim")


def unit(case: remedy_store.Case) -> Actor:
    return Actor(role=Role.SOURCE_UNIT, unit=case.unit_code, user="sim")


def plan_next(w: World, case: remedy_store.Case) -> None:
    """When the responsible party will act on the current step: mostly in time, sometimes late."""
    last = case.last
    if not case.open or last.due_on is None:
        return  # closed, or a deadline in a year without schedule: left for the operators
    allowed = CAL.working_days_between(last.on_date, last.due_on)
    late = w.rng.random() < LATE_RATE
    days = allowed + w.rng.randint(1, 3) if late else w.rng.randint(0, allowed)
    w.plan[(case.id, len(case.steps))] = CAL.add_working_days(last.on_date, days).due or last.due_on


def file_some(w: World, day: date) -> None:
    """A few objections and a few repair applications (from records eligible that day) a day."""
    p = w.platform
    for _ in range(w.rng.choice((0, 1, 2, 3))):
        row = w.rng.choice(w.penalties)
        grounds = w.rng.choice(("wrong_or_missing", "period_expired", "unlawful"))
        try:
            file_case(w, objections.file(p, subject(row), "record", row.id, grounds, "simulated", today=day))
        except Conflict:
            continue
    for _ in range(w.rng.choice((0, 1, 2))):
        for row in w.rng.sample(w.recent, 8):
            _, result = repair.eligibility(p, subject(row), "record", row.id, today=day)
            if result.eligible:
                files = [
                    Attachment("proof", "p.pdf", b"paid " + row.id.encode()),
                    Attachment("commitment", "c.pdf", b"I commit"),
                ]
                file_case(w, repair.apply(p, subject(row), "record", row.id, files, today=day))
                break


def file_case(w: World, case: remedy_store.Case) -> None:
    w.filed[case.id] = case.kind
    plan_next(w, case)


def act(w: World, case: remedy_store.Case, day: date) -> None:
    p, rng = w.platform, w.rng
    if case.kind == "objection" and case.state == "platform_check":
        objections.verify(p, OPERATOR, case.id, matches_source=rng.random() < 0.8, note="compared", today=day)
    elif rng.random() < EXTEND_RATE and not any(s.step == "extend" for s in case.steps):
        (objections.extend if case.kind == "objection" else repair.extend)(
            p, unit(case), case.id, "head", today=day
        )
    elif case.kind == "objection":
        outcome = rng.choice([o.value for o in outcomes_for(case.target_kind)])
        objections.decide(p, unit(case), case.id, outcome, "simulated decision", today=day)
    else:
        repair.decide(p, unit(case), case.id, approve=rng.random() < 0.7, reason="simulated", today=day)


def play(w: World, start: date, end: date) -> None:
    day = start
    while day <= end:
        file_some(w, day)
        with w.platform.store.read() as conn:
            open_cases = remedy_store.load_open_cases(conn)
        for case in open_cases:
            if w.plan.get((case.id, len(case.steps)), date.max) <= day:
                act(w, case, day)
                with w.platform.store.read() as conn:
                    plan_next(w, remedy_store.load_case(conn, case.id))
        summary = remedy_jobs.run(w.platform, day)
        w.flagged[day] = set(summary["overdue_cases"])
        w.unknown[day] = summary["deadline_unknown"]
        day += timedelta(days=1)


def test_every_case_decided_in_time_or_flagged_and_none_lost(world: World) -> None:
    for start, end in WINDOWS:
        play(world, start, end)
    with world.platform.store.read() as conn:
        stored = {c.id: c for c in remedy_store.load_cases(conn)}
    kinds = Counter(world.filed.values())
    assert kinds["objection"] >= 150 and kinds["repair"] >= 100, kinds  # hundreds of cases
    assert set(stored) == set(world.filed)  # none lost, none invented
    late_steps = extended = 0
    for case in stored.values():
        assert case.steps[0].step == ("accept" if case.kind == "objection" else "apply")
        assert [s.on_date for s in case.steps] == sorted(s.on_date for s in case.steps)
        for prev, nxt in zip(case.steps, case.steps[1:], strict=False):
            _check_deadline(case, prev)
            if prev.due_on is None or (case.kind, prev.step) == ("repair", "apply"):
                continue  # the reply deadline is superseded by the unit's at once
            late_steps += nxt.on_date > prev.due_on
            for d in _ran(world, prev.on_date, nxt.on_date):
                assert (case.id in world.flagged[d]) == (d > prev.due_on), (case.id, d, prev)
            extended += nxt.step == "extend"
        _check_open(world, case, WINDOWS[-1][1])
    assert late_steps > 0 and extended > 0  # the simulation did exercise lateness and extensions
    assert world.unknown[date(2026, 12, 31)] > 0  # year-end deadlines run into 2027: flagged


def _check_deadline(case: remedy_store.Case, step: remedy_store.Step) -> None:
    if step.due_on is None:
        assert step.due_unknown == 2027 or not case.open or step.step in ("decide", "approve", "reject")
        return
    expected = 3 if step.step == "extend" else DAYS.get((case.kind, step.step))
    if expected is None:
        return
    base = step.on_date
    if step.step == "extend":
        base = next(s.due_on for s in reversed(case.steps[: case.steps.index(step)]) if s.due_on)  # type: ignore[assignment]
    if case.kind == "repair" and step.step == "forward":  # the earlier of the unit's 3 and the reply's 10
        expected = min(3, CAL.working_days_between(base, case.steps[0].due_on or date.max))  # type: ignore[arg-type]
    assert CAL.is_working_day(step.due_on)
    assert CAL.working_days_between(base, step.due_on) == expected, (case.id, step)


def _check_open(world: World, case: remedy_store.Case, end: date) -> None:
    if not case.open:
        return
    last = case.last
    if last.due_on is None:
        assert last.due_unknown == 2027
        return
    for d in _ran(world, last.on_date, end + timedelta(days=1)):
        assert (case.id in world.flagged[d]) == (d > last.due_on), (case.id, d)


def _ran(world: World, after: date, before: date) -> list[date]:
    """Days strictly between ``after`` and ``before`` on which the clock ran the job."""
    return [d for d in world.flagged if after < d < before]
