"""Credit reports: content from the disclosure decisions, personal-report refusal, signing, verification,
currentness, statistics."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from ingest_helpers import HOUSING, HUAWEI, PERSON_ID, TENCENT, penalty, person_penalty, write_csv
from sqlalchemy import func, select, update

from xinyong.audit import signing as audit_signing
from xinyong.domain import disclosure
from xinyong.domain.actor import Actor
from xinyong.domain.enums import Purpose, Role
from xinyong.errors import InvalidInput, NotFound, NotPermitted
from xinyong.reports import content, pdf, signing
from xinyong.services import ingest
from xinyong.services import reports as svc
from xinyong.services.check import Check
from xinyong.services.platform import Platform
from xinyong.store.tables import audit_leaves, events, records, reports, subjects

TODAY = date(2026, 11, 28)
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture
def city(platform: Platform, tmp_path: Path) -> Platform:
    """Huawei with a current and an expired penalty, Tencent with one, a person with a current warning."""
    platform.settings = dataclasses.replace(platform.settings, today=TODAY.isoformat())
    rows = [
        penalty(1, CF_JDRQ="2026-06-01", CF_YXQ="2026-12-01", CF_FR_ZJLX="身份证", CF_FR_ZJHM=PERSON_ID),
        penalty(2, CF_JDRQ="2020-01-10", CF_YXQ="2020-06-01"),
        penalty(
            3,
            CF_XDR_MC="腾讯科技（深圳）有限公司",
            CF_XDR_SHXYM=TENCENT,
            CF_JDRQ="2026-09-01",
            CF_YXQ="2027-01-01",
        ),
        person_penalty(
            4, CF_JDRQ="2026-05-01", CF_YXQ="2026-11-01", CF_CFLB="罚款", CF_NR="罚款一万元", CF_NR_FK="1"
        ),
    ]
    path = write_csv(tmp_path / "p.csv", platform.catalog, rows)
    report = ingest.ingest_file(
        platform.store, platform.catalog, path, HOUSING, Actor.system(), ingest.IngestOptions(today=TODAY)
    )
    assert report.status == "accepted", report.problems
    return platform


def sid(platform: Platform, value: str) -> str:
    with platform.store.read() as conn:
        return str(conn.execute(select(subjects.c.id).where(subjects.c.id_value == value)).scalar_one())


def count(platform: Platform, table: object) -> int:
    with platform.store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def issue(platform: Platform, who: Actor | None = None, value: str = HUAWEI, **kw: object) -> svc.Issued:
    return svc.request(
        platform, who or Actor.public(), sid(platform, value), kw.pop("purpose", "bidding"), **kw
    )  # type: ignore[arg-type]


# --- content -------------------------------------------------------------------------------------


def test_report_shows_exactly_what_disclosure_shows_this_requester(city: Platform) -> None:
    huawei = sid(city, HUAWEI)
    issued = issue(city)
    refs = {i.ref for i in issued.report.body.items()}
    # the same decisions, made independently record by record
    check = Check(city.store, city.catalog, "zh", TODAY)
    viewer = disclosure.Viewer(role=Role.PUBLIC, purpose=Purpose.BIDDING)
    with city.store.read() as conn:
        rows = conn.execute(select(records).where(records.c.subject_id == huawei)).all()
    decided = {r.id: check._view(r, content.SubjectKind(r_kind(city, huawei)), viewer, TODAY) for r in rows}
    expected = {f"record:{i}" for i, v in decided.items() if v.visibility != "hidden"}
    assert refs == expected and len(expected) == 1
    hidden = [i for i, v in decided.items() if v.visibility == "hidden"]
    assert hidden and all(f"record:{i}" not in refs for i in hidden)
    assert {v.reason for v in decided.values() if v.visibility == "hidden"} == {"publicity_ended"}
    # the legal representative's ID number is masked in the public view, and never printed
    assert PERSON_ID not in issued.report.content_json().decode()
    assert "深建罚〔2025〕2号" not in issued.report.content_json().decode()  # the expired penalty
    penalties = next(s for s in issued.report.body.sections if s.code == "penalties")
    assert [i.document_number for i in penalties.items] == ["深建罚〔2025〕1号"]
    # the public gets the general rule of what is left out, not a count that would disclose it
    assert issued.report.body.omitted and all(o.count is None for o in issued.report.body.omitted)


REQUESTERS = [
    (Actor.public(), "bidding"),
    (Actor(role=Role.RELYING_PARTY, unit="bank-1"), "bank_loan"),  # no authorization: the public view
    (Actor(role=Role.SOURCE_UNIT, unit=HOUSING), "due_diligence"),  # the supplying unit: its own records
    (Actor(role=Role.SOURCE_UNIT, unit="sz_tax"), "other"),
    (Actor.operator("op"), "understanding"),
]


@pytest.mark.parametrize(("who", "purpose"), REQUESTERS, ids=lambda x: getattr(x, "value", x))
def test_report_holds_nothing_the_rules_hide_from_this_requester_and_purpose(
    city: Platform, who: Actor, purpose: str
) -> None:
    for value in (HUAWEI, TENCENT):
        subject = sid(city, value)
        issued = svc.request(city, who, subject, purpose)
        viewer = disclosure.Viewer.of(who.with_purpose(Purpose(purpose)))
        check = Check(city.store, city.catalog, "zh", TODAY)
        with city.store.read() as conn:
            rows = conn.execute(select(records).where(records.c.subject_id == subject)).all()
        views = [check._view(r, content.SubjectKind.ENTERPRISE, viewer, TODAY) for r in rows]
        shown = {f"record:{v.id}" for v in views if v.visibility != "hidden"}
        assert {i.ref for i in issued.report.body.items()} == shown
        printed = issued.report.content_json().decode()
        for v in views:
            if v.visibility == "hidden":
                assert v.document_number not in printed
        if who.role is not Role.OPERATOR:
            assert PERSON_ID not in printed  # masked identity document of the legal representative


def r_kind(platform: Platform, subject_id: str) -> str:
    with platform.store.read() as conn:
        return str(conn.execute(select(subjects.c.kind).where(subjects.c.id == subject_id)).scalar_one())


def test_subjects_own_report_leaves_out_ended_items_and_counts_them(city: Platform) -> None:
    me = Actor(role=Role.SUBJECT, subject_id=sid(city, HUAWEI))
    body = issue(city, me).report.body
    assert [i.document_number for i in body.items()] == ["深建罚〔2025〕1号"]
    assert [(o.reason, o.count) for o in body.omitted] == [("publicity_ended", 1)]


def test_personal_report_refused_without_authorization_and_nothing_stored(city: Platform) -> None:
    person = sid(city, PERSON_ID)
    before = (count(city, reports), count(city, events))
    others = [
        Actor.public(),
        Actor(role=Role.RELYING_PARTY, unit="bank-1", user="loan-officer"),
        Actor(role=Role.SUBJECT, subject_id=sid(city, HUAWEI)),
    ]
    for who in others:
        with pytest.raises(NotPermitted) as exc:
            svc.request(city, who, person, "bank_loan")
        assert exc.value.rule == "reports.personal_authorization_required"
    assert (count(city, reports), count(city, events)) == before
    me = Actor(role=Role.SUBJECT, subject_id=person)
    mine = svc.request(city, me, person, "bank_loan")
    assert mine.report.body.personal and mine.report.body.subject.name == "张三"
    assert [i.document_number for i in mine.report.body.items()] == ["深建罚〔2025〕4号"]
    assert mine.report.body.subject.identifier == PERSON_ID  # unmasked: it is their own report
    with pytest.raises(NotPermitted):
        svc.download(city, Actor.public(), mine.number)
    assert svc.download(city, me, mine.number) == mine.pdf
    with city.store.read() as conn:
        logged = (
            conn.execute(select(events.c.action).where(events.c.object_id == mine.number)).scalars().all()
        )
    assert logged == ["report:issue", "report:download"]  # the refused download is not an event


def test_purpose_must_come_from_the_fixed_list_and_the_subject_exist(city: Platform) -> None:
    before = count(city, reports)
    for bad in (None, "", "curiosity", "administration"):
        with pytest.raises(InvalidInput) as exc:
            issue(city, purpose=bad)
        assert exc.value.rule == "reports.purpose"
        assert exc.value.problems[0].where == {"field": "purpose"}
    with pytest.raises(NotFound) as missing:
        svc.request(city, Actor.public(), "no-such-subject", "bidding")
    assert missing.value.rule == "reports.subject"
    assert count(city, reports) == before


def test_request_is_stored_numbered_and_logged_as_an_event(city: Platform) -> None:
    leaves = count(city, audit_leaves)
    issued = issue(city, purpose="due_diligence")
    assert count(city, audit_leaves) == leaves + 1  # the event is a leaf of the tamper-evident log
    assert issued.number.startswith("XY20") and len(issued.number) == 21
    with city.store.read() as conn:
        event = conn.execute(select(events).where(events.c.object_id == issued.number)).one()
        row = conn.execute(select(reports).where(reports.c.number == issued.number)).one()
    assert event.action == "report:issue" and event.purpose == "due_diligence"
    assert event.payload["content_sha256"] == row.content_sha256 == issued.report.content_sha256()
    assert bytes(row.pdf) == issued.pdf and issue(city).number != issued.number


# --- signing and verification --------------------------------------------------------------------


def test_genuine_report_verifies_by_pdf_and_by_number(city: Platform) -> None:
    issued = issue(city)
    for result in (svc.verify_pdf(city, issued.pdf), svc.verify_number(city, issued.number.lower())):
        assert result.genuine and result.current and result.code == "genuine"
        assert result.number == issued.number and result.subject_name == "华为技术有限公司"
        assert result.issued_at == issued.issued_at


def test_one_changed_byte_is_detected(city: Platform) -> None:
    data = issue(city).pdf
    body_end = data.rfind(signing.verify.MARKER)
    for at in (len(data) // 3, body_end - 10, body_end + 40, len(data) - 20):
        tampered = bytearray(data)
        tampered[at] ^= 0x01
        result = svc.verify_pdf(city, bytes(tampered))
        assert not result.genuine, at
        assert result.code in ("modified", "malformed", "bad_signature", "unsigned"), at
    tampered = bytearray(data)
    tampered[len(data) // 2] ^= 0x20
    assert svc.verify_pdf(city, bytes(tampered)).code == "modified"
    assert svc.verify_pdf(city, data[:body_end]).code == "unsigned"


def test_report_signed_by_an_unknown_key_is_detected(city: Platform) -> None:
    issued = issue(city)
    body, statement, _ = signing.verify.split(issued.pdf)
    forged = signing.sign(
        body,
        statement.number,
        statement.issued_ms,
        statement.content_sha256,
        audit_signing.generate_private_key(),
    )
    result = svc.verify_pdf(city, forged.data)
    assert not result.genuine and result.code == "unknown_key"


def test_reports_signed_before_a_key_rotation_still_verify(city: Platform) -> None:
    old = issue(city)
    old_id, new_id = svc.keystore(city).rotate()
    new = issue(city)
    assert old.key_id == old_id and new.key_id == new_id != old_id
    assert svc.verify_pdf(city, old.pdf).genuine and svc.verify_pdf(city, new.pdf).genuine


def test_a_signed_pdf_the_platform_never_issued_is_not_genuine(city: Platform) -> None:
    issued = issue(city)
    body, statement, _ = signing.verify.split(issued.pdf)
    other = body.replace(b"/Author (xinyong)", b"/Author (xinyonh)")
    assert other != body
    resigned = signing.sign(other, statement.number, statement.issued_ms, statement.content_sha256,
                            svc.keystore(city).signing_key())  # fmt: skip
    assert svc.verify_pdf(city, resigned.data).code == "not_issued"


def test_unknown_number(city: Platform) -> None:
    result = svc.verify_number(city, "XY20261128-AAAAAAAAAA")
    assert not result.genuine and result.code == "unknown_number"


# --- still current? ------------------------------------------------------------------------------


def test_report_made_before_a_revocation_is_no_longer_current_after_it(city: Platform) -> None:
    issued = issue(city)
    assert svc.verify_number(city, issued.number).current
    with city.store.write() as conn:
        conn.execute(
            update(records).where(records.c.document_number == "深建罚〔2025〕1号").values(status="revoked")
        )
    result = svc.verify_number(city, issued.number)
    assert result.genuine and result.current is False
    assert [(c.change, c.reason, c.document_number) for c in result.changes] == [
        ("removed", "revoked", "深建罚〔2025〕1号")
    ]
    assert "撤销" in result.changes[0].text_zh


def test_report_made_before_a_repair_is_no_longer_current_after_it(
    city: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The repair service will set ``RecordFacts.repaired_on`` through the check's facts; here the
    check's facts are given a repair date for one penalty, as that service will do."""
    issued = issue(city)
    original = Check._facts

    def repaired(self: Check, row: Any, *args: Any) -> disclosure.RecordFacts:
        facts = original(self, row, *args)
        if row.document_number == "深建罚〔2025〕1号":
            return dataclasses.replace(facts, repaired_on=date(2026, 11, 20))
        return facts

    monkeypatch.setattr(Check, "_facts", repaired)
    result = svc.verify_pdf(city, issued.pdf)
    assert result.genuine and result.current is False
    assert [(c.reason, c.document_number) for c in result.changes] == [("repaired", "深建罚〔2025〕1号")]
    assert "信用修复" in result.changes[0].text_zh and "credit repaired" in result.changes[0].text_en
    assert issue(city).report.body.items() == []  # and a new report leaves it out


