"""The keys a batch's records share (catalog version, unit, batch) are checked once per batch.

They are not foreign keys of ``records`` (migration 0010): ingestion checks them inside the
batch's transaction before storing anything, so a record can never refer to a missing one.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest
from ingest_helpers import HOUSING, penalty, write_csv
from sqlalchemy import func, select

from xinyong.domain.actor import Actor
from xinyong.errors import ConfigurationError
from xinyong.services import ingest
from xinyong.services.ingest import IngestOptions
from xinyong.services.platform import Platform
from xinyong.store import records as q
from xinyong.store.tables import batches, records, subject_identifiers, subjects

TODAY = date(2026, 11, 28)


def counts(platform: Platform) -> tuple[int, int]:
    with platform.store.read() as conn:
        return (
            int(conn.execute(select(func.count()).select_from(records)).scalar_one()),
            int(conn.execute(select(func.count()).select_from(batches)).scalar_one()),
        )


def test_check_batch_keys_refuses_each_missing_key(platform: Platform) -> None:
    version = platform.catalog.version
    with platform.store.write() as conn:
        conn.execute(
            batches.insert().values(
                id="b1",
                unit_code=HOUSING,
                kind="records:x",
                source_name="f",
                content_hash="h",
                status="loading",
                started_at=ingest.events.now(),
                actor="test",
            )
        )
        q.check_batch_keys(conn, version, HOUSING, "b1")
        for args in ((("nope"), HOUSING, "b1"), (version, "no_unit", "b1"), (version, HOUSING, "no_batch")):
            with pytest.raises(ConfigurationError) as e:
                q.check_batch_keys(conn, *args)
            assert e.value.rule == "ingest.batch_keys"


def test_a_catalog_version_the_store_does_not_know_stores_nothing(platform: Platform, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", platform.catalog, [penalty(1), penalty(2)])
    before = counts(platform)
    unknown = dataclasses.replace(platform.catalog, version="0" * 64)
    with pytest.raises(ConfigurationError):
        ingest.ingest_file(
            platform.store, unknown, path, HOUSING, Actor.system("test"), IngestOptions(today=TODAY)
        )
    assert counts(platform) == before
    report = ingest.ingest_file(
        platform.store, platform.catalog, path, HOUSING, Actor.system("test"), IngestOptions(today=TODAY)
    )
    assert report.added == 2 and counts(platform) == (before[0] + 2, before[1] + 1)


def test_subjects_and_identifiers_already_stored_are_left_as_they_are(platform: Platform) -> None:
    """Bulk subject inserts skip a key stored before or given twice (SQLite: multi-row INSERTs;
    PostgreSQL: one INSERT from arrays), and refuse a value too long for its column."""
    stamp = ingest.events.now()

    def subject(sid: str, name: str, value: str = "V") -> tuple[object, ...]:
        return (sid, "enterprise", "uscc", value + sid, name, name, False, stamp, stamp)

    with platform.store.write() as conn:
        q.insert_subjects(conn, [subject("s1", "甲公司"), subject("s1", "乙公司"), subject("s2", "丙公司")])
        q.insert_subjects(conn, [subject("s2", "丁公司"), subject("s3", "戊公司")])
        q.insert_identifiers(conn, [("uscc", "Vs1", "s1", "t", stamp), ("uscc", "Vs1", "s2", "t", stamp)])
        q.insert_identifiers(conn, [("uscc", "Vs1", "s3", "t", stamp), ("uscc", "Vs3", "s3", "t", stamp)])
        names = dict(conn.execute(select(subjects.c.id, subjects.c.name)).tuples().all())
        owners = dict(
            conn.execute(select(subject_identifiers.c.value, subject_identifiers.c.subject_id)).tuples().all()
        )
    assert names == {"s1": "甲公司", "s2": "丙公司", "s3": "戊公司"}
    assert owners == {"Vs1": "s1", "Vs3": "s3"}
    if platform.store.dialect == "postgresql":  # SQLite does not enforce VARCHAR lengths
        from psycopg.errors import StringDataRightTruncation

        with pytest.raises(StringDataRightTruncation), platform.store.write() as conn:
            q.insert_subjects(conn, [subject("s4", "己公司", "V" * 100)])
