"""What a credit report (信用报告) contains, assembled from the same disclosure decisions as the check.

Structure after the public credit information report standard (公共信用信息报告标准, credit-rules.md §1):
basic registration information, administrative licensing, administrative penalties within publicity,
list entries (serious untrustworthy, court, abnormal operations), honours, credit commitments, other
national catalog information, the local supplementary part, and a section saying what the report does
not contain and why.

Every record goes through ``xinyong.services.check.Check`` (its per-record view calls
``xinyong.domain.disclosure.decide`` for this requester, purpose and day); nothing here decides
visibility itself. What goes into a report:

* for any requester other than the subject: every record the requester may see (``shown`` or
  ``masked``; masked fields stay masked);
* for the subject's own report (本人查询): what the subject may show to others, i.e. records the public
  sees plus on-request records (依申请公开) the subject can authorize; not records whose publicity ended,
  that were repaired, revoked or superseded: the report is what a bank or a bidding agency gets.

List entries come from a :class:`ListSource`; ``xinyong.services.reports`` passes the lists service's
(``reports.list_source``). :data:`NO_LISTS`, for tests, makes the section say the list service is not
connected instead of claiming there are none.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from xinyong import ids
from xinyong.catalog import Catalog, CatalogItem
from xinyong.catalog.model import CatalogLayer
from xinyong.domain import disclosure
from xinyong.domain.actor import Actor
from xinyong.domain.enums import Purpose, SubjectKind
from xinyong.errors import NotFound
from xinyong.services.check import Check, RecordView
from xinyong.store import Store
from xinyong.store.tables import records, subjects

# (code, zh, en) in the order of the report standard
SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("registration", "登记注册基本信息", "Registration information"),
    ("licensing", "行政许可信息", "Administrative licensing"),
    ("penalties", "行政处罚信息", "Administrative penalties"),
    (
        "lists",
        "名单信息（严重失信主体名单、司法、经营异常）",
        "List entries (serious untrustworthy, court, abnormal operations)",
    ),
    ("honours", "诚实守信相关荣誉信息", "Honours related to integrity"),
    ("commitments", "信用承诺信息", "Credit commitments"),
    ("other", "其他公共信用信息", "Other public credit information"),
    ("local", "公共信用信息地方补充内容", "Local supplementary information"),
)
LIST_CATEGORIES = frozenset({"serious_list", "abnormal", "judicial"})
_CATEGORY_SECTIONS = {"registration": "registration", "honours": "honours", "commitment": "commitments"}
HIDDEN = disclosure.Visibility.HIDDEN.value


def section_of(item: CatalogItem) -> str:
    """The report section of a catalog item."""
    if item.layer is not CatalogLayer.NATIONAL:
        return "local"
    if item.code == "administrative_licensing":
        return "licensing"
    if "penalty" in item.code:
        return "penalties"
    if item.category in LIST_CATEGORIES:
        return "lists"
    return _CATEGORY_SECTIONS.get(item.category, "other")


# --------------------------------------------------------------------------------------------------
# List entries (provided by the lists service: xinyong.services.reports.list_source)


@dataclass(frozen=True)
class ListEntry:
    """One entry of a list (名单) about the subject, as the lists service discloses it to this requester."""

    id: str
    list_name: str  # in the report's language, e.g. 严重失信主体名单
    unit_name: str
    document_number: str | None
    entered_on: date | None
    legal_basis: tuple[str, ...]
    status: str = ""  # e.g. listed, removal pending
    marks: tuple[str, ...] = ()


ListProvider = Callable[[Store, Actor, str, date, str], Sequence[ListEntry]]


@dataclass(frozen=True)
class ListSource:
    provider: ListProvider
    connected: bool = True


def _no_entries(store: Store, actor: Actor, subject_id: str, today: date, lang: str) -> Sequence[ListEntry]:
    return ()


NO_LISTS = ListSource(_no_entries, connected=False)  # no list service: the section says so (tests)


# --------------------------------------------------------------------------------------------------
# Content


@dataclass(frozen=True)
class Item:
    ref: str  # "record:<id>" or "list:<id>"
    item_name: str
    unit_name: str
    document_number: str | None
    decision_date: date | None
    legal_basis: tuple[str, ...]
    summary: tuple[tuple[str, str], ...]
    marks: tuple[str, ...]
    masked: bool
    publicity_ends: date | None = None

    def to_dict(self) -> dict[str, Any]:
        """The item as JSON-ready data (written out: ``dataclasses.asdict`` costs a third of a
        200-item report's assembly)."""
        return {
            "ref": self.ref,
            "item_name": self.item_name,
            "unit_name": self.unit_name,
            "document_number": self.document_number,
            "decision_date": self.decision_date,
            "legal_basis": list(self.legal_basis),
            "summary": [list(pair) for pair in self.summary],
            "marks": list(self.marks),
            "masked": self.masked,
            "publicity_ends": self.publicity_ends,
        }

    def fingerprint(self) -> str:
        """Changes when anything printed about the item changes (e.g. a new objection mark)."""
        return hashlib.sha256(canonical_json(self.to_dict())).hexdigest()[:32]


@dataclass(frozen=True)
class Section:
    code: str
    title: str
    items: tuple[Item, ...]
    note: str = ""  # e.g. the list service is not connected


@dataclass(frozen=True)
class Omission:
    """A kind of record the report leaves out, with how many (counts only for the subject and staff)."""

    reason: str
    text: str
    count: int | None


@dataclass(frozen=True)
class SubjectInfo:
    id: str
    kind: str
    kind_name: str
    name: str
    identifier: str
    legal_representative: str | None
    registered_on: date | None
    former_names: tuple[str, ...]


@dataclass(frozen=True)
class Body:
    """The report's content apart from its number and time of issue."""

    lang: str
    as_of: date
    purpose: str
    personal: bool
    self_report: bool
    subject: SubjectInfo
    sections: tuple[Section, ...]
    omitted: tuple[Omission, ...]

    def items(self) -> list[Item]:
        return [i for s in self.sections for i in s.items]

    def fingerprints(self) -> list[list[str]]:
        return [[i.ref, i.fingerprint()] for i in self.items()]

    def to_dict(self) -> dict[str, Any]:
        return {
            "lang": self.lang,
            "as_of": self.as_of,
            "purpose": self.purpose,
            "personal": self.personal,
            "self_report": self.self_report,
            "subject": asdict(self.subject),
            "sections": [
                {"code": s.code, "title": s.title, "note": s.note, "items": [i.to_dict() for i in s.items]}
                for s in self.sections
            ],
            "omitted": [asdict(o) for o in self.omitted],
        }


@dataclass(frozen=True)
class Report:
    number: str
    issued_at: datetime
    verify_url: str
    body: Body

    def content_json(self) -> bytes:
        return canonical_json(
            {"number": self.number, "issued_at": self.issued_at.isoformat(), "body": self.body.to_dict()}
        )

    def content_sha256(self) -> str:
        return hashlib.sha256(self.content_json()).hexdigest()


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode()


# --------------------------------------------------------------------------------------------------
# Assembly


@dataclass(frozen=True)
class Requester:
    """Who asks for the report and on what footing (decided by the report service)."""

    actor: Actor
    purpose: Purpose
    is_subject: bool
    authorized: bool  # holds the subject's authorization (personal reports by third parties)

    def viewer(self) -> disclosure.Viewer:
        a = self.actor
        return disclosure.Viewer(a.role, a.unit, self.is_subject, self.authorized, self.purpose)


@dataclass(frozen=True)
class Assembly:
    body: Body
    views: dict[str, RecordView]  # every record of the subject as this requester sees it today


def assemble(
    store: Store,
    catalog: Catalog,
    requester: Requester,
    subject_id: str,
    today: date,
    lang: str = "zh",
    lists: ListSource = NO_LISTS,
) -> Assembly:
    check = Check(store, catalog, lang, today)
    with store.read() as conn:
        subject = conn.execute(select(subjects).where(subjects.c.id == subject_id)).first()
        if subject is None:
            raise NotFound(
                f"no subject {subject_id!r}", message_zh="没有找到该信用主体", rule="reports.subject"
            )
        rows = conn.execute(
            select(records)
            .where(records.c.subject_id == subject_id)
            .order_by(records.c.decision_date.desc(), records.c.id)
        ).all()
        names = check._names(conn, subject_id)  # the check's own query of former names
    kind = SubjectKind(subject.kind)
    viewer = requester.viewer()
    views = {r.id: check._view(r, kind, viewer, today) for r in rows}  # disclosure.decide per record
    included = [v for v in views.values() if in_report(v, requester.is_subject)]
    info = _subject_info(subject, names, lang, masked=_public_person(kind, requester))
    sections = _sections(catalog, included, lists, store, requester, subject_id, today, lang)
    omitted = _omitted(views.values(), included, requester, lang)
    body = Body(
        lang,
        today,
        requester.purpose.value,
        kind is SubjectKind.INDIVIDUAL,
        requester.is_subject,
        info,
        sections,
        omitted,
    )
    return Assembly(body, views)


def in_report(view: RecordView, is_subject: bool) -> bool:
    """Whether a record, as the requester sees it, belongs in the report (see the module docstring)."""
    if view.visibility == HIDDEN:
        return False
    if not is_subject:
        return True
    return view.public_visibility != HIDDEN or view.reason == "authorization_required"


def _public_person(kind: SubjectKind, requester: Requester) -> bool:
    return kind is SubjectKind.INDIVIDUAL and not (requester.is_subject or requester.authorized)


def _subject_info(subject: Any, names: list[tuple[str, date | None]], lang: str, masked: bool) -> SubjectInfo:
    kind = SubjectKind(subject.kind)
    identifier = subject.id_value
    if masked:
        identifier = (
            ids.mask_resident_id(identifier)
            if subject.id_scheme == "resident_id"
            else ids.mask_document_number(identifier)
        )
    former = tuple(n for n, _ in names if n != subject.name)
    return SubjectInfo(
        id=subject.id,
        kind=kind.value,
        kind_name=kind.value.replace("_", " ") if lang == "en" else kind.zh,
        name=ids.mask_person_name(subject.name) if masked else subject.name,
        identifier=identifier,
        legal_representative=None if masked else subject.legal_representative,
        registered_on=subject.registered_on,
        former_names=() if masked else former,
    )


def _item(view: RecordView) -> Item:
    return Item(
        ref=f"record:{view.id}",
        item_name=view.item_name,
        unit_name=view.unit_name,
        document_number=view.document_number,
        decision_date=view.decision_date,
        legal_basis=tuple(view.legal_basis),
        summary=tuple(view.summary),
        marks=view.marks,
        masked=view.visibility == disclosure.Visibility.MASKED.value,
        publicity_ends=view.publicity_ends,
    )


def _list_item(entry: ListEntry) -> Item:
    return Item(
        ref=f"list:{entry.id}",
        item_name=entry.list_name,
        unit_name=entry.unit_name,
        document_number=entry.document_number,
        decision_date=entry.entered_on,
        legal_basis=entry.legal_basis,
        summary=(("status", entry.status),) if entry.status else (),
        marks=entry.marks,
        masked=False,
    )


def _sections(
    catalog: Catalog,
    included: Sequence[RecordView],
    lists: ListSource,
    store: Store,
    requester: Requester,
    subject_id: str,
    today: date,
    lang: str,
) -> tuple[Section, ...]:
    grouped: dict[str, list[Item]] = {code: [] for code, _, _ in SECTIONS}
    for view in included:
        grouped[section_of(catalog.items[view.item_code])].append(_item(view))
    entries = lists.provider(store, requester.actor, subject_id, today, lang)
    grouped["lists"].extend(_list_item(e) for e in entries)
    note = (
        ""
        if lists.connected
        else _text(
            lang,
            "名单服务尚未接入，本节不作结论。",
            "List service not connected: this section draws no conclusion.",
        )
    )
    return tuple(
        Section(code, en if lang == "en" else zh, tuple(grouped[code]), note if code == "lists" else "")
        for code, zh, en in SECTIONS
    )


def _text(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


def _omitted(
    views: Any, included: Sequence[RecordView], requester: Requester, lang: str
) -> tuple[Omission, ...]:
    """What is left out and why. The subject and platform staff get counts per reason; anyone else the
    general rule only, since a count of hidden records would itself disclose them."""
    kept = {v.id for v in included}
    reasons = Counter(v.reason for v in views if v.id not in kept and v.reason != "superseded")
    staff = requester.is_subject or requester.actor.role.value in ("operator", "auditor", "system")
    if staff:
        out = []
        for reason, count in sorted(reasons.items()):
            zh, en = disclosure.REASONS[reason]
            out.append(Omission(reason, _text(lang, zh, en), count))
        return tuple(out)
    general = ("publicity_ended", "repaired", "revoked", "not_public", "authorization_required")
    return tuple(Omission(r, _text(lang, *disclosure.REASONS[r]), None) for r in general)
