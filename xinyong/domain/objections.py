"""Objections (异议): grounds, states, outcomes and deadlines. Pure; no I/O.

Shenzhen Social Credit Regulation (《深圳经济特区社会信用条例》) arts. 41-51, credit-rules.md §8:
a subject may object when information is (1) wrong or missing, (2) still public after its period,
(3) wrongly listed or not removed from a list, (4) otherwise unlawful. On acceptance the record is
marked "under objection" at once (art. 50). The platform checks within **1 working day**: if its copy
differs from the source unit's, it corrects itself; otherwise it forwards the objection to the
source unit, which decides within **2 working days**, extendable once by **3** with a recorded
reason (head's approval). The subject is told the outcome and may object again or seek
administrative reconsideration.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from xinyong.domain.workdays import Deadline, WorkCalendar
from xinyong.errors import InvalidInput, ProcedureError

PLATFORM_CHECK_DAYS = 1  # 平台核查：1个工作日
SOURCE_DECISION_DAYS = 2  # 信息提供单位：2个工作日
EXTENSION_DAYS = 3  # 经负责人批准可延长3个工作日
BASIS = "《深圳经济特区社会信用条例》第四十一条至第五十一条"


class Grounds(StrEnum):
    """Why the subject objects (异议事由, Shenzhen regulation art. 41)."""

    WRONG_OR_MISSING = "wrong_or_missing"  # 信息错误或者遗漏
    PERIOD_EXPIRED = "period_expired"  # 超过公示期限仍在公示
    WRONGLY_LISTED = "wrongly_listed"  # 错误列入或者未按规定移出名单
    UNLAWFUL = "unlawful"  # 其他侵犯合法权益的情形

    @property
    def zh(self) -> str:
        return _GROUNDS_ZH[self]


_GROUNDS_ZH = {
    Grounds.WRONG_OR_MISSING: "信息错误或者遗漏",
    Grounds.PERIOD_EXPIRED: "超过公示期限仍在公示",
    Grounds.WRONGLY_LISTED: "错误列入或者未按规定移出名单",
    Grounds.UNLAWFUL: "其他违法情形",
}


class State(StrEnum):
    PLATFORM_CHECK = "platform_check"  # 平台核查中
    SOURCE_REVIEW = "source_review"  # 信息提供单位处理中
    DECIDED = "decided"  # 已办结


class Outcome(StrEnum):
    """How an objection ends (Shenzhen regulation art. 51)."""

    CORRECTED = "corrected"  # 更正
    SUPPLEMENTED = "supplemented"  # 补充
    PUBLICITY_STOPPED = "publicity_stopped"  # 停止公示
    REMOVED_FROM_LIST = "removed_from_list"  # 移出名单
    REJECTED = "rejected"  # 不予支持（说明理由）

    @property
    def zh(self) -> str:
        return _OUTCOME_ZH[self]


_OUTCOME_ZH = {
    Outcome.CORRECTED: "予以更正",
    Outcome.SUPPLEMENTED: "予以补充",
    Outcome.PUBLICITY_STOPPED: "停止公示",
    Outcome.REMOVED_FROM_LIST: "移出名单",
    Outcome.REJECTED: "不予支持",
}

TARGET_KINDS = ("record", "list_entry")


@dataclass(frozen=True)
class Filing:
    """What the subject submits."""

    target_kind: str
    target_id: str
    grounds: str
    statement: str


def check_filing(filing: Filing) -> Grounds:
    """The grounds of a complete filing; raises InvalidInput naming every missing or wrong part."""
    problems = []
    if filing.target_kind not in TARGET_KINDS:
        problems.append(
            (
                "objection.target_kind",
                f"target kind must be one of {', '.join(TARGET_KINDS)}",
                "异议对象类型无效",
                "target_kind",
            )
        )
    if filing.grounds not in {g.value for g in Grounds}:
        problems.append(
            (
                "objection.grounds",
                f"grounds must be one of {', '.join(g.value for g in Grounds)}",
                "请选择异议事由",
                "grounds",
            )
        )
    elif filing.grounds == Grounds.WRONGLY_LISTED and filing.target_kind != "list_entry":
        problems.append(
            (
                "objection.grounds_target",
                "'wrongly_listed' applies to list entries only",
                "“错误列入名单”仅适用于名单信息",
                "grounds",
            )
        )
    if not filing.statement.strip():
        problems.append(
            (
                "objection.statement",
                "state the facts and reasons of the objection",
                "请说明异议的事实和理由",
                "statement",
            )
        )
    if problems:
        raise _invalid(problems)
    return Grounds(filing.grounds)


def _invalid(problems: list[tuple[str, str, str, str]]) -> InvalidInput:
    from xinyong.errors import Problem

    return InvalidInput(
        "; ".join(p[1] for p in problems),
        message_zh="；".join(p[2] for p in problems),
        rule=problems[0][0],
        problems=[Problem(rule, msg, {"field": where}, zh) for rule, msg, zh, where in problems],
    )


def platform_deadline(cal: WorkCalendar, accepted_on: date) -> Deadline:
    return cal.add_working_days(accepted_on, PLATFORM_CHECK_DAYS)


def source_deadline(cal: WorkCalendar, forwarded_on: date) -> Deadline:
    return cal.add_working_days(forwarded_on, SOURCE_DECISION_DAYS)


def extended_deadline(cal: WorkCalendar, due: date) -> Deadline:
    return cal.add_working_days(due, EXTENSION_DAYS)


def outcomes_for(target_kind: str) -> tuple[Outcome, ...]:
    """Outcomes that make sense for a target: removal from a list only for list entries."""
    if target_kind == "list_entry":
        return tuple(Outcome)
    return tuple(o for o in Outcome if o is not Outcome.REMOVED_FROM_LIST)


def check_decision(state: State, target_kind: str, outcome: str, reason: str) -> Outcome:
    """The decided outcome, if the case may be decided now with this outcome and reason."""
    if state is State.DECIDED:
        raise ProcedureError(
            "the objection is already decided; object again to reopen it",
            message_zh="该异议已办结，如有新的异议请重新提出",
            rule="objection.decided",
        )
    allowed = outcomes_for(target_kind)
    if outcome not in {o.value for o in allowed}:
        raise InvalidInput(
            f"outcome must be one of {', '.join(o.value for o in allowed)}",
            message_zh="处理结果无效",
            rule="objection.outcome",
        )
    if not reason.strip():
        raise InvalidInput(
            "a decision states its reasons", message_zh="处理决定须说明理由", rule="objection.reason_required"
        )
    return Outcome(outcome)


def ends_publicity(outcome: Outcome) -> bool:
    """Outcomes that take the information out of publication (the record or entry stops showing)."""
    return outcome in (Outcome.PUBLICITY_STOPPED, Outcome.REMOVED_FROM_LIST)
