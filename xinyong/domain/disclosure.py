"""Who may see a stored record, for which purpose, on which day, and why (信息公开与共享的判定).

:func:`decide` takes the facts of one stored record, one viewer and one day and says whether the
record is ``shown``, shown ``masked`` (de-identified) or ``hidden``, with a stable reason code and a
Chinese and English explanation. :func:`mask_fields` and :func:`visible_fields` de-identify the
record's fields for public views. Pure functions: no I/O, no framework; docs/disclosure.md has the
table of reason codes, who sees what and the legal basis of each rule.

Two layers decide:

1. the record's **state** on the day (same for every viewer): superseded, revoked (Administrative
   Penalty Law art. 48), repaired (NDRC Order 36: publicity terminated, sharing stopped), or its
   publicity window from the catalog rule set in force on the decision date (not published, not yet
   published, within the period, period ended, no rule set);
2. the viewer's **access path** beyond the public view: the subject itself (always, except superseded
   versions), the platform operator/auditor/system, the supplying unit, another government unit under
   the item's sharing scope, or a relying party holding the subject's authorization. Every path except
   the subject's needs a declared purpose; without one the viewer gets the public view, and if that is
   hidden, reason ``purpose_required``.

The public view of a natural person's record is ``masked`` (Shenzhen Social Credit Regulation art. 38
¶2); that of an organisation is ``shown`` with identity-document numbers (e.g. the legal
representative's) masked. ``Decision.public_view`` tells :func:`visible_fields` which of the two applies.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import Any, Literal

from xinyong.catalog.model import Catalog, CatalogItem, Duration, FieldDef, FieldSchema, FieldType, RuleSet
from xinyong.domain.actor import Actor
from xinyong.domain.enums import Disclosure, Purpose, Role, SharingScope, SubjectKind, Tier
from xinyong.domain.publicity import NoRuleSetInForce, PublicityWindow, publicity_window, ruleset_in_force
from xinyong.ids import mask_document_number, mask_person_name, mask_resident_id

__all__ = [
    "MARK_UNDER_OBJECTION",
    "MARK_UNDER_REVIEW",
    "REASONS",
    "Decision",
    "RecordFacts",
    "RecordStatus",
    "Viewer",
    "Visibility",
    "decide",
    "mask_fields",
    "visible_fields",
]

RecordStatus = Literal["current", "superseded", "revoked"]

MARK_UNDER_OBJECTION = "under_objection"  # 异议处理中 (Shenzhen regulation art. 50)
MARK_UNDER_REVIEW = "under_review"  # 行政复议或者行政诉讼中 (Shenzhen regulation art. 43)


class Visibility(StrEnum):
    SHOWN = "shown"  # the record as the viewer may see it
    MASKED = "masked"  # de-identified (a natural person's record in a public view)
    HIDDEN = "hidden"


#: Every reason code with its Chinese and English base text (details such as dates are appended).
REASONS: Mapping[str, tuple[str, str]] = {
    # the record's state
    "superseded": (
        "该版本已被更正后的版本取代，仅作历史保存",
        "superseded by a corrected version; kept as history",
    ),
    "revoked": (
        "该决定已被依法变更、撤销或者确认违法、无效，已撤回公示",
        "the decision was changed, revoked or declared illegal or void; publication withdrawn",
    ),
    "repaired": (
        "已信用修复，终止公示并停止共享",
        "credit repaired: publicity terminated and sharing stopped",
    ),
    "decision_date_missing": (
        "缺少决定日期，无法计算公示期限，不予公示",
        "no decision date, so no publicity period can be computed; not published",
    ),
    "no_rule_set": (
        "决定日期没有适用的公示期限规则，不予公示",
        "no publicity rule set covers the decision; not published",
    ),
    "not_published": ("依公示规则不予公示", "not published under the publication rules"),
    "not_yet_published": ("尚未到公示日期", "not yet published"),
    "publicity_ended": ("公示期限已届满，停止公示", "the publicity period has ended; no longer published"),
    "publicity_stopped": ("经异议处理，已停止公示", "publicity stopped on an objection"),
    "within_publicity": ("在公示期限内", "within the publicity period"),
    "no_fixed_end": ("公示至移出或者解除之日", "published until removed or lifted (no fixed end)"),
    "no_publicity_period": (
        "不适用公示期限，有效期间公开",
        "no publicity period applies; published while current",
    ),
    # the item's disclosure attribute and the viewer's access
    "not_public": ("非公开信息，不向社会公开", "not-public information: never disclosed to the public"),
    "authorization_required": (
        "依申请公开信息，须取得信用主体授权",
        "disclosed on request: needs the subject's authorization",
    ),
    "purpose_required": ("非公开查询须说明查询用途", "a non-public read needs a declared purpose"),
    "sharing_not_permitted": ("该信息不予共享", "this information is not shared (sharing scope: none)"),
    "administration_purpose_required": (
        "有条件共享信息仅限行政管理用途",
        "conditionally shared information is only for the administration purpose",
    ),
    "own_unit": ("本单位报送的信息", "supplied by your unit"),
    "government_sharing": ("政务信息共享", "government information sharing"),
    "authorized_query": ("经信用主体授权查询", "query authorized by the subject"),
    "platform_operator": ("平台运营、审计", "platform operation or audit"),
}

_PLATFORM = frozenset({Role.OPERATOR, Role.AUDITOR, Role.SYSTEM})
_SEPARATORS = re.compile(r"([、，,；;/\s]+)")
_RESIDENT_ID_TYPES = frozenset({"", "001", "006", "身份证", "居民身份证", "港澳台居民居住证"})


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is looking, for which purpose."""

    role: Role = Role.PUBLIC
    unit: str = ""  # code of the viewer's source unit or relying party
    is_subject: bool = False  # the record's subject or its authorized agent
    authorized: bool = False  # holds a current authorization of the subject covering ``purpose``
    purpose: Purpose | None = None

    @classmethod
    def public(cls) -> Viewer:
        return cls()

    @classmethod
    def of(cls, actor: Actor, *, is_subject: bool = False, authorized: bool = False) -> Viewer:
        return cls(actor.role, actor.unit, is_subject, authorized, actor.purpose)


