"""``generate_city``: a Shenzhen-like city as files a platform ingests."""

from __future__ import annotations

import csv
import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from xinyong.errors import InvalidInput
from xinyong.synth.context import CityContext
from xinyong.synth.dates import AS_OF, START, iso
from xinyong.synth.layout import Layout, load_layout
from xinyong.synth.manifest import CityManifest, FileEntry
from xinyong.synth.mistakes import Mistake, MistakeMaker
from xinyong.synth.plan import FileSpec, plan_files
from xinyong.synth.records import factory_for
from xinyong.synth.subjects import Registry, Subject
from xinyong.synth.writers import BUFFER, CsvSink, RowSink, XlsxSink

Progress = Callable[[str, int, int], None]
SUBJECTS_FILE = "subjects.csv"
MANIFEST_FILE = "manifest.json"
SUBJECT_COLUMNS = (
    "kind",
    "category",
    "name",
    "uscc",
    "id_type",
    "id_number",
    "sex",
    "birth_date",
    "legal_representative",
    "legal_representative_id",
    "registration_date",
    "region_code",
    "region_name",
    "registration_number",
    "organisation_code",
    "tax_number",
    "certificate_number",
    "address",
)
DEFAULT_XLSX_ROWS = 20_000
DEFAULT_MISTAKE_RATE = 0.005


def generate_city(
    out_dir: Path,
    *,
    subjects: int,
    records: int,
    seed: int,
    progress: Progress | None = None,
    xlsx_rows: int = DEFAULT_XLSX_ROWS,
    mistake_rate: float = DEFAULT_MISTAKE_RATE,
) -> CityManifest:
    """Write ``subjects.csv``, one licensing and one penalty file per source unit and ``manifest.json``.

    The same arguments give byte-identical files. ``xlsx_rows`` caps the rows of each XLSX file (the
    rest goes to CSV files); ``mistake_rate`` is the share of records spoiled on purpose.
    """
    _check(subjects, records, xlsx_rows, mistake_rate)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = progress or (lambda stage, done, total: None)
    layout = load_layout()
    registry = Registry(random.Random(f"{seed}:subjects"))
    people = registry.build(subjects, lambda done: report("subjects", done, subjects))
    report("subjects", subjects, subjects)
    manifest = _new_manifest(seed, people, layout, xlsx_rows, mistake_rate)
    manifest.files.append(_write_subjects(out_dir / SUBJECTS_FILE, people))
    ctx = CityContext(people, registry.adults, random.Random(f"{seed}:context"))
    done = 0
    for spec in plan_files(layout, records, xlsx_rows):
        entry, mistakes = _write_records(out_dir, spec, layout, ctx, seed, mistake_rate)
        manifest.files.append(entry)
        manifest.mistakes.extend(mistakes)
        done += spec.rows
        report("records", done, records)
    manifest.units = _unit_summary(layout, manifest)
    manifest.write(out_dir / MANIFEST_FILE)
    return manifest


def _check(subjects: int, records: int, xlsx_rows: int, mistake_rate: float) -> None:
    if subjects < 1 or records < 0 or xlsx_rows < 0 or not 0.0 <= mistake_rate <= 1.0:
        raise InvalidInput(
            "synthetic city needs subjects >= 1, records >= 0, xlsx_rows >= 0 and 0 <= mistake_rate <= 1",
            message_zh="合成城市参数无效：主体数至少为1，记录数、XLSX行数不能为负，错误比例须在0到1之间",
            rule="synth_arguments",
        )


def _new_manifest(
    seed: int, people: list[Subject], layout: Layout, xlsx_rows: int, rate: float
) -> CityManifest:
    return CityManifest(
        seed=seed,
        subjects_by_kind=dict(sorted(Counter(s.kind for s in people).items())),
        subjects_by_category=dict(sorted(Counter(s.category for s in people).items())),
        settings={
            "as_of": iso(AS_OF),
            "decisions_from": iso(START),
            "xlsx_rows": xlsx_rows,
            "mistake_rate": rate,
            "list_separator": ";",
            "units": len(layout.units),
        },
    )


def _subject_row(s: Subject, people: list[Subject]) -> list[str]:
    rep_id = people[s.legal_rep].id_number if s.legal_rep >= 0 else ""
    return [
        s.kind,
        s.category,
        s.name,
        s.uscc,
        "001" if s.id_number else "",
        s.id_number,
        s.sex,
        iso(s.birth) if s.birth else "",
        s.rep_name,
        rep_id,
        iso(s.registered) if s.registered else "",
        s.region_code,
        s.region_name,
        s.reg_number,
        s.org_code,
        s.tax_number,
        s.certificate,
        s.address,
    ]


def _write_subjects(path: Path, people: list[Subject]) -> FileEntry:
    with path.open("w", encoding="utf-8", newline="", buffering=BUFFER) as fh:
        writer = csv.writer(fh)
        writer.writerow(SUBJECT_COLUMNS)
        writer.writerows(_subject_row(s, people) for s in people)
    return FileEntry(SUBJECTS_FILE, "subjects", "csv", "utf-8", "en", "code", len(people))


def _sink(path: Path, spec: FileSpec, layout: Layout) -> RowSink:
    schema = layout.licensing if spec.record_type == "licensing" else layout.penalty
    header = schema.headers_zh if spec.style.header == "zh" else schema.codes
    if spec.style.format == "xlsx":
        return XlsxSink(path, header, schema, "行政许可" if spec.record_type == "licensing" else "行政处罚")
    return CsvSink(path, header, spec.style.encoding)


def _write_records(
    out_dir: Path, spec: FileSpec, layout: Layout, ctx: CityContext, seed: int, rate: float
) -> tuple[FileEntry, list[Mistake]]:
    rng = random.Random(f"{seed}:{spec.name}")
    spoil = random.Random(f"{seed}:{spec.name}:mistakes")
    factory = factory_for(spec, layout, ctx, rng)
    maker = MistakeMaker(factory.schema, spec.style.values, spoil)
    mistakes: list[Mistake] = []
    sink = _sink(out_dir / spec.name, spec, layout)
    row_number = 1
    try:
        for batch in factory.rows(spec.rows):
            for row in batch:
                row_number += 1
                if spoil.random() < rate:
                    kind, field = maker.apply(row)
                    mistakes.append(Mistake(spec.name, row_number, kind, field))
            sink.write(batch)
    finally:
        sink.close()
    style = spec.style
    entry = FileEntry(
        spec.name,
        spec.record_type,
        style.format,
        style.encoding,
        style.header,
        style.values,
        spec.rows,
        spec.unit.code,
        len(mistakes),
    )
    return entry, mistakes


def _unit_summary(layout: Layout, manifest: CityManifest) -> list[dict[str, object]]:
    rows: dict[str, dict[str, object]] = {
        u.code: {
            "code": u.code,
            "name": u.name_zh,
            "uscc": u.uscc,
            "domain": u.domain,
            "licensing": 0,
            "penalty": 0,
        }
        for u in layout.units
    }
    for f in manifest.files:
        if f.unit:
            rows[f.unit][f.type] = f.rows
    return list(rows.values())