def test_report_is_no_longer_current_once_a_publicity_period_ends(city: Platform) -> None:
    issued = issue(city)
    (item,) = issued.report.body.items()
    assert item.publicity_ends is not None
    assert svc.verify_pdf(city, issued.pdf, today=item.publicity_ends).current
    later = svc.verify_pdf(city, issued.pdf, today=item.publicity_ends + timedelta(days=1))
    assert later.genuine and later.current is False
    assert [c.reason for c in later.changes] == ["publicity_ended"]


def test_new_record_after_the_report_makes_it_not_current(city: Platform, tmp_path: Path) -> None:
    issued = issue(city)
    path = write_csv(
        tmp_path / "n.csv", city.catalog, [penalty(9, CF_JDRQ="2026-11-20", CF_YXQ="2027-05-20")]
    )
    ingest.ingest_file(
        city.store, city.catalog, path, HOUSING, Actor.system(), ingest.IngestOptions(today=TODAY)
    )
    result = svc.verify_number(city, issued.number)
    assert result.current is False and [c.change for c in result.changes] == ["added"]


def test_list_entries_come_from_the_provider_and_count_for_currentness(city: Platform) -> None:
    entries = [
        content.ListEntry(
            "L1",
            "严重失信主体名单",
            "深圳市市场监督管理局",
            "深市监严〔2026〕1号",
            date(2026, 3, 1),
            ("条例",),
        )
    ]
    source = content.ListSource(lambda store, actor, subject_id, today, lang: list(entries))
    issued = issue(city, lists=source)
    lists = next(s for s in issued.report.body.sections if s.code == "lists")
    assert [i.ref for i in lists.items] == ["list:L1"] and lists.note == ""
    assert svc.verify_number(city, issued.number, lists=source).current
    entries.clear()
    assert [c.ref for c in svc.verify_number(city, issued.number, lists=source).changes] == ["list:L1"]
    unwired = next(s for s in issue(city, lists=content.NO_LISTS).report.body.sections if s.code == "lists")
    assert "尚未接入" in unwired.note  # a source that is not connected says so


