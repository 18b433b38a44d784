"""Benchmark of the synthetic city generator.

Runs ``generate_city`` and, as the baseline in the same run, writes the same number of rows of
constant content with the csv module to the same kind of files (same names, encodings and row
counts; XLSX files are written as UTF-8 CSV). The ratio is generator rows/s over baseline rows/s.

    .venv/bin/python bench/synth.py [--quick]

The last line is ``RESULT subjects=… records=… seconds=… rows_per_s=… baseline_rows_per_s=… ratio=…``.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from xinyong.synth import generate_city

FULL = (100_000, 1_000_000)
QUICK = (10_000, 100_000)


Sample = tuple[list[str], list[str]]  # header, one row


def first_rows(folder: Path, files: list[dict[str, Any]]) -> dict[str, Sample]:
    """One real row per record type (and for subjects.csv), used as the constant content."""
    out: dict[str, Sample] = {}
    for f in sorted(files, key=lambda f: -f["rows"]):
        if f["format"] == "csv" and f["rows"] and f["type"] not in out:
            with (folder / f["name"]).open(encoding=f["encoding"], newline="") as fh:
                reader = csv.reader(fh)
                out[f["type"]] = (next(reader), next(reader))
    return out


def baseline(folder: Path, files: list[dict[str, Any]], samples: dict[str, Sample]) -> float:
    start = time.perf_counter()
    for f in files:
        header, row = samples[f["type"]]
        path, encoding = folder / (f["name"] + ".csv"), f["encoding"] or "utf-8"
        with path.open("w", encoding=encoding, newline="", buffering=1 << 20) as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            writer.writerows(itertools.repeat(row, f["rows"]))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 subjects / 100,000 records")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    subjects, records = QUICK if args.quick else FULL
    with tempfile.TemporaryDirectory(prefix="xinyong-synth-") as tmp:
        city, base = Path(tmp) / "city", Path(tmp) / "baseline"
        base.mkdir()
        start = time.perf_counter()
        manifest = generate_city(city, subjects=subjects, records=records, seed=args.seed)
        seconds = time.perf_counter() - start
        files = json.loads((city / "manifest.json").read_text(encoding="utf-8"))["files"]
        size = sum((city / f["name"]).stat().st_size for f in files)
        base_seconds = baseline(base, files, first_rows(city, files))
    rows = subjects + records
    rate, base_rate = rows / seconds, rows / base_seconds
    print(f"generated {len(files)} files, {size / 1e6:.1f} MB, {len(manifest.mistakes)} deliberate mistakes")
    print(f"generator: {seconds:.2f} s, {rate:,.0f} rows/s")
    print(f"baseline (constant rows, csv module, same files): {base_seconds:.2f} s, {base_rate:,.0f} rows/s")
    print(
        f"RESULT subjects={subjects} records={records} seconds={seconds:.2f} rows_per_s={rate:.0f} "
        f"baseline_rows_per_s={base_rate:.0f} ratio={rate / base_rate:.3f}"
    )


if __name__ == "__main__":
    main()
