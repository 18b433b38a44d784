"""The report's list section comes from the lists service by default, and a removal since the report
makes it no longer current."""

from __future__ import annotations

from pathlib import Path

import pytest
from ingest_helpers import HUAWEI
from lists_helpers import SAMR, samr_listing
from remedy_helpers import TODAY, huawei, seed

from xinyong.domain.actor import Actor
from xinyong.reports import content
from xinyong.services import lists, objections
from xinyong.services import reports as svc
from xinyong.services.platform import Platform


@pytest.fixture
def listed(platform: Platform, tmp_path: Path) -> Platform:
    seed(platform, tmp_path)
    return platform


def list_section(issued: svc.Issued) -> content.Section:
    return next(s for s in issued.report.body.sections if s.code == "lists")


def test_published_entry_is_in_the_report_until_removed(listed: Platform) -> None:
    entry = samr_listing(listed, identifier=HUAWEI)
    subject_id = huawei(listed).subject_id
    assert subject_id is not None
    issued = svc.request(listed, Actor.public(), subject_id, "bidding")  # no ListSource passed
    section = list_section(issued)
    assert section.note == ""  # the lists service answers: no "not connected" caveat
    [item] = section.items
    assert item.ref == f"list:{entry.id}" and item.item_name == "市场监督管理严重违法失信名单"
    assert item.document_number == "深市监列〔2026〕7号" and item.decision_date == entry.starts_on
    assert item.unit_name != "sz_samr"  # the deciding unit's name, not its code
    assert any("总局令第44号" in b for b in item.legal_basis)
    assert entry.ends_on is not None and entry.ends_on.isoformat() in dict(item.summary)["status"]
    assert svc.verify_number(listed, issued.number).current

    lists.remove(listed, SAMR, entry.id, reason="decision_revoked", document="深市监撤〔2026〕9号", on=TODAY)
    result = svc.verify_number(listed, issued.number)
    assert result.genuine and result.current is False
    assert [(c.ref, c.change) for c in result.changes] == [(f"list:{entry.id}", "removed")]
    assert svc.verify_pdf(listed, issued.pdf).current is False
    assert list_section(svc.request(listed, Actor.public(), subject_id, "bidding")).items == ()


def test_objection_mark_shows_in_the_list_section(listed: Platform) -> None:
    entry = samr_listing(listed, identifier=HUAWEI)
    subject = huawei(listed)
    assert subject.subject_id is not None
    before = svc.request(listed, Actor.public(), subject.subject_id, "bidding")
    objections.file(listed, subject, "list_entry", entry.id, "wrongly_listed", "处罚决定已被撤销")
    after = svc.request(listed, Actor.public(), subject.subject_id, "bidding")
    assert list_section(after).items[0].marks == ("under_objection",)
    assert [c.change for c in svc.verify_number(listed, before.number).changes] == ["changed"]


def test_no_lists_stays_available_for_tests(listed: Platform) -> None:
    samr_listing(listed, identifier=HUAWEI)
    subject_id = huawei(listed).subject_id
    assert subject_id is not None
    issued = svc.request(listed, Actor.public(), subject_id, "bidding", lists=content.NO_LISTS)
    assert list_section(issued).items == () and "尚未接入" in list_section(issued).note
