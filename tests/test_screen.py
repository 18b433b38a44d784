"""Screening over HTTP: relying parties, purposes, bulk, recording; court import; calendar loading."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from lists_helpers import ADULT, COMPANY, COURT, D0, MINOR, court_listing, resident_id
from sqlalchemy import func, select

from xinyong.api.app import create_app
from xinyong.domain.actor import Actor
from xinyong.errors import InvalidInput
from xinyong.services import court_import, lists, screening, workcalendar
from xinyong.services.platform import Platform
from xinyong.settings import Settings
from xinyong.store.tables import list_entries, screenings

OP = Actor.operator("op")


@pytest.fixture
def dated(platform: Platform) -> Platform:
    platform.settings = Settings(data_dir=platform.settings.data_dir, today=D0.isoformat(), jobs_interval_s=0)
    return platform


@pytest.fixture
def client(dated: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform_obj=dated)) as c:
        yield c


def _party(platform: Platform, purposes: list[str]) -> str:
    return screening.add_party(
        platform.store, platform.catalog, OP, code="airline", name="某航空公司", purposes=purposes
    )[1]


def test_single_screening_answers_with_entry_basis_and_end(dated: Platform, client: TestClient) -> None:
    court_listing(dated)
    key = _party(dated, ["ticketing"])
    got = client.post(
        "/api/v1/screen",
        headers={"X-Api-Key": key},
        json={"identifier": ADULT, "measure": "no_flights", "purpose": "ticketing"},
    )
    assert got.status_code == 200
    body = got.json()
    assert body["restricted"] is True and body["ends_on"] == "2028-03-02"
    assert body["entry"]["decision_document"] == "(2026)粤0304执555号"
    assert "法释〔2015〕17号" in body["legal_basis"][0]
    clear = client.post(
        "/api/v1/screen",
        headers={"X-Api-Key": key},
        json={"identifier": COMPANY, "measure": "no_flights", "purpose": "ticketing"},
    ).json()
    assert clear == {
        "identifier": COMPANY,
        "measure": "no_flights",
        "restricted": False,
        "screening_id": clear["screening_id"],
    }
    with dated.store.read() as conn:
        rows = conn.execute(
            select(screenings.c.party_code, screenings.c.purpose, screenings.c.restricted).order_by(
                screenings.c.id
            )
        ).all()
    assert [tuple(r) for r in rows] == [("airline", "ticketing", 1), ("airline", "ticketing", 0)]


@pytest.mark.parametrize(
    ("purposes", "measure", "purpose", "rule"),
    [
        (["ticketing"], "not_company_officer", "appointment", "screen.purpose_not_declared"),
        (["ticketing", "procurement"], "no_flights", "procurement", "screen.purpose_not_entitled"),
    ],
)
def test_a_party_sees_only_what_its_purpose_entitles(
    dated: Platform, client: TestClient, purposes: list[str], measure: str, purpose: str, rule: str
) -> None:
    court_listing(dated)
    key = _party(dated, purposes)
    got = client.post(
        "/api/v1/screen",
        headers={"X-Api-Key": key},
        json={"identifier": ADULT, "measure": measure, "purpose": purpose},
    )
    assert got.status_code == 403 and got.json()["error"]["rule"] == rule
    assert "entry" not in got.text
    with dated.store.read() as conn:
        assert conn.execute(select(func.count()).select_from(screenings)).scalar_one() == 0


def test_keys_are_required_hashed_and_revocable(dated: Platform, client: TestClient) -> None:
    key = _party(dated, ["ticketing"])
    body = {"identifier": ADULT, "measure": "no_flights", "purpose": "ticketing"}
    assert client.post("/api/v1/screen", json=body).json()["error"]["rule"] == "auth.key_required"
    assert screening.list_parties(dated.store)[0].active
    screening.revoke(dated.store, OP, "airline")
    denied = client.post("/api/v1/screen", headers={"X-Api-Key": key}, json=body)
    assert denied.status_code == 403 and denied.json()["error"]["rule"] == "auth.key_invalid"


def test_unknown_purpose_cannot_be_declared(dated: Platform) -> None:
    with pytest.raises(InvalidInput) as exc:
        screening.add_party(dated.store, dated.catalog, OP, code="x", name="x", purposes=["curiosity"])
    assert exc.value.rule == "parties.unknown_purpose"


def test_bulk_screening_json_and_file(dated: Platform, client: TestClient) -> None:
    court_listing(dated)
    key = _party(dated, ["ticketing"])
    others = [resident_id(date(1970, 1, d)) for d in range(1, 28)]
    got = client.post(
        "/api/v1/screen/bulk",
        headers={"X-Api-Key": key},
        json={"measure": "no_g_train_seats", "purpose": "ticketing", "identifiers": [*others, ADULT]},
    )
    body = got.json()
    assert body["total"] == 28 and body["restricted"] == 1 and body["results"][0]["identifier"] == ADULT
    file = client.post(
        "/api/v1/screen/bulk-file",
        headers={"X-Api-Key": key},
        data={"measure": "no_g_train_seats", "purpose": "ticketing"},
        files={"file": ("ids.txt", "\n".join([ADULT, *others]).encode())},
    ).json()
    assert file["restricted"] == 1
    recorded = screening.recorded(dated.store, file["screening_id"])
    assert len(recorded) == 28 and recorded[0][0] == ADULT and recorded[0][1] is not None
    assert all(entry is None for _, entry in recorded[1:])
    assert len(screening.recorded(dated.store, body["screening_id"])) == 28


def test_bulk_limit(dated: Platform) -> None:
    party, _ = screening.add_party(dated.store, dated.catalog, OP, code="p", name="p", purposes=["ticketing"])
    with pytest.raises(InvalidInput) as exc:
        screening.screen_bulk(
            dated.store,
            dated.catalog,
            party,
            identifiers=["x"] * 3,
            measure="no_flights",
            purpose="ticketing",
            today=D0,
            limit=2,
        )
    assert exc.value.rule == "screen.bulk_limit"


def test_bulk_screening_gives_the_cycle_collector_back(
    dated: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The collector is paused during a bulk screening and restored after it, even when it fails."""
    court_listing(dated)
    party, _ = screening.add_party(dated.store, dated.catalog, OP, code="p", name="p", purposes=["ticketing"])
    seen: list[bool] = []
    real = screening._lookup

    def spying(*args: object, **kwargs: object) -> object:
        seen.append(gc.isenabled())
        return real(*args, **kwargs)  # type: ignore[arg-type]

    def bulk() -> dict[str, object]:
        return screening.screen_bulk(
            dated.store,
            dated.catalog,
            party,
            identifiers=[ADULT, "X1"],
            measure="no_g_train_seats",
            purpose="ticketing",
            today=D0,
        )

    monkeypatch.setattr(screening, "_lookup", spying)
    assert gc.isenabled()
    assert bulk()["restricted"] == 1
    assert seen == [False] and gc.isenabled()

    def failing(*args: object, **kwargs: object) -> object:
        raise RuntimeError("store gone")

    monkeypatch.setattr(screening, "_lookup", failing)
    with pytest.raises(RuntimeError):
        bulk()
    assert gc.isenabled()
    gc.disable()
    try:
        monkeypatch.setattr(screening, "_lookup", spying)
        bulk()
        assert not gc.isenabled()  # off before, left off
    finally:
        gc.enable()


