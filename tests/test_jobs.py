"""Daily jobs: expiry is exact and idempotent; a five-year simulated clock over a synthetic city."""

from __future__ import annotations

import random
import threading
from datetime import date, timedelta
from pathlib import Path

import holidays
import pytest
from lists_helpers import COMPANY, COURT, D0, SAMR, court_listing, resident_id
from sqlalchemy import func, select

from xinyong import ids
from xinyong.catalog.lists import of
from xinyong.domain.actor import Actor
from xinyong.domain.lists import ListState
from xinyong.domain.workdays import YearSchedule
from xinyong.errors import NotFound
from xinyong.services import jobs, lists, screening, workcalendar
from xinyong.services.platform import Platform
from xinyong.settings import Settings
from xinyong.store.tables import list_entries, list_transitions


def test_expiry_is_exact_and_idempotent(platform: Platform) -> None:
    entry = court_listing(platform)
    assert entry.ends_on == date(2028, 3, 2)
    assert jobs.run(platform, date(2028, 3, 2))["lists.expire"]["removed"] == 0  # still its last day
    assert (
        lists.entries_for(platform.store, entry.id_value, date(2028, 3, 3)) == []
    )  # out even before the job
    assert jobs.run(platform, date(2028, 3, 3))["lists.expire"] == {"removed": 1, "checked": 1}
    assert jobs.run(platform, date(2028, 3, 3))["lists.expire"] == {"removed": 0, "checked": 0}
    gone = lists.get_entry(platform.store, entry.id)
    assert gone.state is ListState.REMOVED and gone.removed_on == date(2028, 3, 3)
    assert gone.removal_reason == "period_ended"


def test_unknown_job_is_refused(platform: Platform) -> None:
    with pytest.raises(NotFound):
        jobs.run(platform, D0, ["nope"])
    assert "lists.expire" in jobs.registered()


def test_concurrent_runs_remove_once(tmp_path: Path) -> None:
    """Two runs at once on a real file database (not the test's rolled-back connection)."""
    platform = Platform.open(Settings(data_dir=tmp_path, jobs_interval_s=0))
    for n in range(1, 6):
        court_listing(platform, identifier=resident_id(date(1960, 1, n)))
    results: list[int] = []

    def run() -> None:
        results.append(jobs.run(platform, date(2029, 1, 1))["lists.expire"]["removed"])

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(results) == 5
    with platform.store.read() as conn:
        assert (
            conn.execute(
                select(func.count())
                .select_from(list_transitions)
                .where(list_transitions.c.action == "remove")
            ).scalar_one()
            == 5
        )


def _load_simulated_schedules(platform: Platform) -> None:
    """Years after 2026 get a schedule of their rule-based holidays, labelled as a simulation."""
    for year in range(2027, 2033):
        days = frozenset(d for d in holidays.country_holidays("CN", years=year) if d.year == year)
        workcalendar.load(
            platform.store,
            Actor.operator("sim"),
            YearSchedule(year, days, frozenset(), f"simulation of {year}"),
        )


