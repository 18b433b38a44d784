"""File writers: CSV in a given encoding, XLSX with xlsxwriter in constant-memory mode."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

import xlsxwriter

from xinyong.synth.layout import Schema

BUFFER = 1 << 20
FIXED_TIME = datetime(2026, 11, 27, 0, 0, 0)  # document properties carry no wall-clock time


class RowSink(Protocol):
    def write(self, rows: Iterable[list[str]]) -> None: ...

    def close(self) -> None: ...


class CsvSink:
    def __init__(self, path: Path, header: list[str], encoding: str) -> None:
        self._fh = path.open("w", encoding=encoding, newline="", buffering=BUFFER)
        self._writer = csv.writer(self._fh)
        self._writer.writerow(header)

    def write(self, rows: Iterable[list[str]]) -> None:
        self._writer.writerows(rows)

    def close(self) -> None:
        self._fh.close()


class XlsxSink:
    """Dates that parse are written as date cells and amounts as numbers, like a real export;
    anything malformed stays text, as it would in a hand-edited workbook."""

    def __init__(self, path: Path, header: list[str], schema: Schema, sheet: str) -> None:
        self._book = xlsxwriter.Workbook(
            str(path),
            {
                "constant_memory": True,
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
            },
        )
        self._book.set_properties({"created": FIXED_TIME, "author": "xinyong.synth"})
        self._sheet = self._book.add_worksheet(sheet)
        self._date_fmt = self._book.add_format({"num_format": "yyyy-mm-dd"})
        self._dates = {i for i, f in enumerate(schema.fields) if f.type == "date"}
        self._numbers = {i for i, f in enumerate(schema.fields) if f.type == "decimal"}
        self._sheet.write_row(0, 0, header)
        self._next = 1
        self._parsed: dict[str, datetime | None] = {}

    def _as_date(self, text: str) -> datetime | None:
        if text not in self._parsed:
            try:
                d = date.fromisoformat(text)
                self._parsed[text] = datetime(d.year, d.month, d.day) if len(text) == 10 else None
            except ValueError:
                self._parsed[text] = None
        return self._parsed[text]

    def _cell(self, r: int, c: int, value: str) -> None:
        sheet: Any = self._sheet
        if not value:
            return
        if c in self._dates and (when := self._as_date(value)) is not None:
            sheet.write_datetime(r, c, when, self._date_fmt)
        elif c in self._numbers:
            try:
                sheet.write_number(r, c, float(value))
            except ValueError:
                sheet.write_string(r, c, value)
        else:
            sheet.write_string(r, c, value)

    def write(self, rows: Iterable[list[str]]) -> None:
        for row in rows:
            r = self._next
            for c, value in enumerate(row):
                self._cell(r, c, value)
            self._next += 1

    def close(self) -> None:
        self._book.close()
