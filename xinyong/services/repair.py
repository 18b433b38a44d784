"""Credit repair (信用修复) as use cases: eligibility, application, decision.

One window (一口受理): the subject applies here; a complete application is accepted on the spot and
forwarded at once to the unit that reported the information (谁认定、谁修复). The platform replies
within 10 working days of the application; the unit decides within 3 working days of receipt
(Shenzhen art. 82: +3 with the head's approval, once). Repair is free. On approval publicity ends and
sharing stops (from the decision day, through :func:`xinyong.services.objections.marks_for`), list
entries are removed and their measures end (lists service), and a ``repair:publish`` event is
appended for other platforms and credit agencies to follow. The record itself is kept: repair changes
the information's state, not the fact of the conduct.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, replace
from datetime import date

from sqlalchemy import Connection, select

from xinyong.domain import repair as rules
from xinyong.domain.actor import Actor
from xinyong.domain.permissions import require
from xinyong.domain.workdays import Deadline
from xinyong.errors import Conflict, InvalidInput, Problem, ProcedureError
from xinyong.services import events, list_remedies
from xinyong.services import remedy_store as rs
from xinyong.services import remedy_targets as targets
from xinyong.services.platform import Platform
from xinyong.store.tables import events as events_table

KIND = "repair"
SUBMITTED, FORWARDED, APPROVED, REJECTED = "submitted", "forwarded", "approved", "rejected"


def eligibility(
    platform: Platform,
    actor: Actor,
    target_kind: str,
    target_id: str,
    *,
    today: date | None = None,
    obligations_fulfilled: bool | None = None,
    bankruptcy_abuse_on: date | None = None,
) -> tuple[targets.Target, rules.Eligibility]:
    """Whether the subject may apply today, under the rules in force today, and why (before any form)."""
    require(actor, "repair.assess")
    today = today or platform.today()
    with platform.store.read() as conn:
        target = targets.load(conn, platform, target_kind, target_id)
        rs.own(actor, target.subject_id)
        facts = _facts(conn, target, obligations_fulfilled, bankruptcy_abuse_on)
    return target, _assess(platform, target, facts, today)


def _assess(
    platform: Platform, target: targets.Target, facts: rules.RepairFacts, today: date
) -> rules.Eligibility:
    """The repair rules, then (for a list entry) its list type's own rules, which prevail."""
    result = rules.assess(facts, today, platform.catalog)
    extra, earliest = list_remedies.repair_checks(platform.catalog, target, today)
    if not extra:
        return result
    checks = result.checks + extra
    first = max(result.earliest, earliest) if result.earliest and earliest else None
    return replace(result, eligible=all(c.ok for c in checks), earliest=first, checks=checks)


def _facts(
    conn: Connection, target: targets.Target, fulfilled: bool | None, abuse: date | None
) -> rules.RepairFacts:
    existing = rs.load_cases(conn, target_ids=[target.id])
    repaired = next((c.last.on_date for c in existing if c.kind == KIND and c.state == APPROVED), None)
    return rules.RepairFacts(
        family=target.family,
        tier=target.tier,
        decision_date=target.decision_date,
        tags=target.tags,
        penalty_categories=target.penalty_categories,
        restriction_period=target.restriction_period,
        status=target.status,
        repaired_on=repaired,
        open_case=any(c.kind == KIND and c.open for c in existing),
        bankruptcy_abuse_on=abuse,
        listed=targets.listed(conn, target.subject_id),
        repeated_on=targets.later_same_kind(conn, target),
        obligations_fulfilled=fulfilled,
    )


