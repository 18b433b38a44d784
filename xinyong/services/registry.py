"""Registration basic information (登记注册基本信息): load registered subjects into the store.

A registry file is validated whole before anything is written: every row's problems are
reported at once, and a file with any problem leaves the store as it was. Loading the
same file twice adds nothing; a changed name is kept as name history.
"""

from __future__ import annotations

import csv
import hashlib
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select, update

from xinyong import ids
from xinyong.domain.actor import Actor
from xinyong.domain.enums import SubjectKind
from xinyong.domain.permissions import require
from xinyong.errors import InvalidIdentifier, InvalidInput, Problem
from xinyong.search.normalise import normalise_name
from xinyong.services import events
from xinyong.store import Store
from xinyong.store.tables import batches, subject_identifiers, subject_names, subjects

Progress = Callable[[int, int], None]
CHUNK = 2000
ORGANISATION_KINDS = {SubjectKind.ENTERPRISE, SubjectKind.PUBLIC_INSTITUTION, SubjectKind.SOCIAL_ORGANISATION}


@dataclass(frozen=True)
class RegistryRow:
    kind: SubjectKind
    scheme: str
    value: str
    name: str
    legal_representative: str | None
    registered_on: date | None
    region: str | None
    is_individual_business: bool
    legacy: tuple[tuple[str, str], ...]

    @property
    def subject_id(self) -> str:
        return subject_id_for(self.scheme, self.value)


@dataclass
class RegistryResult:
    batch_id: str
    rows: int = 0
    added: int = 0
    renamed: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "batch": self.batch_id,
            "rows": self.rows,
            "added": self.added,
            "renamed": self.renamed,
            "unchanged": self.unchanged,
        }


def subject_id_for(scheme: str, value: str) -> str:
    """Stable subject id from its primary identifier (the USCC or the resident ID number)."""
    return "S" + hashlib.sha256(f"{scheme}:{value}".encode()).hexdigest()[:20]


def parse_row(raw: dict[str, str], where: dict[str, Any]) -> tuple[RegistryRow | None, list[Problem]]:
    """Validate one registry row; returns the row or the list of its problems."""
    problems: list[Problem] = []
    kind = _parse_kind(raw.get("kind", ""), where, problems)
    name = (raw.get("name") or "").strip()
    if not name:
        problems.append(
            Problem(
                "registry.name_required",
                "the subject's name is empty",
                {**where, "field": "name"},
                "主体名称为空",
            )
        )
    scheme, value, individual_business = _parse_identifier(kind, raw, where, problems)
    registered_on = _parse_date(
        _first(raw, "registered_on", "registration_date"), {**where, "field": "registered_on"}, problems
    )
    if problems or kind is None:
        return None, problems
    return RegistryRow(
        kind=kind,
        scheme=scheme,
        value=value,
        name=name,
        legal_representative=(raw.get("legal_representative") or "").strip() or None,
        registered_on=registered_on,
        region=(raw.get("region") or "").strip() or None,
        is_individual_business=individual_business,
        legacy=_legacy_codes(scheme, value, raw),
    ), []


def _first(raw: dict[str, str], *names: str) -> str:
    """The first non-empty of several accepted column names (e.g. registered_on or registration_date)."""
    return next(((raw.get(n) or "").strip() for n in names if (raw.get(n) or "").strip()), "")


def _parse_kind(raw: str, where: dict[str, Any], problems: list[Problem]) -> SubjectKind | None:
    try:
        return SubjectKind(raw.strip())
    except ValueError:
        allowed = ", ".join(k.value for k in SubjectKind)
        problems.append(
            Problem(
                "registry.kind",
                f"unknown subject kind {raw!r}; expected one of {allowed}",
                {**where, "field": "kind"},
                "主体类型无效",
                value=raw,
            )
        )
        return None


def _parse_identifier(
    kind: SubjectKind | None, raw: dict[str, str], where: dict[str, Any], problems: list[Problem]
) -> tuple[str, str, bool]:
    if kind is None:
        return "", "", False
    if kind in ORGANISATION_KINDS:
        try:
            code = ids.parse_uscc(raw.get("uscc", ""))
        except InvalidIdentifier as e:
            problems.extend(_at(e, {**where, "field": "uscc"}))
            return "", "", False
        return "uscc", code.code, code.is_individual_business
    try:
        person = ids.parse_resident_id(raw.get("id_number", ""))
    except InvalidIdentifier as e:
        problems.extend(_at(e, {**where, "field": "id_number"}))
        return "", "", False
    return "resident_id", person.code, False


def _at(err: InvalidInput, where: dict[str, Any]) -> list[Problem]:
    found = err.problems or [Problem(err.rule or err.code, err.message, {}, err.message_zh)]
    return [Problem(p.rule, p.message, {**where, **p.where}, p.message_zh, p.value) for p in found]


def _parse_date(raw: str, where: dict[str, Any], problems: list[Problem]) -> date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        problems.append(
            Problem(
                "registry.date",
                f"{raw!r} is not a date (YYYY-MM-DD)",
                where,
                "日期格式应为 YYYY-MM-DD",
                value=raw,
            )
        )
        return None


def _legacy_codes(scheme: str, value: str, raw: dict[str, str]) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    if scheme == "uscc":
        out.append(("organisation_code", ids.organisation_code_from_uscc(value)))
    regno = (raw.get("registration_number") or "").strip()
    if regno:
        out.append(("registration_number", regno))
    return tuple(out)


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        yield from enumerate(csv.DictReader(fh), start=2)  # row 1 is the header


