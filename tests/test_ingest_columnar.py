"""The fast path (``xinyong.ingest.columnar``) drafts exactly what the row-by-row reference drafts.

Both paths run over the same rows: the synthetic city's files (every encoding and header style,
XLSX, and the deliberate mistakes) and generated rows mixing valid values with every kind of bad
one. The drafts (content-hash ids, canonical fields, subjects, tiers, row numbers), the problems
held for the report (in row order) and the counts must be equal.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingest_helpers import PERSON_ID, TENCENT, penalty, person_penalty

from xinyong.catalog import Catalog, load_catalog
from xinyong.errors import Problem
from xinyong.ingest.drafts import RecordDraft
from xinyong.ingest.headers import map_header
from xinyong.ingest.readers import open_table
from xinyong.services import ingest
from xinyong.synth import generate_city

TODAY = date(2026, 11, 28)
ITEMS = {
    "licensing": ("administrative_licensing",),
    "penalty": ("administrative_penalty", "market_regulation_penalty"),
}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    out = tmp_path_factory.mktemp("city")
    generate_city(out, subjects=600, records=4000, seed=11, xlsx_rows=120, mistake_rate=0.05)
    files = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["files"]
    return out, [f for f in files if f["type"] in ITEMS]


Outcome = tuple[list[RecordDraft], list[Problem], int, int]


def run_both(
    catalog: Catalog, item_code: str, unit: str, header: list[str], rows: list[ingest.RawRow], chunk: int
) -> tuple[Outcome, Outcome]:
    """(reference, fast): drafts, problems held for the report, rows counted, rows rejected."""
    item = catalog.items[item_code]
    columns, _ = map_header(catalog.schemas[item.schema], header, "f.csv")  # a missing column: all go slow
    outcomes = []
    for fast in (False, True):
        report = ingest.BatchReport("batch", "f.csv", unit)
        source = ingest._Source("f.csv", header, [], "hash")
        run = ingest._Run(catalog, item, columns, report, ingest.IngestOptions(today=TODAY), source)
        found: list[RecordDraft] = []
        held: list[Problem] = []
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            if fast:
                found += run.draft_chunk(part)
            else:
                found += [d for d in (run.draft(r) for r in part) if d is not None]
            held += run.held
            run.held = []
        outcomes.append((found, held, report.rows, report.rejected_rows))
    return outcomes[0], outcomes[1]


def test_fast_path_drafts_what_the_reference_drafts_over_the_synthetic_city(
    catalog: Catalog, city: tuple[Path, list[dict[str, Any]]]
) -> None:
    out, files = city
    problems = drafted = 0
    for f in files:
        with open_table(out / f["name"]) as table:
            header, rows = list(table.header), list(table.rows())
        schema = catalog.schemas[catalog.items[ITEMS[f["type"]][0]].schema]
        assert not map_header(schema, header, f["name"])[1]
        for item in ITEMS[f["type"]]:
            reference, fast = run_both(catalog, item, f["unit"], header, rows, chunk=97)
            assert fast == reference, f"{f['name']} as {item}"
            problems += len(reference[1])
            drafted += len(reference[0])
    assert problems > 50 and drafted > 3000  # the mistakes were there, and most rows were fine


def test_fast_path_with_a_column_missing_or_rows_of_other_widths(catalog: Catalog) -> None:
    codes = list(penalty(1))
    rows: list[ingest.RawRow] = [
        (2, list(penalty(1).values()), ()),
        (3, list(penalty(2).values())[:-1], ()),  # a short row (the push path aligns, a reader pads)
        (4, list(penalty(3).values()), (Problem("row.cell_count", "x", {"row": 4}),)),
        (5, list(penalty(4).values()), ()),
    ]
    reference, fast = run_both(catalog, "administrative_penalty", "sz_housing", codes, rows, chunk=10)
    assert fast == reference
    without_date = [c for c in codes if c != "CF_JDRQ"]
    rows = [(n, [v for c, v in zip(codes, r, strict=False) if c != "CF_JDRQ"], p) for n, r, p in rows]
    reference, fast = run_both(catalog, "administrative_penalty", "sz_housing", without_date, rows, chunk=10)
    assert fast == reference and not fast[0]


# ---- generated rows: valid rows with some cells replaced by tricky values

TRICKY = [
    None,
    "",
    "2025-13-45",
    "2099-01-01",
    "2020-01-01",
    "2025/06/01",
    "20250601",
    "2025年6月1日",
    "abc",
    "-1",
    "1.23456789",
    "1,234.5",
    "NaN",
    "1e3",
    "罚款",
    "罚款;警告",
    "警告、没收违法所得",
    "打屁股",
    "自然人",
    "法人及非法人组织",
    "个体工商户",
    "1",
    "2",
    "03",
    "身份证",
    "护照",
    TENCENT,
    TENCENT.lower(),
    "914403001922038217",
    "91440300MA5XXXXXXX",
    PERSON_ID,
    PERSON_ID.lower(),
    "110105194912310021",
    "E12345678",
    "70846113-6",
    "708461136",
    "440301103101517",
    "x" * 201,
    "长" * 5001,
    "=cmd|' /C calc'!A0",
    "<script>alert(1)</script>",
    "'; DROP TABLE records; --",
    "深建罚〔2025〕1号",
]


@st.composite
def row_lists(draw: st.DrawFn) -> list[dict[str, str | None]]:
    rows: list[dict[str, str | None]] = []
    for n in range(draw(st.integers(1, 12))):
        base: dict[str, str | None] = dict(
            draw(st.sampled_from([penalty, person_penalty]))(draw(st.integers(1, 4)))
        )
        for _ in range(draw(st.integers(0, 3))):
            field = draw(st.sampled_from(sorted(set(penalty(1)) | set(person_penalty(1)) | {"CF_GSJZQ"})))
            base[field] = draw(st.sampled_from(TRICKY) | st.text(max_size=8))
        rows.append(base)
        del n
    return rows


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(data=row_lists(), chunk=st.sampled_from([1, 3, 50]))
def test_fast_path_drafts_what_the_reference_drafts_for_generated_rows(
    data: list[dict[str, str | None]], chunk: int
) -> None:
    catalog = _CATALOG
    header = sorted({k for r in data for k in r})
    rows: list[ingest.RawRow] = [
        (n, [None if r.get(h) is None else str(r.get(h)).strip() or None for h in header], ())
        for n, r in enumerate(data, start=2)
    ]
    for item in ITEMS["penalty"]:
        reference, fast = run_both(catalog, item, "sz_housing", header, rows, chunk)
        assert fast == reference


_CATALOG = load_catalog()