def check_materials(attachments: Sequence[rs.Attachment]) -> None:
    """Only proof of fulfilment and a credit commitment letter, both required (one-time notice)."""
    rs.check_attachments(attachments, rules.MATERIALS)
    given = {a.role for a in attachments}
    missing = [m for m in rules.MATERIALS if m not in given]
    if missing:
        names = {
            "proof": ("履行法定义务的证明材料", "proof of fulfilment of the legal obligations"),
            "commitment": ("信用承诺书", "credit commitment letter"),
        }
        raise InvalidInput(
            "the application lacks: " + ", ".join(names[m][1] for m in missing),
            message_zh="申请材料不齐全，请一次性补正：" + "、".join(names[m][0] for m in missing),
            rule="repair.materials_missing",
            problems=[
                Problem("repair.materials_missing", names[m][1], {"material": m}, names[m][0])
                for m in missing
            ],
        )


def apply(
    platform: Platform,
    actor: Actor,
    target_kind: str,
    target_id: str,
    attachments: Sequence[rs.Attachment],
    *,
    statement: str = "",
    today: date | None = None,
    bankruptcy_abuse_on: date | None = None,
) -> rs.Case:
    """Accept a complete, eligible application on the spot and forward it to the deciding unit."""
    require(actor, "repair.apply")
    today = today or platform.today()
    check_materials(attachments)
    cal = rs.calendar(platform)
    with platform.store.write() as conn:
        target = targets.load(conn, platform, target_kind, target_id)
        rs.own(actor, target.subject_id)
        result = _assess(platform, target, _facts(conn, target, True, bankruptcy_abuse_on), today)
        if not result.eligible:
            if any(c.code == "case_open" for c in result.failed):
                raise Conflict(
                    "a repair application is already being handled",
                    message_zh="已有修复申请正在办理",
                    rule="repair.case_open",
                )
            raise ProcedureError(
                "not eligible for repair: " + "; ".join(c.en for c in result.failed),
                message_zh="不符合信用修复条件：" + "；".join(c.zh for c in result.failed),
                rule=f"repair.{result.failed[0].code}",
                problems=[
                    Problem(f"repair.{c.code}", c.en, {"target": target_id}, c.zh) for c in result.failed
                ],
            )
        assert result.regime is not None
        case = rs.Case(
            rs.new_id(KIND),
            KIND,
            target_kind,
            target_id,
            target.subject_id,
            target.unit_code,
            result.regime.code,
            statement.strip(),
            today,
            _detail(result),
        )
        rs.insert_case(conn, case, actor)
        saved = rs.save_files(platform.settings.data_dir, attachments)
        reply = cal.add_working_days(today, rules.REPLY_DAYS)
        rs.add_step(
            conn,
            case,
            actor,
            "apply",
            SUBMITTED,
            today,
            due=reply,
            reason="申请信用修复（免费）/ repair applied for (free)",
            files=saved,
        )
        decide_by = _earlier(cal.add_working_days(today, rules.DECIDE_DAYS), reply)
        rs.add_step(
            conn,
            case,
            Actor.system("one-window"),
            "forward",
            FORWARDED,
            today,
            due=decide_by,
            reason=f"转交认定单位 {target.unit_code} / forwarded to the deciding unit",
        )
        out = rs.load_case(conn, case.id)
    rs.notify(
        platform,
        f"unit:{out.unit_code}",
        "forwarded",
        out,
        "收到信用修复申请，请在3个工作日内决定",
        "Repair application: decide within 3 working days",
    )
    return out


def _earlier(a: Deadline, b: Deadline) -> Deadline:
    if a.due is None or b.due is None:
        return a if a.due is None else b
    return a if a.due <= b.due else b


def _detail(result: rules.Eligibility) -> dict[str, object]:
    window = result.window
    return {
        "regime": result.regime.name_zh if result.regime else "",
        "earliest": result.earliest.isoformat() if result.earliest else None,
        "window": window.basis if window else "",
        "checks": [asdict(c) for c in result.checks],
    }


def extend(
    platform: Platform, actor: Actor, case_id: str, reason: str, *, today: date | None = None
) -> rs.Case:
    """Shenzhen art. 82: +3 working days with the head's approval, once, reason recorded."""
    require(actor, "repair.decide")
    return rs.extend_once(
        platform,
        actor,
        case_id,
        reason,
        today or platform.today(),
        load=_forwarded,
        state=FORWARDED,
        days=rules.EXTENSION_DAYS,
        rule="repair",
        once_zh="办理期限只能延长一次",
    )


