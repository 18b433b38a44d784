"""Import of the court list of dishonest judgment debtors from court data files (zxgk / shixin JSON).

A file is a JSON array (or ``{"data": [...]}``) of records shaped like the public
shixin.court.gov.cn records (credit-rules.md §6): ``iname``, ``caseCode``, ``cardNum``, ``age``,
``businessEntity``, ``courtName``, ``gistId``, ``gistUnit``, ``regDate`` (YYYYMMDD), ``duty``,
``performance``, ``disruptTypeName``, ``publishDate`` (``2019年07月13日`` or ISO). Each valid record
becomes a decided and published entry of the importing court: the decision is the court's, the case
code its document number. A record is refused (and reported with its position) when the identifier
is masked or invalid, the debtor is a minor, or the conduct matches no ground of the list type;
with any refusal nothing is imported. Re-importing the same case adds nothing.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import insert, select

from xinyong import ids
from xinyong.catalog.lists import ListType
from xinyong.domain import lists as rules
from xinyong.domain.actor import Actor
from xinyong.domain.enums import SubjectKind
from xinyong.domain.lists import ListState
from xinyong.domain.permissions import require
from xinyong.errors import InvalidIdentifier, InvalidInput, Problem
from xinyong.services import events
from xinyong.services.lists import list_type, record_transition, unit_domain
from xinyong.services.platform import Platform
from xinyong.store.tables import list_entries, subject_identifiers

LIST = "court_dishonest_debtor"


@dataclass
class ImportResult:
    imported: int = 0
    already: int = 0
    problems: list[Problem] = field(default_factory=list)


def parse(raw: bytes) -> list[dict[str, Any]]:
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(
            f"not a JSON court data file: {exc}",
            message_zh="不是有效的法院数据文件（JSON）",
            rule="court_import.json",
        ) from None
    records = data.get("data") if isinstance(data, dict) else data
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise InvalidInput(
            'a court data file is a JSON array of records (or {"data": [...]})',
            message_zh="法院数据文件应为记录数组",
            rule="court_import.shape",
        )
    return records


def _day(text: Any) -> date | None:
    digits = re.findall(r"\d+", str(text or ""))
    try:
        if len(digits) == 1 and len(digits[0]) == 8:
            s = digits[0]
            return date(int(s[:4]), int(s[4:6]), int(s[6:]))
        if len(digits) >= 3:
            return date(int(digits[0]), int(digits[1]), int(digits[2]))
    except ValueError:
        return None
    return None


def ground_of(lt: ListType, conduct: str) -> str | None:
    """The ground whose description the court's conduct text (disruptTypeName) contains or matches."""
    text = re.sub(r"\s", "", conduct)
    for ground in lt.grounds.values():
        core = ground.zh.replace("、", "")
        if core and (core in text.replace("、", "") or text.replace("、", "") in core):
            return ground.code
    return None


def _identifier(rec: dict[str, Any]) -> tuple[str, SubjectKind]:
    raw = str(rec.get("cardNum") or "").strip().upper()
    if "*" in raw:
        raise InvalidIdentifier(
            "the identifier is masked: screening needs the full number from the court",
            message_zh="证件号码已打码，无法用于核查",
            rule="court_import.masked_id",
        )
    if ids.classify(raw) is ids.IdentifierKind.RESIDENT_ID:
        return ids.parse_resident_id(raw).code, SubjectKind.INDIVIDUAL
    uscc = ids.parse_uscc(raw)
    return uscc.code, uscc.subject_kind or SubjectKind.ENTERPRISE


