"""Benchmark: streaming CSV reading with xinyong.ingest.readers against a bare csv.reader, same run.

    .venv/bin/python bench/readers.py            # 1,000,000 rows (about 560 MB of UTF-8)
    .venv/bin/python bench/readers.py --quick    # 200,000 rows
    .venv/bin/python bench/readers.py -n 50000   # any count

A seeded generator writes a 30-column Chinese administrative-penalty CSV (行政处罚, the national
double-publicity layout) once in UTF-8 and once in GB18030, in a temporary directory. About a
quarter of the rows have a quoted cell (ASCII commas in 违法事实), one in twenty an escaped quote
(``""``) and one in twenty a line break inside 备注. Each file is
read with ``open_table(...).rows()`` (encoding detected, cells stripped, empty → None, row checks)
and, as the baseline, with ``csv.reader(open(path, encoding=..., newline=""))`` doing nothing per
row. Passes alternate and the best of each is kept. Times are CPU time (``time.process_time``):
both readers are single-threaded, and on a shared machine wall time also counts other processes'
turns on the CPU. ``ratio`` is the UTF-8 reader rate over the UTF-8 baseline rate. The last line
of output is the machine-readable ``RESULT ...`` line.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from xinyong.ingest.readers import open_table

SEED = 20260301
HEADER = [
    "行政相对人名称",
    "行政相对人类别",
    "统一社会信用代码",
    "工商注册号",
    "组织机构代码",
    "税务登记号",
    "事业单位证书号",
    "社会组织登记证号",
    "法定代表人",
    "法定代表人证件类型",
    "法定代表人证件号码",
    "证件类型",
    "证件号码",
    "行政处罚决定书文号",
    "违法行为类型",
    "违法事实",
    "处罚依据",
    "处罚类别",
    "处罚内容",
    "罚款金额（万元）",
    "没收违法所得、没收非法财物的金额（万元）",
    "暂扣或吊销证照名称及编号",
    "处罚决定日期",
    "处罚有效期",
    "公示截止期",
    "处罚机关",
    "处罚机关统一社会信用代码",
    "数据来源单位",
    "数据来源单位统一社会信用代码",
    "备注",
]
DISTRICTS = ["福田区", "罗湖区", "南山区", "宝安区", "龙岗区", "盐田区", "龙华区", "坪山区", "光明区"]
KINDS = ["便利店", "餐饮店", "贸易有限公司", "科技有限公司", "建筑工程有限公司", "药店", "五金店"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
FACTS = [
    "经查，当事人经营超过保质期的食品，违反了《中华人民共和国食品安全法》第三十四条第（十）项的规定。",
    "当事人未按规定公示年度报告，违反了《企业信息公示暂行条例》第八条的规定。",
    "当事人在施工过程中未采取有效防尘措施，违反了《深圳经济特区大气污染防治条例》的规定。",
    # ASCII commas: csv.writer quotes the cell, as real exports often do
    "当事人称“不知情”,但经查其于2024年3月销售过期食品12批次,货值金额3,600元。",
]
# ASCII quotes, escaped as "" inside a quoted cell: one row in twenty
QUOTED_FACT = '当事人称"不知情",但经查其于2024年3月销售过期食品12批次。'
# a line break inside 备注 (Alt+Enter in Excel): one row in twenty
REMARKS = ["", "", "", "", "", "", "", "已整改", "已整改", "已整改\n复查合格"]
BASES = [
    "《中华人民共和国食品安全法》第一百二十四条",
    "《企业信息公示暂行条例》第十七条",
    "《中华人民共和国行政处罚法》第二十八条",
]
AGENCIES = ["深圳市市场监督管理局", "深圳市生态环境局", "深圳市住房和建设局", "国家税务总局深圳市税务局"]


def write_files(directory: Path, n: int) -> tuple[Path, Path]:
    """The same n rows as UTF-8 and as GB18030."""
    rng = random.Random(SEED)
    utf8, gb = directory / "penalties-utf8.csv", directory / "penalties-gb18030.csv"
    with (
        open(utf8, "w", encoding="utf-8", newline="") as f8,
        open(gb, "w", encoding="gb18030", newline="") as fgb,
    ):
        w8, wgb = csv.writer(f8), csv.writer(fgb)
        w8.writerow(HEADER)
        wgb.writerow(HEADER)
        batch = []
        for i in range(n):
            district, kind = rng.choice(DISTRICTS), rng.choice(KINDS)
            agency = rng.choice(AGENCIES)
            fine = rng.randrange(1, 500) / 10
            day = f"2024-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
            batch.append(
                [
                    f"深圳市{district}{rng.choice(SURNAMES)}某某{kind}",
                    "法人及非法人组织",
                    f"91440300MA5{i % 10**6:06d}{rng.choice('0123456789ABCDEFGHJKLMNPQRTUWXY')}",
                    "",
                    "",
                    "",
                    "",
                    "",
                    rng.choice(SURNAMES) + "某某",
                    "身份证",
                    "",
                    "",
                    "",
                    f"深{district[:1]}罚〔2024〕{i}号",
                    "违反食品安全管理规定",
                    QUOTED_FACT if i % 20 == 7 else rng.choice(FACTS),
                    rng.choice(BASES),
                    "罚款",
                    f"罚款人民币{fine * 10000:.0f}元",
                    f"{fine:g}",
                    "0",
                    "",
                    day,
                    "2025-12-31",
                    "2027-12-31",
                    agency,
                    "11440300MB2C92108P",
                    agency,
                    "11440300MB2C92108P",
                    rng.choice(REMARKS) if i % 2 else "",
                ]
            )
            if len(batch) == 10_000:
                w8.writerows(batch)
                wgb.writerows(batch)
                batch.clear()
        w8.writerows(batch)
        wgb.writerows(batch)
    return utf8, gb


def read_with_reader(path: Path) -> int:
    n = 0
    with open_table(path) as table:
        for _number, _values, problems in table.rows():
            n += 1
            if problems:
                raise AssertionError(f"unexpected problems: {problems}")
    return n


def read_with_csv(path: Path, encoding: str) -> int:
    n = 0
    with open(path, encoding=encoding, newline="") as f:
        for _row in csv.reader(f):
            n += 1
    return n - 1  # the header


def best_rates(passes: int, runs: dict[str, Callable[[], int]], expected: int) -> dict[str, float]:
    """Rows per second for each run: the best of ``passes`` alternating passes."""
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(passes):
        for name, run in runs.items():
            start = time.process_time()
            count = run()
            elapsed = time.process_time() - start
            if count != expected:
                raise AssertionError(f"{name}: read {count} rows, expected {expected}")
            best[name] = min(best[name], elapsed)
    return {name: expected / seconds for name, seconds in best.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="200,000 rows")
    parser.add_argument("-n", type=int, default=None, help="number of data rows")
    parser.add_argument("--passes", type=int, default=None, help="passes per reader (default 3)")
    args = parser.parse_args(argv)
    n = args.n or (200_000 if args.quick else 1_000_000)
    passes = args.passes or 3

    with tempfile.TemporaryDirectory(prefix="xinyong-bench-readers-") as tmp:
        start = time.perf_counter()
        utf8, gb = write_files(Path(tmp), n)
        print(
            f"wrote {n:,} rows × {len(HEADER)} columns: UTF-8 {utf8.stat().st_size / 1e6:,.0f} MB, "
            f"GB18030 {gb.stat().st_size / 1e6:,.0f} MB in {time.perf_counter() - start:.1f} s"
        )
        rates = best_rates(
            passes,
            {
                "baseline_utf8": lambda: read_with_csv(utf8, "utf-8"),
                "reader_utf8": lambda: read_with_reader(utf8),
                "baseline_gb18030": lambda: read_with_csv(gb, "gb18030"),
                "reader_gb18030": lambda: read_with_reader(gb),
            },
            n,
        )
    ratio = rates["reader_utf8"] / rates["baseline_utf8"]
    gb_ratio = rates["reader_gb18030"] / rates["baseline_gb18030"]
    print(f"bare csv.reader, UTF-8      {rates['baseline_utf8']:>12,.0f} rows/s")
    print(f"open_table,      UTF-8      {rates['reader_utf8']:>12,.0f} rows/s   ratio {ratio:.2f}")
    print(f"bare csv.reader, GB18030    {rates['baseline_gb18030']:>12,.0f} rows/s")
    print(f"open_table,      GB18030    {rates['reader_gb18030']:>12,.0f} rows/s   ratio {gb_ratio:.2f}")
    print(
        f"RESULT rows={n} utf8_rows_per_s={rates['reader_utf8']:.0f} "
        f"gb18030_rows_per_s={rates['reader_gb18030']:.0f} "
        f"baseline_rows_per_s={rates['baseline_utf8']:.0f} ratio={ratio:.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
