"""Streaming readers (xinyong.ingest.readers): every file here is written by the test itself."""

from __future__ import annotations

import csv
import io
import json
import re
import tracemalloc
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from xinyong.errors import InvalidInput, Problem
from xinyong.ingest.readers import Row, Table, is_formula_like, open_table

HEADER = ["行政相对人名称", "处罚类别", "罚款金额（万元）"]
ROWS = [
    ["深圳市福田区某某便利店", "罚款", "0.5"],
    ["深圳市南山区某某科技有限公司", "警告", ""],
]
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
)
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


# ---------------------------------------------------------------------------------------------
# helpers


def write(tmp_path: Path, name: str, data: bytes | str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode(encoding) if isinstance(data, str) else data)
    return path


def csv_text(rows: list[list[str]], **kw: object) -> str:
    out = io.StringIO()
    csv.writer(out, **kw).writerows(rows)  # type: ignore[arg-type]
    return out.getvalue()


def read(path: Path, **kw: object) -> tuple[Table, list[Row]]:
    with open_table(path, **kw) as table:  # type: ignore[arg-type]
        return table, list(table.rows())


def failure(path: Path, **kw: object) -> InvalidInput:
    """The InvalidInput raised by opening or reading the file to the end."""
    with pytest.raises(InvalidInput) as info:
        read(path, **kw)
    err = info.value
    assert err.rule and err.problems, err
    for p in err.problems:
        assert p.where["file"] == path.name and p.rule and p.message and p.message_zh
    return err


def values(rows: list[Row]) -> list[list[str | None]]:
    return [v for _, v, _ in rows]


def rules(rows: list[Row]) -> list[list[str]]:
    return [[p.rule for p in problems] for _, _, problems in rows]


def xlsx(tmp_path: Path, name: str, rows: list[list[object]], sheet: str = "Sheet1") -> Path:
    path = tmp_path / name
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def patch_sheet(path: Path, replace: dict[str, str]) -> None:
    """Rewrite sheet1.xml of a workbook (to store values as Excel itself would)."""
    with zipfile.ZipFile(path) as src:
        parts = {n: src.read(n) for n in src.namelist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    for old, new in replace.items():
        assert old in xml, old
        xml = xml.replace(old, new)
    parts["xl/worksheets/sheet1.xml"] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for n, data in parts.items():
            dst.writestr(n, data)


# ---------------------------------------------------------------------------------------------
# CSV encodings


@pytest.mark.parametrize(
    ("codec", "detected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gb18030", "gb18030"), ("gbk", "gb18030")],
)
def test_csv_encodings_decode_chinese(tmp_path: Path, codec: str, detected: str) -> None:
    path = write(tmp_path, "处罚.csv", csv_text([HEADER, *ROWS]), codec)
    table, rows = read(path)
    assert (table.name, table.format, table.encoding) == ("处罚.csv", "csv", detected)
    assert table.header == HEADER
    assert rows == [
        (2, ["深圳市福田区某某便利店", "罚款", "0.5"], ()),
        (3, ["深圳市南山区某某科技有限公司", "警告", None], ()),
    ]


def test_encoding_override_and_wrong_override(tmp_path: Path) -> None:
    path = write(tmp_path, "gbk.csv", csv_text([HEADER, *ROWS]), "gbk")
    table, rows = read(path, encoding="GBK")
    assert table.encoding == "gb18030" and rows[0][1][0] == "深圳市福田区某某便利店"
    err = failure(path, encoding="utf-8")
    assert err.rule == "file.encoding"
    assert err.problems[0].where["line"] == 1 and err.problems[0].where["offset"] == 0
    assert failure(path, encoding="no-such-codec").rule == "file.encoding"
    assert failure(path, encoding="utf-16").rule == "file.encoding"  # not ASCII-compatible