@dataclass(frozen=True, slots=True)
class RecordFacts:
    """What :func:`decide` needs to know about one stored record."""

    item: CatalogItem
    subject_kind: SubjectKind
    decision_date: date | None
    tier: Tier | None = None  # classified per record; None = the item's default tier
    unit: str = ""  # code of the supplying unit
    tags: tuple[str, ...] = ()  # record-level tags (e.g. the sector: fire_safety), added to the item's
    penalty_categories: tuple[str, ...] = ()  # penalty_category codes
    restriction_period: Duration | None = None  # length of a production or practice ban
    status: RecordStatus = "current"
    revoked_on: date | None = None
    repaired_on: date | None = None  # credit repair approved: publicity terminated, sharing stopped
    stopped_on: date | None = None  # publicity stopped on an objection's outcome (异议处理：停止公示)
    under_objection: bool = False
    under_review: bool = False
    published_on: date | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """What one viewer may see of one record on one day, and why."""

    visibility: Visibility
    reason: str  # a key of REASONS
    reason_zh: str
    reason_en: str
    public_visibility: Visibility  # what the public gets (for the subject: do others see it?)
    public_reason: str  # the reason the public gets (for the subject: why others do not see it)
    public_view: bool  # the viewer gets the public view: de-identify with visible_fields()
    window: PublicityWindow | None = None
    marks: tuple[str, ...] = ()
    counts_for_owner: bool = True  # listed (and counted) in the subject's own file

    @property
    def visible(self) -> bool:
        return self.visibility is not Visibility.HIDDEN


@dataclass(frozen=True, slots=True)
class _State:
    """The record's state on the day, the same for every viewer."""

    code: str
    zh: str  # details appended to the base text
    en: str
    window: PublicityWindow | None
    open: bool  # published today (before the disclosure attribute is applied)
    shared: bool  # still shared with government units


