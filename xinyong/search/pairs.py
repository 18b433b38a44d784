"""PostgreSQL name search by character pair, in rank order (``subject_search_pairs``, migration 0012).

Every name containing a query of two characters or more holds each of the query's pairs of
consecutive characters, and ``subject_search_pairs`` lists each pair's names in rank order within a
class (name length, then name in code-point order, then subject id). So the names containing the
query are found by walking the entries of one of its pairs, the rarest by the table's statistics,
rechecking each with ``strpos``; the walk stops at what the page needs:

1. :data:`COLLECT_SQL` walks at most :data:`STEPS` entries, stops once it holds the cap's number
   of matches (MAX_TOTAL + 1) and ranks what it found. Under the cap and with the pair read to its
   end, that is the whole answer (one statement). A walk that stopped at :data:`STEPS` entries
   proves nothing: the caller falls back to the general plan
   (:class:`xinyong.search.index.PostgresSearch`).
2. Over the cap, its matches are the first in rank order *within each class*, not across classes:
   names starting with the query (classes 0 and 1) may lie further along. These come from the
   prefix index when the names starting with the query are fewer than :data:`PREFIX_FEW` (one
   statement), else from a walk of the same pair, whose entries they all are. The names
   holding the query further in (class 2) that the page still needs are among the first walk's.

Every statement runs the walk as an index-only scan of the pair's range, at most :data:`STEPS`
entries, so its cost is the entries stepped over, never the number of names holding the pair (the
bitmap a GIN index builds). Statistics only choose the pair: stale ones can slow a search, not
change it. The answer is right as long as the table holds every subject's pairs: its triggers see
to that, except for writes that bypass triggers (a data-only restore with triggers disabled,
``session_replication_role = replica``), after which :meth:`PostgresSearch.rebuild
<xinyong.search.index.PostgresSearch.rebuild>` refills it.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Generator, Sequence
from typing import Any

STEPS = 20_000  #: entries of a pair one statement walks at most (~3 ms)
PREFIX_FEW = 2_000  #: names starting with the query up to which they are read from the prefix index
STATS_SECONDS = 600.0  #: how long a process keeps the pairs' statistics before reading them again

Rows = Callable[[str, dict[str, Any]], Sequence[Any]]

# The kinds are filtered after the walk's LIMIT, so that STEPS bounds the entries read whatever
# the kinds (filtered inside, the public's walk of a pair read every person's entry for it).
_KINDS = " AND w.kind = ANY(CAST(:kinds AS text[]))"
_WALK = (
    "SELECT t.subject_id, t.len, t.name_search AS ns, t.kind FROM subject_search_pairs AS t"
    " WHERE t.pair = :pair ORDER BY t.pair, t.len, t.name_search, t.subject_id LIMIT :steps"
)
_CLS = "CASE WHEN w.ns = :q THEN 0 WHEN strpos(w.ns, :q) = 1 THEN 1 ELSE 2 END"
_SUBJECT = "s.id, s.name, s.kind, s.id_value"

#: The first ``:cap`` matches in walk order; their count; the first ``:want`` in rank order and the
#: first ``:want`` of class 2 (for a capped query); and, under the cap, how many entries the pair has
#: (up to ``:steps``: that many means the walk may have stopped short).
COLLECT_SQL = (
    f"WITH m AS MATERIALIZED (SELECT w.subject_id, w.len, w.ns, {_CLS} AS cls FROM ({_WALK}) AS w"
    "   WHERE strpos(w.ns, :q) > 0{kinds} LIMIT :cap),"
    " n AS (SELECT count(*) AS total FROM m),"
    " r AS ((SELECT * FROM m ORDER BY cls, len, ns, subject_id LIMIT :want)"
    "   UNION (SELECT * FROM m WHERE cls = 2 ORDER BY len, ns, subject_id LIMIT :want))"
    f" SELECT n.total, CASE WHEN n.total < :cap THEN (SELECT count(*) FROM ({_WALK}) AS z) END AS scanned,"
    f" {_SUBJECT}, r.cls, r.len, r.ns"
    " FROM n LEFT JOIN (r JOIN subjects AS s ON s.id = r.subject_id) ON true"
    " ORDER BY r.cls, r.len, r.ns, r.subject_id"
)
#: Names starting with the query (classes 0 and 1) from the prefix index, in rank order, when they are
#: fewer than ``:few`` (counted over every kind, from the index alone); else only that count.
PREFIX_SQL = (
    "WITH c AS (SELECT count(*) AS ranged FROM (SELECT 1 FROM subjects AS d"
    '   WHERE d.name_search COLLATE "C" >= :q{below} LIMIT :few) AS x)'
    f" SELECT c.ranged, r.* FROM c LEFT JOIN LATERAL (SELECT {_SUBJECT.replace('s.', 'd.')},"
    " CASE WHEN d.name_search = :q THEN 0 ELSE 1 END AS cls, length(d.name_search) AS len,"
    " d.name_search AS ns FROM subjects AS d"
    '   WHERE c.ranged < :few AND d.name_search COLLATE "C" >= :q{below}'
    "   AND strpos(d.name_search, :q) = 1{kinds}"
    '   ORDER BY cls, len, d.name_search COLLATE "C", d.id LIMIT :want) AS r ON true'
    ' ORDER BY r.cls, r.len, r.ns COLLATE "C", r.id'
)
#: The first ``:want`` entries of the walk that ``{where}`` keeps, in rank order.
CLASS_SQL = (
    f"SELECT {_SUBJECT}, {_CLS} AS cls, w.len, w.ns"
    f" FROM (SELECT * FROM ({_WALK}) AS w WHERE {{where}}{{kinds}} LIMIT :want) AS w"
    " JOIN subjects AS s ON s.id = w.subject_id ORDER BY w.len, w.ns, w.subject_id"
)
#: Refill the table from the subjects (as migration 0012 first filled it).
REFILL_SQL = (
    "INSERT INTO subject_search_pairs (pair, len, name_search, subject_id, kind)"
    ' SELECT p.pair, length(s.name_search), s.name_search COLLATE "C", s.id, s.kind FROM subjects AS s,'
    ' LATERAL (SELECT DISTINCT substr(s.name_search, i, 2) COLLATE "C" AS pair'
    " FROM generate_series(1, length(s.name_search) - 1) AS i) AS p"
)
STATS_SQL = (
    "SELECT most_common_vals::text::text[], most_common_freqs FROM pg_stats"
    " WHERE schemaname = current_schema() AND tablename = 'subject_search_pairs' AND attname = 'pair'"
)


class PairStats:
    """The pairs' most common values and frequencies (``pg_stats``), kept a while per database."""

    def __init__(self) -> None:
        self._kept: dict[Any, tuple[float, dict[str, float]]] = {}

    def kept(self, key: Any) -> dict[str, float] | None:
        """The frequencies read for database ``key`` less than STATS_SECONDS ago, if any."""
        found = self._kept.get(key)
        if found is None or time.monotonic() - found[0] >= STATS_SECONDS:
            return None
        return found[1]

    def keep(self, key: Any, rows: Sequence[Any]) -> dict[str, float]:
        """Keep the frequencies of :data:`STATS_SQL`'s ``rows`` for database ``key``."""
        frequencies: dict[str, float] = {}
        if rows and rows[0][0] is not None:
            frequencies = dict(zip(rows[0][0], (float(f) for f in rows[0][1]), strict=True))
        self._kept[key] = (time.monotonic(), frequencies)
        return frequencies