def test_utf8_then_gb18030_names_the_line(tmp_path: Path) -> None:
    line = "深圳市福田区某某便利店,罚款,0.5\n"
    count = (2 * 1024 * 1024) // len(line.encode()) + 1  # a little over 2 MiB of UTF-8
    data = (",".join(HEADER) + "\n" + line * count).encode() + "深圳市罗湖区某某餐饮店,罚款,1\n".encode(
        "gb18030"
    )
    path = write(tmp_path, "mixed.csv", data)
    with open_table(path) as table:
        assert table.encoding == "utf-8"  # the first MiB is UTF-8
        seen = 0
        with pytest.raises(InvalidInput) as info:
            for _ in table.rows():
                seen += 1
    err = info.value
    bad_line = count + 2
    assert err.rule == "file.encoding"
    assert err.problems[0].where["line"] == bad_line
    assert err.problems[0].where["offset"] == len(data) - len(
        "深圳市罗湖区某某餐饮店,罚款,1\n".encode("gb18030")
    )
    assert f"line {bad_line}" in err.message and f"第 {bad_line} 行" in err.message_zh
    assert seen >= count - 200  # rows before the bad block were streamed, not buffered


# ---------------------------------------------------------------------------------------------
# File-level failures


def test_truncated_csv_ends_inside_quotes(tmp_path: Path) -> None:
    path = write(tmp_path, "cut.csv", 'a,b\n1,2\n3,"unterminated\n4,5\n')
    err = failure(path)
    assert err.rule == "file.truncated" and err.problems[0].where["row"] == 3
    assert failure(write(tmp_path, "cut-header.csv", '"a,b\n1,2\n')).rule == "file.truncated"


