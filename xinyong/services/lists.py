"""Untrustworthy lists (名单): the due-process use cases, court list import, expiry, and reads.

Each step loads the entry under a row lock, asks :mod:`xinyong.domain.lists` whether the step is
lawful, then updates the entry's current state, appends a row to ``list_transitions`` (actor, day,
document, details) and an event to the audit log, all in one transaction. A refused step changes
nothing. Only the unit that proposed an entry (its deciding unit) may take its later steps.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, insert, or_, select, update

from xinyong import ids
from xinyong.catalog import Catalog
from xinyong.catalog.lists import NAMED_PERSONS, PERIOD_ENDED, ListCatalog, ListType, of
from xinyong.catalog.model import Duration
from xinyong.domain import lists as rules
from xinyong.domain.actor import Actor
from xinyong.domain.disclosure import MARK_UNDER_OBJECTION, MARK_UNDER_REVIEW
from xinyong.domain.enums import SubjectKind
from xinyong.domain.lists import Entry, ListState
from xinyong.domain.measures import applying
from xinyong.domain.permissions import require
from xinyong.domain.workdays import WorkCalendar
from xinyong.errors import InvalidIdentifier, InvalidInput, NotFound, NotPermitted, Problem, ProcedureError
from xinyong.services import events, objections, workcalendar
from xinyong.services.platform import Platform
from xinyong.store import Store
from xinyong.store.tables import (
    list_entries,
    list_entry_persons,
    list_transitions,
    source_units,
    subject_identifiers,
    subjects,
)


def list_type(catalog: Catalog, code: str) -> ListType:
    try:
        return of(catalog).list_type(code)
    except KeyError:
        raise NotFound(
            f"no list type {code!r}", message_zh=f"没有名单类型 {code}", rule="lists.unknown_type"
        ) from None


def to_entry(row: Any) -> Entry:
    return Entry(
        id=row.id,
        list_type=row.list_type,
        subject_id=row.subject_id,
        id_value=row.id_value,
        subject_kind=SubjectKind(row.subject_kind),
        unit_code=row.unit_code,
        ground=row.ground,
        state=ListState(row.state),
        basis_document=row.basis_document,
        facts=row.facts,
        decision_document=row.decision_document,
        notified_on=row.notified_on,
        defence_until=row.defence_until,
        statements=row.statements,
        decided_on=row.decided_on,
        starts_on=row.starts_on,
        ends_on=row.ends_on,
        extensions=row.extensions,
        removed_on=row.removed_on,
        removal_reason=row.removal_reason,
    )


# ---------------------------------------------------------------------------------------------
# Subjects


def _subject(
    conn: Connection, identifier: str, name: str
) -> tuple[str | None, str, str, SubjectKind, str, int | None]:
    """(subject_id, scheme, value, kind, name, unused) of an identifier.

    A registered subject is listed under its primary identifier (USCC or resident ID) whatever code
    the unit gave (e.g. a legacy organisation code), so that screening by that identifier finds it.
    """
    code = identifier.strip().upper()
    row = conn.execute(
        select(subjects.c.id, subjects.c.kind, subjects.c.name, subjects.c.id_scheme, subjects.c.id_value)
        .join(subjects, subjects.c.id == subject_identifiers.c.subject_id)
        .where(subject_identifiers.c.value == code)
    ).first()
    if row is not None:
        return row.id, row.id_scheme, row.id_value, SubjectKind(row.kind), row.name, None
    kind = ids.classify(code)
    if kind is ids.IdentifierKind.RESIDENT_ID:
        ids.parse_resident_id(code)
        return None, "resident_id", code, SubjectKind.INDIVIDUAL, name or "", None
    if kind is ids.IdentifierKind.USCC:
        uscc = ids.parse_uscc(code)
        return None, "uscc", code, uscc.subject_kind or SubjectKind.ENTERPRISE, name or "", None
    raise InvalidIdentifier(
        f"{identifier!r} is neither a registered subject nor a valid USCC or resident ID number",
        message_zh="代码无效：不是已登记主体，也不是有效的统一社会信用代码或身份证号码",
        rule="lists.identifier",
    )


def _age(scheme: str, value: str, on: date) -> int | None:
    if scheme != "resident_id":
        return None
    return ids.parse_resident_id(value).age_on(on)


def unit_domain(conn: Connection, unit: str) -> str:
    domain = conn.execute(
        select(source_units.c.domain).where(source_units.c.code == unit, source_units.c.active.is_(True))
    ).scalar()
    if domain is None:
        raise NotPermitted(
            f"{unit!r} is not an active source unit",
            message_zh="不是有效的信息提供单位",
            rule="lists.unit_unknown",
        )
    return str(domain)


# ---------------------------------------------------------------------------------------------
# Steps


def propose(
    platform: Platform,
    actor: Actor,
    *,
    list_type_code: str,
    identifier: str,
    ground: str,
    basis_document: str,
    facts: str,
    subject_name: str = "",
    on: date | None = None,
) -> Entry:
    """Propose a listing (拟列入): refused unless unit, ground, document, subject and age allow it."""
    require(actor, "lists.decide")
    lt = list_type(platform.catalog, list_type_code)
    on = on or platform.today()
    with platform.store.write() as conn:
        subject_id, scheme, value, kind, name, _ = _subject(conn, identifier, subject_name)
        problems = rules.proposal_problems(
            lt,
            unit_domain=unit_domain(conn, actor.unit),
            subject_kind=kind,
            ground=ground,
            basis_document=basis_document,
            facts=facts,
            age=_age(scheme, value, on),
        )
        if not name:
            problems.append(
                Problem(
                    "lists.no_name", "give the subject's name", {"field": "subject_name"}, "须填写主体名称"
                )
            )
        rules.refuse_if(problems, "listing proposal")
        entry_id = uuid.uuid4().hex
        stamp = events.now()
        conn.execute(
            insert(list_entries).values(
                id=entry_id,
                list_type=lt.code,
                subject_id=subject_id,
                id_scheme=scheme,
                id_value=value,
                subject_kind=kind.value,
                subject_name=name,
                unit_code=actor.unit,
                ground=ground,
                state=ListState.PROPOSED.value,
                basis_document=basis_document.strip(),
                facts=facts.strip(),
                statements=0,
                extensions=0,
                source="workflow",
                created_at=stamp,
                updated_at=stamp,
            )
        )
        record_transition(
            conn,
            actor,
            entry_id,
            "propose",
            None,
            ListState.PROPOSED,
            on,
            basis_document,
            {"ground": ground, "list_type": lt.code},
            subject_id,
        )
    return get_entry(platform.store, entry_id)


def notify(
    platform: Platform, actor: Actor, entry_id: str, *, document: str, on: date | None = None
) -> Entry:
    """Advance notice (告知): basis, reason, measures, exit conditions, remedies; opens the defence window."""
    on = on or platform.today()
    cal = workcalendar.calendar(platform.store)

    def step(entry: Entry, lt: ListType) -> tuple[Entry, dict[str, Any]]:
        rules.require_transition(entry, "notify")
        if not document.strip():
            raise InvalidInput(
                "a notice needs its document number",
                message_zh="告知书须有文号",
                rule="lists.no_notice_document",
            )
        window = cal.add_working_days(on, lt.defence_working_days)
        if window.due is None:
            raise ProcedureError(
                f"the defence window runs into {window.unknown_year}, which has no official holiday "
                "schedule yet: load it with `xinyong calendar load`",
                message_zh=f"陈述申辩期跨入尚无官方节假日安排的{window.unknown_year}年，请先导入",
                rule="calendar.year_unknown",
            )
        notice = notice_content(platform.catalog, entry)
        return replace(entry, state=ListState.NOTIFIED, notified_on=on, defence_until=window.due), notice

    return _step(platform, actor, entry_id, "notify", on, document, step)


def record_statement(
    platform: Platform, actor: Actor, entry_id: str, *, statement: str, on: date | None = None
) -> Entry:
    """Record the subject's statement and defence (陈述申辩), received within the window."""
    on = on or platform.today()

    def step(entry: Entry, lt: ListType) -> tuple[Entry, dict[str, Any]]:
        rules.require_transition(entry, "record_statement")
        if not statement.strip():
            raise InvalidInput(
                "the statement is empty", message_zh="陈述申辩内容为空", rule="lists.statement_empty"
            )
        if entry.defence_until is not None and on > entry.defence_until:
            raise ProcedureError(
                f"the statement-and-defence window ended on {entry.defence_until.isoformat()}",
                message_zh="陈述申辩期已届满",
                rule="lists.defence_window_closed",
            )
        return replace(entry, statements=entry.statements + 1), {"statement": statement.strip()}

    return _step(platform, actor, entry_id, "record_statement", on, None, step)


