"""Benchmark: the one-click check (一键查询) over HTTP, served as in production, against /healthz.

    .venv/bin/python bench/check.py                   # 1,000,000 subjects, 10,000,000 records
    .venv/bin/python bench/check.py --quick           # 50,000 subjects, 200,000 records, 1 s runs
    .venv/bin/python bench/check.py --subjects 200000 --records 2000000 --no-postgres --duration 5
    .venv/bin/python bench/check.py --launcher both   # also served by plain `uvicorn --workers 2`
    .venv/bin/python bench/check.py --keep-store /work/benchdata/full   # build once, reuse next time

Store: N synthetic subjects and M synthetic 双公示 records (see ``bench/_check_store.py``: valid
USCCs and resident ID numbers, unique organisation names drawn with ``xinyong.synth.names``,
licensing and penalty decisions from ``xinyong.synth.profiles``), in a fresh store migrated with
``xinyong.store.migrate.upgrade`` whose catalog is recorded by ``Platform.open``: a temporary SQLite
file and, unless ``--no-postgres`` or unreachable, a fresh PostgreSQL database
``xinyong_bench_<random>`` (dropped at the end). The rows are bulk-loaded DIRECTLY (executemany /
COPY, indexes built after the load): the benchmark measures the check, not ingestion. The records
are generated once (forked worker processes) and fed to both databases; the build is timed apart.

SQLite gets no ANALYZE (the platform never runs it; ``--analyze-sqlite`` to add it); PostgreSQL gets
VACUUM ANALYZE (what autovacuum does by itself).

Server: the production command, ``xinyong serve --workers 2`` (``xinyong.server``: uvicorn workers
sharing a listening socket made with IPPROTO_TCP, so that asyncio sets TCP_NODELAY on every
connection; no access log) on a free loopback port, with ``XINYONG_RATE_LIMIT_PER_MINUTE=0`` (no
throttling), ``XINYONG_TODAY=2026-11-28``. ``--launcher uvicorn`` serves the same app with plain
``uvicorn --factory xinyong.api.app:create_app --workers 2``, which binds the shared socket with
proto 0: asyncio then leaves TCP_NODELAY off and every kept-alive response waits ~40 ms for the
client's delayed ACK (the bench detects and reports it). ``--launcher both`` does both (the RESULT
line is the production command's).

Load: wrk over loopback (``-t2 -c10`` and ``-t2 -c50``, ``--latency``), each scenario a Lua script
walking a precomputed list of paths (each thread from its own offset):

* ``base``    ``/healthz`` (one ``SELECT 1``: the framework plus one database round trip);
* ``code``    ``/api/v1/search?q=<USCC>`` of random organisations;
* ``name``    ``/api/v1/search?q=<fragment>``: 2–4 consecutive characters cut at random places out of
  random organisation names (what the public can find; common fragments such as 有限 or 公司 are
  drawn as often as they occur);
* ``profile`` ``/api/v1/subjects/<id>`` of random organisations (records per subject are skewed:
  most have a handful, a few have hundreds; the profile shows them all);
* ``mix``     40 % code, 40 % name, 20 % profile.

A few requests of each list are checked first (status 200, a non-empty JSON answer, the code's
subject found). Latency percentiles come from wrk's own histogram (a Lua ``done()``), in ms;
non-2xx/3xx answers and socket errors are counted and reported. After each run the bench waits
until the server has finished the requests still in flight (its CPU and, on PostgreSQL, the
database's sessions are idle), so that slow requests do not spill into the next run.

Targets (at 10 connections): code lookup p99 < 20 ms, name search p99 < 50 ms; at 50 connections:
code-lookup throughput ≥ 40 % of the baseline's. The last line is the machine-readable
``RESULT ...`` line (``na`` for a database that was skipped).

PostgreSQL: ``--pg-url`` or ``XINYONG_BENCH_PG_URL``, default the local server
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``. wrk: ``apt-get install -y wrk``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _check_store as store  # noqa: E402
from _pg import pg_database, pg_reachable, pg_url_for  # noqa: E402
from sqlalchemy import text  # noqa: E402  (after the sys.path lines above)

from xinyong.services.platform import Platform  # noqa: E402
from xinyong.settings import Settings  # noqa: E402
from xinyong.store.engine import make_engine  # noqa: E402

FULL_SUBJECTS = 1_000_000
FULL_RECORDS = 10_000_000
QUICK_SUBJECTS = 50_000
QUICK_RECORDS = 200_000  # 4 a subject on average: the quick run must stay under a minute
FULL_DURATION = 10
QUICK_DURATION = 1
CONNECTIONS = (10, 50)
THREADS = 2
SERVER_WORKERS = 2
TODAY = "2026-11-28"
SEED = 2026
PATHS_PER_LIST = 20_000
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SCENARIOS = ("base", "code", "name", "profile", "mix")
MIX = (("code", 0.4), ("name", 0.4), ("profile", 0.2))
TARGET_CODE_P99_MS = 20.0
TARGET_NAME_P99_MS = 50.0
TARGET_RATIO_50 = 0.40
IDLE_POLL_S = 0.2
NA = "na"

LUA = r"""
-- walks a list of request paths (one per line), each thread from its own offset
local paths = {}
local counter = 0
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  local f = assert(io.open(args[1], "r"))
  for line in f:lines() do
    if #line > 0 then paths[#paths + 1] = line end
  end
  f:close()
  counter = (tonumber(tid) or 0) * math.floor(#paths / 2)
end

function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_ms=%.3f p95_ms=%.3f p99_ms=%.3f max_ms=%.3f"
      .. " status_errors=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, e.status, e.connect, e.read, e.write, e.timeout))
end
"""


def say(message: str) -> None:
    print(message, flush=True)


# ---------------------------------------------------------------------------------------------
# Request lists


def request_lists(subjects: list[store.Subject], count: int, seed: int) -> dict[str, list[str]]:
    """URL paths of each scenario, drawn from the store's own subjects."""
    rng = random.Random(seed * 17 + 1)
    organisations = [s for s in subjects if s.scheme == "uscc"]
    quote = urllib.parse.quote
    codes = [f"/api/v1/search?q={rng.choice(organisations).value}" for _ in range(count)]
    names = []
    while len(names) < count:
        name = rng.choice(organisations).name
        length = rng.randint(2, 4)
        if len(name) >= length:
            start = rng.randrange(len(name) - length + 1)
            names.append(f"/api/v1/search?q={quote(name[start : start + length])}")
    profiles = [f"/api/v1/subjects/{rng.choice(organisations).id}" for _ in range(count)]
    lists = {"base": ["/healthz"], "code": codes, "name": names, "profile": profiles}
    mix = []
    for _ in range(count):
        kind = rng.choices([k for k, _ in MIX], [w for _, w in MIX])[0]
        mix.append(rng.choice(lists[kind]))
    lists["mix"] = mix
    return lists


# ---------------------------------------------------------------------------------------------
# Server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def uvicorn_command() -> list[str]:
    exe = Path(sys.executable).parent / "uvicorn"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "uvicorn"]


