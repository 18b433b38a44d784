"""The validator remembers conversions per distinct text: results, errors and the cap on memory."""

from __future__ import annotations

from datetime import date

import pytest
from ingest_helpers import PERSON_ID, penalty, person_penalty

from xinyong.catalog import Catalog
from xinyong.domain import validation
from xinyong.domain.validation import RowValidator

TODAY = date(2026, 11, 28)


def validator(catalog: Catalog) -> RowValidator:
    return RowValidator(catalog.schemas["administrative_penalty"], catalog.enums, TODAY)


def test_remembered_values_and_errors_are_the_same_each_time(catalog: Catalog) -> None:
    v = validator(catalog)
    for _ in range(3):
        values, issues = v.validate(penalty(1, CF_JDRQ="2025/6/1", CF_NR_FK="1,000.50"))
        assert issues == [] and values["CF_JDRQ"] == "2025-06-01" and values["CF_NR_FK"] == "1000.5"
        values, issues = v.validate(penalty(1, CF_JDRQ="2025-13-45", CF_CFLB="打屁股"))
        assert sorted((i.field, i.rule, i.value) for i in issues) == [
            ("CF_CFLB", "field.enum", "打屁股"),
            ("CF_JDRQ", "field.date", "2025-13-45"),
        ]
        values, issues = v.validate(person_penalty(1, CF_XDR_ZJHM="110105194912310021"))
        assert [(i.field, i.rule) for i in issues] == [("CF_XDR_ZJHM", "ric.check_char")]
        values, issues = v.validate(person_penalty(1))
        assert issues == [] and values["CF_XDR_ZJHM"] == PERSON_ID


def test_past_the_cap_conversions_are_still_right(catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validation, "MEMO_LIMIT", 2)
    v = validator(catalog)
    for day in range(1, 29):  # 28 distinct dates, 2 remembered
        values, issues = v.validate(penalty(1, CF_JDRQ=f"2025-02-{day:02d}", CF_YXQ="2026-06-01"))
        assert issues == [] and values["CF_JDRQ"] == f"2025-02-{day:02d}"
        _, issues = v.validate(penalty(1, CF_JDRQ=f"2025-02-{day + 30}"))
        assert [(i.field, i.rule) for i in issues] == [("CF_JDRQ", "field.date")]
    assert len(v._documents) <= 2