def decide(
    platform: Platform,
    actor: Actor,
    entry_id: str,
    *,
    decision_document: str,
    statements_considered: str = "",
    named_persons: Sequence[tuple[str, str, str]] = (),
    on: date | None = None,
) -> Entry:
    """The written listing decision (列入决定书): fixes the period from the decision day.

    ``named_persons`` (role, resident ID, name): persons of a listed unit the decision names and the
    linked measures' basis binds (e.g. its legal representative); they are screened through the entry.
    """
    on = on or platform.today()
    persons = [(role, _person_id(value), name) for role, value, name in named_persons]

    def step(entry: Entry, lt: ListType) -> tuple[Entry, dict[str, Any]]:
        rules.check_decision(
            entry, lt, decision_document=decision_document, on=on, statements_considered=statements_considered
        )
        rules.refuse_if(rules.person_problems(entry.subject_kind, persons, NAMED_PERSONS), "decision")
        ends = rules.period_end(lt, entry.ground, on)
        decided = replace(
            entry,
            state=ListState.DECIDED,
            decision_document=decision_document.strip(),
            decided_on=on,
            starts_on=on,
            ends_on=ends,
        )
        return decided, {
            "statements_considered": statements_considered.strip(),
            "ends_on": ends.isoformat() if ends else None,
            "named_persons": [role for role, _, _ in persons],
        }

    def bind(conn: Connection) -> None:
        rows = [{"entry_id": entry_id, "role": r, "id_value": v, "name": n} for r, v, n in persons]
        if rows:
            conn.execute(insert(list_entry_persons), rows)

    return _step(platform, actor, entry_id, "decide", on, decision_document, step, bind)


