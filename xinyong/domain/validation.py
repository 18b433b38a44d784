"""Row validation against a catalog field schema (pure; no I/O, no framework).

A schema is compiled once into one converter per field; ``RowValidator.validate`` then
turns a row of raw texts into normalised values and reports **every** problem of the row
at once: required and conditional fields, enums, dates (no future decision dates, order
of date pairs), decimals (万元 amounts with their precision), identifiers by kind, lengths.

Normalised values are JSON-ready: dates as ISO text, decimals as canonical text, enums as
their codes (a list of codes for multi-valued enums), identifiers in canonical form.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Set
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from xinyong import ids
from xinyong.catalog.model import EnumDef, FieldDef, FieldSchema, FieldType
from xinyong.errors import InvalidIdentifier

RESIDENT_ID_TYPE = "001"  # 证件类型 code of the resident identity card (enums.yaml id_document_type)
MULTI_SEPARATORS = re.compile(r"[;；,，、|]")
_DATE_FORMATS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
)
_NOTHING: frozenset[str] = frozenset()
_DOCUMENT_NUMBER = re.compile(r"^[A-Za-z0-9\-]{4,30}$")


@dataclass(frozen=True)
class FieldIssue:
    """One problem with one field of a row."""

    field: str
    rule: str
    message: str
    message_zh: str
    value: str | None = None


class FieldError(Exception):
    """Raised by a converter; turned into a FieldIssue by the validator."""

    def __init__(self, rule: str, message: str, message_zh: str) -> None:
        super().__init__(message)
        self.rule, self.message, self.message_zh = rule, message, message_zh


Converter = Callable[[str], Any]


def parse_date(text: str) -> date:
    if len(text) == 10 and text[4] == "-" and text[7] == "-":  # the usual YYYY-MM-DD: C-speed fast path
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    for pattern in _DATE_FORMATS:
        m = pattern.match(text)
        if m:
            y, mo, d = (int(g) for g in m.groups())
            try:
                return date(y, mo, d)
            except ValueError:
                break
    raise FieldError(
        "field.date", f"{text!r} is not a valid date (YYYY-MM-DD)", f"“{text}”不是有效日期（应为 YYYY-MM-DD）"
    )


def _text(f: FieldDef) -> Converter:
    limit = f.max_length

    def convert(raw: str) -> str:
        if limit is not None and len(raw) > limit:
            raise FieldError(
                "field.too_long",
                f"{len(raw)} characters; at most {limit} allowed",
                f"长度 {len(raw)}，超过上限 {limit}",
            )
        return raw

    return convert


def _decimal(f: FieldDef) -> Converter:
    def convert(raw: str) -> str:
        try:
            value = Decimal(raw.replace(",", ""))
        except InvalidOperation:
            raise FieldError("field.decimal", f"{raw!r} is not a number", f"“{raw}”不是数字") from None
        if not value.is_finite():
            raise FieldError("field.decimal", f"{raw!r} is not a finite number", f"“{raw}”不是有限数值")
        _check_decimal_bounds(f, value)
        return _canonical_decimal(value)

    return convert


def _check_decimal_bounds(f: FieldDef, value: Decimal) -> None:
    if f.min is not None and value < f.min:
        raise FieldError(
            "field.below_min", f"{value} is below the minimum {f.min}", f"数值 {value} 小于下限 {f.min}"
        )
    if f.max is not None and value > f.max:
        raise FieldError(
            "field.above_max", f"{value} is above the maximum {f.max}", f"数值 {value} 大于上限 {f.max}"
        )
    exponent = value.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if f.places is not None and places > f.places:
        raise FieldError(
            "field.decimal_places",
            f"{value} has {places} decimal places; at most {f.places}",
            f"小数位数 {places} 超过 {f.places} 位",
        )
    if f.digits is not None and f.places is not None and abs(value) >= Decimal(10) ** (f.digits - f.places):
        raise FieldError(
            "field.decimal_digits",
            f"{value} does not fit decimal({f.digits},{f.places})",
            f"数值超出 decimal({f.digits},{f.places}) 范围",
        )


def _canonical_decimal(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _integer(f: FieldDef) -> Converter:
    def convert(raw: str) -> int:
        try:
            return int(raw)
        except ValueError:
            raise FieldError("field.integer", f"{raw!r} is not a whole number", f"“{raw}”不是整数") from None

    return convert


def _enum(f: FieldDef, enum: EnumDef) -> Converter:
    table: dict[str, str] = {}
    for v in enum.values:
        table[v.code] = table[v.zh] = table[v.en] = v.code
        table[v.en.lower()] = v.code
    allowed = "、".join(f"{v.code} {v.zh}" for v in enum.values)

    def one(text: str) -> str:
        code = table.get(text) or table.get(text.lower())
        if code is None:
            raise FieldError(
                "field.enum",
                f"{text!r} is not a value of {enum.name_en} ({allowed})",
                f"“{text}”不是{enum.name_zh}的有效取值（{allowed}）",
            )
        return code

    if not f.multiple:
        return one

    def many(raw: str) -> list[str]:
        parts = [p.strip() for p in MULTI_SEPARATORS.split(raw) if p.strip()]
        return sorted({one(p) for p in parts})

    return many


MEMO_LIMIT = 100_000  # distinct raw texts remembered per converter: at most ~17 MB each


def _memoised(convert: Converter) -> Converter:
    """The same converter, remembering its result (or its FieldError) per raw text.

    A batch repeats the same codes (authorities, units, subjects), dates, amounts and enum
    labels over and over; converters are pure, so each distinct text is converted once.
    """
    cache: dict[str, Any] = {}

    def memo(raw: str) -> Any:
        found = cache.get(raw, cache)
        if found is cache:
            try:
                found = convert(raw)
            except FieldError as e:
                found = e
            if len(cache) < MEMO_LIMIT:
                cache[raw] = found
        if isinstance(found, FieldError):
            raise found.with_traceback(None)  # a remembered error: no traceback piling up
        return found

    return memo


def _identifier(parse: Callable[[str], Any]) -> Converter:
    """A converter for codes (memoised by ``_compile``)."""

    def convert(raw: str) -> str:
        try:
            return str(parse(raw).code)
        except InvalidIdentifier as e:
            raise FieldError(e.rule or "identifier", e.message, e.message_zh) from None

    return convert


def _compile(f: FieldDef, enums: Mapping[str, EnumDef]) -> Converter:
    if f.type in (FieldType.STRING, FieldType.TEXT, FieldType.ID_NUMBER):
        return _text(f)  # free text: rarely repeated, not worth remembering
    return _memoised(_compile_coded(f, enums))


def _compile_coded(f: FieldDef, enums: Mapping[str, EnumDef]) -> Converter:
    if f.type is FieldType.DATE:
        return lambda raw: parse_date(raw).isoformat()
    if f.type is FieldType.DECIMAL:
        return _decimal(f)
    if f.type is FieldType.INTEGER:
        return _integer(f)
    if f.type is FieldType.ENUM:
        return _enum(f, enums[f.enum or ""])
    if f.type is FieldType.USCC:
        return _identifier(ids.parse_uscc)
    if f.type is FieldType.ORGANISATION_CODE:
        return _identifier(ids.parse_organisation_code)
    if f.type is FieldType.REGISTRATION_NUMBER:
        return _identifier(ids.parse_registration_number)
    return _text(f)


def check_document_number(doc_type: str | None, raw: str) -> str:
    """An identity document number, checked by its type (resident ID by GB 11643)."""
    if doc_type in (None, RESIDENT_ID_TYPE):
        try:
            return ids.parse_resident_id(raw).code
        except InvalidIdentifier as e:
            raise FieldError(e.rule or "ric", e.message, e.message_zh) from None
    text = raw.strip().upper()
    if not _DOCUMENT_NUMBER.match(text):
        raise FieldError(
            "field.document_number",
            "an identity document number has 4-30 letters, digits or '-'",
            "证件号码应为 4 至 30 位字母、数字或“-”",
        )
    return text


class RowValidator:
    """Validates rows of one schema. Build once per batch; ``validate`` is the hot path."""

    def __init__(self, schema: FieldSchema, enums: Mapping[str, EnumDef], today: date) -> None:
        self.schema = schema
        self.today = today
        self.fields = {f.code: f for f in schema.fields}
        self.converters = {f.code: _compile(f, enums) for f in schema.fields}
        self.required = tuple(f.code for f in schema.fields if f.required)
        self.future_checked = tuple(f.code for f in schema.fields if f.not_future)
        self.ordered = tuple((f.code, f.not_before) for f in schema.fields if f.not_before)
        self.id_numbers = tuple(
            (f.code, f.id_type_field) for f in schema.fields if f.type is FieldType.ID_NUMBER
        )
        self.conditions = tuple((c, frozenset(c.values)) for c in schema.conditions)
        self._documents: dict[tuple[str | None, str], str | FieldError] = {}

    def validate(self, raw: Mapping[str, str | None]) -> tuple[dict[str, Any], list[FieldIssue]]:
        values: dict[str, Any] = {}
        issues: list[FieldIssue] = []
        converters = self.converters
        for code, text in raw.items():
            if text is None or text == "":
                continue
            try:
                values[code] = converters[code](text)
            except FieldError as e:
                issues.append(FieldIssue(code, e.rule, e.message, e.message_zh, text))
        bad = {i.field for i in issues} if issues else _NOTHING
        self._check_required(raw, issues)
        if self.id_numbers:
            known = len(issues)
            self._check_id_numbers(values, issues, bad)
            if len(issues) > known:  # a given but invalid number is not also "required"
                bad = {i.field for i in issues}
        if self.future_checked or self.ordered:
            self._check_dates(values, issues)
        if self.conditions:
            self._check_conditions(values, issues, bad)
        return values, issues

    def _check_required(self, raw: Mapping[str, str | None], issues: list[FieldIssue]) -> None:
        for code in self.required:
            if not raw.get(code):
                f = self.fields[code]
                issues.append(
                    FieldIssue(
                        code, "field.required", f"{f.en} ({code}) is required", f"{f.zh}（{code}）为必填项"
                    )
                )

    def _check_id_numbers(self, values: dict[str, Any], issues: list[FieldIssue], bad: Set[str]) -> None:
        for code, type_field in self.id_numbers:
            if code not in values or code in bad:
                continue
            doc_type = values.get(type_field) if type_field else None
            found = self.document_number(doc_type, values[code])
            if isinstance(found, FieldError):
                issues.append(FieldIssue(code, found.rule, found.message, found.message_zh, values.pop(code)))
            else:
                values[code] = found

    def document_number(self, doc_type: str | None, text: str) -> str | FieldError:
        """An identity document number checked by its type: the canonical number or the error
        (remembered per pair: the same persons recur over a batch)."""
        key = (doc_type, text)
        found = self._documents.get(key)
        if found is None:
            try:
                found = check_document_number(doc_type, text)
            except FieldError as e:
                found = e
            if len(self._documents) < MEMO_LIMIT:
                self._documents[key] = found
        return found

    def _check_dates(self, values: dict[str, Any], issues: list[FieldIssue]) -> None:
        today = self.today.isoformat()
        for code in self.future_checked:
            if code in values and values[code] > today:
                issues.append(
                    FieldIssue(
                        code,
                        "field.future_date",
                        f"{values[code]} is in the future (today is {today})",
                        f"日期 {values[code]} 晚于今天（{today}）",
                        values[code],
                    )
                )
        for code, earlier in self.ordered:
            if code in values and earlier and earlier in values and values[code] < values[earlier]:
                issues.append(
                    FieldIssue(
                        code,
                        "field.date_order",
                        f"{values[code]} is before {earlier} {values[earlier]}",
                        f"{self.fields[code].zh} 早于 {self.fields[earlier].zh}",
                        values[code],
                    )
                )

    def _check_conditions(self, values: dict[str, Any], issues: list[FieldIssue], bad: Set[str]) -> None:
        for cond, wanted in self.conditions:
            present = values.get(cond.field)
            if present is None:
                continue
            hit = not wanted.isdisjoint(present) if isinstance(present, list) else present in wanted
            if not hit:
                continue
            for code in cond.require:
                if code not in values and code not in bad:
                    f = self.fields[code]
                    issues.append(
                        FieldIssue(
                            code,
                            f"condition.{cond.rule}",
                            f"{f.en} ({code}) is required when {cond.field} is {'/'.join(cond.values)}",
                            f"{self.fields[cond.field].zh}为该值时，{f.zh}（{code}）为必填项",
                        )
                    )
