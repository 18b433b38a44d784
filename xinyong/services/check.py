"""The one-click check (一键查询): search subjects, show a subject's profile and its records,
each decided by the disclosure rules for this viewer, purpose and day.

Public credit information queries are free and need no account. Everything shown goes
through ``xinyong.domain.disclosure.decide``; nothing here decides visibility itself.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from xinyong import chinatime, ids
from xinyong.catalog import Catalog, CatalogItem, FieldSchema
from xinyong.domain import disclosure
from xinyong.domain.actor import Actor
from xinyong.domain.enums import Role, SubjectKind
from xinyong.errors import InvalidInput, NotFound, NotPermitted
from xinyong.search import index as search_index
from xinyong.search.normalise import normalise_query
from xinyong.services import authorizations, objections, querylog
from xinyong.services import lists as list_service
from xinyong.store import Store
from xinyong.store.tables import records, source_units, subject_names, subjects

if TYPE_CHECKING:
    from xinyong.services.platform import Platform

SUMMARY_FIELDS = {
    "administrative_penalty": ("CF_WFXW", "CF_CFLB", "CF_NR"),
    "administrative_licensing": ("XK_XKWS", "XK_XKLB", "XK_NR"),
}
PENALTY_CATEGORY_FIELD = "CF_CFLB"
SECTOR_TAGS = {"fire_safety": "fire_safety", "work_safety": "work_safety"}  # unit domain → catalog tag
PUBLIC_KINDS = ("enterprise", "public_institution", "social_organisation")
# Who may look persons up by ID number: themselves (filtered to their own file) and the platform's staff.
# Relying parties will do so only with the subject's authorization (access-control issue).
PERSONAL_SEARCHERS = frozenset({Role.SUBJECT, Role.OPERATOR, Role.AUDITOR, Role.SYSTEM})
PAGE_SIZE = 20
MAX_PAGE = 25  # 25 pages of 20: a cap on how far the public may page through results
PROFILE_PAGE_SIZE = 50  # records shown on one page of a profile (every record is still decided and counted)
CHECK_CACHE_SECONDS = 5.0  # how long a Check (unit names, label tables) serves requests before a fresh one
SEARCH_CACHE_SECONDS = 30.0  # how long a name search's page is answered again without the database
SEARCH_CACHE_SIZE = 4096  # name-search pages kept per process


def viewer_for(actor: Actor, subject_id: str, authorized: bool = False) -> disclosure.Viewer:
    return disclosure.Viewer(
        role=actor.role,
        unit=actor.unit,
        is_subject=bool(actor.subject_id) and actor.subject_id == subject_id,
        authorized=authorized,  # holds the subject's authorization covering the record (授权查询)
        purpose=actor.purpose,
    )


@dataclass(frozen=True)
class RecordView:
    id: str
    item_code: str
    item_name: str
    category: str
    legal_basis: list[str]
    unit_name: str
    document_number: str | None
    decision_date: date | None
    tier: str
    visibility: str
    public_visibility: str  # what the public gets (for the subject: whether others see it)
    reason: str
    reason_text: str
    marks: tuple[str, ...]
    publicity_ends: date | None
    earliest_repair: date | None
    summary: list[tuple[str, str]]
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (code, label, value), detail only


@dataclass(frozen=True)
class SearchResult:
    query: str
    total: int
    capped: bool
    page: int
    has_next: bool
    hits: list[dict[str, Any]]


@dataclass
class Profile:
    subject_id: str
    kind: str
    name: str
    identifier: str
    identifier_scheme: str
    legal_representative: str | None
    registered_on: date | None
    names: list[tuple[str, date | None]]
    groups: list[tuple[str, list[RecordView]]]
    hidden: list[RecordView]  # only filled for the subject itself
    hidden_count: int
    as_of: date
    page: int = 1  # records are paged, newest first: PROFILE_PAGE_SIZE a page
    pages: int = 1
    record_count: int = 0  # records shown to this viewer, on all pages
    list_entries: list[dict[str, Any]] = field(default_factory=list)  # published list entries (名单)


class Check:
    """The one-click check over a store and a catalog, in one language."""

    def __init__(self, store: Store, catalog: Catalog, lang: str = "zh", today: date | None = None) -> None:
        self.store, self.catalog, self.lang = store, catalog, lang
        self.today = today or chinatime.today()
        self._labels: dict[str, dict[str, str]] = {}
        self._request = threading.local()  # per-request state: a Check is shared (check_for)

    @cached_property
    def _unit_tables(self) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
        return self._units()

    @property
    def units(self) -> dict[str, str]:
        """Source unit names in this language (read on first use: a search needs none)."""
        return self._unit_tables[0]

    @property
    def unit_tags(self) -> dict[str, tuple[str, ...]]:
        """Sector tags (e.g. fire safety) of source units, which select sector publicity periods."""
        return self._unit_tables[1]

    def _known_units(self, codes: set[str]) -> None:
        """Reread the units when a record names one this (possibly cached) Check has not seen."""
        if not codes <= self.units.keys():
            self.__dict__["_unit_tables"] = self._units()

    @property
    def marks(self) -> dict[str, dict[str, Any]]:
        """Remedies: objection/review marks and repair of the records being shown (issue 6); kept
        per thread, as a request runs in one thread and a Check serves many at once."""
        found: dict[str, dict[str, Any]] = getattr(self._request, "marks", {})
        return found

    @marks.setter
    def marks(self, value: dict[str, dict[str, Any]]) -> None:
        self._request.marks = value

    def _units(self) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
        """Unit names in this language, and sector tags (e.g. fire safety) that select sector publicity
        periods; one query."""
        with self.store.read() as conn:
            rows = conn.execute(
                select(
                    source_units.c.code, source_units.c.name_zh, source_units.c.name_en, source_units.c.domain
                )
            ).all()
        names = {r.code: (r.name_en if self.lang == "en" else r.name_zh) for r in rows}
        return names, {r.code: (SECTOR_TAGS[r.domain],) for r in rows if r.domain in SECTOR_TAGS}

    # --- search --------------------------------------------------------------------------------
    def search(self, actor: Actor, text: str, page: int = 1) -> SearchResult:
        """Find subjects by name fragment or by code. The public finds organisations by name or code;
        natural persons only through their own file or an authorized query (not by public search)."""
        q = check_query(text)
        page = max(1, min(page, MAX_PAGE))
        kinds = PUBLIC_KINDS if actor.role is Role.PUBLIC else None
        by_code = ids.classify(q) is not ids.IdentifierKind.UNKNOWN
        key = (q, kinds, page)
        if not by_code and (cached := _searches.get(self.store, key)) is not None:
            return cached
        if by_code:
            return self._by_code(actor, q, kinds)
        with self.store.read() as conn:
            found = search_index.search(conn, q, kinds=kinds, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
            hits = self._hits(conn, found.hits)
        return self._name_result(key, found, hits)

    async def search_name_async(self, actor: Actor, text: str, page: int = 1) -> SearchResult | None:
        """:meth:`search` of a name on PostgreSQL from the event loop (:mod:`xinyong.store.pgasync`),
        when the pairs table answers it (:func:`xinyong.search.index.search_pairs_async`: one to three
        statements, no thread switch). None when ``text`` is a code, the store is not PostgreSQL's or
        the pairs table does not answer (the caller runs :meth:`search`)."""
        q = check_query(text)
        conns = self.store.async_connections
        if conns is None or ids.classify(q) is not ids.IdentifierKind.UNKNOWN or len(normalise_query(q)) < 2:
            return None  # one character: the general plan (xinyong.search.index), no loop connection
        page = max(1, min(page, MAX_PAGE))
        kinds = PUBLIC_KINDS if actor.role is Role.PUBLIC else None
        key = (q, kinds, page)
        if (cached := _searches.get(self.store, key)) is not None:
            return cached
        async with conns.read() as conn:
            found = await search_index.search_pairs_async(
                conn, q, kinds=kinds, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
            )
        if found is None:
            return None
        return self._name_result(key, found, [_hit(h, h.id_value or "") for h in found.hits])

    def _name_result(self, key: tuple[Any, ...], found: Any, hits: list[dict[str, Any]]) -> SearchResult:
        q, _, page = key
        has_next = page < MAX_PAGE and page * PAGE_SIZE < found.total
        result = SearchResult(q, found.total, found.capped, page, has_next, hits)
        _searches.put(self.store, key, result)
        return result

    def _by_code(self, actor: Actor, q: str, kinds: Any) -> SearchResult:
        _refuse_id_search(actor, q)
        with self.store.driver_read() as raw:  # one indexed statement: no pool checkout, no BEGIN
            found = search_index.by_identifier(
                raw, q, include_personal=actor.role in PERSONAL_SEARCHERS, kinds=kinds
            )
        return _code_result(actor, q, found)

    async def search_code_async(self, actor: Actor, text: str) -> SearchResult | None:
        """:meth:`search` of a code on PostgreSQL from the event loop (:mod:`xinyong.store.pgasync`):
        one indexed statement without a thread switch. None when ``text`` is not a code (a name
        search: the caller runs :meth:`search`) or the store is not PostgreSQL's."""
        q = check_query(text)
        conns = self.store.async_connections
        if conns is None or ids.classify(q) is ids.IdentifierKind.UNKNOWN:
            return None
        _refuse_id_search(actor, q)
        kinds = PUBLIC_KINDS if actor.role is Role.PUBLIC else None
        async with conns.read() as conn:
            found = await search_index.by_identifier_async(
                conn, q, include_personal=actor.role in PERSONAL_SEARCHERS, kinds=kinds
            )
        return _code_result(actor, q, found)

    def _hits(self, conn: Connection, found: Sequence[Any]) -> list[dict[str, Any]]:
        ids_ = [h.subject_id for h in found if getattr(h, "id_value", None) is None]
        rows = (
            {
                r.id: r
                for r in conn.execute(
                    select(subjects.c.id, subjects.c.id_scheme, subjects.c.id_value).where(
                        subjects.c.id.in_(ids_)
                    )
                )
            }
            if ids_
            else {}
        )
        out = []
        for h in found:
            row = rows.get(h.subject_id)
            out.append(_hit(h, getattr(h, "id_value", None) or (row.id_value if row is not None else "")))
        return out

    # --- profile -------------------------------------------------------------------------------
    def profile(self, actor: Actor, subject_id: str, today: date | None = None, page: int = 1) -> Profile:
        """A subject's profile; its records newest first, PROFILE_PAGE_SIZE a page (every record is
        decided, so counts and what is hidden cover all of them; only the page's are rendered)."""
        today = today or self.today
        with self.store.read() as conn:
            subject = conn.execute(select(subjects).where(subjects.c.id == subject_id)).first()
            if subject is None:
                raise _not_found(subject_id)
            rows = conn.execute(
                select(records)
                .where(records.c.subject_id == subject_id)
                .order_by(records.c.decision_date.desc())
            ).all()
            names = self._names(conn, subject_id)
            self.marks = objections.marks_for(conn, [r.id for r in rows])
        kind = SubjectKind(subject.kind)
        auth = authorizations.for_read(self.store, actor, subject_id, kind, today)
        viewer = viewer_for(actor, subject_id)
        granted = viewer_for(actor, subject_id, authorized=True)

        def viewer_of(r: Any) -> disclosure.Viewer:
            return granted if auth and auth.covers_item(r.item_code) else viewer

        self._known_units({r.unit_code for r in rows})
        decided = [(r, self._decide(r, kind, viewer_of(r), today)) for r in rows]
        hidden_value = disclosure.Visibility.HIDDEN
        seen = [(r, d) for r, d in decided if d.visibility is not hidden_value]
        if viewer.is_subject:  # the subject sees everything; split what others see from what they do not
            shown = [(r, d) for r, d in seen if d.public_visibility is not hidden_value]
            hidden = [
                self._view(r, kind, viewer_of(r), today, decision=d)
                for r, d in seen
                if d.public_visibility is hidden_value
            ]
        else:
            shown, hidden = seen, []
        pages = max(1, -(-len(shown) // PROFILE_PAGE_SIZE))
        page = max(1, min(page, pages))
        start = (page - 1) * PROFILE_PAGE_SIZE
        visible = [
            self._view(r, kind, viewer_of(r), today, decision=d)
            for r, d in shown[start : start + PROFILE_PAGE_SIZE]
        ]
        entries = list_service.published_entries(self.store, self.catalog, subject_id, today, self.lang)
        if (
            kind is SubjectKind.INDIVIDUAL
            and not viewer.is_subject
            and actor.role is Role.PUBLIC
            and not visible
            and not entries
        ):
            raise _not_found(
                subject_id
            )  # an individual with nothing public is not shown to the public at all
        public_person = kind is SubjectKind.INDIVIDUAL and not viewer.is_subject and actor.role is Role.PUBLIC
        querylog.record_if_needed(self.store, actor, subject_id, "profile", authorization=auth)
        return Profile(
            subject_id=subject_id,
            kind=kind.value,
            name=ids.mask_person_name(subject.name) if public_person else subject.name,
            identifier=_mask_identifier(subject.id_scheme, subject.id_value)
            if public_person
            else subject.id_value,
            identifier_scheme=subject.id_scheme,
            legal_representative=None if public_person else subject.legal_representative,
            registered_on=subject.registered_on,
            names=[] if public_person else names,
            groups=self._group(visible),
            hidden=hidden,
            hidden_count=len(hidden),
            as_of=today,
            page=page,
            pages=pages,
            record_count=len(shown),
            list_entries=entries,
        )

    def _names(self, conn: Connection, subject_id: str) -> list[tuple[str, date | None]]:
        rows = conn.execute(
            select(subject_names.c.name, subject_names.c.valid_from, subject_names.c.recorded_at)
            .where(subject_names.c.subject_id == subject_id)
            .order_by(subject_names.c.id)
        )
        return [(r.name, r.valid_from or chinatime.day_of(r.recorded_at)) for r in rows]  # China's day

    def record(self, actor: Actor, record_id: str, today: date | None = None) -> RecordView:
        today = today or self.today
        with self.store.read() as conn:
            row = conn.execute(select(records).where(records.c.id == record_id)).first()
            subject = (
                None
                if row is None
                else conn.execute(select(subjects.c.kind).where(subjects.c.id == row.subject_id)).first()
            )
            self.marks = objections.marks_for(conn, [record_id])
        if row is None or subject is None:
            raise NotFound(f"no record {record_id!r}", message_zh="没有该条信用信息", rule="check.record")
        self._known_units({row.unit_code})
        kind = SubjectKind(subject.kind)
        auth = authorizations.for_read(self.store, actor, row.subject_id, kind, today)
        covered = bool(auth and auth.covers_item(row.item_code))
        view = self._view(row, kind, viewer_for(actor, row.subject_id, covered), today, detail=True)
        if (
            view.visibility == disclosure.Visibility.HIDDEN.value
            and not viewer_for(actor, row.subject_id).is_subject
        ):
            raise NotFound(f"no record {record_id!r}", message_zh="没有该条信用信息", rule="check.record")
        querylog.record_if_needed(
            self.store, actor, row.subject_id, "record", object_id=record_id, authorization=auth
        )
        return view

    def _decide(
        self, row: Any, kind: SubjectKind, viewer: disclosure.Viewer, today: date
    ) -> disclosure.Decision:
        item = self.catalog.items[row.item_code]
        facts = self._facts(row, item, kind, dict(row.fields or {}))
        return disclosure.decide(facts, viewer, today, self.catalog.rulesets)

    def _view(
        self,
        row: Any,
        kind: SubjectKind,
        viewer: disclosure.Viewer,
        today: date,
        detail: bool = False,
        decision: disclosure.Decision | None = None,
    ) -> RecordView:
        item = self.catalog.items[row.item_code]
        schema = self.catalog.schemas[item.schema]
        fields = dict(row.fields or {})
        if decision is None:
            decision = disclosure.decide(
                self._facts(row, item, kind, fields), viewer, today, self.catalog.rulesets
            )
        fields = disclosure.visible_fields(decision, fields, schema) or {}
        window = decision.window
        return RecordView(
            id=row.id,
            item_code=item.code,
            item_name=item.name_en if self.lang == "en" else item.name_zh,
            category=item.category,
            legal_basis=[f"{b.instrument} {b.article}".strip() for b in item.legal_basis],
            unit_name=self.units.get(row.unit_code, row.unit_code),
            document_number=row.document_number,
            decision_date=row.decision_date,
            tier=row.tier,
            visibility=decision.visibility.value,
            public_visibility=decision.public_visibility.value,
            reason=decision.reason,
            reason_text=decision.reason_en if self.lang == "en" else decision.reason_zh,
            marks=tuple(decision.marks),
            publicity_ends=window.ends if window else None,
            earliest_repair=window.earliest_repair if window else None,
            summary=self._summary(schema, fields),
            fields=self._fields(schema, fields) if detail else [],
        )

    def _facts(
        self, row: Any, item: CatalogItem, kind: SubjectKind, fields: dict[str, Any]
    ) -> disclosure.RecordFacts:
        categories = fields.get(PENALTY_CATEGORY_FIELD) or ()
        return disclosure.RecordFacts(
            item=item,
            unit=row.unit_code,
            subject_kind=kind,
            tier=_tier(row.tier),
            decision_date=row.decision_date,
            penalty_categories=tuple(categories) if isinstance(categories, list) else (),
            status=row.status,
            tags=self.unit_tags.get(row.unit_code, ()),
            **self.marks.get(row.id, {}),
        )

    def _label(self, schema: FieldSchema, code: str, value: Any) -> str:
        f = schema.field_def(code)
        if f.enum and f.enum in self.catalog.enums:
            labels = self._labels.get(f.enum)
            if labels is None:
                enum = self.catalog.enums[f.enum]
                labels = {v.code: (v.en if self.lang == "en" else v.zh) for v in enum.values}
                self._labels[f.enum] = labels
            values = value if isinstance(value, list) else [value]
            return "、".join(labels.get(str(v), str(v)) for v in values)
        return "" if value is None else str(value)

    def _summary(self, schema: FieldSchema, fields: dict[str, Any]) -> list[tuple[str, str]]:
        codes = (
            SUMMARY_FIELDS.get(schema.code)
            or tuple(
                f.code
                for f in schema.fields
                if f.type.value in ("string", "text", "enum")
                and not f.personal
                and f.code not in (schema.subject_name_field, schema.subject_category_field)
            )[:3]
        )
        out = []
        for code in codes:
            if code in fields:
                f = schema.field_def(code)
                out.append((f.en if self.lang == "en" else f.zh, self._label(schema, code, fields[code])))
        return out

    def _fields(self, schema: FieldSchema, fields: dict[str, Any]) -> list[tuple[str, str, str]]:
        return [
            (f.code, f.en if self.lang == "en" else f.zh, self._label(schema, f.code, fields[f.code]))
            for f in schema.fields
            if f.code in fields
        ]

    def _group(self, views: Sequence[RecordView]) -> list[tuple[str, list[RecordView]]]:
        order = sorted(self.catalog.categories.values(), key=lambda c: c.seq)
        out = []
        for c in order:
            members = [v for v in views if v.category == c.code]
            if members:
                out.append((c.en if self.lang == "en" else c.zh, members))
        return out


class _RecentSearches:
    """Name searches answered in the last SEARCH_CACHE_SECONDS, per store (at most
    SEARCH_CACHE_SIZE, least recently used out first). The common fragments (有限, 公司, 深圳) are
    both the dearest searches and the most frequent; a new or renamed subject shows in them at most
    SEARCH_CACHE_SECONDS late. Not for a store bound to one connection (tests, a transaction):
    its writes must show at once."""

    def __init__(self) -> None:
        self._entries: OrderedDict[tuple[int, Any], tuple[float, Store, SearchResult]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, store: Store, key: Any) -> SearchResult | None:
        if store._bound is not None:
            return None
        with self._lock:
            found = self._entries.get((id(store), key))
            if found is None:
                return None
            made, owner, result = found
            if owner is not store or time.monotonic() - made >= SEARCH_CACHE_SECONDS:
                del self._entries[(id(store), key)]
                return None
            self._entries.move_to_end((id(store), key))
            return result

    def put(self, store: Store, key: Any, result: SearchResult) -> None:
        if store._bound is not None or SEARCH_CACHE_SECONDS <= 0:
            return
        with self._lock:
            self._entries[(id(store), key)] = (time.monotonic(), store, result)
            self._entries.move_to_end((id(store), key))
            while len(self._entries) > SEARCH_CACHE_SIZE:
                self._entries.popitem(last=False)


_searches = _RecentSearches()
_cache: dict[tuple[int, int, str, date], tuple[float, Check]] = {}
_cache_lock = threading.Lock()


def check_for(platform: Platform, lang: str = "zh") -> Check:
    """The Check of a platform for a language and the platform's day, shared by the requests of the
    next CHECK_CACHE_SECONDS (a Check holds the unit names and label tables, read once; a record
    from a unit it has not seen makes it reread them)."""
    today, now = platform.today(), time.monotonic()
    key = (id(platform.store), id(platform.catalog), lang, today)
    with _cache_lock:
        found = _cache.get(key)
        # the cached Check holds the store and catalog, so their ids cannot be reused while it lives
        if found and now - found[0] < CHECK_CACHE_SECONDS:
            check = found[1]
            if check.store is platform.store and check.catalog is platform.catalog:
                return check
        for stale in [k for k, (made, _) in _cache.items() if now - made >= CHECK_CACHE_SECONDS]:
            del _cache[stale]
        check = Check(platform.store, platform.catalog, lang, today)
        _cache[key] = (now, check)
        return check


def _refuse_id_search(actor: Actor, q: str) -> None:
    if ids.classify(q) is ids.IdentifierKind.RESIDENT_ID and actor.role is Role.PUBLIC:
        raise NotPermitted(
            "the public may not search by resident ID number; search a name instead",
            message_zh="公众不能按身份证号码查询，请输入名称",
            rule="check.id_search_not_permitted",
        )


def _code_result(actor: Actor, q: str, found: list[Any]) -> SearchResult:
    """A code's search result: a data subject finds itself by its own ID number, nobody else."""
    if actor.role is Role.SUBJECT:
        found = [
            h for h in found if h.kind != SubjectKind.INDIVIDUAL.value or h.subject_id == actor.subject_id
        ]
    hits = [_hit(h, h.id_value or "") for h in found]  # an identifier's hits carry the subject's code
    return SearchResult(q, len(hits), False, 1, False, hits)


def _hit(h: Any, id_value: str) -> dict[str, Any]:
    """A search hit as shown: an individual's name masked and identifier withheld."""
    person = h.kind == SubjectKind.INDIVIDUAL.value
    return {
        "subject_id": h.subject_id,
        "kind": h.kind,
        "name": ids.mask_person_name(h.name) if person else h.name,
        "identifier": "" if person else id_value,
    }


def _tier(value: str) -> Any:
    from xinyong.domain.enums import Tier

    return Tier(value)


def _mask_identifier(scheme: str, value: str) -> str:
    return ids.mask_resident_id(value) if scheme == "resident_id" else ids.mask_document_number(value)


def _not_found(subject_id: str) -> NotFound:
    return NotFound(f"no subject {subject_id!r}", message_zh="没有找到该信用主体", rule="check.subject")


def check_query(text: str) -> str:
    q = (text or "").strip()
    if not q:
        raise InvalidInput(
            "type a name or a code to search",
            message_zh="请输入名称或统一社会信用代码",
            rule="check.query_empty",
        )
    if len(q) > 100:
        raise InvalidInput(
            "the query is longer than 100 characters",
            message_zh="查询内容不能超过 100 个字符",
            rule="check.query_too_long",
        )
    return q
