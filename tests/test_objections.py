"""Objections end to end over the store: marks shown at once, platform check, forwarding, decisions."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from remedy_helpers import EVIDENCE, HOUSING_STAFF, OPERATOR, SAMR_STAFF, TODAY, huawei, seed, tencent
from sqlalchemy import Connection, func, select

from xinyong.domain.actor import Actor
from xinyong.errors import Conflict, InvalidInput, NotFound, NotPermitted, ProcedureError
from xinyong.services import objections, remedy_targets
from xinyong.services.check import Check
from xinyong.services.platform import Platform
from xinyong.services.remedy_store import file_path
from xinyong.store.tables import events, remedy_cases, remedy_steps


@pytest.fixture
def ids(platform: Platform, tmp_path: Path) -> dict[str, str]:
    return seed(platform, tmp_path)


def public_view(platform: Platform, record_id: str, today: date = TODAY) -> Any:
    return Check(platform.store, platform.catalog, "en", today).record(Actor.public(), record_id)


def count(platform: Platform, table: Any) -> int:
    with platform.store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def file_one(platform: Platform, ids: dict[str, str]) -> Any:
    return objections.file(
        platform,
        huawei(platform),
        "record",
        ids["huawei"],
        "wrong_or_missing",
        "The fine was 2,000 yuan, not 20,000.",
        [EVIDENCE],
    )


def test_accepted_objection_marks_the_record_at_once(platform: Platform, ids: dict[str, str]) -> None:
    assert public_view(platform, ids["huawei"]).marks == ()
    case = file_one(platform, ids)
    assert case.state == "platform_check" and case.due_on == date(2026, 11, 30)  # Saturday + 1 working day
    assert public_view(platform, ids["huawei"]).marks == ("under_objection",)
    profile = Check(platform.store, platform.catalog, "zh", TODAY).profile(Actor.public(), case.subject_id)
    shown = [r for _, views in profile.groups for r in views if r.id == ids["huawei"]]
    assert shown[0].marks == ("under_objection",)
    stored = case.files[0]
    assert (
        stored.role == "evidence"
        and file_path(platform.settings.data_dir, stored.sha256).read_bytes() == EVIDENCE.content
    )
    with platform.store.read() as conn:
        actions = [
            r.action for r in conn.execute(select(events.c.action).where(events.c.object_id == case.id))
        ]
    assert actions == ["objection:accept"]
    assert [n.recipient for n in platform.notifier.sent] == ["operators"]  # type: ignore[attr-defined]


def test_only_the_subject_objects_to_its_own_information(platform: Platform, ids: dict[str, str]) -> None:
    before = count(platform, remedy_cases)
    with pytest.raises(NotPermitted):
        objections.file(platform, tencent(platform), "record", ids["huawei"], "unlawful", "not mine")
    with pytest.raises(NotPermitted):
        objections.file(platform, Actor.public(), "record", ids["huawei"], "unlawful", "anyone")
    with pytest.raises(InvalidInput) as exc:
        objections.file(platform, huawei(platform), "record", ids["huawei"], "bad", "")
    assert {p.rule for p in exc.value.problems} == {"objection.grounds", "objection.statement"}
    assert count(platform, remedy_cases) == before and count(platform, remedy_steps) == 0


def test_one_open_objection_per_record(platform: Platform, ids: dict[str, str]) -> None:
    file_one(platform, ids)
    with pytest.raises(Conflict):
        file_one(platform, ids)
    assert count(platform, remedy_cases) == 1


def test_platform_copy_differs_so_it_corrects_itself(platform: Platform, ids: dict[str, str]) -> None:
    case = file_one(platform, ids)
    done = objections.verify(
        platform,
        OPERATOR,
        case.id,
        matches_source=False,
        note="our copy had 20000; the unit's file says 2000",
        today=date(2026, 11, 30),
    )
    assert done.state == "decided" and done.last.outcome == "corrected"
    assert public_view(platform, ids["huawei"], date(2026, 11, 30)).marks == ()
    assert platform.notifier.sent[-1].recipient == f"subject:{case.subject_id}"  # type: ignore[attr-defined]


def test_forward_extend_and_stop_publicity(platform: Platform, ids: dict[str, str]) -> None:
    case = file_one(platform, ids)
    with pytest.raises(ProcedureError):  # the platform checks first
        objections.decide(platform, HOUSING_STAFF, case.id, "rejected", "no")
    fwd = objections.verify(
        platform, OPERATOR, case.id, matches_source=True, note="copies match", today=date(2026, 11, 30)
    )
    assert fwd.state == "source_review" and fwd.due_on == date(2026, 12, 2)
    with pytest.raises(NotPermitted):  # not the unit that reported it
        objections.decide(platform, SAMR_STAFF, case.id, "rejected", "no")
    ext = objections.extend(
        platform, HOUSING_STAFF, case.id, "head approved: file in archive", today=date(2026, 12, 1)
    )
    assert ext.due_on == date(2026, 12, 7)
    with pytest.raises(ProcedureError):
        objections.extend(platform, HOUSING_STAFF, case.id, "again")
    done = objections.decide(
        platform,
        HOUSING_STAFF,
        case.id,
        "publicity_stopped",
        "decision withdrawn",
        document_number="深建复〔2026〕1号",
        today=date(2026, 12, 3),
    )
    assert [s.step for s in done.steps] == ["accept", "forward", "extend", "decide"]
    assert all(s.actor for s in done.steps) and done.steps[-1].document_number == "深建复〔2026〕1号"
    with pytest.raises(Exception) as hidden:
        public_view(platform, ids["huawei"], date(2026, 12, 3))
    assert "no record" in str(hidden.value)
    mine = Check(platform.store, platform.catalog, "en", date(2026, 12, 3)).record(
        huawei(platform), ids["huawei"]
    )
    assert mine.public_visibility == "hidden" and mine.reason == "publicity_stopped" and mine.marks == ()
    assert (
        public_view(platform, ids["huawei"], date(2026, 12, 2)).visibility == "shown"
    )  # stopped from the 3rd


def test_rejection_lifts_the_mark_and_the_subject_may_object_again(
    platform: Platform, ids: dict[str, str]
) -> None:
    case = file_one(platform, ids)
    objections.verify(platform, OPERATOR, case.id, matches_source=True, note="match")
    with pytest.raises(InvalidInput):
        objections.decide(platform, HOUSING_STAFF, case.id, "rejected", " ")
    with pytest.raises(InvalidInput):
        objections.decide(platform, HOUSING_STAFF, case.id, "removed_from_list", "not a list entry")
    done = objections.decide(platform, HOUSING_STAFF, case.id, "rejected", "the file shows 20,000 yuan")
    assert done.last.outcome == "rejected" and public_view(platform, ids["huawei"]).marks == ()
    sent = platform.notifier.sent[-1]  # type: ignore[attr-defined]
    assert sent.kind == "outcome" and "行政复议" in sent.subject_zh
    again = file_one(platform, ids)
    assert again.id != case.id and again.state == "platform_check"


def test_review_mark_set_and_lifted_by_the_source_unit(platform: Platform, ids: dict[str, str]) -> None:
    with pytest.raises(NotPermitted):
        objections.mark_review(platform, SAMR_STAFF, ids["huawei"], active=True, reason="lawsuit")
    objections.mark_review(
        platform,
        HOUSING_STAFF,
        ids["huawei"],
        active=True,
        reason="行政诉讼 (2026)粤0304行初1号",
        document_number="(2026)粤0304行初1号",
    )
    assert public_view(platform, ids["huawei"]).marks == ("under_review",)
    objections.mark_review(platform, HOUSING_STAFF, ids["huawei"], active=False, reason="judgment final")
    assert public_view(platform, ids["huawei"]).marks == ()


class FakeLists:
    def __init__(self, target: remedy_targets.Target) -> None:
        self.entry, self.removed = target, []  # type: ignore[var-annotated]

    def target(self, conn: Connection, entry_id: str) -> remedy_targets.Target | None:
        return self.entry if entry_id == self.entry.id else None

    def remove(
        self,
        conn: Connection,
        actor: Actor,
        entry_id: str,
        on: date,
        reason: str,
        document_number: str | None,
    ) -> None:
        self.removed.append((entry_id, on, actor.unit))


def test_objection_to_an_unknown_list_entry_is_not_found(platform: Platform, ids: dict[str, str]) -> None:
    with pytest.raises(NotFound) as exc:
        objections.file(platform, huawei(platform), "list_entry", "E1", "wrongly_listed", "paid in full")
    assert exc.value.rule == "remedy.list_entry"


def test_objection_upheld_removes_the_list_entry(
    platform: Platform, ids: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from xinyong.domain.enums import Tier

    subject = huawei(platform)
    fake = FakeLists(
        remedy_targets.Target(
            "list_entry",
            "E1",
            subject.subject_id,
            "sz_housing",
            "wage_arrears_list",
            "list_period",
            Tier.SERIOUS,
            date(2026, 1, 5),
        )
    )
    monkeypatch.setattr(remedy_targets, "_lists", fake)
    case = objections.file(platform, subject, "list_entry", "E1", "wrongly_listed", "wages were paid")
    objections.verify(platform, OPERATOR, case.id, matches_source=True, note="match")
    objections.decide(platform, HOUSING_STAFF, case.id, "removed_from_list", "wages paid on 2026-01-02")
    assert fake.removed == [("E1", TODAY, "sz_housing")]


@pytest.mark.parametrize("outcome", ["corrected", "supplemented"])
def test_unit_corrects_or_supplements_and_the_mark_is_lifted(
    platform: Platform, ids: dict[str, str], outcome: str
) -> None:
    case = file_one(platform, ids)
    objections.verify(platform, OPERATOR, case.id, matches_source=True, note="match")
    done = objections.decide(
        platform,
        HOUSING_STAFF,
        case.id,
        outcome,
        "amount fixed in the resubmitted file",
        document_number="深建更〔2026〕3号",
    )
    assert done.last.outcome == outcome and not done.open
    view = public_view(platform, ids["huawei"])
    assert view.marks == () and view.visibility == "shown"  # still published, now without the mark
    assert platform.notifier.sent[-1].kind == "outcome"  # type: ignore[attr-defined]
