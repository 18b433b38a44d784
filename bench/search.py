"""Benchmark: name search (一键查询) against a plain LIKE scan of the same names, same run.

    .venv/bin/python bench/search.py                 # 100,000 subjects, SQLite and PostgreSQL
    .venv/bin/python bench/search.py --quick         # 20,000 subjects (well under a minute)
    .venv/bin/python bench/search.py --subjects 250000 --no-postgres

Subjects: N synthetic names drawn with ``xinyong.synth.names`` (fixed seed): 55 % enterprises
(深圳市鑫瑞达科技有限公司, 华晟电子（深圳）有限公司), 25 % people (2–3 characters), 12 % individual
businesses (南山区老王便利店), 4 % institutions, 4 % associations. They are bulk-inserted into a
fresh, migrated store (a temporary SQLite file; a fresh PostgreSQL database ``xinyong_bench_<random>``,
dropped at the end) with ``name_search`` filled as the writers fill it; SQLite's triggers build the
FTS5 index during the load, PostgreSQL's GIN indexes are maintained as rows arrive; then ANALYZE
(VACUUM ANALYZE on PostgreSQL, the state autovacuum keeps a table in).

Queries: fragments of 2 and of 4 characters cut at random places out of random names of the set
(so every query matches at least one subject; common fragments such as 有限 or 公司 are drawn as
often as they occur). Each is timed as one ``xinyong.search.index.search`` call (count capped at
500 plus the first page of 20, ranked), after a warm-up pass over the same queries.

Baseline: the same first page computed without any index: ``WHERE name LIKE '%q%'`` over an
unindexed copy of the names (a table of id and normalised name), ranked the same way (exact,
prefix, contains; shorter first; name) with ``LIMIT 20``. The baseline's page is checked to equal
the search's page for every query.

``speedup`` = baseline median / search median (higher is better). The last line of output is the
machine-readable ``RESULT ...`` line (``na`` for a database that was skipped).

PostgreSQL: ``--pg-url`` or ``XINYONG_BENCH_PG_URL``, default the local server
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``; skipped when it is not reachable.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Connection, Engine, text  # noqa: E402  (after the sys.path line above)

from xinyong.search.index import search  # noqa: E402
from xinyong.search.normalise import normalise_name, normalise_query  # noqa: E402
from xinyong.store.dialect import bulk_insert  # noqa: E402
from xinyong.store.engine import make_engine  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _pg import pg_database, pg_reachable, pg_url_for  # noqa: E402

from xinyong.store.migrate import upgrade  # noqa: E402
from xinyong.store.tables import subjects  # noqa: E402
from xinyong.synth import names as synth  # noqa: E402

FULL_SUBJECTS = 100_000
QUICK_SUBJECTS = 20_000
FULL_QUERIES = 300  # of each length
QUICK_QUERIES = 100
LENGTHS = (2, 4)
PAGE = 20
SEED = 2026
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DISTRICTS = (
    "福田区",
    "罗湖区",
    "南山区",
    "宝安区",
    "龙岗区",
    "盐田区",
    "龙华区",
    "坪山区",
    "光明区",
    "大鹏新区",
)
STAMP = datetime(2026, 11, 29, tzinfo=UTC)
NA = "na"
COLUMNS = ("id", "kind", "id_scheme", "id_value", "name", "name_search", "is_individual_business")
COLUMNS_TS = ("created_at", "updated_at")

BASELINE = (
    "SELECT id FROM names_scan WHERE name LIKE :pat{escape}"
    " ORDER BY CASE WHEN name = :q THEN 0 WHEN substr(name, 1, :n) = :q THEN 1 ELSE 2 END,"
    " length(name), name{collate}, id LIMIT :limit"
)


# ---------------------------------------------------------------------------------------------
# Data


def synthetic_subjects(n: int, seed: int) -> list[tuple[str, str]]:
    """(kind, name) of n subjects; organisation names are unique, people's names repeat."""
    rng = random.Random(seed)
    unique = synth.UniqueNames()
    out: list[tuple[str, str]] = []
    for _ in range(n):
        r = rng.random()
        if r < 0.25:
            out.append(("individual", synth.person_name(rng, rng.random() < 0.5)))
            continue
        make: Callable[[int], tuple[str, str]]
        district = rng.choice(DISTRICTS)
        if r < 0.80:
            kind, make = "enterprise", partial(synth.enterprise_name, rng)
        elif r < 0.92:  # individual businesses (个体工商户) are enterprises too
            kind, make = "enterprise", partial(synth.shop_name, rng, district, synth.surname(rng))
        elif r < 0.96:
            kind, make = "public_institution", partial(synth.institution_name, rng, district)
        else:
            association = rng.choice(("51", "52", "53"))
            kind, make = "social_organisation", partial(synth.association_name, rng, association)
        out.append((kind, unique.draw(make)[0]))
    return out


