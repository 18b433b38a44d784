"""Benchmark: screening for disciplinary measures (联合奖惩核查) over N synthetic list entries.

    .venv/bin/python bench/screen.py            # 10,000,000 entries, 1,000,000 bulk ids, 10 s wrk runs
    .venv/bin/python bench/screen.py --quick    # 300,000 entries, 1,000,000 bulk ids, 2 s runs (< 1 min)
    .venv/bin/python bench/screen.py --entries 2000000 --duration 5
    .venv/bin/python bench/screen.py --quick --no-postgres

Stores: a fresh SQLite file, then a fresh PostgreSQL database (``--pg-url`` or
``XINYONG_BENCH_PG_URL``, default the local server; skipped when unreachable), each migrated and
synced by ``Platform.open``; N entries bulk-inserted directly (SQLite executemany, PostgreSQL COPY;
indexes dropped during the load and rebuilt after; then checkpointed, so that writing the load out
does not fall on the measurements): 60 % court list, 25 % SAMR serious
list, 15 % abnormal operations list; 90 % published (the rest removed); periods starting up to four
years before the bench day, a third of the court entries with no fixed period. The SQLite store is
deleted once measured, before PostgreSQL's turn. Identifiers are
synthetic 18-character codes (screening normalises, it does not validate). The load is timed apart.

HTTP: the app served by the production command (``xinyong serve --workers 2``: TCP_NODELAY on every
connection, see ``xinyong.server``; jobs scheduler off) and driven by
wrk (-t2, -c10 and -c50, ``--latency``): baseline ``GET /healthz`` (one ``SELECT 1``) against
``POST /api/v1/screen`` with a relying party's key, for random identifiers (half of them listed), each
screening recorded. Targets: screening p99 < 5 ms at 10 connections; at 50 connections screening
throughput >= 50 % of the baseline's.

Each run also reports the server's CPU time per request (user + system of its processes, from
/proc), a figure that load from other processes on the machine disturbs less than latency.

Bulk: 1,000,000 identifiers (half listed) screened and recorded in process with
``xinyong.services.screening.screen_bulk``, against the baseline of a plain Python set lookup of the
same identifiers in a set of the listed identifiers. Target: < 5 s.

The last line is ``RESULT name=value …``: each figure prefixed by its database (``sqlite_``, ``pg_``).
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _pg import pg_database, pg_reachable, pg_url_for  # noqa: E402  (after the sys.path line above)

from xinyong.domain.actor import Actor  # noqa: E402
from xinyong.services import screening  # noqa: E402
from xinyong.services.platform import Platform  # noqa: E402
from xinyong.settings import Settings  # noqa: E402

TODAY = date(2026, 11, 28)
SEED = 2026
LIST_MIX = (("court_dishonest_debtor", 0.60), ("samr_serious_illegal", 0.25), ("abnormal_operations", 0.15))
GROUNDS = {
    "court_dishonest_debtor": ("refuses_settlement", "able_but_refuses", "violates_property_reporting"),
    "samr_serious_illegal": ("heavy_fine",),
    "abnormal_operations": ("no_annual_report",),
}
UNITS = {
    "court_dishonest_debtor": "sz_court",
    "samr_serious_illegal": "sz_samr",
    "abnormal_operations": "sz_samr",
}
INDEXES = (
    "ix_list_entries_screening",
    "ix_list_entries_state_ends_on",
    "ix_list_entries_list_type_starts_on",
    "ix_list_entries_subject_id",
    "ix_list_entries_unit_code_decision_document",
)
LUA = r"""
local ids = {}
local counter = 0
local key = ""
local headers = {}
function init(args)
  key = args[1]
  headers = {["Content-Type"] = "application/json", ["X-Api-Key"] = key}
  for line in io.lines(args[2]) do ids[#ids + 1] = line end
  counter = math.random(#ids)
end
function request()
  counter = counter + 1
  local body = '{"identifier":"' .. ids[(counter % #ids) + 1]
    .. '","measure":"no_flights","purpose":"ticketing"}'
  return wrk.format("POST", "/api/v1/screen", headers, body)
end
function done(summary, latency, requests)
  io.write(string.format("BENCH requests=%d duration_us=%d p50_ms=%.3f p99_ms=%.3f errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout))
end
"""
GET_LUA = LUA.replace(
    'return wrk.format("POST", "/api/v1/screen", headers, body)',
    'return wrk.format("GET", "/healthz")',
)


def say(message: str) -> None:
    print(message, flush=True)


def ident(n: int) -> str:
    return f"B{n:017d}"


def rows(n: int, rng: random.Random) -> object:
    """(values…) of each synthetic entry, in the column order of INSERT below."""
    stamp = "2026-11-01 00:00:00.000000+00:00"
    types = [t for t, _ in LIST_MIX]
    weights = [w for _, w in LIST_MIX]
    for i in range(n):
        lt = rng.choices(types, weights)[0]
        ground = rng.choice(GROUNDS[lt])
        start = TODAY - timedelta(days=rng.randint(0, 4 * 365))
        if ground in ("able_but_refuses", "no_annual_report"):
            ends = None
        else:
            ends = start + timedelta(days=730 if lt == "court_dishonest_debtor" else 1095)
        state = "published" if rng.random() < 0.9 else "removed"
        yield (
            f"{i:032x}",
            lt,
            None,
            "uscc",
            ident(i),
            "enterprise",
            f"主体{i}",
            UNITS[lt],
            ground,
            state,
            f"依据{i}",
            "事实",
            f"决定{i}",
            0,
            start.isoformat(),
            start.isoformat(),
            ends.isoformat() if ends else None,
            0,
            "bench",
            stamp,
            stamp,
        )


COLUMNS = (
    "id, list_type, subject_id, id_scheme, id_value, subject_kind, subject_name, unit_code, ground, state,"
    " basis_document, facts, decision_document, statements, decided_on, starts_on, ends_on, extensions,"
    " source, created_at, updated_at"
)
CREATE_INDEXES = (
    "CREATE INDEX ix_list_entries_screening ON list_entries"
    " (id_value, state, list_type, subject_kind, starts_on, ends_on, id, decision_document, unit_code)",
    "CREATE INDEX ix_list_entries_state_ends_on ON list_entries (state, ends_on)",
    "CREATE INDEX ix_list_entries_list_type_starts_on ON list_entries (list_type, starts_on)",
    "CREATE INDEX ix_list_entries_subject_id ON list_entries (subject_id)",
    "CREATE INDEX ix_list_entries_unit_code_decision_document ON list_entries (unit_code, decision_document)",
)


def load_entries(db: Path, n: int) -> float:
    start = time.perf_counter()
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    for name in INDEXES:
        con.execute(f"DROP INDEX IF EXISTS {name}")
    con.executemany(
        f"INSERT INTO list_entries ({COLUMNS}) VALUES ({', '.join('?' * 21)})",
        rows(n, random.Random(SEED)),  # type: ignore[arg-type]  # a generator of tuples
    )
    con.commit()
    for statement in CREATE_INDEXES:
        con.execute(statement)
    con.commit()
    # the load's gigabytes of WAL copied into the database now, not by the store's checkpointer
    # while the measurements run
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    con.close()
    return time.perf_counter() - start


def load_entries_pg(url: str, n: int) -> float:
    """The same entries into PostgreSQL by COPY, indexes rebuilt after, then ANALYZE."""
    import psycopg

    start = time.perf_counter()
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as con:
        for name in INDEXES:
            con.execute(f"DROP INDEX IF EXISTS {name}")
        with con.cursor().copy(f"COPY list_entries ({COLUMNS}) FROM STDIN") as copy:
            for row in rows(n, random.Random(SEED)):  # type: ignore[attr-defined]  # a generator
                copy.write_row(row)
        for statement in CREATE_INDEXES:
            con.execute(statement)
        con.commit()
        con.autocommit = True
        con.execute("VACUUM ANALYZE list_entries")
        con.execute("CHECKPOINT")  # the load's dirty pages written now, not during the measurements
    return time.perf_counter() - start


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


SERVER_WORKERS = 2  # one per core, as in production on this machine


def serve(work: Path, database_url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "XINYONG_DATA_DIR": str(work),
        "XINYONG_DATABASE_URL": database_url,
        "XINYONG_TODAY": TODAY.isoformat(),
        "XINYONG_JOBS_INTERVAL_S": "0",
        "XINYONG_RATE_LIMIT_PER_MINUTE": "0",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "xinyong.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(SERVER_WORKERS),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=5):
                return proc, base
        except (urllib.error.URLError, OSError):
            time.sleep(0.25)
    raise SystemExit("the server did not start")


def stop(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)  # the server this bench started, by its id
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def wrk(
    base: str, script: Path, key: str, ids_file: Path, connections: int, duration: int
) -> dict[str, float]:
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{duration}s",
            "--latency",
            "-s",
            str(script),
            base + "/",
            "--",
            key,
            str(ids_file),
        ],
        capture_output=True,
        text=True,
        timeout=duration + 60,
        check=True,
    ).stdout
    match = re.search(r"BENCH (.*)", out)
    if match is None:
        raise SystemExit(f"no BENCH line from wrk:\n{out}")
    v = dict(pair.split("=", 1) for pair in match.group(1).split())
    return {
        "rps": int(v["requests"]) / (int(v["duration_us"]) / 1e6),
        "p50": float(v["p50_ms"]),
        "p99": float(v["p99_ms"]),
        "errors": float(v["errors"]),
    }


def server_cpu_s(pgid: int) -> float:
    """CPU seconds (user + system) used so far by the server's processes (its process group)."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            after_name = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # a process that ended meanwhile
        if int(after_name[2]) == pgid:  # fields after the name: state ppid pgrp … utime(11) stime(12)
            ticks += int(after_name[11]) + int(after_name[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def bulk(platform: Platform, party: screening.Party, n_entries: int, count: int) -> tuple[float, float, int]:
    rng = random.Random(SEED + 1)
    listed = {ident(i) for i in range(n_entries)}  # every entry's identifier (not timed)
    ids = [ident(rng.randrange(n_entries)) if k % 2 else ident(n_entries + k) for k in range(count)]
    # The set above is the youngest generation's: the cycle collector's first pass after the screening
    # (which pauses it) would walk its 10,000,000 members (0.75 s) and be counted as the screening's.
    gc.collect()
    start = time.perf_counter()
    found = sum(1 for i in ids if i in listed)
    baseline = time.perf_counter() - start
    start = time.perf_counter()
    result = screening.screen_bulk(
        platform.store,
        platform.catalog,
        party,
        identifiers=ids,
        measure="no_flights",
        purpose="ticketing",
        today=TODAY,
        limit=None,
    )
    elapsed = time.perf_counter() - start
    assert found == count // 2 and result["total"] == count
    return elapsed, baseline, int(result["restricted"])


def run(
    label: str, work: Path, database_url: str, n: int, bulk_count: int, duration: int
) -> dict[str, float]:
    """Load N entries, drive the served app with wrk, screen in bulk; this database's figures."""
    platform = Platform.open(
        Settings(data_dir=work, database_url=database_url, today=TODAY.isoformat(), jobs_interval_s=0)
    )
    party, key = screening.add_party(
        platform.store,
        platform.catalog,
        Actor.operator("bench"),
        code="bench",
        name="bench",
        purposes=["ticketing"],
    )
    sqlite = label == "sqlite"
    load_s = load_entries(work / "xinyong.db", n) if sqlite else load_entries_pg(database_url, n)
    say(f"[{label}] loaded {n:,} entries in {load_s:.1f} s")
    ids_file = work / "ids.txt"
    rng = random.Random(SEED + 2)
    ids_file.write_text("\n".join(ident(rng.randrange(2 * n)) for _ in range(20_000)) + "\n")
    post, get = work / "screen.lua", work / "base.lua"
    post.write_text(LUA)
    get.write_text(GET_LUA)
    proc, base = serve(work, database_url)
    try:
        wrk(base, post, key, ids_file, 10, 1)  # warm up
        runs = {}
        for c in (10, 50):
            for name, script in (("base", get), ("screen", post)):
                cpu = server_cpu_s(proc.pid)
                runs[(name, c)] = r = wrk(base, script, key, ids_file, c, duration)
                r["cpu_us"] = (server_cpu_s(proc.pid) - cpu) / max(r["rps"] * duration, 1) * 1e6
    finally:
        stop(proc)
    for (name, c), r in runs.items():
        say(
            f"[{label}] {name:6} c={c:2}  {r['rps']:8.0f} req/s  p50 {r['p50']:.2f} ms  "
            f"p99 {r['p99']:.2f} ms  server CPU {r['cpu_us']:.0f} µs/req  errors {r['errors']:.0f}"
        )
    bulk_s, set_s, hits = bulk(platform, party, n, bulk_count)
    say(
        f"[{label}] bulk {bulk_count:,} ids screened and recorded in {bulk_s:.2f} s ({hits:,} restricted); "
        f"set lookup {set_s:.3f} s"
    )
    platform.close()
    ratio50 = runs[("screen", 50)]["rps"] / runs[("base", 50)]["rps"]
    return {
        "screen_p99_c10_ms": runs[("screen", 10)]["p99"],
        "screen_p50_c10_ms": runs[("screen", 10)]["p50"],
        "base_p99_c10_ms": runs[("base", 10)]["p99"],
        "screen_rps_c50": runs[("screen", 50)]["rps"],
        "base_rps_c50": runs[("base", 50)]["rps"],
        "ratio_c50": ratio50,
        "screen_cpu_us": runs[("screen", 10)]["cpu_us"],
        "base_cpu_us": runs[("base", 10)]["cpu_us"],
        "bulk_s": bulk_s,
        "set_lookup_s": set_s,
        "bulk_vs_set": bulk_s / max(set_s, 1e-9),
        "met": float(runs[("screen", 10)]["p99"] < 5 and ratio50 >= 0.5 and bulk_s < 5),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300,000 entries and 2 s runs (< 1 minute)")
    parser.add_argument("--entries", type=int, default=None)
    parser.add_argument("--bulk", type=int, default=1_000_000)
    parser.add_argument("--duration", type=int, default=None)
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            "XINYONG_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    args = parser.parse_args()
    n = args.entries or (300_000 if args.quick else 10_000_000)
    duration = args.duration or (2 if args.quick else 10)
    figures: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="xinyong-bench-screen-") as tmp:
        work = Path(tmp) / "sqlite"
        work.mkdir()
        figures["sqlite"] = run("sqlite", work, f"sqlite:///{work / 'xinyong.db'}", n, args.bulk, duration)
        # its store (6.8 GB at 10,000,000 entries) gone before PostgreSQL's turn: not left on the disk
        # and in the page cache the next database's load and lookups use
        shutil.rmtree(work)
        why_not = "--no-postgres" if args.no_postgres else pg_reachable(args.pg_url)
        if why_not is None:
            name = f"xinyong_bench_screen_{os.getpid()}"
            pg_database(args.pg_url, name, create=True)
            try:
                work = Path(tmp) / "pg"
                work.mkdir()
                figures["pg"] = run("pg", work, pg_url_for(args.pg_url, name), n, args.bulk, duration)
            finally:
                pg_database(args.pg_url, name, create=False)
        else:
            say(f"PostgreSQL skipped: {why_not}")
    parts = [f"entries={n}", f"bulk_ids={args.bulk}"]
    for label, f in figures.items():
        parts += [
            f"{label}_screen_p99_c10_ms={f['screen_p99_c10_ms']:.2f}",
            f"{label}_screen_p50_c10_ms={f['screen_p50_c10_ms']:.2f}",
            f"{label}_base_p99_c10_ms={f['base_p99_c10_ms']:.2f}",
            f"{label}_screen_rps_c50={f['screen_rps_c50']:.0f}",
            f"{label}_base_rps_c50={f['base_rps_c50']:.0f}",
            f"{label}_ratio_c50={f['ratio_c50']:.2f}",
            f"{label}_screen_cpu_us={f['screen_cpu_us']:.0f}",
            f"{label}_base_cpu_us={f['base_cpu_us']:.0f}",
            f"{label}_bulk_s={f['bulk_s']:.2f}",
            f"{label}_bulk_vs_set={f['bulk_vs_set']:.0f}",
        ]
    met = all(f["met"] for f in figures.values())
    say("RESULT " + " ".join(parts) + f" targets_met={'yes' if met else 'no'}")


if __name__ == "__main__":
    main()