# --- statistics ----------------------------------------------------------------------------------


def test_statistics_by_purpose_kind_and_month(city: Platform) -> None:
    for purpose in ("due_diligence", "due_diligence", "bank_loan"):  # 2026-11-21 06:00 in China
        issue(city, purpose=purpose, now=datetime(2026, 11, 20, 22, tzinfo=UTC))
    svc.request(city, Actor.public(), sid(city, TENCENT), "bidding", now=datetime(2026, 10, 5, tzinfo=UTC))
    with pytest.raises(NotPermitted):
        svc.statistics(city, Actor.public())
    stats = svc.statistics(city, Actor.operator("op"))
    assert stats.total == 4
    assert stats.by_purpose == [("due_diligence", 2), ("bank_loan", 1), ("bidding", 1)]  # ties by name
    assert stats.by_kind == [("enterprise", 4)]
    assert stats.by_month == [("2026-10", 1), ("2026-11", 3)]
    lines = stats.csv().splitlines()
    assert lines[0] == "month,purpose,subject_kind,reports"
    assert "2026-11,due_diligence,enterprise,2" in lines


# --- rendering and the offline verifier ----------------------------------------------------------


@pytest.mark.skipif(
    shutil.which("pdftoppm") is None and not os.environ.get("XINYONG_REQUIRE_BROWSER"),
    reason="needs poppler-utils (installed by .ci/run, where this test may not be skipped)",
)
def test_sample_report_renders_chinese_to_png(city: Platform, tmp_path: Path) -> None:
    issued = issue(city, purpose="due_diligence")
    path = tmp_path / "report.pdf"
    path.write_bytes(issued.pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True).stdout
    page = text.decode()
    for expected in (
        "公共信用信息报告",
        "华为技术有限公司",
        "行政处罚信息",
        "深建罚〔2025〕1号",
        issued.number,
    ):
        assert expected in page
    ARTIFACTS.mkdir(exist_ok=True)
    command = [
        "pdftoppm",
        "-png",
        "-r",
        "80",
        "-f",
        "1",
        "-l",
        "1",
        str(path),
        str(ARTIFACTS / "report-sample"),
    ]
    subprocess.run(command, check=True)
    png = next(ARTIFACTS.glob("report-sample*.png"))
    assert png.stat().st_size > 20_000  # a rendered page with text and a QR code, not a blank one


