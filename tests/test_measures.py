"""Measures apply only through a linked, current list entry: every path that answers is tried."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from lists_helpers import COMPANY, COURT, D0, SAMR, court_listing, samr_listing

from xinyong.api.app import create_app
from xinyong.catalog import check_catalog, load_catalog
from xinyong.catalog.lists import of
from xinyong.domain.actor import Actor
from xinyong.domain.lists import ListState
from xinyong.domain.measures import applies, applying, measure_end
from xinyong.services import lists, screening
from xinyong.services.platform import Platform
from xinyong.store.tables import metadata


def test_catalog_links_measures_to_list_types() -> None:
    cat = of(load_catalog())
    court = {m.code for m in cat.measures_of("court_dishonest_debtor")}
    assert {"no_flights", "no_g_train_seats", "no_first_class_emu", "not_company_officer"} <= court
    assert "no_flights" not in {m.code for m in cat.measures_of("abnormal_operations")}
    flights = cat.measures["no_flights"]
    assert flights.named_persons == (
        "legal_representative",
        "principal",
        "directly_responsible",
        "actual_controller",
    )
    assert "法释〔2015〕17号" in str(flights.legal_basis[0])
    assert all(m.legal_basis and m.triggered_by for m in cat.measures.values())


def _copy_catalog(tmp_path: Path) -> Path:
    import shutil

    from xinyong.catalog import DATA_DIR

    root = tmp_path / "catalog"
    shutil.copytree(DATA_DIR, root)
    return root


@pytest.mark.parametrize(
    ("needle", "replacement", "rule"),
    [
        (
            "    triggered_by: [court_dishonest_debtor]\n    purposes: [ticketing]\n"
            "  - code: no_g_train_seats",
            "    triggered_by: []\n    purposes: [ticketing]\n  - code: no_g_train_seats",
            "measure.no_trigger",
        ),
        (
            "triggered_by: [court_dishonest_debtor]\n    purposes: [appointment",
            "triggered_by: [free_will]\n    purposes: [appointment",
            "measure.unknown_list_type",
        ),
        (
            "    legal_basis:\n      - {instrument: 中华人民共和国公司法（2023年修订）, "
            "article: 第一百七十八条第一款第（五）项, level: law}\n",
            "",
            "measure.legal_basis_missing",
        ),
        ("purposes: [appointment, administration]", "purposes: [curiosity]", "measure.unknown_purpose"),
    ],
)
def test_unlawful_measures_stop_the_catalog(tmp_path: Path, needle: str, replacement: str, rule: str) -> None:
    root = _copy_catalog(tmp_path)
    path = root / "measures" / "court.yaml"
    text = path.read_text(encoding="utf-8")
    assert needle in text
    path.write_text(text.replace(needle, replacement), encoding="utf-8")
    problems = check_catalog(root)
    assert rule in {p.rule for p in problems}
    assert any(p.where.get("file") == "measures/court.yaml" for p in problems)


def test_list_type_without_grounds_or_with_unknown_domain_is_refused(tmp_path: Path) -> None:
    root = _copy_catalog(tmp_path)
    path = root / "lists" / "abnormal_operations.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "deciding_domains: [market_regulation]", "deciding_domains: [anyone]"
    )
    path.write_text(text, encoding="utf-8")
    assert "list.unknown_domain" in {p.rule for p in check_catalog(root)}


def test_measures_apply_through_a_current_entry_only(platform: Platform) -> None:
    cat = of(platform.catalog)
    entry = court_listing(platform)
    flights = cat.measures["no_flights"]
    assert applies(flights, entry, D0) and applies(flights, entry, date(2028, 3, 2))
    assert not applies(flights, entry, date(2028, 3, 3))  # the day after the period ends
    assert not applies(flights, entry, D0 - timedelta(days=1))
    assert not applies(cat.measures["procurement_restriction"], entry, D0)  # not linked to the court list
    company = court_listing(platform, identifier=COMPANY, name="某公司")
    assert not applies(cat.measures["not_company_officer"], company, D0)  # individuals only
    assert applies(cat.measures["no_flights"], company, D0)


def test_measure_with_its_own_duration_ends_no_later_than_the_entry(platform: Platform) -> None:
    cat = of(platform.catalog)
    entry = samr_listing(platform)
    procurement = cat.measures["no_government_procurement"]
    assert measure_end(procurement, entry) == entry.ends_on  # both three years
    removed = lists.remove(
        platform, SAMR, entry.id, reason="decision_revoked", document="撤销决定", on=date(2026, 6, 1)
    )
    assert not applies(procurement, removed, date(2026, 6, 1))


def _every_state_entry(platform: Platform) -> dict[ListState, str]:
    """One court-list entry in each state (identifiers differ so each is screened alone)."""
    from lists_helpers import resident_id

    out: dict[ListState, str] = {}
    ident = iter(resident_id(date(1980, 1, n)) for n in range(1, 20))

    def proposal() -> str:
        return lists.propose(
            platform,
            COURT,
            list_type_code="court_dishonest_debtor",
            identifier=next(ident),
            ground="refuses_settlement",
            basis_document="B",
            facts="F",
            subject_name="王五",
            on=D0,
        ).id

    out[ListState.PROPOSED] = proposal()
    out[ListState.WITHDRAWN] = proposal()
    lists.withdraw(platform, COURT, out[ListState.WITHDRAWN], reason="x", on=D0)
    out[ListState.DECIDED] = proposal()
    lists.decide(platform, COURT, out[ListState.DECIDED], decision_document="D", on=D0)
    out[ListState.REMOVED] = proposal()
    lists.decide(platform, COURT, out[ListState.REMOVED], decision_document="D", on=D0)
    lists.publish(platform, COURT, out[ListState.REMOVED], on=D0)
    lists.remove(platform, COURT, out[ListState.REMOVED], reason="performed", document="R", on=D0)
    out[ListState.PUBLISHED] = proposal()
    lists.decide(platform, COURT, out[ListState.PUBLISHED], decision_document="D", on=D0)
    lists.publish(platform, COURT, out[ListState.PUBLISHED], on=D0)
    return out


def test_no_path_applies_a_measure_without_a_linked_current_entry(platform: Platform) -> None:
    """Screening (single, bulk, HTTP), the profile partial, list pages and the pure function agree:
    only the published entry in its period restricts, only for measures its type links."""
    by_state = _every_state_entry(platform)
    samr_listing(platform)  # a SAMR entry for COMPANY: links no court measure
    party, key = screening.add_party(
        platform.store,
        platform.catalog,
        Actor.operator("op"),
        code="checker",
        name="核查方",
        purposes=sorted(of(platform.catalog).purposes),
    )
    cat = of(platform.catalog)
    values = {state: lists.get_entry(platform.store, eid).id_value for state, eid in by_state.items()}
    client = TestClient(create_app(platform_obj=platform))
    for day in (D0 - timedelta(days=1), D0, date(2028, 3, 2), date(2028, 3, 3)):
        for measure in cat.measures.values():
            purpose = sorted(measure.purposes)[0]
            bulk = screening.screen_bulk(
                platform.store,
                platform.catalog,
                party,
                identifiers=[*values.values(), COMPANY],
                measure=measure.code,
                purpose=purpose,
                today=day,
            )
            restricted = {r["identifier"] for r in bulk["results"]}
            expect_court = measure.code in {
                "no_flights",
                "no_g_train_seats",
                "no_first_class_emu",
                "not_company_officer",
            } and D0 <= day <= date(2028, 3, 2)
            expect_samr = measure.code in {
                "procurement_restriction",
                "no_government_procurement",
                "key_supervision",
            } and D0 < day <= date(2029, 3, 10)
            assert restricted == ({values[ListState.PUBLISHED]} if expect_court else set()) | (
                {COMPANY} if expect_samr else set()
            ), (day, measure.code)
            for value in [*values.values(), COMPANY]:
                single = screening.screen(
                    platform.store,
                    platform.catalog,
                    party,
                    identifier=value,
                    measure=measure.code,
                    purpose=purpose,
                    today=day,
                )
                assert single["restricted"] == (value in restricted)
    # over HTTP, on the platform's day
    platform.settings = platform.settings.__class__(data_dir=platform.settings.data_dir, today=D0.isoformat())
    for state, value in values.items():
        got = client.post(
            "/api/v1/screen",
            headers={"X-Api-Key": key},
            json={"identifier": value, "measure": "no_flights", "purpose": "ticketing"},
        ).json()
        assert got["restricted"] is (state is ListState.PUBLISHED)
    # the profile partial and the list page show measures only for the current entry
    page = lists.list_page(platform.store, platform.catalog, "court_dishonest_debtor", D0)
    assert [e["id"] for e in page["entries"]] == [by_state[ListState.PUBLISHED]]
    assert {m["code"] for m in page["entries"][0]["measures"]} >= {"no_flights"}
    entries = [lists.get_entry(platform.store, eid) for eid in by_state.values()]
    assert [a.entry.state for a in applying(cat, entries, D0)] == [ListState.PUBLISHED] * 4


def test_no_table_can_switch_a_measure_on() -> None:
    """Measures have no storage: no table holds a measure flag (only the record of screenings)."""
    holders = {t.name for t in metadata.tables.values() for c in t.columns if "measure" in c.name}
    assert holders == {"screenings"}


def test_no_api_route_writes_measures(platform: Platform) -> None:
    app = create_app(platform_obj=platform)
    writes = [
        r.path
        for r in app.routes
        if getattr(r, "methods", None)
        and {"POST", "PUT", "PATCH", "DELETE"} & set(r.methods)
        and "measure" in r.path
    ]
    assert writes == []


def test_named_persons_of_a_listed_unit_are_bound_only_by_measures_naming_them(platform: Platform) -> None:
    from lists_helpers import resident_id

    from xinyong.errors import InvalidInput

    rep = resident_id(date(1975, 3, 3))
    entry = lists.propose(
        platform,
        COURT,
        list_type_code="court_dishonest_debtor",
        identifier=COMPANY,
        ground="refuses_settlement",
        basis_document="B",
        facts="F",
        subject_name="某公司",
        on=D0,
    )
    with pytest.raises(InvalidInput) as exc:
        lists.decide(
            platform, COURT, entry.id, decision_document="D", on=D0, named_persons=[("cousin", rep, "某某")]
        )
    assert exc.value.rule == "lists.person_role"
    lists.decide(
        platform,
        COURT,
        entry.id,
        decision_document="D",
        on=D0,
        named_persons=[("legal_representative", rep, "赵法代")],
    )
    lists.publish(platform, COURT, entry.id, on=D0)
    assert lists.persons_of(platform.store, entry.id) == [("legal_representative", rep, "赵法代")]
    party, _ = screening.add_party(
        platform.store,
        platform.catalog,
        Actor.operator("op"),
        code="p",
        name="p",
        purposes=["ticketing", "appointment"],
    )
    flights = screening.screen(
        platform.store,
        platform.catalog,
        party,
        identifier=rep,
        measure="no_flights",
        purpose="ticketing",
        today=D0,
    )
    assert flights["restricted"] and flights["as_person"] == "legal_representative"
    bulk = screening.screen_bulk(  # identifiers as one array: the same answers as one by one
        platform.store,
        platform.catalog,
        party,
        identifiers=[rep, COMPANY],
        measure="no_flights",
        purpose="ticketing",
        today=D0,
    )
    assert {r["identifier"]: r.get("as_person") for r in bulk["results"]} == {
        rep: "legal_representative",
        COMPANY: None,
    }
    many = screening.screen_bulk(  # enough identifiers that the screening first asks whether anyone
        platform.store,  # is named (screening._CHECK_NAMED_FROM): the person is still found
        platform.catalog,
        party,
        identifiers=[*(f"B{i:017d}" for i in range(1500)), rep, COMPANY],
        measure="no_flights",
        purpose="ticketing",
        today=D0,
    )
    assert {r["identifier"]: r.get("as_person") for r in many["results"]} == {
        rep: "legal_representative",
        COMPANY: None,
    }
    officer = screening.screen(
        platform.store,
        platform.catalog,
        party,
        identifier=rep,
        measure="not_company_officer",
        purpose="appointment",
        today=D0,
    )
    assert officer["restricted"] is False  # that measure binds the listed subject only
    after = screening.screen(
        platform.store,
        platform.catalog,
        party,
        identifier=rep,
        measure="no_flights",
        purpose="ticketing",
        today=date(2028, 3, 3),
    )
    assert after["restricted"] is False


def test_individuals_have_no_named_persons(platform: Platform) -> None:
    from lists_helpers import ADULT, resident_id

    from xinyong.errors import InvalidInput

    entry = lists.propose(
        platform,
        COURT,
        list_type_code="court_dishonest_debtor",
        identifier=ADULT,
        ground="refuses_settlement",
        basis_document="B",
        facts="F",
        subject_name="张三",
        on=D0,
    )
    with pytest.raises(InvalidInput) as exc:
        lists.decide(
            platform,
            COURT,
            entry.id,
            decision_document="D",
            on=D0,
            named_persons=[("legal_representative", resident_id(date(1975, 3, 3)), "x")],
        )
    assert exc.value.rule == "lists.persons_of_individual"
    assert lists.get_entry(platform.store, entry.id).state is ListState.PROPOSED