@dataclass
class Server:
    url: str
    base: str
    log: Path
    launcher: str = "serve"
    proc: subprocess.Popen[bytes] | None = None

    def start(self, work: Path, timeout: float = 180.0) -> None:
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "XINYONG_DATABASE_URL": self.url,
            "XINYONG_RATE_LIMIT_PER_MINUTE": "0",
            "XINYONG_TODAY": TODAY,
            "XINYONG_DATA_DIR": str(work / "data"),
        }
        if self.launcher == "serve":  # the production command line
            command = [sys.executable, "-m", "xinyong.cli", "serve", "--host", "127.0.0.1"]
            command += ["--port", str(port), "--workers", str(SERVER_WORKERS)]
        else:
            command = [
                *uvicorn_command(),
                "--factory",
                "xinyong.api.app:create_app",
                "--workers",
                str(SERVER_WORKERS),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--no-access-log",
            ]
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"the server exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=5) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.25)
        raise SystemExit(f"the server did not answer /healthz within {timeout:.0f} s:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)  # the server we started and its workers, by id
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def round_trips(base: str, path: str = "/healthz", count: int = 7) -> tuple[float, float]:
    """Median ms of ``path`` on one kept-alive connection, and on a fresh connection each time."""
    import http.client
    import statistics

    host, port = urllib.parse.urlsplit(base).hostname, urllib.parse.urlsplit(base).port
    kept, fresh = [], []
    conn = http.client.HTTPConnection(host or "127.0.0.1", port, timeout=30)
    try:
        for _ in range(count):
            started = time.perf_counter()
            conn.request("GET", path)
            conn.getresponse().read()
            kept.append((time.perf_counter() - started) * 1000)
    finally:
        conn.close()
    for _ in range(count):
        started = time.perf_counter()
        with urllib.request.urlopen(base + path, timeout=30) as r:
            r.read()
        fresh.append((time.perf_counter() - started) * 1000)
    return statistics.median(kept[1:]), statistics.median(fresh)


def get_json(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=60) as r:
            body = r.read()
            return r.status, json.loads(body) if body else None
    except urllib.error.HTTPError as e:
        return e.code, e.read()[:300]


def verify(base: str, lists: dict[str, list[str]], per_list: int = 5) -> None:
    """A few requests of each list: 200 and a non-empty JSON answer that found what it looked for."""
    for scenario in ("base", "code", "name", "profile"):
        for path in lists[scenario][:per_list]:
            status, body = get_json(base + path)
            if status != 200 or not body:
                raise SystemExit(f"{path}: status {status}, body {body!r}")
            if scenario == "code":
                code = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)["q"][0]
                if not any(h.get("identifier") == code for h in body.get("hits", [])):
                    raise SystemExit(f"{path}: the subject holding {code} was not found: {body}")
            elif scenario == "name" and not body.get("hits"):
                raise SystemExit(f"{path}: no hit for a fragment of a real name: {body}")
            elif scenario == "profile" and body.get("subject_id") != path.rsplit("/", 1)[1]:
                raise SystemExit(f"{path}: unexpected profile {str(body)[:200]}")