def test_offline_verifier_command(city: Platform, tmp_path: Path) -> None:
    issued = issue(city)
    report, keys = tmp_path / "r.pdf", tmp_path / "keys.json"
    report.write_bytes(issued.pdf)
    keys.write_text(json.dumps(svc.keystore(city).published()))

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "xinyong.reports.verify", *args]
        return subprocess.run(cmd, capture_output=True, text=True)

    ok = run(str(report), "--keys", str(keys))
    assert ok.returncode == 0 and ok.stdout.startswith(f"OK: genuine report {issued.number}")
    report.write_bytes(issued.pdf.replace(b"/Author (xinyong)", b"/Author (xinyonh)"))
    bad = run(str(report), "--keys", str(keys))
    assert bad.returncode == 1 and bad.stdout.startswith("FAIL: modified")
    report.write_bytes(issued.pdf)
    keys.write_text(json.dumps({"keys": [{"public_key": audit_signing.generate_private_key().public_key()
                                          .public_bytes_raw().hex()}]}))  # fmt: skip
    assert run(str(report), "--keys", str(keys)).stdout.startswith("FAIL: unknown_key")


def test_pdf_render_without_a_store_is_a4_and_carries_the_qr_code() -> None:
    subject = content.SubjectInfo("s1", "enterprise", "企业", "测试公司", HUAWEI, "张三", None, ())
    body = content.Body("zh", TODAY, "bidding", False, False, subject, (), ())
    data = pdf.render(
        content.Report("XY20261128-ABCDEFGHJK", datetime(2026, 11, 28, tzinfo=UTC), "http://x/v", body)
    )
    assert b"/MediaBox [ 0 0 595.2756 841.8898 ]" in data and b"STSong-Light" in data


