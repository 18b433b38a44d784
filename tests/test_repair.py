"""Credit repair end to end: eligibility explained first, one window, decision, effects on disclosure."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from remedy_helpers import COMMITMENT, HOUSING_STAFF, PROOF, SAMR_STAFF, TODAY, huawei, seed, tencent
from sqlalchemy import func, select
from test_objections import FakeLists

from xinyong.domain.actor import Actor
from xinyong.domain.enums import Purpose, Role, Tier
from xinyong.errors import Conflict, InvalidInput, NotFound, NotPermitted, ProcedureError
from xinyong.services import remedy_targets, repair
from xinyong.services.check import Check
from xinyong.services.platform import Platform
from xinyong.store.tables import events, remedy_cases


@pytest.fixture
def ids(platform: Platform, tmp_path: Path) -> dict[str, str]:
    return seed(platform, tmp_path)


def cases(platform: Platform) -> int:
    with platform.store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(remedy_cases)).scalar_one())


def public_ids(platform: Platform, subject_id: str, today: date) -> list[str]:
    profile = Check(platform.store, platform.catalog, "zh", today).profile(Actor.public(), subject_id)
    return [r.id for _, views in profile.groups for r in views]


def test_eligibility_is_explained_before_the_form(platform: Platform, ids: dict[str, str]) -> None:
    _, ok = repair.eligibility(platform, huawei(platform), "record", ids["huawei"])
    assert ok.eligible and ok.regime.code == "ndrc_order_36" and ok.earliest == date(2026, 9, 2)  # type: ignore[union-attr]
    _, early = repair.eligibility(platform, tencent(platform), "record", ids["tencent"])
    assert not early.eligible and early.earliest == date(2026, 12, 2)
    _, barred = repair.eligibility(platform, huawei(platform), "record", ids["revoked_licence"])
    assert [c.code for c in barred.failed] == ["no_early_repair"]
    with pytest.raises(NotPermitted):
        repair.eligibility(platform, tencent(platform), "record", ids["huawei"])


def test_samr_penalty_uses_samr_repair_rules(platform: Platform, ids: dict[str, str]) -> None:
    _, result = repair.eligibility(platform, huawei(platform), "record", ids["samr"])
    assert result.eligible and result.regime.code == "samr_repair_2021"  # type: ignore[union-attr]
    assert {c.code for c in result.checks} >= {"not_listed", "no_repeat"}


def test_materials_are_proof_and_commitment_only(platform: Platform, ids: dict[str, str]) -> None:
    with pytest.raises(InvalidInput) as exc:
        repair.apply(platform, huawei(platform), "record", ids["huawei"], [PROOF])
    assert exc.value.rule == "repair.materials_missing" and "信用承诺书" in exc.value.message_zh
    extra = PROOF.__class__("licence_copy", "licence.pdf", b"x")
    with pytest.raises(InvalidInput) as exc:
        repair.apply(platform, huawei(platform), "record", ids["huawei"], [PROOF, COMMITMENT, extra])
    assert exc.value.problems[0].rule == "remedy.file_role"
    assert cases(platform) == 0


def test_ineligible_application_is_refused_with_reasons(platform: Platform, ids: dict[str, str]) -> None:
    with pytest.raises(ProcedureError) as exc:
        repair.apply(platform, tencent(platform), "record", ids["tencent"], [PROOF, COMMITMENT])
    assert exc.value.rule == "repair.min_period" and "2026-12-02" in exc.value.message
    assert cases(platform) == 0


def test_one_window_forwards_at_once_with_deadlines(platform: Platform, ids: dict[str, str]) -> None:
    case = repair.apply(platform, huawei(platform), "record", ids["huawei"], [PROOF, COMMITMENT])
    assert [s.step for s in case.steps] == ["apply", "forward"]
    assert case.steps[0].due_on == date(2026, 12, 11)  # reply within 10 working days
    assert case.state == "forwarded" and case.due_on == date(2026, 12, 2)  # decide within 3
    assert {f.role for f in case.files} == {"proof", "commitment"} and all(
        len(f.sha256) == 64 for f in case.files
    )
    with pytest.raises(Conflict):
        repair.apply(platform, huawei(platform), "record", ids["huawei"], [PROOF, COMMITMENT])
    ext = repair.extend(platform, HOUSING_STAFF, case.id, "head approved (Shenzhen art. 82)")
    assert ext.due_on == date(2026, 12, 7)


def test_approval_ends_publicity_and_publishes_a_repair_event(
    platform: Platform, ids: dict[str, str]
) -> None:
    subject = huawei(platform)
    assert ids["huawei"] in public_ids(platform, subject.subject_id, TODAY)
    case = repair.apply(platform, subject, "record", ids["huawei"], [PROOF, COMMITMENT])
    with pytest.raises(NotPermitted):
        repair.decide(platform, SAMR_STAFF, case.id, approve=True)
    with pytest.raises(InvalidInput):
        repair.decide(platform, HOUSING_STAFF, case.id, approve=False)
    done = repair.decide(
        platform,
        HOUSING_STAFF,
        case.id,
        approve=True,
        document_number="深建修〔2026〕8号",
        today=date(2026, 12, 1),
    )
    assert done.state == "approved" and not done.open
    assert ids["huawei"] in public_ids(
        platform, subject.subject_id, date(2026, 11, 30)
    )  # effective on the day
    assert ids["huawei"] not in public_ids(platform, subject.subject_id, date(2026, 12, 1))
    own = Check(platform.store, platform.catalog, "en", date(2026, 12, 1)).record(subject, ids["huawei"])
    assert own.reason == "repaired" and own.public_visibility == "hidden"  # the fact stays in history
    relying = Actor(role=Role.SOURCE_UNIT, unit="sz_transport")
    with pytest.raises(NotFound):  # sharing stopped for other government units too
        Check(platform.store, platform.catalog, "en", date(2026, 12, 1)).record(
            relying.with_purpose(Purpose.ADMINISTRATION), ids["huawei"]
        )
    with platform.store.read() as conn:
        published = conn.execute(
            select(events.c.payload).where(events.c.action == "repair:publish")
        ).scalar_one()
    assert (
        published["terminate_publicity"]
        and published["stop_sharing"]
        and published["repaired_on"] == "2026-12-01"
    )
    _, again = repair.eligibility(platform, subject, "record", ids["huawei"])
    assert [c.code for c in again.failed] == ["already_repaired"]
    assert platform.notifier.sent[-1].recipient == f"subject:{subject.subject_id}"  # type: ignore[attr-defined]


def test_rejection_keeps_the_record_public(platform: Platform, ids: dict[str, str]) -> None:
    subject = huawei(platform)
    case = repair.apply(platform, subject, "record", ids["huawei"], [PROOF, COMMITMENT])
    done = repair.decide(platform, HOUSING_STAFF, case.id, approve=False, reason="fine not paid in full")
    assert done.state == "rejected" and done.last.reason == "fine not paid in full"
    assert ids["huawei"] in public_ids(platform, subject.subject_id, TODAY)
    with pytest.raises(ProcedureError):
        repair.decide(platform, HOUSING_STAFF, case.id, approve=True)


def test_approval_removes_a_list_entry(
    platform: Platform, ids: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    subject = huawei(platform)
    entry: Any = remedy_targets.Target(
        "list_entry",
        "E9",
        subject.subject_id,
        "sz_housing",
        "wage_arrears_list",
        "list_period",
        Tier.SERIOUS,
        date(2025, 1, 5),
        tags=("wage_arrears_list",),
    )
    fake = FakeLists(entry)
    monkeypatch.setattr(remedy_targets, "_lists", fake)
    _, result = repair.eligibility(platform, subject, "list_entry", "E9")
    assert result.regime.code == "list_rules" and result.earliest == date(2026, 1, 6)  # type: ignore[union-attr]
    case = repair.apply(platform, subject, "list_entry", "E9", [PROOF, COMMITMENT])
    repair.decide(platform, HOUSING_STAFF, case.id, approve=True)
    assert fake.removed == [("E9", TODAY, "sz_housing")]