def decide(
    facts: RecordFacts, viewer: Viewer, today: date, rulesets: Catalog | Iterable[RuleSet]
) -> Decision:
    """Whether ``viewer`` may see the record on ``today``: shown, masked or hidden, and why."""
    state = _state(facts, today, rulesets)
    public_vis, public_code = _public(facts, state)

    def make(vis: Visibility, code: str, text: tuple[str, str], public_view: bool = False) -> Decision:
        marks = _marks(facts) if vis is not Visibility.HIDDEN else ()
        counts = facts.status != "superseded"
        return Decision(vis, code, *text, public_vis, public_code, public_view, state.window, marks, counts)

    if viewer.is_subject:
        vis = Visibility.HIDDEN if facts.status == "superseded" else Visibility.SHOWN
        return make(vis, public_code, _subject_text(public_code, state, facts))
    path, granted = _path(facts, viewer, state)
    if granted and viewer.purpose is not None:
        return make(Visibility.SHOWN, path, _path_text(path, viewer, facts, public_code, state))
    if public_vis is not Visibility.HIDDEN:
        return make(public_vis, public_code, _public_text(public_code, state, public_vis), public_view=True)
    code = "purpose_required" if granted else (path or public_code)
    return make(Visibility.HIDDEN, code, _public_text(code, state, public_vis))


def _marks(facts: RecordFacts) -> tuple[str, ...]:
    flags = ((facts.under_objection, MARK_UNDER_OBJECTION), (facts.under_review, MARK_UNDER_REVIEW))
    return tuple(mark for on, mark in flags if on)


# ---------------------------------------------------------------------------------------------
# The record's state


def _state(facts: RecordFacts, today: date, rulesets: Catalog | Iterable[RuleSet]) -> _State:
    base = _window_state(facts, today, rulesets)
    window = base.window
    if facts.status == "superseded":
        return _State("superseded", "", "", window, open=False, shared=False)
    revoked = facts.status == "revoked" or facts.revoked_on is not None
    if revoked and (facts.revoked_on is None or facts.revoked_on <= today):
        zh, en = (f"（{facts.revoked_on}）", f" ({facts.revoked_on})") if facts.revoked_on else ("", "")
        return _State("revoked", zh, en, window, open=False, shared=False)
    if facts.repaired_on is not None and facts.repaired_on <= today:
        day = facts.repaired_on.isoformat()
        return _State("repaired", f"（{day}起）", f" (from {day})", window, open=False, shared=False)
    if facts.stopped_on is not None and facts.stopped_on <= today:
        day = facts.stopped_on.isoformat()
        return _State("publicity_stopped", f"（{day}起）", f" (from {day})", window, open=False, shared=True)
    return base


def _window_state(facts: RecordFacts, today: date, rulesets: Catalog | Iterable[RuleSet]) -> _State:
    if facts.item.publicity is None:
        early = _not_yet(facts, today, None)
        return early or _State("no_publicity_period", "", "", None, open=True, shared=True)
    if facts.decision_date is None:
        return _State("decision_date_missing", "", "", None, open=False, shared=True)
    window = _window(facts, facts.item.publicity, facts.decision_date, rulesets)
    if isinstance(window, str):
        day = facts.decision_date.isoformat()
        zh, en = f"（决定日期 {day}）", f" ({window})"
        return _State("no_rule_set", zh, en, None, open=False, shared=True)
    return _dated_state(facts, today, _as_published(window, facts))


_WINDOWS: dict[tuple[Any, ...], tuple[object, PublicityWindow | str]] = {}
_WINDOWS_MAX = 1 << 16


def _window(
    facts: RecordFacts, family: str, decision_date: date, rulesets: Catalog | Iterable[RuleSet]
) -> PublicityWindow | str:
    """The record's publicity window, or why there is none; memoised for immutable rule-set collections.

    A record's window does not change from day to day or viewer to viewer. The memo is keyed on the
    identity of the tuple (or catalog) of rule sets, whose hash would cost more than the lookup saves;
    each entry keeps that object alive, so its id cannot be reused while the entry exists.
    """
    tier = facts.tier or facts.item.tier
    tags = facts.item.tags + facts.tags
    cacheable = isinstance(rulesets, tuple | Catalog)
    key = (
        id(rulesets),
        family,
        decision_date,
        tier,
        tags,
        facts.penalty_categories,
        facts.published_on,
        facts.restriction_period,
    )
    hit = _WINDOWS.get(key) if cacheable else None
    if hit is not None and hit[0] is rulesets:
        return hit[1]
    result: PublicityWindow | str
    try:
        ruleset = ruleset_in_force(rulesets, family, decision_date)
        result = publicity_window(
            ruleset,
            tier,
            decision_date,
            tags,
            facts.penalty_categories,
            published_on=facts.published_on,
            restriction_period=facts.restriction_period,
        )
    except NoRuleSetInForce as error:
        result = error.message
    if cacheable:
        if len(_WINDOWS) >= _WINDOWS_MAX:
            _WINDOWS.clear()
        _WINDOWS[key] = (rulesets, result)
    return result


