"""Ingestion across chunk boundaries: the same outcome and the same report whatever the chunk size.

A batch streams in chunks (validated on the calling thread, written by a writer thread on
PostgreSQL); duplicates and clashing documents must be found across chunks, problems must be
reported in row order, a failure in the writer must leave the store unchanged, and repeated bad
values (whose conversion is remembered) must be reported on every row that has them.
"""

from __future__ import annotations

import gc
from datetime import date
from pathlib import Path

import pytest
from ingest_helpers import HOUSING, TENCENT, penalty, person_penalty, write_csv
from sqlalchemy import func, select, text

from xinyong.domain.actor import Actor
from xinyong.domain.enums import Role
from xinyong.services import ingest
from xinyong.services.ingest import IngestOptions
from xinyong.services.platform import Platform
from xinyong.store import records as q
from xinyong.store.tables import batches, records, subject_names, subjects

TODAY = date(2026, 11, 28)
STAFF = Actor(role=Role.SOURCE_UNIT, unit=HOUSING, user="wang")


def count(platform: Platform, table: object) -> int:
    with platform.store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def mixed_rows() -> list[dict[str, str]]:
    """Rows 2..10 of a file: duplicates, a clash and bad rows spread over several chunks."""
    return [
        penalty(1),  # row 2
        penalty(2, CF_XDR_MC="腾讯科技（深圳）有限公司", CF_XDR_SHXYM=TENCENT),  # row 3
        penalty(3, CF_JDRQ="2025-13-45"),  # row 4: bad date
        person_penalty(4),  # row 5
        penalty(1),  # row 6: the same row as row 2 (duplicate, another chunk)
        penalty(2, CF_XDR_MC="腾讯科技（深圳）有限公司", CF_XDR_SHXYM=TENCENT, CF_NR="另一个内容"),  # row 7
        penalty(5, CF_JDRQ="2025-13-45"),  # row 8: the same bad date again
        penalty(6, CF_CFLB="打屁股"),  # row 9: bad enum
        penalty(7),  # row 10
    ]


