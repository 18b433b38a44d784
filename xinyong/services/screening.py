"""Screening for disciplinary measures (联合奖惩核查) by relying parties, and the parties themselves.

A relying party (e.g. an airline, a procurement centre) is registered by the operator with the
purposes it declared; its API key is random, shown once and stored as a SHA-256 hash, and can be
revoked. A screening names a subject identifier, a measure and a purpose: the purpose must be one the
party declared and one the measure may be screened for, else the party is refused. The answer comes
only from :func:`xinyong.domain.measures.applies` over the subject's current list entries, and every
screening is recorded (party, purpose, measure, day, and each identifier's result).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from itertools import islice
from typing import Any, NamedTuple

from sqlalchemy import insert, select, update

from xinyong.catalog import Catalog
from xinyong.catalog.lists import Measure, of
from xinyong.domain.actor import Actor
from xinyong.domain.enums import Role, SubjectKind
from xinyong.domain.lists import ListState
from xinyong.domain.measures import applies_to, binds_person, end_of
from xinyong.domain.permissions import require
from xinyong.errors import Conflict, InvalidInput, NotFound, NotPermitted, Problem
from xinyong.services import collector, events
from xinyong.store import Store, groupcommit
from xinyong.store.tables import relying_parties, screenings

KEY_PREFIX = "xyp_"
MAX_BULK = 100_000
_CHUNK = 10_000  # identifiers per IN (...) lookup (SQLite >= 3.32 allows 32,766 parameters)
_CHUNK_PG = 1_000  # identifiers per lookup on PostgreSQL (see _lookup_many_pg)
_SHARED_FROM = 50_000  # identifiers from which PostgreSQL's lookups are shared by two connections
_CHECK_NAMED_FROM = 1_000  # identifiers from which a screening first asks whether any person is named


def _second_read(store: Store, count: int) -> AbstractContextManager[Any]:
    """PostgreSQL, many identifiers (:data:`_SHARED_FROM` or more): a second connection for half
    their lookups (1,000,000 against 10,000,000 entries: the server's lookups took most of 7 s, in
    one process); else nothing."""
    if store.dialect == "sqlite" or store.bound or count < _SHARED_FROM:  # a bound store has one
        return nullcontext()
    return store.driver_read()


@dataclass(frozen=True)
class Party:
    code: str
    name: str
    purposes: frozenset[str]
    active: bool

    def actor(self) -> Actor:
        return Actor(role=Role.RELYING_PARTY, unit=self.code, user=f"party:{self.code}")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _party(row: Any) -> Party:
    return Party(row.code, row.name, frozenset(row.purposes or ()), bool(row.active))


def add_party(
    store: Store, catalog: Catalog, actor: Actor, *, code: str, name: str, purposes: list[str]
) -> tuple[Party, str]:
    """Register a relying party; returns it and its API key (shown once)."""
    require(actor, "parties.manage")
    known = of(catalog).purposes
    problems = [
        Problem(
            "parties.unknown_purpose",
            f"{p!r} is not a screening purpose: {', '.join(known)}",
            {"field": "purposes"},
            "未知的核查用途",
            p,
        )
        for p in purposes
        if p not in known
    ]
    if not purposes:
        problems.append(
            Problem(
                "parties.no_purpose",
                "declare at least one purpose",
                {"field": "purposes"},
                "须声明至少一项核查用途",
            )
        )
    if not code.replace("_", "").isalnum():
        problems.append(Problem("parties.code", "a party code is letters, digits and '_'", {"field": "code"}))
    if problems:
        raise InvalidInput(
            f"relying party {code!r} cannot be registered",
            message_zh="无法登记该信息使用单位",
            problems=problems,
            rule=problems[0].rule,
        )
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    with store.write() as conn:
        if conn.execute(select(relying_parties.c.code).where(relying_parties.c.code == code)).first():
            raise Conflict(
                f"relying party {code!r} exists", message_zh="该单位已登记", rule="parties.duplicate"
            )
        conn.execute(
            insert(relying_parties).values(
                code=code,
                name=name,
                purposes=sorted(set(purposes)),
                api_key_hash=hash_key(key),
                active=True,
                created_at=events.now(),
            )
        )
        events.append(conn, actor, "party:add", "relying_party", code, {"purposes": sorted(set(purposes))})
    return Party(code, name, frozenset(purposes), True), key


def list_parties(store: Store) -> list[Party]:
    with store.read() as conn:
        return [_party(r) for r in conn.execute(select(relying_parties).order_by(relying_parties.c.code))]


def revoke(store: Store, actor: Actor, code: str) -> None:
    """Revoke a party's key: it can no longer screen."""
    require(actor, "parties.manage")
    with store.write() as conn:
        done = conn.execute(
            update(relying_parties)
            .where(relying_parties.c.code == code)
            .values(active=False, api_key_hash=None, revoked_at=events.now())
        ).rowcount
        if not done:
            raise NotFound(
                f"no relying party {code!r}", message_zh="没有该信息使用单位", rule="parties.unknown"
            )
        events.append(conn, actor, "party:revoke", "relying_party", code, {})