def fragments(names: list[str], length: int, count: int, seed: int) -> list[str]:
    rng = random.Random(seed * 31 + length)
    out: list[str] = []
    while len(out) < count:
        name = rng.choice(names)
        if len(name) >= length:
            start = rng.randrange(len(name) - length + 1)
            out.append(name[start : start + length])
    return out


def subject_rows(people: list[tuple[str, str]]) -> Iterator[tuple[Any, ...]]:
    for i, (kind, name) in enumerate(people):
        sid = f"B{i:011d}"
        yield (sid, kind, "bench", sid, name, normalise_name(name), False, STAMP, STAMP)


# ---------------------------------------------------------------------------------------------
# One database


def load(engine: Engine, people: list[tuple[str, str]]) -> float:
    """Migrate, bulk-insert the subjects and the unindexed copy; seconds of the subjects' load."""
    upgrade(engine)
    started = time.perf_counter()
    with engine.begin() as conn:
        bulk_insert(conn, subjects, COLUMNS + COLUMNS_TS, subject_rows(people))
    seconds = time.perf_counter() - started
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE names_scan (id VARCHAR(24) NOT NULL, name TEXT NOT NULL)"))
        conn.execute(text("INSERT INTO names_scan (id, name) SELECT id, name_search FROM subjects"))
    # statistics (and on PostgreSQL the GIN pending lists merged): the state autovacuum keeps
    vacuum = "VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(vacuum))
    return seconds


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    out = fn()
    return (time.perf_counter() - started) * 1000, out


Timings = dict[int, tuple[list[float], list[float]]]  # query length → (search ms, baseline ms)


def run_queries(engine: Engine, queries: dict[int, list[str]]) -> Timings:
    sqlite = engine.dialect.name == "sqlite"
    baseline = text(
        BASELINE.format(escape=" ESCAPE '\\'" if sqlite else "", collate="" if sqlite else ' COLLATE "C"')
    )
    out: Timings = {}
    with engine.connect() as conn:
        every = [q for qs in queries.values() for q in qs]
        for q in every:  # warm-up: caches, statistics, prepared plans
            search(conn, q, limit=PAGE)
            scan(conn, baseline, q)
        for length, qs in queries.items():
            ours: list[float] = []
            theirs: list[float] = []
            for q in qs:
                ms, page = timed(partial(search, conn, q, limit=PAGE))
                ours.append(ms)
                ms, expected = timed(partial(scan, conn, baseline, q))
                theirs.append(ms)
                got = [h.subject_id for h in page.hits]
                if got != expected:
                    raise SystemExit(f"search and baseline disagree for {q!r}: {got[:5]} vs {expected[:5]}")
            out[length] = (ours, theirs)
    return out


def scan(conn: Connection, baseline: Any, query: str) -> list[str]:
    q = normalise_query(query)
    pat = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return [r[0] for r in conn.execute(baseline, {"q": q, "n": len(q), "pat": pat, "limit": PAGE})]


def p(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))]


