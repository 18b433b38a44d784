"""Benchmark of the remedies: filing objections and repair applications, the daily job, and what the
remedy marks cost the one-click check.

Loads a synthetic city into a fresh SQLite store, files objections and (eligible) repair applications
through the services, runs the daily job over the open cases, then opens the public profile of every
subject with a record twice: with the remedy marks (``objections.marks_for``, as the check runs) and,
as the baseline in the same run, with the marks lookup replaced by an empty one. The ratio is profile
time with marks over profile time without (1.0 = free).

    .venv/bin/python bench/remedies.py [--quick]

The last line is
``RESULT cases=… file_per_s=… job_ms=… profiles=… profile_ms=… baseline_profile_ms=… ratio=…``.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

from xinyong.domain.actor import Actor
from xinyong.domain.enums import Role
from xinyong.errors import Conflict, NotFound
from xinyong.services import check as check_module
from xinyong.services import objections, remedy_jobs, repair
from xinyong.services.check import Check
from xinyong.services.demo import load_city
from xinyong.services.notify import MemorySender
from xinyong.services.platform import Platform
from xinyong.services.remedy_store import Attachment
from xinyong.settings import Settings
from xinyong.store.tables import records
from xinyong.synth import generate_city

FULL = (3000, 30000, 2000)  # subjects, records, filings attempted
QUICK = (400, 4000, 300)
TODAY = date(2026, 11, 27)


def file_cases(p: Platform, rows: list[Any], attempts: int, rng: random.Random) -> tuple[int, float]:
    filed, start = 0, time.perf_counter()
    for row in rng.sample(rows, min(attempts, len(rows))):
        who = Actor(role=Role.SUBJECT, subject_id=row.subject_id)
        try:
            if rng.random() < 0.5:
                objections.file(p, who, "record", row.id, "wrong_or_missing", "bench", today=TODAY)
            else:
                _, result = repair.eligibility(p, who, "record", row.id, today=TODAY)
                if not result.eligible:
                    continue
                files = [
                    Attachment("proof", "p.pdf", row.id.encode()),
                    Attachment("commitment", "c.pdf", b"c"),
                ]
                repair.apply(p, who, "record", row.id, files, today=TODAY)
        except Conflict:
            continue
        filed += 1
    return filed, time.perf_counter() - start


def profiles(p: Platform, subject_ids: list[str], rounds: int = 3) -> tuple[float, float]:
    """Seconds for the public profiles with and without the remedy marks, interleaved per subject so
    that both see the same machine load (the baseline replaces the marks lookup with an empty one)."""
    check = Check(p.store, p.catalog, "zh", TODAY)
    real = check_module.objections.marks_for
    times = [0.0, 0.0]
    for n in range(rounds):
        for i, sid in enumerate(subject_ids):
            for with_marks in (True, False) if (i + n) % 2 else (False, True):
                check_module.objections.marks_for = real if with_marks else _no_marks  # type: ignore[assignment]
                start = time.perf_counter()
                with contextlib.suppress(NotFound):  # a person with nothing public is not shown publicly
                    check.profile(Actor.public(), sid)
                times[0 if with_marks else 1] += time.perf_counter() - start
    check_module.objections.marks_for = real  # type: ignore[assignment]
    return times[0], times[1]


def _no_marks(conn: Any, ids: Any) -> dict[str, Any]:
    return {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="400 subjects / 4,000 records / 300 filings")
    args = parser.parse_args()
    n_subjects, n_records, attempts = QUICK if args.quick else FULL
    with tempfile.TemporaryDirectory(prefix="xinyong-bench-remedies-") as tmp:
        root = Path(tmp)
        p = Platform.open(
            Settings(database_url=f"sqlite:///{root / 'b.db'}", data_dir=root, today=TODAY.isoformat())
        )
        p.notifier = MemorySender()  # type: ignore[attr-defined]
        generate_city(root / "city", subjects=n_subjects, records=n_records, seed=7)
        load_city(p, root / "city")
        with p.store.read() as conn:
            rows = conn.execute(
                select(records.c.id, records.c.subject_id).where(
                    records.c.item_code.in_(("administrative_penalty", "market_regulation_penalty")),
                    records.c.status == "current",
                )
            ).all()
        filed, seconds = file_cases(p, list(rows), attempts, random.Random(1))
        start = time.perf_counter()
        summary = remedy_jobs.run(p, TODAY)
        job_ms = (time.perf_counter() - start) * 1000
        subject_ids = sorted({r.subject_id for r in rows})
        with_marks, without = profiles(p, subject_ids)
        p.close()
    n = 3 * len(subject_ids)
    per_s, with_ms, base_ms = filed / seconds, with_marks / n * 1000, without / n * 1000
    print(f"filed {filed} cases in {seconds:.2f} s ({per_s:.1f}/s)")
    print(f"job over {summary['open']} open cases: {job_ms:.0f} ms")
    print(f"{len(subject_ids)} profiles x3: {with_ms:.2f} ms with marks, {base_ms:.2f} ms without")
    print(
        f"RESULT cases={filed} file_per_s={per_s:.1f} job_ms={job_ms:.0f} profiles={len(subject_ids)} "
        f"profile_ms={with_ms:.2f} baseline_profile_ms={base_ms:.2f} ratio={with_marks / without:.2f}"
    )


if __name__ == "__main__":
    main()