def _tree_cpu_seconds(root: int) -> float:
    """CPU seconds (user + system) of a process and all its descendants, from /proc."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        times[int(entry)] = (int(fields[11]) + int(fields[12])) / tick
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        for child, parent in parents.items():
            if parent == pid and child not in tree:
                tree.add(child)
                frontier.append(child)
    return sum(times.get(pid, 0.0) for pid in tree)


def wait_idle(server: Server, pg: Any | None, cap: float = 180.0) -> float:
    """Wait until the server has finished the requests a wrk run left in flight (wrk stops
    counting at its deadline, the server does not stop working): its processes use under 5 % of a
    core for a fifth of a second and, on PostgreSQL, no other session of the database is busy. Seconds
    waited."""
    if server.proc is None:
        return 0.0
    started = time.perf_counter()
    before = _tree_cpu_seconds(server.proc.pid)
    while time.perf_counter() - started < cap:
        time.sleep(IDLE_POLL_S)
        now = _tree_cpu_seconds(server.proc.pid)
        busy = now - before
        before = now
        if pg is not None:
            busy_sessions = pg.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND pid <> pg_backend_pid() AND state <> 'idle'"
                )
            ).scalar_one()
            if busy_sessions:
                continue
        if busy < 0.05 * IDLE_POLL_S:
            break
    return time.perf_counter() - started


# ---------------------------------------------------------------------------------------------
# wrk


@dataclass
class Run:
    scenario: str
    connections: int
    rps: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    requests: int = 0
    non_2xx: int = 0
    socket_errors: int = 0
    raw: str = field(default="", repr=False)


BENCH_LINE = re.compile(r"^BENCH (.*)$", re.M)


def run_wrk(base: str, script: Path, paths: Path, scenario: str, connections: int, duration: int) -> Run:
    command = [
        "wrk",
        f"-t{THREADS}",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(script),
        base + "/",
        "--",
        str(paths),
    ]
    out = subprocess.run(command, capture_output=True, text=True, timeout=duration + 120, check=False)
    if out.returncode != 0:
        raise SystemExit(f"wrk failed ({out.returncode}): {out.stderr.strip()}\n{out.stdout}")
    match = BENCH_LINE.search(out.stdout)
    if match is None:
        raise SystemExit(f"no BENCH line in wrk's output:\n{out.stdout}\n{out.stderr}")
    values = dict(pair.split("=", 1) for pair in match.group(1).split())
    run = Run(scenario, connections, raw=out.stdout)
    run.requests = int(values["requests"])
    run.rps = run.requests / (int(values["duration_us"]) / 1e6)
    run.p50_ms, run.p95_ms = float(values["p50_ms"]), float(values["p95_ms"])
    run.p99_ms, run.max_ms = float(values["p99_ms"]), float(values["max_ms"])
    run.non_2xx = int(values["status_errors"])
    printed = re.search(r"Non-2xx or 3xx responses: (\d+)", out.stdout)
    if printed:
        run.non_2xx = max(run.non_2xx, int(printed.group(1)))
    run.socket_errors = sum(int(values[k]) for k in ("connect", "read", "write", "timeout"))
    return run


# ---------------------------------------------------------------------------------------------
# One database


@dataclass
class DbResult:
    label: str
    launcher: str = "serve"
    runs: list[Run] = field(default_factory=list)

    def get(self, scenario: str, connections: int) -> Run:
        return next(r for r in self.runs if r.scenario == scenario and r.connections == connections)

    def summary(self) -> dict[str, float]:
        base50, code50 = self.get("base", 50), self.get("code", 50)
        return {
            "code_p99_ms": self.get("code", 10).p99_ms,
            "name_p99_ms": self.get("name", 10).p99_ms,
            "profile_p99_ms": self.get("profile", 10).p99_ms,
            "code_rps_50": code50.rps,
            "base_rps_50": base50.rps,
            "ratio_50": code50.rps / base50.rps if base50.rps else 0.0,
        }


WARMUP_S: int | None = None  # --warmup: seconds of the mixed warm-up run (default: half a run)


def drive(
    label: str, url: str, work: Path, lists: dict[str, list[str]], duration: int, launcher: str
) -> DbResult:
    script = work / "walk.lua"
    script.write_text(LUA, encoding="utf-8")
    files = {}
    for scenario, paths in lists.items():
        files[scenario] = work / f"{scenario}.txt"
        files[scenario].write_text("\n".join(paths) + "\n", encoding="utf-8")
    server = Server(url, "", work / f"server-{label}-{launcher}.log", launcher)
    result = DbResult(label, launcher)
    pg_engine = make_engine(url) if url.startswith("postgresql") else None
    pg = pg_engine.connect().execution_options(isolation_level="AUTOCOMMIT") if pg_engine else None
    try:
        started = time.perf_counter()
        server.start(work)
        say(
            f"{label}: server up in {time.perf_counter() - started:.1f} s"
            f" ({server.base}, {SERVER_WORKERS} workers, launcher {launcher})"
        )
        verify(server.base, lists)
        kept, fresh = round_trips(server.base)
        say(f"{label}: /healthz round trip {kept:.1f} ms kept alive, {fresh:.1f} ms on a fresh connection")
        if kept > 30 and kept > 4 * fresh:
            say(
                f"{label}: WARNING: kept-alive requests wait ~40 ms for a delayed ACK: the server's sockets"
                " lack TCP_NODELAY (uvicorn --workers binds its socket with proto 0, so asyncio does not set"
                " it); every figure below includes that stall (`xinyong serve` avoids it)"
            )
        warmup = WARMUP_S if WARMUP_S is not None else max(1, duration // 2)
        run_wrk(server.base, script, files["mix"], "warmup", 10, warmup)  # caches
        wait_idle(server, pg)
        for connections in CONNECTIONS:
            for scenario in SCENARIOS:
                run = run_wrk(server.base, script, files[scenario], scenario, connections, duration)
                result.runs.append(run)
                drained = wait_idle(server, pg)  # requests still in flight must not spill into the next run
                errors = f"  non-2xx {run.non_2xx}" if run.non_2xx else ""
                errors += f"  socket errors {run.socket_errors}" if run.socket_errors else ""
                errors += f"  (drained {drained:.1f} s)" if drained > 1.5 else ""
                say(
                    f"  {label:10} {scenario:8} c={connections:<3} {run.rps:9.1f} req/s"
                    f"  p50 {run.p50_ms:8.2f}  p95 {run.p95_ms:8.2f}  p99 {run.p99_ms:8.2f} ms{errors}"
                )
    except BaseException:
        say(f"{label}: server log (tail):\n{server.tail()}")
        raise
    finally:
        server.stop()
        if pg is not None:
            pg.close()
        if pg_engine is not None:
            pg_engine.dispose()
    return result


# ---------------------------------------------------------------------------------------------
# Signals


@contextmanager
def terminated_on_signal() -> Iterator[None]:
    """SIGTERM/SIGHUP end the run through the finally blocks (servers stopped, files removed)."""

    def handler(signum: int, _frame: Any) -> None:
        raise SystemExit(f"stopped by signal {signum}")

    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


# ---------------------------------------------------------------------------------------------


def open_store(url: str) -> str:
    """Migrate and record the catalog (as the platform does at start); the catalog version."""
    platform = Platform.open(Settings(database_url=url))
    try:
        return platform.catalog.version
    finally:
        platform.close()


def fmt(value: float | None, digits: int = 2) -> str:
    return NA if value is None else f"{value:.{digits}f}"


def report(results: dict[str, list[DbResult]]) -> None:
    say("")
    say(
        f"{'database':10} {'launcher':8} {'scenario':8} {'conns':>5} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8}"
        f" {'p99 ms':>8} {'max ms':>8} {'requests':>9} {'non-2xx':>8} {'sock err':>8}"
    )
    for label, found in results.items():
        for result in found:
            for r in result.runs:
                say(
                    f"{label:10} {result.launcher:8} {r.scenario:8} {r.connections:>5} {r.rps:>9.1f}"
                    f" {r.p50_ms:>8.2f}"
                    f" {r.p95_ms:>8.2f} {r.p99_ms:>8.2f} {r.max_ms:>8.1f} {r.requests:>9}"
                    f" {r.non_2xx:>8} {r.socket_errors:>8}"
                )
    say("")
    say(
        f"targets: code lookup p99 < {TARGET_CODE_P99_MS:g} ms and name search"
        f" p99 < {TARGET_NAME_P99_MS:g} ms at 10 connections;"
        f" code-lookup req/s at 50 connections >= {TARGET_RATIO_50:.0%} of /healthz's"
    )
    for label, found in results.items():
        if not found:
            say(f"  {label}: skipped")
        for result in found:
            report_targets(f"{label} ({result.launcher})", result)


def report_targets(label: str, result: DbResult) -> None:
    s = result.summary()
    checks = (
        ("code p99", s["code_p99_ms"] < TARGET_CODE_P99_MS, f"{s['code_p99_ms']:.2f} ms"),
        ("name p99", s["name_p99_ms"] < TARGET_NAME_P99_MS, f"{s['name_p99_ms']:.2f} ms"),
        ("code/base req/s at 50", s["ratio_50"] >= TARGET_RATIO_50, f"{s['ratio_50']:.2f}"),
    )
    say(
        f"  {label}: " + "; ".join(f"{name} {value} {'PASS' if ok else 'FAIL'}" for name, ok, value in checks)
    )
    bad = sum(r.non_2xx + r.socket_errors for r in result.runs)
    if bad:
        say(f"  {label}: {bad} non-2xx answers or socket errors during the runs (see the table)")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK_SUBJECTS:,} subjects, {QUICK_RECORDS:,} records"
    )
    parser.add_argument("--subjects", type=int, help="number of subjects (overrides --quick)")
    parser.add_argument("--records", type=int, help="number of records (overrides --quick)")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument(
        "--only-postgres",
        action="store_true",
        help="with --keep-store: drive only the kept PostgreSQL store (e.g. after the SQLite file's"
        " pages pushed the database's out of the OS cache)",
    )
    parser.add_argument(
        "--warmup",
        type=int,
        help="seconds of the mixed warm-up run before the measured runs (default: half a run)",
    )
    parser.add_argument(
        "--duration",
        type=int,
        help=f"seconds of each wrk run ({QUICK_DURATION:g} quick, {FULL_DURATION:g} full)",
    )
    parser.add_argument("--pg-url", default=os.environ.get("XINYONG_BENCH_PG_URL", PG_DEFAULT))
    parser.add_argument("--workers", type=int, default=2, help="processes generating records (0: in-process)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--launcher",
        choices=("serve", "uvicorn", "both"),
        default="serve",
        help="serve: the production command, `xinyong serve --workers 2` (TCP_NODELAY on every"
        " connection); uvicorn: plain `uvicorn --workers 2` on the same app (no TCP_NODELAY);"
        " both: each database served both ways (the RESULT line is the production command's)",
    )
    parser.add_argument(
        "--analyze-sqlite",
        action="store_true",
        help="run ANALYZE on the SQLite store (the platform never does: off by default)",
    )
    parser.add_argument(
        "--keep-store",
        type=Path,
        metavar="DIR",
        help="keep the built store in DIR (SQLite file, PostgreSQL database named in DIR/store.json) and"
        " reuse it when DIR already holds one of the same size and seed (migrated to the current head"
        " first): for iterating on the check without the build",
    )
    args = parser.parse_args()
    n = args.subjects or (QUICK_SUBJECTS if args.quick else FULL_SUBJECTS)
    m = args.records if args.records is not None else (QUICK_RECORDS if args.quick else FULL_RECORDS)
    duration = args.duration or (QUICK_DURATION if args.quick else FULL_DURATION)
    global WARMUP_S
    WARMUP_S = args.warmup
    if shutil.which("wrk") is None:
        say("wrk is not installed: install it with `apt-get install -y wrk` (Debian package), then run again")
        raise SystemExit(2)

    started = time.perf_counter()
    with terminated_on_signal():
        work = Path(tempfile.mkdtemp(prefix="xinyong-bench-check-"))
        try:
            results = run(args, n, m, duration, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    report(results)
    say(f"total {time.perf_counter() - started:.1f} s")
    fields = []
    for prefix, label in (("sqlite", "sqlite"), ("pg", "postgresql")):
        found = results.get(label) or []
        s = found[0].summary() if found else None
        for key, digits in (
            ("code_p99_ms", 2),
            ("name_p99_ms", 2),
            ("profile_p99_ms", 2),
            ("code_rps_50", 1),
            ("base_rps_50", 1),
            ("ratio_50", 3),
        ):
            fields.append(f"{prefix}_{key}={fmt(s[key] if s else None, digits)}")
    say(f"RESULT subjects={n} records={m} " + " ".join(fields))


def kept_store(args: argparse.Namespace, n: int, m: int) -> dict[str, Any] | None:
    """The description of a store kept in ``--keep-store`` DIR, if it matches this run."""
    if args.keep_store is None:
        return None
    path = args.keep_store / "store.json"
    if not path.exists():
        return None
    kept = json.loads(path.read_text(encoding="utf-8"))
    wanted = {"subjects": n, "records": m, "seed": args.seed}
    if any(kept.get(k) != v for k, v in wanted.items()) or not (args.keep_store / "check.db").exists():
        say(f"--keep-store: {path} describes another store ({kept}); building a new one")
        return None
    return dict(kept)


def run(args: argparse.Namespace, n: int, m: int, duration: int, work: Path) -> dict[str, list[DbResult]]:
    gc.disable()  # millions of long-lived objects: the cyclic collector would rescan them all the time
    t0 = time.perf_counter()
    subjects = store.make_subjects(n, args.seed)
    counts = store.record_counts(n, m, args.seed)
    lists = request_lists(subjects, min(PATHS_PER_LIST, max(1000, n // 10)), args.seed)
    say(f"generated {n:,} subjects and the request lists in {time.perf_counter() - t0:.1f} s")

    kept = kept_store(args, n, m)
    home = work if args.keep_store is None else args.keep_store
    home.mkdir(parents=True, exist_ok=True)
    if kept is not None:
        return reuse(args, kept, home, work, lists, duration)
    sqlite_url = f"sqlite:///{home / 'check.db'}"
    (home / "store.json").unlink(missing_ok=True)  # described again once the build is complete
    (home / "check.db").unlink(missing_ok=True)
    urls: dict[str, str] = {"sqlite": sqlite_url}
    pg_name: str | None = None
    if args.no_postgres:
        say("postgresql: skipped (--no-postgres)")
    elif (why := pg_reachable(args.pg_url)) is not None:
        say(f"postgresql: skipped ({why})")
    else:
        pg_name = f"xinyong_bench_{uuid.uuid4().hex[:12]}"
        pg_database(args.pg_url, pg_name, create=True)
        urls["postgresql"] = pg_url_for(args.pg_url, pg_name)
    results: dict[str, list[DbResult]] = {"sqlite": [], "postgresql": []}
    launchers = ("serve", "uvicorn") if args.launcher == "both" else (args.launcher,)
    try:
        t0 = time.perf_counter()
        versions = {label: open_store(url) for label, url in urls.items()}
        say(f"migrated and recorded the catalog in {time.perf_counter() - t0:.1f} s")
        from xinyong.catalog import load_catalog

        catalog = load_catalog()
        assert set(versions.values()) == {catalog.version}
        sinks: list[store.Sink] = [store.SqliteSink(str(home / "check.db"), args.analyze_sqlite)]
        engines = []
        if "postgresql" in urls:
            engine = make_engine(urls["postgresql"])
            engines.append(engine)
            sinks.append(store.PostgresSink(engine))
        say(
            f"building the store: {n:,} subjects, {m:,} records, direct bulk load"
            " (measures the check, not ingestion)"
        )
        try:
            done, wall = store.load(sinks, subjects, counts, catalog, args.seed, args.workers, say)
        finally:
            for engine in engines:
                engine.dispose()
        say(
            f"build: {done:,} records generated once and loaded into {len(sinks)} database(s)"
            f" in {wall:.1f} s wall"
        )
        for sink in sinks:
            t = sink.times
            say(
                f"  {sink.label}: {t.total_s:.1f} s of its own (prepare {t.prepare_s:.1f},"
                f" subjects {t.subjects_s:.1f}, records {t.records_s:.1f},"
                f" indexes and search index {t.indexes_s:.1f}, analyze {t.analyze_s:.1f})"
            )
        del subjects, counts
        gc.enable()
        gc.collect()
        if args.keep_store is not None:
            description = {"subjects": n, "records": m, "seed": args.seed, "pg_database": pg_name}
            (home / "store.json").write_text(json.dumps(description), encoding="utf-8")
            say(f"kept the store in {home} (reuse it with the same --keep-store, size and seed)")
        for label, url in urls.items():
            for launcher in launchers:
                results[label].append(drive(label, url, work, lists, duration, launcher))
    finally:
        if pg_name is not None and args.keep_store is None:
            pg_database(args.pg_url, pg_name, create=False)
    return results


def reuse(
    args: argparse.Namespace,
    kept: dict[str, Any],
    home: Path,
    work: Path,
    lists: dict[str, list[str]],
    duration: int,
) -> dict[str, list[DbResult]]:
    """Drive a store kept by an earlier run (migrated to the current head first)."""
    urls = {"sqlite": f"sqlite:///{home / 'check.db'}"}
    pg_name = kept.get("pg_database")
    if args.no_postgres or not pg_name:
        say("postgresql: skipped (--no-postgres, or the kept store has none)")
    elif (why := pg_reachable(args.pg_url)) is not None:
        say(f"postgresql: skipped ({why})")
    else:
        urls["postgresql"] = pg_url_for(args.pg_url, pg_name)
    if args.only_postgres:
        urls.pop("sqlite")
    t0 = time.perf_counter()
    for url in urls.values():
        open_store(url)
    say(f"reusing the store kept in {home}; migrated in {time.perf_counter() - t0:.1f} s")
    gc.enable()
    gc.collect()
    launchers = ("serve", "uvicorn") if args.launcher == "both" else (args.launcher,)
    results: dict[str, list[DbResult]] = {"sqlite": [], "postgresql": []}
    for label, url in urls.items():
        for launcher in launchers:
            results[label].append(drive(label, url, work, lists, duration, launcher))
    return results


if __name__ == "__main__":
    main()
