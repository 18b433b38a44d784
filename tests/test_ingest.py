from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from ingest_helpers import HOUSING, HUAWEI, PERSON_ID, TENCENT, penalty, person_penalty, write_csv
from sqlalchemy import func, select

from xinyong.catalog import Catalog
from xinyong.domain.actor import Actor
from xinyong.domain.enums import Role
from xinyong.errors import NotPermitted
from xinyong.services import ingest
from xinyong.services.ingest import IngestOptions
from xinyong.store import Store
from xinyong.store.tables import batches, records, subject_identifiers, subject_names, subjects

TODAY = date(2026, 11, 28)
OPTS = IngestOptions(today=TODAY)
STAFF = Actor(role=Role.SOURCE_UNIT, unit=HOUSING, user="wang")


def count(store: Store, table: object, *where: object) -> int:
    with store.read() as conn:
        q = select(func.count()).select_from(table)  # type: ignore[arg-type]
        return int(conn.execute(q.where(*where) if where else q).scalar_one())  # type: ignore[arg-type]


def run(store: Store, catalog: Catalog, path: Path, **opts: object) -> ingest.BatchReport:
    options = IngestOptions(today=TODAY, **opts)  # type: ignore[arg-type]
    return ingest.ingest_file(store, catalog, path, HOUSING, STAFF, options)


def rules(report: ingest.BatchReport) -> set[tuple[int, str, str]]:
    return {(p.where.get("row", 0), p.where.get("field", ""), p.rule) for p in report.problems}


def test_valid_file_is_stored_linked_and_logged(platform, tmp_path: Path) -> None:
    cat = platform.catalog
    path = write_csv(
        tmp_path / "p.csv",
        cat,
        [penalty(1), penalty(2, CF_XDR_MC="腾讯科技（深圳）有限公司", CF_XDR_SHXYM=TENCENT)],
    )
    report = run(platform.store, cat, path)
    assert report.status == "accepted", report.problems
    assert (report.rows, report.added, report.duplicates) == (2, 2, 0)
    assert report.item == "administrative_penalty"
    store = platform.store
    assert count(store, records) == 2
    assert count(store, subjects) == 2
    with store.read() as conn:
        rec = conn.execute(select(records).where(records.c.document_number == "深建罚〔2025〕1号")).one()
        org = conn.execute(
            select(subject_identifiers.c.value).where(
                subject_identifiers.c.scheme == "organisation_code",
                subject_identifiers.c.subject_id == rec.subject_id,
            )
        ).scalar()
    assert (
        rec.fields["CF_CFLB"] == ["03"] and rec.fields["CF_NR_FK"] == "2" and rec.fields["CF_XDR_LB"] == "1"
    )
    assert (
        rec.decision_date == date(2025, 6, 1) and rec.status == "current" and rec.batch_id == report.batch_id
    )
    assert rec.unit_code == HOUSING and rec.catalog_version == cat.version and rec.source_row == 2
    assert org == "19220382-1"
    assert count(store, batches, batches.c.status == "accepted") == 1


