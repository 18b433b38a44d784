"""Benchmark: what access control costs a read, on SQLite, against the public read in the same run.

    .venv/bin/python bench/access.py            # a city of 2,000 subjects; 2,000 reads per mode
    .venv/bin/python bench/access.py --quick    # 300 subjects; 300 reads per mode (< 1 minute)

A synthetic city (``xinyong.synth``) is loaded into a fresh SQLite store. Each natural person with
records authorizes one bank. Then, for the same persons, in alternating rounds (best round counts):

* **public** (the baseline): ``Check.profile`` by the public: no account, no authorization, no log;
* **authorized**: ``Check.profile`` by the bank with its declared purpose: the authorization lookup
  (``authorizations.require_authorization``), the read, and the query log entry with its audit event
  (``querylog.record``: a write transaction);
* **key**: ``accounts.authenticate_key`` (one indexed lookup and a SHA-256), what ``deps.actor`` adds to
  a request carrying an API key;
* **login**: ``accounts.authenticate_password`` (argon2id verification), once per portal login.

``authorized_ratio`` = authorized time per read / public time per read. The last line is
``RESULT ...``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from xinyong.domain.actor import Actor  # noqa: E402
from xinyong.domain.enums import Purpose, Role  # noqa: E402
from xinyong.errors import NotFound  # noqa: E402
from xinyong.services import accounts, authorizations  # noqa: E402
from xinyong.services.check import Check  # noqa: E402
from xinyong.services.demo import load_city  # noqa: E402
from xinyong.services.platform import Platform  # noqa: E402
from xinyong.settings import Settings  # noqa: E402
from xinyong.store.tables import records, subjects  # noqa: E402
from xinyong.synth import generate_city  # noqa: E402

TODAY = "2026-11-28"
BANK = "bench_bank"
ROUNDS = 3
OPERATOR = Actor.operator("bench")


def say(message: str) -> None:
    print(message, flush=True)


def persons_with_records(p: Platform, limit: int) -> list[str]:
    with p.store.read() as conn:
        rows = conn.execute(
            select(subjects.c.id)
            .where(subjects.c.kind == "individual", subjects.c.id.in_(select(records.c.subject_id)))
            .limit(limit)
        ).all()
    return [r.id for r in rows]


def publicly_shown(check: Check, subject_id: str) -> bool:
    """Persons with something public: the same file is read by the public and by the bank."""
    try:
        check.profile(Actor.public(), subject_id)
    except NotFound:
        return False
    return True


def authorize_all(p: Platform, persons: list[str]) -> None:
    for subject_id in persons:
        authorizations.grant(
            p.store,
            p.catalog,
            OPERATOR,
            subject_id=subject_id,
            grantee=BANK,
            purpose=Purpose.BANK_LOAN.value,
            scope=["*"],
            expires_on=p.today() + timedelta(days=365),
            proof=f"bench consent {subject_id}",
            today=p.today(),
        )


def per_op(fn: Callable[[str], object], items: list[str]) -> float:
    start = time.perf_counter()
    for item in items:
        fn(item)
    return (time.perf_counter() - start) / len(items)


def best(fn: Callable[[str], object], items: list[str]) -> float:
    return min(per_op(fn, items) for _ in range(ROUNDS))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="300 subjects, 300 reads per mode")
    parser.add_argument("--subjects", type=int, default=0)
    args = parser.parse_args(argv)
    n_subjects = args.subjects or (300 if args.quick else 2_000)
    with tempfile.TemporaryDirectory(prefix="xinyong-bench-access-") as tmp:
        work = Path(tmp)
        settings = Settings(data_dir=work, today=TODAY, rate_limit_per_minute=0)
        p = Platform.open(settings)
        try:
            t0 = time.perf_counter()
            generate_city(work / "city", subjects=n_subjects, records=n_subjects * 10, seed=11)
            load_city(p, work / "city")
            check = Check(p.store, p.catalog, "zh", p.today())
            persons = [s for s in persons_with_records(p, n_subjects) if publicly_shown(check, s)]
            authorize_all(p, persons)
            say(
                f"city: {n_subjects} subjects, {len(persons)} persons authorize {BANK}"
                f" ({time.perf_counter() - t0:.1f} s)"
            )
            bank = Actor(role=Role.RELYING_PARTY, user="officer", unit=BANK).with_purpose(Purpose.BANK_LOAN)
            public_s = best(lambda s: check.profile(Actor.public(), s), persons)
            authorized_s = best(lambda s: check.profile(bank, s), persons)
            user = accounts.create_user(
                p.store,
                OPERATOR,
                "bench-officer",
                "bench password 1",
                Role.RELYING_PARTY,
                BANK,
                purposes=("bank_loan",),
            )
            key = accounts.issue_key(p.store, OPERATOR, user.id)
            key_s = best(lambda _: accounts.authenticate_key(p.store, key), persons[:200])
            login_s = statistics.median(
                per_op(
                    lambda _: accounts.authenticate_password(p.store, "bench-officer", "bench password 1"),
                    ["x"],
                )
                for _ in range(5)
            )
        finally:
            p.close()
    ratio = authorized_s / public_s
    say(f"public profile read       {public_s * 1e3:8.2f} ms   (baseline)")
    say(f"authorized read + log     {authorized_s * 1e3:8.2f} ms   ({ratio:.2f}x the public read)")
    say(f"API key authentication    {key_s * 1e3:8.2f} ms")
    say(f"password login (argon2id) {login_s * 1e3:8.2f} ms")
    say(
        f"RESULT public_read_ms={public_s * 1e3:.2f} authorized_read_ms={authorized_s * 1e3:.2f} "
        f"authorized_ratio={ratio:.2f} key_auth_ms={key_s * 1e3:.3f} login_ms={login_s * 1e3:.1f} "
        f"reads={len(persons)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
