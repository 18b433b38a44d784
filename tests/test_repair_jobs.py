"""The daily remedies job: reminders on the due day, overdue flags, unknown-calendar flags, once a day."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from remedy_helpers import COMMITMENT, EVIDENCE, OPERATOR, PROOF, huawei, seed
from sqlalchemy import func, select

from xinyong.errors import NotPermitted
from xinyong.services import objections, remedies, remedy_jobs, repair
from xinyong.services.platform import Platform
from xinyong.store.tables import remedy_notices


@pytest.fixture
def ids(platform: Platform, tmp_path: Path) -> dict[str, str]:
    return seed(platform, tmp_path)


def test_reminder_then_overdue_then_decided(platform: Platform, ids: dict[str, str]) -> None:
    case = repair.apply(platform, huawei(platform), "record", ids["huawei"], [PROOF, COMMITMENT])
    sent = platform.notifier.sent  # type: ignore[attr-defined]
    sent.clear()
    quiet = remedy_jobs.run(platform, date(2026, 12, 1))
    assert quiet["open"] == 1 and quiet["notices"] == 0 and quiet["overdue"] == 0
    due = remedy_jobs.run(platform, date(2026, 12, 2))
    assert due["due_today"] == 1 and [(n.kind, n.recipient) for n in sent] == [
        ("reminder", "unit:sz_housing")
    ]
    assert remedy_jobs.run(platform, date(2026, 12, 2))["notices"] == 0  # not twice on one day
    late = remedy_jobs.run(platform, date(2026, 12, 3))
    assert late["overdue_cases"] == [case.id]
    assert {(n.kind, n.recipient) for n in sent[1:]} == {
        ("overdue", "operators"),
        ("overdue", "unit:sz_housing"),
    }
    row = remedies.queue(platform, OPERATOR, date(2026, 12, 3))[0]
    assert row.overdue and row.working_days_left == -1 and row.responsible == "unit:sz_housing"
    from remedy_helpers import HOUSING_STAFF

    repair.decide(platform, HOUSING_STAFF, case.id, approve=True, today=date(2026, 12, 4))
    assert remedy_jobs.run(platform, date(2026, 12, 4))["open"] == 0
    with platform.store.read() as conn:
        assert conn.execute(select(func.count()).select_from(remedy_notices)).scalar_one() == 3


def test_deadline_in_a_year_without_schedule_is_flagged(platform: Platform, ids: dict[str, str]) -> None:
    case = objections.file(
        platform,
        huawei(platform),
        "record",
        ids["huawei"],
        "unlawful",
        "x",
        [EVIDENCE],
        today=date(2026, 12, 31),
    )
    assert case.due_on is None and case.last.due_unknown == 2027
    summary = remedy_jobs.run(platform, date(2026, 12, 31))
    assert summary["deadline_unknown"] == 1 and summary["overdue"] == 0
    assert platform.notifier.sent[-1].kind == "deadline_unknown"  # type: ignore[attr-defined]
    row = remedies.queue(platform, OPERATOR, date(2026, 12, 31))[0]
    assert row.due_unknown == 2027 and row.due_on is None


def test_only_the_system_or_operators_run_it(platform: Platform, ids: dict[str, str]) -> None:
    with pytest.raises(NotPermitted):
        remedy_jobs.run(platform, date(2026, 12, 1), actor=huawei(platform))


def test_senders_chosen_by_settings(tmp_path: Path) -> None:
    from xinyong.errors import ConfigurationError
    from xinyong.services.notify import FileSender, LogSender, Notice, sender_for
    from xinyong.settings import Settings

    assert isinstance(sender_for(Settings(data_dir=tmp_path)), LogSender)
    file_sender = sender_for(Settings(data_dir=tmp_path, notify_sender="file"))
    assert isinstance(file_sender, FileSender)
    file_sender.send(Notice("operators", "overdue", "OBJ-1", "已超过办理期限", "Overdue"))
    assert '"已超过办理期限"' in (tmp_path / "notices.jsonl").read_text(encoding="utf-8")
    with pytest.raises(ConfigurationError) as exc:
        sender_for(Settings(data_dir=tmp_path, notify_sender="smtp"))
    assert exc.value.rule == "settings.smtp_host"
    with pytest.raises(ConfigurationError):
        sender_for(Settings(data_dir=tmp_path, notify_sender="pigeon"))


def test_marks_for_list_entries_use_the_same_facts(platform: Platform, ids: dict[str, str]) -> None:
    case = objections.file(platform, huawei(platform), "record", ids["huawei"], "unlawful", "x", [EVIDENCE])
    with platform.store.read() as conn:
        assert objections.target_marks(conn, "record", [ids["huawei"]]) == {
            ids["huawei"]: {"under_objection": True}
        }
        assert objections.target_marks(conn, "list_entry", [ids["huawei"]]) == {}
    assert case.open
