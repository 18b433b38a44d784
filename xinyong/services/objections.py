"""Objections (异议) as use cases: file, platform check, forward, extend, decide; review marks.

Procedure and deadlines: :mod:`xinyong.domain.objections` (Shenzhen regulation arts. 41-51).
Every step is appended to the case's history with an audit event; the record is marked
"under objection" from acceptance until the decision, wherever it is shown (:func:`marks_for`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from xinyong.domain import objections as rules
from xinyong.domain.actor import Actor
from xinyong.domain.disclosure import MARK_UNDER_REVIEW
from xinyong.domain.enums import Role
from xinyong.domain.permissions import require
from xinyong.errors import Conflict, InvalidInput, NotFound, ProcedureError
from xinyong.services import remedy_store as rs
from xinyong.services import remedy_targets as targets
from xinyong.services.platform import Platform

KIND = "objection"


def file(
    platform: Platform,
    actor: Actor,
    target_kind: str,
    target_id: str,
    grounds: str,
    statement: str,
    attachments: Sequence[rs.Attachment] = (),
    *,
    today: date | None = None,
) -> rs.Case:
    """Accept an objection: the target is marked at once; the platform checks within 1 working day."""
    require(actor, "objections.file")
    today = today or platform.today()
    found = rules.check_filing(rules.Filing(target_kind, target_id, grounds, statement))
    rs.check_attachments(attachments, ("evidence",))
    with platform.store.write() as conn:
        target = targets.load(conn, platform, target_kind, target_id)
        rs.own(actor, target.subject_id)
        if target.status == "superseded":
            raise ProcedureError(
                "this version was superseded by a correction; object to the current one",
                message_zh="该版本已被更正，请对现行版本提出异议",
                rule="objection.superseded",
            )
        if rs.open_case_for(conn, KIND, target_kind, target_id) is not None:
            raise Conflict(
                "an objection to this information is already being handled",
                message_zh="该信息已有正在处理的异议",
                rule="objection.open",
            )
        case = rs.Case(
            rs.new_id(KIND),
            KIND,
            target_kind,
            target_id,
            target.subject_id,
            target.unit_code,
            found.value,
            statement.strip(),
            today,
            {"grounds_zh": found.zh, "basis": rules.BASIS},
        )
        rs.insert_case(conn, case, actor)
        saved = rs.save_files(platform.settings.data_dir, attachments)
        due = rules.platform_deadline(rs.calendar(platform), today)
        rs.add_step(
            conn,
            case,
            actor,
            "accept",
            rules.State.PLATFORM_CHECK,
            today,
            due=due,
            reason=f"{found.zh} / {found.value}",
            files=saved,
        )
        result = rs.load_case(conn, case.id)
    rs.notify(
        platform,
        "operators",
        "accepted",
        result,
        "收到异议，请在1个工作日内核查",
        "New objection: check within 1 working day",
    )
    return result


def verify(
    platform: Platform,
    actor: Actor,
    case_id: str,
    *,
    matches_source: bool,
    note: str,
    document_number: str | None = None,
    today: date | None = None,
) -> rs.Case:
    """The platform's check: its copy differs → it corrects itself; else forward to the source unit."""
    require(actor, "objections.verify")
    today = today or platform.today()
    if not note.strip():
        raise InvalidInput(
            "record what was compared", message_zh="请记录核查情况", rule="objection.note_required"
        )
    with platform.store.write() as conn:
        case = _case(conn, case_id, rules.State.PLATFORM_CHECK)
        if matches_source:
            due = rules.source_deadline(rs.calendar(platform), today)
            rs.add_step(
                conn,
                case,
                actor,
                "forward",
                rules.State.SOURCE_REVIEW,
                today,
                due=due,
                reason=note,
                document_number=document_number,
            )
        else:
            rs.add_step(
                conn,
                case,
                actor,
                "self_correct",
                rules.State.DECIDED,
                today,
                reason=note,
                outcome=rules.Outcome.CORRECTED,
                document_number=document_number,
            )
        result = rs.load_case(conn, case_id)
    if matches_source:
        rs.notify(
            platform,
            f"unit:{result.unit_code}",
            "forwarded",
            result,
            "异议转交，请在2个工作日内处理",
            "Objection forwarded: decide within 2 working days",
        )
    else:
        _tell_outcome(platform, result)
    return result


def extend(
    platform: Platform, actor: Actor, case_id: str, reason: str, *, today: date | None = None
) -> rs.Case:
    """Extend the source unit's 2 working days by 3, once, with the head's approval recorded as reason."""
    require(actor, "objections.decide")
    return rs.extend_once(
        platform,
        actor,
        case_id,
        reason,
        today or platform.today(),
        load=lambda conn, cid: _case(conn, cid, rules.State.SOURCE_REVIEW),
        state=rules.State.SOURCE_REVIEW,
        days=rules.EXTENSION_DAYS,
        rule="objection",
        once_zh="处理期限只能延长一次",
    )