def _record(
    card: str, conduct: str = "有履行能力而拒不履行生效法律文书确定义务", case: str = "(2026)粤0304执1号"
) -> dict[str, object]:
    return {
        "iname": "赵六",
        "caseCode": case,
        "cardNum": card,
        "courtName": "深圳市福田区人民法院",
        "gistId": "(2025)粤0304民初9号",
        "gistUnit": "福田区人民法院",
        "regDate": "20260105",
        "duty": "支付货款10万元",
        "performance": "全部未履行",
        "disruptTypeName": conduct,
        "publishDate": "2026年02月10日",
    }


def test_court_import_is_idempotent_and_refuses_unlawful_records(dated: Platform) -> None:
    raw = json.dumps([_record(ADULT), _record(COMPANY, "违反财产报告制度", "(2026)粤0304执2号")]).encode()
    first = court_import.import_records(dated, COURT, court_import.parse(raw))
    again = court_import.import_records(dated, COURT, court_import.parse(raw))
    assert (first.imported, again.imported, again.already) == (2, 0, 2)
    entry = lists.entries_for(dated.store, COMPANY, D0)[0]
    assert entry.ground == "violates_property_reporting" and entry.ends_on == date(2028, 2, 10)
    assert lists.entries_for(dated.store, ADULT, D0)[0].ends_on is None  # ground 1: no fixed period
    bad = [
        _record("3423011964****3224", case="c1"),
        _record(MINOR, case="c2"),
        _record(ADULT, "欠钱不还", "c3"),
    ]
    with pytest.raises(InvalidInput) as exc:
        court_import.import_records(dated, COURT, bad)
    assert {p.rule for p in exc.value.problems} == {
        "court_import.masked_id",
        "lists.minor",
        "lists.outside_criteria",
    }
    assert [p.where["record"] for p in exc.value.problems] == [1, 2, 3]
    with dated.store.read() as conn:
        assert conn.execute(select(func.count()).select_from(list_entries)).scalar_one() == 2


