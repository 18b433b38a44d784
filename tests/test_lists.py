"""Due process of list entries: every refusal of issue 5 point 2, the periods, the recorded steps."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from lists_helpers import ADULT, COMPANY, COURT, D0, MINOR, SAMR, TAX, court_listing, samr_listing
from sqlalchemy import func, select

from xinyong.domain.lists import ListState
from xinyong.errors import InvalidInput, NotPermitted, ProcedureError, XinyongError
from xinyong.services import lists
from xinyong.services.platform import Platform
from xinyong.store.tables import events, list_entries, list_transitions


def _counts(platform: Platform) -> tuple[int, int, int]:
    with platform.store.read() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (list_entries, list_transitions, events)
        )


def _propose(platform: Platform, **over: object) -> object:
    args: dict[str, object] = {
        "list_type_code": "court_dishonest_debtor",
        "identifier": ADULT,
        "ground": "refuses_settlement",
        "basis_document": "(2025)粤0304民初1号",
        "facts": "拒不履行",
        "subject_name": "张三",
        "on": D0,
    }
    args.update(over)
    actor = args.pop("actor", COURT)
    return lists.propose(platform, actor, **args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("over", "error", "rule"),
    [
        ({"basis_document": "  "}, InvalidInput, "lists.no_effective_document"),
        ({"ground": "owes_money"}, InvalidInput, "lists.outside_criteria"),
        ({"actor": TAX}, NotPermitted, "lists.unit_without_power"),
        ({"identifier": MINOR}, InvalidInput, "lists.minor"),
        ({"facts": ""}, InvalidInput, "lists.no_facts"),
        (
            {
                "list_type_code": "abnormal_operations",
                "identifier": ADULT,
                "ground": "no_annual_report",
                "actor": SAMR,
            },
            InvalidInput,
            "lists.subject_kind",
        ),
        ({"identifier": "123"}, InvalidInput, "lists.identifier"),
    ],
)
def test_proposals_outside_the_law_are_refused_and_change_nothing(
    platform: Platform, over: dict[str, object], error: type[XinyongError], rule: str
) -> None:
    before = _counts(platform)
    with pytest.raises(error) as exc:
        _propose(platform, **over)
    assert exc.value.rule == rule
    assert _counts(platform) == before


def test_every_problem_is_reported_at_once(platform: Platform) -> None:
    with pytest.raises(InvalidInput) as exc:
        _propose(platform, actor=TAX, identifier=MINOR, basis_document="", ground="x")
    rules = {p.rule for p in exc.value.problems}
    assert {
        "lists.unit_without_power",
        "lists.minor",
        "lists.no_effective_document",
        "lists.outside_criteria",
    } <= rules


def test_minor_is_refused_only_where_the_list_excludes_minors(platform: Platform) -> None:
    entry = lists.propose(
        platform,
        SAMR,
        list_type_code="samr_serious_illegal",
        identifier=MINOR,
        ground="heavy_fine",
        basis_document="深市监罚〔2026〕1号",
        facts="x",
        subject_name="李四",
        on=D0,
    )
    assert entry.state is ListState.PROPOSED


def test_court_listing_periods_follow_the_grounds(platform: Platform) -> None:
    two_years = court_listing(platform, ground="refuses_settlement")
    assert two_years.state is ListState.PUBLISHED
    assert two_years.starts_on == D0 and two_years.ends_on == date(2028, 3, 2)
    open_ended = court_listing(platform, identifier=COMPANY, ground="able_but_refuses", name="某公司")
    assert open_ended.ends_on is None


def test_samr_listing_goes_through_notice_and_defence(platform: Platform) -> None:
    entry = samr_listing(platform)
    assert entry.state is ListState.PUBLISHED
    assert entry.notified_on == D0 and entry.defence_until == date(2026, 3, 9)  # 5 working days
    assert entry.ends_on == date(2029, 3, 10)  # decided the day after the window, 3 years
    steps = [h["action"] for h in lists.history(platform.store, entry.id)]
    assert steps == ["propose", "notify", "decide", "publish"]
    assert all(h["actor"].startswith("source_unit:sz_samr") for h in lists.history(platform.store, entry.id))


def _samr_proposal(platform: Platform) -> str:
    return lists.propose(
        platform,
        SAMR,
        list_type_code="samr_serious_illegal",
        identifier=COMPANY,
        ground="heavy_fine",
        basis_document="深市监罚〔2026〕2号",
        facts="x",
        subject_name="某公司",
        on=D0,
    ).id


def test_decision_without_notice_or_inside_the_window_is_refused(platform: Platform) -> None:
    entry_id = _samr_proposal(platform)
    with pytest.raises(ProcedureError) as exc:
        lists.decide(platform, SAMR, entry_id, decision_document="D1", on=D0)
    assert exc.value.rule == "lists.notice_required"
    lists.notify(platform, SAMR, entry_id, document="N1", on=D0)
    with pytest.raises(ProcedureError) as exc:
        lists.decide(platform, SAMR, entry_id, decision_document="D1", on=D0 + timedelta(days=3))
    assert exc.value.rule == "lists.defence_window_open"
    with pytest.raises(InvalidInput) as exc2:
        lists.decide(platform, SAMR, entry_id, decision_document=" ", on=date(2026, 3, 10))
    assert exc2.value.rule == "lists.no_decision_document"
    assert lists.get_entry(platform.store, entry_id).state is ListState.NOTIFIED


def test_statements_must_be_considered_and_come_in_time(platform: Platform) -> None:
    entry_id = _samr_proposal(platform)
    lists.notify(platform, SAMR, entry_id, document="N1", on=D0)
    lists.record_statement(platform, SAMR, entry_id, statement="已整改", on=D0 + timedelta(days=1))
    with pytest.raises(InvalidInput) as exc:
        lists.decide(platform, SAMR, entry_id, decision_document="D1", on=D0 + timedelta(days=2))
    assert exc.value.rule == "lists.statements_not_considered"
    with pytest.raises(ProcedureError) as exc2:
        lists.record_statement(platform, SAMR, entry_id, statement="迟到", on=date(2026, 3, 20))
    assert exc2.value.rule == "lists.defence_window_closed"
    done = lists.decide(
        platform,
        SAMR,
        entry_id,
        decision_document="D1",
        on=D0 + timedelta(days=2),
        statements_considered="陈述理由不成立：整改不涉及违法事实",
    )
    assert done.state is ListState.DECIDED and done.statements == 1


@pytest.mark.parametrize("action", ["publish", "extend", "remove", "record_statement"])
def test_illegal_transitions_are_clear_errors(platform: Platform, action: str) -> None:
    entry = _propose(platform)
    calls = {
        "publish": lambda: lists.publish(platform, COURT, entry.id, on=D0),  # type: ignore[attr-defined]
        "extend": lambda: lists.extend(
            platform,
            COURT,
            entry.id,
            by="P1Y",
            document="X",  # type: ignore[attr-defined]
            on=D0,
        ),
        "remove": lambda: lists.remove(
            platform,
            COURT,
            entry.id,
            reason="performed",  # type: ignore[attr-defined]
            document="X",
            on=D0,
        ),
        "record_statement": lambda: lists.record_statement(
            platform,
            COURT,
            entry.id,  # type: ignore[attr-defined]
            statement="x",
            on=D0,
        ),
    }
    with pytest.raises(ProcedureError) as exc:
        calls[action]()
    assert exc.value.rule == f"lists.transition.{action}"
    assert "proposed" in exc.value.message


def test_only_the_deciding_unit_may_act(platform: Platform) -> None:
    entry = _propose(platform)
    with pytest.raises(NotPermitted) as exc:
        lists.decide(platform, SAMR, entry.id, decision_document="D", on=D0)  # type: ignore[attr-defined]
    assert exc.value.rule == "lists.not_deciding_unit"


def test_extension_rules(platform: Platform) -> None:
    entry = court_listing(platform)
    with pytest.raises(InvalidInput):
        lists.extend(platform, COURT, entry.id, by="P4Y", document="E1", on=D0)
    longer = lists.extend(platform, COURT, entry.id, by="P1Y", document="E1", on=D0)
    assert longer.ends_on == date(2029, 3, 2) and longer.extensions == 1
    with pytest.raises(ProcedureError) as exc:
        lists.extend(platform, COURT, entry.id, by="P1Y", document="E2", on=D0)
    assert exc.value.rule == "lists.extension_limit"
    open_ended = court_listing(platform, identifier=COMPANY, ground="able_but_refuses", name="某公司")
    with pytest.raises(ProcedureError) as exc:
        lists.extend(platform, COURT, open_ended.id, by="P1Y", document="E3", on=D0)
    assert exc.value.rule == "lists.not_extendable"


def test_removal_conditions_deadline_and_early_removal(platform: Platform) -> None:
    court = court_listing(platform)
    with pytest.raises(InvalidInput) as exc:
        lists.remove(platform, COURT, court.id, reason="felt_like_it", document="R", on=D0)
    assert exc.value.rule == "lists.removal_condition"
    with pytest.raises(ProcedureError):
        lists.remove(platform, COURT, court.id, reason="period_ended", on=D0)
    # Performed on Friday 2026-04-03; Qingming holiday 4-6 April: 3 working days end on Thursday 9 April.
    gone = lists.remove(
        platform,
        COURT,
        court.id,
        reason="performed",
        document="(2026)粤0304执555号之一",
        trigger_on=date(2026, 4, 3),
        on=date(2026, 4, 8),
    )
    assert gone.state is ListState.REMOVED
    last = lists.history(platform.store, court.id)[-1]
    assert last["details"]["due"] == "2026-04-09" and last["details"]["on_time"] is True
    samr = samr_listing(platform)
    with pytest.raises(ProcedureError) as exc2:
        lists.remove(platform, SAMR, samr.id, reason="repaired", document="修复决定", on=date(2026, 12, 1))
    assert exc2.value.rule == "lists.early_removal_too_soon"
    assert samr.starts_on is not None
    later = lists.remove(
        platform, SAMR, samr.id, reason="repaired", document="修复决定", on=date(2027, 3, 10)
    )
    assert later.state is ListState.REMOVED


def test_deadline_in_a_year_without_schedule_is_flagged(platform: Platform) -> None:
    entry = court_listing(platform, on=date(2026, 12, 28))
    gone = lists.remove(
        platform,
        COURT,
        entry.id,
        reason="performed",
        document="R",
        trigger_on=date(2031, 12, 30),
        on=date(2031, 12, 30),
    )
    details = lists.history(platform.store, gone.id)[-1]["details"]
    assert details["due"] is None and details["due_unknown_year"] is not None and details["on_time"] is None


def test_every_step_is_an_audit_event(platform: Platform) -> None:
    entry = samr_listing(platform)
    with platform.store.read() as conn:
        actions = conn.execute(
            select(events.c.action, events.c.document_number)
            .where(events.c.object_id == entry.id)
            .order_by(events.c.seq)
        ).all()
    assert [a for a, _ in actions] == [
        "list_entry:propose",
        "list_entry:notify",
        "list_entry:decide",
        "list_entry:publish",
    ]
    assert actions[2][1] == "深市监列〔2026〕7号"


def test_withdrawn_proposal_cannot_be_decided(platform: Platform) -> None:
    entry_id = _samr_proposal(platform)
    lists.withdraw(platform, SAMR, entry_id, reason="申辩成立", on=D0)
    with pytest.raises(ProcedureError):
        lists.decide(platform, SAMR, entry_id, decision_document="D", on=D0)


def test_registered_subject_is_listed_under_its_primary_identifier(platform: Platform) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import insert

    from xinyong import ids
    from xinyong.store.tables import subject_identifiers, subjects

    stamp = datetime.now(UTC)
    org = ids.organisation_code_from_uscc(COMPANY)
    with platform.store.write() as conn:
        conn.execute(
            insert(subjects).values(
                id="S2",
                kind="enterprise",
                id_scheme="uscc",
                id_value=COMPANY,
                name="腾讯科技（深圳）有限公司",
                name_search="",
                created_at=stamp,
                updated_at=stamp,
                is_individual_business=False,
            )
        )
        conn.execute(
            insert(subject_identifiers).values(
                scheme="org_code", value=org, subject_id="S2", source="test", created_at=stamp
            )
        )
    entry = lists.propose(
        platform,
        SAMR,
        list_type_code="samr_serious_illegal",
        identifier=org,
        ground="heavy_fine",
        basis_document="罚1",
        facts="x",
        on=D0,
    )
    assert entry.subject_id == "S2" and entry.id_value == COMPANY