def summarise(label: str, timings: Timings) -> dict[str, float]:
    ours = [t for o, _ in timings.values() for t in o]
    theirs = [t for _, b in timings.values() for t in b]
    for length, (o, b) in timings.items():
        print(
            f"  {label} {length}-char: search p50 {statistics.median(o):7.2f} ms  p99 {p(o, 99):7.2f} ms"
            f"   scan p50 {statistics.median(b):7.2f} ms  p99 {p(b, 99):7.2f} ms"
            f"   speedup {statistics.median(b) / statistics.median(o):6.1f}x"
        )
    stats = {
        "p50": statistics.median(ours),
        "p99": p(ours, 99),
        "scan_p50": statistics.median(theirs),
    }
    stats["speedup"] = stats["scan_p50"] / stats["p50"]
    print(
        f"  {label} all:    search p50 {stats['p50']:7.2f} ms  p99 {stats['p99']:7.2f} ms"
        f"   scan p50 {stats['scan_p50']:7.2f} ms   speedup {stats['speedup']:6.1f}x"
    )
    return stats


# ---------------------------------------------------------------------------------------------


def bench(
    label: str, url: str, people: list[tuple[str, str]], queries: dict[int, list[str]]
) -> dict[str, float]:
    engine = make_engine(url)
    try:
        seconds = load(engine, people)
        print(f"{label}: loaded {len(people):,} subjects with their search index in {seconds:.1f} s")
        return summarise(label, run_queries(engine, queries))
    finally:
        engine.dispose()


def fmt(stats: dict[str, float] | None, key: str) -> str:
    if stats is None:
        return NA
    return f"{stats[key]:.1f}" if key == "speedup" else f"{stats[key]:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK_SUBJECTS:,} subjects, not {FULL_SUBJECTS:,}"
    )
    parser.add_argument("--subjects", type=int, help="number of subjects (overrides --quick)")
    parser.add_argument("--queries", type=int, help="queries of each length (default 100 quick, 300 full)")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--pg-url", default=os.environ.get("XINYONG_BENCH_PG_URL", PG_DEFAULT))
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    n = args.subjects or (QUICK_SUBJECTS if args.quick else FULL_SUBJECTS)
    count = args.queries or (QUICK_QUERIES if args.quick else FULL_QUERIES)

    started = time.perf_counter()
    people = synthetic_subjects(n, args.seed)
    names = [name for _, name in people]
    queries = {length: fragments(names, length, count, args.seed) for length in LENGTHS}
    took = time.perf_counter() - started
    print(f"generated {n:,} names and {count} queries of each length {LENGTHS} in {took:.1f} s")
    print(f"sample queries: {', '.join(queries[2][:6])} | {', '.join(queries[4][:6])}")

    with tempfile.TemporaryDirectory(prefix="xinyong-bench-search-") as tmp:
        sqlite = bench("sqlite", f"sqlite:///{Path(tmp) / 'search.db'}", people, queries)

    pg: dict[str, float] | None = None
    if args.no_postgres:
        print("postgresql: skipped (--no-postgres)")
    elif (why := pg_reachable(args.pg_url)) is not None:
        print(f"postgresql: skipped ({why})")
    else:
        name = f"xinyong_bench_{uuid.uuid4().hex[:12]}"
        pg_database(args.pg_url, name, create=True)
        try:
            pg = bench("postgresql", pg_url_for(args.pg_url, name), people, queries)
        finally:
            pg_database(args.pg_url, name, create=False)

    print(f"total {time.perf_counter() - started:.1f} s")
    print(
        f"RESULT subjects={n} sqlite_p50_ms={fmt(sqlite, 'p50')} sqlite_p99_ms={fmt(sqlite, 'p99')}"
        f" sqlite_scan_p50_ms={fmt(sqlite, 'scan_p50')} sqlite_speedup={fmt(sqlite, 'speedup')}"
        f" pg_p50_ms={fmt(pg, 'p50')} pg_p99_ms={fmt(pg, 'p99')}"
        f" pg_scan_p50_ms={fmt(pg, 'scan_p50')} pg_speedup={fmt(pg, 'speedup')}"
    )


if __name__ == "__main__":
    main()
