"""Subject search for the one-click check (一键查询): by name fragment and by identifier.

One interface, :class:`SearchIndex`, with one implementation per database, chosen by
:func:`search_index_for`. Both compare normalised text (``subjects.name_search``, see
:mod:`xinyong.search.normalise`), both recheck every candidate with ``LIKE '%q%'`` on it (so an
index can only make a search faster, never change its answer), and both rank the same way:

1. exact name, then names starting with the query, then names containing it;
2. shorter names first within each class;
3. then by normalised name (code-point order) and subject id.

Pages hold at most :data:`MAX_LIMIT` hits and the ranking reaches at most :data:`MAX_TOTAL`:
``total`` is capped there (``capped`` says the query matched more: refine it).

How candidates are found (migration 0002 creates the structures; since 0011 SQLite answers
queries of two characters or more from ``subject_search_rank`` instead, see below):

SQLite: FTS5 trigram (``subject_search``: contentless, ``detail=none``, keyed by the subjects'
rowid; each name is indexed as ``name_search || char(3, 3)``)
    * 3+ characters: ``MATCH`` on the AND of the query's trigrams (not a phrase: ``detail=none``
      keeps no positions; the LIKE recheck restores order and adjacency). Since 0011 the same
      AND over ``subject_search_rank``'s character pairs.
    * 1–2 characters: a trigram index cannot match them, but every occurrence of a 1–2 character
      string starts an indexed trigram (the two end markers see to that for a name's last
      characters), so the names are those of the terms in ``[q, q⁺)`` of the sorted term list, read
      through the ``fts5vocab`` table ``subject_search_terms``: no second index, no extra writes.

PostgreSQL
    * 3+ characters: ``name_search LIKE '%q%'`` served by the ``pg_trgm`` GIN index.
    * 1–2 characters: ``string_to_array(name_search, NULL) @> ARRAY[chars]`` served by a GIN index
      over each name's characters (``pg_trgm`` extracts no trigram from them and would read the
      whole index); the LIKE recheck keeps the two characters adjacent and in order.
    * Statements go unprepared, so that each is planned for its own pattern.

Queries of two characters or more (migration 0011): each database also has an index that hands
out a query's matches by name length, so that a page needs only the shortest matches:

SQLite
    ``subject_search_rank``: FTS5 over each name's character pairs, its rowid the subject's *rank
    key* (group: organisations then individuals; the name's length; the subject's rowid). FTS5
    returns matches in rowid order and stops at the LIMIT. No sample is taken: one statement
    collects, counts and ranks the first MAX_TOTAL + 1 candidates (a rare fragment's page, in a
    millisecond or two); a capped query's page is then read class by class (exact names and names
    starting with the query from the prefix index, up to :data:`PREFIX_COLLECT` of those; the rest
    in rank-key order), each class up to the page's last name length, whose matches are then sorted
    by name (or, above :data:`GROUP_COLLECT`, read in name order from the rank index of 0009).
PostgreSQL
    ``ix_subjects_name_search_rank_pairs``: GIN over the character pairs tagged with the group and
    the name's length (``o12:腾讯``), so that the matches of one length are read without any other.
    A sample of about :data:`SAMPLE_ROWS` names (``TABLESAMPLE SYSTEM``) says whether the fragment
    is common (above :data:`SCAN_FRACTION` of the names: 有限, 公司, 深圳, whose GIN entries are most
    of the index): such a query is counted by scanning the names (``strpos``, stopping at the cap);
    any other is collected, counted and ranked by one statement up to MAX_TOTAL + 1 candidates from
    the trigram or character index. A capped or common query's page is read as on SQLite, one name
    length at a time from the tagged pairs.

PostgreSQL since migration 0012: ``subject_search_pairs``, one row per distinct character pair of
each name, in a b-tree ordered as the ranking within a class (length, name, id). A query of two
characters or more is answered by walking the entries of its rarest pair (by the table's
statistics) in that order, each rechecked with ``strpos``, stopping at the page: one statement for a
query under the cap, two or three over it (:mod:`xinyong.search.pairs`). Only when a walk stops at
its bound before it can answer does the search fall back to the plan above (sample, GIN indexes,
lengths), which stays for that and for one character.

One-character queries keep the earlier plan: a sample estimates how many names hold the query; a
common one is scanned and its page read in rank order from the rank indexes of 0009 (stepping over
shorter names; :func:`walk_steps` and :data:`COLLECT_COST_SHORT` decide whether collecting the
matches and sorting them is cheaper), a rare one is collected from the FTS5 term list (SQLite) or
the characters' GIN index (PostgreSQL). Index statistics are not used for the estimate: FTS5
counts a term's documents by reading them, which for 有 is most subjects.

Writes: on SQLite every insert, rename, change of kind or delete of a subject also updates the
two FTS5 tables (triggers; about 25 µs a subject each with SQLite 3.40, whose FTS5 flushes at
every statement savepoint); on PostgreSQL the three GIN indexes take new entries in a small pending
list (``gin_pending_list_limit = 256`` kB) merged in bulk. Both also maintain the two b-tree
indexes of migration 0009.

Identifiers: :func:`by_identifier` finds subjects by USCC, organisation code or registration number
through ``subject_identifiers``; resident ID numbers and other personal documents only when the
caller passes ``include_personal=True`` (the service decides whether the viewer may).
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from sqlalchemy import Connection, bindparam, func, select, text

from xinyong import ids
from xinyong.domain.enums import SubjectKind
from xinyong.errors import ConfigurationError, InvalidInput
from xinyong.search import pairs
from xinyong.search.normalise import normalise_name, normalise_query
from xinyong.store.tables import subjects

MAX_LIMIT = 50
MAX_TOTAL = 500
PAIRS_WALK = True  # PostgreSQL: queries of 2+ characters from the pairs table first (tests turn it off)
DEFAULT_LIMIT = 20
SCAN_FRACTION = 0.25  # above this share of all subjects, scanning the names beats visiting the index
# Above this many matches, a page is read in rank order from the rank indexes (migration 0009) and
# the reading stops once the page is full; below it, the matches are collected and sorted. Queries
# a sample says are common are walked from fewer matches (see common_from).
WALK_FROM = 10_000
# A collected match (an index entry, a table row read by rowid, a sort) costs about as much as this
# many index entries stepped over by a walk (see _RankedSearch._choose); three times as much for a
# 1-2 character query, whose matches are gathered from many index terms (SQLite, 1,000,000 names).
COLLECT_COST = 20
COLLECT_COST_SHORT = 60
# SQLite (rank-key index, migration 0011): names starting with a common query collected and sorted
# up to this many (more are walked); the names of the page's last length likewise.
PREFIX_COLLECT = 2000
GROUP_COLLECT = 400
# PostgreSQL: a length's (or a window of lengths') matches collected from the tagged pairs and sorted
# up to this many, each a table row read (more are read in name order from the rank index alone);
# and the lengths read at once while they hold no more
PG_GROUP_COLLECT = 60
LENGTH_WINDOW = 4
# PostgreSQL: a common query's walk first reads this many names of a length in name order (from the
# rank index alone) and keeps the matches among them; a page not filled by them probes the GIN index
COMMON_STEPS = 4000
# PostgreSQL: a query whose matches (of the kinds searched) are on this many of the sample's pages
# and stand for this many times MAX_TOTAL + 1 names is capped without a count. Pages, not names:
# names stored together (a batch of branches) fill a page. The sample reads ~35 pages of ~17,000 at
# 1,000,000 names; if fewer than 501 pages held a match (3 %, about 1 expected), 10 or more of them
# would come up with a probability of about 1e-7; a wrong "more than 500" mislabels the count and
# offers empty pages, never a wrong page of results.
SURELY_CAPPED = 10
CAPPED_MARGIN = 10
SAMPLE_ROWS = 2000  # names read to estimate how common a fragment is (see _RankedSearch._choose)
SAMPLE_WINDOWS = 8  # SQLite: the sample is read as this many runs of consecutive rows
SAMPLE_PAGES = 16  # PostgreSQL: the sample reads at least this many pages (of about 50 names each)
ORGANISATION_SCHEMES = ("uscc", "organisation_code", "registration_number")
PERSONAL_SCHEMES = ("resident_id",)  # and every "id_document_*" scheme (passports and others)
KINDS = frozenset(k.value for k in SubjectKind)
PERSON = SubjectKind.INDIVIDUAL.value
_PARAMETER = re.compile(r"(?<![:\w]):(\w+)")  # :name → %(name)s for psycopg


@dataclass(frozen=True)
class Hit:
    subject_id: str
    name: str
    kind: str
    score: float  #: 2–3 exact, 1–2 prefix, 0–1 contains; within a class, the share of the name matched
    matched: str = "name"  #: "name", or the identifier scheme that matched
    id_value: str | None = None  #: the subject's main identifier (subjects.id_value)


@dataclass(frozen=True)
class SearchPage:
    query: str  #: the normalised query
    total: int  #: matches, capped at MAX_TOTAL
    hits: list[Hit] = field(default_factory=list)
    capped: bool = False  #: the query matched more than MAX_TOTAL subjects
    limit: int = DEFAULT_LIMIT
    offset: int = 0


class SearchIndex(Protocol):
    dialect: str

    def search(
        self,
        conn: Connection,
        query: str,
        *,
        kinds: Collection[str] | None = None,
        limit: int = DEFAULT_LIMIT,
        offset: int = 0,
    ) -> SearchPage: ...

    def explain(self, conn: Connection, query: str, *, kinds: Collection[str] | None = None) -> list[str]: ...

    def rebuild(self, conn: Connection) -> int: ...


@dataclass(frozen=True)
class _Query:
    """A validated search request."""

    q: str
    kinds: tuple[str, ...] | None
    limit: int
    offset: int
    common: bool = False  #: a sample found the query common (its walk may read names of a length first)

    def params(self) -> dict[str, Any]:
        out: dict[str, Any] = {"q": self.q, "n": len(self.q), "pat": "%" + _escape_like(self.q) + "%"}
        out.update({"limit": self.limit, "offset": self.offset, "count_limit": max(WALK_FROM, MAX_TOTAL) + 1})
        if self.kinds is not None:
            out["kinds"] = list(self.kinds)
        return out


@dataclass(frozen=True)
class _Sampled:
    """Names of a sample of one length and group (individuals or organisations)."""

    length: int
    person: bool
    names: int
    hits: int  #: of them, the names containing the query


@dataclass(frozen=True)
class _Plan:
    """Where the candidates come from: a FROM clause in which ``d`` is the subjects table (alone or
    joined to the index), the WHERE clause (LIKE recheck and kinds included) and the parameters."""

    source: str
    where: str
    params: dict[str, Any]
    scan: bool = False  #: the names are scanned: the query is common (see _RankedSearch._choose)
    collect: int | None = None  #: matches collected and sorted at most (None: WALK_FROM)
    #: FROM and WHERE of an exact count read from an index alone (no table row, no recheck): run
    #: first, so that a capped query is not collected before it is walked
    counted: tuple[str, str] | None = None
    #: the sample leaves no doubt that the query has more than MAX_TOTAL matches: neither counted
    #: nor collected, its page is walked (PostgreSQL, see PostgresSearch._choose)
    capped: bool = False

    @property
    def walk_above(self) -> int:
        """Matches above which the page is read in rank order: a scan is for common queries, so
        its count stops at the cap (every match counted costs a step of the scan)."""
        most = WALK_FROM if self.collect is None else self.collect
        return min(most, MAX_TOTAL) if self.scan else most


class _RankedSearch:
    """Validation, counting, paging and ranking shared by both databases."""

    dialect = ""
    like = "d.name_search LIKE :pat"  # PostgreSQL's LIKE escape is the backslash already
    in_kinds = "d.kind IN :kinds"
    collate = ""

    def search(
        self,
        conn: Connection,
        query: str,
        *,
        kinds: Collection[str] | None = None,
        limit: int = DEFAULT_LIMIT,
        offset: int = 0,
    ) -> SearchPage:
        req = _request(query, kinds, limit, offset)
        if req.kinds == ():
            return _page(req, 0, [])
        plan = self._choose(conn, req)
        params = {**plan.params, "count_limit": max(plan.walk_above, MAX_TOTAL) + 1}
        rows: Sequence[Any] = []
        total = MAX_TOTAL + 1 if plan.capped else 0
        if plan.capped:
            pass
        elif plan.scan or plan.counted is not None:
            source, where = plan.counted or (plan.source, plan.where)
            first = f"SELECT 1 FROM {source} WHERE {where} LIMIT :count_limit"
            total = int(self._rows(conn, f"SELECT count(*) FROM ({first}) AS m", params)[0][0])
        if not plan.scan and not plan.capped and (plan.counted is None or 0 < total <= plan.walk_above):
            # one pass: the candidates are read once, counted and ranked by the same statement
            params["want"] = req.offset + req.limit
            rows = self._rows(conn, self._collect_sql(plan), params)
            total = int(rows[0].total) if rows else 0
            rows = rows[req.offset :]
        if req.offset >= min(total, MAX_TOTAL):
            return _page(req, total, [])
        if total > plan.walk_above:
            rows = self._walk(conn, replace(req, common=plan.scan))
        elif plan.scan:
            rows = self._rows(conn, self._ranked_sql(plan), plan.params)
        return _ranked_page(req, total, rows)

    # --- rank-ordered reading of common fragments (migration 0009) -----------------------------
    # The ranking is: exact names, then names starting with the query, then the rest, each class in
    # (length, name_search, id) order. Each class is read on its own, in that order, and only as far
    # as the page needs: the exact names from the prefix index; the names starting with the query
    # from the prefix index when they are few, else by walking the rank index; the rest by walking
    # the rank index. A walk filters with instr()/strpos(), which no other index serves, so the
    # database has no choice but to walk (and stop at the LIMIT). The rank index is partial: one for
    # organisations, one for individuals (walked only when they are searched, and merged), so that
    # the public's search never steps over every person's two- or three-character name before the
    # first company name.

    rank_index = "ix_subjects_name_search_rank"  # organisations (partial index)
    people_index = "ix_subjects_name_search_rank_people"  # individuals (partial index)
    scan_source = "subjects AS d"
    scan_kinds = "d.kind IN :kinds"
    prefix_index = "ix_subjects_name_search_prefix"
    position = "instr(d.name_search, :q)"

    def _walk(self, conn: Connection, req: _Query) -> list[Any]:
        params = req.params()
        wanted = req.offset + req.limit
        kinds = "" if req.kinds is None else f" AND {self.in_kinds}"
        select_ = "SELECT d.id, d.name, d.kind, d.id_value, {cls} AS cls, length(d.name_search) AS len"
        order = f" ORDER BY length(d.name_search), d.name_search{self.collate}, d.id LIMIT :want"
        name = f"d.name_search{self.collate}"
        rows = list(
            self._rows(
                conn,
                select_.format(cls=0) + f" FROM {self._source(self.prefix_index)}"
                f" WHERE {name} = :q{kinds} ORDER BY d.id LIMIT :want",
                {**params, "want": wanted},
            )
        )
        hi = _successor(req.q)
        in_range = f"{name} > :q" + ("" if hi is None else f" AND {name} < :hi")
        params["hi"] = hi
        if len(rows) < wanted:
            # an upper bound (all kinds) read from the index alone
            few = (
                "SELECT count(*) FROM (SELECT 1 FROM"
                f" {self._source(self.prefix_index)} WHERE {in_range} LIMIT :count_limit) AS m"
            )
            bound = {k: v for k, v in params.items() if k != "kinds"}
            bound["count_limit"] = self.prefix_collect() + 1
            want = {**params, "want": wanted - len(rows)}
            if int(self._rows(conn, few, bound)[0][0]) <= self.prefix_collect():
                source = self._source(self.prefix_index)
                rows += self._rows(
                    conn, select_.format(cls=1) + f" FROM {source} WHERE {in_range}{kinds}{order}", want
                )
            else:
                rows += self._walk_kinds(conn, req, 1, f"{self.position} = 1 AND {name} <> :q", want)
        if len(rows) < wanted:
            want = {**params, "want": wanted - len(rows)}
            rows += self._walk_kinds(conn, req, 2, f"{self.position} > 1", want)
        return rows[req.offset : req.offset + req.limit]

    def _walk_kinds(
        self, conn: Connection, req: _Query, cls: int, where: str, params: dict[str, Any]
    ) -> Sequence[Any]:
        """The first ``:want`` rows in rank order of ``where``: a walk of the organisations' rank
        index and, when individuals are searched too, of theirs; merged. A walk reads the index
        alone (id, length and name are in it: no table row is read for the names it steps over);
        the page's rows are then read by id."""
        order = f" ORDER BY length(d.name_search), d.name_search{self.collate}, d.id LIMIT :want"
        params = {k: v for k, v in params.items() if k != "kinds"}
        chosen = KINDS if req.kinds is None else set(req.kinds)
        organisations = sorted(chosen - {PERSON})
        walks = []
        if organisations:
            group = f"d.kind <> '{PERSON}'"  # the partial index's own condition, so that it applies
            if set(organisations) != KINDS - {PERSON}:
                params.update({f"kind{i}": k for i, k in enumerate(organisations)})
                group += " AND d.kind IN (" + ", ".join(f":kind{i}" for i in range(len(organisations))) + ")"
            walks.append((self.rank_index, group))
        if PERSON in chosen:
            walks.append((self.people_index, f"d.kind = '{PERSON}'"))
        parts = [
            "SELECT * FROM (SELECT d.id AS wid, length(d.name_search) AS len, d.name_search AS ns"
            f" FROM {self._source(index)} WHERE {group} AND length(d.name_search) > :n AND {where}{order})"
            f" AS w{i}"
            for i, (index, group) in enumerate(walks)
        ]
        rank = f"w.len, w.ns{self.collate}, w.wid"
        merged = f"SELECT * FROM ({' UNION ALL '.join(parts)}) AS w ORDER BY {rank} LIMIT :want"
        return self._rows(
            conn,
            f"SELECT s.id, s.name, s.kind, s.id_value, {int(cls)} AS cls, w.len"
            f" FROM ({merged}) AS w JOIN subjects AS s ON s.id = w.wid ORDER BY {rank}",
            params,
        )

    def _source(self, index: str) -> str:
        return "subjects AS d"

    def prefix_collect(self) -> int:
        """Names starting with the query up to which they are collected and sorted, not walked."""
        return WALK_FROM

    def explain(self, conn: Connection, query: str, *, kinds: Collection[str] | None = None) -> list[str]:
        """The database's plan for the ranked query of a search (for operators and tests)."""
        req = _request(query, kinds, DEFAULT_LIMIT, 0)
        plan = self._choose(conn, req)
        prefix = "EXPLAIN QUERY PLAN " if self.dialect == "sqlite" else "EXPLAIN "
        return [
            " ".join(str(v) for v in r)
            for r in self._rows(conn, prefix + self._ranked_sql(plan), plan.params)
        ]

    def rebuild(self, conn: Connection) -> int:
        """Re-index every subject's name_search; the number of subjects. Needed only after the
        index was lost or damaged (PostgreSQL: its pairs table, see PostgresSearch.rebuild)."""
        return 0

    def _choose(self, conn: Connection, req: _Query) -> _Plan:
        """Scan the names when a sample of them says the query is common: above SCAN_FRACTION of
        them, or more matches expected than :func:`common_from` of the table's size and a walk in
        rank order cheaper than collecting them (its page is then read in rank order, and the count
        stops early); else the database's index finds the candidates (:meth:`_plan`), and a common
        query's are collected and sorted (up to four times as many as expected, at least WALK_FROM).

        A walk steps over every name shorter than the page's matches: cheap for 有限 or 公司, which
        short names hold, dear for 合伙企业 or 管理咨询, found mostly in long names (the sample's
        lengths say which, see :func:`walk_steps`). A sample, not the index statistics: these cost
        as much as the index entries they count (FTS5 counts a term's documents by reading them),
        which for 有限 or 公司 is all subjects."""
        size, sampled, matches = self._sample(conn, req.q)
        common = matches > SCAN_FRACTION * sampled
        if not sampled or not (common or matches * size > common_from(size) * sampled):
            return self._plan(conn, req)
        if common or self._walk_is_cheaper(conn, req, size):
            where = f"{self.position} > 0" + ("" if req.kinds is None else f" AND {self.scan_kinds}")
            return _Plan(self.scan_source, where, req.params(), scan=True)
        expected = matches * size // sampled
        return replace(self._plan(conn, req), collect=max(WALK_FROM, 4 * expected))

    def _walk_is_cheaper(self, conn: Connection, req: _Query, size: int) -> bool:
        """Whether a walk in rank order (the count's scan, then the steps of :func:`walk_steps`) is
        estimated to cost less than collecting the matches (:data:`COLLECT_COST` steps each, or
        :data:`COLLECT_COST_SHORT`). The
        sample is read again, by length: grouping it costs about a millisecond, spent only here."""
        sample = self._histogram(conn, req.q)
        sampled, matches = sum(s.names for s in sample), sum(s.hits for s in sample)
        if not matches:
            return True
        scale = size / sampled
        # the count scans about MAX_TOTAL / density names, each dearer than an index entry: two
        walk = walk_steps(sample, req) * scale + 2 * (MAX_TOTAL + 1) * sampled / matches
        return walk <= (COLLECT_COST if len(req.q) >= 3 else COLLECT_COST_SHORT) * matches * scale

    def _sample(self, conn: Connection, q: str) -> tuple[int, int, int]:
        """(subjects, names sampled, names of the sample containing ``q``)."""
        raise NotImplementedError

    def _histogram(self, conn: Connection, q: str) -> list[_Sampled]:
        """The same sample's names by length and group, with how many contain ``q``."""
        raise NotImplementedError

    def _plan(self, conn: Connection, req: _Query) -> _Plan:
        raise NotImplementedError

    def _rows(self, conn: Connection, sql: str, params: dict[str, Any]) -> Sequence[Any]:
        """Run ``sql`` (``:name`` parameters); rows with attribute access."""
        raise NotImplementedError

    def _ranked_sql(self, plan: _Plan) -> str:
        return (
            "SELECT d.id, d.name, d.kind, d.id_value,"
            " CASE WHEN d.name_search = :q THEN 0"
            " WHEN substr(d.name_search, 1, :n) = :q THEN 1 ELSE 2 END AS cls,"
            " length(d.name_search) AS len"
            f" FROM {plan.source} WHERE {plan.where}"
            f" ORDER BY cls, len, d.name_search{self.collate}, d.id LIMIT :limit OFFSET :offset"
        )

    def _collect_sql(self, plan: _Plan) -> str:
        """The first ``:want`` candidates in rank order and, on each row, how many there are (at
        most ``:count_limit``: more means the page is to be walked, see :meth:`search`)."""
        candidates = (
            "SELECT d.id, d.name, d.kind, d.id_value,"
            " CASE WHEN d.name_search = :q THEN 0"
            " WHEN substr(d.name_search, 1, :n) = :q THEN 1 ELSE 2 END AS cls,"
            " length(d.name_search) AS len, d.name_search AS ns"
            f" FROM {plan.source} WHERE {plan.where} LIMIT :count_limit"
        )
        return (
            f"SELECT m.id, m.name, m.kind, m.id_value, m.cls, m.len, count(*) OVER () AS total"
            f" FROM ({candidates}) AS m ORDER BY m.cls, m.len, m.ns{self.collate}, m.id LIMIT :want"
        )

    def _filters(self, req: _Query) -> str:
        return self.like + ("" if req.kinds is None else f" AND {self.in_kinds}")