def validate(path: Path) -> tuple[list[RegistryRow], list[Problem]]:
    rows: list[RegistryRow] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for n, raw in read_rows(path):
        where = {"file": path.name, "row": n}
        row, found = parse_row(raw, where)
        problems.extend(found)
        if row is None:
            continue
        if row.subject_id in seen:
            problems.append(
                Problem(
                    "registry.duplicate",
                    f"the same {row.scheme} appears on row {seen[row.subject_id]}",
                    {**where, "field": row.scheme},
                    "同一代码重复出现",
                    value=row.value,
                )
            )
            continue
        seen[row.subject_id] = n
        rows.append(row)
    return rows, problems


def load_file(store: Store, path: Path, actor: Actor, progress: Progress | None = None) -> RegistryResult:
    """Validate the whole file, then store it in one transaction (all or nothing)."""
    require(actor, "registry.load")
    rows, problems = validate(path)
    if problems:
        raise InvalidInput(
            f"{path.name}: {len(problems)} problem(s); nothing was loaded",
            message_zh=f"{path.name}：发现 {len(problems)} 处问题，未导入任何数据",
            problems=problems,
        )
    content_hash = hashlib.sha256(path.read_bytes()).hexdigest()
    result = RegistryResult(batch_id=uuid.uuid4().hex, rows=len(rows))
    with store.write() as conn:
        _open_batch(conn, result.batch_id, path.name, content_hash, actor)
        for start in range(0, len(rows), CHUNK):
            _store_chunk(conn, rows[start : start + CHUNK], result)
            if progress:
                progress(min(start + CHUNK, len(rows)), len(rows))
        _close_batch(conn, result)
        events.append(
            conn,
            actor,
            "registry:load",
            "batch",
            result.batch_id,
            {"file": path.name, "sha256": content_hash, **result.summary()},
        )
    return result


def _open_batch(conn: Connection, batch_id: str, name: str, content_hash: str, actor: Actor) -> None:
    conn.execute(
        insert(batches).values(
            id=batch_id,
            unit_code=None,
            kind="registry",
            source_name=name,
            content_hash=content_hash,
            status="loading",
            started_at=events.now(),
            actor=actor.label(),
        )
    )


def _close_batch(conn: Connection, result: RegistryResult) -> None:
    conn.execute(
        update(batches)
        .where(batches.c.id == result.batch_id)
        .values(
            status="accepted",
            rows_total=result.rows,
            rows_accepted=result.rows,
            rows_rejected=0,
            finished_at=events.now(),
            report=result.summary(),
        )
    )


def _store_chunk(conn: Connection, chunk: list[RegistryRow], result: RegistryResult) -> None:
    known = _known_names(conn, [r.subject_id for r in chunk])
    fresh = [r for r in chunk if r.subject_id not in known]
    renamed = [r for r in chunk if r.subject_id in known and known[r.subject_id] != r.name]
    result.added += len(fresh)
    result.renamed += len(renamed)
    result.unchanged += len(chunk) - len(fresh) - len(renamed)
    stamp = events.now()
    if fresh:
        conn.execute(insert(subjects), [_subject_values(r, stamp) for r in fresh])
        conn.execute(
            insert(subject_identifiers), list(_identifier_values(conn, fresh, result.batch_id, stamp))
        )
    history = [(r, r.registered_on) for r in fresh] + [(r, None) for r in renamed]
    if history:
        conn.execute(
            insert(subject_names),
            [
                {
                    "subject_id": r.subject_id,
                    "name": r.name,
                    "valid_from": since,
                    "recorded_at": stamp,
                    "source": f"batch:{result.batch_id}",
                }
                for r, since in history
            ],
        )
    for r in renamed:
        conn.execute(
            update(subjects)
            .where(subjects.c.id == r.subject_id)
            .values(name=r.name, name_search=normalise_name(r.name), updated_at=stamp)
        )


def _known_names(conn: Connection, subject_ids: list[str]) -> dict[str, str]:
    rows = conn.execute(select(subjects.c.id, subjects.c.name).where(subjects.c.id.in_(subject_ids)))
    return {r.id: r.name for r in rows}


def _subject_values(r: RegistryRow, stamp: Any) -> dict[str, Any]:
    return {
        "id": r.subject_id,
        "kind": r.kind.value,
        "id_scheme": r.scheme,
        "id_value": r.value,
        "name": r.name,
        "name_search": normalise_name(r.name),
        "legal_representative": r.legal_representative,
        "registered_on": r.registered_on,
        "region": r.region,
        "is_individual_business": r.is_individual_business,
        "created_at": stamp,
        "updated_at": stamp,
    }


def _identifier_values(
    conn: Connection, rows: Iterable[RegistryRow], batch_id: str, stamp: Any
) -> Iterator[dict[str, Any]]:
    rows = list(rows)
    wanted = [(s, v) for r in rows for s, v in ((r.scheme, r.value), *r.legacy)]
    taken = _taken_identifiers(conn, wanted)
    for r in rows:
        for scheme, value in ((r.scheme, r.value), *r.legacy):
            if (scheme, value) in taken:
                continue
            taken.add((scheme, value))
            yield {
                "scheme": scheme,
                "value": value,
                "subject_id": r.subject_id,
                "source": f"batch:{batch_id}",
                "created_at": stamp,
            }


def _taken_identifiers(conn: Connection, pairs: list[tuple[str, str]]) -> set[tuple[str, str]]:
    values = sorted({v for _, v in pairs})
    taken: set[tuple[str, str]] = set()
    for start in range(0, len(values), 1000):
        rows = conn.execute(
            select(subject_identifiers.c.scheme, subject_identifiers.c.value).where(
                subject_identifiers.c.value.in_(values[start : start + 1000])
            )
        )
        taken.update((r.scheme, r.value) for r in rows)
    return taken