def test_calendar_file_makes_a_year_official(dated: Platform, tmp_path: Path) -> None:
    path = tmp_path / "2032.yaml"
    path.write_text(
        "year: 2032\nsource: 国办发明电〔2031〕1号\nholidays: [2032-01-01, 2032-02-10..2032-02-16]\n"
        "workdays: [2032-02-08]\n",
        encoding="utf-8",
    )
    assert workcalendar.calendar(dated.store).add_working_days(date(2032, 2, 6), 1).due is None
    workcalendar.load(dated.store, OP, workcalendar.read_file(path))
    cal = workcalendar.calendar(dated.store)
    assert cal.add_working_days(date(2032, 2, 6), 1).due == date(2032, 2, 8)  # the adjusted Sunday
    assert cal.add_working_days(date(2032, 2, 8), 1).due == date(2032, 2, 9)
    assert cal.add_working_days(date(2032, 2, 9), 1).due == date(2032, 2, 17)
    path.write_text("year: 2032\nholidays: [2032-13-01]\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as exc:
        workcalendar.read_file(path)
    assert {p.rule for p in exc.value.problems} == {"calendar.source", "calendar.date"}


def test_list_page_is_paginated_and_masks_people(dated: Platform, client: TestClient) -> None:
    for day in range(1, 4):
        court_listing(dated, identifier=resident_id(date(1975, 5, day)), on=D0, name="钱七")
    page = client.get("/api/v1/lists/court_dishonest_debtor/entries?per_page=2").json()
    assert page["total"] == 3 and len(page["entries"]) == 2
    assert "*" in page["entries"][0]["identifier"] and page["entries"][0]["subject_name"] != "钱七"
    assert client.get("/api/v1/lists/court_dishonest_debtor/entries?per_page=500").status_code == 422


def test_screening_queries_probe_by_identifier_on_sqlite(platform: Platform) -> None:
    """Regression guard: without ANALYZE, SQLite's planner once walked every entry of a list type
    (the list-page or state index, or the persons join from the entries side) for each chunk."""
    from xinyong.catalog.lists import of
    from xinyong.services.screening import _queries

    if platform.store.dialect != "sqlite":
        pytest.skip("SQLite query plans")
    measure = of(platform.catalog).measures["no_flights"]
    with platform.store.read() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        for sql, params in _queries(measure, [ADULT, COMPANY], persons=True):
            plan = " | ".join(row[3] for row in raw.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall())
            first = plan.split(" | ")[0]
            assert "ix_list_entries_screening" in first or "ix_list_entry_persons_id_value" in first, plan
            if "list_entry_persons" not in sql:  # the subjects' lookup reads the index alone
                assert "COVERING INDEX ix_list_entries_screening" in first, plan
            assert "SCAN" not in plan, plan


def _bulk(platform: Platform, identifiers: list[str]) -> dict[str, Any]:
    party = screening.add_party(
        platform.store, platform.catalog, OP, code="bulk", name="bulk", purposes=["ticketing"]
    )[0]
    return screening.screen_bulk(
        platform.store,
        platform.catalog,
        party,
        identifiers=identifiers,
        measure="no_flights",
        purpose="ticketing",
        today=D0,
    )


def test_bulk_screening_answers_and_records_every_identifier_in_its_order(platform: Platform) -> None:
    """Repeats are answered and recorded each time, normalised (spaces, case), in the order given."""
    second = resident_id(date(1980, 2, 3))
    court_listing(platform)
    court_listing(platform, identifier=second)
    clear = resident_id(date(1970, 1, 1))
    given = [ADULT, clear, f" {ADULT.lower()} ", second, "", clear, "zz", ADULT, second.lower(), "ZZ"]
    got = _bulk(platform, given)
    answered = [r["identifier"] for r in got["results"]]
    assert answered == [ADULT, ADULT, second, ADULT, second]
    assert got["total"] == len(given) and got["restricted"] == 5
    recorded = screening.recorded(platform.store, int(got["screening_id"]))
    assert [v for v, _ in recorded] == [v.strip().upper() for v in given]
    listed = {ADULT, second}
    assert [entry is not None for _, entry in recorded] == [v.strip().upper() in listed for v in given]
    by_value = {r["identifier"]: r["entry"]["id"] for r in got["results"]}
    assert all(entry == by_value[v] for v, entry in recorded if entry is not None)


def test_bulk_screening_of_one_identifier_twice_and_of_none(platform: Platform) -> None:
    """One distinct identifier takes the single lookup's path on PostgreSQL; none looks nothing up."""
    court_listing(platform)
    twice = _bulk(platform, [ADULT, ADULT.lower()])
    assert [r["identifier"] for r in twice["results"]] == [ADULT, ADULT]
    none = screening.screen_bulk(
        platform.store,
        platform.catalog,
        screening.list_parties(platform.store)[0],
        identifiers=[],
        measure="no_flights",
        purpose="ticketing",
        today=D0,
    )
    assert none["total"] == 0 and none["restricted"] == 0 and none["results"] == []


@given(st.lists(st.text(alphabet="ab\n", max_size=3), max_size=30))
def test_sorted_unique_is_sorted_set(values: list[str]) -> None:
    assert screening._sorted_unique(values) == sorted(set(values))


@pytest.mark.parametrize(
    ("stored", "purposes"),
    [
        ('["ticketing", "hiring"]', {"ticketing", "hiring"}),
        (b'["ticketing"]', {"ticketing"}),
        (["ticketing"], {"ticketing"}),
        ("[]", set()),
        ("null", set()),
        (None, set()),
    ],
)
def test_party_purposes_read_as_text_or_decoded(stored: object, purposes: set[str]) -> None:
    party = screening._party_of(("airline", "某航空公司", stored, True))
    assert party.purposes == purposes
