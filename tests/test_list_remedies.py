"""Objections and repair of list entries, through the lists service (no fakes): the entry is marked,
removed by its list's own due process, and its measures stop applying to screening."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
from ingest_helpers import HUAWEI
from lists_helpers import COURT, court_listing, samr_listing
from remedy_helpers import COMMITMENT, OPERATOR, PROOF, SAMR_STAFF, TODAY, huawei, seed

from xinyong.domain.actor import Actor
from xinyong.domain.lists import ListState
from xinyong.errors import ProcedureError
from xinyong.services import lists, objections, repair, screening
from xinyong.services.platform import Platform

LISTED_ON = date(2026, 3, 2)


@pytest.fixture
def listed(platform: Platform, tmp_path: Path) -> Platform:
    seed(platform, tmp_path)  # registers Huawei (and its account's subject) through ingested penalties
    return platform


def restricted(platform: Platform, today: date) -> bool:
    party, _ = screening.add_party(
        platform.store,
        platform.catalog,
        Actor.operator("op"),
        code=f"p{uuid.uuid4().hex[:8]}",
        name="某采购代理机构",
        purposes=["procurement"],
    )
    answer = screening.screen(
        platform.store,
        platform.catalog,
        party,
        identifier=HUAWEI,
        measure="no_government_procurement",
        purpose="procurement",
        today=today,
    )
    return bool(answer["restricted"])


def test_objection_marks_the_entry_and_removal_ends_its_measures(listed: Platform) -> None:
    entry = samr_listing(listed, identifier=HUAWEI, on=LISTED_ON)
    subject = huawei(listed)
    assert entry.subject_id == subject.subject_id and restricted(listed, TODAY)
    case = objections.file(listed, subject, "list_entry", entry.id, "wrongly_listed", "罚款决定已被撤销")
    shown = lists.published_entries(listed.store, listed.catalog, subject.subject_id, TODAY)
    assert [e["marks"] for e in shown] == [["under_objection"]]  # marked at once
    objections.verify(listed, OPERATOR, case.id, matches_source=True, note="与来源一致")
    done = objections.decide(
        listed,
        SAMR_STAFF,
        case.id,
        "removed_from_list",
        "据以列入的处罚决定已被撤销",
        document_number="深市监撤〔2026〕2号",
    )
    assert done.last.outcome == "removed_from_list"
    removed = lists.get_entry(listed.store, entry.id)
    assert removed.state is ListState.REMOVED and removed.removal_reason == "decision_revoked"
    last = lists.history(listed.store, entry.id)[-1]
    assert last["document"] == "深市监撤〔2026〕2号"
    assert last["details"]["note"] == "据以列入的处罚决定已被撤销"
    assert lists.published_entries(listed.store, listed.catalog, subject.subject_id, TODAY) == []
    assert not restricted(listed, TODAY)


def test_samr_list_repair_waits_one_year_then_removes_the_entry(listed: Platform) -> None:
    entry = samr_listing(listed, identifier=HUAWEI, on=LISTED_ON)
    subject = huawei(listed)
    assert entry.starts_on is not None
    _, early = repair.eligibility(listed, subject, "list_entry", entry.id)
    assert not early.eligible and early.regime.code == "list_rules"  # type: ignore[union-attr]
    year = date(entry.starts_on.year + 1, entry.starts_on.month, entry.starts_on.day)
    assert early.earliest == year + timedelta(days=1)  # the first day after a full year on the list
    assert "list_early_removal" in {c.code for c in early.failed}
    with pytest.raises(ProcedureError) as exc:
        repair.apply(listed, subject, "list_entry", entry.id, [PROOF, COMMITMENT])
    assert exc.value.rule == "repair.min_period" and str(year + timedelta(days=1)) in exc.value.message
    assert any(p.rule == "repair.list_early_removal" for p in exc.value.problems)

    later = year + timedelta(days=1)
    _, ok = repair.eligibility(listed, subject, "list_entry", entry.id, today=later)
    assert ok.eligible, ok.failed
    case = repair.apply(listed, subject, "list_entry", entry.id, [PROOF, COMMITMENT], today=later)
    assert restricted(listed, later)
    doc = "深市监修〔2027〕1号"
    repair.decide(listed, SAMR_STAFF, case.id, approve=True, document_number=doc, today=later)
    removed = lists.get_entry(listed.store, entry.id)
    assert removed.state is ListState.REMOVED and removed.removal_reason == "repaired"
    assert removed.removed_on == later
    assert not restricted(listed, later)
    assert lists.published_entries(listed.store, listed.catalog, subject.subject_id, later) == []


def test_court_list_entry_cannot_be_repaired_by_application(listed: Platform) -> None:
    entry = court_listing(listed, identifier=HUAWEI, name="华为技术有限公司", on=LISTED_ON)
    subject = huawei(listed)
    _, result = repair.eligibility(listed, subject, "list_entry", entry.id)
    assert not result.eligible and result.earliest is None
    assert [c.code for c in result.failed] == ["list_no_repair"]
    with pytest.raises(ProcedureError) as exc:
        repair.apply(listed, subject, "list_entry", entry.id, [PROOF, COMMITMENT])
    assert exc.value.rule == "repair.list_no_repair" and "失信被执行人名单" in exc.value.message_zh
    assert lists.get_entry(listed.store, entry.id).state is ListState.PUBLISHED
    # the court removes it on a statutory trigger instead
    lists.remove(listed, COURT, entry.id, reason="performed", document="(2026)粤0304执555号之一", on=TODAY)
    assert lists.get_entry(listed.store, entry.id).state is ListState.REMOVED