STATS = PairStats()

Statement = tuple[str, dict[str, Any]]
Result = tuple[int, list[Any]] | None
#: A search as a generator: it yields each statement and is sent its rows (:func:`run`,
#: :func:`run_async`), so that one plan serves a thread's connection and the event loop's alike.
Plan = Generator[Statement, Sequence[Any], Result]


def pairs_of(q: str) -> list[str]:
    return list(dict.fromkeys(q[i : i + 2] for i in range(len(q) - 1)))


def run(plan: Plan, rows: Rows) -> Result:
    """Carry out ``plan`` with ``rows`` (a statement's rows)."""
    try:
        statement = next(plan)
        while True:
            statement = plan.send(rows(*statement))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


async def run_async(plan: Plan, rows: Callable[[str, dict[str, Any]], Awaitable[Sequence[Any]]]) -> Result:
    """:func:`run` for a coroutine's connection."""
    try:
        statement = next(plan)
        while True:
            statement = plan.send(await rows(*statement))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


def ranked(
    stats_key: Any, q: str, kinds: list[str] | None, want: int, cap: int, successor: str | None
) -> Plan:
    """(how many names of ``kinds`` (None: every subject) contain ``q``, up to ``cap``; the first
    ``want`` of them in rank order), or None when a walk stopped short (the caller's general plan
    answers)."""
    frequencies = STATS.kept(stats_key)
    if frequencies is None:
        frequencies = STATS.keep(stats_key, (yield STATS_SQL, {}))
    chosen = frequencies
    pair = min(pairs_of(q), key=lambda p: chosen.get(p, 0.0))  # one not among the most common, if any
    params = {"q": q, "pair": pair, "kinds": kinds, "steps": STEPS, "cap": cap, "want": want}
    found = yield COLLECT_SQL.format(kinds=_kinds(kinds)), params
    total, scanned = int(found[0].total), found[0].scanned
    matches = [r for r in found if r.id is not None]
    if total < cap:
        if scanned is None or int(scanned) >= STEPS:
            return None
        return total, matches[:want]
    starting = yield from _starting(params, successor)
    if starting is None:
        return None
    rest = want - len(starting)
    if rest <= 0:
        return total, starting[:want]
    # The walk's cap matches hold c of classes 0 and 1 (of K in all, fewer than want) and cap - c of
    # class 2, the first in rank order: rest = want - K <= want - c < cap - c, and the statement
    # returned up to want of them.
    inner = [r for r in matches if r.cls == 2][:rest]
    return total, starting + inner


def _starting(
    params: dict[str, Any], successor: str | None
) -> Generator[Statement, Sequence[Any], list[Any] | None]:
    """The first ``:want`` names starting with the query (exact names first), in rank order; None
    when a walk stopped short."""
    below = "" if successor is None else ' AND d.name_search COLLATE "C" < :hi'
    kinds = "" if params["kinds"] is None else " AND d.kind = ANY(CAST(:kinds AS text[]))"
    found = yield PREFIX_SQL.format(below=below, kinds=kinds), {**params, "hi": successor, "few": PREFIX_FEW}
    if int(found[0].ranged) < PREFIX_FEW:
        return [r for r in found if r.id is not None]
    # many names start with the query: the rarest pair's entries hold them all, in rank order
    walk = CLASS_SQL.format(kinds=_kinds(params["kinds"]), where="strpos(w.ns, :q) = 1")
    starting = list((yield walk, params))
    if len(starting) < params["want"]:  # fewer of these kinds, or a walk stopped at STEPS entries
        return None
    return starting


def _kinds(kinds: list[str] | None) -> str:
    """The walk's kind filter: none when every subject is searched."""
    return "" if kinds is None else _KINDS
