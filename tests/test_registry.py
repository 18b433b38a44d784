from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import func, select

from xinyong.domain.actor import Actor
from xinyong.errors import InvalidInput
from xinyong.services import registry
from xinyong.store import Store
from xinyong.store.tables import batches, events, subject_identifiers, subject_names, subjects

HEADER = [
    "kind",
    "name",
    "uscc",
    "id_number",
    "legal_representative",
    "registered_on",
    "region",
    "registration_number",
]
HUAWEI = ["enterprise", "华为技术有限公司", "914403001922038216", "", "赵明路", "1987-09-15", "440300", ""]
TENCENT = [
    "enterprise",
    "腾讯科技（深圳）有限公司",
    "91440300708461136T",
    "",
    "马化腾",
    "2000-02-24",
    "440300",
    "",
]
PERSON = ["individual", "张三", "", "11010519491231002X", "", "", "110105", ""]


def write(path: Path, *rows: list[str]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        w.writerows(rows)
    return path


def count(store: Store, table: object) -> int:
    with store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_load_creates_subjects_identifiers_and_names(store: Store, tmp_path: Path) -> None:
    result = registry.load_file(store, write(tmp_path / "r.csv", HUAWEI, TENCENT, PERSON), Actor.system())
    assert (result.added, result.renamed, result.unchanged) == (3, 0, 0)
    with store.read() as conn:
        row = conn.execute(select(subjects).where(subjects.c.id_value == "914403001922038216")).one()
        assert row.kind == "enterprise" and row.name == "华为技术有限公司"
        org = conn.execute(
            select(subject_identifiers.c.subject_id).where(
                subject_identifiers.c.scheme == "organisation_code"
            )
        ).all()
        assert len(org) == 2  # derived from both USCCs
        person = conn.execute(select(subjects).where(subjects.c.id_scheme == "resident_id")).one()
        assert person.id_value == "11010519491231002X"
    assert count(store, subject_names) == 3
    assert count(store, batches) == 1


def test_same_file_twice_adds_nothing(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path / "r.csv", HUAWEI, TENCENT)
    registry.load_file(store, path, Actor.system())
    again = registry.load_file(store, path, Actor.system())
    assert (again.added, again.renamed, again.unchanged) == (0, 0, 2)
    assert count(store, subjects) == 2 and count(store, subject_names) == 2


def test_renamed_subject_keeps_name_history(store: Store, tmp_path: Path) -> None:
    registry.load_file(store, write(tmp_path / "a.csv", HUAWEI), Actor.system())
    renamed = [*HUAWEI]
    renamed[1] = "华为技术股份有限公司"
    result = registry.load_file(store, write(tmp_path / "b.csv", renamed), Actor.system())
    assert result.renamed == 1
    with store.read() as conn:
        names = [r.name for r in conn.execute(select(subject_names.c.name).order_by(subject_names.c.id))]
        current = conn.execute(select(subjects.c.name)).scalar_one()
    assert names == ["华为技术有限公司", "华为技术股份有限公司"]
    assert current == "华为技术股份有限公司"


def test_bad_rows_are_all_reported_and_nothing_is_written(store: Store, tmp_path: Path) -> None:
    bad_uscc = [*HUAWEI]
    bad_uscc[2] = "91110108717809965C"  # mock code with the wrong check character
    no_name = [*TENCENT]
    no_name[1] = ""
    bad_kind = [*PERSON]
    bad_kind[0] = "alien"
    before_events = count(store, events)
    with pytest.raises(InvalidInput) as exc:
        registry.load_file(
            store, write(tmp_path / "bad.csv", bad_uscc, no_name, bad_kind, PERSON), Actor.system()
        )
    found = {(p.where["row"], p.where["field"], p.rule.split(".")[0]) for p in exc.value.problems}
    assert (2, "uscc", "uscc") in found
    assert (3, "name", "registry") in found
    assert (4, "kind", "registry") in found
    assert all(p.where["file"] == "bad.csv" for p in exc.value.problems)
    assert count(store, subjects) == 0 and count(store, batches) == 0
    assert count(store, events) == before_events


def test_duplicate_code_in_one_file_is_reported(store: Store, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as exc:
        registry.load_file(store, write(tmp_path / "dup.csv", HUAWEI, HUAWEI), Actor.system())
    assert [p.rule for p in exc.value.problems] == ["registry.duplicate"]
    assert exc.value.problems[0].where["row"] == 3


def test_load_appends_an_event(store: Store, tmp_path: Path) -> None:
    before = count(store, events)
    result = registry.load_file(store, write(tmp_path / "r.csv", HUAWEI), Actor.operator("li"))
    with store.read() as conn:
        ev = conn.execute(select(events).order_by(events.c.seq.desc()).limit(1)).one()
    assert count(store, events) == before + 1
    assert ev.action == "registry:load" and ev.object_id == result.batch_id and ev.actor_user == "li"


def test_public_may_not_load_a_registry(store: Store, tmp_path: Path) -> None:
    from xinyong.errors import NotPermitted

    with pytest.raises(NotPermitted) as exc:
        registry.load_file(store, write(tmp_path / "r.csv", HUAWEI), Actor.public())
    assert exc.value.rule == "permission.registry.load"
    assert count(store, subjects) == 0