def test_same_file_twice_adds_nothing(platform, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", platform.catalog, [penalty(1), penalty(2)])
    run(platform.store, platform.catalog, path)
    again = run(platform.store, platform.catalog, path)
    assert (again.added, again.duplicates, again.status) == (0, 2, "accepted")
    assert count(platform.store, records) == 2


def test_same_row_in_another_file_adds_nothing(platform, tmp_path: Path) -> None:
    run(platform.store, platform.catalog, write_csv(tmp_path / "a.csv", platform.catalog, [penalty(1)]))
    other = write_csv(tmp_path / "b.csv", platform.catalog, [penalty(1), penalty(3)], headers="code")
    report = run(platform.store, platform.catalog, other)
    assert (report.added, report.duplicates) == (1, 1)
    assert count(platform.store, records) == 2


def test_changed_row_is_a_correction_keeping_history(platform, tmp_path: Path) -> None:
    run(platform.store, platform.catalog, write_csv(tmp_path / "a.csv", platform.catalog, [penalty(1)]))
    fixed = penalty(1, CF_NR="罚款人民币叁万元整", CF_NR_FK="3")
    report = run(platform.store, platform.catalog, write_csv(tmp_path / "b.csv", platform.catalog, [fixed]))
    assert (report.added, report.corrections) == (1, 1)
    with platform.store.read() as conn:
        rows = conn.execute(select(records.c.id, records.c.status, records.c.supersedes)).all()
    current = [r for r in rows if r.status == "current"]
    old = [r for r in rows if r.status == "superseded"]
    assert len(current) == 1 and len(old) == 1
    assert current[0].supersedes == old[0].id


def test_one_bad_row_rejects_the_whole_batch(platform, tmp_path: Path) -> None:
    rows = [penalty(1), penalty(2, CF_JDRQ="2027-01-01", CF_YXQ="2027-06-01"), penalty(3)]
    report = run(platform.store, platform.catalog, write_csv(tmp_path / "p.csv", platform.catalog, rows))
    assert report.status == "rejected" and report.added == 0
    assert (3, "CF_JDRQ", "field.future_date") in rules(report)
    assert count(platform.store, records) == 0 and count(platform.store, subjects) == 0
    assert count(platform.store, batches, batches.c.status == "rejected") == 1
    problem = report.problems[0]
    assert problem.where["file"] == "p.csv" and problem.message_zh and problem.message


def test_accept_valid_stores_the_good_rows(platform, tmp_path: Path) -> None:
    rows = [penalty(1), penalty(2, CF_CFLB="打屁股"), penalty(3)]
    report = run(
        platform.store,
        platform.catalog,
        write_csv(tmp_path / "p.csv", platform.catalog, rows),
        accept_valid=True,
    )
    assert report.status == "partially_accepted" and report.added == 2 and report.rejected_rows == 1
    assert (3, "CF_CFLB", "field.enum") in rules(report)
    assert count(platform.store, records) == 2


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (penalty(1, CF_WSH=""), ("CF_WSH", "field.required")),
        (penalty(1, CF_XDR_LB="外星人"), ("CF_XDR_LB", "field.enum")),
        (penalty(1, CF_JDRQ="2025-13-45"), ("CF_JDRQ", "field.date")),
        (penalty(1, CF_YXQ="2025-01-01"), ("CF_YXQ", "field.date_order")),
        (penalty(1, CF_XDR_SHXYM="91110108717809965C"), ("CF_XDR_SHXYM", "uscc.check_char")),
        (penalty(1, CF_XDR_SHXYM=""), ("CF_XDR_SHXYM", "condition.uscc_required_for_organisations")),
        (penalty(1, CF_NR_FK=""), ("CF_NR_FK", "condition.fine_amount_required")),
        (penalty(1, CF_NR_FK="-1"), ("CF_NR_FK", "field.below_min")),
        (penalty(1, CF_NR_FK="1.1234567"), ("CF_NR_FK", "field.decimal_places")),
        (penalty(1, CF_NR_FK="两万"), ("CF_NR_FK", "field.decimal")),
        (penalty(1, CF_WSH="文" * 65), ("CF_WSH", "field.too_long")),
        (penalty(1, CF_XDR_ZZJG="12345678-9"), ("CF_XDR_ZZJG", "org_code.check_char")),
        (penalty(1, CF_XDR_ZZJG="70846113-6"), ("CF_XDR_ZZJG", "row.org_code_mismatch")),
        (person_penalty(1, CF_XDR_ZJHM=""), ("CF_XDR_ZJHM", "condition.id_required_for_natural_persons")),
        (person_penalty(1, CF_XDR_ZJHM="110105194912310021"), ("CF_XDR_ZJHM", "ric.check_char")),
        (penalty(1, CF_CFJGDM="123"), ("CF_CFJGDM", "uscc.length")),
    ],
)
def test_each_row_rule(platform, tmp_path: Path, row: dict[str, str], expected: tuple[str, str]) -> None:
    report = run(platform.store, platform.catalog, write_csv(tmp_path / "p.csv", platform.catalog, [row]))
    assert report.status == "rejected"
    assert (2, *expected) in rules(report), rules(report)


def test_every_problem_of_a_row_is_reported_at_once(platform, tmp_path: Path) -> None:
    row = penalty(1, CF_WSH="", CF_XDR_LB="外星人", CF_NR_FK="-3", CF_JDRQ="2030-01-01")
    report = run(platform.store, platform.catalog, write_csv(tmp_path / "p.csv", platform.catalog, [row]))
    found = {(f, r) for _, f, r in rules(report)}
    assert {
        ("CF_WSH", "field.required"),
        ("CF_XDR_LB", "field.enum"),
        ("CF_NR_FK", "field.below_min"),
        ("CF_JDRQ", "field.future_date"),
    } <= found


