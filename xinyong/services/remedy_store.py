"""The append-only workflow store shared by objections and repair: cases, steps, files, marks.

A case row is written once. Its state is the state of its last step; every step records the actor,
the business day, the time, the document and the reason, and appends an audit event in the same
transaction. Files are stored under ``<data_dir>/remedies/<sha256[:2]>/<sha256>`` and referenced by
their hash. Nothing is edited in place.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, String, bindparam, cast, func, insert, literal, null, select, union_all

from xinyong.domain.actor import Actor
from xinyong.domain.enums import Role
from xinyong.domain.workdays import Deadline, WorkCalendar
from xinyong.errors import InvalidInput, NotFound, NotPermitted, Problem, ProcedureError
from xinyong.services import events
from xinyong.services.notify import Notice, Sender, sender_for
from xinyong.services.platform import Platform
from xinyong.store.tables import remedy_cases, remedy_files, remedy_marks, remedy_steps

FILE_ROLES = ("evidence", "proof", "commitment", "decision")
MAX_FILE_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Attachment:
    role: str  # evidence (异议证明材料), proof (履约证明), commitment (信用承诺书), decision (决定书)
    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


@dataclass(frozen=True)
class Step:
    id: int
    step: str
    state: str
    outcome: str | None
    on_date: date
    due_on: date | None
    due_unknown: int | None
    actor: str
    document_number: str | None
    reason: str


@dataclass(frozen=True)
class StoredFile:
    role: str
    filename: str
    size: int
    sha256: str
    step_id: int | None


@dataclass(frozen=True)
class Case:
    id: str
    kind: str
    target_kind: str
    target_id: str
    subject_id: str
    unit_code: str
    basis: str
    statement: str
    opened_on: date
    detail: dict[str, Any]
    steps: list[Step] = field(default_factory=list)
    files: list[StoredFile] = field(default_factory=list)

    @property
    def last(self) -> Step:
        return self.steps[-1]

    @property
    def state(self) -> str:
        return self.last.state

    @property
    def due_on(self) -> date | None:
        return self.last.due_on

    def overdue(self, today: date) -> bool:
        due = self.last.due_on
        return self.open and due is not None and today > due

    @property
    def open(self) -> bool:
        return self.last.state not in CLOSED_STATES


CLOSED_STATES = frozenset({"decided", "approved", "rejected"})


def new_id(kind: str) -> str:
    return f"{'OBJ' if kind == 'objection' else 'REP'}-{uuid.uuid4().hex[:20].upper()}"


def check_attachments(files: Sequence[Attachment], allowed: Iterable[str]) -> None:
    allowed = tuple(allowed)
    problems = []
    for i, f in enumerate(files):
        where = {"file": f.filename or f"#{i + 1}"}
        if f.role not in allowed:
            problems.append(
                Problem(
                    "remedy.file_role",
                    f"file role must be one of {', '.join(allowed)}",
                    where,
                    "材料类型无效",
                    f.role,
                )
            )
        if not f.content:
            problems.append(Problem("remedy.file_empty", "the file is empty", where, "文件为空"))
        if len(f.content) > MAX_FILE_BYTES:
            problems.append(
                Problem(
                    "remedy.file_too_large",
                    f"files may be at most {MAX_FILE_BYTES >> 20} MiB",
                    where,
                    "文件过大",
                )
            )
    if problems:
        raise InvalidInput(
            "some attachments cannot be accepted",
            message_zh="部分材料无法接收",
            rule=problems[0].rule,
            problems=problems,
        )


def save_files(data_dir: Path, files: Sequence[Attachment]) -> list[tuple[Attachment, str]]:
    """Write each file under its SHA-256 (content-addressed: the same bytes are stored once)."""
    out = []
    for f in files:
        digest = hashlib.sha256(f.content).hexdigest()
        path = data_dir / "remedies" / digest[:2] / digest
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".part")
            tmp.write_bytes(f.content)
            tmp.replace(path)
        out.append((f, digest))
    return out


def file_path(data_dir: Path, sha256: str) -> Path:
    return data_dir / "remedies" / sha256[:2] / sha256


def insert_case(conn: Connection, case: Case, actor: Actor) -> None:
    conn.execute(
        insert(remedy_cases).values(
            id=case.id,
            kind=case.kind,
            target_kind=case.target_kind,
            target_id=case.target_id,
            subject_id=case.subject_id,
            unit_code=case.unit_code,
            basis=case.basis,
            statement=case.statement,
            opened_on=case.opened_on,
            opened_at=events.now(),
            opened_by=actor.label(),
            detail=case.detail,
        )
    )


def add_step(
    conn: Connection,
    case: Case,
    actor: Actor,
    step: str,
    state: str,
    on: date,
    *,
    due: Deadline | None = None,
    reason: str = "",
    outcome: str | None = None,
    document_number: str | None = None,
    files: Sequence[tuple[Attachment, str]] = (),
) -> int:
    """Append one step and its audit event (``objection:accept``, ``repair:approve`` …)."""
    payload = {
        "case": case.id,
        "state": state,
        "outcome": outcome,
        "on": on.isoformat(),
        "reason": reason,
        "due": due.due.isoformat() if due and due.due else None,
        "files": [{"role": f.role, "sha256": h} for f, h in files],
    }
    seq = events.append(
        conn,
        actor,
        f"{case.kind}:{step}",
        case.kind,
        case.id,
        payload,
        subject_id=case.subject_id,
        document_number=document_number,
    )
    step_id = conn.execute(
        insert(remedy_steps)
        .values(
            case_id=case.id,
            step=step,
            state=state,
            outcome=outcome,
            on_date=on,
            due_on=due.due if due else None,
            due_unknown=due.unknown_year if due else None,
            actor=actor.label(),
            at=events.now(),
            document_number=document_number,
            reason=reason,
            event_seq=seq,
        )
        .returning(remedy_steps.c.id)
    ).scalar_one()
    for f, digest in files:
        conn.execute(
            insert(remedy_files).values(
                case_id=case.id,
                step_id=step_id,
                role=f.role,
                filename=f.filename[:255] or digest,
                content_type=f.content_type[:100],
                size=len(f.content),
                sha256=digest,
                stored_at=events.now(),
            )
        )
    return int(step_id)


def load_case(conn: Connection, case_id: str) -> Case:
    row = conn.execute(select(remedy_cases).where(remedy_cases.c.id == case_id)).first()
    if row is None:
        raise NotFound(f"no case {case_id!r}", message_zh="没有该办理事项", rule="remedy.case")
    return _cases(conn, [row])[0]


def load_open_cases(conn: Connection, unit_code: str | None = None) -> list[Case]:
    """Cases whose last step leaves them open, found in SQL (the history of closed cases grows)."""
    q = (
        select(remedy_cases)
        .join(remedy_steps, remedy_steps.c.case_id == remedy_cases.c.id)
        .where(remedy_steps.c.id == _LAST_STEP, remedy_steps.c.state.not_in(sorted(CLOSED_STATES)))
        .order_by(remedy_cases.c.opened_on, remedy_cases.c.id)
    )
    if unit_code:
        q = q.where(remedy_cases.c.unit_code == unit_code)
    return _cases(conn, conn.execute(q).all())


def load_cases(
    conn: Connection,
    *,
    kind: str | None = None,
    subject_id: str | None = None,
    unit_code: str | None = None,
    target_ids: Sequence[str] | None = None,
) -> list[Case]:
    q = select(remedy_cases).order_by(remedy_cases.c.opened_on, remedy_cases.c.id)
    if kind:
        q = q.where(remedy_cases.c.kind == kind)
    if subject_id:
        q = q.where(remedy_cases.c.subject_id == subject_id)
    if unit_code:
        q = q.where(remedy_cases.c.unit_code == unit_code)
    if target_ids is not None:
        if not target_ids:
            return []
        q = q.where(remedy_cases.c.target_id.in_(list(target_ids)))
    return _cases(conn, conn.execute(q).all())


def _cases(conn: Connection, rows: Sequence[Any]) -> list[Case]:
    if not rows:
        return []
    ids = [r.id for r in rows]
    steps: dict[str, list[Step]] = {i: [] for i in ids}
    files: dict[str, list[StoredFile]] = {i: [] for i in ids}
    for chunk in _chunks(ids, 500):
        for s in conn.execute(
            select(remedy_steps).where(remedy_steps.c.case_id.in_(chunk)).order_by(remedy_steps.c.id)
        ):
            steps[s.case_id].append(
                Step(
                    s.id,
                    s.step,
                    s.state,
                    s.outcome,
                    s.on_date,
                    s.due_on,
                    s.due_unknown,
                    s.actor,
                    s.document_number,
                    s.reason,
                )
            )
        for f in conn.execute(
            select(remedy_files).where(remedy_files.c.case_id.in_(chunk)).order_by(remedy_files.c.id)
        ):
            files[f.case_id].append(StoredFile(f.role, f.filename, f.size, f.sha256, f.step_id))
    return [
        Case(
            r.id,
            r.kind,
            r.target_kind,
            r.target_id,
            r.subject_id,
            r.unit_code,
            r.basis,
            r.statement,
            r.opened_on,
            dict(r.detail or {}),
            steps[r.id],
            files[r.id],
        )
        for r in rows
    ]


def _chunks(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def open_case_for(conn: Connection, kind: str, target_kind: str, target_id: str) -> Case | None:
    rows = conn.execute(
        select(remedy_cases).where(
            remedy_cases.c.kind == kind,
            remedy_cases.c.target_kind == target_kind,
            remedy_cases.c.target_id == target_id,
        )
    ).all()
    return next((c for c in _cases(conn, rows) if c.open), None)


_PRIOR = remedy_steps.alias("prior")
_LAST_STEP = (
    select(func.max(_PRIOR.c.id)).where(_PRIOR.c.case_id == remedy_cases.c.id).correlate(remedy_cases)
).scalar_subquery()
# Built once: the check runs it for every profile (statement construction would cost more than the query).
_LATEST = (
    select(
        literal("case").label("source"),
        remedy_cases.c.kind.label("code"),
        remedy_cases.c.target_id,
        remedy_steps.c.state,
        remedy_steps.c.outcome,
        remedy_steps.c.on_date,
    )
    .select_from(remedy_cases)
    .join(remedy_steps, remedy_steps.c.case_id == remedy_cases.c.id)
    .where(
        remedy_cases.c.target_kind == bindparam("kind"),
        remedy_cases.c.target_id.in_(bindparam("ids", expanding=True)),
        remedy_steps.c.id == _LAST_STEP,
    )
)
_LATEST_MARKS = (
    select(
        literal("mark").label("source"),
        remedy_marks.c.mark.label("code"),
        remedy_marks.c.target_id,
        cast(null(), String(24)).label("state"),
        cast(null(), String(32)).label("outcome"),
        remedy_marks.c.on_date,
    )
    .where(
        remedy_marks.c.id.in_(
            select(func.max(remedy_marks.c.id))
            .where(
                remedy_marks.c.target_kind == bindparam("kind"),
                remedy_marks.c.target_id.in_(bindparam("ids", expanding=True)),
            )
            .group_by(remedy_marks.c.target_id, remedy_marks.c.mark)
        )
    )
    .where(remedy_marks.c.active.is_(True))
)
_REMEDIES = union_all(_LATEST, _LATEST_MARKS)


@dataclass(frozen=True)
class Remedy:
    """What the remedies say about one target: a case with its last step, or an active mark."""

    source: str  # case | mark
    code: str  # the case kind (objection, repair) or the mark (under_review)
    target_id: str
    state: str | None
    outcome: str | None
    on_date: date


def remedies_of(conn: Connection, target_kind: str, target_ids: Sequence[str]) -> list[Remedy]:
    """Every case about these targets with its last step, and their active marks: one query per 500."""
    out: list[Remedy] = []
    for chunk in _chunks(list(target_ids), 500):
        out.extend(Remedy(*r) for r in conn.execute(_REMEDIES, {"kind": target_kind, "ids": list(chunk)}))
    return out


def add_mark(
    conn: Connection,
    actor: Actor,
    target_kind: str,
    target_id: str,
    mark: str,
    active: bool,
    on: date,
    reason: str,
    document_number: str | None,
    subject_id: str | None,
) -> None:
    seq_payload = {"mark": mark, "active": active, "on": on.isoformat(), "reason": reason}
    events.append(
        conn,
        actor,
        f"mark:{'set' if active else 'lift'}",
        target_kind,
        target_id,
        seq_payload,
        subject_id=subject_id,
        document_number=document_number,
    )
    conn.execute(
        insert(remedy_marks).values(
            target_kind=target_kind,
            target_id=target_id,
            mark=mark,
            active=active,
            on_date=on,
            actor=actor.label(),
            at=events.now(),
            document_number=document_number,
            reason=reason,
        )
    )


# ---------------------------------------------------------------------------------------------
# shared by objections and repair


def extend_once(
    platform: Platform,
    actor: Actor,
    case_id: str,
    reason: str,
    today: date,
    *,
    load: Callable[[Connection, str], Case],
    state: str,
    days: int,
    rule: str,
    once_zh: str,
) -> Case:
    """Extend the deciding unit's deadline by ``days`` working days, once, with the reason recorded
    (Shenzhen regulation arts. 43 and 82: with the head's approval). ``load`` fetches the case in the
    state that may be extended; ``rule`` prefixes the error rules (``objection``, ``repair``)."""
    if not reason.strip():
        raise InvalidInput(
            "an extension records its reason", message_zh="延期须说明理由", rule=f"{rule}.extension_reason"
        )
    with platform.store.write() as conn:
        case = load(conn, case_id)
        own_unit(actor, case)
        if any(s.step == "extend" for s in case.steps):
            raise ProcedureError(
                "the deadline was already extended once", message_zh=once_zh, rule=f"{rule}.extended_once"
            )
        base = case.last.due_on
        due = (
            calendar(platform).add_working_days(base, days)
            if base
            else Deadline(today, days, None, case.last.due_unknown)
        )
        add_step(conn, case, actor, "extend", state, today, due=due, reason=reason)
        return load_case(conn, case_id)


def calendar(platform: Platform) -> WorkCalendar:
    """The working-day calendar (official schedules; loaded years override the package's).

    A ``platform.calendar`` set at startup (schedules loaded by the operator) is used when present.
    """
    cal = getattr(platform, "calendar", None)
    return cal if isinstance(cal, WorkCalendar) else WorkCalendar()


def sender(platform: Platform) -> Sender:
    """The configured notice sender; tests set ``platform.notifier`` (e.g. a MemorySender)."""
    found: Sender | None = getattr(platform, "notifier", None)
    return found or sender_for(platform.settings)


def notify(platform: Platform, recipient: str, kind: str, case: Case, zh: str, en: str) -> None:
    sender(platform).send(Notice(recipient, kind, case.id, zh, en, case.last.reason))


def own(actor: Actor, subject_id: str) -> None:
    """A subject acts only on its own information."""
    if actor.role is Role.SUBJECT and actor.subject_id != subject_id:
        raise NotPermitted(
            "a subject may act only on its own information",
            message_zh="只能对本人（本单位）的信用信息办理",
            rule="remedy.own_subject",
        )


def own_unit(actor: Actor, case: Case) -> None:
    if actor.role is Role.SOURCE_UNIT and actor.unit != case.unit_code:
        raise not_your_unit()


def not_your_unit() -> NotPermitted:
    return NotPermitted(
        "only the unit that supplied the information decides on it (谁认定、谁修复)",
        message_zh="应由认定该信息的单位办理",
        rule="remedy.own_unit",
    )
