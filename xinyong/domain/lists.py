"""Due process of a list entry (名单列入程序) as a pure state machine.

    proposed ──notify──▶ notified ──decide──▶ decided ──publish──▶ published ──remove──▶ removed
        │                  │  ▲ record_statement                      │  ▲ extend
        └──decide (lists without advance notice, e.g. the court list)  └──┘
    proposed / notified ──withdraw──▶ withdrawn (不予列入)

Every step is checked here and nowhere else: who may decide (the list type's deciding domains), on
which ground (the list type's criteria), on which legally effective document, for which subject
(never a minor on lists that exclude them), and when (the statement-and-defence window, the earliest
early removal). Nothing here touches a database; :mod:`xinyong.services.lists` persists the result.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from xinyong.catalog.lists import PERIOD_ENDED, ListType
from xinyong.catalog.model import Duration
from xinyong.domain.enums import SubjectKind
from xinyong.errors import InvalidInput, NotPermitted, Problem, ProcedureError


class ListState(StrEnum):
    PROPOSED = "proposed"  # 拟列入
    NOTIFIED = "notified"  # 已告知（陈述申辩期）
    DECIDED = "decided"  # 已作出列入决定
    PUBLISHED = "published"  # 已公示（惩戒措施生效）
    REMOVED = "removed"  # 已移出
    WITHDRAWN = "withdrawn"  # 不予列入

    @property
    def zh(self) -> str:
        return _STATE_ZH[self]


_STATE_ZH = {
    ListState.PROPOSED: "拟列入",
    ListState.NOTIFIED: "已告知",
    ListState.DECIDED: "已决定",
    ListState.PUBLISHED: "公示中",
    ListState.REMOVED: "已移出",
    ListState.WITHDRAWN: "不予列入",
}

# action → (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[ListState], ListState]] = {
    "notify": (frozenset({ListState.PROPOSED}), ListState.NOTIFIED),
    "record_statement": (frozenset({ListState.NOTIFIED}), ListState.NOTIFIED),
    "decide": (frozenset({ListState.PROPOSED, ListState.NOTIFIED}), ListState.DECIDED),
    "publish": (frozenset({ListState.DECIDED}), ListState.PUBLISHED),
    "extend": (frozenset({ListState.PUBLISHED}), ListState.PUBLISHED),
    "remove": (frozenset({ListState.DECIDED, ListState.PUBLISHED}), ListState.REMOVED),
    "withdraw": (frozenset({ListState.PROPOSED, ListState.NOTIFIED}), ListState.WITHDRAWN),
}


@dataclass(frozen=True)
class Entry:
    """A list entry as the domain sees it (the service maps table rows to this)."""

    id: str
    list_type: str
    subject_id: str | None
    id_value: str
    subject_kind: SubjectKind
    unit_code: str
    ground: str
    state: ListState
    basis_document: str
    facts: str
    decision_document: str | None = None
    notified_on: date | None = None
    defence_until: date | None = None
    statements: int = 0
    decided_on: date | None = None
    starts_on: date | None = None
    ends_on: date | None = None  # last day in force (inclusive); None = no fixed period
    extensions: int = 0
    removed_on: date | None = None
    removal_reason: str | None = None

    def in_force(self, today: date) -> bool:
        """Published and inside its period today: the only state in which measures apply."""
        return in_force(self.state, self.starts_on, self.ends_on, today)


def in_force(state: ListState, starts_on: date | None, ends_on: date | None, today: date) -> bool:
    """Whether an entry in ``state`` with this period is in force on ``today``."""
    return (
        state is ListState.PUBLISHED
        and starts_on is not None
        and starts_on <= today
        and (ends_on is None or today <= ends_on)
    )


def _procedure(rule: str, message: str, message_zh: str) -> ProcedureError:
    return ProcedureError(message, message_zh=message_zh, rule=rule)


def require_transition(entry: Entry, action: str) -> ListState:
    """The state ``action`` leads to, or a ProcedureError naming the state and the allowed steps."""
    sources, target = TRANSITIONS[action]
    if entry.state not in sources:
        allowed = sorted(a for a, (s, _) in TRANSITIONS.items() if entry.state in s)
        raise _procedure(
            f"lists.transition.{action}",
            f"entry {entry.id} is {entry.state.value}: {action!r} is not allowed "
            f"(allowed: {', '.join(allowed) or 'none'})",
            f"名单条目当前状态为“{entry.state.zh}”，不能执行该操作",
        )
    return target


def proposal_problems(
    lt: ListType,
    *,
    unit_domain: str,
    subject_kind: SubjectKind,
    ground: str,
    basis_document: str,
    facts: str,
    age: int | None,
) -> list[Problem]:
    """Every reason a proposal is refused (all reported at once)."""
    where = {"list_type": lt.code}
    out: list[Problem] = []
    if unit_domain not in lt.deciding_domains:
        out.append(
            Problem(
                "lists.unit_without_power",
                f"a {unit_domain} unit has no power to list on {lt.code} (deciding: "
                f"{', '.join(sorted(lt.deciding_domains))})",
                {**where, "field": "unit"},
                "该单位无权作出此类名单列入决定",
            )
        )
    if ground not in lt.grounds:
        out.append(
            Problem(
                "lists.outside_criteria",
                f"{ground!r} is not an inclusion ground of {lt.code}: {', '.join(lt.grounds)}",
                {**where, "field": "ground"},
                "不符合该名单的列入情形",
                ground,
            )
        )
    if subject_kind not in lt.subject_kinds:
        out.append(
            Problem(
                "lists.subject_kind",
                f"a {subject_kind.value} cannot be put on {lt.code}",
                {**where, "field": "subject"},
                f"{subject_kind.zh}不能列入该名单",
            )
        )
    if not basis_document.strip():
        out.append(
            Problem(
                "lists.no_effective_document",
                "a listing must rest on a legally effective document (生效法律文书): give its number",
                {**where, "field": "basis_document"},
                "列入须以生效法律文书或行政决定为依据",
            )
        )
    if not facts.strip():
        out.append(
            Problem(
                "lists.no_facts",
                "state the facts of the listing",
                {**where, "field": "facts"},
                "须写明列入事实",
            )
        )
    if lt.excludes_minors and age is not None and age < 18:
        out.append(
            Problem(
                "lists.minor",
                f"a minor (age {age}) may not be put on {lt.code}",
                {**where, "field": "subject"},
                "不得将未成年人纳入该名单",
            )
        )
    return out


def refuse_if(problems: list[Problem], what: str) -> None:
    if not problems:
        return
    first = problems[0]
    cls = NotPermitted if first.rule == "lists.unit_without_power" and len(problems) == 1 else InvalidInput
    raise cls(
        f"{what} refused: {first.message}"
        + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""),
        message_zh=first.message_zh,
        problems=problems,
        rule=first.rule,
    )


def check_decision(
    entry: Entry, lt: ListType, *, decision_document: str, on: date, statements_considered: str
) -> None:
    """A decision needs its document number, the defence window over (or used), statements considered."""
    require_transition(entry, "decide")
    if not decision_document.strip():
        raise InvalidInput(
            "a listing decision needs the number of the written decision (决定书文号)",
            message_zh="列入决定须有书面决定书文号",
            rule="lists.no_decision_document",
        )
    if lt.notice_required and entry.state is not ListState.NOTIFIED:
        raise _procedure(
            "lists.notice_required",
            f"{lt.code} requires advance notice (告知) with a statement-and-defence window before deciding",
            "作出列入决定前须告知当事人并给予陈述申辩机会",
        )
    if entry.defence_until and on <= entry.defence_until and entry.statements == 0:
        raise _procedure(
            "lists.defence_window_open",
            f"the statement-and-defence window runs until {entry.defence_until.isoformat()}",
            f"陈述申辩期至 {entry.defence_until.isoformat()} 届满",
        )
    if entry.statements and not statements_considered.strip():
        raise InvalidInput(
            "the subject made statements: the decision must record how they were considered",
            message_zh="当事人已陈述申辩，决定须载明采纳情况",
            rule="lists.statements_not_considered",
        )


def person_problems(
    subject_kind: SubjectKind, persons: list[tuple[str, str, str]], roles: tuple[str, ...]
) -> list[Problem]:
    """Named persons (role, resident ID, name) may be recorded only for units, in known roles."""
    out: list[Problem] = []
    if persons and subject_kind is SubjectKind.INDIVIDUAL:
        out.append(
            Problem(
                "lists.persons_of_individual",
                "only a unit's listing names bound persons",
                {"field": "named_persons"},
                "仅单位被列入时可载明受约束的人员",
            )
        )
    for role, _, _ in persons:
        if role not in roles:
            out.append(
                Problem(
                    "lists.person_role",
                    f"{role!r} is not one of {', '.join(roles)}",
                    {"field": "named_persons"},
                    "人员身份不在法定范围内",
                    role,
                )
            )
    return out


def period_end(lt: ListType, ground: str, starts_on: date) -> date | None:
    """Last day of the listing (inclusive), or None for grounds with no fixed period."""
    period = lt.grounds[ground].period
    return None if period is None else period.after(starts_on)


def extend(entry: Entry, lt: ListType, by: Duration, document: str) -> Entry:
    """The entry extended by ``by`` (within the list type's extension range and count)."""
    require_transition(entry, "extend")
    ext, ground = lt.extension, lt.grounds[entry.ground]
    if ext is None or not ground.extendable or entry.ends_on is None:
        raise _procedure(
            "lists.not_extendable",
            f"{lt.code} entries on ground {entry.ground} cannot be extended",
            "该名单条目不得延长",
        )
    if not document.strip():
        raise InvalidInput(
            "an extension needs a decision document",
            message_zh="延长须有决定书",
            rule="lists.no_decision_document",
        )
    if entry.extensions >= ext.times:
        raise _procedure(
            "lists.extension_limit", f"already extended {entry.extensions} time(s)", "已达延长次数上限"
        )
    if not (ext.min.months, ext.min.days) <= (by.months, by.days) <= (ext.max.months, ext.max.days):
        raise InvalidInput(
            f"an extension is between {ext.min} and {ext.max}, not {by}",
            message_zh=f"延长期限须在 {ext.min} 至 {ext.max} 之间",
            rule="lists.extension_range",
        )
    return replace(entry, ends_on=by.after(entry.ends_on), extensions=entry.extensions + 1)


def check_removal(entry: Entry, lt: ListType, reason: str, on: date) -> None:
    """A removal needs a condition of the list type; early removal only after the minimum period."""
    require_transition(entry, "remove")
    if reason not in lt.removal_conditions:
        raise InvalidInput(
            f"{reason!r} is not a removal condition of {lt.code}: {', '.join(lt.removal_conditions)}",
            message_zh="不符合该名单的移出条件",
            rule="lists.removal_condition",
        )
    if reason == PERIOD_ENDED and (entry.ends_on is None or on <= entry.ends_on):
        raise _procedure("lists.period_not_ended", "the listing period has not ended", "公示期限尚未届满")
    early = reason == "repaired" and entry.starts_on is not None
    if early and entry.starts_on is not None and on < lt.early_removal_after.after(entry.starts_on):
        raise _procedure(
            "lists.early_removal_too_soon",
            f"early removal may be applied for only after {lt.early_removal_after.describe()} on the list",
            "未满提前移出申请期限",
        )