def _person_id(value: str) -> str:
    return ids.parse_resident_id(value).code


def persons_of(store: Store, entry_id: str) -> list[tuple[str, str, str]]:
    """(role, resident ID, name) of the persons an entry's decision binds."""
    with store.read() as conn:
        rows = conn.execute(
            select(list_entry_persons)
            .where(list_entry_persons.c.entry_id == entry_id)
            .order_by(list_entry_persons.c.role)
        ).all()
    return [(r.role, r.id_value, r.name) for r in rows]


def publish(platform: Platform, actor: Actor, entry_id: str, *, on: date | None = None) -> Entry:
    """Publish a decided entry (公示): from now its linked measures apply until the period ends."""
    on = on or platform.today()

    def step(entry: Entry, lt: ListType) -> tuple[Entry, dict[str, Any]]:
        rules.require_transition(entry, "publish")
        if entry.ends_on is not None and on > entry.ends_on:
            raise ProcedureError(
                "the listing period is already over", message_zh="列入期限已届满", rule="lists.period_over"
            )
        return replace(entry, state=ListState.PUBLISHED), {}

    return _step(platform, actor, entry_id, "publish", on, None, step)


def extend(
    platform: Platform, actor: Actor, entry_id: str, *, by: str, document: str, on: date | None = None
) -> Entry:
    """Extend the period (e.g. court list: 1-3 years for serious violence or repeated acts)."""
    on = on or platform.today()
    try:
        period = Duration.parse(by)
    except ValueError as exc:
        raise InvalidInput(str(exc), message_zh="延长期限格式错误", rule="lists.extension_format") from None

    def step(entry: Entry, lt: ListType) -> tuple[Entry, dict[str, Any]]:
        longer = rules.extend(entry, lt, period, document)
        return longer, {"by": str(period), "ends_on": longer.ends_on.isoformat() if longer.ends_on else None}

    return _step(platform, actor, entry_id, "extend", on, document, step)


def remove(
    platform: Platform,
    actor: Actor,
    entry_id: str,
    *,
    reason: str,
    document: str = "",
    trigger_on: date | None = None,
    on: date | None = None,
    note: str = "",
) -> Entry:
    """Remove an entry (移出) on one of its list type's conditions; records the deadline met or missed.

    ``note``: the deciding unit's own words (e.g. the reasons of an objection or repair decision)."""
    on = on or platform.today()
    cal = workcalendar.calendar(platform.store)

    def step(entry: Entry, lt: ListType) -> tuple[Entry, dict[str, Any]]:
        rules.check_removal(entry, lt, reason, on)
        if reason != PERIOD_ENDED and not document.strip():
            raise InvalidInput(
                "a removal needs its document (决定书/裁定书/修复决定)",
                message_zh="移出须有文书",
                rule="lists.no_removal_document",
            )
        removed, details = _removed(entry, lt, reason, trigger_on or on, on, cal)
        return removed, {**details, "note": note.strip()} if note.strip() else details

    return _step(platform, actor, entry_id, "remove", on, document or None, step)