def test_truncated_xlsx_is_truncated(tmp_path: Path) -> None:
    path = xlsx(tmp_path, "whole.xlsx", [HEADER, *ROWS] * 50)
    data = path.read_bytes()
    for cut in (len(data) // 2, len(data) - 30, 100):
        assert failure(write(tmp_path, "cut.xlsx", data[:cut])).rule == "file.truncated"


@pytest.mark.parametrize("name", ["image.csv", "image.xlsx", "image.jsonl", "image"])
def test_png_is_not_a_table(tmp_path: Path, name: str) -> None:
    err = failure(write(tmp_path, name, PNG + bytes(range(256)) * 4))
    assert err.rule == "file.not_a_table" and "PNG" in err.message


def test_other_non_tables(tmp_path: Path) -> None:
    assert (
        failure(write(tmp_path, "doc.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj")).rule
        == "file.not_a_table"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    err = failure(write(tmp_path, "letter.xlsx", buf.getvalue()))
    assert err.rule == "file.not_a_table" and "Word" in err.message
    assert failure(write(tmp_path, "bin.csv", bytes(range(32)) * 64)).rule == "file.not_a_table"
    assert failure(write(tmp_path, "array.json", '[{"a": 1}]')).rule == "file.unsupported_format"
    assert failure(write(tmp_path, "utf16.csv", "a,b\n".encode("utf-16"))).rule == "file.unsupported_format"


def test_old_xls_is_unsupported(tmp_path: Path) -> None:
    err = failure(write(tmp_path, "old.xls", OLE2))
    assert err.rule == "file.unsupported_format"
    assert "XLSX" in err.message.upper() and "CSV" in err.message and "另存为" in err.message_zh


def test_format_is_found_by_content_not_extension(tmp_path: Path) -> None:
    workbook = xlsx(tmp_path, "real.xlsx", [HEADER, *ROWS]).read_bytes()
    table, rows = read(write(tmp_path, "named-like.csv", workbook))
    assert table.format == "xlsx" and len(rows) == 2
    table, rows = read(write(tmp_path, "named-like.xlsx", csv_text([HEADER, *ROWS])))
    assert table.format == "csv" and len(rows) == 2
    assert failure(write(tmp_path, "w.bin", workbook), format="csv").rule == "file.not_a_table"
    assert failure(write(tmp_path, "t.bin", "a,b\n1,2\n"), format="xlsx").rule == "file.not_a_table"


@pytest.mark.parametrize("content", [b"", b"   \r\n\n\t ", b"\xef\xbb\xbf", b"\n\n\n"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    assert failure(write(tmp_path, "empty.csv", content)).rule == "file.empty"


def test_header_only_file_has_no_rows(tmp_path: Path) -> None:
    table, rows = read(write(tmp_path, "header.csv", ",".join(HEADER) + "\r\n"))
    assert table.header == HEADER and rows == []
    table, rows = read(xlsx(tmp_path, "header.xlsx", [HEADER]))
    assert table.header == HEADER and rows == []


def test_blank_header_cells_and_empty_workbook(tmp_path: Path) -> None:
    err = failure(write(tmp_path, "gap.csv", "名称,,金额\n1,2,3\n"))
    assert err.rule == "file.header_missing" and err.problems[0].where["index"] == 2
    assert failure(xlsx(tmp_path, "blank.xlsx", [])).rule == "file.empty"
    table, _ = read(write(tmp_path, "trailing.csv", "名称,金额,,\n1,2,,\n"))
    assert table.header == ["名称", "金额"]  # trailing blank header cells are dropped


def test_duplicate_columns_listed_with_positions(tmp_path: Path) -> None:
    path = write(tmp_path, "dup.csv", "名称,处罚机关（全称）,名称,处罚机关(全称),金额, 名称 \n1,2,3,4,5,6\n")
    err = failure(path)
    assert err.rule == "file.duplicate_column"
    found = {p.where["column"]: p.where["columns"] for p in err.problems}
    assert found == {"名称": [1, 3, 6], "处罚机关（全称）": [2, 4]}
    assert all(p.rule == "file.duplicate_column" for p in err.problems)
    assert "1 (A)" in err.problems[0].message and "第 3 列（C 列）" in err.problems[0].message_zh


def test_header_cell_too_large(tmp_path: Path) -> None:
    err = failure(write(tmp_path, "big-header.csv", "a," + "x" * 200 + "\n1,2\n"), max_cell_chars=100)
    assert err.rule == "file.too_large_cell"


# ---------------------------------------------------------------------------------------------
# Row-level problems


def test_fifty_megabyte_cell_is_a_row_problem_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    chunk = "A" * (1 << 20)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("名称,事实,金额\n")
        f.write("甲公司,")
        for _ in range(50):
            f.write(chunk)  # a 50 MB unquoted cell
        f.write(",1\n乙公司,正常,2\n")
        f.write('丙公司,"')
        line = "事实" * 40 + "\r\n"
        f.write(line * (8 * (1 << 20) // len(line)))  # an 8 M-character quoted cell of short lines
        f.write('",3\n丁公司,正常,4\n')
    tracemalloc.start()
    try:
        _, rows = read(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024, f"peak {peak:,} bytes for a {path.stat().st_size:,}-byte file"
    assert values(rows) == [
        ["甲公司", None, "1"],
        ["乙公司", "正常", "2"],
        ["丙公司", None, "3"],
        ["丁公司", "正常", "4"],
    ]
    assert [n for n, _, _ in rows] == [2, 3, 4, 5]
    big = rows[0][2][0]
    assert big.rule == "cell.too_long" and big.value == 50 * (1 << 20)
    assert big.where == {"file": "huge.csv", "row": 2, "column": "事实", "index": 2, "cell": "B2"}
    assert rules(rows) == [["cell.too_long"], [], ["cell.too_long"], []]


def test_max_cell_chars_is_per_call(tmp_path: Path) -> None:
    path = write(tmp_path, "cells.csv", "a,b\nshort,0123456789ABCDEF\nx,y\n")
    _, rows = read(path, max_cell_chars=10)
    assert values(rows) == [["short", None], ["x", "y"]] and rules(rows) == [["cell.too_long"], []]
    _, rows = read(path)
    assert values(rows)[0] == ["short", "0123456789ABCDEF"] and rules(rows) == [[], []]


def test_cell_count_problems(tmp_path: Path) -> None:
    text = "a,b,c\n1,2,3,4\n1,2\n1,2,3,,\n\n5,6,7\n"
    _, rows = read(write(tmp_path, "count.csv", text))
    assert values(rows) == [["1", "2", "3"], ["1", "2", None], ["1", "2", "3"], ["5", "6", "7"]]
    assert rules(rows) == [["row.cell_count"], ["row.cell_count"], [], []]
    assert [n for n, _, _ in rows] == [2, 3, 4, 6]  # the blank line is row 5, skipped
    too_many, too_few = rows[0][2][0], rows[1][2][0]
    assert too_many.where == {"file": "count.csv", "row": 2, "cells": 4, "columns": 3}
    assert too_few.value == 2 and "第 3 行有 2 个单元格" in too_few.message_zh


def test_nul_bytes_are_a_row_problem(tmp_path: Path) -> None:
    _, rows = read(write(tmp_path, "nul.csv", b"a,b\n1,x\x00y\n2,ok\n3,\x00\n"))
    assert values(rows) == [["1", "xy"], ["2", "ok"], ["3", None]]
    assert rules(rows) == [["cell.nul"], [], ["cell.nul"]]
    assert rows[0][2][0].where["cell"] == "B2"


def test_text_after_closing_quote_is_kept_and_reported(tmp_path: Path) -> None:
    _, rows = read(write(tmp_path, "quote.csv", 'a,b\n"ab"c,d\ne,f\n'))
    assert values(rows) == [["abc", "d"], ["e", "f"]] and rules(rows) == [["row.quoting"], []]


def test_blank_and_whitespace_rows_are_skipped_but_counted(tmp_path: Path) -> None:
    text = "a,b\n\n  ,\u3000\n,\n x , \ty\t\n"
    _, rows = read(write(tmp_path, "blank.csv", text))
    assert rows == [(5, ["x", "y"], ())]


def test_multiline_cells_count_as_one_spreadsheet_row(tmp_path: Path) -> None:
    text = csv_text([["a", "b"], ["第一行\n第二行", "1"], ["x", "2"]], lineterminator="\r\n")
    _, rows = read(write(tmp_path, "multi.csv", text))
    assert rows == [(2, ["第一行\n第二行", "1"], ()), (3, ["x", "2"], ())]


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
def test_line_endings(tmp_path: Path, ending: str) -> None:
    text = ending.join(["a,b", "1,2", '"x, y","多' + ending + '行"', "3,4"]) + ending
    _, rows = read(write(tmp_path, "endings.csv", text))
    assert values(rows) == [["1", "2"], ["x, y", "多" + ending + "行"], ["3", "4"]]


@pytest.mark.parametrize(
    ("delimiter", "header"), [("\t", "名称\t金额"), (";", "名称;金额"), (",", "名称;金额,备注")]
)
def test_delimiter_sniffing(tmp_path: Path, delimiter: str, header: str) -> None:
    body = delimiter.join(["甲", "1"] if delimiter != "," else ["甲;x", "1"])
    table, rows = read(write(tmp_path, "d.csv", header + "\n" + body + "\n"))
    assert len(table.header) == 2 and values(rows)[0][1] == "1"


TRICKY_LINES = [
    'a,"b,c",d',
    '"a",b,"c"',
    '"",""',
    '"a""b",c',
    'a"b,c"',
    ',"x",',
    '"x",',
    ',"x"',
    '"a,b",""""',
    '"a",,"b"',
    '"a",",","b"',
    '"深圳,福田",罚款',
]


@pytest.mark.parametrize("line", TRICKY_LINES)
def test_quoted_lines_parse_as_the_csv_module_does(tmp_path: Path, line: str) -> None:
    expected = next(csv.reader([line]))
    width = len(expected)
    header = ",".join(f"列{i}" for i in range(width))
    _, rows = read(write(tmp_path, "q.csv", f"{header}\n{line}\n{line}\r\n"))
    want = [c.strip() or None for c in expected]
    assert rows == ([(2, want, ()), (3, want, ())] if any(want) else [])


def test_delimiter_is_sniffed_from_the_header_line_only(tmp_path: Path) -> None:
    table, rows = read(write(tmp_path, "cr.csv", "名称\r;\r甲;乙\r"))  # CR line ends, one column
    assert table.header == ["名称"] and values(rows) == [[";"], ["甲;乙"]]


def test_rows_can_be_read_twice(tmp_path: Path) -> None:
    with open_table(write(tmp_path, "twice.csv", csv_text([HEADER, *ROWS]))) as table:
        assert list(table.rows()) == list(table.rows())


# ---------------------------------------------------------------------------------------------
# Hostile text comes back verbatim


HOSTILE = [
    "=cmd|' /C calc'!A0",
    "+1+1",
    "@SUM(A1:A9)",
    "-2+3",
    "'; DROP TABLE records; --",
    "<script>alert('x')</script>",
    'Robert"); DROP TABLE subjects;--',
]


def test_hostile_text_is_returned_literally_csv(tmp_path: Path) -> None:
    _, rows = read(write(tmp_path, "hostile.csv", csv_text([["名称", "值"], *[["甲", h] for h in HOSTILE]])))
    assert [v[1] for v in values(rows)] == HOSTILE


def test_hostile_text_is_returned_literally_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "hostile.xlsx"
    with xlsxwriter.Workbook(path) as wb:
        ws = wb.add_worksheet()
        ws.write_row(0, 0, ["名称", "值"])
        for i, h in enumerate(HOSTILE, start=1):
            ws.write_string(i, 0, "甲")
            ws.write_string(i, 1, h)  # text that looks like a formula, stored as text
        ws.write_string(len(HOSTILE) + 1, 0, "公式")
        ws.write_formula(len(HOSTILE) + 1, 1, "=1+1", None, 2)  # a real formula: its cached value
    _, rows = read(path)
    assert [v[1] for v in values(rows)] == [*HOSTILE, "2"]


def test_is_formula_like() -> None:
    for text in ["=1+1", "+1+1", "@SUM(A1)", "-2+3", "\t=cmd", "\r=cmd", " =1", "-", "+86 755 1234"]:
        assert is_formula_like(text), text
    for text in [None, "", "深圳市", "-1.5", "+3", "1-2", "a=b", "'; DROP TABLE records; --", "<script>"]:
        assert not is_formula_like(text), text


# ---------------------------------------------------------------------------------------------
# XLSX values


def test_xlsx_values_are_text_as_excel_shows_them(tmp_path: Path) -> None:
    path = xlsx(
        tmp_path,
        "types.xlsx",
        [
            ["日期", "时间", "小数", "整数", "布尔", "文本"],
            [date(2024, 3, 15), datetime(2024, 3, 15, 10, 30), 1.5, 111, True, "  深圳  "],
            [datetime(2024, 3, 15, 0, 0), None, 3.0, 222, False, None],
            [None, None, 333.0, 444, None, "x"],
            [],
            [None, None, None, None, None, "   "],
        ],
    )
    patch_sheet(
        path,
        {
            "<v>111</v>": "<v>123456789012345678901234567890</v>",  # an integer as Excel stores it
            "<v>222</v>": "<v>-42</v>",
            "<v>333</v>": "<v>0.30000000000000004</v>",  # a float artefact
            "<v>444</v>": "<v>1.2E+20</v>",
        },
    )
    table, rows = read(path, sheet="Sheet1")
    assert table.format == "xlsx" and table.encoding is None and table.header[0] == "日期"
    assert rows == [
        (
            2,
            ["2024-03-15", "2024-03-15T10:30:00", "1.5", "123456789012345678901234567890", "true", "深圳"],
            (),
        ),
        (3, ["2024-03-15", None, "3", "-42", "false", None], ()),
        (4, [None, None, "0.3", "120000000000000000000", None, "x"], ()),
    ]


def test_xlsx_trailing_blank_rows_gaps_and_extra_cells(tmp_path: Path) -> None:
    path = tmp_path / "gaps.xlsx"
    with xlsxwriter.Workbook(path) as wb:
        ws = wb.add_worksheet("数据")
        fmt = wb.add_format({"bold": True})
        ws.write_row(0, 0, ["名称", "金额"])
        ws.write_row(1, 0, ["甲", 1])
        ws.write_row(3, 0, ["乙"])  # row 3 is missing; row 4 has no 金额
        ws.write_row(4, 0, ["丙", 2, "多余"])  # a value with no header
        for r in range(5, 40):
            ws.write_blank(r, 0, None, fmt)  # formatted but empty rows at the end
        ws.write_string(45, 3, "孤立的值")
    _, rows = read(path, sheet="数据")
    assert values(rows) == [["甲", "1"], ["乙", None], ["丙", "2"], [None, None]]
    assert [n for n, _, _ in rows] == [2, 4, 5, 46]  # blank and formatted-empty rows are skipped
    assert rules(rows) == [[], [], ["row.cell_count"], ["row.cell_count"]]  # data past the header
    assert rows[2][2][0].where["cell"] == "C5"
    assert failure(path, sheet="没有").rule == "file.sheet_missing"


def test_xlsx_formula_error_value(tmp_path: Path) -> None:
    path = xlsx(tmp_path, "err.xlsx", [["名称", "金额"], ["甲", "x"]])
    patch_sheet(path, {'<c r="B2" t="inlineStr"><is><t>x</t></is></c>': '<c r="B2" t="e"><v>#DIV/0!</v></c>'})
    _, rows = read(path)
    assert values(rows) == [["甲", None]] and rules(rows) == [["cell.formula_error"]]


def test_xlsx_damaged_parts_are_not_a_table(tmp_path: Path) -> None:
    path = xlsx(tmp_path, "bad.xlsx", [["名称"], ["甲"]])
    patch_sheet(path, {"<sheetData>": "<sheetData><row r='x'><c r='!!'>"})
    assert failure(path).rule == "file.not_a_table"


# ---------------------------------------------------------------------------------------------
# JSON lines


def test_jsonl_rows_and_problems(tmp_path: Path) -> None:
    lines = [
        json.dumps(
            {"名称": "深圳市福田区某某便利店", "金额": 1.50, "有效": True, "备注": None}, ensure_ascii=False
        ),
        "",
        '{"名称": "乙", "金额": 3, "备注": {"nested": 1}}',
        '{"名称": "丙", "金额": 1.50e0, "颜色": "红"}',
        "{not json",
        "[1, 2]",
        '{"名称": "丁", "名称": "戊", "金额": NaN}',
        '{"名称": " \\u0000己 "}',
    ]
    table, rows = read(write(tmp_path, "push.jsonl", "\n".join(lines) + "\n"))
    assert table.format == "jsonl" and table.header == ["名称", "金额", "有效", "备注"]
    assert [n for n, _, _ in rows] == [1, 3, 4, 5, 6, 7, 8]
    assert values(rows) == [
        ["深圳市福田区某某便利店", "1.5", "true", None],
        ["乙", "3", None, None],
        ["丙", "1.50e0", None, None],
        [None, None, None, None],
        [None, None, None, None],
        [None, None, None, None],
        ["己", None, None, None],
    ]
    assert rules(rows) == [
        [],
        ["cell.not_scalar"],
        ["row.unknown_key"],
        ["row.invalid_json"],
        ["row.invalid_json"],
        ["row.invalid_json"],
        ["cell.nul"],
    ]
    assert rows[3][2][0].where == {"file": "push.jsonl", "row": 5, "line": 5}
    assert rows[2][2][0].where["column"] == "颜色"
    assert rows[1][2][0].where == {"file": "push.jsonl", "row": 3, "line": 3, "column": "备注", "index": 4}


def test_jsonl_first_line_must_be_an_object(tmp_path: Path) -> None:
    assert failure(write(tmp_path, "bad.jsonl", '{"a": 1\n{"a": 2}\n')).rule == "file.header_missing"
    err = failure(write(tmp_path, "dup.jsonl", '{"名称": 1, " 名称": 2}\n'))
    assert err.rule == "file.duplicate_column"
    table, rows = read(write(tmp_path, "gb.jsonl", '{"名称": "深圳"}\n'.encode("gb18030")))
    assert table.encoding == "gb18030" and values(rows) == [["深圳"]]


# ---------------------------------------------------------------------------------------------
# Property tests


def _workbook_bytes() -> bytes:
    buf = io.BytesIO()
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for row in [HEADER, *ROWS, [date(2024, 1, 2), 1.5, True]]:
        ws.append(row)
    wb.save(buf)
    return buf.getvalue()


WORKBOOK = _workbook_bytes()


def _consume(path: Path) -> None:
    try:
        with open_table(path) as table:
            assert isinstance(table.header, list)
            for number, cells, problems in table.rows():
                assert isinstance(number, int) and len(cells) == len(table.header)
                assert all(isinstance(p, Problem) and p.where["file"] == path.name for p in problems)
    except InvalidInput as e:
        assert e.rule and e.problems and all(p.where.get("file") == path.name for p in e.problems)


prefixes = st.sampled_from(
    [b"", b"PK\x03\x04", b"{", b"\xef\xbb\xbf", b"a,b\n", b'"', b"\xd0\xcf\x11\xe0", b"\x89PNG"]
)


@FUZZ
@given(
    prefix=prefixes, body=st.binary(max_size=3000), name=st.sampled_from(["f.csv", "f.xlsx", "f.jsonl", "f"])
)
def test_arbitrary_bytes_never_raise_anything_but_invalid_input(
    tmp_path: Path, prefix: bytes, body: bytes, name: str
) -> None:
    _consume(write(tmp_path, name, prefix + body))


@FUZZ
@given(data=st.data())
def test_damaged_workbooks_never_raise_anything_but_invalid_input(
    tmp_path: Path, data: st.DataObject
) -> None:
    raw = bytearray(WORKBOOK)
    if data.draw(st.booleans()):
        raw = raw[: data.draw(st.integers(0, len(raw)))]
    for _ in range(data.draw(st.integers(0, 8))):
        if raw:
            raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    _consume(write(tmp_path, "damaged.xlsx", bytes(raw)))


@FUZZ
@given(text=st.text(alphabet=st.sampled_from('a,"\n\r\x00 {}[]:深'), max_size=300))
def test_csv_like_text_never_raises_anything_but_invalid_input(tmp_path: Path, text: str) -> None:
    _consume(write(tmp_path, "text.csv", text))
    _consume(write(tmp_path, "text.jsonl", "{" + text))


cell_text = st.text(alphabet=st.sampled_from('ab深圳 ,;"\n\r\t\u3000x1'), max_size=12)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    width=st.integers(1, 5),
    data=st.data(),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
    delimiter=st.sampled_from([",", "\t", ";"]),
    terminator=st.sampled_from(["\r\n", "\n", "\r"]),
    max_cell_chars=st.sampled_from([100_000, 4, 9]),
    codec=st.sampled_from(["utf-8", "gb18030"]),
)
def test_csv_rows_match_the_csv_module(
    tmp_path: Path,
    width: int,
    data: st.DataObject,
    quoting: int,
    delimiter: str,
    terminator: str,
    max_cell_chars: int,
    codec: str,
) -> None:
    """Every path (split, C parser, careful re-parse) agrees with csv.reader on csv.writer output."""
    assume(width > 1 or delimiter == ",")  # a one-column header shows no delimiter to sniff
    header = [f"列{i}" for i in range(width)]
    body = data.draw(st.lists(st.lists(cell_text, min_size=width, max_size=width), max_size=8))
    # csv.writer quotes a cell only for the characters of its own line terminator: a bare CR or LF
    # left unquoted makes a different (valid) file, which this comparison is not about
    stray = "\r\n".replace(terminator, "") if terminator != "\r\n" else ""
    assume(not any(ch in c for ch in stray for row in body for c in row))
    text = csv_text([header, *body], quoting=quoting, delimiter=delimiter, lineterminator=terminator)
    path = write(tmp_path, "prop.csv", text, codec)
    with open(path, encoding=codec, newline="") as f:
        parsed = list(csv.reader(f, delimiter=delimiter))[1:]
    expected = []
    for number, cells in enumerate(parsed, start=2):
        long = [i for i, c in enumerate(cells) if len(c) > max_cell_chars]
        cleaned = [None if i in long else (c.strip() or None) for i, c in enumerate(cells)]
        if long or any(cleaned):
            expected.append((number, cleaned, ["cell.too_long"] * len(long)))
    table, rows = read(path, max_cell_chars=max_cell_chars)
    assert table.header == header
    assert [(n, v, [p.rule for p in ps]) for n, v, ps in rows] == expected


def test_streaming_memory_is_bounded(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    n = 200_000
    row = "深圳市福田区某某便利店{},91440300MA5G8XXXX{},罚款,0.5,2024-03-15,深圳市市场监督管理局\n"
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("名称,代码,类别,金额,日期,机关\n")
        f.writelines(row.format(i, i % 10) for i in range(n))
    size = path.stat().st_size
    tracemalloc.start()
    try:
        count = last = 0
        with open_table(path) as table:
            for number, _, problems in table.rows():
                count, last = count + 1, number
                assert not problems
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == n and last == n + 1
    assert peak < min(size // 20, 2 * 1024 * 1024), f"peak {peak:,} bytes for a {size:,}-byte file"


def test_problem_messages_are_bilingual_and_placed(tmp_path: Path) -> None:
    _, rows = read(write(tmp_path, "p.csv", 'a,b\n1,"x\x00"\n1\n'))
    for _, _, problems in rows:
        for p in problems:
            assert p.where["file"] == "p.csv" and p.where["row"] >= 2
            assert p.message and re.search(r"[\u4e00-\u9fff]", p.message_zh)