def decide(
    platform: Platform,
    actor: Actor,
    case_id: str,
    *,
    approve: bool,
    reason: str = "",
    document_number: str | None = None,
    today: date | None = None,
) -> rs.Case:
    """The deciding unit approves (publicity ends, sharing stops, list entry removed) or rejects (reasons)."""
    require(actor, "repair.decide")
    today = today or platform.today()
    if not approve and not reason.strip():
        raise InvalidInput(
            "a rejection states its reasons", message_zh="不予修复须说明理由", rule="repair.reason_required"
        )
    with platform.store.write() as conn:
        case = _forwarded(conn, case_id)
        rs.own_unit(actor, case)
        if approve:
            reason = reason.strip() or "准予信用修复：终止公示、停止共享 / repair approved"
            if case.target_kind == "list_entry":
                removal = targets.removal_reason(targets.REPAIRED, reason)  # early removal on repair
                targets.lists(platform).remove(conn, actor, case.target_id, today, removal, document_number)
        state = APPROVED if approve else REJECTED
        rs.add_step(
            conn,
            case,
            actor,
            "approve" if approve else "reject",
            state,
            today,
            reason=reason,
            outcome=state,
            document_number=document_number,
        )
        if approve:
            _publish(conn, actor, case, today)
        out = rs.load_case(conn, case_id)
    zh = "信用修复申请已通过：终止公示、停止共享" if approve else f"信用修复申请未通过：{reason}"
    en = "Repair approved: publicity ended, sharing stopped" if approve else f"Repair rejected: {reason}"
    rs.notify(platform, f"subject:{out.subject_id}", "outcome", out, zh, en)
    return out


def _publish(conn: Connection, actor: Actor, case: rs.Case, on: date) -> None:
    """The repair event other platforms and credit agencies follow (Order 36: 终止公示, 停止共享和使用)."""
    events.append(
        conn,
        actor,
        "repair:publish",
        case.target_kind,
        case.target_id,
        {
            "case": case.id,
            "repaired_on": on.isoformat(),
            "terminate_publicity": True,
            "stop_sharing": True,
            "end_measures": True,
            "regime": case.basis,
        },
        subject_id=case.subject_id,
    )


def published(platform: Platform, since: int = 0, limit: int = 500) -> list[dict[str, object]]:
    """The repair events after sequence number ``since``, oldest first: the feed other platforms and
    credit agencies follow to end publicity and sharing on their side (Order 36). Public: it names
    the information (target kind and id) and the day, nothing personal."""
    query = (
        select(
            events_table.c.seq, events_table.c.object_type, events_table.c.object_id, events_table.c.payload
        )
        .where(events_table.c.action == "repair:publish", events_table.c.seq > since)
        .order_by(events_table.c.seq)
        .limit(max(1, min(limit, 1000)))
    )
    with platform.store.read() as conn:
        rows = conn.execute(query).all()
    return [
        {
            "seq": r.seq,
            "target_kind": r.object_type,
            "target_id": r.object_id,
            "repaired_on": r.payload["repaired_on"],
            "terminate_publicity": True,
            "stop_sharing": True,
        }
        for r in rows
    ]


def _forwarded(conn: Connection, case_id: str) -> rs.Case:
    case = rs.load_case(conn, case_id)
    if case.kind != KIND:
        raise ProcedureError(
            f"case {case_id} is not a repair application",
            message_zh="该事项不是信用修复申请",
            rule="repair.kind",
        )
    if case.state != FORWARDED:
        raise ProcedureError(
            f"the application is {case.state}; it cannot be decided now",
            message_zh="该申请当前不能作出决定",
            rule="repair.state",
        )
    return case