def withdraw(
    platform: Platform, actor: Actor, entry_id: str, *, reason: str, on: date | None = None
) -> Entry:
    """Drop a proposal (不予列入), e.g. after the subject's defence."""
    on = on or platform.today()

    def step(entry: Entry, lt: ListType) -> tuple[Entry, dict[str, Any]]:
        rules.require_transition(entry, "withdraw")
        return replace(entry, state=ListState.WITHDRAWN), {"reason": reason}

    return _step(platform, actor, entry_id, "withdraw", on, None, step)


def _removed(
    entry: Entry, lt: ListType, reason: str, trigger: date, on: date, cal: WorkCalendar
) -> tuple[Entry, dict[str, Any]]:
    due = cal.add_working_days(trigger, lt.removal_working_days)
    details = {
        "reason": reason,
        "trigger_on": trigger.isoformat(),
        "due": due.due.isoformat() if due.due else None,
        "due_unknown_year": due.unknown_year,
        "on_time": None if due.due is None else on <= due.due,
    }
    return replace(entry, state=ListState.REMOVED, removed_on=on, removal_reason=reason), details


def _step(
    platform: Platform,
    actor: Actor,
    entry_id: str,
    action: str,
    on: date,
    document: str | None,
    change: Any,
    also: Callable[[Connection], None] | None = None,
) -> Entry:
    """Load the entry under a row lock, apply ``change`` (which raises if the step is unlawful),
    save it with its transition and event, and run ``also`` in the same transaction."""
    require(actor, "lists.decide")
    with platform.store.write() as conn:
        row = conn.execute(
            select(list_entries).where(list_entries.c.id == entry_id).with_for_update()
        ).first()
        if row is None:
            raise NotFound(
                f"no list entry {entry_id}", message_zh="没有该名单条目", rule="lists.unknown_entry"
            )
        if row.unit_code != actor.unit:
            raise NotPermitted(
                f"only the deciding unit {row.unit_code} may act on this entry",
                message_zh="只有作出决定的单位可以办理",
                rule="lists.not_deciding_unit",
            )
        entry = to_entry(row)
        new, details = change(entry, list_type(platform.catalog, entry.list_type))
        _save(conn, new, row)
        if also is not None:
            also(conn)
        record_transition(
            conn, actor, entry_id, action, entry.state, new.state, on, document, details, row.subject_id
        )
    return get_entry(platform.store, entry_id)


def _save(conn: Connection, entry: Entry, row: Any) -> None:
    values = {
        "state": entry.state.value,
        "decision_document": entry.decision_document,
        "notified_on": entry.notified_on,
        "defence_until": entry.defence_until,
        "statements": entry.statements,
        "decided_on": entry.decided_on,
        "starts_on": entry.starts_on,
        "ends_on": entry.ends_on,
        "extensions": entry.extensions,
        "removed_on": entry.removed_on,
        "removal_reason": entry.removal_reason,
        "updated_at": events.now(),
    }
    conn.execute(update(list_entries).where(list_entries.c.id == entry.id).values(**values))


def record_transition(
    conn: Connection,
    actor: Actor,
    entry_id: str,
    action: str,
    before: ListState | None,
    after: ListState,
    on: date,
    document: str | None,
    details: dict[str, Any],
    subject_id: str | None,
) -> None:
    if after is ListState.REMOVED:
        conn.execute(
            update(list_entries)
            .where(list_entries.c.id == entry_id)
            .values(removal_trigger_on=_iso(details.get("trigger_on")), removal_due=_iso(details.get("due")))
        )
    conn.execute(
        insert(list_transitions).values(
            entry_id=entry_id,
            action=action,
            from_state=before.value if before else None,
            to_state=after.value,
            effective_on=on,
            recorded_at=events.now(),
            actor=actor.label(),
            document=document,
            details=details,
        )
    )
    events.append(
        conn,
        actor,
        f"list_entry:{action}",
        "list_entry",
        entry_id,
        {"from": before.value if before else None, "to": after.value, "on": on.isoformat(), **details},
        subject_id=subject_id,
        document_number=document,
    )