def test_natural_person_is_linked_by_id_number(platform, tmp_path: Path) -> None:
    row = person_penalty(1, CF_JDRQ="2026-05-01", CF_YXQ="2026-11-01")  # decided under NDRC Order 36
    report = run(platform.store, platform.catalog, write_csv(tmp_path / "p.csv", platform.catalog, [row]))
    assert report.status == "accepted", report.problems
    with platform.store.read() as conn:
        s = conn.execute(select(subjects)).one()
        tier = conn.execute(select(records.c.tier)).scalar()
    assert (s.kind, s.id_scheme, s.id_value) == ("individual", "resident_id", PERSON_ID)
    assert tier == "minor"  # a warning decided after 2026-04-01: Order 36 minor tier


def test_renamed_counterparty_keeps_name_history(platform, tmp_path: Path) -> None:
    run(platform.store, platform.catalog, write_csv(tmp_path / "a.csv", platform.catalog, [penalty(1)]))
    run(
        platform.store,
        platform.catalog,
        write_csv(tmp_path / "b.csv", platform.catalog, [penalty(2, CF_XDR_MC="华为技术股份有限公司")]),
    )
    with platform.store.read() as conn:
        names = [r[0] for r in conn.execute(select(subject_names.c.name).order_by(subject_names.c.id))]
        current = conn.execute(select(subjects.c.name).where(subjects.c.id_value == HUAWEI)).scalar()
    assert names == ["华为技术有限公司", "华为技术股份有限公司"] and current == "华为技术股份有限公司"


def test_gb18030_file_is_read(platform, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "gb.csv", platform.catalog, [penalty(1)], encoding="gb18030")
    report = run(platform.store, platform.catalog, path)
    assert report.status == "accepted", report.problems
    with platform.store.read() as conn:
        assert conn.execute(select(subjects.c.name)).scalar() == "华为技术有限公司"


def test_unknown_and_missing_columns_are_reported(platform, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", platform.catalog, [penalty(1)], extra=["备注2"])
    report = run(platform.store, platform.catalog, path)
    assert report.status == "rejected"
    assert any(p.rule == "file.unknown_column" and p.value == "备注2" for p in report.problems)
    assert count(platform.store, records) == 0


def test_licensing_file_sent_as_penalties_is_refused_clearly(platform, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "xk.csv", platform.catalog, [{}], schema="administrative_licensing")
    report = run(platform.store, platform.catalog, path, item="administrative_penalty")
    assert report.status == "rejected"
    assert [p.rule for p in report.problems] == ["file.wrong_record_type"]


def test_unit_may_supply_only_its_catalog_items(platform, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", platform.catalog, [penalty(1)])
    with pytest.raises(NotPermitted) as exc:
        ingest.ingest_file(
            platform.store,
            platform.catalog,
            path,
            HOUSING,
            STAFF,
            IngestOptions(today=TODAY, item="market_regulation_penalty"),
        )
    assert exc.value.rule == "ingest.unit_not_allowed"


def test_staff_cannot_submit_for_another_unit(platform, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", platform.catalog, [penalty(1)])
    other = Actor(role=Role.SOURCE_UNIT, unit="sz_tax", user="li")
    with pytest.raises(NotPermitted) as exc:
        ingest.ingest_file(platform.store, platform.catalog, path, HOUSING, other, OPTS)
    assert exc.value.rule == "ingest.other_unit"
    with pytest.raises(NotPermitted):
        ingest.ingest_file(platform.store, platform.catalog, path, HOUSING, Actor.public(), OPTS)


def test_conflicting_document_in_one_batch(platform, tmp_path: Path) -> None:
    rows = [penalty(1), penalty(1, CF_NR="另一个内容")]
    report = run(platform.store, platform.catalog, write_csv(tmp_path / "p.csv", platform.catalog, rows))
    assert report.status == "rejected"
    assert (3, "CF_WSH", "row.conflicting_document") in rules(report)


def test_push_rows_are_ingested_like_files(platform) -> None:
    report = ingest.ingest_rows(
        platform.store, platform.catalog, "push-1", [penalty(1), penalty(2)], HOUSING, STAFF, OPTS
    )
    assert report.status == "accepted" and report.added == 2
    again = ingest.ingest_rows(platform.store, platform.catalog, "push-2", [penalty(1)], HOUSING, STAFF, OPTS)
    assert again.added == 0 and again.duplicates == 1


def test_rejected_batch_report_is_kept(platform, tmp_path: Path) -> None:
    report = run(
        platform.store,
        platform.catalog,
        write_csv(tmp_path / "p.csv", platform.catalog, [penalty(1, CF_XDR_LB="x")]),
    )
    stored = ingest.get_batch(platform.store, STAFF, report.batch_id)
    assert stored["status"] == "rejected" and stored["rows_rejected"] == 1
    assert stored["report"]["problem_list"][0]["rule"] == "field.enum"