class SqliteSearch(_RankedSearch):
    """FTS5 trigram index (``subject_search``) with its term list for 1–2 character queries."""

    dialect = "sqlite"
    like = "d.name_search LIKE :pat ESCAPE '\\'"

    # A scan reads the table in rowid order, where the names holding a common fragment are spread
    # evenly; an index led by the kind would read them in length order, all short names first.
    scan_source = "subjects AS d NOT INDEXED"
    scan_kinds = "d.kind IN :kinds"

    def _source(self, index: str) -> str:
        return f"subjects AS d INDEXED BY {index}"  # no ANALYZE on SQLite: name the index walked

    def prefix_collect(self) -> int:
        return min(WALK_FROM, PREFIX_COLLECT)

    # --- the rank-key index (migration 0011) ---------------------------------------------------
    # ``subject_search_rank`` hands out a query's matches in rank-key order: organisations, then
    # individuals; within each, shorter names first (ties in subjects' rowid order). A query of two
    # characters or more is read from it: one statement collects, counts and ranks the first
    # MAX_TOTAL + 1 candidates (all of them for any but a common fragment); a common fragment's page
    # is then read class by class (:meth:`_walk`), each class's matches in rank-key order up to the
    # page's last name length, that length's matches then sorted by name (or, when there are more
    # than GROUP_COLLECT of them, read in name order from the rank index of 0009).

    rank_source = "subject_search_rank AS r CROSS JOIN subjects AS d ON d.rowid = (r.rowid & 4294967295)"

    def _choose(self, conn: Connection, req: _Query) -> _Plan:
        if len(req.q) < 2:
            return super()._choose(conn, req)
        params = req.params()
        params["pairs"] = _pairs_match(req.q)
        match = f"subject_search_rank MATCH :pairs{_key_range(req.kinds)}"
        # two characters are one pair: its term is exact, and the rank keys tell the groups apart
        exact = len(req.q) == 2 and _key_range_exact(req.kinds)
        counted = ("subject_search_rank AS r", match) if exact else None
        where = f"{match} AND {self._filters(req)}"
        return _Plan(self.rank_source, where, params, collect=min(WALK_FROM, MAX_TOTAL), counted=counted)

    def _walk_kinds(
        self, conn: Connection, req: _Query, cls: int, where: str, params: dict[str, Any]
    ) -> Sequence[Any]:
        if len(req.q) < 2:
            return super()._walk_kinds(conn, req, cls, where, params)
        chosen = KINDS if req.kinds is None else set(req.kinds)
        rows: list[Any] = []
        for person in (False, True):
            group = chosen & {PERSON} if person else chosen - {PERSON}
            if group:
                rows += self._walk_group(conn, req, cls, where, params, person)
        rows.sort(key=lambda r: (r.len, r.ns, r.id))
        return rows[: params["want"]]

    def _walk_group(
        self, conn: Connection, req: _Query, cls: int, where: str, params: dict[str, Any], person: bool
    ) -> list[Any]:
        """The first ``:want`` rows in rank order of ``where`` among individuals or organisations."""
        want = int(params["want"])
        base = int(person) << 52
        params = {**params, "pairs": _pairs_match(req.q), "lo": base, "hi": base + (1 << 52)}
        params.pop("kinds", None)
        kinds = _group_kinds(req, person)
        select_ = (
            f"SELECT d.id, d.name, d.kind, d.id_value, {int(cls)} AS cls, length(d.name_search) AS len,"
            " d.name_search AS ns"
        )
        match = f"subject_search_rank MATCH :pairs AND r.rowid >= :lo AND r.rowid < :hi AND {where}{kinds}"
        first = list(
            self._rows(
                conn, f"{select_} FROM {self.rank_source} WHERE {match} ORDER BY r.rowid LIMIT :want", params
            )
        )
        if len(first) < want:
            return first
        last = first[-1].len  # the page ends among the names of this length: all of them, by name
        rows = [r for r in first if r.len < last]
        key = base + (last << 32)
        within = {**params, "lo": key, "hi": key + (1 << 32), "count_limit": GROUP_COLLECT + 1}
        group = list(
            self._rows(conn, f"{select_} FROM {self.rank_source} WHERE {match} LIMIT :count_limit", within)
        )
        if len(group) <= GROUP_COLLECT:
            group.sort(key=lambda r: (r.ns, r.id))
            return rows + group[: want - len(rows)]
        index, own = (
            (self.people_index, f"d.kind = '{PERSON}'")
            if person
            else (self.rank_index, f"d.kind <> '{PERSON}'")
        )
        walked = self._rows(
            conn,
            f"{select_} FROM {self._source(index)} WHERE {own} AND length(d.name_search) = :len"
            f" AND {where}{kinds} ORDER BY d.name_search, d.id LIMIT :rest",
            {**params, "len": last, "rest": want - len(rows)},
        )
        return rows + list(walked)

    def _rows(self, conn: Connection, sql: str, params: dict[str, Any]) -> Sequence[Any]:
        clause = text(sql)
        if "kinds" in params and ":kinds" in sql:
            clause = clause.bindparams(bindparam("kinds", expanding=True))
        return conn.execute(clause, params).all()

    def rebuild(self, conn: Connection) -> int:
        conn.exec_driver_sql("INSERT INTO subject_search (subject_search) VALUES ('delete-all')")
        done = conn.exec_driver_sql(
            "INSERT INTO subject_search (rowid, body) SELECT rowid, name_search || char(3, 3) FROM subjects"
        )
        conn.exec_driver_sql("INSERT INTO subject_search_rank (subject_search_rank) VALUES ('delete-all')")
        fill = f"SELECT {RANK_KEY_SQL}, {RANK_TEXT_SQL} FROM subjects AS s"
        conn.exec_driver_sql(f"INSERT INTO subject_search_rank (rowid, body) {fill}")
        return int(done.rowcount)

    def _plan(self, conn: Connection, req: _Query) -> _Plan:
        params = req.params()
        filters = self._filters(req)
        if len(req.q) >= 3:
            params["match"] = " AND ".join(_fts_string(t) for t in _trigrams(req.q))
            return _Plan(
                "subject_search CROSS JOIN subjects AS d ON d.rowid = subject_search.rowid",
                f"subject_search MATCH :match AND {filters}",
                params,
            )
        # every occurrence of a 1-2 character string starts an indexed trigram: the terms in [q, q+)
        terms = "SELECT DISTINCT doc FROM subject_search_terms WHERE term >= :q"
        hi = _successor(req.q)
        if hi is not None:
            params["hi"] = hi
            terms += " AND term < :hi"
        return _Plan(f"({terms}) AS c CROSS JOIN subjects AS d ON d.rowid = c.doc", filters, params)

    def _sample(self, conn: Connection, q: str) -> tuple[int, int, int]:
        """Windows of consecutive rowids spread over the table (the rowid is the primary key of a
        rowid table: each window is one short range read)."""
        size, parts = self._windows(conn, "name_search")
        row = conn.exec_driver_sql(
            f"SELECT count(*), coalesce(sum(instr(name_search, ?) > 0), 0) FROM ({parts})", (q,)
        ).one()
        return size, int(row[0]), int(row[1])

    def _histogram(self, conn: Connection, q: str) -> list[_Sampled]:
        _, parts = self._windows(conn, "name_search, kind")
        rows = conn.exec_driver_sql(
            f"SELECT length(name_search), kind = '{PERSON}', count(*), sum(instr(name_search, ?) > 0)"
            f" FROM ({parts}) GROUP BY 1, 2",
            (q,),
        ).all()
        return [_Sampled(int(r[0]), bool(r[1]), int(r[2]), int(r[3])) for r in rows]

    def _windows(self, conn: Connection, columns: str) -> tuple[int, str]:
        """(subjects, the sample's query: these columns of the windows' rows)."""
        size = int(conn.exec_driver_sql("SELECT max(rowid) FROM subjects").scalar() or 0)
        if size <= SAMPLE_ROWS:
            windows, width = [0], SAMPLE_ROWS
        else:
            windows, width = (
                [size * i // SAMPLE_WINDOWS for i in range(SAMPLE_WINDOWS)],
                SAMPLE_ROWS // SAMPLE_WINDOWS,
            )
        parts = " UNION ALL ".join(
            f"SELECT * FROM (SELECT {columns} FROM subjects"
            f" WHERE rowid > {start} ORDER BY rowid LIMIT {width})"
            for start in windows
        )
        return size, parts


# The table's size from the planner's statistics; and, for the rest of the search's transaction
# (set_config(..., true) is SET LOCAL), no JIT and no parallel plan: every statement of a search stops
# at a LIMIT, but the planner's cost of a bitmap it overestimates passes jit_above_cost, and compiling
# the plan took 200-480 ms (湾（, 12 matches; 体（深圳), starting workers 80 ms
SIZE_SQL = (
    "SELECT reltuples, relpages, set_config('jit', 'off', true) AS jit,"
    " set_config('max_parallel_workers_per_gather', '0', true) AS workers"
    " FROM pg_class WHERE oid = CAST('subjects' AS regclass)"
)


class PostgresSearch(_RankedSearch):
    """``pg_trgm`` GIN index for 3+ characters, a GIN index over the names' characters below."""

    dialect = "postgresql"
    in_kinds = "d.kind = ANY(CAST(:kinds AS text[]))"
    collate = ' COLLATE "C"'  # code-point order, as SQLite's BINARY, whatever the database's collation
    position = "strpos(d.name_search, :q)"
    # a kind filter no index serves: a scan reads the table in its own order, where the names holding
    # a common fragment are spread evenly (a partial index would read them in length order)
    scan_kinds = "(d.kind || '') = ANY(CAST(:kinds AS text[]))"

    def _sample(self, conn: Connection, q: str) -> tuple[int, int, int]:
        """A block sample (``TABLESAMPLE SYSTEM``, repeatable) of about SAMPLE_ROWS names, sized from
        the planner's row count. No sample of a table that small or not yet analysed: the planner,
        which knows as much, chooses alone."""
        size, sampled, matches, _, _ = self._sample_pages(conn, q, None)
        return size, sampled, matches

    def _sample_pages(
        self, conn: Connection, q: str, kinds: tuple[str, ...] | None
    ) -> tuple[int, int, int, int, int]:
        """:meth:`_sample`, and of the sample's names of one of ``kinds`` (all when None), how many
        contain ``q`` and on how many pages: a page counts once, however many matching names were
        stored together."""
        tuples, pages, _, _ = self._rows(conn, SIZE_SQL, {})[0]
        size = int(tuples or 0)
        if size <= SAMPLE_ROWS:
            return size, 0, 0, 0, 0
        hit = "strpos(name_search, :q) > 0"
        wanted = hit if kinds is None else f"{hit} AND kind = ANY(CAST(:kinds AS text[]))"
        row = self._rows(
            conn,
            f"SELECT count(*) AS names, coalesce(sum(CASE WHEN {hit} THEN 1 ELSE 0 END), 0) AS hits,"
            f" coalesce(sum(CASE WHEN {wanted} THEN 1 ELSE 0 END), 0) AS wanted,"
            f" count(DISTINCT CASE WHEN {wanted} THEN (ctid::text::point)[0] END) AS pages"
            " FROM subjects TABLESAMPLE SYSTEM (:percent) REPEATABLE (0)",
            {"q": q, "percent": _percent(size, int(pages)), "kinds": list(kinds or ())},
        )[0]
        return size, int(row[0]), int(row[1]), int(row[2]), int(row[3])

    def _histogram(self, conn: Connection, q: str) -> list[_Sampled]:
        tuples, pages, _, _ = self._rows(conn, SIZE_SQL, {})[0]
        rows = self._rows(
            conn,
            f"SELECT length(name_search), kind = '{PERSON}', count(*),"
            " sum(CASE WHEN strpos(name_search, :q) > 0 THEN 1 ELSE 0 END)"
            " FROM subjects TABLESAMPLE SYSTEM (:percent) REPEATABLE (0) GROUP BY 1, 2",
            {"q": q, "percent": _percent(int(tuples or 0), int(pages))},
        )
        return [_Sampled(int(r[0]), bool(r[1]), int(r[2]), int(r[3])) for r in rows]

    def prefix_collect(self) -> int:
        return min(WALK_FROM, PREFIX_COLLECT)

    def rebuild(self, conn: Connection) -> int:
        """Refill the pairs table of migration 0012 from the subjects (its triggers keep it, but not
        through writes that bypass triggers); the number of subjects. The GIN indexes need nothing."""
        conn.exec_driver_sql("LOCK TABLE subjects IN SHARE ROW EXCLUSIVE MODE")  # no write meanwhile
        conn.exec_driver_sql("TRUNCATE subject_search_pairs")
        conn.exec_driver_sql(pairs.REFILL_SQL)
        conn.exec_driver_sql("ANALYZE subject_search_pairs")
        return int(conn.execute(select(func.count()).select_from(subjects)).scalar_one())

    # --- names by length (migration 0011) -------------------------------------------------------
    # ``subject_rank_pairs`` tags each of a name's character pairs with the group and the name's
    # length: the names of one length holding a query's pairs come from the GIN index alone. A query
    # of two characters or more that the sample does not find common is collected, counted and
    # ranked by one statement up to MAX_TOTAL + 1 candidates; a capped one (and a common one) reads
    # its page class by class, one name length at a time, shortest first, each length's matches
    # sorted by name (or, above GROUP_COLLECT, read in name order from the rank index of 0009).

    pairs_index = "subject_rank_pairs(d.name_search, d.kind = 'individual')"

    def search(
        self,
        conn: Connection,
        query: str,
        *,
        kinds: Collection[str] | None = None,
        limit: int = DEFAULT_LIMIT,
        offset: int = 0,
    ) -> SearchPage:
        """A query of two characters or more is answered from the pairs table of migration 0012 in
        one to three statements (:mod:`xinyong.search.pairs`); when a walk there stops short, and
        for one character, by the general plan below."""
        req = _request(query, kinds, limit, offset)
        if len(req.q) >= 2 and req.kinds != () and PAIRS_WALK:
            found = self._by_pairs(conn, req)
            if found is not None:
                return found
        return super().search(conn, query, kinds=kinds, limit=limit, offset=offset)

    def _by_pairs(self, conn: Connection, req: _Query) -> SearchPage | None:
        driver: Any = conn.connection.driver_connection
        plan = _pairs_plan(req, _stats_key(driver))
        found = pairs.run(plan, lambda sql, params: self._rows(conn, sql, params))
        return None if found is None else _pairs_page(req, found)

    def _choose(self, conn: Connection, req: _Query) -> _Plan:
        if len(req.q) < 2:
            return super()._choose(conn, req)
        size, sampled, matches, wanted, pages = self._sample_pages(conn, req.q, req.kinds)
        # common (有限, 公司, 深圳): the first MAX_TOTAL + 1 matches are soon found by a scan, while their
        # GIN entries are most of the index. (Below SCAN_FRACTION, a scan to count them read up to
        # 50 ms of names at 1,000,000: those are collected from the index, at most 501.)
        if sampled and matches > SCAN_FRACTION * sampled:
            where = f"{self.position} > 0" + ("" if req.kinds is None else f" AND {self.scan_kinds}")
            return _Plan(self.scan_source, where, req.params(), scan=True)
        plan = replace(self._plan(conn, req), collect=min(WALK_FROM, MAX_TOTAL))
        # Collecting the first MAX_TOTAL + 1 matches to learn that there are more read as many table
        # rows: 5-25 ms for 易有限 or 技有, most of a capped query's time (bench/check.py).
        # When SURELY_CAPPED of the sample's pages hold a match of the kinds searched, the query is
        # taken as capped and only its page is read.
        if pages >= SURELY_CAPPED and wanted * size >= CAPPED_MARGIN * (MAX_TOTAL + 1) * sampled:
            return replace(plan, capped=True)
        # The candidates of a query the sample finds in under SURELY_CAPPED names come from an index:
        # left to itself, the planner scanned the table for those it expected by the thousand
        # (财务咨询: 120,000 names read for 501 matches, 24 ms, against ~2 ms from pg_trgm's index).
        # For the rest of the search's transaction, as SIZE_SQL's settings.
        self._rows(conn, "SELECT set_config('enable_seqscan', 'off', true)", {})
        return plan

    def _pairs_plan(self, conn: Connection, req: _Query) -> _Plan:
        """Candidates from the tagged pairs, every length at once (one GIN probe a length and group).
        For a query holding punctuation or spaces: ``pg_trgm`` cuts the name into words there and
        reads the entries of the words' edges (" 深圳" after a bracket is in most names), and the
        characters' index reads those of ( and 深: 100-200 ms for 询（深圳 at 1,000,000 names."""
        params = req.params()
        chosen = KINDS if req.kinds is None else set(req.kinds)
        pairs = list(dict.fromkeys(req.q[i : i + 2] for i in range(len(req.q) - 1)))
        probes: list[str] = []
        for person in (False, True):
            if chosen & {PERSON} if person else chosen - {PERSON}:
                tag = "p" if person else "o"
                for length in range(len(req.q), self._longest(conn, person) + 1):
                    params[f"t{len(probes)}"] = [f"{tag}{length}:{pair}" for pair in pairs]
                    probes.append(f"{self.pairs_index} @> CAST(:t{len(probes)} AS text[])")
        if not probes:
            return _Plan("subjects AS d", "false", params)
        # strpos, not LIKE, rechecks, and the kinds are compared as no index serves them: the planner
        # then has only the pairs to use (not pg_trgm, nor an AND with a bitmap of every organisation)
        kinds = "" if req.kinds is None else f" AND {self.scan_kinds}"
        return _Plan("subjects AS d", f"({' OR '.join(probes)}) AND {self.position} > 0{kinds}", params)

    def _longest(self, conn: Connection, person: bool) -> int:
        """The longest name of the group (from the end of its rank index); 0 when it is empty."""
        own = f"d.kind = '{PERSON}'" if person else f"d.kind <> '{PERSON}'"
        found = self._rows(
            conn,
            f"SELECT length(d.name_search) AS len FROM subjects AS d WHERE {own}"
            " ORDER BY length(d.name_search) DESC LIMIT 1",
            {},
        )
        return int(found[0].len) if found else 0

    def _walk_kinds(
        self, conn: Connection, req: _Query, cls: int, where: str, params: dict[str, Any]
    ) -> Sequence[Any]:
        if len(req.q) < 2:
            return super()._walk_kinds(conn, req, cls, where, params)
        chosen = KINDS if req.kinds is None else set(req.kinds)
        rows: list[Any] = []
        for person in (False, True):
            if chosen & {PERSON} if person else chosen - {PERSON}:
                rows += self._walk_lengths(conn, req, cls, where, params, person)
        rows.sort(key=lambda r: (r.len, r.ns, r.id))
        return rows[: params["want"]]

    def _walk_lengths(
        self, conn: Connection, req: _Query, cls: int, where: str, params: dict[str, Any], person: bool
    ) -> list[Any]:
        """The first ``:want`` rows in rank order of ``where`` among individuals or organisations,
        read by name length, shortest first: a common query's one length at a time (from the rank
        index, see :meth:`_length_rows`); any other's :data:`LENGTH_WINDOW` lengths at once from the
        tagged pairs, one length at a time only where a window holds more than
        :data:`PG_GROUP_COLLECT` matches (one statement for the short names most queries are not in,
        instead of one a length)."""
        want = int(params["want"])
        walk = _LengthWalk(self, conn, req, cls, where, params, person)
        rows: list[Any] = []
        length, longest = len(req.q) + 1, self._longest(conn, person)
        while length <= longest and len(rows) < want:
            last = length if req.common else min(length + LENGTH_WINDOW - 1, longest)
            found = None if req.common else walk.window(length, last)
            if found is not None:
                rows += found[: want - len(rows)]
            else:
                for one in range(length, last + 1):
                    rows += walk.length(one, want - len(rows))
                    if len(rows) >= want:
                        break
            length = last + 1
        return rows

    def _rows(self, conn: Connection, sql: str, params: dict[str, Any]) -> Sequence[Any]:
        """Through psycopg, unprepared: psycopg prepares a statement run five times on a connection,
        and PostgreSQL may then switch to a generic plan, blind to the pattern (a full GIN scan for
        有限 and for 腾讯 alike). Same connection, same transaction as ``conn``."""
        from psycopg.rows import namedtuple_row

        driver: Any = conn.connection.driver_connection
        with driver.cursor(row_factory=namedtuple_row) as cur:
            cur.execute(_PARAMETER.sub(r"%(\1)s", sql), params, prepare=False)
            return list(cur.fetchall())

    def _plan(self, conn: Connection, req: _Query) -> _Plan:
        params = req.params()
        filters = self._filters(req)
        # Two characters: the names holding the pair, from the tagged pairs, rather than those holding
        # both characters anywhere from the characters' index (英有: every name with 英, as nearly
        # all hold 有, each read to recheck: 24 ms for 255 matches)
        if len(req.q) == 2 or (len(req.q) > 2 and not req.q.isalnum()):
            return self._pairs_plan(conn, req)
        if len(req.q) >= 3:
            return _Plan("subjects AS d", filters, params)
        params["chars"] = sorted(set(req.q))
        where = f"string_to_array(d.name_search, NULL) @> CAST(:chars AS text[]) AND {filters}"
        return _Plan("subjects AS d", where, params)


class _LengthWalk:
    """Reads a query's matches of given name lengths for :meth:`PostgresSearch._walk_lengths`."""

    def __init__(
        self,
        search: PostgresSearch,
        conn: Connection,
        req: _Query,
        cls: int,
        where: str,
        params: dict[str, Any],
        person: bool,
    ) -> None:
        self.search, self.conn, self.req, self.cls, self.where = search, conn, req, cls, where
        self.params = {k: v for k, v in params.items() if k != "kinds"}
        self.own = f"d.kind = '{PERSON}'" if person else f"d.kind <> '{PERSON}'"
        self.kinds = _group_kinds(req, person)
        self.tag = "p" if person else "o"
        self.pairs = list(dict.fromkeys(req.q[i : i + 2] for i in range(len(req.q) - 1)))
        self.select = (
            f"SELECT d.id, d.name, d.kind, d.id_value, {int(cls)} AS cls, length(d.name_search) AS len,"
            " d.name_search AS ns"
        )

    def _probe(self, lengths: range) -> list[Any]:
        """Up to PG_GROUP_COLLECT + 1 matches of these lengths, from the tagged pairs."""
        tags = {
            f"t{n}": [f"{self.tag}{length}:{pair}" for pair in self.pairs] for n, length in enumerate(lengths)
        }
        index = self.search.pairs_index
        probes = " OR ".join(f"{index} @> CAST(:{name} AS text[])" for name in tags)
        return list(
            self.search._rows(
                self.conn,
                f"{self.select} FROM subjects AS d WHERE ({probes}) AND {self.where}{self.kinds} LIMIT :cap",
                {**self.params, **tags, "cap": PG_GROUP_COLLECT + 1},
            )
        )

    def window(self, first: int, last: int) -> list[Any] | None:
        """Every match of the lengths first..last in rank order, or None when they are more than
        PG_GROUP_COLLECT (then read one length at a time)."""
        found = self._probe(range(first, last + 1))
        if len(found) > PG_GROUP_COLLECT:
            return None
        return sorted(found, key=lambda r: (r.len, r.ns, r.id))

    def length(self, length: int, rest: int) -> list[Any]:
        """The first ``rest`` matches of one name length in name order: for a common query, among the
        first COMMON_STEPS names of the length (read in name order from the rank index alone), often
        enough; else from the tagged pairs when they are PG_GROUP_COLLECT or fewer, or by reading
        the length's names in name order from the rank index."""
        collate, params = self.search.collate, {**self.params, "len": length, "rest": rest}
        page = (
            f"SELECT s.id, s.name, s.kind, s.id_value, {int(self.cls)} AS cls, length(w.wns) AS len,"
            " w.wns AS ns FROM ({walk}) AS w JOIN subjects AS s ON s.id = w.wid"
        )
        if self.req.common:
            walk = (
                "SELECT d.id AS wid, d.name_search AS wns FROM subjects AS d"
                f" WHERE {self.own} AND length(d.name_search) = :len{self.kinds}"
                f" ORDER BY d.name_search{collate}, d.id LIMIT :steps"
            )
            where = self.where.replace("d.name_search", "w.wns")
            sql = page.format(walk=walk) + f" WHERE {where} ORDER BY w.wns{collate}, w.wid LIMIT :rest"
            found = list(self.search._rows(self.conn, sql, {**params, "steps": COMMON_STEPS}))
            if len(found) == rest:
                return found
        found = self._probe(range(length, length + 1))
        if len(found) > PG_GROUP_COLLECT:  # read in name order from the rank index alone, then the rows
            walk = (
                "SELECT d.id AS wid, d.name_search AS wns FROM subjects AS d"
                f" WHERE {self.own} AND length(d.name_search) = :len AND {self.where}{self.kinds}"
                f" ORDER BY d.name_search{collate}, d.id LIMIT :rest"
            )
            found = list(self.search._rows(self.conn, page.format(walk=walk), params))
        found.sort(key=lambda r: (r.ns, r.id))
        return found[:rest]


# The rank key and the indexed text of a subjects row ``s`` in ``subject_search_rank``: as
# migration 0011 writes them (its triggers keep the index; these refill it, see rebuild).
RANK_KEY_SQL = "(((s.kind = 'individual') << 52) | (length(s.name_search) << 32) | s.rowid)"
RANK_TEXT_SQL = (
    "coalesce((SELECT group_concat(substr(s.name_search, key + 1, 2) || char(4), '')"
    " FROM json_each('[' || rtrim(replace(hex(zeroblob(length(s.name_search))), '00', '0,'), ',')"
    " || ']')), '')"
)


def _pairs_plan(req: _Query, stats_key: Any) -> pairs.Plan:
    kinds = None if req.kinds is None else sorted(req.kinds)
    return pairs.ranked(stats_key, req.q, kinds, req.offset + req.limit, MAX_TOTAL + 1, _successor(req.q))


def _pairs_page(req: _Query, found: tuple[int, list[Any]]) -> SearchPage:
    total, rows = found
    if req.offset >= min(total, MAX_TOTAL):
        return _page(req, total, [])
    return _ranked_page(req, total, rows[req.offset : req.offset + req.limit])


def _stats_key(driver: Any) -> tuple[Any, ...]:
    """The database a psycopg connection (sync or async) is to, as the pairs' statistics' key."""
    info = driver.info
    return (info.host, info.port, info.dbname)


async def search_pairs_async(
    conn: Any,
    query: str,
    *,
    kinds: Collection[str] | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> SearchPage | None:
    """PostgreSQL from the event loop (``conn``: psycopg's AsyncConnection, see
    :mod:`xinyong.store.pgasync`): :meth:`PostgresSearch.search` of a query of two characters or
    more, answered from the pairs table; None when it is not (one character, or a walk that stopped
    short): the caller then runs the search."""
    from psycopg.rows import namedtuple_row

    req = _request(query, kinds, limit, offset)
    if len(req.q) < 2 or req.kinds == () or not PAIRS_WALK:
        return None

    async def rows(sql: str, params: dict[str, Any]) -> Sequence[Any]:
        async with conn.cursor(row_factory=namedtuple_row) as cursor:
            await cursor.execute(_PARAMETER.sub(r"%(\1)s", sql), params, prepare=False)
            return list(await cursor.fetchall())

    found = await pairs.run_async(_pairs_plan(req, _stats_key(conn)), rows)
    return None if found is None else _pairs_page(req, found)


def _group_kinds(req: _Query, person: bool) -> str:
    """The kind filter a walk of one group (individuals, organisations) still needs: none when every
    kind of the group is searched (the group's own condition, or its rank keys, say it)."""
    if person or req.kinds is None or set(req.kinds) >= KINDS - {PERSON}:
        return ""
    return " AND d.kind IN (" + ", ".join(f"'{k}'" for k in sorted(set(req.kinds) - {PERSON})) + ")"


def _pairs_match(q: str) -> str:
    """The rank-key index's query for ``q`` (2+ characters): the AND of its character pairs, each as
    the trigram pair + char(4) the index holds (see migration 0011)."""
    pairs = dict.fromkeys(q[i : i + 2] + "\x04" for i in range(len(q) - 1))
    return " AND ".join(_fts_string(p) for p in pairs)


def _key_range(kinds: tuple[str, ...] | None) -> str:
    """The rank keys of ``kinds`` (organisations below 1 << 52, individuals above), as SQL."""
    if kinds is None or (PERSON in kinds and len(kinds) > 1):
        return ""
    return f" AND r.rowid >= {1 << 52}" if PERSON in kinds else f" AND r.rowid < {1 << 52}"


def _key_range_exact(kinds: tuple[str, ...] | None) -> bool:
    """Whether the rank keys alone select ``kinds``: all kinds, all organisations or individuals."""
    return kinds is None or set(kinds) in ({PERSON}, KINDS - {PERSON})


def common_from(size: int) -> float:
    """Expected matches above which a query over ``size`` names is read by a walk in rank order.

    Scanning to count the first MAX_TOTAL matches and walking to the page's last steps over about
    ``520 / density`` names (~0.5 µs each with SQLite); collecting the matches from the trigram
    index and sorting them costs about 8 µs a match (``density * size`` of them): the two cost the
    same near 6·√size matches (1,300 of 50,000 names, 6,000 of 1,000,000). Never below the cap of
    the ranking, nor above WALK_FROM."""
    return float(min(WALK_FROM, max(MAX_TOTAL, 6.0 * size**0.5)))


def _percent(size: int, pages: int) -> float:
    """PostgreSQL's sample: the percentage of pages for about SAMPLE_ROWS names; whole pages are
    sampled, at least SAMPLE_PAGES of them, so that a sample is never empty."""
    return min(100.0, max(100.0 * SAMPLE_ROWS / max(size, 1), 100.0 * SAMPLE_PAGES / max(pages, 1)))


def walk_steps(sample: Sequence[_Sampled], req: _Query) -> int:
    """Names of ``sample`` a walk in rank order steps over before its first match: in each rank
    index walked (organisations; individuals when they are searched), those longer than the query
    and shorter than the group's shortest match (all of them when none matches)."""
    chosen = KINDS if req.kinds is None else set(req.kinds)
    groups = [person for person in (False, True) if (chosen & {PERSON} if person else chosen - {PERSON})]
    steps = 0
    for person in groups:
        rows = [s for s in sample if s.person == person and s.length > len(req.q)]
        first = min((s.length for s in rows if s.hits), default=None)
        steps += sum(s.names for s in rows if first is None or s.length < first)
    return steps


def _ranked_page(req: _Query, count: int, rows: Sequence[Any]) -> SearchPage:
    """The page of ranked rows (id, name, kind, id_value, cls, len), scored."""
    hits = [Hit(r.id, r.name, r.kind, _score(r.cls, len(req.q), r.len), id_value=r.id_value) for r in rows]
    return _page(req, count, hits)


def _page(req: _Query, count: int, hits: list[Hit]) -> SearchPage:
    return SearchPage(req.q, min(count, MAX_TOTAL), hits, count > MAX_TOTAL, req.limit, req.offset)


def search_index_for(dialect_name: str) -> SearchIndex:
    """The name search of a database dialect (``Store.dialect`` / ``engine.dialect.name``)."""
    if dialect_name == "sqlite":
        return SqliteSearch()
    if dialect_name == "postgresql":
        return PostgresSearch()
    raise ConfigurationError(
        f"no name search for database dialect {dialect_name!r}: use SQLite or PostgreSQL",
        rule="search.dialect",
    )


def search(
    conn: Connection,
    query: str,
    *,
    kinds: Collection[str] | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> SearchPage:
    """Search subjects by name on ``conn``'s database (see :class:`SearchIndex`)."""
    index = search_index_for(conn.dialect.name)
    return index.search(conn, query, kinds=kinds, limit=limit, offset=offset)


def rebuild(conn: Connection) -> int:
    """Re-index every subject's name (see :meth:`SqliteSearch.rebuild`); run inside a write."""
    return search_index_for(conn.dialect.name).rebuild(conn)


def refresh_name_search(conn: Connection, *, chunk: int = 5000) -> int:
    """Recompute ``subjects.name_search`` from ``name`` where it differs (after a change of the
    normalisation rules or of OpenCC's tables, or a writer that forgot it); the number of subjects
    updated. The index follows through its triggers (SQLite) or by itself (PostgreSQL)."""
    update = (
        subjects.update().where(subjects.c.id == bindparam("sid")).values(name_search=bindparam("normalised"))
    )
    changed, last = 0, ""
    while True:
        rows = conn.execute(
            select(subjects.c.id, subjects.c.name, subjects.c.name_search)
            .where(subjects.c.id > last)
            .order_by(subjects.c.id)
            .limit(chunk)
        ).all()
        if not rows:
            return changed
        fresh = ((r, normalise_name(r.name)) for r in rows)
        stale = [{"sid": r.id, "normalised": value} for r, value in fresh if value != r.name_search]
        if stale:
            conn.execute(update, stale)
        changed += len(stale)
        last = rows[-1].id


def by_identifier(
    conn: Connection | Any,
    code: str,
    *,
    include_personal: bool = False,
    kinds: Collection[str] | None = None,
) -> list[Hit]:
    """Subjects holding identifier ``code``: USCC, organisation code (with or without the hyphen)
    or registration number; resident ID numbers and other personal documents only with
    ``include_personal`` (the caller has decided the viewer may). Full-width characters, spaces
    and lower case are tolerated. Never raises on malformed input: no match is an empty list.

    ``conn`` is a SQLAlchemy connection or a DBAPI one (``Store.driver_read``: the check's code
    lookups skip the pool's checkout and, on PostgreSQL, the BEGIN and ROLLBACK round trips).
    """
    raw: Any = conn.connection.driver_connection if isinstance(conn, Connection) else conn
    query = _identifier_query(code, kinds, "?" if isinstance(raw, sqlite3.Connection) else "%s")
    if query is None:
        return []
    cursor = raw.cursor()
    try:
        cursor.execute(*query)
        return _identifier_hits(cursor.fetchall(), include_personal)
    finally:
        cursor.close()


async def by_identifier_async(
    conn: Any, code: str, *, include_personal: bool = False, kinds: Collection[str] | None = None
) -> list[Hit]:
    """:func:`by_identifier` on psycopg's ``AsyncConnection`` (xinyong.store.pgasync)."""
    query = _identifier_query(code, kinds, "%s")
    if query is None:
        return []
    cursor = await conn.execute(*query)
    return _identifier_hits(await cursor.fetchall(), include_personal)


def _identifier_query(
    code: str, kinds: Collection[str] | None, mark: str
) -> tuple[str, tuple[str, ...]] | None:
    """The statement finding ``code``'s subjects (plain SQL for the driver: the most frequent query
    of the check, where building and caching a SQLAlchemy statement cost several times what the
    database does); None when ``code`` cannot be an identifier."""
    values = sorted(_identifier_forms(code))
    if not values:
        return None
    chosen = [] if kinds is None else sorted(_kinds(kinds))
    sql = (
        "SELECT s.id, s.name, s.kind, s.id_value, i.scheme"
        " FROM subject_identifiers AS i JOIN subjects AS s ON s.id = i.subject_id"
        f" WHERE i.value IN ({', '.join([mark] * len(values))})"
    )
    if chosen:
        sql += f" AND s.kind IN ({', '.join([mark] * len(chosen))})"
    return sql + " ORDER BY s.id, i.scheme", (*values, *chosen)


def _identifier_hits(rows: Sequence[Any], include_personal: bool) -> list[Hit]:
    hits: dict[str, Hit] = {}
    for sid, name, kind, id_value, scheme in rows:
        if sid not in hits and _scheme_allowed(scheme, include_personal):
            hits[sid] = Hit(sid, name, kind, 3.0, matched=scheme, id_value=id_value)
    return list(hits.values())


def _scheme_allowed(scheme: str, include_personal: bool) -> bool:
    if scheme in ORGANISATION_SCHEMES:
        return True
    return include_personal and (scheme in PERSONAL_SCHEMES or scheme.startswith("id_document_"))


def _identifier_forms(code: str) -> set[str]:
    """The stored forms ``code`` may have: as typed (folded, upper case) and canonical."""
    if not isinstance(code, str):
        return set()
    value = "".join(unicodedata.normalize("NFKC", code).split()).upper()
    if not value or len(value) > 64 or not value.isprintable():
        return set()
    forms = {value}
    parsers: tuple[Callable[[str], Any], ...] = (
        ids.parse_uscc,
        ids.parse_organisation_code,
        ids.parse_registration_number,
        ids.parse_resident_id,
    )
    for parse in parsers:
        try:
            forms.add(str(parse(value).code))
        except InvalidInput:  # not that kind of identifier: the other forms remain
            continue
    return forms


def _request(query: str, kinds: Collection[str] | None, limit: int, offset: int) -> _Query:
    q = normalise_query(query if isinstance(query, str) else "")
    if not q:
        raise InvalidInput(
            "type a name, or part of one, to search",
            message_zh="请输入名称或名称中的部分文字",
            rule="search.query_required",
        )
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(
            f"limit must be between 1 and {MAX_LIMIT}, got {limit!r}",
            message_zh=f"每页条数应在 1 到 {MAX_LIMIT} 之间",
            rule="search.limit",
        )
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise InvalidInput(
            f"offset must be 0 or more, got {offset!r}", message_zh="起始位置不能为负数", rule="search.offset"
        )
    chosen = None if kinds is None else tuple(sorted(_kinds(kinds)))
    return _Query(q, chosen, max(min(limit, MAX_TOTAL - offset), 1), offset)


def _kinds(kinds: Collection[str]) -> set[str]:
    chosen = {str(k) for k in kinds}
    unknown = sorted(chosen - KINDS)
    if unknown:
        raise InvalidInput(
            f"unknown subject kind(s) {', '.join(unknown)}; expected some of {', '.join(sorted(KINDS))}",
            message_zh="主体类型无效",
            rule="search.kinds",
        )
    return chosen


def _score(cls: int, query_len: int, name_len: int) -> float:
    return round((2 - cls) + query_len / max(name_len, 1), 6)


def _escape_like(q: str) -> str:
    return q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _trigrams(q: str) -> list[str]:
    return list(dict.fromkeys(q[i : i + 3] for i in range(len(q) - 2)))


def _fts_string(term: str) -> str:
    """An FTS5 string literal: quoted, quotes doubled, so nothing in it is query syntax."""
    return '"' + term.replace('"', '""') + '"'


def _successor(q: str) -> str | None:
    """The least string greater than every string starting with ``q`` (None: there is none)."""
    for i in range(len(q) - 1, -1, -1):
        code = ord(q[i]) + 1
        if 0xD800 <= code <= 0xDFFF:
            code = 0xE000
        if code <= 0x10FFFF:
            return q[:i] + chr(code)
    return None


__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "MAX_TOTAL",
    "Hit",
    "PostgresSearch",
    "SearchIndex",
    "SearchPage",
    "SqliteSearch",
    "by_identifier",
    "rebuild",
    "refresh_name_search",
    "search",
    "search_index_for",
    "search_pairs_async",
]