def decide(
    platform: Platform,
    actor: Actor,
    case_id: str,
    outcome: str,
    reason: str,
    *,
    document_number: str | None = None,
    attachments: Sequence[rs.Attachment] = (),
    today: date | None = None,
) -> rs.Case:
    """The source unit's decision; the mark is updated with the result and the subject is told."""
    require(actor, "objections.decide")
    today = today or platform.today()
    rs.check_attachments(attachments, ("decision",))
    with platform.store.write() as conn:
        case = rs.load_case(conn, case_id)
        _kind(case)
        rs.own_unit(actor, case)
        if case.state == rules.State.PLATFORM_CHECK:
            raise ProcedureError(
                "the platform has not checked and forwarded this objection yet",
                message_zh="平台尚未核查转交该异议",
                rule="objection.not_forwarded",
            )
        result = rules.check_decision(rules.State(case.state), case.target_kind, outcome, reason)
        if result is rules.Outcome.REMOVED_FROM_LIST:
            removal = targets.removal_reason(targets.REVOKED, reason)  # wrongly listed: decision revoked
            targets.lists(platform).remove(conn, actor, case.target_id, today, removal, document_number)
        saved = rs.save_files(platform.settings.data_dir, attachments)
        rs.add_step(
            conn,
            case,
            actor,
            "decide",
            rules.State.DECIDED,
            today,
            reason=reason,
            outcome=result,
            document_number=document_number,
            files=saved,
        )
        decided = rs.load_case(conn, case_id)
    _tell_outcome(platform, decided)
    return decided


def mark_review(
    platform: Platform,
    actor: Actor,
    record_id: str,
    *,
    active: bool,
    reason: str,
    document_number: str | None = None,
    today: date | None = None,
) -> None:
    """The source unit marks (or unmarks) a record under administrative reconsideration or litigation."""
    require(actor, "remedies.mark_review")
    today = today or platform.today()
    if not reason.strip():
        raise InvalidInput(
            "say which reconsideration or lawsuit",
            message_zh="请说明复议或诉讼情况",
            rule="objection.review_reason",
        )
    with platform.store.write() as conn:
        target = targets.load(conn, platform, "record", record_id)
        if actor.unit != target.unit_code:
            raise rs.not_your_unit()
        rs.add_mark(
            conn,
            actor,
            "record",
            record_id,
            MARK_UNDER_REVIEW,
            active,
            today,
            reason,
            document_number,
            target.subject_id,
        )


def marks_for(conn: Connection, record_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Disclosure facts from the remedies for each record: under_objection, under_review, repaired_on,
    stopped_on (keyword arguments of ``RecordFacts``). Only records with something to say are in the
    result. The check calls it for every profile and record page."""
    return target_marks(conn, "record", record_ids)


def target_marks(conn: Connection, target_kind: str, target_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The same facts for any kind of target; the lists service calls it with ``"list_entry"``."""
    out: dict[str, dict[str, Any]] = {}
    ids = list(target_ids)
    if not ids:
        return out
    for r in rs.remedies_of(conn, target_kind, ids):
        facts = out.setdefault(r.target_id, {})
        if r.source == "mark":
            facts["under_review"] = r.code == MARK_UNDER_REVIEW  # 行政复议或者诉讼中
        elif r.code == KIND and r.state not in rs.CLOSED_STATES:
            facts["under_objection"] = True
        elif r.code == KIND and r.outcome == rules.Outcome.PUBLICITY_STOPPED:
            facts["stopped_on"] = r.on_date
        elif r.code == "repair" and r.state == "approved":
            facts["repaired_on"] = r.on_date
    return {k: v for k, v in out.items() if v}


def get(platform: Platform, actor: Actor, case_id: str) -> rs.Case:
    """One case with its history, for the subject, its deciding unit or the platform's staff."""
    require(actor, "remedies.read")
    with platform.store.read() as conn:
        case = rs.load_case(conn, case_id)
    if actor.role is Role.SUBJECT:
        rs.own(actor, case.subject_id)
    if actor.role is Role.SOURCE_UNIT:
        rs.own_unit(actor, case)
    return case


def open_file(platform: Platform, actor: Actor, case_id: str, sha256: str) -> tuple[rs.StoredFile, Path]:
    """A file of a case (for the subject, the deciding unit and the platform's staff), by its hash."""
    case = get(platform, actor, case_id)
    stored = next((f for f in case.files if f.sha256 == sha256), None)
    path = rs.file_path(platform.settings.data_dir, sha256)
    if stored is None or not path.exists():
        raise NotFound(f"no file {sha256} in case {case_id}", message_zh="没有该材料", rule="remedy.file")
    return stored, path


# ---------------------------------------------------------------------------------------------


def _case(conn: Connection, case_id: str, state: rules.State) -> rs.Case:
    case = rs.load_case(conn, case_id)
    _kind(case)
    if case.state != state:
        raise ProcedureError(
            f"the objection is {case.state}, not {state.value}",
            message_zh="该异议当前不处于此办理环节",
            rule=f"objection.state_{state.value}",
        )
    return case


def _kind(case: rs.Case) -> None:
    if case.kind != KIND:
        raise ProcedureError(
            f"case {case.id} is not an objection", message_zh="该事项不是异议", rule="objection.kind"
        )


def _tell_outcome(platform: Platform, case: rs.Case) -> None:
    outcome = rules.Outcome(case.last.outcome) if case.last.outcome else None
    zh = f"异议处理结果：{outcome.zh if outcome else ''}。如不服，可再次提出异议或依法申请行政复议"
    en = (
        f"Objection decided: {case.last.outcome}. You may object again or seek administrative reconsideration"
    )
    rs.notify(platform, f"subject:{case.subject_id}", "outcome", case, zh, en)