def test_personal_report_for_a_party_holding_the_individuals_authorization(city: Platform) -> None:
    from xinyong.services import authorizations
    from xinyong.store.tables import query_log

    person = sid(city, PERSON_ID)
    bank = Actor(role=Role.RELYING_PARTY, unit="bank-1", user="loan-officer")
    with pytest.raises(NotPermitted):
        svc.request(city, bank, person, "bank_loan")
    today = city.today()
    authorizations.grant(
        city.store,
        city.catalog,
        Actor(role=Role.SUBJECT, subject_id=person),
        subject_id=person,
        grantee="bank-1",
        purpose="bank_loan",
        scope=["*"],
        expires_on=today + timedelta(days=30),
        proof="signed consent form 7",
        today=today,
    )
    with pytest.raises(NotPermitted):  # authorized for a loan, not for bidding
        svc.request(city, bank, person, "bidding")
    issued = svc.request(city, bank, person, "bank_loan")
    assert issued.report.body.personal and issued.report.body.subject.name == "张三"
    assert svc.download(city, bank, issued.number) == issued.pdf
    with city.store.read() as conn:
        logged = conn.execute(
            select(query_log.c.kind, query_log.c.querier_unit, query_log.c.purpose, query_log.c.proof).where(
                query_log.c.object_id == issued.number
            )
        ).all()
    assert [tuple(r) for r in logged] == [("report", "bank-1", "bank_loan", "signed consent form 7")] * 2