def _as_published(window: PublicityWindow, facts: RecordFacts) -> PublicityWindow:
    """A tier not published by default (Order 36 minor) that was published anyway: at most its maximum."""
    if window.published or window.ends_if_published is None or facts.published_on is None:
        return window
    return replace(window, published=True, ends=window.ends_if_published)


def _dated_state(facts: RecordFacts, today: date, window: PublicityWindow) -> _State:
    if not window.published:
        return _State("not_published", "", f" ({window.basis})", window, open=False, shared=True)
    early = _not_yet(facts, today, window)
    if early is not None:
        return early
    if window.ends is None:
        return _State("no_fixed_end", "", "", window, open=True, shared=True)
    ends = window.ends.isoformat()
    if today > window.ends:
        zh, en = f"（最后公示日 {ends}）", f" (last day {ends})"
        return _State("publicity_ended", zh, en, window, open=False, shared=True)
    zh, en = f"（至 {ends}）", f" (until {ends} inclusive)"
    return _State("within_publicity", zh, en, window, open=True, shared=True)


def _not_yet(facts: RecordFacts, today: date, window: PublicityWindow | None) -> _State | None:
    """Before the first day of publication: the later of the decision and publication dates."""
    first = facts.decision_date
    for day in (facts.published_on, window.starts if window is not None else None):
        if day is not None and (first is None or day > first):
            first = day
    if first is None or today >= first:
        return None
    zh, en = f"（{first}起公示）", f" (from {first})"
    return _State("not_yet_published", zh, en, window, open=False, shared=True)


# ---------------------------------------------------------------------------------------------
# The public view and the access paths beyond it


def _public(facts: RecordFacts, state: _State) -> tuple[Visibility, str]:
    if state.code in ("superseded", "revoked"):
        return Visibility.HIDDEN, state.code
    if facts.item.disclosure is Disclosure.NOT_PUBLIC:
        return Visibility.HIDDEN, "not_public"
    if not state.open:
        return Visibility.HIDDEN, state.code
    if facts.item.disclosure is Disclosure.ON_REQUEST:
        return Visibility.HIDDEN, "authorization_required"
    if facts.subject_kind is SubjectKind.INDIVIDUAL:
        return Visibility.MASKED, state.code
    return Visibility.SHOWN, state.code


def _path(facts: RecordFacts, viewer: Viewer, state: _State) -> tuple[str, bool]:
    """The viewer's access path beyond the public view: (code, granted if a purpose is declared).

    ``("", False)`` when the viewer has none, or the record's state closes it (the public reason then
    explains the outcome); ``(denial code, False)`` when the path exists but its condition fails.
    """
    if viewer.role in _PLATFORM:
        return "platform_operator", True
    if state.code == "superseded":
        return "", False
    if viewer.role is Role.SOURCE_UNIT:
        if viewer.unit and viewer.unit == facts.unit:
            return ("", False) if state.code == "revoked" else ("own_unit", True)
        return _sharing(facts, viewer, state)
    if viewer.role is Role.RELYING_PARTY and facts.item.disclosure is not Disclosure.NOT_PUBLIC:
        if not state.open or state.code in ("revoked", "repaired"):
            return "", False
        return ("authorized_query", True) if viewer.authorized else ("authorization_required", False)
    return "", False


def _sharing(facts: RecordFacts, viewer: Viewer, state: _State) -> tuple[str, bool]:
    scope = facts.item.sharing_scope
    if scope is SharingScope.NONE:
        return "sharing_not_permitted", False
    if not state.shared:
        return "", False
    conditional = scope is SharingScope.CONDITIONAL
    if conditional and viewer.purpose not in (None, Purpose.ADMINISTRATION):
        return "administration_purpose_required", False
    return "government_sharing", True