def _check(
    lt: ListType, rec: dict[str, Any], index: int, domain: str, today: date
) -> tuple[dict[str, Any] | None, list[Problem]]:
    where = {"record": index + 1, "case": rec.get("caseCode")}
    try:
        value, kind = _identifier(rec)
    except InvalidIdentifier as exc:
        return None, [
            Problem(exc.rule or "court_import.id", exc.message, {**where, "field": "cardNum"}, exc.message_zh)
        ]
    ground = ground_of(lt, str(rec.get("disruptTypeName") or ""))
    decided = _day(rec.get("publishDate")) or _day(rec.get("regDate"))
    age = ids.parse_resident_id(value).age_on(decided or today) if kind is SubjectKind.INDIVIDUAL else None
    problems = rules.proposal_problems(
        lt,
        unit_domain=domain,
        subject_kind=kind,
        ground=ground or str(rec.get("disruptTypeName")),
        basis_document=str(rec.get("gistId") or ""),
        facts=str(rec.get("duty") or ""),
        age=age,
    )
    if not rec.get("caseCode"):
        problems.append(
            Problem("court_import.no_case", "caseCode (执行案号) is required", {}, "缺少执行案号")
        )
    if decided is None or decided > today:
        problems.append(
            Problem(
                "court_import.date",
                "publishDate is missing, malformed or in the future",
                {},
                "发布日期缺失或有误",
            )
        )
    problems = [Problem(p.rule, p.message, {**where, **p.where}, p.message_zh, p.value) for p in problems]
    if problems:
        return None, problems
    assert ground is not None and decided is not None  # no problems reported
    return {
        "value": value,
        "kind": kind,
        "ground": ground,
        "decided": decided,
        "scheme": "resident_id" if kind is SubjectKind.INDIVIDUAL else "uscc",
    }, []


def import_records(platform: Platform, actor: Actor, records: list[dict[str, Any]]) -> ImportResult:
    """Import court records as decided, published entries of ``actor``'s court (all or nothing)."""
    require(actor, "lists.decide")
    lt = list_type(platform.catalog, LIST)
    today = platform.today()
    result = ImportResult()
    with platform.store.write() as conn:
        domain = unit_domain(conn, actor.unit)
        checked = [_check(lt, rec, i, domain, today) for i, rec in enumerate(records)]
        result.problems = [p for _, probs in checked for p in probs]
        if result.problems:
            raise InvalidInput(
                f"{len(result.problems)} record(s) refused; nothing imported",
                message_zh="法院数据有误，未导入",
                problems=result.problems,
                rule=result.problems[0].rule,
            )
        for rec, (ok, _) in zip(records, checked, strict=True):
            assert ok is not None
            case = str(rec["caseCode"])
            exists = conn.execute(
                select(list_entries.c.id).where(
                    list_entries.c.unit_code == actor.unit,
                    list_entries.c.decision_document == case,
                    list_entries.c.list_type == LIST,
                )
            ).first()
            if exists:
                result.already += 1
                continue
            _insert(conn, actor, lt, rec, ok, case)
            result.imported += 1
    return result


def _insert(
    conn: Any, actor: Actor, lt: ListType, rec: dict[str, Any], ok: dict[str, Any], case: str
) -> None:
    subject_id = conn.execute(
        select(subject_identifiers.c.subject_id).where(subject_identifiers.c.value == ok["value"])
    ).scalar()
    entry_id, stamp, on = uuid.uuid4().hex, events.now(), ok["decided"]
    conn.execute(
        insert(list_entries).values(
            id=entry_id,
            list_type=LIST,
            subject_id=subject_id,
            id_scheme=ok["scheme"],
            id_value=ok["value"],
            subject_kind=ok["kind"].value,
            subject_name=str(rec.get("iname") or ""),
            unit_code=actor.unit,
            ground=ok["ground"],
            state=ListState.PUBLISHED.value,
            basis_document=str(rec["gistId"]),
            facts=str(rec.get("duty") or ""),
            decision_document=case,
            statements=0,
            decided_on=on,
            starts_on=on,
            ends_on=rules.period_end(lt, ok["ground"], on),
            extensions=0,
            source="court_import",
            created_at=stamp,
            updated_at=stamp,
        )
    )
    record_transition(
        conn,
        actor,
        entry_id,
        "import",
        None,
        ListState.PUBLISHED,
        on,
        case,
        {"court": rec.get("courtName"), "ground": ok["ground"]},
        subject_id,
    )
