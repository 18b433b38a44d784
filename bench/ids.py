"""Benchmark: identifier validation with xinyong.ids against python-stdnum, in the same run.

    .venv/bin/python bench/ids.py            # 1,000,000 USCCs and 1,000,000 resident IDs
    .venv/bin/python bench/ids.py --quick    # 100,000 of each
    .venv/bin/python bench/ids.py -n 250000  # any count

The codes are generated with a seeded RNG: 90 % valid, 10 % with one character substituted. Resident
IDs use real county codes taken from stdnum's own table so that stdnum runs its full path (birth-place
look-up included) rather than failing early. The last line of output is the machine-readable
``RESULT ...`` line.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import stdnum
from stdnum.cn import ric as stdnum_ric
from stdnum.cn import uscc as stdnum_uscc

from xinyong import ids
from xinyong.errors import InvalidIdentifier

SEED = 20260301


def real_counties() -> list[str]:
    """Six-digit county codes with no validity period, from stdnum's cn/loc.dat."""
    path = os.path.join(os.path.dirname(stdnum.__file__), "cn", "loc.dat")
    out: list[str] = []
    province = ""
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            key, _, rest = line.strip().partition(" ")
            if not line.startswith(" "):
                province = key
            elif len(key) == 4 and 'county="[' not in rest and not key.endswith("00"):
                out.append(province + key)
    return out


def gen_usccs(rng: random.Random, n: int) -> list[str]:
    charset = ids.USCC_CHARSET
    digits = "0123456789"
    out = []
    for _ in range(n):
        body = "".join(rng.choices(charset, k=8))
        first17 = (
            rng.choice("159")
            + rng.choice(digits)
            + "".join(rng.choices(digits, k=6))
            + body
            + ids.org_code_check_char(body)
        )
        code = first17 + ids.uscc_check_char(first17)
        if rng.random() < 0.1:
            i = rng.randrange(18)
            code = code[:i] + rng.choice(charset) + code[i + 1 :]
        out.append(code)
    return out


def gen_rics(rng: random.Random, n: int) -> list[str]:
    counties = real_counties()
    start = date(1930, 1, 1)
    span = (date(2020, 12, 31) - start).days
    out = []
    for _ in range(n):
        birth = start + timedelta(days=rng.randrange(span))
        first17 = rng.choice(counties) + birth.strftime("%Y%m%d") + f"{rng.randrange(1000):03d}"
        code = first17 + ids.resident_id_check_char(first17)
        if rng.random() < 0.1:
            i = rng.randrange(18)
            code = code[:i] + rng.choice("0123456789") + code[i + 1 :]
        out.append(code)
    return out


def stdnum_ric_is_valid(code: str) -> bool:
    try:
        return stdnum_ric.is_valid(code)
    except KeyError:  # stdnum raises a bare KeyError for some area codes
        return False


def rate(fn: Callable[[str], bool], codes: Sequence[str]) -> tuple[float, int]:
    """(codes per second, number found valid): the best of up to three passes, stopping once the
    passes have taken two seconds (the machine is shared; the best pass is the least disturbed)."""
    best = float("inf")
    valid = 0
    spent = 0.0
    for _ in range(3):
        start = time.perf_counter()
        valid = sum(map(fn, codes))
        elapsed = time.perf_counter() - start
        best = min(best, elapsed)
        spent += elapsed
        if spent > 2.0:
            break
    return len(codes) / best, valid


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="100,000 codes of each kind")
    parser.add_argument("-n", type=int, default=None, help="codes of each kind")
    args = parser.parse_args(argv)
    n = args.n or (100_000 if args.quick else 1_000_000)

    rng = random.Random(SEED)
    t0 = time.perf_counter()
    usccs = gen_usccs(rng, n)
    rics = gen_rics(rng, n)
    print(f"generated {n:,} USCCs and {n:,} resident IDs in {time.perf_counter() - t0:.1f} s (seed {SEED})")

    uscc_rate, uscc_valid = rate(ids.is_valid_uscc, usccs)
    std_uscc_rate, std_uscc_valid = rate(stdnum_uscc.is_valid, usccs)
    print(f"USCC  xinyong.ids.is_valid_uscc         {uscc_rate:>12,.0f} codes/s  ({uscc_valid:,} valid)")
    print(
        f"USCC  stdnum.cn.uscc.is_valid           {std_uscc_rate:>12,.0f} codes/s  ({std_uscc_valid:,} valid)"
    )
    print(f"USCC  speed-up                          {uscc_rate / std_uscc_rate:>12.1f}x")

    ric_rate, ric_valid = rate(ids.is_valid_resident_id, rics)
    std_ric_rate, std_ric_valid = rate(stdnum_ric_is_valid, rics)
    print(f"RIC   xinyong.ids.is_valid_resident_id {ric_rate:>12,.0f} codes/s  ({ric_valid:,} valid)")
    print(
        f"RIC   stdnum.cn.ric.is_valid            {std_ric_rate:>12,.0f} codes/s  ({std_ric_valid:,} valid;"
        " stdnum also checks the county against the birth year)"
    )
    print(f"RIC   speed-up                          {ric_rate / std_ric_rate:>12.1f}x")

    sample = usccs[: min(n, 100_000)]
    parse_rate = len(sample) / _time_parse(sample)
    print(f"USCC  xinyong.ids.parse_uscc (raising)   {parse_rate:>12,.0f} codes/s")

    print(
        f"RESULT uscc_per_s={uscc_rate:.0f} stdnum_uscc_per_s={std_uscc_rate:.0f}"
        f" uscc_speedup={uscc_rate / std_uscc_rate:.2f} ric_per_s={ric_rate:.0f}"
        f" stdnum_ric_per_s={std_ric_rate:.0f} ric_speedup={ric_rate / std_ric_rate:.2f}"
    )
    return 0


def _time_parse(codes: Sequence[str]) -> float:
    start = time.perf_counter()
    for c in codes:
        with contextlib.suppress(InvalidIdentifier):
            ids.parse_uscc(c)
    return time.perf_counter() - start


if __name__ == "__main__":
    raise SystemExit(main())
