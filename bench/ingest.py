"""Benchmark: ingestion of one large penalty file against the raw bulk load of the same file, same run.

    .venv/bin/python bench/ingest.py                      # 1,000,000 rows, SQLite and PostgreSQL
    .venv/bin/python bench/ingest.py --quick              # 100,000 rows
    .venv/bin/python bench/ingest.py --rows 250000 --no-postgres
    .venv/bin/python bench/ingest.py --memory-rows 10000000   # also: peak RSS at 10 M rows (SQLite)
    .venv/bin/python bench/ingest.py --quick --memory-rows 3000000 --memory-file BIG.csv   # a file at hand
    .venv/bin/python bench/ingest.py --quick --no-postgres --profile   # cProfile of the SQLite ingestion

Input: the synthetic city (``generate_city``, ``mistake_rate=0``, ``xlsx_rows=0`` so no XLSX files)
is generated in a temporary directory, as two cities of half the size (seeds ``seed`` and ``seed+1``)
in parallel processes when the machine has two cores, with subjects = N/10 and records = N/0.4 in all.
All their penalty CSV files (``cf_*.csv``) are concatenated into ONE UTF-8 CSV of exactly N rows with
the Chinese header of schema ``administrative_penalty``: UTF-8, UTF-8-with-BOM and GB18030 files are
re-encoded, and the data-exchange files with ``CF_*`` code headers and enum codes are transcoded to
the Chinese header and Chinese labels. Generation is timed separately and is not part of the figures;
the city is deleted once the file is built.

* **Ingestion**: ``ingest_file`` as unit ``sz_housing``, item ``administrative_penalty``, actor
  ``Actor.system("bench")``, all-or-nothing (``accept_valid=False``), into a fresh store opened with
  ``Platform.open(Settings(database_url=...))``: a temporary SQLite file, or a fresh PostgreSQL
  database ``xinyong_bench_<random>`` dropped at the end. It runs in a child process (this script
  with hidden arguments), so its peak RSS (``ru_maxrss``: interpreter and imports included) is its
  own; the timed part is the ``ingest_file`` call (opening and migrating the store is not timed).
  The child reports its CPU seconds (the rest of the wall time is waiting on I/O or the server) and
  the rate over the first and last 10 % of the rows (from the progress callback), which shows
  whether the cost per row grows with the table.
* **Baseline**: the raw bulk load of the same file, no validation, no indexes: the sqlite3 CLI's
  ``.mode csv`` / ``.import`` into a fresh database (subprocess wall time; needs the ``sqlite3``
  CLI, e.g. ``apt-get install -y sqlite3``), and PostgreSQL ``COPY raw_penalties FROM STDIN WITH
  (FORMAT csv, HEADER true)`` into a table of 30 text columns (psycopg streaming the file).

* **Storage floor** (not a baseline, a diagnosis): once ingested, the store's rows are written again
  into a fresh store (migrated and synced the same way) by the database alone, table by table,
  parents first: ``INSERT INTO main.t SELECT * FROM src.t`` in one SQLite transaction (ATTACHed;
  the store's pragmas and loading page cache), a binary ``COPY`` out of the ingested PostgreSQL
  database streamed into a ``COPY`` in, one transaction. Same indexes, triggers (name search) and
  foreign keys, no Python per row: ``floor_ratio`` = floor seconds / raw-load seconds is the part
  of the ratio that no validation or drafting speed can remove while the store keeps what it keeps.

``ratio`` = ingestion seconds / raw-load seconds (lower is better; target ≤ 2). Memory target: under
1 GiB peak RSS for 10,000,000 rows (``--memory-rows``). The stored record count (and the batch's
``added``) is asserted to be N in each store. The last line of output is the ``RESULT ...`` line.

PostgreSQL: ``--pg-url`` or ``XINYONG_BENCH_PG_URL``, default the local server
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``; skipped when it is not reachable.
``--pg-custom-plans`` sets ``plan_cache_mode = force_custom_plan`` on the bench database (a
server-side setting; the platform code is unchanged), to separate the cost of cached generic plans
from the rest; it is not the default, so that the default figures are those of a stock deployment.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FULL_ROWS = 1_000_000
QUICK_ROWS = 100_000
SEED = 2026
UNIT = "sz_housing"
ITEM = "administrative_penalty"
TODAY = date(2026, 12, 31)  # the synthetic city's decisions end on 2026-11-27
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
STYLES = ("utf-8", "utf-8-sig", "gb18030")  # CSV encodings usable as they are (GB18030 transcoded)
TARGET_RATIO = 2.0
TARGET_MIB_AT_10M = 1024
NA = "na"
GEN_PARTS = 2  # cities generated in parallel (at most one per core)


# ---------------------------------------------------------------------------------------------
# The input file


def usable(spec: Any) -> bool:
    """A penalty CSV (any header/value style: code files are transcoded to Chinese headers and labels)."""
    return spec.record_type == "penalty" and spec.style.format == "csv" and spec.style.encoding in STYLES


def records_for(rows: int) -> int:
    """The smallest-ish city (records) whose usable penalty files hold at least ``rows`` rows."""
    from xinyong.synth.layout import load_layout
    from xinyong.synth.plan import plan_files

    layout = load_layout()

    def supply(records: int) -> int:
        return sum(s.rows for s in plan_files(layout, records, 0) if usable(s))

    share = supply(1_000_000) / 1_000_000
    records = math.ceil(rows / share)
    while (have := supply(records)) < rows:
        records += max(1, math.ceil((rows - have) / share))
    return records


def generate_part(city: str, subjects: int, records: int, seed: int) -> float:
    """One synthetic city (a worker process); returns its generation seconds."""
    from xinyong.synth import generate_city

    started = time.perf_counter()
    generate_city(Path(city), subjects=subjects, records=records, seed=seed, mistake_rate=0.0, xlsx_rows=0)
    return time.perf_counter() - started


def usable_entry(f: dict[str, Any]) -> bool:
    return f["type"] == "penalty" and f["format"] == "csv" and f["encoding"] in STYLES and f["rows"] > 0


def to_labels(f: dict[str, Any]) -> Callable[[list[str]], list[str]] | None:
    """For a file with coded values (``values: code``), a function turning its enum codes into the
    Chinese labels (multi-valued cells are ``;``-separated); None when the file already has labels."""
    if f["values"] == "label":
        return None
    from xinyong.synth.layout import load_layout

    layout = load_layout()
    columns = [(i, layout.enums[fd.enum]) for i, fd in enumerate(layout.penalty.fields) if fd.enum]

    def convert(row: list[str]) -> list[str]:
        for i, labels in columns:
            if row[i]:
                row[i] = ";".join(labels[code] for code in row[i].split(";"))
        return row

    return convert


def build_file(work: Path, rows: int, seed: int, name: str) -> tuple[Path, dict[str, Any]]:
    """Generate the city, concatenate its usable penalty files into ONE UTF-8 CSV of exactly ``rows`` rows.

    On a machine with several cores the city is generated as ``parts`` independent cities (seeds
    ``seed``, ``seed + 1``, …) in parallel, each with 1/parts of the subjects and records; the files
    are deterministic, and the ingestion asserts that every row is stored as a new record.
    """
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from xinyong.synth.layout import load_layout

    header = info_header()
    headers = {"zh": header, "code": load_layout().penalty.codes}
    parts = max(1, min(GEN_PARTS, os.cpu_count() or 1, rows // 10_000))
    part_rows = math.ceil(rows / parts)
    records = records_for(part_rows)
    subjects = max(100, part_rows // 10)
    cities = [work / f"city-{name}-{i}" for i in range(parts)]
    started = time.perf_counter()
    if parts == 1:
        generate_part(str(cities[0]), subjects, records, seed)
    else:
        with ProcessPoolExecutor(parts, mp_context=get_context("spawn")) as pool:
            jobs = [
                pool.submit(generate_part, str(c), subjects, records, seed + i) for i, c in enumerate(cities)
            ]
            for job in jobs:
                job.result()
    gen_seconds = time.perf_counter() - started
    started = time.perf_counter()
    out = work / f"{name}.csv"
    written, used = 0, []
    with out.open("w", encoding="utf-8", newline="", buffering=1 << 20) as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for i, city in enumerate(cities):
            manifest = json.loads((city / "manifest.json").read_text(encoding="utf-8"))
            for f in filter(usable_entry, manifest["files"]):
                if written >= rows:
                    break
                convert = to_labels(f)
                with (city / f["name"]).open(encoding=f["encoding"], newline="", buffering=1 << 20) as src:
                    reader = csv.reader(src)
                    if next(reader) != headers[f["header"]]:
                        raise SystemExit(f"{city.name}/{f['name']}: unexpected header")
                    take = 0
                    for row in reader:
                        writer.writerow(convert(row) if convert else row)
                        take += 1
                        written += 1
                        if written >= rows:
                            break
                    used.append(f"{i}/{f['name']}:{take}")
            shutil.rmtree(city)  # only the concatenated file is needed from here on
    if written != rows:
        raise SystemExit(f"the city gave {written} usable penalty rows, {rows} wanted")
    info = {
        "parts": parts,
        "subjects": subjects * parts,
        "records": records * parts,
        "generate_s": gen_seconds,
        "concat_s": time.perf_counter() - started,
        "bytes": out.stat().st_size,
        "files": used,
    }
    return out, info


def info_header() -> list[str]:
    from xinyong.catalog import load_catalog

    return [f.zh for f in load_catalog().schemas[ITEM].fields]


# ---------------------------------------------------------------------------------------------
# Child process: the platform's ingestion, measured on its own


def peak_mib() -> float:
    """Peak RSS of this process plus that of its largest finished child (the drafting process that
    ingestion forks for a large file): a sum of peaks, an upper bound (shared pages count twice)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return (own + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024  # KiB on Linux


def cpu_seconds() -> float:
    """CPU of this process and its finished children (the drafting process of a large file)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def child_ingest(url: str, path: Path, profile: bool) -> dict[str, Any]:
    from sqlalchemy import func, select

    from xinyong.domain.actor import Actor
    from xinyong.services.ingest import IngestOptions, ingest_file
    from xinyong.services.platform import Platform
    from xinyong.settings import Settings
    from xinyong.store.tables import records

    platform = Platform.open(Settings(database_url=url))
    before = peak_mib()
    options = IngestOptions(item=ITEM, accept_valid=False, today=TODAY)
    marks: list[tuple[int, float]] = []  # (rows done, seconds) after each chunk
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    drafting = drafting_mode(path)
    cpu = cpu_seconds()
    started = time.perf_counter()
    report = ingest_file(
        platform.store,
        platform.catalog,
        path,
        UNIT,
        Actor.system("bench"),
        options=options,
        progress=lambda done: marks.append((done, time.perf_counter() - started)),
    )
    seconds = time.perf_counter() - started
    cpu = cpu_seconds() - cpu
    if profiler is not None:
        import pstats

        profiler.disable()
        print("--- cProfile of ingest_file, by tottime ---", file=sys.stderr)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(30)
    with platform.store.read() as conn:
        stored = conn.execute(select(func.count()).select_from(records)).scalar_one()
        in_batch = conn.execute(
            select(func.count()).select_from(records).where(records.c.batch_id == report.batch_id)
        ).scalar_one()
    platform.close()
    return {
        "seconds": seconds,
        "cpu_s": cpu,
        "peak_mib": peak_mib(),
        "peak_before_mib": before,
        "stored": stored,
        "in_batch": in_batch,
        "first_rate": segment_rate(marks, 0.0, 0.1),
        "last_rate": segment_rate(marks, 0.9, 1.0),
        **report.summary(),
        "first_problems": [p.as_dict() for p in report.problems[:5]],
        "drafting": drafting,
    }


def drafting_mode(path: Path) -> str:
    """Whether ingestion will draft in a forked second process: it decides by the file's size and the
    load average as it starts, so on a busy machine the figures are those of drafting in-process."""
    from xinyong.services import ingest

    forked = path.stat().st_size >= ingest.PROCESS_MIN_BYTES and ingest._spare_core()
    return f"{'forked process' if forked else 'in-process'} (load average {os.getloadavg()[0]:.1f})"


def segment_rate(marks: list[tuple[int, float]], start: float, end: float) -> float | None:
    """Rows/s between the chunks ending nearest ``start`` and ``end`` of the rows (0..1): is it linear?"""
    if len(marks) < 4:
        return None
    total = marks[-1][0]
    points = [(0, 0.0), *marks]
    lo = min(points, key=lambda m: abs(m[0] - start * total))
    hi = min(points, key=lambda m: abs(m[0] - end * total))
    return (hi[0] - lo[0]) / (hi[1] - lo[1]) if hi[1] > lo[1] else None


def run_child(url: str, path: Path, profile: bool = False) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child-url", url, "--child-file", str(path)]
    if profile:
        cmd.append("--profile")
    done = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"ingestion child failed ({done.returncode}):\n{done.stdout[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def check_ingested(result: dict[str, Any], rows: int, where: str) -> None:
    ok = result["status"] == "accepted" and result["added"] == rows and result["in_batch"] == rows
    assert ok and result["stored"] == rows, (
        f"{where}: expected {rows} stored records, got status={result['status']} added={result['added']} "
        f"stored={result['stored']} duplicates={result['duplicates']} rejected={result['rejected_rows']} "
        f"problems={result['first_problems']}"
    )


# ---------------------------------------------------------------------------------------------
# Baselines


def sqlite_raw(path: Path, db: Path) -> tuple[float, int]:
    sqlite3 = shutil.which("sqlite3")
    if sqlite3 is None:
        raise SystemExit("the sqlite3 CLI is needed for the baseline: apt-get install -y sqlite3")
    script = f".bail on\n.mode csv\n.import '{path}' raw_penalties\n"
    started = time.perf_counter()
    subprocess.run([sqlite3, str(db)], input=script, text=True, check=True)
    seconds = time.perf_counter() - started
    out = subprocess.run(
        [sqlite3, str(db), "SELECT count(*) FROM raw_penalties"],
        capture_output=True,
        text=True,
        check=True,
    )
    return seconds, int(out.stdout.strip())


def pg_admin_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def pg_reachable(url: str) -> str | None:
    """None when the server answers, else why not."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed"
    try:
        with psycopg.connect(pg_admin_url(url), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as e:  # any failure to connect means: skip PostgreSQL
        return f"{type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}"
    return None


def pg_database(admin_url: str, name: str, create: bool) -> None:
    import psycopg

    with psycopg.connect(pg_admin_url(admin_url), autocommit=True) as conn:
        if create:
            conn.execute(f'CREATE DATABASE "{name}"')
        else:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_url_for(admin_url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def pg_raw(url: str, path: Path, columns: int) -> tuple[float, int]:
    import psycopg

    cols = ", ".join(f"c{i:02d} text" for i in range(1, columns + 1))
    with psycopg.connect(pg_admin_url(url)) as conn:
        conn.execute(f"CREATE TABLE raw_penalties ({cols})")
        conn.commit()
        started = time.perf_counter()
        with (
            conn.cursor() as cur,
            cur.copy("COPY raw_penalties FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
            path.open("rb") as fh,
        ):
            while block := fh.read(1 << 20):
                copy.write(block)
        conn.commit()
        seconds = time.perf_counter() - started
        row = conn.execute("SELECT count(*) FROM raw_penalties").fetchone()
    return seconds, int(row[0]) if row else 0


# ---------------------------------------------------------------------------------------------
# Storage floor: the stored rows written again, by the database alone


def fresh_store(url: str) -> None:
    """A new store at ``url``: migrated and synced (catalog, units), as ingestion found its own."""
    from xinyong.services.platform import Platform
    from xinyong.settings import Settings

    Platform.open(Settings(database_url=url)).close()


def stored_tables(count: Callable[[str], int], fresh: Callable[[str], int]) -> list[str]:
    """The platform's tables (parents first) that ingestion filled: rows in the ingested store, none in
    a fresh one. Tables that the database fills itself (name search, by trigger) are not the
    platform's tables, so their triggers fill them again as the rows are written."""
    from xinyong.store.tables import metadata

    copied, added = [], {}
    for t in metadata.sorted_tables:
        n, before = count(t.name), fresh(t.name)
        if n > 0 and before == 0:
            copied.append(t.name)
        elif n > before:
            added[t.name] = n - before  # a batch's event and audit rows: left out of the floor
    most = max((count(t) for t in copied), default=0)
    if big := {t: d for t, d in added.items() if d > max(100, most // 100)}:
        raise SystemExit(f"storage floor: ingestion added many rows to tables a fresh store fills, {big}")
    return copied


def sqlite_floor(store_db: Path, work: Path) -> tuple[float, list[str]]:
    """Seconds to write the ingested store's rows into a fresh store, an ``INSERT … SELECT`` a table in
    one transaction, in SQLite's own C (no Python a row), with the store's indexes, triggers,
    foreign keys and loading page cache: the part of ingestion's time that no validation or drafting
    speed can remove. Also each table's seconds, in the order written."""
    import sqlite3

    from xinyong.store.dialect import SQLITE_LOADING_CACHE_KIB
    from xinyong.store.engine import SQLITE_MMAP_BYTES

    db = work / "floor.db"
    fresh_store(f"sqlite:///{db}")
    con = sqlite3.connect(db, isolation_level=None)
    try:
        # the store's connection settings (xinyong.store.engine), its checkpoints off the commit path
        # included, and its page cache while loading (xinyong.store.dialect.loading)
        for pragma in (
            "foreign_keys=ON",
            "synchronous=NORMAL",
            "wal_autocheckpoint=0",
            f"mmap_size={SQLITE_MMAP_BYTES}",
            f"cache_size=-{SQLITE_LOADING_CACHE_KIB}",
        ):
            con.execute(f"PRAGMA {pragma}")
        con.execute("ATTACH ? AS src", (str(store_db),))

        def rows_in(schema: str) -> Callable[[str], int]:
            return lambda t: int(con.execute(f'SELECT count(*) FROM {schema}."{t}"').fetchone()[0])

        tables = stored_tables(rows_in("src"), rows_in("main"))
        started = time.perf_counter()
        con.execute("BEGIN")
        each = []
        for t in tables:
            at = time.perf_counter()
            con.execute(f'INSERT INTO main."{t}" SELECT * FROM src."{t}"')
            each.append(f"{t} {time.perf_counter() - at:.2f} s")
        at = time.perf_counter()
        con.execute("COMMIT")
        each.append(f"commit {time.perf_counter() - at:.2f} s")
        seconds = time.perf_counter() - started
    finally:
        con.close()
    for suffix in ("", "-wal", "-shm"):
        (work / f"floor.db{suffix}").unlink(missing_ok=True)
    return seconds, each


def pg_floor(admin_url: str, store_url: str) -> tuple[float, list[str]]:
    """:func:`sqlite_floor` on PostgreSQL: each table streamed by binary ``COPY`` from the ingested
    database into a fresh one, one transaction (the raw baseline is a ``COPY`` too)."""
    import psycopg

    name = f"xinyong_bench_{uuid.uuid4().hex[:12]}"
    pg_database(admin_url, name, create=True)
    try:
        url = pg_url_for(admin_url, name)
        fresh_store(url)
        with psycopg.connect(pg_admin_url(store_url), autocommit=True) as src:
            # the ingested rows' hint bits set and ingestion's dirty pages written before the timing,
            # so that neither falls on the floor's reads and writes
            src.execute("VACUUM ANALYZE")
            src.execute("CHECKPOINT")
        with psycopg.connect(pg_admin_url(store_url)) as src, psycopg.connect(pg_admin_url(url)) as dst:

            def rows_in(conn: Any) -> Callable[[str], int]:
                return lambda t: int(conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0])

            tables = stored_tables(rows_in(src), rows_in(dst))
            src.commit()
            dst.commit()
            started = time.perf_counter()
            each = []
            for t in tables:
                at = time.perf_counter()
                with (
                    src.cursor().copy(f'COPY "{t}" TO STDOUT (FORMAT binary)') as out,
                    dst.cursor().copy(f'COPY "{t}" FROM STDIN (FORMAT binary)') as into,
                ):
                    for block in out:
                        into.write(block)
                each.append(f"{t} {time.perf_counter() - at:.2f} s")
            at = time.perf_counter()
            dst.commit()
            each.append(f"commit {time.perf_counter() - at:.2f} s")
            seconds = time.perf_counter() - started
        return seconds, each
    finally:
        pg_database(admin_url, name, create=False)


# ---------------------------------------------------------------------------------------------
# Output


def fmt_rate(rows: int, seconds: float) -> str:
    return f"{rows / seconds:,.0f}"


def table(lines: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in lines) for i in range(len(lines[0]))]
    out = []
    for n, r in enumerate(lines):
        out.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def say(text: str) -> None:
    """Progress on stderr (the table and the RESULT line go to stdout)."""
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def run_sqlite(work: Path, path: Path, rows: int, profile: bool) -> dict[str, Any]:
    say("SQLite: raw load with the sqlite3 CLI (.import)")
    raw_s, raw_rows = sqlite_raw(path, work / "raw.db")
    assert raw_rows == rows, f"sqlite3 .import loaded {raw_rows} rows, expected {rows}"
    (work / "raw.db").unlink()
    say(f"SQLite: raw load {raw_s:.2f} s; ingestion (child process)")
    ing = run_child(f"sqlite:///{work / 'store.db'}", path, profile)
    check_ingested(ing, rows, "SQLite")
    say(f"SQLite: ingestion {ing['seconds']:.2f} s, {ing['stored']:,} records stored; storage floor")
    floor_s, floor_each = sqlite_floor(work / "store.db", work)
    say(f"SQLite: storage floor {floor_s:.2f} s ({', '.join(floor_each)})")
    for suffix in ("", "-wal", "-shm"):
        (work / f"store.db{suffix}").unlink(missing_ok=True)
    return {"ing": ing, "raw_s": raw_s, "floor_s": floor_s, "floor_each": floor_each}


def run_postgres(admin_url: str, path: Path, rows: int, custom_plans: bool) -> dict[str, Any]:
    name = f"xinyong_bench_{uuid.uuid4().hex[:12]}"
    pg_database(admin_url, name, create=True)
    try:
        url = pg_url_for(admin_url, name)
        if custom_plans:
            import psycopg

            with psycopg.connect(pg_admin_url(admin_url), autocommit=True) as conn:
                conn.execute(f'ALTER DATABASE "{name}" SET plan_cache_mode = force_custom_plan')
        say(f"PostgreSQL: raw load with COPY into {name}")
        raw_s, raw_rows = pg_raw(url, path, len(info_header()))
        assert raw_rows == rows, f"COPY loaded {raw_rows} rows, expected {rows}"
        say(f"PostgreSQL: raw load {raw_s:.2f} s; ingestion (child process)")
        ing = run_child(url, path)
        check_ingested(ing, rows, "PostgreSQL")
        say(f"PostgreSQL: ingestion {ing['seconds']:.2f} s, {ing['stored']:,} records stored; storage floor")
        floor_s, floor_each = pg_floor(admin_url, url)
        say(f"PostgreSQL: storage floor {floor_s:.2f} s ({', '.join(floor_each)})")
        return {"ing": ing, "raw_s": raw_s, "floor_s": floor_s, "floor_each": floor_each}
    finally:
        pg_database(admin_url, name, create=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ROWS:,} rows instead of {FULL_ROWS:,}")
    parser.add_argument("--rows", type=int, help="rows in the penalty file (overrides --quick)")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--memory-rows", type=int, help="also ingest a file of this many rows (SQLite, RSS)")
    parser.add_argument(
        "--memory-file",
        help="the memory run ingests this penalty CSV (Chinese header, distinct rows) instead of a generated "
        "one; --memory-rows must give its row count",
    )
    parser.add_argument("--pg-url", default=os.environ.get("XINYONG_BENCH_PG_URL", PG_DEFAULT))
    parser.add_argument(
        "--pg-custom-plans",
        action="store_true",
        help="ALTER DATABASE … SET plan_cache_mode = force_custom_plan on the bench database "
        "(diagnostic: no cached generic plans; not the default)",
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--profile", action="store_true", help="cProfile the SQLite ingestion (stderr)")
    parser.add_argument("--child-url", help=argparse.SUPPRESS)
    parser.add_argument("--child-file", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child_url:
        print(json.dumps(child_ingest(args.child_url, Path(args.child_file), args.profile)))
        return

    rows = args.rows or (QUICK_ROWS if args.quick else FULL_ROWS)
    pg_skip = "--no-postgres" if args.no_postgres else pg_reachable(args.pg_url)
    wall = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="xinyong-bench-ingest-") as tmp:
        work = Path(tmp)
        say(f"generating the synthetic city for {rows:,} penalty rows")
        path, info = build_file(work, rows, args.seed, "penalties")
        print(
            f"input: {rows:,} rows, {info['bytes'] / 1e6:,.1f} MB UTF-8 from {info['parts']} synthetic "
            f"cities of {info['subjects']:,} subjects / {info['records']:,} records in all "
            f"(generated in {info['generate_s']:.1f} s, concatenated in {info['concat_s']:.1f} s: "
            "not counted)"
        )
        print(f"files: {' '.join(info['files'])}")
        results = {"sqlite": run_sqlite(work, path, rows, args.profile)}
        if pg_skip is None:
            results["postgresql"] = run_postgres(args.pg_url, path, rows, args.pg_custom_plans)
            if args.pg_custom_plans:
                print(
                    "PostgreSQL: the bench database was set to plan_cache_mode = force_custom_plan "
                    "(--pg-custom-plans)"
                )
        else:
            print(f"PostgreSQL skipped: {pg_skip}")

        memory: dict[str, Any] | None = None
        if args.memory_rows:
            path.unlink()
            if args.memory_file:
                mpath = Path(args.memory_file)
                print(f"memory input: {mpath} ({mpath.stat().st_size / 1e6:,.1f} MB, given)")
            else:
                say(f"memory run: generating {args.memory_rows:,} rows")
                mpath, minfo = build_file(work, args.memory_rows, args.seed, "memory")
                print(
                    f"memory input: {args.memory_rows:,} rows, {minfo['bytes'] / 1e6:,.1f} MB "
                    f"(generated in {minfo['generate_s']:.1f} s: not counted)"
                )
            say("memory run: SQLite ingestion (child process)")
            memory = run_child(f"sqlite:///{work / 'memory.db'}", mpath)
            check_ingested(memory, args.memory_rows, "SQLite (memory run)")
    say(f"done in {time.perf_counter() - wall:.1f} s wall")
    report(rows, results, memory, args.memory_rows)


def report(
    rows: int, results: dict[str, dict[str, Any]], memory: dict[str, Any] | None, memory_rows: int | None
) -> None:
    head = [
        "store",
        "rows",
        "ingest s",
        "rows/s",
        "CPU s",
        "peak RSS MiB",
        "raw load s",
        "raw rows/s",
        "ratio",
        "floor s",
        "floor ratio",
    ]
    lines = [head]
    fields: dict[str, str] = {}
    runs: list[tuple[str, int, dict[str, Any], float | None, float | None]] = [
        (db, rows, r["ing"], r["raw_s"], r["floor_s"]) for db, r in results.items()
    ]
    if memory is not None and memory_rows:
        runs.append(("sqlite (memory run)", memory_rows, memory, None, None))
    for db, n, ing, raw_s, floor_s in runs:
        lines.append(
            [
                db,
                f"{n:,}",
                f"{ing['seconds']:.2f}",
                f"{n / ing['seconds']:,.0f}",
                f"{ing['cpu_s']:.1f}",
                f"{ing['peak_mib']:.0f}",
                f"{raw_s:.2f}" if raw_s else "-",
                f"{n / raw_s:,.0f}" if raw_s else "-",
                f"{ing['seconds'] / raw_s:.2f}" if raw_s else "-",
                f"{floor_s:.2f}" if floor_s else "-",
                f"{floor_s / raw_s:.2f}" if floor_s and raw_s else "-",
            ]
        )
    for db, key in (("sqlite", "sqlite"), ("postgresql", "pg")):
        r = results.get(db)
        if r is None:
            figures = ("rows_per_s", "raw_rows_per_s", "ratio", "peak_mib", "floor_ratio")
            fields.update({f"{key}_{k}": NA for k in figures})
            continue
        ing, raw_s = r["ing"], r["raw_s"]
        fields[f"{key}_rows_per_s"] = f"{rows / ing['seconds']:.0f}"
        fields[f"{key}_raw_rows_per_s"] = f"{rows / raw_s:.0f}"
        fields[f"{key}_ratio"] = f"{ing['seconds'] / raw_s:.3f}"
        fields[f"{key}_peak_mib"] = f"{ing['peak_mib']:.0f}"
        fields[f"{key}_floor_ratio"] = f"{r['floor_s'] / raw_s:.3f}"
    print()
    print(table(lines))
    print()
    print("ratio = ingestion seconds / raw bulk-load seconds (sqlite3 .import; COPY): lower is better")
    print(
        "floor = the ingested store's rows written into a fresh store by the database alone (INSERT … "
        "SELECT; binary COPY), same indexes, triggers and keys: what ingestion costs before any Python"
    )
    for db, r in results.items():
        print(f"floor {db}, each table: {', '.join(r['floor_each'])}")
    print(
        "CPU s and peak RSS: the ingesting process and its drafting process if any (RSS: a sum of peaks); "
        "PostgreSQL server time and memory not counted; RSS includes the interpreter and imports"
    )
    for db, _n, ing, _, _ in runs:
        if ing.get("drafting"):
            print(f"drafting {db}: {ing['drafting']}")
        first, last = ing.get("first_rate"), ing.get("last_rate")
        if first and last:
            print(
                f"scaling {db}: first 10% of rows at {first:,.0f} rows/s, last 10% at {last:,.0f} rows/s "
                f"({last / first:.2f}x)"
            )
    for db, r in results.items():
        ratio = r["ing"]["seconds"] / r["raw_s"]
        verdict = "met" if ratio <= TARGET_RATIO else "NOT met"
        print(f"target {db}: within {TARGET_RATIO:g}x of the raw load: {ratio:.2f}x, {verdict}")
    if memory is not None and memory_rows:
        verdict = "met" if memory["peak_mib"] < TARGET_MIB_AT_10M else "NOT met"
        print(
            f"target memory: under {TARGET_MIB_AT_10M} MiB peak for 10,000,000 rows: "
            f"{memory['peak_mib']:.0f} MiB at {memory_rows:,} rows, {verdict}"
        )
    else:
        print(
            f"target memory: under {TARGET_MIB_AT_10M} MiB peak for 10,000,000 rows "
            f"(not measured: use --memory-rows 10000000)"
        )
    extra = ""
    if memory is not None and memory_rows:
        extra = f" memory_rows={memory_rows} memory_peak_mib={memory['peak_mib']:.0f}"
    print(
        f"RESULT rows={rows} sqlite_rows_per_s={fields['sqlite_rows_per_s']} "
        f"sqlite_raw_rows_per_s={fields['sqlite_raw_rows_per_s']} sqlite_ratio={fields['sqlite_ratio']} "
        f"sqlite_peak_mib={fields['sqlite_peak_mib']} pg_rows_per_s={fields['pg_rows_per_s']} "
        f"pg_raw_rows_per_s={fields['pg_raw_rows_per_s']} pg_ratio={fields['pg_ratio']} "
        f"pg_peak_mib={fields['pg_peak_mib']} sqlite_floor_ratio={fields['sqlite_floor_ratio']} "
        f"pg_floor_ratio={fields['pg_floor_ratio']}{extra}"
    )


if __name__ == "__main__":
    main()