def authenticate(store: Store, key: str | None) -> Party:
    with store.driver_read() as raw:
        return _authenticate_on(raw, key)


def _authenticate_on(raw: Any, key: str | None) -> Party:
    """The active party holding ``key``, read on the DBAPI connection ``raw`` (it runs per request)."""
    cursor = raw.cursor()
    cursor.execute(_AUTH_SQL.format("%s" if _is_pg(raw) else "?"), (hash_key(_required(key)),))
    return _party_of(cursor.fetchone())


# purposes as text (CAST for both databases), decoded by _party_of from a cache rather than by psycopg's
# JSON loader for each request
_AUTH_SQL = "SELECT code, name, CAST(purposes AS TEXT), active FROM relying_parties WHERE api_key_hash = {}"


def _required(key: str | None) -> str:
    if not key:
        raise NotPermitted(
            "screening needs a relying party's API key (X-Api-Key)",
            message_zh="需要接口密钥",
            rule="auth.key_required",
        )
    return key


def _party_of(row: Any) -> Party:
    """The party of a relying_parties row found by key (code, name, purposes, active), if active."""
    if row is None or not row[3]:
        raise NotPermitted(
            "unknown or revoked API key", message_zh="接口密钥无效或已停用", rule="auth.key_invalid"
        )
    code, name, purposes, _ = row
    if isinstance(purposes, bytes):  # JSON a driver hands back undecoded (not one this platform uses)
        purposes = purposes.decode()
    if isinstance(purposes, str):  # JSON as text: the purposes are read CAST AS TEXT
        return Party(code, name, _purposes(purposes), True)
    return Party(code, name, frozenset(purposes or ()), True)


@lru_cache(maxsize=256)
def _purposes(text: str) -> frozenset[str]:
    """A party's declared purposes from their JSON text (a request each: decoded once)."""
    return frozenset(json.loads(text) or ())


# ---------------------------------------------------------------------------------------------
# Screening


def _entitled(catalog: Catalog, party: Party, measure_code: str, purpose: str) -> Measure:
    require(party.actor(), "screen")
    measure = of(catalog).measures.get(measure_code)
    if measure is None:
        raise NotFound(
            f"no measure {measure_code!r}", message_zh="没有该惩戒措施", rule="screen.unknown_measure"
        )
    if purpose not in party.purposes:
        raise NotPermitted(
            f"{party.code} did not declare the purpose {purpose!r}",
            message_zh="该单位未声明此核查用途",
            rule="screen.purpose_not_declared",
        )
    if purpose not in measure.purposes:
        raise NotPermitted(
            f"the purpose {purpose!r} does not entitle screening for {measure_code} "
            f"(allowed: {', '.join(sorted(measure.purposes))})",
            message_zh="该核查用途无权查询此惩戒措施",
            rule="screen.purpose_not_entitled",
        )
    return measure


def screen(
    store: Store, catalog: Catalog, party: Party, *, identifier: str, measure: str, purpose: str, today: date
) -> dict[str, Any]:
    """Is the subject restricted by ``measure`` today? With the entry, legal basis and end if so."""
    row, answer = look_up(
        store, catalog, party, identifier=identifier, measure=measure, purpose=purpose, today=today
    )
    # Recorded before it is answered; single screenings share commits (xinyong.store.groupcommit).
    return answer | {"screening_id": groupcommit.insert_row(store, screenings, row)}


