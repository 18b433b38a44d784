"""Large files are read and drafted by a second process while this one writes: same outcome.

``PROCESS_MIN_BYTES`` is set to 0 here so that small files take that path too, and a spare core is
assumed whatever the machine's load; each outcome is
compared with the in-process one (the reference), including the report of a file that fails
half-way, and a failure inside the drafting process leaves the store as it was.
"""

from __future__ import annotations

import json
import pickle
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import test_ingest_chunks as chunk_tests
from ingest_helpers import HOUSING, penalty, write_csv
from sqlalchemy import func, select

from xinyong.domain.actor import Actor
from xinyong.domain.enums import SubjectKind, Tier
from xinyong.ingest import handover
from xinyong.ingest.columnar import ChunkDrafter
from xinyong.ingest.drafts import RecordDraft, SubjectKey
from xinyong.services import ingest
from xinyong.services.ingest import IngestOptions
from xinyong.services.platform import Platform
from xinyong.settings import Settings
from xinyong.store.tables import batches, records, subject_names, subjects
from xinyong.synth import generate_city

TODAY = date(2026, 11, 28)
SYSTEM = Actor.system("test")


@pytest.fixture(autouse=True)
def spare_core(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingest, "_spare_core", lambda: True)


@pytest.mark.parametrize("chunk", [1, 3, 1000])
def test_chunks_drafted_by_a_second_process_give_the_same_outcome(
    platform: Platform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(ingest, "PROCESS_MIN_BYTES", 0)
    chunk_tests.test_outcome_and_report_do_not_depend_on_the_chunk_size(
        platform, tmp_path, monkeypatch, chunk
    )


def fresh(tmp_path: Path, name: str) -> Platform:
    return Platform.open(Settings(database_url=f"sqlite:///{tmp_path / name}.db", data_dir=tmp_path / name))


def summary(report: ingest.BatchReport) -> dict[str, Any]:
    out = report.as_dict()
    del out["batch"], out["seconds"]
    return out


def contents(platform: Platform) -> list[list[Any]]:
    with platform.store.read() as conn:
        return [
            sorted(
                tuple(r) for r in conn.execute(select(records.c.id, records.c.status, records.c.source_row))
            ),
            sorted(tuple(r) for r in conn.execute(select(subjects.c.id, subjects.c.name))),
            sorted(tuple(r) for r in conn.execute(select(subject_names.c.subject_id, subject_names.c.name))),
        ]


def ingest_all(platform: Platform, files: list[tuple[Path, str]], accept_valid: bool) -> list[dict[str, Any]]:
    return [
        summary(
            ingest.ingest_file(
                platform.store,
                platform.catalog,
                path,
                unit,
                SYSTEM,
                IngestOptions(today=TODAY, accept_valid=accept_valid),
            )
        )
        for path, unit in files
    ]


def test_synthetic_city_ingested_with_a_drafting_process_as_without(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    city = tmp_path / "city"
    generate_city(city, subjects=400, records=2500, seed=5, xlsx_rows=50, mistake_rate=0.03)
    manifest = json.loads((city / "manifest.json").read_text(encoding="utf-8"))
    files = [
        (city / f["name"], f["unit"]) for f in manifest["files"] if f["type"] in ("licensing", "penalty")
    ]
    monkeypatch.setattr(ingest, "CHUNK_ROWS", 64)
    outcomes = []
    for threshold in (1 << 62, 0):
        monkeypatch.setattr(ingest, "PROCESS_MIN_BYTES", threshold)
        platform = fresh(tmp_path, f"store-{threshold}")
        try:
            reports = ingest_all(platform, files, accept_valid=True) + ingest_all(platform, files, False)
            outcomes.append((reports, contents(platform)))
        finally:
            platform.close()
    assert outcomes[0] == outcomes[1]
    assert sum(r["added"] for r in outcomes[0][0]) > 1000 and sum(r["problems"] for r in outcomes[0][0]) > 10


def test_a_file_failing_half_way_is_reported_alike(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    platform = fresh(tmp_path, "probe")
    path = write_csv(tmp_path / "p.csv", platform.catalog, [penalty(n) for n in range(1, 40)])
    platform.close()
    with path.open("ab") as fh:  # row 41 in GB18030 in a UTF-8 file: file.encoding when read on
        fh.write(",".join(penalty(99).values()).encode("gb18030") + b"\r\n")
    monkeypatch.setattr(ingest, "CHUNK_ROWS", 8)
    outcomes = []
    for threshold in (1 << 62, 0):
        monkeypatch.setattr(ingest, "PROCESS_MIN_BYTES", threshold)
        platform = fresh(tmp_path, f"store-{threshold}")
        try:
            report = ingest.ingest_file(
                platform.store, platform.catalog, path, HOUSING, SYSTEM, IngestOptions(today=TODAY)
            )
            outcomes.append((summary(report), contents(platform)))
        finally:
            platform.close()
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0]["status"] == "rejected" and outcomes[0][1][0] == []
    assert any(p["rule"] == "file.encoding" for p in outcomes[0][0]["problem_list"])


def test_a_failure_in_the_drafting_process_leaves_the_store_as_before(
    platform: Platform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: ChunkDrafter, chunk: Any, reference: Any) -> Any:
        raise ValueError("broken drafter")

    monkeypatch.setattr(ingest, "PROCESS_MIN_BYTES", 0)
    monkeypatch.setattr(ChunkDrafter, "draft_chunk", broken)
    path = write_csv(tmp_path / "p.csv", platform.catalog, [penalty(n) for n in range(1, 5)])

    def count(table: Any) -> int:
        with platform.store.read() as conn:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

    before = (count(records), count(batches), count(subjects))
    with pytest.raises(RuntimeError, match="broken drafter"):
        ingest.ingest_file(
            platform.store, platform.catalog, path, HOUSING, SYSTEM, IngestOptions(today=TODAY)
        )
    assert (count(records), count(batches), count(subjects)) == before


def test_drafts_handed_over_packed_are_equal_to_those_drafted(monkeypatch: pytest.MonkeyPatch) -> None:
    """Packed into columns, pickled and unpacked, chunk after chunk: the same drafts in the same
    order, also when both sides start their table of subjects over."""
    monkeypatch.setattr(handover, "SUBJECTS_KEPT", 2)
    people = [
        SubjectKey(SubjectKind.INDIVIDUAL, "resident_id", f"11010519491231002{n}", f"张{n}") for n in range(4)
    ]
    firm = SubjectKey(SubjectKind.ENTERPRISE, "uscc", "91440300708461136T", "腾讯", False, (("x", "y"),))

    def draft(n: int, subject: SubjectKey) -> RecordDraft:
        decided = date(2026, 1, 1 + n % 28) if n % 3 else None
        tier = (Tier.MINOR, Tier.GENERAL, Tier.SERIOUS)[n % 3]
        return RecordDraft(
            f"id{n}", "administrative_penalty", subject, f"doc{n}" if n % 2 else None, decided, tier, "{}", n
        )

    chunks = [
        [draft(1, firm), draft(2, people[0]), draft(3, firm)],
        [draft(4, people[1]), draft(5, people[2]), draft(6, firm)],
        [],
        [draft(7, people[3]), draft(8, people[0]), draft(9, firm)],
    ]
    packer, unpacker = handover.Packer(), handover.Unpacker()
    for chunk in chunks:
        assert unpacker.unpack(pickle.loads(pickle.dumps(packer.pack(chunk)))) == chunk