def _iso(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else None


# ---------------------------------------------------------------------------------------------
# Expiry (a daily job; idempotent and safe to run concurrently)


def expire(platform: Platform, today: date) -> dict[str, Any]:
    """Remove every published entry whose period ended before ``today`` (reason: period_ended).

    Screening and publication already stop the day after ``ends_on`` (they filter on dates); this
    job records the removal. Each entry is claimed with a conditional update, so two runs at once
    remove it once.
    """
    actor = Actor.system("jobs:lists.expire")
    require(actor, "lists.expire")
    cal = workcalendar.calendar(platform.store)
    with platform.store.read() as conn:
        due = conn.execute(
            select(list_entries).where(
                list_entries.c.state == ListState.PUBLISHED.value, list_entries.c.ends_on < today
            )
        ).all()
    removed = 0
    for row in due:
        entry, lt = to_entry(row), list_type(platform.catalog, row.list_type)
        assert entry.ends_on is not None  # selected on ends_on < today
        new, details = _removed(
            entry, lt, PERIOD_ENDED, entry.ends_on, entry.ends_on + timedelta(days=1), cal
        )
        with platform.store.write() as conn:
            claimed = conn.execute(
                update(list_entries)
                .where(list_entries.c.id == entry.id, list_entries.c.state == ListState.PUBLISHED.value)
                .values(
                    state=new.state.value,
                    removed_on=new.removed_on,
                    removal_reason=PERIOD_ENDED,
                    updated_at=events.now(),
                )
            ).rowcount
            if claimed == 1:
                record_transition(
                    conn,
                    actor,
                    entry.id,
                    "remove",
                    entry.state,
                    new.state,
                    today,
                    None,
                    details,
                    row.subject_id,
                )
                removed += claimed
    return {"removed": removed, "checked": len(due)}


# ---------------------------------------------------------------------------------------------
# Reads


def get_entry(store: Store, entry_id: str) -> Entry:
    with store.read() as conn:
        row = conn.execute(select(list_entries).where(list_entries.c.id == entry_id)).first()
    if row is None:
        raise NotFound(f"no list entry {entry_id}", message_zh="没有该名单条目", rule="lists.unknown_entry")
    return to_entry(row)


def history(store: Store, entry_id: str) -> list[dict[str, Any]]:
    with store.read() as conn:
        rows = conn.execute(
            select(list_transitions)
            .where(list_transitions.c.entry_id == entry_id)
            .order_by(list_transitions.c.id)
        ).all()
    return [dict(r._mapping) for r in rows]


def _current(today: date) -> Any:
    return and_(
        list_entries.c.state == ListState.PUBLISHED.value,
        list_entries.c.starts_on <= today,
        or_(list_entries.c.ends_on.is_(None), list_entries.c.ends_on >= today),
    )


def entries_for(store: Store, id_value: str, today: date, types: frozenset[str] | None = None) -> list[Entry]:
    """Entries of an identifier that are published and in their period today."""
    query = select(list_entries).where(list_entries.c.id_value == id_value.strip().upper(), _current(today))
    if types is not None:
        query = query.where(list_entries.c.list_type.in_(sorted(types)))
    with store.read() as conn:
        return [to_entry(r) for r in conn.execute(query)]


def public_view(
    lists: ListCatalog, entry: Entry, row: Any, today: date, lang: str, marks: dict[str, Any] | None = None
) -> dict[str, Any]:
    """What the public sees of a published entry (no facts beyond the decision; IDs masked).

    ``marks``: the remedies' facts about the entry (:func:`objections.target_marks`); "under
    objection" and "under review" are shown (``marks``), like a record's."""
    facts = marks or {}
    lt = lists.list_type(entry.list_type)
    zh = lang == "zh"
    masked = ids.mask_resident_id(entry.id_value) if row.id_scheme == "resident_id" else entry.id_value
    return {
        "id": entry.id,
        "list_type": lt.code,
        "list_name": lt.name_zh if zh else lt.name_en,
        "subject_name": ids.mask_person_name(row.subject_name)
        if row.id_scheme == "resident_id"
        else row.subject_name,
        "identifier": masked,
        "ground": lt.grounds[entry.ground].zh if zh else lt.grounds[entry.ground].en,
        "decision_document": entry.decision_document,
        "unit": entry.unit_code,
        "starts_on": entry.starts_on.isoformat() if entry.starts_on else None,
        "ends_on": entry.ends_on.isoformat() if entry.ends_on else None,
        "measures": [
            {
                "code": a.measure.code,
                "name": a.measure.name_zh if zh else a.measure.name_en,
                "until": a.until.isoformat() if a.until else None,
            }
            for a in applying(lists, [entry], today)
        ],
        "marks": [m for m in (MARK_UNDER_OBJECTION, MARK_UNDER_REVIEW) if facts.get(m)],
    }


def published_entries(
    store: Store, catalog: Catalog, subject_id: str, today: date, lang: str = "zh"
) -> list[dict[str, Any]]:
    """Published, current entries of a registry subject, for the subject profile (_list_entries.html),
    with their objection and review marks."""
    with store.read() as conn:
        rows = conn.execute(
            select(list_entries)
            .where(list_entries.c.subject_id == subject_id, _current(today))
            .order_by(list_entries.c.starts_on.desc(), list_entries.c.id)
        ).all()
        marks = objections.target_marks(conn, "list_entry", [r.id for r in rows])
    return [public_view(of(catalog), to_entry(r), r, today, lang, marks.get(r.id)) for r in rows]


def list_page(
    store: Store,
    catalog: Catalog,
    list_type_code: str,
    today: date,
    *,
    page: int = 1,
    per_page: int = 20,
    lang: str = "zh",
) -> dict[str, Any]:
    """One page of a list's published entries (at most 50 a page: no bulk export to the public)."""
    list_type(catalog, list_type_code)
    per_page = max(1, min(per_page, 50))
    page = max(1, page)
    where = and_(list_entries.c.list_type == list_type_code, _current(today))
    with store.read() as conn:
        total = conn.execute(select(func.count()).select_from(list_entries).where(where)).scalar_one()
        rows = conn.execute(
            select(list_entries)
            .where(where)
            .order_by(list_entries.c.starts_on.desc(), list_entries.c.id)
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).all()
    return {
        "list_type": list_type_code,
        "page": page,
        "per_page": per_page,
        "total": total,
        "entries": [public_view(of(catalog), to_entry(r), r, today, lang) for r in rows],
    }


def workflow(
    store: Store, actor: Actor, *, states: tuple[ListState, ...] = (), limit: int = 100
) -> list[Entry]:
    """Entries of the actor's unit (all of them for operators and auditors), newest first."""
    require(actor, "lists.read_workflow")
    query = select(list_entries).order_by(list_entries.c.updated_at.desc()).limit(limit)
    if actor.unit:
        query = query.where(list_entries.c.unit_code == actor.unit)
    if states:
        query = query.where(list_entries.c.state.in_([s.value for s in states]))
    with store.read() as conn:
        return [to_entry(r) for r in conn.execute(query)]


def notice_content(catalog: Catalog, entry: Entry) -> dict[str, Any]:
    """What the advance notice must tell the subject: basis, reason, measures, exit, remedies."""
    lt = list_type(catalog, entry.list_type)
    ground = lt.grounds[entry.ground]
    return {
        "basis": [str(b) for b in lt.legal_basis] + [f"{ground.article}"],
        "reason": ground.zh,
        "facts": entry.facts,
        "measures": [m.name_zh for m in of(catalog).measures_of(lt.code)],
        "exit_conditions": [c.zh for c in lt.removal_conditions.values()],
        "remedies": "可依法申请行政复议或者提起行政诉讼"
        if "court" not in lt.deciding_domains
        else "可向执行法院申请纠正，对驳回决定可向上一级人民法院申请复议",
        "defence_working_days": lt.defence_working_days,
    }


def workflow_entry(store: Store, actor: Actor, entry_id: str) -> Entry:
    """An entry for its deciding unit's staff (or operators and auditors)."""
    require(actor, "lists.read_workflow")
    entry = get_entry(store, entry_id)
    if actor.unit and entry.unit_code != actor.unit:
        raise NotPermitted(
            "this entry belongs to another unit",
            message_zh="无权查看其他单位的名单条目",
            rule="lists.not_deciding_unit",
        )
    return entry