@pytest.mark.slow
def test_five_years_over_a_synthetic_city(platform: Platform) -> None:
    """Every day for five years: listings, removals on triggers by staff within the deadline, the
    daily job; nothing published or restricting past its end; every removal within its deadline."""
    rng = random.Random(5)
    _load_simulated_schedules(platform)
    people = [
        resident_id(date(1950 + n % 50, 1 + n % 12, 1 + n % 28), seq=f"{n % 1000:03d}") for n in range(60)
    ]
    firms = [_uscc(n) for n in range(40)] + [COMPANY]
    party, _ = screening.add_party(
        platform.store,
        platform.catalog,
        Actor.operator("sim"),
        code="sim",
        name="sim",
        purposes=sorted(of(platform.catalog).purposes),
    )
    cal = workcalendar.calendar(platform.store)
    pending: list[tuple[str, date, Actor]] = []  # (entry, trigger day, unit) removals staff must do
    start, day, n = date(2026, 1, 5), date(2026, 1, 5), 0
    while day < start + timedelta(days=5 * 365 + 1):
        if rng.random() < 0.08:
            n += 1
            subject = rng.choice(people + firms)
            entry = court_listing(
                platform,
                identifier=subject,
                on=day,
                name="主体",
                ground=rng.choice(["refuses_settlement", "able_but_refuses", "violates_property_reporting"]),
            )
            if rng.random() < 0.4:
                pending.append((entry.id, day + timedelta(days=rng.randint(10, 600)), COURT))
        if rng.random() < 0.03 and cal.is_working_day(day):
            entry = lists.propose(
                platform,
                SAMR,
                list_type_code="samr_serious_illegal",
                identifier=rng.choice(firms),
                ground="heavy_fine",
                basis_document=f"罚{n}",
                facts="x",
                subject_name="某公司",
                on=day,
            )
            entry = lists.notify(platform, SAMR, entry.id, document=f"告{n}", on=day)
            assert entry.defence_until is not None
            pending.append((entry.id, entry.defence_until + timedelta(days=1), SAMR))
        for item in [p for p in pending if p[1] <= day]:
            _staff_act(platform, cal, item, day, rng)
            pending.remove(item)
        jobs.run(platform, day)
        _check_day(platform, party, day, people + firms)
        day += timedelta(days=1)
    with platform.store.read() as conn:
        removals = (
            conn.execute(select(list_transitions.c.details).where(list_transitions.c.action == "remove"))
            .scalars()
            .all()
        )
        assert conn.execute(select(func.count()).select_from(list_entries)).scalar_one() > 100
    assert len(removals) > 50
    assert all(r["on_time"] is True for r in removals), [r for r in removals if not r["on_time"]][:3]


def _staff_act(
    platform: Platform,
    cal: workcalendar.WorkCalendar,
    item: tuple[str, date, Actor],
    day: date,
    rng: random.Random,
) -> None:
    entry_id, trigger, unit = item
    entry = lists.get_entry(platform.store, entry_id)
    if entry.state is ListState.NOTIFIED:  # the defence window is over: decide and publish
        lists.decide(platform, unit, entry_id, decision_document=f"列{entry_id[:6]}", on=day)
        lists.publish(platform, unit, entry_id, on=day)
        return
    if entry.state is not ListState.PUBLISHED:
        return  # already expired
    lt = of(platform.catalog).list_type(entry.list_type)
    lag = rng.randint(0, lt.removal_working_days)
    due = cal.add_working_days(trigger, lag).due
    assert due is not None
    lists.remove(
        platform,
        unit,
        entry_id,
        reason="performed",
        document="履行完毕证明",
        trigger_on=trigger,
        on=trigger if lag == 0 else due,
    )


def _check_day(platform: Platform, party: screening.Party, day: date, subjects: list[str]) -> None:
    with platform.store.read() as conn:
        stale = conn.execute(
            select(func.count())
            .select_from(list_entries)
            .where(list_entries.c.state == "published", list_entries.c.ends_on < day)
        ).scalar_one()
        ended_yesterday = (
            conn.execute(
                select(list_entries.c.id_value).where(list_entries.c.ends_on == day - timedelta(days=1))
            )
            .scalars()
            .all()
        )
    assert stale == 0, day
    check = sorted(set(ended_yesterday)) if day.day != 1 else subjects  # full sweep monthly
    if not check:
        return
    result = screening.screen_bulk(
        platform.store,
        platform.catalog,
        party,
        identifiers=check,
        measure="no_flights",
        purpose="ticketing",
        today=day,
    )
    for hit in result["results"]:
        current = lists.entries_for(platform.store, hit["identifier"], day)
        assert any(e.ends_on is None or e.ends_on >= day for e in current), (day, hit)
        assert hit["ends_on"] is None or hit["ends_on"] >= day.isoformat()


def _uscc(n: int) -> str:
    org = f"{70000000 + n * 7919:08d}"
    values = [int(c) for c in org]
    rest = 11 - sum(v * w for v, w in zip(values, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    first17 = "91440300" + org + ("X" if rest == 10 else "0" if rest == 11 else str(rest))
    return first17 + ids.uscc_check_char(first17)
