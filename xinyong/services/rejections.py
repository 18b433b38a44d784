"""Rejection reports a source unit can act on: per row and field, the rule, the value and
a message in Chinese and English; as CSV that opens in Excel with Chinese intact (UTF-8
with BOM) and as JSON. Cell text that a spreadsheet would run as a formula is defused.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

HEADER = ["行号 row", "字段 field", "规则 rule", "值 value", "说明", "message"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """Text for a spreadsheet cell: a leading ' stops Excel from running =, +, - or @ as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def problem_rows(problems: Iterable[dict[str, Any]]) -> Iterable[list[str]]:
    for p in problems:
        where = p.get("where", {})
        yield [
            safe_cell(where.get("row", "")),
            safe_cell(where.get("field", where.get("column", ""))),
            safe_cell(p.get("rule", "")),
            safe_cell(p.get("value", "")),
            safe_cell(p.get("message_zh", "")),
            safe_cell(p.get("message", "")),
        ]


def to_csv(problems: Iterable[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(problem_rows(problems))
    return out.getvalue().encode("utf-8-sig")