def record_follows(store: Store) -> AbstractContextManager[None]:
    """Around a single screening's lookup whose :func:`record` follows at once: the records other
    screenings of this event loop have ready wait for it, to share its commit (PostgreSQL; see
    :func:`xinyong.store.groupcommit.expecting`)."""
    return groupcommit.expecting(store, screenings)


async def record(store: Store, row: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    """:func:`screen`'s second half for a coroutine: the answer once its record has committed."""
    return answer | {"screening_id": await groupcommit.insert_row_async(store, screenings, row)}


def look_up(
    store: Store,
    catalog: Catalog,
    who: Party | str | None,
    *,
    identifier: str,
    measure: str,
    purpose: str,
    today: date,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A single screening's record row and answer, not yet recorded (:func:`screen`, :func:`record`).

    ``who`` is the party, or the key of a party (``xyp_…``) to authenticate in the same read.
    """
    with store.driver_read() as raw:
        party = who if isinstance(who, Party) else _authenticate_on(raw, who)
        m = _entitled(catalog, party, measure, purpose)
        value = identifier.strip().upper()
        hits = _lookup(raw, m, [value], today)
    return _single(catalog, party, m, purpose, today, value, hits)


async def look_up_async(
    store: Store,
    catalog: Catalog,
    who: Party | str | None,
    *,
    identifier: str,
    measure: str,
    purpose: str,
    today: date,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """:func:`look_up` on PostgreSQL from the event loop (:mod:`xinyong.store.pgasync`): the key's
    check and the lookup are one statement (the party's row joined to the identifier's entries),
    and the entries are used only once the key, the measure and the purpose have passed, in
    :func:`look_up`'s order: a refusal is the same and answers nothing."""
    conns = store.async_connections
    if conns is None:
        raise RuntimeError("look_up_async is for an unbound PostgreSQL store")
    value = identifier.strip().upper()
    known = of(catalog).measures.get(measure)
    key = None if isinstance(who, Party) else hash_key(_required(who))
    sql, params = _lookup_by_key(known, value, key)
    async with conns.read() as conn:
        rows = await (await conn.execute(sql, params)).fetchall() if sql else []
    if isinstance(who, Party):
        party = who
    else:
        party = _party_of(rows[0][:4] if rows else None)
        rows = [r[4:] for r in rows]
    m = _entitled(catalog, party, measure, purpose)
    hits: dict[str, Hit] = {}
    _restricting(m, [r for r in rows if r[0] is not None], today, hits)
    return _single(catalog, party, m, purpose, today, value, hits)


def _single(
    catalog: Catalog, party: Party, m: Measure, purpose: str, today: date, value: str, hits: dict[str, Hit]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A single screening's record row and answer."""
    hit = hits.get(value)
    row = _row(party, m.code, purpose, today, "single", [value], [hit])
    return row, _answer(catalog, m, value, hit, today)


def _lookup_by_key(measure: Measure | None, value: str, key: str | None) -> tuple[str, tuple[Any, ...]]:
    """PostgreSQL: one statement for a single screening. With a key, the party's row (code, name,
    purposes, active) joined to the entries of ``value`` (none for an unknown measure), so that
    key and lookup cost one statement; without, the lookup alone. ("", ()) when neither is asked."""
    lookup, params = None, ()
    if measure is not None:
        lookup, params = _single_pg(measure, value, measure.target == "subject_and_named_persons")
    if key is None:
        return (lookup, params) if lookup else ("", ())
    if lookup is None:
        return _AUTH_SQL.format("%s"), (key,)
    return (
        "SELECT k.code, k.name, CAST(k.purposes AS TEXT), k.active, l.* FROM relying_parties AS k"
        f" LEFT JOIN LATERAL ({lookup}) AS l ON true WHERE k.api_key_hash = %s"
        " ORDER BY l.role NULLS FIRST",  # the subject's own entries first, as in _single_pg
        (*params, key),
    )


def screen_bulk(
    store: Store,
    catalog: Catalog,
    party: Party,
    *,
    identifiers: Sequence[str],
    measure: str,
    purpose: str,
    today: date,
    limit: int | None = MAX_BULK,
) -> dict[str, Any]:
    """Screen many identifiers at once (at most ``limit`` per call; the CLI streams larger files)."""
    if limit is not None and len(identifiers) > limit:
        raise InvalidInput(
            f"at most {limit} identifiers per call, got {len(identifiers)}",
            message_zh=f"每次最多核查 {limit} 个代码",
            rule="screen.bulk_limit",
        )
    m = _entitled(catalog, party, measure, purpose)
    with collector.paused():
        # in a function of its own, so that its hits and identifiers are freed before the collector
        # resumes: its first pass would otherwise walk them
        return _screened(store, catalog, party, m, identifiers, purpose, today)


def _screened(
    store: Store,
    catalog: Catalog,
    party: Party,
    m: Measure,
    identifiers: Sequence[str],
    purpose: str,
    today: date,
) -> dict[str, Any]:
    """:func:`screen_bulk` once the party is entitled: look up, record, answer."""
    values = list(map(str.upper, map(str.strip, identifiers)))
    with store.driver_read() as raw, _second_read(store, len(values)) as second:
        hits = _lookup(raw, m, values, today, second)  # in reads: the write lock is for the record
    matched = list(map(hits.get, values))  # each value's hit or None, looked up once for both uses
    row = _row(party, m.code, purpose, today, "bulk", values, matched)
    with store.write() as conn:
        sid = int(conn.execute(insert(screenings).returning(screenings.c.id).values(**row)).scalar_one())
    restricted = _Answers(catalog, m, today).restricted(values, matched)
    return {
        "screening_id": sid,
        "measure": m.code,
        "total": len(values),
        "restricted": len(restricted),
        "results": restricted,
    }


class Hit(NamedTuple):
    """The entry through which a measure applies to an identifier (the fields an answer shows; a
    tuple because a bulk screening builds hundreds of thousands)."""

    entry_id: str
    list_type: str
    starts_on: date
    ends_on: date | None
    decision_document: str | None
    unit_code: str
    as_person: str | None = None  # the role of a person bound by a unit's entry, if not the subject


_COLUMNS = "id, id_value, list_type, subject_kind, starts_on, ends_on, decision_document, unit_code"


def _lookup(raw: Any, measure: Measure, values: list[str], today: date, second: Any = None) -> dict[str, Hit]:
    """identifier → the entry through which ``measure`` applies today (only those restricted).

    The query narrows to published entries of the measure's list types; every row is
    then decided by :func:`xinyong.domain.measures.applies_to`, the one rule for all screenings. The
    SQL is sent to the driver directly: expanding tens of thousands of bound values through the
    SQL compiler and reading rows through the result wrapper cost more than the lookups themselves.
    ``second``: another PostgreSQL connection that may share many identifiers' lookups.
    """
    found: dict[str, Hit] = {}
    # In order: consecutive probes then fall on the same index pages (at 10,000,000 entries, 1,000,000
    # identifiers in their given order took 3.6 s of SQLite's time, sorted 1.9 s: bench/screen.py).
    unique = _sorted_unique(values)
    decided: _Decided = {}
    persons = measure.target == "subject_and_named_persons"
    if persons and len(unique) > _CHECK_NAMED_FROM:
        persons = _any_named(raw, measure)
    if not _is_pg(raw):
        for start in range(0, len(unique), _CHUNK):
            for sql, params in _queries(measure, unique[start : start + _CHUNK], persons):
                cursor = raw.cursor()
                cursor.execute(sql, params)
                _restricting(measure, cursor.fetchall(), today, found, decided)
    elif len(unique) == 1:
        # an equality, whose prepared plan probes the index (psycopg prepares a statement run five
        # times; planning it each time cost more than running it: 0.3 of 0.8 ms)
        cursor = raw.cursor()
        cursor.execute(*_single_pg(measure, unique[0], persons))
        _restricting(measure, cursor.fetchall(), today, found)
    else:
        _lookup_many_pg(raw, measure, unique, persons, today, found, decided, second)
    return found


def _sorted_unique(values: list[str]) -> list[str]:
    """``values`` sorted, without repeats. Sorting the list as given and dropping neighbours that
    repeat took half the time of sorting a set of them (0.4 against 0.8 s for 1,000,000): the set's
    order scatters the strings' reads over memory."""
    ordered = sorted(values)
    unique = [v for v, after in zip(ordered, islice(ordered, 1, None), strict=False) if v != after]
    unique += ordered[-1:]
    return unique


def _any_named(raw: Any, measure: Measure) -> bool:
    """Whether any published entry of the measure's list types names a person. Many identifiers'
    lookups of named persons cost as much when none is named (binding and sorting each chunk of
    identifiers: 0.4 s for 1,000,000 on SQLite, a statement a chunk on PostgreSQL); one statement
    says whether to make them."""
    mark = "%s" if _is_pg(raw) else "?"
    types = sorted(measure.triggered_by)
    in_types = ", ".join(mark for _ in types)
    cursor = raw.cursor()
    cursor.execute(
        # CROSS JOIN: the persons the outer loop on SQLite, which otherwise read the list's entries
        # (10,000,000 of them: 12 s) looking for one with a named person
        "SELECT EXISTS (SELECT 1 FROM list_entry_persons p CROSS JOIN list_entries e"
        f" WHERE e.id = p.entry_id AND e.state = {mark} AND e.list_type IN ({in_types}))",
        (ListState.PUBLISHED.value, *types),
    )
    return bool(cursor.fetchone()[0])


def _lookup_many_pg(
    raw: Any,
    measure: Measure,
    unique: list[str],
    persons: bool,
    today: date,
    found: dict[str, Hit],
    decided: _Decided,
    second: Any = None,
) -> None:
    """PostgreSQL, many identifiers, :data:`_CHUNK_PG` at a time: every chunk's statements sent in one
    pipeline (the server looks up a chunk while the next is sent, instead of each waiting for the
    other), each chunk one text parameter that the server splits (dumped as an array, it cost more
    Python time than the lookups: bench/screen.py). Each chunk planned for itself (``prepare=False``:
    a generic plan may scan the table); subjects and named persons as two statements (planned as
    one, 1,000 identifiers took a parallel plan whose workers cost 20 ms a chunk, against ~3 ms)."""
    shared = {"state": ListState.PUBLISHED.value, "types": sorted(measure.triggered_by)}
    statements = _many_pg(persons)
    chunks = []
    for start in range(0, len(unique), _CHUNK_PG):
        part = unique[start : start + _CHUNK_PG]
        chunk = "\n".join(part)
        if chunk.count("\n") != len(part) - 1:  # an identifier holding the separator matches
            chunk = "\n".join(v for v in part if "\n" not in v)  # nothing stored: left out
        chunks.append(chunk)

    def restricting(rows: list[Any]) -> None:
        # a chunk's subjects' rows before its persons': the first entry found is answered. From two
        # threads, each with chunks of its own, so no identifier is looked at by both; the decisions
        # they may both work out are the same.
        _restricting(measure, rows, today, found, decided)

    if second is None:
        _fetched(raw, statements, chunks, shared, restricting)
        return
    # half the chunks (every other one) on a second connection, fetched by a thread: the two server
    # processes look up at once, and each thread waits for its server without the GIL
    with ThreadPoolExecutor(1) as pool:
        theirs = pool.submit(_fetched, second, statements, chunks[1::2], shared, restricting)
        _fetched(raw, statements, chunks[0::2], shared, restricting)
        theirs.result()


def _fetched(
    raw: Any,
    statements: list[str],
    chunks: list[str],
    shared: dict[str, Any],
    handle: Callable[[list[Any]], None],
) -> None:
    """The rows of each of ``statements`` for each of ``chunks``, all sent in one pipeline, each
    handed to ``handle`` in that order as it comes (while the server looks up the next ones)."""
    cursors = []
    with raw.pipeline():
        for chunk in chunks:
            for sql in statements:
                cursor = raw.cursor()
                cursor.execute(sql, {**shared, "ids": chunk}, prepare=False)
                cursors.append(cursor)
    for cursor in cursors:
        handle(cursor.fetchall())


def _many_pg(persons: bool) -> list[str]:
    """A chunk's lookups: the subjects' entries and, for measures binding named persons, the persons'."""
    ids = "= ANY(string_to_array(%(ids)s, E'\\n'))"
    subjects = (
        f"SELECT {_COLUMNS}, NULL AS role FROM list_entries"
        f" WHERE id_value {ids} AND state = %(state)s AND list_type = ANY(%(types)s)"
    )
    if not persons:
        return [subjects]
    cols = _COLUMNS.replace("id_value", "p.id_value").replace("id, ", "e.id, ", 1)
    return [
        subjects,
        f"SELECT {cols}, p.role FROM list_entry_persons p JOIN list_entries e ON e.id = p.entry_id"
        f" WHERE p.id_value {ids} AND e.state = %(state)s AND e.list_type = ANY(%(types)s)",
    ]


_Decided = dict[tuple[Any, ...], "tuple[date, date | None] | None"]


def _restricting(
    measure: Measure,
    rows: Sequence[Any],
    today: date,
    found: dict[str, Hit],
    decided: _Decided | None = None,
) -> None:
    """Add to ``found`` each identifier the lookup's ``rows`` restrict today (the first entry found),
    as :func:`xinyong.domain.measures.applies_to` decides. ``decided`` keeps its decisions by the
    row's list type, subject kind and dates, which a bulk screening's rows share by the thousand."""
    decided = {} if decided is None else decided
    for eid, value, lt, kind, starts, ends, doc, unit, role in rows:
        if value in found or (role is not None and not binds_person(measure, role)):
            continue
        key = (lt, kind, starts, ends)
        if key in decided:
            period = decided[key]
        else:
            period = decided[key] = _applying_period(measure, lt, kind, starts, ends, today)
        if period is not None:
            found[value] = Hit(eid, lt, period[0], period[1], doc, unit, role)


def _applying_period(
    measure: Measure, lt: str, kind: str, starts: Any, ends: Any, today: date
) -> tuple[date, date | None] | None:
    """An entry's (start, end) as dates if ``measure`` applies through it today, else None."""
    starts_on, ends_on = _day(starts), _day(ends)
    if not applies_to(measure, lt, SubjectKind(kind), ListState.PUBLISHED, starts_on, ends_on, today):
        return None
    assert starts_on is not None  # applies_to requires a start
    return starts_on, ends_on


def _is_pg(raw: Any) -> bool:
    """Whether the DBAPI connection ``raw`` is psycopg's (PostgreSQL) rather than pysqlite's."""
    return not isinstance(raw, sqlite3.Connection)


def _queries(measure: Measure, chunk: list[str], persons: bool) -> list[tuple[str, tuple[Any, ...]]]:
    """SQLite: the subject lookup and, for measures binding a unit's named persons, the person lookup."""
    types = sorted(measure.triggered_by)
    in_types, in_chunk = ", ".join("?" for _ in types), ", ".join("?" for _ in chunk)
    params = (ListState.PUBLISHED.value, *types, *chunk)
    # No date condition in SQL: it would steer SQLite's planner off the identifier index. The list
    # type (unary +) is tested on the index's rows rather than sought: one probe per identifier, not
    # one per identifier and list type (1,000,000 identifiers: 1.85 s against 2.1 s, bench/screen.py).
    out = [
        (
            f"SELECT {_COLUMNS}, NULL FROM list_entries WHERE state = ? AND +list_type IN ({in_types})"
            f" AND id_value IN ({in_chunk})",
            params,
        )
    ]
    if persons:
        cols = _COLUMNS.replace("id_value", "p.id_value").replace("id, ", "e.id, ", 1)
        out.append(
            (
                # CROSS JOIN keeps the persons table as SQLite's outer loop, probed by identifier; left to
                # itself the planner scanned every entry of the list type for each chunk (bench/screen.py).
                f"SELECT {cols}, p.role FROM list_entry_persons p CROSS JOIN list_entries e"
                f" WHERE e.id = p.entry_id AND e.state = ? AND e.list_type IN ({in_types})"
                f" AND p.id_value IN ({in_chunk})",
                params,
            )
        )
    return out


def _single_pg(measure: Measure, value: str, persons: bool) -> tuple[str, tuple[Any, ...]]:
    """PostgreSQL, one identifier: an equality; subjects and named persons in one statement (one
    round trip), the subjects' rows first."""
    # the list types as parameters of their own: a list parameter (ANY(%s)) cost psycopg's array
    # dumper more Python time per screening than the rest of the statement's parameters
    types = sorted(measure.triggered_by)
    params = (value, ListState.PUBLISHED.value, *types)
    in_types = ", ".join("%s" for _ in types)
    subjects = (
        f"SELECT {_COLUMNS}, NULL AS role FROM list_entries WHERE id_value = %s AND state = %s"
        f" AND list_type IN ({in_types})"
    )
    if not persons:
        return subjects, params
    cols = _COLUMNS.replace("id_value", "p.id_value").replace("id, ", "e.id, ", 1)
    named = (
        f"SELECT {cols}, p.role FROM list_entry_persons p JOIN list_entries e ON e.id = p.entry_id"
        f" WHERE p.id_value = %s AND e.state = %s AND e.list_type IN ({in_types})"
    )
    return f"({subjects}) UNION ALL ({named}) ORDER BY role NULLS FIRST", params + params


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _row(
    party: Party,
    measure: str,
    purpose: str,
    today: date,
    mode: str,
    values: list[str],
    matched: list[Hit | None],
) -> dict[str, Any]:
    """A screening's record: ``matched`` holds each of ``values``' hit, or None."""
    entries = ["" if hit is None else hit.entry_id for hit in matched]  # each value's entry, or ""
    return {
        "party_code": party.code,
        "purpose": purpose,
        "measure": measure,
        "screened_on": today,
        "recorded_at": events.now(),
        "mode": mode,
        "total": len(values),
        "restricted": len(entries) - entries.count(""),
        "identifiers": zlib.compress("\n".join(values).encode(), 1),
        "results": zlib.compress("\n".join(entries).encode(), 1),
    }


def recorded(store: Store, screening_id: int) -> list[tuple[str, str | None]]:
    """(identifier, restricting entry id or None) of each identifier a screening checked."""
    with store.read() as conn:
        row = conn.execute(
            select(screenings.c.identifiers, screenings.c.results).where(screenings.c.id == screening_id)
        ).first()
    if row is None:
        raise NotFound(f"no screening {screening_id}", message_zh="没有该核查记录", rule="screen.unknown")
    values = zlib.decompress(row.identifiers).decode().split("\n")
    results = zlib.decompress(row.results).decode().split("\n")
    return [(v, r or None) for v, r in zip(values, results, strict=True)]


def _answer(catalog: Catalog, m: Measure, value: str, hit: Hit | None, today: date) -> dict[str, Any]:
    return _Answers(catalog, m, today)(value, hit)


class _Answers:
    """Builds answers for one screening, with what all its answers share computed once."""

    def __init__(self, catalog: Catalog, m: Measure, today: date) -> None:
        self.m, self.today = m, today.isoformat()
        self.bases = [str(b) for b in m.legal_basis]
        self.names = {code: lt.name_zh for code, lt in of(catalog).list_types.items()}
        self._days: dict[tuple[date, date | None], tuple[str, str | None]] = {}

    def __call__(self, value: str, hit: Hit | None) -> dict[str, Any]:
        if hit is None:
            return {"identifier": value, "measure": self.m.code, "restricted": False}
        return self.restricted([value], [hit])[0]

    def restricted(self, values: Sequence[str], matched: Sequence[Hit | None]) -> list[dict[str, Any]]:
        """The answers of the ``values`` restricted, in their order (``matched``: each value's hit or
        None), built in one pass (a bulk screening's hundreds of thousands: a call each cost a fifth of
        their time)."""
        code, bases, names, today, period = (self.m.code, self.bases, self.names, self.today, self._period)
        return [
            {
                "identifier": value,
                "measure": code,
                "restricted": True,
                "entry": {
                    "id": hit.entry_id,
                    "list_type": hit.list_type,
                    "list_name_zh": names[hit.list_type],
                    "decision_document": hit.decision_document,
                    "deciding_unit": hit.unit_code,
                    "starts_on": starts,
                },
                "as_person": hit.as_person,
                "legal_basis": bases,
                "ends_on": until,
                "as_of": today,
            }
            for value, hit in zip(values, matched, strict=True)
            if hit is not None
            for starts, until in (period(hit),)
        ]

    def _period(self, hit: Hit) -> tuple[str, str | None]:
        """The entry's start and the measure's end, as dates in ISO form; a bulk screening's
        entries share a few thousand periods, each worked out once."""
        key = (hit.starts_on, hit.ends_on)
        found = self._days.get(key)
        if found is None:
            until = end_of(self.m, hit.starts_on, hit.ends_on)
            found = self._days[key] = (hit.starts_on.isoformat(), until.isoformat() if until else None)
        return found