# ---------------------------------------------------------------------------------------------
# Explanations


def _text(code: str, state: _State) -> tuple[str, str]:
    zh, en = REASONS[code]
    if code == state.code:
        return zh + state.zh, en + state.en
    return zh, en


def _public_text(code: str, state: _State, public_vis: Visibility) -> tuple[str, str]:
    zh, en = _text(code, state)
    if public_vis is Visibility.MASKED:
        zh += "；自然人信息去标识化后公开"
        en += "; a natural person's information is published de-identified"
    return zh, _cap(en)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _subject_text(public_code: str, state: _State, facts: RecordFacts) -> tuple[str, str]:
    zh, en = _text(public_code, state)
    if facts.status == "superseded":
        return zh, _cap(en)
    return f"本人信息，本人可见。对他人：{zh}", f"Your own record, always visible to you. For others: {en}"


def _path_text(
    path: str, viewer: Viewer, facts: RecordFacts, public_code: str, state: _State
) -> tuple[str, str]:
    zh, en = REASONS[path]
    purpose = viewer.purpose.value if viewer.purpose else ""
    if path == "government_sharing":
        scope = facts.item.sharing_scope
        zh, en = f"{zh}（{scope.zh}）", f"{en} ({scope.value} sharing)"
    pzh, pen = _text(public_code, state)
    return (
        f"{zh}，用途：{purpose}。对社会公众：{pzh}",
        f"{_cap(en)}, purpose {purpose}. For the public: {pen}",
    )


# ---------------------------------------------------------------------------------------------
# De-identification


def visible_fields(
    decision: Decision, fields: Mapping[str, Any], schema: FieldSchema
) -> dict[str, Any] | None:
    """The fields the viewer may see: None if hidden, de-identified for public views, else a copy."""
    if decision.visibility is Visibility.HIDDEN:
        return None
    if decision.public_view:
        return mask_fields(fields, schema, individual=decision.visibility is Visibility.MASKED)
    return dict(fields)


def mask_fields(
    fields: Mapping[str, Any], schema: FieldSchema, *, individual: bool | None = None
) -> dict[str, Any]:
    """A copy of ``fields`` fit for a public view.

    Identity-document numbers (fields of type ``id_number``) are always masked: resident IDs hide the
    birth month and day, other documents all but the first and last two characters. For a natural
    person (``individual``; by default inferred from the record) every ``personal`` field and the
    subject-name field are masked too: names keep their first and last character, texts have each
    name in them masked, other values (age …) are withheld as None. An organisation's legal
    representative's name is published by law and kept. Keys not in the schema are kept as they are.
    """
    if individual is None:
        individual = _is_individual(fields, schema)
    out = dict(fields)
    for field in schema.fields:
        value = out.get(field.code)
        if value is None or value == "":
            continue
        if field.type is FieldType.ID_NUMBER:
            out[field.code] = _mask_id(value, fields.get(field.id_type_field or ""))
        elif individual and (field.personal or field.code == schema.subject_name_field):
            out[field.code] = _mask_personal(field, value)
    return out


def _is_individual(fields: Mapping[str, Any], schema: FieldSchema) -> bool:
    if schema.subject_category_field is not None and fields.get(schema.subject_category_field):
        return str(fields[schema.subject_category_field]) in ("2", "自然人")
    return any(
        fields.get(code) and schema.field_def(code).type is FieldType.ID_NUMBER
        for code in schema.subject_id_fields
    )


def _mask_id(value: Any, id_type: Any) -> str:
    text = str(value)
    if id_type is None or str(id_type).strip() in _RESIDENT_ID_TYPES:
        return mask_resident_id(text)
    return mask_document_number(text)


def _mask_personal(field: FieldDef, value: Any) -> Any:
    if not isinstance(value, str):
        return None
    if field.type is FieldType.TEXT:
        parts = _SEPARATORS.split(value)
        return "".join(p if i % 2 else mask_person_name(p) for i, p in enumerate(parts))
    return mask_person_name(value)