def chunk_ends(rows: int, chunk: int) -> list[int]:
    """Rows read at the end of each chunk: CHUNK_ROWS / RAMP rows first, twice as many each time."""
    ends, size = [], max(1, chunk // ingest.RAMP)
    while not ends or ends[-1] < rows:
        ends.append(min(rows, (ends[-1] if ends else 0) + size))
        size = min(chunk, size * 2)
    return ends


@pytest.mark.parametrize("chunk", [1, 2, 3, 1000])
def test_outcome_and_report_do_not_depend_on_the_chunk_size(
    platform: Platform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(ingest, "CHUNK_ROWS", chunk)
    path = write_csv(tmp_path / "p.csv", platform.catalog, mixed_rows())
    seen: list[int] = []
    report = ingest.ingest_file(
        platform.store,
        platform.catalog,
        path,
        HOUSING,
        STAFF,
        IngestOptions(today=TODAY, accept_valid=True),
        progress=seen.append,
    )
    assert report.status == "partially_accepted"
    assert (report.rows, report.added, report.duplicates, report.corrections) == (9, 4, 1, 0)
    assert report.rejected_rows == 4 and report.problem_count == 4
    assert [(p.where["row"], p.where["field"], p.rule) for p in report.problems] == [
        (4, "CF_JDRQ", "field.date"),
        (7, "CF_WSH", "row.conflicting_document"),
        (8, "CF_JDRQ", "field.date"),
        (9, "CF_CFLB", "field.enum"),
    ]
    assert report.problems[0].message == report.problems[2].message  # a remembered error, reported twice
    assert seen == chunk_ends(9, chunk)  # progress after each chunk; the first chunks are smaller
    assert count(platform, records) == 4  # rows 2, 3, 5 and 10
    assert count(platform, subjects) == 3  # Huawei, Tencent, the person
    assert count(platform, subject_names) == 3


def test_all_or_nothing_across_chunks(
    platform: Platform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest, "CHUNK_ROWS", 2)
    path = write_csv(tmp_path / "p.csv", platform.catalog, mixed_rows())
    report = ingest.ingest_file(
        platform.store, platform.catalog, path, HOUSING, STAFF, IngestOptions(today=TODAY)
    )
    assert report.status == "rejected" and report.added == 0 and report.problem_count == 4
    assert count(platform, records) == 0 and count(platform, subjects) == 0


def test_writer_failure_leaves_the_store_unchanged(
    platform: Platform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest, "CHUNK_ROWS", 2)
    real = q.insert_records
    calls: list[int] = []

    def failing(conn, rows):  # type: ignore[no-untyped-def]
        calls.append(len(rows))
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(conn, rows)

    monkeypatch.setattr(q, "insert_records", failing)
    rows = [penalty(n) for n in range(1, 8)]
    with pytest.raises(RuntimeError, match="disk full"):
        ingest.ingest_file(
            platform.store,
            platform.catalog,
            write_csv(tmp_path / "p.csv", platform.catalog, rows),
            HOUSING,
            STAFF,
            IngestOptions(today=TODAY),
        )
    assert len(calls) == 2  # no chunk was written after the failure
    assert count(platform, records) == 0 and count(platform, subjects) == 0 and count(platform, batches) == 0


def test_file_failing_mid_read_reports_rows_checked_so_far(
    platform: Platform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest, "CHUNK_ROWS", 2)
    good = write_csv(
        tmp_path / "g.csv",
        platform.catalog,
        [penalty(1), penalty(2, CF_CFLB="打屁股"), penalty(3), penalty(4), penalty(5)],
    )
    cut = tmp_path / "cut.csv"
    cut.write_bytes(good.read_bytes() + b'"unterminated')
    report = ingest.ingest_file(
        platform.store, platform.catalog, cut, HOUSING, STAFF, IngestOptions(today=TODAY)
    )
    assert report.status == "rejected" and report.added == 0
    assert [p.rule for p in report.problems] == ["field.enum", "file.truncated"]
    assert count(platform, records) == 0 and count(platform, subjects) == 0


def test_statistics_follow_the_loading_transaction(
    platform: Platform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL: the loaded tables are re-analysed inside the transaction as they double."""
    if platform.store.dialect != "postgresql":
        pytest.skip("planner statistics are a PostgreSQL matter")
    monkeypatch.setattr(ingest, "CHUNK_ROWS", 2)
    rows = [penalty(n) for n in range(1, 10)]
    query = text("SELECT reltuples FROM pg_class WHERE relname = 'records'")
    with platform.store.read() as conn:
        before = conn.execute(query).scalar_one()
    report = ingest.ingest_file(
        platform.store,
        platform.catalog,
        write_csv(tmp_path / "p.csv", platform.catalog, rows),
        HOUSING,
        STAFF,
        IngestOptions(today=TODAY),
    )
    assert report.added == 9
    with platform.store.read() as conn:
        known = conn.execute(query).scalar_one()
    # analysed inside the loading transaction as it grew (at 2, 4 and 8 rows, or on the next chunk
    # when autovacuum held the table just then): the statistics count the batch's own rows
    assert known > before and known >= 4


def test_loading_settings_end_with_the_batch(platform: Platform, tmp_path: Path) -> None:
    """SQLite: the larger page cache used while loading is given back to the pooled connection."""
    if platform.store.dialect != "sqlite":
        pytest.skip("the page cache setting is a SQLite matter (PostgreSQL's is SET LOCAL)")
    with platform.store.read() as conn:
        before = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    report = ingest.ingest_file(
        platform.store,
        platform.catalog,
        write_csv(tmp_path / "p.csv", platform.catalog, [penalty(1)]),
        HOUSING,
        STAFF,
        IngestOptions(today=TODAY),
    )
    assert report.added == 1
    with platform.store.read() as conn:
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == before


def test_cycle_collector_is_paused_while_loading_and_restored(
    platform: Platform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The collector is off while chunks are written, and back on after the batch, even when it fails."""
    real = q.insert_records
    seen: list[bool] = []

    def spying(conn, rows):  # type: ignore[no-untyped-def]
        seen.append(gc.isenabled())
        if len(seen) == 2:
            raise RuntimeError("disk full")
        return real(conn, rows)

    def load() -> ingest.BatchReport:
        path = write_csv(tmp_path / "p.csv", platform.catalog, [penalty(len(seen) + 1)])
        return ingest.ingest_file(
            platform.store, platform.catalog, path, HOUSING, STAFF, IngestOptions(today=TODAY)
        )

    monkeypatch.setattr(q, "insert_records", spying)
    assert gc.isenabled()
    assert load().added == 1
    assert seen == [False] and gc.isenabled()
    with pytest.raises(RuntimeError, match="disk full"):
        load()
    assert gc.isenabled()
    gc.disable()
    try:
        assert load().added == 1
        assert not gc.isenabled()  # off before, left off
    finally:
        gc.enable()
