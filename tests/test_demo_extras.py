"""The demo city's extras: listings through due process, the court file, logins, cases; idempotent."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from xinyong import ids
from xinyong.domain.enums import Role
from xinyong.domain.lists import Entry, ListState
from xinyong.domain.objections import State as ObjectionState
from xinyong.services import accounts, demo_extras, lists, repair, screening
from xinyong.services import remedy_store as rs
from xinyong.services.demo import CityLoad, load_city
from xinyong.services.platform import Platform
from xinyong.store.tables import (
    events,
    list_entries,
    list_transitions,
    relying_parties,
    remedy_cases,
    users,
)
from xinyong.synth import generate_city

TODAY = date(2026, 11, 28)
DUE_PROCESS = ["propose", "notify", "decide", "publish"]


@pytest.fixture
def demo(platform: Platform, tmp_path: Path) -> tuple[Platform, Path, CityLoad]:
    city = tmp_path / "city"
    generate_city(city, subjects=300, records=3000, seed=11)
    platform.settings = dataclasses.replace(platform.settings, today=TODAY.isoformat())
    return platform, city, load_city(platform, city, extras=True)


def entries(platform: Platform, **where: str) -> list[Entry]:
    query = select(list_entries).order_by(list_entries.c.id)
    for column, value in where.items():
        query = query.where(list_entries.c[column] == value)
    with platform.store.read() as conn:
        return [lists.to_entry(r) for r in conn.execute(query)]


def steps(platform: Platform, entry_id: str) -> list[str]:
    return [t["action"] for t in lists.history(platform.store, entry_id) if t["action"] != "record_statement"]


@pytest.mark.parametrize("list_code", ["samr_serious_illegal", "sz_serious_untrustworthy"])
def test_listings_go_through_due_process_by_the_deciding_units(
    demo: tuple[Platform, Path, CityLoad], list_code: str
) -> None:
    platform = demo[0]
    found = entries(platform, list_type=list_code, source="workflow")
    published = [e for e in found if e.state is ListState.PUBLISHED]
    assert len(published) >= 8
    for e in published:
        assert steps(platform, e.id) == DUE_PROCESS
        assert e.notified_on and e.defence_until and e.decided_on and e.decided_on > e.defence_until
        assert e.starts_on == e.decided_on and e.ends_on is not None and e.ends_on > TODAY
    units = {e.unit_code for e in found}
    allowed = {demo_extras.SAMR} if list_code == "samr_serious_illegal" else set(demo_extras.SZ_UNITS)
    assert units <= allowed
    stages = {e.state for e in found} - {ListState.PUBLISHED}
    assert stages == {ListState.PROPOSED, ListState.NOTIFIED, ListState.DECIDED}
    assert any(e.statements for e in found if e.state is ListState.NOTIFIED)
    assert all(e.decided_on <= TODAY for e in found if e.decided_on)  # no decision dated in the future


def test_court_file_is_imported_with_adults_only(demo: tuple[Platform, Path, CityLoad]) -> None:
    platform, city = demo[0], demo[1]
    court = entries(platform, list_type="court_dishonest_debtor")
    assert (city / "court_dishonest_debtors.json").exists()
    assert len(court) == 9
    assert {(e.unit_code, e.state) for e in court} == {(demo_extras.COURT, ListState.PUBLISHED)}
    people = [e for e in court if ids.classify(e.id_value) is ids.IdentifierKind.RESIDENT_ID]
    assert people and all(ids.parse_resident_id(e.id_value).age_on(TODAY) >= 18 for e in people)
    assert all(steps(platform, e.id) == ["import"] for e in court)


def test_screening_finds_the_published_listings(demo: tuple[Platform, Path, CityLoad]) -> None:
    platform, _, loaded = demo
    assert loaded.extras is not None and loaded.extras.screening_key
    party = screening.authenticate(platform.store, loaded.extras.screening_key)
    listed = entries(platform, list_type="samr_serious_illegal", state="published")[0]
    answer = screening.screen(
        platform.store,
        platform.catalog,
        party,
        identifier=listed.id_value,
        measure="no_government_procurement",
        purpose="procurement",
        today=TODAY,
    )
    assert answer["restricted"] and answer["entry"]["id"] == listed.id
    proposed = entries(platform, list_type="samr_serious_illegal", state="proposed")[0]
    answer = screening.screen(
        platform.store,
        platform.catalog,
        party,
        identifier=proposed.id_value,
        measure="no_government_procurement",
        purpose="procurement",
        today=TODAY,
    )
    assert not answer["restricted"]  # a proposal restricts no one


def test_demo_logins_work(demo: tuple[Platform, Path, CityLoad]) -> None:
    platform, _, loaded = demo
    assert loaded.extras is not None
    roles = {}
    for login in loaded.extras.logins:
        user = accounts.authenticate_password(platform.store, login.username, login.password)
        roles[login.username] = user
    assert {u.role for u in roles.values()} == {
        Role.OPERATOR,
        Role.AUDITOR,
        Role.SOURCE_UNIT,
        Role.RELYING_PARTY,
        Role.SUBJECT,
    }
    assert roles["demo-samr"].unit == demo_extras.SAMR
    assert roles["demo-bank"].purposes == ("bank_loan",)
    assert roles["demo-person"].subject_id and roles["demo-agent"].subject_id


def test_cases_wait_in_their_queues(demo: tuple[Platform, Path, CityLoad]) -> None:
    platform, _, loaded = demo
    assert loaded.extras is not None
    cases = loaded.extras.cases
    with platform.store.read() as conn:
        state = {what: rs.load_case(conn, case_id).state for what, case_id in cases.items()}
    assert state == {
        "repair_pending": repair.FORWARDED,
        "repair_approved": repair.APPROVED,
        "objection_platform_check": ObjectionState.PLATFORM_CHECK.value,
        "objection_source_review": ObjectionState.SOURCE_REVIEW.value,
    }
    person = accounts.find_user(platform.store, "demo-person")
    agent = accounts.find_user(platform.store, "demo-agent")
    with platform.store.read() as conn:
        assert person.subject_id == rs.load_case(conn, cases["objection_platform_check"]).subject_id
        assert agent.subject_id == rs.load_case(conn, cases["repair_pending"]).subject_id


def test_a_second_run_adds_nothing(demo: tuple[Platform, Path, CityLoad]) -> None:
    platform, city, first = demo
    tables = (list_entries, list_transitions, users, relying_parties, remedy_cases)

    def counts() -> list[int]:
        with platform.store.read() as conn:
            return [conn.execute(select(func.count()).select_from(t)).scalar_one() for t in tables]

    before = counts()
    with platform.store.read() as conn:
        listing_events = conn.execute(
            select(func.count()).select_from(events).where(events.c.action.like("list_entry:%"))
        ).scalar_one()
    again = load_city(platform, city, extras=True)
    assert counts() == before
    assert again.extras is not None and first.extras is not None
    assert again.extras.cases == first.extras.cases
    assert again.extras.screening_key is None  # the key is shown once
    assert sum(again.extras.listed.values()) == 0 and again.extras.court["imported"] == 0
    with platform.store.read() as conn:
        assert (
            listing_events
            == conn.execute(
                select(func.count()).select_from(events).where(events.c.action.like("list_entry:%"))
            ).scalar_one()
        )
