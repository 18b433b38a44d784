"""Streaming readers: a source unit's file → a header and an iterator of rows, in bounded memory.

    with open_table(path) as table:               # CSV, XLSX or JSON lines, found by content
        table.header                              # ['行政相对人名称', '统一社会信用代码', ...]
        for number, values, problems in table.rows():
            ...                                   # number: row as the spreadsheet shows it

Contract
--------
* **File-level failures raise** :class:`~xinyong.errors.InvalidInput` with a ``rule`` and problems
  naming the file: ``file.empty``, ``file.not_a_table``, ``file.unsupported_format``,
  ``file.encoding``, ``file.truncated``, ``file.header_missing``, ``file.duplicate_column``,
  ``file.too_large_cell``, ``file.sheet_missing``. Most are raised by :func:`open_table`; the ones
  that can only be seen by reading on (a decoding error at line 3 001, a CSV ending inside a quoted
  field) are raised by the row iterator when it gets there. No other exception type escapes for any
  file content (missing files raise the usual ``OSError``).
* **Row-level problems never raise.** :meth:`Table.rows` yields plain tuples
  ``(number, values, problems)``: ``values`` is a list aligned to :attr:`Table.header` (always the
  same length), ``problems`` a tuple of :class:`~xinyong.errors.Problem` (the shared empty tuple for
  a clean row). A row with problems still comes with the values that could be read; the caller
  decides whether to reject it. Row rules: ``row.cell_count``, ``row.quoting``, ``row.invalid_json``,
  ``row.unknown_key``, ``row.duplicate_key``, ``row.too_long``, ``cell.too_long``, ``cell.nul``,
  ``cell.not_scalar``, ``cell.formula_error``. Each problem's ``where`` has ``file`` and ``row``, and
  ``column`` (the header text), ``index`` (1-based position) and ``cell`` (``C7``) when one cell is
  at fault.
* **Cells** are stripped and an empty cell is ``None``. Entirely blank rows are skipped, but row
  numbers still count them, as the spreadsheet does (header on row 1, first data row 2). Extra cells
  to the right of the header are dropped silently when empty and reported (``row.cell_count``) when
  not; a CSV row with too few cells is padded with ``None`` and reported; an XLSX row is simply
  padded (XLSX does not store trailing empty cells).
* :meth:`Table.rows` may be called again: each call streams the file from the start.

Formats (found by magic bytes; the extension is ignored)
-------------------------------------------------------
* **XLSX**: a zip holding ``[Content_Types].xml`` and ``xl/workbook.xml``; openpyxl read-only and
  ``data_only`` (a formula gives its cached value, never evaluated), first sheet or a named one.
  Numbers print as Excel shows them: integers exactly, floats with at most 15 significant digits
  (Excel's precision; ``0.1+0.2`` is ``"0.3"``, ``3.0`` is ``"3"``); dates ``YYYY-MM-DD``, datetimes
  ``YYYY-MM-DDTHH:MM:SS``; booleans ``"true"``/``"false"``. An old ``.xls`` (OLE2) is
  ``file.unsupported_format``. Note: openpyxl holds the shared-strings table in memory.
* **JSON lines**: first non-blank character ``{``; one object per line; the header is the keys of
  the first object, later unknown keys are row problems; numbers keep their JSON text.
* **CSV** otherwise: UTF-8, UTF-8 with BOM, or GB18030 (a superset of GBK and GB2312; ``gbk`` and
  ``gb2312`` given as ``encoding`` decode as GB18030). Without ``encoding``: a BOM means UTF-8; else
  the first MiB is tried as strict UTF-8, falling back to GB18030. The whole file is then decoded
  strictly, so a file that changes encoding half-way fails with ``file.encoding`` naming the byte
  offset and line, never with mojibake. The delimiter is a comma, or a tab/semicolon when the header
  line has no comma but has those.

How CSV stays fast and bounded
------------------------------
Lines are read with ``TextIOWrapper.readline(limit)``, ``limit = min(64 Ki, max_cell_chars + 1)``
characters, so no line is ever held longer than that. Then, per line:

* no quote character (most lines): ``csv`` would parse it exactly as
  ``line.rstrip("\\r\\n").split(delimiter)`` does, so that is what runs (about twice as fast as
  the C parser; splitting quoted lines on ``"`` too was tried, and on Chinese text it is no faster);
* a line with a quote: one persistent C ``csv.reader`` (strict mode), fed that line and then any
  continuation lines a quoted line break needs;
* careful path: a record that reaches ``limit`` characters, a line holding a NUL (seen by a byte
  scan under the text layer) and anything the C parser rejects (text after a closing quote, end of
  file inside quotes) are re-parsed by a pure-Python scanner with the same grammar, reading 64 Ki
  characters at a time and dropping a cell as soon as it passes ``max_cell_chars``: a 50 MB cell
  costs 64 Ki characters of memory, not 50 MB, and the next row is found correctly.

Clean rows never pay for these checks, and the module-wide ``csv.field_size_limit`` is never
changed: no record that long ever reaches the C parser. A property test checks all paths against
``csv.reader``.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import partial
from itertools import chain, islice
from pathlib import Path
from types import TracebackType
from typing import IO, Any, TypeVar, cast

from xinyong.catalog.model import normalise_header
from xinyong.errors import InvalidInput, Problem

__all__ = ["Row", "Table", "is_formula_like", "open_table"]

Row = tuple[int, list[str | None], tuple[Problem, ...]]
"""``(row number, values aligned to the header, problems)``."""

_NO_PROBLEMS: tuple[Problem, ...] = ()
_SAMPLE = 1 << 16  # bytes sniffed for the format
_PREFIX = 1 << 20  # bytes tried as UTF-8 when no encoding is given
_LINE_LIMIT = 1 << 16  # characters: longer records take the careful path
_PIECE = 1 << 16  # characters read at a time by the careful path
_MAX_COLUMNS = 16_384  # Excel's own limit
_BATCH = 256  # XLSX rows pulled per warnings-silenced batch
_T = TypeVar("_T")

_FORMATS = ("csv", "xlsx", "jsonl")
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "cp936", "euc_cn", "hz"}
_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\r\x0c")
_BINARY_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"BZh", "a bzip2 archive"),
    (b"\x7fELF", "a program"),
    (b"MZ", "a Windows program"),
    (b"{\\rtf", "an RTF document"),
    (b"SQLite format 3\x00", "an SQLite database"),
)
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_UTF16_32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_EXCEL_ERRORS = frozenset(
    {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA", "#SPILL!", "#CALC!"}
)
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)")


# ---------------------------------------------------------------------------------------------
# Public API


def is_formula_like(text: str | None) -> bool:
    """Would a spreadsheet treat this text as a formula (CSV/formula injection)?

    True when the text, after leading whitespace (tabs and carriage returns included), starts with
    ``=``, ``+``, ``-`` or ``@`` and is not a plain number such as ``-1.5``. Export code uses it to
    neutralise the cell (e.g. prefix ``'``); readers always return the literal text.
    """
    if not text:
        return False
    stripped = text.lstrip(" \t\r\n")
    if not stripped or stripped[0] not in "=+-@":
        return False
    return stripped[0] == "=" or stripped[0] == "@" or _PLAIN_NUMBER.fullmatch(stripped) is None


class Table:
    """A source file opened for streaming: ``header`` and ``rows()``; use as a context manager."""

    format: str = ""

    def __init__(self, path: Path, max_cell_chars: int) -> None:
        self.path = path
        self.name = path.name
        self.encoding: str | None = None
        self.header: list[str] = []
        self.header_row = 1  # the spreadsheet row the header is on
        self.max_cell_chars = max_cell_chars
        self._live: list[Iterator[Row]] = []

    def rows(self) -> Iterator[Row]:
        """Data rows as ``(number, values, problems)``; see the module docstring."""
        iterator = self._iter_rows()
        self._live = [it for it in self._live if getattr(it, "gi_frame", None) is not None]
        self._live.append(iterator)
        return iterator

    def close(self) -> None:
        for iterator in self._live:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()
        self._live = []

    def __enter__(self) -> Table:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} {self.format} {len(self.header)} columns>"

    def _iter_rows(self) -> Iterator[Row]:
        raise NotImplementedError

    # -- problems --------------------------------------------------------------------------

    def _fail(
        self, rule: str, message: str, message_zh: str, *, value: Any = None, **where: Any
    ) -> InvalidInput:
        problem = Problem(rule, message, {"file": self.name, **where}, message_zh, value)
        return InvalidInput(f"{self.name}: {message}", message_zh=message_zh, problems=[problem], rule=rule)

    def _cell_problem(
        self, rule: str, row: int, index: int, message: str, message_zh: str, value: Any = None
    ) -> Problem:
        column = self.header[index] if index < len(self.header) else None
        where = {"file": self.name, "row": row, "column": column, "index": index + 1}
        where["cell"] = f"{_letter(index + 1)}{row}"
        return Problem(rule, message, where, message_zh, value)

    def _check_header(self, cells: list[str], row: int) -> list[str]:
        """Strip, drop trailing blanks, and refuse blank, over-long or duplicated headers."""
        header = [c.strip().lstrip("\ufeff").strip() for c in cells]
        while header and not header[-1]:
            header.pop()
        if not header:
            raise _error(self.name, "file.header_missing", _EMPTY_HEADER, row=row)
        problems = [
            Problem(
                "file.header_missing",
                f"column {i + 1} ({_letter(i + 1)}) has no header",
                {"file": self.name, "row": row, "index": i + 1, "cell": f"{_letter(i + 1)}{row}"},
                f"第 {i + 1} 列（{_letter(i + 1)} 列）没有表头",
            )
            for i, h in enumerate(header)
            if not h
        ]
        for i, h in enumerate(header):
            if len(h) > self.max_cell_chars:
                raise self._fail(
                    "file.too_large_cell",
                    f"header cell {_letter(i + 1)}{row} has {len(h):,} characters; the limit is "
                    f"{self.max_cell_chars:,}",
                    f"表头单元格 {_letter(i + 1)}{row} 有 {len(h):,} 个字符，"
                    f"超过上限 {self.max_cell_chars:,}",
                    row=row,
                    index=i + 1,
                )
            if "\x00" in h:
                raise self._fail("file.not_a_table", _NUL_HEADER[0], _NUL_HEADER[1], row=row, index=i + 1)
        problems += self._duplicates(header, row)
        if problems:
            raise InvalidInput(
                f"{self.name}: the header row (row {row}) is not usable: "
                + "; ".join(p.message for p in problems),
                message_zh=f"{self.name}：表头（第 {row} 行）不可用："
                + "；".join(p.message_zh for p in problems),
                problems=problems,
                rule=problems[0].rule,
            )
        return header

    def _duplicates(self, header: list[str], row: int) -> list[Problem]:
        positions: dict[str, list[int]] = {}
        for i, h in enumerate(header):
            if h:
                positions.setdefault(normalise_header(h), []).append(i + 1)
        problems = []
        for where in positions.values():
            if len(where) < 2:
                continue
            text = header[where[0] - 1]
            cols = " and ".join(f"{p} ({_letter(p)})" for p in where)
            cols_zh = "、".join(f"第 {p} 列（{_letter(p)} 列）" for p in where)
            problems.append(
                Problem(
                    "file.duplicate_column",
                    f"header {text!r} appears {len(where)} times, in columns {cols}; each column "
                    "needs its own header",
                    {"file": self.name, "row": row, "column": text, "columns": where},
                    f"表头“{text}”出现 {len(where)} 次（{cols_zh}），每列表头必须唯一",
                    [header[p - 1] for p in where],
                )
            )
        return problems


def open_table(
    path: Path | str,
    *,
    encoding: str | None = None,
    format: str | None = None,  # the public keyword callers use, though it shadows a builtin
    max_cell_chars: int = 100_000,
    sheet: str | None = None,
) -> Table:
    """Open a CSV, XLSX or JSON-lines file for streaming; raise InvalidInput for a bad file.

    ``format`` ("csv", "xlsx", "jsonl") skips the choice between the text formats; a binary file
    still has to be what it claims. ``encoding`` overrides detection for text formats. ``sheet``
    names an XLSX worksheet (default: the first).
    """
    path = Path(path)
    if format is not None and format not in _FORMATS:
        raise ValueError(f"format must be one of {_FORMATS}, not {format!r}")
    if max_cell_chars < 1:
        raise ValueError("max_cell_chars must be at least 1")
    with open(path, "rb") as f:
        head = f.read(_SAMPLE)
        whole = len(head) < _SAMPLE
        if _sniff(path.name, head, format) == "xlsx":
            return _XlsxTable(path, max_cell_chars, sheet)
        codec = _choose_encoding(path.name, head, f, encoding)
    text = head.decode(codec, errors="replace").lstrip().lstrip("\ufeff").lstrip()
    if not text:
        if whole:
            raise _error(path.name, "file.empty", _EMPTY)
    elif format is None and text[0] == "[":
        raise _error(path.name, "file.unsupported_format", _JSON_ARRAY)
    if format == "jsonl" or (format is None and text[:1] == "{"):
        return _JsonlTable(path, max_cell_chars, codec)
    return _CsvTable(path, max_cell_chars, codec, _sniff_delimiter(text))


# ---------------------------------------------------------------------------------------------
# Messages and small helpers

_EMPTY = ("the file is empty: no header and no rows", "文件为空：没有表头，也没有数据行")
_EMPTY_HEADER = (
    "the header row is blank; the first non-blank row must name the columns",
    "表头为空；第一个非空行应为各列的列名",
)
_NUL_HEADER = (
    "the header row contains NUL bytes: this is not a text table",
    "表头含有空字符（NUL），该文件不是文本数据表",
)
_JSON_ARRAY = (
    "this is a JSON array; upload JSON lines instead (one object per line)",
    "该文件是 JSON 数组；请改为 JSON Lines 格式（每行一个对象）",
)
_OLE2 = (
    "this is an old binary Excel workbook (.xls) or a password-protected workbook; open it in "
    "Excel or WPS and save it, without a password, as an Excel workbook (.xlsx) or as CSV UTF-8",
    "该文件是旧版 Excel 二进制工作簿（.xls）或加密工作簿；请用 Excel 或 WPS 打开，"
    "去掉密码后另存为 Excel 工作簿（.xlsx）或 CSV（UTF-8）格式",
)
_UTF16 = (
    "this text file is UTF-16 or UTF-32 ('Unicode text'); save it as CSV UTF-8 instead",
    "该文本文件为 UTF-16/UTF-32 编码（“Unicode 文本”）；请另存为 CSV（UTF-8）格式",
)
_UPLOAD_AS = "upload the data as CSV (UTF-8 or GB18030), XLSX or JSON lines"
_UPLOAD_AS_ZH = "请以 CSV（UTF-8 或 GB18030 编码）、XLSX 或 JSON Lines 格式上传数据"


def _error(name: str, rule: str, text: tuple[str, str], **where: Any) -> InvalidInput:
    problem = Problem(rule, text[0], {"file": name, **where}, text[1])
    return InvalidInput(f"{name}: {text[0]}", message_zh=f"{name}：{text[1]}", problems=[problem], rule=rule)


def _not_a_table(name: str, what: str, what_zh: str) -> InvalidInput:
    return _error(
        name, "file.not_a_table", (f"{what}, not a table; {_UPLOAD_AS}", f"{what_zh}；{_UPLOAD_AS_ZH}")
    )


def _letter(position: int) -> str:
    """Spreadsheet column letters for a 1-based position: 1 → A, 28 → AB."""
    out = ""
    while position > 0:
        position, rest = divmod(position - 1, 26)
        out = chr(65 + rest) + out
    return out


def _sniff(name: str, head: bytes, format: str | None) -> str:
    """ "xlsx" or "text" from the first bytes; raise for empty, binary and unsupported files."""
    if not head:
        raise _error(name, "file.empty", _EMPTY)
    if head.startswith(_OLE2_MAGIC):
        raise _error(name, "file.unsupported_format", _OLE2)
    if head.startswith(_ZIP_MAGIC):
        if format in ("csv", "jsonl"):
            raise _not_a_table(name, f"this is a zip archive, not {format}", f"该文件是压缩包，不是 {format}")
        return "xlsx"
    if format == "xlsx":
        raise _not_a_table(name, "this is not an XLSX workbook", "该文件不是 XLSX 工作簿")
    for magic, what in _BINARY_MAGIC:
        if head.startswith(magic):
            raise _not_a_table(name, f"this is {what}", f"该文件是二进制文件（{what}），不是数据表")
    if head.startswith(_UTF16_32_BOMS):
        raise _error(name, "file.unsupported_format", _UTF16)
    sample = head[:8192]
    control = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if control > 8 and control * 10 > len(sample):  # a stray NUL in a small CSV is a row problem
        raise _not_a_table(name, "this is a binary file", "该文件是二进制文件")
    return "text"


def _choose_encoding(name: str, head: bytes, rest: IO[bytes], given: str | None) -> str:
    """The codec to decode with: ``given`` (checked), else BOM, else UTF-8 if the first MiB is."""
    if given is not None:
        try:
            codec = codecs.lookup(given).name
        except LookupError:
            raise _error(
                name, "file.encoding", (f"unknown encoding {given!r}", f"未知的字符编码 {given!r}")
            ) from None
        if codec in _GB_FAMILY:
            return "gb18030"
        if codec != "utf-8-sig" and not _ascii_compatible(codec):
            raise _error(
                name,
                "file.encoding",
                (
                    f"encoding {given!r} is not supported; use UTF-8 or GB18030",
                    f"不支持 {given!r} 编码，请使用 UTF-8 或 GB18030",
                ),
            )
        if codec == "utf-8" and head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        return codec
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    decoder = codecs.getincrementaldecoder("utf-8")("strict")  # incremental: a character cut at
    block, seen = head, 0  # the 1 MiB boundary is not an error; block by block: no big string
    try:
        while block and seen < _PREFIX:
            decoder.decode(block)
            seen += len(block)
            block = rest.read(_SAMPLE)
        decoder.decode(b"", final=not block)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def _ascii_compatible(codec: str) -> bool:
    try:
        return '\n,"{'.encode(codec) == b'\n,"{'
    except (LookupError, ValueError):  # not a text encoding
        return False


def _sniff_delimiter(text: str) -> str:
    line = re.split("[\r\n]", text, maxsplit=1)[0]
    if "," in line:
        return ","
    tabs, semicolons = line.count("\t"), line.count(";")
    if tabs or semicolons:
        return "\t" if tabs >= semicolons else ";"
    return ","


class _TextTable(Table):
    """Shared by CSV and JSON lines: a strictly decoded text stream and decoding-error reports."""

    def __init__(self, path: Path, max_cell_chars: int, encoding: str) -> None:
        super().__init__(path, max_cell_chars)
        self.encoding = encoding

    def _encoding_error(self) -> InvalidInput:
        """Find the first undecodable byte (a second pass; only on error) and say where it is."""
        codec = self.encoding or "utf-8"
        decoder = codecs.getincrementaldecoder(codec)("strict")
        offset, lines = 0, 1
        with open(self.path, "rb") as f:
            while True:
                block = f.read(_PREFIX)
                try:
                    decoder.decode(block, final=not block)
                except UnicodeDecodeError as e:
                    start = offset - (len(e.object) - len(block)) + e.start
                    lines += block[: max(0, start - offset)].count(b"\n")
                    bad = bytes(e.object[e.start : e.end]).hex(" ").upper()
                    return self._describe_encoding_error(start, lines, bad)
                if not block:
                    break
                offset += len(block)
                lines += block.count(b"\n")
        return self._describe_encoding_error(None, None, "")

    def _describe_encoding_error(self, offset: int | None, line: int | None, bad: str) -> InvalidInput:
        codec = {"utf-8-sig": "UTF-8", "utf-8": "UTF-8", "gb18030": "GB18030"}.get(self.encoding or "", "")
        codec = codec or str(self.encoding)
        place = f"line {line} (byte offset {offset:,}, bytes {bad})" if line else "somewhere"
        place_zh = f"第 {line} 行（字节偏移 {offset:,}，字节 {bad}）" if line else ""
        return self._fail(
            "file.encoding",
            f"cannot decode {place} as {codec}: the file is not entirely {codec} (mixed encodings?); "
            "save it again as CSV UTF-8, or give the right encoding",
            f"{place_zh}无法按 {codec} 解码：文件并非全部为 {codec} 编码（可能混用了多种编码）；"
            "请重新另存为 CSV（UTF-8）格式，或指定正确的编码",
            line=line,
            offset=offset,
            encoding=self.encoding,
        )


# ---------------------------------------------------------------------------------------------
# CSV


class _Divert(Exception):
    """Raised by the C parser's line feeder to take the current record to the careful path."""


class _NulWatch(io.BufferedIOBase):
    """The binary source under the text stream; remembers whether any NUL byte went by.

    NUL (0x00) is never part of a multi-byte character in UTF-8 or GB18030, so a byte scan (memchr,
    per 64 KiB block) is exact; only once it fires do lines get checked one by one.
    """

    def __init__(self, raw: IO[bytes]) -> None:
        super().__init__()
        self._raw = raw
        self.nul = False

    def readable(self) -> bool:
        return True

    def read1(self, size: int = -1) -> bytes:
        data = self._raw.read1(size)  # type: ignore[attr-defined]
        if b"\x00" in data:
            self.nul = True
        return bytes(data)

    def read(self, size: int | None = -1) -> bytes:
        data = self._raw.read(-1 if size is None else size)
        if b"\x00" in data:
            self.nul = True
        return data

    def close(self) -> None:
        self._raw.close()
        super().close()


class _Record:
    """A record re-parsed by the careful path; cells past the limit are counted, not kept."""

    __slots__ = ("_chars", "_parts", "bad_quotes", "cap", "count", "fields", "limit", "overflow", "too_long")

    def __init__(self, cap: int, limit: int) -> None:
        self.cap, self.limit = cap, limit
        self.fields: list[str] = []
        self.count = 0
        self.too_long: dict[int, int] = {}  # cell index → characters
        self.bad_quotes: list[int] = []  # cell indexes with text after a closing quote
        self.overflow = False  # a non-empty cell beyond ``cap``
        self._parts: list[str] = []
        self._chars = 0

    def add(self, text: str) -> None:
        self._chars += len(text)
        if self._chars <= self.limit:
            self._parts.append(text)
        elif self._parts:
            self._parts = []

    def end_field(self) -> None:
        index = self.count
        self.count += 1
        if self._chars > self.limit:
            self.too_long[index] = self._chars
            value = ""
        else:
            value = "".join(self._parts)
        self._parts, self._chars = [], 0
        if index < self.cap:
            self.fields.append(value)
        elif value.strip() or index in self.too_long:
            self.overflow = True


_START_RECORD, _START_FIELD, _UNQUOTED, _QUOTED, _AFTER_QUOTE = range(5)


class _CsvScanner:
    """Turns lines into records: ``str.split``, the C ``csv`` parser, or the careful path.

    * A line with no quote character is a whole record, and ``csv`` would parse it exactly as
      ``line.rstrip("\\r\\n").split(delimiter)`` does (the hot loop in ``_CsvTable`` inlines this).
    * A line with a quote goes to one persistent C ``csv.reader``, fed by :meth:`_feed`: first that
      line, then as many continuation lines as a quoted line break needs. The feeder keeps the lines
      of the record in ``hist`` and diverts (raises ``_Divert``) once the record reaches ``limit``
      characters or a line holds a NUL.
    * Diverted records, records the C parser rejects (text after a closing quote, end of file inside
      quotes) and over-long or NUL lines are re-parsed by :meth:`careful_record`.
    """

    def __init__(self, readline: Callable[[int], str], watch: _NulWatch, delimiter: str, max_cell_chars: int):
        self.hist: list[str] = []  # lines of the record in progress (C parser and careful path)
        self.queue: list[str] = []  # text to re-read before the stream, last item first
        self.cap = _MAX_COLUMNS + 1  # cells kept per careful-path record
        self.limit = min(_LINE_LIMIT, max_cell_chars + 1)  # records this long take the careful path
        self.delimiter = delimiter
        self._readline = readline
        self.watch = watch
        self._stop = re.compile("[" + re.escape(delimiter) + "\r\n]").search
        self._max = max_cell_chars
        self._first: str | None = None  # the line _feed hands the C parser next
        self._reader: Iterator[list[str]] | None = None

    def lines(self) -> Iterator[str]:
        """Lines of at most ``limit`` characters: queued text first, then the stream (C-level)."""
        return chain(self._drain(), iter(partial(self._readline, self.limit), ""))

    def _drain(self) -> Iterator[str]:
        queue = self.queue  # popped lazily: _feed and the careful path share it
        while queue:
            yield queue.pop()

    def read_line(self) -> str:
        return self.queue.pop() if self.queue else self._readline(self.limit)

    def parse(self, line: str) -> tuple[list[str], _Record | None]:
        """The record starting with ``line``: (cells, careful-path record or None)."""
        if len(line) >= self.limit or (self.watch.nul and "\x00" in line):
            self.hist.append(line)
            return self._careful()
        if '"' not in line:
            return line.rstrip("\r\n").split(self.delimiter), None
        reader = self._reader or self._new_reader()
        self._first = line
        try:
            fields = next(reader, [])
        except (_Divert, csv.Error):
            self._reader = None  # a feeder that raised is finished; start afresh next time
            return self._careful()
        self.hist.clear()
        return fields, None

    def _new_reader(self) -> Iterator[list[str]]:
        self._reader = csv.reader(self._feed(), delimiter=self.delimiter, quotechar='"', strict=True)
        return self._reader

    def _feed(self) -> Iterator[str]:
        hist, watch, limit = self.hist, self.watch, self.limit
        size = 0
        while True:
            line = self._first
            if line is None:  # the C parser wants the next line of a quoted line break
                line = self.read_line()
                if not line:
                    return
                size += len(line)
            else:
                self._first = None
                size = len(line)
            hist.append(line)
            if size >= limit or (watch.nul and "\x00" in line):
                raise _Divert
            yield line

    def _careful(self) -> tuple[list[str], _Record | None]:
        record = self.careful_record(self.cap)
        return ([], None) if record is None else (record.fields, record)

    def _piece(self) -> str:
        return self.queue.pop() if self.queue else self._readline(_PIECE)

    def careful_record(self, cap: int) -> _Record | None:
        """Re-parse the record in progress (``hist``) and read on to its end; None at end of file.

        Same grammar as ``csv.reader`` (non-strict): ``""`` in quotes is a quote, text after a
        closing quote is kept (and reported), a record ends at CR, LF or CRLF outside quotes. Raises
        ``_Unterminated`` when the file ends inside quotes.
        """
        self.queue.extend(reversed(self.hist))
        self.hist.clear()
        record = _Record(cap, self._max)
        delimiter, stop = self.delimiter, self._stop
        state = _START_RECORD
        while piece := self._piece():
            i, n = 0, len(piece)
            while i < n:
                if state <= _START_FIELD:
                    c = piece[i]
                    if c == '"':
                        state, i = _QUOTED, i + 1
                        continue
                    if state == _START_RECORD and c in "\r\n":
                        self._end_line(piece, i + 1, c)
                        return record
                    state = _UNQUOTED
                if state == _UNQUOTED:
                    match = stop(piece, i)
                    if match is None:
                        record.add(piece[i:])
                        break
                    j = match.start()
                    record.add(piece[i:j])
                    record.end_field()
                    c, i = piece[j], j + 1
                    if c == delimiter:
                        state = _START_FIELD
                        continue
                    self._end_line(piece, i, c)
                    return record
                if state == _QUOTED:
                    j = piece.find('"', i)
                    if j < 0:
                        record.add(piece[i:])
                        break
                    record.add(piece[i:j])
                    state, i = _AFTER_QUOTE, j + 1
                    continue
                c, i = piece[i], i + 1  # _AFTER_QUOTE
                if c == '"':
                    record.add('"')
                    state = _QUOTED
                elif c == delimiter:
                    record.end_field()
                    state = _START_FIELD
                elif c in "\r\n":
                    record.end_field()
                    self._end_line(piece, i, c)
                    return record
                else:
                    record.bad_quotes.append(record.count)
                    record.add(c)
                    state = _UNQUOTED
        if state == _START_RECORD:
            return None
        if state == _QUOTED:
            raise _Unterminated
        record.end_field()
        return record

    def _end_line(self, piece: str, i: int, c: str) -> None:
        """Put back what follows the record end, eating the LF of a CRLF split across pieces."""
        rest = piece[i:]
        if c == "\r" and not rest:
            rest = self._piece()
        if c == "\r" and rest.startswith("\n"):
            rest = rest[1:]
        if rest:
            self.queue.append(rest)


class _Unterminated(Exception):
    """The file ended inside a quoted field."""


class _CsvTable(_TextTable):
    format = "csv"

    def __init__(self, path: Path, max_cell_chars: int, encoding: str, delimiter: str) -> None:
        super().__init__(path, max_cell_chars, encoding)
        self.delimiter = delimiter
        text, scanner = self._open()
        try:
            self.header_row, fields, record = self._find_header(scanner)
        except UnicodeDecodeError:
            raise self._encoding_error() from None
        finally:
            text.close()
        if record is not None and record.too_long:
            index, chars = next(iter(record.too_long.items()))
            raise self._fail(
                "file.too_large_cell",
                f"header cell {_letter(index + 1)}{self.header_row} has {chars:,} characters; the "
                f"limit is {max_cell_chars:,}",
                f"表头单元格 {_letter(index + 1)}{self.header_row} 有 {chars:,} 个字符，"
                f"超过上限 {max_cell_chars:,}",
                row=self.header_row,
                index=index + 1,
            )
        if (record.count if record is not None else len(fields)) > _MAX_COLUMNS:
            raise _not_a_table(self.name, "the header has more than 16,384 cells", "表头超过 16384 列")
        self.header = self._check_header(fields, self.header_row)

    def _open(self) -> tuple[IO[str], _CsvScanner]:
        watch = _NulWatch(open(self.path, "rb"))  # noqa: SIM115 - closed with the text stream
        text = io.TextIOWrapper(cast(Any, watch), encoding=self.encoding, errors="strict", newline="")
        text._CHUNK_SIZE = 1 << 16  # type: ignore[attr-defined]  # fewer Python-level reads
        return text, _CsvScanner(text.readline, watch, self.delimiter, self.max_cell_chars)

    def _find_header(self, scanner: _CsvScanner) -> tuple[int, list[str], _Record | None]:
        """The first non-blank record and its row number; file.empty if there is none."""
        row = 0
        while line := scanner.read_line():
            row += 1
            try:
                fields, record = scanner.parse(line)
            except _Unterminated:
                raise self._truncated(row) from None
            if any(c.strip() for c in fields) or (record is not None and record.too_long):
                return row, fields, record
        raise _error(self.name, "file.empty", _EMPTY)

    def _truncated(self, row: int) -> InvalidInput:
        return self._fail(
            "file.truncated",
            f"the file ends inside a quoted cell that starts on row {row}: it is cut short, or a "
            'quote (") is not closed',
            f'文件在第 {row} 行开始的带引号单元格中结束：文件不完整，或引号（"）未闭合',
            row=row,
        )

    def _iter_rows(self) -> Iterator[Row]:
        text, scanner = self._open()
        try:
            number = self._find_header(scanner)[0]
            width = len(self.header)
            scanner.cap = width + 1
            # locals for the hot loop: a clean, quote-free line costs a split and a comprehension
            size, limit, watch, delimiter = len, scanner.limit, scanner.watch, self.delimiter
            parse, finish, queue, clean = scanner.parse, self._finish, scanner.queue, _NO_PROBLEMS
            while True:
                for line in scanner.lines():
                    number += 1
                    if '"' not in line and size(line) < limit and not watch.nul:
                        fields = line.rstrip("\r\n").split(delimiter)
                        record = None
                    else:
                        try:
                            fields, record = parse(line)
                        except _Unterminated:
                            raise self._truncated(number) from None
                    if record is None and size(fields) == width:
                        values = [c.strip() or None for c in fields]
                        if values[0] is not None or values.count(None) != width:
                            yield number, values, clean
                        continue
                    row = finish(number, fields, record)
                    if row is not None:
                        yield row
                    if queue:
                        break  # the careful path put text back: read it before the stream
                else:
                    return
        except UnicodeDecodeError:
            raise self._encoding_error() from None
        finally:
            text.close()

    def _finish(self, number: int, fields: list[str], record: _Record | None) -> Row | None:
        """Values and problems for a row off the fast path; None for a blank row."""
        width = len(self.header)
        values: list[str | None] = [c.strip() or None for c in fields[:width]]
        problems: list[Problem] = []
        if record is not None:
            problems += [self._too_long(number, i, chars) for i, chars in record.too_long.items()]
            problems += [
                self._cell_problem(
                    "row.quoting",
                    number,
                    i,
                    "text follows the closing quote of this cell; it was kept, but check the quoting",
                    "该单元格的右引号后还有文字（已保留），请检查引号",
                )
                for i in record.bad_quotes
            ]
        for i, v in enumerate(values):
            if v is not None and "\x00" in v:
                values[i] = v.replace("\x00", "").strip() or None
                problems.append(
                    self._cell_problem(
                        "cell.nul",
                        number,
                        i,
                        "the cell contains NUL bytes (removed)",
                        "单元格含有空字符（NUL，已删除）",
                    )
                )
        count = len(fields) if record is None else record.count
        extra = any(c.strip() for c in fields[width:]) or (record is not None and record.overflow)
        if not problems and not extra and all(v is None for v in values):
            return None
        if count < width:
            values += [None] * (width - count)
        if count < width or extra:
            problems.append(self._cell_count(number, count, width))
        return number, values, tuple(problems)

    def _too_long(self, number: int, index: int, chars: int) -> Problem:
        return self._cell_problem(
            "cell.too_long",
            number,
            index,
            f"the cell has {chars:,} characters; the limit is {self.max_cell_chars:,} (not read)",
            f"单元格有 {chars:,} 个字符，超过上限 {self.max_cell_chars:,}（未读取该单元格）",
            chars,
        )

    def _cell_count(self, number: int, count: int, width: int) -> Problem:
        return Problem(
            "row.cell_count",
            f"row {number} has {count} cells but the header has {width} columns"
            + (" (missing cells are empty)" if count < width else " (the extra cells were dropped)"),
            {"file": self.name, "row": number, "cells": count, "columns": width},
            f"第 {number} 行有 {count} 个单元格，但表头有 {width} 列"
            + ("（缺少的单元格按空值处理）" if count < width else "（多出的单元格已舍弃）"),
            count,
        )


# ---------------------------------------------------------------------------------------------
# XLSX


class _XlsxTable(Table):
    format = "xlsx"

    def __init__(self, path: Path, max_cell_chars: int, sheet: str | None) -> None:
        super().__init__(path, max_cell_chars)
        self._check_zip()
        self._file = open(path, "rb")  # noqa: SIM115 - closed by close()
        try:
            self._open_sheet(sheet)
            self.header_row, cells = self._find_header()
            self.header = self._check_header(cells, self.header_row)
        except BaseException:
            self.close()
            raise

    def _check_zip(self) -> None:
        try:
            with zipfile.ZipFile(self.path) as archive:
                names = set(archive.namelist())
        except Exception:  # zipfile raises many types (BadZipFile, struct.error, EOFError...)
            raise self._damaged("the zip archive cannot be read") from None
        if not {"[Content_Types].xml", "xl/workbook.xml"} <= names:
            what = "a Word document" if "word/document.xml" in names else "a zip archive"
            what_zh = "Word 文档" if "word/document.xml" in names else "压缩包"
            raise _not_a_table(self.name, f"this is {what}", f"该文件是{what_zh}，不是 Excel 工作簿")

    def _damaged(self, detail: str) -> InvalidInput:
        return self._fail(
            "file.truncated",
            f"the workbook is damaged or incomplete ({detail}); save it again in Excel or WPS and re-upload",
            "工作簿已损坏或不完整；请用 Excel 或 WPS 重新保存后再上传",
        )

    def _guard(self, action: Callable[[], _T]) -> _T:
        """Run an openpyxl call with its warnings silenced and its failures translated."""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return action()
        except InvalidInput:
            raise
        except (zipfile.BadZipFile, EOFError, zlib.error) as e:  # a cut or corrupt archive
            raise self._damaged(type(e).__name__) from None
        except Exception as e:  # openpyxl raises arbitrary types on malformed parts
            raise _not_a_table(
                self.name,
                f"this zip has workbook parts but they cannot be read as a spreadsheet ({type(e).__name__})",
                "该压缩包含有工作簿结构，但无法作为电子表格读取",
            ) from None

    def _open_sheet(self, sheet: str | None) -> None:
        from openpyxl import load_workbook  # heavy; only XLSX needs it

        self._workbook = self._guard(lambda: load_workbook(self._file, read_only=True, data_only=True))
        sheets = self._workbook.worksheets
        names = [ws.title for ws in sheets]
        if sheet is None and not sheets:
            raise _not_a_table(self.name, "this workbook has no worksheet", "该工作簿没有工作表")
        if sheet is not None and sheet not in names:
            raise self._fail(
                "file.sheet_missing",
                f"the workbook has no sheet named {sheet!r}; its sheets are {names}",
                f"工作簿中没有名为“{sheet}”的工作表；现有工作表：{'、'.join(names)}",
                sheet=sheet,
            )
        self._sheet = sheets[names.index(sheet)] if sheet is not None else sheets[0]
        self._sheet.reset_dimensions()  # the stored dimension may be wrong; read every row

    def close(self) -> None:
        super().close()
        workbook = getattr(self, "_workbook", None)
        if workbook is not None:
            self._guard(workbook.close)
        self._file.close()

    def _raw_rows(self) -> Iterator[tuple[Any, ...]]:
        """Row tuples of the sheet, pulled in batches so warnings are silenced around each pull."""
        rows = self._guard(lambda: self._sheet.iter_rows(values_only=True))
        while batch := self._guard(lambda: list(islice(rows, _BATCH))):
            yield from batch

    def _find_header(self) -> tuple[int, list[str]]:
        for number, raw in enumerate(self._raw_rows(), start=1):
            cells = [_cell_text(v) if v is not None else "" for v in raw]
            if any(c.strip() for c in cells):
                if len(cells) > _MAX_COLUMNS:
                    raise _not_a_table(
                        self.name, "the header has more than 16,384 cells", "表头超过 16384 列"
                    )
                return number, cells
        raise _error(self.name, "file.empty", _EMPTY)

    def _iter_rows(self) -> Iterator[Row]:
        start = self.header_row
        for number, raw in enumerate(self._raw_rows(), start=1):
            if number > start:
                row = self._convert(number, raw)
                if row is not None:
                    yield row

    def _convert(self, number: int, raw: tuple[Any, ...]) -> Row | None:
        width = len(self.header)
        values: list[str | None] = [None] * width
        problems: list[Problem] = []
        extra = 0
        for i, v in enumerate(raw):
            if v is None:
                continue
            text = _cell_text(v).strip() or None
            if text is None:
                continue
            if i >= width:
                extra = i + 1
                continue
            if len(text) > self.max_cell_chars:
                problems.append(self._too_long(number, i, len(text)))
            elif text in _EXCEL_ERRORS:
                problems.append(
                    self._cell_problem(
                        "cell.formula_error",
                        number,
                        i,
                        f"the cell shows the error {text} (a broken formula); enter the value itself",
                        f"单元格显示错误值 {text}（公式出错），请填写实际数值",
                        text,
                    )
                )
            elif "\x00" in text:
                values[i] = text.replace("\x00", "").strip() or None
                problems.append(
                    self._cell_problem(
                        "cell.nul",
                        number,
                        i,
                        "the cell contains NUL bytes (removed)",
                        "单元格含有空字符（NUL，已删除）",
                    )
                )
            else:
                values[i] = text
        if extra:
            problems.append(
                Problem(
                    "row.cell_count",
                    f"row {number} has a value in column {_letter(extra)}, beyond the last header "
                    f"column {_letter(width)} (the extra cells were dropped)",
                    {"file": self.name, "row": number, "cell": f"{_letter(extra)}{number}", "columns": width},
                    f"第 {number} 行在 {_letter(extra)} 列有值，超出了表头最后一列 {_letter(width)}"
                    "（多出的单元格已舍弃）",
                    extra,
                )
            )
        if not problems and all(v is None for v in values):
            return None
        return number, values, tuple(problems) if problems else _NO_PROBLEMS

    def _too_long(self, number: int, index: int, chars: int) -> Problem:
        return self._cell_problem(
            "cell.too_long",
            number,
            index,
            f"the cell has {chars:,} characters; the limit is {self.max_cell_chars:,}",
            f"单元格有 {chars:,} 个字符，超过上限 {self.max_cell_chars:,}",
            chars,
        )


def _cell_text(v: Any) -> str:
    """An openpyxl value as the text a spreadsheet user sees (see the module docstring)."""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return _float_text(v)
    if isinstance(v, datetime):
        if v.microsecond >= 500_000:
            v += timedelta(microseconds=1_000_000 - v.microsecond)
        v = v.replace(microsecond=0, tzinfo=None)
        return str(v.date().isoformat() if v.time() == time(0) else v.isoformat())
    if isinstance(v, date | time):
        return str(v.isoformat())
    if isinstance(v, timedelta):
        seconds = round(v.total_seconds())
        sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
        return f"{sign}{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    return str(v)


def _float_text(v: float) -> str:
    """At most 15 significant digits, no exponent, no trailing zeros: 3.0 → "3", 1e20 → "1000…"."""
    if v != v or v in (float("inf"), float("-inf")):
        return str(v)
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return format(Decimal(format(v, ".15g")).normalize(), "f")


# ---------------------------------------------------------------------------------------------
# JSON lines


class _Pairs(list[tuple[str, Any]]):
    """A JSON object as parsed (key order and duplicates kept)."""


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_json_decode = partial(
    json.loads, object_pairs_hook=_Pairs, parse_int=str, parse_float=str, parse_constant=_reject_constant
)


class _JsonlTable(_TextTable):
    format = "jsonl"

    def __init__(self, path: Path, max_cell_chars: int, encoding: str) -> None:
        super().__init__(path, max_cell_chars, encoding)
        self._line_limit = max_cell_chars * 32 + _PIECE
        try:
            with self._open() as text:
                number, line = self._first_line(text)
        except UnicodeDecodeError:
            raise self._encoding_error() from None
        if line is None:
            raise self._fail(
                "file.too_large_cell",
                f"line {number} is longer than {self._line_limit:,} characters",
                f"第 {number} 行超过 {self._line_limit:,} 个字符",
                row=number,
            )
        obj, error = _parse_json(line)
        if not isinstance(obj, _Pairs):
            raise self._fail(
                "file.header_missing",
                f"the first line of a JSON-lines file must be a JSON object (its keys name the columns): "
                f"{error}",
                f"JSON Lines 文件的第一行必须是 JSON 对象（其键即列名）：{error}",
                row=number,
                line=number,
            )
        keys = [k for k, _ in obj]
        self.header = self._check_header(keys, number)
        self.header_row = number

    def _open(self) -> IO[str]:
        return open(self.path, encoding=self.encoding, errors="strict", newline=None)

    def _first_line(self, text: IO[str]) -> tuple[int, str | None]:
        for number, line in self._lines(text):
            if line is None or line.strip():
                return number, line
        raise _error(self.name, "file.empty", _EMPTY)

    def _lines(self, text: IO[str]) -> Iterator[tuple[int, str | None]]:
        """(line number, text) per line; text None for a line over the limit (skipped, not held)."""
        readline = partial(text.readline, self._line_limit)
        number = 0
        while line := readline():
            number += 1
            if len(line) == self._line_limit and not line.endswith("\n"):
                while (more := text.readline(_PIECE)) and not more.endswith("\n"):
                    pass
                yield number, None
            else:
                yield number, line

    def _iter_rows(self) -> Iterator[Row]:
        index = {h: i for i, h in enumerate(self.header)}
        try:
            with self._open() as text:
                for number, line in self._lines(text):
                    if line is None:
                        yield number, [None] * len(self.header), (self._line_too_long(number),)
                    elif line.strip():
                        row = self._convert(number, line, index)
                        if row is not None:
                            yield row
        except UnicodeDecodeError:
            raise self._encoding_error() from None

    def _cell_problem(
        self, rule: str, row: int, index: int, message: str, message_zh: str, value: Any = None
    ) -> Problem:
        where = {"file": self.name, "row": row, "line": row, "column": self.header[index], "index": index + 1}
        return Problem(rule, message, where, message_zh, value)

    def _line_too_long(self, number: int) -> Problem:
        return Problem(
            "row.too_long",
            f"line {number} is longer than {self._line_limit:,} characters and was not read",
            {"file": self.name, "row": number, "line": number},
            f"第 {number} 行超过 {self._line_limit:,} 个字符，未读取",
        )

    def _convert(self, number: int, line: str, index: dict[str, int]) -> Row | None:
        values: list[str | None] = [None] * len(self.header)
        obj, error = _parse_json(line)
        if not isinstance(obj, _Pairs):
            invalid = Problem(
                "row.invalid_json",
                f"line {number} is not a JSON object: {error}",
                {"file": self.name, "row": number, "line": number},
                f"第 {number} 行不是 JSON 对象：{error}",
            )
            return number, values, (invalid,)
        problems: list[Problem] = []
        seen: set[int] = set()
        for key, value in obj:
            i = index.get(key.strip())
            if i is None:
                problems.append(self._key_problem("row.unknown_key", number, key))
                continue
            if i in seen:
                problems.append(self._key_problem("row.duplicate_key", number, key))
            seen.add(i)
            values[i], problem = self._value(number, i, value)
            if problem is not None:
                problems.append(problem)
        return number, values, tuple(problems) if problems else _NO_PROBLEMS

    def _value(self, number: int, i: int, value: Any) -> tuple[str | None, Problem | None]:
        if value is None:
            return None, None
        if isinstance(value, bool):
            return ("true" if value else "false"), None
        if not isinstance(value, str):
            return None, self._cell_problem(
                "cell.not_scalar",
                number,
                i,
                "the value is a nested object or array; give a plain string, number, boolean or null",
                "该值是嵌套的对象或数组；请填写字符串、数字、布尔值或 null",
            )
        text = value.strip() or None
        if text is not None and len(text) > self.max_cell_chars:
            return None, self._cell_problem(
                "cell.too_long",
                number,
                i,
                f"the value has {len(text):,} characters; the limit is {self.max_cell_chars:,}",
                f"该值有 {len(text):,} 个字符，超过上限 {self.max_cell_chars:,}",
                len(text),
            )
        if text is not None and "\x00" in text:
            return text.replace("\x00", "").strip() or None, self._cell_problem(
                "cell.nul",
                number,
                i,
                "the value contains NUL characters (removed)",
                "该值含有空字符（NUL，已删除）",
            )
        return text, None

    def _key_problem(self, rule: str, number: int, key: str) -> Problem:
        if rule == "row.unknown_key":
            text = (
                f"key {key!r} is not in the header (the first line's keys); it was ignored",
                f"键“{key}”不在表头（第一行的键）中，已忽略",
            )
        else:
            text = (
                f"key {key!r} appears more than once; the last value was kept",
                f"键“{key}”重复出现，已取最后一个值",
            )
        return Problem(
            rule, text[0], {"file": self.name, "row": number, "line": number, "column": key}, text[1]
        )


def _parse_json(line: str) -> tuple[Any, str]:
    """(parsed value, "") or (None, reason)."""
    try:
        value = _json_decode(line)
    except RecursionError:
        return None, "nested too deeply"
    except ValueError as e:  # JSONDecodeError and rejected NaN/Infinity
        return None, str(e)
    if not isinstance(value, _Pairs):
        return None, "valid JSON, but an array or a single value rather than an object"
    return value, ""
